//! The first round of the proof of one message of a permutation step
//! ([`crate::shuffle`]): from the message's relation to vectors over
//! `GF(2^64)` (XOR columns) or `GR(2^64, 48)` (arithmetic columns;
//! `GR(2^32, 48)` or `GR(2^16, 48)` if none matters in more than four or
//! two bytes, [`width`]).
//!
//! The message `m = P d - F` (XOR: `P d ^ F`) is checked row by row of the
//! output with weights `theta`: `sum_k theta_k (P d)_k` must equal
//! `theta . c_receiver + theta . c_third` (see [`super::ledger::Moved`]).
//! The left side is the inner product `<P^T theta, d>`: `P^T theta` (the
//! weights moved back to the input rows) is known to the receiver, which
//! knows `P`, and `d` to the third party. Its terms are single products,
//! one per input row and column.
//!
//! - XOR columns: each word *is* an element of `GF(2^64)` (XOR is its
//!   addition), so `theta_k` is one uniformly random field element per row
//!   and column and a nonzero error survives the weighting with probability
//!   at most `2^-64`. A first round folds by [`XOR_FOLD`] slices of rows
//!   over the field, which saves the recursion more than one of its folds
//!   by 8.
//! - Arithmetic columns whose low `b` bytes matter: `theta_k = E_k`, one
//!   uniformly random `{0, 1}`-coefficient element of the Galois ring per
//!   row and column (an error `e != 0` gives `E e = R` for at most one `E`,
//!   since two such differ by a unit), and the whole relation is
//!   multiplied by `2^(64 - 8 b)`. A first round folds the vectors by
//!   [`FOLD`]: the input rows in `L` slices `i` of `S`, `u^(i)` and `v^(i)`
//!   the slices, `f(Y) = sum_i Y^i u^(i)`, `g(Y) = sum_i Y^(L-1-i) v^(i)`.
//!   A product `E d` is `d` added at the set bits of `E`: a row adds the
//!   `L` data values of its slot `j` into the coefficients of `h = <f, g>`
//!   once per set bit of its weight (four rows of a slice at a time, from
//!   the sixteen sums of their data). The folded vectors
//!   `sum_i r^i u^(i)` and `sum_i r^(L-1-i) v^(i)` have `S` ring elements;
//!   the weights' side is summed from tables of `r^i` times every
//!   eight-bit group of a weight (four-bit in the 64-bit ring, whose tables
//!   would not stay in the cache).
//!
//! Per row and column the prover's first round costs about 15 additions of
//! `L` words (for `L = 32`, some 60 vector additions), the fold of the
//! weights 7 additions of ring elements (13 in the 64-bit ring) and a share
//! of the tables, the fold of the data one product of a ring element and a
//! word; then the recursion runs over `S` ring elements, `1 / L` as many as
//! rows. The tables by eight bits took the sugar-beet market's clearing 2%
//! less time than by four; in the 64-bit ring 2% more.

use super::arch::{WordTask, dispatch_words};
use super::core::{self, Pad, room};
use super::gf::Gf;
use super::gr::{self, D, Gr, Ring, Word};
use super::ledger::Moved;
use super::proof::{Challenges, First, Folded};
use super::ring::Role;
use super::{Algebra, Streams};
use crate::prg::Prg;
use std::marker::PhantomData;

/// Slices folded together in the first round of arithmetic columns (at
/// most).
pub(crate) const FOLD: usize = 32;

/// The mask of the low `bytes` bytes.
fn low(bytes: usize) -> u64 {
    if bytes >= 8 {
        u64::MAX
    } else {
        (1 << (8 * bytes)) - 1
    }
}

/// The weights of the output rows moved back to the input rows, into
/// `out`: entry `k` is the weight of the row the step moved input row `k`
/// to (the step scatters by `perm`, or with `inverse` gathers by it).
fn moved_back(theta: &[u64], perm: &[u32], inverse: bool, out: &mut [u64]) {
    if inverse {
        for (&t, &p) in theta.iter().zip(perm) {
            out[p as usize] = t;
        }
    } else {
        for (o, &p) in out.iter_mut().zip(perm) {
            *o = theta[p as usize];
        }
    }
}

