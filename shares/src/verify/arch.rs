//! The CPU features the proofs' hot loops use where they exist: the
//! carry-less multiplication `pclmulqdq`, the one primitive of `GF(2^64)`
//! arithmetic, and wide vector registers for the word arithmetic of the
//! Galois ring.
//!
//! This is the only module of the crate that may use `unsafe`: an
//! instruction that the baseline `x86_64` target does not include can be
//! used only from code compiled for it (`#[target_feature]`), and such code
//! may be entered only after checking at run time that the CPU has the
//! instruction. Everything else here is the portable equivalent, used on
//! other CPUs and in the tests that compare the two.
//!
//! Hot loops are written once, generic over [`Clmul`], as a [`ClmulTask`];
//! [`dispatch`] runs a task either compiled with `pclmulqdq` enabled (its
//! `#[inline(always)]` body, and the `#[inline(always)]` multiplications in
//! it, are then inlined into code that uses the instruction) or portably.
//! Loops of plain word arithmetic are a [`WordTask`], which
//! [`dispatch_words`] compiles for AVX-512 or AVX2 where the CPU has them,
//! for the compiler to vectorise.
#![allow(unsafe_code)]

/// A 64 x 64 -> 128-bit carry-less multiplication.
pub(crate) trait Clmul {
    /// The product of `a` and `b` as polynomials over `GF(2)`: `(low, high)`
    /// 64 bits.
    fn clmul(a: u64, b: u64) -> (u64, u64);
}

/// Carry-less multiplication with integer multiplications on sparse masks
/// (every fourth bit), so that no carry reaches a bit that is kept: the
/// method of BearSSL's `ghash_ctmul64`, without secret-dependent branches
/// or table look-ups.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

#[inline(always)]
fn bmul64(x: u64, y: u64) -> u64 {
    const M0: u64 = 0x1111_1111_1111_1111;
    const M1: u64 = 0x2222_2222_2222_2222;
    const M2: u64 = 0x4444_4444_4444_4444;
    const M3: u64 = 0x8888_8888_8888_8888;
    let (x0, x1, x2, x3) = (x & M0, x & M1, x & M2, x & M3);
    let (y0, y1, y2, y3) = (y & M0, y & M1, y & M2, y & M3);
    let m = |a: u64, b: u64| a.wrapping_mul(b);
    let z0 = m(x0, y0) ^ m(x1, y3) ^ m(x2, y2) ^ m(x3, y1);
    let z1 = m(x0, y1) ^ m(x1, y0) ^ m(x2, y3) ^ m(x3, y2);
    let z2 = m(x0, y2) ^ m(x1, y1) ^ m(x2, y0) ^ m(x3, y3);
    let z3 = m(x0, y3) ^ m(x1, y2) ^ m(x2, y1) ^ m(x3, y0);
    (z0 & M0) | (z1 & M1) | (z2 & M2) | (z3 & M3)
}

impl Clmul for Portable {
    #[inline(always)]
    fn clmul(a: u64, b: u64) -> (u64, u64) {
        let lo = bmul64(a, b);
        // The high half is the low half of the product of the bit
        // reversals, reversed and shifted by one.
        let hi = bmul64(a.reverse_bits(), b.reverse_bits()).reverse_bits() >> 1;
        (lo, hi)
    }
}

/// The `pclmulqdq` instruction. Only [`dispatch`] creates code that uses
/// it, after checking that the CPU has it.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hardware;

#[cfg(target_arch = "x86_64")]
impl Clmul for Hardware {
    #[inline(always)]
    fn clmul(a: u64, b: u64) -> (u64, u64) {
        use std::arch::x86_64::{
            _mm_clmulepi64_si128, _mm_cvtsi64_si128, _mm_cvtsi128_si64, _mm_unpackhi_epi64,
        };
        // SAFETY: `Hardware` is used only by `run_hardware`, which
        // `dispatch` calls only when the CPU reports `pclmulqdq`; the other
        // intrinsics are SSE2, part of every x86_64 CPU.
        unsafe {
            let p =
                _mm_clmulepi64_si128(_mm_cvtsi64_si128(a as i64), _mm_cvtsi64_si128(b as i64), 0);
            (
                _mm_cvtsi128_si64(p) as u64,
                _mm_cvtsi128_si64(_mm_unpackhi_epi64(p, p)) as u64,
            )
        }
    }
}

/// A computation generic over the carry-less multiplication it uses.
pub(crate) trait ClmulTask {
    /// What the computation returns.
    type Output;
    /// Runs it with `C`. Implementations mark this `#[inline(always)]`, so
    /// that it is compiled into the caller [`dispatch`] chooses.
    fn run<C: Clmul>(self) -> Self::Output;
}

/// True if this CPU multiplies carry-less in hardware.
pub(crate) fn has_hardware_clmul() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `task` with the fastest carry-less multiplication this CPU has.
pub(crate) fn dispatch<T: ClmulTask>(task: T) -> T::Output {
    #[cfg(target_arch = "x86_64")]
    if has_hardware_clmul() {
        // SAFETY: the CPU has `pclmulqdq`, checked just above.
        return unsafe { run_hardware(task) };
    }
    task.run::<Portable>()
}

/// `task` compiled with `pclmulqdq` enabled.
///
/// # Safety
///
/// The CPU must support `pclmulqdq`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "pclmulqdq")]
unsafe fn run_hardware<T: ClmulTask>(task: T) -> T::Output {
    task.run::<Hardware>()
}

