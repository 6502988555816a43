//! The first round of the proof of ring gates: from products over `Z_2^64`
//! to vectors over `GR(2^64, 49)`.
//!
//! A gate is an inner product `sum_t U_t V_t` of `m` terms (`m = 2` for a
//! multiplication, `2 buckets` for a counting-sort position) that must
//! equal `A + B` (see [`super::ledger`]). The gates of one kind are cut
//! into blocks of `D = 49`, gate `l` of block `a` weighted by
//! `theta = E_a X^l` with one random `{0, 1}`-coefficient `E_a` per block:
//! the weighted errors of a block, `E_a sum_l X^l e_(a, l)`, are `E_a`
//! times the block's errors *packed* into the 49 coefficients of one ring
//! element, nonzero if any error is, and a sum over blocks vanishes for at
//! most one `E_a` of the `2^49` (their differences are units).
//!
//! This round is a Laurent fold of factor `L` ([`FOLD`], fewer for small
//! ledgers) over the blocks of each group ("superblock") of `L` blocks:
//! `u^(i)_(l, t) = E_i X^l U_(i, l, t)`, `v^(i)_(l, t) = V_(i, l, t)`,
//! `f(Y) = sum_i Y^i u^(i)`, `g(Y) = sum_i Y^(L-1-i) v^(i)`. Coefficient
//! `L - 1 + d` of `h = <f, g>` is `sum_i E_i P_(i, i-d)` with
//! `P_(i, k) = sum_(l, t) X^l U_(i, l, t) V_(k, l, t)` packed from `D m`
//! products of words; multiplying by a `{0, 1}`-coefficient `E_i` is a sum
//! of shifted copies. After the challenge `r`, each superblock leaves
//! `D m` ring elements per side: `u'_(l, t) = X^l sum_i r^i E_i U_(i, l, t)`
//! and `v'_(l, t) = sum_i r^(L-1-i) V_(i, l, t)`.

use super::arch::{WordTask, dispatch_words};
use super::gr::{self, D, Gr, WIDE, Wide};
use super::ledger::{Positions, Products, RingGates};
use crate::prg::Prg;

/// Blocks folded together in the first round (at most): the fold costs
/// the prover `FOLD - 1` packed products per block pair and leaves `1 /
/// FOLD` as many ring elements. Gates of many terms (the positions) gain
/// from the larger factor, products of two terms from the smaller.
pub(crate) const FOLD: usize = 64;
/// The fold factor when every gate is a single product.
pub(crate) const FOLD_PRODUCTS: usize = 32;

/// The fold factor for these gates: [`FOLD`] ([`FOLD_PRODUCTS`] if every
/// gate is a single product), or the number of blocks of the largest kind
/// if smaller (but at least 2).
pub(crate) fn fold_factor(gates: &[RingGates]) -> usize {
    let blocks = gates
        .iter()
        .map(|g| g.gates().div_ceil(D))
        .max()
        .unwrap_or(0);
    let most = if gates.iter().all(|g| g.terms() == 2) {
        FOLD_PRODUCTS
    } else {
        FOLD
    };
    blocks.clamp(2, most)
}

/// Which of the three parts a party plays for a proof.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// Its own messages.
    Prover,
    /// The successor's messages (it knows `U`).
    Left,
    /// The predecessor's messages (it knows `V`).
    Right,
}

/// Walks the gates of one kind in order, writing their terms.
struct Cursor<'a> {
    gates: &'a RingGates,
    at: usize,
    /// Positions: the running counts `C_v + P_v` of both components.
    p_own: Vec<u32>,
    p_next: Vec<u32>,
}

