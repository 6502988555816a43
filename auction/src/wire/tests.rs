//! Unit tests of the wire formats.

use super::*;
use crate::types::{Allocation, AuctionParams, Bid, BidderId, Outcome};
use crate::types::{Order, Price, Quantity, Volume};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use shares::PartyId;
use std::collections::BTreeMap;

const P0: PartyId = PartyId::ALL[0];
const P1: PartyId = PartyId::ALL[1];
const P2: PartyId = PartyId::ALL[2];

fn params() -> AuctionParams {
    AuctionParams {
        id: "beet-2008".into(),
        max_price: 100_000,
        max_quantity: 1_000_000,
        max_orders_per_side: 2,
    }
}

fn bid() -> Bid {
    Bid {
        bidder: BidderId("farmer-0001".into()),
        buy: vec![Order {
            price: Price(70_000),
            quantity: Quantity(100),
        }],
        sell: vec![
            Order {
                price: Price(90_000),
                quantity: Quantity(5),
            },
            Order {
                price: Price(95_000),
                quantity: Quantity(7),
            },
        ],
    }
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

#[test]
fn layout_interleaves_price_and_quantity_and_pads() {
    let v = layout(&bid(), 2).unwrap();
    assert_eq!(v, vec![70_000, 100, 0, 0, 90_000, 5, 95_000, 7]);
    let e = layout(&bid(), 1).unwrap_err();
    assert!(e.to_string().contains("sell side has 2 orders"), "{e}");
}

#[test]
fn submissions_verify_and_reconstruct() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let subs = prepare_submissions(&params(), &bid(), Version(3), &key(), &mut rng).unwrap();
    for (i, s) in subs.iter().enumerate() {
        let node = PartyId::ALL[i];
        assert_eq!(s.node, node);
        s.verify(&params(), node, &key().verifying_key()).unwrap();
        let json = serde_json::to_string(s).unwrap();
        let back: Submission = serde_json::from_str(&json).unwrap();
        assert_eq!(back.bundle, s.bundle);
        back.verify(&params(), node, &key().verifying_key())
            .unwrap();
        // replicated: node i's next is node i+1's own
        assert_eq!(s.bundle.next, subs[(i + 1) % 3].bundle.own);
    }
    let sum: Vec<u64> = (0..8)
        .map(|j| {
            subs[0].bundle.own[j]
                .wrapping_add(subs[1].bundle.own[j])
                .wrapping_add(subs[2].bundle.own[j])
        })
        .collect();
    assert_eq!(sum, layout(&bid(), 2).unwrap());
}

#[test]
fn every_tampering_is_caught() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let subs = prepare_submissions(&params(), &bid(), Version(3), &key(), &mut rng).unwrap();
    let vk = key().verifying_key();
    let mut s = subs[1].clone();
    s.bundle.own[0] ^= 1;
    assert_eq!(
        s.verify(&params(), P1, &vk),
        Err(WireError::CommitmentMismatch { node: P1 })
    );
    // The salt is part of what the commitment binds.
    let mut s = subs[1].clone();
    s.bundle.salt.0[0] ^= 1;
    assert_eq!(
        s.verify(&params(), P1, &vk),
        Err(WireError::CommitmentMismatch { node: P1 })
    );
    let mut s = subs[1].clone();
    s.version = Version(4);
    assert!(matches!(
        s.verify(&params(), P1, &vk),
        Err(WireError::BadSignature(_))
    ));
    assert!(matches!(
        subs[1].verify(&params(), P2, &vk),
        Err(WireError::WrongNode { .. })
    ));
    let mut s = subs[0].clone();
    s.bundle.next.pop();
    assert!(matches!(
        s.verify(&params(), P0, &vk),
        Err(WireError::Shape {
            component: "next",
            got: 7,
            ..
        })
    ));
    let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
    assert!(matches!(
        subs[0].verify(&params(), P0, &other),
        Err(WireError::BadSignature(_))
    ));
}

