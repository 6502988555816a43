//! Reconciling the three bid lists into one bid set. Per bidder the set
//! takes the newest version all three nodes hold with identical commitments
//! and bidder signature; a bidder with bids but no such version is excluded
//! as missing. Each node also compares, for every bid of the set, the
//! component it holds in common with each peer: a difference is a verdict
//! that excludes the bid. Verdicts are exchanged and every reason merged per
//! bidder, so all three nodes exclude the same bids for the same reasons.

use super::error::RetryReason;
use super::inputs::{HeldBids, RegistrySummary};
use super::messages::ListEntry;
use super::{REASON_MISSING, reason_mismatch, shared_component};
use crate::wire::Version;
use crate::wire::{BidSetEntry, Digest, Sig, bid_set_digest};
use crate::{BidderId, Exclusion};
use serde::{Deserialize, Serialize};
use shares::PartyId;
use std::collections::{BTreeMap, BTreeSet};

/// One version in a peer's list, as kept: the component digest it came with
/// is compared on arrival and only the verdict is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerEntry {
    /// The version, its commitments and the bidder's signature.
    pub bid: BidSetEntry,
    /// Whether the peer's copy of the component both hold equals this
    /// node's (false when this node does not hold the version).
    pub same_component: bool,
}

/// A peer's bid list, as kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerList {
    /// The peer's registry at the close.
    pub registry: RegistrySummary,
    /// Its held versions.
    pub entries: Vec<PeerEntry>,
}

impl PeerList {
    /// Compares the list node `me` received from `from` with its own held
    /// versions, keeping the verdicts instead of the digests.
    pub(super) fn keep(
        me: PartyId,
        from: PartyId,
        registry: RegistrySummary,
        entries: Vec<ListEntry>,
        held: &HeldBids,
    ) -> PeerList {
        let entries = entries
            .into_iter()
            .map(|e| {
                let mine = held
                    .get(&e.bid.bidder, e.bid.version)
                    .map(|h| h.shared_with(me, from));
                PeerEntry {
                    same_component: mine == Some(e.common),
                    bid: e.bid,
                }
            })
            .collect();
        PeerList { registry, entries }
    }
}

/// The result of the list exchange at one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reconciled {
    /// Per bidder, the newest version all three hold with the same
    /// commitments and signature, in bidder-id order.
    pub entries: Vec<BidSetEntry>,
    /// [`bid_set_digest`] of `entries`.
    pub bid_set: Digest,
    /// Bidders with bids but no such version.
    pub missing: Vec<Exclusion>,
    /// Bids whose replicated components disagree on a pair this node is in.
    pub verdicts: Vec<Exclusion>,
}

/// The agreed bid set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreedSet {
    /// The bid set, in bidder-id order.
    pub entries: Vec<BidSetEntry>,
    /// Its digest.
    pub bid_set: Digest,
    /// Bids excluded before the computation, by bidder id, every reason
    /// any node found joined with "; ".
    pub excluded: Vec<Exclusion>,
}

/// The peers whose registry differs from this node's, if any.
pub(super) fn registries(
    me: PartyId,
    mine: RegistrySummary,
    lists: &[(PartyId, &PeerList)],
) -> Result<(), RetryReason> {
    let differing: Vec<_> = lists
        .iter()
        .filter(|(_, l)| l.registry != mine)
        .map(|(p, l)| (*p, l.registry))
        .collect();
    if differing.is_empty() {
        Ok(())
    } else {
        Err(RetryReason::RegistriesDiffer {
            me,
            mine,
            differing,
        })
    }
}

