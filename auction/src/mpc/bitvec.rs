//! Local rearrangements of packed boolean shares and batching helpers.
//!
//! Boolean shares are XOR-sharings, so moving bits around inside each of a
//! party's two components (gather, concatenation, splitting) is a local
//! operation on shares. The helpers here always leave the bits past a
//! vector's length zero in both components, so that opening a vector built
//! here never sends a stray bit.
//!
//! The batching helpers put several independent vectors into one engine
//! call, so they share one round and one message per peer.

use shares::{ArithShares, BitShares, Party, Transport};

fn get(words: &[u64], i: usize) -> u64 {
    (words[i / 64] >> (i % 64)) & 1
}

/// Bits `idx[k]` of `b`, in that order (local).
pub fn gather(b: &BitShares, idx: &[usize]) -> BitShares {
    let (own, next) = b.components();
    let mut o = vec![0u64; idx.len().div_ceil(64)];
    let mut nx = vec![0u64; idx.len().div_ceil(64)];
    for (k, &i) in idx.iter().enumerate() {
        o[k / 64] |= get(own, i) << (k % 64);
        nx[k / 64] |= get(next, i) << (k % 64);
    }
    BitShares::from_components(o, nx, idx.len())
}

/// ORs the `len` low bits of `src` into `dst` from bit `at` on (the bits
/// there are zero), a word at a time.
fn put_bits(dst: &mut [u64], at: usize, src: &[u64], len: usize) {
    let (w0, s) = (at / 64, at % 64);
    for (i, &word) in src[..len.div_ceil(64)].iter().enumerate() {
        let used = len - 64 * i;
        let word = if used < 64 {
            word & ((1u64 << used) - 1)
        } else {
            word
        };
        dst[w0 + i] |= word << s;
        if s != 0 && w0 + i + 1 < dst.len() {
            dst[w0 + i + 1] |= word >> (64 - s);
        }
    }
}

/// Bits `at..at + len` of `src`, from bit 0 on, the rest of the last word
/// zero.
fn take_bits(src: &[u64], at: usize, len: usize) -> Vec<u64> {
    let (w0, s) = (at / 64, at % 64);
    let mut out: Vec<u64> = (0..len.div_ceil(64))
        .map(|i| {
            let lo = src[w0 + i] >> s;
            let hi = if s != 0 {
                src.get(w0 + i + 1).map_or(0, |w| w << (64 - s))
            } else {
                0
            };
            lo | hi
        })
        .collect();
    if !len.is_multiple_of(64) {
        *out.last_mut().expect("len > 0") &= (1u64 << (len % 64)) - 1;
    }
    out
}

/// The concatenation of several bit vectors (local).
pub fn concat(parts: &[&BitShares]) -> BitShares {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    let mut o = vec![0u64; n.div_ceil(64)];
    let mut nx = vec![0u64; n.div_ceil(64)];
    let mut at = 0;
    for p in parts {
        let (po, pn) = p.components();
        put_bits(&mut o, at, po, p.len());
        put_bits(&mut nx, at, pn, p.len());
        at += p.len();
    }
    BitShares::from_components(o, nx, n)
}

/// Splits a bit vector into consecutive pieces of the given lengths (local).
pub fn split(b: &BitShares, lens: &[usize]) -> Vec<BitShares> {
    let (own, next) = b.components();
    let mut at = 0;
    lens.iter()
        .map(|&l| {
            let piece =
                BitShares::from_components(take_bits(own, at, l), take_bits(next, at, l), l);
            at += l;
            piece
        })
        .collect()
}

/// A sharing of public bits (component 0 carries them).
pub fn public_bits<T: Transport>(party: &Party<T>, bits: &[bool]) -> BitShares {
    let mut words = vec![0u64; bits.len().div_ceil(64)];
    for (i, &b) in bits.iter().enumerate() {
        words[i / 64] |= u64::from(b) << (i % 64);
    }
    BitShares::zeros(bits.len()).xor_public(party.id(), &words)
}

/// NOT of every bit, keeping the bits past the length zero.
pub fn not<T: Transport>(party: &Party<T>, b: &BitShares) -> BitShares {
    b.xor(&public_bits(party, &vec![true; b.len()]))
}

/// Element-wise ANDs of several pairs in one round.
pub fn and_batch<T: Transport>(
    party: &mut Party<T>,
    pairs: &[(&BitShares, &BitShares)],
) -> shares::Result<Vec<BitShares>> {
    let lens: Vec<usize> = pairs.iter().map(|(a, _)| a.len()).collect();
    let xs: Vec<&BitShares> = pairs.iter().map(|(a, _)| *a).collect();
    let ys: Vec<&BitShares> = pairs.iter().map(|(_, b)| *b).collect();
    let z = shares::mul::and(party, &concat(&xs), &concat(&ys))?;
    Ok(split(&z, &lens))
}

/// Element-wise products of several pairs in one round.
pub fn mul_batch<T: Transport>(
    party: &mut Party<T>,
    pairs: &[(&ArithShares, &ArithShares)],
) -> shares::Result<Vec<ArithShares>> {
    let lens: Vec<usize> = pairs.iter().map(|(a, _)| a.len()).collect();
    let xs: Vec<&ArithShares> = pairs.iter().map(|(a, _)| *a).collect();
    let ys: Vec<&ArithShares> = pairs.iter().map(|(_, b)| *b).collect();
    let z = shares::mul::mul(party, &ArithShares::concat(&xs), &ArithShares::concat(&ys))?;
    Ok(z.split(&lens))
}

/// The top bit of `x mod 2^w`, i.e. `[x < 0]` for `|x| < 2^(w-1)`, of
/// several vectors in one engine call.
pub fn sign_batch<T: Transport>(
    party: &mut Party<T>,
    parts: &[&ArithShares],
    w: usize,
) -> shares::Result<Vec<BitShares>> {
    let lens: Vec<usize> = parts.iter().map(|a| a.len()).collect();
    let t = shares::compare::top_bit(party, &ArithShares::concat(parts), w)?;
    Ok(split(&t, &lens))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(len: usize, seed: u64) -> BitShares {
        let word = |i: u64| {
            (seed ^ i)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(17)
        };
        let mut o: Vec<u64> = (0..len.div_ceil(64) as u64).map(word).collect();
        let mut x: Vec<u64> = (0..len.div_ceil(64) as u64)
            .map(|i| word(i + 1000))
            .collect();
        if !len.is_multiple_of(64) {
            let m = (1u64 << (len % 64)) - 1;
            *o.last_mut().unwrap() &= m;
            *x.last_mut().unwrap() &= m;
        }
        BitShares::from_components(o, x, len)
    }

    #[test]
    fn concat_and_split_move_bits_like_gather() {
        let lens = [0, 1, 63, 64, 65, 130, 7, 200];
        let parts: Vec<BitShares> = lens.iter().map(|&l| bits(l, l as u64 * 7 + 1)).collect();
        let refs: Vec<&BitShares> = parts.iter().collect();
        let all = concat(&refs);
        assert_eq!(all.len(), lens.iter().sum::<usize>());
        let mut at = 0;
        for (p, piece) in parts.iter().zip(split(&all, &lens)) {
            let idx: Vec<usize> = (at..at + p.len()).collect();
            let g = gather(&all, &idx);
            assert_eq!(piece.components(), g.components());
            assert_eq!(piece.components(), p.components());
            at += p.len();
        }
    }
}
