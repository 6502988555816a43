//! One-hot vectors of shared digits and the stable counting-sort positions
//! they give (Asharov, Hamada, Ikarashi, Kikuchi, Nof, Pinkas, Takahashi,
//! Tomida, CCS 2022: one inner product per element, whatever the number of
//! buckets).
//!
//! # The one-hot vector
//!
//! A digit `x` of `d` bits is XOR-shared as `x = x0 ^ x1 ^ x2`. Party 0
//! knows `c = x0 ^ x1`, parties 1 and 2 know `x2`, and the one-hot vector of
//! `x` is the one of `c` with its coordinates renamed by `x2`:
//! `e(x)[v] = e(c)[v ^ x2]`. So:
//!
//! 1. party 0 sends party 1 the `2^d` coordinates of `e(c) - r`, with `r`
//!    drawn from `K_0`, the key it shares with party 2 (party 1 lacks it):
//!    parties 1 and 2 now hold a two-party additive sharing of `e(c)`;
//! 2. both rename the coordinates by `x2` (local): a sharing of `e(x)`;
//! 3. both turn it into a replicated sharing with masks `alpha`, `z` from
//!    `K_2`, which party 0 lacks: party 1 sends `u - alpha`, party 2 sends
//!    `r + alpha - z` to party 0, and component 2 is `z`.
//!
//! Two rounds (the first can travel with another message, see the sort);
//! `2^d` elements from each party per element, none of them readable by its
//! receiver. Nothing is opened.
//!
//! # Positions
//!
//! With `e_v` the one-hot column of bucket `v`, `P_v` its inclusive prefix
//! sums and `C_v` the number of elements in buckets below `v`, the stable
//! position of element `k` is `sum_v e_v[k] (C_v + P_v[k]) - 1`: a sum of
//! products, computed in replicated sharing like one multiplication (the
//! cross terms of all `2^d` products summed before the one reshare). One
//! round, one element from each party per element.
//!
//! Every value here is a count below `2^32`: the arithmetic is mod `2^32`
//! and messages carry only the low `bytes` bytes that the caller needs.

use crate::transport::{Tag, Transport};
use crate::{Party, PartyId, Result};

/// A replicated sharing of the one-hot vectors of `n` digits, element-major
/// (bucket `v` of element `k` at `k * buckets + v`, so that renaming and
/// moving an element's coordinates stays within a cache line), mod `2^32`.
pub(crate) struct OneHot {
    own: Vec<u32>,
    next: Vec<u32>,
    buckets: usize,
}

/// The state between the two rounds of the one-hot protocol.
pub(crate) enum Pending {
    /// Party 0 has sent its message.
    Sent,
    /// Party 1 waits for party 0's message.
    Receive,
    /// Party 2 holds its additive share `r` (drawn from `K_0`).
    Held(Vec<u32>),
}

fn pid(i: usize) -> PartyId {
    PartyId::new(i).expect("0, 1 or 2")
}

/// Draws `len` random values mod `2^32`.
fn draw(prg: &mut crate::prg::Prg, len: usize) -> Vec<u32> {
    let mut v = vec![0u32; len];
    prg.fill_u32(&mut v);
    v
}

fn digit(word: u64, lo: usize, width: usize) -> usize {
    ((word >> lo) & ((1u64 << width) - 1)) as usize
}

