//! Stable oblivious sort by a key of up to 64 bits: a radix sort over
//! digits of [`DIGIT_BITS`] bits (one fewer for large inputs, three under
//! [`Security::Abort`]: [`digit_bits_for`]) that moves the key into each pass's order
//! (Asharov, Hamada, Ikarashi, Kikuchi, Nof, Pinkas, Takahashi, Tomida,
//! CCS 2022; Hamada, Ikarashi, Chida, Takahashi, ePrint 2014/121).
//!
//! The key is decomposed into bits once ([`crate::convert::a2b`]) and kept
//! as one XOR-shared word per element. For each digit, least significant
//! first, in the order sorted by the digits so far:
//!
//! 1. the one-hot vector of the digit and the stable counting-sort
//!    position `rho` of every element ([`crate::onehot`]: two rounds for
//!    the one-hot vector, one for the positions);
//! 2. unless it is the last digit, the key words (shifted past the digit),
//!    the original indices (XOR-shared: they are only moved and opened) and
//!    `rho` itself go through a fresh secret
//!    shuffle `pi` ([`crate::shuffle`], three rounds); `rho . pi^-1` is
//!    opened and every column is moved by it, locally: the elements are now
//!    sorted by the digits so far. Party 0's first one-hot message for the
//!    next digit travels in the opening's round.
//!
//! After the last digit, `rho` and the original indices go through a fresh
//! shuffle, `rho . pi^-1` is opened, and the original indices, moved into
//! sorted order, go through one more fresh shuffle `pi'` before they are
//! opened: the [`SortPermutation`] is `pi'` and that opened vector, which
//! moves any column into sorted order (gather by the opened vector, undo
//! `pi'`) and back (apply `pi'`, scatter by the opened vector).
//!
//! # What is opened, and why that is allowed
//!
//! Per sort, `digits + 1` vectors of `n` indices ([`opened_permutations`]),
//! each a permutation composed with a secret permutation `pi` drawn fresh
//! for that opening (no party knows it: each misses one pair's part), and
//! otherwise used only in shuffles whose every message is masked (the last
//! one again when the [`SortPermutation`] moves columns). For any fixed
//! permutation `rho`, `rho . pi^-1` is uniformly random and independent of
//! everything else the parties see. Ties do not matter: a digit's positions
//! are a permutation whatever the keys, and so are the original indices in
//! sorted order. So the openings tell nothing about the keys; the number of
//! elements and the key width, which fix the number of openings, are
//! public. The one-hot vectors and positions open nothing
//! ([`crate::onehot`]).
//!
//! Under [`Security::Abort`], also the masked digits ([`masked_digits`]):
//! one value `d ^ r` per element, `r` a fresh random digit XOR-shared from
//! the pairwise keys, so that each party misses one of its components
//! (drawn from the key of the other two), and used for no other opening.
//! `d ^ r` is uniformly random and independent of the digits `d`, and of
//! everything else the party sees. Which digits are masked depends on the
//! public number of elements only.
//!
//! # Cost
//!
//! With `n` elements, `w` key bits, `D = ceil(w / d)` digits of `d` bits and
//! indices travelling in `b` bytes (the fewest that hold `n`): the bit
//! decomposition (`1 + ceil(log2 w)` rounds), then per digit the one-hot
//! vector and the positions (three message hops, the first shared with the
//! previous opening) and, but for the last digit, the shuffle (three) and
//! the opening (one); seven more at the end. Counted as a party's waits,
//! the clearing's sort of 39,328 slots by 24-bit prices takes 36 rounds,
//! the bit decomposition and the application to three columns included
//! (one key bit per pass took 174). Per element and digit each party sends
//! at most `2^d b` bytes of one-hot shares, `b` for the positions, `b` for
//! the opening and `2 (2 b + key bytes)` in the shuffle.
//!
//! # Under [`Security::Abort`]
//!
//! The same sort with no message a party computes alone: the carry-save
//! A2B, one-hot vectors from products, and shuffles of proven steps
//! ([`crate::shuffle`]), every message proven by the verification that
//! precedes the next opening. See `sort/checked.rs` for the schedule; an
//! opened vector that is not a permutation is [`Error::Cheating`]. Digits
//! are three bits wide there ([`ABORT_DIGIT_BITS`]), and all but some are
//! opened XOR fresh random digits, whose one-hot vectors were made in
//! advance ([`masked_digits`]): besides the permutations, the sort opens
//! each such digit once, masked, in the round of the permutation before it.
//! For 4,096 elements and 24-bit keys, with the application to three
//! columns: 155 rounds instead of 36 (a verification of some 13 rounds
//! before each of the nine openings; 176 without masked digits), 1.4 times
//! the bytes (`SHUFFLE_COST_N=4096
//! SHUFFLE_COST_KIND=sort cargo test --release -p shares --test
//! abort_protocols cost_of_the_shuffle_and_the_sort -- --nocapture`).

