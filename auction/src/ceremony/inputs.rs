//! What the adapter hands the ceremony from outside: the bids it holds with
//! the digests of the components it shares with each peer, a summary of its
//! bidder registry, a fresh seed value, the keys that check the outcome.

use super::messages::ListEntry;
use super::shared_component;
use crate::BidderId;
use crate::wire::Version;
use crate::wire::{BidSetEntry, Digest, ShareBundle, Sig, component_digest};
use ed25519_dalek::VerifyingKey;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use shares::PartyId;
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroize;

/// One bid version this node holds: what the bidder signed, and the
/// [`component_digest`] of each of the node's two components. The digests
/// go to the one peer that holds the same component and nowhere else: they
/// are never logged (opaque `Debug`), stored or kept in a state.
#[derive(Clone, PartialEq, Eq)]
pub struct HeldBid {
    /// The bidder.
    pub bidder: BidderId,
    /// The version.
    pub version: Version,
    /// The three bundle commitments the bidder signed.
    pub commitments: [Digest; 3],
    /// The bidder's signature.
    pub signature: Sig,
    /// Digest of component `me`, which the predecessor also holds.
    pub own_digest: Digest,
    /// Digest of component `me + 1`, which the successor also holds.
    pub next_digest: Digest,
}

impl HeldBid {
    /// The held version with the digests of node `me`'s two components of
    /// `bundle` (`own` is component `me`, `next` component `me + 1`).
    pub fn new(
        me: PartyId,
        bidder: BidderId,
        version: Version,
        commitments: [Digest; 3],
        signature: Sig,
        bundle: &ShareBundle,
    ) -> HeldBid {
        let digest =
            |c: PartyId, values: &[u64]| component_digest(&bidder, version, u8::from(c), values);
        HeldBid {
            own_digest: digest(me, &bundle.own),
            next_digest: digest(me.next(), &bundle.next),
            bidder: bidder.clone(),
            version,
            commitments,
            signature,
        }
    }

    /// The digest of the component node `me` holds in common with `peer`.
    pub fn shared_with(&self, me: PartyId, peer: PartyId) -> Digest {
        if shared_component(me, peer) == me {
            self.own_digest
        } else {
            self.next_digest
        }
    }
}

impl fmt::Debug for HeldBid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeldBid({} version {})", self.bidder, self.version)
    }
}

/// Every bid version this node holds, by bidder then version. Fixed from
/// the close on, so an adapter reads it once from its store and keeps it in
/// memory; it is not part of the record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeldBids(BTreeMap<(BidderId, Version), HeldBid>);

impl HeldBids {
    /// The versions held; a repeated (bidder, version) keeps the last.
    pub fn new(bids: impl IntoIterator<Item = HeldBid>) -> HeldBids {
        HeldBids(
            bids.into_iter()
                .map(|b| ((b.bidder.clone(), b.version), b))
                .collect(),
        )
    }

    /// The versions, by bidder then version.
    pub fn iter(&self) -> impl Iterator<Item = &HeldBid> {
        self.0.values()
    }

    /// One version, if held.
    pub fn get(&self, bidder: &BidderId, version: Version) -> Option<&HeldBid> {
        self.0.get(&(bidder.clone(), version))
    }

    /// The list node `me` sends to `peer`: each version with the digest of
    /// the component the two hold in common (never one `peer` lacks).
    pub fn list_for(&self, me: PartyId, peer: PartyId) -> Vec<ListEntry> {
        self.iter()
            .map(|h| ListEntry {
                bid: BidSetEntry {
                    bidder: h.bidder.clone(),
                    version: h.version,
                    commitments: h.commitments,
                    signature: Some(h.signature),
                },
                common: h.shared_with(me, peer),
            })
            .collect()
    }
}

/// A node's bidder registry as the nodes compare it at the close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySummary {
    /// [`crate::wire::registry_digest`] of the registry.
    pub digest: Digest,
    /// How many bidders it holds.
    pub registered: u64,
}

impl RegistrySummary {
    /// The summary of `bidders`.
    pub fn of(bidders: &BTreeMap<BidderId, VerifyingKey>) -> RegistrySummary {
        RegistrySummary {
            digest: crate::wire::registry_digest(bidders),
            registered: bidders.len() as u64,
        }
    }
}

/// This node's contribution to the seed: drawn by the adapter when the bid
/// set is agreed, committed to, and revealed only once all three
/// commitments are held. Secret until then: opaque `Debug`, wiped on drop.
/// Serialized (as hex) only inside the node's own record.
#[derive(Clone, PartialEq, Eq)]
pub struct SeedValue([u8; 32]);

impl SeedValue {
    /// A value of the given bytes.
    pub fn new(bytes: [u8; 32]) -> SeedValue {
        SeedValue(bytes)
    }

    /// A fresh random value.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> SeedValue {
        let mut v = [0u8; 32];
        rng.fill_bytes(&mut v);
        SeedValue(v)
    }

    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for SeedValue {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SeedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeedValue(..)")
    }
}

impl Serialize for SeedValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Digest(self.0).serialize(s)
    }
}

impl<'de> Deserialize<'de> for SeedValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SeedValue(Digest::deserialize(d)?.0))
    }
}

/// The public keys that check the outcome: the three nodes' (index order)
/// and the bidder registry frozen at the bid-list check.
#[derive(Clone, Copy, Debug)]
pub struct PublicKeys<'a> {
    /// The auction's parameters (the outcome is checked against them).
    pub params: &'a crate::AuctionParams,
    /// The nodes' outcome-signing keys.
    pub nodes: &'a [VerifyingKey; 3],
    /// The registered bidders.
    pub bidders: &'a BTreeMap<BidderId, VerifyingKey>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signature;

    fn bundle(own: u64, next: u64) -> ShareBundle {
        ShareBundle {
            own: vec![own; 4],
            next: vec![next; 4],
            salt: crate::wire::Salt([9; 32]),
        }
    }

    #[test]
    fn each_peer_gets_the_digest_of_the_component_it_holds() {
        let b = BidderId("b".into());
        let sig = Sig(Signature::from_bytes(&[0; 64]));
        let p = |i| PartyId::new(i).unwrap();
        // Node 1 holds components 1 (own) and 2 (next): component 1 with
        // node 0, component 2 with node 2.
        let h = HeldBid::new(
            p(1),
            b.clone(),
            Version(3),
            [Digest([1; 32]); 3],
            sig,
            &bundle(11, 22),
        );
        assert_eq!(
            h.shared_with(p(1), p(0)),
            component_digest(&b, Version(3), 1, &[11; 4])
        );
        assert_eq!(
            h.shared_with(p(1), p(2)),
            component_digest(&b, Version(3), 2, &[22; 4])
        );
        let held = HeldBids::new([h.clone()]);
        assert_eq!(held.list_for(p(1), p(2))[0].common, h.next_digest);
        assert_eq!(held.list_for(p(1), p(0))[0].common, h.own_digest);
        // The digests never show in a log.
        let shown = format!("{h:?} {held:?}");
        assert!(!shown.contains(&h.own_digest.to_hex()), "{shown}");
        assert!(!shown.contains(&h.next_digest.to_hex()), "{shown}");
    }

    #[test]
    fn seed_values_are_opaque_but_round_trip() {
        let v = SeedValue::new([7; 32]);
        assert_eq!(format!("{v:?}"), "SeedValue(..)");
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, format!("\"{}\"", "07".repeat(32)));
        assert_eq!(serde_json::from_str::<SeedValue>(&json).unwrap(), v);
    }
}
