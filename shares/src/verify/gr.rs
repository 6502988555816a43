//! The Galois rings `GR(2^k, 48) = Z_2^k[X] / (X^48 + X^5 + X^3 + X^2 + 1)`
//! for `k = 64, 32, 16`: elements as 48 coefficients mod `2^k`
//! (coefficient `i` of `X^i`), which are whole vectors of every width: six
//! of 512 bits for 64-bit words, three for 32-bit ones, one of 512 and one
//! of 256 bits for 16-bit ones. A relation that only has to hold mod
//! `2^32` (or `2^16`) is proven in the narrower ring: the same proof with a
//! half (a quarter) of the bytes and twice (four times) the lanes per
//! vector instruction.
//!
//! The degree is 48 rather than the 49 a trinomial allows (`X^49 + X^9 +
//! 1`): 49 coefficients take a seventh vector of 64-bit words, a fourth of
//! 32-bit ones and a third of 16-bit ones, and every product and fold of
//! the proofs pays for it. Degree 48 has no irreducible trinomial (none
//! exists in degrees divisible by 8), so the modulus has five terms and a
//! reduction subtracts each high coefficient four times instead of twice;
//! the soundness of a proof over the ring changes from about `2^-41.8` to
//! `2^-40.8` (`docs/verify.md`).
//!
//! The modulus is irreducible mod 2 (checked in the tests), so the ring is
//! a local ring whose elements outside `2 GR` are units, and its quotient
//! by `2` is the field `GF(2^48)`. Two elements whose difference is a unit
//! are "exceptionally" distinct: the `2^48` elements with coefficients in
//! `{0, 1}` differ pairwise by units (their difference is nonzero mod 2).
//! Batching weights and challenges are drawn from that set, written as
//! 48-bit masks; multiplying by such an element is a sum of shifted
//! copies, with no multiplication at all.

use std::marker::PhantomData;

use crate::prg::Prg;

/// A coefficient: a word of `Z_2^64`, `Z_2^32` or `Z_2^16`.
pub(crate) trait Word:
    Copy + Default + PartialEq + Eq + std::fmt::Debug + Send + Sync + 'static
{
    /// Bits of the word.
    const BITS: u32;
    const ZERO: Self;
    const ONE: Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// The word of a value scaled by `2^shift` (`shift >= 64 - BITS`) as
    /// a 64-bit word: its top `BITS` bits, the value scaled by
    /// `2^(shift - 64 + BITS)`.
    fn scaled(x: u64) -> Self;
    /// The word of a value cut to its low `64 - shift` bits (`shift >= 64
    /// - BITS`): its low `BITS` bits, all of it.
    fn low(x: u64) -> Self;
    /// The word if `bit` (0 or 1) is 1, else zero, without a branch.
    fn select(self, bit: u64) -> Self;
    fn to_le(self, out: &mut Vec<u8>);
    /// From its little-endian bytes (`BITS / 8` of them).
    fn from_le(b: &[u8]) -> Self;
    /// Uniformly random words.
    fn fill(prg: &mut Prg, out: &mut [Self]);
    /// `out_k = sum_i g_i x_(k + i stride)` with vector instructions
    /// written for this word, if the CPU has them (false: not done).
    /// `scaled` says which word of an `x` is meant: [`Word::scaled`] or
    /// [`Word::low`].
    fn combine_fast(
        _g: &[Gr<Self>],
        _x: &[u64],
        _stride: usize,
        _out: &mut [Gr<Self>],
        _scaled: bool,
    ) -> bool {
        false
    }
    /// `m[i] += sum_k a_k[i] b_k` the same way.
    fn dot_fast(_a: &[Gr<Self>], _b: &[Gr<Self>], _m: &mut [Gr<Self>]) -> bool {
        false
    }
}

