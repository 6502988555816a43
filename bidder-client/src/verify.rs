//! The auditor's checks of a published outcome bundle, each reported on its
//! own with what it found:
//!
//! | check | what |
//! | --- | --- |
//! | `format` | the bundle's format is the one this code reads |
//! | `auction_hash` | the bundle is for this auction file (the hash of its terms) and auction id |
//! | `bid_set_digest` | the digest is the digest of the listed bid set; the set is in bidder-id order, without repeats, of registered bidders |
//! | `bidder_signatures` | every bid of the set carries its bidder's signature over its version and commitments, verified with the key the auction file registers for that bidder |
//! | `seed` | each node's revealed value opens its commitment; the seed is the hash of the three |
//! | `signatures` | all three nodes' signatures verify, with the keys of the auction file, over the one outcome in the bundle |
//! | `nodes_agree` | (fetched from nodes) every node that answered serves the same bundle |
//! | `allocations` | one allocation per bid of the set that is not excluded, in bidder-id order; exclusions name registered bidders once |
//! | `volume_sums` | bought and sold each sum to the volume |
//! | `price_range` | the price is in `0..=max_price`; no price exactly when the volume is zero and no allocation is positive |
//! | `receipts` | (`--receipts`) every receipt verifies; every receipted bid is in the set or excluded with a reason; a version all three nodes receipted is not passed over |
//! | `plaintext` | (`--plaintext`) the reference clearing of the handed-over bids, with the published seed, gives the published outcome |

use crate::auction_file::AuctionInfo;
use auction::reference::clear_market;
use auction::validate::validate_bid;
use auction::wire::{
    FORMAT, OutcomeBundle, Receipt, bid_set_digest, seed_commitment, seed_from_reveals,
};
use auction::{BidderId, MarketFile, Seed};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One check's result.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// The check's stable name (see the module table).
    pub name: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// What was found: the failures, or a short summary.
    pub detail: String,
}

/// Every check's result.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The auction id.
    pub auction: String,
    /// The price, if any.
    pub price: Option<u32>,
    /// The volume.
    pub volume: u64,
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