#[test]
fn hex_is_lower_case_only() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let subs = prepare_submissions(&params(), &bid(), Version(3), &key(), &mut rng).unwrap();
    let good = serde_json::to_value(&subs[0]).unwrap();
    for field in ["signature", "bundle.salt", "bundle.own", "commitments.0"] {
        let mut v = good.clone();
        let slot = field
            .split('.')
            .fold(&mut v, |v, k| match k.parse::<usize>() {
                Ok(i) => &mut v[i],
                Err(_) => &mut v[k],
            });
        let upper = slot.as_str().unwrap().to_uppercase();
        assert_ne!(upper, slot.as_str().unwrap(), "{field} has letters");
        *slot = upper.into();
        let e = serde_json::from_value::<Submission>(v).unwrap_err();
        assert!(e.to_string().contains("upper-case digit"), "{field}: {e}");
    }
}

#[test]
fn receipt_round_trip() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let subs = prepare_submissions(&params(), &bid(), Version(1), &key(), &mut rng).unwrap();
    let node = SigningKey::from_bytes(&[9u8; 32]);
    let r = Receipt::sign(&subs[2], Digest([1; 32]), &node);
    assert!(r.verify(&node.verifying_key()));
    let mut r2 = r.clone();
    r2.version = Version(2);
    assert!(!r2.verify(&node.verifying_key()));
}

/// A correct bundle of one bidder, signed by the nodes `keys`, and what it
/// is checked against.
fn sample_bundle(
    keys: &[SigningKey; 3],
) -> (
    OutcomeBundle,
    AuctionParams,
    BTreeMap<BidderId, VerifyingKey>,
) {
    let ah = Digest([5; 32]);
    let bidder_key = key();
    let commitments = [Digest([1; 32]); 3];
    let bid_set = vec![BidSetEntry {
        bidder: BidderId("a".into()),
        version: Version(1),
        commitments,
        signature: Some(Sig(bidder_key.sign(&bid_message(
            "x",
            &BidderId("a".into()),
            Version(1),
            &commitments,
        )))),
    }];
    let registry = BTreeMap::from([(BidderId("a".into()), bidder_key.verifying_key())]);
    let bsd = bid_set_digest(&bid_set);
    let values: [[u8; 32]; 3] = std::array::from_fn(|i| [i as u8; 32]);
    let reveals = PartyId::ALL
        .map(|p| SeedReveal {
            node: p,
            commitment: seed_commitment(&ah, &bsd, p, &values[p.index()]),
            value: Digest(values[p.index()]),
        })
        .into();
    let outcome = Outcome {
        auction: "x".into(),
        price: Some(Price(15)),
        volume: Volume(5),
        seed: seed_from_reveals(&values).to_hex(),
        allocations: vec![Allocation {
            bidder: BidderId("a".into()),
            bought: Volume(5),
            sold: Volume(5),
        }],
        excluded: vec![],
    };
    let mut b = OutcomeBundle {
        format: FORMAT,
        auction_hash: ah,
        bid_set,
        bid_set_digest: bsd,
        seed_reveals: reveals,
        outcome,
        signatures: vec![],
    };
    sign(&mut b, keys);
    let params = AuctionParams {
        id: "x".into(),
        ..params()
    };
    (b, params, registry)
}

fn sign(b: &mut OutcomeBundle, keys: &[SigningKey; 3]) {
    let m = b.message().unwrap();
    b.signatures = PartyId::ALL
        .map(|p| NodeSignature {
            node: p,
            signature: Sig(keys[p.index()].sign(&m)),
        })
        .into();
}

fn node_keys() -> [SigningKey; 3] {
    std::array::from_fn(|i| SigningKey::from_bytes(&[i as u8 + 20; 32]))
}

