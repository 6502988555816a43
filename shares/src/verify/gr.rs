//! The Galois ring `GR(2^64, 49) = Z_2^64[X] / (X^49 + X^9 + 1)`: elements
//! as 49 coefficients mod `2^64` (coefficient `i` of `X^i`), stored in 56
//! words (seven vectors of eight) whose last seven are always zero, so that
//! every loop over an element is whole vectors.
//!
//! `X^49 + X^9 + 1` is irreducible mod 2 (checked in the tests), so the
//! ring is a local ring whose elements outside `2 GR` are units, and its
//! quotient by `2` is the field `GF(2^49)`. Two elements whose difference
//! is a unit are "exceptionally" distinct: the `2^49` elements with
//! coefficients in `{0, 1}` differ pairwise by units (their difference is
//! nonzero mod 2). Batching weights and challenges are drawn from that set,
//! written as 49-bit masks; multiplying by such an element is a sum of
//! shifted copies, with no multiplication at all.

use crate::prg::Prg;

/// The extension degree.
pub(crate) const D: usize = 49;
/// Words an element is stored in: `D` rounded up to whole vectors.
pub(crate) const LANES: usize = D.div_ceil(8) * 8;
/// `X^D = -X^TAP - 1`.
const TAP: usize = 9;
/// Words of an unreduced product (coefficients up to `2D - 2`, padded).
pub(crate) const WIDE: usize = 2 * LANES;
/// The masks of the `{0, 1}`-coefficient elements.
pub(crate) const MASK: u64 = (1 << D) - 1;

/// An element (coefficients `D..LANES` zero).
pub(crate) type Gr = [u64; LANES];
/// An unreduced product or sum of products.
pub(crate) type Wide = [u64; WIDE];

/// Zero.
pub(crate) const ZERO: Gr = [0; LANES];

/// One.
pub(crate) fn one() -> Gr {
    let mut a = ZERO;
    a[0] = 1;
    a
}

/// Reduces a wide element mod `X^D + X^TAP + 1`: the high coefficients
/// `h_k` (`k = D + i`) are subtracted at `i` and `i + TAP` in whole vectors;
/// the last eight of those land at `D..D + 8` and are folded once more.
#[inline(always)]
pub(crate) fn reduce(w: &Wide) -> Gr {
    let mut ext = [0u64; LANES + 16];
    ext[..D].copy_from_slice(&w[..D]);
    let mut hi = [0u64; LANES];
    hi[..D - 1].copy_from_slice(&w[D..2 * D - 1]);
    for (o, h) in ext[..LANES].iter_mut().zip(&hi) {
        *o = o.wrapping_sub(*h);
    }
    for (o, h) in ext[TAP..TAP + LANES].iter_mut().zip(&hi) {
        *o = o.wrapping_sub(*h);
    }
    for q in 0..8 {
        let c = ext[D + q];
        ext[q] = ext[q].wrapping_sub(c);
        ext[q + TAP] = ext[q + TAP].wrapping_sub(c);
    }
    let mut out = ZERO;
    out[..D].copy_from_slice(&ext[..D]);
    out
}

/// `r^0, ..., r^(l-1)` for the `{0, 1}`-coefficient challenge with mask
/// `r`.
pub(crate) fn powers(r: u64, l: usize) -> Vec<Gr> {
    let mut p = vec![one()];
    for i in 1..l {
        let next = mask_mul(r, &p[i - 1]);
        p.push(next);
    }
    p
}

/// `a + b`.
#[inline]
pub(crate) fn add(a: &Gr, b: &Gr) -> Gr {
    let mut o = *a;
    for (x, y) in o.iter_mut().zip(b) {
        *x = x.wrapping_add(*y);
    }
    o
}

/// `a - b`.
#[inline]
pub(crate) fn sub(a: &Gr, b: &Gr) -> Gr {
    let mut o = *a;
    for (x, y) in o.iter_mut().zip(b) {
        *x = x.wrapping_sub(*y);
    }
    o
}

/// Adds `a * b` to `w`, unreduced.
#[inline(always)]
pub(crate) fn mul_acc(w: &mut Wide, a: &Gr, b: &Gr) {
    for (i, &x) in a[..D].iter().enumerate() {
        let row = &mut w[i..i + LANES];
        for (o, &y) in row.iter_mut().zip(b) {
            *o = o.wrapping_add(x.wrapping_mul(y));
        }
    }
}

/// `a * b`.
pub(crate) fn mul(a: &Gr, b: &Gr) -> Gr {
    let mut w = [0u64; WIDE];
    mul_acc(&mut w, a, b);
    reduce(&w)
}

