//! Three nodes running `auction::ceremony` on an in-memory network: each
//! node is a record, its held bids and its registry, and the harness plays
//! the adapters. Messages in flight can be delivered in any order, dropped
//! or duplicated; a node can restart (its record serialized and read back)
//! at any point; a reply can be rewritten on its way, to play a dishonest
//! peer. The outcome of the clearing is the reference clearing of the
//! plaintext bids: the harness is the test, not a node.
#![allow(dead_code)]

use auction::ceremony::{
    Ask, CeremonyRecord, Context, HeldBid, HeldBids, Inputs, Phase, PublicKeys, RegistrySummary,
    Reply, SeedValue, State, Wants,
};
use auction::wire::{Digest, OutcomeBundle, Submission, prepare_submissions};
use auction::{AuctionParams, Bid, BidderId, Order, Outcome, Price, Quantity, Seed};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use shares::PartyId;
use std::collections::{BTreeMap, VecDeque};

pub fn p(i: usize) -> PartyId {
    PartyId::new(i).expect("a node index")
}

/// An auction's public facts and every bid, as the bidders made them.
pub struct Fixture {
    pub params: AuctionParams,
    pub hash: Digest,
    pub node_keys: [SigningKey; 3],
    pub node_vks: [VerifyingKey; 3],
    pub bidder_keys: BTreeMap<BidderId, SigningKey>,
    /// Plaintext bids by bidder and version.
    pub bids: BTreeMap<(BidderId, u64), Bid>,
    /// What each node holds.
    pub held: [Vec<Submission>; 3],
    rng: ChaCha20Rng,
}

pub fn order(price: u32, quantity: u32) -> Order {
    Order {
        price: Price(price),
        quantity: Quantity(quantity),
    }
}

pub fn bidder(name: &str) -> BidderId {
    BidderId(name.into())
}

impl Fixture {
    /// Four registered bidders, each with one bid at all three nodes, that
    /// trade at a price.
    pub fn new() -> Fixture {
        let mut fx = Fixture::empty();
        for name in ["b1", "b2", "s1", "s2"] {
            fx.register(name);
        }
        fx.submit("b1", 1, vec![order(60, 10)], vec![], &[0, 1, 2]);
        fx.submit("b2", 1, vec![order(50, 5)], vec![], &[0, 1, 2]);
        fx.submit("s1", 1, vec![], vec![order(40, 8)], &[0, 1, 2]);
        fx.submit("s2", 1, vec![], vec![order(55, 10)], &[0, 1, 2]);
        fx
    }

    /// No bidders, no bids.
    pub fn empty() -> Fixture {
        let node_keys: [SigningKey; 3] =
            std::array::from_fn(|i| SigningKey::from_bytes(&[100 + i as u8; 32]));
        Fixture {
            params: AuctionParams {
                id: "ceremony-test".into(),
                max_price: 100,
                max_quantity: 100,
                max_orders_per_side: 1,
            },
            hash: Digest([42; 32]),
            node_vks: node_keys.each_ref().map(|k| k.verifying_key()),
            node_keys,
            bidder_keys: BTreeMap::new(),
            bids: BTreeMap::new(),
            held: [vec![], vec![], vec![]],
            rng: ChaCha20Rng::seed_from_u64(7),
        }
    }

    pub fn register(&mut self, name: &str) {
        let n = self.bidder_keys.len() as u8;
        self.bidder_keys
            .insert(bidder(name), SigningKey::from_bytes(&[n + 1; 32]));
    }

    pub fn registry(&self) -> BTreeMap<BidderId, VerifyingKey> {
        self.bidder_keys
            .iter()
            .map(|(b, k)| (b.clone(), k.verifying_key()))
            .collect()
    }

