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

/// The concatenation of several bit vectors (local).
pub fn concat(parts: &[&BitShares]) -> BitShares {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    let mut o = vec![0u64; n.div_ceil(64)];
    let mut nx = vec![0u64; n.div_ceil(64)];
    let mut at = 0;
    for p in parts {
        let (po, pn) = p.components();
        for i in 0..p.len() {
            o[at / 64] |= get(po, i) << (at % 64);
            nx[at / 64] |= get(pn, i) << (at % 64);
            at += 1;
        }
    }
    BitShares::from_components(o, nx, n)
}

/// Splits a bit vector into consecutive pieces of the given lengths (local).
pub fn split(b: &BitShares, lens: &[usize]) -> Vec<BitShares> {
    let mut at = 0;
    lens.iter()
        .map(|&l| {
            let idx: Vec<usize> = (at..at + l).collect();
            at += l;
            gather(b, &idx)
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
