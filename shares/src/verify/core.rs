//! The recursive part of a proof, over any of the two algebras: a claim
//! `<u, v> = c` with `u` known to the left verifier, `v` to the right one,
//! `c` additively shared between them, and the prover knowing all of it.
//!
//! One round (a Laurent fold of factor 2): with `u = (u0, u1)` and
//! `v = (v0, v1)` split in halves (a zero appended to odd lengths),
//! `f(Y) = u0 + Y u1`, `g(Y) = Y v0 + v1` and
//! `h(Y) = <f(Y), g(Y)> = <u0, v1> + Y (<u0, v0> + <u1, v1>) + Y^2 <u1, v0>`.
//! The middle coefficient is the claim, so the prover sends only
//! `h0 = <u0, v1>` and `h2 = <u1, v0>`, additively shared: the right
//! verifier's shares are drawn from the key it shares with the prover, the
//! left one receives `h - share`. For a challenge `r` the claim becomes
//! `h(r) = h0 + r c + r^2 h2` (linear in the shares), and the vectors
//! `u' = u0 + r u1`, `v' = r v0 + v1`, half as long. Had the claim been
//! false, `h` differs from the true polynomial in its middle coefficient,
//! and the two agree at `r` with probability at most `2 / |S|` for `r`
//! from an exceptional set `S` (elements whose pairwise differences are
//! units).
//!
//! While the vectors are longer than the proof's final length (at least
//! [`FINAL`], see [`final_len`]), a round folds by `2^t`
//! with `t` challenges, which is `t` binary rounds in one: with the parts
//! `u^(i)`, `i = sum_j i_j 2^j`, `f(R) = sum_i prod_j R_j^(i_j) u^(i)`,
//! `g(R) = sum_m prod_j R_j^(1 - m_j) v^(m)` and `h = <f, g>` of degree 2
//! in each variable, whose coefficient of `prod_j R_j` is the claim; the
//! prover sends the other `3^t - 1`, and for challenges `r` the claim
//! becomes `h(r)`, the vectors `u' = f(r)`, `v' = g(r)`. A false claim
//! changes the coefficient of `prod_j R_j`, so `h` minus the true
//! polynomial is nonzero of total degree at most `2 t` and vanishes at `r`
//! with probability at most `2 t / |S|` (Schwartz-Zippel over an
//! exceptional set), the bound of `t` binary rounds. The folds are `t`
//! binary ones, one per challenge: a ring fold multiplies only by
//! challenges (`{0, 1}`-coefficient elements), where a Laurent fold by
//! `2^t` would need their powers in general products.
//!
//! The prover finds the coefficients from the values of `h` at the `3^t`
//! points of `{0, 1, inf}^t` (`inf` standing for the leading coefficient
//! in that variable): `f` and `g` there are sums of parts, and a value is
//! one inner product of vectors of a part's length, `(3/2)^t n` products
//! in all for vectors of length `n`, where taking the parts pair by pair
//! costs `(2^t - 1) n`. A variable's three coefficients are then
//! `h(0)`, `h(1) - h(0) - h(inf)` and `h(inf)`: additions only, so the
//! same over the ring.
//!
//! How many challenges each round takes ([`bits`]): the binary folds down
//! to the final length are counted, the last round takes up to
//! [`Algebra::LAST_BITS`] of them and the rounds before it split the rest
//! evenly, at most [`Algebra::LONG_BITS`] each. A fold's cost is its
//! length times `(3/2)^t`, so the wide fold is the last, on the shortest
//! vectors; the rounds are as few as those two limits allow.
//!
//! At the final length `F` or fewer entries the verifiers exchange `u*`,
//! `v*` and their shares of the claim and both check `<u*, v*> = c`: no
//! more rounds, where folding on to one entry would take several more.
//! `F` is [`FINAL`] unless a longer final vector, up to [`FINAL_BYTES`],
//! saves a round: then the least such ([`final_len`]), a round trip traded
//! for bytes. It depends only on the vectors' length after the first
//! round, which every part knows. A fold adds
//! the entry at position `p` of each part, times `1` or a product of
//! challenges (a unit), into position `p` of the result. The proof puts its
//! `F` pad entries at the first `F` positions ([`with_pads`]);
//! every fold but the last leaves more than `F` entries, so they stay
//! there, and the last one, to `m <= F` entries, sends position `p` to
//! `p mod m`: every final entry holds at least one pad entry times a unit,
//! each pad entry in one final entry only. So `u*` is uniformly random to a
//! party that does not know the pads (the right verifier), and so is `v*`
//! to the left one (see [`super`]).

use super::Algebra;
use crate::prg::Prg;

/// The least final length: the recursion stops at this many entries or
/// fewer (or at a longer [`final_len`]), the verifiers exchange the final
/// vectors whole, and the proof has as many pad pairs. Stopping here
/// rather than at one entry saves six binary folds, for up to 25 kB more
/// per proof (a longer final length, up to [`FINAL_BYTES`] per vector).
pub(crate) const FINAL: usize = 64;

