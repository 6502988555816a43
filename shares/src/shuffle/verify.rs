//! The shuffle under [`Security::Abort`](crate::Security): the resharing
//! shuffle with a MAC on every row, checked after the last hop with keys
//! opened only then. This is the check of the malicious shuffle of the IPA
//! protocol (tags under shared keys, revealed once the shuffle is done),
//! carried over from `GF(2^32)` to `Z_2^64`, where the 2-adic valuation of
//! an error decides how many keys it takes, and to XOR words.
//!
//! # Why the hops need a check of their own
//!
//! Every hop of the shuffle is a message that one party computes alone
//! from its additive share, and the end reshares are too: a party can add
//! any error to them, and the output is then `pi(x) + D` for an error `D`
//! of its choosing (partly moved by the permutation it does not know). No
//! multiplication check covers these messages, and running the hops twice
//! does not help by itself: the deviating party knows two of the three
//! permutations, and errors it adds in the second run can be made to match
//! those of the first (one permutation it knows is enough to line them
//! up, and an error added to every row alike survives any permutation).
//! What stops it here is a key it does not know while it can still deviate.
//!
//! # The protocol
//!
//! For arithmetic columns `x_c` (the low `b_c` bytes matter) and XOR columns
//! `y_c` (the low `8 b_c` bits matter):
//!
//! 0. every column cut to its bytes: the two holders of a component may
//!    disagree above them (a shuffle or a narrow reshare moves only those),
//!    and a MAC needs one sharing;
//! 1. fresh shared random keys `k_{j,c}` mod `2^64` for `j < d`, and a
//!    fresh shared random bit matrix `K` of `s = SOUNDNESS_BITS` rows (no
//!    messages);
//! 2. per row, the tags `t_j = sum_c k_{j,c} x_c` (one multiplication per
//!    key and row, one round) and the `s`-bit tag `u = sum_c K_c y_c` over
//!    `GF(2)` (one AND per key bit, data bit and row, one round): both are
//!    ordinary multiplications of replicated sharings, covered by the
//!    multiplication check, which runs before the keys are opened;
//! 3. the shuffle of every column, tags included, arithmetic ones at all 8
//!    bytes (the MAC needs the whole ring);
//! 4. the keys are opened, with 128 fresh random bits;
//! 5. each party computes, locally and linearly, its components of the
//!    residues `r_j = sum_c k_{j,c} x'_c - t'_j` and `q = sum_c K_c y'_c +
//!    u'` of every output row (zero for an honest run), and of 64 random
//!    subset sums of them, the subsets drawn from a generator seeded with a
//!    hash of everything opened in step 4; those 64 arithmetic and 64 XOR
//!    words are opened and must be zero, or the session stops with
//!    [`Error::Cheating`].
//!
//! # Soundness
//!
//! Let one party deviate in the hops; the honest parties' components define
//! the output `pi(x, t) + (D, E)` with data errors `D` and tag errors `E`,
//! all fixed before step 4. Until then the keys are uniformly random given
//! the deviating party's view: it holds two of their three components, and
//! every message it received is masked by a key it lacks. The tags are
//! correct (the multiplication check), so the residue of row `k` is
//! `sum_c k_{j,c} D_{k,c} - E_{k,j}`. If `D_{k,c}` is not zero mod
//! `2^(8 b_c)`, its 2-adic valuation `v` is below `8 b_c`, and for each
//! `j` the uniform key `k_{j,c}` makes the residue zero with probability at
//! most `2^-(64 - v) <= 2^-(65 - 8 b_c)`, independently for the `d` keys:
//! `d` is chosen so that `d (65 - 8 b) >= SOUNDNESS_BITS` for the widest
//! column (one key up to three bytes, two for four or five, 40 for full
//! 64-bit columns, where an error of `2^63` meets only the lowest key bit).
//! For XOR columns a nonzero error `D_k` gives `K D_k = E_k` with
//! probability `2^-s`. A nonzero residue, finally, survives a random subset
//! sum with probability at most 1/2 (fix every coin but one of a row with a
//! nonzero residue: at most one of its two values gives zero), over `Z_2^64`
//! as over `GF(2)`, independently for the 64 subsets. A deviation that
//! changes the output therefore passes with probability at most
//! `2^-SOUNDNESS_BITS + 2^-64`.
//!
//! The check reveals nothing: the opened keys and coins are fresh random
//! values used by nothing else, the opened sums are zero in an honest run,
//! and whether it passes depends only on the deviation, the keys and the
//! coins, never on the data or on the permutation (the tags being right,
//! no error can be lined up against a tag error whose position the
//! permutation decides). The opening of the sums must itself be checked
//! (each component compared as received from both holders), as every
//! opening is in abort mode.
//!
//! The same MACs can outlive one shuffle ([`Macs`]): tags made once move
//! with their rows through any number of shuffles and public permutations,
//! and one check at the end covers them all, as long as nothing those rows
//! decide is opened before it (the sort keeps its key words and indices
//! under such MACs).
//!
//! # Cost
//!
//! For `m` arithmetic columns and `w` XOR bits per row: `d m` products and
//! `s w` ANDs per row, `d + 1` more columns through the shuffle (`d` words,
//! `s` bits), arithmetic columns moved whole; rounds: one for the tags and
//! two for the check per kind of column. A full 64-bit column is the
//! expensive case (40 keys): 45 to 70 times the bytes of the plain shuffle
//! for one to three columns; the sort's columns of up to three bytes need
//! one key.

