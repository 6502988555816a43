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
//!
//! Under [`Security::Abort`](crate::Security) the two addends come from a
//! carry-save layer over the three components instead of party 0's reshare
//! (see [`crate::convert`]): one AND round in its place, the same carry
//! and AND trees after it.

use crate::bits::plane_words;
use crate::convert::{and_many, split_addends};
use crate::mul::{Words, and_slices};
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
///
/// The carry tree works on flat buffers of bit planes (plane `j` at words
/// `[j * pw, (j + 1) * pw)`): each level's generates are overwritten in
/// place and its ANDs read the planes where they lie, so a level holds the
/// generates, the propagates and the level's products and nothing else.
pub fn top_bit<T: Transport>(party: &mut Party<T>, d: &ArithShares, w: usize) -> Result<BitShares> {
    check_bits("top_bit width", w, 64)?;
    let n = d.len();
    let pw = plane_words(n);
    let (u, v) = split_addends(party, d, w, false)?;
    if w == 1 {
        return Ok(u.plane(0).xor(&v.plane(0)));
    }
    let m = w - 1; // groups: one per bit below the top
    let low = m * pw;
    // Generate of bit j: u_j AND v_j, for every j below the top at once.
    let (mut g_own, mut g_next) = and_slices(
        party,
        &[(
            [&u.own[..low], &u.next[..low]],
            [&v.own[..low], &v.next[..low]],
        )],
    )?;
    // Propagate of bit j: u_j XOR v_j (the top bit's is the sum bit).
    let (mut p_own, mut p_next) = (u.own, u.next);
    for (a, b) in p_own.iter_mut().zip(&v.own) {
        *a ^= b;
    }
    for (a, b) in p_next.iter_mut().zip(&v.next) {
        *a ^= b;
    }
    drop((v.own, v.next));
    let top_own = p_own.split_off(low);
    let top_next = p_next.split_off(low);
    // Merge neighbouring groups (lo, hi) from the least significant bit:
    // G = G_hi ^ P_hi G_lo, P = P_hi P_lo. The group holding bit 0 never
    // needs its propagate.
    let plane = |x: &[u64], j: usize| -> std::ops::Range<usize> {
        debug_assert!(x.len() >= (j + 1) * pw);
        j * pw..(j + 1) * pw
    };
    let mut groups = m;
    while groups > 1 {
        let merges = groups / 2;
        let mut pairs: Vec<(Words<'_>, Words<'_>)> = Vec::with_capacity(2 * merges);
        for t in 0..merges {
            let (hi, lo) = (plane(&p_own, 2 * t + 1), plane(&g_own, 2 * t));
            pairs.push((
                [&p_own[hi.clone()], &p_next[hi]],
                [&g_own[lo.clone()], &g_next[lo]],
            ));
        }
        for t in 1..merges {
            let (hi, lo) = (plane(&p_own, 2 * t + 1), plane(&p_own, 2 * t));
            pairs.push((
                [&p_own[hi.clone()], &p_next[hi]],
                [&p_own[lo.clone()], &p_next[lo]],
            ));
        }
        let (zo, zn) = and_slices(party, &pairs)?;
        drop(pairs);
        // In place: plane t is written after plane 2t + 1 >= t was read.
        for t in 0..merges {
            let (dst, hi, z) = (t * pw, (2 * t + 1) * pw, t * pw);
            for k in 0..pw {
                g_own[dst + k] = g_own[hi + k] ^ zo[z + k];
                g_next[dst + k] = g_next[hi + k] ^ zn[z + k];
            }
        }
        for t in 1..merges {
            let z = (merges + t - 1) * pw;
            p_own[t * pw..(t + 1) * pw].copy_from_slice(&zo[z..z + pw]);
            p_next[t * pw..(t + 1) * pw].copy_from_slice(&zn[z..z + pw]);
        }
        if groups % 2 == 1 {
            let last = (groups - 1) * pw..groups * pw;
            g_own.copy_within(last.clone(), merges * pw);
            g_next.copy_within(last.clone(), merges * pw);
            p_own.copy_within(last.clone(), merges * pw);
            p_next.copy_within(last, merges * pw);
        }
        groups = merges + groups % 2;
        for x in [&mut g_own, &mut g_next, &mut p_own, &mut p_next] {
            x.truncate(groups * pw);
        }
    }
    let own = top_own.iter().zip(&g_own).map(|(a, b)| a ^ b).collect();
    let next = top_next.iter().zip(&g_next).map(|(a, b)| a ^ b).collect();
    Ok(BitShares { own, next, len: n })
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