/// The columns of `m` of one kind.
fn columns(m: &Moved, xor: bool) -> Vec<(usize, usize)> {
    m.kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| k.0 == xor)
        .map(|(c, k)| (c, k.1))
        .collect()
}

/// True if the message has rows and columns of the kind (`xor` or not):
/// then it has a proof of that kind ([`xor_first`], [`ring_first`]).
pub(crate) fn proves(m: &Moved, xor: bool) -> bool {
    m.n > 0 && m.kinds.iter().any(|k| k.0 == xor)
}

/// The two vectors of the inner product as this party holds them:
/// the permuted weights (`W`) if it knows the permutation, the data (`D`)
/// if it knows `d`.
struct Sides {
    w: Option<Vec<u64>>,
    d: Option<Vec<u64>>,
}

/// `W` and `D` over the columns `cols`, from the weights `theta` (one per
/// output row, column after column) and `d` cut by `cut(column, bytes)`.
fn sides(
    m: &Moved,
    cols: &[(usize, usize)],
    theta: &[u64],
    cut: impl Fn(u64, usize) -> u64,
) -> Sides {
    let n = m.n;
    let w = m.perm.as_ref().map(|(perm, inverse)| {
        // Room for the pad and whole parts in each side ([`room`]).
        let mut w = Vec::with_capacity(theta.len() + room::<Gf>(theta.len()));
        w.resize(theta.len(), 0u64);
        for (t, o) in theta.chunks(n).zip(w.chunks_mut(n)) {
            moved_back(t, perm, *inverse, o);
        }
        w
    });
    let holds_data = m.part == Role::Prover || !m.holds_permutation();
    let d = holds_data.then(|| {
        let mut d = Vec::with_capacity(theta.len() + room::<Gf>(theta.len()));
        for &(c, bytes) in cols {
            d.extend(m.data[c * n..(c + 1) * n].iter().map(|&x| cut(x, bytes)));
        }
        d
    });
    Sides { w, d }
}

/// This verifier's claim rows over the columns `cols`, cut.
fn claim_rows(m: &Moved, cols: &[(usize, usize)], cut: impl Fn(u64, usize) -> u64) -> Vec<u64> {
    let n = m.n;
    let mut out = Vec::with_capacity(n * cols.len());
    for &(c, bytes) in cols {
        out.extend(m.claim[c * n..(c + 1) * n].iter().map(|&x| cut(x, bytes)));
    }
    out
}

