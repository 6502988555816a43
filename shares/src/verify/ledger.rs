//! What a party keeps, in abort mode, of every multiplication-type message
//! (and of every message of a permutation step) until the next
//! verification: for each gate, what it needs as the prover
//! of its own message, as the left verifier of its successor's and as the
//! right verifier of its predecessor's.
//!
//! Party `i` computed `z_i = x_i y_i + x_i y_{i+1} + x_{i+1} y_i + a - b`
//! with `a = F(K_{i+1})` and `b = F(K_i)`, sent `z_i` to `i-1` and received
//! `z_{i+1}` from `i+1`. For the prover `j`, the error of a gate is
//! `e = A + B - <(x_j, y_j), (y_{j+1}, x_{j+1})>` with
//! `A = z_j - x_j y_j + F(K_j)`, known to its left verifier `j-1` (which
//! received `z_j`, holds `x_j`, `y_j` as `next` and drew `F(K_j)` as its own
//! `a`), and `B = -F(K_{j+1})`, known to its right verifier `j+1` (its own
//! `b`). So party `i` keeps its four components of the inputs, the `A` of
//! prover `i+1` (`left_claim`) and the `B` of prover `i-1`
//! (`right_claim`). Over `GF(2)` signs vanish. A product with a factor
//! that is a sharing of one component has one cross term per prover that
//! is not zero by construction ([`Shape`]), and keeps only that term.
//!
//! A message of a permutation step ([`Moved`]) has one prover and two
//! verifiers: each party keeps the one part it plays. The ledger keeps the
//! messages and the stretches of gates between them in order ([`Kept`]).

use super::ring::Role;
use std::sync::Arc;

/// AND gates, 64 to a word.
#[derive(Default)]
pub(crate) struct Bits {
    pub(crate) x_own: Vec<u64>,
    pub(crate) x_next: Vec<u64>,
    pub(crate) y_own: Vec<u64>,
    pub(crate) y_next: Vec<u64>,
    /// `z_{i+1} ^ (x_{i+1} & y_{i+1}) ^ F(K_{i+1})`.
    pub(crate) left_claim: Vec<u64>,
    /// `F(K_i)`.
    pub(crate) right_claim: Vec<u64>,
}

/// A range of [`Bits`]' words: what one AND proof covers (a large ledger
/// is proven in several, one after another, to bound memory).
#[derive(Clone, Copy)]
pub(crate) struct BitsPart<'a> {
    pub(crate) x_own: &'a [u64],
    pub(crate) x_next: &'a [u64],
    pub(crate) y_own: &'a [u64],
    pub(crate) y_next: &'a [u64],
    pub(crate) left_claim: &'a [u64],
    pub(crate) right_claim: &'a [u64],
}

impl Bits {
    /// The gates cut into ranges of at most `words` words, in order (none
    /// if there are none).
    pub(crate) fn parts(&self, words: usize) -> Vec<BitsPart<'_>> {
        let n = self.x_own.len();
        (0..n)
            .step_by(words.max(1))
            .map(|from| {
                let r = from..n.min(from + words.max(1));
                BitsPart {
                    x_own: &self.x_own[r.clone()],
                    x_next: &self.x_next[r.clone()],
                    y_own: &self.y_own[r.clone()],
                    y_next: &self.y_next[r.clone()],
                    left_claim: &self.left_claim[r.clone()],
                    right_claim: &self.right_claim[r],
                }
            })
            .collect()
    }

    /// Its six vectors.
    fn vectors(&mut self) -> [&mut Vec<u64>; 6] {
        [
            &mut self.x_own,
            &mut self.x_next,
            &mut self.y_own,
            &mut self.y_next,
            &mut self.left_claim,
            &mut self.right_claim,
        ]
    }

    /// Words kept.
    fn words(&self) -> usize {
        6 * self.x_own.len()
    }

    /// Keeps one AND message: inputs `(xo, xn)`, `(yo, yn)` (already
    /// concatenated in gate order), the received `z_{i+1}` and this party's
    /// zero-sharing draws `a`, `b`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn keep(
        &mut self,
        xo: impl IntoIterator<Item = u64>,
        xn: &[u64],
        yo: impl IntoIterator<Item = u64>,
        yn: &[u64],
        received: &[u64],
        a: &[u64],
        b: &[u64],
    ) {
        reserve_up_to_limit(
            [
                &mut self.x_own,
                &mut self.x_next,
                &mut self.y_own,
                &mut self.y_next,
                &mut self.left_claim,
                &mut self.right_claim,
            ],
            xn.len(),
        );
        self.x_own.extend(xo);
        self.x_next.extend_from_slice(xn);
        self.y_own.extend(yo);
        self.y_next.extend_from_slice(yn);
        self.left_claim.extend(
            received
                .iter()
                .zip(xn.iter().zip(yn))
                .zip(a)
                .map(|((z, (x, y)), a)| z ^ (x & y) ^ a),
        );
        self.right_claim.extend_from_slice(b);
        debug_assert!(
            [
                &self.x_next,
                &self.y_own,
                &self.y_next,
                &self.left_claim,
                &self.right_claim
            ]
            .iter()
            .all(|v| v.len() == self.x_own.len())
        );
    }
}

