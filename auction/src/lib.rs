//! The auction domain: parameters, bids, validation, the clearing rule in the
//! clear (the reference of `docs/clearing.md`), the clearing as a
//! three-party program on `shares`, outcomes, receipts, bundles and their
//! signatures, and the nodes' agreement ceremony as a state machine. No I/O
//! beyond a transport handed to it.
#![deny(missing_docs, unsafe_code)]

pub mod auction_file;
pub mod ceremony;
pub mod curve;
pub mod generate;
pub mod market;
pub mod mpc;
pub mod priority;
pub mod reference;
pub mod seed;
pub mod share_layout;
pub mod time;
pub mod types;
pub mod validate;
pub mod wire;

pub use market::{MarketError, MarketFile, RawBid, RawOrder};
pub use seed::Seed;
pub use types::*;