/// The most bytes a final vector may take when a longer one saves a round
/// ([`final_len`]): 512 entries of `GR(2^16, 48)`, 256 of `GR(2^32, 48)`,
/// 128 of `GR(2^64, 48)`, and 1,024 of `GF(2^64)`, whose longer final
/// vectors would make the last fold cost more products than the rounds
/// they save are worth on a fast link.
pub(crate) const FINAL_BYTES: usize = 48 << 10;

/// The longest final length of the algebra: `FINAL 2^k`, at most
/// [`FINAL_BYTES`] and at most 1,024 entries.
fn longest_final<A: Algebra>() -> usize {
    let mut f = FINAL;
    while 2 * f * A::BYTES <= FINAL_BYTES && 2 * f <= 1024 {
        f *= 2;
    }
    f
}

/// The final length of a proof whose vectors are `n` long after its first
/// round (before the pads): the least `FINAL 2^k` whose recursion takes
/// as few rounds as the longest final length allows. Both verifiers and
/// the prover find it from `n`, which they all know.
pub(crate) fn final_len<A: Algebra>(n: usize) -> usize {
    let most = longest_final::<A>();
    let fewest = rounds::<A>(n + most, most);
    let mut f = FINAL;
    while f < most && rounds::<A>(n + f, f) > fewest {
        f *= 2;
    }
    f
}

/// The most challenges a round folds with: [`Algebra::LAST_BITS`] of
/// either algebra at most.
pub(crate) const MOST_BITS: usize = 7;

/// A round's challenges: `r_0` alone in a Laurent fold, `r_0 .. r_(t-1)`
/// in a fold by `2^t`.
pub(crate) type Draw<A> = [<A as Algebra>::E; MOST_BITS];

/// The binary folds that take a vector of length `n` to at most `last`
/// entries: the least `b` with `n <= last 2^b`. A fold by `2^t` leaves
/// `ceil(n / 2^t)` entries, which needs exactly `b - t` more.
fn folds_needed(n: usize, last: usize) -> usize {
    n.div_ceil(last).next_power_of_two().trailing_zeros() as usize
}

/// Challenges of the round that starts at length `n` (`n > last`, the
/// final length): all the binary folds left if they are at most
/// [`Algebra::LAST_BITS`]; otherwise the rounds before the last split the
/// rest evenly, at most [`Algebra::LONG_BITS`] each, and this one takes its
/// share, rounded up. Every round but the last leaves more than `last`
/// entries.
fn bits<A: Algebra>(n: usize, last: usize) -> usize {
    let need = folds_needed(n, last);
    if need <= A::LAST_BITS {
        return need;
    }
    let rest = need - A::LAST_BITS;
    rest.div_ceil(rest.div_ceil(A::LONG_BITS))
}

/// Elements of the prover's message in the round that starts at length
/// `n`, final length `last`: the `3^t - 1` coefficients of a fold with `t`
/// challenges.
pub(crate) fn message_len<A: Algebra>(n: usize, last: usize) -> usize {
    3usize.pow(bits::<A>(n, last) as u32) - 1
}

/// Rounds until a vector of length `n` is folded to at most `last`
/// entries.
pub(crate) fn rounds<A: Algebra>(mut n: usize, last: usize) -> usize {
    let mut r = 0;
    while n > last {
        n = n.div_ceil(1 << bits::<A>(n, last));
        r += 1;
    }
    r
}

/// Entries of room a first round leaves past its output vectors of length
/// `n`: the [`final_len`] entries [`with_pads`] moves to the end, and the
/// zeros [`parts`] may append to make whole parts for the next fold (fewer
/// than 16: the first fold of XOR columns, `verify/moved.rs`, and every
/// round but the last, which folds by at most `2^LONG_BITS <= 16`).
/// Without it that fold would copy the whole vector into a larger one; a
/// recursion's last round may still copy, on at most `F 2^LAST_BITS`
/// entries.
pub(crate) fn room<A: Algebra>(n: usize) -> usize {
    final_len::<A>(n) + 16
}

/// Pads `x` with zeros to a multiple of `l`; returns the part length.
fn parts<A: Algebra>(x: &mut Vec<A::E>, l: usize) -> usize {
    let k = x.len().div_ceil(l);
    x.resize(k * l, A::zero());
    k
}

/// `x` with the `F` entries of `pads` in its first `F` positions, and the
/// entries that were there moved to the end (the same order for both
/// vectors of a proof and at all three parts, so the inner product is the
/// same as with the pads appended).
pub(crate) fn with_pads<A: Algebra>(mut x: Vec<A::E>, pads: &[A::E]) -> Vec<A::E> {
    let f = pads.len();
    if x.len() < f {
        let mut out = pads.to_vec();
        out.extend(x);
        return out;
    }
    x.extend_from_within(..f);
    x[..f].copy_from_slice(pads);
    x
}