/// The arithmetic and bytes of a word type, the same for every width: a
/// scaled value's word is its top `BITS` bits, a cut value's its low ones.
macro_rules! word_arithmetic {
    ($t:ty) => {
        const BITS: u32 = <$t>::BITS;
        const ZERO: $t = 0;
        const ONE: $t = 1;
        #[inline(always)]
        fn add(self, o: $t) -> $t {
            self.wrapping_add(o)
        }
        #[inline(always)]
        fn sub(self, o: $t) -> $t {
            self.wrapping_sub(o)
        }
        #[inline(always)]
        fn mul(self, o: $t) -> $t {
            self.wrapping_mul(o)
        }
        #[inline(always)]
        fn scaled(x: u64) -> $t {
            (x >> (64 - <$t>::BITS)) as $t
        }
        #[inline(always)]
        fn low(x: u64) -> $t {
            x as $t
        }
        #[inline(always)]
        fn select(self, bit: u64) -> $t {
            self & (bit as $t).wrapping_neg()
        }
        fn to_le(self, out: &mut Vec<u8>) {
            out.extend_from_slice(&self.to_le_bytes());
        }
        fn from_le(b: &[u8]) -> $t {
            <$t>::from_le_bytes(b.try_into().expect("a word's bytes"))
        }
    };
}

impl Word for u64 {
    word_arithmetic!(u64);
    fn fill(prg: &mut Prg, out: &mut [u64]) {
        prg.fill(out);
    }
    #[inline(always)]
    fn combine_fast(g: &[Gr], x: &[u64], stride: usize, out: &mut [Gr], _scaled: bool) -> bool {
        #[cfg(target_arch = "x86_64")]
        if super::arch::ring::available() {
            super::arch::ring::combine(g, x, stride, out);
            return true;
        }
        let _ = (g, x, stride, out);
        false
    }
    #[inline(always)]
    fn dot_fast(a: &[Gr], b: &[Gr], m: &mut [Gr]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if super::arch::ring::available() {
            super::arch::ring::dot(a, b, D, m);
            return true;
        }
        let _ = (a, b, m);
        false
    }
}

/// [`Word::combine_fast`] and [`Word::dot_fast`] of a narrow word: the
/// kernels of its module in `arch` where the CPU has AVX-512.
macro_rules! narrow_kernels {
    ($t:ty, $kernels:ident) => {
        #[inline(always)]
        fn combine_fast(
            g: &[Gr<$t>],
            x: &[u64],
            stride: usize,
            out: &mut [Gr<$t>],
            scaled: bool,
        ) -> bool {
            #[cfg(target_arch = "x86_64")]
            if super::arch::ring::available() {
                super::arch::$kernels::combine(g, x, stride, out, scaled);
                return true;
            }
            let _ = (g, x, stride, out, scaled);
            false
        }
        #[inline(always)]
        fn dot_fast(a: &[Gr<$t>], b: &[Gr<$t>], m: &mut [Gr<$t>]) -> bool {
            #[cfg(target_arch = "x86_64")]
            if super::arch::ring::available() {
                super::arch::$kernels::dot(a, b, m);
                return true;
            }
            let _ = (a, b, m);
            false
        }
    };
}

impl Word for u32 {
    word_arithmetic!(u32);
    fn fill(prg: &mut Prg, out: &mut [u32]) {
        prg.fill_u32(out);
    }
    narrow_kernels!(u32, ring32);
}

impl Word for u16 {
    word_arithmetic!(u16);
    fn fill(prg: &mut Prg, out: &mut [u16]) {
        prg.fill_u16(out);
    }
    narrow_kernels!(u16, ring16);
}

/// The extension degree.
pub(crate) const D: usize = 48;
/// Words an element is stored in: `D` rounded up to whole vectors.
pub(crate) const LANES: usize = D.div_ceil(8) * 8;
/// The modulus's middle terms: `X^D = -X^5 - X^3 - X^2 - 1`. The highest
/// coefficient of a product is `2 D - 2`, so one fold lands below
/// `2 D - 2 - D + 5 < D + 8`, and a second one below `D`.
const TAPS: [usize; 3] = [2, 3, 5];
/// Words of an unreduced product: coefficients up to `2D - 2`, padded to
/// at least what a gather touches (`32 + 80` words for 16-bit words, see
/// [`mask_gather_acc`]).
pub(crate) const WIDE: usize = 128;
/// The masks of the `{0, 1}`-coefficient elements.
pub(crate) const MASK: u64 = (1 << D) - 1;

/// An element (coefficients `D..LANES` zero).
pub(crate) type Gr<W = u64> = [W; LANES];
/// An unreduced product or sum of products.
pub(crate) type Wide<W = u64> = [W; WIDE];

