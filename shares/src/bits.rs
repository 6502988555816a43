//! Bit slicing: turning `n` words into bit planes (plane `j` packs bit `j`
//! of every element, 64 elements per word) and back, via 64x64 bit-matrix
//! transposes. Boolean circuits then do 64 gates per word operation.

/// Transposes a 64x64 bit matrix in place: afterwards bit `c` of row `r` is
/// what bit `r` of row `c` was.
pub fn transpose64(a: &mut [u64; 64]) {
    let mut j = 32;
    let mut m: u64 = 0x0000_0000_FFFF_FFFF;
    while j != 0 {
        let mut k = 0;
        while k < 64 {
            let t = ((a[k] >> j) ^ a[k + j]) & m;
            a[k] ^= t << j;
            a[k + j] ^= t;
            k = (k + j + 1) & !j;
        }
        j >>= 1;
        m ^= m << j;
    }
}

/// Words per plane for `n` elements.
pub fn plane_words(n: usize) -> usize {
    n.div_ceil(64)
}

/// The low `bits` bits of `values` as `bits` planes of `plane_words(n)`
/// words each, plane `j` at `[j * w, (j + 1) * w)`.
pub fn to_planes(values: &[u64], bits: usize) -> Vec<u64> {
    let w = plane_words(values.len());
    let mut out = vec![0u64; bits * w];
    let mut block = [0u64; 64];
    for (b, chunk) in values.chunks(64).enumerate() {
        block[..chunk.len()].copy_from_slice(chunk);
        block[chunk.len()..].fill(0);
        transpose64(&mut block);
        for j in 0..bits {
            out[j * w + b] = block[j];
        }
    }
    out
}

/// Inverse of [`to_planes`]: `n` values from `bits` planes.
pub fn from_planes(planes: &[u64], bits: usize, n: usize) -> Vec<u64> {
    let w = plane_words(n);
    let mut out = Vec::with_capacity(n);
    let mut block = [0u64; 64];
    for b in 0..w {
        block.fill(0);
        for j in 0..bits {
            block[j] = planes[j * w + b];
        }
        transpose64(&mut block);
        let take = (n - b * 64).min(64);
        out.extend_from_slice(&block[..take]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_matches_definition() {
        let mut a = [0u64; 64];
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for r in a.iter_mut() {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *r = s;
        }
        let orig = a;
        transpose64(&mut a);
        for (r, row) in a.iter().enumerate() {
            for (c, col) in orig.iter().enumerate() {
                assert_eq!((row >> c) & 1, (col >> r) & 1);
            }
        }
    }

    #[test]
    fn planes_round_trip() {
        let v: Vec<u64> = (0..200u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let p = to_planes(&v, 64);
        assert_eq!(from_planes(&p, 64, v.len()), v);
        let p = to_planes(&v, 33);
        let low: Vec<u64> = v.iter().map(|x| x & ((1 << 33) - 1)).collect();
        assert_eq!(from_planes(&p, 33, v.len()), low);
        assert_eq!((p[5 * plane_words(200) + 1] >> 3) & 1, (v[67] >> 5) & 1);
    }
}