/// `GF(2^64)` loops on eight elements at a time with AVX-512 and
/// `vpclmulqdq` (four carry-less products per instruction), or four at a
/// time with AVX2 and the 256-bit `vpclmulqdq` (two per instruction) on
/// CPUs without AVX-512. Each function takes slices whose lengths are
/// multiples of eight; the callers do the rest with [`dispatch`].
#[cfg(target_arch = "x86_64")]
pub(crate) mod wide {
    use std::arch::x86_64::*;

    /// The widest form of this module's loops this CPU runs, checked once:
    /// 2 with AVX-512 F and `vpclmulqdq`, 1 with AVX2 and `vpclmulqdq`, 0
    /// with neither.
    pub(crate) fn level() -> u8 {
        use std::sync::atomic::{AtomicU8, Ordering};
        static LEVEL: AtomicU8 = AtomicU8::new(u8::MAX);
        let l = LEVEL.load(Ordering::Relaxed);
        if l != u8::MAX {
            return l;
        }
        let clmul = std::arch::is_x86_feature_detected!("vpclmulqdq");
        let l = if clmul && std::arch::is_x86_feature_detected!("avx512f") {
            2
        } else if clmul && std::arch::is_x86_feature_detected!("avx2") {
            1
        } else {
            0
        };
        LEVEL.store(l, Ordering::Relaxed);
        l
    }

    /// True if this CPU has the instructions of one form of this module.
    pub(crate) fn available() -> bool {
        level() > 0
    }

    /// Checks that the loops of `level` may run here: it is one of the
    /// forms and this CPU has its instructions.
    fn runs(level: u8) {
        assert!((1..=self::level()).contains(&level), "no such vector unit");
    }