/// Zero of `GR(2^64, 48)` (tests).
#[cfg(test)]
pub(crate) const ZERO: Gr = [0; LANES];

/// Zero.
#[inline(always)]
pub(crate) fn zero<W: Word>() -> Gr<W> {
    [W::ZERO; LANES]
}

/// One.
pub(crate) fn one<W: Word>() -> Gr<W> {
    let mut a = zero();
    a[0] = W::ONE;
    a
}

/// Reduces a wide element mod `X^D + X^5 + X^3 + X^2 + 1`: the high
/// coefficients `h_k` (`k = D + i`) are subtracted at `i` and at `i + t`
/// for every tap `t` in whole vectors; those that land at `D..D + 8` are
/// folded once more, as one vector of eight words.
#[inline(always)]
pub(crate) fn reduce<W: Word>(w: &Wide<W>) -> Gr<W> {
    let mut ext = [W::ZERO; LANES + 16];
    ext[..D].copy_from_slice(&w[..D]);
    let mut hi = [W::ZERO; LANES];
    hi[..D - 1].copy_from_slice(&w[D..2 * D - 1]);
    for (o, h) in ext[..LANES].iter_mut().zip(&hi) {
        *o = o.sub(*h);
    }
    for tap in TAPS {
        for (o, h) in ext[tap..tap + LANES].iter_mut().zip(&hi) {
            *o = o.sub(*h);
        }
    }
    let mut top = [W::ZERO; 8];
    top.copy_from_slice(&ext[D..D + 8]);
    for (o, c) in ext[..8].iter_mut().zip(&top) {
        *o = o.sub(*c);
    }
    for tap in TAPS {
        for (o, c) in ext[tap..tap + 8].iter_mut().zip(&top) {
            *o = o.sub(*c);
        }
    }
    let mut out = zero();
    out[..D].copy_from_slice(&ext[..D]);
    out
}

/// `r^0, ..., r^(l-1)` for the `{0, 1}`-coefficient challenge with mask
/// `r`.
pub(crate) fn powers<W: Word>(r: u64, l: usize) -> Vec<Gr<W>> {
    let mut p = vec![one()];
    for i in 1..l {
        let next = mask_mul(r, &p[i - 1]);
        p.push(next);
    }
    p
}

/// `a + b`.
#[inline]
pub(crate) fn add<W: Word>(a: &Gr<W>, b: &Gr<W>) -> Gr<W> {
    let mut o = *a;
    for (x, y) in o.iter_mut().zip(b) {
        *x = x.add(*y);
    }
    o
}

/// `a - b`.
#[inline]
pub(crate) fn sub<W: Word>(a: &Gr<W>, b: &Gr<W>) -> Gr<W> {
    let mut o = *a;
    for (x, y) in o.iter_mut().zip(b) {
        *x = x.sub(*y);
    }
    o
}

/// Adds `a * b` to `w`, unreduced.
#[inline(always)]
pub(crate) fn mul_acc<W: Word>(w: &mut Wide<W>, a: &Gr<W>, b: &Gr<W>) {
    for (i, &x) in a[..D].iter().enumerate() {
        let row = &mut w[i..i + LANES];
        for (o, &y) in row.iter_mut().zip(b) {
            *o = o.add(x.mul(y));
        }
    }
}

/// `a * b`.
pub(crate) fn mul<W: Word>(a: &Gr<W>, b: &Gr<W>) -> Gr<W> {
    let mut w = [W::ZERO; WIDE];
    mul_acc(&mut w, a, b);
    reduce(&w)
}

