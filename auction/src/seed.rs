//! The 32-byte priority seed that the three nodes draw jointly after bidding
//! closes. It is public (published with the outcome); its JSON form is 64 hex
//! digits.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The priority seed: every order's random priority key is derived from it
/// (see [`crate::priority`]). Public, so `Debug` shows it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Seed(pub [u8; 32]);

/// A seed string that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a seed is 64 hex digits (32 bytes); got {len} characters{detail}")]
pub struct SeedError {
    len: usize,
    detail: &'static str,
}

impl Seed {
    /// The seed of 32 zero bytes, used by the spec's worked examples.
    pub const ZERO: Seed = Seed([0; 32]);

    /// The seed's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, 64 digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl FromStr for Seed {
    type Err = SeedError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 {
            return Err(SeedError {
                len: s.chars().count(),
                detail: "",
            });
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| SeedError {
            len: s.len(),
            detail: ", not all of them hex digits",
        })?;
        Ok(Seed(out))
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seed({})", self.to_hex())
    }
}

impl Serialize for Seed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Seed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let s = Seed([0xab; 32]);
        assert_eq!(s.to_string().parse::<Seed>().unwrap(), s);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", "ab".repeat(32))
        );
        assert_eq!(
            serde_json::from_str::<Seed>(&format!("\"{}\"", "AB".repeat(32))).unwrap(),
            s
        );
        assert!("abc".parse::<Seed>().is_err());
        assert!("zz".repeat(32).parse::<Seed>().is_err());
    }
}