/// Makes room for `more` entries in each of six vectors that grow
/// together: at once for everything up to the ledger's limit, so that they
/// are not copied as they grow (room not yet written costs no memory).
fn reserve_up_to_limit(vectors: [&mut Vec<u64>; 6], more: usize) {
    for v in vectors {
        if v.len() + more > v.capacity() {
            let want = (super::LEDGER_LIMIT / 6).max(v.len() + more);
            v.reserve_exact(want - v.len());
        }
    }
}

/// Which factors of a product are sharings of one component: `Some(c)`
/// if only component `c` can be nonzero (the others are zero at every
/// party by construction, see `crate::convert::component_sharings`). Public:
/// the same at all three parties.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Shape {
    pub(crate) x: Option<usize>,
    pub(crate) y: Option<usize>,
}

impl Shape {
    /// Both factors general: two cross terms per prover.
    pub(crate) const FULL: Shape = Shape { x: None, y: None };

    /// The one cross term prover `j`'s gate keeps, `0` for `x_j y_(j+1)`
    /// and `1` for `y_j x_(j+1)`, if a factor is one component: the other
    /// term has a factor that is zero at both its holders, the verifiers,
    /// by construction (`x = [x_c]` leaves `x_j y_(j+1)` only for `j = c`
    /// and `y_j x_(j+1)` only for `j + 1 = c`: never both). `None` for two
    /// general factors.
    pub(crate) fn term(self, j: usize) -> Option<u8> {
        if self == Shape::FULL {
            return None;
        }
        let holds = |f: Option<usize>, at: usize| f.is_none_or(|c| c == at % 3);
        let second = holds(self.y, j) && holds(self.x, j + 1);
        Some(u8::from(
            second && !(holds(self.x, j) && holds(self.y, j + 1)),
        ))
    }
}

impl Shape {
    /// True if prover `j`'s part `x_j y_j + x_j y_(j+1) + x_(j+1) y_j` of
    /// the product can be nonzero. If not, `j` sends nothing: its component
    /// of the product is drawn from a key its receiver holds too
    /// (`crate::mul::mul_shaped`), and it has no gate to prove.
    pub(crate) fn sends(self, j: usize) -> bool {
        let holds = |f: Option<usize>, at: usize| f.is_none_or(|c| c == at % 3);
        (holds(self.x, j) && (holds(self.y, j) || holds(self.y, j + 1)))
            || (holds(self.x, j + 1) && holds(self.y, j))
    }
}

