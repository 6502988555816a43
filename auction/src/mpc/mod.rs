//! The clearing as a three-party program on secret-shared bids.
//!
//! [`clear`] is what each of the three nodes runs: it takes this party's
//! share components of every bid, the public bidder ids, the seed and a
//! [`shares::Party`] (which holds the transport), and returns the outcome of
//! `shared/spec/clearing.md`, equal bit for bit to [`crate::reference`].
//! The steps, their formulas and why they are right are in [`ideal`], the
//! plaintext twin that runs the same algorithm in the clear.
//!
//! # What is opened
//!
//! Every opening passes the engine's one choke point with a label. In a whole
//! clearing of `N` bids, of which `N_v` are valid, exactly these outputs are
//! opened, in this order:
//!
//! | label | count | what |
//! | --- | --- | --- |
//! | [`LABEL_VALIDITY`] | `N` | one validity bit per bid |
//! | [`LABEL_REASON`] | `N - N_v` | per invalid bid, whether its first bad value is a price or a quantity: the reason the outcome publishes |
//! | [`LABEL_VOLUME`] | 1 | `V*`; zero means no trade |
//! | [`LABEL_PRICE`] | 1 if `V* > 0` | `p*` |
//! | [`LABEL_ALLOCATION`] | `2 N_v` if `V* > 0` | each valid bid's bought and sold totals |
//!
//! plus the masked values the engine's sub-protocols open under their own
//! labels. Nothing is opened when there is no valid bid beyond the validity
//! bits (and reasons): the empty market's outcome is public.

pub mod deal;
pub mod ideal;
pub mod layout;

use crate::validate::Field;
use crate::{Allocation, AuctionParams, BidderId, Exclusion, Outcome, Price, Seed, Volume};

/// Label of the per-bid validity bits.
pub const LABEL_VALIDITY: &str = "clearing/validity";
/// Label of the exclusion reason of an invalid bid.
pub const LABEL_REASON: &str = "clearing/exclusion-reason";
/// Label of the volume `V*`.
pub const LABEL_VOLUME: &str = "clearing/volume";
/// Label of the clearing price `p*`.
pub const LABEL_PRICE: &str = "clearing/price";
/// Label of the allocations (bought, sold per valid bid).
pub const LABEL_ALLOCATION: &str = "clearing/allocation";

/// Which value of an invalid bid failed first (layout order: buy slots then
/// sell slots, price before quantity), which is what the outcome's reason
/// names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidValue {
    /// A price above `max_price` (or negative).
    Price,
    /// A quantity above `max_quantity` (or negative).
    Quantity,
}

impl InvalidValue {
    /// The published reason, worded as the reference words it.
    pub fn reason(self) -> String {
        let field = match self {
            InvalidValue::Price => Field::Price,
            InvalidValue::Quantity => Field::Quantity,
        };
        format!("{field} out of range")
    }
}

/// Builds the published outcome from the opened values: every valid bid's
/// allocation (sorted by bidder id) and every exclusion, those given and
/// those found invalid (sorted by bidder id).
#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble_outcome(
    params: &AuctionParams,
    seed: &Seed,
    bidders: &[BidderId],
    checks: &[Option<InvalidValue>],
    volume: u64,
    price: Option<u64>,
    bought: &[u64],
    sold: &[u64],
    mut excluded: Vec<Exclusion>,
) -> Outcome {
    let mut allocations = Vec::new();
    for (i, bidder) in bidders.iter().enumerate() {
        match checks[i] {
            None => allocations.push(Allocation {
                bidder: bidder.clone(),
                bought: Volume(bought[i]),
                sold: Volume(sold[i]),
            }),
            Some(bad) => excluded.push(Exclusion {
                bidder: bidder.clone(),
                reason: bad.reason(),
            }),
        }
    }
    allocations.sort_by(|a, b| a.bidder.cmp(&b.bidder));
    excluded.sort_by(|a, b| a.bidder.cmp(&b.bidder));
    Outcome {
        auction: params.id.clone(),
        // p* is in 0..=max_price whenever V* > 0.
        price: price.map(|p| Price(p as u32)),
        volume: Volume(volume),
        seed: seed.to_hex(),
        allocations,
        excluded,
    }
}
