//! The agreement ceremony of the three clearing nodes after bidding closes,
//! as a pure state machine: no I/O, no runtime, no clock, no OS randomness.
//! A node's adapter carries [`Ask`]s and [`Reply`]s between nodes, stores
//! the [`CeremonyRecord`] after every transition, and supplies what comes
//! from outside (the held bids, the registry, a fresh seed value, the
//! outcome of the clearing, the signing key).
//!
//! # States
//!
//! Each state is a type holding exactly what the node knows at that step.
//! Transitions consume the state; a reply either leaves it where it is
//! ([`Next::Stay`]: still waiting for the other peer, or a duplicate or stale
//! reply) or moves it on ([`Next::Advance`]).
//!
//! ```text
//!  Collecting ──close(registry)──▶ Closed                     phase collecting → closed
//!                                    │ ask BidList of both peers
//!                                    │ (registries differ: Retry, fix the file,
//!                                    │  with_registry, ask again)
//!                                    ▼
//!                                 ListsChecked                 checked: bid set, "missing",
//!                                    │ ask Verdicts{bid_set}     own pairwise verdicts
//!                                    ▼
//!                                 SetAgreed                    agreed: exclusions merged,
//!                                    │ ask Commitment{bid_set}   own seed value drawn
//!                                    ▼
//!                                 SeedCommitted                committed: three commitments
//!                                    │ ask Reveal{bid_set}
//!                                    ▼
//!                                 SeedRevealed                 seeded: reveals checked, seed
//!                                    │ on_outcome(outcome, key)  (the adapter runs the clearing)
//!                                    ▼
//!                                 Cleared                      cleared: outcome signed
//!                                    │ ask Signature{bid_set}
//!                                    ▼
//!                                 Published                    published: bundle verified
//!
//!  any state ──permanent failure──▶ Aborted{reason, at} ──resume()──▶ at
//! ```
//!
//! # Messages
//!
//! The pull model: a node asks a peer for something ([`State::wants`] says
//! what and whom), the peer answers from what its state holds
//! ([`State::answer`]) or says [`Reply::NotReady`] with its [`Phase`], and
//! the asker asks again later. Every state answers every ask of its own step
//! and of the steps before it, so a peer that lags behind, restarts or lost
//! a reply always gets its answer again. Asks after the bid list carry the
//! asker's bid-set digest; a peer that holds another refuses
//! ([`Refusal::BidSetsDiffer`]) and the asker aborts. A seed value is
//! revealed only once all three commitments are held, so no node chooses its
//! value after seeing another's.
//!
//! | ask | answered from | reply |
//! | --- | --- | --- |
//! | `BidList` | closed on | held versions, registry digest and count |
//! | `Verdicts{bid_set}` | checked on | own pairwise exclusions |
//! | `Commitment{bid_set}` | agreed on | own seed commitment |
//! | `Reveal{bid_set}` | committed on | own seed value |
//! | `Signature{bid_set}` | cleared on | outcome and signature |
//!
//! A node still collecting answers `NotReady`; a peer asks for the bid list
//! only once it has closed, so the adapter closes this node first
//! ([`Collecting::close`]) and then answers.
//!
//! # An adapter
//!
//! ```text
//! on start:        record = CeremonyRecord::from_bytes(stored)      (or State::start)
//! repeatedly:      match record.state.wants() {
//!   Close            at the close time: collecting.close(RegistrySummary::of(registry))
//!   Ask{ask, peers}  while closed, closed.with_registry(..) if the file changed;
//!                    send `ask` to each peer; each reply:
//!                    state.on_reply(peer, reply, Inputs { held, seed_value: fresh, keys })
//!   Outcome          run the clearing on agreement().set() with seed();
//!                    seed_revealed.on_outcome(outcome, &signing_key)
//!   Done             serve bundle();            Resume: wait for the operator
//! }
//! a peer's ask:    if BidList while collecting: close first;
//!                  reply = state.answer(peer, &ask, &held)
//! every change:    store record.to_bytes() before anything leaves the node
//! Err(e):          log e (e.is_permanent(), e.peer(), e.step()); store e.into_state()
//! ```
//!
//! `held` ([`HeldBids`]) is read from the store once bidding has closed and
//! kept in memory only. The registry the lists were checked with is frozen
//! at [`ListsChecked`]: the adapter keeps it, and checks the bundle against
//! it ([`PublicKeys`]).
//!
//! # Failures
//!
//! A transition that fails returns a [`CeremonyError`] holding the state to
//! continue from: [`CeremonyError::Retry`] (bidder registries that differ at
//! the close: the operators can fix the auction files; the `Closed` state
//! forgets the lists and asks again) or [`CeremonyError::Abort`] (a
//! disagreement no retry changes: the node goes to [`Aborted`], which names
//! the step, the reason and the peer, and keeps the state it stopped at for
//! the operator's `resume`).
//!
//! # Secrets
//!
//! The record holds the node's own seed value before it is revealed
//! ([`SeedValue`]: opaque `Debug`, wiped on drop). The component digests
//! two nodes compare ([`HeldBid`]) never enter a state or the record: a
//! received list is compared on arrival and only the verdict is kept.
//!
//! # Adding a step
//!
//! 1. A state type in the file of its group, holding the previous state's
//!    knowledge and the new one, with an `on_…` transition.
//! 2. If peers exchange something: an [`Ask`] and a [`Reply`] variant, an
//!    [`AskKind`] in step order, and the answer in `state.rs` (every later
//!    state must keep answering it).
//! 3. A [`Phase`], a [`State`] variant with its dispatch, and
//!    [`RECORD_VERSION`] raised when stored records change shape.
//! 4. The harness in `tests/ceremony.rs` drives it under random schedules.

