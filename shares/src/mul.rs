//! Multiplication over `Z_2^64` and AND over `Z_2` (Araki, Furukawa, Lindell,
//! Nof, Ohara, CCS 2016).
//!
//! Party `i` computes `z_i = x_i y_i + x_i y_{i+1} + x_{i+1} y_i + a_i` with a
//! fresh zero-sharing `a` (so `z_0 + z_1 + z_2 = xy`), keeps `z_i` as its new
//! `own` and sends it to its predecessor, for whom it is `next`. One round;
//! each party sends one element (64 bits, or one bit for AND) per product.
//!
//! In abort mode every such message is also kept for the next
//! verification ([`crate::Party::verify`]): the inputs' components, the
//! received component and the zero-sharing's two draws. A product whose
//! factors are sharings of one component (`mul_shaped`) has parties whose
//! part is zero by construction: they send nothing.

use crate::share::{ArithShares, BitShares};
use crate::transport::{Tag, Transport};
pub(crate) use crate::verify::Shape;
use crate::{Party, Result};

/// Element-wise products `x * y` mod 2^64.
pub fn mul<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
) -> Result<ArithShares> {
    mul_ring(party, x, y, false)
}

/// [`mul`]; with `narrow`, correct mod 2^32 only and half the traffic.
pub(crate) fn mul_ring<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
    narrow: bool,
) -> Result<ArithShares> {
    mul_in_bytes(party, x, y, if narrow { 4 } else { 8 })
}

/// [`mul`] correct mod `2^(8 bytes)` only (`bytes` from 1 to 8): each
/// message carries the low `bytes` bytes of its words, and in abort mode
/// the products are proven mod `2^(8 bytes)` (in the narrowest ring that
/// holds them, see [`crate::verify`]). The two holders of a product's
/// component may disagree above those bytes.
pub(crate) fn mul_in_bytes<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
    bytes: usize,
) -> Result<ArithShares> {
    mul_shaped(party, x, y, bytes, &[(x.len(), Shape::FULL)])
}

/// [`mul_in_bytes`] of factors whose stretches (`shapes`: lengths that
/// add up to the whole, and the [`Shape`] of each) may be sharings of one
/// component, as `crate::convert::component_sharings` makes them. Such a
/// product has at most one cross term per party that is not zero by
/// construction, and its proof covers only that term. The shapes must be
/// true: a factor called one component must be zero in the other two at
/// every party.
///
/// A party whose part of a stretch's product is zero by construction
/// ([`Shape::sends`]) sends nothing for it. The zero-sharing loses the
/// key between it and its successor: with `S` the senders, party `j`'s
/// component is `t_j + F(K_(j+1)) - [j-1 in S] F(K_j)` if `j` is in `S`,
/// and `-[j-1 in S] F(K_j)` if not, which its receiver `j - 1` draws
/// itself (it holds `K_j`). Each key is drawn by both its holders or by
/// neither, so the components still add up to the product, and every sent
/// component still carries `F(K_(j+1))`, which its receiver lacks. An
/// injection's first product (`b0 b1`) is then one message, party 0's,
/// and its second (`c b2`) two; the same for `bit_times`' first round.
pub(crate) fn mul_shaped<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
    bytes: usize,
    shapes: &[(usize, Shape)],
) -> Result<ArithShares> {
    assert!(
        (1..=8).contains(&bytes),
        "a product travels in 1 to 8 bytes"
    );
    Party::<T>::check_len("mul", x.len(), y.len())?;
    debug_assert_eq!(shapes.iter().map(|s| s.0).sum::<usize>(), x.len());
    let mut z: Vec<u64> = (0..x.len())
        .map(|k| {
            let (a0, a1, b0, b1) = (x.own[k], x.next[k], y.own[k], y.next[k]);
            a0.wrapping_mul(b0)
                .wrapping_add(a0.wrapping_mul(b1))
                .wrapping_add(a1.wrapping_mul(b0))
        })
        .collect();
    let me = party.id();
    if shapes.iter().any(|&(_, s)| s != Shape::FULL) {
        return mul_senders_only(party, x, y, z, bytes, shapes);
    }
    if !party.checks() {
        party.add_zero_sharing(&mut z);
        party.send_packed(me.prev(), Tag::MUL, &z, bytes)?;
        let next = party.recv_packed(me.next(), Tag::MUL, z.len(), bytes)?;
        return Ok(ArithShares { own: z, next });
    }
    let (a, b) = party.zero_sharing_parts(z.len());
    for ((o, a), b) in z.iter_mut().zip(&a).zip(&b) {
        *o = o.wrapping_add(a.wrapping_sub(*b));
    }
    party.send_packed(me.prev(), Tag::MUL, &z, bytes)?;
    let next = party.recv_packed(me.next(), Tag::MUL, z.len(), bytes)?;
    keep_stretches(party, x, y, &next, (&a, &b), bytes, shapes)?;
    Ok(ArithShares { own: z, next })
}

