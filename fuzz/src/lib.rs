//! What the fuzz targets share: one fixed auction (its file, the three node
//! keys, the registered bidders and their keys) that every decoded message is
//! checked against, and the body of each target, so that `make_seeds` can
//! replay the seeds through exactly the code the fuzzer runs.
//!
//! The keys are the ones of `auction/tests/vectors/wire.json` where those
//! exist (bidder `farmer-0001`, secret `11..11`), so the submissions of the
//! vectors pass every check and the fuzzer starts from inputs that reach the
//! signature check.

use auction::auction_file::{AuctionFile, AuctionInfo};
use auction::reference::clear_market;
use auction::validate::{check_bid, validate_market};
use auction::wire::{
    BidSetEntry, Digest, FORMAT, NodeSignature, OutcomeBundle, Receipt, SeedReveal, ShareBundle,
    Sig, Submission, Version, bid_message, bid_set_digest, layout_raw, seed_commitment,
    seed_from_reveals,
};
use auction::{AuctionParams, BidderId, MarketFile, RawBid, RawOrder, Seed};
use bidder_client::verify::{Inputs, verify};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use nodes::peer::{Request, Response};
use shares::PartyId;
use std::sync::OnceLock;

/// The auction of the wire vectors.
pub const AUCTION_ID: &str = "beet-2008";
/// K of the wire vectors: one order per side, four values per bundle.
pub const K: u32 = 1;

/// The registered bidders: `(id, secret key byte)`. `farmer-0001` is the
/// wire vectors' bidder.
pub const BIDDERS: [(&str, u8); 3] = [
    ("farmer-0001", 0x11),
    ("farmer-0002", 0x12),
    ("processor-01", 0x13),
];

/// A registered bidder's signing key.
pub fn bidder_key(i: usize) -> SigningKey {
    SigningKey::from_bytes(&[BIDDERS[i].1; 32])
}

/// Node `i`'s identity key.
pub fn node_key(i: usize) -> SigningKey {
    SigningKey::from_bytes(&[0x31 + i as u8; 32])
}

/// The auction's parameters.
pub fn params() -> AuctionParams {
    AuctionParams {
        id: AUCTION_ID.into(),
        max_price: 100_000,
        max_quantity: 1_000_000,
        max_orders_per_side: K,
    }
}

/// The auction file's bytes, as `clearing-node` and the clients read them.
pub fn auction_file_bytes() -> Vec<u8> {
    let nodes: Vec<_> = (0..3)
        .map(|i| {
            serde_json::json!({
                "index": i,
                "api": format!("127.0.0.{}:8443", i + 1),
                "peer": format!("127.0.0.{}:8444", i + 1),
                "public_key": hex::encode(node_key(i).verifying_key().as_bytes()),
                "cert_fingerprint": format!("{:02x}", 0xc0 + i).repeat(32),
            })
        })
        .collect();
    let bidders: Vec<_> = (0..BIDDERS.len())
        .map(|i| {
            serde_json::json!({
                "id": BIDDERS[i].0,
                "public_key": hex::encode(bidder_key(i).verifying_key().as_bytes()),
            })
        })
        .collect();
    let file = serde_json::json!({
        "auction": params(),
        "open_unix": 1_700_000_000u64,
        "close_unix": 1_700_086_400u64,
        "nodes": nodes,
        "bidders": bidders,
    });
    serde_json::to_vec_pretty(&file).expect("serializable")
}

/// The checked auction file.
pub fn info() -> &'static AuctionInfo {
    static INFO: OnceLock<AuctionInfo> = OnceLock::new();
    INFO.get_or_init(|| AuctionInfo::from_bytes(&auction_file_bytes()).expect("a valid file"))
}

/// The plaintext market of the sample outcome: every registered bidder's bid
/// in the clear (the auditor's `--plaintext`).
pub fn market(seed: Seed) -> MarketFile {
    let o = |price, quantity| RawOrder { price, quantity };
    MarketFile {
        auction: params(),
        seed,
        bids: vec![
            RawBid {
                bidder: BidderId(BIDDERS[0].0.into()),
                buy: vec![o(70_000, 100)],
                sell: vec![],
            },
            RawBid {
                bidder: BidderId(BIDDERS[1].0.into()),
                buy: vec![],
                sell: vec![o(50_000, 60)],
            },
            RawBid {
                bidder: BidderId(BIDDERS[2].0.into()),
                buy: vec![o(100_001, 5)],
                sell: vec![],
            },
        ],
    }
}

