//! The clearing rule in the clear: the reference every other clearing is
//! checked against, bit for bit (`docs/clearing.md`).
//!
//! Demand `D(x)` and supply `S(x)` are step functions that change only at a
//! sell limit `p` and just above a buy limit (`p + 1`). The reference sorts
//! the orders once, sweeps those breakpoints (and 0) in price order, and
//! treats each stretch between two breakpoints as one piece on which `D`,
//! `S`, `V` and `U` are constant: `O(n log n)` in the number of orders,
//! independent of `max_price`.

use crate::market::MarketFile;
use crate::priority::priority_key;
use crate::validate::validate_market;
use crate::{
    Allocation, AuctionParams, Bid, BidderId, Exclusion, Outcome, Price, Quantity, Seed, Side,
    Volume,
};
use serde::{Deserialize, Serialize};

/// How the price was found: the figures of the spec's steps 1 to 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceTrace {
    /// `V*`, the largest executable volume.
    pub max_volume: Volume,
    /// `U*`, the least surplus among the prices with `V = V*`.
    pub min_surplus: Volume,
    /// The low end of the tied range `T`.
    pub lo: Price,
    /// The high end of the tied range `T`.
    pub hi: Price,
    /// `D(p*)`.
    pub demand: Volume,
    /// `S(p*)`.
    pub supply: Volume,
}

/// One bid's fills, slot by slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidFills {
    /// The bidder.
    pub bidder: BidderId,
    /// The fill of each buy slot.
    pub buy: Vec<Quantity>,
    /// The fill of each sell slot.
    pub sell: Vec<Quantity>,
}

impl BidFills {
    /// The fills of one side.
    pub fn side(&self, side: Side) -> &[Quantity] {
        match side {
            Side::Buy => &self.buy,
            Side::Sell => &self.sell,
        }
    }
}

/// A clearing with everything behind the outcome: per-order fills and the
/// price trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clearing {
    /// The published outcome.
    pub outcome: Outcome,
    /// Per-order fills, one entry per bid in the order the bids were given.
    pub fills: Vec<BidFills>,
    /// The price steps; `None` when there is no trade.
    pub trace: Option<PriceTrace>,
}

/// `D(x)`: the sum of quantities of buy orders with limit `>= x`.
pub fn demand_at(bids: &[Bid], x: Price) -> Volume {
    Volume(
        bids.iter()
            .flat_map(|b| &b.buy)
            .filter(|o| o.price >= x)
            .map(|o| u64::from(o.quantity.0))
            .sum(),
    )
}

/// `S(x)`: the sum of quantities of sell orders with limit `<= x`.
pub fn supply_at(bids: &[Bid], x: Price) -> Volume {
    Volume(
        bids.iter()
            .flat_map(|b| &b.sell)
            .filter(|o| o.price <= x)
            .map(|o| u64::from(o.quantity.0))
            .sum(),
    )
}

/// Validates a market's bids and clears the valid ones.
pub fn clear_market(market: &MarketFile) -> Outcome {
    clear_market_detailed(market).outcome
}

/// [`clear_market`] with per-order fills (indexed like the valid bids, in
/// file order) and the price trace.
pub fn clear_market_detailed(market: &MarketFile) -> Clearing {
    let (bids, excluded) = validate_market(market);
    clear_detailed(&market.auction, &market.seed, &bids, excluded)
}

/// Clears valid bids (bidder ids unique). `excluded` is carried into the
/// outcome, sorted by bidder id.
pub fn clear(
    params: &AuctionParams,
    seed: &Seed,
    bids: &[Bid],
    excluded: Vec<Exclusion>,
) -> Outcome {
    clear_detailed(params, seed, bids, excluded).outcome
}

/// An order that can carry volume: quantity above zero.
#[derive(Clone, Copy)]
struct Live {
    price: u32,
    quantity: u32,
    bid: u32,
    slot: u32,
}