mod error;
mod inputs;
mod lists;
mod messages;
mod publish;
mod reconcile;
mod record;
mod seed;
mod state;

pub use error::{AbortReason, Aborted, CeremonyError, RetryReason};
pub use inputs::{HeldBid, HeldBids, PublicKeys, RegistrySummary, SeedValue};
pub use lists::{Closed, Collecting, ListsChecked};
pub use messages::{Ask, AskKind, ListEntry, Refusal, Reply, ReplyKind};
pub use publish::{Cleared, Published};
pub use reconcile::{AgreedSet, PeerEntry, PeerList, Reconciled};
pub use record::{CeremonyRecord, RECORD_VERSION, RecordError};
pub use seed::{Agreement, SeedCommitted, SeedRevealed, SetAgreed};
pub use state::{Inputs, State, Wants};

use crate::wire::Digest;
use serde::{Deserialize, Serialize};
use shares::PartyId;

/// Reason for a bid not held identically by all three nodes.
pub const REASON_MISSING: &str =
    "no version held by all three nodes with the same signed commitments";

/// How a peer's refusal starts when the two nodes hold different bid sets.
pub const BID_SETS_DIFFER: &str = "bid sets differ";

/// Reason for a replicated component that differs between its two holders:
/// component `j` is held by nodes `j` and `j - 1`.
pub fn reason_mismatch(component: PartyId) -> String {
    let (a, b) = (component.prev().index(), component.index());
    format!(
        "replicated share component {b} differs between node {} and node {}",
        a.min(b),
        a.max(b)
    )
}

/// The component node `me` holds in common with `peer`: its `next`
/// component (`me + 1`) with its successor, its `own` (`me`) with its
/// predecessor.
pub fn shared_component(me: PartyId, peer: PartyId) -> PartyId {
    if peer == me.next() { me.next() } else { me }
}

/// Where the ceremony stands at a node. The serialized names are the ones
/// the status shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Taking bids.
    Collecting,
    /// No more bids; exchanging bid lists.
    Closed,
    /// Bid lists compared, own pairwise component checks done.
    Checked,
    /// The bid set and exclusions are agreed; own seed value drawn.
    Agreed,
    /// All three seed commitments held.
    Committed,
    /// The seed is known; clearing.
    Seeded,
    /// The outcome is computed and signed by this node.
    Cleared,
    /// All three signatures held; the bundle is served.
    Published,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 8] = [
        Phase::Collecting,
        Phase::Closed,
        Phase::Checked,
        Phase::Agreed,
        Phase::Committed,
        Phase::Seeded,
        Phase::Cleared,
        Phase::Published,
    ];

    /// The serialized name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Collecting => "collecting",
            Phase::Closed => "closed",
            Phase::Checked => "checked",
            Phase::Agreed => "agreed",
            Phase::Committed => "committed",
            Phase::Seeded => "seeded",
            Phase::Cleared => "cleared",
            Phase::Published => "published",
        }
    }

    /// The phase of a serialized name.
    pub fn parse(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a node knows from the start and never changes: which node it is and
/// the auction it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// This node.
    pub me: PartyId,
    /// The auction hash (of the auction file's terms).
    pub auction_hash: Digest,
}

