//! Errors of the engine. No error ever carries a share or a secret value:
//! only sizes, tags, party ids and labels.

use crate::transport::TransportError;

/// An engine error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The channel to a peer failed (wrong tag, short message, timeout...).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// Two inputs of one protocol have different lengths.
    #[error("{what}: lengths differ ({left} and {right})")]
    LengthMismatch {
        /// The protocol and argument.
        what: &'static str,
        /// Length of the first input.
        left: usize,
        /// Length of the second input.
        right: usize,
    },
    /// A parameter is outside what the protocol supports.
    #[error("{what}: {value} is outside the supported range {range}")]
    Parameter {
        /// The protocol and parameter.
        what: &'static str,
        /// The value given.
        value: u64,
        /// The supported range.
        range: &'static str,
    },
    /// An opened value that must be a permutation is not one: the peers'
    /// shares are inconsistent.
    #[error("{0}: the opened values are not a permutation")]
    NotAPermutation(&'static str),
    /// The key agreement with `peer` gave an all-zero Diffie-Hellman secret:
    /// the peer sent a low-order public key, and the pair key would have
    /// been derived from public values only.
    #[error("key agreement with {peer}: all-zero shared secret (low-order public key)")]
    LowOrderKey {
        /// The peer whose public key was of low order.
        peer: crate::PartyId,
    },
    /// A verification of the `abort` security level failed: a party sent
    /// something other than what the protocol prescribes. `peer` is the
    /// party the check points at, when it can tell.
    #[error("{}", cheating_message(check, peer))]
    Cheating {
        /// The check that failed (`"mul"`, `"and"`, `"opening"`, ...).
        check: &'static str,
        /// The party the check points at, if it can tell.
        peer: Option<crate::PartyId>,
    },
    /// A malformed share bundle.
    #[error("share bundle: {0}")]
    Bundle(String),
}

fn cheating_message(check: &str, peer: &Option<crate::PartyId>) -> String {
    match peer {
        Some(p) => format!("check `{check}` failed: party {p} deviated from the protocol"),
        None => format!("check `{check}` failed: a party deviated from the protocol"),
    }
}
