//! Market files: the JSON form of a whole market (parameters, seed, every
//! bid) that the plaintext reference and every whole-market tool read.
//!
//! A market file may hold values a correct client would never produce:
//! negative or huge numbers, too many orders. Those are kept as written
//! ([`RawOrder`] holds `i128`) so that validation can exclude the bid with
//! its reason; they never make the whole file malformed. What does make it
//! malformed: text that is not JSON, a missing or unknown field, a number
//! that is not whole, a bad seed, or a repeated bidder id.

use crate::{AuctionParams, Bid, BidderId, Seed};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashMap;
use std::fmt;

/// A whole market: the auction's parameters, the priority seed and every bid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketFile {
    /// The auction's public parameters.
    pub auction: AuctionParams,
    /// The priority seed.
    pub seed: Seed,
    /// The bids as written, in file order.
    pub bids: Vec<RawBid>,
}

/// A bid as written in a market file, before validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBid {
    /// Whose bid it is.
    pub bidder: BidderId,
    /// Buy orders, by slot; may be longer than K.
    #[serde(default)]
    pub buy: Vec<RawOrder>,
    /// Sell orders, by slot; may be longer than K.
    #[serde(default)]
    pub sell: Vec<RawOrder>,
}

/// An order as written: any whole numbers, in range or not.
///
/// Integers in `i64::MIN..=u64::MAX` are kept exactly. Beyond 64 bits the
/// JSON reader only gives a rounded value (and beyond `i128` a saturated
/// one): such a value is out of range for any auction either way, and its
/// [`ring_value`] is `u64::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrder {
    /// The limit price as written.
    #[serde(deserialize_with = "whole_number")]
    pub price: i128,
    /// The quantity as written.
    #[serde(deserialize_with = "whole_number")]
    pub quantity: i128,
}

impl RawOrder {
    /// The price as a value of the ring `Z_2^64` (what a client shares).
    /// See [`ring_value`].
    pub fn ring_price(&self) -> u64 {
        ring_value(self.price)
    }

    /// The quantity as a value of the ring `Z_2^64`. See [`ring_value`].
    pub fn ring_quantity(&self) -> u64 {
        ring_value(self.quantity)
    }
}

/// A raw value as an element of `Z_2^64`: its 64-bit two's-complement value
/// when it fits in 64 bits (`i64::MIN..=u64::MAX`), else `u64::MAX`.
///
/// The map keeps validity: `ring_value(v) <= limit` exactly when
/// `0 <= v <= limit` for any `limit < 2^63`, so a range check on the ring
/// value excludes the same bids as the reference's check on the raw value.
/// (Plain truncation would not: `2^64 + 5` would become 5.)
pub fn ring_value(v: i128) -> u64 {
    if v >= i128::from(i64::MIN) && v <= i128::from(u64::MAX) {
        v as u64
    } else {
        u64::MAX
    }
}

/// Why a market file could not be read. Each variant says where.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// Not JSON, or not the market file's shape.
    #[error("malformed market file at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// Two bids carry the same bidder id.
    #[error(
        "malformed market file: bid {second} repeats bidder id \"{bidder}\" of bid {first} \
         (bids are counted from 0; bidder ids are unique within a market file)"
    )]
    DuplicateBidder {
        /// The repeated id.
        bidder: BidderId,
        /// Index of its first bid.
        first: usize,
        /// Index of the repeat.
        second: usize,
    },
}

impl From<serde_json::Error> for MarketError {
    fn from(e: serde_json::Error) -> Self {
        let full = e.to_string();
        // serde_json appends " at line L column C"; the variant holds those.
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        };
        MarketError::Json {
            line: e.line(),
            column: e.column(),
            message,
        }
    }
}

impl MarketFile {
    /// Reads a market file, checking its shape and that bidder ids are
    /// unique. Values are not range-checked here: see
    /// [`crate::validate::validate_bid`].
    pub fn parse(text: &str) -> Result<MarketFile, MarketError> {
        let market: MarketFile = serde_json::from_str(text)?;
        market.check_unique_bidders()?;
        Ok(market)
    }

    /// Fails on the first bidder id that appears twice.
    pub fn check_unique_bidders(&self) -> Result<(), MarketError> {
        let mut seen: HashMap<&BidderId, usize> = HashMap::with_capacity(self.bids.len());
        for (i, bid) in self.bids.iter().enumerate() {
            if let Some(&first) = seen.get(&bid.bidder) {
                return Err(MarketError::DuplicateBidder {
                    bidder: bid.bidder.clone(),
                    first,
                    second: i,
                });
            }
            seen.insert(&bid.bidder, i);
        }
        Ok(())
    }

    /// A market file holding valid bids (for tests and generators).
    pub fn from_bids(auction: AuctionParams, seed: Seed, bids: &[Bid]) -> MarketFile {
        MarketFile {
            auction,
            seed,
            bids: bids.iter().map(RawBid::from).collect(),
        }
    }

    /// The number of order slots the file holds (orders as written, padding
    /// included).
    pub fn order_count(&self) -> usize {
        self.bids.iter().map(|b| b.buy.len() + b.sell.len()).sum()
    }

    /// Compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a market file always serializes")
    }
}

impl From<&Bid> for RawBid {
    fn from(bid: &Bid) -> Self {
        let raw = |o: &crate::Order| RawOrder {
            price: i128::from(o.price.0),
            quantity: i128::from(o.quantity.0),
        };
        RawBid {
            bidder: bid.bidder.clone(),
            buy: bid.buy.iter().map(raw).collect(),
            sell: bid.sell.iter().map(raw).collect(),
        }
    }
}

/// Accepts any JSON number that is a whole number; integers too large for
/// `i128` saturate. A fraction is a malformed file (the format holds
/// integers only), reported with its position.
fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
    struct Whole;
    impl serde::de::Visitor<'_> for Whole {
        type Value = i128;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
        fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<i128, E> {
            Ok(v)
        }
        fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<i128, E> {
            Ok(i128::try_from(v).unwrap_or(i128::MAX))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i128, E> {
            // serde_json hands integers beyond 64 bits over as f64; they are
            // out of range for any auction, so their last digits don't matter.
            if v.is_finite() && v.fract() == 0.0 {
                Ok(v as i128) // saturating cast
            } else {
                Err(E::custom(format_args!(
                    "expected a whole number, found {v}"
                )))
            }
        }
    }
    d.deserialize_any(Whole)
}