use crate::bits::from_planes;
use crate::compare::VALUE_BITS;
use crate::convert::a2b;
use crate::mul::mul_ring;
use crate::onehot;
use crate::share::ArithShares;
use crate::shuffle::{Column, Shuffle};
use crate::transport::Transport;
use crate::{Error, Party, PartyId, Result, Security};

mod checked;

/// Key bits sorted per pass for up to [`WIDE_DIGITS_UP_TO`] elements: 16
/// buckets per digit, the fewest rounds.
pub const DIGIT_BITS: usize = 4;

/// Above this many elements, digits of [`DIGIT_BITS`]` - 1` bits: the local
/// work and traffic of the one-hot vectors grow with `2^DIGIT_BITS` per
/// element, and for large sorts they outweigh the rounds a wider digit
/// saves (at `2^20` elements, three-bit digits take a quarter less CPU time
/// and a tenth less traffic for 12 more rounds).
pub const WIDE_DIGITS_UP_TO: usize = 1 << 18;

/// Key bits sorted per pass under [`Security::Abort`], at every size.
/// There every product and position term is proven, and a digit of `d`
/// bits costs `2 d` products to inject its bits, `2^d - d - 1` for the
/// one-hot monomials and `2 (2^d - 1)` position terms per element:
/// three-bit digits prove a quarter less than four-bit ones (a sort of
/// 39,328 elements by 24-bit keys: a fifth less CPU time) for 50 more
/// rounds; two-bit digits take 2% to 4% less time again for 64 more
/// rounds (418 against 482 for the sugar-beet market's clearing), as every
/// digit adds a shuffle and a verification.
pub const ABORT_DIGIT_BITS: usize = 3;

/// The digit width the sort uses for `n` elements at `security`.
pub fn digit_bits_for(n: usize, security: Security) -> usize {
    if security == Security::Abort {
        ABORT_DIGIT_BITS
    } else if n <= WIDE_DIGITS_UP_TO {
        DIGIT_BITS
    } else {
        DIGIT_BITS - 1
    }
}

const ROUND_LABEL: &str =
    "sort: positions by one digit under a fresh secret shuffle (uniformly random permutation)";
const INDEX_LABEL: &str = "sort: original indices in sorted order under a fresh secret shuffle (uniformly random permutation)";
/// The abort level's opening of a digit's bits XOR fresh random bits
/// ([`masked_digits`]).
pub const MASKED_DIGIT_LABEL: &str =
    "sort: the next digit's bits XOR fresh random bits (uniformly random)";

/// A shared sorting permutation, in shuffled form: this party's part of a
/// secret shuffle `pi` and the public `s` with `s[pi(t)]` the original
/// index of the `t`-th element in sorted order (uniformly random). Apply it
/// to columns in the original order to get them in sorted order; undo it
/// to bring sorted-order columns back. Opaque `Debug`.
pub struct SortPermutation {
    shuffle: Shuffle,
    opened: Vec<u32>,
}

impl std::fmt::Debug for SortPermutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SortPermutation {{ len: {} }}", self.opened.len())
    }
}

