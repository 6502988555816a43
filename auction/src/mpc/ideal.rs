//! The ideal twin of the three-party clearing: the same data-oblivious
//! algorithm, step for step, on plaintext ring values.
//!
//! It is the test oracle of the three-party program (each step of
//! [`crate::mpc`] has its counterpart here, with the same formulas on the
//! ring `Z_2^64`: comparisons are the top bit of a wrapping difference, as in
//! the shared computation), and it is itself checked against
//! [`crate::reference`] on random markets. A mistake in the algorithm shows
//! up here, without any cryptography in the way; a mistake in the sharing
//! shows up as a difference between this and the three-party run.
//!
//! The algorithm, on the `n` valid slots laid out in the public pre-order of
//! [`crate::mpc::layout`]:
//!
//! 1. *Validation.* A value fails when it exceeds its limit as a 64-bit
//!    unsigned number. One validity bit per bid: valid when no value fails.
//!    An invalid bid is published as excluded with the reason `invalid bid`;
//!    nothing else about it is computed.
//! 2. *Sort.* Events `0..=n+1`: a public event `b = 0`, the slots stably
//!    sorted by price with breakpoint `b = p` (sell) or `p + 1` (buy) and
//!    quantities `qb`, `qs`, and a public sentinel `b = max_price + 1`.
//! 3. *Price.* Prefix sums give `S_j` and `D_j` after event `j`; event `j`
//!    stands for the whole prices `[b_j, b_{j+1})`, `len_j = b_{j+1} - b_j`
//!    of them (zero unless `j` ends its group of equal breakpoints), on which
//!    `D = D_j` and `S = S_j`. With `E = D - S` (never rising), every count of
//!    prices with `E > t` is `sum_j [E_j > t] len_j`:
//!    - `x0 = #{x : E(x) > 0}`, the first price where supply meets demand;
//!    - `D` and `S` at `x0 - 1` (side A) and at `x0` (side B) from
//!      `[b_j < x0]` and `[b_j < x0 + 1]` times the quantities;
//!    - `V* = max(S(x0 - 1), D(x0))` (`V = S` rises below `x0`, `V = D` falls
//!      from `x0` on);
//!    - `U_A = E(x0 - 1)`, `U_B = -E(x0)`; the tied range's far ends are
//!      `lo_A = #{x : E(x) > U_A}` and `hi_B = #{x : E(x) >= E(x0)} - 1`;
//!    - `p*` from the spec's three branches on these.
//! 4. *Fills.* With `X = V*` public, the fill of the `j`-th sorted slot is
//!    `min(S_j, X) - min(S_{j-1}, X)` plus `min(D_{j-1}, X) - min(D_j, X)`:
//!    sells fill forwards, buys backwards, each until `X` is used up. An
//!    order that cannot trade at `p*` comes after all that can on its side
//!    and the ones that can already hold at least `X`, so it gets zero; the
//!    short side's eligible total is exactly `X`, so it fills completely.
//! 5. *Allocations.* Fills go back to their slots and are summed per bid.

use super::assemble_outcome;
use super::layout::{self, SlotRef};
use crate::{AuctionParams, BidderId, Exclusion, Outcome, Seed, Side};

/// The top bit of a ring value: `[x < 0]` read as two's complement.
fn msb(x: u64) -> u64 {
    x >> 63
}

/// Step 1: whether every one of a bid's `4K` ring values (price, quantity,
/// alternating) is within its limit as a 64-bit unsigned number.
pub fn is_valid(params: &AuctionParams, values: &[u64]) -> bool {
    values.iter().enumerate().all(|(i, &x)| {
        let limit = if i % 2 == 0 {
            params.max_price
        } else {
            params.max_quantity
        };
        x <= u64::from(limit)
    })
}

/// The price-finding figures of step 3, as ring values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceFigures {
    /// `V*`.
    pub volume: u64,
    /// `p*` (meaningful only when `volume > 0`).
    pub price: u64,
}

