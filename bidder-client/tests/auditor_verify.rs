//! `auditor verify` on a bundle file: a bundle signed by three known node
//! keys over the reference outcome of a small market passes (exit 0); each
//! tampering fails (exit 1) naming the failed check; unreadable input is
//! exit 3 (2 is a usage error). The end-to-end run against real nodes is in the root package's
//! `tests/demo_flow.rs` and `tests/bidder_submit.rs`.

use auction::reference::clear_market;
use auction::wire::{
    BidSetEntry, Digest, FORMAT, NodeSignature, OutcomeBundle, SeedReveal, Sig, Version,
    bid_message, bid_set_digest, seed_commitment, seed_from_reveals,
};
use auction::{AuctionParams, BidderId, MarketFile, RawBid, RawOrder};
use ed25519_dalek::{Signer, SigningKey};
use shares::PartyId;
use std::path::Path;
use std::process::Command;

const AUDITOR: &str = env!("CARGO_BIN_EXE_auditor");

fn order(price: i128, quantity: i128) -> RawOrder {
    RawOrder { price, quantity }
}

struct Case {
    dir: tempfile::TempDir,
    bundle: OutcomeBundle,
    keys: Vec<SigningKey>,
}

fn case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let params = AuctionParams {
        id: "t".into(),
        max_price: 100,
        max_quantity: 50,
        max_orders_per_side: 2,
    };
    let keys: Vec<SigningKey> = (0..3)
        .map(|i| SigningKey::from_bytes(&[i + 40; 32]))
        .collect();
    let bidders = ["b1", "b2", "s1", "x-bad"];
    let nodes: Vec<_> = (0..3)
        .map(|i| {
            serde_json::json!({"index": i, "api": format!("127.0.0.{}:1{i}", i + 1),
                "peer": format!("127.0.0.{}:2{i}", i + 1),
                "public_key": hex::encode(keys[i].verifying_key().as_bytes()),
                "cert_fingerprint": "11".repeat(32)})
        })
        .collect();
    let reg: Vec<_> = bidders
        .iter()
        .enumerate()
        .map(|(i, b)| serde_json::json!({"id": b, "public_key": hex::encode(bidder_key(i).verifying_key().as_bytes())}))
        .collect();
    let file = serde_json::json!({"auction": params, "open_unix": 1, "close_unix": 2, "nodes": nodes, "bidders": reg});
    let bytes = serde_json::to_vec_pretty(&file).unwrap();
    std::fs::write(dir.path().join("auction.json"), &bytes).unwrap();
    let auction_hash = auction::auction_file::AuctionInfo::from_bytes(&bytes)
        .unwrap()
        .hash;

    let bid_set: Vec<BidSetEntry> = bidders
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let bidder = BidderId(b.to_string());
            let commitments = [Digest([i as u8; 32]); 3];
            let m = bid_message("t", &bidder, Version(1), &commitments);
            BidSetEntry {
                bidder,
                version: Version(1),
                commitments,
                signature: Some(Sig(bidder_key(i).sign(&m))),
            }
        })
        .collect();
    let bsd = bid_set_digest(&bid_set);
    let values: [[u8; 32]; 3] = std::array::from_fn(|i| [i as u8 + 7; 32]);
    let seed = seed_from_reveals(&values);
    let market = MarketFile {
        auction: params,
        seed,
        bids: vec![
            RawBid {
                bidder: BidderId("b1".into()),
                buy: vec![order(20, 4)],
                sell: vec![],
            },
            RawBid {
                bidder: BidderId("b2".into()),
                buy: vec![order(20, 4)],
                sell: vec![],
            },
            RawBid {
                bidder: BidderId("s1".into()),
                buy: vec![],
                sell: vec![order(10, 5)],
            },
            RawBid {
                bidder: BidderId("x-bad".into()),
                buy: vec![order(101, 1)],
                sell: vec![],
            },
        ],
    };
    std::fs::write(dir.path().join("market.json"), market.to_json()).unwrap();
    let outcome = clear_market(&market);
    let mut bundle = OutcomeBundle {
        format: FORMAT,
        auction_hash,
        bid_set,
        bid_set_digest: bsd,
        seed_reveals: PartyId::ALL
            .map(|p| SeedReveal {
                node: p,
                commitment: seed_commitment(&auction_hash, &bsd, p, &values[p.index()]),
                value: Digest(values[p.index()]),
            })
            .into(),
        outcome,
        signatures: vec![],
    };
    sign(&mut bundle, &keys);
    Case { dir, bundle, keys }
}

fn bidder_key(i: usize) -> SigningKey {
    SigningKey::from_bytes(&[60 + i as u8; 32])
}

/// Re-seals a changed bid set as three colluding nodes could: a new bid-set
/// digest, seed commitments over it, and their signatures.
fn reseal(b: &mut OutcomeBundle, keys: &[SigningKey]) {
    b.bid_set_digest = bid_set_digest(&b.bid_set);
    for r in &mut b.seed_reveals {
        r.commitment = seed_commitment(&b.auction_hash, &b.bid_set_digest, r.node, &r.value.0);
    }
    sign(b, keys);
}