#[test]
fn outcome_bundle_verifies() {
    let keys = node_keys();
    let (b, params, registry) = sample_bundle(&keys);
    let trusted = Trusted {
        auction_hash: &b.auction_hash,
        params: &params,
        node_keys: keys.each_ref().map(|k| k.verifying_key()),
        bidders: &registry,
    };
    b.verify(&trusted).unwrap();
    let names: Vec<_> = b.checks(&trusted).iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "format",
            "auction_hash",
            "bid_set_digest",
            "bidder_signatures",
            "seed",
            "signatures",
            "allocations",
            "volume_sums",
            "price_range"
        ]
    );
    let json = serde_json::to_string(&b).unwrap();
    let back: OutcomeBundle = serde_json::from_str(&json).unwrap();
    back.verify(&trusted).unwrap();

    let mut bad = b.clone();
    bad.outcome.allocations[0].bought = Volume(4);
    let e = bad.verify(&trusted).unwrap_err();
    assert!(e.contains("node 0's signature does not verify"), "{e}");
    // A bidder signature from another key fails, and so does an
    // unregistered bidder.
    let other = BTreeMap::from([(
        BidderId("a".into()),
        SigningKey::from_bytes(&[8u8; 32]).verifying_key(),
    )]);
    let e = b
        .verify(&Trusted {
            bidders: &other,
            ..trusted
        })
        .unwrap_err();
    assert!(
        e.contains("the signature of bidder a over version 1"),
        "{e}"
    );
    let none = BTreeMap::new();
    let e = b
        .verify(&Trusted {
            bidders: &none,
            ..trusted
        })
        .unwrap_err();
    assert!(
        e.contains("bidder a in the bid set is not registered"),
        "{e}"
    );
    // Another auction's terms.
    let e = b
        .verify(&Trusted {
            auction_hash: &Digest([6; 32]),
            ..trusted
        })
        .unwrap_err();
    assert!(e.contains("bundle names auction file 0505"), "{e}");
}

#[test]
fn node_signatures_count_by_node_not_by_place() {
    let keys = node_keys();
    let (mut b, params, registry) = sample_bundle(&keys);
    let auction_hash = b.auction_hash;
    let trusted = Trusted {
        auction_hash: &auction_hash,
        params: &params,
        node_keys: keys.each_ref().map(|k| k.verifying_key()),
        bidders: &registry,
    };
    // The rule of `docs/wire.md`: each node's signature once, in any order.
    b.signatures.reverse();
    b.verify(&trusted).unwrap();
    // Node 0 twice and node 2 not at all fails, although there are three.
    let mut twice = b.clone();
    twice.signatures[0] = twice.signatures[2].clone();
    let e = twice.verify(&trusted).unwrap_err();
    assert!(
        e.contains("2 signatures of node 0") && e.contains("no signature of node 2"),
        "{e}"
    );
    // A signature is checked with the key of the node it names.
    let mut swapped = b.clone();
    swapped.signatures[0].node = P1;
    swapped.signatures[1].node = P2;
    let e = swapped.verify(&trusted).unwrap_err();
    assert!(e.contains("node 1's signature does not verify"), "{e}");
    let mut short = b.clone();
    short.signatures.pop();
    let e = short.verify(&trusted).unwrap_err();
    assert!(e.contains("2 signatures, expected 3"), "{e}");
}

#[test]
fn a_signed_but_malformed_outcome_fails_its_own_check() {
    let keys = node_keys();
    let (mut b, params, registry) = sample_bundle(&keys);
    let auction_hash = b.auction_hash;
    let trusted = Trusted {
        auction_hash: &auction_hash,
        params: &params,
        node_keys: keys.each_ref().map(|k| k.verifying_key()),
        bidders: &registry,
    };
    // All three nodes sign an outcome whose allocations do not sum to the
    // volume: every check of where the bundle comes from passes, the sums
    // do not.
    b.outcome.allocations[0].sold = Volume(4);
    sign(&mut b, &keys);
    let failed: Vec<_> = b
        .checks(&trusted)
        .into_iter()
        .filter(|c| !c.passed)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].name, "volume_sums");
    assert_eq!(
        b.verify(&trusted).unwrap_err(),
        "allocations sell 4 in all, the volume is 5"
    );
}
