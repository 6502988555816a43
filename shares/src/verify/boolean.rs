//! The first round of the proof of AND gates: from packed words to
//! `GF(2^64)` vectors, [`CHUNK`] bits at a time.
//!
//! With weights `theta = alpha_w t^b` for bit `b` of word `w` (one random
//! `alpha_w` per word), the batched claim of a prover is
//! `sum_p alpha_p iota(U_p & V_p) = c`, where `iota` reads a word as a
//! field element, and every word gives two pairs `p`: `(x_j, y_{j+1})` and
//! `(y_j, x_{j+1})`, `U` known to the left verifier, `V` to the right one.
//! As an inner product of bit-level vectors: `u_(p, b) = alpha_p t^b U_(p, b)`,
//! `v_(p, b) = V_(p, b)`.
//!
//! This round is a Laurent fold of factor `L = CHUNK` over the bit index
//! inside each chunk of `L` bits (`b = L q + l`): `f(Y) = sum_l Y^l u^(l)`,
//! `g(Y) = sum_m Y^(L-1-m) v^(m)`. Coefficient `L - 1 + d` of
//! `h = <f, g>` is `sum_p alpha_p iota(U_p & shl(V_p, d) & M_d)`, with
//! `shl(V, d)` moving bit `b - d` to `b` and `M_d` keeping the bits whose
//! `l` has `l - d` inside the chunk: one shift, two ANDs and one carry-less
//! product per word and coefficient. Coefficient `L - 1` is the claim. For
//! the challenge `r`, the new vectors hold one field element per chunk:
//! `u'_(p, q) = alpha_p sum_l r^l t^(L q + l) U_(p, L q + l)` and
//! `v'_(p, q) = sum_m r^(L-1-m) V_(p, L q + m)`, both GF(2)-linear in the
//! chunk's bits, read from tables of 256 entries per byte.

use super::arch::{Clmul, ClmulTask, dispatch};
use super::core::room;
use super::gf::{self, Wide};
use super::ledger::BitsPart;

/// Bits folded together in the first round: a whole word, one field
/// element per word and side after it. Smaller chunks cost fewer products
/// per word here (`2 CHUNK - 2`) but leave `64 / CHUNK` elements per word
/// for the recursion; with four products per instruction the whole word
/// is the cheapest (measured: 16, 32 and 64).
pub(crate) const CHUNK: usize = 64;
/// Chunks per word.
pub(crate) const CHUNKS: usize = 64 / CHUNK;

/// Bits `b` of a word whose offset `l = b mod CHUNK` satisfies `keep(l)`.
const fn chunk_mask(d: usize, up: bool) -> u64 {
    let mut m = 0u64;
    let mut b = 0;
    while b < 64 {
        let l = b % CHUNK;
        let keep = if up { l >= d } else { l + d < CHUNK };
        if keep {
            m |= 1 << b;
        }
        b += 1;
    }
    m
}

const fn masks(up: bool) -> [u64; CHUNK] {
    let mut t = [0u64; CHUNK];
    let mut d = 0;
    while d < CHUNK {
        t[d] = chunk_mask(d, up);
        d += 1;
    }
    t
}

/// For `shl(V, d) = V << d`: offsets `l >= d`.
const UP: [u64; CHUNK] = masks(true);
/// For `shl(V, -d) = V >> d`: offsets `l + d < CHUNK`.
const DOWN: [u64; CHUNK] = masks(false);

/// The prover's view of the gates: `U` and `V` of both pairs of a word.
pub(crate) struct Pairs<'a> {
    pub(crate) u0: &'a [u64],
    pub(crate) v0: &'a [u64],
    pub(crate) u1: &'a [u64],
    pub(crate) v1: &'a [u64],
}

impl<'a> Pairs<'a> {
    /// Party `i` as the prover: `U = (x_i, y_i)`, `V = (y_{i+1}, x_{i+1})`.
    pub(crate) fn prover(l: &BitsPart<'a>) -> Pairs<'a> {
        Pairs {
            u0: l.x_own,
            v0: l.y_next,
            u1: l.y_own,
            v1: l.x_next,
        }
    }
}

/// The `U` words the left verifier of the successor holds: `x_{i+1}`,
/// `y_{i+1}`.
pub(crate) fn left_u<'a>(l: &BitsPart<'a>) -> [&'a [u64]; 2] {
    [l.x_next, l.y_next]
}

