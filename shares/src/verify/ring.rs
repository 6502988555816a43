//! The first round of the proof of ring gates: from products over `Z_2^64`
//! to vectors over `GR(2^64, 48)`, or over `GR(2^32, 48)` for gates that
//! only have to hold mod `2^32`, `GR(2^16, 48)` mod `2^16` ([`width`];
//! everything below is the same with narrower words, see [`gr::Word`]).
//!
//! A gate is an inner product `sum_t U_t V_t` of `m` terms (`m = 2` for a
//! multiplication, 1 for one with a factor that is a sharing of one
//! component, `2 buckets` for a counting-sort position) that must
//! equal `A + B` (see [`super::ledger`]). The gates of one kind are cut
//! into blocks of `D = 48`, gate `l` of block `a` weighted by
//! `theta = E_a X^l` with one random `{0, 1}`-coefficient `E_a` per block:
//! the weighted errors of a block, `E_a sum_l X^l e_(a, l)`, are `E_a`
//! times the block's errors *packed* into the 48 coefficients of one ring
//! element, nonzero if any error is, and a sum over blocks vanishes for at
//! most one `E_a` of the `2^48` (their differences are units).
//!
//! This round is a Laurent fold of factor `L` ([`FOLD`], [`FOLD_PRODUCTS`]
//! when every gate is one product, fewer for small ledgers) over the blocks
//! of each group ("superblock") of `L` blocks:
//! `u^(i)_(l, t) = E_i X^l U_(i, l, t)`, `v^(i)_(l, t) = V_(i, l, t)`,
//! `f(Y) = sum_i Y^i u^(i)`, `g(Y) = sum_i Y^(L-1-i) v^(i)`. Coefficient
//! `L - 1 + d` of `h = <f, g>` is `sum_i E_i P_(i, i-d)` with
//! `P_(i, k) = sum_(l, t) X^l U_(i, l, t) V_(k, l, t)` packed from `D m`
//! products of words; multiplying by a `{0, 1}`-coefficient `E_i` is a sum
//! of shifted copies. After the challenge `r`, each superblock leaves
//! `D m` ring elements per side: `u'_(l, t) = X^l sum_i r^i E_i U_(i, l, t)`
//! and `v'_(l, t) = sum_i r^(L-1-i) V_(i, l, t)`.
//!
//! Everything works on [`Part`]s, ranges of one kind's gates: a ledger
//! whose vectors would pass [`ENTRIES`] is proven in several proofs, one
//! after another ([`parts`]).

use super::arch::{WordTask, dispatch_words};
use std::marker::PhantomData;

use super::core::room;
use super::gr::{self, D, Gr, WIDE, Wide, Word};
use super::ledger::{Part, Positions, Products, RingGates};
use crate::prg::Prg;

/// Blocks folded together in the first round (at most): the fold costs
/// the prover `FOLD - 1` packed products per block pair and leaves `1 /
/// FOLD` as many ring elements. Gates of many terms (the positions) gain
/// from the larger factor, products of two terms from the smaller.
pub(crate) const FOLD: usize = 64;
/// The fold factor when every gate is a single product.
pub(crate) const FOLD_PRODUCTS: usize = 48;

