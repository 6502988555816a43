//! Stable oblivious sort by a key of up to 64 bits (radix sort through a
//! shared sorting permutation: Hamada, Ikarashi, Chida, Takahashi, ePrint
//! 2014/121; Asharov et al., CCS 2022).
//!
//! The key is decomposed into bits ([`crate::convert::a2b`]). For bit 0 the
//! stable sorting permutation `sigma` (destination of every element) is
//! `dest = s0 + b (s1 - s0) - 1` with `s0` the prefix count of zeros and `s1`
//! the count of all zeros plus the prefix count of ones: one
//! multiplication. For each further bit `j`: shuffle `(sigma, b_j)` with a
//! fresh secret shuffle `pi`, open `sigma . pi^-1` (a uniformly random
//! permutation: the only value opened), scatter `b_j` into the order sorted
//! so far, compute that bit's permutation `rho` there, gather `rho` back by
//! the opened permutation and undo the shuffle: `sigma <- rho . sigma`.
//! A final fresh shuffle and opening give a [`SortPermutation`] that moves
//! any column into sorted order and back.
//!
//! Per key bit: about 12 rounds; per element, 4 elements for the bit
//! injection, 8 for the shuffle of two columns, 3 for the opening, 3 for the
//! multiplication and 4 for the unshuffle (all parties together).

use crate::compare::VALUE_BITS;
use crate::convert::{a2b, inject_ring};
use crate::mul::mul_ring;
use crate::share::ArithShares;
use crate::shuffle::Shuffle;
use crate::transport::Transport;
use crate::{Error, Party, Result};

const ROUND_LABEL: &str =
    "sort: partial sorting permutation under a fresh secret shuffle (uniformly random permutation)";
const FINAL_LABEL: &str =
    "sort: sorting permutation under a fresh secret shuffle (uniformly random permutation)";

/// A shared sorting permutation, in shuffled form: this party's part of a
/// secret shuffle `pi` and the public `sigma . pi^-1` (uniformly random).
/// Apply it to columns in the original order to get them in sorted order;
/// undo it to bring sorted-order columns back. Opaque `Debug`.
pub struct SortPermutation {
    shuffle: Shuffle,
    opened: Vec<u32>,
}

impl std::fmt::Debug for SortPermutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SortPermutation {{ len: {} }}", self.opened.len())
    }
}

fn to_perm(label: &'static str, v: &[u64]) -> Result<Vec<u32>> {
    let n = v.len();
    let mut seen = vec![false; n];
    let mut out = Vec::with_capacity(n);
    for &x in v {
        if x >= n as u64 || seen[x as usize] {
            return Err(Error::NotAPermutation(label));
        }
        seen[x as usize] = true;
        out.push(x as u32);
    }
    Ok(out)
}

/// `out[perm[t]] = v[t]` on each component.
fn scatter(v: &ArithShares, perm: &[u32]) -> ArithShares {
    let mut own = vec![0u64; v.len()];
    let mut next = vec![0u64; v.len()];
    for (t, &d) in perm.iter().enumerate() {
        own[d as usize] = v.own[t];
        next[d as usize] = v.next[t];
    }
    ArithShares { own, next }
}

/// `out[t] = v[perm[t]]` on each component.
fn gather(v: &ArithShares, perm: &[u32]) -> ArithShares {
    ArithShares {
        own: perm.iter().map(|&d| v.own[d as usize]).collect(),
        next: perm.iter().map(|&d| v.next[d as usize]).collect(),
    }
}

impl SortPermutation {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.opened.len()
    }

    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty()
    }

    /// Moves columns from the original order into sorted order: one shuffle.
    pub fn apply<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
    ) -> Result<Vec<ArithShares>> {
        let shuffled = self.shuffle.apply(party, cols)?;
        Ok(shuffled.iter().map(|c| scatter(c, &self.opened)).collect())
    }

    /// Moves columns from sorted order back to the original order: one
    /// shuffle.
    pub fn undo<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
    ) -> Result<Vec<ArithShares>> {
        for c in cols {
            if c.len() != self.len() {
                return Err(Error::LengthMismatch {
                    what: "undo sort column",
                    left: self.len(),
                    right: c.len(),
                });
            }
        }
        let gathered: Vec<ArithShares> = cols.iter().map(|c| gather(c, &self.opened)).collect();
        let refs: Vec<&ArithShares> = gathered.iter().collect();
        self.shuffle.unapply(party, &refs)
    }
}

/// The stable sorting permutation of a single shared bit column `b` (0/1
/// values): zeros first, then ones, each in their original order.
pub fn bit_permutation<T: Transport>(party: &mut Party<T>, b: &ArithShares) -> Result<ArithShares> {
    bit_permutation_ring(party, b, false)
}

