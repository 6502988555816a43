//! The client side: what the `bidder` and `auditor` programs (and the demo)
//! share. Bid files, keys, the auction file as clients read it, HTTPS with
//! pinned node certificates, submission with retries, receipts, fetching
//! and checking the outcome, and the auditor's checks. Sharing and signing
//! themselves are `auction::wire`'s.
#![deny(missing_docs, unsafe_code)]

pub mod auction_file;
pub mod bidfile;
pub mod https;
pub mod keys;
pub mod receipts;
pub mod result;
pub mod submit;
pub mod verify;