/// The opened vector `v` as a permutation. One that is not a permutation
/// means a party changed a share or a message: under [`Security::Abort`]
/// that is reported as cheating (the check cannot tell which party).
fn to_perm(security: Security, label: &'static str, v: &[u64]) -> Result<Vec<u32>> {
    let n = v.len();
    let mut seen = vec![false; n];
    let mut out = Vec::with_capacity(n);
    for &x in v {
        if x >= n as u64 || seen[x as usize] {
            return Err(match security {
                Security::SemiHonest => Error::NotAPermutation(label),
                Security::Abort => Error::Cheating {
                    check: "sort permutation",
                    peer: None,
                },
            });
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
        self.check(cols, "apply sort column")?;
        let gathered: Vec<ArithShares> = cols.iter().map(|c| gather(c, &self.opened)).collect();
        let refs: Vec<&ArithShares> = gathered.iter().collect();
        self.shuffle.unapply(party, &refs)
    }

    /// Moves columns from sorted order back to the original order: one
    /// shuffle.
    pub fn undo<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
    ) -> Result<Vec<ArithShares>> {
        self.undo_mod(party, cols, 8)
    }

    /// [`SortPermutation::undo`] for values that matter mod `2^(8 bytes)`
    /// only (`bytes` in `1..=8`): the shuffle's messages carry those bytes
    /// (under [`Security::Abort`] they are proven mod `2^(8 bytes)`, in a
    /// narrower ring for four bytes or fewer), and the output's components
    /// agree between their holders only in them. Fit for values that are
    /// then only added up and opened with [`Party::open_arith_mod`].
    pub fn undo_mod<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
        bytes: usize,
    ) -> Result<Vec<ArithShares>> {
        self.check(cols, "undo sort column")?;
        crate::party::check_bytes("undo sort column bytes", bytes)?;
        let shuffled = self.shuffle.apply_mod(party, cols, bytes)?;
        Ok(shuffled.iter().map(|c| scatter(c, &self.opened)).collect())
    }

    fn check(&self, cols: &[&ArithShares], what: &'static str) -> Result<()> {
        for c in cols {
            if c.len() != self.len() {
                return Err(Error::LengthMismatch {
                    what,
                    left: self.len(),
                    right: c.len(),
                });
            }
        }
        Ok(())
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

/// [`sorting_permutation`], calling `on_pass(pass, passes)` as the work on
/// each key bit begins (`pass` counts from 1; `passes` is `key_bits`; the
/// bits of one digit begin together). The calls depend only on `key_bits`,
/// which is public: observing them tells nothing about the keys.
pub fn sorting_permutation_observed<T: Transport>(
    party: &mut Party<T>,
    key: &ArithShares,
    key_bits: usize,
    on_pass: &mut dyn FnMut(usize, usize),
) -> Result<SortPermutation> {
    let digits = digit_bits_for(key.len(), party.security());
    sorting_permutation_digits(party, key, key_bits, digits, on_pass)
}

/// The number of vectors a sort of `n > 0` elements by `key_bits`-bit keys
/// opens at `security` (each a permutation under a fresh secret shuffle).
pub fn opened_permutations(n: usize, key_bits: usize, security: Security) -> usize {
    key_bits.div_ceil(digit_bits_for(n, security)) + 1
}

/// Per digit, least significant first, whether the sort opens its
/// digits masked ([`MASKED_DIGIT_LABEL`], one value per element, in the
/// round of the previous digit's opening) rather than computing its one-hot
/// vector from its bits directly: under [`Security::Abort`] only, see
/// `sort/checked.rs`. Depends on the public `n` and `key_bits` only.
pub fn masked_digits(n: usize, key_bits: usize, security: Security) -> Vec<bool> {
    let width = digit_bits_for(n, security);
    let digits = key_bits.div_ceil(width);
    if security != Security::Abort {
        return vec![false; digits];
    }
    checked::masked_plan(n, width, digits)
}

/// The number of bytes an index below `n` (and a count up to `n`) needs.
fn index_bytes(n: usize) -> usize {
    let mut b = 1;
    while b < 4 && (n as u64) > (1u64 << (8 * b)) {
        b += 1;
    }
    b
}

/// `out[perm[t]] = v[t]`.
fn scatter_words(v: &[u64], perm: &[u32]) -> Vec<u64> {
    let mut out = vec![0u64; v.len()];
    for (t, &d) in perm.iter().enumerate() {
        out[d as usize] = v[t];
    }
    out
}

/// [`sorting_permutation_observed`] with digits of `digit_bits` bits
/// (`1..=8`).
pub fn sorting_permutation_digits<T: Transport>(
    party: &mut Party<T>,
    key: &ArithShares,
    key_bits: usize,
    digit_bits: usize,
    on_pass: &mut dyn FnMut(usize, usize),
) -> Result<SortPermutation> {
    if key_bits == 0 || key_bits > 64 {
        return Err(Error::Parameter {
            what: "sort key_bits",
            value: key_bits as u64,
            range: "1..=64",
        });
    }
    if digit_bits == 0 || digit_bits > 8 {
        return Err(Error::Parameter {
            what: "sort digit_bits",
            value: digit_bits as u64,
            range: "1..=8",
        });
    }
    let n = key.len();
    let digits: Vec<(usize, usize)> = (0..key_bits)
        .step_by(digit_bits)
        .map(|lo| (lo, digit_bits.min(key_bits - lo)))
        .collect();
    if n == 0 {
        for pass in 1..=key_bits {
            on_pass(pass, key_bits);
        }
        return Ok(SortPermutation {
            shuffle: Shuffle::random(party, 0),
            opened: Vec::new(),
        });
    }
    if party.security() == Security::Abort {
        return checked::sorting_permutation(party, key, key_bits, &digits, on_pass);
    }
    let me = party.id();
    let b = index_bytes(n);
    let bits = a2b(party, key, key_bits)?;
    // One XOR-shared word per element holding its key bits.
    let planes = |sel: &dyn Fn(&crate::BitShares) -> Vec<u64>| -> Vec<u64> {
        let mut all = Vec::with_capacity(key_bits * n.div_ceil(64));
        for p in &bits {
            all.extend(sel(p));
        }
        from_planes(&all, key_bits, n)
    };
    let mut key_own = planes(&|p| p.components().0.to_vec());
    let mut key_next = planes(&|p| p.components().1.to_vec());
    drop(bits);
    let (mut idx_own, mut idx_next) = original_indices(me, n);
    // The key bits below `shift` have been sorted on and shifted out.
    let mut shift = 0;
    let mut pending = None;
    let mut moved_by: Option<Vec<u32>> = None;
    for (t, &(lo, width)) in digits.iter().enumerate() {
        for pass in lo + 1..=lo + width {
            on_pass(pass, key_bits);
        }
        let rel = lo - shift;
        let started = match pending.take() {
            Some(p) => p,
            None => onehot::start(party, &key_own, &key_next, rel, width, b)?,
        };
        let e = onehot::finish(
            party,
            started,
            &key_own,
            &key_next,
            rel,
            width,
            moved_by.as_deref(),
            b,
        )?;
        let (rho_own, rho_next) = onehot::positions(party, &e, b)?;
        drop(e);
        if t + 1 == digits.len() {
            return finish_sort(party, n, b, (rho_own, rho_next), (idx_own, idx_next));
        }
        // Shift the sorted digit out of the key words (XOR sharing commutes
        // with shifts), then move everything into this digit's order.
        shift = lo + width;
        for w in key_own.iter_mut().chain(key_next.iter_mut()) {
            *w >>= width;
        }
        let key_bytes = (key_bits - shift).div_ceil(8);
        let (next_lo, next_width) = digits[t + 1];
        let next_rel = next_lo - shift;
        #[cfg(feature = "planted-leaks")]
        if party.leaks(crate::leak::Leak::SortOpensUnshuffled) {
            // The same step without the shuffle: correct, but the opened
            // positions are rho itself.
            let (opened, started) =
                party.open_packed_then(ROUND_LABEL, &rho_own, &rho_next, b, |party| {
                    onehot::start(party, &key_own, &key_next, next_rel, next_width, b)
                })?;
            pending = Some(started);
            let opened = to_perm(party.security(), ROUND_LABEL, &opened)?;
            key_own = scatter_words(&key_own, &opened);
            key_next = scatter_words(&key_next, &opened);
            idx_own = scatter_words(&idx_own, &opened);
            idx_next = scatter_words(&idx_next, &opened);
            moved_by = Some(opened);
            continue;
        }
        let sh = Shuffle::random(party, n);
        let mut out = sh
            .run(
                party,
                &[
                    Column {
                        own: &rho_own,
                        next: &rho_next,
                        xor: false,
                        bytes: b,
                    },
                    Column {
                        own: &key_own,
                        next: &key_next,
                        xor: true,
                        bytes: key_bytes,
                    },
                    Column {
                        own: &idx_own,
                        next: &idx_next,
                        xor: true,
                        bytes: b,
                    },
                ],
                false,
            )?
            .into_iter();
        let (r_own, r_next) = out.next().expect("three columns");
        let (k_own, k_next) = out.next().expect("three columns");
        let (i_own, i_next) = out.next().expect("three columns");
        // Party 0's message of the next one-hot vector goes out now, in
        // the round of the opening; it is computed in the shuffled order,
        // which parties 1 and 2 undo with the opened vector.
        let (opened, started) =
            party.open_packed_then(ROUND_LABEL, &r_own, &r_next, b, |party| {
                onehot::start(party, &k_own, &k_next, next_rel, next_width, b)
            })?;
        pending = Some(started);
        let opened = to_perm(party.security(), ROUND_LABEL, &opened)?;
        key_own = scatter_words(&k_own, &opened);
        key_next = scatter_words(&k_next, &opened);
        idx_own = scatter_words(&i_own, &opened);
        idx_next = scatter_words(&i_next, &opened);
        moved_by = Some(opened);
    }
    unreachable!("the last digit returns")
}

/// This party's components of the original indices `0..n`, public to
/// begin with, as an XOR sharing: nothing is ever added to them, they are
/// only moved and opened, and an XOR column costs a shuffle's proofs a
/// fraction of an arithmetic one (its words are field elements already,
/// proven without the Galois ring). A public value sits in component 0.
fn original_indices(me: PartyId, n: usize) -> (Vec<u64>, Vec<u64>) {
    let iota = (0..n as u64).collect();
    match me.index() {
        0 => (iota, vec![0; n]),
        1 => (vec![0; n], vec![0; n]),
        _ => (vec![0; n], iota),
    }
}

/// After the last digit: the original indices moved into sorted order, and
/// opened under one more fresh shuffle.
fn finish_sort<T: Transport>(
    party: &mut Party<T>,
    n: usize,
    b: usize,
    rho: (Vec<u64>, Vec<u64>),
    idx: (Vec<u64>, Vec<u64>),
) -> Result<SortPermutation> {
    #[cfg(feature = "planted-leaks")]
    if party.leaks(crate::leak::Leak::SortOpensUnshuffled) {
        let opened = to_perm(
            party.security(),
            ROUND_LABEL,
            &party.open_packed(ROUND_LABEL, &rho.0, &rho.1, false, b)?,
        )?;
        let sorted = (
            scatter_words(&idx.0, &opened),
            scatter_words(&idx.1, &opened),
        );
        return index_permutation(party, n, b, &sorted);
    }
    let sh = Shuffle::random(party, n);
    let mut out = sh
        .run(
            party,
            &[
                Column {
                    own: &rho.0,
                    next: &rho.1,
                    xor: false,
                    bytes: b,
                },
                Column {
                    own: &idx.0,
                    next: &idx.1,
                    xor: true,
                    bytes: b,
                },
            ],
            false,
        )?
        .into_iter();
    let (r_own, r_next) = out.next().expect("two columns");
    let (i_own, i_next) = out.next().expect("two columns");
    let opened = to_perm(
        party.security(),
        ROUND_LABEL,
        &party.open_packed(ROUND_LABEL, &r_own, &r_next, false, b)?,
    )?;
    let sorted = (
        scatter_words(&i_own, &opened),
        scatter_words(&i_next, &opened),
    );
    index_permutation(party, n, b, &sorted)
}

/// The [`SortPermutation`] from the original indices in sorted order
/// (this party's XOR components).
fn index_permutation<T: Transport>(
    party: &mut Party<T>,
    n: usize,
    b: usize,
    sorted_idx: &(Vec<u64>, Vec<u64>),
) -> Result<SortPermutation> {
    let shuffle = Shuffle::random(party, n);
    let (s_own, s_next) = shuffle
        .run(
            party,
            &[Column {
                own: &sorted_idx.0,
                next: &sorted_idx.1,
                xor: true,
                bytes: b,
            }],
            false,
        )?
        .pop()
        .expect("one column");
    let opened = to_perm(
        party.security(),
        INDEX_LABEL,
        &party.open_packed(INDEX_LABEL, &s_own, &s_next, true, b)?,
    )?;
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
