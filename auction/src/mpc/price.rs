//! Step 3, the clearing price: `V*`, the tied range and `p*` with the three
//! branches and no-trade, computed obliviously on the sorted events. The
//! formulas and why they are right are in [`super::ideal`]; this is the same
//! computation on shares.
//!
//! Nothing is opened here. Cost, for `n` sorted slots: `3n` signed
//! comparisons of `w_E`-bit values (`w_E` = bits of the largest possible
//! volume plus two) and `2n` of `w_B`-bit breakpoints, `7n` products, and a
//! constant number of scalar steps; about 35 rounds in all, independent of
//! `n`. Each comparison bit meets its value in one fused product of a bit
//! and a value (two rounds).

use super::bitvec::{mul_batch, sign_batch};
use shares::select::bit_times_many;
use shares::{ArithShares, Party, Transport};

/// The sorted events: `b`, `qb`, `qs` for events `0..=n+1` (event 0 is the
/// public `b = 0`, event `n+1` the public sentinel `b = max_price + 1`).
pub struct Events {
    /// Breakpoints.
    pub b: ArithShares,
    /// Buy quantities.
    pub qb: ArithShares,
    /// Sell quantities.
    pub qs: ArithShares,
}

/// Bit widths of the comparisons.
#[derive(Clone, Copy, Debug)]
pub struct Widths {
    /// For supply, demand and their differences.
    pub volume: usize,
    /// For breakpoints against a price.
    pub price: usize,
    /// For the sum of two prices (the middle of the tied range).
    pub price_sum: usize,
}

/// `S_j`, `D_j` and `E_j = D_j - S_j` for every event.
pub struct Curves {
    /// Supply after event `j`.
    pub s: ArithShares,
    /// Demand of the events after `j`.
    pub d: ArithShares,
}

/// Prefix sums (local).
pub fn curves<T: Transport>(party: &Party<T>, ev: &Events) -> Curves {
    let s = ev.qs.prefix_sums();
    let pb = ev.qb.prefix_sums();
    let m = pb.len();
    let total = pb.slice(m - 1..m);
    let me = party.id();
    let d = broadcast(&total, m).sub(&pb);
    let _ = me;
    Curves { s, d }
}

/// One shared value repeated `m` times (local).
pub fn broadcast(x: &ArithShares, m: usize) -> ArithShares {
    x.gather(&vec![0; m])
}

/// `x - v_j` for every `j`, `x` one shared value (local).
fn minus_from_scalar(x: &ArithShares, v: &ArithShares) -> ArithShares {
    let (xo, xn) = x.components();
    let (vo, vn) = v.components();
    ArithShares::from_components(
        vo.iter().map(|a| xo[0].wrapping_sub(*a)).collect(),
        vn.iter().map(|a| xn[0].wrapping_sub(*a)).collect(),
    )
}

/// `v_j - x` for every `j`, `x` one shared value (local).
fn minus_scalar(v: &ArithShares, x: &ArithShares) -> ArithShares {
    let (xo, xn) = x.components();
    let (vo, vn) = v.components();
    ArithShares::from_components(
        vo.iter().map(|a| a.wrapping_sub(xo[0])).collect(),
        vn.iter().map(|a| a.wrapping_sub(xn[0])).collect(),
    )
}

/// The shared figures: `V*` and `p*` (garbage when `V* = 0`).
pub struct Figures {
    /// `V*`.
    pub volume: ArithShares,
    /// `p*`.
    pub price: ArithShares,
}

