//! Publishing: `Cleared` (own signature made, the peers' gathered, each
//! over the same outcome) → `Published` (the bundle with all three
//! signatures, verified as any auditor would).

use super::error::CeremonyError;
use super::inputs::PublicKeys;
use super::messages::{AskKind, Reply, receive};
use super::seed::Agreement;
use super::{AbortReason, Heard, Next};
use crate::Outcome;
use crate::Seed;
use crate::wire::{FORMAT, NodeSignature, OutcomeBundle, SeedReveal, Sig, outcome_message};
use serde::{Deserialize, Serialize};
use shares::PartyId;

/// The node has computed and signed the outcome; it gathers both peers'
/// signatures over the same outcome. (A node's adapter may still need to
/// join a rerun of the clearing for a peer that restarted before storing
/// its outcome: [`Cleared::agreement`] and [`Cleared::seed`] are its
/// inputs.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cleared {
    agreement: Agreement,
    reveals: Vec<SeedReveal>,
    seed: Seed,
    outcome: Outcome,
    signature: Sig,
    signatures: Heard<Sig>,
}

impl Cleared {
    pub(super) fn new(
        agreement: Agreement,
        reveals: Vec<SeedReveal>,
        seed: Seed,
        outcome: Outcome,
        signature: Sig,
    ) -> Cleared {
        Cleared {
            agreement,
            reveals,
            seed,
            outcome,
            signature,
            signatures: Heard::default(),
        }
    }

    /// What the node has agreed.
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

    /// This node's outcome.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// This node's signature over it.
    pub fn signature(&self) -> Sig {
        self.signature
    }

    /// The peers' signatures heard so far.
    pub fn heard_signatures(&self) -> &Heard<Sig> {
        &self.signatures
    }

    /// Takes peer `from`'s reply to
    /// [`Ask::Signature`](super::Ask::Signature): its outcome must be this
    /// node's and its signature verify with its key in `keys`. With both,
    /// the bundle is made and verified against `keys` (the nodes' keys and
    /// the bidder registry frozen at the list check).
    pub fn on_signature(
        self,
        from: PartyId,
        reply: Reply,
        keys: PublicKeys<'_>,
    ) -> Result<Next<Cleared, Published>, CeremonyError> {
        let me = self.agreement.ctx.me;
        let heard = self.signatures.has(from);
        let reply = match receive(me, AskKind::Signature, from, reply, heard) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(Next::Stay(self)),
            Err(reason) => return Err(CeremonyError::abort(self, reason)),
        };
        let Reply::Signature { outcome, signature } = reply else {
            unreachable!("receive passes answers of the step's kind only")
        };
        if outcome != self.outcome {
            return Err(CeremonyError::abort(
                self,
                AbortReason::DifferentOutcome { peer: from },
            ));
        }
        let a = &self.agreement;
        // The own outcome was encoded when it was signed.
        let message = outcome_message(&a.ctx.auction_hash, &a.set.bid_set, &self.outcome)
            .expect("the outcome was encoded when it was signed");
        if keys.nodes[from.index()]
            .verify_strict(&message, &signature.0)
            .is_err()
        {
            return Err(CeremonyError::abort(
                self,
                AbortReason::BadSignature { peer: from },
            ));
        }
        let mut heard = self.signatures.clone();
        heard.put(from, signature);
        if !heard.complete(&self.agreement.ctx) {
            return Ok(Next::Stay(Cleared {
                signatures: heard,
                ..self
            }));
        }
        let signatures = PartyId::ALL
            .into_iter()
            .map(|p| NodeSignature {
                node: p,
                signature: heard.get(p).copied().unwrap_or(self.signature),
            })
            .collect();
        let bundle = OutcomeBundle {
            format: FORMAT,
            auction_hash: a.ctx.auction_hash,
            bid_set: a.set.entries.clone(),
            bid_set_digest: a.set.bid_set,
            seed_reveals: self.reveals.clone(),
            outcome: self.outcome.clone(),
            signatures,
        };
        // Stopped before this reply, so a resumed node asks for it again.
        if let Err(e) = bundle.verify(&crate::wire::Trusted {
            auction_hash: &a.ctx.auction_hash,
            params: keys.params,
            node_keys: *keys.nodes,
            bidders: keys.bidders,
        }) {
            return Err(CeremonyError::abort(
                self,
                AbortReason::BundleDoesNotVerify(e),
            ));
        }
        Ok(Next::Advance(Published {
            agreement: self.agreement,
            seed: self.seed,
            bundle,
        }))
    }
}

/// The outcome bundle with all three signatures, verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    agreement: Agreement,
    seed: Seed,
    bundle: OutcomeBundle,
}

impl Published {
    /// What the node agreed.
    pub fn agreement(&self) -> &Agreement {
        &self.agreement
    }

    /// The seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The bundle to serve.
    pub fn bundle(&self) -> &OutcomeBundle {
        &self.bundle
    }
}
