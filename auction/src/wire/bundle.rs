//! One node's share bundle of a bid, its salt and its hiding commitment,
//! and the digest two holders of a replicated component compare.

use super::hex_bytes::{fixed_hex, lower_hex};
use super::{Digest, TAG_COMMITMENT, TAG_COMPONENT, Version, WireError, put_str};
use crate::share_layout::value_count;
use crate::types::BidderId;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use shares::PartyId;
use std::fmt;
use zeroize::Zeroize;

/// A bundle's 256-bit salt: drawn fresh by the bidder for every bundle of
/// every version, sent only to the node that receives the bundle, and never
/// passed on by it. It keys the commitment to the bundle, so the nodes that
/// hold the bundle's components but not its salt cannot test guesses
/// against the commitment. Secret: opaque `Debug`, wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Salt(pub [u8; 32]);

impl Salt {
    /// A fresh salt.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Salt {
        let mut s = [0u8; 32];
        rng.fill_bytes(&mut s);
        Salt(s)
    }
}

impl Drop for Salt {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Salt(..)")
    }
}

/// One node's part of one bid: `own` is `x_i`, `next` is `x_{i+1}`, each
/// `4K` ring values in the share layout, and the bundle's salt. Secret: its
/// `Debug` shows only the size, and it is never logged. On the wire each
/// component is the big-endian bytes of its values, in hex, and the salt 64
/// hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareBundle {
    /// Component `x_i` of every value.
    pub own: Vec<u64>,
    /// Component `x_{i+1}` of every value.
    pub next: Vec<u64>,
    /// The salt of this bundle's commitment.
    pub salt: Salt,
}

impl Drop for ShareBundle {
    fn drop(&mut self) {
        self.own.zeroize();
        self.next.zeroize();
    }
}

impl fmt::Debug for ShareBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ShareBundle({} + {} values)",
            self.own.len(),
            self.next.len()
        )
    }
}

/// Big-endian bytes of a component.
pub fn component_bytes(values: &[u64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn component_from_hex(field: &'static str, s: &str) -> Result<Vec<u64>, WireError> {
    let bytes = lower_hex(field, s)?;
    if bytes.len() % 8 != 0 {
        return Err(WireError::Hex {
            field,
            reason: format!(
                "{} bytes is not a whole number of 8-byte values",
                bytes.len()
            ),
        });
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareBundleHex {
    own: String,
    next: String,
    salt: String,
}

impl Serialize for ShareBundle {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ShareBundleHex {
            own: hex::encode(component_bytes(&self.own)),
            next: hex::encode(component_bytes(&self.next)),
            salt: hex::encode(self.salt.0),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ShareBundle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let h = ShareBundleHex::deserialize(d)?;
        Ok(ShareBundle {
            own: component_from_hex("bundle.own", &h.own).map_err(serde::de::Error::custom)?,
            next: component_from_hex("bundle.next", &h.next).map_err(serde::de::Error::custom)?,
            salt: Salt(fixed_hex("bundle.salt", &h.salt).map_err(serde::de::Error::custom)?),
        })
    }
}

impl ShareBundle {
    /// The hiding commitment the bidder signs for node `node`:
    /// `SHA-256(TAG_COMMITMENT || node u8 || salt || count u32be || own ||
    /// next)`. Only the holder of the salt, node `node`, can check it; to the
    /// other two nodes it is a hash keyed by 256 bits they never see.
    pub fn commitment(&self, node: PartyId) -> Digest {
        let mut h = Sha256::new();
        h.update(TAG_COMMITMENT);
        h.update([u8::from(node)]);
        h.update(self.salt.0);
        h.update((self.own.len() as u32).to_be_bytes());
        for v in self.own.iter().chain(&self.next) {
            h.update(v.to_be_bytes());
        }
        Digest(h.finalize().into())
    }

    /// Checks there are exactly `4K` values in each component.
    pub fn check_shape(&self, k: u32) -> Result<(), WireError> {
        let expected = value_count(k as usize);
        for (component, v) in [("own", &self.own), ("next", &self.next)] {
            if v.len() != expected {
                return Err(WireError::Shape {
                    component,
                    got: v.len(),
                    expected,
                    k,
                });
            }
        }
        Ok(())
    }
}

/// The digest two nodes compare to check that they hold the same copy of a
/// replicated component: `SHA-256(TAG_COMPONENT || bidder || version ||
/// component index u8 || values)`. Unsalted, and safe only because of who
/// sees it: it is sent to the one other node that holds the same component,
/// which could compute it itself, and is not stored. To the third node it
/// would be a test of guesses of the missing component, so it must never go
/// there nor into the published bundle; a node that logs its peer messages
/// at trace level keeps it in a log as private as its database.
pub fn component_digest(
    bidder: &BidderId,
    version: Version,
    component: u8,
    values: &[u64],
) -> Digest {
    let mut h = Sha256::new();
    h.update(TAG_COMPONENT);
    put_str(&mut h, &bidder.0);
    h.update(version.to_be_bytes());
    h.update([component]);
    for v in values {
        h.update(v.to_be_bytes());
    }
    Digest(h.finalize().into())
}
