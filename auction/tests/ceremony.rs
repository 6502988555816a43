//! The agreement ceremony of three nodes, without a socket: random delivery
//! orders, lost, duplicated and stale replies, restarts at every step,
//! conflicting bid lists, differing registries, and dishonest peers.

mod ceremony_common;
mod common;

use auction::ceremony::{
    AbortReason, Ask, BID_SETS_DIFFER, CeremonyRecord, Context, HeldBids, Phase, REASON_MISSING,
    Refusal, RegistrySummary, Reply, RetryReason, State, Wants, reason_mismatch,
};
use auction::wire::Digest;
use auction::{Exclusion, Outcome, Volume};
use ceremony_common::{Fixture, Msg, Net, bidder, order, p};
use common::cases;
use proptest::prelude::*;

/// Every node's agreed exclusions, which must be the same at all three.
fn excluded(net: &Net) -> Vec<Exclusion> {
    let sets: Vec<_> = (0..3)
        .map(|i| net.state(i).agreed_set().expect("agreed").clone())
        .collect();
    assert_eq!(sets[0], sets[1]);
    assert_eq!(sets[1], sets[2]);
    sets[0].excluded.clone()
}

fn aborted(net: &Net, i: usize) -> &auction::ceremony::Aborted {
    match net.state(i) {
        State::Aborted(a) => a,
        other => panic!("node {i} did not abort: {:?}", other.phase()),
    }
}