/// Step 3 on the sorted events: `b`, `qb`, `qs` for events `0..=n+1`.
pub fn find_price(max_price: u32, b: &[u64], qb: &[u64], qs: &[u64]) -> PriceFigures {
    let m = b.len();
    let (s, d) = supply_demand(qb, qs);
    let e: Vec<u64> = (0..m).map(|j| d[j].wrapping_sub(s[j])).collect();
    let len: Vec<u64> = (0..m - 1).map(|j| b[j + 1].wrapping_sub(b[j])).collect();
    let count = |pred: &dyn Fn(usize) -> u64| -> u64 {
        (0..m - 1).fold(0u64, |acc, j| {
            acc.wrapping_add(pred(j).wrapping_mul(len[j]))
        })
    };
    // x0: prices where demand exceeds supply ([E_j > 0] = msb(0 - E_j)).
    let x0 = count(&|j| msb(0u64.wrapping_sub(e[j])));
    // D and S at x0 - 1 (a) and x0 (b), only real slots carry quantity.
    let total_b = d[0];
    let (mut sa, mut sb, mut ba, mut bb) = (0u64, 0u64, 0u64, 0u64);
    for j in 1..m - 1 {
        let lt_a = msb(b[j].wrapping_sub(x0));
        let lt_b = msb(b[j].wrapping_sub(x0.wrapping_add(1)));
        sa = sa.wrapping_add(lt_a.wrapping_mul(qs[j]));
        sb = sb.wrapping_add(lt_b.wrapping_mul(qs[j]));
        ba = ba.wrapping_add(lt_a.wrapping_mul(qb[j]));
        bb = bb.wrapping_add(lt_b.wrapping_mul(qb[j]));
    }
    let da = total_b.wrapping_sub(ba);
    let db = total_b.wrapping_sub(bb);
    let e_a = da.wrapping_sub(sa); // U_A
    let e_b = db.wrapping_sub(sb); // -U_B
    let u_b = 0u64.wrapping_sub(e_b);
    let lo_a = count(&|j| msb(e_a.wrapping_sub(e[j])));
    let hi_b = count(&|j| 1 - msb(e[j].wrapping_sub(e_b))).wrapping_sub(1);

    let not = |x: u64| 1 - x;
    let a_lt_b = msb(sa.wrapping_sub(db)); // S(x0-1) < D(x0)
    let b_lt_a = msb(db.wrapping_sub(sa));
    let ua_lt_ub = msb(e_a.wrapping_sub(u_b));
    let ub_lt_ua = msb(u_b.wrapping_sub(e_a));
    let ub_pos = msb(0u64.wrapping_sub(u_b));
    let volume = sa.wrapping_add(a_lt_b.wrapping_mul(db.wrapping_sub(sa)));
    let ga = not(a_lt_b); // side A reaches V*
    let gb = not(b_lt_a); // side B reaches V*
    let choose_a = ga & (not(gb) | ua_lt_ub);
    let tie = ga & gb & not(ua_lt_ub) & not(ub_lt_ua);
    let choose_b = not(choose_a) & not(tie);
    let mid_ab = lo_a.wrapping_add(hi_b) >> 1;
    let mid_b = x0.wrapping_add(hi_b) >> 1;
    let b_price = x0.wrapping_add(not(ub_pos).wrapping_mul(mid_b.wrapping_sub(x0)));
    let _ = max_price;
    let price = choose_a
        .wrapping_mul(x0.wrapping_sub(1))
        .wrapping_add(tie.wrapping_mul(mid_ab))
        .wrapping_add(choose_b.wrapping_mul(b_price));
    PriceFigures { volume, price }
}

/// `S_j` (supply after event `j`) and `D_j` (demand of the events after
/// `j`), by prefix sums.
pub fn supply_demand(qb: &[u64], qs: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let total_b = qb.iter().fold(0u64, |a, &x| a.wrapping_add(x));
    let (mut ps, mut pb) = (0u64, 0u64);
    let mut s = Vec::with_capacity(qb.len());
    let mut d = Vec::with_capacity(qb.len());
    for j in 0..qb.len() {
        ps = ps.wrapping_add(qs[j]);
        pb = pb.wrapping_add(qb[j]);
        s.push(ps);
        d.push(total_b.wrapping_sub(pb));
    }
    (s, d)
}