/// The price step on the sorted events.
pub fn find_price<T: Transport>(
    party: &mut Party<T>,
    max_price: u32,
    ev: &Events,
    c: &Curves,
    w: Widths,
) -> shares::Result<Figures> {
    let me = party.id();
    let m = ev.b.len(); // n + 2
    let n = m - 2;
    // Full-length columns live only inside the block that needs them: this
    // step is the clearing's peak of memory.
    let e_c = c.d.slice(0..m - 1).sub(&c.s.slice(0..m - 1)); // E_j, events 0..=n
    let len = ev.b.slice(1..m).sub(&ev.b.slice(0..m - 1));

    // x0 = sum_j [E_j > 0] len_j
    let x0 = {
        let pos = sign_batch(party, &[&e_c.neg()], w.volume)?;
        bit_times_many(party, &[(&pos[0], &len)])?[0].sum()
    };

    // D and S at x0 - 1 and x0 from [b_j < x0] and [b_j < x0 + 1].
    let (sa, da, sb, db) = {
        let real = 1..m - 1;
        let b = ev.b.slice(real.clone());
        let x0n = broadcast(&x0, n);
        let lt = sign_batch(
            party,
            &[&b.sub(&x0n), &b.sub(&x0n.add_const(me, 1))],
            w.price,
        )?;
        drop((b, x0n));
        let (qb, qs) = (ev.qb.slice(real.clone()), ev.qs.slice(real));
        let prods = bit_times_many(
            party,
            &[(&lt[0], &qs), (&lt[0], &qb), (&lt[1], &qs), (&lt[1], &qb)],
        )?;
        let total_b = c.d.slice(0..1);
        (
            prods[0].sum(),
            total_b.sub(&prods[1].sum()),
            prods[2].sum(),
            total_b.sub(&prods[3].sum()),
        )
    };
    let e_a = da.sub(&sa); // U_A
    let e_b = db.sub(&sb); // -U_B
    let u_b = e_b.neg();

    // The tied range's far ends, and the scalar comparisons, in one call.
    let above_a = minus_from_scalar(&e_a, &e_c);
    let below_b = minus_scalar(&e_c, &e_b);
    drop(e_c);
    let scal = ArithShares::concat(&[
        &sa.sub(&db),   // S(x0-1) < D(x0)
        &db.sub(&sa),   // D(x0) < S(x0-1)
        &e_a.sub(&u_b), // U_A < U_B
        &u_b.sub(&e_a), // U_B < U_A
        &e_b,           // U_B > 0
    ]);
    let signs = sign_batch(party, &[&above_a, &below_b, &scal], w.volume)?;
    drop((above_a, below_b));
    // The scalar bits times public ones: their injection, in the same call.
    let ones = ArithShares::public(me, &[1; 5]);
    let prods = bit_times_many(
        party,
        &[(&signs[0], &len), (&signs[1], &len), (&signs[2], &ones)],
    )?;
    let lo_a = prods[0].sum(); // #{x : E(x) > U_A}
    // #{x : E(x) >= E_b} - 1 = (max_price + 1) - #{x : E(x) < E_b} - 1
    let hi_b = prods[1].sum().neg().add_const(me, u64::from(max_price));
    let s = prods[2].split(&[1, 1, 1, 1, 1]);
    let (a_lt_b, b_lt_a, ua_lt_ub, ub_lt_ua, ub_pos) = (&s[0], &s[1], &s[2], &s[3], &s[4]);

    // Middles: floor((lo_A + hi_B) / 2) and floor((x0 + hi_B) / 2).
    let sums = ArithShares::concat(&[&lo_a.add(&hi_b), &x0.add(&hi_b)]);
    let mids = if w.price_sum > 1 {
        let planes = shares::convert::a2b(party, &sums, w.price_sum)?;
        shares::convert::b2a(party, &planes[1..])?
    } else {
        ArithShares::zeros(2)
    };
    let mids = mids.split(&[1, 1]);
    let (mid_ab, mid_b) = (&mids[0], &mids[1]);

    let one = |x: &ArithShares| x.neg().add_const(me, 1);
    let ga = one(a_lt_b); // side A reaches V*
    let gb = one(b_lt_a); // side B reaches V*
    let nu = one(ua_lt_ub);
    let nv = one(ub_lt_ua);
    let r1 = mul_batch(
        party,
        &[
            (&gb, &nu),
            (&ga, &gb),
            (&nu, &nv),
            (a_lt_b, &db.sub(&sa)),
            (&one(ub_pos), &mid_b.sub(&x0)),
        ],
    )?;
    let volume = sa.add(&r1[3]);
    let b_price = x0.add(&r1[4]);
    let r2 = mul_batch(party, &[(&ga, &r1[0]), (&r1[1], &r1[2])])?;
    let choose_a = ga.sub(&r2[0]); // ga AND NOT (gb AND NOT ua_lt_ub)
    let tie = r2[1].clone();
    let choose_b = one(&choose_a.add(&tie));
    let r3 = mul_batch(
        party,
        &[
            (&choose_a, &x0.add_const(me, u64::MAX)),
            (&tie, mid_ab),
            (&choose_b, &b_price),
        ],
    )?;
    let price = r3[0].add(&r3[1]).add(&r3[2]);
    Ok(Figures { volume, price })
}
