//! Every peer message survives its own encoding: `decode(encode(x)) == x`
//! for arbitrary requests and responses of `nodes::peer`, the bodies of the
//! length-prefixed JSON frames the nodes exchange, with the ceremony's asks
//! and replies (`auction::ceremony`) inside. The transport messages have no
//! `PartialEq`; two are the same when their `Debug` forms and their
//! encodings are (a list entry's `Debug` leaves out its digest, its
//! encoding does not). `PROPTEST_CASES=N` sets the number of cases.

use auction::ceremony::{Ask, ListEntry, Phase, Refusal, Reply};
use auction::wire::{BidSetEntry, Digest, Sig};
use auction::{Allocation, BidderId, Exclusion, Outcome, Price, Seed, Volume};
use ed25519_dalek::Signature;
use nodes::peer::{Request, Response};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shares::PartyId;
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
        any::<u64>(),
        (digest(), digest(), digest()),
        proptest::option::of(sig()),
        digest(),
    )
        .prop_map(
            |(bidder, version, (a, b, c), signature, common)| ListEntry {
                bid: BidSetEntry {
                    bidder,
                    version: auction::wire::Version(version),
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

fn party() -> impl Strategy<Value = PartyId> {
    (0usize..3).prop_map(|i| PartyId::new(i).unwrap())
}

fn phase() -> impl Strategy<Value = Phase> {
    (0usize..Phase::ALL.len()).prop_map(|i| Phase::ALL[i])
}

fn ask() -> impl Strategy<Value = Ask> {
    prop_oneof![
        Just(Ask::BidList),
        digest().prop_map(|bid_set| Ask::Verdicts { bid_set }),
        digest().prop_map(|bid_set| Ask::Commitment { bid_set }),
        digest().prop_map(|bid_set| Ask::Reveal { bid_set }),
        digest().prop_map(|bid_set| Ask::Signature { bid_set }),
    ]
}

fn refusal() -> impl Strategy<Value = Refusal> {
    prop_oneof![
        (party(), digest(), party(), digest()).prop_map(|(node, has, asker, asked)| {
            Refusal::BidSetsDiffer {
                node,
                has,
                asker,
                asked,
            }
        }),
        party().prop_map(|node| Refusal::NotAPeer { node }),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        (phase(), proptest::option::of(text()))
            .prop_map(|(phase, halted)| Reply::NotReady { phase, halted }),
        refusal().prop_map(|reason| Reply::Refused { reason }),
        (vec(list_entry(), 0..5), digest(), any::<u64>()).prop_map(
            |(entries, registry, registered)| Reply::BidList {
                entries,
                registry,
                registered
            }
        ),
        (digest(), vec(exclusion(), 0..4))
            .prop_map(|(bid_set, excluded)| Reply::Verdicts { bid_set, excluded }),
        digest().prop_map(|commitment| Reply::Commitment { commitment }),
        digest().prop_map(|value| Reply::Reveal { value }),
        (outcome(), sig()).prop_map(|(outcome, signature)| Reply::Signature { outcome, signature }),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        (party(), digest()).prop_map(|(node, auction_hash)| Request::Hello { node, auction_hash }),
        Just(Request::Ping),
        ask().prop_map(Request::Ask),
        (digest(), any::<[u8; 32]>(), any::<u64>(), any::<bool>()).prop_map(
            |(bid_set, seed, attempt, abort)| Request::Mpc {
                bid_set,
                seed: Seed(seed),
                attempt,
                security: if abort {
                    shares::Security::Abort
                } else {
                    shares::Security::SemiHonest
                },
            }
        ),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        party().prop_map(|node| Response::HelloOk { node }),
        text().prop_map(|message| Response::Refused { message }),
        phase().prop_map(|phase| Response::Pong { phase }),
        reply().prop_map(Response::Reply),
        (phase(), proptest::option::of(text()))
            .prop_map(|(phase, halted)| Response::MpcNotReady { phase, halted }),
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
    /// A request never reads as a response, nor a response as a request:
    /// each side of a connection reads only the type it expects, and a
    /// message of the other kind is an error, not a misread.
    #[test]
    fn requests_do_not_read_as_responses(r in request()) {
        let bytes = serde_json::to_vec(&r).unwrap();
        prop_assert!(serde_json::from_slice::<Response>(&bytes).is_err());
    }

    #[test]
    fn responses_do_not_read_as_requests(r in response()) {
        let bytes = serde_json::to_vec(&r).unwrap();
        prop_assert!(serde_json::from_slice::<Request>(&bytes).is_err());
    }

    /// The node indices and phases cross the wire typed: an index is a
    /// number 0 to 2, a phase one of the ceremony's names.
    #[test]
    fn indices_and_phases_are_typed(node in party(), phase in phase()) {
        let hello = serde_json::to_value(Response::HelloOk { node }).unwrap();
        prop_assert_eq!(&hello["hello_ok"]["node"], &serde_json::json!(node.index()));
        let pong = serde_json::to_value(Response::Pong { phase }).unwrap();
        prop_assert_eq!(&pong["pong"]["phase"], &serde_json::json!(phase.name()));
    }
}

#[test]
fn out_of_range_indices_and_unknown_phases_are_refused() {
    assert!(serde_json::from_str::<Response>(r#"{"hello_ok":{"node":3}}"#).is_err());
    assert!(serde_json::from_str::<Response>(r#"{"pong":{"phase":"halted"}}"#).is_err());
    assert!(serde_json::from_str::<Response>(r#"{"pong":{"phase":"seeded"}}"#).is_ok());
}