impl<'a> Cursor<'a> {
    fn new(gates: &'a RingGates) -> Cursor<'a> {
        let (p_own, p_next) = match gates {
            RingGates::Positions(p) => (
                start_counts(&p.e_own, p.buckets),
                start_counts(&p.e_next, p.buckets),
            ),
            RingGates::Products(_) => (Vec::new(), Vec::new()),
        };
        Cursor {
            gates,
            at: 0,
            p_own,
            p_next,
        }
    }

    #[inline(always)]
    /// Writes the terms of the next `count` gates (zeros past the end),
    /// gate-major: `U` (scaled by `2^shift`) if the role knows it, `V` (its
    /// low `64 - shift` bits) if it knows it. Values that matter only mod
    /// `2^(64 - shift)` may differ above between their two holders (a
    /// narrow message carries only the low bits); the scaled `U` and the
    /// cut `V` are the same at both.
    fn fill(&mut self, role: Role, count: usize, u: &mut [u64], v: &mut [u64]) {
        let m = self.gates.terms();
        let real = count.min(self.gates.gates() - self.at.min(self.gates.gates()));
        let (want_u, want_v) = (role != Role::Right, role != Role::Left);
        match self.gates {
            RingGates::Products(p) => {
                let s = 1u64 << p.shift;
                let low = u64::MAX >> p.shift;
                for k in 0..real {
                    let g = self.at + k;
                    let (u_pair, v_pair) = match role {
                        Role::Prover => ([p.x_own[g], p.y_own[g]], [p.y_next[g], p.x_next[g]]),
                        Role::Left => ([p.x_next[g], p.y_next[g]], [0, 0]),
                        Role::Right => ([0, 0], [p.y_own[g], p.x_own[g]]),
                    };
                    if want_u {
                        u[2 * k] = u_pair[0].wrapping_mul(s);
                        u[2 * k + 1] = u_pair[1].wrapping_mul(s);
                    }
                    if want_v {
                        v[2 * k] = v_pair[0] & low;
                        v[2 * k + 1] = v_pair[1] & low;
                    }
                }
            }
            RingGates::Positions(p) => {
                let s = 1u64 << p.shift;
                let low = u64::MAX >> p.shift;
                let b = p.buckets;
                for k in 0..real {
                    let g = self.at + k;
                    let (eo, en) = (&p.e_own[g * b..(g + 1) * b], &p.e_next[g * b..(g + 1) * b]);
                    for vb in 0..b {
                        self.p_own[vb] = self.p_own[vb].wrapping_add(eo[vb]);
                        self.p_next[vb] = self.p_next[vb].wrapping_add(en[vb]);
                    }
                    // Terms 2v: e_j,v * p_(j+1),v; 2v+1: p_j,v * e_(j+1),v.
                    let (ej, pj, pj1, ej1) = match role {
                        Role::Prover => (eo, &self.p_own[..], &self.p_next[..], en),
                        Role::Left => (en, &self.p_next[..], &self.p_next[..], en),
                        Role::Right => (eo, &self.p_own[..], &self.p_own[..], eo),
                    };
                    let base = k * m;
                    for vb in 0..b {
                        if want_u {
                            u[base + 2 * vb] = (ej[vb] as u64).wrapping_mul(s);
                            u[base + 2 * vb + 1] = (pj[vb] as u64).wrapping_mul(s);
                        }
                        if want_v {
                            v[base + 2 * vb] = pj1[vb] as u64 & low;
                            v[base + 2 * vb + 1] = ej1[vb] as u64 & low;
                        }
                    }
                }
            }
        }
        for k in real..count {
            if want_u {
                u[k * m..(k + 1) * m].fill(0);
            }
            if want_v {
                v[k * m..(k + 1) * m].fill(0);
            }
        }
        self.at += count;
    }

    /// The claims of the next `count` gates, scaled, zeros past the end.
    fn claims(&self, left: bool, from: usize, out: &mut [u64]) {
        let (claims, shift) = match self.gates {
            RingGates::Products(Products {
                left_claim,
                right_claim,
                shift,
                ..
            })
            | RingGates::Positions(Positions {
                left_claim,
                right_claim,
                shift,
                ..
            }) => (if left { left_claim } else { right_claim }, *shift),
        };
        for (k, o) in out.iter_mut().enumerate() {
            *o = claims
                .get(from + k)
                .map_or(0, |c| c.wrapping_mul(1u64 << shift));
        }
    }
}

/// `C_v`, the number of elements in buckets below `v`, from element-major
/// one-hot components.
fn start_counts(e: &[u32], buckets: usize) -> Vec<u32> {
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

/// The block weights, one `{0, 1}`-coefficient mask per block of every
/// kind in order.
pub(crate) fn weights(gates: &[RingGates], prg: &mut Prg) -> Vec<Vec<u64>> {
    gates
        .iter()
        .map(|g| {
            (0..g.gates().div_ceil(D))
                .map(|_| gr::uniform_mask(prg))
                .collect()
        })
        .collect()
}

/// Scratch space for one superblock of one kind.
struct Superblock {
    u: Vec<u64>,
    v: Vec<u64>,
}

impl Superblock {
    fn new(l: usize, m: usize) -> Superblock {
        Superblock {
            u: vec![0; l * D * m],
            v: vec![0; l * D * m],
        }
    }
}

/// The prover's first-round coefficients (all but the middle one).
pub(crate) fn coefficients(gates: &[RingGates], weights: &[Vec<u64>], l: usize) -> Vec<Gr> {
    dispatch_words(Coefficients { gates, weights, l })
}

struct Coefficients<'a> {
    gates: &'a [RingGates],
    weights: &'a [Vec<u64>],
    l: usize,
}

impl WordTask for Coefficients<'_> {
    type Output = Vec<Gr>;
    #[inline(always)]
    fn run(self) -> Vec<Gr> {
        let (gates, weights, l) = (self.gates, self.weights, self.l);
        coefficients_with(gates, weights, l)
    }
}

