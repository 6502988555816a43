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
//! At length one the verifiers exchange `u*`, `v*` and their shares of the
//! claim and both check `u* v* = c`. Every entry of `u*` (and `v*`) is a
//! product of `1`s and `r`s times an input entry: a unit times the pad
//! that the prover appended before the first round, which the receiving
//! verifier does not know (see [`super`]).

use super::Algebra;
use crate::prg::Prg;

/// Rounds until a vector of length `n` is folded to length one.
pub(crate) fn rounds(mut n: usize) -> usize {
    let mut r = 0;
    while n > 1 {
        n = n.div_ceil(2);
        r += 1;
    }
    r
}

fn even<A: Algebra>(x: &mut Vec<A::E>) -> usize {
    if x.len() % 2 == 1 {
        x.push(A::zero());
    }
    x.len() / 2
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

/// The prover's vectors.
pub(crate) struct Prover<A: Algebra> {
    pub(crate) u: Vec<A::E>,
    pub(crate) v: Vec<A::E>,
}

impl<A: Algebra> Prover<A> {
    /// Rounds left.
    pub(crate) fn rounds(&self) -> usize {
        rounds(self.u.len())
    }

    /// This round's message to the left verifier: `h0 - s0`, `h2 - s2`,
    /// with `s0`, `s2` drawn from `shares` (the key shared with the right
    /// verifier).
    pub(crate) fn message(&mut self, shares: &mut Prg) -> [A::E; 2] {
        let h = even::<A>(&mut self.u);
        even::<A>(&mut self.v);
        let h0 = A::dot(&self.u[..h], &self.v[h..]);
        let h2 = A::dot(&self.u[h..], &self.v[..h]);
        let s0 = A::uniform(shares);
        let s2 = A::uniform(shares);
        [A::sub(&h0, &s0), A::sub(&h2, &s2)]
    }

    /// Folds with the challenge.
    pub(crate) fn fold(&mut self, r: &A::E) {
        A::fold(&mut self.u, r, false);
        A::fold(&mut self.v, r, true);
    }
}

/// The left verifier's vector and claim share.
pub(crate) struct Left<A: Algebra> {
    pub(crate) u: Vec<A::E>,
    pub(crate) c: A::E,
}

impl<A: Algebra> Left<A> {
    /// Takes the prover's message and the challenge.
    pub(crate) fn absorb(&mut self, msg: &[A::E; 2], r: &A::E) {
        even::<A>(&mut self.u);
        self.c = laurent_claim::<A>(msg, &self.c, r, 2);
        A::fold(&mut self.u, r, false);
    }

    /// The final `u*` and claim share, sent to the right verifier.
    pub(crate) fn last(&self) -> (A::E, A::E) {
        debug_assert_eq!(self.u.len(), 1);
        (self.u[0], self.c)
    }
}

/// The right verifier's vector and claim share.
pub(crate) struct Right<A: Algebra> {
    pub(crate) v: Vec<A::E>,
    pub(crate) c: A::E,
}

impl<A: Algebra> Right<A> {
    /// Draws its shares of the prover's message and takes the challenge.
    pub(crate) fn absorb(&mut self, shares: &mut Prg, r: &A::E) {
        even::<A>(&mut self.v);
        let s = [A::uniform(shares), A::uniform(shares)];
        self.c = laurent_claim::<A>(&s, &self.c, r, 2);
        A::fold(&mut self.v, r, true);
    }

    /// The final `v*` and claim share, sent to the left verifier.
    pub(crate) fn last(&self) -> (A::E, A::E) {
        debug_assert_eq!(self.v.len(), 1);
        (self.v[0], self.c)
    }
}

/// The final check, run by both verifiers: `u* v* = c_left + c_right`.
pub(crate) fn check<A: Algebra>(u: &A::E, v: &A::E, c_left: &A::E, c_right: &A::E) -> bool {
    A::mul(u, v) == A::add(c_left, c_right)
}

/// The zero-knowledge pad: one entry pair appended before the first round.
/// `u_pad` comes from the key the prover shares with the left verifier,
/// `v_pad` and the right verifier's share `s` of `u_pad v_pad` from the one
/// it shares with the right verifier; the left verifier receives
/// `u_pad v_pad - s`.
pub(crate) struct Pad<A: Algebra> {
    pub(crate) u: A::E,
    pub(crate) v: A::E,
    pub(crate) s: A::E,
}

impl<A: Algebra> Pad<A> {
    /// The prover's pad: `u` from `left_pad`, `v` then `s` from `shares`
    /// (`padded` false: the same draws, a zero pad; a planted leak).
    pub(crate) fn draw(left_pad: &mut Prg, shares: &mut Prg, padded: bool) -> Pad<A> {
        let u = A::uniform(left_pad);
        let v = A::uniform(shares);
        let s = A::uniform(shares);
        if padded {
            Pad { u, v, s }
        } else {
            Pad {
                u: A::zero(),
                v: A::zero(),
                s,
            }
        }
    }

    /// What the prover sends the left verifier.
    pub(crate) fn message(&self) -> A::E {
        A::sub(&A::mul(&self.u, &self.v), &self.s)
    }

    /// The right verifier's part: `(v_pad, s)`.
    pub(crate) fn right(shares: &mut Prg) -> (A::E, A::E) {
        let v = A::uniform(shares);
        let s = A::uniform(shares);
        (v, s)
    }
}