fn live_orders(bids: &[Bid], side: Side) -> Vec<Live> {
    let mut out = Vec::new();
    for (b, bid) in bids.iter().enumerate() {
        let orders = match side {
            Side::Buy => &bid.buy,
            Side::Sell => &bid.sell,
        };
        for (s, o) in orders.iter().enumerate() {
            if o.quantity.0 > 0 {
                out.push(Live {
                    price: o.price.0,
                    quantity: o.quantity.0,
                    bid: b as u32,
                    slot: s as u32,
                });
            }
        }
    }
    out
}

/// The figures of steps 1 to 4 over the live orders, each side sorted by
/// ascending price; `None` when `V* = 0`.
fn find_price(max_price: u32, buys: &[Live], sells: &[Live]) -> Option<(Price, PriceTrace)> {
    let total_demand: u64 = buys.iter().map(|o| u64::from(o.quantity)).sum();
    let mut points: Vec<u32> = Vec::with_capacity(buys.len() + sells.len() + 1);
    points.push(0);
    points.extend(sells.iter().map(|o| o.price));
    points.extend(
        buys.iter()
            .filter(|o| o.price < max_price)
            .map(|o| o.price + 1),
    );
    points.sort_unstable();
    points.dedup();

    // Best piece so far: (V, U), and D, S at the first and last piece of T.
    struct Best {
        v: u64,
        u: u64,
        lo: u32,
        hi: u32,
        lo_ds: (u64, u64),
        hi_ds: (u64, u64),
        last_piece: usize,
    }
    let mut best: Option<Best> = None;
    let (mut bi, mut below) = (0usize, 0u64); // buys with limit < x, their sum
    let (mut si, mut supply) = (0usize, 0u64); // sells with limit <= x, their sum
    for (j, &x) in points.iter().enumerate() {
        while bi < buys.len() && buys[bi].price < x {
            below += u64::from(buys[bi].quantity);
            bi += 1;
        }
        while si < sells.len() && sells[si].price <= x {
            supply += u64::from(sells[si].quantity);
            si += 1;
        }
        let demand = total_demand - below;
        let end = points.get(j + 1).map_or(max_price, |&next| next - 1);
        let (v, u) = (demand.min(supply), demand.abs_diff(supply));
        match &mut best {
            Some(b) if (v, std::cmp::Reverse(u)) < (b.v, std::cmp::Reverse(b.u)) => {}
            Some(b) if v == b.v && u == b.u => {
                // T is one interval (the spec): ties are adjacent pieces.
                debug_assert_eq!(b.last_piece + 1, j, "the tied range is not an interval");
                b.hi = end;
                b.hi_ds = (demand, supply);
                b.last_piece = j;
            }
            _ => {
                best = Some(Best {
                    v,
                    u,
                    lo: x,
                    hi: end,
                    lo_ds: (demand, supply),
                    hi_ds: (demand, supply),
                    last_piece: j,
                })
            }
        }
    }
    let b = best.expect("0 is always a breakpoint");
    if b.v == 0 {
        return None;
    }
    let price = if b.hi_ds.0 > b.hi_ds.1 {
        b.hi
    } else if b.lo_ds.0 < b.lo_ds.1 {
        b.lo
    } else {
        ((u64::from(b.lo) + u64::from(b.hi)) / 2) as u32
    };
    let demand: u64 = buys
        .iter()
        .filter(|o| o.price >= price)
        .map(|o| u64::from(o.quantity))
        .sum();
    let supply: u64 = sells
        .iter()
        .filter(|o| o.price <= price)
        .map(|o| u64::from(o.quantity))
        .sum();
    Some((
        Price(price),
        PriceTrace {
            max_volume: Volume(b.v),
            min_surplus: Volume(b.u),
            lo: Price(b.lo),
            hi: Price(b.hi),
            demand: Volume(demand),
            supply: Volume(supply),
        },
    ))
}