#[test]
fn three_nodes_publish_what_the_reference_clears() {
    let mut net = Net::new(Fixture::new());
    net.run_fair(20);
    let bundle = net.published();
    assert!(net.failures.is_empty(), "{:#?}", net.failures);
    assert_eq!(bundle.bid_set.len(), 4);
    assert!(bundle.outcome.excluded.is_empty());
    // At 55, b1's 10 units meet s1's 8 and s2's 10.
    assert_eq!(bundle.outcome.volume, Volume(10));
    assert_eq!(bundle.outcome, net.fx.clear(net.state(0)));
    // Each node stored one record per step, the first one collecting.
    for i in 0..3 {
        let phases: Vec<Phase> = net.history[i]
            .iter()
            .map(|b| CeremonyRecord::from_bytes(b).unwrap().phase())
            .collect();
        let mut steps = phases.clone();
        steps.dedup();
        assert_eq!(steps, Phase::ALL[1..], "node {i}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(300, 40)))]

    /// Whatever the order of delivery, however many replies are lost or
    /// repeated and whenever nodes restart, the three nodes publish the
    /// same verified bundle, with no failure on the way.
    #[test]
    fn any_schedule_publishes(choices in prop::collection::vec(any::<u16>(), 0..600)) {
        let mut net = Net::new(Fixture::new());
        net.run_schedule(&choices);
        net.run_fair(30);
        let bundle = net.published();
        prop_assert!(net.failures.is_empty(), "{:#?}", net.failures);
        prop_assert_eq!(&bundle.outcome, &net.fx.clear(net.state(0)));
    }

    /// The same with conflicting lists: every schedule ends in the same
    /// exclusions at all three nodes.
    #[test]
    fn any_schedule_agrees_on_exclusions(choices in prop::collection::vec(any::<u16>(), 0..600)) {
        let mut net = Net::new(conflicting());
        net.run_schedule(&choices);
        net.run_fair(30);
        net.published();
        prop_assert_eq!(excluded(&net), conflicting_exclusions());
    }
}

#[test]
fn a_node_that_restarts_after_every_step_publishes() {
    let mut net = Net::new(Fixture::new());
    net.restart_always = true;
    // Ask, answer and take one message at a time, restarting the node
    // that moved each time.
    for _ in 0..200 {
        if net.settled() {
            break;
        }
        for i in 0..3 {
            net.tick(i);
            net.restart(i);
            while !net.flight.is_empty() {
                net.deliver(0);
                for j in 0..3 {
                    net.restart(j);
                }
            }
        }
    }
    net.published();
    assert!(net.failures.is_empty(), "{:#?}", net.failures);
    // Every stored record reads back to the same bytes.
    for i in 0..3 {
        for bytes in &net.history[i] {
            let r = CeremonyRecord::from_bytes(bytes).unwrap();
            assert_eq!(&r.to_bytes(), bytes);
        }
    }
}

#[test]
fn duplicated_and_stale_replies_change_nothing() {
    let mut net = Net::new(Fixture::new());
    for _ in 0..40 {
        if net.settled() {
            break;
        }
        for i in 0..3 {
            net.tick(i);
        }
        // Every reply arrives twice, the second after the first was taken.
        let mut replies = vec![];
        while let Some(m) = net.flight.pop_front() {
            match m {
                Msg::Ask { .. } => {
                    net.flight.push_front(m);
                    net.deliver(0);
                }
                Msg::Reply { .. } => replies.push(m),
            }
        }
        for m in replies {
            let Msg::Reply { to, .. } = &m else {
                unreachable!()
            };
            let i = to.index();
            net.flight.push_back(m.clone());
            net.deliver(0);
            let once = net.nodes[i].record.to_bytes();
            net.flight.push_back(m);
            net.deliver(0);
            assert_eq!(net.nodes[i].record.to_bytes(), once, "node {i}");
        }
    }
    net.published();
    assert!(net.failures.is_empty(), "{:#?}", net.failures);
    // A bid list reaching a node long past the lists is stale: ignored.
    let late = Reply::BidList {
        entries: vec![],
        registry: Digest::default(),
        registered: 0,
    };
    let msg = Msg::Reply {
        from: p(1),
        to: p(0),
        reply: late,
    };
    let before = net.nodes[0].record.to_bytes();
    net.flight.push_back(msg);
    net.deliver(0);
    assert_eq!(net.nodes[0].record.to_bytes(), before);
}

/// Bidder `x` is at nodes 0 and 1 only; bidder `v`'s version 2 is not at
/// node 2, so version 1 is the newest common one; bidder `z`'s component 1
/// differs between nodes 0 and 1.
fn conflicting() -> Fixture {
    let mut fx = Fixture::new();
    for name in ["v", "x", "z"] {
        fx.register(name);
    }
    fx.submit("x", 1, vec![order(70, 3)], vec![], &[0, 1]);
    fx.submit("v", 1, vec![order(45, 2)], vec![], &[0, 1, 2]);
    fx.submit("v", 2, vec![order(65, 2)], vec![], &[0, 1]);
    fx.submit("z", 1, vec![], vec![order(30, 1)], &[0, 1, 2]);
    // Node 1's own component of z (component 1, also held by node 0).
    let s = fx.held[1]
        .iter_mut()
        .find(|s| s.bidder == bidder("z"))
        .unwrap();
    s.bundle.own[0] ^= 1;
    fx
}

fn conflicting_exclusions() -> Vec<Exclusion> {
    vec![
        Exclusion {
            bidder: bidder("x"),
            reason: REASON_MISSING.into(),
        },
        Exclusion {
            bidder: bidder("z"),
            reason: reason_mismatch(p(1)),
        },
    ]
}

#[test]
fn conflicting_lists_end_in_the_same_exclusions_everywhere() {
    let mut net = Net::new(conflicting());
    net.run_fair(20);
    let bundle = net.published();
    assert!(net.failures.is_empty(), "{:#?}", net.failures);
    assert_eq!(excluded(&net), conflicting_exclusions());
    assert_eq!(
        conflicting_exclusions()[1].reason,
        "replicated share component 1 differs between node 0 and node 1"
    );
    let versions: Vec<(String, u64)> = bundle
        .bid_set
        .iter()
        .map(|e| (e.bidder.0.clone(), e.version.0))
        .collect();
    // x is not in the set; v's newest common version is 1; z is in the set
    // (all three hold its signed version) but excluded from the clearing.
    assert_eq!(
        versions,
        [
            ("b1".into(), 1),
            ("b2".into(), 1),
            ("s1".into(), 1),
            ("s2".into(), 1),
            ("v".into(), 1),
            ("z".into(), 1)
        ]
    );
    assert_eq!(bundle.outcome.excluded, conflicting_exclusions());
    // Nodes 0 and 1 found the mismatch themselves; node 2, which does not
    // hold component 1, learned it from their verdicts.
    let own = |i: usize| net.state(i).agreement().unwrap().verdicts().to_vec();
    assert_eq!(own(0), [conflicting_exclusions()[1].clone()]);
    assert_eq!(own(1), [conflicting_exclusions()[1].clone()]);
    assert!(own(2).is_empty());
}

#[test]
fn differing_registries_are_retried_until_the_file_is_fixed() {
    let mut fx = Fixture::new();
    fx.register("late");
    let mut net = Net::new(fx);
    // Node 2's auction file lacks the bidder registered last.
    net.nodes[2].registry.remove(&bidder("late"));
    let full = RegistrySummary::of(&net.fx.registry());
    let short = RegistrySummary::of(&net.nodes[2].registry);
    net.run_fair(5);
    assert_eq!(net.phases(), [Phase::Closed; 3]);
    assert!(!net.failures.is_empty());
    assert!(
        net.failures
            .iter()
            .all(|f| !f.permanent && f.step == Phase::Closed)
    );
    let at0 = net.failures.iter().find(|f| f.node == 0).unwrap();
    assert_eq!(
        at0.message,
        format!(
            "bidder registries differ at the close: node 0 has 5 bidders (registry digest {}), node 2 has 4 bidders (registry digest {}); give the three nodes the same auction file (bidders can be added to it; the nodes read it again)",
            full.digest, short.digest
        )
    );
    assert_eq!(at0.peer, Some(p(2)));
    let at2 = net.failures.iter().find(|f| f.node == 2).unwrap();
    assert!(
        at2.message.contains("node 0 has 5 bidders")
            && at2.message.contains("node 1 has 5 bidders"),
        "{}",
        at2.message
    );
    // The operator adds the bidder to node 2's file; node 2 reads it again.
    net.nodes[2].registry = net.fx.registry();
    net.failures.clear();
    net.run_fair(20);
    net.published();
    assert!(net.failures.is_empty(), "{:#?}", net.failures);
}

#[test]
fn a_registry_mismatch_keeps_the_node_closed_and_asking() {
    let mut fx = Fixture::new();
    fx.register("late");
    let mut net = Net::new(fx);
    net.nodes[1].registry.remove(&bidder("late"));
    net.run_fair(3);
    let State::Closed(c) = net.state(0) else {
        panic!("node 0 is not closed")
    };
    // The lists are forgotten so that both are asked again.
    assert!(c.lists().iter().next().is_none());
    assert_eq!(
        net.state(0).wants(),
        Wants::Ask {
            ask: Ask::BidList,
            peers: vec![p(1), p(2)]
        }
    );
}

#[test]
fn a_bad_reveal_aborts_naming_the_peer_and_resume_asks_again() {
    let mut net = Net::new(Fixture::new());
    // Node 1 reveals a value other than the one it committed to.
    net.rewrite = Some(Box::new(|from, _to, reply| match reply {
        Reply::Reveal { .. } if from == p(1) => Reply::Reveal {
            value: Digest([0xee; 32]),
        },
        r => r,
    }));
    net.run_fair(20);
    for i in [0, 2] {
        let a = aborted(&net, i);
        assert_eq!(a.step(), Phase::Committed);
        assert_eq!(a.peer(), Some(p(1)));
        assert_eq!(*a.reason(), AbortReason::BadReveal { peer: p(1) });
        assert_eq!(
            a.reason().to_string(),
            "node 1 revealed a value that does not open its commitment"
        );
    }
    assert!((0..3).all(|i| net.state(i).bundle().is_none()));
    // An aborted node keeps its peers waiting, saying why.
    let r = net
        .state(0)
        .answer(p(1), &Ask::BidList, &HeldBids::default());
    assert_eq!(
        r,
        Reply::NotReady {
            phase: Phase::Committed,
            halted: Some("node 1 revealed a value that does not open its commitment".into())
        }
    );
    // Resumed, node 0 is back where it stopped and asks node 1 again.
    let State::Aborted(a) = net.state(0).clone() else {
        unreachable!()
    };
    let resumed = a.resume();
    assert_eq!(resumed.phase(), Phase::Committed);
    let Wants::Ask { ask, peers } = resumed.wants() else {
        panic!("a resumed node asks")
    };
    assert!(matches!(ask, Ask::Reveal { .. }));
    assert!(peers.contains(&p(1)), "{peers:?}");
}

#[test]
fn a_peer_that_signs_another_outcome_stops_the_publication() {
    let mut net = Net::new(Fixture::new());
    net.nodes[2].outcome_filter = Some(|mut o: Outcome| {
        o.volume = Volume(o.volume.0 + 1);
        o
    });
    net.run_fair(20);
    for i in [0, 1] {
        let a = aborted(&net, i);
        assert_eq!(a.step(), Phase::Cleared);
        assert_eq!(a.peer(), Some(p(2)));
        assert_eq!(
            a.reason().to_string(),
            "node 2 computed a different outcome; not publishing"
        );
    }
    let a = aborted(&net, 2);
    assert!(matches!(a.reason(), AbortReason::DifferentOutcome { .. }));
    assert!((0..3).all(|i| net.state(i).bundle().is_none()));
}

#[test]
fn a_forged_signature_stops_the_publication() {
    let mut net = Net::new(Fixture::new());
    net.rewrite = Some(Box::new(|from, _to, reply| match reply {
        Reply::Signature { outcome, signature } if from == p(0) => {
            let mut bytes = signature.0.to_bytes();
            bytes[5] ^= 1;
            Reply::Signature {
                outcome,
                signature: auction::wire::Sig(ed25519_dalek::Signature::from_bytes(&bytes)),
            }
        }
        r => r,
    }));
    net.run_fair(20);
    for i in [1, 2] {
        let a = aborted(&net, i);
        assert_eq!(
            a.reason().to_string(),
            "node 0's outcome signature does not verify"
        );
    }
    // Node 0 itself holds two good signatures and its own: its bundle is
    // valid. The nodes that got the forgery publish nothing.
    assert!(net.state(0).bundle().is_some());
    assert!(net.state(1).bundle().is_none() && net.state(2).bundle().is_none());
}

#[test]
fn differing_bid_sets_are_refused_and_abort() {
    let mut fx = Fixture::new();
    fx.register("x");
    fx.submit("x", 1, vec![order(70, 3)], vec![], &[0, 1, 2]);
    let mut net = Net::new(fx);
    // Node 2 tells node 0 it lacks bidder x, and node 1 that it holds it.
    net.rewrite = Some(Box::new(|from, to, reply| match reply {
        Reply::BidList {
            entries,
            registry,
            registered,
        } if from == p(2) && to == p(0) => Reply::BidList {
            entries: entries
                .into_iter()
                .filter(|e| e.bid.bidder != bidder("x"))
                .collect(),
            registry,
            registered,
        },
        r => r,
    }));
    net.run_fair(20);
    let sets: Vec<Digest> = (0..3)
        .map(|i| match aborted(&net, i).stopped_at() {
            State::ListsChecked(c) => c.checked().bid_set,
            other => panic!("node {i} stopped at {:?}", other.phase()),
        })
        .collect();
    assert_ne!(sets[0], sets[1]);
    assert_eq!(sets[1], sets[2]);
    let a0 = aborted(&net, 0);
    assert!(matches!(
        a0.reason(),
        AbortReason::PeerRefuses {
            refusal: Refusal::BidSetsDiffer { .. },
            ..
        }
    ));
    let text = a0.reason().to_string();
    let peer = a0.peer().unwrap().index();
    assert_eq!(
        text,
        format!(
            "node {peer} refuses: {BID_SETS_DIFFER}: node {peer} has {}, node 0 has {}",
            sets[peer], sets[0]
        )
    );
    let a1 = aborted(&net, 1);
    assert_eq!(a1.peer(), Some(p(0)));
    assert_eq!(
        a1.reason().to_string(),
        format!(
            "node 0 refuses: bid sets differ: node 0 has {}, node 1 has {}",
            sets[0], sets[1]
        )
    );
    assert!((0..3).all(|i| net.state(i).bundle().is_none()));
}

#[test]
fn a_peer_answering_for_another_bid_set_aborts() {
    let mut net = Net::new(Fixture::new());
    net.rewrite = Some(Box::new(|from, _to, reply| match reply {
        Reply::Verdicts { excluded, .. } if from == p(1) => Reply::Verdicts {
            bid_set: Digest([9; 32]),
            excluded,
        },
        r => r,
    }));
    net.run_fair(20);
    let a = aborted(&net, 0);
    assert_eq!(a.step(), Phase::Checked);
    let mine = match a.stopped_at() {
        State::ListsChecked(c) => c.checked().bid_set,
        _ => unreachable!(),
    };
    assert_eq!(
        a.reason().to_string(),
        format!(
            "node 1 arrived at bid set {}, this node at {mine}",
            Digest([9; 32])
        )
    );
}

#[test]
fn answers_wait_for_their_step() {
    let fx = Fixture::new();
    let held = fx.held_bids(0);
    let ctx = Context {
        me: p(0),
        auction_hash: fx.hash,
    };
    let collecting = State::start(ctx);
    let bid_set = Digest([1; 32]);
    for ask in [
        Ask::BidList,
        Ask::Verdicts { bid_set },
        Ask::Reveal { bid_set },
    ] {
        assert_eq!(
            collecting.answer(p(1), &ask, &held),
            Reply::NotReady {
                phase: Phase::Collecting,
                halted: None
            }
        );
    }
    let State::Collecting(c) = collecting else {
        unreachable!()
    };
    let closed: State = c.close(RegistrySummary::of(&fx.registry())).into();
    let Reply::BidList {
        entries,
        registered,
        ..
    } = closed.answer(p(1), &Ask::BidList, &held)
    else {
        panic!("a closed node sends its list")
    };
    assert_eq!((entries.len(), registered), (4, 4));
    // Node 0 shares its next component, component 1, with node 1.
    let h = held.iter().next().unwrap();
    assert_eq!(entries[0].common, h.next_digest);
    assert_eq!(
        closed.answer(p(2), &Ask::BidList, &held),
        Reply::BidList {
            entries: held.list_for(p(0), p(2)),
            registry: RegistrySummary::of(&fx.registry()).digest,
            registered: 4
        }
    );
    assert_eq!(
        closed.answer(p(1), &Ask::Verdicts { bid_set }, &held),
        Reply::NotReady {
            phase: Phase::Closed,
            halted: None
        }
    );
    assert!(matches!(
        closed.answer(p(0), &Ask::BidList, &held),
        Reply::Refused {
            reason: Refusal::NotAPeer { .. }
        }
    ));
}

#[test]
fn a_value_is_revealed_only_once_all_three_commitments_are_held() {
    let mut net = Net::new(Fixture::new());
    // Node 2 never answers a commitment ask.
    net.rewrite = Some(Box::new(|from, _to, reply| match reply {
        Reply::Commitment { .. } if from == p(2) => Reply::NotReady {
            phase: Phase::Checked,
            halted: None,
        },
        r => r,
    }));
    net.run_fair(10);
    assert_eq!(
        net.phases(),
        [Phase::Agreed, Phase::Agreed, Phase::Committed]
    );
    let bid_set = net.state(0).agreed_set().unwrap().bid_set;
    let held = HeldBids::default();
    for i in [0, 1] {
        assert_eq!(
            net.state(i).answer(p(2), &Ask::Reveal { bid_set }, &held),
            Reply::NotReady {
                phase: Phase::Agreed,
                halted: None
            }
        );
        assert!(matches!(
            net.state(i)
                .answer(p(2), &Ask::Commitment { bid_set }, &held),
            Reply::Commitment { .. }
        ));
    }
    // Node 2 holds all three commitments: it reveals, to a node of its
    // bid set only.
    assert!(matches!(
        net.state(2).answer(p(0), &Ask::Reveal { bid_set }, &held),
        Reply::Reveal { .. }
    ));
    let other = Digest([5; 32]);
    assert_eq!(
        net.state(2)
            .answer(p(0), &Ask::Reveal { bid_set: other }, &held),
        Reply::Refused {
            reason: Refusal::BidSetsDiffer {
                node: p(2),
                has: bid_set,
                asker: p(0),
                asked: other
            }
        }
    );
}

#[test]
fn an_outcome_of_another_seed_is_not_signed() {
    let mut net = Net::new(Fixture::new());
    net.nodes[1].outcome_filter = Some(|mut o: Outcome| {
        o.seed = "00".repeat(32);
        o
    });
    net.run_fair(20);
    let a = aborted(&net, 1);
    assert_eq!(a.step(), Phase::Seeded);
    assert_eq!(a.peer(), None);
    assert!(
        a.reason().to_string().starts_with(&format!(
            "the outcome's seed {} is not the agreed seed",
            "00".repeat(32)
        )),
        "{}",
        a.reason()
    );
    // The other two wait for its signature; nobody publishes.
    assert_eq!(
        net.phases(),
        [Phase::Cleared, Phase::Seeded, Phase::Cleared]
    );
}

#[test]
fn a_reply_from_a_later_step_is_unexpected() {
    let mut net = Net::new(Fixture::new());
    net.tick(0);
    let reveal = Reply::Reveal {
        value: Digest([1; 32]),
    };
    net.flight.push_back(Msg::Reply {
        from: p(2),
        to: p(0),
        reply: reveal,
    });
    net.deliver(0);
    let a = aborted(&net, 0);
    assert_eq!(a.step(), Phase::Closed);
    assert_eq!(
        a.reason().to_string(),
        "unexpected answer to a bid-list request from node 2: an answer to a reveal request"
    );
}

#[test]
fn local_failures_abort_and_resume() {
    let ctx = Context {
        me: p(2),
        auction_hash: Digest([3; 32]),
    };
    let s = State::start(ctx).abort(AbortReason::Local(
        "the state record is missing: the database is damaged".into(),
    ));
    assert_eq!(s.phase(), Phase::Collecting);
    assert_eq!(s.wants(), Wants::Resume);
    // Aborting again keeps the first reason.
    let again = s.clone().abort(AbortReason::Local("later".into()));
    assert_eq!(again, s);
    let State::Aborted(a) = s else { unreachable!() };
    assert_eq!(a.resume(), State::start(ctx));
}

#[test]
fn registry_differences_are_not_permanent() {
    let e = RetryReason::RegistriesDiffer {
        me: p(0),
        mine: RegistrySummary {
            digest: Digest([1; 32]),
            registered: 1,
        },
        differing: vec![],
    };
    assert!(
        e.to_string()
            .starts_with("bidder registries differ at the close")
    );
}
