//! What a party keeps, in abort mode, of every multiplication-type message
//! until the next verification: for each gate, what it needs as the prover
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
//! (`right_claim`). Over `GF(2)` signs vanish.

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

impl Bits {
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

/// Products over `Z_2^64` of one width: each gate is one product `x y`,
/// an inner product of two terms.
pub(crate) struct Products {
    /// The relation holds mod `2^(64 - shift)`: everything is multiplied by
    /// `2^shift` before it is checked.
    pub(crate) shift: u32,
    pub(crate) x_own: Vec<u64>,
    pub(crate) x_next: Vec<u64>,
    pub(crate) y_own: Vec<u64>,
    pub(crate) y_next: Vec<u64>,
    /// `z_{i+1} - x_{i+1} y_{i+1} + F(K_{i+1})`.
    pub(crate) left_claim: Vec<u64>,
    /// `-F(K_i)`.
    pub(crate) right_claim: Vec<u64>,
}

/// The counting-sort positions of one digit ([`crate::onehot`]): each gate
/// (element) is an inner product of `2 buckets` terms, the one-hot
/// coordinates `e_v` times the running counts `p_v = C_v + P_v`, which are
/// recomputed from `e` (a linear function of it) when needed.
pub(crate) struct Positions {
    pub(crate) shift: u32,
    pub(crate) buckets: usize,
    /// Element-major one-hot components, `buckets` per element.
    pub(crate) e_own: Vec<u32>,
    pub(crate) e_next: Vec<u32>,
    pub(crate) left_claim: Vec<u64>,
    pub(crate) right_claim: Vec<u64>,
}

/// One kind of ring gate.
pub(crate) enum RingGates {
    Products(Products),
    Positions(Positions),
}

impl RingGates {
    /// Number of gates.
    pub(crate) fn gates(&self) -> usize {
        match self {
            RingGates::Products(p) => p.x_own.len(),
            RingGates::Positions(p) => p.left_claim.len(),
        }
    }

    /// Terms of each gate's inner product.
    pub(crate) fn terms(&self) -> usize {
        match self {
            RingGates::Products(_) => 2,
            RingGates::Positions(p) => 2 * p.buckets,
        }
    }

    fn words(&self) -> usize {
        match self {
            RingGates::Products(p) => 6 * p.x_own.len(),
            RingGates::Positions(p) => p.e_own.len() + 2 * p.left_claim.len(),
        }
    }
}

/// Everything kept since the last verification.
#[derive(Default)]
pub(crate) struct Ledger {
    pub(crate) bits: Bits,
    pub(crate) ring: Vec<RingGates>,
}

impl Ledger {
    /// True if nothing is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.bits.x_own.is_empty() && self.ring.iter().all(|g| g.gates() == 0)
    }

    /// Words of memory kept (a `u32` counts half).
    pub(crate) fn words(&self) -> usize {
        self.bits.words() + self.ring.iter().map(RingGates::words).sum::<usize>()
    }

    /// Keeps ring products of width `64 - shift` bits (see [`Bits::keep`]).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn keep_products(
        &mut self,
        shift: u32,
        xo: &[u64],
        xn: &[u64],
        yo: &[u64],
        yn: &[u64],
        received: &[u64],
        a: &[u64],
        b: &[u64],
    ) {
        let p = match self.ring.iter_mut().find_map(|g| match g {
            RingGates::Products(p) if p.shift == shift => Some(p),
            _ => None,
        }) {
            Some(p) => p,
            None => {
                self.ring.push(RingGates::Products(Products {
                    shift,
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
        p.x_own.extend_from_slice(xo);
        p.x_next.extend_from_slice(xn);
        p.y_own.extend_from_slice(yo);
        p.y_next.extend_from_slice(yn);
        p.left_claim.extend(
            received
                .iter()
                .zip(xn.iter().zip(yn))
                .zip(a)
                .map(|((z, (x, y)), a)| z.wrapping_sub(x.wrapping_mul(*y)).wrapping_add(*a)),
        );
        p.right_claim.extend(b.iter().map(|b| b.wrapping_neg()));
    }

    /// Keeps one positions message.
    pub(crate) fn keep_positions(&mut self, p: Positions) {
        self.ring.push(RingGates::Positions(p));
    }
}
