//! The messages of the ceremony, in the pull model: a node sends an [`Ask`]
//! to a peer and gets a [`Reply`] built from what the peer's state holds.

use super::error::AbortReason;
use super::{BID_SETS_DIFFER, Phase};
use crate::wire::{BidSetEntry, Digest, Sig};
use crate::{Exclusion, Outcome};
use serde::{Deserialize, Serialize};
use shares::PartyId;
use std::fmt;

/// What one node asks another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Ask {
    /// The asker has closed: the held bid versions, and the registry.
    BidList,
    /// The peer's own pairwise component checks.
    Verdicts {
        /// The bid set the asker arrived at.
        bid_set: Digest,
    },
    /// The peer's seed commitment for this bid set.
    Commitment {
        /// The asker's bid set.
        bid_set: Digest,
    },
    /// The peer's seed value, once it holds all three commitments.
    Reveal {
        /// The asker's bid set.
        bid_set: Digest,
    },
    /// The peer's outcome and its signature.
    Signature {
        /// The asker's bid set.
        bid_set: Digest,
    },
}

/// The kinds of ask, in the order of the steps that make them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AskKind {
    /// [`Ask::BidList`].
    BidList,
    /// [`Ask::Verdicts`].
    Verdicts,
    /// [`Ask::Commitment`].
    Commitment,
    /// [`Ask::Reveal`].
    Reveal,
    /// [`Ask::Signature`].
    Signature,
}

impl fmt::Display for AskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AskKind::BidList => "bid-list",
            AskKind::Verdicts => "verdicts",
            AskKind::Commitment => "commitment",
            AskKind::Reveal => "reveal",
            AskKind::Signature => "signature",
        })
    }
}

impl Ask {
    /// Which kind of ask.
    pub fn kind(&self) -> AskKind {
        match self {
            Ask::BidList => AskKind::BidList,
            Ask::Verdicts { .. } => AskKind::Verdicts,
            Ask::Commitment { .. } => AskKind::Commitment,
            Ask::Reveal { .. } => AskKind::Reveal,
            Ask::Signature { .. } => AskKind::Signature,
        }
    }
}

/// One held version in a bid list. `common` is the [`component_digest`] of
/// the component the sender and the receiver both hold: the receiver could
/// compute it itself, and it must go to no one else (never logged: `Debug`
/// leaves it out).
///
/// [`component_digest`]: crate::wire::component_digest
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListEntry {
    /// The bid version, its signed commitments and the bidder's signature.
    pub bid: BidSetEntry,
    /// Digest of the component the two nodes share.
    pub common: Digest,
}

impl fmt::Debug for ListEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ListEntry({} version {})",
            self.bid.bidder, self.bid.version
        )
    }
}

/// Why a peer will not answer, for good.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Refusal {
    /// The asker's bid set is not the one the answering node holds.
    #[error("{BID_SETS_DIFFER}: node {} has {has}, node {} has {asked}", .node.index(), .asker.index())]
    BidSetsDiffer {
        /// The answering node.
        node: PartyId,
        /// Its bid set.
        has: Digest,
        /// The asking node.
        asker: PartyId,
        /// The asker's bid set.
        asked: Digest,
    },
    /// The ask came from the answering node itself.
    #[error("node {} is not its own peer", .node.index())]
    NotAPeer {
        /// The answering node.
        node: PartyId,
    },
}

/// An answer to an [`Ask`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    /// Not there yet: ask again later.
    NotReady {
        /// The answering node's phase.
        phase: Phase,
        /// Why the answering node stopped, when it has aborted (until its
        /// operator resumes it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        halted: Option<String>,
    },
    /// Will not answer: asking again changes nothing.
    Refused {
        /// Why.
        reason: Refusal,
    },
    /// Every held version.
    BidList {
        /// By bidder, then version.
        entries: Vec<ListEntry>,
        /// The answering node's registry digest.
        registry: Digest,
        /// How many bidders its registry holds.
        registered: u64,
    },
    /// Exclusions found by the answering node's own pairwise checks.
    Verdicts {
        /// The bid set the answering node arrived at.
        bid_set: Digest,
        /// Bids whose replicated components disagree.
        excluded: Vec<Exclusion>,
    },
    /// A seed commitment.
    Commitment {
        /// The commitment.
        commitment: Digest,
    },
    /// A seed value.
    Reveal {
        /// The value.
        value: Digest,
    },
    /// The answering node's outcome and signature.
    Signature {
        /// Its outcome.
        outcome: Outcome,
        /// Its signature over the outcome message.
        signature: Sig,
    },
}

/// The kinds of reply, for messages that name one without its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// [`Reply::NotReady`].
    NotReady,
    /// [`Reply::Refused`].
    Refused,
    /// The answer to an ask of this kind.
    Answer(AskKind),
}