use super::{Column, Shuffle};
use crate::bits::{from_planes, plane_words, to_planes};
use crate::mul::{Words, and_slices, mul_ring};
use crate::prg::Prg;
use crate::share::{ArithShares, BitShares};
use crate::transport::Transport;
use crate::{Error, Party, Result};
use sha2::{Digest, Sha256};

/// The statistical soundness of the check, in bits: a deviation that
/// changes a shuffled value goes unnoticed with probability at most
/// `2^-SOUNDNESS_BITS` (plus `2^-64`).
pub const SOUNDNESS_BITS: usize = 40;

/// Bytes of the XOR tag (`SOUNDNESS_BITS` bits).
const XOR_TAG_BYTES: usize = SOUNDNESS_BITS.div_ceil(8);

/// Subset sums opened per kind of column.
const SUMS: usize = 64;

const KEY_LABEL: &str =
    "shuffle check: MAC keys and coins, fresh random values used by nothing else";
const SUM_LABEL: &str =
    "shuffle check: random subset sums of the MAC residues, zero unless a party deviated";

/// The number of 64-bit keys per arithmetic column when its low `bytes`
/// bytes matter: each key catches an error of valuation `v < 8 bytes` but
/// with probability `2^-(65 - 8 bytes)`.
pub(crate) fn tag_words(bytes: usize) -> usize {
    SOUNDNESS_BITS.div_ceil(65 - 8 * bytes.clamp(1, 8))
}

/// Both components of every column cut to the bytes that matter. The two
/// holders of a component may disagree above them (a shuffle, or a reshare
/// that sends fewer bytes, moves only those) and a MAC needs one sharing;
/// a sharing mod `2^(8 bytes)`, or of XOR bits, stays one.
pub(crate) fn cut(cols: &[Column<'_>]) -> Vec<(Vec<u64>, Vec<u64>)> {
    cols.iter()
        .map(|c| {
            let m = if c.bytes >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * c.bytes)) - 1
            };
            (
                c.own.iter().map(|x| x & m).collect(),
                c.next.iter().map(|x| x & m).collect(),
            )
        })
        .collect()
}

/// Columns over the given components, of the kinds of `like`.
pub(crate) fn columns<'a>(
    like: &[Column<'_>],
    held: &'a [(Vec<u64>, Vec<u64>)],
) -> Vec<Column<'a>> {
    like.iter()
        .zip(held)
        .map(|(c, (own, next))| Column {
            own,
            next,
            xor: c.xor,
            bytes: c.bytes,
        })
        .collect()
}