/// The first round of the XOR columns of `m`, if it has any: a Laurent
/// fold of factor [`XOR_FOLD`] (fewer for short vectors) over
/// `GF(2^64)`, whose coefficients are `L (L - 1)` inner products of the
/// slices. It costs the prover about `L - 1` field products per row and
/// column, and saves the recursion `log2 L` of its binary folds.
pub(crate) fn xor_first(
    m: &Moved,
    weights: &mut Prg,
    streams: &mut Streams,
    padded: bool,
) -> Option<First<'static, Gf>> {
    if !proves(m, true) {
        return None;
    }
    let cols = columns(m, true);
    let n = m.n * cols.len();
    let theta = weights.words(n);
    let cut = |x: u64, bytes: usize| x & low(bytes);
    let Sides { w, d } = sides(m, &cols, &theta, cut);
    let claim = (m.part != Role::Prover).then(|| Gf::dot(&theta, &claim_rows(m, &cols, cut)));
    drop(theta);
    let l = xor_fold_factor(n);
    // The vectors' length after the first round.
    let len = n.div_ceil(l);
    let permutation_left = m.permutation_left;
    // The permutation holder's side is the left vector (f) if it is on the
    // left, the right one (g) if not.
    let oriented = move |w: Vec<u64>, d: Vec<u64>| {
        if permutation_left { (w, d) } else { (d, w) }
    };
    let (w, d, message) = match (w, d) {
        (Some(w), Some(d)) => {
            let (mut u, mut v) = oriented(w, d);
            let parts = n.div_ceil(l) * l;
            u.resize(parts, 0);
            v.resize(parts, 0);
            let mut msg: Vec<u64> = core::outer::<Gf>(&u, &v, l)
                .iter()
                .map(|x| Gf::sub(x, &Gf::uniform(&mut streams.prover_shares)))
                .collect();
            let pad = Pad::<Gf>::draw(
                &mut streams.prover_pad,
                &mut streams.prover_shares,
                len,
                padded,
            );
            msg.push(pad.message());
            // The same swap takes the vectors back.
            let (w, d) = oriented(u, v);
            (Some(w), Some(d), Some((msg, pad)))
        }
        (w, d) => (w, d, None),
    };
    let part = m.part;
    let fold = Box::new(move |r: &Challenges<Gf>| -> Folded<Gf> {
        let mut out = Folded {
            prover: None,
            left: None,
            right: None,
        };
        let r = match part {
            Role::Prover => r.prover,
            Role::Left => r.left,
            Role::Right => r.right,
        }
        .expect("a challenge for the part this party plays");
        // The left vector folds with r^i, the right one with r^(L-1-i).
        let folded = |x: Option<Vec<u64>>, left: bool| {
            x.map(|mut x| {
                core::combine::<Gf>(&mut x, l, &r, !left);
                x
            })
        };
        let (w_left, d_left) = (permutation_left, !permutation_left);
        let (w, d) = (folded(w, w_left), folded(d, d_left));
        match part {
            Role::Prover => {
                let (w, d) = (w.expect("prover"), d.expect("prover"));
                out.prover = Some(oriented(w, d));
            }
            Role::Left => out.left = w.or(d),
            Role::Right => out.right = w.or(d),
        }
        out
    });
    Some(First {
        l,
        len,
        message,
        left_claim: claim.filter(|_| m.part == Role::Left),
        right_claim: claim.filter(|_| m.part == Role::Right),
        fold,
        padded,
    })
}

/// Slices folded together in the first round of XOR columns (at most): a
/// power of two.
pub(crate) const XOR_FOLD: usize = 16;

/// The fold factor of XOR columns of `n` entries: [`XOR_FOLD`], or the
/// power of two at or above `n` if smaller (at least 2).
fn xor_fold_factor(n: usize) -> usize {
    n.next_power_of_two().clamp(2, XOR_FOLD)
}

/// The fold factor for `n` entries.
fn fold_factor(n: usize) -> usize {
    n.clamp(2, FOLD)
}

/// The words of the ring the proof of `m`'s arithmetic columns runs in
/// ([`gr::Word`]): 16 bits if none matters in more than its low two
/// bytes, 32 if none in more than four, else 64.
pub(crate) fn width(m: &Moved) -> u32 {
    let widest = columns(m, false).iter().map(|&(_, b)| b).max().unwrap_or(8);
    match widest {
        0..=2 => 16,
        3..=4 => 32,
        _ => 64,
    }
}