/// Calls `$group::<G, GROUP, SPAN, W>(args)` for every group `G` of the
/// bits of a `{0, 1}`-coefficient mask, by the width of `W`: a group is
/// one vector's words (`GROUP`: 8 of `u64`, 16 of `u32`, 32 of `u16`), and
/// its copies span the element and one group more (`SPAN = LANES +
/// GROUP`). The one place that ties the groups to [`D`] and [`LANES`].
macro_rules! for_each_group {
    ($w:ident, $group:ident($($arg:expr),*)) => {
        if <$w as Word>::BITS == 16 {
            $group::<0, 32, 80, $w>($($arg),*);
            $group::<1, 32, 80, $w>($($arg),*);
        } else if <$w as Word>::BITS == 64 {
            $group::<0, 8, 56, $w>($($arg),*);
            $group::<1, 8, 56, $w>($($arg),*);
            $group::<2, 8, 56, $w>($($arg),*);
            $group::<3, 8, 56, $w>($($arg),*);
            $group::<4, 8, 56, $w>($($arg),*);
            $group::<5, 8, 56, $w>($($arg),*);
        } else {
            $group::<0, 16, 64, $w>($($arg),*);
            $group::<1, 16, 64, $w>($($arg),*);
            $group::<2, 16, 64, $w>($($arg),*);
        }
    };
}
// The groups above cover every bit of a mask and the spans every copy.
const _: () = assert!(D <= 2 * 32 && D <= 6 * 8 && D <= 3 * 16);
const _: () = assert!(LANES + 32 == 80 && LANES + 8 == 56 && LANES + 16 == 64);

/// Adds `m * a` to `w`, unreduced, for the `{0, 1}`-coefficient element
/// with mask `m`: every shifted copy is read from a padded copy of `a` and
/// added to whole aligned vectors of `w`, which stay in registers (a
/// shifted store into `w` would wait on the previous one). The bits go in
/// groups of one vector's words (8 of `u64`, 16 of `u32`, 32 of `u16`):
/// the copies for
/// group `g` touch only the vectors from `g` on, and a group starts where
/// a vector does, so that no load of `w` spans two stores of the group
/// before.
#[inline(always)]
pub(crate) fn mask_gather_acc<W: Word>(w: &mut Wide<W>, m: u64, a: &Gr<W>) {
    let mut padded = [W::ZERO; 3 * LANES];
    padded[LANES..2 * LANES].copy_from_slice(a);
    mask_gather_padded(w, m, &padded);
}

/// [`mask_gather_acc`] of the element in the middle of `padded` (zeros
/// around it): a loop over many elements zeroes the padding once.
#[inline(always)]
fn mask_gather_padded<W: Word>(w: &mut Wide<W>, m: u64, padded: &[W; 3 * LANES]) {
    let m = m & MASK;
    for_each_group!(W, gather_group(w, padded, m));
}

/// The copies of [`mask_gather_acc`] for bits `GROUP G .. GROUP (G + 1)`
/// of `m`, each `SPAN` words long (`LANES + GROUP`, rounded up to whole
/// vectors).
#[inline(always)]
fn gather_group<const G: usize, const GROUP: usize, const SPAN: usize, W: Word>(
    w: &mut Wide<W>,
    padded: &[W; 3 * LANES],
    m: u64,
) {
    let mut bits = (m >> (GROUP * G)) & ((1 << GROUP) - 1);
    while bits != 0 {
        let b = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        // Copy GROUP G + b covers words GROUP G + b .. GROUP G + b + LANES:
        // the SPAN words from GROUP G, read from the padded copy shifted by
        // b.
        let src = &padded[LANES - b..LANES - b + SPAN];
        for (o, &y) in w[GROUP * G..GROUP * G + SPAN].iter_mut().zip(src) {
            *o = o.add(y);
        }
    }
}

/// Words of an element padded for [`table_gather_acc`]: the element at
/// one group's offset (a vector's words: 8 of `u64`, 16 of `u32`, 32 of
/// `u16`), zeros around it, as far as a group's copies read.
pub(crate) const PADDED: usize = 128;

/// The 16 sums of four elements, padded: entry `v` is the sum of the
/// elements whose bit is set in `v`.
pub(crate) type Table<W> = [[W; PADDED]; 16];

/// Where an element starts in its padded copy: one group of bits.
#[inline(always)]
fn group<W: Word>() -> usize {
    512 / W::BITS as usize
}

/// A table of zeros.
pub(crate) fn empty_table<W: Word>() -> Box<Table<W>> {
    Box::new([[W::ZERO; PADDED]; 16])
}

/// Fills `table` with the 16 sums of `p` (one addition each; the padding
/// stays zero).
#[inline(always)]
pub(crate) fn sums_of_four<W: Word>(table: &mut Table<W>, p: &[Gr<W>; 4]) {
    let at = group::<W>();
    for v in 1..16usize {
        let low = v.trailing_zeros() as usize;
        let (done, rest) = table.split_at_mut(v);
        let prev = &done[v & (v - 1)][at..at + LANES];
        for ((o, &x), &y) in rest[0][at..at + LANES].iter_mut().zip(prev).zip(&p[low]) {
            *o = x.add(y);
        }
    }
}

