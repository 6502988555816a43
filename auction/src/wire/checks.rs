//! The checks of a published outcome bundle, each reported on its own with
//! what it found. The node checks the bundle it is about to publish, the
//! bidder the bundle it fetched, the auditor the bundle it is shown: all
//! three run these same checks, [`OutcomeBundle::verify`] as a yes or no
//! with the first failure, the auditor as a report of every check.
//!
//! | check | what |
//! | --- | --- |
//! | `format` | the bundle's format is the one this code reads |
//! | `auction_hash` | the bundle is for the trusted auction terms (their hash) and auction id |
//! | `bid_set_digest` | the digest is the digest of the listed bid set; the set is in bidder-id order, without repeats, of registered bidders |
//! | `bidder_signatures` | every bid of the set carries its bidder's signature over its version and commitments, verified with the registered key |
//! | `seed` | three reveals in node order; each node's revealed value opens its commitment; the seed is the hash of the three |
//! | `signatures` | one signature of each node, in any order, each verified with that node's key over the one outcome in the bundle; three in all |
//! | `allocations` | one allocation per bid of the set that is not excluded, in bidder-id order; exclusions name registered bidders once, with a reason |
//! | `volume_sums` | bought and sold each sum to the volume |
//! | `price_range` | the price is in `0..=max_price`; no price exactly when the volume is zero and no allocation is positive; no bidder trades more than K x `max_quantity` |
//!
//! The first six ([`OutcomeBundle::provenance_checks`]) say whether the
//! bundle is what the three nodes signed for this auction, this bid set
//! and this seed; the last three ([`OutcomeBundle::outcome_checks`]) whether
//! the outcome they signed is well-formed for the auction's terms. The
//! wording of every failure is the auditor's report (and the page's,
//! `nodes/web/audit.js`, word for word).

use super::{Digest, FORMAT, OutcomeBundle, bid_set_digest, seed_commitment, seed_from_reveals};
use crate::types::{AuctionParams, BidderId};
use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use shares::PartyId;
use std::collections::{BTreeMap, BTreeSet};

/// What a bundle is checked against: the auction's terms (their hash), its
/// parameters, the nodes' keys and the bidder registry, as the checker holds
/// them from the auction file.
#[derive(Clone, Copy, Debug)]
pub struct Trusted<'a> {
    /// The hash of the auction's terms ([`crate::auction_file::terms_message`]).
    pub auction_hash: &'a Digest,
    /// The auction's parameters.
    pub params: &'a AuctionParams,
    /// The nodes' outcome keys, in node order.
    pub node_keys: [VerifyingKey; 3],
    /// The registered bidders and their keys.
    pub bidders: &'a BTreeMap<BidderId, VerifyingKey>,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The check's stable name (see the module table).
    pub name: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// What was found: the failures, or a short summary.
    pub detail: String,
}

/// Failures listed in one check before the rest are counted.
const LISTED: usize = 5;

impl Check {
    /// The check `name`: passed when there are no `failures`, and then
    /// described by `summary`; otherwise described by the failures.
    pub fn new(name: &'static str, failures: Vec<String>, summary: impl Into<String>) -> Check {
        let passed = failures.is_empty();
        Check {
            name,
            passed,
            detail: if passed {
                summary.into()
            } else {
                failures.join("; ")
            },
        }
    }

    /// As [`Check::new`], listing at most five failures and how many more.
    pub fn capped(
        name: &'static str,
        mut failures: Vec<String>,
        summary: impl Into<String>,
    ) -> Check {
        if failures.len() > LISTED {
            let more = failures.len() - LISTED;
            failures.truncate(LISTED);
            failures.push(format!("and {more} more"));
        }
        Check::new(name, failures, summary)
    }
}

impl OutcomeBundle {
    /// Every check of the module table, in its order.
    pub fn checks(&self, t: &Trusted<'_>) -> Vec<Check> {
        let mut checks = self.provenance_checks(t);
        checks.extend(self.outcome_checks(t));
        checks
    }

    /// `Ok` when every check passes; otherwise the findings of the first
    /// check that fails.
    pub fn verify(&self, t: &Trusted<'_>) -> Result<(), String> {
        match self.checks(t).into_iter().find(|c| !c.passed) {
            None => Ok(()),
            Some(c) => Err(c.detail),
        }
    }

