//! Step 4, the fills: with the volume `X` public, the fill of the `j`-th
//! sorted slot is `min(S_j, X) - min(S_{j-1}, X)` (sells, forwards in the
//! sorted order) plus `min(D_{j-1}, X) - min(D_j, X)` (buys, backwards).
//! Why every order gets what the spec gives it is in [`super::ideal`].
//!
//! Nothing is opened here; it needs neither `p*` nor which side is long, so
//! it reveals neither. Cost for `n` slots: `2n` signed comparisons of
//! `w_E`-bit values against the public `X`, `2n` products of a bit and a
//! value; about 8 rounds.

use super::bitvec::sign_batch;
use super::price::Curves;
use shares::{ArithShares, Party, Transport};

/// The fill of every sorted slot (events `1..=n`).
pub fn fills<T: Transport>(
    party: &mut Party<T>,
    x: u64,
    c: &Curves,
    w_volume: usize,
) -> shares::Result<ArithShares> {
    let me = party.id();
    let m = c.s.len(); // n + 2
    let n = m - 2;
    let minus_x = x.wrapping_neg();
    // S_j - X for j = 1..=n, D_j - X for j = 0..=n.
    let ds = c.s.slice(1..n + 1).add_const(me, minus_x);
    let dd = c.d.slice(0..n + 1).add_const(me, minus_x);
    let lt = sign_batch(party, &[&ds, &dd], w_volume)?;
    let p = shares::select::bit_times_many(party, &[(&lt[0], &ds), (&lt[1], &dd)])?;
    // min(v, X) = X + [v < X] (v - X); min(S_0, X) = min(0, X) = 0.
    let ms = ArithShares::concat(&[&ArithShares::zeros(1), &p[0].add_const(me, x)]);
    let md = p[1].add_const(me, x);
    let sells = ms.slice(1..n + 1).sub(&ms.slice(0..n));
    let buys = md.slice(0..n).sub(&md.slice(1..n + 1));
    Ok(sells.add(&buys))
}