fn check(name: &'static str, failures: Vec<String>, summary: impl Into<String>) -> Check {
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

/// At most `n` items of a list of failures, and how many more.
fn cap(mut v: Vec<String>, n: usize) -> Vec<String> {
    if v.len() > n {
        let more = v.len() - n;
        v.truncate(n);
        v.push(format!("and {more} more"));
    }
    v
}

/// Runs every check that the inputs allow.
pub fn verify(inp: &Inputs<'_>) -> Report {
    let b = inp.bundle;
    let info = inp.info;
    let o = &b.outcome;
    let params = &info.params;
    let mut checks = Vec::new();

    checks.push(check(
        "format",
        if b.format == FORMAT {
            vec![]
        } else {
            vec![format!("format {} (this auditor reads {FORMAT})", b.format)]
        },
        format!("format {FORMAT}"),
    ));

    let mut f = vec![];
    if b.auction_hash != info.hash {
        f.push(format!(
            "bundle names auction file {}, the given file hashes to {}",
            b.auction_hash, info.hash
        ));
    }
    if o.auction != params.id {
        f.push(format!(
            "outcome is for auction {:?}, the auction file is {:?}",
            o.auction, params.id
        ));
    }
    checks.push(check("auction_hash", f, info.hash.to_hex()));

    let mut f = vec![];
    let computed = bid_set_digest(&b.bid_set);
    if computed != b.bid_set_digest {
        f.push(format!(
            "the listed bid set hashes to {computed}, the bundle states {}",
            b.bid_set_digest
        ));
    }
    for w in b.bid_set.windows(2) {
        if w[0].bidder >= w[1].bidder {
            f.push(format!(
                "bid set not in strict bidder-id order at {} / {}",
                w[0].bidder, w[1].bidder
            ));
        }
    }
    for e in &b.bid_set {
        if !info.bidders.contains_key(&e.bidder) {
            f.push(format!(
                "bidder {} in the bid set is not registered",
                e.bidder
            ));
        }
    }
    checks.push(check(
        "bid_set_digest",
        cap(f, 5),
        format!("{} bids, digest {}", b.bid_set.len(), b.bid_set_digest),
    ));

    let f = b.bidder_signature_failures(&info.bidders);
    checks.push(check(
        "bidder_signatures",
        cap(f, 5),
        format!(
            "{} bids signed by their registered bidders",
            b.bid_set.len()
        ),
    ));

    let mut f = vec![];
    if b.seed_reveals.len() != 3 {
        f.push(format!("{} seed reveals, expected 3", b.seed_reveals.len()));
    } else {
        let mut values = [[0u8; 32]; 3];
        for (i, r) in b.seed_reveals.iter().enumerate() {
            if r.node as usize != i {
                f.push(format!("seed reveal {i} is from node {}", r.node));
            } else if seed_commitment(&b.auction_hash, &b.bid_set_digest, r.node, &r.value.0)
                != r.commitment
            {
                f.push(format!(
                    "node {i}'s revealed value does not open its commitment"
                ));
            }
            values[i] = r.value.0;
        }
        let seed = hex::encode(seed_from_reveals(&values));
        if seed != o.seed {
            f.push(format!(
                "the seed {} is not SHA-256 of the revealed values ({seed})",
                o.seed
            ));
        }
    }
    checks.push(check("seed", f, format!("seed {}", o.seed)));

    let mut f = vec![];
    match b.message() {
        Err(e) => f.push(format!("the outcome cannot be encoded for signing: {e}")),
        Ok(m) => {
            let keys = info.node_keys();
            for i in 0..3u8 {
                let sigs: Vec<_> = b.signatures.iter().filter(|s| s.node == i).collect();
                match sigs.as_slice() {
                    [] => f.push(format!("no signature of node {i}")),
                    [s] => {
                        if keys[i as usize].verify_strict(&m, &s.signature.0).is_err() {
                            f.push(format!(
                                "node {i}'s signature does not verify over this outcome"
                            ));
                        }
                    }
                    _ => f.push(format!("{} signatures of node {i}", sigs.len())),
                }
            }
            if b.signatures.len() != 3 {
                f.push(format!("{} signatures, expected 3", b.signatures.len()));
            }
        }
    }
    checks.push(check(
        "signatures",
        f,
        "nodes 0, 1 and 2 signed this outcome",
    ));

    if let Some((served, problems)) = &inp.served {
        let mut f = vec![];
        if served.len() < 3 {
            f.extend(problems.iter().cloned());
            if f.is_empty() {
                f.push(format!("only nodes {served:?} answered"));
            }
        }
        checks.push(check(
            "nodes_agree",
            f,
            format!("nodes {served:?} serve the same bundle"),
        ));
    }

    let mut f = vec![];
    let in_set: BTreeSet<&BidderId> = b.bid_set.iter().map(|e| &e.bidder).collect();
    let mut excluded: BTreeMap<&BidderId, &str> = BTreeMap::new();
    for e in &o.excluded {
        if excluded.insert(&e.bidder, &e.reason).is_some() {
            f.push(format!("bidder {} is excluded twice", e.bidder));
        }
        if !info.bidders.contains_key(&e.bidder) {
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
        } else if excluded.contains_key(a) {
            f.push(format!("bidder {a} has an allocation but is excluded"));
        }
    }
    for s in &in_set {
        if !allocated.contains(s) && !excluded.contains_key(s) {
            f.push(format!(
                "bidder {s}'s bid is in the set but has neither an allocation nor an exclusion"
            ));
        }
    }
    checks.push(check(
        "allocations",
        cap(f, 5),
        format!(
            "{} allocations, {} exclusions",
            o.allocations.len(),
            o.excluded.len()
        ),
    ));

    let bought: u128 = o.allocations.iter().map(|a| a.bought.0 as u128).sum();
    let sold: u128 = o.allocations.iter().map(|a| a.sold.0 as u128).sum();
    let mut f = vec![];
    if bought != o.volume.0 as u128 {
        f.push(format!(
            "allocations buy {bought} in all, the volume is {}",
            o.volume
        ));
    }
    if sold != o.volume.0 as u128 {
        f.push(format!(
            "allocations sell {sold} in all, the volume is {}",
            o.volume
        ));
    }
    checks.push(check(
        "volume_sums",
        f,
        format!("bought = sold = volume = {}", o.volume),
    ));

    let mut f = vec![];
    match o.price {
        Some(p) if p.0 > params.max_price => {
            f.push(format!("price {p} is above max_price {}", params.max_price))
        }
        Some(_) if o.volume.0 == 0 => f.push("a price is published but the volume is zero".into()),
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
    checks.push(check(
        "price_range",
        cap(f, 5),
        match o.price {
            Some(p) => format!("{p} in 0..={}", params.max_price),
            None => "no trade, nothing allocated".into(),
        },
    ));

    if let Some(rs) = inp.receipts {
        checks.push(check_receipts(info, b, &excluded, rs));
    }
    if let Some(m) = inp.plaintext {
        checks.push(check_plaintext(info, b, m));
    }

    let passed = checks.iter().all(|c| c.passed);
    Report {
        auction: o.auction.clone(),
        price: o.price.map(|p| p.0),
        volume: o.volume.0,
        checks,
        passed,
    }
}

fn check_receipts(
    info: &AuctionInfo,
    b: &OutcomeBundle,
    excluded: &BTreeMap<&BidderId, &str>,
    rs: &[Receipt],
) -> Check {
    let mut f = vec![];
    let set: BTreeMap<&BidderId, &auction::wire::BidSetEntry> =
        b.bid_set.iter().map(|e| (&e.bidder, e)).collect();
    // bidder -> version -> nodes that receipted it, with the digests.
    let mut by: BTreeMap<&BidderId, BTreeMap<u64, Vec<&Receipt>>> = BTreeMap::new();
    let mut counted = 0;
    for r in rs {
        if r.auction != info.params.id || r.auction_hash != info.hash {
            continue; // another auction's receipt
        }
        counted += 1;
        if r.node > 2 || !r.verify(&info.nodes[r.node as usize].public_key.0) {
            f.push(format!(
                "receipt of bidder {} version {} from node {} does not verify",
                r.bidder, r.version, r.node
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
                r[0].node
            ));
            continue;
        };
        for (&v, rcpts) in versions {
            let nodes: BTreeSet<u8> = rcpts.iter().map(|r| r.node).collect();
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
    check(
        "receipts",
        cap(f, 5),
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
        return check("plaintext", f, "");
    }
    let seed: Seed = match o.seed.parse() {
        Ok(s) => s,
        Err(e) => return check("plaintext", vec![format!("outcome seed: {e}")], ""),
    };
    let in_set: BTreeSet<&BidderId> = b.bid_set.iter().map(|e| &e.bidder).collect();
    let excluded: BTreeMap<&BidderId, &str> = o
        .excluded
        .iter()
        .map(|e| (&e.bidder, e.reason.as_str()))
        .collect();
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
        return check("plaintext", cap(f, 5), "");
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
    check(
        "plaintext",
        cap(f, 5),
        format!(
            "the reference over {} bids gives the published outcome{note}",
            market.bids.len()
        ),
    )
}