/// Step 4: the fill of every sorted slot (events `1..=n`) for volume `x`.
pub fn fills(x: u64, qb: &[u64], qs: &[u64]) -> Vec<u64> {
    let (s, d) = supply_demand(qb, qs);
    let cap = |v: u64| x.wrapping_add(msb(v.wrapping_sub(x)).wrapping_mul(v.wrapping_sub(x)));
    let ms: Vec<u64> = s.iter().map(|&v| cap(v)).collect();
    let md: Vec<u64> = d.iter().map(|&v| cap(v)).collect();
    (1..qb.len() - 1)
        .map(|j| {
            ms[j]
                .wrapping_sub(ms[j - 1])
                .wrapping_add(md[j - 1])
                .wrapping_sub(md[j])
        })
        .collect()
}

/// The slots' columns in pre-order: price, breakpoint, buy and sell
/// quantity.
pub fn columns(order: &[SlotRef], k: usize, values: &[Vec<u64>]) -> [Vec<u64>; 4] {
    let mut cols: [Vec<u64>; 4] = Default::default();
    for s in order {
        let (pi, qi) = layout::value_index(k, s.side, s.slot as usize);
        let v = &values[s.bid as usize];
        let buy = u64::from(s.side == Side::Buy);
        cols[0].push(v[pi]);
        cols[1].push(v[pi].wrapping_add(buy));
        cols[2].push(buy.wrapping_mul(v[qi]));
        cols[3].push((1 - buy).wrapping_mul(v[qi]));
    }
    cols
}

/// The whole clearing in the clear, following the three-party algorithm.
/// `values[i]` holds bid `i`'s `4K` ring values; `excluded` are bids left
/// out before the computation.
pub fn clear(
    params: &AuctionParams,
    seed: &Seed,
    bidders: &[BidderId],
    values: &[Vec<u64>],
    excluded: Vec<Exclusion>,
) -> Outcome {
    let k = params.max_orders_per_side as usize;
    let checks: Vec<bool> = values.iter().map(|v| is_valid(params, v)).collect();
    let valid: Vec<u32> = (0..bidders.len() as u32)
        .filter(|&i| checks[i as usize])
        .collect();
    let order = layout::preorder(seed, bidders, &valid, k as u32);
    let n = order.len();
    let [p, b, qb, qs] = columns(&order, k, values);

    // Stable sort by price.
    let mut perm: Vec<usize> = (0..n).collect();
    perm.sort_by_key(|&i| p[i]);
    let max_price = u64::from(params.max_price);
    let event = |col: &[u64], first: u64, last: u64| -> Vec<u64> {
        std::iter::once(first)
            .chain(perm.iter().map(|&i| col[i]))
            .chain([last])
            .collect()
    };
    let eb = event(&b, 0, max_price + 1);
    let eqb = event(&qb, 0, 0);
    let eqs = event(&qs, 0, 0);

    let figures = find_price(params.max_price, &eb, &eqb, &eqs);
    let mut bought = vec![0u64; bidders.len()];
    let mut sold = vec![0u64; bidders.len()];
    let traded = figures.volume != 0;
    if traded {
        let f = fills(figures.volume, &eqb, &eqs);
        for (pos, &i) in perm.iter().enumerate() {
            let s = order[i];
            let acc = match s.side {
                Side::Buy => &mut bought[s.bid as usize],
                Side::Sell => &mut sold[s.bid as usize],
            };
            *acc = acc.wrapping_add(f[pos]);
        }
    }
    assemble_outcome(
        params,
        seed,
        bidders,
        &checks,
        figures.volume,
        traded.then_some(figures.price),
        &bought,
        &sold,
        excluded,
    )
}