/// Fills the long side's eligible orders (already sorted by price priority)
/// until `volume` is used up: price first, then priority key, bidder id and
/// slot. Keys are computed only at the one price level where the volume
/// runs out.
fn fill_long_side(
    eligible: &[Live],
    side: Side,
    mut left: u64,
    seed: &Seed,
    bids: &[Bid],
    fills: &mut [BidFills],
) {
    let mut set = |o: &Live, q: u32| {
        let f = &mut fills[o.bid as usize];
        match side {
            Side::Buy => f.buy[o.slot as usize] = Quantity(q),
            Side::Sell => f.sell[o.slot as usize] = Quantity(q),
        }
    };
    let mut i = 0;
    while i < eligible.len() && left > 0 {
        let price = eligible[i].price;
        let j = i + eligible[i..]
            .iter()
            .take_while(|o| o.price == price)
            .count();
        let level = &eligible[i..j];
        let level_total: u64 = level.iter().map(|o| u64::from(o.quantity)).sum();
        if level_total <= left {
            level.iter().for_each(|o| set(o, o.quantity));
            left -= level_total;
        } else {
            let mut keyed: Vec<(u64, &BidderId, u32, &Live)> = level
                .iter()
                .map(|o| {
                    let bidder = &bids[o.bid as usize].bidder;
                    (priority_key(seed, bidder, side, o.slot), bidder, o.slot, o)
                })
                .collect();
            keyed.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
            for (_, _, _, o) in keyed {
                let q = u64::from(o.quantity).min(left);
                set(o, q as u32);
                left -= q;
            }
        }
        i = j;
    }
}

/// [`clear`] with per-order fills (one entry per bid, in the order given)
/// and the price trace.
pub fn clear_detailed(
    params: &AuctionParams,
    seed: &Seed,
    bids: &[Bid],
    mut excluded: Vec<Exclusion>,
) -> Clearing {
    let mut fills: Vec<BidFills> = bids
        .iter()
        .map(|b| BidFills {
            bidder: b.bidder.clone(),
            buy: vec![Quantity(0); b.buy.len()],
            sell: vec![Quantity(0); b.sell.len()],
        })
        .collect();
    let mut buys = live_orders(bids, Side::Buy);
    let mut sells = live_orders(bids, Side::Sell);
    buys.sort_unstable_by_key(|o| o.price);
    sells.sort_unstable_by_key(|o| o.price);

    let found = find_price(params.max_price, &buys, &sells);
    if let Some((Price(p), trace)) = found {
        let volume = trace.demand.0.min(trace.supply.0);
        // Eligible orders in price priority: buys highest limit first,
        // sells lowest first.
        let eligible_buys: Vec<Live> = buys
            .iter()
            .rev()
            .take_while(|o| o.price >= p)
            .copied()
            .collect();
        let eligible_sells: Vec<Live> =
            sells.iter().take_while(|o| o.price <= p).copied().collect();
        for (side, eligible, total) in [
            (Side::Buy, &eligible_buys, trace.demand.0),
            (Side::Sell, &eligible_sells, trace.supply.0),
        ] {
            if total <= volume {
                // The short side (or both, when equal) fills completely.
                fill_long_side(eligible, side, u64::MAX, seed, bids, &mut fills);
            } else {
                fill_long_side(eligible, side, volume, seed, bids, &mut fills);
            }
        }
    }

    let sum = |v: &[Quantity]| Volume(v.iter().map(|q| u64::from(q.0)).sum());
    let mut allocations: Vec<Allocation> = fills
        .iter()
        .map(|f| Allocation {
            bidder: f.bidder.clone(),
            bought: sum(&f.buy),
            sold: sum(&f.sell),
        })
        .collect();
    allocations.sort_by(|a, b| a.bidder.cmp(&b.bidder));
    excluded.sort_by(|a, b| a.bidder.cmp(&b.bidder));
    let (price, volume, trace) = match found {
        Some((p, t)) => (Some(p), Volume(t.demand.0.min(t.supply.0)), Some(t)),
        None => (None, Volume(0), None),
    };
    Clearing {
        outcome: Outcome {
            auction: params.id.clone(),
            price,
            volume,
            seed: seed.to_hex(),
            allocations,
            excluded,
        },
        fills,
        trace,
    }
}
