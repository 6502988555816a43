//! The sort under [`Security::Abort`](crate::Security): the same radix sort
//! with no message outside a multiplication, a proven shuffle step or an
//! opening.
//!
//! - The key bits come from the carry-save A2B; each digit's one-hot vector
//!   from its injected bits and their monomials
//!   ([`crate::onehot::Monomials`]). Each digit injects its bits after the
//!   previous digit's opening, from the key words in that order. Injecting
//!   the next digit's bits in the rounds of this digit's monomials and
//!   moving them through its shuffle would save two rounds per digit, but
//!   every arithmetic column of a shuffle is proven in each of its three
//!   steps: on the sugar-beet market's sort (39,328 elements, 24-bit keys,
//!   three-bit digits) that costs a third more CPU time and a quarter more
//!   traffic for 16 rounds fewer.
//! - Every shuffle is three proven steps ([`crate::shuffle`]); the opening
//!   of each digit's positions proves them first, with every product and
//!   positions message since the previous opening, so nothing a deviation
//!   changed is ever opened. Columns travel in the bytes that matter: the
//!   positions and the indices in the index bytes, the injected bits in
//!   four (the narrow products they go into work mod `2^32`), the key words
//!   (shifted past the sorted digits) in the bytes of the key bits left.
//!
//! Per digit, in message hops: the injection (two), the monomials (two for
//! digits of three or four bits), the positions (one), the shuffle (three)
//! and the opening with its verification; after the last digit, the two
//! shuffles and openings of [`super::finish_sort`].

use super::{ROUND_LABEL, SortPermutation, finish_sort, index_bytes, scatter_words, to_perm};
use crate::bits::from_planes;
use crate::convert::{Injection, a2b, products};
use crate::onehot::{self, Monomials};
use crate::share::{ArithShares, BitShares};
use crate::shuffle::{Column, Shuffle};
use crate::transport::Transport;
use crate::{Party, Result};

/// The digit at bits `lo..lo + width` of the key words, injected on its
/// own: two rounds.
fn inject<T: Transport>(
    party: &mut Party<T>,
    keys: &(Vec<u64>, Vec<u64>),
    lo: usize,
    width: usize,
) -> Result<Vec<ArithShares>> {
    let bits = onehot::digit_bits(&keys.0, &keys.1, lo, width);
    let mut injection = Injection::new(party.id().index(), &bits.iter().collect::<Vec<_>>());
    loop {
        let (x, y) = injection.factors();
        let p = products(party, &[(x, y)], true)?
            .pop()
            .expect("one product");
        if let Some(bits) = injection.absorb(p) {
            return Ok(bits);
        }
    }
}

/// One column of components, with its kind.
fn column(held: &(Vec<u64>, Vec<u64>), xor: bool, bytes: usize) -> Column<'_> {
    Column {
        own: &held.0,
        next: &held.1,
        xor,
        bytes,
    }
}

/// `out[perm[t]] = v[t]` for both components.
fn scatter(v: &(Vec<u64>, Vec<u64>), perm: &[u32]) -> (Vec<u64>, Vec<u64>) {
    (scatter_words(&v.0, perm), scatter_words(&v.1, perm))
}

/// [`super::sorting_permutation_digits`] under abort (see the module
/// documentation). `digits` are the `(lo, width)` of every digit; `key`
/// has at least one element. Each digit's bits are injected after the
/// previous opening.
pub(super) fn sorting_permutation<T: Transport>(
    party: &mut Party<T>,
    key: &ArithShares,
    key_bits: usize,
    digits: &[(usize, usize)],
    on_pass: &mut dyn FnMut(usize, usize),
) -> Result<SortPermutation> {
    sorting_permutation_injecting(party, key, key_bits, digits, false, on_pass)
}