/// The first round of the arithmetic columns of `m`, if it has any, in
/// `GR(2^64, 48)` or (`W = u32` or `u16`, see [`width`]) a narrower ring:
/// a value cut to its low `b` bytes and scaled by `2^(64 - 8 b)` fills the
/// top of a 64-bit word, and the narrow ring takes its top half or
/// quarter ([`Word::scaled`]).
pub(crate) fn ring_first<W: Word>(
    m: &Moved,
    weights: &mut Prg,
    streams: &mut Streams,
    padded: bool,
) -> Option<First<'static, Ring<W>>> {
    if !proves(m, false) {
        return None;
    }
    let cols = columns(m, false);
    let n = m.n * cols.len();
    let theta: Vec<u64> = weights.words(n).into_iter().map(|w| w & gr::MASK).collect();
    // Everything times 2^(64 - 8 bytes): what matters of a narrow column
    // then fills the word, and the two holders of a component (which may
    // disagree above its low bytes) hold the same value.
    let cut = |x: u64, bytes: usize| x << (64 - 8 * bytes.clamp(1, 8));
    let Sides { w, d } = sides(m, &cols, &theta, cut);
    let claim = (m.part != Role::Prover).then(|| weighted_sum(&theta, &claim_rows(m, &cols, cut)));
    drop(theta);
    let l = fold_factor(n);
    // The vectors' length after the first round.
    let len = n.div_ceil(l);
    let message = match (&w, &d) {
        (Some(w), Some(d)) => {
            let mut h = coefficients::<W>(w, d, l);
            if !m.permutation_left {
                h.reverse();
            }
            let mut msg: Vec<Gr<W>> = h
                .iter()
                .enumerate()
                .filter(|(e, _)| *e != l - 1)
                .map(|(_, x)| gr::sub(x, &gr::uniform(&mut streams.prover_shares)))
                .collect();
            let pad = Pad::<Ring<W>>::draw(
                &mut streams.prover_pad,
                &mut streams.prover_shares,
                len,
                padded,
            );
            msg.push(pad.message());
            Some((msg, pad))
        }
        _ => None,
    };
    let (part, permutation_left) = (m.part, m.permutation_left);
    let fold = Box::new(move |r: &Challenges<Ring<W>>| -> Folded<Ring<W>> {
        let mut out = Folded {
            prover: None,
            left: None,
            right: None,
        };
        let mask = |r: &Option<Gr<W>>| {
            r.as_ref()
                .and_then(gr::to_mask)
                .expect("challenges have coefficients 0 and 1")
        };
        // The permutation holder's side folds with r^i if it is on the left
        // (f), with r^(L-1-i) if it is on the right (g); the data the other
        // way.
        let sides = |r: u64, w: Option<Vec<u64>>, d: Option<Vec<u64>>| {
            let rp = gr::powers::<W>(r, l);
            let rev: Vec<Gr<W>> = rp.iter().rev().copied().collect();
            let (pw, pd) = if permutation_left {
                (&rp, &rev)
            } else {
                (&rev, &rp)
            };
            (
                w.map(|w| fold_weights(&w, pw, l)),
                d.map(|d| fold_data(&d, pd, l)),
            )
        };
        match part {
            Role::Prover => {
                let (w, d) = sides(mask(&r.prover), w, d);
                let (w, d) = (w.expect("prover"), d.expect("prover"));
                out.prover = Some(if permutation_left { (w, d) } else { (d, w) });
            }
            Role::Left => {
                let (w, d) = sides(mask(&r.left), w, d);
                out.left = w.or(d);
            }
            Role::Right => {
                let (w, d) = sides(mask(&r.right), w, d);
                out.right = w.or(d);
            }
        }
        out
    });
    Some(First {
        l,
        len,
        message,
        left_claim: claim.filter(|_| m.part == Role::Left),
        right_claim: claim.filter(|_| m.part == Role::Right),
        fold,
        padded,
    })
}

/// `sum_k E_k c_k`: the weighted claim rows as a ring element.
fn weighted_sum<W: Word>(masks: &[u64], rows: &[u64]) -> Gr<W> {
    dispatch_words(WeightedSum {
        masks,
        rows,
        word: PhantomData,
    })
}

struct WeightedSum<'a, W> {
    masks: &'a [u64],
    rows: &'a [u64],
    word: PhantomData<W>,
}

impl<W: Word> WordTask for WeightedSum<'_, W> {
    type Output = Gr<W>;
    #[inline(always)]
    fn run(self) -> Gr<W> {
        let mut acc = gr::zero::<W>();
        for (&e, &c) in self.masks.iter().zip(self.rows) {
            // Coefficient b gets c where bit b of E is set: no branch, one
            // lane per coefficient.
            let c = W::scaled(c);
            for (b, a) in acc[..D].iter_mut().enumerate() {
                *a = a.add(c.select((e >> b) & 1));
            }
        }
        acc
    }
}