fn sign(b: &mut OutcomeBundle, keys: &[SigningKey]) {
    let m = b.message().unwrap();
    b.signatures = PartyId::ALL
        .map(|p| NodeSignature {
            node: p,
            signature: Sig(keys[p.index()].sign(&m)),
        })
        .into();
}

fn audit(dir: &Path, b: &OutcomeBundle, plaintext: bool) -> (i32, String) {
    std::fs::write(dir.join("bundle.json"), serde_json::to_vec(b).unwrap()).unwrap();
    let mut c = Command::new(AUDITOR);
    c.args([
        "verify",
        "--bundle",
        "bundle.json",
        "--auction",
        "auction.json",
    ])
    .current_dir(dir);
    if plaintext {
        c.args(["--plaintext", "market.json"]);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_correct_bundle_passes_and_each_tampering_fails() {
    let c = case();
    let d = c.dir.path();
    assert_eq!(c.bundle.outcome.excluded[0].reason, "invalid bid");
    let (code, out) = audit(d, &c.bundle, true);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PASS  plaintext")
            && out.contains("PASS  bidder_signatures")
            && out.contains("verdict: PASS (10 checks)"),
        "{out}"
    );

    // A wrong outcome that all three nodes signed: only the recomputation
    // from plaintext catches it.
    let mut b = c.bundle.clone();
    b.outcome.price = Some(auction::Price(b.outcome.price.unwrap().0 - 1));
    sign(&mut b, &c.keys);
    let (code, out) = audit(d, &b, false);
    assert_eq!(code, 0, "{out}");
    let (code, out) = audit(d, &b, true);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  plaintext") && out.contains("reference price"),
        "{out}"
    );

    // Shifting volume between two buyers keeps the sums: signatures catch it.
    let mut b = c.bundle.clone();
    b.outcome.allocations[0].bought.0 += 1;
    b.outcome.allocations[1].bought.0 -= 1;
    let (code, out) = audit(d, &b, false);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  signatures") && out.contains("verdict: FAIL (1 of 9"),
        "{out}"
    );

    // A bid the bidder never signed, though all three nodes vouch for it:
    // a bid set entry re-signed with another key, or with no signature.
    let mut b = c.bundle.clone();
    let e = &mut b.bid_set[1];
    let m = bid_message("t", &e.bidder, e.version, &e.commitments);
    e.signature = Some(Sig(bidder_key(7).sign(&m)));
    reseal(&mut b, &c.keys);
    let (code, out) = audit(d, &b, false);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  bidder_signatures")
            && out.contains("the signature of bidder b2 over version 1 does not verify")
            && out.contains("verdict: FAIL (1 of 9"),
        "{out}"
    );
    let mut b = c.bundle.clone();
    b.bid_set[2].signature = None;
    reseal(&mut b, &c.keys);
    let (code, out) = audit(d, &b, false);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  bidder_signatures")
            && out.contains("bidder s1 version 1: no bidder signature")
            && out.contains("verdict: FAIL (1 of 9"),
        "{out}"
    );
    // A version the bidder signed, but another version number published.
    let mut b = c.bundle.clone();
    b.bid_set[0].version = Version(2);
    reseal(&mut b, &c.keys);
    let (code, out) = audit(d, &b, false);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  bidder_signatures"), "{out}");

    // A dropped exclusion.
    let mut b = c.bundle.clone();
    b.outcome.excluded.clear();
    sign(&mut b, &c.keys);
    let (code, out) = audit(d, &b, false);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("x-bad's bid is in the set but has neither"),
        "{out}"
    );

    // A revealed seed value that does not open its commitment.
    let mut b = c.bundle.clone();
    b.seed_reveals[2].value.0[0] ^= 1;
    let (code, out) = audit(d, &b, false);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("node 2's revealed value does not open"),
        "{out}"
    );

    // The node signatures count by the node each names, not by their place
    // (auction/docs/wire.md): reversed, the bundle still passes.
    let mut b = c.bundle.clone();
    b.signatures.reverse();
    let (code, out) = audit(d, &b, false);
    assert_eq!(code, 0, "{out}");

    // A node index other than 0, 1 or 2 does not read as a node: the file is
    // not an outcome bundle, so there is no verdict (it used to be read, and
    // fail the signature check).
    let mut v = serde_json::to_value(&c.bundle).unwrap();
    v["signatures"][2]["node"] = 3.into();
    std::fs::write(d.join("bundle.json"), v.to_string()).unwrap();
    let out = Command::new(AUDITOR)
        .args([
            "verify",
            "--bundle",
            "bundle.json",
            "--auction",
            "auction.json",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("is not an outcome bundle") && err.contains("party id 3 is not 0, 1 or 2"),
        "{err}"
    );

    // Unreadable input is not a verdict.
    std::fs::write(d.join("bundle.json"), "{").unwrap();
    let out = Command::new(AUDITOR)
        .args([
            "verify",
            "--bundle",
            "bundle.json",
            "--auction",
            "auction.json",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    // Bad arguments are clap's 2, not a verdict either.
    let out = Command::new(AUDITOR)
        .args(["verify", "--no-such-flag"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
