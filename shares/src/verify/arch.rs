//! Carry-less multiplication, the one primitive of `GF(2^64)` arithmetic,
//! through the CPU's `pclmulqdq` instruction where it exists.
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
