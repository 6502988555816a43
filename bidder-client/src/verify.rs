//! The auditor's checks of a published outcome bundle, each reported on its
//! own with what it found. The checks of the bundle against the auction
//! file are `auction::wire`'s ([`OutcomeBundle::checks`], the same the
//! nodes and the `bidder` program run); the auditor adds the ones that need
//! more than the bundle:
//!
//! | check | what |
//! | --- | --- |
//! | `format` ... `signatures` | [`OutcomeBundle::provenance_checks`]: the bundle is what the three nodes signed for this auction file |
//! | `nodes_agree` | (fetched from nodes) every node that answered serves the same bundle |
//! | `allocations`, `volume_sums`, `price_range` | [`OutcomeBundle::outcome_checks`]: the signed outcome is well-formed for the auction's terms |
//! | `receipts` | (`--receipts`) every receipt verifies; every receipted bid is in the set or excluded with a reason; a version all three nodes receipted is not passed over |
//! | `plaintext` | (`--plaintext`) the reference clearing of the handed-over bids, with the published seed, gives the published outcome |

use crate::auction_file::AuctionInfo;
use auction::reference::clear_market;
use auction::validate::validate_bid;
use auction::wire::{OutcomeBundle, Receipt, Version};
use auction::{BidderId, MarketFile, Price, Seed, Volume};
use serde::Serialize;
use shares::PartyId;
use std::collections::{BTreeMap, BTreeSet};

pub use auction::wire::Check;

/// Every check's result.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The auction id.
    pub auction: String,
    /// The price, if any.
    pub price: Option<Price>,
    /// The volume.
    pub volume: Volume,
    /// The checks in order.
    pub checks: Vec<Check>,
    /// True when every check passed.
    pub passed: bool,
}

impl Report {
    /// The check named `name`.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The names of the failed checks.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name)
            .collect()
    }

    /// A readable report.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let price = self
            .price
            .map_or("none (no trade)".to_string(), |p| p.to_string());
        let _ = writeln!(
            s,
            "auction {}: price {price}, volume {}",
            self.auction, self.volume
        );
        for c in &self.checks {
            let mark = if c.passed { "PASS" } else { "FAIL" };
            let _ = writeln!(s, "  {mark}  {:<17} {}", c.name, c.detail);
        }
        let failed = self.failed();
        if failed.is_empty() {
            let _ = writeln!(s, "verdict: PASS ({} checks)", self.checks.len());
        } else {
            let _ = writeln!(
                s,
                "verdict: FAIL ({} of {} checks failed: {})",
                failed.len(),
                self.checks.len(),
                failed.join(", ")
            );
        }
        s
    }
}

/// The nodes that served the same bundle, and the problems met with the
/// others.
pub type Served = (Vec<u8>, Vec<String>);

/// What the auditor was given.
pub struct Inputs<'a> {
    /// The auction file.
    pub info: &'a AuctionInfo,
    /// The bundle.
    pub bundle: &'a OutcomeBundle,
    /// When fetched from nodes: the nodes that served this same bundle and
    /// the problems met with the others (a differing bundle is a failure).
    pub served: Option<Served>,
    /// Receipts handed over (`--receipts`).
    pub receipts: Option<&'a [Receipt]>,
    /// Plaintext bids handed over (`--plaintext`).
    pub plaintext: Option<&'a MarketFile>,
}

/// Runs every check that the inputs allow.
pub fn verify(inp: &Inputs<'_>) -> Report {
    let b = inp.bundle;
    let trusted = inp.info.trusted();
    let mut checks = b.provenance_checks(&trusted);
    if let Some((served, problems)) = &inp.served {
        let mut f = vec![];
        if served.len() < 3 {
            f.extend(problems.iter().cloned());
            if f.is_empty() {
                f.push(format!("only nodes {served:?} answered"));
            }
        }
        checks.push(Check::new(
            "nodes_agree",
            f,
            format!("nodes {served:?} serve the same bundle"),
        ));
    }
    checks.extend(b.outcome_checks(&trusted));
    if let Some(rs) = inp.receipts {
        checks.push(check_receipts(inp.info, b, rs));
    }
    if let Some(m) = inp.plaintext {
        checks.push(check_plaintext(inp.info, b, m));
    }

    let o = &b.outcome;
    let passed = checks.iter().all(|c| c.passed);
    Report {
        auction: o.auction.clone(),
        price: o.price,
        volume: o.volume,
        checks,
        passed,
    }
}

/// The excluded bidders and the reasons given.
fn exclusions(b: &OutcomeBundle) -> BTreeMap<&BidderId, &str> {
    b.outcome
        .excluded
        .iter()
        .map(|e| (&e.bidder, e.reason.as_str()))
        .collect()
}