/// Products over `Z_2^64` of one width: each gate is one product `x y`,
/// an inner product of two terms; or, if `single`, of the one term that a
/// product with a one-component factor keeps ([`Shape::term`]). Single
/// gates of every shape share one kind: their vectors hold the kept term's
/// factors, where the two-term code reads its first term (the prover's
/// `u` in `x_own` and `v` in `y_next`, the left verifier's `u` in
/// `x_next`, the right verifier's `v` in `y_own`).
///
/// Each part's vectors hold the gates of its prover only: the prover's
/// (`x_own`, `y_next`), the left verifier's (`x_next`, `left_claim`) and
/// the right verifier's (`y_own`, `right_claim`) differ in length while a
/// protocol's products are under way (an injection's first product has one
/// sending prover, its second two), and are equal after it
/// ([`Ledger::balanced`]): the same number of gates for every prover.
pub(crate) struct Products {
    /// The relation holds mod `2^(64 - shift)`: everything is multiplied by
    /// `2^shift` before it is checked.
    pub(crate) shift: u32,
    /// One term per gate.
    pub(crate) single: bool,
    pub(crate) x_own: Vec<u64>,
    pub(crate) x_next: Vec<u64>,
    pub(crate) y_own: Vec<u64>,
    pub(crate) y_next: Vec<u64>,
    /// `z_{i+1} - x_{i+1} y_{i+1} + F(K_{i+1})`.
    pub(crate) left_claim: Vec<u64>,
    /// `-F(K_i)`.
    pub(crate) right_claim: Vec<u64>,
}

impl Products {
    /// Its six vectors of words.
    fn vectors(&mut self) -> [&mut Vec<u64>; 6] {
        [
            &mut self.x_own,
            &mut self.x_next,
            &mut self.y_own,
            &mut self.y_next,
            &mut self.left_claim,
            &mut self.right_claim,
        ]
    }
}

/// The counting-sort positions of one digit ([`crate::onehot`]): each gate
/// (element) is an inner product of `2 buckets` terms, the one-hot
/// coordinates `e_v` times the running counts `p_v = C_v + P_v`, which are
/// recomputed from `e` (a linear function of it) when needed.
pub(crate) struct Positions {
    pub(crate) shift: u32,
    pub(crate) buckets: usize,
    /// Bucket 0 is left out: the one-hot components sum to the public 1's
    /// (`crate::onehot::OneHot`), so `e_0 = [1] - sum_(v > 0) e_v` and
    /// `sum_v e_v p_v = [1] p_0 + sum_(v > 0) e_v (p_v - p_0)`. The cross
    /// terms of `[1] p_0` are known to one verifier each, and the claims
    /// leave them out; `2 (buckets - 1)` terms remain.
    pub(crate) reduced: bool,
    /// Element-major one-hot components, `buckets` per element.
    pub(crate) e_own: Vec<u32>,
    pub(crate) e_next: Vec<u32>,
    pub(crate) left_claim: Vec<u64>,
    pub(crate) right_claim: Vec<u64>,
    /// `C_v`, the elements in the buckets below `v`, of both components:
    /// where the running counts start, worked out once.
    pub(crate) below_own: Vec<u32>,
    pub(crate) below_next: Vec<u32>,
}

impl Positions {
    /// The positions message of one-hot components `e` (element-major,
    /// own and next), their bucket offsets `below`
    /// (`crate::onehot::bucket_offsets`) and its claims.
    pub(crate) fn new(
        shift: u32,
        buckets: usize,
        reduced: bool,
        e: (Vec<u32>, Vec<u32>),
        below: (Vec<u32>, Vec<u32>),
        left_claim: Vec<u64>,
        right_claim: Vec<u64>,
    ) -> Positions {
        debug_assert_eq!((below.0.len(), below.1.len()), (buckets, buckets));
        Positions {
            shift,
            buckets,
            reduced,
            e_own: e.0,
            e_next: e.1,
            left_claim,
            right_claim,
            below_own: below.0,
            below_next: below.1,
        }
    }
}

/// One kind of ring gate.
pub(crate) enum RingGates {
    Products(Products),
    Positions(Positions),
}

impl RingGates {
    /// Number of gates (of each prover: see [`Ledger::balanced`]).
    pub(crate) fn gates(&self) -> usize {
        match self {
            RingGates::Products(p) => p.x_own.len(),
            RingGates::Positions(p) => p.left_claim.len(),
        }
    }

