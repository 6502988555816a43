//! The demo end to end on a small market: three real node processes, real
//! HTTPS and TLS peer links; the outcome equals the plaintext reference and
//! the audit passes. Then the kept bundle is tampered with in each way an
//! attacker might, and the auditor must fail with the right reason.

mod demo_common;

use auction::reference::clear_market;
use auction::wire::{OutcomeBundle, Sig, bid_set_digest};
use auction::{MarketFile, Outcome, Price, Volume};
use bidder_client::auction_file::{self, AuctionInfo};
use bidder_client::verify::{Inputs, Report, verify};
use demo_common::{demo, small_market, write_market};
use std::process::Command;

fn audit(info: &AuctionInfo, b: &OutcomeBundle, plain: Option<&MarketFile>) -> Report {
    verify(&Inputs {
        info,
        bundle: b,
        served: None,
        receipts: None,
        plaintext: plain,
    })
}

#[test]
fn demo_clears_like_the_reference_and_tampering_fails_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let market = small_market(40, 7);
    let path = write_market(dir.path(), &market);
    let out = dir.path().join("out");
    let run = Command::new(demo())
        .arg("--market")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "demo failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("verdict: PASS"), "{stdout}");
    assert!(
        stdout.contains("1 invalid bids sent as written"),
        "{stdout}"
    );

    // The outcome equals the reference over the same bids with the seed
    // the nodes drew.
    let outcome: Outcome =
        serde_json::from_slice(&std::fs::read(out.join("outcome.json")).unwrap()).unwrap();
    let mut with_seed = market.clone();
    with_seed.seed = outcome.seed.parse().unwrap();
    let reference = clear_market(&with_seed);
    assert_eq!(outcome, reference);
    assert!(outcome.volume.0 > 0, "the small market should trade");
    assert_eq!(outcome.excluded.len(), 1);
    assert_eq!(outcome.excluded[0].reason, "invalid bid");

    let bundle: OutcomeBundle =
        serde_json::from_slice(&std::fs::read(out.join("bundle.json")).unwrap()).unwrap();
    assert_eq!(bundle.outcome, outcome);
    let info = auction_file::load(&out.join("auction.json")).unwrap();
    let clean = audit(&info, &bundle, Some(&market));
    assert!(clean.passed, "{}", clean.to_text());

    // The price.
    let mut b = bundle.clone();
    b.outcome.price = Some(Price(b.outcome.price.unwrap().0 + 1));
    let r = audit(&info, &b, Some(&market));
    assert_eq!(r.failed(), ["signatures", "plaintext"], "{}", r.to_text());
    assert!(
        r.check("plaintext")
            .unwrap()
            .detail
            .contains("reference price")
    );

    // One allocation.
    let mut b = bundle.clone();
    let a = b
        .outcome
        .allocations
        .iter_mut()
        .find(|a| a.bought.0 > 0)
        .unwrap();
    a.bought = Volume(a.bought.0 - 1);
    let who = a.bidder.clone();
    let r = audit(&info, &b, Some(&market));
    assert_eq!(
        r.failed(),
        ["signatures", "volume_sums", "plaintext"],
        "{}",
        r.to_text()
    );
    assert!(r.check("plaintext").unwrap().detail.contains(&who.0));

    // One signature: only that node's is reported.
    let mut b = bundle.clone();
    let mut text = serde_json::to_string(&b.signatures[1].signature).unwrap();
    let flipped = if &text[11..12] == "0" { "1" } else { "0" };
    text.replace_range(11..12, flipped);
    b.signatures[1].signature = serde_json::from_str::<Sig>(&text).unwrap();
    let r = audit(&info, &b, None);
    assert_eq!(r.failed(), ["signatures"], "{}", r.to_text());
    let d = &r.check("signatures").unwrap().detail;
    assert!(
        d.contains("node 1") && !d.contains("node 0") && !d.contains("node 2"),
        "{d}"
    );

    // The bid set, without fixing the digest: the digest check fails.
    let mut b = bundle.clone();
    b.bid_set.remove(3);
    let r = audit(&info, &b, None);
    assert!(r.failed().contains(&"bid_set_digest"), "{}", r.to_text());
    assert!(r.failed().contains(&"allocations"), "{}", r.to_text());

    // The bid set with its digest recomputed: the signatures no longer cover it.
    let mut b = bundle.clone();
    b.bid_set[0].version = b.bid_set[0].version.next();
    b.bid_set_digest = bid_set_digest(&b.bid_set);
    let r = audit(&info, &b, None);
    assert!(r.failed().contains(&"signatures"), "{}", r.to_text());
    assert!(r.failed().contains(&"seed"), "{}", r.to_text());
    assert!(!r.failed().contains(&"bid_set_digest"), "{}", r.to_text());

    // Another auction file (a node key swapped): signatures and hash fail.
    let text = std::fs::read_to_string(out.join("auction.json")).unwrap();
    let k0 = info.nodes[0].public_key.to_hex();
    let k1 = info.nodes[1].public_key.to_hex();
    let swapped = text
        .replace(&k0, "KEY0")
        .replace(&k1, &k0)
        .replace("KEY0", &k1);
    let other = AuctionInfo::from_bytes(swapped.as_bytes()).unwrap();
    let r = audit(&other, &bundle, None);
    assert_eq!(
        r.failed(),
        ["auction_hash", "signatures"],
        "{}",
        r.to_text()
    );
}