/// The three seed values of the sample outcome.
pub fn seed_values() -> [[u8; 32]; 3] {
    std::array::from_fn(|i| [0x70 + i as u8; 32])
}

/// A correct outcome bundle of the fixed auction: the reference clearing of
/// [`market`], every bidder's signature, the seed reveals and the three
/// node signatures.
pub fn sample_bundle() -> OutcomeBundle {
    let info = info();
    let values = seed_values();
    let seed = seed_from_reveals(&values);
    // farmer-0001's bid is the vectors' (so their receipts account for it).
    let vector = &vector_submissions()[0];
    let bid_set: Vec<BidSetEntry> = (0..BIDDERS.len())
        .map(|i| {
            if i == 0 {
                return BidSetEntry {
                    bidder: vector.bidder.clone(),
                    version: vector.version,
                    commitments: vector.commitments,
                    signature: Some(vector.signature),
                };
            }
            let bidder = BidderId(BIDDERS[i].0.into());
            let commitments = [Digest([0x40 + i as u8; 32]); 3];
            let m = bid_message(AUCTION_ID, &bidder, Version::FIRST, &commitments);
            BidSetEntry {
                bidder,
                version: Version::FIRST,
                commitments,
                signature: Some(Sig(bidder_key(i).sign(&m))),
            }
        })
        .collect();
    let bsd = bid_set_digest(&bid_set);
    let mut b = OutcomeBundle {
        format: FORMAT,
        auction_hash: info.hash,
        bid_set,
        bid_set_digest: bsd,
        seed_reveals: PartyId::ALL
            .map(|p| SeedReveal {
                node: p,
                commitment: seed_commitment(&info.hash, &bsd, p, &values[p.index()]),
                value: Digest(values[p.index()]),
            })
            .into(),
        outcome: clear_market(&market(seed)),
        signatures: vec![],
    };
    let m = b.message().expect("encodable");
    b.signatures = PartyId::ALL
        .map(|p| NodeSignature {
            node: p,
            signature: Sig(node_key(p.index()).sign(&m)),
        })
        .into();
    b
}

/// The three submissions of the wire vectors (`auction/tests/vectors/wire.json`).
pub fn vector_submissions() -> Vec<Submission> {
    let text = include_str!("../../auction/tests/vectors/wire.json");
    let v: serde_json::Value = serde_json::from_str(text).expect("the vectors are JSON");
    serde_json::from_value(v["submissions"].clone()).expect("three submissions")
}

/// The receipts node `i` gives for the vectors' submission `i`.
pub fn vector_receipts() -> Vec<Receipt> {
    vector_submissions()
        .iter()
        .enumerate()
        .map(|(i, s)| Receipt::sign(s, info().hash, &node_key(i)))
        .collect()
}

fn node_verifying_keys() -> [VerifyingKey; 3] {
    info().node_keys()
}

/// `decode(encode(x)) == x` for a value just decoded, by its JSON (for the
/// types that have no `PartialEq`): encoding what was decoded from the
/// encoding gives the same bytes.
fn same_after_round_trip<T>(x: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let a = serde_json::to_vec(x).expect("a decoded value encodes");
    let back: T = serde_json::from_slice(&a).expect("an encoded value decodes");
    let b = serde_json::to_vec(&back).expect("encodes");
    assert_eq!(a, b, "decode(encode(x)) differs from x");
}

