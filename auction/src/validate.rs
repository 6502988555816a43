//! The validity rule: a bid is valid when it has at most K orders per side
//! and every price is in `0..=max_price` and every quantity in
//! `0..=max_quantity`. An invalid bid is excluded whole.
//!
//! Checks run in a fixed order and the first failure is the one reported:
//! the buy count, the sell count, then every buy slot and every sell slot
//! in slot order, price before quantity.
//!
//! The detail ([`BidError`]'s message, naming bidder, side, slot, field and
//! limit) is for the bidder's own check before sending and for the auditor's
//! diagnostics. The published outcome says only [`INVALID_BID`]: which value
//! was out of range is never part of it, and the three-party clearing never
//! computes it.

use crate::market::{MarketFile, RawBid, RawOrder};
use crate::{AuctionParams, Bid, BidderId, Exclusion, Order, Price, Quantity, Side};
use std::fmt;

/// The published reason of every bid the clearing rule excludes (a price or
/// quantity out of range, more than K orders on a side).
pub const INVALID_BID: &str = "invalid bid";

/// Which value of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The limit price.
    Price,
    /// The quantity.
    Quantity,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Price => "price",
            Field::Quantity => "quantity",
        })
    }
}

/// Shows a raw value; beyond 64 bits the file's digits were not kept exactly
/// (see [`RawOrder`]), so it says so instead of printing a rounded number.
struct ShowRaw(i128);

impl fmt::Display for ShowRaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= i128::from(i64::MIN) && self.0 <= i128::from(u64::MAX) {
            self.0.fmt(f)
        } else {
            f.write_str("(a number beyond 64 bits)")
        }
    }
}

/// Why a bid is invalid, naming the bidder, side, slot, field and limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BidError {
    /// More than K orders on one side.
    #[error("bidder {bidder}: {count} {side} orders, more than the limit of {limit} per side")]
    TooManyOrders {
        /// The bidder.
        bidder: BidderId,
        /// The side with too many orders.
        side: Side,
        /// How many orders that side holds.
        count: usize,
        /// K.
        limit: u32,
    },
    /// A price or quantity outside `0..=limit`.
    #[error(
        "bidder {bidder}: {side} order in slot {slot}: {field} {shown} is outside 0..={limit}",
        shown = ShowRaw(*value)
    )]
    OutOfRange {
        /// The bidder.
        bidder: BidderId,
        /// The order's side.
        side: Side,
        /// The order's 0-based slot on its side.
        slot: u32,
        /// Price or quantity.
        field: Field,
        /// The value as written (saturated beyond `i128`, approximate beyond
        /// 64 bits).
        value: i128,
        /// `max_price` or `max_quantity`.
        limit: u32,
    },
}

impl BidError {
    /// The bidder the error is about.
    pub fn bidder(&self) -> &BidderId {
        match self {
            BidError::TooManyOrders { bidder, .. } | BidError::OutOfRange { bidder, .. } => bidder,
        }
    }

    /// The exclusion this error causes, as published: the bidder and
    /// [`INVALID_BID`], whatever the error.
    pub fn to_exclusion(&self) -> Exclusion {
        Exclusion {
            bidder: self.bidder().clone(),
            reason: INVALID_BID.to_string(),
        }
    }
}

/// Checks a raw bid, returning the first error with full detail.
pub fn check_bid(params: &AuctionParams, raw: &RawBid) -> Result<Bid, BidError> {
    let k = params.max_orders_per_side;
    for (side, orders) in [(Side::Buy, &raw.buy), (Side::Sell, &raw.sell)] {
        if orders.len() as u64 > u64::from(k) {
            return Err(BidError::TooManyOrders {
                bidder: raw.bidder.clone(),
                side,
                count: orders.len(),
                limit: k,
            });
        }
    }
    let side_orders = |side: Side, orders: &[RawOrder]| -> Result<Vec<Order>, BidError> {
        orders
            .iter()
            .enumerate()
            .map(|(slot, o)| {
                let slot = slot as u32; // at most K < 2^32 slots
                let check = |field: Field, value: i128, limit: u32| {
                    if (0..=i128::from(limit)).contains(&value) {
                        Ok(value as u32)
                    } else {
                        Err(BidError::OutOfRange {
                            bidder: raw.bidder.clone(),
                            side,
                            slot,
                            field,
                            value,
                            limit,
                        })
                    }
                };
                Ok(Order {
                    price: Price(check(Field::Price, o.price, params.max_price)?),
                    quantity: Quantity(check(Field::Quantity, o.quantity, params.max_quantity)?),
                })
            })
            .collect()
    };
    Ok(Bid {
        bidder: raw.bidder.clone(),
        buy: side_orders(Side::Buy, &raw.buy)?,
        sell: side_orders(Side::Sell, &raw.sell)?,
    })
}

/// The validity rule: the valid bid, or the exclusion as published.
pub fn validate_bid(params: &AuctionParams, raw: &RawBid) -> Result<Bid, Exclusion> {
    check_bid(params, raw).map_err(|e| e.to_exclusion())
}

/// Splits a market's bids into the valid ones and the exclusions, both in
/// file order.
pub fn validate_market(market: &MarketFile) -> (Vec<Bid>, Vec<Exclusion>) {
    let mut valid = Vec::with_capacity(market.bids.len());
    let mut excluded = Vec::new();
    for raw in &market.bids {
        match validate_bid(&market.auction, raw) {
            Ok(bid) => valid.push(bid),
            Err(ex) => excluded.push(ex),
        }
    }
    (valid, excluded)
}