/// `sum_i c_i x^(i)` over the `l` parts of `x` (each `k` long, padded
/// with zeros), written into the first part, with `c_i = r^i` (`r^(l-1-i)`
/// if `rev`). Binary folds are the algebra's own kernel; so is a fold by a
/// power of two where the kernel takes any element ([`Algebra::FOLDS_ANY`]):
/// a chain of binary folds with `r^(l/2)`, `r^(l/4)`, ..., `r` gives part
/// `i` the product of `r^(2^b)` over the set bits `b` of `i` (over its
/// clear bits if `rev`), which is `c_i`. Other folds take the coefficients
/// one by one.
pub(crate) fn combine<A: Algebra>(x: &mut Vec<A::E>, l: usize, r: &A::E, rev: bool) {
    if l == 2 {
        parts::<A>(x, 2);
        A::fold(x, r, rev);
        return;
    }
    if A::FOLDS_ANY && l.is_power_of_two() {
        parts::<A>(x, l);
        let mut pows = vec![*r];
        while pows.len() < l.trailing_zeros() as usize {
            let last = pows[pows.len() - 1];
            pows.push(A::mul(&last, &last));
        }
        for c in pows.iter().rev() {
            A::fold(x, c, rev);
        }
        return;
    }
    let k = parts::<A>(x, l);
    // Coefficient of part i: r^i, or r^(l-1-i) when reversed.
    let mut pow = vec![A::one()];
    for i in 1..l {
        pow.push(A::mul(&pow[i - 1], r));
    }
    if rev {
        pow.reverse();
    }
    let mut out = vec![A::zero(); k];
    for (i, c) in pow.iter().enumerate() {
        for (o, e) in out.iter_mut().zip(&x[i * k..(i + 1) * k]) {
            *o = A::add(o, &A::mul(c, e));
        }
    }
    *x = out;
}

/// The `2 l - 2` outer coefficients of `h = <f, g>` for the Laurent fold
/// of factor `l`: coefficient `e` gathers `<u^(i), v^(m)>` with
/// `i - m + l - 1 = e`.
pub(crate) fn outer<A: Algebra>(u: &[A::E], v: &[A::E], l: usize) -> Vec<A::E> {
    let k = u.len() / l;
    let mut h = vec![A::zero(); 2 * l - 1];
    for i in 0..l {
        for m in 0..l {
            if i == m {
                continue;
            }
            let d = A::dot(&u[i * k..(i + 1) * k], &v[m * k..(m + 1) * k]);
            let e = i + l - 1 - m;
            h[e] = A::add(&h[e], &d);
        }
    }
    h.remove(l - 1);
    h
}

/// `sum_e m_e r^e` over `e` in `0..2l-1`, with `m_{l-1}` the claim `c`
/// and the other coefficients `msg` in order: the claim after a Laurent
/// fold of factor `l` with challenge `r`.
pub(crate) fn laurent_claim<A: Algebra>(msg: &[A::E], c: &A::E, r: &A::E, l: usize) -> A::E {
    debug_assert_eq!(msg.len(), 2 * l - 2);
    // Horner from the top coefficient down.
    let mut acc = A::zero();
    for e in (0..2 * l - 1).rev() {
        let coef = match e.cmp(&(l - 1)) {
            std::cmp::Ordering::Less => &msg[e],
            std::cmp::Ordering::Equal => c,
            std::cmp::Ordering::Greater => &msg[e - 1],
        };
        acc = A::add(&A::mul(&acc, r), coef);
    }
    acc
}

/// The `3^t - 1` coefficients of `h(R)` but the claim's (`prod_j R_j`),
/// for the fold by `2^t` with `t` challenges: coefficient
/// `prod_j R_j^(a_j)` gathers `<u^(i), v^(m)>` with
/// `a_j = i_j - m_j + 1`, in the order of `sum_j a_j 3^j`. Computed from
/// the values of `h` at `{0, 1, inf}^t` (see the module's text).
pub(crate) fn multilinear_coefficients<A: Algebra>(u: &[A::E], v: &[A::E], t: usize) -> Vec<A::E> {
    let mut h = vec![A::zero(); 3usize.pow(t as u32)];
    values::<A>(u, v, t, 0, &mut h);
    // Value index digit j: 0 at R_j = 0, 1 at R_j = 1, 2 at infinity; to
    // coefficient digit j: R_j^0, R_j^1, R_j^2.
    for j in 0..t {
        let w = 3usize.pow(j as u32);
        for base in 0..h.len() {
            if !(base / w).is_multiple_of(3) {
                continue;
            }
            let (at0, at1, inf) = (h[base], h[base + w], h[base + 2 * w]);
            h[base + w] = A::sub(&A::sub(&at1, &at0), &inf);
        }
    }
    h.remove(h.len() / 2);
    h
}