impl fmt::Display for ReplyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyKind::NotReady => f.write_str("not ready"),
            ReplyKind::Refused => f.write_str("a refusal"),
            ReplyKind::Answer(k) => write!(f, "an answer to a {k} request"),
        }
    }
}

impl Reply {
    /// Which kind of reply.
    pub fn kind(&self) -> ReplyKind {
        match self {
            Reply::NotReady { .. } => ReplyKind::NotReady,
            Reply::Refused { .. } => ReplyKind::Refused,
            Reply::BidList { .. } => ReplyKind::Answer(AskKind::BidList),
            Reply::Verdicts { .. } => ReplyKind::Answer(AskKind::Verdicts),
            Reply::Commitment { .. } => ReplyKind::Answer(AskKind::Commitment),
            Reply::Reveal { .. } => ReplyKind::Answer(AskKind::Reveal),
            Reply::Signature { .. } => ReplyKind::Answer(AskKind::Signature),
        }
    }
}

/// Sorts a reply that reaches a node waiting for answers of kind `step`:
/// `Ok(Some)` is a first answer of that kind from `from`, `Ok(None)` leaves
/// the state as it is (not ready, a duplicate, or a stale answer of an
/// earlier step), `Err` is a refusal or an answer no ask of this node's
/// could have drawn.
pub(super) fn receive(
    me: PartyId,
    step: AskKind,
    from: PartyId,
    reply: Reply,
    heard: bool,
) -> Result<Option<Reply>, AbortReason> {
    let unexpected = |got| AbortReason::Unexpected {
        peer: from,
        asked: step,
        got,
    };
    if from == me {
        return Err(unexpected(reply.kind()));
    }
    match reply.kind() {
        ReplyKind::NotReady => Ok(None),
        ReplyKind::Refused => match reply {
            Reply::Refused { reason } => Err(AbortReason::PeerRefuses {
                peer: from,
                refusal: reason,
            }),
            _ => unreachable!("kind is Refused"),
        },
        ReplyKind::Answer(k) if k < step => Ok(None),
        ReplyKind::Answer(k) if k > step => Err(unexpected(reply.kind())),
        ReplyKind::Answer(_) if heard => Ok(None),
        ReplyKind::Answer(_) => Ok(Some(reply)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(i: usize) -> PartyId {
        PartyId::new(i).unwrap()
    }

    #[test]
    fn refusals_read_as_before() {
        let r = Refusal::BidSetsDiffer {
            node: p(2),
            has: Digest([1; 32]),
            asker: p(0),
            asked: Digest([2; 32]),
        };
        assert_eq!(
            r.to_string(),
            format!(
                "bid sets differ: node 2 has {}, node 0 has {}",
                "01".repeat(32),
                "02".repeat(32)
            )
        );
        assert!(r.to_string().starts_with(BID_SETS_DIFFER));
    }

    #[test]
    fn asks_and_replies_serialize_typed() {
        let ask = Ask::Reveal {
            bid_set: Digest([3; 32]),
        };
        let json = serde_json::to_string(&ask).unwrap();
        assert_eq!(
            json,
            format!("{{\"reveal\":{{\"bid_set\":\"{}\"}}}}", "03".repeat(32))
        );
        assert_eq!(serde_json::from_str::<Ask>(&json).unwrap(), ask);
        let r = Reply::NotReady {
            phase: Phase::Checked,
            halted: None,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"not_ready":{"phase":"checked"}}"#);
        assert_eq!(serde_json::from_str::<Reply>(&json).unwrap(), r);
        // A phase is one of the known names, not any text.
        assert!(serde_json::from_str::<Reply>(r#"{"not_ready":{"phase":"nearly"}}"#).is_err());
    }

    #[test]
    fn replies_are_sorted_by_step() {
        let commitment = || Reply::Commitment {
            commitment: Digest::default(),
        };
        let me = p(0);
        let step = AskKind::Commitment;
        assert_eq!(
            receive(me, step, p(1), commitment(), false),
            Ok(Some(commitment()))
        );
        assert_eq!(receive(me, step, p(1), commitment(), true), Ok(None));
        let stale = Reply::Verdicts {
            bid_set: Digest::default(),
            excluded: vec![],
        };
        assert_eq!(receive(me, step, p(1), stale, false), Ok(None));
        let early = Reply::Reveal {
            value: Digest::default(),
        };
        let e = receive(me, step, p(2), early, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected answer to a commitment request from node 2: an answer to a reveal request"
        );
        assert!(receive(me, step, p(0), commitment(), false).is_err());
        let not_ready = Reply::NotReady {
            phase: Phase::Closed,
            halted: None,
        };
        assert_eq!(receive(me, step, p(2), not_ready, false), Ok(None));
    }
}