/// Adds `m * a` to `w`, unreduced, for the `{0, 1}`-coefficient element
/// with mask `m`: every shifted copy is read from a padded copy of `a` and
/// added to whole aligned vectors of `w`, which stay in registers (a
/// shifted store into `w` would wait on the previous one). The copies for
/// bits `8 g .. 8 g + 8` touch only the eight vectors from `g` on.
#[inline(always)]
pub(crate) fn mask_gather_acc(w: &mut Wide, m: u64, a: &Gr) {
    let mut padded = [0u64; 3 * LANES];
    padded[LANES..2 * LANES].copy_from_slice(a);
    let m = m & MASK;
    gather_group::<0>(w, &padded, m);
    gather_group::<1>(w, &padded, m);
    gather_group::<2>(w, &padded, m);
    gather_group::<3>(w, &padded, m);
    gather_group::<4>(w, &padded, m);
    gather_group::<5>(w, &padded, m);
    gather_group::<6>(w, &padded, m);
}

/// The copies of [`mask_gather_acc`] for bits `8 G .. 8 G + 8` of `m`.
#[inline(always)]
fn gather_group<const G: usize>(w: &mut Wide, padded: &[u64; 3 * LANES], m: u64) {
    let mut bits = (m >> (8 * G)) & 0xff;
    while bits != 0 {
        let b = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        // Copy 8 G + b covers words 8 G + b .. 8 G + b + LANES: the eight
        // vectors from G, read from the padded copy shifted by b.
        let src = &padded[LANES - b..LANES - b + LANES + 8];
        for (o, &y) in w[8 * G..8 * G + LANES + 8].iter_mut().zip(src) {
            *o = o.wrapping_add(y);
        }
    }
}

/// `a + m * b` for the `{0, 1}`-coefficient element with mask `m`.
#[inline(always)]
pub(crate) fn add_mask_mul(a: &Gr, m: u64, b: &Gr) -> Gr {
    let mut w = [0u64; WIDE];
    w[..LANES].copy_from_slice(a);
    mask_gather_acc(&mut w, m, b);
    reduce(&w)
}

/// `m * a` for the `{0, 1}`-coefficient element with mask `m`.
pub(crate) fn mask_mul(m: u64, a: &Gr) -> Gr {
    let mut w = [0u64; WIDE];
    mask_gather_acc(&mut w, m, a);
    reduce(&w)
}

/// The `{0, 1}`-coefficient element with mask `m`.
pub(crate) fn from_mask(m: u64) -> Gr {
    let mut a = ZERO;
    for (i, c) in a[..D].iter_mut().enumerate() {
        *c = (m >> i) & 1;
    }
    a
}

/// The mask of an element whose coefficients are all 0 or 1.
pub(crate) fn to_mask(a: &Gr) -> Option<u64> {
    let mut m = 0u64;
    for (i, &c) in a[..D].iter().enumerate() {
        match c {
            0 => {}
            1 => m |= 1 << i,
            _ => return None,
        }
    }
    Some(m)
}

/// `X^l * a` for `l < D`.
#[inline(always)]
pub(crate) fn shift(a: &Gr, l: usize) -> Gr {
    let mut w = [0u64; WIDE];
    w[l..l + LANES].copy_from_slice(a);
    reduce(&w)
}

/// `s * a` for a ring element `s` of `Z_2^64`.
#[cfg(test)]
fn scale(a: &Gr, s: u64) -> Gr {
    let mut o = *a;
    for x in o.iter_mut() {
        *x = x.wrapping_mul(s);
    }
    o
}

/// A uniformly random element.
pub(crate) fn uniform(prg: &mut Prg) -> Gr {
    let mut a = ZERO;
    prg.fill(&mut a[..D]);
    a
}

/// A uniformly random `{0, 1}`-coefficient element (its mask).
pub(crate) fn uniform_mask(prg: &mut Prg) -> u64 {
    prg.word() & MASK
}

/// A uniformly random `{0, 1}`-coefficient element other than 0 and 1
/// (its mask): a challenge.
pub(crate) fn challenge_mask(prg: &mut Prg) -> u64 {
    loop {
        let m = uniform_mask(prg);
        if m > 1 {
            return m;
        }
    }
}

/// `GR(2^64, 49)` as the algebra of the proofs of ring multiplications.
pub(crate) struct Ring;

/// `sum a_k b_k`.
struct Dot<'a>(&'a [Gr], &'a [Gr]);

