//! Polynomials over `GF(2)` of degree below 128 as bit masks: the
//! irreducibility checks of the two moduli (tests only).

/// The carry-less product of two polynomials whose product fits in 128
/// bits.
pub(crate) fn mul(a: u128, b: u128) -> u128 {
    let mut p = 0u128;
    for i in 0..128 {
        if (b >> i) & 1 == 1 {
            p ^= a << i;
        }
    }
    p
}

fn degree(a: u128) -> i32 {
    127 - a.leading_zeros() as i32
}

/// `a mod f`.
pub(crate) fn rem(mut a: u128, f: u128) -> u128 {
    let df = degree(f);
    while a != 0 && degree(a) >= df {
        a ^= f << (degree(a) - df);
    }
    a
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let r = rem(a, b);
        a = b;
        b = r;
    }
    a
}

/// `x^(2^k) mod f`, by `k` squarings of `x`.
fn x_pow_pow2(k: u32, f: u128) -> u128 {
    let mut a = rem(2, f);
    for _ in 0..k {
        a = rem(mul(a, a), f);
    }
    a
}

/// Rabin's test: `f` of degree `n` (below 64) is irreducible iff
/// `x^(2^n) = x mod f` and `gcd(x^(2^(n/p)) - x, f) = 1` for every prime
/// `p` dividing `n`.
pub(crate) fn irreducible(f: u128, n: u32) -> bool {
    assert_eq!(degree(f), n as i32);
    if x_pow_pow2(n, f) != rem(2, f) {
        return false;
    }
    let mut m = n;
    let mut p = 2;
    while m > 1 {
        if m.is_multiple_of(p) {
            let g = gcd(f, x_pow_pow2(n / p, f) ^ rem(2, f));
            if g != 1 {
                return false;
            }
            while m.is_multiple_of(p) {
                m /= p;
            }
        }
        p += 1;
    }
    true
}