/// The values of `h` at the points of `{0, 1, inf}^t` for the variables
/// `0 .. t` of the parts in `u` and `v` (`2^t` parts each), added into
/// `out` at `at + sum_j e_j 3^j` (`e_j` 0, 1 or 2 for infinity). The last
/// variable splits the vectors in halves: in `R_(t-1)`,
/// `f = f_0 + R f_1` (`f_0` the first half of `u`) and `g = g_1 + R g_0`
/// (`g_0` the first half of `v`), so `f`, `g` are `f_0`, `g_1` at 0,
/// `f_0 + f_1`, `g_0 + g_1` at 1, and the leading terms `f_1`, `g_0` at
/// infinity. Only the sums at 1 are new vectors.
fn values<A: Algebra>(u: &[A::E], v: &[A::E], t: usize, at: usize, out: &mut [A::E]) {
    if t == 0 {
        out[at] = A::add(&out[at], &A::dot(u, v));
        return;
    }
    let w = 3usize.pow(t as u32 - 1);
    let half = u.len() / 2;
    let (u0, u1) = u.split_at(half);
    let (v0, v1) = v.split_at(half);
    values::<A>(u0, v1, t - 1, at, out);
    values::<A>(u1, v0, t - 1, at + 2 * w, out);
    let su: Vec<A::E> = u0.iter().zip(u1).map(|(a, b)| A::add(a, b)).collect();
    let sv: Vec<A::E> = v0.iter().zip(v1).map(|(a, b)| A::add(a, b)).collect();
    values::<A>(&su, &sv, t - 1, at + w, out);
}

/// `h(r)` for the coefficients `msg` of [`multilinear_coefficients`] and
/// the claim `c` (the coefficient of `prod_j R_j`, in the middle).
pub(crate) fn multilinear_claim<A: Algebra>(msg: &[A::E], c: &A::E, r: &[A::E]) -> A::E {
    // The monomials prod_j r_j^(a_j), in the coefficients' order.
    let mut w = vec![A::one()];
    for rj in r {
        let sq = A::mul(rj, rj);
        let mut next = Vec::with_capacity(3 * w.len());
        for p in [A::one(), *rj, sq] {
            next.extend(w.iter().map(|x| A::mul(x, &p)));
        }
        w = next;
    }
    debug_assert_eq!(msg.len() + 1, w.len());
    let mid = msg.len() / 2;
    let coefs = msg[..mid].iter().chain([c]).chain(&msg[mid..]);
    coefs
        .zip(&w)
        .fold(A::zero(), |acc, (h, x)| A::add(&acc, &A::mul(h, x)))
}

/// `f(r)` (`rev`: `g(r)`) of the fold by `2^t` with the `t` challenges
/// `r`, in place: a binary fold per challenge, the parts' high bit first.
pub(crate) fn fold_multilinear<A: Algebra>(x: &mut Vec<A::E>, r: &[A::E], rev: bool) {
    parts::<A>(x, 1 << r.len());
    for rj in r.iter().rev() {
        A::fold(x, rj, rev);
    }
}

/// One round's fold of a vector that starts it at its length.
fn fold_round<A: Algebra>(x: &mut Vec<A::E>, last: usize, r: &Draw<A>, rev: bool) {
    let t = bits::<A>(x.len(), last);
    fold_multilinear::<A>(x, &r[..t], rev);
}

/// One round's claim for vectors of length `n`.
fn claim_round<A: Algebra>(n: usize, last: usize, msg: &[A::E], c: &A::E, r: &Draw<A>) -> A::E {
    multilinear_claim::<A>(msg, c, &r[..bits::<A>(n, last)])
}

/// The prover's vectors.
pub(crate) struct Prover<A: Algebra> {
    pub(crate) u: Vec<A::E>,
    pub(crate) v: Vec<A::E>,
    /// The final length (as many pad pairs are in front).
    pub(crate) last: usize,
}

impl<A: Algebra> Prover<A> {
    /// Rounds left.
    pub(crate) fn rounds(&self) -> usize {
        rounds::<A>(self.u.len(), self.last)
    }

    /// This round's message to the left verifier ([`message_len`]
    /// elements): the coefficients of the fold with several challenges,
    /// each minus a share drawn from `shares` (the key shared with the
    /// right verifier).
    pub(crate) fn message(&mut self, shares: &mut Prg) -> Vec<A::E> {
        let t = bits::<A>(self.u.len(), self.last);
        parts::<A>(&mut self.u, 1 << t);
        parts::<A>(&mut self.v, 1 << t);
        let h = multilinear_coefficients::<A>(&self.u, &self.v, t);
        h.iter().map(|x| A::sub(x, &A::uniform(shares))).collect()
    }

    /// Folds with the challenges after [`Prover::message`] (its padding to
    /// whole parts changes neither the kind of fold nor its factor).
    pub(crate) fn fold(&mut self, r: &Draw<A>) {
        fold_round::<A>(&mut self.u, self.last, r, false);
        fold_round::<A>(&mut self.v, self.last, r, true);
    }
}

/// The left verifier's vector and claim share.
pub(crate) struct Left<A: Algebra> {
    pub(crate) u: Vec<A::E>,
    pub(crate) c: A::E,
    /// The final length.
    pub(crate) last: usize,
}

impl<A: Algebra> Left<A> {
    /// Takes the prover's message ([`Left::message_len`] elements) and the
    /// challenges.
    pub(crate) fn absorb(&mut self, msg: &[A::E], r: &Draw<A>) {
        self.c = claim_round::<A>(self.u.len(), self.last, msg, &self.c, r);
        fold_round::<A>(&mut self.u, self.last, r, false);
    }

    /// Rounds left.
    pub(crate) fn rounds(&self) -> usize {
        rounds::<A>(self.u.len(), self.last)
    }

