//! Drawing the seed by commit and reveal: `SetAgreed` (own value drawn,
//! commitments gathered) → `SeedCommitted` (values gathered, each checked
//! against its commitment) → `SeedRevealed` (the seed; the adapter runs the
//! clearing) → `Cleared`. No node sees another's value before all three
//! have committed, so none can choose its own to steer the seed.

use super::error::CeremonyError;
use super::inputs::{RegistrySummary, SeedValue};
use super::messages::{AskKind, Reply, receive};
use super::publish::Cleared;
use super::reconcile::AgreedSet;
use super::{AbortReason, Context, Heard, Next};
use crate::Exclusion;
use crate::Outcome;
use crate::Seed;
use crate::wire::{Digest, SeedReveal, Sig, outcome_message, seed_commitment, seed_from_reveals};
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use shares::PartyId;

/// What a node knows from the agreed bid set to the end, and answers from:
/// its context, the registry, its own verdicts, the agreed set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    pub(super) ctx: Context,
    pub(super) registry: RegistrySummary,
    pub(super) verdicts: Vec<Exclusion>,
    pub(super) set: AgreedSet,
}

impl Agreement {
    /// The node's context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The registry the three nodes share.
    pub fn registry(&self) -> RegistrySummary {
        self.registry
    }

    /// This node's own pairwise verdicts.
    pub fn verdicts(&self) -> &[Exclusion] {
        &self.verdicts
    }

    /// The agreed bid set and exclusions.
    pub fn set(&self) -> &AgreedSet {
        &self.set
    }

    /// Node `node`'s seed commitment to `value` for this bid set.
    fn commitment(&self, node: PartyId, value: &[u8; 32]) -> Digest {
        seed_commitment(&self.ctx.auction_hash, &self.set.bid_set, node, value)
    }
}

/// The bid set is agreed and the node has drawn its seed value; it gathers
/// both peers' commitments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetAgreed {
    agreement: Agreement,
    seed_value: SeedValue,
    commitments: Heard<Digest>,
}

impl SetAgreed {
    pub(super) fn new(
        ctx: Context,
        registry: RegistrySummary,
        verdicts: Vec<Exclusion>,
        set: AgreedSet,
        seed_value: SeedValue,
    ) -> SetAgreed {
        SetAgreed {
            agreement: Agreement {
                ctx,
                registry,
                verdicts,
                set,
            },
            seed_value,
            commitments: Heard::default(),
        }
    }

    /// What the node has agreed.
    pub fn agreement(&self) -> &Agreement {
        &self.agreement
    }

    /// The peers' commitments heard so far.
    pub fn heard_commitments(&self) -> &Heard<Digest> {
        &self.commitments
    }

    /// This node's commitment to its seed value.
    pub fn own_commitment(&self) -> Digest {
        let me = self.agreement.ctx.me;
        self.agreement.commitment(me, self.seed_value.bytes())
    }

    /// Takes peer `from`'s reply to
    /// [`Ask::Commitment`](super::Ask::Commitment).
    pub fn on_commitment(
        self,
        from: PartyId,
        reply: Reply,
    ) -> Result<Next<SetAgreed, SeedCommitted>, CeremonyError> {
        let me = self.agreement.ctx.me;
        let heard = self.commitments.has(from);
        let reply = match receive(me, AskKind::Commitment, from, reply, heard) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(Next::Stay(self)),
            Err(reason) => return Err(CeremonyError::abort(self, reason)),
        };
        let Reply::Commitment { commitment } = reply else {
            unreachable!("receive passes answers of the step's kind only")
        };
        let mut next = self;
        next.commitments.put(from, commitment);
        if !next.commitments.complete(&next.agreement.ctx) {
            return Ok(Next::Stay(next));
        }
        let own = next.own_commitment();
        let commitments = PartyId::ALL.map(|p| next.commitments.get(p).copied().unwrap_or(own));
        Ok(Next::Advance(SeedCommitted {
            agreement: next.agreement,
            seed_value: next.seed_value,
            commitments,
            values: Heard::default(),
        }))
    }
}