/// A request body of `POST /v1/bids` through every check `nodes::api::submit`
/// makes before the store: the body limit of the route, the JSON decoding,
/// the auction id, the bidder registry, the version bound and
/// `Submission::verify` (format, addressee, bidder id, shape, commitment,
/// signature), as each of the three nodes. An accepted submission is receipted
/// and the receipt must verify.
pub fn submission(data: &[u8]) {
    let info = info();
    if data.len() as u64 > nodes::api::body_limit(info.params.max_orders_per_side) {
        return; // the route refuses it unread (413)
    }
    let Ok(sub) = serde_json::from_slice::<Submission>(data) else {
        return;
    };
    same_after_round_trip(&sub);
    let _ = sub.message();
    if sub.auction != info.params.id {
        return;
    }
    if auction::wire::check_bidder_id(&sub.bidder).is_err() {
        return;
    }
    let Some(key) = info.bidders.get(&sub.bidder) else {
        return;
    };
    if sub.version.0 > i64::MAX as u64 {
        return;
    }
    for node in PartyId::ALL {
        if sub.verify(&info.params, node, key).is_ok() {
            let r = Receipt::sign(&sub, info.hash, &node_key(node.index()));
            assert!(r.verify(&node_verifying_keys()[node.index()]));
            assert!(bidder_client::receipts::check_receipt(info, &sub, &r).is_ok());
        }
    }
}

/// A share bundle as nodes store it and read it back: decoding, the shape
/// check for several K, the commitment for each node, and the round trip.
pub fn share_bundle(data: &[u8]) {
    let Ok(b) = serde_json::from_slice::<ShareBundle>(data) else {
        return;
    };
    let back: ShareBundle =
        serde_json::from_slice(&serde_json::to_vec(&b).expect("encodes")).expect("decodes");
    assert_eq!(back, b, "decode(encode(bundle)) != bundle");
    for k in [0, 1, 2, 16, auction::auction_file::MAX_ORDERS_PER_SIDE] {
        let _ = b.check_shape(k);
    }
    for node in PartyId::ALL {
        let _ = b.commitment(node);
    }
}

/// A node's answer to a submission as the bidder reads it: a receipt, checked
/// against what was sent and the node's key; where it would be stored; or the
/// error body of a refusal.
pub fn receipt(data: &[u8]) {
    let _ = bidder_client::https::error_text(data);
    let Ok(r) = serde_json::from_slice::<Receipt>(data) else {
        return;
    };
    let back: Receipt =
        serde_json::from_slice(&serde_json::to_vec(&r).expect("encodes")).expect("decodes");
    assert_eq!(back, r, "decode(encode(receipt)) != receipt");
    let info = info();
    for k in node_verifying_keys() {
        let _ = r.verify(&k);
    }
    for sub in vector_submissions() {
        let _ = bidder_client::receipts::check_receipt(info, &sub, &r);
    }
    let dir = std::path::Path::new("receipts");
    let path = bidder_client::receipts::receipt_path(dir, &r);
    assert_eq!(
        path.parent(),
        Some(dir),
        "a receipt's file name leaves its folder: {path:?}"
    );
}

/// An outcome bundle as `bidder result` and `auditor verify` read it: the
/// decoding, `OutcomeBundle::verify`, the client's check and every check of
/// the auditor, with the receipts of the vectors and the plaintext market.
pub fn outcome_bundle(data: &[u8]) {
    let Ok(b) = serde_json::from_slice::<OutcomeBundle>(data) else {
        return;
    };
    let back: OutcomeBundle =
        serde_json::from_slice(&serde_json::to_vec(&b).expect("encodes")).expect("decodes");
    assert_eq!(back, b, "decode(encode(bundle)) != bundle");
    let info = info();
    let trusted = info.trusted();
    let verified = b.verify(&trusted).is_ok();
    let checked = bidder_client::result::check_bundle(info, &b).is_ok();
    let receipts = vector_receipts();
    let plain = market(Seed::ZERO);
    let report = verify(&Inputs {
        info,
        bundle: &b,
        served: Some((vec![0, 1, 2], vec![])),
        receipts: Some(&receipts),
        plaintext: Some(&plain),
    });
    let _ = report.to_text();
    let _ = serde_json::to_string(&report).expect("a report encodes");
    // One computation: the bundle's own verdict, the client's check and
    // the auditor's report of the same checks agree, check by check.
    assert_eq!(verified, checked, "verify and the client's check differ");
    let own = b.checks(&trusted);
    for c in &own {
        assert_eq!(
            report.check(c.name),
            Some(c),
            "the auditor reports {} otherwise",
            c.name
        );
    }
    assert_eq!(
        verified,
        own.iter().all(|c| c.passed),
        "verify is not the checks' verdict"
    );
    if let Some(bid) = plain
        .bids
        .first()
        .and_then(|r| check_bid(&info.params, r).ok())
    {
        let alloc = b
            .outcome
            .allocations
            .iter()
            .find(|a| a.bidder == bid.bidder);
        let _ = bidder_client::result::check_allocation(&bid, b.outcome.price, alloc);
    }
}

