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
    /// A malformed share bundle.
    #[error("share bundle: {0}")]
    Bundle(String),
}