/// Adds `sum_j m_j * p_j` to `w`, unreduced, for four `{0, 1}`-coefficient
/// elements with masks `m_j` and the table of sums of the `p_j`
/// ([`sums_of_four`]): `nibbles[b]` holds bit `b` of the four masks, and
/// coefficient `b` of the weights adds the sum it picks, one shifted copy
/// per bit instead of one per set bit and element. The copies go in the
/// groups of [`mask_gather_acc`], read from the padded table entries.
#[inline(always)]
pub(crate) fn table_gather_acc<W: Word>(w: &mut Wide<W>, nibbles: &[u8; D], table: &Table<W>) {
    for_each_group!(W, table_group(w, nibbles, table));
}

/// The copies of [`table_gather_acc`] for bits `GROUP G .. GROUP (G + 1)`.
#[inline(always)]
fn table_group<const G: usize, const GROUP: usize, const SPAN: usize, W: Word>(
    w: &mut Wide<W>,
    nibbles: &[u8; D],
    table: &Table<W>,
) {
    for beta in 0..GROUP {
        let b = GROUP * G + beta;
        if b >= D {
            break;
        }
        let v = nibbles[b] as usize;
        if v == 0 {
            continue;
        }
        // The entry sits at GROUP in its padded copy: read from GROUP - beta
        // to land it at b.
        let src = &table[v][GROUP - beta..GROUP - beta + SPAN];
        for (o, &y) in w[GROUP * G..GROUP * G + SPAN].iter_mut().zip(src) {
            *o = o.add(y);
        }
    }
}

/// `a + m * b` for the `{0, 1}`-coefficient element with mask `m` (the
/// folds do it in place, [`Fold`]).
#[cfg(test)]
pub(crate) fn add_mask_mul<W: Word>(a: &Gr<W>, m: u64, b: &Gr<W>) -> Gr<W> {
    let mut w = [W::ZERO; WIDE];
    w[..LANES].copy_from_slice(a);
    mask_gather_acc(&mut w, m, b);
    reduce(&w)
}

/// `m * a` for the `{0, 1}`-coefficient element with mask `m`.
pub(crate) fn mask_mul<W: Word>(m: u64, a: &Gr<W>) -> Gr<W> {
    let mut w = [W::ZERO; WIDE];
    mask_gather_acc(&mut w, m, a);
    reduce(&w)
}

/// The `{0, 1}`-coefficient element with mask `m`.
pub(crate) fn from_mask<W: Word>(m: u64) -> Gr<W> {
    let mut a = zero::<W>();
    for (i, c) in a[..D].iter_mut().enumerate() {
        *c = if (m >> i) & 1 == 1 { W::ONE } else { W::ZERO };
    }
    a
}

/// The mask of an element whose coefficients are all 0 or 1.
pub(crate) fn to_mask<W: Word>(a: &Gr<W>) -> Option<u64> {
    let mut m = 0u64;
    for (i, &c) in a[..D].iter().enumerate() {
        if c == W::ONE {
            m |= 1 << i;
        } else if c != W::ZERO {
            return None;
        }
    }
    Some(m)
}