/// Round one: party 0 sends `e(c) - r` for the digit at bits
/// `lo..lo + width` of the XOR-shared key words (`own`, `next`).
pub(crate) fn start<T: Transport>(
    party: &mut Party<T>,
    own: &[u64],
    next: &[u64],
    lo: usize,
    width: usize,
    bytes: usize,
) -> Result<Pending> {
    let n = own.len();
    let buckets = 1usize << width;
    Ok(match party.id().index() {
        0 => {
            let r = draw(party.prev_prg(), buckets * n);
            #[cfg(feature = "planted-leaks")]
            let r = if party.leaks(crate::leak::Leak::OneHotWithoutMask) {
                vec![0; r.len()]
            } else {
                r
            };
            let mut u = r;
            for x in u.iter_mut() {
                *x = x.wrapping_neg();
            }
            for k in 0..n {
                let c = digit(own[k] ^ next[k], lo, width);
                let at = k * buckets + c;
                u[at] = u[at].wrapping_add(1);
            }
            party.send_packed32(pid(1), Tag::RESHARE, &u, bytes)?;
            Pending::Sent
        }
        1 => Pending::Receive,
        _ => {
            let r = draw(party.next_prg(), buckets * n);
            #[cfg(feature = "planted-leaks")]
            let r = if party.leaks(crate::leak::Leak::OneHotWithoutMask) {
                vec![0; r.len()]
            } else {
                r
            };
            Pending::Held(r)
        }
    })
}

/// Round two: parties 1 and 2 move their shares by the public `scatter`
/// (`out[scatter[k]] = in[k]`, if the elements moved since round one),
/// rename coordinates by `x2` (bits `lo..lo + width` of component 2 of the
/// key words, given in the moved order) and send party 0 its components.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish<T: Transport>(
    party: &mut Party<T>,
    pending: Pending,
    key_own: &[u64],
    key_next: &[u64],
    lo: usize,
    width: usize,
    scatter: Option<&[u32]>,
    bytes: usize,
) -> Result<OneHot> {
    let n = key_own.len();
    let buckets = 1usize << width;
    let me = party.id().index();
    let two_party_share = match pending {
        Pending::Sent => None,
        Pending::Receive => Some(party.recv_packed32(pid(0), Tag::RESHARE, buckets * n, bytes)?),
        Pending::Held(r) => Some(r),
    };
    let Some(s) = two_party_share else {
        // Party 0: component 0 from party 2, component 1 from party 1.
        let own = party.recv_packed32(pid(2), Tag::RESHARE, buckets * n, bytes)?;
        let next = party.recv_packed32(pid(1), Tag::RESHARE, buckets * n, bytes)?;
        return Ok(OneHot { own, next, buckets });
    };
    // Move each element's coordinates by the scatter and rename them by its
    // digit of x2 in one pass: out[scatter[k]][v] = in[k][v ^ x2[scatter[k]]].
    let x2 = if me == 1 { key_next } else { key_own };
    let mut renamed = vec![0u32; s.len()];
    for k in 0..n {
        let d = scatter.map_or(k, |p| p[k] as usize);
        let sk = digit(x2[d], lo, width);
        let src = &s[k * buckets..(k + 1) * buckets];
        let dst = &mut renamed[d * buckets..(d + 1) * buckets];
        for (v, out) in dst.iter_mut().enumerate() {
            *out = src[v ^ sk];
        }
    }
    drop(s);
    // alpha and z from K_2: party 1's next stream, party 2's previous one.
    let prg = if me == 1 {
        party.next_prg()
    } else {
        party.prev_prg()
    };
    let alpha = draw(prg, buckets * n);
    let z = draw(prg, buckets * n);
    let mut sent = renamed;
    if me == 1 {
        for (u, a) in sent.iter_mut().zip(&alpha) {
            *u = u.wrapping_sub(*a);
        }
    } else {
        for ((r, a), z) in sent.iter_mut().zip(&alpha).zip(&z) {
            *r = r.wrapping_add(*a).wrapping_sub(*z);
        }
    }
    drop(alpha);
    party.send_packed32(pid(0), Tag::RESHARE, &sent, bytes)?;
    Ok(if me == 1 {
        OneHot {
            own: sent,
            next: z,
            buckets,
        }
    } else {
        OneHot {
            own: z,
            next: sent,
            buckets,
        }
    })
}

