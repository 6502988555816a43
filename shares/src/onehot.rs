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
//!
//! # With [`Security::Abort`](crate::Security)
//!
//! Party 0's message `e(c) - r` is a vector it alone computes, and parties
//! 1 and 2 reshare what they alone hold: no check could tell a wrong one.
//! `Monomials` builds the same vector from multiplications only. The `d`
//! digit bits are injected (two rounds, [`crate::convert`]; the sort runs
//! them in the rounds of the previous digit), then every monomial `m_S =
//! prod_{t in S} x_t` over the subsets `S` of at least two bits is one
//! product of two smaller ones (`ceil(log2 d)` rounds: for `d = 4` the six
//! pairs, then the four triples and the quadruple), and `e_v = prod_{t in
//! v} x_t prod_{t not in v} (1 - x_t) = sum_{S >= v} (-1)^{|S| - |v|} m_S`
//! is local. For `d = 4`: 19 products of 4 bytes per element from each
//! party (an AND tree followed by the injection of all 16 coordinates
//! would take 32 products and 24 ANDs). Its components sum to the public
//! 1's (`sum_v e_v = m_0`), so the proof of the positions can leave bucket
//! 0 out (`crate::verify::Positions`, `reduced`).

use crate::share::{ArithShares, BitShares};
use crate::transport::{Tag, Transport};
use crate::{Party, PartyId, Result};

/// A replicated sharing of the one-hot vectors of `n` digits, element-major
/// (bucket `v` of element `k` at `k * buckets + v`, so that renaming and
/// moving an element's coordinates stays within a cache line), mod `2^32`.
pub(crate) struct OneHot {
    own: Vec<u32>,
    next: Vec<u32>,
    buckets: usize,
    /// Every component of `sum_v e_v` is the public 1's (`1` in component
    /// 0, `0` in the others), whatever the values: true of [`Monomials`]
    /// (a linear identity), not of the two-round protocol. Public.
    unit_sum: bool,
}

impl OneHot {
    /// The one-hot vectors of the digits `r_k ^ c_k`, from these of the
    /// digits `r_k` and the public `c_k`: bucket `v` of element `k` is
    /// bucket `v ^ c_k` of this one, as `[r_k ^ c_k = v]` is
    /// `[r_k = v ^ c_k]`. Element `k` moves to `to[k]`. Local; every
    /// component of every element only has its buckets renamed, so a unit
    /// sum stays one.
    pub(crate) fn xor_moved(&self, c: &[u64], to: &[u32]) -> OneHot {
        let b = self.buckets;
        debug_assert!(b.is_power_of_two());
        let mut own = vec![0u32; self.own.len()];
        let mut next = vec![0u32; self.next.len()];
        for (k, (&ck, &dst)) in c.iter().zip(to).enumerate() {
            let ck = ck as usize & (b - 1);
            let (src, dst) = (k * b..(k + 1) * b, dst as usize * b..(dst as usize + 1) * b);
            let (so, sn) = (&self.own[src.clone()], &self.next[src]);
            let (o, x) = (&mut own[dst.clone()], &mut next[dst]);
            for v in 0..b {
                o[v] = so[v ^ ck];
                x[v] = sn[v ^ ck];
            }
        }
        OneHot {
            own,
            next,
            buckets: b,
            unit_sum: self.unit_sum,
        }
    }
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
        return Ok(OneHot {
            own,
            next,
            buckets,
            unit_sum: false,
        });
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
            unit_sum: false,
        }
    } else {
        OneHot {
            own: z,
            next: sent,
            buckets,
            unit_sum: false,
        }
    })
}

/// The digit at bits `lo..lo + width` of XOR-shared words (`own`, `next`)
/// as `width` packed bit vectors, least significant first.
pub(crate) fn digit_bits(own: &[u64], next: &[u64], lo: usize, width: usize) -> Vec<BitShares> {
    let n = own.len();
    let plane = |words: &[u64], t: usize| -> Vec<u64> {
        let mut p = vec![0u64; n.div_ceil(64)];
        for (k, w) in words.iter().enumerate() {
            p[k / 64] |= ((w >> (lo + t)) & 1) << (k % 64);
        }
        p
    };
    (0..width)
        .map(|t| BitShares::from_components(plane(own, t), plane(next, t), n))
        .collect()
}