/// The fold factor for these gates: [`FOLD`] ([`FOLD_PRODUCTS`] if every
/// gate is a single product), or the number of blocks of the largest kind
/// if smaller (but at least 2).
pub(crate) fn fold_factor(gates: &[Part<'_>]) -> usize {
    let blocks = gates.iter().map(|g| g.len().div_ceil(D)).max().unwrap_or(0);
    let most = if gates.iter().all(|g| g.terms() <= 2) {
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

/// Walks the gates of a part in order, writing their terms.
struct Cursor<'a> {
    gates: &'a RingGates,
    /// The part's first gate, and one past its last.
    from: usize,
    to: usize,
    /// Gates of the part walked so far.
    at: usize,
    /// Positions: the running counts `C_v + P_v` of both components.
    p_own: Vec<u32>,
    p_next: Vec<u32>,
}

impl<'a> Cursor<'a> {
    fn new(part: &Part<'a>) -> Cursor<'a> {
        let (p_own, p_next) = match part.gates {
            RingGates::Positions(p) => (
                start_counts(&p.e_own, &p.below_own, part.from),
                start_counts(&p.e_next, &p.below_next, part.from),
            ),
            RingGates::Products(_) => (Vec::new(), Vec::new()),
        };
        Cursor {
            gates: part.gates,
            from: part.from,
            to: part.to,
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
    /// cut `V` are the same at both. Term `t` of gate `k` goes to `k m + t`.
    fn fill(&mut self, role: Role, count: usize, u: &mut [u64], v: &mut [u64]) {
        let m = self.gates.terms();
        // Where gate k's terms start, and the step from term to term.
        let place = |k: usize| (k * m, 1);
        let first = self.from + self.at;
        let real = count.min(self.to - first.min(self.to));
        let (want_u, want_v) = (role != Role::Right, role != Role::Left);
        match self.gates {
            RingGates::Products(p) => {
                let s = 1u64 << p.shift;
                let low = u64::MAX >> p.shift;
                for k in 0..real {
                    let g = first + k;
                    let (u_pair, v_pair) = match role {
                        Role::Prover => ([p.x_own[g], p.y_own[g]], [p.y_next[g], p.x_next[g]]),
                        Role::Left => ([p.x_next[g], p.y_next[g]], [0, 0]),
                        Role::Right => ([0, 0], [p.y_own[g], p.x_own[g]]),
                    };
                    let (at, step) = place(k);
                    // A single gate's kept term sits where the first is.
                    if p.single {
                        if want_u {
                            u[at] = u_pair[0].wrapping_mul(s);
                        }
                        if want_v {
                            v[at] = v_pair[0] & low;
                        }
                        continue;
                    }
                    if want_u {
                        u[at] = u_pair[0].wrapping_mul(s);
                        u[at + step] = u_pair[1].wrapping_mul(s);
                    }
                    if want_v {
                        v[at] = v_pair[0] & low;
                        v[at + step] = v_pair[1] & low;
                    }
                }
            }
            RingGates::Positions(p) => {
                let s = 1u64 << p.shift;
                let low = u64::MAX >> p.shift;
                let b = p.buckets;
                for k in 0..real {
                    let g = first + k;
                    let (eo, en) = (&p.e_own[g * b..(g + 1) * b], &p.e_next[g * b..(g + 1) * b]);
                    for vb in 0..b {
                        self.p_own[vb] = self.p_own[vb].wrapping_add(eo[vb]);
                        self.p_next[vb] = self.p_next[vb].wrapping_add(en[vb]);
                    }
                    // Terms 2v: e_j,v * p_(j+1),v; 2v+1: p_j,v * e_(j+1),v.
                    // Reduced: buckets 1.. only, with p_v - p_0 for p_v.
                    let (ej, pj, pj1, ej1) = match role {
                        Role::Prover => (eo, &self.p_own[..], &self.p_next[..], en),
                        Role::Left => (en, &self.p_next[..], &self.p_next[..], en),
                        Role::Right => (eo, &self.p_own[..], &self.p_own[..], eo),
                    };
                    let first_bucket = usize::from(p.reduced);
                    let (base_j, base_j1) = if p.reduced { (pj[0], pj1[0]) } else { (0, 0) };
                    let (at, step) = place(k);
                    for vb in first_bucket..b {
                        let t = vb - first_bucket;
                        let (t0, t1) = (at + 2 * t * step, at + (2 * t + 1) * step);
                        if want_u {
                            u[t0] = (ej[vb] as u64).wrapping_mul(s);
                            u[t1] = (pj[vb].wrapping_sub(base_j) as u64).wrapping_mul(s);
                        }
                        if want_v {
                            v[t0] = pj1[vb].wrapping_sub(base_j1) as u64 & low;
                            v[t1] = ej1[vb] as u64 & low;
                        }
                    }
                }
            }
        }
        for k in real..count {
            let (at, step) = place(k);
            for t in 0..m {
                if want_u {
                    u[at + t * step] = 0;
                }
                if want_v {
                    v[at + t * step] = 0;
                }
            }
        }
        self.at += count;
    }

    /// The claims of the part's gates from `from` on (as many as `out`
    /// holds), scaled, zeros past the end.
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
            let g = self.from + from + k;
            *o = if g < self.to {
                claims[g].wrapping_mul(1u64 << shift)
            } else {
                0
            };
        }
    }
}

/// The running counts before element `from`: `C_v`, the number of
/// elements in buckets below `v` (`below`), plus `v`'s count among the
/// elements before `from`, from element-major one-hot components.
fn start_counts(e: &[u32], below: &[u32], from: usize) -> Vec<u32> {
    let buckets = below.len();
    let mut counts = below.to_vec();
    for el in e[..from * buckets].chunks(buckets) {
        for (c, x) in counts.iter_mut().zip(el) {
            *c = c.wrapping_add(*x);
        }
    }
    counts
}

/// Entries of the vectors after the first round (per side) at most per
/// proof: a larger ledger is proven in parts, one after another. Four such
/// vectors of 48-word elements live at once: about 100 MB.
pub(crate) const ENTRIES: usize = 1 << 16;

/// The words a gate that holds mod `2^(64 - shift)` is proven in: 16,
/// 32 or 64 bits.
pub(crate) fn width_of(shift: u32) -> u32 {
    match shift {
        48.. => 16,
        32.. => 32,
        _ => 64,
    }
}

/// The words of the ring the proof of `gates` runs in ([`gr::Word`]): the
/// narrowest in which all of them hold, `GR(2^16, 48)` if every gate only
/// has to hold mod `2^16`, `GR(2^32, 48)` mod `2^32`, else `GR(2^64, 48)`.
pub(crate) fn width(gates: &[Part<'_>]) -> u32 {
    gates
        .iter()
        .map(|g| width_of(g.gates.shift()))
        .max()
        .unwrap_or(64)
}

/// The gates cut into parts of at most [`ENTRIES`] entries after the first
/// round each: a gate of `m` terms leaves `m / FOLD` of them, a single
/// product `2 / FOLD_PRODUCTS`, and a range of one kind's gates at most
/// `D m` more for its last, partial group of blocks. Single products and
/// gates of more terms are never in one part: the fold factor of a part
/// mixing them would be the larger, and the first round's cost grows with
/// it (the sort's products cost the prover half as much apart). Nor are
/// gates proven in rings of different widths ([`width`]).
pub(crate) fn parts(gates: &[RingGates]) -> Vec<Vec<Part<'_>>> {
    // Budget and use in units of 1 / (FOLD FOLD_PRODUCTS) entries: a gate
    // of m terms leaves m / FOLD entries, a single product 2 /
    // FOLD_PRODUCTS.
    let unit = FOLD * FOLD_PRODUCTS;
    let budget = ENTRIES * unit;
    let cost = |m: usize| {
        if m <= 2 { m * FOLD } else { m * FOLD_PRODUCTS }
    };
    let mut out: Vec<Vec<Part<'_>>> = Vec::new();
    let mut current: Vec<Part<'_>> = Vec::new();
    let mut used = 0;
    // Single products first, then the gates of more terms; within each,
    // the narrowest first. Classes never share a part: each gets its own
    // fold factor and ring.
    let class = |g: &RingGates| (g.terms() > 2, width_of(g.shift()));
    let mut kinds: Vec<&RingGates> = gates.iter().filter(|g| g.gates() > 0).collect();
    kinds.sort_by_key(|g| class(g));
    for (at, g) in kinds.iter().enumerate() {
        if at > 0 && class(kinds[at - 1]) != class(g) && !current.is_empty() {
            out.push(std::mem::take(&mut current));
            used = 0;
        }
        let c = cost(g.terms());
        let partial = D * g.terms() * unit;
        let mut from = 0;
        while from < g.gates() {
            let room = budget.saturating_sub(used + partial) / c;
            if room == 0 {
                out.push(std::mem::take(&mut current));
                used = 0;
                continue;
            }
            let to = g.gates().min(from + room);
            current.push(Part { gates: g, from, to });
            used += (to - from) * c + partial;
            from = to;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The block weights, one `{0, 1}`-coefficient mask per block of every
/// kind in order.
pub(crate) fn weights(gates: &[Part<'_>], prg: &mut Prg) -> Vec<Vec<u64>> {
    gates
        .iter()
        .map(|g| {
            (0..g.len().div_ceil(D))
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
pub(crate) fn coefficients<W: Word>(
    gates: &[Part<'_>],
    weights: &[Vec<u64>],
    l: usize,
) -> Vec<Gr<W>> {
    dispatch_words(Coefficients {
        gates,
        weights,
        l,
        word: PhantomData,
    })
}

struct Coefficients<'a, W> {
    gates: &'a [Part<'a>],
    weights: &'a [Vec<u64>],
    l: usize,
    word: PhantomData<W>,
}

impl<W: Word> WordTask for Coefficients<'_, W> {
    type Output = Vec<Gr<W>>;
    #[inline(always)]
    fn run(self) -> Vec<Gr<W>> {
        let (gates, weights, l) = (self.gates, self.weights, self.l);
        coefficients_with(gates, weights, l)
    }
}

#[inline(always)]
fn coefficients_with<W: Word>(gates: &[Part<'_>], weights: &[Vec<u64>], l: usize) -> Vec<Gr<W>> {
    let mut h = vec![[W::ZERO; WIDE]; 2 * l - 1];
    for (g, w) in gates.iter().zip(weights) {
        let m = g.terms();
        let mut cur = Cursor::new(g);
        let mut sb = Superblock::new(l, m);
        // Term-major copies: entry `i m + t` holds term `t` of the 48
        // gates of block `i`, so that a packed product is whole vectors.
        let mut ut = vec![gr::zero::<W>(); l * m];
        let mut vt = vec![gr::zero::<W>(); l * m];
        let mut nibbles = vec![[0u8; D]; l.div_ceil(4)];
        let mut products = [gr::zero::<W>(); 4];
        let mut table = gr::empty_table::<W>();
        for e in w.chunks(l) {
            cur.fill(Role::Prover, l * D, &mut sb.u, &mut sb.v);
            for (i, (ub, vb)) in ut
                .chunks_exact_mut(m)
                .zip(vt.chunks_exact_mut(m))
                .enumerate()
            {
                let base = i * D * m;
                for pos in 0..D {
                    for t in 0..m {
                        ub[t][pos] = W::scaled(sb.u[base + pos * m + t]);
                        vb[t][pos] = W::low(sb.v[base + pos * m + t]);
                    }
                }
            }
            // Bit b of the masks of blocks 4 q .. 4 q + 4, as one nibble
            // per bit: which sum of their packed products coefficient b
            // of the weighted sum adds.
            for (q, nib) in nibbles.iter_mut().enumerate() {
                *nib = [0; D];
                for (j, &ej) in e.iter().skip(4 * q).take(4).enumerate() {
                    for (b, x) in nib.iter_mut().enumerate() {
                        *x |= (((ej >> b) & 1) as u8) << j;
                    }
                }
            }
            // Coefficient `l - 1 + d` gathers the pairs (i, i - d) in
            // registers, four blocks at a time: the 16 sums of their
            // packed products, then one shifted copy per bit of the
            // weights (a block's mask has about 24 bits set: a copy per
            // set bit and block costs twice as much).
            for d in 1 - l as isize..l as isize {
                if d == 0 {
                    continue;
                }
                let mut acc: Wide<W> = [W::ZERO; WIDE];
                for (q, nib) in nibbles.iter().enumerate() {
                    let mut any = false;
                    for (j, slot) in products.iter_mut().enumerate() {
                        let i = 4 * q + j;
                        let k = i as isize - d;
                        let mut packed = gr::zero::<W>();
                        if i < e.len() && e[i] != 0 && k >= 0 && k < l as isize {
                            let k = k as usize;
                            any = true;
                            for (ui, vk) in
                                ut[i * m..(i + 1) * m].iter().zip(&vt[k * m..(k + 1) * m])
                            {
                                for ((p, x), y) in packed.iter_mut().zip(ui).zip(vk) {
                                    *p = p.add(x.mul(*y));
                                }
                            }
                        }
                        *slot = packed;
                    }
                    if any {
                        gr::sums_of_four(&mut table, &products);
                        gr::table_gather_acc(&mut acc, nib, &table);
                    }
                }
                let o = &mut h[(l as isize - 1 + d) as usize];
                for (x, y) in o.iter_mut().zip(&acc) {
                    *x = x.add(*y);
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
pub(crate) fn claim<W: Word>(gates: &[Part<'_>], weights: &[Vec<u64>], left: bool) -> Gr<W> {
    dispatch_words(Claim {
        gates,
        weights,
        left,
        word: PhantomData,
    })
}

struct Claim<'a, W> {
    gates: &'a [Part<'a>],
    weights: &'a [Vec<u64>],
    left: bool,
    word: PhantomData<W>,
}

impl<W: Word> WordTask for Claim<'_, W> {
    type Output = Gr<W>;
    #[inline(always)]
    fn run(self) -> Gr<W> {
        let mut acc: Wide<W> = [W::ZERO; WIDE];
        let mut scaled = [0u64; D];
        let mut packed = gr::zero::<W>();
        for (g, w) in self.gates.iter().zip(self.weights) {
            let cur = Cursor::new(g);
            for (a, &e) in w.iter().enumerate() {
                cur.claims(self.left, a * D, &mut scaled);
                for (p, &c) in packed.iter_mut().zip(&scaled) {
                    *p = W::scaled(c);
                }
                gr::mask_gather_acc(&mut acc, e, &packed);
            }
        }
        gr::reduce(&acc)
    }
}

/// `out_k = sum_i g_i word(x_(k + i stride))`, the word of a `U`
/// ([`Word::scaled`]) if `scaled`, else of a `V` ([`Word::low`]).
#[inline(always)]
fn combine<W: Word>(g: &[Gr<W>], x: &[u64], stride: usize, out: &mut [Gr<W>], scaled: bool) {
    if !W::combine_fast(g, x, stride, out, scaled) {
        let word = if scaled { W::scaled } else { W::low };
        combine_portable(g, x, stride, out, word);
    }
}

/// [`combine`] without vector instructions of its own (the compiler's
/// still apply).
#[inline(always)]
fn combine_portable<W: Word>(
    g: &[Gr<W>],
    x: &[u64],
    stride: usize,
    out: &mut [Gr<W>],
    word: fn(u64) -> W,
) {
    assert!(out.len() <= stride && x.len() >= stride * g.len());
    for (k, o) in out.iter_mut().enumerate() {
        let mut acc = gr::zero::<W>();
        for (i, gi) in g.iter().enumerate() {
            let xi = word(x[k + i * stride]);
            for (a, c) in acc.iter_mut().zip(gi) {
                *a = a.add(c.mul(xi));
            }
        }
        *o = acc;
    }
}

/// The length of the vectors after the first round: per superblock, `m`
/// entries for each position some block of it fills.
pub(crate) fn output_len(gates: &[Part<'_>], l: usize) -> usize {
    gates
        .iter()
        .map(|g| {
            let n = g.len();
            let full = n / (l * D);
            let rest = n % (l * D);
            g.terms() * (full * D + rest.min(D))
        })
        .sum()
}

/// The new vectors after the first round for the challenge with mask `r`:
/// `u'` (prover and left roles) and `v'` (prover and right roles), as
/// `role` knows them.
pub(crate) fn fold<W: Word>(
    gates: &[Part<'_>],
    weights: &[Vec<u64>],
    l: usize,
    r: u64,
    role: Role,
) -> (Vec<Gr<W>>, Vec<Gr<W>>) {
    dispatch_words(Fold {
        gates,
        weights,
        l,
        r,
        role,
        word: PhantomData,
    })
}

struct Fold<'a, W> {
    gates: &'a [Part<'a>],
    weights: &'a [Vec<u64>],
    l: usize,
    r: u64,
    role: Role,
    word: PhantomData<W>,
}

impl<W: Word> WordTask for Fold<'_, W> {
    type Output = (Vec<Gr<W>>, Vec<Gr<W>>);
    #[inline(always)]
    fn run(self) -> (Vec<Gr<W>>, Vec<Gr<W>>) {
        fold_with(self.gates, self.weights, self.l, self.r, self.role)
    }
}

#[inline(always)]
fn fold_with<W: Word>(
    gates: &[Part<'_>],
    weights: &[Vec<u64>],
    l: usize,
    r: u64,
    role: Role,
) -> (Vec<Gr<W>>, Vec<Gr<W>>) {
    let rp = gr::powers::<W>(r, l);
    let rev: Vec<Gr<W>> = rp.iter().rev().copied().collect();
    let (want_u, want_v) = (role != Role::Right, role != Role::Left);
    let len = output_len(gates, l);
    // Room for the pad and whole parts ([`room`]): no copy later.
    let extra = room::<gr::Ring<W>>(len);
    let mut out_u = Vec::with_capacity(if want_u { len + extra } else { 0 });
    let mut out_v = Vec::with_capacity(if want_v { len + extra } else { 0 });
    for (g, w) in gates.iter().zip(weights) {
        let m = g.terms();
        let n = g.len();
        let mut cur = Cursor::new(g);
        let mut sb = Superblock::new(l, m);
        for (s, e) in w.chunks(l).enumerate() {
            // Term t of gate (i, pos) at (i D + pos) m + t: the l values
            // entry pos m + t combines are D m apart.
            cur.fill(role, l * D, &mut sb.u, &mut sb.v);
            let used = D.min(n - s * l * D);
            // G_i = r^i E_i: one ring element per block of the superblock.
            let gs: Vec<Gr<W>> = (0..l)
                .map(|i| e.get(i).map_or(gr::zero(), |&ei| gr::mask_mul(ei, &rp[i])))
                .collect();
            let count = used * m;
            if want_u {
                let at = out_u.len();
                out_u.resize(at + count, gr::zero());
                combine(&gs, &sb.u, D * m, &mut out_u[at..], true);
                // u'_(pos, t) carries X^pos.
                for (k, o) in out_u[at..].iter_mut().enumerate() {
                    *o = gr::shift(o, k / m);
                }
            }
            if want_v {
                let at = out_v.len();
                out_v.resize(at + count, gr::zero());
                combine(&rev, &sb.v, D * m, &mut out_v[at..], false);
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
            single: false,
            x_own: xo,
            x_next: xn,
            y_own: yo,
            y_next: yn,
            left_claim: a,
            right_claim: b,
        })
    }

    #[test]
    fn combinations_agree_with_and_without_vector_instructions() {
        combinations_agree::<u64>();
        combinations_agree::<u32>();
        combinations_agree::<u16>();
    }

    /// [`combine`] (the vector kernel of `W` where the CPU has it) equals
    /// the portable loop and the ring's own arithmetic, for the words of
    /// both kinds.
    fn combinations_agree<W: Word>() {
        let mut p = Prg::new([4; 16]);
        let g: Vec<Gr<W>> = (0..6).map(|_| gr::uniform(&mut p)).collect();
        // Six rows of nine words: entry k of row i at k + 9 i.
        let x = p.words(6 * 9);
        for scaled in [true, false] {
            let word = if scaled { W::scaled } else { W::low };
            let (mut a, mut b) = (vec![gr::zero::<W>(); 9], vec![gr::zero::<W>(); 9]);
            combine(&g, &x, 9, &mut a, scaled);
            combine_portable(&g, &x, 9, &mut b, word);
            assert!(a == b);
            for (k, o) in a.iter().enumerate() {
                let mut want = gr::zero::<W>();
                for (i, gi) in g.iter().enumerate() {
                    let mut s = gr::zero::<W>();
                    s[0] = word(x[k + i * 9]);
                    want = gr::add(&want, &gr::mul(gi, &s));
                }
                assert!(*o == want);
            }
        }
    }

    /// The prover's view used for every role: the test checks the
    /// algebra of the round, not who knows what.
    #[test]
    fn first_round_keeps_honest_claims_and_breaks_false_ones() {
        for n in [1usize, D, D + 1, 800, 1700] {
            let all = vec![products(n, 1, 0), products(n / 2 + 1, 2, 32)];
            // The whole ledger, and the first kind cut in two.
            let whole = parts(&all).concat();
            let cut = vec![
                Part {
                    gates: &all[0],
                    from: n / 3,
                    to: n,
                },
                whole[1],
            ];
            for gates in [whole, cut] {
                keeps_claims::<u64>(&gates, n as u8);
            }
            // Gates that hold mod 2^32 or 2^16, in the narrower rings.
            let narrow = vec![products(n, 3, 32), products(n / 3 + 1, 4, 40)];
            let cut = parts(&narrow);
            assert!(cut.iter().all(|p| width(p) == 32));
            keeps_claims::<u32>(&cut.concat(), n as u8);
            let narrowest = vec![products(n, 5, 48), products(n / 3 + 1, 6, 56)];
            let cut = parts(&narrowest);
            assert!(cut.iter().all(|p| width(p) == 16));
            keeps_claims::<u16>(&cut.concat(), n as u8);
        }
    }

    /// Gates of one term (a product with a one-component factor), kept
    /// where a two-term gate's first term is; the claims are that term's
    /// product alone.
    fn singles(n: usize, seed: u8, shift: u32) -> RingGates {
        let RingGates::Products(mut p) = products(n, seed, shift) else {
            unreachable!()
        };
        p.single = true;
        for k in 0..n {
            let term = p.x_own[k].wrapping_mul(p.y_next[k]);
            p.left_claim[k] = term.wrapping_sub(p.right_claim[k]);
        }
        RingGates::Products(p)
    }

    #[test]
    fn gates_of_one_term_fold_with_the_products() {
        for n in [1usize, 50, 900] {
            let all = vec![singles(n, 7, 0), products(n / 2 + 1, 8, 0)];
            assert!(all[0].terms() == 1 && all[1].terms() == 2);
            let cut = parts(&all);
            // One class: the products' fold factor.
            assert_eq!(cut.len(), 1);
            assert_eq!(
                fold_factor(&cut[0]),
                FOLD_PRODUCTS.min(n.div_ceil(D)).max(2)
            );
            keeps_claims::<u64>(&cut[0], n as u8);
            let narrow = vec![singles(n, 10, 48), products(n / 3 + 1, 11, 48)];
            keeps_claims::<u16>(&parts(&narrow).concat(), n as u8);
        }
        // A one-term gate whose claim also counts the term it dropped fails.
        let RingGates::Products(mut p) = singles(300, 12, 0) else {
            unreachable!()
        };
        p.left_claim[5] = p.left_claim[5].wrapping_add(p.y_own[5].wrapping_mul(p.x_next[5]));
        let all = vec![RingGates::Products(p)];
        let round = first_round::<u64>(&parts(&all).concat(), 3);
        assert_ne!(round.dot, round.want);
    }

    /// The positions' terms, for every role and several bucket counts,
    /// from a part that starts mid-ledger, with and without bucket 0.
    #[test]
    fn positions_terms_follow_the_running_counts() {
        for (buckets, reduced) in [2usize, 4, 8, 16, 32]
            .into_iter()
            .flat_map(|b| [(b, false), (b, true)])
        {
            let n = 301;
            let mut prg = Prg::new([buckets as u8; 16]);
            let mut small = |len: usize| -> Vec<u32> {
                prg.words(len).iter().map(|w| (w % 5) as u32).collect()
            };
            let (e_own, e_next) = (small(n * buckets), small(n * buckets));
            let g = RingGates::Positions(Positions::new(
                48,
                buckets,
                reduced,
                (e_own.clone(), e_next.clone()),
                (
                    crate::onehot::bucket_offsets(&e_own, buckets),
                    crate::onehot::bucket_offsets(&e_next, buckets),
                ),
                vec![0; n],
                vec![0; n],
            ));
            let (from, count) = (57, 100);
            let part = Part {
                gates: &g,
                from,
                to: n,
            };
            let first = usize::from(reduced);
            let m = 2 * (buckets - first);
            assert_eq!(g.terms(), m);
            for role in [Role::Prover, Role::Left, Role::Right] {
                let mut cur = Cursor::new(&part);
                let (mut u, mut v) = (vec![7; count * m], vec![7; count * m]);
                // Two calls: the counts carry over.
                cur.fill(role, 40, &mut u[..40 * m], &mut v[..40 * m]);
                cur.fill(role, count - 40, &mut u[40 * m..], &mut v[40 * m..]);
                // C_v plus the counts before `from`, from scratch.
                let counts = |e: &[u32]| -> Vec<u32> {
                    (0..buckets)
                        .map(|v| {
                            let below: u32 = e
                                .chunks(buckets)
                                .flat_map(|el| el[..v].iter())
                                .fold(0, |a, x| a.wrapping_add(*x));
                            let before: u32 = e[..from * buckets]
                                .chunks(buckets)
                                .fold(0, |a, el| a.wrapping_add(el[v]));
                            below.wrapping_add(before)
                        })
                        .collect()
                };
                let mut po = counts(&e_own);
                let mut pn = counts(&e_next);
                for k in 0..count {
                    let at = (from + k) * buckets;
                    for b in 0..buckets {
                        po[b] = po[b].wrapping_add(e_own[at + b]);
                        pn[b] = pn[b].wrapping_add(e_next[at + b]);
                    }
                    // Reduced: p_v - p_0 in place of p_v, bucket 0 left out.
                    let (bo, bn) = if reduced { (po[0], pn[0]) } else { (0, 0) };
                    let (qo, qn) = (
                        |b: usize| po[b].wrapping_sub(bo),
                        |b: usize| pn[b].wrapping_sub(bn),
                    );
                    for b in first..buckets {
                        let t = b - first;
                        let (t0, t1) = (k * m + 2 * t, k * m + 2 * t + 1);
                        let scaled = |x: u32| u64::from(x) << 48;
                        let cut = |x: u32| u64::from(x) & 0xffff;
                        let (wu, wv) = match role {
                            Role::Prover => (
                                Some((scaled(e_own[at + b]), scaled(qo(b)))),
                                Some((cut(qn(b)), cut(e_next[at + b]))),
                            ),
                            Role::Left => (Some((scaled(e_next[at + b]), scaled(qn(b)))), None),
                            Role::Right => (None, Some((cut(qo(b)), cut(e_own[at + b])))),
                        };
                        if let Some(w) = wu {
                            assert_eq!((u[t0], u[t1]), w, "{buckets} buckets, {role:?}, gate {k}");
                        }
                        if let Some(w) = wv {
                            assert_eq!((v[t0], v[t1]), w, "{buckets} buckets, {role:?}, gate {k}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn gates_of_different_widths_are_never_in_one_part() {
        let all = vec![
            products(500, 1, 0),
            products(700, 2, 32),
            products(90, 3, 48),
            products(20, 4, 50),
        ];
        let cut = parts(&all);
        assert_eq!(cut.len(), 3);
        assert!(width(&cut[0]) == 16 && cut[0].len() == 2);
        assert!(width(&cut[1]) == 32 && cut[1].len() == 1);
        assert!(width(&cut[2]) == 64 && cut[2].len() == 1);
    }

    /// A wrong product that is right mod 2^32 passes in the narrower ring
    /// (it need not hold above) and is caught if off by one.
    #[test]
    fn the_narrow_ring_checks_mod_2_32() {
        let mut g = products(300, 5, 32);
        let RingGates::Products(p) = &mut g else {
            unreachable!()
        };
        p.left_claim[7] = p.left_claim[7].wrapping_add(1 << 32);
        let all = vec![g];
        let cut = parts(&all).concat();
        keeps_claims::<u32>(&cut, 11);
        let mut g = products(300, 5, 32);
        let RingGates::Products(p) = &mut g else {
            unreachable!()
        };
        p.left_claim[7] = p.left_claim[7].wrapping_add(1);
        let all = vec![g];
        let round = first_round::<u32>(&parts(&all).concat(), 3);
        assert_ne!(round.dot, round.want);
    }

    /// For honest gates the first round's vectors have the inner product
    /// `h(r)` whose middle coefficient is the claim; another claim gives
    /// another `h(r)`.
    /// The prover's first round over `gates` (weights from seed 9, the
    /// challenge from `seed`), as the checks below read it.
    struct FirstRound<W: Word> {
        l: usize,
        len: usize,
        h: Vec<Gr<W>>,
        c: Gr<W>,
        r: u64,
        /// The folded vectors' inner product, and `h(r)` for the claim.
        dot: Gr<W>,
        want: Gr<W>,
    }

    fn first_round<W: Word>(gates: &[Part<'_>], seed: u8) -> FirstRound<W> {
        let l = fold_factor(gates);
        let w = weights(gates, &mut Prg::new([9; 16]));
        let c = gr::add(&claim::<W>(gates, &w, true), &claim(gates, &w, false));
        let h = coefficients::<W>(gates, &w, l);
        let r = gr::challenge_mask(&mut Prg::new([seed; 16]));
        let (u, v) = fold::<W>(gates, &w, l, r, Role::Prover);
        let want = laurent_claim::<Ring<W>>(&h, &c, &gr::from_mask(r), l);
        FirstRound {
            l,
            len: u.len(),
            dot: Ring::<W>::dot(&u, &v),
            h,
            c,
            r,
            want,
        }
    }

    fn keeps_claims<W: Word>(gates: &[Part<'_>], seed: u8) {
        let round = first_round::<W>(gates, seed);
        assert_eq!(round.len, output_len(gates, round.l));
        assert_eq!(round.dot, round.want, "seed {seed}");
        let mut bad = round.c;
        bad[3] = bad[3].add(W::ONE);
        assert_ne!(
            laurent_claim::<Ring<W>>(&round.h, &bad, &gr::from_mask(round.r), round.l),
            round.want
        );
    }

    #[test]
    fn large_ledgers_are_cut_into_parts_that_cover_every_gate_once() {
        let all = vec![products(3 * ENTRIES, 1, 0), products(ENTRIES * 40, 2, 32)];
        let cut = parts(&all);
        assert!(cut.len() > 1);
        for (k, g) in all.iter().enumerate() {
            let mut covered: Vec<(usize, usize)> = cut
                .iter()
                .flatten()
                .filter(|p| std::ptr::eq(p.gates, g))
                .map(|p| (p.from, p.to))
                .collect();
            covered.sort();
            assert_eq!(covered.first().map(|c| c.0), Some(0), "kind {k}");
            assert_eq!(covered.last().map(|c| c.1), Some(g.gates()), "kind {k}");
            assert!(covered.windows(2).all(|w| w[0].1 == w[1].0), "kind {k}");
        }
        for part in &cut {
            let l = fold_factor(part);
            assert!(
                output_len(part, l) <= ENTRIES,
                "{} entries",
                output_len(part, l)
            );
        }
    }
}
