//! Every wire type, the auction file and the market file survive their own
//! encoding: `decode(encode(x)) == x` for arbitrary values, including the
//! edges of the hex forms (empty components), of the JSON
//! strings (any Unicode, control characters) and of the raw numbers of a
//! market file. `PROPTEST_CASES=N` sets the number of cases.
//!
//! The decoders are also fuzzed (`fuzz/`); the fuzzers' round-trip checks
//! start from bytes, these from values.

use auction::auction_file::{AuctionFile, AuctionInfo};
use auction::wire::{
    BidSetEntry, Digest, NodeSignature, OutcomeBundle, PublicKey, Receipt, Salt, SeedReveal,
    ShareBundle, Sig, Submission, Version,
};
use auction::{
    Allocation, AuctionParams, BidderId, Exclusion, MarketFile, Outcome, Price, RawBid, RawOrder,
    Seed, Volume,
};
use ed25519_dalek::{Signature, SigningKey};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shares::PartyId;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

fn round_trip<T: Serialize + DeserializeOwned>(x: &T) -> T {
    let text = serde_json::to_string(x).expect("encodes");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text} does not decode: {e}"))
}

fn party() -> impl Strategy<Value = PartyId> {
    (0..3usize).prop_map(|i| PartyId::ALL[i])
}

fn version() -> impl Strategy<Value = Version> {
    any::<u64>().prop_map(Version)
}

fn digest() -> impl Strategy<Value = Digest> {
    any::<[u8; 32]>().prop_map(Digest)
}

fn sig() -> impl Strategy<Value = Sig> {
    // Any 64 bytes: a signature is decoded without checking its point.
    (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(r, s)| {
        let mut b = [0u8; 64];
        b[..32].copy_from_slice(&r);
        b[32..].copy_from_slice(&s);
        Sig(Signature::from_bytes(&b))
    })
}

fn public_key() -> impl Strategy<Value = PublicKey> {
    any::<[u8; 32]>().prop_map(|s| PublicKey(SigningKey::from_bytes(&s).verifying_key()))
}

/// Any string, control characters, quotes and non-ASCII included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9-]{1,12}",
        Just(String::new()),
        Just("\"\\\u{0}\n\u{7f}\u{2028}é😀".to_string()),
    ]
}

fn bidder() -> impl Strategy<Value = BidderId> {
    text().prop_map(BidderId)
}

fn share_bundle() -> impl Strategy<Value = ShareBundle> {
    (
        vec(any::<u64>(), 0..12),
        vec(any::<u64>(), 0..12),
        any::<[u8; 32]>(),
    )
        .prop_map(|(own, next, salt)| ShareBundle {
            own,
            next,
            salt: Salt(salt),
        })
}

fn commitments() -> impl Strategy<Value = [Digest; 3]> {
    (digest(), digest(), digest()).prop_map(|(a, b, c)| [a, b, c])
}

fn submission() -> impl Strategy<Value = Submission> {
    (
        any::<u32>(),
        text(),
        bidder(),
        version(),
        party(),
        share_bundle(),
        commitments(),
        sig(),
    )
        .prop_map(
            |(format, auction, bidder, version, node, bundle, commitments, signature)| Submission {
                format,
                auction,
                bidder,
                version,
                node,
                bundle,
                commitments,
                signature,
            },
        )
}

fn receipt() -> impl Strategy<Value = Receipt> {
    (
        text(),
        digest(),
        bidder(),
        version(),
        commitments(),
        party(),
        sig(),
    )
        .prop_map(
            |(auction, auction_hash, bidder, version, commitments, node, signature)| Receipt {
                auction,
                auction_hash,
                bidder,
                version,
                commitments,
                node,
                signature,
            },
        )
}

fn bid_set_entry() -> impl Strategy<Value = BidSetEntry> {
    (
        bidder(),
        version(),
        commitments(),
        proptest::option::of(sig()),
    )
        .prop_map(|(bidder, version, commitments, signature)| BidSetEntry {
            bidder,
            version,
            commitments,
            signature,
        })
}

fn seed_reveal() -> impl Strategy<Value = SeedReveal> {
    (party(), digest(), digest()).prop_map(|(node, commitment, value)| SeedReveal {
        node,
        commitment,
        value,
    })
}