#[inline(always)]
fn coefficients_with(gates: &[RingGates], weights: &[Vec<u64>], l: usize) -> Vec<Gr> {
    let mut h = vec![[0u64; WIDE]; 2 * l - 1];
    let mut packed: Gr = gr::ZERO;
    for (g, w) in gates.iter().zip(weights) {
        let m = g.terms();
        let mut cur = Cursor::new(g);
        let mut sb = Superblock::new(l, m);
        for e in w.chunks(l) {
            cur.fill(Role::Prover, l * D, &mut sb.u, &mut sb.v);
            let block = D * m;
            for (i, &ei) in e.iter().enumerate() {
                if ei == 0 {
                    continue;
                }
                let u = &sb.u[i * block..(i + 1) * block];
                for k in 0..l {
                    if k == i {
                        continue;
                    }
                    let v = &sb.v[k * block..(k + 1) * block];
                    for (p, (ug, vg)) in packed
                        .iter_mut()
                        .zip(u.chunks_exact(m).zip(v.chunks_exact(m)))
                    {
                        *p = ug
                            .iter()
                            .zip(vg)
                            .fold(0u64, |a, (x, y)| a.wrapping_add(x.wrapping_mul(*y)));
                    }
                    gr::mask_mul_acc(&mut h[l - 1 + i - k], ei, &packed);
                }
            }
        }
    }
    h.iter()
        .enumerate()
        .filter(|(e, _)| *e != l - 1)
        .map(|(_, w)| gr::reduce(w))
        .collect()
}

/// A verifier's share of the claim: `sum_a E_a pack(claims of block a)`,
/// left (`A`) or right (`B`).
pub(crate) fn claim(gates: &[RingGates], weights: &[Vec<u64>], left: bool) -> Gr {
    let mut acc: Wide = [0; WIDE];
    let mut packed: Gr = gr::ZERO;
    for (g, w) in gates.iter().zip(weights) {
        let cur = Cursor::new(g);
        for (a, &e) in w.iter().enumerate() {
            cur.claims(left, a * D, &mut packed[..D]);
            gr::mask_mul_acc(&mut acc, e, &packed);
        }
    }
    gr::reduce(&acc)
}

/// The length of the vectors after the first round: per superblock, `m`
/// entries for each position some block of it fills.
pub(crate) fn output_len(gates: &[RingGates], l: usize) -> usize {
    gates
        .iter()
        .map(|g| {
            let n = g.gates();
            let full = n / (l * D);
            let rest = n % (l * D);
            g.terms() * (full * D + rest.min(D))
        })
        .sum()
}

/// `r^0, ..., r^(l-1)` for the challenge with mask `r`.
fn powers(r: u64, l: usize) -> Vec<Gr> {
    let mut p = vec![gr::one()];
    for i in 1..l {
        let next = gr::mask_mul(r, &p[i - 1]);
        p.push(next);
    }
    p
}

/// The new vectors after the first round for the challenge with mask `r`:
/// `u'` (prover and left roles) and `v'` (prover and right roles), as
/// `role` knows them.
pub(crate) fn fold(
    gates: &[RingGates],
    weights: &[Vec<u64>],
    l: usize,
    r: u64,
    role: Role,
) -> (Vec<Gr>, Vec<Gr>) {
    dispatch_words(Fold {
        gates,
        weights,
        l,
        r,
        role,
    })
}

struct Fold<'a> {
    gates: &'a [RingGates],
    weights: &'a [Vec<u64>],
    l: usize,
    r: u64,
    role: Role,
}

impl WordTask for Fold<'_> {
    type Output = (Vec<Gr>, Vec<Gr>);
    #[inline(always)]
    fn run(self) -> (Vec<Gr>, Vec<Gr>) {
        fold_with(self.gates, self.weights, self.l, self.r, self.role)
    }
}

