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
//!   positions and the indices in the index bytes, the key words (shifted
//!   past the sorted digits) in the bytes of the key bits left. The
//!   indices are XOR-shared, like the key words: they are only moved and
//!   opened, and an XOR column's proofs cost a fraction of an arithmetic
//!   one's (on the sugar-beet market, the sort took a tenth less time than
//!   with arithmetic indices).
//! - The injection and the monomials only have to hold mod `2^(8 b)`, `b`
//!   the index bytes: the one-hot vector they make only goes into the
//!   positions, which are counts below `n <= 2^(8 b)` and travel in `b`
//!   bytes. So their products travel in `b` bytes too and are proven mod
//!   `2^(8 b)`: in the 16-bit ring up to `2^16` elements (the sugar-beet
//!   market's 39,328), in the 32-bit ring above.
//!
//! Per digit, in message hops: the injection (two), the monomials (two for
//! digits of three or four bits), the positions (one), the shuffle (three)
//! and the opening with its verification; after the last digit, the two
//! shuffles and openings of [`super::finish_sort`].

use super::{
    ROUND_LABEL, SortPermutation, finish_sort, index_bytes, original_indices, scatter_words,
    to_perm,
};
use crate::bits::from_planes;
use crate::convert::{Injection, a2b, products_in_bytes};
use crate::onehot::{self, Monomials};
use crate::share::{ArithShares, BitShares};
use crate::shuffle::{Column, Shuffle};
use crate::transport::Transport;
use crate::{Party, Result};

/// The digit at bits `lo..lo + width` of the key words, injected on its
/// own, correct mod `2^(8 bytes)`: two rounds.
fn inject<T: Transport>(
    party: &mut Party<T>,
    keys: &(Vec<u64>, Vec<u64>),
    lo: usize,
    width: usize,
    bytes: usize,
) -> Result<Vec<ArithShares>> {
    let bits = onehot::digit_bits(&keys.0, &keys.1, lo, width);
    Injection::new(party.id().index(), &bits.iter().collect::<Vec<_>>()).run(party, bytes)
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
    let mut idx = original_indices(me, n);
    // The key bits below `shift` have been sorted on and shifted out.
    let mut shift = 0;
    for (t, &(lo, width)) in digits.iter().enumerate() {
        for pass in lo + 1..=lo + width {
            on_pass(pass, key_bits);
        }
        let injected = inject(party, &keys, lo - shift, width, b)?;
        let mut m = Monomials::new(me, injected);
        loop {
            let (made, factors) = m.next_level();
            if factors.is_empty() {
                break;
            }
            let prods = products_in_bytes(party, &factors, b)?;
            drop(factors);
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
        // positions, the key words and the indices.
        // The bits above those left are cut: a narrow message leaves the two
        // holders of a component disagreeing above its bytes, and shifting
        // would bring that into the bytes the next shuffle proves.
        shift = lo + width;
        let left = u64::MAX >> (64 - (key_bits - shift));
        for w in keys.0.iter_mut().chain(keys.1.iter_mut()) {
            *w = (*w >> width) & left;
        }
        let key_bytes = (key_bits - shift).div_ceil(8);
        let sh = Shuffle::random(party, n);
        let cols = [
            column(&rho, false, b),
            column(&keys, true, key_bytes),
            column(&idx, true, b),
        ];
        let mut out = sh.run(party, &cols, false)?;
        idx = out.pop().expect("indices");
        keys = out.pop().expect("key words");
        let rho = out.pop().expect("positions");
        let opened = party.open_packed(ROUND_LABEL, &rho.0, &rho.1, false, b)?;
        let opened = to_perm(security, ROUND_LABEL, &opened)?;
        keys = scatter(&keys, &opened);
        idx = scatter(&idx, &opened);
    }
    unreachable!("the last digit returns")
}