/// MACs on the rows of a set of columns, under keys that stay shared until
/// [`Macs::check`]. The tags travel with the rows ([`Macs::tag_columns`]);
/// the data columns, moved the same way, come back to the check.
pub(crate) struct Macs {
    /// Of every tagged column: XOR-shared, and the bytes that matter.
    kinds: Vec<(bool, usize)>,
    /// Keys per arithmetic column.
    d: usize,
    keys_a: Option<ArithShares>,
    keys_x: Option<BitShares>,
    /// `d` arithmetic tags, then the XOR tag if there are XOR columns.
    tags: Vec<(Vec<u64>, Vec<u64>)>,
}

impl Macs {
    /// Draws fresh keys and tags every row of `cols`, whose components must
    /// be one sharing in the bytes that matter ([`cut`]): one round for the
    /// arithmetic columns and one for the XOR ones.
    pub(crate) fn new<T: Transport>(party: &mut Party<T>, cols: &[Column<'_>]) -> Result<Macs> {
        Macs::new_with_public(party, cols, &vec![None; cols.len()])
    }

    /// [`Macs::new`], with the values of the columns that are public
    /// (`Some`, arithmetic ones only): their share of a tag is the key
    /// times the value, no product needed. Without any other arithmetic
    /// column, no round for the arithmetic tags.
    pub(crate) fn new_with_public<T: Transport>(
        party: &mut Party<T>,
        cols: &[Column<'_>],
        public: &[Option<&[u64]>],
    ) -> Result<Macs> {
        assert_eq!(public.len(), cols.len(), "one entry per column");
        let n = cols.first().map_or(0, |c| c.own.len());
        let arith: Vec<usize> = (0..cols.len()).filter(|&c| !cols[c].xor).collect();
        let xor: Vec<usize> = (0..cols.len()).filter(|&c| cols[c].xor).collect();
        let d = arith
            .iter()
            .map(|&c| cols[c].bytes)
            .max()
            .map_or(0, tag_words);
        let xor_bits: usize = xor.iter().map(|&c| 8 * cols[c].bytes).sum();
        // Keys, then 128 coins, in each kind that is opened.
        let keys_a = if arith.is_empty() {
            None
        } else {
            Some(party.random_arith(d * arith.len() + 2))
        };
        let keys_x = if xor.is_empty() {
            None
        } else {
            let len = SOUNDNESS_BITS * xor_bits + 128;
            let (own, next) = party.random_arith(len.div_ceil(64)).into_components();
            Some(BitShares::from_components(own, next, len))
        };
        let mut tags = match &keys_a {
            Some(k) => arith_tags(party, k, cols, public, &arith, d, n)?,
            None => Vec::new(),
        };
        if let Some(k) = &keys_x {
            tags.push(xor_tag(party, k, cols, &xor, n)?);
        }
        Ok(Macs {
            kinds: cols.iter().map(|c| (c.xor, c.bytes)).collect(),
            d,
            keys_a,
            keys_x,
            tags,
        })
    }

    /// The tags as columns to move with the data: arithmetic ones at 8
    /// bytes, the XOR one at `SOUNDNESS_BITS` bits.
    pub(crate) fn tag_columns(&self) -> Vec<Column<'_>> {
        self.tags
            .iter()
            .enumerate()
            .map(|(j, (own, next))| {
                let xor = j == self.d;
                Column {
                    own,
                    next,
                    xor,
                    bytes: if xor { XOR_TAG_BYTES } else { 8 },
                }
            })
            .collect()
    }

    /// Replaces the tags by their moved copies (in [`Macs::tag_columns`]
    /// order).
    pub(crate) fn moved(&mut self, tags: Vec<(Vec<u64>, Vec<u64>)>) {
        assert_eq!(tags.len(), self.tags.len(), "one moved copy per tag");
        self.tags = tags;
    }

    /// Opens the keys and checks the rows of `cols` (the tagged columns,
    /// moved as the tags were) against the tags: two rounds per kind of
    /// column. A nonzero residue is [`Error::Cheating`].
    pub(crate) fn check<T: Transport>(
        self,
        party: &mut Party<T>,
        cols: &[Column<'_>],
    ) -> Result<()> {
        assert!(
            cols.len() == self.kinds.len()
                && cols
                    .iter()
                    .zip(&self.kinds)
                    .all(|(c, k)| (c.xor, c.bytes) == *k),
            "the columns that were tagged"
        );
        let n = cols.first().map_or(0, |c| c.own.len());
        let arith: Vec<usize> = (0..cols.len()).filter(|&c| !cols[c].xor).collect();
        let xor: Vec<usize> = (0..cols.len()).filter(|&c| cols[c].xor).collect();
        // The keys and coins, opened now that no hop is left to deviate in.
        let ka = match &self.keys_a {
            Some(k) => Some(party.open_arith(KEY_LABEL, k)?),
            None => None,
        };
        let kx = match &self.keys_x {
            Some(k) => Some(party.open_bits(KEY_LABEL, k)?),
            None => None,
        };
        let mut coins = seeded(ka.as_deref(), kx.as_deref());
        if let Some(keys) = &ka {
            let (ro, rn) = arith_residues(keys, cols, &arith, &self.tags, self.d, n);
            let (own, next) = subset_sums(&mut coins, (&ro, &rn), u64::wrapping_add);
            let sums = ArithShares::from_components(own, next);
            if party.open_arith(SUM_LABEL, &sums)?.iter().any(|&z| z != 0) {
                return Err(cheating());
            }
        }
        if let Some(keys) = &kx {
            let tag = &self.tags[self.d];
            let (ro, rn) = xor_residues(keys, cols, &xor, tag);
            let (own, next) = subset_sums(&mut coins, (&ro, &rn), |a, b| a ^ b);
            let sums = BitShares::from_components(own, next, 64 * SUMS);
            if party.open_bits(SUM_LABEL, &sums)?.iter().any(|&b| b) {
                return Err(cheating());
            }
        }
        Ok(())
    }
}

/// [`Shuffle::run`] with the check (see the module documentation).
pub(super) fn run<T: Transport>(
    shuffle: &Shuffle,
    party: &mut Party<T>,
    cols: &[Column<'_>],
    inverse: bool,
) -> Result<Vec<(Vec<u64>, Vec<u64>)>> {
    if shuffle.is_empty() || cols.is_empty() {
        return shuffle.run_plain(party, cols, inverse);
    }
    let held = cut(cols);
    let cols = columns(cols, &held);
    let mut macs = Macs::new(party, &cols)?;
    let mut out = {
        // Arithmetic columns travel whole: the MAC needs the whole ring.
        let mut moved: Vec<Column<'_>> = cols
            .iter()
            .map(|c| Column {
                bytes: if c.xor { c.bytes } else { 8 },
                ..*c
            })
            .collect();
        moved.extend(macs.tag_columns());
        shuffle.run_plain(party, &moved, inverse)?
    };
    macs.moved(out.split_off(cols.len()));
    macs.check(party, &columns(&cols, &out))?;
    // Arithmetic columns come back exact mod 2^64 (of the cut values).
    Ok(out)
}

fn cheating() -> Error {
    Error::Cheating {
        check: "shuffle",
        peer: None,
    }
}

/// A generator seeded by a hash of everything the check opened: the coins
/// among it are fresh and uniform, unknown to all until opened.
fn seeded(ka: Option<&[u64]>, kx: Option<&[bool]>) -> Prg {
    let mut h = Sha256::new();
    h.update(b"shares/shuffle-check/v1");
    for w in ka.unwrap_or(&[]) {
        h.update(w.to_le_bytes());
    }
    h.update(b"|");
    let bits: Vec<u8> = kx.unwrap_or(&[]).iter().map(|&b| u8::from(b)).collect();
    h.update(&bits);
    Prg::new(h.finalize()[..16].try_into().expect("16 bytes"))
}

/// `t_j = sum_c k_{j,c} x_c` for every row: one multiplication per key and
/// row, all in one round. Returns each tag's `(own, next)`.
fn arith_tags<T: Transport>(
    party: &mut Party<T>,
    keys: &ArithShares,
    cols: &[Column<'_>],
    public: &[Option<&[u64]>],
    arith: &[usize],
    d: usize,
    n: usize,
) -> Result<Vec<(Vec<u64>, Vec<u64>)>> {
    let m = arith.len();
    let (ko, kn) = keys.components();
    let mut tags = vec![(vec![0u64; n], vec![0u64; n]); d];
    // Public columns: the key's components times the value.
    let (mut xo, mut xn, mut yo, mut yn) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut shared = Vec::new();
    for (j, (to, tn)) in tags.iter_mut().enumerate() {
        for (ci, &c) in arith.iter().enumerate() {
            let (a, b) = (ko[j * m + ci], kn[j * m + ci]);
            match public[c] {
                Some(v) => {
                    for k in 0..n {
                        to[k] = to[k].wrapping_add(a.wrapping_mul(v[k]));
                        tn[k] = tn[k].wrapping_add(b.wrapping_mul(v[k]));
                    }
                }
                None => {
                    // The key k_{j,c} on every row: a sharing of a
                    // constant vector, times the column.
                    xo.extend(std::iter::repeat_n(a, n));
                    xn.extend(std::iter::repeat_n(b, n));
                    yo.extend_from_slice(cols[c].own);
                    yn.extend_from_slice(cols[c].next);
                    shared.push(j);
                }
            }
        }
    }
    if shared.is_empty() {
        return Ok(tags);
    }
    let prod = mul_ring(
        party,
        &ArithShares::from_components(xo, xn),
        &ArithShares::from_components(yo, yn),
        false,
    )?;
    let (po, pn) = prod.components();
    for (p, &j) in shared.iter().enumerate() {
        let (to, tn) = &mut tags[j];
        for k in 0..n {
            to[k] = to[k].wrapping_add(po[p * n + k]);
            tn[k] = tn[k].wrapping_add(pn[p * n + k]);
        }
    }
    Ok(tags)
}

/// The XOR tag `u = sum_c K_c y_c` over `GF(2)`, `SOUNDNESS_BITS` bits per
/// row: the AND of every key bit with every data bit plane, one round.
/// Key bit `(j, i)` (tag bit `j`, data bit `i` over the XOR columns in
/// order) is bit `j * w + i` of `keys`.
fn xor_tag<T: Transport>(
    party: &mut Party<T>,
    keys: &BitShares,
    cols: &[Column<'_>],
    xor: &[usize],
    n: usize,
) -> Result<(Vec<u64>, Vec<u64>)> {
    let pw = plane_words(n);
    let planes: Vec<(Vec<u64>, Vec<u64>)> = xor
        .iter()
        .map(|&c| {
            let w = 8 * cols[c].bytes;
            (to_planes(cols[c].own, w), to_planes(cols[c].next, w))
        })
        .collect();
    // Data bit i of the XOR columns together: (column, plane).
    let mut data: Vec<Words<'_>> = Vec::new();
    for ((o, x), &c) in planes.iter().zip(xor) {
        for i in 0..8 * cols[c].bytes {
            let r = i * pw..(i + 1) * pw;
            data.push([&o[r.clone()], &x[r]]);
        }
    }
    let w = data.len();
    let (ones, zeros) = (vec![u64::MAX; pw], vec![0u64; pw]);
    let (ko, kn) = keys.components();
    // A key bit on every row: the all-ones or all-zeros plane.
    let broadcast = |comp: &[u64], at: usize| (comp[at / 64] >> (at % 64)) & 1 == 1;
    let plane_of = |set: bool| -> &[u64] { if set { &ones } else { &zeros } };
    let mut pairs: Vec<(Words<'_>, Words<'_>)> = Vec::with_capacity(SOUNDNESS_BITS * w);
    for j in 0..SOUNDNESS_BITS {
        for (i, plane) in data.iter().enumerate() {
            let at = j * w + i;
            let key = [plane_of(broadcast(ko, at)), plane_of(broadcast(kn, at))];
            pairs.push((key, *plane));
        }
    }
    let (zo, zn) = and_slices(party, &pairs)?;
    drop(pairs);
    // Tag bit plane j is the XOR of its w products.
    let fold = |z: &[u64]| -> Vec<u64> {
        let mut t = vec![0u64; SOUNDNESS_BITS * pw];
        for (j, tj) in t.chunks_mut(pw).enumerate() {
            for i in 0..w {
                let at = (j * w + i) * pw;
                for (a, b) in tj.iter_mut().zip(&z[at..at + pw]) {
                    *a ^= b;
                }
            }
        }
        from_planes(&t, SOUNDNESS_BITS, n)
    };
    Ok((fold(&zo), fold(&zn)))
}

/// This party's components of the residues `sum_c k_{j,c} x'_c - t'_j` of
/// every key `j` and row (key-major).
fn arith_residues(
    keys: &[u64],
    cols: &[Column<'_>],
    arith: &[usize],
    tags: &[(Vec<u64>, Vec<u64>)],
    d: usize,
    n: usize,
) -> (Vec<u64>, Vec<u64>) {
    let m = arith.len();
    let (mut own, mut next) = (Vec::with_capacity(d * n), Vec::with_capacity(d * n));
    for (j, (to, tn)) in tags.iter().enumerate().take(d) {
        let (mut ro, mut rn): (Vec<u64>, Vec<u64>) = (
            to.iter().map(|t| t.wrapping_neg()).collect(),
            tn.iter().map(|t| t.wrapping_neg()).collect(),
        );
        for (ci, &c) in arith.iter().enumerate() {
            let k = keys[j * m + ci];
            let (xo, xn) = (cols[c].own, cols[c].next);
            for i in 0..n {
                ro[i] = ro[i].wrapping_add(k.wrapping_mul(xo[i]));
                rn[i] = rn[i].wrapping_add(k.wrapping_mul(xn[i]));
            }
        }
        own.extend(ro);
        next.extend(rn);
    }
    (own, next)
}

/// This party's components of the XOR residues `sum_c K_c y'_c + u'` of
/// every row (`SOUNDNESS_BITS` bits each), by tables of the opened key: for
/// each data byte, the XOR of the key columns its set bits select.
fn xor_residues(
    keys: &[bool],
    cols: &[Column<'_>],
    xor: &[usize],
    tag: &(Vec<u64>, Vec<u64>),
) -> (Vec<u64>, Vec<u64>) {
    let w: usize = xor.iter().map(|&c| 8 * cols[c].bytes).sum();
    // Column i of K as a word: bit j set when key bit (j, i) is.
    let column = |i: usize| -> u64 {
        (0..SOUNDNESS_BITS).fold(0u64, |acc, j| acc | (u64::from(keys[j * w + i]) << j))
    };
    // Only the low SOUNDNESS_BITS bits of the moved tag are defined.
    let low = (1u64 << SOUNDNESS_BITS) - 1;
    let own: Vec<u64> = tag.0.iter().map(|t| t & low).collect();
    let next: Vec<u64> = tag.1.iter().map(|t| t & low).collect();
    let (mut own, mut next) = (own, next);
    let mut first = 0;
    for &c in xor {
        for byte in 0..cols[c].bytes {
            let base: Vec<u64> = (0..8).map(|b| column(first + 8 * byte + b)).collect();
            let table: Vec<u64> = (0..256usize)
                .map(|v| {
                    (0..8)
                        .filter(|b| (v >> b) & 1 == 1)
                        .fold(0u64, |acc, b| acc ^ base[b])
                })
                .collect();
            let (yo, yn) = (cols[c].own, cols[c].next);
            for (r, y) in own.iter_mut().zip(yo) {
                *r ^= table[((y >> (8 * byte)) & 0xFF) as usize];
            }
            for (r, y) in next.iter_mut().zip(yn) {
                *r ^= table[((y >> (8 * byte)) & 0xFF) as usize];
            }
        }
        first += 8 * cols[c].bytes;
    }
    (own, next)
}

/// `SUMS` sums (`add`: wrapping addition or XOR) of random subsets of the
/// residues, given as this party's components `(own, next)`, the same
/// subsets for both: bit `i` of a residue's coin word puts it into sum `i`.
fn subset_sums(
    coins: &mut Prg,
    (ro, rn): (&[u64], &[u64]),
    add: impl Fn(u64, u64) -> u64,
) -> (Vec<u64>, Vec<u64>) {
    let (mut own, mut next) = (vec![0u64; SUMS], vec![0u64; SUMS]);
    let picks = coins.words(ro.len());
    for ((&pick, &o), &x) in picks.iter().zip(ro).zip(rn) {
        let mut bits = pick;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            own[i] = add(own[i], o);
            next[i] = add(next[i], x);
            bits &= bits - 1;
        }
    }
    (own, next)
}

#[cfg(all(test, feature = "test-keys"))]
mod tests {
    use super::*;
    use crate::{MemTransport, Security};
    use std::time::Duration;

    fn run3<R: Send>(f: impl Fn(&mut Party<MemTransport>) -> R + Sync) -> Vec<R> {
        let ts = MemTransport::triple(Duration::from_secs(10));
        std::thread::scope(|s| {
            let hs: Vec<_> = ts
                .into_iter()
                .map(|t| {
                    let f = &f;
                    s.spawn(move || {
                        let mut p = Party::with_seed(t, 5);
                        p.set_security(Security::Abort);
                        f(&mut p)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    fn public_column(me: usize, v: &[u64]) -> (Vec<u64>, Vec<u64>) {
        let z = vec![0u64; v.len()];
        match me {
            0 => (v.to_vec(), z),
            2 => (z, v.to_vec()),
            _ => (z.clone(), z),
        }
    }

    #[test]
    fn mixed() {
        let n = 100;
        for (ab, xb) in [(2, 2), (8, 3), (1, 1)] {
            let out = run3(|p| {
                let me = p.id().index();
                let v: Vec<u64> = (0..n as u64).map(|i| (i * 77) & 0xFFFF).collect();
                let (o1, n1) = public_column(me, &v);
                let (o2, n2) = public_column(me, &v);
                let (o3, n3) = public_column(me, &v);
                let sh = Shuffle::random(p, n);
                let cols = [
                    Column {
                        own: &o1,
                        next: &n1,
                        xor: false,
                        bytes: ab,
                    },
                    Column {
                        own: &o2,
                        next: &n2,
                        xor: true,
                        bytes: xb,
                    },
                    Column {
                        own: &o3,
                        next: &n3,
                        xor: false,
                        bytes: ab,
                    },
                ];
                sh.run(p, &cols, false).map(|_| ())
            });
            for r in out {
                r.unwrap();
            }
        }
    }

    #[test]
    fn keys_per_column_width() {
        assert_eq!(tag_words(1), 1);
        assert_eq!(tag_words(3), 1, "41 bits from one key");
        assert_eq!(tag_words(4), 2, "33 bits per key");
        assert_eq!(tag_words(6), 3, "17 bits per key");
        assert_eq!(tag_words(8), 40, "one bit per key against 2^63");
    }

    #[test]
    fn xor_only() {
        let n = 100;
        let out = run3(|p| {
            let me = p.id().index();
            // A public XOR column: component 0 holds it.
            let v: Vec<u64> = (0..n as u64).map(|i| (i * 77) & 0xFFFF).collect();
            let z = vec![0u64; n];
            let (own, next) = match me {
                0 => (v.clone(), z.clone()),
                2 => (z.clone(), v.clone()),
                _ => (z.clone(), z.clone()),
            };
            let sh = Shuffle::random(p, n);
            sh.run(
                p,
                &[Column {
                    own: &own,
                    next: &next,
                    xor: true,
                    bytes: 2,
                }],
                false,
            )
            .map(|_| ())
        });
        for r in out {
            r.unwrap();
        }
    }
}