#[inline(always)]
fn fold_with(
    gates: &[RingGates],
    weights: &[Vec<u64>],
    l: usize,
    r: u64,
    role: Role,
) -> (Vec<Gr>, Vec<Gr>) {
    let rp = powers(r, l);
    let (want_u, want_v) = (role != Role::Right, role != Role::Left);
    let len = output_len(gates, l);
    let mut out_u = Vec::with_capacity(if want_u { len } else { 0 });
    let mut out_v = Vec::with_capacity(if want_v { len } else { 0 });
    for (g, w) in gates.iter().zip(weights) {
        let m = g.terms();
        let n = g.gates();
        let mut cur = Cursor::new(g);
        let mut sb = Superblock::new(l, m);
        let block = D * m;
        // The superblock's terms transposed, position and term major: the
        // l values one output entry combines lie together.
        let mut tu = vec![0u64; if want_u { l * block } else { 0 }];
        let mut tv = vec![0u64; if want_v { l * block } else { 0 }];
        for (s, e) in w.chunks(l).enumerate() {
            cur.fill(role, l * D, &mut sb.u, &mut sb.v);
            let used = D.min(n - s * l * D);
            for (src, dst, want) in [(&sb.u, &mut tu, want_u), (&sb.v, &mut tv, want_v)] {
                if want {
                    for i in 0..l {
                        for (k, &x) in src[i * block..(i + 1) * block].iter().enumerate() {
                            dst[k * l + i] = x;
                        }
                    }
                }
            }
            // G_i = r^i E_i: one ring element per block of the superblock.
            let gs: Vec<Gr> = (0..l)
                .map(|i| e.get(i).map_or(gr::ZERO, |&ei| gr::mask_mul(ei, &rp[i])))
                .collect();
            for pos in 0..used {
                for t in 0..m {
                    let k = pos * m + t;
                    if want_u {
                        let mut acc = gr::ZERO;
                        for (gi, &x) in gs.iter().zip(&tu[k * l..(k + 1) * l]) {
                            for (a, c) in acc.iter_mut().zip(gi) {
                                *a = a.wrapping_add(c.wrapping_mul(x));
                            }
                        }
                        out_u.push(gr::shift(&acc, pos));
                    }
                    if want_v {
                        let mut acc = gr::ZERO;
                        for (ri, &y) in rp.iter().rev().zip(&tv[k * l..(k + 1) * l]) {
                            for (a, c) in acc.iter_mut().zip(ri) {
                                *a = a.wrapping_add(c.wrapping_mul(y));
                            }
                        }
                        out_v.push(acc);
                    }
                }
            }
        }
    }
    (out_u, out_v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Algebra;
    use crate::verify::core::laurent_claim;
    use crate::verify::gr::Ring;

    fn products(n: usize, seed: u8, shift: u32) -> RingGates {
        let mut p = Prg::new([seed; 16]);
        let (xo, xn, yo, yn) = (p.words(n), p.words(n), p.words(n), p.words(n));
        // Claims of honest gates: A + B = x_j y_(j+1) + y_j x_(j+1), split
        // at random between the two sides.
        let b: Vec<u64> = p.words(n);
        let a: Vec<u64> = (0..n)
            .map(|k| {
                xo[k]
                    .wrapping_mul(yn[k])
                    .wrapping_add(yo[k].wrapping_mul(xn[k]))
                    .wrapping_sub(b[k])
            })
            .collect();
        RingGates::Products(Products {
            shift,
            x_own: xo,
            x_next: xn,
            y_own: yo,
            y_next: yn,
            left_claim: a,
            right_claim: b,
        })
    }

    /// The prover's view used for every role: the test checks the
    /// algebra of the round, not who knows what.
    #[test]
    fn first_round_keeps_honest_claims_and_breaks_false_ones() {
        for n in [1usize, 49, 50, 800, 1700] {
            let gates = vec![products(n, 1, 0), products(n / 2 + 1, 2, 32)];
            let l = fold_factor(&gates);
            let w = weights(&gates, &mut Prg::new([9; 16]));
            let c = gr::add(&claim(&gates, &w, true), &claim(&gates, &w, false));
            let h = coefficients(&gates, &w, l);
            let r = gr::challenge_mask(&mut Prg::new([n as u8; 16]));
            let (u, v) = fold(&gates, &w, l, r, Role::Prover);
            assert_eq!(u.len(), output_len(&gates, l));
            let want = laurent_claim::<Ring>(&h, &c, &gr::from_mask(r), l);
            assert_eq!(Ring::dot(&u, &v), want, "n = {n}");
            let mut bad = c;
            bad[3] = bad[3].wrapping_add(1);
            assert_ne!(laurent_claim::<Ring>(&h, &bad, &gr::from_mask(r), l), want);
        }
    }
}