/// `X^l * a` for `l < D`.
#[inline(always)]
pub(crate) fn shift<W: Word>(a: &Gr<W>, l: usize) -> Gr<W> {
    let mut w = [W::ZERO; WIDE];
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
pub(crate) fn uniform<W: Word>(prg: &mut Prg) -> Gr<W> {
    let mut a = zero::<W>();
    W::fill(prg, &mut a[..D]);
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

/// `GR(2^64, 48)` (or `GR(2^32, 48)`, `W = u32`, or `GR(2^16, 48)`,
/// `W = u16`) as the algebra of the proofs of ring multiplications.
pub(crate) struct Ring<W = u64>(PhantomData<W>);

/// `sum a_k b_k`.
struct Dot<'a, W: Word>(&'a [Gr<W>], &'a [Gr<W>]);

impl<W: Word> super::arch::WordTask for Dot<'_, W> {
    type Output = Gr<W>;
    #[inline(always)]
    fn run(self) -> Gr<W> {
        // M[i][j] = sum_k a_k[i] b_k[j], one aligned row per i, folded into
        // the wide product once at the end: every update is a full-vector
        // multiply-add at a fixed place.
        let mut m = vec![zero::<W>(); D];
        if !W::dot_fast(self.0, self.1, &mut m) {
            dot_rows(self.0, self.1, &mut m);
        }
        let mut w = [W::ZERO; WIDE];
        for (i, row) in m.iter().enumerate() {
            for (o, &c) in w[i..i + LANES].iter_mut().zip(row) {
                *o = o.add(c);
            }
        }
        reduce(&w)
    }
}

/// `m[i] += sum_k a_k[i] b_k`, without vector instructions.
#[inline(always)]
fn dot_rows<W: Word>(a: &[Gr<W>], b: &[Gr<W>], m: &mut [Gr<W>]) {
    for (x, y) in a.iter().zip(b) {
        for (row, &xi) in m.iter_mut().zip(x) {
            for (o, &bj) in row.iter_mut().zip(y) {
                *o = o.add(xi.mul(bj));
            }
        }
    }
}

/// `x0 + m x1` (`rev`: `m x0 + x1`) into `x0`, `m` a challenge's mask.
struct Fold<'a, W: Word> {
    x0: &'a mut [Gr<W>],
    x1: &'a [Gr<W>],
    m: u64,
    rev: bool,
}

impl<W: Word> super::arch::WordTask for Fold<'_, W> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        // The multiplied element goes in the middle of one padded copy,
        // zeroed once for the whole vector.
        let mut padded = [W::ZERO; 3 * LANES];
        for (a, b) in self.x0.iter_mut().zip(self.x1) {
            let (plain, times) = if self.rev { (b, &*a) } else { (&*a, b) };
            padded[LANES..2 * LANES].copy_from_slice(times);
            let mut w = [W::ZERO; WIDE];
            w[..LANES].copy_from_slice(plain);
            mask_gather_padded(&mut w, self.m, &padded);
            *a = reduce(&w);
        }
    }
}

impl<W: Word> super::Algebra for Ring<W> {
    type E = Gr<W>;
    const BYTES: usize = D * W::BITS as usize / 8;
    const CHECK: &'static str = "mul";
    // A round's products are general ring products (`48 * 48` word
    // products each): a fold by 8 costs 3.4 per entry and one by 4 2.25,
    // 1.125 per binary fold either way (a binary round alone costs 1.5).
    // The last, on at most 2,048 entries, folds by up to 32: 7.6 products
    // per entry, at most 15,552 in all, and a message of 242 elements.
    const LONG_BITS: usize = 3;
    const LAST_BITS: usize = 5;
    const FOLDS_ANY: bool = false;

    fn zero() -> Gr<W> {
        zero()
    }
    fn one() -> Gr<W> {
        one()
    }
    fn add(a: &Gr<W>, b: &Gr<W>) -> Gr<W> {
        add(a, b)
    }
    fn sub(a: &Gr<W>, b: &Gr<W>) -> Gr<W> {
        sub(a, b)
    }
    fn mul(a: &Gr<W>, b: &Gr<W>) -> Gr<W> {
        mul(a, b)
    }
    fn uniform(prg: &mut Prg) -> Gr<W> {
        uniform(prg)
    }
    fn challenge(prg: &mut Prg) -> Gr<W> {
        from_mask(challenge_mask(prg))
    }
    fn write(e: &Gr<W>, out: &mut Vec<u8>) {
        for c in &e[..D] {
            c.to_le(out);
        }
    }
    fn read(b: &[u8]) -> Gr<W> {
        let mut a = zero::<W>();
        for (c, w) in a[..D].iter_mut().zip(b.chunks_exact(W::BITS as usize / 8)) {
            *c = W::from_le(w);
        }
        a
    }
    fn dot(a: &[Gr<W>], b: &[Gr<W>]) -> Gr<W> {
        super::arch::dispatch_words(Dot(a, b))
    }
    fn fold(x: &mut Vec<Gr<W>>, r: &Gr<W>, rev: bool) {
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
            for tap in TAPS {
                w[k - D + tap] = w[k - D + tap].wrapping_sub(c);
            }
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
        // Each power X^k alone, as X^D = -X^5 - X^3 - X^2 - 1 folds it.
        for k in 0..2 * D - 1 {
            let mut w = [0u64; WIDE];
            w[k] = 1;
            assert_eq!(reduce(&w), reduce_one_by_one(&w), "X^{k}");
        }
    }

