//! Any state of the ceremony, and what every state does alike: say its
//! phase, answer a peer's ask from what it holds, say what it still needs,
//! take a peer's reply.

use super::error::{Aborted, CeremonyError};
use super::inputs::{HeldBids, PublicKeys, RegistrySummary, SeedValue};
use super::lists::{Closed, Collecting, ListsChecked};
use super::messages::{Ask, Refusal, Reply};
use super::publish::{Cleared, Published};
use super::reconcile::AgreedSet;
use super::seed::{Agreement, SeedCommitted, SeedRevealed, SetAgreed};
use super::{AbortReason, Context, Phase};
use crate::wire::{Digest, OutcomeBundle, Sig};
use crate::{Exclusion, Outcome};
use serde::{Deserialize, Serialize};
use shares::PartyId;

/// The ceremony at one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Bidding is open.
    Collecting(Collecting),
    /// Bid lists are being exchanged.
    Closed(Closed),
    /// Verdicts are being exchanged.
    ListsChecked(ListsChecked),
    /// Seed commitments are being exchanged.
    SetAgreed(SetAgreed),
    /// Seed values are being exchanged.
    SeedCommitted(SeedCommitted),
    /// The seed is drawn; the clearing runs.
    SeedRevealed(SeedRevealed),
    /// Outcome signatures are being exchanged.
    Cleared(Cleared),
    /// The bundle is published.
    Published(Published),
    /// Stopped for good, until an operator resumes it.
    Aborted(Aborted),
}

macro_rules! into_state {
    ($($t:ident),*) => {$(
        impl From<$t> for State {
            fn from(s: $t) -> State {
                State::$t(s)
            }
        }
    )*};
}

into_state!(
    Collecting,
    Closed,
    ListsChecked,
    SetAgreed,
    SeedCommitted,
    SeedRevealed,
    Cleared,
    Published,
    Aborted
);

/// What a node needs next to move on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wants {
    /// Bidding to close: at the close time, by the operator, or when a peer
    /// asks for the bid list.
    Close,
    /// Answers to `ask` from these peers (asked again until they answer).
    Ask {
        /// What to ask.
        ask: Ask,
        /// Whom.
        peers: Vec<PartyId>,
    },
    /// The outcome of the clearing on the agreed set with the seed
    /// ([`SeedRevealed::on_outcome`]).
    Outcome,
    /// Nothing: the bundle is published.
    Done,
    /// An operator's `resume` ([`Aborted::resume`]).
    Resume,
}

/// The inputs a reply may need, supplied by the adapter with each reply.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// This node's held versions (read by the bid-list step).
    pub held: &'a HeldBids,
    /// A freshly drawn seed value (kept by the step that agrees the set,
    /// dropped otherwise).
    pub seed_value: SeedValue,
    /// The keys the outcome is checked with (read by the signature step).
    pub keys: PublicKeys<'a>,
}

/// What a state can tell a peer, step by step; `None` until it can.
struct Known<'a> {
    registry: Option<RegistrySummary>,
    bid_set: Option<Digest>,
    verdicts: Option<&'a [Exclusion]>,
    commitment: Option<Digest>,
    reveal: Option<Digest>,
    signature: Option<(&'a Outcome, Sig)>,
}

impl Known<'_> {
    fn nothing() -> Self {
        Known {
            registry: None,
            bid_set: None,
            verdicts: None,
            commitment: None,
            reveal: None,
            signature: None,
        }
    }
}

impl State {
    /// A node's ceremony before the close.
    pub fn start(ctx: Context) -> State {
        Collecting::new(ctx).into()
    }

    /// Where it stands; an aborted ceremony is at the phase it stopped at.
    pub fn phase(&self) -> Phase {
        match self {
            State::Collecting(_) => Phase::Collecting,
            State::Closed(_) => Phase::Closed,
            State::ListsChecked(_) => Phase::Checked,
            State::SetAgreed(_) => Phase::Agreed,
            State::SeedCommitted(_) => Phase::Committed,
            State::SeedRevealed(_) => Phase::Seeded,
            State::Cleared(_) => Phase::Cleared,
            State::Published(_) => Phase::Published,
            State::Aborted(a) => a.step(),
        }
    }