/// The stable counting-sort position of every element by its digit: one
/// round. Returns this party's components, correct mod `2^(8 bytes)`.
pub(crate) fn positions<T: Transport>(
    party: &mut Party<T>,
    e: &OneHot,
    bytes: usize,
) -> Result<(Vec<u64>, Vec<u64>)> {
    let b = e.buckets;
    let n = e.own.len() / b;
    let me = party.id();
    // C_v: the elements in buckets below v (both components).
    let (mut co, mut cn) = (vec![0u32; b], vec![0u32; b]);
    for (eo, en) in e.own.chunks(b).zip(e.next.chunks(b)) {
        for v in 0..b {
            co[v] = co[v].wrapping_add(eo[v]);
            cn[v] = cn[v].wrapping_add(en[v]);
        }
    }
    let (mut acc_o, mut acc_n) = (0u32, 0u32);
    for v in 0..b {
        let (to, tn) = (co[v], cn[v]);
        co[v] = acc_o;
        cn[v] = acc_n;
        acc_o = acc_o.wrapping_add(to);
        acc_n = acc_n.wrapping_add(tn);
    }
    // Running C_v + P_v[k], element by element.
    let (mut po, mut pn) = (co, cn);
    let mut z = vec![0u32; n];
    // Abort mode: the successor's local term sum_v e_v p_v from the next
    // components, for its proof (see `crate::verify::ledger`).
    let keep = party.checks();
    let mut next_local = if keep { vec![0u32; n] } else { Vec::new() };
    for (k, (eo, en)) in e.own.chunks(b).zip(e.next.chunks(b)).enumerate() {
        let mut acc = 0u32;
        let mut acc_next = 0u32;
        for v in 0..b {
            po[v] = po[v].wrapping_add(eo[v]);
            pn[v] = pn[v].wrapping_add(en[v]);
            // (eo, en) times (C + P): the three terms party i can compute,
            // as in a multiplication.
            acc = acc
                .wrapping_add(eo[v].wrapping_mul(po[v]))
                .wrapping_add(eo[v].wrapping_mul(pn[v]))
                .wrapping_add(en[v].wrapping_mul(po[v]));
            if keep {
                acc_next = acc_next.wrapping_add(en[v].wrapping_mul(pn[v]));
            }
        }
        z[k] = acc;
        if keep {
            next_local[k] = acc_next;
        }
    }
    let mut z: Vec<u64> = z.into_iter().map(u64::from).collect();
    // The position is the count minus one: subtract it from component 0.
    if me.index() == 0 {
        for x in z.iter_mut() {
            *x = x.wrapping_sub(1);
        }
    }
    if !keep {
        party.add_zero_sharing(&mut z);
        party.send_packed(me.prev(), Tag::MUL, &z, bytes)?;
        let next = party.recv_packed(me.next(), Tag::MUL, n, bytes)?;
        return Ok((z, next));
    }
    let (za, zb) = party.zero_sharing_parts(n);
    for ((o, a), b) in z.iter_mut().zip(&za).zip(&zb) {
        *o = o.wrapping_add(a.wrapping_sub(*b));
    }
    party.send_packed(me.prev(), Tag::MUL, &z, bytes)?;
    let next = party.recv_packed(me.next(), Tag::MUL, n, bytes)?;
    // The successor's A = z_(i+1) - sum e p + [i+1 is party 0] + F(K_(i+1)).
    let one = u64::from(me.next().index() == 0);
    let left_claim = next
        .iter()
        .zip(&next_local)
        .zip(&za)
        .map(|((z, l), a)| {
            z.wrapping_sub(u64::from(*l))
                .wrapping_add(one)
                .wrapping_add(*a)
        })
        .collect();
    let right_claim = zb.iter().map(|b| b.wrapping_neg()).collect();
    party.ledger_mut().keep_positions(crate::verify::Positions {
        shift: 64 - 8 * bytes as u32,
        buckets: b,
        e_own: e.own.clone(),
        e_next: e.next.clone(),
        left_claim,
        right_claim,
    });
    party.kept()?;
    Ok((z, next))
}