/// The monomials `m_S = prod_{t in S} x_t` of injected digit bits `x_t`,
/// made a level at a time (a level's products are handed out so that a
/// caller can multiply them together with others of the same round), and
/// the one-hot vector they give.
pub(crate) struct Monomials {
    n: usize,
    width: usize,
    /// `m[S]` for every subset `S` (a bit mask) made so far; `m[0] = 1`.
    m: Vec<Option<ArithShares>>,
}

impl Monomials {
    /// Starts from the injected bits, least significant first.
    pub(crate) fn new(me: PartyId, bits: Vec<ArithShares>) -> Monomials {
        let width = bits.len();
        let n = bits.first().map_or(0, |b| b.len());
        let mut m: Vec<Option<ArithShares>> = vec![None; 1 << width];
        m[0] = Some(ArithShares::public(me, &vec![1; n]));
        for (t, x) in bits.into_iter().enumerate() {
            m[1 << t] = Some(x);
        }
        Monomials { n, width, m }
    }

    /// The subsets of the next level and the factors of each: a subset of
    /// `s` bits, `2^(L-1) < s <= 2^L`, is its lowest `2^(L-1)` bits times
    /// the rest, both of lower levels. Empty once every subset is made.
    pub(crate) fn next_level(&self) -> (Vec<usize>, Vec<(&ArithShares, &ArithShares)>) {
        let mut made = Vec::new();
        let mut factors = Vec::new();
        for s in 1..self.m.len() {
            let size = s.count_ones();
            if size < 2 || self.m[s].is_some() {
                continue;
            }
            let half = 1u32 << (32 - (size - 1).leading_zeros() - 1);
            let (mut a, mut rest) = (0, s);
            for _ in 0..half {
                let low = rest & rest.wrapping_neg();
                a |= low;
                rest &= !low;
            }
            if let (Some(x), Some(y)) = (&self.m[a], &self.m[rest]) {
                made.push(s);
                factors.push((x, y));
            }
        }
        (made, factors)
    }

    /// Stores the products of [`Monomials::next_level`].
    pub(crate) fn store(&mut self, made: Vec<usize>, products: Vec<ArithShares>) {
        for (s, p) in made.into_iter().zip(products) {
            self.m[s] = Some(p);
        }
    }

    /// The one-hot vectors, element-major: `e_v = sum over S containing v of
    /// (-1)^{|S|-|v|} m_S` (for each bit, subtract from every set without
    /// it the set with it). Local.
    pub(crate) fn one_hot(self) -> OneHot {
        let (n, buckets) = (self.n, 1usize << self.width);
        let mut own = vec![0u32; buckets * n];
        let mut next = vec![0u32; buckets * n];
        for (s, ms) in self.m.iter().enumerate() {
            let (o, x) = ms.as_ref().expect("every monomial is made").components();
            for k in 0..n {
                own[k * buckets + s] = o[k] as u32;
                next[k * buckets + s] = x[k] as u32;
            }
        }
        for out in [&mut own, &mut next] {
            for e in out.chunks_mut(buckets) {
                for t in 0..self.width {
                    for s in 0..buckets {
                        if s & (1 << t) == 0 {
                            e[s] = e[s].wrapping_sub(e[s | (1 << t)]);
                        }
                    }
                }
            }
        }
        // sum_v e_v = m_0, the public 1: each m_S with S nonempty enters
        // with the signs of the subsets of S, which cancel.
        OneHot {
            own,
            next,
            buckets,
            unit_sum: true,
        }
    }
}