/// A peer frame's body, as `nodes::peer`'s frame reader decodes it: as a
/// request (the listener) and as a response (the requester). The frame's
/// length prefix and the reading itself are private to `nodes::peer`.
pub fn peer_message(data: &[u8]) {
    if let Ok(r) = serde_json::from_slice::<Request>(data) {
        same_after_round_trip(&r);
        let _ = format!("{r:?}");
    }
    if let Ok(r) = serde_json::from_slice::<Response>(data) {
        same_after_round_trip(&r);
        let _ = format!("{r:?}");
    }
}

/// An auction file: `AuctionInfo::from_bytes` (with its error message, which
/// every reader prints) and what every reader does with a checked file next
/// (the body limit, the node keys, the node lookups), and the round trip.
pub fn auction_file(data: &[u8]) {
    let info = match AuctionInfo::from_bytes(data) {
        Ok(info) => info,
        Err(e) => {
            let _ = e.to_string(); // every reader prints it
            return;
        }
    };
    let _ = nodes::api::body_limit(info.params.max_orders_per_side);
    let _ = info.node_keys();
    for i in 0..3 {
        let n = info.node(i);
        assert!(info.node_at(n.api).is_some());
    }
    // The file as decoded encodes to a file that reads the same.
    let file: AuctionFile = serde_json::from_slice(data).expect("it was read once");
    let again = serde_json::to_vec(&file).expect("encodes");
    let info2 = AuctionInfo::from_bytes(&again).expect("a re-encoded file reads");
    assert_eq!(info2.params, info.params);
    assert_eq!(info2.bidders, info.bidders);
    assert_eq!(
        (info2.open_unix, info2.close_unix),
        (info.open_unix, info.close_unix)
    );
}

/// A market file as `auditor reference`, `clearing-node simulate` and the
/// demo read it (text, since they read it to a string): the parser, the
/// round trip, the validity rule, the layout `simulate` shares, and the
/// reference clearing with its sums.
pub fn market_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let m = match MarketFile::parse(text) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let back = MarketFile::parse(&m.to_json()).expect("a parsed market re-reads");
    assert_same_market(&back, &m);
    let (valid, _) = validate_market(&m);
    // What `clearing-node simulate` does before sharing, for the K it takes
    // (it refuses more: 4K values per bid).
    if m.auction.max_orders_per_side <= auction::auction_file::MAX_ORDERS_PER_SIDE {
        let laid = auction::mpc::deal::lay_out(&m);
        assert_eq!(laid.bidders.len() + laid.excluded.len(), m.bids.len());
    }
    let c = auction::reference::clear_market_detailed(&m);
    assert_eq!(c.fills.len(), valid.len());
    let o = &c.outcome;
    let bought: u64 = o.allocations.iter().map(|a| a.bought.0).sum();
    let sold: u64 = o.allocations.iter().map(|a| a.sold.0).sum();
    assert_eq!(
        (bought, sold),
        (o.volume.0, o.volume.0),
        "allocations do not sum to the volume"
    );
    assert_eq!(o.price.is_some(), o.volume.0 > 0);
    assert!(o.price.is_none_or(|p| p.0 <= m.auction.max_price));
}