/// [`bit_permutation`]; with `narrow`, correct mod 2^32 only.
fn bit_permutation_ring<T: Transport>(
    party: &mut Party<T>,
    b: &ArithShares,
    narrow: bool,
) -> Result<ArithShares> {
    let n = b.len();
    let me = party.id();
    if n == 0 {
        return Ok(ArithShares::zeros(0));
    }
    let s0 = b.neg().add_const(me, 1).prefix_sums();
    let zeros = s0.slice(n - 1..n);
    let mut s1 = b.prefix_sums();
    for k in 0..n {
        s1.own[k] = s1.own[k].wrapping_add(zeros.own[0]);
        s1.next[k] = s1.next[k].wrapping_add(zeros.next[0]);
    }
    let prod = mul_ring(party, b, &s1.sub(&s0), narrow)?;
    Ok(s0.add(&prod).add_const(me, u64::MAX))
}

/// The stable sorting permutation of `key` (values below `2^key_bits`,
/// `key_bits` in `1..=64`).
pub fn sorting_permutation<T: Transport>(
    party: &mut Party<T>,
    key: &ArithShares,
    key_bits: usize,
) -> Result<SortPermutation> {
    sorting_permutation_observed(party, key, key_bits, &mut |_, _| {})
}

/// [`sorting_permutation`], calling `on_pass(pass, passes)` as each pass
/// over one key bit begins (`pass` counts from 1; `passes` is `key_bits`).
/// The calls depend only on `key_bits`, which is public: observing them
/// tells nothing about the keys.
pub fn sorting_permutation_observed<T: Transport>(
    party: &mut Party<T>,
    key: &ArithShares,
    key_bits: usize,
    on_pass: &mut dyn FnMut(usize, usize),
) -> Result<SortPermutation> {
    if key_bits == 0 || key_bits > 64 {
        return Err(Error::Parameter {
            what: "sort key_bits",
            value: key_bits as u64,
            range: "1..=64",
        });
    }
    let n = key.len();
    if n == 0 {
        for pass in 1..=key_bits {
            on_pass(pass, key_bits);
        }
        return Ok(SortPermutation {
            shuffle: Shuffle::random(party, 0),
            opened: Vec::new(),
        });
    }
    on_pass(1, key_bits);
    let bits = a2b(party, key, key_bits)?;
    // Everything below is a permutation index or a bit: all of it is
    // computed mod 2^32 (n < 2^32), which halves the traffic.
    let b0 = inject_ring(party, &[&bits[0]], true)?
        .pop()
        .expect("one vector");
    let mut sigma = bit_permutation_ring(party, &b0, true)?;
    drop(b0);
    for (j, bit) in bits.iter().enumerate().skip(1) {
        on_pass(j + 1, key_bits);
        let b = inject_ring(party, &[bit], true)?.pop().expect("one vector");
        #[cfg(feature = "planted-leaks")]
        if party.leaks(crate::leak::Leak::SortOpensUnshuffled) {
            // The same round without the shuffle: correct, but the opened
            // permutation is sigma itself.
            let opened = to_perm(ROUND_LABEL, &party.open_arith32(ROUND_LABEL, &sigma)?)?;
            let rho = bit_permutation_ring(party, &scatter(&b, &opened), true)?;
            sigma = gather(&rho, &opened);
            continue;
        }
        let sh = Shuffle::random(party, n);
        let mut out = sh.apply32(party, &[&sigma, &b])?;
        let b_s = out.pop().expect("two columns");
        let sigma_s = out.pop().expect("two columns");
        let opened = to_perm(ROUND_LABEL, &party.open_arith32(ROUND_LABEL, &sigma_s)?)?;
        let sorted_bit = scatter(&b_s, &opened);
        let rho = bit_permutation_ring(party, &sorted_bit, true)?;
        let back = gather(&rho, &opened);
        sigma = sh.unapply32(party, &[&back])?.pop().expect("one column");
    }
    let shuffle = Shuffle::random(party, n);
    let sigma_s = shuffle
        .apply32(party, &[&sigma])?
        .pop()
        .expect("one column");
    let opened = to_perm(FINAL_LABEL, &party.open_arith32(FINAL_LABEL, &sigma_s)?)?;
    Ok(SortPermutation { shuffle, opened })
}

/// Sorts `key` (values below `2^key_bits`) stably and moves the payload
/// columns along. Returns the sorted key, the sorted payloads and the
/// permutation for more columns or for undoing.
pub fn sort<T: Transport>(
    party: &mut Party<T>,
    key: &ArithShares,
    key_bits: usize,
    payloads: &[&ArithShares],
) -> Result<(ArithShares, Vec<ArithShares>, SortPermutation)> {
    let perm = sorting_permutation(party, key, key_bits)?;
    let mut cols: Vec<&ArithShares> = vec![key];
    cols.extend_from_slice(payloads);
    let mut out = perm.apply(party, &cols)?;
    let rest = out.split_off(1);
    Ok((out.pop().expect("key column"), rest, perm))
}

/// [`sort`] for 32-bit keys.
pub fn sort32<T: Transport>(
    party: &mut Party<T>,
    key: &ArithShares,
    payloads: &[&ArithShares],
) -> Result<(ArithShares, Vec<ArithShares>, SortPermutation)> {
    sort(party, key, VALUE_BITS, payloads)
}
