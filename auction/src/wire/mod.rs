//! What travels between bidders, nodes and auditors, and what gets signed.
//!
//! A bidder splits its bid into three share bundles, one per node, and puts
//! a fresh random 256-bit salt in each. It signs the auction id, its id, a
//! version number and a *hiding commitment* to each bundle (SHA-256 over the
//! bundle's salt and components), and sends each node its bundle, salt
//! included, with the three commitments and that signature. The node answers
//! with a signed receipt. After the clearing each node signs the outcome
//! (auction-file hash, bid-set digest, seed, price, volume, allocations,
//! exclusions) and the bundle with all three signatures and every bidder's
//! signature is published. Every signed message starts with its own
//! domain-separation tag and encodes its fields with explicit lengths, so no
//! message of one kind can be read as another. The byte layouts and test
//! vectors are in `auction/docs/wire.md`. Pure: no I/O.
//!
//! Why the salt: node `i` holds components `x_i` and `x_{i+1}` of every
//! value and sees all three commitments. Were a commitment a plain hash of
//! its bundle, node `i` could take any guess `v` of the bid, compute
//! `x_{i+2} = v - x_i - x_{i+1}` and test the guess against the commitment
//! to bundle `i+1`; bids have little entropy, so the search ends quickly.
//! The salt of bundle `j` goes to node `j` alone, so the commitments to the
//! other two bundles are keyed by 256 bits node `i` never sees.
//!
//! Nodes are named by [`shares::PartyId`] (0, 1 or 2 on the wire), bid
//! versions by [`Version`], the seed by [`crate::Seed`].
//!
//! A bid is `4K` ring values (mod `2^64`) in the share layout of
//! [`crate::share_layout`]. Each value `x` is shared as `x0 + x1 + x2` by
//! `shares::client::share_arith`; node `i` receives components
//! `(x_i, x_{i+1})`.

mod bid_set;
mod bundle;
mod checks;
mod error;
mod hex_bytes;
mod outcome;
mod receipt;
mod seed;
mod submission;
#[cfg(test)]
mod tests;
mod version;

pub use bid_set::{BidSetEntry, bid_set_digest, registry_digest};
pub use bundle::{Salt, ShareBundle, component_bytes, component_digest};
pub use checks::{Check, Trusted};
pub use error::WireError;
pub use hex_bytes::{Digest, PublicKey, Sig};
pub use outcome::{NodeSignature, OutcomeBundle, outcome_message};
pub use receipt::Receipt;
pub use seed::{SeedReveal, seed_commitment, seed_from_reveals};
pub use submission::{
    Submission, bid_message, check_bidder_id, layout, layout_raw, prepare_submissions,
    prepare_submissions_from_values, sign_bundles,
};
pub use version::Version;

use sha2::{Digest as _, Sha256};

/// The version of the formats on this page; carried in every submission and
/// every outcome bundle. Format 1 signed unsalted digests of the bundles,
/// which let a node test guesses of a bid; it is no longer read.
pub const FORMAT: u32 = 2;
/// Longest bidder id, in bytes of UTF-8.
pub const MAX_BIDDER_ID_LEN: usize = 128;

// The domain-separation tag of every hashed or signed message, all in one
// place so that no two can be the same.
const TAG_COMMITMENT: &[u8] = b"triad/v2/commitment\0";
const TAG_BID: &[u8] = b"triad/v2/bid\0";
const TAG_RECEIPT: &[u8] = b"triad/v2/receipt\0";
const TAG_BID_SET: &[u8] = b"triad/v2/bid-set\0";
const TAG_OUTCOME: &[u8] = b"triad/v2/outcome\0";
const TAG_SEED_COMMIT: &[u8] = b"triad/v1/seed-commit\0";
const TAG_COMPONENT: &[u8] = b"triad/v1/component\0";
const TAG_REGISTRY: &[u8] = b"triad/v2/registry\0";

/// Hashes a string as `u32be length || UTF-8`.
fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u32).to_be_bytes());
    h.update(s.as_bytes());
}

/// Appends a string as `u32be length || UTF-8`.
fn put_str_vec(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}
