//! `GF(2^64) = GF(2)[t] / (t^64 + t^4 + t^3 + t + 1)`, elements as `u64`
//! (bit `b` is the coefficient of `t^b`). Addition is XOR; a product is a
//! carry-less multiplication ([`super::arch`]) followed by a reduction.
//! Sums of products are accumulated unreduced in a [`Wide`] and reduced
//! once.

use super::arch::{Clmul, Portable};

/// The low terms of the modulus: `t^64 = t^4 + t^3 + t + 1`.
#[cfg(test)]
const LOW: u64 = 0b1_1011;

/// Reduces the 128-bit product `hi * t^64 + lo`.
#[inline(always)]
pub(crate) fn reduce(lo: u64, hi: u64) -> u64 {
    // hi * t^64 = hi * (t^4 + t^3 + t + 1): the shifted copies overflow by
    // at most four bits, which fold back once more without overflowing.
    let over = (hi >> 60) ^ (hi >> 61) ^ (hi >> 63);
    let folded = hi ^ over;
    lo ^ folded ^ (folded << 1) ^ (folded << 3) ^ (folded << 4)
}

/// `a * b` with the multiplication `C`.
#[inline(always)]
pub(crate) fn mul_with<C: Clmul>(a: u64, b: u64) -> u64 {
    let (lo, hi) = C::clmul(a, b);
    reduce(lo, hi)
}

/// `a * b`, for the few products outside the hot loops.
pub(crate) fn mul(a: u64, b: u64) -> u64 {
    mul_with::<Portable>(a, b)
}

/// `a^e`.
#[cfg(test)]
fn pow(mut a: u64, mut e: u64) -> u64 {
    let mut r = 1u64;
    while e != 0 {
        if e & 1 == 1 {
            r = mul(r, a);
        }
        a = mul(a, a);
        e >>= 1;
    }
    r
}

/// An unreduced sum of products.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Wide {
    lo: u64,
    hi: u64,
}

impl Wide {
    /// The unreduced value `hi t^64 + lo`.
    pub(crate) fn from_parts(lo: u64, hi: u64) -> Wide {
        Wide { lo, hi }
    }

    /// Adds `a * b`.
    #[inline(always)]
    pub(crate) fn add_product<C: Clmul>(&mut self, a: u64, b: u64) {
        let (lo, hi) = C::clmul(a, b);
        self.lo ^= lo;
        self.hi ^= hi;
    }

    /// Adds another unreduced sum.
    #[inline(always)]
    pub(crate) fn add(&mut self, o: Wide) {
        self.lo ^= o.lo;
        self.hi ^= o.hi;
    }

    /// The reduced sum.
    #[inline(always)]
    pub(crate) fn reduce(self) -> u64 {
        reduce(self.lo, self.hi)
    }
}

/// `GF(2^64)` as the algebra of the proofs of AND gates.
pub(crate) struct Gf;

struct Dot<'a>(&'a [u64], &'a [u64]);

impl super::arch::ClmulTask for Dot<'_> {
    type Output = u64;
    #[inline(always)]
    fn run<C: Clmul>(self) -> u64 {
        // Four independent accumulators, for the multiplier's throughput.
        let mut acc = [Wide::default(); 4];
        let (a4, b4) = (self.0.chunks_exact(4), self.1.chunks_exact(4));
        let (ra, rb) = (a4.remainder(), b4.remainder());
        for (a, b) in a4.zip(b4) {
            for k in 0..4 {
                acc[k].add_product::<C>(a[k], b[k]);
            }
        }
        for (a, b) in ra.iter().zip(rb) {
            acc[0].add_product::<C>(*a, *b);
        }
        let mut w = acc[0];
        for o in &acc[1..] {
            w.add(*o);
        }
        w.reduce()
    }
}

/// `x0 + r x1` (`rev`: `r x0 + x1`), element-wise, into `x0`.
struct Fold<'a> {
    x0: &'a mut [u64],
    x1: &'a [u64],
    r: u64,
    rev: bool,
}

impl super::arch::ClmulTask for Fold<'_> {
    type Output = ();
    #[inline(always)]
    fn run<C: Clmul>(self) {
        let r = self.r;
        if self.rev {
            for (a, b) in self.x0.iter_mut().zip(self.x1) {
                *a = mul_with::<C>(r, *a) ^ b;
            }
        } else {
            for (a, b) in self.x0.iter_mut().zip(self.x1) {
                *a ^= mul_with::<C>(r, *b);
            }
        }
    }
}