    /// A bid version, shared and signed by its bidder, delivered to `nodes`.
    pub fn submit(
        &mut self,
        name: &str,
        version: u64,
        buy: Vec<Order>,
        sell: Vec<Order>,
        nodes: &[usize],
    ) {
        let bid = Bid {
            bidder: bidder(name),
            buy,
            sell,
        };
        let key = &self.bidder_keys[&bid.bidder];
        let subs = prepare_submissions(
            &self.params,
            &bid,
            auction::wire::Version(version),
            key,
            &mut self.rng,
        )
        .expect("a bid that fits");
        for (i, s) in subs.into_iter().enumerate() {
            if nodes.contains(&i) {
                self.held[i].push(s);
            }
        }
        self.bids.insert((bid.bidder.clone(), version), bid);
    }

    /// What node `i` hands its ceremony.
    pub fn held_bids(&self, i: usize) -> HeldBids {
        HeldBids::new(self.held[i].iter().map(|s| {
            HeldBid::new(
                p(i),
                s.bidder.clone(),
                s.version,
                s.commitments,
                s.signature,
                &s.bundle,
            )
        }))
    }

    /// The reference clearing of the agreed set's bids.
    pub fn clear(&self, state: &State) -> Outcome {
        let set = state.agreed_set().expect("agreed");
        let seed = Seed(state.seed().expect("seeded").0);
        let bids: Vec<Bid> = set
            .entries
            .iter()
            .filter(|e| !set.excluded.iter().any(|x| x.bidder == e.bidder))
            .map(|e| self.bids[&(e.bidder.clone(), e.version.0)].clone())
            .collect();
        auction::reference::clear(&self.params, &seed, &bids, set.excluded.clone())
    }
}

/// A message in flight.
#[derive(Clone, Debug)]
pub enum Msg {
    Ask {
        from: PartyId,
        to: PartyId,
        ask: Ask,
    },
    Reply {
        from: PartyId,
        to: PartyId,
        reply: Reply,
    },
}

/// A failed transition, as a node's adapter would log it.
#[derive(Clone, Debug)]
pub struct Failure {
    pub node: usize,
    pub step: Phase,
    pub message: String,
    pub permanent: bool,
    pub peer: Option<PartyId>,
}

pub struct Node {
    pub record: CeremonyRecord,
    pub held: HeldBids,
    /// The registry this node's auction file gives.
    pub registry: BTreeMap<BidderId, VerifyingKey>,
    /// Rewrites the outcome this node's clearing hands in.
    pub outcome_filter: Option<fn(Outcome) -> Outcome>,
    rng: ChaCha20Rng,
}

type Rewrite = Box<dyn FnMut(PartyId, PartyId, Reply) -> Reply>;

/// Three nodes and the messages between them.
pub struct Net {
    pub fx: Fixture,
    pub nodes: Vec<Node>,
    pub flight: VecDeque<Msg>,
    pub failures: Vec<Failure>,
    /// Serialize and read back every record after every transition.
    pub restart_always: bool,
    /// Rewrites replies on their way (a dishonest peer).
    pub rewrite: Option<Rewrite>,
    /// Every component digest any node holds: none may reach a record.
    secrets: Vec<String>,
    /// Each node's record after each of its transitions.
    pub history: Vec<Vec<Vec<u8>>>,
}

impl Net {
    pub fn new(fx: Fixture) -> Net {
        let registry = fx.registry();
        let nodes: Vec<Node> = (0..3)
            .map(|i| Node {
                record: CeremonyRecord::new(State::start(Context {
                    me: p(i),
                    auction_hash: fx.hash,
                })),
                held: fx.held_bids(i),
                registry: registry.clone(),
                outcome_filter: None,
                rng: ChaCha20Rng::seed_from_u64(1000 + i as u64),
            })
            .collect();
        let secrets = nodes
            .iter()
            .flat_map(|n| n.held.iter())
            .flat_map(|h| [h.own_digest.to_hex(), h.next_digest.to_hex()])
            .collect();
        Net {
            fx,
            nodes,
            flight: VecDeque::new(),
            failures: vec![],
            restart_always: false,
            rewrite: None,
            secrets,
            history: vec![vec![], vec![], vec![]],
        }
    }