/// Keeps the products of every stretch for the next verification, with
/// the successor's components `next` and this party's draws `(a, b)`.
fn keep_stretches<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
    next: &[u64],
    (a, b): (&[u64], &[u64]),
    bytes: usize,
    shapes: &[(usize, Shape)],
) -> Result<()> {
    let shift = 64 - 8 * bytes as u32;
    let me = party.id().index();
    let mut from = 0;
    for &(len, shape) in shapes {
        let r = from..from + len;
        party.ledger_mut().keep_products(
            shift,
            shape,
            me,
            &x.own[r.clone()],
            &x.next[r.clone()],
            &y.own[r.clone()],
            &y.next[r.clone()],
            &next[r.clone()],
            &a[r.clone()],
            &b[r],
        );
        from += len;
    }
    party.kept()
}

/// [`mul_shaped`] with a stretch of some shape other than
/// [`Shape::FULL`], from this party's local terms `t`: only the parties
/// whose part can be nonzero send.
fn mul_senders_only<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    y: &ArithShares,
    t: Vec<u64>,
    bytes: usize,
    shapes: &[(usize, Shape)],
) -> Result<ArithShares> {
    let me = party.id();
    let j = me.index();
    let n = t.len();
    let mut own = t;
    let mut next = vec![0u64; n];
    let (mut a_all, mut b_all) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut sent = Vec::new();
    let mut from = 0;
    for &(len, shape) in shapes {
        // This party sends if its part can be nonzero; it draws from
        // K_(j+1) for its own component then, and from K_j if its
        // predecessor sends.
        let (mine, successor, predecessor) =
            (shape.sends(j), shape.sends(j + 1), shape.sends(j + 2));
        let (a, b) = party.zero_sharing_draws(len, mine, predecessor);
        for (k, (a, b)) in (from..from + len).zip(a.iter().zip(&b)) {
            debug_assert!(mine || own[k] == 0, "a part zero by construction");
            own[k] = if mine {
                own[k].wrapping_add(a.wrapping_sub(*b))
            } else {
                b.wrapping_neg()
            };
            // The successor's component, if it sends nothing: -F(K_(j+1)),
            // drawn if this party sends.
            if !successor {
                next[k] = a.wrapping_neg();
            }
        }
        if mine {
            sent.extend_from_slice(&own[from..from + len]);
        }
        a_all.extend_from_slice(&a);
        b_all.extend_from_slice(&b);
        from += len;
    }
    if !sent.is_empty() {
        party.send_packed(me.prev(), Tag::MUL, &sent, bytes)?;
    }
    drop(sent);
    let expected: usize = shapes
        .iter()
        .filter(|(_, s)| s.sends(j + 1))
        .map(|(len, _)| len)
        .sum();
    if expected > 0 {
        let got = party.recv_packed(me.next(), Tag::MUL, expected, bytes)?;
        let mut got = got.into_iter();
        let mut from = 0;
        for &(len, shape) in shapes {
            if shape.sends(j + 1) {
                for (slot, v) in next[from..from + len].iter_mut().zip(got.by_ref()) {
                    *slot = v;
                }
            }
            from += len;
        }
    }
    if party.checks() {
        keep_stretches(party, x, y, &next, (&a_all, &b_all), bytes, shapes)?;
    }
    Ok(ArithShares { own, next })
}

