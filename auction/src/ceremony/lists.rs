//! From the close to the agreed bid set: `Collecting` → `Closed` (bid
//! lists exchanged) → `ListsChecked` (verdicts exchanged) → `SetAgreed`.

use super::error::CeremonyError;
use super::inputs::{HeldBids, RegistrySummary, SeedValue};
use super::messages::{AskKind, Reply, receive};
use super::reconcile::{self, AgreedSet, PeerList, Reconciled};
use super::seed::SetAgreed;
use super::{AbortReason, Context, Heard, Next};
use crate::Exclusion;
use serde::{Deserialize, Serialize};
use shares::PartyId;

/// Bidding is open. The node knows only who it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collecting {
    ctx: Context,
}

impl Collecting {
    /// The start of the ceremony at a node.
    pub fn new(ctx: Context) -> Collecting {
        Collecting { ctx }
    }

    /// The node's context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Ends bidding: at the close time, by the operator, or because a peer
    /// asked for this node's bid list (a peer asks only once it has
    /// closed). `registry` is the node's bidder registry now.
    pub fn close(self, registry: RegistrySummary) -> Closed {
        Closed {
            ctx: self.ctx,
            registry,
            lists: Heard::default(),
        }
    }
}

/// Bidding has closed; the node gathers both peers' bid lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closed {
    ctx: Context,
    registry: RegistrySummary,
    lists: Heard<PeerList>,
}

impl Closed {
    /// The node's context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The registry this node sends and compares.
    pub fn registry(&self) -> RegistrySummary {
        self.registry
    }

    /// The lists heard so far.
    pub fn lists(&self) -> &Heard<PeerList> {
        &self.lists
    }

    /// The node's registry as it reads it now: bidders may be registered
    /// until the three nodes have compared their lists.
    pub fn with_registry(self, registry: RegistrySummary) -> Closed {
        Closed { registry, ..self }
    }

    /// Takes peer `from`'s reply to [`Ask::BidList`](super::Ask::BidList).
    /// Once both lists are held the registries are compared (differing:
    /// [`CeremonyError::Retry`], the lists forgotten) and the lists
    /// reconciled with `held`, this node's own versions.
    pub fn on_bid_list(
        self,
        from: PartyId,
        reply: Reply,
        held: &HeldBids,
    ) -> Result<Next<Closed, ListsChecked>, CeremonyError> {
        let me = self.ctx.me;
        let reply = match receive(me, AskKind::BidList, from, reply, self.lists.has(from)) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(Next::Stay(self)),
            Err(reason) => return Err(CeremonyError::abort(self, reason)),
        };
        let Reply::BidList {
            entries,
            registry,
            registered,
        } = reply
        else {
            unreachable!("receive passes answers of the step's kind only")
        };
        let theirs = RegistrySummary {
            digest: registry,
            registered,
        };
        let mut next = self;
        next.lists
            .put(from, PeerList::keep(me, from, theirs, entries, held));
        if !next.lists.complete(&next.ctx) {
            return Ok(Next::Stay(next));
        }
        let lists: Vec<(PartyId, &PeerList)> = next.lists.iter().collect();
        if let Err(reason) = reconcile::registries(me, next.registry, &lists) {
            // Asked again once the operators have fixed the files.
            next.lists = Heard::default();
            return Err(CeremonyError::Retry {
                reason,
                state: Box::new(next.into()),
            });
        }
        let checked = reconcile::reconcile(me, held, &lists);
        Ok(Next::Advance(ListsChecked {
            ctx: next.ctx,
            registry: next.registry,
            checked,
            verdicts: Heard::default(),
        }))
    }
}

/// The lists are compared: this node's bid set, the bids missing from it
/// and its own pairwise verdicts. It gathers both peers' verdicts. The
/// registry is frozen from here on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListsChecked {
    ctx: Context,
    registry: RegistrySummary,
    checked: Reconciled,
    verdicts: Heard<Vec<Exclusion>>,
}

impl ListsChecked {
    /// The node's context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The registry the three nodes share.
    pub fn registry(&self) -> RegistrySummary {
        self.registry
    }

    /// The result of the list exchange.
    pub fn checked(&self) -> &Reconciled {
        &self.checked
    }

    /// The peers' verdicts heard so far.
    pub fn heard_verdicts(&self) -> &Heard<Vec<Exclusion>> {
        &self.verdicts
    }

    /// Takes peer `from`'s reply to [`Ask::Verdicts`](super::Ask::Verdicts).
    /// Once both peers' verdicts are held, every exclusion is merged per
    /// bidder and `seed_value`, freshly drawn by the adapter, becomes this
    /// node's contribution to the seed (unused while still waiting).
    pub fn on_verdicts(
        self,
        from: PartyId,
        reply: Reply,
        seed_value: SeedValue,
    ) -> Result<Next<ListsChecked, SetAgreed>, CeremonyError> {
        let me = self.ctx.me;
        let reply = match receive(me, AskKind::Verdicts, from, reply, self.verdicts.has(from)) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(Next::Stay(self)),
            Err(reason) => return Err(CeremonyError::abort(self, reason)),
        };
        let Reply::Verdicts { bid_set, excluded } = reply else {
            unreachable!("receive passes answers of the step's kind only")
        };
        if bid_set != self.checked.bid_set {
            let reason = AbortReason::OtherBidSet {
                peer: from,
                theirs: bid_set,
                mine: self.checked.bid_set,
            };
            return Err(CeremonyError::abort(self, reason));
        }
        let mut next = self;
        next.verdicts.put(from, excluded);
        if !next.verdicts.complete(&next.ctx) {
            return Ok(Next::Stay(next));
        }
        let c = &next.checked;
        let excluded = reconcile::merge(
            c.missing
                .iter()
                .chain(&c.verdicts)
                .chain(next.verdicts.iter().flat_map(|(_, v)| v)),
        );
        let set = AgreedSet {
            entries: c.entries.clone(),
            bid_set: c.bid_set,
            excluded,
        };
        Ok(Next::Advance(SetAgreed::new(
            next.ctx,
            next.registry,
            next.checked.verdicts,
            set,
            seed_value,
        )))
    }
}
