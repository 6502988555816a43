//! The client side: what the `bidder` and `auditor` programs (and the demo)
//! share. Bid files, keys, the auction file as clients read it, HTTPS with
//! pinned node certificates, submission with retries, receipts, fetching
//! and checking the outcome, the auditor's checks, and output that does not
//! panic on a closed pipe. Sharing and signing themselves are
//! `auction::wire`'s.
#![deny(missing_docs, unsafe_code)]

pub mod auction_file;
pub mod bidfile;
pub mod https;
pub mod keys;
pub mod output;
pub mod receipts;
pub mod result;
pub mod submit;
pub mod verify;
