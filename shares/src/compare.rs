//! Comparisons: less-than and equality, against shares or public constants.
//!
//! All our values are below `2^32` (or `2^bits` in general), so `d = x - y`
//! lies in `(-2^bits, 2^bits)` and `x < y` is the sign bit of `d mod
//! 2^(bits+1)`. The shares of `d` are reduced to `bits + 1` bits, party 0
//! reshares `u = d0 + d1` as bits (one round), and a carry tree over
//! `u + d2` gives the carry into the top bit: `1 + 1 + ceil(log2 bits)`
//! rounds; for 32-bit values each party sends about 33 + 31 + 62 bits per
//! comparison. Equality is `d == 0`, i.e. `u == -d2` bitwise, an AND tree
//! over `bits` bits of `NOT(u ^ -d2)`: `1 + ceil(log2 bits)` rounds.

use crate::convert::{and_many, split_addends};
use crate::share::{ArithShares, BitShares};
use crate::transport::Transport;
use crate::{Error, Party, Result};

/// The width in bits of values compared by [`lt`] and [`eq`].
pub const VALUE_BITS: usize = 32;

fn check_bits(what: &'static str, bits: usize, max: usize) -> Result<()> {
    if bits == 0 || bits > max {
        return Err(Error::Parameter {
            what,
            value: bits as u64,
            range: if max == 63 { "1..=63" } else { "1..=64" },
        });
    }
    Ok(())
}

/// Bit `w-1` of `d mod 2^w` for every element (`w` in `2..=64`).
pub fn top_bit<T: Transport>(party: &mut Party<T>, d: &ArithShares, w: usize) -> Result<BitShares> {
    check_bits("top_bit width", w, 64)?;
    let n = d.len();
    let (u, v) = split_addends(party, d, w, false)?;
    let top = u.plane(w - 1).xor(&v.plane(w - 1));
    if w == 1 {
        return Ok(top);
    }
    let up: Vec<BitShares> = (0..w - 1).map(|j| u.plane(j)).collect();
    let vp: Vec<BitShares> = (0..w - 1).map(|j| v.plane(j)).collect();
    let pairs: Vec<(&BitShares, &BitShares)> = up.iter().zip(&vp).collect();
    let g = and_many(party, &pairs)?;
    let p: Vec<BitShares> = up.iter().zip(&vp).map(|(a, b)| a.xor(b)).collect();
    // Groups (generate, propagate) from the least significant bit; the
    // propagate of the group holding bit 0 is never needed.
    let mut groups: Vec<(BitShares, Option<BitShares>)> = g
        .into_iter()
        .zip(p)
        .enumerate()
        .map(|(j, (g, p))| (g, if j == 0 { None } else { Some(p) }))
        .collect();
    while groups.len() > 1 {
        let mut pairs: Vec<(&BitShares, &BitShares)> = Vec::new();
        for t in 0..groups.len() / 2 {
            let (lo, hi) = (&groups[2 * t], &groups[2 * t + 1]);
            let hp =
                hi.1.as_ref()
                    .expect("only the lowest group lacks a propagate");
            pairs.push((hp, &lo.0));
            if let Some(lp) = &lo.1 {
                pairs.push((hp, lp));
            }
        }
        let out = and_many(party, &pairs)?;
        let mut it = out.into_iter();
        let mut merged = Vec::with_capacity(groups.len().div_ceil(2));
        let odd = if groups.len() % 2 == 1 {
            groups.pop()
        } else {
            None
        };
        let mut gi = groups.into_iter();
        while let (Some(lo), Some(hi)) = (gi.next(), gi.next()) {
            let pg = it.next().expect("product");
            let g = hi.0.xor(&pg);
            let p = if lo.1.is_some() {
                Some(it.next().expect("product"))
            } else {
                None
            };
            merged.push((g, p));
        }
        merged.extend(odd);
        groups = merged;
    }
    let carry = groups.pop().expect("one group").0;
    let mut out = top.xor(&carry);
    out.len = n;
    Ok(out)
}

/// `x < y` element-wise for values below `2^32`.
pub fn lt<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
) -> Result<BitShares> {
    lt_bits(party, x, y, VALUE_BITS)
}

/// `x < y` element-wise for values below `2^bits` (`bits` in `1..=63`).
pub fn lt_bits<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
    bits: usize,
) -> Result<BitShares> {
    check_bits("lt bits", bits, 63)?;
    Party::<T>::check_len("lt", x.len(), y.len())?;
    top_bit(party, &x.sub(y), bits + 1)
}

/// `x < c` element-wise for values below `2^bits`, `c` public and below
/// `2^bits`.
pub fn lt_const<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    c: u64,
    bits: usize,
) -> Result<BitShares> {
    check_bits("lt_const bits", bits, 63)?;
    let me = party.id();
    top_bit(party, &x.add_const(me, c.wrapping_neg()), bits + 1)
}

/// `c < x` element-wise for values below `2^bits`, `c` public and below
/// `2^bits`.
pub fn gt_const<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    c: u64,
    bits: usize,
) -> Result<BitShares> {
    check_bits("gt_const bits", bits, 63)?;
    let me = party.id();
    top_bit(party, &x.neg().add_const(me, c), bits + 1)
}

/// `d == 0 mod 2^w` element-wise.
pub fn is_zero<T: Transport>(party: &mut Party<T>, d: &ArithShares, w: usize) -> Result<BitShares> {
    check_bits("is_zero width", w, 64)?;
    let n = d.len();
    let me = party.id();
    let (u, v) = split_addends(party, d, w, true)?;
    let mut level: Vec<BitShares> = (0..w)
        .map(|j| u.plane(j).xor(&v.plane(j)).not(me))
        .collect();
    while level.len() > 1 {
        let pairs: Vec<(&BitShares, &BitShares)> = level
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (&c[0], &c[1]))
            .collect();
        let mut next = and_many(party, &pairs)?;
        if level.len() % 2 == 1 {
            next.push(level.pop().expect("odd one"));
        }
        level = next;
    }
    let mut out = level.pop().expect("one plane");
    out.len = n;
    Ok(out)
}

/// `x == y` element-wise, for any 64-bit values.
pub fn eq<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
) -> Result<BitShares> {
    Party::<T>::check_len("eq", x.len(), y.len())?;
    is_zero(party, &x.sub(y), 64)
}

/// `x == y` element-wise for values below `2^bits` (cheaper than [`eq`]).
pub fn eq_bits<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
    bits: usize,
) -> Result<BitShares> {
    check_bits("eq bits", bits, 64)?;
    Party::<T>::check_len("eq", x.len(), y.len())?;
    is_zero(party, &x.sub(y), bits)
}

/// `x == c` element-wise for values below `2^bits` and a public `c`.
pub fn eq_const<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    c: u64,
    bits: usize,
) -> Result<BitShares> {
    check_bits("eq_const bits", bits, 64)?;
    let me = party.id();
    is_zero(party, &x.add_const(me, c.wrapping_neg()), bits)
}