/// Element-wise AND of packed bit vectors.
pub fn and<T: Transport>(party: &mut Party<T>, x: &BitShares, y: &BitShares) -> Result<BitShares> {
    Party::<T>::check_len("and", x.len, y.len)?;
    let (own, next) = and_words(party, &x.own, &x.next, &y.own, &y.next)?;
    Ok(BitShares {
        own,
        next,
        len: x.len,
    })
}

/// AND of raw packed components (any number of planes at once): one round.
pub(crate) fn and_words<T: Transport>(
    party: &mut Party<T>,
    xo: &[u64],
    xn: &[u64],
    yo: &[u64],
    yn: &[u64],
) -> Result<(Vec<u64>, Vec<u64>)> {
    let mut z: Vec<u64> = (0..xo.len())
        .map(|k| (xo[k] & yo[k]) ^ (xo[k] & yn[k]) ^ (xn[k] & yo[k]))
        .collect();
    if !party.checks() {
        party.xor_zero_sharing(&mut z);
        let next = exchange(party, &z)?;
        return Ok((z, next));
    }
    let (a, b) = party.zero_sharing_parts(z.len());
    for ((o, a), b) in z.iter_mut().zip(&a).zip(&b) {
        *o ^= a ^ b;
    }
    let next = exchange(party, &z)?;
    party.ledger_mut().bits.keep(
        xo.iter().copied(),
        xn,
        yo.iter().copied(),
        yn,
        &next,
        &a,
        &b,
    );
    party.kept()?;
    Ok((z, next))
}

/// One packed bit vector as this party's two components `[own, next]`.
pub(crate) type Words<'a> = [&'a [u64]; 2];

/// ANDs of many pairs of equally long packed slices, each given as this
/// party's two components, in one round: the products come back
/// concatenated in the order of the pairs. Nothing is copied before the
/// local products are formed.
pub(crate) fn and_slices<T: Transport>(
    party: &mut Party<T>,
    pairs: &[(Words<'_>, Words<'_>)],
) -> Result<(Vec<u64>, Vec<u64>)> {
    let total: usize = pairs.iter().map(|(x, _)| x[0].len()).sum();
    let mut z = Vec::with_capacity(total);
    for ([xo, xn], [yo, yn]) in pairs {
        debug_assert!(xo.len() == xn.len() && xo.len() == yo.len() && yo.len() == yn.len());
        z.extend(
            xo.iter()
                .zip(*xn)
                .zip(yo.iter().zip(*yn))
                .map(|((a0, a1), (b0, b1))| (a0 & b0) ^ (a0 & b1) ^ (a1 & b0)),
        );
    }
    if !party.checks() {
        party.xor_zero_sharing(&mut z);
        let next = exchange(party, &z)?;
        return Ok((z, next));
    }
    let (a, b) = party.zero_sharing_parts(z.len());
    for ((o, a), b) in z.iter_mut().zip(&a).zip(&b) {
        *o ^= a ^ b;
    }
    let next = exchange(party, &z)?;
    let cat = |side: usize, comp: usize| -> Vec<u64> {
        let mut v = Vec::with_capacity(total);
        for pair in pairs {
            v.extend_from_slice([pair.0, pair.1][side][comp]);
        }
        v
    };
    let (xn, yn) = (cat(0, 1), cat(1, 1));
    party.ledger_mut().bits.keep(
        pairs.iter().flat_map(|p| p.0[0].iter().copied()),
        &xn,
        pairs.iter().flat_map(|p| p.1[0].iter().copied()),
        &yn,
        &next,
        &a,
        &b,
    );
    party.kept()?;
    Ok((z, next))
}

/// Sends our new component to the predecessor, receives the successor's.
pub(crate) fn exchange<T: Transport>(party: &mut Party<T>, z: &[u64]) -> Result<Vec<u64>> {
    let me = party.id();
    party.send_words(me.prev(), Tag::MUL, z)?;
    party.recv_words(me.next(), Tag::MUL, z.len())
}