fn check_receipts(info: &AuctionInfo, b: &OutcomeBundle, rs: &[Receipt]) -> Check {
    let excluded = exclusions(b);
    let mut f = vec![];
    let set: BTreeMap<&BidderId, &auction::wire::BidSetEntry> =
        b.bid_set.iter().map(|e| (&e.bidder, e)).collect();
    // bidder -> version -> nodes that receipted it, with the digests.
    let mut by: BTreeMap<&BidderId, BTreeMap<Version, Vec<&Receipt>>> = BTreeMap::new();
    let mut counted = 0;
    for r in rs {
        if r.auction != info.params.id || r.auction_hash != info.hash {
            continue; // another auction's receipt
        }
        counted += 1;
        if !r.verify(&info.nodes[r.node.index()].public_key.0) {
            f.push(format!(
                "receipt of bidder {} version {} from node {} does not verify",
                r.bidder,
                r.version,
                r.node.index()
            ));
            continue;
        }
        by.entry(&r.bidder)
            .or_default()
            .entry(r.version)
            .or_default()
            .push(r);
    }
    for (bidder, versions) in &by {
        if excluded.contains_key(bidder) {
            continue;
        }
        let Some(entry) = set.get(bidder) else {
            let (v, r) = versions.iter().next_back().expect("non-empty");
            f.push(format!(
                "bidder {bidder} holds a receipt (version {v}, node {}) but its bid is neither in the set nor excluded",
                r[0].node.index()
            ));
            continue;
        };
        for (&v, rcpts) in versions {
            let nodes: BTreeSet<PartyId> = rcpts.iter().map(|r| r.node).collect();
            let same = rcpts
                .windows(2)
                .all(|w| w[0].commitments == w[1].commitments);
            if v == entry.version && rcpts.iter().any(|r| r.commitments != entry.commitments) {
                f.push(format!(
                    "bidder {bidder} version {v}: receipted commitments differ from the bid set's"
                ));
            }
            if v > entry.version && nodes.len() == 3 && same {
                f.push(format!(
                    "bidder {bidder}: all three nodes receipted version {v}, but the set holds version {}",
                    entry.version
                ));
            }
        }
    }
    Check::capped(
        "receipts",
        f,
        format!("{counted} receipts of {} bidders accounted for", by.len()),
    )
}

fn check_plaintext(info: &AuctionInfo, b: &OutcomeBundle, m: &MarketFile) -> Check {
    let o = &b.outcome;
    let mut f = vec![];
    if m.auction != info.params {
        f.push(format!(
            "the plaintext's parameters {:?} are not the auction file's {:?}",
            m.auction, info.params
        ));
        return Check::new("plaintext", f, "");
    }
    let seed: Seed = match o.seed.parse() {
        Ok(s) => s,
        Err(e) => return Check::new("plaintext", vec![format!("outcome seed: {e}")], ""),
    };
    let in_set: BTreeSet<&BidderId> = b.bid_set.iter().map(|e| &e.bidder).collect();
    let excluded = exclusions(b);
    let plain: BTreeMap<&BidderId, &auction::RawBid> =
        m.bids.iter().map(|r| (&r.bidder, r)).collect();
    let mut bids = Vec::new();
    let mut not_in_set = 0;
    for (bidder, raw) in &plain {
        if !in_set.contains(bidder) {
            not_in_set += 1;
            continue;
        }
        // A valid bid the nodes excluded before computing (not held by all
        // three alike): it did not enter the clearing.
        if excluded.contains_key(bidder) && validate_bid(&m.auction, raw).is_ok() {
            continue;
        }
        bids.push((*raw).clone());
    }
    for s in &in_set {
        if !plain.contains_key(s) && !excluded.contains_key(s) {
            f.push(format!(
                "bidder {s}'s bid is in the set but not in the plaintext"
            ));
        }
    }
    if !f.is_empty() {
        return Check::capped("plaintext", f, "");
    }
    let market = MarketFile {
        auction: m.auction.clone(),
        seed,
        bids,
    };
    let r = clear_market(&market);
    if r.price != o.price {
        f.push(format!(
            "reference price {:?}, published {:?}",
            r.price.map(|p| p.0),
            o.price.map(|p| p.0)
        ));
    }
    if r.volume != o.volume {
        f.push(format!(
            "reference volume {}, published {}",
            r.volume, o.volume
        ));
    }
    let published: BTreeMap<&BidderId, (u64, u64)> = o
        .allocations
        .iter()
        .map(|a| (&a.bidder, (a.bought.0, a.sold.0)))
        .collect();
    let reference: BTreeMap<&BidderId, (u64, u64)> = r
        .allocations
        .iter()
        .map(|a| (&a.bidder, (a.bought.0, a.sold.0)))
        .collect();
    for (bidder, want) in &reference {
        match published.get(bidder) {
            Some(got) if got == want => {}
            Some(got) => f.push(format!(
                "bidder {bidder}: reference bought {} sold {}, published bought {} sold {}",
                want.0, want.1, got.0, got.1
            )),
            None => f.push(format!(
                "bidder {bidder} has a reference allocation but none is published"
            )),
        }
    }
    for bidder in published.keys() {
        if !reference.contains_key(bidder) {
            f.push(format!(
                "bidder {bidder} has a published allocation the reference does not give"
            ));
        }
    }
    for e in &r.excluded {
        if excluded.get(&e.bidder) != Some(&e.reason.as_str()) {
            f.push(format!(
                "the reference excludes {} ({}), the outcome does not say so",
                e.bidder, e.reason
            ));
        }
    }
    let note = if not_in_set > 0 {
        format!(" ({not_in_set} plaintext bids were not in the set)")
    } else {
        String::new()
    };
    Check::capped(
        "plaintext",
        f,
        format!(
            "the reference over {} bids gives the published outcome{note}",
            market.bids.len()
        ),
    )
}