    /// The gates of the three parts this party plays: of its own messages,
    /// its successor's and its predecessor's.
    fn per_part(&self) -> [usize; 3] {
        match self {
            RingGates::Products(p) => [p.x_own.len(), p.x_next.len(), p.y_own.len()],
            RingGates::Positions(p) => [p.left_claim.len(); 3],
        }
    }

    /// Terms of each gate's inner product.
    pub(crate) fn terms(&self) -> usize {
        match self {
            RingGates::Products(p) => {
                if p.single {
                    1
                } else {
                    2
                }
            }
            RingGates::Positions(p) => 2 * (p.buckets - usize::from(p.reduced)),
        }
    }

    /// The gates hold mod `2^(64 - shift)`.
    pub(crate) fn shift(&self) -> u32 {
        match self {
            RingGates::Products(p) => p.shift,
            RingGates::Positions(p) => p.shift,
        }
    }

    fn words(&self) -> usize {
        match self {
            // The same at all three parties: two words per gate and part,
            // the parts being the three provers' gates.
            RingGates::Products(p) => 2 * (p.x_own.len() + p.x_next.len() + p.y_own.len()),
            RingGates::Positions(p) => p.e_own.len() + 2 * p.left_claim.len(),
        }
    }
}

/// A range of one kind's gates: what one ring proof covers (a large
/// ledger is proven in several, one after another, to bound memory).
#[derive(Clone, Copy)]
pub(crate) struct Part<'a> {
    pub(crate) gates: &'a RingGates,
    pub(crate) from: usize,
    pub(crate) to: usize,
}

impl Part<'_> {
    /// Number of gates.
    pub(crate) fn len(&self) -> usize {
        self.to - self.from
    }

    /// Terms of each gate.
    pub(crate) fn terms(&self) -> usize {
        self.gates.terms()
    }
}

/// Everything kept since the last verification: the gates since the last
/// permutation step (`bits`, `ring`) and, before them, the earlier stretches
/// of gates and the permutation steps' messages in order.
#[derive(Default)]
pub(crate) struct Ledger {
    pub(crate) bits: Bits,
    pub(crate) ring: Vec<RingGates>,
    earlier: Vec<Epoch>,
}

impl Ledger {
    /// Forgets every kept message. The memory of the kinds of gates that
    /// held any is kept for the next ones, up to the room
    /// [`reserve_up_to_limit`] makes (no fresh pages for them); the rest
    /// goes back, so that neither a kind no longer used nor one protocol
    /// call's overshoot of the limit stays resident.
    pub(crate) fn clear(&mut self) {
        self.earlier.clear();
        let room = super::LEDGER_LIMIT / 6;
        let used = !self.bits.x_own.is_empty();
        for v in self.bits.vectors() {
            v.clear();
            v.shrink_to(if used { room } else { 0 });
        }
        self.ring.retain_mut(|g| match g {
            RingGates::Products(p) => {
                let used = !(p.x_own.is_empty() && p.x_next.is_empty() && p.y_own.is_empty());
                for v in p.vectors() {
                    v.clear();
                    v.shrink_to(room);
                }
                used
            }
            RingGates::Positions(_) => false,
        });
    }

