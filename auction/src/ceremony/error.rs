//! How a step fails: for a while (bidder registries that differ at the
//! close, which operators can fix) or for good (a peer that disagrees about
//! what all three must hold alike), and the state a node is in once it has
//! stopped for good.

use super::inputs::RegistrySummary;
use super::messages::{AskKind, Refusal, ReplyKind};
use super::{Phase, State};
use crate::wire::Digest;
use serde::{Deserialize, Serialize};
use shares::PartyId;
use std::fmt;

/// Why the ceremony stopped for good. The texts are the ones nodes log and
/// show in their status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AbortReason {
    /// The peer refused to answer.
    #[error("node {} refuses: {refusal}", .peer.index())]
    PeerRefuses {
        /// The peer.
        peer: PartyId,
        /// Its refusal.
        refusal: Refusal,
    },
    /// The peer answered with verdicts over another bid set.
    #[error("node {} arrived at bid set {theirs}, this node at {mine}", .peer.index())]
    OtherBidSet {
        /// The peer.
        peer: PartyId,
        /// Its bid set.
        theirs: Digest,
        /// This node's.
        mine: Digest,
    },
    /// The peer's seed value does not open its commitment.
    #[error("node {} revealed a value that does not open its commitment", .peer.index())]
    BadReveal {
        /// The peer.
        peer: PartyId,
    },
    /// The peer signed an outcome other than this node's.
    #[error("node {} computed a different outcome; not publishing", .peer.index())]
    DifferentOutcome {
        /// The peer.
        peer: PartyId,
    },
    /// The peer's signature over the common outcome does not verify.
    #[error("node {}'s outcome signature does not verify", .peer.index())]
    BadSignature {
        /// The peer.
        peer: PartyId,
    },
    /// The peer's answer is of a kind no ask of this step draws.
    #[error("unexpected answer to a {asked} request from node {}: {got}", .peer.index())]
    Unexpected {
        /// The peer.
        peer: PartyId,
        /// What this node was asking for.
        asked: AskKind,
        /// What came back.
        got: ReplyKind,
    },
    /// The outcome handed in was cleared with another seed.
    #[error("the outcome's seed {outcome_seed} is not the agreed seed {seed}")]
    OutcomeSeed {
        /// The outcome's seed field.
        outcome_seed: String,
        /// The seed of the three reveals.
        seed: crate::Seed,
    },
    /// The outcome handed in cannot be encoded for signing.
    #[error("{0}")]
    Unsignable(String),
    /// The bundle of all three signatures does not verify.
    #[error("outcome bundle does not verify: {0}")]
    BundleDoesNotVerify(String),
    /// The clearing's verification caught a node sending what the protocol
    /// does not prescribe (security with abort). No output was opened;
    /// this node does not sign.
    #[error("{}", cheating_text(check, peer))]
    Cheating {
        /// The check that failed (`mul`, `and`, `opening`, ...).
        check: String,
        /// The node the check points at, when it can tell.
        peer: Option<PartyId>,
    },
    /// A failure at this node outside the ceremony (its database, its
    /// clearing), recorded by the adapter.
    #[error("{0}")]
    Local(String),
}

fn cheating_text(check: &str, peer: &Option<PartyId>) -> String {
    let who = match peer {
        Some(p) => format!("node {} deviated from the protocol", p.index()),
        None => "a node deviated from the protocol (this check cannot tell which)".to_string(),
    };
    format!(
        "the clearing's `{check}` check failed: {who}; no output was opened and this node does not sign"
    )
}

impl AbortReason {
    /// The peer the failure is against, when there is one.
    pub fn peer(&self) -> Option<PartyId> {
        match self {
            AbortReason::PeerRefuses { peer, .. }
            | AbortReason::OtherBidSet { peer, .. }
            | AbortReason::BadReveal { peer }
            | AbortReason::DifferentOutcome { peer }
            | AbortReason::BadSignature { peer }
            | AbortReason::Unexpected { peer, .. } => Some(*peer),
            AbortReason::Cheating { peer, .. } => *peer,
            AbortReason::OutcomeSeed { .. }
            | AbortReason::Unsignable(_)
            | AbortReason::BundleDoesNotVerify(_)
            | AbortReason::Local(_) => None,
        }
    }
}