    pub fn state(&self, i: usize) -> &State {
        &self.nodes[i].record.state
    }

    pub fn phases(&self) -> [Phase; 3] {
        std::array::from_fn(|i| self.state(i).phase())
    }

    fn summary(&self, i: usize) -> RegistrySummary {
        RegistrySummary::of(&self.nodes[i].registry)
    }

    /// Stores node `i`'s new state, as an adapter would after every
    /// transition, and checks that no component digest is in it.
    fn store(&mut self, i: usize, state: State) {
        let record = CeremonyRecord::new(state);
        let bytes = record.to_bytes();
        let text = String::from_utf8(bytes.clone()).expect("JSON");
        let shown = format!("{record:?}");
        for s in &self.secrets {
            assert!(!text.contains(s), "a component digest in node {i}'s record");
            assert!(
                !shown.contains(s),
                "a component digest in node {i}'s record's Debug"
            );
        }
        if self.history[i].last() != Some(&bytes) {
            self.history[i].push(bytes.clone());
        }
        self.nodes[i].record = if self.restart_always {
            let back = CeremonyRecord::from_bytes(&bytes).expect("a stored record reads back");
            assert_eq!(back, record, "node {i}'s record changed through its bytes");
            back
        } else {
            record
        };
    }

    fn take_state(&mut self, i: usize) -> State {
        let placeholder = CeremonyRecord::new(State::start(Context {
            me: p(i),
            auction_hash: self.fx.hash,
        }));
        std::mem::replace(&mut self.nodes[i].record, placeholder).state
    }

    fn fail(&mut self, i: usize, e: &auction::ceremony::CeremonyError) {
        self.failures.push(Failure {
            node: i,
            step: e.step(),
            message: e.to_string(),
            permanent: e.is_permanent(),
            peer: e.peer(),
        });
    }

    /// Node `i` restarts: its record is read back from its bytes.
    pub fn restart(&mut self, i: usize) {
        let bytes = self.nodes[i].record.to_bytes();
        self.nodes[i].record = CeremonyRecord::from_bytes(&bytes).expect("reads back");
    }

    /// Node `i`'s adapter acts on what its state wants: closes (its close
    /// time has come), asks the peers it still needs, runs the clearing.
    pub fn tick(&mut self, i: usize) {
        let me = p(i);
        match self.state(i).wants() {
            Wants::Close => {
                let summary = self.summary(i);
                let State::Collecting(c) = self.take_state(i) else {
                    unreachable!()
                };
                self.store(i, c.close(summary).into());
            }
            Wants::Ask { ask, peers } => {
                // A closed node reads its registry again before asking.
                if let State::Closed(c) = self.state(i)
                    && c.registry() != self.summary(i)
                {
                    let summary = self.summary(i);
                    let State::Closed(c) = self.take_state(i) else {
                        unreachable!()
                    };
                    self.store(i, c.with_registry(summary).into());
                }
                for to in peers {
                    self.flight.push_back(Msg::Ask {
                        from: me,
                        to,
                        ask: ask.clone(),
                    });
                }
            }
            Wants::Outcome => {
                let mut outcome = self.fx.clear(self.state(i));
                if let Some(f) = self.nodes[i].outcome_filter {
                    outcome = f(outcome);
                }
                let State::SeedRevealed(s) = self.take_state(i) else {
                    unreachable!()
                };
                match s.on_outcome(outcome, &self.fx.node_keys[i]) {
                    Ok(c) => self.store(i, c.into()),
                    Err(e) => {
                        self.fail(i, &e);
                        self.store(i, e.into_state());
                    }
                }
            }
            Wants::Done | Wants::Resume => {}
        }
    }