    /// The node's context.
    pub fn context(&self) -> &Context {
        match self {
            State::Collecting(s) => s.context(),
            State::Closed(s) => s.context(),
            State::ListsChecked(s) => s.context(),
            State::Aborted(a) => a.stopped_at().context(),
            _ => self.agreement().expect("agreed from here on").context(),
        }
    }

    /// What the node has agreed, once it has.
    pub fn agreement(&self) -> Option<&Agreement> {
        match self {
            State::SetAgreed(s) => Some(s.agreement()),
            State::SeedCommitted(s) => Some(s.agreement()),
            State::SeedRevealed(s) => Some(s.agreement()),
            State::Cleared(s) => Some(s.agreement()),
            State::Published(s) => Some(s.agreement()),
            State::Aborted(a) => a.stopped_at().agreement(),
            _ => None,
        }
    }

    /// The agreed bid set and exclusions, once agreed.
    pub fn agreed_set(&self) -> Option<&AgreedSet> {
        self.agreement().map(|a| a.set())
    }

    /// The seed, once drawn.
    pub fn seed(&self) -> Option<crate::Seed> {
        match self {
            State::SeedRevealed(s) => Some(s.seed()),
            State::Cleared(s) => Some(s.seed()),
            State::Published(s) => Some(s.seed()),
            State::Aborted(a) => a.stopped_at().seed(),
            _ => None,
        }
    }

    /// The published bundle.
    pub fn bundle(&self) -> Option<&OutcomeBundle> {
        match self {
            State::Published(s) => Some(s.bundle()),
            _ => None,
        }
    }

    /// What the node needs next.
    pub fn wants(&self) -> Wants {
        let ask = |ask: Ask, peers: Vec<PartyId>| Wants::Ask { ask, peers };
        match self {
            State::Collecting(_) => Wants::Close,
            State::Closed(s) => ask(Ask::BidList, s.lists().missing(s.context())),
            State::ListsChecked(s) => ask(
                Ask::Verdicts {
                    bid_set: s.checked().bid_set,
                },
                s.heard_verdicts().missing(s.context()),
            ),
            State::SetAgreed(s) => ask(
                Ask::Commitment {
                    bid_set: s.agreement().set().bid_set,
                },
                s.heard_commitments().missing(s.agreement().context()),
            ),
            State::SeedCommitted(s) => ask(
                Ask::Reveal {
                    bid_set: s.agreement().set().bid_set,
                },
                s.heard_values().missing(s.agreement().context()),
            ),
            State::SeedRevealed(_) => Wants::Outcome,
            State::Cleared(s) => ask(
                Ask::Signature {
                    bid_set: s.agreement().set().bid_set,
                },
                s.heard_signatures().missing(s.agreement().context()),
            ),
            State::Published(_) => Wants::Done,
            State::Aborted(_) => Wants::Resume,
        }
    }

