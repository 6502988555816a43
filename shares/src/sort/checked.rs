//! The sort under [`Security::Abort`](crate::Security): the same radix sort
//! with no message outside a multiplication, a proven shuffle step or an
//! opening.
//!
//! - The key bits come from the carry-save A2B; each digit's one-hot vector
//!   from its injected bits and their monomials
//!   ([`crate::onehot::Monomials`]), or from a mask's (below). A digit
//!   computed directly injects its bits after the previous digit's opening,
//!   from the key words in that order. Injecting the next digit's bits in
//!   the rounds of this digit's monomials and moving them through its
//!   shuffle would save two rounds per digit, but every arithmetic column
//!   of a shuffle is proven in each of its three steps: on the sugar-beet
//!   market's sort (39,328 elements, 24-bit keys, three-bit digits) that
//!   costs a third more CPU time and a quarter more traffic for 16 rounds
//!   fewer.
//! - *Masked digits.* With a directly computed digit, the sort also makes
//!   the masks of the next [`masks_ahead`] digits: fresh random digits `r`,
//!   XOR-shared from the pairwise keys like the key words (no party knows
//!   one), injected and multiplied out into their one-hot vectors in the
//!   same products as the digit's own (the same four rounds). When such a
//!   digit's turn comes, `c = d ^ r` (its digit `d` in the key words, which
//!   the previous shuffle has just put in random order) is opened in the
//!   round of that shuffle's opening, and the digit's one-hot vector is the
//!   mask's with bucket `v` renamed `v ^ c` (`[d = v]` is `[r = v ^ c]`),
//!   moved by the opened permutation: no round of its own. `c` is uniformly
//!   random whatever the keys, each `r` opened once. The masks' products
//!   are proven like all others before anything computed from them is
//!   opened, and `c` is checked like every opening, so a deviating party
//!   can change neither. The masks' products are many more gates in one
//!   verification, so only as many are made as fit the ledger at once (a
//!   verification the ledger's limit starts early adds a wave of rounds):
//!   three per directly computed digit at the sugar-beet market's size, 16
//!   rounds fewer at the same CPU time; none from about 50,000 elements.
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
//! Per digit, in message hops: for a directly computed one, the injection
//! (two) and the monomials (two for digits of three or four bits); the
//! positions (one), the shuffle (three) and the opening with its
//! verification, which carries the next digit if it is masked; after the
//! last digit, the two shuffles and openings of [`super::finish_sort`].

use super::{
    MASKED_DIGIT_LABEL, ROUND_LABEL, SortPermutation, finish_sort, index_bytes, original_indices,
    scatter_words, to_perm,
};
use crate::bits::from_planes;
use crate::convert::{Injection, a2b, products_in_bytes};
use crate::onehot::{self, Monomials, OneHot};
use crate::party::Packed;
use crate::share::{ArithShares, BitShares};
use crate::shuffle::{Column, Shuffle};
use crate::transport::Transport;
use crate::verify::LEDGER_LIMIT;
use crate::{Party, Result};
use std::collections::VecDeque;

/// Ledger words per element that a digit keeps besides its one-hot
/// vectors until its opening: its positions (ten), its shuffle's steps
/// (about twenty) and, before the first digit, the key's bit
/// decomposition (about ten more).
const REST_WORDS: usize = 40;

/// How many digits after a directly computed one are masked (see the
/// module documentation): the one-hot vectors of that digit and the masks
/// must fit in the ledger, `6 (2^width - 1)` words per element each, with
/// [`REST_WORDS`] to spare, or a verification would start on its own
/// between them and add a wave of rounds. If fewer than two masks fit,
/// none: one mask saves a few rounds for some 5% more CPU time (a sort of
/// `2^16` elements). Three for the sugar-beet market's 39,328 elements;
/// none from about 50,000.
fn masks_ahead(n: usize, width: usize) -> usize {
    let per_digit = 6 * ((1usize << width) - 1);
    let room = (LEDGER_LIMIT / n.max(1)).saturating_sub(REST_WORDS);
    match room / per_digit {
        fit @ 3.. => fit - 1,
        _ => 0,
    }
}

/// Per digit of a sort of `n` elements in `digits` digits of `width` bits,
/// whether it is masked: every digit but the first of each group of
/// [`masks_ahead`]` + 1`. The one plan the sort follows and
/// [`super::masked_digits`] reports.
pub(super) fn masked_plan(n: usize, width: usize, digits: usize) -> Vec<bool> {
    let ahead = masks_ahead(n, width);
    (0..digits).map(|t| t % (ahead + 1) != 0).collect()
}

/// A digit of fresh random bits, shared like the key words (one word per
/// element), and its one-hot vector.
struct Mask {
    r: (Vec<u64>, Vec<u64>),
    one_hot: OneHot,
}

/// Fresh random digits of `width` bits, one per element, XOR-shared
/// (component `j` drawn from `K_j`): no messages, and no party knows them.
fn random_digits<T: Transport>(
    party: &mut Party<T>,
    n: usize,
    width: usize,
) -> (Vec<u64>, Vec<u64>) {
    let (mut own, mut next) = party.random_arith(n).into_components();
    let low = (1u64 << width) - 1;
    for w in own.iter_mut().chain(next.iter_mut()) {
        *w &= low;
    }
    #[cfg(feature = "planted-leaks")]
    if party.leaks(crate::leak::Leak::DigitMaskWithoutK2) {
        // Component 2 is party 2's own and party 1's next.
        match party.id().index() {
            2 => own.fill(0),
            1 => next.fill(0),
            _ => {}
        }
    }
    (own, next)
}