    /// Whether this is what the three nodes signed for the trusted auction:
    /// `format`, `auction_hash`, `bid_set_digest`, `bidder_signatures`,
    /// `seed`, `signatures`.
    pub fn provenance_checks(&self, t: &Trusted<'_>) -> Vec<Check> {
        vec![
            self.check_format(),
            self.check_auction_hash(t),
            self.check_bid_set_digest(t),
            self.check_bidder_signatures(t),
            self.check_seed(),
            self.check_signatures(t),
        ]
    }

    /// Whether the signed outcome is well-formed for the auction's terms:
    /// `allocations`, `volume_sums`, `price_range`.
    pub fn outcome_checks(&self, t: &Trusted<'_>) -> Vec<Check> {
        vec![
            self.check_allocations(t),
            self.check_volume_sums(),
            self.check_price_range(t),
        ]
    }

    fn check_format(&self) -> Check {
        let f = if self.format == FORMAT {
            vec![]
        } else {
            vec![format!(
                "format {} (this auditor reads {FORMAT})",
                self.format
            )]
        };
        Check::new("format", f, format!("format {FORMAT}"))
    }

    fn check_auction_hash(&self, t: &Trusted<'_>) -> Check {
        let mut f = vec![];
        if self.auction_hash != *t.auction_hash {
            f.push(format!(
                "bundle names auction file {}, the given file hashes to {}",
                self.auction_hash, t.auction_hash
            ));
        }
        if self.outcome.auction != t.params.id {
            f.push(format!(
                "outcome is for auction {:?}, the auction file is {:?}",
                self.outcome.auction, t.params.id
            ));
        }
        Check::new("auction_hash", f, t.auction_hash.to_hex())
    }

    fn check_bid_set_digest(&self, t: &Trusted<'_>) -> Check {
        let mut f = vec![];
        let computed = bid_set_digest(&self.bid_set);
        if computed != self.bid_set_digest {
            f.push(format!(
                "the listed bid set hashes to {computed}, the bundle states {}",
                self.bid_set_digest
            ));
        }
        for w in self.bid_set.windows(2) {
            if w[0].bidder >= w[1].bidder {
                f.push(format!(
                    "bid set not in strict bidder-id order at {} / {}",
                    w[0].bidder, w[1].bidder
                ));
            }
        }
        for e in &self.bid_set {
            if !t.bidders.contains_key(&e.bidder) {
                f.push(format!(
                    "bidder {} in the bid set is not registered",
                    e.bidder
                ));
            }
        }
        Check::capped(
            "bid_set_digest",
            f,
            format!(
                "{} bids, digest {}",
                self.bid_set.len(),
                self.bid_set_digest
            ),
        )
    }

    fn check_bidder_signatures(&self, t: &Trusted<'_>) -> Check {
        let f = self
            .bid_set
            .iter()
            .filter_map(|e| match t.bidders.get(&e.bidder) {
                None => Some(format!(
                    "bidder {} in the bid set is not registered",
                    e.bidder
                )),
                Some(key) => e.verify(&self.outcome.auction, key).err(),
            })
            .collect();
        Check::capped(
            "bidder_signatures",
            f,
            format!(
                "{} bids signed by their registered bidders",
                self.bid_set.len()
            ),
        )
    }

    fn check_seed(&self) -> Check {
        let mut f = vec![];
        if self.seed_reveals.len() != 3 {
            f.push(format!(
                "{} seed reveals, expected 3",
                self.seed_reveals.len()
            ));
        } else {
            let mut values = [[0u8; 32]; 3];
            for (i, r) in self.seed_reveals.iter().enumerate() {
                if r.node.index() != i {
                    f.push(format!("seed reveal {i} is from node {}", r.node.index()));
                } else if seed_commitment(
                    &self.auction_hash,
                    &self.bid_set_digest,
                    r.node,
                    &r.value.0,
                ) != r.commitment
                {
                    f.push(format!(
                        "node {i}'s revealed value does not open its commitment"
                    ));
                }
                values[i] = r.value.0;
            }
            let seed = seed_from_reveals(&values).to_hex();
            if seed != self.outcome.seed {
                f.push(format!(
                    "the seed {} is not SHA-256 of the revealed values ({seed})",
                    self.outcome.seed
                ));
            }
        }
        Check::new("seed", f, format!("seed {}", self.outcome.seed))
    }