impl super::arch::WordTask for Dot<'_> {
    type Output = Gr;
    #[inline(always)]
    fn run(self) -> Gr {
        // M[i][j] = sum_k a_k[i] b_k[j], one aligned row per i, folded into
        // the wide product once at the end: every update is a full-vector
        // multiply-add at a fixed place.
        let mut m = vec![[0u64; LANES]; D];
        #[cfg(target_arch = "x86_64")]
        let done = super::arch::ring::available() && {
            super::arch::ring::dot(self.0, self.1, D, &mut m);
            true
        };
        #[cfg(not(target_arch = "x86_64"))]
        let done = false;
        if !done {
            dot_rows(self.0, self.1, &mut m);
        }
        let mut w = [0u64; WIDE];
        for (i, row) in m.iter().enumerate() {
            for (o, &c) in w[i..i + LANES].iter_mut().zip(row) {
                *o = o.wrapping_add(c);
            }
        }
        reduce(&w)
    }
}

/// `m[i] += sum_k a_k[i] b_k`, without vector instructions.
#[inline(always)]
fn dot_rows(a: &[Gr], b: &[Gr], m: &mut [Gr]) {
    for (x, y) in a.iter().zip(b) {
        for (row, &xi) in m.iter_mut().zip(x) {
            for (o, &bj) in row.iter_mut().zip(y) {
                *o = o.wrapping_add(xi.wrapping_mul(bj));
            }
        }
    }
}

/// `x0 + m x1` (`rev`: `m x0 + x1`) into `x0`, `m` a challenge's mask.
struct Fold<'a> {
    x0: &'a mut [Gr],
    x1: &'a [Gr],
    m: u64,
    rev: bool,
}

impl super::arch::WordTask for Fold<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        for (a, b) in self.x0.iter_mut().zip(self.x1) {
            *a = if self.rev {
                add_mask_mul(b, self.m, a)
            } else {
                add_mask_mul(a, self.m, b)
            };
        }
    }
}

impl super::Algebra for Ring {
    type E = Gr;
    const BYTES: usize = 8 * D;
    const CHECK: &'static str = "mul";