/// The `V` words the right verifier of the predecessor holds: `y_i`, `x_i`.
pub(crate) fn right_v<'a>(l: &BitsPart<'a>) -> [&'a [u64]; 2] {
    [l.y_own, l.x_own]
}

struct Cross<'a> {
    p: &'a Pairs<'a>,
    alpha: &'a [u64],
}

impl ClmulTask for Cross<'_> {
    type Output = [Wide; 2 * CHUNK - 1];
    #[inline(always)]
    fn run<C: Clmul>(self) -> Self::Output {
        let mut acc = [Wide::default(); 2 * CHUNK - 1];
        let p = self.p;
        for w in 0..self.alpha.len() {
            let (u0, v0, u1, v1, a) = (p.u0[w], p.v0[w], p.u1[w], p.v1[w], self.alpha[w]);
            for d in 1..CHUNK {
                let up = ((u0 & (v0 << d)) ^ (u1 & (v1 << d))) & UP[d];
                acc[CHUNK - 1 + d].add_product::<C>(a, up);
                let down = ((u0 & (v0 >> d)) ^ (u1 & (v1 >> d))) & DOWN[d];
                acc[CHUNK - 1 - d].add_product::<C>(a, down);
            }
        }
        acc
    }
}

/// The prover's first-round coefficients (all but the middle one, in
/// order of the power of `Y`).
pub(crate) fn coefficients(p: &Pairs<'_>, alpha: &[u64]) -> Vec<u64> {
    let mut at = 0;
    let mut wide = [(0u64, 0u64); 2 * CHUNK - 1];
    #[cfg(target_arch = "x86_64")]
    if super::arch::wide::available() {
        at = alpha.len() / 8 * 8;
        super::arch::wide::cross(
            [
                &p.u0[..at],
                &p.v0[..at],
                &p.u1[..at],
                &p.v1[..at],
                &alpha[..at],
            ],
            &UP,
            &DOWN,
            &mut wide,
        );
    }
    let rest = Pairs {
        u0: &p.u0[at..],
        v0: &p.v0[at..],
        u1: &p.u1[at..],
        v1: &p.v1[at..],
    };
    let mut acc = dispatch(Cross {
        p: &rest,
        alpha: &alpha[at..],
    });
    for (a, (lo, hi)) in acc.iter_mut().zip(wide) {
        a.add(Wide::from_parts(lo, hi));
    }
    acc.iter()
        .enumerate()
        .filter(|(e, _)| *e != CHUNK - 1)
        .map(|(_, w)| w.reduce())
        .collect()
}

/// `sum_w alpha_w iota(claim_w)`: a verifier's share of the claim.
pub(crate) fn claim(alpha: &[u64], claim: &[u64]) -> u64 {
    <gf::Gf as super::Algebra>::dot(alpha, claim)
}

/// Tables of the new entries for the challenge `r`: per byte of a word, the
/// contribution of its 256 values to `u'` (without `alpha`) and to `v'`.
pub(crate) struct Tables {
    u: Box<[[u64; 256]; 8]>,
    v: Box<[[u64; 256]; 8]>,
}

impl Tables {
    pub(crate) fn new(r: u64) -> Tables {
        let mut rp = [1u64; CHUNK];
        for l in 1..CHUNK {
            rp[l] = gf::mul(rp[l - 1], r);
        }
        let mut u = Box::new([[0u64; 256]; 8]);
        let mut v = Box::new([[0u64; 256]; 8]);
        for byte in 0..8 {
            for x in 1..256usize {
                let low = x.trailing_zeros() as usize;
                let b = 8 * byte + low;
                let l = b % CHUNK;
                u[byte][x] = u[byte][x & (x - 1)] ^ gf::mul(rp[l], 1 << b);
                v[byte][x] = v[byte][x & (x - 1)] ^ rp[CHUNK - 1 - l];
            }
        }
        Tables { u, v }
    }

