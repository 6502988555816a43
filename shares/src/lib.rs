//! The three-party engine: 2-out-of-3 replicated secret sharing over `Z_2^64`
//! (arithmetic) and `Z_2` (boolean, 64 bits packed per word), correlated
//! randomness from pairwise keys, vectorised protocols and the transports
//! they run over. Nothing in this crate knows about auctions.
//!
//! # Who holds what
//!
//! A secret `x` is split as `x = x0 + x1 + x2` (mod 2^64, or XOR for bits).
//! Party `i` holds the two components `(x_i, x_{i+1})`, called `own` and
//! `next` in the code. Any two parties together know all three components;
//! one party alone sees two uniformly random numbers.
//!
//! Key `K_j` is known to parties `j-1` and `j` (the two holders of component
//! `j`); party `i` therefore holds `K_i` (shared with its predecessor) and
//! `K_{i+1}` (shared with its successor). An AES-CTR stream per key gives
//! shared random values, zero-sharings and permutations without messages.
//!
//! # Protocols
//!
//! Every protocol takes a [`Party`] and vectors of shares; one message per
//! peer per round whatever the length. See the modules [`mul`], [`convert`],
//! [`compare`], [`select`], [`allzero`], [`shuffle`], [`onehot`] and [`sort`].
//! Every value that is ever opened passes through [`Party::open_arith`],
//! [`Party::open_bits`], [`Party::open_arith_to`] or, for the masked words of
//! [`allzero`], one more engine-internal opening; each records a label per
//! opening in [`Party::opened`].
//!
//! # Security with abort
//!
//! In [`Security::Abort`] mode (see [`Party::set_security`]) every
//! multiplication, AND and counting-sort position message is kept and
//! proven correct, by a distributed zero-knowledge proof, before the next
//! opening ([`Party::verify`], [`verify`]); every opened component is
//! received from both of its holders and compared. A deviating party is
//! caught before anything it could have changed is opened, and the session
//! stops with [`Error::Cheating`]. The semi-honest mode sends exactly the
//! messages it always did.
//!
//! # Test-only features
//!
//! Two features exist for this crate's own tests, which enable them through
//! a dev-dependency on the crate itself; no shipped crate enables them, and
//! normal builds of the other crates do not get them. `test-keys` adds
//! `Party::with_seed` (keys every party can derive from a public seed).
//! `planted-leaks` adds `leak` and `Party::plant_leak`: deliberately
//! insecure protocol variants with correct outputs, which the view tests
//! (`tests/view.rs`) must catch.
#![deny(missing_docs, unsafe_code)]

pub mod allzero;
pub mod bits;
pub mod client;
pub mod compare;
pub mod convert;
mod error;
#[cfg(feature = "planted-leaks")]
pub mod leak;
pub mod mul;
pub mod onehot;
mod party;
mod party_id;
pub mod prg;
mod security;
pub mod select;
mod share;
pub mod shuffle;
pub mod sort;
pub mod transport;
pub mod verify;

pub use error::Error;
pub use party::{Opening, Party};
pub use party_id::PartyId;
pub use security::Security;
pub use share::{ArithShares, BitShares};
pub use transport::{MemTransport, NetTransport, Stats, Tag, Transport, TransportError};

/// Result of an engine operation.
pub type Result<T> = std::result::Result<T, Error>;