/// `decode(encode(m)) == m`, except that a number beyond 64 bits need only
/// read back as a number out of range for every auction, with a ring value
/// out of range too (the JSON reader rounds such numbers through `f64`).
fn assert_same_market(back: &MarketFile, m: &MarketFile) {
    assert_eq!(back.auction, m.auction);
    assert_eq!(back.seed, m.seed);
    assert_eq!(back.bids.len(), m.bids.len());
    let exact = |v: i128| (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&v);
    let out_of_range = |v: i128| v < 0 || v > i128::from(u32::MAX);
    let same = |a: i128, b: i128| {
        if exact(b) {
            assert_eq!(a, b, "a 64-bit number changed in the round trip");
        } else {
            assert!(out_of_range(a), "{b} read back as {a}, in range");
            assert!(auction::market::ring_value(a) > u64::from(u32::MAX));
        }
    };
    for (x, y) in back.bids.iter().zip(&m.bids) {
        assert_eq!(x.bidder, y.bidder);
        assert_eq!((x.buy.len(), x.sell.len()), (y.buy.len(), y.sell.len()));
        for (a, b) in x.buy.iter().chain(&x.sell).zip(y.buy.iter().chain(&y.sell)) {
            same(a.price, b.price);
            same(a.quantity, b.quantity);
        }
    }
}

/// The curves `bidder check --json` prints for a valid bid, written back as
/// a JSON curve file and as a CSV curve file, read as the same bid: the
/// same quantity at every price on each side.
fn same_bid_through_its_curves(bid: &auction::Bid, curves: &serde_json::Value) {
    use auction::curve::quantity_at;
    let json = serde_json::json!({
        "buy_curve": curves["buy_curve"],
        "sell_curve": curves["sell_curve"],
    })
    .to_string();
    let mut csv = String::from("side,price,total\n");
    for side in ["buy", "sell"] {
        for p in curves[format!("{side}_curve")].as_array().expect("a list") {
            csv.push_str(&format!("{side},{},{}\n", p["price"], p["total"]));
        }
    }
    for text in [json, csv] {
        let back = bidder_client::bidfile::parse_bid(&text)
            .unwrap_or_else(|e| panic!("the curves of a valid bid do not read: {e}\n{text}"));
        let back = auction::Bid {
            bidder: bid.bidder.clone(),
            buy: back.buy.iter().map(order).collect(),
            sell: back.sell.iter().map(order).collect(),
        };
        let prices = bid.buy.iter().chain(&bid.sell).flat_map(|o| {
            let p = o.price.0;
            [p.saturating_sub(1), p, p.saturating_add(1)]
        });
        for x in prices.chain([0, u32::MAX]).map(auction::Price) {
            for side in [auction::Side::Buy, auction::Side::Sell] {
                let (a, b) = match side {
                    auction::Side::Buy => (&bid.buy, &back.buy),
                    auction::Side::Sell => (&bid.sell, &back.sell),
                };
                assert_eq!(
                    quantity_at(side, a, x),
                    quantity_at(side, b, x),
                    "{side} quantity at {x:?} differs after the curve round trip:\n{text}"
                );
            }
        }
    }
}

fn order(o: &RawOrder) -> auction::Order {
    auction::Order {
        price: auction::Price(u32::try_from(o.price).expect("a curve price fits")),
        quantity: auction::Quantity(u32::try_from(o.quantity).expect("a curve step fits")),
    }
}

/// A bid file in each of its forms (spec JSON, JSON curves, CSV orders, CSV
/// curve), as `bidder check` and `bidder submit` read it: the parser, the
/// bidder, the validity rule against a small and the largest parameters,
/// the curve table and JSON, and the share layout.
pub fn bid_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(input) = bidder_client::bidfile::parse_bid(text) else {
        return;
    };
    let path = std::path::Path::new("bid");
    let key_bidder = BidderId(BIDDERS[0].0.into());
    let Ok(raw) = input
        .for_bidder(path, Some(&key_bidder))
        .or_else(|_| input.for_bidder(path, None))
    else {
        return;
    };
    let small = AuctionParams {
        id: "a".into(),
        max_price: 1000,
        max_quantity: 500,
        max_orders_per_side: 3,
    };
    let largest = AuctionParams {
        id: "b".into(),
        max_price: u32::MAX,
        max_quantity: u32::MAX,
        max_orders_per_side: auction::auction_file::MAX_ORDERS_PER_SIDE,
    };
    for p in [small, params(), largest] {
        match check_bid(&p, &raw) {
            Ok(bid) => {
                let _ = bidder_client::bidfile::curve_table(&bid);
                let curves = bidder_client::bidfile::curves_json(&bid);
                layout_raw(&raw, p.max_orders_per_side).expect("a valid bid fits in K slots");
                same_bid_through_its_curves(&bid, &curves);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
}
