//! A deterministic generator of realistic markets.
//!
//! The default is shaped like the Danish sugar-beet auction of 2008: 1,229
//! bidders, about two thirds of them sellers, each with a curve of 1 to 16
//! breakpoints around a common price level with individual noise; prices in
//! ticks of 0.01 up to 100,000.00 (`max_price` = 10,000,000 ticks),
//! quantities in tons, K = 16. Larger markets (up to millions of order
//! slots) keep the same shape with more bidders.
//!
//! Only integer arithmetic on a ChaCha stream is used, so a seed gives the
//! same market on every machine.

use crate::market::{MarketFile, RawBid, RawOrder};
use crate::{AuctionParams, BidderId, Seed};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenParams {
    /// The auction id written into the market.
    pub id: String,
    /// The generator's seed; the market's priority seed is drawn from it.
    pub seed: u64,
    /// How many bidders.
    pub bidders: usize,
    /// K.
    pub max_orders_per_side: u32,
    /// Largest price, in ticks.
    pub max_price: u32,
    /// Largest quantity of one order.
    pub max_quantity: u32,
    /// The common price level bidders' valuations scatter around, in ticks.
    pub price_level: u32,
    /// Sellers per thousand bidders.
    pub sellers_per_mille: u32,
    /// Pad every bid to exactly K orders per side with zero-quantity orders,
    /// as a client does before sharing, so that the file holds
    /// `bidders * 2K` order slots.
    pub pad: bool,
}

impl Default for GenParams {
    fn default() -> Self {
        GenParams::sugar_beet()
    }
}

impl GenParams {
    /// The sugar-beet-like market: 1,229 bidders, K = 16, no padding.
    pub fn sugar_beet() -> Self {
        GenParams {
            id: "beet".to_string(),
            seed: 2008,
            bidders: 1229,
            max_orders_per_side: 16,
            max_price: 10_000_000,
            max_quantity: 1_000_000,
            price_level: 2_500_000,
            sellers_per_mille: 667,
            pad: false,
        }
    }

    /// The same shape with enough bidders for `slots` order slots
    /// (`slots = bidders * 2K`, rounded up), padded so that every slot is in
    /// the file.
    pub fn with_slots(slots: usize) -> Self {
        let mut p = GenParams::sugar_beet();
        let per_bidder = 2 * p.max_orders_per_side as usize;
        p.bidders = slots.div_ceil(per_bidder);
        p.pad = true;
        p.id = format!("beet-{slots}");
        p
    }

    /// The number of order slots: `bidders * 2K`.
    pub fn slots(&self) -> usize {
        self.bidders * 2 * self.max_orders_per_side as usize
    }
}

/// Draws from a ChaCha stream with integer arithmetic only.
struct Draw(ChaCha8Rng);

impl Draw {
    /// Uniform in `0..n` (multiply-shift; the bias is below 2^-32 here).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// A bell-shaped deviation in per mille: the sum of four uniforms,
    /// spread about 9% (standard deviation), never beyond 30%.
    fn deviation_per_mille(&mut self) -> i64 {
        (0..4).map(|_| self.range(-150, 150)).sum::<i64>() / 2
    }
}

/// Generates the market described by `p`. The same `p` gives the same
/// market, byte for byte.
pub fn generate(p: &GenParams) -> MarketFile {
    let mut d = Draw(ChaCha8Rng::seed_from_u64(p.seed));
    let mut seed = [0u8; 32];
    d.0.fill_bytes(&mut seed);
    let k = p.max_orders_per_side.max(1) as i64;
    let width = p.bidders.to_string().len().max(4);
    let level = i64::from(p.price_level);
    // Prices are rounded to whole multiples of 0.50 (50 ticks), as people bid.
    let tick_step = 50i64;
    let clamp_price = |x: i64| x.clamp(0, i64::from(p.max_price));

    let bids = (0..p.bidders)
        .map(|i| {
            let seller = d.below(1000) < u64::from(p.sellers_per_mille);
            let valuation = level * (1000 + d.deviation_per_mille()) / 1000;
            let n = d.range(1, k);
            // Farm sizes spread over two orders of magnitude: 50 to ~12,800
            // tons; buyers (a third of the bidders) take twice as much each.
            let mut total = (50i64 << d.below(8)) * d.range(1000, 2000) / 1000;
            if !seller {
                total *= 2;
            }
            // Breakpoints fan out from 15% below the valuation to 25% above
            // it for sellers (more offered at higher prices), and from 15%
            // above to 25% below for buyers.
            let mut orders: Vec<RawOrder> = (0..n)
                .map(|j| {
                    let fan = -150 + 400 * j / n + d.range(0, 400 / n);
                    let per_mille = if seller { 1000 + fan } else { 1000 - fan };
                    let price = clamp_price(valuation * per_mille / 1000 / tick_step * tick_step);
                    let quantity = (total / n + d.range(-(total / n) / 2, (total / n) / 2))
                        .clamp(1, i64::from(p.max_quantity));
                    RawOrder {
                        price: i128::from(price),
                        quantity: i128::from(quantity),
                    }
                })
                .collect();
            let mut empty = Vec::new();
            if p.pad {
                let zero = RawOrder {
                    price: 0,
                    quantity: 0,
                };
                orders.resize(k as usize, zero);
                empty.resize(k as usize, zero);
            }
            let (buy, sell) = if seller {
                (empty, orders)
            } else {
                (orders, empty)
            };
            RawBid {
                bidder: BidderId(format!("farmer-{:0width$}", i + 1)),
                buy,
                sell,
            }
        })
        .collect();

    MarketFile {
        auction: AuctionParams {
            id: p.id.clone(),
            max_price: p.max_price,
            max_quantity: p.max_quantity,
            max_orders_per_side: p.max_orders_per_side,
        },
        seed: Seed(seed),
        bids,
    }
}
