//! The domain's vocabulary: parameters, prices, quantities, bidders, orders,
//! bids and outcomes, in the JSON forms of `docs/clearing.md`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A whole number of price ticks, `0..=max_price`, below `2^32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Price(pub u32);

/// A whole number of units, `0..=max_quantity`, below `2^32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(pub u32);

/// A sum of quantities: volumes, supply and demand. Never overflows: at most
/// `2^32` slots of `< 2^32` units each.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Volume(pub u64);

/// A bidder's public identifier, unique within an auction.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BidderId(pub String);

impl fmt::Display for BidderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The public parameters of an auction, fixed before it opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuctionParams {
    /// The auction's identifier.
    pub id: String,
    /// Prices are whole ticks in `0..=max_price`; `max_price < 2^32`.
    pub max_price: u32,
    /// Each order's quantity is in `0..=max_quantity`; `max_quantity < 2^32`.
    pub max_quantity: u32,
    /// K: a bid holds at most K buy orders and at most K sell orders.
    pub max_orders_per_side: u32,
}

/// Which side of the market an order is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy up to `q` at any clearing price `<= p`.
    Buy,
    /// Sell up to `q` at any clearing price `>= p`.
    Sell,
}

impl Side {
    /// The byte that stands for the side in the priority-key hash: `B` or `S`.
    pub fn tag(self) -> u8 {
        match self {
            Side::Buy => b'B',
            Side::Sell => b'S',
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        })
    }
}

/// A validated order: limit price and quantity, both in range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The limit price.
    pub price: Price,
    /// The quantity; zero is padding.
    pub quantity: Quantity,
}

/// A validated bid: at most K orders per side, every value in range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    /// Whose bid it is.
    pub bidder: BidderId,
    /// Buy orders, by slot.
    pub buy: Vec<Order>,
    /// Sell orders, by slot.
    pub sell: Vec<Order>,
}

/// One bidder's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// The bidder.
    pub bidder: BidderId,
    /// Sum of the bidder's buy fills.
    pub bought: Volume,
    /// Sum of the bidder's sell fills.
    pub sold: Volume,
}

/// A bid left out of the clearing, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// The bidder whose bid was excluded.
    pub bidder: BidderId,
    /// Why, in words.
    pub reason: String,
}

/// The published result of a clearing, in the spec's JSON form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The auction's id.
    pub auction: String,
    /// The clearing price; `None` (JSON `null`) when there is no trade.
    pub price: Option<Price>,
    /// The executed volume `X`.
    pub volume: Volume,
    /// The priority seed, 64 hex digits.
    pub seed: String,
    /// Every valid bidder, sorted by bidder id, zeros included.
    pub allocations: Vec<Allocation>,
    /// The excluded bids with their reasons.
    pub excluded: Vec<Exclusion>,
}