    /// Elements of this round's message.
    pub(crate) fn message_len(&self) -> usize {
        message_len::<A>(self.u.len(), self.last)
    }

    /// The final `u*` (at most the final length) and claim share, sent to
    /// the right verifier.
    pub(crate) fn last(&self) -> (&[A::E], A::E) {
        debug_assert!(self.u.len() <= self.last);
        (&self.u, self.c)
    }
}

/// The right verifier's vector and claim share.
pub(crate) struct Right<A: Algebra> {
    pub(crate) v: Vec<A::E>,
    pub(crate) c: A::E,
    /// The final length.
    pub(crate) last: usize,
}

impl<A: Algebra> Right<A> {
    /// Draws its shares of the prover's message and takes the challenges.
    pub(crate) fn absorb(&mut self, shares: &mut Prg, r: &Draw<A>) {
        let n = self.v.len();
        let s: Vec<A::E> = (0..message_len::<A>(n, self.last))
            .map(|_| A::uniform(shares))
            .collect();
        self.c = claim_round::<A>(n, self.last, &s, &self.c, r);
        fold_round::<A>(&mut self.v, self.last, r, true);
    }

    /// Rounds left.
    pub(crate) fn rounds(&self) -> usize {
        rounds::<A>(self.v.len(), self.last)
    }

    /// The final `v*` (at most the final length) and claim share, sent to
    /// the left verifier.
    pub(crate) fn last(&self) -> (&[A::E], A::E) {
        debug_assert!(self.v.len() <= self.last);
        (&self.v, self.c)
    }
}

/// The final check, run by both verifiers: `<u*, v*> = c_left + c_right`.
pub(crate) fn check<A: Algebra>(u: &[A::E], v: &[A::E], c_left: &A::E, c_right: &A::E) -> bool {
    u.len() == v.len() && A::dot(u, v) == A::add(c_left, c_right)
}

/// The zero-knowledge pad: as many entry pairs as the proof's final length
/// ([`final_len`] of the vectors' length `n` after the first round), put
/// in front of the vectors before the recursion ([`with_pads`]), which
/// reach every entry of the final vectors. `u_pad` comes from
/// the key the prover shares with the left verifier, `v_pad` and the right
/// verifier's share `s` of `<u_pad, v_pad>` from the one it shares with the
/// right verifier; the left verifier receives `<u_pad, v_pad> - s`.
pub(crate) struct Pad<A: Algebra> {
    pub(crate) u: Vec<A::E>,
    pub(crate) v: Vec<A::E>,
    pub(crate) s: A::E,
}

impl<A: Algebra> Pad<A> {
    /// The prover's pad for vectors of length `n` after the first round:
    /// `u` from `left_pad`, `v` then `s` from `shares` (`padded` false: the
    /// same draws, a zero pad; a planted leak).
    pub(crate) fn draw(left_pad: &mut Prg, shares: &mut Prg, n: usize, padded: bool) -> Pad<A> {
        let u = Pad::<A>::left(left_pad, n, padded);
        let (v, s) = Pad::<A>::right(shares, n, padded);
        Pad { u, v, s }
    }

    /// What the prover sends the left verifier.
    pub(crate) fn message(&self) -> A::E {
        A::sub(&A::dot(&self.u, &self.v), &self.s)
    }

    /// The left verifier's part: `u_pad` (zeros, after the same draws, if
    /// not `padded`).
    pub(crate) fn left(left_pad: &mut Prg, n: usize, padded: bool) -> Vec<A::E> {
        let len = final_len::<A>(n);
        let u: Vec<A::E> = (0..len).map(|_| A::uniform(left_pad)).collect();
        if padded { u } else { vec![A::zero(); len] }
    }