    #[test]
    fn the_modulus_is_irreducible_mod_2() {
        let f = TAPS.iter().fold((1u128 << D) | 1, |f, &t| f | (1u128 << t));
        assert_eq!(f.count_ones(), 5);
        assert!(poly2::irreducible(f, D as u32));
    }

    #[test]
    fn reduction_is_the_remainder() {
        // X^D reduces to -X^5 - X^3 - X^2 - 1; X^(2D-2) consistently with
        // X^D X^(D-2).
        let mut w = [0u64; WIDE];
        w[D] = 1;
        let mut want = ZERO;
        want[0] = u64::MAX;
        for t in TAPS {
            want[t] = u64::MAX;
        }
        assert_eq!(reduce(&w), want);
        let mut xd = ZERO;
        xd[D - 1] = 1;
        let a = mul(&xd, &xd);
        let b = mul(&shift(&one(), 1), &mul(&xd, &shift(&one(), D - 2)));
        assert_eq!(a, b);
    }

    #[test]
    fn ring_laws() {
        laws::<u64>(1);
        laws::<u32>(2);
        laws::<u16>(3);
        // Scaling by a word of Z_2^64 is multiplying by it as a constant.
        let mut r = prg(1);
        for _ in 0..20 {
            let a: Gr = uniform(&mut r);
            let s = r.word();
            let mut sc = ZERO;
            sc[0] = s;
            assert_eq!(scale(&a, s), mul(&sc, &a));
        }
    }

    /// The ring laws, and the shortcuts agree with the definitions.
    fn laws<W: Word>(seed: u8) {
        let mut r = prg(seed);
        for _ in 0..100 {
            let (a, b, c): (Gr<W>, Gr<W>, Gr<W>) =
                (uniform(&mut r), uniform(&mut r), uniform(&mut r));
            assert_eq!(mul(&a, &b), mul(&b, &a));
            assert_eq!(mul(&mul(&a, &b), &c), mul(&a, &mul(&b, &c)));
            assert_eq!(mul(&a, &add(&b, &c)), add(&mul(&a, &b), &mul(&a, &c)));
            assert_eq!(mul(&a, &one()), a);
            assert_eq!(sub(&add(&a, &b), &b), a);
            let m = uniform_mask(&mut r);
            assert_eq!(mask_mul(m, &a), mul(&from_mask(m), &a));
            assert_eq!(add_mask_mul(&b, m, &a), add(&b, &mul(&from_mask(m), &a)));
            let mut bytes = Vec::new();
            <Ring<W> as crate::verify::Algebra>::write(&a, &mut bytes);
            assert_eq!(bytes.len(), W::BITS as usize / 8 * D);
            assert_eq!(<Ring<W> as crate::verify::Algebra>::read(&bytes), a);
            assert!(mul(&a, &b)[D..].iter().all(|&c| c == W::ZERO));
            assert_eq!(to_mask(&from_mask::<W>(m)), Some(m));
            let l = (m % D as u64) as usize;
            let mut xl = zero::<W>();
            xl[l] = W::ONE;
            assert_eq!(shift(&a, l), mul(&xl, &a));
            let dot = <Ring<W> as crate::verify::Algebra>::dot(&[a, b], &[c, a]);
            assert_eq!(dot, add(&mul(&a, &c), &mul(&b, &a)));
            // The folds of the recursion: x0 + r x1, or r x0 + x1.
            let rm = from_mask::<W>(m);
            let mut x = vec![a, b, c, a];
            <Ring<W> as crate::verify::Algebra>::fold(&mut x, &rm, false);
            assert_eq!(x, vec![add(&a, &mul(&rm, &c)), add(&b, &mul(&rm, &a))]);
            let mut x = vec![a, b, c, a];
            <Ring<W> as crate::verify::Algebra>::fold(&mut x, &rm, true);
            assert_eq!(x, vec![add(&mul(&rm, &a), &c), add(&mul(&rm, &b), &a)]);
        }
    }