/// The prover's coefficients of `h = <f, g>` in the exponent `e = i + L - 1
/// - i'` of a weight in slice `i` and a data entry in slice `i'` (the
/// permutation holder's side on the left; reversed for the right), all
/// `2 L - 1` of them.
fn coefficients<W: Word>(w: &[u64], d: &[u64], l: usize) -> Vec<Gr<W>> {
    dispatch_words(Coefficients {
        w,
        d,
        l,
        word: PhantomData,
    })
}

struct Coefficients<'a, W> {
    w: &'a [u64],
    d: &'a [u64],
    l: usize,
    word: PhantomData<W>,
}

impl<W: Word> WordTask for Coefficients<'_, W> {
    type Output = Vec<Gr<W>>;
    #[inline(always)]
    fn run(self) -> Vec<Gr<W>> {
        // The usual factor as a constant: every segment below is then of
        // known length (one to four vectors), without bounds checks.
        if self.l == FOLD {
            slice_coefficients(self.w, self.d, FOLD)
        } else {
            slice_coefficients(self.w, self.d, self.l)
        }
    }
}

/// The coefficients of [`coefficients`] for the fold factor `l`.
#[inline(always)]
fn slice_coefficients<W: Word>(w: &[u64], d: &[u64], l: usize) -> Vec<Gr<W>> {
    let n = w.len();
    let s = n.div_ceil(l);
    // The data of slot j, slices in reverse: rt[j][t] = d_(L-1-t, j).
    let mut rt = vec![W::ZERO; s * l];
    for i in 0..l {
        for j in 0..s.min(n.saturating_sub(i * s)) {
            rt[j * l + (l - 1 - i)] = W::scaled(d[i * s + j]);
        }
    }
    // h[b][e]: coefficient b of coefficient e of h. Rows of one slice
    // go four at a time: the 16 sums of their data segments first, then
    // one of them per bit b, picked by the four weights' bits b.
    let stride = 2 * l;
    let mut h = vec![W::ZERO; D * stride];
    let mut sums = vec![W::ZERO; 16 * l];
    for i in 0..l {
        let rows = s.min(n.saturating_sub(i * s));
        for j0 in (0..rows).step_by(4) {
            let group = (rows - j0).min(4);
            let mut e = [0u64; 4];
            e[..group].copy_from_slice(&w[i * s + j0..i * s + j0 + group]);
            // Bit b of the four weights, as one nibble per bit.
            let mut nib = [0u8; D];
            for (b, x) in nib.iter_mut().enumerate() {
                *x = (((e[0] >> b) & 1)
                    | ((e[1] >> b) & 1) << 1
                    | ((e[2] >> b) & 1) << 2
                    | ((e[3] >> b) & 1) << 3) as u8;
            }
            for v in 1..16usize {
                let low = v.trailing_zeros() as usize;
                let (done, rest) = sums.split_at_mut(v * l);
                let prev = &done[(v & (v - 1)) * l..(v & (v - 1)) * l + l];
                let dst = &mut rest[..l];
                if low < group {
                    let seg = &rt[(j0 + low) * l..(j0 + low + 1) * l];
                    for ((d, p), y) in dst.iter_mut().zip(prev).zip(seg) {
                        *d = p.add(*y);
                    }
                } else {
                    dst.copy_from_slice(prev);
                }
            }
            for (b, &v) in nib.iter().enumerate() {
                if v == 0 {
                    continue;
                }
                let at = b * stride + i;
                let sum = &sums[v as usize * l..(v as usize + 1) * l];
                for (x, y) in h[at..at + l].iter_mut().zip(sum) {
                    *x = x.add(*y);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(2 * l - 1);
    for e in 0..2 * l - 1 {
        let mut g = gr::zero::<W>();
        for b in 0..D {
            g[b] = h[b * stride + e];
        }
        out.push(g);
    }
    out
}

/// `sum_i p_i W_(i, j)` for every slot `j`, the weights being masks.
fn fold_weights<W: Word>(w: &[u64], p: &[Gr<W>], l: usize) -> Vec<Gr<W>> {
    dispatch_words(FoldWeights { w, p, l })
}

struct FoldWeights<'a, W> {
    w: &'a [u64],
    p: &'a [Gr<W>],
    l: usize,
}

impl<W: Word> WordTask for FoldWeights<'_, W> {
    type Output = Vec<Gr<W>>;
    #[inline(always)]
    fn run(self) -> Vec<Gr<W>> {
        // A weight's bits in groups of eight where elements are small (the
        // tables of a slice, 7 x 256 elements, stay in the second-level
        // cache), of four for 64-bit words.
        if W::BITS <= 32 {
            fold_weights_by::<W, 8>(self.w, self.p, self.l)
        } else {
            fold_weights_by::<W, 4>(self.w, self.p, self.l)
        }
    }
}

/// [`fold_weights`] with the weights read `G` bits at a time: per slice,
/// a table of `p_i` times every value of every group of `G` bits, then one
/// addition per group and slot. Slots are taken in blocks, whose sums stay
/// in the cache while each slice's table is built once per block.
// Plain loops, no closures: a closure is compiled apart, without the
// vector instructions the task is dispatched for.
#[inline(always)]
fn fold_weights_by<W: Word, const G: usize>(w: &[u64], p: &[Gr<W>], l: usize) -> Vec<Gr<W>> {
    // Opaque to the compiler: with the count of groups known, it unrolls
    // the loop over them and vectorizes across slots instead, gathering
    // every word of an element from eight tables (measured: the 64-bit
    // folds took five times as long).
    let groups = std::hint::black_box(D.div_ceil(G));
    let size = 1usize << G;
    let block = 2048 >> (8 - G).min(2);
    let n = w.len();
    let s = n.div_ceil(l);
    // Room for the pad and whole parts ([`room`]).
    let mut out = Vec::with_capacity(s + room::<Ring<W>>(s));
    out.resize(s, gr::zero::<W>());
    // table[size q + v]: p_i times the weight whose bits G q.. are v. The
    // last group has only the bits below D.
    let mut table: Vec<Gr<W>> = std::iter::repeat_n(gr::zero::<W>(), size * groups).collect();
    for from in (0..s).step_by(block) {
        let to = (from + block).min(s);
        for (i, pi) in p.iter().enumerate() {
            if i * s + from >= n {
                break;
            }
            let mut x = *pi;
            for q in 0..groups {
                let width = G.min(D - G * q);
                let mut bit = [gr::zero::<W>(); G];
                for b in bit.iter_mut().take(width) {
                    *b = x;
                    x = gr::shift(&x, 1);
                }
                for v in 1..1usize << width {
                    let low = v.trailing_zeros() as usize;
                    table[size * q + v] = gr::add(&table[size * q + (v & (v - 1))], &bit[low]);
                }
            }
            for j in from..to.min(n - i * s) {
                let e = w[i * s + j];
                let mut acc = out[j];
                for q in 0..groups {
                    let t = &table[size * q + ((e >> (G * q)) as usize & (size - 1))];
                    for (a, c) in acc.iter_mut().zip(t) {
                        *a = a.add(*c);
                    }
                }
                out[j] = acc;
            }
        }
    }
    out
}

/// `sum_i p_i d_(i, j)` for every slot `j`.
fn fold_data<W: Word>(d: &[u64], p: &[Gr<W>], l: usize) -> Vec<Gr<W>> {
    dispatch_words(FoldData { d, p, l })
}

struct FoldData<'a, W> {
    d: &'a [u64],
    p: &'a [Gr<W>],
    l: usize,
}

impl<W: Word> WordTask for FoldData<'_, W> {
    type Output = Vec<Gr<W>>;
    #[inline(always)]
    fn run(self) -> Vec<Gr<W>> {
        let (d, p, l) = (self.d, self.p, self.l);
        let s = d.len().div_ceil(l);
        let mut out = Vec::with_capacity(s + room::<Ring<W>>(s));
        for j in 0..s {
            let mut acc = gr::zero::<W>();
            let mut k = j;
            for pi in p {
                if k >= d.len() {
                    break;
                }
                let x = W::scaled(d[k]);
                for (a, c) in acc.iter_mut().zip(pi) {
                    *a = a.add(c.mul(x));
                }
                k += s;
            }
            out.push(acc);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::core::laurent_claim;

    /// The first round keeps the claim, in either orientation: with
    /// `h`'s middle coefficient the inner product `<W, D>`, the folded
    /// vectors' inner product is `h(r)`.
    #[test]
    fn the_fold_keeps_the_inner_product() {
        fold_keeps_the_inner_product::<u64>(4);
        fold_keeps_the_inner_product::<u32>(5);
        fold_keeps_the_inner_product::<u16>(6);
    }

    fn fold_keeps_the_inner_product<W: Word>(seed: u8) {
        let mut prg = Prg::new([seed; 16]);
        for n in [1usize, 2, 5, 31, 32, 33, 100, 1000] {
            let w: Vec<u64> = prg.words(n).into_iter().map(|x| x & gr::MASK).collect();
            let d = prg.words(n);
            let c = weighted_sum::<W>(&w, &d);
            let l = fold_factor(n);
            for left in [true, false] {
                let mut h = coefficients::<W>(&w, &d, l);
                if !left {
                    h.reverse();
                }
                assert_eq!(h[l - 1], c, "n = {n}: the middle coefficient");
                let msg: Vec<Gr<W>> = h
                    .iter()
                    .enumerate()
                    .filter(|(e, _)| *e != l - 1)
                    .map(|(_, x)| *x)
                    .collect();
                let r = gr::challenge_mask(&mut prg);
                let rp = gr::powers::<W>(r, l);
                let rev: Vec<Gr<W>> = rp.iter().rev().copied().collect();
                let (pw, pd) = if left { (&rp, &rev) } else { (&rev, &rp) };
                let (fw, fd) = (fold_weights(&w, pw, l), fold_data(&d, pd, l));
                assert_eq!(fw.len(), n.div_ceil(l));
                let want = laurent_claim::<Ring<W>>(&msg, &c, &gr::from_mask(r), l);
                assert_eq!(Ring::<W>::dot(&fw, &fd), want, "n = {n}, left = {left}");
                let mut bad = c;
                bad[7] = bad[7].add(W::ONE);
                assert_ne!(
                    laurent_claim::<Ring<W>>(&msg, &bad, &gr::from_mask(r), l),
                    want
                );
            }
        }
    }

    /// In the narrow ring only the top 32 bits of a scaled data word count:
    /// a change below them is invisible, one in them is not.
    #[test]
    fn the_narrow_ring_sees_the_top_half_of_scaled_words() {
        let mut prg = Prg::new([6; 16]);
        let w: Vec<u64> = prg.words(50).into_iter().map(|x| x & gr::MASK).collect();
        let d = prg.words(50);
        let c = weighted_sum::<u32>(&w, &d);
        let mut below = d.clone();
        below[9] ^= 1 << 31;
        assert_eq!(weighted_sum::<u32>(&w, &below), c);
        let mut inside = d.clone();
        inside[9] ^= 1 << 32;
        if w[9] != 0 {
            assert_ne!(weighted_sum::<u32>(&w, &inside), c);
        }
    }

    #[test]
    fn weights_move_back_to_the_input_rows() {
        // Forward the step scatters: input row k lands on perm[k].
        let perm = [2u32, 0, 1];
        let theta = [10u64, 11, 12];
        let mut w = [0u64; 3];
        moved_back(&theta, &perm, false, &mut w);
        assert_eq!(w, [12, 10, 11]);
        // Undone it gathers: output row k is input row perm[k].
        moved_back(&theta, &perm, true, &mut w);
        assert_eq!(w, [11, 12, 10]);
    }
}