/// Reconciles node `me`'s held versions with both peers' lists (node
/// order).
pub(super) fn reconcile(
    me: PartyId,
    held: &HeldBids,
    lists: &[(PartyId, &PeerList)],
) -> Reconciled {
    // (bidder, version) -> (commitments, bidder signature) at each node.
    type Signed = ([Digest; 3], Sig);
    let mut by_bid: BTreeMap<(BidderId, Version), [Option<Signed>; 3]> = BTreeMap::new();
    let mut bidders = BTreeSet::new();
    for h in held.iter() {
        by_bid.entry((h.bidder.clone(), h.version)).or_default()[me.index()] =
            Some((h.commitments, h.signature));
        bidders.insert(h.bidder.clone());
    }
    for (p, list) in lists {
        for e in &list.entries {
            by_bid
                .entry((e.bid.bidder.clone(), e.bid.version))
                .or_default()[p.index()] = e.bid.signature.map(|s| (e.bid.commitments, s));
            bidders.insert(e.bid.bidder.clone());
        }
    }
    // Versions ascend per bidder, so the newest common one is kept.
    let mut newest: BTreeMap<BidderId, BidSetEntry> = BTreeMap::new();
    for ((bidder, version), d) in &by_bid {
        if let [Some(a), Some(b), Some(c)] = d
            && a == b
            && b == c
        {
            newest.insert(
                bidder.clone(),
                BidSetEntry {
                    bidder: bidder.clone(),
                    version: *version,
                    commitments: a.0,
                    signature: Some(a.1),
                },
            );
        }
    }
    let missing = bidders
        .iter()
        .filter(|b| !newest.contains_key(*b))
        .map(|b| Exclusion {
            bidder: b.clone(),
            reason: REASON_MISSING.to_string(),
        })
        .collect();
    let entries: Vec<BidSetEntry> = newest.into_values().collect();
    let mut verdicts = Vec::new();
    for (p, list) in lists {
        let same: BTreeMap<(&BidderId, Version), bool> = list
            .entries
            .iter()
            .map(|e| ((&e.bid.bidder, e.bid.version), e.same_component))
            .collect();
        for e in &entries {
            if same.get(&(&e.bidder, e.version)) != Some(&true) {
                verdicts.push(Exclusion {
                    bidder: e.bidder.clone(),
                    reason: reason_mismatch(shared_component(me, *p)),
                });
            }
        }
    }
    Reconciled {
        bid_set: bid_set_digest(&entries),
        entries,
        missing,
        verdicts,
    }
}