    /// Four masks at once through the table of sums are four gathers.
    #[test]
    fn table_gathers_are_four_mask_gathers() {
        four_gathers::<u64>(8);
        four_gathers::<u32>(9);
        four_gathers::<u16>(10);
    }

    fn four_gathers<W: Word>(seed: u8) {
        let mut r = prg(seed);
        let mut table = empty_table::<W>();
        for round in 0..50 {
            let p: [Gr<W>; 4] = std::array::from_fn(|_| uniform(&mut r));
            // Some rounds with zero masks and the all-ones mask.
            let m: [u64; 4] = std::array::from_fn(|j| match (round % 5, j) {
                (0, 1) => 0,
                (1, _) => MASK,
                _ => uniform_mask(&mut r),
            });
            let mut nibbles = [0u8; D];
            for (b, x) in nibbles.iter_mut().enumerate() {
                for (j, mj) in m.iter().enumerate() {
                    *x |= (((mj >> b) & 1) as u8) << j;
                }
            }
            let start: Wide<W> = std::array::from_fn(|k| {
                if k < 2 * D - 1 {
                    uniform::<W>(&mut r)[0]
                } else {
                    W::ZERO
                }
            });
            let mut want = start;
            for (pj, &mj) in p.iter().zip(&m) {
                mask_gather_acc(&mut want, mj, pj);
            }
            sums_of_four(&mut table, &p);
            let mut got = start;
            table_gather_acc(&mut got, &nibbles, &table);
            assert_eq!(reduce(&got), reduce(&want), "round {round}");
            assert!(got[2 * D - 1..].iter().all(|&c| c == W::ZERO));
        }
    }

    /// `GR(2^32, 48)` is `GR(2^64, 48)` mod `2^32`: the narrow ring's
    /// products are the low halves of the wide ring's.
    #[test]
    fn the_narrow_ring_is_the_wide_one_mod_2_32() {
        let mut r = prg(4);
        for _ in 0..50 {
            let (a, b): (Gr, Gr) = (uniform(&mut r), uniform(&mut r));
            let low = |x: &Gr| -> Gr<u32> { x.map(|c| c as u32) };
            assert_eq!(low(&mul(&a, &b)), mul(&low(&a), &low(&b)));
            let m = uniform_mask(&mut r);
            assert_eq!(low(&mask_mul(m, &a)), mask_mul(m, &low(&a)));
            let low16 = |x: &Gr| -> Gr<u16> { x.map(|c| c as u16) };
            assert_eq!(low16(&mul(&a, &b)), mul(&low16(&a), &low16(&b)));
            assert_eq!(low16(&mask_mul(m, &a)), mask_mul(m, &low16(&a)));
        }
    }

    #[test]
    fn inner_products_are_sums_of_products() {
        inner_products::<u64>(3);
        inner_products::<u32>(4);
        inner_products::<u16>(5);
    }

    /// An odd number of terms: the vector kernels take two at a time.
    fn inner_products<W: Word>(seed: u8) {
        let mut r = prg(seed);
        let a: Vec<Gr<W>> = (0..5).map(|_| uniform(&mut r)).collect();
        let b: Vec<Gr<W>> = (0..5).map(|_| uniform(&mut r)).collect();
        let want = a
            .iter()
            .zip(&b)
            .fold(zero(), |acc, (x, y)| add(&acc, &mul(x, y)));
        assert_eq!(<Ring<W> as crate::verify::Algebra>::dot(&a, &b), want);
        // The portable rows, folded the same way.
        let mut m = vec![zero::<W>(); D];
        dot_rows(&a, &b, &mut m);
        let mut w = [W::ZERO; WIDE];
        for (i, row) in m.iter().enumerate() {
            for (o, c) in w[i..i + LANES].iter_mut().zip(row) {
                *o = o.add(*c);
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

    /// The inverse of a unit (tests only): invert mod 2 in `GF(2^48)` by
    /// exponentiation, then lift.
    fn inverse(a: &Gr) -> Gr {
        // a^(2^48 - 2) mod 2 is the inverse there.
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