    /// True if nothing is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.earlier.is_empty()
            && self.bits.x_own.is_empty()
            && self.ring.iter().all(|g| g.per_part() == [0; 3])
    }

    /// True if every prover has as many gates of each kind as the others:
    /// between the protocol calls, always (each gives every prover the
    /// same number), and required by a verification. The same at all
    /// three parties (each plays all three provers' parts).
    pub(crate) fn balanced(&self) -> bool {
        let even = |g: &RingGates| {
            let [a, b, c] = g.per_part();
            a == b && b == c
        };
        self.ring.iter().all(even)
            && self.earlier.iter().all(|e| match e {
                Epoch::Gates(g) => g.ring.iter().all(even),
                Epoch::Moved(_) => true,
            })
    }

    /// Words of memory kept (a `u32` counts half). The same at all three
    /// parties after every protocol call (within one permutation step the
    /// three parts differ; over a whole shuffle they balance).
    pub(crate) fn words(&self) -> usize {
        let earlier: usize = self
            .earlier
            .iter()
            .map(|e| match e {
                Epoch::Gates(g) => g.words(),
                Epoch::Moved(m) => m.words(),
            })
            .sum();
        earlier + self.bits.words() + self.ring.iter().map(RingGates::words).sum::<usize>()
    }

    /// Keeps one message of a permutation step; the gates kept so far form
    /// a stretch of their own, proven apart.
    pub(crate) fn keep_moved(&mut self, m: Moved) {
        self.close_gates();
        self.earlier.push(Epoch::Moved(m));
    }

    fn close_gates(&mut self) {
        let mut gates = Gates {
            bits: std::mem::take(&mut self.bits),
            ring: std::mem::take(&mut self.ring),
        };
        if !gates.is_empty() {
            // The room reserved up to the limit goes back: a session keeps
            // many stretches.
            gates.shrink_to_fit();
            self.earlier.push(Epoch::Gates(gates));
        }
    }

    /// Everything kept, in the order of the session.
    pub(crate) fn in_order(&self) -> Vec<Kept<'_>> {
        let mut out: Vec<Kept<'_>> = self
            .earlier
            .iter()
            .map(|e| match e {
                Epoch::Gates(g) => Kept::Gates(&g.bits, &g.ring),
                Epoch::Moved(m) => Kept::Moved(m),
            })
            .collect();
        if !self.bits.x_own.is_empty() || self.ring.iter().any(|g| g.per_part() != [0; 3]) {
            out.push(Kept::Gates(&self.bits, &self.ring));
        }
        out
    }

    /// Keeps ring products of width `64 - shift` bits and factors of
    /// `shape`, for party `me` (see [`Bits::keep`]): in each part, the
    /// gates of a prover that sends ([`Shape::sends`]). `received` is the
    /// successor's component of the products, `a` and `b` this party's
    /// draws of `K_(me+1)` and `K_me` (zero where not drawn).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn keep_products(
        &mut self,
        shift: u32,
        shape: Shape,
        me: usize,
        xo: &[u64],
        xn: &[u64],
        yo: &[u64],
        yn: &[u64],
        received: &[u64],
        a: &[u64],
        b: &[u64],
    ) {
        // The provers of the three parts: this party, its successor, its
        // predecessor.
        let [prover, left, right] = [me, me + 1, me + 2].map(|j| shape.sends(j));
        let single = shape != Shape::FULL;
        let p = match self.ring.iter_mut().find_map(|g| match g {
            RingGates::Products(p) if p.shift == shift && p.single == single => Some(p),
            _ => None,
        }) {
            Some(p) => p,
            None => {
                self.ring.push(RingGates::Products(Products {
                    shift,
                    single,
                    x_own: Vec::new(),
                    x_next: Vec::new(),
                    y_own: Vec::new(),
                    y_next: Vec::new(),
                    left_claim: Vec::new(),
                    right_claim: Vec::new(),
                }));
                match self.ring.last_mut() {
                    Some(RingGates::Products(p)) => p,
                    _ => unreachable!("just pushed"),
                }
            }
        };
        reserve_up_to_limit(
            [
                &mut p.x_own,
                &mut p.x_next,
                &mut p.y_own,
                &mut p.y_next,
                &mut p.left_claim,
                &mut p.right_claim,
            ],
            xo.len(),
        );
        // Term 0 is x_j y_(j+1), term 1 y_j x_(j+1): a single gate keeps
        // the chosen term's factors where term 0's are read.
        let term = |j: usize| {
            usize::from(if single {
                shape.term(j).unwrap_or(0)
            } else {
                0
            })
        };
        if prover {
            let t = term(me);
            p.x_own.extend_from_slice([xo, yo][t]);
            p.y_next.extend_from_slice([yn, xn][t]);
        }
        if left {
            p.x_next.extend_from_slice([xn, yn][term(me + 1)]);
            p.left_claim.extend(
                received
                    .iter()
                    .zip(xn.iter().zip(yn))
                    .zip(a)
                    .map(|((z, (x, y)), a)| z.wrapping_sub(x.wrapping_mul(*y)).wrapping_add(*a)),
            );
        }
        if right {
            p.y_own.extend_from_slice([yo, xo][term(me + 2)]);
            p.right_claim.extend(b.iter().map(|b| b.wrapping_neg()));
        }
    }

    /// Keeps one positions message.
    pub(crate) fn keep_positions(&mut self, p: Positions) {
        self.ring.push(RingGates::Positions(p));
    }
}

