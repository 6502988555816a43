//! Every peer message survives its own encoding: `decode(encode(x)) == x`
//! for arbitrary requests and responses of `nodes::peer`, the bodies of the
//! length-prefixed JSON frames the nodes exchange. The messages have no
//! `PartialEq`; two are the same when their `Debug` forms are (every field
//! of every message shows in it: digests and signatures as hex).
//! `PROPTEST_CASES=N` sets the number of cases.

use auction::wire::{BidSetEntry, Digest, Sig, Version};
use auction::{Allocation, BidderId, Exclusion, Outcome, Price, Volume};
use ed25519_dalek::Signature;
use nodes::peer::{ListEntry, Request, Response};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

fn same_after_round_trip<T: Serialize + DeserializeOwned + Debug>(
    x: &T,
) -> Result<(), TestCaseError> {
    let text = serde_json::to_string(x).expect("encodes");
    let back: T = serde_json::from_str(&text)
        .map_err(|e| TestCaseError::fail(format!("{text} does not decode: {e}")))?;
    prop_assert_eq!(format!("{back:?}"), format!("{x:?}"));
    prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
    Ok(())
}

fn digest() -> impl Strategy<Value = Digest> {
    any::<[u8; 32]>().prop_map(Digest)
}

fn sig() -> impl Strategy<Value = Sig> {
    (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(r, s)| {
        let mut b = [0u8; 64];
        b[..32].copy_from_slice(&r);
        b[32..].copy_from_slice(&s);
        Sig(Signature::from_bytes(&b))
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9 -]{0,16}",
        Just("\"\\\u{0}\n\u{2028}é😀".to_string()),
    ]
}

fn bidder() -> impl Strategy<Value = BidderId> {
    text().prop_map(BidderId)
}

fn exclusion() -> impl Strategy<Value = Exclusion> {
    (bidder(), text()).prop_map(|(bidder, reason)| Exclusion { bidder, reason })
}

fn list_entry() -> impl Strategy<Value = ListEntry> {
    (
        bidder(),
        any::<u64>().prop_map(Version),
        (digest(), digest(), digest()),
        proptest::option::of(sig()),
        digest(),
    )
        .prop_map(
            |(bidder, version, (a, b, c), signature, common)| ListEntry {
                bid: BidSetEntry {
                    bidder,
                    version,
                    commitments: [a, b, c],
                    signature,
                },
                common,
            },
        )
}

fn outcome() -> impl Strategy<Value = Outcome> {
    let allocation = (bidder(), any::<u64>(), any::<u64>()).prop_map(|(bidder, b, s)| Allocation {
        bidder,
        bought: Volume(b),
        sold: Volume(s),
    });
    (
        text(),
        proptest::option::of(any::<u32>().prop_map(Price)),
        any::<u64>(),
        text(),
        vec(allocation, 0..4),
        vec(exclusion(), 0..3),
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

/// A `BidList` answer: the entries and the answering node's registry digest
/// and size. Made through its JSON form, so that the test reads whichever
/// of those fields the type has.
fn bid_list(entries: Vec<ListEntry>, registry: Digest, registered: u64) -> Response {
    serde_json::from_value(serde_json::json!({"BidList": {
        "entries": entries,
        "registry": registry,
        "registered": registered,
    }}))
    .expect("a bid list")
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        (any::<u8>(), digest())
            .prop_map(|(node, auction_hash)| Request::Hello { node, auction_hash }),
        Just(Request::Ping),
        Just(Request::BidList),
        digest().prop_map(|bid_set| Request::Verdicts { bid_set }),
        digest().prop_map(|bid_set| Request::Commitment { bid_set }),
        digest().prop_map(|bid_set| Request::Reveal { bid_set }),
        digest().prop_map(|bid_set| Request::Signature { bid_set }),
        (digest(), digest(), any::<u64>()).prop_map(|(bid_set, seed, attempt)| Request::Mpc {
            bid_set,
            seed,
            attempt
        }),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        any::<u8>().prop_map(|node| Response::HelloOk { node }),
        text().prop_map(|message| Response::Refused { message }),
        text().prop_map(|phase| Response::NotReady { phase }),
        text().prop_map(|phase| Response::Pong { phase }),
        (vec(list_entry(), 0..5), digest(), any::<u64>())
            .prop_map(|(entries, registry, registered)| bid_list(entries, registry, registered)),
        (digest(), vec(exclusion(), 0..4))
            .prop_map(|(bid_set, excluded)| Response::Verdicts { bid_set, excluded }),
        digest().prop_map(|commitment| Response::Commitment { commitment }),
        digest().prop_map(|value| Response::Reveal { value }),
        (outcome(), sig())
            .prop_map(|(outcome, signature)| Response::Signature { outcome, signature }),
        Just(Response::MpcReady),
    ]
}

proptest! {
    #[test]
    fn requests_round_trip(r in request()) {
        same_after_round_trip(&r)?;
    }

    #[test]
    fn responses_round_trip(r in response()) {
        same_after_round_trip(&r)?;
    }

    #[test]
    fn list_entries_round_trip(e in list_entry()) {
        same_after_round_trip(&e)?;
    }
}

proptest! {
    /// A request never reads as a response. (The other way, a `Verdicts`
    /// response reads as a `Verdicts` request, its `excluded` ignored: the
    /// message types do not refuse unknown fields; each side of a connection
    /// reads only the one type it expects.)
    #[test]
    fn requests_do_not_read_as_responses(r in request()) {
        let bytes = serde_json::to_vec(&r).unwrap();
        prop_assert!(serde_json::from_slice::<Response>(&bytes).is_err());
    }

    #[test]
    fn responses_read_as_requests_only_for_verdicts(r in response()) {
        let bytes = serde_json::to_vec(&r).unwrap();
        let as_request = serde_json::from_slice::<Request>(&bytes);
        prop_assert_eq!(as_request.is_ok(), matches!(r, Response::Verdicts { .. }));
    }
}