/// All three commitments are held: the node reveals its value and gathers
/// both peers'.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCommitted {
    agreement: Agreement,
    seed_value: SeedValue,
    commitments: [Digest; 3],
    values: Heard<Digest>,
}

impl SeedCommitted {
    /// What the node has agreed.
    pub fn agreement(&self) -> &Agreement {
        &self.agreement
    }

    /// The three commitments, in node order.
    pub fn commitments(&self) -> &[Digest; 3] {
        &self.commitments
    }

    /// The peers' values heard so far.
    pub fn heard_values(&self) -> &Heard<Digest> {
        &self.values
    }

    /// This node's seed value, which it now reveals.
    pub fn own_value(&self) -> Digest {
        Digest(*self.seed_value.bytes())
    }

    /// Takes peer `from`'s reply to [`Ask::Reveal`](super::Ask::Reveal): a
    /// value that does not open the peer's commitment aborts.
    pub fn on_reveal(
        self,
        from: PartyId,
        reply: Reply,
    ) -> Result<Next<SeedCommitted, SeedRevealed>, CeremonyError> {
        let me = self.agreement.ctx.me;
        let heard = self.values.has(from);
        let reply = match receive(me, AskKind::Reveal, from, reply, heard) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(Next::Stay(self)),
            Err(reason) => return Err(CeremonyError::abort(self, reason)),
        };
        let Reply::Reveal { value } = reply else {
            unreachable!("receive passes answers of the step's kind only")
        };
        if self.agreement.commitment(from, &value.0) != self.commitments[from.index()] {
            return Err(CeremonyError::abort(
                self,
                AbortReason::BadReveal { peer: from },
            ));
        }
        let mut next = self;
        next.values.put(from, value);
        if !next.values.complete(&next.agreement.ctx) {
            return Ok(Next::Stay(next));
        }
        let own = next.own_value();
        let reveals: Vec<SeedReveal> = PartyId::ALL
            .into_iter()
            .map(|p| SeedReveal {
                node: p,
                commitment: next.commitments[p.index()],
                value: next.values.get(p).copied().unwrap_or(own),
            })
            .collect();
        let values: [[u8; 32]; 3] = std::array::from_fn(|i| reveals[i].value.0);
        Ok(Next::Advance(SeedRevealed {
            agreement: next.agreement,
            seed: seed_from_reveals(&values),
            reveals,
        }))
    }
}

/// The seed is drawn. The adapter runs the clearing on the agreed set with
/// it and hands the outcome in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRevealed {
    agreement: Agreement,
    reveals: Vec<SeedReveal>,
    seed: Seed,
}

impl SeedRevealed {
    /// What the node has agreed: the clearing's bids are the set's entries
    /// less the excluded bidders.
    pub fn agreement(&self) -> &Agreement {
        &self.agreement
    }

    /// The seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The three reveals, in node order.
    pub fn reveals(&self) -> &[SeedReveal] {
        &self.reveals
    }

    /// Takes the outcome of the clearing and signs it with `key`, this
    /// node's outcome-signing key. An outcome cleared with another seed, or
    /// that cannot be encoded, aborts.
    pub fn on_outcome(self, outcome: Outcome, key: &SigningKey) -> Result<Cleared, CeremonyError> {
        if outcome.seed != self.seed.to_hex() {
            let reason = AbortReason::OutcomeSeed {
                outcome_seed: outcome.seed.clone(),
                seed: self.seed,
            };
            return Err(CeremonyError::abort(self, reason));
        }
        let a = &self.agreement;
        let message = match outcome_message(&a.ctx.auction_hash, &a.set.bid_set, &outcome) {
            Ok(m) => m,
            Err(e) => {
                return Err(CeremonyError::abort(
                    self,
                    AbortReason::Unsignable(e.to_string()),
                ));
            }
        };
        let signature = Sig(key.sign(&message));
        Ok(Cleared::new(
            self.agreement,
            self.reveals,
            self.seed,
            outcome,
            signature,
        ))
    }
}