/// One message of a permutation step ([`crate::shuffle`]), as one party
/// keeps it: `m = P d - F` column by column, sent by one member of the
/// pair that knows the permutation `P` to the other, with `d` a component
/// the third party holds and `F` a draw the third party made too. Of its
/// two verifiers, the receiver knows `P` (the *permutation holder*) and the
/// third party knows `d` (the *data holder*); the claim of the proof is
/// `<P^T theta, d> = theta . claim_receiver + theta . claim_third`, with
/// `theta` the weights of the output rows.
pub(crate) struct Moved {
    /// Rows per column.
    pub(crate) n: usize,
    /// Of every column: XOR-shared (else additive), and the low bytes that
    /// matter.
    pub(crate) kinds: Vec<(bool, usize)>,
    /// The part this party plays.
    pub(crate) part: Role,
    /// True if the left verifier holds the permutation (a message to the
    /// sender's predecessor), false if the right one does.
    pub(crate) permutation_left: bool,
    /// The permutation and whether its inverse was applied: the prover's
    /// and the permutation holder's.
    pub(crate) perm: Option<(Arc<[u32]>, bool)>,
    /// `d`, column after column: the prover's and the data holder's.
    pub(crate) data: Vec<u64>,
    /// This verifier's part of the claim, in output order: the receiver's
    /// `m - P (its own part of the sum)`, the third party's `F`.
    pub(crate) claim: Vec<u64>,
}

impl Moved {
    /// True if this party knows the permutation of the proof.
    pub(crate) fn holds_permutation(&self) -> bool {
        match self.part {
            Role::Prover => true,
            Role::Left => self.permutation_left,
            Role::Right => !self.permutation_left,
        }
    }

    fn words(&self) -> usize {
        self.data.len() + self.claim.len()
    }
}

/// Gates of one stretch of the session between two permutation steps.
#[derive(Default)]
struct Gates {
    pub(crate) bits: Bits,
    pub(crate) ring: Vec<RingGates>,
}

impl Gates {
    fn is_empty(&self) -> bool {
        self.bits.x_own.is_empty() && self.ring.iter().all(|g| g.per_part() == [0; 3])
    }

    fn words(&self) -> usize {
        self.bits.words() + self.ring.iter().map(RingGates::words).sum::<usize>()
    }

    fn shrink_to_fit(&mut self) {
        for v in self.bits.vectors() {
            v.shrink_to_fit();
        }
        for g in &mut self.ring {
            if let RingGates::Products(p) = g {
                for v in p.vectors() {
                    v.shrink_to_fit();
                }
            }
        }
    }
}

/// What a verification proves, in the order it happened: the proofs are
/// kept apart where a message may have been computed from an earlier one,
/// so that the first failing proof names the party that deviated first.
enum Epoch {
    Gates(Gates),
    Moved(Moved),
}

/// One stretch of gates or one message of a permutation step, as the
/// ledger holds it (see [`Ledger::in_order`]).
pub(crate) enum Kept<'a> {
    Gates(&'a Bits, &'a [RingGates]),
    Moved(&'a Moved),
}

#[cfg(test)]
mod tests {
    use super::{Ledger, Shape};