    /// The right verifier's part: `(v_pad, s)` (`v_pad` zeros, after the
    /// same draws, if not `padded`).
    pub(crate) fn right(shares: &mut Prg, n: usize, padded: bool) -> (Vec<A::E>, A::E) {
        let len = final_len::<A>(n);
        let v: Vec<A::E> = (0..len).map(|_| A::uniform(shares)).collect();
        let s = A::uniform(shares);
        (if padded { v } else { vec![A::zero(); len] }, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{gf::Gf, gr::Ring};

    /// Runs the recursion on `<u, v> = c + error` with the three parts
    /// side by side: whether both final checks pass, and the rounds.
    fn prove<A: Algebra>(
        mut u: Vec<A::E>,
        mut v: Vec<A::E>,
        error: A::E,
        seed: u8,
    ) -> (bool, usize) {
        // The pads, placed as after a first round.
        let last = final_len::<A>(u.len());
        let pad = Pad::<A>::draw(
            &mut Prg::new([seed ^ 0x77; 16]),
            &mut Prg::new([seed ^ 0x78; 16]),
            u.len(),
            true,
        );
        u = with_pads::<A>(u, &pad.u);
        v = with_pads::<A>(v, &pad.v);
        let c = A::add(&A::dot(&u, &v), &error);
        let mut shares_p = Prg::new([seed; 16]);
        let mut shares_r = Prg::new([seed; 16]);
        let mut coins = Prg::new([seed ^ 0x5a; 16]);
        let c_right = A::uniform(&mut Prg::new([seed ^ 0x33; 16]));
        let mut prover = Prover::<A> {
            u: u.clone(),
            v: v.clone(),
            last,
        };
        let mut left = Left::<A> {
            u,
            c: A::sub(&c, &c_right),
            last,
        };
        let mut right = Right::<A> {
            v,
            c: c_right,
            last,
        };
        let mut n = 0;
        while prover.rounds() > 0 {
            assert_eq!(left.rounds(), prover.rounds());
            assert_eq!(right.rounds(), prover.rounds());
            assert_eq!(left.message_len(), message_len::<A>(right.v.len(), last));
            let msg = prover.message(&mut shares_p);
            assert_eq!(msg.len(), left.message_len());
            let r: Draw<A> = std::array::from_fn(|_| A::challenge(&mut coins));
            prover.fold(&r);
            left.absorb(&msg, &r);
            right.absorb(&mut shares_r, &r);
            assert!(prover.u == left.u, "the left verifier folds as the prover");
            assert!(
                prover.v == right.v,
                "the right verifier folds as the prover"
            );
            n += 1;
        }
        let (u, cl) = left.last();
        let (v, cr) = right.last();
        (check::<A>(u, v, &cl, &cr), n)
    }

    #[test]
    fn every_length_folds_to_the_final_length_and_only_true_claims_pass() {
        let mut p = Prg::new([9; 16]);
        for n in (1..=140).chain([255, 256, 257, 1000, 1984, 1985, 5000, 8129, 20_000]) {
            let u: Vec<_> = (0..n).map(|_| Ring::uniform(&mut p)).collect();
            let v: Vec<_> = (0..n).map(|_| Ring::uniform(&mut p)).collect();
            let (ok, r) = prove::<Ring>(u.clone(), v.clone(), Ring::zero(), n as u8);
            assert!(ok, "ring, length {n}");
            let f = final_len::<Ring>(n);
            assert_eq!(r, rounds::<Ring>(n + f, f));
            let (ok, _) = prove::<Ring>(u, v, Ring::one(), n as u8);
            assert!(!ok, "ring, length {n}: a false claim passed");
            let u: Vec<u64> = p.words(n);
            let v: Vec<u64> = p.words(n);
            let (ok, r) = prove::<Gf>(u.clone(), v.clone(), 0, n as u8);
            assert!(ok, "field, length {n}");
            let f = final_len::<Gf>(n);
            assert_eq!(r, rounds::<Gf>(n + f, f));
            assert!(!prove::<Gf>(u, v, 1 << 40, n as u8).0, "field, length {n}");
        }
        // Long vectors fold by up to 2^LONG_BITS, evenly, and the last
        // round by up to 2^LAST_BITS, down to FINAL entries or fewer (with
        // the pads, a proof's vectors are longer than FINAL): 2^16 + FINAL
        // entries need 11 binary folds, by 8, 8 and 32 over the ring, by
        // 16 and 128 over the field.
        let rounds_at = |n: usize, ring: bool| {
            if ring {
                rounds::<Ring>(n, FINAL)
            } else {
                rounds::<Gf>(n, FINAL)
            }
        };
        assert_eq!(rounds_at((1 << 16) + FINAL, true), 3);
        assert_eq!(rounds_at((1 << 17) + FINAL, true), 4);
        assert_eq!(rounds_at((1 << 16) + FINAL, false), 2);
        assert_eq!(rounds_at((1 << 18) + FINAL, false), 3);
        assert_eq!(rounds_at(32 * FINAL, true), 1);
        assert_eq!(rounds_at(32 * FINAL + 1, true), 2);
        assert_eq!(rounds_at(128 * FINAL, false), 1);
        assert_eq!(rounds_at(128 * FINAL + 1, false), 2);
        assert_eq!(rounds_at(FINAL, true), 0);
    }

    /// The final length is the least `FINAL 2^k` that reaches the fewest
    /// rounds any allowed final length reaches, and a final vector takes at
    /// most [`FINAL_BYTES`]: over the ring of 64-bit words 128 entries, of
    /// 16-bit words 512, over the field 1,024.
    #[test]
    fn the_final_length_is_the_least_that_saves_every_round_it_can() {
        fn check<A: Algebra>(longest: usize) {
            assert_eq!(longest_final::<A>(), longest);
            assert!(longest * A::BYTES <= FINAL_BYTES.max(FINAL * A::BYTES));
            let allowed: Vec<usize> = (0..)
                .map(|k| FINAL << k)
                .take_while(|&f| f <= longest)
                .collect();
            for n in (0..3000).chain((10..24).flat_map(|e| [(1 << e) - 1, (1 << e) + 5, 3 << e])) {
                let f = final_len::<A>(n);
                assert!(allowed.contains(&f), "length {n}: {f}");
                let rounds_with = |g: usize| rounds::<A>(n + g, g);
                let fewest = allowed.iter().map(|&g| rounds_with(g)).min().expect("one");
                assert_eq!(rounds_with(f), fewest, "length {n}: {f}");
                for &g in allowed.iter().filter(|&&g| g < f) {
                    assert!(rounds_with(g) > fewest, "length {n}: {g} would do");
                }
            }
        }
        check::<Ring>(128);
        check::<Ring<u32>>(256);
        check::<Ring<u16>>(512);
        check::<Gf>(1024);
        // The sort's positions on the sugar-beet market, about 8,600 ring
        // entries of 16-bit words after the first round: one round with
        // 512 final entries where 64 took two.
        assert_eq!(rounds::<Ring<u16>>(8600 + FINAL, FINAL), 2);
        assert_eq!(final_len::<Ring<u16>>(8600), 512);
        assert_eq!(rounds::<Ring<u16>>(8600 + 512, 512), 1);
        // Short proofs keep the least.
        assert_eq!(final_len::<Ring<u16>>(1900), FINAL);
        assert_eq!(final_len::<Ring<u16>>(2100), 128);
        assert_eq!(final_len::<Gf>(8000), FINAL);
    }

    /// Each round takes as many challenges as [`bits`] says: the binary
    /// folds add up to the least that reach FINAL entries, only the last
    /// round takes more than LONG_BITS, none more than LAST_BITS, and there
    /// are no fewer rounds than those limits allow.
    #[test]
    fn the_rounds_split_the_binary_folds_as_few_as_the_limits_allow() {
        fn schedule<A: Algebra>() {
            assert!(A::LAST_BITS <= MOST_BITS && A::LONG_BITS <= A::LAST_BITS);
            for (n, last) in (FINAL + 1..5000)
                .chain((13..26).map(|e| (1 << e) + 3))
                .flat_map(|n| [(n, FINAL), (n + 448, 512)])
            {
                let need = folds_needed(n, last);
                assert!(n <= last << need && n > last << (need - 1), "length {n}");
                let (mut l, mut ts) = (n, Vec::new());
                while l > last {
                    let t = bits::<A>(l, last);
                    ts.push(t);
                    l = l.div_ceil(1 << t);
                }
                assert_eq!(ts.iter().sum::<usize>(), need, "length {n}: {ts:?}");
                let (final_round, before) = ts.split_last().expect("a round");
                assert!(*final_round <= A::LAST_BITS, "length {n}: {ts:?}");
                assert!(
                    before.iter().all(|&t| t <= A::LONG_BITS),
                    "length {n}: {ts:?}"
                );
                let fewest = 1 + need.saturating_sub(A::LAST_BITS).div_ceil(A::LONG_BITS);
                assert_eq!(ts.len(), fewest, "length {n}: {ts:?}");
                assert_eq!(ts.len(), rounds::<A>(n, last), "length {n}");
            }
        }
        schedule::<Ring>();
        schedule::<Gf>();
    }

    /// The coefficients from the values at `{0, 1, inf}^t` are those of the
    /// definition: the sums of the inner products of the parts, pair by
    /// pair.
    #[test]
    fn the_coefficients_from_values_are_the_pairwise_sums() {
        fn pairwise<A: Algebra>(u: &[A::E], v: &[A::E], t: usize) -> Vec<A::E> {
            let l = 1 << t;
            let k = u.len() / l;
            let mut h = vec![A::zero(); 3usize.pow(t as u32)];
            for i in 0..l {
                for m in 0..l {
                    let d = A::dot(&u[i * k..(i + 1) * k], &v[m * k..(m + 1) * k]);
                    let e: usize = (0..t)
                        .map(|j| ((i >> j & 1) + 1 - (m >> j & 1)) * 3usize.pow(j as u32))
                        .sum();
                    h[e] = A::add(&h[e], &d);
                }
            }
            h.remove(h.len() / 2);
            h
        }
        fn compare<A: Algebra>(seed: u8) {
            let mut p = Prg::new([seed; 16]);
            for t in 1..=MOST_BITS {
                for k in [1usize, 3] {
                    let n = k << t;
                    let u: Vec<A::E> = (0..n).map(|_| A::uniform(&mut p)).collect();
                    let v: Vec<A::E> = (0..n).map(|_| A::uniform(&mut p)).collect();
                    assert!(
                        multilinear_coefficients::<A>(&u, &v, t) == pairwise::<A>(&u, &v, t),
                        "t {t}, part length {k}"
                    );
                }
            }
        }
        compare::<Gf>(5);
        compare::<Ring>(6);
    }

    /// The first `F` positions (the final length), where the pads sit, stay
    /// there through every fold but the last, and the last sends them onto
    /// every final entry: for every length, each final entry receives a
    /// pad, whatever final length the proof takes.
    #[test]
    fn the_pads_reach_every_final_entry() {
        for (n, ring) in [
            1usize, 5, 63, 64, 65, 200, 513, 2000, 4097, 8600, 9000, 20_000, 70_000, 300_000,
        ]
        .into_iter()
        .flat_map(|n| [(n, true), (n, false)])
        {
            let finals = if ring {
                [FINAL, final_len::<Ring<u16>>(n), final_len::<Ring>(n)]
            } else {
                [FINAL, final_len::<Gf>(n), 512]
            };
            for f in finals {
                let mut at: Vec<usize> = (0..f).collect();
                let mut l = n + f;
                while l > f {
                    let t = if ring {
                        bits::<Ring<u16>>(l, f)
                    } else {
                        bits::<Gf>(l, f)
                    };
                    let k = l.div_ceil(1 << t);
                    if k > f {
                        assert!(at.iter().all(|&p| p < k), "length {n}, final {f}");
                    }
                    at = at.iter().map(|p| p % k).collect();
                    l = k;
                }
                let mut seen = at.clone();
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), l, "length {n}, final {f}");
            }
        }
        // And `with_pads` puts them there, keeping every entry.
        for f in [FINAL, 256] {
            let pads: Vec<u64> = (1000..1000 + f as u64).collect();
            for n in [3usize, 64, 100, 300] {
                let x: Vec<u64> = (0..n as u64).collect();
                let y = with_pads::<Gf>(x, &pads);
                assert_eq!(&y[..f], &pads[..]);
                let mut rest = y[f..].to_vec();
                rest.sort();
                assert_eq!(rest, (0..n as u64).collect::<Vec<_>>());
            }
        }
    }