fn node_signature() -> impl Strategy<Value = NodeSignature> {
    (party(), sig()).prop_map(|(node, signature)| NodeSignature { node, signature })
}

fn outcome() -> impl Strategy<Value = Outcome> {
    let allocation = (bidder(), any::<u64>(), any::<u64>()).prop_map(|(bidder, b, s)| Allocation {
        bidder,
        bought: Volume(b),
        sold: Volume(s),
    });
    let exclusion = (bidder(), text()).prop_map(|(bidder, reason)| Exclusion { bidder, reason });
    (
        text(),
        proptest::option::of(any::<u32>().prop_map(Price)),
        any::<u64>(),
        text(),
        vec(allocation, 0..5),
        vec(exclusion, 0..4),
    )
        .prop_map(
            |(auction, price, volume, seed, allocations, excluded)| Outcome {
                auction,
                price,
                volume: Volume(volume),
                seed,
                allocations,
                excluded,
            },
        )
}

fn outcome_bundle() -> impl Strategy<Value = OutcomeBundle> {
    (
        any::<u32>(),
        digest(),
        vec(bid_set_entry(), 0..5),
        digest(),
        vec(seed_reveal(), 0..4),
        outcome(),
        vec(node_signature(), 0..4),
    )
        .prop_map(
            |(format, auction_hash, bid_set, bid_set_digest, seed_reveals, outcome, signatures)| {
                OutcomeBundle {
                    format,
                    auction_hash,
                    bid_set,
                    bid_set_digest,
                    seed_reveals,
                    outcome,
                    signatures,
                }
            },
        )
}

fn params() -> impl Strategy<Value = AuctionParams> {
    (text(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(id, p, q, k)| AuctionParams {
        id,
        max_price: p,
        max_quantity: q,
        max_orders_per_side: k,
    })
}

/// Socket addresses as an auction file can write them: IPv4, IPv6 with a
/// scope id; the IPv6 flow label has no text form, so it is 0.
fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::V4(SocketAddrV4::new(ip.into(), port))),
        (any::<[u16; 8]>(), any::<u16>(), any::<u32>()).prop_map(|(s, port, scope)| {
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
                port,
                0,
                scope,
            ))
        }),
    ]
}

/// One node entry's values: API and peer address, key, fingerprint.
fn node_entry() -> impl Strategy<Value = (SocketAddr, SocketAddr, PublicKey, Digest)> {
    (socket_addr(), socket_addr(), public_key(), digest())
}

/// A valid auction file, as JSON (so that it reads whatever optional keys
/// the format grows): K in range, a non-empty id and window, three nodes in
/// index order on six distinct addresses, distinct valid bidder ids.
fn auction_file() -> impl Strategy<Value = serde_json::Value> {
    (
        params(),
        1u32..=auction::auction_file::MAX_ORDERS_PER_SIDE,
        any::<u64>(),
        1u64..1_000_000,
        [node_entry(), node_entry(), node_entry()],
        proptest::collection::btree_map("[a-z0-9]{1,8}|\\PC{1,20}|[a-z]{128}", public_key(), 0..5),
    )
        .prop_filter("six distinct addresses", |(_, _, _, _, nodes, _)| {
            let mut a: Vec<SocketAddr> = nodes.iter().flat_map(|n| [n.0, n.1]).collect();
            a.sort();
            a.dedup();
            a.len() == 6
        })
        .prop_map(|(mut auction, k, open, len, nodes, bidders)| {
            auction.max_orders_per_side = k;
            if auction.id.is_empty() {
                auction.id = "a".into();
            }
            let open = open.min(u64::MAX - len);
            let nodes: Vec<serde_json::Value> = nodes
                .into_iter()
                .enumerate()
                .map(|(i, (api, peer, public_key, cert_fingerprint))| {
                    serde_json::json!({
                        "index": i,
                        "api": api,
                        "peer": peer,
                        "public_key": public_key,
                        "cert_fingerprint": cert_fingerprint,
                    })
                })
                .collect();
            let bidders: Vec<serde_json::Value> = bidders
                .into_iter()
                .filter(|(id, _)| id.len() <= auction::wire::MAX_BIDDER_ID_LEN)
                .map(|(id, public_key)| serde_json::json!({"id": id, "public_key": public_key}))
                .collect();
            serde_json::json!({
                "auction": auction,
                "open_unix": open,
                "close_unix": open + len,
                "nodes": nodes,
                "bidders": bidders,
            })
        })
}