impl super::Algebra for Gf {
    type E = u64;
    const BYTES: usize = 8;
    const CHECK: &'static str = "and";
    // A field product is a few instructions: a fold by 16 costs 5.1 per
    // entry, and the last, on at most 8,192 entries, folds by up to 128
    // (17 per entry, a message of 2,186 elements: 17 kB).
    const LONG_BITS: usize = 4;
    const LAST_BITS: usize = 7;
    const FOLDS_ANY: bool = true;

    fn zero() -> u64 {
        0
    }
    fn one() -> u64 {
        1
    }
    fn add(a: &u64, b: &u64) -> u64 {
        a ^ b
    }
    fn sub(a: &u64, b: &u64) -> u64 {
        a ^ b
    }
    fn mul(a: &u64, b: &u64) -> u64 {
        mul(*a, *b)
    }
    fn uniform(prg: &mut crate::prg::Prg) -> u64 {
        prg.word()
    }
    fn challenge(prg: &mut crate::prg::Prg) -> u64 {
        loop {
            let r = prg.word();
            if r > 1 {
                return r;
            }
        }
    }
    fn write(e: &u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&e.to_le_bytes());
    }
    fn read(b: &[u8]) -> u64 {
        u64::from_le_bytes(b.try_into().expect("8 bytes"))
    }
    fn dot(a: &[u64], b: &[u64]) -> u64 {
        let mut w = Wide::default();
        let mut at = 0;
        #[cfg(target_arch = "x86_64")]
        if super::arch::wide::available() {
            at = a.len() / 8 * 8;
            let (lo, hi) = super::arch::wide::dot(&a[..at], &b[..at]);
            w = Wide { lo, hi };
        }
        let rest = super::arch::dispatch(Dot(&a[at..], &b[at..]));
        w.reduce() ^ rest
    }
    fn fold(x: &mut Vec<u64>, r: &u64, rev: bool) {
        let h = x.len() / 2;
        let (x0, x1) = x.split_at_mut(h);
        let mut at = 0;
        #[cfg(target_arch = "x86_64")]
        if super::arch::wide::available() {
            at = h / 8 * 8;
            super::arch::wide::fold(&mut x0[..at], &x1[..at], *r, rev);
        }
        super::arch::dispatch(Fold {
            x0: &mut x0[at..],
            x1: &x1[at..],
            r: *r,
            rev,
        });
        x.truncate(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::poly2;

    fn rng(mut s: u64) -> impl FnMut() -> u64 {
        move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s ^ (s >> 29)
        }
    }

    #[test]
    fn the_modulus_is_irreducible() {
        let f = (1u128 << 64) | LOW as u128;
        assert!(poly2::irreducible(f, 64));
        // A reducible neighbour fails the same test.
        assert!(!poly2::irreducible((1u128 << 64) | 0b11, 64));
    }

    #[test]
    fn reduction_matches_polynomial_division() {
        let mut r = rng(1);
        let f = (1u128 << 64) | LOW as u128;
        for _ in 0..1000 {
            let (a, b) = (r(), r());
            let p = poly2::mul(a as u128, b as u128);
            assert_eq!(mul(a, b) as u128, poly2::rem(p, f));
        }
    }

    #[test]
    fn field_laws() {
        let mut r = rng(2);
        for _ in 0..500 {
            let (a, b, c) = (r(), r(), r());
            assert_eq!(mul(a, b), mul(b, a));
            assert_eq!(mul(mul(a, b), c), mul(a, mul(b, c)));
            assert_eq!(mul(a, b ^ c), mul(a, b) ^ mul(a, c));
            assert_eq!(mul(a, 1), a);
            // Inverses: a^(2^64 - 2) a = 1 for a != 0.
            if a != 0 {
                assert_eq!(mul(pow(a, u64::MAX - 1), a), 1);
            }
            let mut w = Wide::default();
            w.add_product::<Portable>(a, b);
            w.add_product::<Portable>(a, c);
            assert_eq!(w.reduce(), mul(a, b ^ c));
        }
    }
}