    /// The fold by `2^t` with `t` challenges: the claim `h(r)` from the
    /// coefficients is the inner product of the folded vectors, for each
    /// `t` up to [`MOST_BITS`], both algebras and lengths that leave
    /// partial parts.
    #[test]
    fn a_fold_with_several_challenges_keeps_the_inner_product() {
        multilinear_keeps::<Gf>(1);
        multilinear_keeps::<Ring>(2);
    }

    fn multilinear_keeps<A: Algebra>(seed: u8) {
        let mut p = Prg::new([seed; 16]);
        for t in 1..=MOST_BITS {
            for n in [1usize, 7, 8, 9, 30] {
                let u: Vec<A::E> = (0..n).map(|_| A::uniform(&mut p)).collect();
                let v: Vec<A::E> = (0..n).map(|_| A::uniform(&mut p)).collect();
                let r: Vec<A::E> = (0..t).map(|_| A::challenge(&mut p)).collect();
                let (mut pu, mut pv) = (u.clone(), v.clone());
                parts::<A>(&mut pu, 1 << t);
                parts::<A>(&mut pv, 1 << t);
                let h = multilinear_coefficients::<A>(&pu, &pv, t);
                assert_eq!(h.len(), 3usize.pow(t as u32) - 1);
                let c = A::dot(&u, &v);
                let (mut fu, mut fv) = (u.clone(), v.clone());
                fold_multilinear::<A>(&mut fu, &r, false);
                fold_multilinear::<A>(&mut fv, &r, true);
                assert!(fu.len() == n.div_ceil(1 << t));
                assert!(
                    multilinear_claim::<A>(&h, &c, &r) == A::dot(&fu, &fv),
                    "t {t}, length {n}"
                );
                // The folded vectors are the definition's f(r) and g(r).
                let k = fu.len();
                for j in 0..k {
                    let (mut f, mut g) = (A::zero(), A::zero());
                    for i in 0..1usize << t {
                        let (mut cu, mut cv) = (A::one(), A::one());
                        for (b, rb) in r.iter().enumerate() {
                            if i >> b & 1 == 1 {
                                cu = A::mul(&cu, rb);
                            } else {
                                cv = A::mul(&cv, rb);
                            }
                        }
                        f = A::add(&f, &A::mul(&cu, &pu[i * k + j]));
                        g = A::add(&g, &A::mul(&cv, &pv[i * k + j]));
                    }
                    assert!(f == fu[j] && g == fv[j], "t {t}, length {n}, entry {j}");
                }
            }
        }
    }