/// A raw number as a market file holds it exactly: `i64::MIN..=u64::MAX`.
fn raw_number() -> impl Strategy<Value = i128> {
    prop_oneof![
        any::<i64>().prop_map(i128::from),
        any::<u64>().prop_map(i128::from),
        (0i128..=1000),
        Just(i128::from(i64::MIN)),
        Just(i128::from(u64::MAX)),
    ]
}

/// A number beyond 64 bits: what the JSON reader reads back is rounded
/// (through `f64`, not always to the nearest), so only its meaning survives.
fn beyond_64_bits() -> impl Strategy<Value = i128> {
    prop_oneof![
        (i128::from(u64::MAX) + 1)..=i128::MAX,
        i128::MIN..i128::from(i64::MIN),
        Just(i128::MAX),
        Just(i128::MIN),
        Just(1i128 << 64),
        Just(-(1i128 << 63) - 1),
    ]
}

fn raw_order() -> impl Strategy<Value = RawOrder> {
    (raw_number(), raw_number()).prop_map(|(price, quantity)| RawOrder { price, quantity })
}

fn market_file() -> impl Strategy<Value = MarketFile> {
    (
        params(),
        any::<[u8; 32]>(),
        proptest::collection::btree_map(
            text(),
            (vec(raw_order(), 0..4), vec(raw_order(), 0..4)),
            0..6,
        ),
    )
        .prop_map(|(auction, seed, bids)| MarketFile {
            auction,
            seed: Seed(seed),
            bids: bids
                .into_iter()
                .map(|(id, (buy, sell))| RawBid {
                    bidder: BidderId(id),
                    buy,
                    sell,
                })
                .collect(),
        })
}

fn assert_same_submission(a: &Submission, b: &Submission) {
    assert_eq!(a.format, b.format);
    assert_eq!(a.auction, b.auction);
    assert_eq!(a.bidder, b.bidder);
    assert_eq!(a.version, b.version);
    assert_eq!(a.node, b.node);
    assert_eq!(a.bundle, b.bundle);
    assert_eq!(a.commitments, b.commitments);
    assert_eq!(a.signature, b.signature);
}