/// Every reason any node found, merged per bidder: distinct reasons in
/// order, joined with "; ".
pub(super) fn merge<'a>(exclusions: impl IntoIterator<Item = &'a Exclusion>) -> Vec<Exclusion> {
    let mut reasons: BTreeMap<BidderId, BTreeSet<String>> = BTreeMap::new();
    for e in exclusions {
        reasons
            .entry(e.bidder.clone())
            .or_default()
            .insert(e.reason.clone());
    }
    reasons
        .into_iter()
        .map(|(bidder, r)| Exclusion {
            bidder,
            reason: r.into_iter().collect::<Vec<_>>().join("; "),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceremony::HeldBid;
    use crate::wire::{Salt, ShareBundle};
    use ed25519_dalek::Signature;

    fn p(i: usize) -> PartyId {
        PartyId::new(i).unwrap()
    }

    fn sig(b: u8) -> Sig {
        Sig(Signature::from_bytes(&[b; 64]))
    }

    /// Node `me`'s held version of bidder `b`, from components `c` (a
    /// value per component index).
    fn held(me: PartyId, b: &str, version: u64, c: [u64; 3], signed: u8) -> HeldBid {
        let bundle = ShareBundle {
            own: vec![c[me.index()]; 4],
            next: vec![c[me.next().index()]; 4],
            salt: Salt([0; 32]),
        };
        let commitments = [Digest([version as u8; 32]); 3];
        HeldBid::new(
            me,
            BidderId(b.into()),
            Version(version),
            commitments,
            sig(signed),
            &bundle,
        )
    }

    /// What node `me` keeps of the list `from` sends it.
    fn list(from: PartyId, me: PartyId, bids: &[HeldBid], mine: &HeldBids) -> PeerList {
        let sent = HeldBids::new(bids.iter().cloned()).list_for(from, me);
        PeerList::keep(me, from, registry(), sent, mine)
    }

    fn registry() -> RegistrySummary {
        RegistrySummary {
            digest: Digest([4; 32]),
            registered: 2,
        }
    }

    #[test]
    fn newest_common_version_missing_and_verdicts() {
        let c = [1, 2, 3];
        // a: versions 1 and 2 everywhere, but node 2 lacks version 2.
        // b: at nodes 0 and 1 only. d: node 1's component 2 differs.
        let at = |n: usize| {
            let me = p(n);
            let mut v = vec![held(me, "a", 1, c, 1)];
            if n != 2 {
                v.push(held(me, "a", 2, c, 1));
                v.push(held(me, "b", 1, c, 1));
            }
            let dc = if n == 1 { [1, 2, 9] } else { c };
            v.push(held(me, "d", 1, dc, 1));
            v
        };
        let bids: Vec<Vec<HeldBid>> = (0..3).map(at).collect();
        let me = p(1);
        let mine = HeldBids::new(bids[1].clone());
        let l2 = list(p(2), me, &bids[2], &mine);
        let l0 = list(p(0), me, &bids[0], &mine);
        let r = reconcile(me, &mine, &[(p(0), &l0), (p(2), &l2)]);
        let got: Vec<(&str, u64)> = r
            .entries
            .iter()
            .map(|e| (e.bidder.0.as_str(), e.version.0))
            .collect();
        assert_eq!(got, [("a", 1), ("d", 1)]);
        assert_eq!(r.bid_set, bid_set_digest(&r.entries));
        assert_eq!(
            r.missing,
            [Exclusion {
                bidder: BidderId("b".into()),
                reason: REASON_MISSING.into()
            }]
        );
        // Component 2 is held by nodes 1 and 2: node 1 finds the mismatch
        // with node 2, not with node 0.
        assert_eq!(
            r.verdicts,
            [Exclusion {
                bidder: BidderId("d".into()),
                reason: "replicated share component 2 differs between node 1 and node 2".into()
            }]
        );
        // Node 0 does not hold component 2: it finds no mismatch.
        let mine0 = HeldBids::new(bids[0].clone());
        let r0 = reconcile(
            p(0),
            &mine0,
            &[
                (p(1), &list(p(1), p(0), &bids[1], &mine0)),
                (p(2), &list(p(2), p(0), &bids[2], &mine0)),
            ],
        );
        assert_eq!(r0.bid_set, r.bid_set);
        assert!(r0.verdicts.is_empty());
    }

    #[test]
    fn a_different_bidder_signature_is_not_common() {
        let c = [1, 2, 3];
        let mine = HeldBids::new([held(p(0), "a", 1, c, 1)]);
        let l1 = list(p(1), p(0), &[held(p(1), "a", 1, c, 1)], &mine);
        let l2 = list(p(2), p(0), &[held(p(2), "a", 1, c, 7)], &mine);
        let r = reconcile(p(0), &mine, &[(p(1), &l1), (p(2), &l2)]);
        assert!(r.entries.is_empty());
        assert_eq!(r.missing.len(), 1);
    }

    #[test]
    fn registries_name_every_differing_peer() {
        let other = RegistrySummary {
            digest: Digest([5; 32]),
            registered: 3,
        };
        let same = PeerList {
            registry: registry(),
            entries: vec![],
        };
        let differs = PeerList {
            registry: other,
            entries: vec![],
        };
        assert!(registries(p(0), registry(), &[(p(1), &same), (p(2), &same)]).is_ok());
        let e = registries(p(0), registry(), &[(p(1), &differs), (p(2), &differs)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "bidder registries differ at the close: node 0 has 2 bidders (registry digest {}), node 1 has 3 bidders (registry digest {}), node 2 has 3 bidders (registry digest {}); give the three nodes the same auction file (bidders can be added to it; the nodes read it again)",
                "04".repeat(32),
                "05".repeat(32),
                "05".repeat(32)
            )
        );
    }

    #[test]
    fn reasons_merge_per_bidder() {
        let x = |b: &str, r: &str| Exclusion {
            bidder: BidderId(b.into()),
            reason: r.into(),
        };
        let all = [x("b", "z"), x("a", "y"), x("b", "m"), x("b", "z")];
        assert_eq!(merge(&all), [x("a", "y"), x("b", "m; z")]);
    }
}