    /// `sends` against random factors of every shape.
    #[test]
    fn a_prover_sends_exactly_when_its_part_can_be_nonzero() {
        // Components of the factors at random, zero where the shape says:
        // a prover that does not send always computes zero, one that sends
        // computes something else for some factors.
        let mut prg = crate::prg::Prg::new([17; 16]);
        let kinds = [None, Some(0), Some(1), Some(2)];
        for x in kinds {
            for y in kinds {
                let shape = Shape { x, y };
                for j in 0..3 {
                    let mut nonzero = false;
                    for _ in 0..20 {
                        let draw = |f: Option<usize>, prg: &mut crate::prg::Prg| -> [u64; 3] {
                            let w = prg.words(3);
                            [0, 1, 2].map(|c| {
                                if f.is_none_or(|k| k == c) {
                                    w[c] | 1
                                } else {
                                    0
                                }
                            })
                        };
                        let (xs, ys) = (draw(x, &mut prg), draw(y, &mut prg));
                        let (a, b) = (j, (j + 1) % 3);
                        let part = xs[a]
                            .wrapping_mul(ys[a])
                            .wrapping_add(xs[a].wrapping_mul(ys[b]))
                            .wrapping_add(xs[b].wrapping_mul(ys[a]));
                        nonzero |= part != 0;
                    }
                    assert_eq!(shape.sends(j), nonzero, "{shape:?}, prover {j}");
                }
            }
        }
        // The two rounds of an injection and of `bit_times`: every prover
        // sends in exactly one of them.
        let (b0b1, cb2, c2a) = (
            Shape {
                x: Some(0),
                y: Some(1),
            },
            Shape {
                x: None,
                y: Some(2),
            },
            Shape {
                x: Some(2),
                y: None,
            },
        );
        for second in [cb2, c2a] {
            for j in 0..3 {
                assert!(b0b1.sends(j) != second.sends(j), "prover {j}");
            }
        }
    }

    /// The three parties' ledgers through an injection's two products:
    /// unbalanced between them (no verification may start), balanced
    /// after, and the same size at every party all along (the memory
    /// limit triggers at the same point everywhere).
    #[test]
    fn an_injection_leaves_every_ledger_balanced_and_the_same_size() {
        let n = 100;
        let w = |seed: u64| -> Vec<u64> { (0..n as u64).map(|k| k * 7 + seed).collect() };
        let keep = |l: &mut Ledger, me: usize, shape: Shape| {
            let (a, b) = (w(1), w(2));
            l.keep_products(48, shape, me, &w(3), &w(4), &w(5), &w(6), &w(7), &a, &b);
        };
        let mut ledgers: Vec<Ledger> = (0..3).map(|_| Ledger::default()).collect();
        let first = Shape {
            x: Some(0),
            y: Some(1),
        };
        let second = Shape {
            x: None,
            y: Some(2),
        };
        for (me, l) in ledgers.iter_mut().enumerate() {
            keep(l, me, first);
        }
        assert!(ledgers.iter().all(|l| !l.balanced()));
        let size = ledgers[0].words();
        assert!(ledgers.iter().all(|l| l.words() == size));
        for (me, l) in ledgers.iter_mut().enumerate() {
            keep(l, me, second);
        }
        assert!(ledgers.iter().all(Ledger::balanced));
        let size = ledgers[0].words();
        assert!(ledgers.iter().all(|l| l.words() == size));
        // Every prover has one gate per element, in each of its parts.
        for l in &ledgers {
            assert_eq!(l.ring.len(), 1);
            assert_eq!(l.ring[0].per_part(), [n; 3]);
        }
    }

    /// Against the definition: of prover `j`'s two cross terms, `x_j
    /// y_(j+1)` and `y_j x_(j+1)`, a term can be nonzero only if each of its
    /// factors' components may be; `term` names the one that can.
    #[test]
    fn the_kept_term_is_the_one_not_zero_by_construction() {
        let may = |f: Option<usize>, c: usize| f.is_none_or(|k| k == c);
        let kinds = [None, Some(0), Some(1), Some(2)];
        for x in kinds {
            for y in kinds {
                let shape = Shape { x, y };
                for j in 0..3 {
                    let live = [
                        may(x, j) && may(y, (j + 1) % 3),
                        may(y, j) && may(x, (j + 1) % 3),
                    ];
                    match shape.term(j) {
                        None => assert_eq!(shape, Shape::FULL),
                        Some(t) => {
                            assert!(!(live[0] && live[1]), "{shape:?}, prover {j}");
                            let other = 1 - usize::from(t);
                            assert!(!live[other], "{shape:?}, prover {j}: term {t}");
                        }
                    }
                }
            }
        }
    }
}