    /// Delivers the message at `k` in flight.
    pub fn deliver(&mut self, k: usize) {
        let Some(msg) = self.flight.remove(k) else {
            return;
        };
        match msg {
            Msg::Ask { from, to, ask } => {
                let t = to.index();
                // A peer asks for the bid list only once it has closed.
                if ask == Ask::BidList && self.state(t).phase() == Phase::Collecting {
                    self.tick(t);
                }
                let mut reply = self.state(t).answer(from, &ask, &self.nodes[t].held);
                // Nothing is said before its step: above all, no value is
                // revealed before all three commitments are held.
                let phase = self.state(t).phase();
                let earliest = match &reply {
                    Reply::BidList { .. } => Phase::Closed,
                    Reply::Verdicts { .. } => Phase::Checked,
                    Reply::Commitment { .. } => Phase::Agreed,
                    Reply::Reveal { .. } => Phase::Committed,
                    Reply::Signature { .. } => Phase::Cleared,
                    Reply::NotReady { .. } | Reply::Refused { .. } => Phase::Collecting,
                };
                assert!(phase >= earliest, "node {t} at {phase} answered {reply:?}");
                if let Some(rw) = self.rewrite.as_mut() {
                    reply = rw(to, from, reply);
                }
                self.flight.push_back(Msg::Reply {
                    from: to,
                    to: from,
                    reply,
                });
            }
            Msg::Reply { from, to, reply } => {
                let i = to.index();
                let registry = self.fx.registry();
                let node_vks = self.fx.node_vks;
                let params = self.fx.params.clone();
                let seed_value = SeedValue::random(&mut self.nodes[i].rng);
                let held = self.nodes[i].held.clone();
                let inputs = Inputs {
                    held: &held,
                    seed_value,
                    keys: PublicKeys {
                        params: &params,
                        nodes: &node_vks,
                        bidders: &registry,
                    },
                };
                let state = self.take_state(i);
                match state.on_reply(from, reply, inputs) {
                    Ok(s) => self.store(i, s),
                    Err(e) => {
                        self.fail(i, &e);
                        self.store(i, e.into_state());
                    }
                }
            }
        }
    }

    /// Every node ticks, then everything in flight is delivered in order;
    /// until every node has published or aborted, or `rounds` pass.
    pub fn run_fair(&mut self, rounds: usize) {
        for _ in 0..rounds {
            if self.settled() {
                return;
            }
            for i in 0..3 {
                self.tick(i);
            }
            while !self.flight.is_empty() {
                self.deliver(0);
            }
        }
    }

    /// Whether every node has published or aborted.
    pub fn settled(&self) -> bool {
        (0..3).all(|i| matches!(self.state(i), State::Published(_) | State::Aborted(_)))
    }

    /// One action per choice: a node ticks, a message is delivered,
    /// dropped or duplicated, or a node restarts.
    pub fn run_schedule(&mut self, choices: &[u16]) {
        for &c in choices {
            let arg = usize::from(c / 8);
            let pick = |n: usize| if n == 0 { 0 } else { arg % n };
            match c % 8 {
                0 | 1 => self.tick(arg % 3),
                2..=4 => self.deliver(pick(self.flight.len())),
                5 => {
                    self.flight.remove(pick(self.flight.len()));
                }
                6 => {
                    if let Some(m) = self.flight.get(pick(self.flight.len())).cloned() {
                        self.flight.push_back(m);
                    }
                }
                _ => self.restart(arg % 3),
            }
        }
    }

    /// The published bundles, checked: the same at all three nodes, and
    /// verified with the nodes' keys and the registry.
    pub fn published(&self) -> OutcomeBundle {
        let bundles: Vec<&OutcomeBundle> = (0..3)
            .map(|i| {
                self.state(i).bundle().unwrap_or_else(|| {
                    panic!(
                        "node {i} has not published: {:?}; failures {:#?}",
                        self.phases(),
                        self.failures
                    )
                })
            })
            .collect();
        assert_eq!(bundles[0], bundles[1]);
        assert_eq!(bundles[1], bundles[2]);
        bundles[0]
            .verify(&auction::wire::Trusted {
                auction_hash: &self.fx.hash,
                params: &self.fx.params,
                node_keys: self.fx.node_vks,
                bidders: &self.fx.registry(),
            })
            .expect("the bundle verifies");
        bundles[0].clone()
    }
}