    /// Eight words of `p` from `at`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn load(p: &[u64], at: usize) -> __m512i {
        assert!(at + 8 <= p.len());
        // SAFETY: the eight words at `at` are inside `p` (checked).
        unsafe { _mm512_loadu_epi64(p.as_ptr().add(at) as *const i64) }
    }

    /// Eight words into `p` from `at`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn store(p: &mut [u64], at: usize, v: __m512i) {
        assert!(at + 8 <= p.len());
        // SAFETY: the eight words at `at` are inside `p` (checked).
        unsafe { _mm512_storeu_epi64(p.as_mut_ptr().add(at) as *mut i64, v) }
    }

    /// The eight products `a_k b_k`, unreduced: `(low halves, high halves)`.
    #[target_feature(enable = "avx512f,vpclmulqdq")]
    #[inline]
    fn products(a: __m512i, b: __m512i) -> (__m512i, __m512i) {
        // Even lanes' products, then odd lanes', each 128 bits in a lane
        // pair; unpacking puts the halves back in element order.
        let even = _mm512_clmulepi64_epi128::<0x00>(a, b);
        let odd = _mm512_clmulepi64_epi128::<0x11>(a, b);
        (
            _mm512_unpacklo_epi64(even, odd),
            _mm512_unpackhi_epi64(even, odd),
        )
    }

    /// `lo + hi t^64` reduced, lane-wise (see `gf::reduce`).
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn reduce(lo: __m512i, hi: __m512i) -> __m512i {
        let over = _mm512_xor_si512(
            _mm512_srli_epi64::<60>(hi),
            _mm512_xor_si512(_mm512_srli_epi64::<61>(hi), _mm512_srli_epi64::<63>(hi)),
        );
        let f = _mm512_xor_si512(hi, over);
        let t = _mm512_xor_si512(
            _mm512_xor_si512(f, _mm512_slli_epi64::<1>(f)),
            _mm512_xor_si512(_mm512_slli_epi64::<3>(f), _mm512_slli_epi64::<4>(f)),
        );
        _mm512_xor_si512(lo, t)
    }

    /// XOR of the 128-bit lanes: `(low, high)` of the products summed.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn lanes(v: __m512i) -> (u64, u64) {
        let mut w = [0u64; 8];
        store(&mut w, 0, v);
        (w[0] ^ w[2] ^ w[4] ^ w[6], w[1] ^ w[3] ^ w[5] ^ w[7])
    }

    /// `sum a_k b_k`, unreduced.
    pub(crate) fn dot(a: &[u64], b: &[u64]) -> (u64, u64) {
        dot_at(level(), a, b)
    }

    /// [`dot`] with the loops of `level`.
    pub(crate) fn dot_at(level: u8, a: &[u64], b: &[u64]) -> (u64, u64) {
        runs(level);
        assert!(a.len() == b.len() && a.len().is_multiple_of(8));
        // SAFETY: the CPU has the features of `level`, checked just above.
        unsafe {
            if level == 2 {
                dot_inner(a, b)
            } else {
                avx2::dot(a, b)
            }
        }
    }

    #[target_feature(enable = "avx512f,vpclmulqdq")]
    fn dot_inner(a: &[u64], b: &[u64]) -> (u64, u64) {
        let (mut even, mut odd) = (_mm512_setzero_si512(), _mm512_setzero_si512());
        for at in (0..a.len()).step_by(8) {
            let (x, y) = (load(a, at), load(b, at));
            even = _mm512_xor_si512(even, _mm512_clmulepi64_epi128::<0x00>(x, y));
            odd = _mm512_xor_si512(odd, _mm512_clmulepi64_epi128::<0x11>(x, y));
        }
        lanes(_mm512_xor_si512(even, odd))
    }

    /// `x0 + r x1` (`rev`: `r x0 + x1`) into `x0`, reduced.
    pub(crate) fn fold(x0: &mut [u64], x1: &[u64], r: u64, rev: bool) {
        fold_at(level(), x0, x1, r, rev)
    }

    /// [`fold`] with the loops of `level`.
    pub(crate) fn fold_at(level: u8, x0: &mut [u64], x1: &[u64], r: u64, rev: bool) {
        runs(level);
        assert!(x0.len() == x1.len() && x0.len().is_multiple_of(8));
        // SAFETY: the CPU has the features of `level`, checked just above.
        unsafe {
            if level == 2 {
                fold_inner(x0, x1, r, rev)
            } else {
                avx2::fold(x0, x1, r, rev)
            }
        }
    }

    #[target_feature(enable = "avx512f,vpclmulqdq")]
    fn fold_inner(x0: &mut [u64], x1: &[u64], r: u64, rev: bool) {
        let rv = _mm512_set1_epi64(r as i64);
        for at in (0..x0.len()).step_by(8) {
            let (a, b) = (load(x0, at), load(x1, at));
            let (plain, scaled) = if rev { (b, a) } else { (a, b) };
            let (lo, hi) = products(rv, scaled);
            store(x0, at, _mm512_xor_si512(plain, reduce(lo, hi)));
        }
    }

    /// `out_k = a_k b_k`, reduced.
    pub(crate) fn mul(a: &[u64], b: &[u64], out: &mut [u64]) {
        mul_at(level(), a, b, out)
    }

    /// [`mul`] with the loops of `level`.
    pub(crate) fn mul_at(level: u8, a: &[u64], b: &[u64], out: &mut [u64]) {
        runs(level);
        assert!(a.len() == b.len() && a.len() == out.len() && a.len().is_multiple_of(8));
        // SAFETY: the CPU has the features of `level`, checked just above.
        unsafe {
            if level == 2 {
                mul_inner(a, b, out)
            } else {
                avx2::mul(a, b, out)
            }
        }
    }

    #[target_feature(enable = "avx512f,vpclmulqdq")]
    fn mul_inner(a: &[u64], b: &[u64], out: &mut [u64]) {
        for at in (0..a.len()).step_by(8) {
            let (lo, hi) = products(load(a, at), load(b, at));
            store(out, at, reduce(lo, hi));
        }
    }

    /// The first round's cross terms of the AND proof (see
    /// `boolean::coefficients`): for `d` in `1..up.len()`, into
    /// `acc[c - 1 + d]` the sum of `alpha_w ((u0 & v0 << d) ^ (u1 & v1 <<
    /// d)) & up[d]` and into `acc[c - 1 - d]` the same with `>>` and
    /// `down[d]`, unreduced (`c = up.len()`).
    pub(crate) fn cross(words: [&[u64]; 5], up: &[u64], down: &[u64], acc: &mut [(u64, u64)]) {
        cross_at(level(), words, up, down, acc)
    }

    /// [`cross`] with the loops of `level`.
    pub(crate) fn cross_at(
        level: u8,
        words: [&[u64]; 5],
        up: &[u64],
        down: &[u64],
        acc: &mut [(u64, u64)],
    ) {
        runs(level);
        let n = words[0].len();
        assert!(n.is_multiple_of(8) && words.iter().all(|w| w.len() == n));
        assert!(up.len() == down.len() && acc.len() == 2 * up.len() - 1);
        // SAFETY: the CPU has the features of `level`, checked just above.
        unsafe {
            if level == 2 {
                cross_inner(words, up, down, acc)
            } else {
                avx2::cross(words, up, down, acc)
            }
        }
    }

    #[target_feature(enable = "avx512f,vpclmulqdq")]
    fn cross_inner(
        [u0, v0, u1, v1, alpha]: [&[u64]; 5],
        up: &[u64],
        down: &[u64],
        acc: &mut [(u64, u64)],
    ) {
        // Blocks small enough to stay in the first-level cache while
        // every shift runs over them with its sums in registers.
        const BLOCK: usize = 256;
        let c = up.len();
        let mut sums = vec![_mm512_setzero_si512(); 2 * c];
        for start in (0..u0.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(u0.len());
            for d in 1..c {
                let count = _mm_cvtsi64_si128(d as i64);
                let (mu, md) = (
                    _mm512_set1_epi64(up[d] as i64),
                    _mm512_set1_epi64(down[d] as i64),
                );
                let (mut su, mut sd) = (_mm512_setzero_si512(), _mm512_setzero_si512());
                for at in (start..end).step_by(8) {
                    let (a0, b0, a1, b1, al) = (
                        load(u0, at),
                        load(v0, at),
                        load(u1, at),
                        load(v1, at),
                        load(alpha, at),
                    );
                    let p_up = _mm512_and_si512(
                        _mm512_xor_si512(
                            _mm512_and_si512(a0, _mm512_sll_epi64(b0, count)),
                            _mm512_and_si512(a1, _mm512_sll_epi64(b1, count)),
                        ),
                        mu,
                    );
                    let p_down = _mm512_and_si512(
                        _mm512_xor_si512(
                            _mm512_and_si512(a0, _mm512_srl_epi64(b0, count)),
                            _mm512_and_si512(a1, _mm512_srl_epi64(b1, count)),
                        ),
                        md,
                    );
                    su = _mm512_xor_si512(
                        su,
                        _mm512_xor_si512(
                            _mm512_clmulepi64_epi128::<0x00>(al, p_up),
                            _mm512_clmulepi64_epi128::<0x11>(al, p_up),
                        ),
                    );
                    sd = _mm512_xor_si512(
                        sd,
                        _mm512_xor_si512(
                            _mm512_clmulepi64_epi128::<0x00>(al, p_down),
                            _mm512_clmulepi64_epi128::<0x11>(al, p_down),
                        ),
                    );
                }
                sums[c - 1 + d] = _mm512_xor_si512(sums[c - 1 + d], su);
                sums[c - 1 - d] = _mm512_xor_si512(sums[c - 1 - d], sd);
            }
        }
        for (a, s) in acc.iter_mut().zip(&sums) {
            let (lo, hi) = lanes(*s);
            a.0 ^= lo;
            a.1 ^= hi;
        }
    }

    /// The loops above four words at a time, for CPUs with AVX2 and the
    /// 256-bit `vpclmulqdq` but not AVX-512. The callers check the
    /// features (`runs(1)`) and the slices' lengths (multiples of eight).
    mod avx2 {
        use std::arch::x86_64::*;

        /// Four words of `p` from `at`.
        #[target_feature(enable = "avx2")]
        #[inline]
        fn load(p: &[u64], at: usize) -> __m256i {
            assert!(at + 4 <= p.len());
            // SAFETY: the four words at `at` are inside `p` (checked).
            unsafe { _mm256_loadu_si256(p.as_ptr().add(at) as *const __m256i) }
        }

        /// Four words into `p` from `at`.
        #[target_feature(enable = "avx2")]
        #[inline]
        fn store(p: &mut [u64], at: usize, v: __m256i) {
            assert!(at + 4 <= p.len());
            // SAFETY: the four words at `at` are inside `p` (checked).
            unsafe { _mm256_storeu_si256(p.as_mut_ptr().add(at) as *mut __m256i, v) }
        }

        /// The four products `a_k b_k`, unreduced: `(low halves, high
        /// halves)`.
        #[target_feature(enable = "avx2,vpclmulqdq")]
        #[inline]
        fn products(a: __m256i, b: __m256i) -> (__m256i, __m256i) {
            let even = _mm256_clmulepi64_epi128::<0x00>(a, b);
            let odd = _mm256_clmulepi64_epi128::<0x11>(a, b);
            (
                _mm256_unpacklo_epi64(even, odd),
                _mm256_unpackhi_epi64(even, odd),
            )
        }

        /// `lo + hi t^64` reduced, lane-wise (see `gf::reduce`).
        #[target_feature(enable = "avx2")]
        #[inline]
        fn reduce(lo: __m256i, hi: __m256i) -> __m256i {
            let over = _mm256_xor_si256(
                _mm256_srli_epi64::<60>(hi),
                _mm256_xor_si256(_mm256_srli_epi64::<61>(hi), _mm256_srli_epi64::<63>(hi)),
            );
            let f = _mm256_xor_si256(hi, over);
            let t = _mm256_xor_si256(
                _mm256_xor_si256(f, _mm256_slli_epi64::<1>(f)),
                _mm256_xor_si256(_mm256_slli_epi64::<3>(f), _mm256_slli_epi64::<4>(f)),
            );
            _mm256_xor_si256(lo, t)
        }

        /// XOR of the 128-bit lanes: `(low, high)` of the products summed.
        #[target_feature(enable = "avx2")]
        #[inline]
        fn lanes(v: __m256i) -> (u64, u64) {
            let mut w = [0u64; 4];
            store(&mut w, 0, v);
            (w[0] ^ w[2], w[1] ^ w[3])
        }

        /// The sum of both products of a lane pair: `a_k b_k` of the even
        /// and the odd words, unreduced, in each 128-bit lane.
        #[target_feature(enable = "avx2,vpclmulqdq")]
        #[inline]
        fn both(a: __m256i, b: __m256i) -> __m256i {
            _mm256_xor_si256(
                _mm256_clmulepi64_epi128::<0x00>(a, b),
                _mm256_clmulepi64_epi128::<0x11>(a, b),
            )
        }

        #[target_feature(enable = "avx2,vpclmulqdq")]
        pub(super) fn dot(a: &[u64], b: &[u64]) -> (u64, u64) {
            let mut sum = _mm256_setzero_si256();
            for at in (0..a.len()).step_by(4) {
                sum = _mm256_xor_si256(sum, both(load(a, at), load(b, at)));
            }
            lanes(sum)
        }

        #[target_feature(enable = "avx2,vpclmulqdq")]
        pub(super) fn fold(x0: &mut [u64], x1: &[u64], r: u64, rev: bool) {
            let rv = _mm256_set1_epi64x(r as i64);
            for at in (0..x0.len()).step_by(4) {
                let (a, b) = (load(x0, at), load(x1, at));
                let (plain, scaled) = if rev { (b, a) } else { (a, b) };
                let (lo, hi) = products(rv, scaled);
                store(x0, at, _mm256_xor_si256(plain, reduce(lo, hi)));
            }
        }

        #[target_feature(enable = "avx2,vpclmulqdq")]
        pub(super) fn mul(a: &[u64], b: &[u64], out: &mut [u64]) {
            for at in (0..a.len()).step_by(4) {
                let (lo, hi) = products(load(a, at), load(b, at));
                store(out, at, reduce(lo, hi));
            }
        }

        #[target_feature(enable = "avx2,vpclmulqdq")]
        pub(super) fn cross(
            [u0, v0, u1, v1, alpha]: [&[u64]; 5],
            up: &[u64],
            down: &[u64],
            acc: &mut [(u64, u64)],
        ) {
            // As in the AVX-512 loop: blocks that stay in the first-level
            // cache while every shift runs over them.
            const BLOCK: usize = 256;
            let c = up.len();
            let mut sums = vec![_mm256_setzero_si256(); 2 * c];
            for start in (0..u0.len()).step_by(BLOCK) {
                let end = (start + BLOCK).min(u0.len());
                for d in 1..c {
                    let count = _mm_cvtsi64_si128(d as i64);
                    let (mu, md) = (
                        _mm256_set1_epi64x(up[d] as i64),
                        _mm256_set1_epi64x(down[d] as i64),
                    );
                    let (mut su, mut sd) = (_mm256_setzero_si256(), _mm256_setzero_si256());
                    for at in (start..end).step_by(4) {
                        let (a0, b0, a1, b1, al) = (
                            load(u0, at),
                            load(v0, at),
                            load(u1, at),
                            load(v1, at),
                            load(alpha, at),
                        );
                        let p_up = _mm256_and_si256(
                            _mm256_xor_si256(
                                _mm256_and_si256(a0, _mm256_sll_epi64(b0, count)),
                                _mm256_and_si256(a1, _mm256_sll_epi64(b1, count)),
                            ),
                            mu,
                        );
                        let p_down = _mm256_and_si256(
                            _mm256_xor_si256(
                                _mm256_and_si256(a0, _mm256_srl_epi64(b0, count)),
                                _mm256_and_si256(a1, _mm256_srl_epi64(b1, count)),
                            ),
                            md,
                        );
                        su = _mm256_xor_si256(su, both(al, p_up));
                        sd = _mm256_xor_si256(sd, both(al, p_down));
                    }
                    sums[c - 1 + d] = _mm256_xor_si256(sums[c - 1 + d], su);
                    sums[c - 1 - d] = _mm256_xor_si256(sums[c - 1 - d], sd);
                }
            }
            for (a, s) in acc.iter_mut().zip(&sums) {
                let (lo, hi) = lanes(*s);
                a.0 ^= lo;
                a.1 ^= hi;
            }
        }
    }
}