impl Context {
    /// The other two nodes, successor first.
    pub fn peers(&self) -> [PartyId; 2] {
        [self.me.next(), self.me.prev()]
    }
}

/// A transition's result: the same state (still waiting) or the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next<S, T> {
    /// Still waiting: a peer has not answered yet, or the reply was a
    /// duplicate, stale or "not ready".
    Stay(S),
    /// Both peers answered: the next step.
    Advance(T),
}

impl<S: Into<State>, T: Into<State>> From<Next<S, T>> for State {
    fn from(n: Next<S, T>) -> State {
        match n {
            Next::Stay(s) => s.into(),
            Next::Advance(t) => t.into(),
        }
    }
}

/// What a node has heard from each peer in the current step; its own slot
/// stays empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Heard<T>([Option<T>; 3]);

impl<T> Default for Heard<T> {
    fn default() -> Self {
        Heard([None, None, None])
    }
}

impl<T> Heard<T> {
    /// What `p` said, if it did.
    pub fn get(&self, p: PartyId) -> Option<&T> {
        self.0[p.index()].as_ref()
    }

    fn has(&self, p: PartyId) -> bool {
        self.0[p.index()].is_some()
    }

    /// Keeps `t` as `p`'s answer; a second answer from `p` is not kept.
    fn put(&mut self, p: PartyId, t: T) {
        self.0[p.index()].get_or_insert(t);
    }

    /// The peers of `ctx` not heard yet.
    pub fn missing(&self, ctx: &Context) -> Vec<PartyId> {
        ctx.peers().into_iter().filter(|p| !self.has(*p)).collect()
    }

    fn complete(&self, ctx: &Context) -> bool {
        self.missing(ctx).is_empty()
    }

    /// The answers heard, in node order.
    pub fn iter(&self) -> impl Iterator<Item = (PartyId, &T)> {
        PartyId::ALL
            .into_iter()
            .filter_map(|p| self.get(p).map(|t| (p, t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(i: usize) -> PartyId {
        PartyId::new(i).unwrap()
    }

    #[test]
    fn mismatch_reasons_name_both_holders() {
        assert_eq!(
            reason_mismatch(p(0)),
            "replicated share component 0 differs between node 0 and node 2"
        );
        assert_eq!(
            reason_mismatch(p(1)),
            "replicated share component 1 differs between node 0 and node 1"
        );
        assert_eq!(
            reason_mismatch(p(2)),
            "replicated share component 2 differs between node 1 and node 2"
        );
    }

    #[test]
    fn shared_components() {
        for me in PartyId::ALL {
            assert_eq!(shared_component(me, me.next()), me.next());
            assert_eq!(shared_component(me, me.prev()), me);
            // Both holders name the same component.
            assert_eq!(
                shared_component(me, me.next()),
                shared_component(me.next(), me)
            );
        }
    }

    #[test]
    fn phases_serialize_by_name_in_order() {
        for (i, ph) in Phase::ALL.into_iter().enumerate() {
            let json = serde_json::to_string(&ph).unwrap();
            assert_eq!(json, format!("\"{}\"", ph.name()));
            assert_eq!(serde_json::from_str::<Phase>(&json).unwrap(), ph);
            assert_eq!(Phase::parse(ph.name()), Some(ph));
            if i > 0 {
                assert!(Phase::ALL[i - 1] < ph);
            }
        }
        assert_eq!(Phase::parse("halted"), None);
    }

    #[test]
    fn heard_keeps_the_first_answer() {
        let ctx = Context {
            me: p(1),
            auction_hash: Digest::default(),
        };
        let mut h = Heard::default();
        assert_eq!(h.missing(&ctx), vec![p(2), p(0)]);
        h.put(p(2), 5);
        h.put(p(2), 6);
        assert_eq!(h.get(p(2)), Some(&5));
        assert_eq!(h.missing(&ctx), vec![p(0)]);
        h.put(p(0), 7);
        assert!(h.complete(&ctx));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, "[7,null,5]");
        assert_eq!(serde_json::from_str::<Heard<i32>>(&json).unwrap(), h);
    }
}
