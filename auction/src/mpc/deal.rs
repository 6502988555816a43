//! Laying a market file's bids out as bidders share them: `4K` ring values
//! per bid, out-of-range numbers as their 64-bit two's-complement value (so
//! the computation's own range check must catch them), and bids with more
//! than K orders on a side excluded before sharing (they cannot be laid out).
//! For simulations, tests and benchmarks; nodes receive shares from bidders.

use crate::market::MarketFile;
use crate::validate::check_bid;
use crate::wire::layout_raw;
use crate::{BidderId, Exclusion};

/// A market's bids as ring values, before sharing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaidOut {
    /// The bidders whose bids could be laid out, in file order.
    pub bidders: Vec<BidderId>,
    /// Per bidder, its `4K` ring values.
    pub values: Vec<Vec<u64>>,
    /// Bids that could not be laid out (more than K orders on a side).
    pub excluded: Vec<Exclusion>,
}

/// Lays out every bid of `market` (see the module documentation).
pub fn lay_out(market: &MarketFile) -> LaidOut {
    let params = &market.auction;
    let mut out = LaidOut {
        bidders: Vec::with_capacity(market.bids.len()),
        values: Vec::with_capacity(market.bids.len()),
        excluded: Vec::new(),
    };
    for raw in &market.bids {
        let Ok(values) = layout_raw(raw, params.max_orders_per_side) else {
            // More than K orders on a side. The reference's first check is
            // the order count, so its error is the exclusion it reports.
            let e = check_bid(params, raw).expect_err("more than K orders is invalid");
            out.excluded.push(e.to_exclusion());
            continue;
        };
        out.bidders.push(raw.bidder.clone());
        out.values.push(values);
    }
    out
}

/// Shares laid-out bids as bidders do (each value split into three random
/// components, party `i` receiving components `i` and `i + 1`) and builds
/// the three parties' inputs.
pub fn deal<R: rand_core::RngCore + rand_core::CryptoRng>(
    params: &crate::AuctionParams,
    seed: &crate::Seed,
    laid: &LaidOut,
    rng: &mut R,
) -> [super::PartyInput; 3] {
    let per_bid = 4 * params.max_orders_per_side as usize;
    let all: Vec<u64> = laid.values.iter().flatten().copied().collect();
    let bundles = shares::client::share_arith(&all, rng);
    bundles.map(|b| super::PartyInput {
        params: params.clone(),
        seed: *seed,
        bidders: laid.bidders.clone(),
        shares: (0..laid.bidders.len())
            .map(|i| super::BidShares {
                own: b.own[i * per_bid..(i + 1) * per_bid].to_vec(),
                next: b.next[i * per_bid..(i + 1) * per_bid].to_vec(),
            })
            .collect(),
        excluded: laid.excluded.clone(),
    })
}

/// A market's three party inputs: [`lay_out`] then [`deal`].
pub fn deal_market<R: rand_core::RngCore + rand_core::CryptoRng>(
    market: &MarketFile,
    rng: &mut R,
) -> [super::PartyInput; 3] {
    deal(&market.auction, &market.seed, &lay_out(market), rng)
}