/// Galois-ring loops on whole elements (48 words, six vectors) with
/// AVX-512's 64-bit lane multiplication, sums kept in registers.
#[cfg(target_arch = "x86_64")]
pub(crate) mod ring {
    use std::arch::x86_64::*;

    /// Words of an element.
    pub(crate) const LANES: usize = super::super::gr::LANES;
    const V: usize = LANES / 8;

    /// True if this CPU has the instructions of this module, checked once.
    pub(crate) fn available() -> bool {
        super::vector_level() == 2
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn load(p: &[u64; LANES]) -> [__m512i; V] {
        // SAFETY: each of the six loads reads eight words inside `p`.
        std::array::from_fn(|j| unsafe { _mm512_loadu_epi64(p.as_ptr().add(8 * j) as *const i64) })
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn store(p: &mut [u64; LANES], v: &[__m512i; V]) {
        for (j, x) in v.iter().enumerate() {
            // SAFETY: each of the six stores writes eight words inside
            // `p`.
            unsafe { _mm512_storeu_epi64(p.as_mut_ptr().add(8 * j) as *mut i64, *x) }
        }
    }

    /// `out_k = sum_i g_i x_(k + i stride)`: ring elements times words.
    pub(crate) fn combine(g: &[[u64; LANES]], x: &[u64], stride: usize, out: &mut [[u64; LANES]]) {
        assert!(available() && out.len() <= stride && x.len() >= stride * g.len());
        // SAFETY: the CPU has the features, checked just above.
        unsafe { combine_inner(g, x, stride, out) }
    }

    #[target_feature(enable = "avx512f,avx512dq")]
    fn combine_inner(g: &[[u64; LANES]], x: &[u64], stride: usize, out: &mut [[u64; LANES]]) {
        for (k, o) in out.iter_mut().enumerate() {
            let mut acc = [_mm512_setzero_si512(); V];
            for (i, gi) in g.iter().enumerate() {
                let xi = x[k + i * stride];
                let b = _mm512_set1_epi64(xi as i64);
                let gv = load(gi);
                for j in 0..V {
                    acc[j] = _mm512_add_epi64(acc[j], _mm512_mullo_epi64(gv[j], b));
                }
            }
            store(o, &acc);
        }
    }

    /// `sum_k a_k b_k` unreduced, as the matrix `m[i] = sum_k a_k[i] b_k`
    /// (row `i` to be added at coefficient `i`); `d` is the number of
    /// coefficients in use.
    pub(crate) fn dot(a: &[[u64; LANES]], b: &[[u64; LANES]], d: usize, m: &mut [[u64; LANES]]) {
        assert!(available() && a.len() == b.len() && m.len() == d && d <= LANES);
        // SAFETY: the CPU has the features, checked just above.
        unsafe { dot_inner(a, b, m) }
    }

    #[target_feature(enable = "avx512f,avx512dq")]
    fn dot_inner(a: &[[u64; LANES]], b: &[[u64; LANES]], m: &mut [[u64; LANES]]) {
        // Two products at a time: each row of m is loaded and stored once
        // per pair.
        let pairs = a.len() / 2;
        for p in 0..pairs {
            let (a0, a1) = (&a[2 * p], &a[2 * p + 1]);
            let (b0, b1) = (load(&b[2 * p]), load(&b[2 * p + 1]));
            for (i, row) in m.iter_mut().enumerate() {
                let (x0, x1) = (
                    _mm512_set1_epi64(a0[i] as i64),
                    _mm512_set1_epi64(a1[i] as i64),
                );
                let mut r = load(row);
                for j in 0..V {
                    r[j] = _mm512_add_epi64(
                        r[j],
                        _mm512_add_epi64(
                            _mm512_mullo_epi64(b0[j], x0),
                            _mm512_mullo_epi64(b1[j], x1),
                        ),
                    );
                }
                store(row, &r);
            }
        }
        if a.len() % 2 == 1 {
            let (a0, b0) = (&a[a.len() - 1], load(&b[a.len() - 1]));
            for (i, row) in m.iter_mut().enumerate() {
                let x0 = _mm512_set1_epi64(a0[i] as i64);
                let mut r = load(row);
                for j in 0..V {
                    r[j] = _mm512_add_epi64(r[j], _mm512_mullo_epi64(b0[j], x0));
                }
                store(row, &r);
            }
        }
    }
}

/// Galois-ring loops on elements of 16-bit or 32-bit words with AVX-512:
/// an element's 48 words are whole vectors of 512 bits, then (16-bit
/// words) one of 256 bits where the element ends (no masked access: a
/// masked store is slow on some CPUs). Left to the compiler, these loops
/// use vectors of 16 words, the widest that divides 48.
#[cfg(target_arch = "x86_64")]
macro_rules! narrow_ring {
    (
        $name:ident, $t:ty, $feat:literal,
        $z:literal, $y:literal, $x:literal,
        ($set1:ident, $mul:ident, $add:ident),
        ($set1y:ident, $muly:ident, $addy:ident),
        ($set1x:ident, $mulx:ident, $addx:ident)
    ) => {
        pub(crate) mod $name {
            use std::arch::x86_64::*;

            /// Words of an element.
            pub(crate) const LANES: usize = super::super::gr::LANES;
            /// Words of a vector of 512, 256 and 128 bits.
            const PZ: usize = 512 / <$t>::BITS as usize;
            const PY: usize = PZ / 2;
            const PX: usize = PZ / 4;
            const _: () = assert!($z * PZ + $y * PY + $x * PX == LANES);

            /// An element in registers.
            #[derive(Clone, Copy)]
            struct E {
                z: [__m512i; $z],
                y: [__m256i; $y],
                x: [__m128i; $x],
            }

            #[target_feature(enable = $feat)]
            #[inline]
            fn zero() -> E {
                E {
                    z: std::array::from_fn(|_| _mm512_setzero_si512()),
                    y: std::array::from_fn(|_| _mm256_setzero_si256()),
                    x: std::array::from_fn(|_| _mm_setzero_si128()),
                }
            }

            #[target_feature(enable = $feat)]
            #[inline]
            fn load(p: &[$t; LANES]) -> E {
                let q = p.as_ptr();
                // SAFETY: the vectors cover words 0..LANES of `p`, each
                // inside it.
                unsafe {
                    E {
                        z: std::array::from_fn(|j| _mm512_loadu_si512(q.add(PZ * j) as _)),
                        y: std::array::from_fn(
                            |j| _mm256_loadu_si256(q.add($z * PZ + PY * j) as _),
                        ),
                        x: std::array::from_fn(|j| {
                            _mm_loadu_si128(q.add($z * PZ + $y * PY + PX * j) as _)
                        }),
                    }
                }
            }

            #[target_feature(enable = $feat)]
            #[inline]
            fn store(p: &mut [$t; LANES], e: &E) {
                let q = p.as_mut_ptr();
                // SAFETY: as in `load`.
                unsafe {
                    for (j, v) in e.z.iter().enumerate() {
                        _mm512_storeu_si512(q.add(PZ * j) as _, *v);
                    }
                    for (j, v) in e.y.iter().enumerate() {
                        _mm256_storeu_si256(q.add($z * PZ + PY * j) as _, *v);
                    }
                    for (j, v) in e.x.iter().enumerate() {
                        _mm_storeu_si128(q.add($z * PZ + $y * PY + PX * j) as _, *v);
                    }
                }
            }

            /// `acc + e w`.
            #[target_feature(enable = $feat)]
            #[inline]
            fn mul_add(acc: &mut E, e: &E, w: $t) {
                let (bz, by, bx) = ($set1(w as _), $set1y(w as _), $set1x(w as _));
                for (a, v) in acc.z.iter_mut().zip(&e.z) {
                    *a = $add(*a, $mul(*v, bz));
                }
                for (a, v) in acc.y.iter_mut().zip(&e.y) {
                    *a = $addy(*a, $muly(*v, by));
                }
                for (a, v) in acc.x.iter_mut().zip(&e.x) {
                    *a = $addx(*a, $mulx(*v, bx));
                }
            }

            /// `out_k = sum_i g_i w(x_(k + i stride))`, `w(x)` the top
            /// bits of `x` if `scaled`, else its low bits.
            pub(crate) fn combine(
                g: &[[$t; LANES]],
                x: &[u64],
                stride: usize,
                out: &mut [[$t; LANES]],
                scaled: bool,
            ) {
                assert!(
                    super::ring::available() && out.len() <= stride && x.len() >= stride * g.len()
                );
                // SAFETY: the CPU has the features, checked just above.
                unsafe { combine_inner(g, x, stride, out, scaled) }
            }

            #[target_feature(enable = $feat)]
            fn combine_inner(
                g: &[[$t; LANES]],
                x: &[u64],
                stride: usize,
                out: &mut [[$t; LANES]],
                scaled: bool,
            ) {
                let shift = if scaled { 64 - <$t>::BITS } else { 0 };
                // Four outputs at a time: each g_i is loaded once for them.
                let done = out.len() / 4 * 4;
                let mut quads = out.chunks_exact_mut(4);
                for (q, o) in (&mut quads).enumerate() {
                    let k = 4 * q;
                    let mut acc = [zero(); 4];
                    for (i, gi) in g.iter().enumerate() {
                        let e = load(gi);
                        let xs = &x[k + i * stride..k + i * stride + 4];
                        for (a, &xi) in acc.iter_mut().zip(xs) {
                            mul_add(a, &e, (xi >> shift) as $t);
                        }
                    }
                    for (oj, a) in o.iter_mut().zip(&acc) {
                        store(oj, a);
                    }
                }
                for (j, o) in quads.into_remainder().iter_mut().enumerate() {
                    let k = done + j;
                    let mut acc = zero();
                    for (i, gi) in g.iter().enumerate() {
                        mul_add(&mut acc, &load(gi), (x[k + i * stride] >> shift) as $t);
                    }
                    store(o, &acc);
                }
            }

            /// `m[i] += sum_k a_k[i] b_k` for the rows `i` of `m`.
            pub(crate) fn dot(a: &[[$t; LANES]], b: &[[$t; LANES]], m: &mut [[$t; LANES]]) {
                assert!(super::ring::available() && a.len() == b.len() && m.len() <= LANES);
                // SAFETY: the CPU has the features, checked just above.
                unsafe { dot_inner(a, b, m) }
            }

            #[target_feature(enable = $feat)]
            fn dot_inner(a: &[[$t; LANES]], b: &[[$t; LANES]], m: &mut [[$t; LANES]]) {
                // Row by row, the row's sum kept in registers.
                for (i, row) in m.iter_mut().enumerate() {
                    let mut acc = load(row);
                    for (ak, bk) in a.iter().zip(b) {
                        mul_add(&mut acc, &load(bk), ak[i]);
                    }
                    store(row, &acc);
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
narrow_ring!(
    ring16,
    u16,
    "avx512f,avx512bw,avx2",
    1,
    1,
    0,
    (_mm512_set1_epi16, _mm512_mullo_epi16, _mm512_add_epi16),
    (_mm256_set1_epi16, _mm256_mullo_epi16, _mm256_add_epi16),
    (_mm_set1_epi16, _mm_mullo_epi16, _mm_add_epi16)
);
#[cfg(target_arch = "x86_64")]
narrow_ring!(
    ring32,
    u32,
    "avx512f,avx2",
    3,
    0,
    0,
    (_mm512_set1_epi32, _mm512_mullo_epi32, _mm512_add_epi32),
    (_mm256_set1_epi32, _mm256_mullo_epi32, _mm256_add_epi32),
    (_mm_set1_epi32, _mm_mullo_epi32, _mm_add_epi32)
);

/// A loop of word arithmetic.
pub(crate) trait WordTask {
    /// What the computation returns.
    type Output;
    /// Runs it. Implementations mark this `#[inline(always)]`, so that it is
    /// compiled into the caller [`dispatch_words`] chooses.
    fn run(self) -> Self::Output;
}

/// The widest vector unit this CPU has, checked once: 2 for AVX-512 (F,
/// DQ, VL), 1 for AVX2, 0 for neither.
#[cfg(target_arch = "x86_64")]
fn vector_level() -> u8 {
    use std::sync::atomic::{AtomicU8, Ordering};
    static LEVEL: AtomicU8 = AtomicU8::new(u8::MAX);
    let l = LEVEL.load(Ordering::Relaxed);
    if l != u8::MAX {
        return l;
    }
    let l = if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512bw")
    {
        2
    } else if std::arch::is_x86_feature_detected!("avx2") {
        1
    } else {
        0
    };
    LEVEL.store(l, Ordering::Relaxed);
    l
}

/// Runs `task` compiled for the widest vector unit this CPU has.
pub(crate) fn dispatch_words<T: WordTask>(task: T) -> T::Output {
    #[cfg(target_arch = "x86_64")]
    match vector_level() {
        // SAFETY: the CPU has AVX-512 F, DQ, VL and BW, checked by
        // `vector_level`.
        2 => return unsafe { run_avx512(task) },
        // SAFETY: the CPU has AVX2, checked by `vector_level`.
        1 => return unsafe { run_avx2(task) },
        _ => {}
    }
    task.run()
}

/// `task` compiled for AVX-512 (64-bit lane multiplications).
///
/// # Safety
///
/// The CPU must support AVX-512 F, DQ, VL and BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
unsafe fn run_avx512<T: WordTask>(task: T) -> T::Output {
    task.run()
}

/// `task` compiled for AVX2.
///
/// # Safety
///
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<T: WordTask>(task: T) -> T::Output {
    task.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The product bit by bit, by definition.
    fn schoolbook(a: u64, b: u64) -> (u64, u64) {
        let mut p = 0u128;
        for i in 0..64 {
            if (b >> i) & 1 == 1 {
                p ^= (a as u128) << i;
            }
        }
        (p as u64, (p >> 64) as u64)
    }

    struct Many(Vec<(u64, u64)>);
    impl ClmulTask for Many {
        type Output = Vec<(u64, u64)>;
        #[inline(always)]
        fn run<C: Clmul>(self) -> Vec<(u64, u64)> {
            self.0.iter().map(|&(a, b)| C::clmul(a, b)).collect()
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn wide_kernels_match_the_scalar_ones() {
        let mut s = 7u64;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s ^ (s >> 31)
        };
        // Every form this CPU runs (none on a CPU without `vpclmulqdq`).
        for level in 1..=wide::level() {
            let n = 64;
            let (a, b): (Vec<u64>, Vec<u64>) = (0..n).map(|_| (next(), next())).unzip();
            let red = |(lo, hi): (u64, u64)| crate::verify::gf::reduce(lo, hi);
            let want: Vec<u64> = a
                .iter()
                .zip(&b)
                .map(|(x, y)| red(Portable::clmul(*x, *y)))
                .collect();
            let mut out = vec![0; n];
            wide::mul_at(level, &a, &b, &mut out);
            assert_eq!(out, want);
            let sum = want.iter().fold(0, |acc, x| acc ^ x);
            assert_eq!(red(wide::dot_at(level, &a, &b)), sum);
            let r = next();
            let mut x0 = a.clone();
            wide::fold_at(level, &mut x0, &b, r, false);
            let w: Vec<u64> = a
                .iter()
                .zip(&b)
                .map(|(x, y)| x ^ red(Portable::clmul(r, *y)))
                .collect();
            assert_eq!(x0, w);
            let mut x0 = a.clone();
            wide::fold_at(level, &mut x0, &b, r, true);
            let w: Vec<u64> = a
                .iter()
                .zip(&b)
                .map(|(x, y)| red(Portable::clmul(r, *x)) ^ y)
                .collect();
            assert_eq!(x0, w);

            // The AND proof's cross terms, over more words than a block,
            // with random masks, added to what the sums held.
            let n = 520;
            let words: Vec<Vec<u64>> = (0..5).map(|_| (0..n).map(|_| next()).collect()).collect();
            let c = 64;
            let (up, down): (Vec<u64>, Vec<u64>) = (0..c).map(|_| (next(), next())).unzip();
            let start: Vec<(u64, u64)> = (0..2 * c - 1).map(|_| (next(), next())).collect();
            let mut want = start.clone();
            let rows = (0..n).map(|w| -> [u64; 5] { std::array::from_fn(|k| words[k][w]) });
            for [u0, v0, u1, v1, al] in rows {
                for d in 1..c {
                    let p = ((u0 & (v0 << d)) ^ (u1 & (v1 << d))) & up[d];
                    let (lo, hi) = Portable::clmul(al, p);
                    want[c - 1 + d].0 ^= lo;
                    want[c - 1 + d].1 ^= hi;
                    let p = ((u0 & (v0 >> d)) ^ (u1 & (v1 >> d))) & down[d];
                    let (lo, hi) = Portable::clmul(al, p);
                    want[c - 1 - d].0 ^= lo;
                    want[c - 1 - d].1 ^= hi;
                }
            }
            let mut got = start;
            let w: [&[u64]; 5] = std::array::from_fn(|k| &words[k][..]);
            wide::cross_at(level, w, &up, &down, &mut got);
            assert_eq!(got, want, "level {level}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn ring_kernels_match_the_scalar_loops() {
        if !ring::available() {
            return;
        }
        let mut s = 11u64;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s ^ (s >> 29)
        };
        let mut elem = || {
            let mut e = [0u64; ring::LANES];
            for c in e[..super::super::gr::D].iter_mut() {
                *c = next();
            }
            e
        };
        let (l, k) = (5, 7);
        let g: Vec<[u64; ring::LANES]> = (0..l).map(|_| elem()).collect();
        let a: Vec<[u64; ring::LANES]> = (0..k).map(|_| elem()).collect();
        let x: Vec<u64> = a.iter().flat_map(|e| e[..l].to_vec()).collect();
        let mut out = vec![[0u64; ring::LANES]; k];
        // x holds l rows of k words: entry j of row i at j + i k.
        ring::combine(&g, &x, k, &mut out);
        for (j, o) in out.iter().enumerate() {
            for c in 0..ring::LANES {
                let want = (0..l).fold(0u64, |acc, i| {
                    acc.wrapping_add(g[i][c].wrapping_mul(x[j + i * k]))
                });
                assert_eq!(o[c], want);
            }
        }
        let b: Vec<[u64; ring::LANES]> = (0..k).map(|_| elem()).collect();
        let d = super::super::gr::D;
        let mut m = vec![[0u64; ring::LANES]; d];
        ring::dot(&a, &b, d, &mut m);
        for i in 0..d {
            for c in 0..ring::LANES {
                let want = (0..k).fold(0u64, |acc, t| {
                    acc.wrapping_add(a[t][i].wrapping_mul(b[t][c]))
                });
                assert_eq!(m[i][c], want);
            }
        }
    }

    #[test]
    fn portable_and_dispatched_products_match_the_definition() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut pairs = vec![
            (0, 0),
            (u64::MAX, u64::MAX),
            (1, u64::MAX),
            (1 << 63, 1 << 63),
        ];
        for _ in 0..2000 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = s;
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            pairs.push((a, s));
        }
        let want: Vec<_> = pairs.iter().map(|&(a, b)| schoolbook(a, b)).collect();
        assert_eq!(Many(pairs.clone()).run::<Portable>(), want);
        assert_eq!(dispatch(Many(pairs)), want);
    }
}
