//! The auction domain: parameters, bids, validation, the clearing rule in the
//! clear (the reference of `shared/spec/clearing.md`), the clearing as a
//! three-party program on `shares`, outcomes, receipts, bundles and their
//! signatures. No I/O beyond a transport handed to it.
#![deny(missing_docs, unsafe_code)]

pub mod types;
pub mod wire;

pub use types::*;
