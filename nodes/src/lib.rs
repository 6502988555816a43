//! The clearing node: HTTPS bidder API, TLS peer links, the SQLite store, the
//! auction's life cycle, and the benchmark and simulation tools.
#![deny(missing_docs, unsafe_code)]

pub mod bench;
