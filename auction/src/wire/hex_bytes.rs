//! Fixed-size byte strings in hex: digests, signatures, public keys. Hex is
//! lower case only, so every value has exactly one spelling.

use super::WireError;
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A SHA-256 digest, written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    /// Reads 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, WireError> {
        Ok(Digest(fixed_hex("digest", s)?))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Decodes hex as this page writes it: lower-case digits only, so every
/// value has exactly one spelling.
pub(super) fn lower_hex(field: &'static str, s: &str) -> Result<Vec<u8>, WireError> {
    if let Some(c) = s.chars().find(|c| c.is_ascii_uppercase()) {
        return Err(WireError::Hex {
            field,
            reason: format!("upper-case digit {c:?}; write hex in lower case"),
        });
    }
    hex::decode(s).map_err(|e| WireError::Hex {
        field,
        reason: e.to_string(),
    })
}

pub(super) fn fixed_hex<const N: usize>(
    field: &'static str,
    s: &str,
) -> Result<[u8; N], WireError> {
    let bytes = lower_hex(field, s)?;
    bytes.try_into().map_err(|b: Vec<u8>| WireError::Hex {
        field,
        reason: format!("expected {} bytes, got {}", N, b.len()),
    })
}

macro_rules! hex_serde {
    ($t:ty, $n:expr, $field:expr, $get:expr, $make:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let get: fn(&$t) -> [u8; $n] = $get;
                s.serialize_str(&hex::encode(get(self)))
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                let bytes: [u8; $n] = fixed_hex($field, &s).map_err(serde::de::Error::custom)?;
                let make: fn([u8; $n]) -> Result<$t, String> = $make;
                make(bytes).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_serde!(Digest, 32, "digest", |d| d.0, |b| Ok(Digest(b)));

/// An Ed25519 signature, written as 128 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sig(pub Signature);

impl fmt::Debug for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sig({})", hex::encode(self.0.to_bytes()))
    }
}

hex_serde!(Sig, 64, "signature", |s| s.0.to_bytes(), |b| Ok(Sig(
    Signature::from_bytes(&b)
)));

/// An Ed25519 public key, written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.0.as_bytes()))
    }
}

impl PublicKey {
    /// The hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }
}

hex_serde!(PublicKey, 32, "public key", |k| k.0.to_bytes(), |b| {
    VerifyingKey::from_bytes(&b)
        .map(PublicKey)
        .map_err(|e| format!("public key: {e}"))
});