    #[inline(always)]
    fn chunk(t: &[[u64; 256]; 8], word: u64, q: usize) -> u64 {
        let mut acc = 0;
        for byte in q * CHUNK / 8..(q + 1) * CHUNK / 8 {
            acc ^= t[byte][((word >> (8 * byte)) & 0xff) as usize];
        }
        acc
    }
}

struct FoldU<'a> {
    alpha: &'a [u64],
    chunks: &'a [u64],
    out: &'a mut [u64],
}

impl ClmulTask for FoldU<'_> {
    type Output = ();
    #[inline(always)]
    fn run<C: Clmul>(self) {
        for ((o, &a), &c) in self.out.iter_mut().zip(self.alpha).zip(self.chunks) {
            *o = gf::mul_with::<C>(a, c);
        }
    }
}

/// The left side after the first round: `u'` from `U = (x_j, y_j)`, in the
/// order pair, chunk, word (any order will do, the same on both sides).
pub(crate) fn fold_u(alpha: &[u64], u: [&[u64]; 2], t: &Tables) -> Vec<u64> {
    let n = alpha.len();
    // Room for the pad and whole parts ([`room`]): no copy later.
    let mut out = Vec::with_capacity(2 * CHUNKS * n + room::<gf::Gf>(2 * CHUNKS * n));
    out.resize(2 * CHUNKS * n, 0u64);
    let mut chunks = vec![0u64; n];
    for (k, side) in u.iter().enumerate() {
        for q in 0..CHUNKS {
            for (c, &word) in chunks.iter_mut().zip(*side) {
                *c = Tables::chunk(&t.u, word, q);
            }
            let dst = &mut out[(k * CHUNKS + q) * n..(k * CHUNKS + q + 1) * n];
            let mut at = 0;
            #[cfg(target_arch = "x86_64")]
            if super::arch::wide::available() {
                at = n / 8 * 8;
                super::arch::wide::mul(&alpha[..at], &chunks[..at], &mut dst[..at]);
            }
            dispatch(FoldU {
                alpha: &alpha[at..],
                chunks: &chunks[at..],
                out: &mut dst[at..],
            });
        }
    }
    out
}

/// The right side after the first round: `v'` from `V = (y_{j+1}, x_{j+1})`.
pub(crate) fn fold_v(v: [&[u64]; 2], t: &Tables) -> Vec<u64> {
    let n = v[0].len();
    let mut out = Vec::with_capacity(n * 2 * CHUNKS + room::<gf::Gf>(n * 2 * CHUNKS));
    for side in v {
        for q in 0..CHUNKS {
            out.extend(side.iter().map(|&w| Tables::chunk(&t.v, w, q)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Algebra;
    use crate::verify::core::laurent_claim;
    use crate::verify::gf::Gf;

    fn words(seed: u64, n: usize) -> Vec<u64> {
        let mut p = crate::prg::Prg::new([seed as u8; 16]);
        p.words(n)
    }

    /// The first round keeps the claim: for honest inputs the new vectors'
    /// inner product is `h(r)`, with `h`'s middle coefficient the claim
    /// `sum alpha iota(U & V)`.
    #[test]
    fn first_round_is_a_fold_of_the_bit_level_inner_product() {
        let n = 37;
        let (u0, v0, u1, v1, alpha) = (
            words(1, n),
            words(2, n),
            words(3, n),
            words(4, n),
            words(5, n),
        );
        let p = Pairs {
            u0: &u0,
            v0: &v0,
            u1: &u1,
            v1: &v1,
        };
        let cross: Vec<u64> = (0..n).map(|w| (u0[w] & v0[w]) ^ (u1[w] & v1[w])).collect();
        let c = claim(&alpha, &cross);
        let h = coefficients(&p, &alpha);
        for r in [2u64, 0xdead_beef, u64::MAX] {
            let t = Tables::new(r);
            let u = fold_u(&alpha, [&u0, &u1], &t);
            let v = fold_v([&v0, &v1], &t);
            let want = laurent_claim::<Gf>(&h, &c, &r, CHUNK);
            assert_eq!(Gf::dot(&u, &v), want);
            // A wrong claim gives another h(r).
            assert_ne!(laurent_claim::<Gf>(&h, &(c ^ 1), &r, CHUNK), want);
        }
    }
}