    fn check_signatures(&self, t: &Trusted<'_>) -> Check {
        let mut f = vec![];
        match self.message() {
            Err(e) => f.push(format!("the outcome cannot be encoded for signing: {e}")),
            Ok(m) => {
                for node in PartyId::ALL {
                    let i = node.index();
                    let sigs: Vec<_> = self.signatures.iter().filter(|s| s.node == node).collect();
                    match sigs.as_slice() {
                        [] => f.push(format!("no signature of node {i}")),
                        [s] => {
                            if t.node_keys[i].verify_strict(&m, &s.signature.0).is_err() {
                                f.push(format!(
                                    "node {i}'s signature does not verify over this outcome"
                                ));
                            }
                        }
                        _ => f.push(format!("{} signatures of node {i}", sigs.len())),
                    }
                }
                if self.signatures.len() != 3 {
                    f.push(format!("{} signatures, expected 3", self.signatures.len()));
                }
            }
        }
        Check::new("signatures", f, "nodes 0, 1 and 2 signed this outcome")
    }

    fn check_allocations(&self, t: &Trusted<'_>) -> Check {
        let o = &self.outcome;
        let mut f = vec![];
        let in_set: BTreeSet<&BidderId> = self.bid_set.iter().map(|e| &e.bidder).collect();
        let mut excluded: BTreeSet<&BidderId> = BTreeSet::new();
        for e in &o.excluded {
            if !excluded.insert(&e.bidder) {
                f.push(format!("bidder {} is excluded twice", e.bidder));
            }
            if !t.bidders.contains_key(&e.bidder) {
                f.push(format!("excluded bidder {} is not registered", e.bidder));
            }
            if e.reason.trim().is_empty() {
                f.push(format!("bidder {} is excluded without a reason", e.bidder));
            }
        }
        for w in o.allocations.windows(2) {
            if w[0].bidder >= w[1].bidder {
                f.push(format!(
                    "allocations not in strict bidder-id order at {} / {}",
                    w[0].bidder, w[1].bidder
                ));
            }
        }
        let allocated: BTreeSet<&BidderId> = o.allocations.iter().map(|a| &a.bidder).collect();
        for a in &allocated {
            if !in_set.contains(a) {
                f.push(format!(
                    "bidder {a} has an allocation but no bid in the set"
                ));
            } else if excluded.contains(a) {
                f.push(format!("bidder {a} has an allocation but is excluded"));
            }
        }
        for s in &in_set {
            if !allocated.contains(s) && !excluded.contains(s) {
                f.push(format!(
                    "bidder {s}'s bid is in the set but has neither an allocation nor an exclusion"
                ));
            }
        }
        Check::capped(
            "allocations",
            f,
            format!(
                "{} allocations, {} exclusions",
                o.allocations.len(),
                o.excluded.len()
            ),
        )
    }

    /// The sums of the allocations' purchases and sales (wider than a
    /// volume, so that no sum of a bundle can overflow).
    fn traded(&self) -> (u128, u128) {
        let a = &self.outcome.allocations;
        (
            a.iter().map(|a| a.bought.0 as u128).sum(),
            a.iter().map(|a| a.sold.0 as u128).sum(),
        )
    }

    fn check_volume_sums(&self) -> Check {
        let volume = self.outcome.volume;
        let (bought, sold) = self.traded();
        let mut f = vec![];
        if bought != volume.0 as u128 {
            f.push(format!(
                "allocations buy {bought} in all, the volume is {volume}"
            ));
        }
        if sold != volume.0 as u128 {
            f.push(format!(
                "allocations sell {sold} in all, the volume is {volume}"
            ));
        }
        Check::new(
            "volume_sums",
            f,
            format!("bought = sold = volume = {volume}"),
        )
    }

    fn check_price_range(&self, t: &Trusted<'_>) -> Check {
        let o = &self.outcome;
        let params = t.params;
        let (bought, sold) = self.traded();
        let mut f = vec![];
        match o.price {
            Some(p) if p.0 > params.max_price => {
                f.push(format!("price {p} is above max_price {}", params.max_price))
            }
            Some(_) if o.volume.0 == 0 => {
                f.push("a price is published but the volume is zero".into())
            }
            None if o.volume.0 != 0 => f.push(format!("no price but volume {}", o.volume)),
            None if bought + sold > 0 => f.push("no price but positive allocations".into()),
            _ => {}
        }
        let per_side = params.max_orders_per_side as u64 * params.max_quantity as u64;
        for a in &o.allocations {
            if a.bought.0 > per_side || a.sold.0 > per_side {
                f.push(format!(
                    "bidder {} trades more than K x max_quantity = {per_side}",
                    a.bidder
                ));
            }
        }
        Check::capped(
            "price_range",
            f,
            match o.price {
                Some(p) => format!("{p} in 0..={}", params.max_price),
                None => "no trade, nothing allocated".into(),
            },
        )
    }
}