/// `C_v`, the number of elements in the buckets below `v`, from
/// element-major one-hot components (one component of it).
pub(crate) fn bucket_offsets(e: &[u32], buckets: usize) -> Vec<u32> {
    let mut total = vec![0u32; buckets];
    for el in e.chunks(buckets) {
        for (t, x) in total.iter_mut().zip(el) {
            *t = t.wrapping_add(*x);
        }
    }
    let mut acc = 0u32;
    total
        .into_iter()
        .map(|t| {
            let c = acc;
            acc = acc.wrapping_add(t);
            c
        })
        .collect()
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
    let (co, cn) = (bucket_offsets(&e.own, b), bucket_offsets(&e.next, b));
    // Running C_v + P_v[k], element by element.
    let (mut po, mut pn) = (co.clone(), cn.clone());
    let mut z = vec![0u32; n];
    // Abort mode: the successor's local term sum_v e_v p_v from the next
    // components, for its proof (see `crate::verify::ledger`).
    let keep = party.checks();
    let mut next_local = if keep { vec![0u32; n] } else { Vec::new() };
    // With a unit sum the proof drops bucket 0 (see `Positions::reduced`),
    // and its claims lose the terms with the public 1: `p_(0, j + 1)` for
    // prover `j = 0` (its right verifier, party 1, holds it as `own`) and
    // `p_(0, j)` for prover `j = 2` (its left verifier, party 1, as `next`).
    let reduced = keep && e.unit_sum;
    let (drop_own, drop_next) = (
        reduced && me.prev().index() == 0,
        reduced && me.next().index() == 2,
    );
    let mut p0_own = if drop_own { vec![0u32; n] } else { Vec::new() };
    let mut p0_next = if drop_next { vec![0u32; n] } else { Vec::new() };
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
        if drop_own {
            p0_own[k] = po[0];
        }
        if drop_next {
            p0_next[k] = pn[0];
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
    let mut left_claim: Vec<u64> = next
        .iter()
        .zip(&next_local)
        .zip(&za)
        .map(|((z, l), a)| {
            z.wrapping_sub(u64::from(*l))
                .wrapping_add(one)
                .wrapping_add(*a)
        })
        .collect();
    let mut right_claim: Vec<u64> = zb.iter().map(|b| b.wrapping_neg()).collect();
    for (c, p) in left_claim.iter_mut().zip(&p0_next) {
        *c = c.wrapping_sub(u64::from(*p));
    }
    for (c, p) in right_claim.iter_mut().zip(&p0_own) {
        *c = c.wrapping_sub(u64::from(*p));
    }
    party
        .ledger_mut()
        .keep_positions(crate::verify::Positions::new(
            64 - 8 * bytes as u32,
            b,
            reduced,
            (e.own.clone(), e.next.clone()),
            (co, cn),
            left_claim,
            right_claim,
        ));
    party.kept()?;
    Ok((z, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One component of the one-hot vectors of `digits`, element-major.
    fn plain(digits: &[u64], buckets: usize) -> Vec<u32> {
        let mut e = vec![0u32; digits.len() * buckets];
        for (k, &d) in digits.iter().enumerate() {
            e[k * buckets + d as usize] = 1;
        }
        e
    }

    /// Renaming the buckets by `c` and moving the elements gives the
    /// one-hot vectors of `r ^ c` in the new order, in both components
    /// (here a second component of arbitrary words, renamed alike).
    #[test]
    fn renamed_buckets_are_the_one_hot_vectors_of_the_masked_digits() {
        for width in 1..=4 {
            let buckets = 1usize << width;
            let n = 37;
            let r: Vec<u64> = (0..n as u64)
                .map(|k| (k * 7 + 3) % buckets as u64)
                .collect();
            let c: Vec<u64> = (0..n as u64)
                .map(|k| (k * 5 + 1) % buckets as u64)
                .collect();
            let to: Vec<u32> = (0..n as u32).map(|k| (k * 11) % n as u32).collect();
            let next: Vec<u32> = (0..(n * buckets) as u32)
                .map(|i| i.wrapping_mul(2_654_435_761))
                .collect();
            let e = OneHot {
                own: plain(&r, buckets),
                next: next.clone(),
                buckets,
                unit_sum: true,
            };
            let moved = e.xor_moved(&c, &to);
            let mut want = vec![0u64; n];
            for k in 0..n {
                want[to[k] as usize] = r[k] ^ c[k];
            }
            assert_eq!(moved.own, plain(&want, buckets), "width {width}");
            for k in 0..n {
                for v in 0..buckets {
                    let at = to[k] as usize * buckets + v;
                    let from = k * buckets + (v ^ c[k] as usize);
                    assert_eq!(moved.next[at], next[from], "width {width}");
                }
            }
            assert!(moved.unit_sum);
        }
    }
}