/// The one-hot vector of the digit at bits `lo..lo + width` of the key
/// words, and the masks of the digits of widths `ahead` after it, from
/// one injection of all their bits and one multiplication per level of
/// their monomials, correct mod `2^(8 bytes)`: four rounds, as for the
/// digit alone.
fn one_hots<T: Transport>(
    party: &mut Party<T>,
    keys: &(Vec<u64>, Vec<u64>),
    (lo, width): (usize, usize),
    ahead: &[usize],
    bytes: usize,
) -> Result<(OneHot, Vec<Mask>)> {
    let me = party.id();
    let n = keys.0.len();
    let rs: Vec<(Vec<u64>, Vec<u64>)> = ahead.iter().map(|&w| random_digits(party, n, w)).collect();
    let mut planes = onehot::digit_bits(&keys.0, &keys.1, lo, width);
    for (r, &w) in rs.iter().zip(ahead) {
        planes.extend(onehot::digit_bits(&r.0, &r.1, 0, w));
    }
    let injected =
        Injection::new(me.index(), &planes.iter().collect::<Vec<_>>()).run(party, bytes)?;
    drop(planes);
    let mut injected = injected.into_iter();
    let mut monomials: Vec<Monomials> = std::iter::once(width)
        .chain(ahead.iter().copied())
        .map(|w| Monomials::new(me, injected.by_ref().take(w).collect()))
        .collect();
    loop {
        let levels: Vec<_> = monomials.iter().map(|m| m.next_level()).collect();
        let counts: Vec<usize> = levels.iter().map(|(_, f)| f.len()).collect();
        if counts.iter().all(|&c| c == 0) {
            break;
        }
        let factors: Vec<_> = levels.iter().flat_map(|(_, f)| f.iter().copied()).collect();
        let prods = products_in_bytes(party, &factors, bytes)?;
        drop(factors);
        let made: Vec<Vec<usize>> = levels.into_iter().map(|(made, _)| made).collect();
        let mut prods = prods.into_iter();
        for ((m, made), c) in monomials.iter_mut().zip(made).zip(counts) {
            m.store(made, prods.by_ref().take(c).collect());
        }
    }
    let mut hots = monomials.into_iter().map(Monomials::one_hot);
    let e = hots.next().expect("the digit's own");
    let masks = rs
        .into_iter()
        .zip(hots)
        .map(|(r, one_hot)| Mask { r, one_hot })
        .collect();
    Ok((e, masks))
}

/// `(k & low) ^ r` for every element.
fn mask_xor(keys: &[u64], r: &[u64], low: u64) -> Vec<u64> {
    keys.iter().zip(r).map(|(k, r)| (k & low) ^ r).collect()
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
    // The masks of the digits ahead, and this digit's one-hot vector if it
    // was masked.
    let plan = masked_plan(n, digits[0].1, digits.len());
    let mut masks: VecDeque<Mask> = VecDeque::new();
    let mut masked: Option<OneHot> = None;
    for (t, &(lo, width)) in digits.iter().enumerate() {
        for pass in lo + 1..=lo + width {
            on_pass(pass, key_bits);
        }
        let e = match masked.take() {
            Some(e) => e,
            None => {
                // The masks of the masked digits that follow.
                let ahead: Vec<usize> = digits[t + 1..]
                    .iter()
                    .zip(&plan[t + 1..])
                    .take_while(|&(_, &m)| m)
                    .map(|(&(_, w), _)| w)
                    .collect();
                let (e, m) = one_hots(party, &keys, (lo - shift, width), &ahead, b)?;
                masks.extend(m);
                e
            }
        };
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
        let opened = match masks.pop_front() {
            // The next digit (now the lowest bits of the key words), XOR
            // its mask, is opened in the same round, in the shuffled order;
            // its one-hot vector is the mask's with the buckets renamed.
            Some(mask) => {
                let next_width = digits[t + 1].1;
                let low = (1u64 << next_width) - 1;
                let c = (
                    mask_xor(&keys.0, &mask.r.0, low),
                    mask_xor(&keys.1, &mask.r.1, low),
                );
                let (opened, c) = party.open_packed_pair(
                    Packed {
                        label: ROUND_LABEL,
                        own: &rho.0,
                        next: &rho.1,
                        xor: false,
                        bytes: b,
                    },
                    Packed {
                        label: MASKED_DIGIT_LABEL,
                        own: &c.0,
                        next: &c.1,
                        xor: true,
                        bytes: 1,
                    },
                )?;
                let opened = to_perm(security, ROUND_LABEL, &opened)?;
                masked = Some(mask.one_hot.xor_moved(&c, &opened));
                opened
            }
            None => {
                let opened = party.open_packed(ROUND_LABEL, &rho.0, &rho.1, false, b)?;
                to_perm(security, ROUND_LABEL, &opened)?
            }
        };
        keys = scatter(&keys, &opened);
        idx = scatter(&idx, &opened);
    }
    unreachable!("the last digit returns")
}