/// A ceremony stopped for good: why, and the state it stopped at (before
/// the failing message), which an operator's `resume` returns to once the
/// cause is repaired. It answers every ask with "not ready", naming the
/// reason, so its peers wait rather than fail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aborted {
    reason: AbortReason,
    at: Box<State>,
}

impl Aborted {
    /// Stops `at` for `reason`. A state already aborted keeps its first
    /// reason.
    pub(super) fn new(at: State, reason: AbortReason) -> Aborted {
        match at {
            State::Aborted(a) => a,
            at => Aborted {
                reason,
                at: Box::new(at),
            },
        }
    }

    /// Why.
    pub fn reason(&self) -> &AbortReason {
        &self.reason
    }

    /// The step it stopped at.
    pub fn step(&self) -> Phase {
        self.at.phase()
    }

    /// The peer the failure is against, when known.
    pub fn peer(&self) -> Option<PartyId> {
        self.reason.peer()
    }

    /// The state it stopped at.
    pub fn stopped_at(&self) -> &State {
        &self.at
    }

    /// The operator has repaired the cause: continue from where it stopped.
    pub fn resume(self) -> State {
        *self.at
    }
}

/// Why a step must be tried again, after someone fixes the cause.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RetryReason {
    /// The three nodes read different bidder registries at the close. The
    /// bids of a bidder one node does not know cannot be agreed on;
    /// operators can still add the missing bidders to a node's file.
    #[error(
        "bidder registries differ at the close: node {} has {} bidders (registry digest {}), {}; give the three nodes the same auction file (bidders can be added to it; the nodes read it again)",
        .me.index(), .mine.registered, .mine.digest, differing_list(.differing)
    )]
    RegistriesDiffer {
        /// This node.
        me: PartyId,
        /// Its registry.
        mine: RegistrySummary,
        /// The peers whose registry differs, in node order.
        differing: Vec<(PartyId, RegistrySummary)>,
    },
}

fn differing_list(d: &[(PartyId, RegistrySummary)]) -> String {
    d.iter()
        .map(|(p, r)| {
            format!(
                "node {} has {} bidders (registry digest {})",
                p.index(),
                r.registered,
                r.digest
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A transition that did not go through. Either way the error holds the
/// state to store and continue from.
#[derive(Debug)]
pub enum CeremonyError {
    /// Worth another try once the cause is fixed: continue from `state`,
    /// which has forgotten what must be asked again.
    Retry {
        /// What is wrong.
        reason: RetryReason,
        /// Where to continue.
        state: Box<State>,
    },
    /// Permanent: the ceremony has aborted.
    Abort(Box<Aborted>),
}

impl CeremonyError {
    pub(super) fn abort(at: impl Into<State>, reason: AbortReason) -> CeremonyError {
        CeremonyError::Abort(Box::new(Aborted::new(at.into(), reason)))
    }

    /// Whether retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, CeremonyError::Abort(_))
    }

    /// The step that failed.
    pub fn step(&self) -> Phase {
        match self {
            CeremonyError::Retry { state, .. } => state.phase(),
            CeremonyError::Abort(a) => a.step(),
        }
    }

    /// The peer the failure is against (the first one, when several are).
    pub fn peer(&self) -> Option<PartyId> {
        match self {
            CeremonyError::Retry {
                reason: RetryReason::RegistriesDiffer { differing, .. },
                ..
            } => differing.first().map(|(p, _)| *p),
            CeremonyError::Abort(a) => a.peer(),
        }
    }

    /// The state to store: the one to retry from, or the aborted one.
    pub fn into_state(self) -> State {
        match self {
            CeremonyError::Retry { state, .. } => *state,
            CeremonyError::Abort(a) => State::Aborted(*a),
        }
    }
}

impl fmt::Display for CeremonyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CeremonyError::Retry { reason, .. } => reason.fmt(f),
            CeremonyError::Abort(a) => a.reason.fmt(f),
        }
    }
}

impl std::error::Error for CeremonyError {}