proptest! {
    #[test]
    fn digests_sigs_and_keys_round_trip(d in digest(), s in sig(), k in public_key()) {
        prop_assert_eq!(round_trip(&d), d);
        prop_assert_eq!(Digest::from_hex(&d.to_hex()).unwrap(), d);
        prop_assert_eq!(round_trip(&s), s);
        prop_assert_eq!(round_trip(&k), k);
        // One spelling: lower-case hex of the bytes.
        prop_assert_eq!(serde_json::to_value(d).unwrap(), serde_json::json!(hex::encode(d.0)));
        prop_assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.to_hex()));
    }

    #[test]
    fn share_bundles_round_trip(b in share_bundle()) {
        prop_assert_eq!(round_trip(&b), b.clone());
        let v = serde_json::to_value(&b).unwrap();
        prop_assert_eq!(
            &v["own"],
            &serde_json::json!(hex::encode(auction::wire::component_bytes(&b.own)))
        );
    }

    #[test]
    fn submissions_round_trip(s in submission()) {
        let back = round_trip(&s);
        assert_same_submission(&back, &s);
        prop_assert_eq!(back.message(), s.message());
        prop_assert_eq!(
            back.bundle.commitment(PartyId::ALL[1]),
            s.bundle.commitment(PartyId::ALL[1])
        );
    }

    #[test]
    fn receipts_round_trip(r in receipt()) {
        prop_assert_eq!(round_trip(&r), r);
    }

    #[test]
    fn bid_set_entries_seed_reveals_and_node_signatures_round_trip(
        e in bid_set_entry(),
        r in seed_reveal(),
        n in node_signature(),
    ) {
        prop_assert_eq!(round_trip(&e), e);
        prop_assert_eq!(round_trip(&r), r);
        prop_assert_eq!(round_trip(&n), n);
    }

    #[test]
    fn outcome_bundles_round_trip(b in outcome_bundle()) {
        let back = round_trip(&b);
        prop_assert_eq!(&back, &b);
        prop_assert_eq!(back.message(), b.message());
    }

    #[test]
    fn auction_files_round_trip(v in auction_file()) {
        let bytes = serde_json::to_vec_pretty(&v).unwrap();
        let file: AuctionFile = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(&serde_json::to_value(&file).unwrap(), &v);
        let again: AuctionFile = round_trip(&file);
        prop_assert_eq!(serde_json::to_value(&again).unwrap(), v);
        // And the checked reading takes it, unchanged.
        let info = AuctionInfo::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&info.params, &file.auction);
        prop_assert_eq!(info.bidders.len(), file.bidders.len());
        for b in &file.bidders {
            prop_assert_eq!(info.bidders.get(&b.id), Some(&b.public_key.0));
        }
        for (i, n) in file.nodes.iter().enumerate() {
            prop_assert_eq!(info.nodes[i].index as usize, i);
            prop_assert_eq!(info.nodes[i].api, n.api);
            prop_assert_eq!(info.nodes[i].peer, n.peer);
            prop_assert_eq!(info.nodes[i].public_key, n.public_key);
            prop_assert_eq!(info.nodes[i].cert_fingerprint, n.cert_fingerprint);
        }
    }

    #[test]
    fn market_files_round_trip(m in market_file()) {
        prop_assert_eq!(MarketFile::parse(&m.to_json()).unwrap(), m.clone());
        let pretty = serde_json::to_string_pretty(&m).unwrap();
        prop_assert_eq!(MarketFile::parse(&pretty).unwrap(), m);
    }

    /// A number beyond 64 bits reads back as a number out of range for every
    /// auction (negative, or beyond 32 bits), in the raw value and in the
    /// ring value: the bid is excluded either way. (It need not read back
    /// beyond 64 bits: `-2^63 - 1` reads as `-2^63`, whose ring value is
    /// `2^63`, not `u64::MAX`.)
    #[test]
    fn numbers_beyond_64_bits_stay_out_of_range(
        price in beyond_64_bits(),
        quantity in raw_number(),
        limit in any::<u32>(),
    ) {
        let order = RawOrder { price, quantity };
        let text = serde_json::to_string(&order).unwrap();
        let back: RawOrder = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back.quantity, quantity);
        prop_assert!(back.price < 0 || back.price > i128::from(u32::MAX), "{}", back.price);
        prop_assert!(back.ring_price() > u64::from(limit));
        prop_assert_eq!(
            (0..=i128::from(limit)).contains(&back.price),
            (0..=i128::from(limit)).contains(&price)
        );
    }
}

/// Node indices are party ids: written as the numbers 0, 1 and 2, and no
/// other number reads as one.
#[test]
fn node_indices_are_0_1_or_2() {
    let reveal =
        r#"{"node": 1, "commitment": "{d}", "value": "{d}"}"#.replace("{d}", &"ab".repeat(32));
    let r: SeedReveal = serde_json::from_str(&reveal).unwrap();
    assert_eq!(r.node, PartyId::ALL[1]);
    assert_eq!(serde_json::to_value(&r).unwrap()["node"], 1);
    let e = serde_json::from_str::<SeedReveal>(&reveal.replace(r#""node": 1"#, r#""node": 3"#))
        .unwrap_err();
    assert!(e.to_string().contains("party id 3 is not 0, 1 or 2"), "{e}");

    let signature = format!(r#"{{"node": 2, "signature": "{}"}}"#, "cd".repeat(64));
    let s: NodeSignature = serde_json::from_str(&signature).unwrap();
    assert_eq!(s.node, PartyId::ALL[2]);
    for bad in ["255", "-1", "\"2\""] {
        let text = signature.replace(r#""node": 2"#, &format!(r#""node": {bad}"#));
        assert!(
            serde_json::from_str::<NodeSignature>(&text).is_err(),
            "{text}"
        );
    }
}
