//! The clearing node: HTTPS bidder API, TLS peer links, the SQLite store, the
//! auction's life cycle, and the benchmark and simulation tools.
#![deny(missing_docs, unsafe_code)]

pub mod api;
pub mod api_tls;
pub mod bench;
pub mod clearing;
pub mod cli;
pub mod client;
pub mod config;
pub mod halt;
pub mod http;
pub mod identity;
pub mod life;
pub mod links;
pub mod live;
pub mod logging;
pub mod node;
pub mod operator;
pub mod peer;
pub mod perms;
pub mod registry;
pub mod router;
pub mod run;
pub mod simulate;
pub mod sites;
pub mod status;
pub mod store;
pub mod tls;
pub mod web;