    fn zero() -> Gr {
        ZERO
    }
    fn one() -> Gr {
        one()
    }
    fn add(a: &Gr, b: &Gr) -> Gr {
        add(a, b)
    }
    fn sub(a: &Gr, b: &Gr) -> Gr {
        sub(a, b)
    }
    fn mul(a: &Gr, b: &Gr) -> Gr {
        mul(a, b)
    }
    fn uniform(prg: &mut Prg) -> Gr {
        uniform(prg)
    }
    fn challenge(prg: &mut Prg) -> Gr {
        from_mask(challenge_mask(prg))
    }
    fn write(e: &Gr, out: &mut Vec<u8>) {
        for c in &e[..D] {
            out.extend_from_slice(&c.to_le_bytes());
        }
    }
    fn read(b: &[u8]) -> Gr {
        let mut a = ZERO;
        for (c, w) in a[..D].iter_mut().zip(b.chunks_exact(8)) {
            *c = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        }
        a
    }
    fn dot(a: &[Gr], b: &[Gr]) -> Gr {
        super::arch::dispatch_words(Dot(a, b))
    }
    fn fold(x: &mut Vec<Gr>, r: &Gr, rev: bool) {
        let m = to_mask(r).expect("challenges have coefficients 0 and 1");
        let h = x.len() / 2;
        let (x0, x1) = x.split_at_mut(h);
        super::arch::dispatch_words(Fold { x0, x1, m, rev });
        x.truncate(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::poly2;

    fn prg(k: u8) -> Prg {
        Prg::new([k; 16])
    }

    /// The definition: fold the top coefficient down, one at a time.
    fn reduce_one_by_one(w: &Wide) -> Gr {
        let mut w = *w;
        for k in (D..2 * D - 1).rev() {
            let c = w[k];
            w[k - D] = w[k - D].wrapping_sub(c);
            w[k - D + TAP] = w[k - D + TAP].wrapping_sub(c);
        }
        let mut out = ZERO;
        out[..D].copy_from_slice(&w[..D]);
        out
    }

    #[test]
    fn the_vector_reduction_is_the_one_by_one_fold() {
        let mut p = prg(7);
        for _ in 0..200 {
            let mut w = [0u64; WIDE];
            for (x, r) in w[..2 * D - 1].iter_mut().zip(p.words(2 * D - 1)) {
                *x = r;
            }
            assert_eq!(reduce(&w), reduce_one_by_one(&w));
        }
        // Each power X^k alone, as X^D = -X^TAP - 1 folds it.
        for k in 0..2 * D - 1 {
            let mut w = [0u64; WIDE];
            w[k] = 1;
            assert_eq!(reduce(&w), reduce_one_by_one(&w), "X^{k}");
        }
    }

    #[test]
    fn the_modulus_is_irreducible_mod_2() {
        let f = (1u128 << D) | (1u128 << TAP) | 1;
        assert!(poly2::irreducible(f, D as u32));
    }

    #[test]
    fn reduction_is_the_remainder() {
        // X^D reduces to -X^TAP - 1; X^(2D-2) consistently with X^D X^(D-2).
        let mut w = [0u64; WIDE];
        w[D] = 1;
        let mut want = ZERO;
        want[0] = u64::MAX;
        want[TAP] = u64::MAX;
        assert_eq!(reduce(&w), want);
        let mut xd = ZERO;
        xd[D - 1] = 1;
        let a = mul(&xd, &xd);
        let b = mul(&shift(&one(), 1), &mul(&xd, &shift(&one(), D - 2)));
        assert_eq!(a, b);
    }

    #[test]
    fn ring_laws() {
        let mut r = prg(1);
        for _ in 0..100 {
            let (a, b, c) = (uniform(&mut r), uniform(&mut r), uniform(&mut r));
            assert_eq!(mul(&a, &b), mul(&b, &a));
            assert_eq!(mul(&mul(&a, &b), &c), mul(&a, &mul(&b, &c)));
            assert_eq!(mul(&a, &add(&b, &c)), add(&mul(&a, &b), &mul(&a, &c)));
            assert_eq!(mul(&a, &one()), a);
            assert_eq!(sub(&add(&a, &b), &b), a);
            let m = uniform_mask(&mut r);
            assert_eq!(mask_mul(m, &a), mul(&from_mask(m), &a));
            assert_eq!(add_mask_mul(&b, m, &a), add(&b, &mul(&from_mask(m), &a)));
            let mut bytes = Vec::new();
            <Ring as crate::verify::Algebra>::write(&a, &mut bytes);
            assert_eq!(bytes.len(), 8 * D);
            assert_eq!(<Ring as crate::verify::Algebra>::read(&bytes), a);
            assert!(mul(&a, &b)[D..].iter().all(|&c| c == 0));
            assert_eq!(to_mask(&from_mask(m)), Some(m));
            let l = (m % D as u64) as usize;
            let mut xl = ZERO;
            xl[l] = 1;
            assert_eq!(shift(&a, l), mul(&xl, &a));
            let s = r.word();
            let mut sc = ZERO;
            sc[0] = s;
            assert_eq!(scale(&a, s), mul(&sc, &a));
        }
    }

    #[test]
    fn inner_products_are_sums_of_products() {
        let mut r = prg(3);
        let a: Vec<Gr> = (0..5).map(|_| uniform(&mut r)).collect();
        let b: Vec<Gr> = (0..5).map(|_| uniform(&mut r)).collect();
        let want = a
            .iter()
            .zip(&b)
            .fold(ZERO, |acc, (x, y)| add(&acc, &mul(x, y)));
        assert_eq!(<Ring as crate::verify::Algebra>::dot(&a, &b), want);
        // The portable rows, folded the same way.
        let mut m = vec![ZERO; D];
        dot_rows(&a, &b, &mut m);
        let mut w = [0u64; WIDE];
        for (i, row) in m.iter().enumerate() {
            for (o, c) in w[i..i + LANES].iter_mut().zip(row) {
                *o = o.wrapping_add(*c);
            }
        }
        assert_eq!(reduce(&w), want);
    }

    #[test]
    fn exceptional_elements_are_units() {
        // An element with an odd coefficient is a unit: it has an inverse,
        // found here by solving a * y = 1 mod 2 and lifting (Hensel:
        // y <- y (2 - a y) doubles the precision).
        let mut r = prg(2);
        for _ in 0..20 {
            let m = challenge_mask(&mut r);
            let n = challenge_mask(&mut r);
            if m == n {
                continue;
            }
            let diff = sub(&from_mask(m), &from_mask(n));
            let inv = inverse(&diff);
            assert_eq!(mul(&diff, &inv), one());
        }
    }

    /// The inverse of a unit (tests only): invert mod 2 in `GF(2^49)` by
    /// exponentiation, then lift.
    fn inverse(a: &Gr) -> Gr {
        // a^(2^49 - 2) mod 2 is the inverse there.
        let mut y = one();
        let mut base = a.map(|c| c & 1);
        let mut e = (1u64 << D) - 2;
        let mod2 = |x: Gr| x.map(|c| c & 1);
        while e != 0 {
            if e & 1 == 1 {
                y = mod2(mul(&y, &base));
            }
            base = mod2(mul(&base, &base));
            e >>= 1;
        }
        let two = {
            let mut t = ZERO;
            t[0] = 2;
            t
        };
        for _ in 0..6 {
            y = mul(&y, &sub(&two, &mul(a, &y)));
        }
        y
    }
}