    fn known(&self) -> Known<'_> {
        match self {
            State::Collecting(_) | State::Aborted(_) => Known::nothing(),
            State::Closed(s) => Known {
                registry: Some(s.registry()),
                ..Known::nothing()
            },
            State::ListsChecked(s) => Known {
                registry: Some(s.registry()),
                bid_set: Some(s.checked().bid_set),
                verdicts: Some(&s.checked().verdicts),
                ..Known::nothing()
            },
            State::SetAgreed(s) => Known {
                commitment: Some(s.own_commitment()),
                ..agreed(s.agreement())
            },
            State::SeedCommitted(s) => {
                let me = s.agreement().context().me;
                Known {
                    commitment: Some(s.commitments()[me.index()]),
                    reveal: Some(s.own_value()),
                    ..agreed(s.agreement())
                }
            }
            State::SeedRevealed(s) => revealed(agreed(s.agreement()), s.agreement(), s.reveals()),
            State::Cleared(s) => Known {
                signature: Some((s.outcome(), s.signature())),
                ..revealed(agreed(s.agreement()), s.agreement(), s.reveals())
            },
            State::Published(s) => {
                let b = s.bundle();
                let me = s.agreement().context().me;
                Known {
                    signature: Some((&b.outcome, b.signatures[me.index()].signature)),
                    ..revealed(agreed(s.agreement()), s.agreement(), &b.seed_reveals)
                }
            }
        }
    }

    /// The answer to peer `from`'s `ask`, from what this state holds.
    /// `held`, this node's held versions, is read only to answer
    /// [`Ask::BidList`]. A node still collecting answers "not ready": its
    /// adapter closes it first ([`Collecting::close`]) when the ask is for
    /// the bid list, since a peer asks for it only once it has closed.
    pub fn answer(&self, from: PartyId, ask: &Ask, held: &HeldBids) -> Reply {
        let phase = self.phase();
        let not_ready = Reply::NotReady {
            phase,
            halted: None,
        };
        if let State::Aborted(a) = self {
            return Reply::NotReady {
                phase,
                halted: Some(a.reason().to_string()),
            };
        }
        let me = self.context().me;
        if from == me {
            return Reply::Refused {
                reason: Refusal::NotAPeer { node: me },
            };
        }
        let k = self.known();
        let reply = match ask {
            Ask::BidList => k.registry.map(|r| Reply::BidList {
                entries: held.list_for(me, from),
                registry: r.digest,
                registered: r.registered,
            }),
            Ask::Verdicts { bid_set } => k.verdicts.map(|v| Reply::Verdicts {
                bid_set: *bid_set,
                excluded: v.to_vec(),
            }),
            Ask::Commitment { .. } => k
                .commitment
                .map(|commitment| Reply::Commitment { commitment }),
            Ask::Reveal { .. } => k.reveal.map(|value| Reply::Reveal { value }),
            Ask::Signature { .. } => k.signature.map(|(outcome, signature)| Reply::Signature {
                outcome: outcome.clone(),
                signature,
            }),
        };
        let Some(reply) = reply else {
            return not_ready;
        };
        // Every ask after the bid list names the asker's bid set; a node
        // that holds another refuses rather than answer.
        let asked = match ask {
            Ask::BidList => None,
            Ask::Verdicts { bid_set }
            | Ask::Commitment { bid_set }
            | Ask::Reveal { bid_set }
            | Ask::Signature { bid_set } => Some(*bid_set),
        };
        match (asked, k.bid_set) {
            (Some(asked), Some(has)) if asked != has => Reply::Refused {
                reason: Refusal::BidSetsDiffer {
                    node: me,
                    has,
                    asker: from,
                    asked,
                },
            },
            _ => reply,
        }
    }

    /// Takes peer `from`'s reply in whatever state the node is in. A state
    /// that asks nothing (collecting, seeded, published, aborted) stays as
    /// it is: the reply is stale.
    pub fn on_reply(
        self,
        from: PartyId,
        reply: Reply,
        inputs: Inputs<'_>,
    ) -> Result<State, CeremonyError> {
        Ok(match self {
            State::Closed(s) => s.on_bid_list(from, reply, inputs.held)?.into(),
            State::ListsChecked(s) => s.on_verdicts(from, reply, inputs.seed_value)?.into(),
            State::SetAgreed(s) => s.on_commitment(from, reply)?.into(),
            State::SeedCommitted(s) => s.on_reveal(from, reply)?.into(),
            State::Cleared(s) => s.on_signature(from, reply, inputs.keys)?.into(),
            other @ (State::Collecting(_)
            | State::SeedRevealed(_)
            | State::Published(_)
            | State::Aborted(_)) => other,
        })
    }

    /// Stops the ceremony for a failure at this node outside it (its
    /// database, its clearing). An aborted ceremony keeps its first reason.
    pub fn abort(self, reason: AbortReason) -> State {
        State::Aborted(Aborted::new(self, reason))
    }
}

/// Once the set is agreed: the registry, the bid set and the own verdicts.
fn agreed(a: &Agreement) -> Known<'_> {
    Known {
        registry: Some(a.registry()),
        bid_set: Some(a.set().bid_set),
        verdicts: Some(a.verdicts()),
        ..Known::nothing()
    }
}

/// Once the seed values are revealed: the own commitment and value are the
/// reveal's.
fn revealed<'a>(base: Known<'a>, a: &Agreement, reveals: &[crate::wire::SeedReveal]) -> Known<'a> {
    let own = &reveals[a.context().me.index()];
    Known {
        commitment: Some(own.commitment),
        reveal: Some(own.value),
        ..base
    }
}