/// [`sorting_permutation`], injecting the next digit's bits `ahead` (in
/// this digit's rounds, moved through its shuffle) or not.
fn sorting_permutation_injecting<T: Transport>(
    party: &mut Party<T>,
    key: &ArithShares,
    key_bits: usize,
    digits: &[(usize, usize)],
    ahead: bool,
    on_pass: &mut dyn FnMut(usize, usize),
) -> Result<SortPermutation> {
    let n = key.len();
    let me = party.id();
    let security = party.security();
    let b = index_bytes(n);
    let bits = a2b(party, key, key_bits)?;
    // One XOR-shared word per element holding its key bits.
    let words = |sel: &dyn Fn(&BitShares) -> &[u64]| -> Vec<u64> {
        let all: Vec<u64> = bits.iter().flat_map(|p| sel(p).to_vec()).collect();
        from_planes(&all, key_bits, n)
    };
    let mut keys = (words(&|p| p.components().0), words(&|p| p.components().1));
    drop(bits);
    let iota: Vec<u64> = (0..n as u64).collect();
    let mut idx = ArithShares::public(me, &iota).into_components();
    // The key bits below `shift` have been sorted on and shifted out.
    let mut shift = 0;
    let mut injected = Vec::new();
    for (t, &(lo, width)) in digits.iter().enumerate() {
        for pass in lo + 1..=lo + width {
            on_pass(pass, key_bits);
        }
        if t == 0 || !ahead {
            injected = inject(party, &keys, lo - shift, width)?;
        }
        // This digit's monomials, and the next digit's injection riding
        // along in the same rounds.
        let next = digits.get(t + 1).filter(|_| ahead);
        let mut next_injection = next.map(|&(lo, width)| {
            let bits = onehot::digit_bits(&keys.0, &keys.1, lo - shift, width);
            Injection::new(me.index(), &bits.iter().collect::<Vec<_>>())
        });
        let mut next_injected = None;
        let mut m = Monomials::new(me, std::mem::take(&mut injected));
        loop {
            let (made, mut factors) = m.next_level();
            let riding = next_injected.is_none() && next_injection.is_some();
            if let Some(inj) = next_injection.as_ref().filter(|_| riding) {
                factors.push(inj.factors());
            }
            if factors.is_empty() {
                break;
            }
            let mut prods = products(party, &factors, true)?;
            drop(factors);
            if riding {
                let p = prods.pop().expect("the injection's product");
                next_injected = next_injection.as_mut().and_then(|inj| inj.absorb(p));
            }
            m.store(made, prods);
        }
        let e = m.one_hot();
        let rho = onehot::positions(party, &e, b)?;
        drop(e);
        if t + 1 == digits.len() {
            return finish_sort(party, n, b, rho, idx);
        }
        // Shift the sorted digit out of the key words (XOR sharing commutes
        // with shifts), then move everything into this digit's order: the
        // positions, the next digit's bits (mod 2^32, as the products they
        // go into), the key words and the indices.
        // The bits above those left are cut: a narrow message leaves the two
        // holders of a component disagreeing above its bytes, and shifting
        // would bring that into the bytes the next shuffle proves.
        shift = lo + width;
        let left = u64::MAX >> (64 - (key_bits - shift));
        for w in keys.0.iter_mut().chain(keys.1.iter_mut()) {
            *w = (*w >> width) & left;
        }
        let key_bytes = (key_bits - shift).div_ceil(8);
        let next_bits: Vec<(Vec<u64>, Vec<u64>)> = next_injected
            .unwrap_or_default()
            .into_iter()
            .map(ArithShares::into_components)
            .collect();
        let sh = Shuffle::random(party, n);
        let mut cols = vec![column(&rho, false, b)];
        cols.extend(next_bits.iter().map(|x| column(x, false, 4)));
        cols.push(column(&keys, true, key_bytes));
        cols.push(column(&idx, false, b));
        let mut out = sh.run(party, &cols, false)?;
        drop(cols);
        idx = out.pop().expect("indices");
        keys = out.pop().expect("key words");
        let rho = out.remove(0);
        let opened = party.open_packed(ROUND_LABEL, &rho.0, &rho.1, b)?;
        let opened = to_perm(security, ROUND_LABEL, &opened)?;
        keys = scatter(&keys, &opened);
        idx = scatter(&idx, &opened);
        injected = out
            .iter()
            .map(|x| {
                let (own, next) = scatter(x, &opened);
                ArithShares::from_components(own, next)
            })
            .collect();
    }
    unreachable!("the last digit returns")
}

#[cfg(all(test, feature = "test-keys"))]
mod tests {
    use super::*;
    use crate::{MemTransport, Security};
    use std::time::Duration;

    /// Injecting ahead or after the opening sorts alike, the latter in two
    /// more rounds per digit but the first.
    #[test]
    fn injecting_ahead_or_not_sorts_alike() {
        let keys: Vec<u64> = (0..300u64).map(|i| (i * 0x9E37_79B9) % 4096).collect();
        let digits = [(0, 4), (4, 4), (8, 4)];
        let run = |ahead: bool| -> Vec<(Vec<u64>, u64)> {
            let ts = MemTransport::triple(Duration::from_secs(10));
            std::thread::scope(|s| {
                let hs: Vec<_> = ts
                    .into_iter()
                    .map(|t| {
                        let keys = &keys;
                        s.spawn(move || {
                            let mut p = Party::with_seed(t, 3);
                            p.set_security(Security::Abort);
                            let key = ArithShares::public(p.id(), keys);
                            let before = p.stats().rounds;
                            let perm = sorting_permutation_injecting(
                                &mut p,
                                &key,
                                12,
                                &digits,
                                ahead,
                                &mut |_, _| {},
                            )
                            .unwrap();
                            let rounds = p.stats().rounds - before;
                            let sorted = perm.apply(&mut p, &[&key]).unwrap();
                            (p.open_arith("t", &sorted[0]).unwrap(), rounds)
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect()
            })
        };
        let mut want = keys.clone();
        want.sort();
        let (ahead, after) = (run(true), run(false));
        for ((a, ra), (b, rb)) in ahead.iter().zip(&after) {
            assert_eq!(a, &want);
            assert_eq!(b, &want);
            assert_eq!(
                rb - ra,
                2 * 2,
                "two rounds more for each digit but the first"
            );
        }
    }
}