    /// A fold by a power of two as a chain of binary ones gives part `i`
    /// the coefficient `r^i` (`r^(l-1-i)` reversed), as the definition
    /// does, the vector padded with zeros to whole parts.
    #[test]
    fn a_chain_of_binary_folds_is_the_laurent_fold() {
        let mut p = Prg::new([4; 16]);
        for l in [2usize, 4, 8, 16, 32] {
            for len in [1usize, l - 1, l, 3 * l + 1, 100] {
                let x: Vec<u64> = p.words(len);
                let r = Gf::challenge(&mut p);
                for rev in [false, true] {
                    let k = len.div_ceil(l);
                    let mut padded = x.clone();
                    padded.resize(k * l, 0);
                    let mut pow = vec![Gf::one()];
                    for i in 1..l {
                        pow.push(Gf::mul(&pow[i - 1], &r));
                    }
                    let want: Vec<u64> = (0..k)
                        .map(|j| {
                            (0..l).fold(0, |acc, i| {
                                let c = pow[if rev { l - 1 - i } else { i }];
                                Gf::add(&acc, &Gf::mul(&c, &padded[i * k + j]))
                            })
                        })
                        .collect();
                    let mut got = x.clone();
                    combine::<Gf>(&mut got, l, &r, rev);
                    assert_eq!(got, want, "l {l}, length {len}, rev {rev}");
                }
            }
        }
    }
}
