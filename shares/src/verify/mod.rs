//! Security with abort: every multiplication-type message is proven
//! correct before anything is opened (a distributed zero-knowledge proof
//! in the style of Boyle, Gilboa, Ishai, Nof, CCS 2019 and ASIACRYPT 2020),
//! and every opened component is compared as received from both of its
//! holders ([`crate::Party`]'s openings).
//!
//! # What is proven
//!
//! In a multiplication party `j` sends its predecessor
//! `z_j = x_j y_j + x_j y_{j+1} + x_{j+1} y_j + F(K_{j+1}) - F(K_j)`
//! (`F(K)` the next draw of key `K`'s stream; XOR and AND for bits). Its
//! error `e = z_j - (that)` splits into `A = z_j - x_j y_j + F(K_j)`, known
//! to the *left verifier* `j-1` (it received `z_j`, holds `x_j`, `y_j` as
//! its `next` and drew `F(K_j)` itself), `B = -F(K_{j+1})`, known to the
//! *right verifier* `j+1` (its own draw), and the cross terms
//! `<(x_j, y_j), (y_{j+1}, x_{j+1})>`, whose left vector the left verifier
//! knows and whose right vector the right verifier knows. The prover `j`
//! knows all of it. [`ledger`] keeps, per party and gate, what the party
//! needs in each of the three parts it plays: prover of its own messages,
//! left verifier of its successor's, right verifier of its predecessor's.
//!
//! With random weights `theta` from the verifiers, all gates of a prover
//! are checked at once: `sum theta (A + B) = sum theta <u, v>`, i.e. the
//! claim `c = <u, v>` with `u = (theta x_j, theta y_j)` on the left,
//! `v = (y_{j+1}, x_{j+1})` on the right and `c` additively shared between
//! the verifiers. The weights live in an extension where a nonzero error
//! survives the weighting: `GF(2^64)` for AND ([`boolean`]: one random
//! `alpha_w` per word, `theta = alpha_w t^b` for bit `b`, so a word's
//! weighted error is `alpha_w` times the word read as a field element) and
//! the Galois ring `GR(2^64, 49)` for `Z_2^64` ([`ring`]: one random
//! `{0, 1}`-coefficient `E_a` per block of 49 gates, `theta = E_a X^l` for
//! gate `l`, so the block's errors are packed into one ring element).
//! Messages that matter only mod `2^k` (the narrow products, the sort's
//! positions) are checked mod `2^k`: their whole relation is multiplied by
//! `2^(64-k)`.
//!
//! # The proof
//!
//! A first round specific to each algebra ([`boolean`], [`ring`]) turns
//! the gates into vectors over the extension, a Laurent fold of a larger
//! factor computed from words; then binary Laurent folds ([`core`]) halve
//! the vectors until one entry is left, and the two verifiers exchange
//! `u*`, `v*` and their claim shares and both check `u* v* = c`. In every
//! round the prover sends the coefficients of a polynomial `h` to its left
//! verifier only, as `h - s` with `s` drawn from the key `K_{j+1}` it
//! shares with the right verifier, which draws `s` itself; the claim is
//! linear in `h`, so each verifier updates its share alone.
//!
//! # Keys and coins
//!
//! The two verifiers of prover `j` (`j-1` and `j+1`) share `K_{j-1}`, which
//! the prover lacks: the weights and every challenge come from it. The left
//! verifier sends each to the prover only after the prover's message of
//! that round has arrived; the right verifier sends a hash of all of them
//! at the end, and the prover compares. At the start of a verification
//! every party draws one seed from each of its two keys (both holders of a
//! key draw at the same point, so the streams stay in step), and derives
//! from the seed of `K_m` separate streams for its three uses: coins for
//! prover `m+1`, the left pad of prover `m`, the shares and right pad of
//! prover `m-1`.
//!
//! # Zero knowledge
//!
//! The left verifier receives only values masked by draws of `K_{j+1}`; the
//! right verifier receives nothing from the prover. What the verifiers
//! exchange at the end would reveal a combination of the prover's secret
//! components, so before the recursive rounds the prover appends one
//! random entry pair `(u_pad, v_pad)`, `u_pad` from `K_j` (shared with the
//! left verifier), `v_pad` from `K_{j+1}` (shared with the right one), and
//! shares `u_pad v_pad` between them (the right share from `K_{j+1}`, the
//! left one sent masked). Every fold multiplies an entry by `1` or a
//! nonzero challenge drawn from an exceptional set, a unit, so `u*` carries
//! `u_pad` times a unit and is uniformly random to the right verifier, `v*`
//! likewise to the left one, and each verifier's final claim share is
//! determined by `u* v*` and the other share.
//!
//! # Soundness
//!
//! A false claim survives the weighting with probability at most `2^-64`
//! (`GF(2^64)`) or `2^-49` (the ring: a block's packed error `W != 0` and
//! `E W = R` hold for at most one `E` with `{0, 1}` coefficients, since two
//! such differ by a unit). Each fold of factor `L` leaves a false claim
//! true with probability at most `(2L - 2) / |S|`, `S` the challenge set
//! (`GF(2^64)` minus `{0, 1}`; the `{0, 1}`-coefficient ring elements minus
//! `0` and `1`, `2^49 - 2` of them, where a nonzero polynomial of degree
//! `k`, divided by its largest power of 2, has a root mod 2 at most `k`
//! times). With a first fold of at most 16 and at most 40 rounds after it
//! (vectors below `2^40` entries), a verification is fooled with
//! probability at most `2^-49 + 110 / (2^49 - 2) + 2^-57 < 2^-42`.
//!
//! # Failures
//!
//! Both honest verifiers of a prover run the final check. A failed proof
//! is [`Error::Cheating`](crate::Error) with check `"mul"` or `"and"` and
//! the prover as `peer`; a verifier may also have given the prover wrong
//! coins, so a blamed prover may be honest when the other verifier is not
//! (with one deviating party the honest ones still stop). A party checks
//! the proof it verifies as right verifier first: a message that left two
//! holders of a component disagreeing makes later proofs fail too, and the
//! right verifier's failure names the party that sent it. A prover whose
//! coins differ between its verifiers reports check `"challenges"` with no
//! peer.

mod arch;
mod boolean;
mod core;
mod gf;
mod gr;
mod ledger;
#[cfg(test)]
mod poly2;
mod ring;

pub(crate) use ledger::{Ledger, Positions};

use crate::prg::Prg;
use crate::transport::{Tag, Transport, TransportError};
use crate::{Error, Party, PartyId, Result};
use ring::Role;
use sha2::{Digest, Sha256};

/// Words kept in the ledger above which a party verifies at once (a
/// verification holds about four times as much for its vectors).
pub(crate) const LEDGER_LIMIT: usize = 1 << 23;

/// An algebra the proofs run over.
pub(crate) trait Algebra {
    /// An element.
    type E: Copy + PartialEq;
    /// Bytes of an element on the wire.
    const BYTES: usize;
    /// The name of the check, for [`Error::Cheating`].
    const CHECK: &'static str;
    fn zero() -> Self::E;
    fn add(a: &Self::E, b: &Self::E) -> Self::E;
    fn sub(a: &Self::E, b: &Self::E) -> Self::E;
    fn mul(a: &Self::E, b: &Self::E) -> Self::E;
    /// A uniformly random element.
    fn uniform(prg: &mut Prg) -> Self::E;
    /// A challenge: from an exceptional set, not 0 or 1.
    fn challenge(prg: &mut Prg) -> Self::E;
    fn write(e: &Self::E, out: &mut Vec<u8>);
    fn read(b: &[u8]) -> Self::E;
    /// `sum a_k b_k`.
    fn dot(a: &[Self::E], b: &[Self::E]) -> Self::E;
    /// For `x = (x0, x1)` of even length, `x0 + r x1` element-wise
    /// (`rev`: `r x0 + x1`), in place: `x` becomes half as long.
    fn fold(x: &mut Vec<Self::E>, r: &Self::E, rev: bool);
}

/// A stream derived from a seed drawn from a pairwise key, for one use.
fn derive(seed: &[u8; 32], label: &str) -> Prg {
    let mut h = Sha256::new();
    h.update(b"shares/verify/v1/");
    h.update(label.as_bytes());
    h.update(seed);
    Prg::new(h.finalize()[..16].try_into().expect("16 bytes"))
}

fn seed_of(words: Vec<u64>) -> [u8; 32] {
    let mut s = [0u8; 32];
    for (c, w) in s.chunks_exact_mut(8).zip(words) {
        c.copy_from_slice(&w.to_le_bytes());
    }
    s
}

/// The streams of one algebra's proofs, as a party uses them.
struct Streams {
    /// As prover: the left pad (`K_i`).
    prover_pad: Prg,
    /// As prover: the shares and right pad (`K_{i+1}`).
    prover_shares: Prg,
    /// As left verifier of the successor: its left pad (`K_{i+1}`).
    left_pad: Prg,
    /// As right verifier of the predecessor: its shares (`K_i`).
    right_shares: Prg,
}

impl Streams {
    fn new(prev_seed: &[u8; 32], next_seed: &[u8; 32], algebra: &str) -> Streams {
        Streams {
            prover_pad: derive(prev_seed, &format!("{algebra}/left-pad")),
            prover_shares: derive(next_seed, &format!("{algebra}/shares")),
            left_pad: derive(next_seed, &format!("{algebra}/left-pad")),
            right_shares: derive(prev_seed, &format!("{algebra}/shares")),
        }
    }
}

/// Reads `n` elements.
fn read_all<A: Algebra>(b: &[u8], n: usize) -> Vec<A::E> {
    (0..n)
        .map(|k| A::read(&b[k * A::BYTES..(k + 1) * A::BYTES]))
        .collect()
}

/// A proof in its recursive rounds, in the three parts this party plays.
struct Recursion<A: Algebra> {
    prover: core::Prover<A>,
    left: core::Left<A>,
    right: core::Right<A>,
    streams: Streams,
}

impl<A: Algebra> Recursion<A> {
    fn rounds(&self) -> usize {
        self.prover.rounds()
    }
}

/// What a proof's first round leaves before its challenge.
struct First<A: Algebra> {
    /// The prover's message: coefficient shares and the pad's.
    message: Vec<A::E>,
    pad: core::Pad<A>,
    left_claim: A::E,
    right_claim: A::E,
    /// Fold factor.
    l: usize,
}

/// The three parts after the first round's challenges: `r_left` of the
/// successor's proof, `r_right` of the predecessor's.
#[allow(clippy::too_many_arguments)]
fn finish_first<A: Algebra>(
    first: First<A>,
    left_message: &[A::E],
    r_left: &A::E,
    r_right: &A::E,
    mut streams: Streams,
    (mut pu, mut pv): (Vec<A::E>, Vec<A::E>),
    mut lu: Vec<A::E>,
    mut rv: Vec<A::E>,
) -> Recursion<A> {
    let l = first.l;
    let k = 2 * l - 2;
    pu.push(first.pad.u);
    pv.push(first.pad.v);
    // Left: its coefficient shares came in the message, then the pad's.
    let lc = core::laurent_claim::<A>(&left_message[..k], &first.left_claim, r_left, l);
    let lc = A::add(&lc, &left_message[k]);
    lu.push(A::uniform(&mut streams.left_pad));
    // Right: the same shares from the key it shares with the prover.
    let s: Vec<A::E> = (0..k)
        .map(|_| A::uniform(&mut streams.right_shares))
        .collect();
    let rc = core::laurent_claim::<A>(&s, &first.right_claim, r_right, l);
    let (v_pad, s_pad) = core::Pad::<A>::right(&mut streams.right_shares);
    let rc = A::add(&rc, &s_pad);
    rv.push(v_pad);
    Recursion {
        prover: core::Prover { u: pu, v: pv },
        left: core::Left { u: lu, c: lc },
        right: core::Right { v: rv, c: rc },
        streams,
    }
}

/// The prover's first message for AND gates and what the verifiers start
/// with.
fn first_and(
    l: &ledger::Bits,
    weights: [&[u8; 16]; 3],
    streams: &mut Streams,
) -> (First<gf::Gf>, [Vec<u64>; 3]) {
    let n = l.x_own.len();
    let alpha = weights.map(|w| derive(&seed32(w), "and/weights").words(n));
    let h = boolean::coefficients(&boolean::Pairs::prover(l), &alpha[0]);
    let mut message: Vec<u64> = h
        .iter()
        .map(|x| x ^ <gf::Gf as Algebra>::uniform(&mut streams.prover_shares))
        .collect();
    let pad = core::Pad::<gf::Gf>::draw(&mut streams.prover_pad, &mut streams.prover_shares);
    message.push(pad.message());
    let first = First {
        message,
        pad,
        left_claim: boolean::claim(&alpha[1], &l.left_claim),
        right_claim: boolean::claim(&alpha[2], &l.right_claim),
        l: boolean::CHUNK,
    };
    (first, alpha)
}

/// The prover's first message for ring gates and what the verifiers start
/// with.
fn first_ring(
    g: &[ledger::RingGates],
    weights: [&[u8; 16]; 3],
    streams: &mut Streams,
) -> (First<gr::Ring>, [Vec<Vec<u64>>; 3]) {
    let w = weights.map(|w| ring::weights(g, &mut derive(&seed32(w), "mul/weights")));
    let l = ring::fold_factor(g);
    let h = ring::coefficients(g, &w[0], l);
    let mut message: Vec<gr::Gr> = h
        .iter()
        .map(|x| gr::sub(x, &gr::uniform(&mut streams.prover_shares)))
        .collect();
    let pad = core::Pad::<gr::Ring>::draw(&mut streams.prover_pad, &mut streams.prover_shares);
    message.push(pad.message());
    let first = First {
        message,
        pad,
        left_claim: ring::claim(g, &w[1], true),
        right_claim: ring::claim(g, &w[2], false),
        l,
    };
    (first, w)
}

fn seed32(w: &[u8; 16]) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[..16].copy_from_slice(w);
    s
}

fn recv_exact<T: Transport>(party: &mut Party<T>, from: PartyId, len: usize) -> Result<Vec<u8>> {
    let got = party.transport_mut().recv(from, Tag::VERIFY)?;
    if got.len() != len {
        return Err(TransportError::WrongLength {
            from,
            tag: Tag::VERIFY,
            expected: len,
            got: got.len(),
        }
        .into());
    }
    Ok(got)
}

fn write_all<A: Algebra>(xs: &[A::E], out: &mut Vec<u8>) {
    for x in xs {
        A::write(x, out);
    }
}

/// One round of recursion for the algebras still folding: prover
/// messages out, the successor's in, challenges out and in, all folds.
struct Coins {
    left: Prg,
    right: Prg,
    /// What the right verifier drew, hashed for the prover at the end.
    right_log: Sha256,
    /// What the prover received, hashed likewise.
    prover_log: Sha256,
}

fn log_label() -> Sha256 {
    let mut h = Sha256::new();
    h.update(b"shares/verify/v1/coins");
    h
}

/// Runs the three proofs of everything in `ledger`.
pub(crate) fn run<T: Transport>(party: &mut Party<T>, ledger: Ledger) -> Result<()> {
    let me = party.id();
    let (prev, next) = (me.prev(), me.next());
    let has_and = !ledger.bits.x_own.is_empty();
    let ring_gates: Vec<ledger::RingGates> =
        ledger.ring.into_iter().filter(|g| g.gates() > 0).collect();
    let has_ring = !ring_gates.is_empty();
    let bits = ledger.bits;
    if !has_and && !has_ring {
        return Ok(());
    }
    // Both holders of K_i (this party's prev_prg, its predecessor's
    // next_prg) draw their seed here.
    let prev_seed = seed_of(party.prev_prg().words(4));
    let next_seed = seed_of(party.next_prg().words(4));
    let mut coins = Coins {
        left: derive(&prev_seed, "coins"),
        right: derive(&next_seed, "coins"),
        right_log: log_label(),
        prover_log: log_label(),
    };
    // The weights: the left verifier's seed goes to the prover now, when
    // every message they weight has been sent.
    let w_left: [u8; 16] = seed_of(coins.left.words(2))[..16].try_into().expect("16");
    let w_right: [u8; 16] = seed_of(coins.right.words(2))[..16].try_into().expect("16");
    coins.right_log.update(w_right);
    party.transport_mut().send(next, Tag::VERIFY, &w_left)?;
    let got = recv_exact(party, prev, 16)?;
    let w_prover: [u8; 16] = got.as_slice().try_into().expect("16");
    coins.prover_log.update(w_prover);
    let weights = [&w_prover, &w_left, &w_right];

    // First round.
    let mut and_streams = Streams::new(&prev_seed, &next_seed, "and");
    let mut ring_streams = Streams::new(&prev_seed, &next_seed, "mul");
    let and_first = has_and.then(|| first_and(&bits, weights, &mut and_streams));
    let ring_first = has_ring.then(|| first_ring(&ring_gates, weights, &mut ring_streams));
    let mut out = Vec::new();
    let mut in_len = 0;
    if let Some((f, _)) = &and_first {
        write_all::<gf::Gf>(&f.message, &mut out);
        in_len += f.message.len() * <gf::Gf as Algebra>::BYTES;
    }
    if let Some((f, _)) = &ring_first {
        write_all::<gr::Ring>(&f.message, &mut out);
        in_len += f.message.len() * <gr::Ring as Algebra>::BYTES;
    }
    party.transport_mut().send(prev, Tag::VERIFY, &out)?;
    let from_next = recv_exact(party, next, in_len)?;
    // Challenges of the first round.
    let mut challenge_out = Vec::new();
    let r_and = has_and.then(|| draw::<gf::Gf>(&mut coins, &mut challenge_out));
    let r_ring = has_ring.then(|| draw::<gr::Ring>(&mut coins, &mut challenge_out));
    party
        .transport_mut()
        .send(next, Tag::VERIFY, &challenge_out)?;
    let from_prev = recv_exact(party, prev, challenge_out.len())?;
    coins.prover_log.update(&from_prev);
    let mut at_next = 0;
    let mut at_prev = 0;
    let mut and_rec = None;
    if let (Some((first, alpha)), Some((r_left, r_right))) = (and_first, r_and) {
        let n = first.message.len();
        let msg = read_all::<gf::Gf>(&from_next[at_next..], n);
        at_next += n * 8;
        let r_prover = <gf::Gf as Algebra>::read(&from_prev[at_prev..at_prev + 8]);
        at_prev += 8;
        let pairs = boolean::Pairs::prover(&bits);
        let t = boolean::Tables::new(r_prover);
        let prover = (
            boolean::fold_u(&alpha[0], [pairs.u0, pairs.u1], &t),
            boolean::fold_v([pairs.v0, pairs.v1], &t),
        );
        let lu = boolean::fold_u(
            &alpha[1],
            boolean::left_u(&bits),
            &boolean::Tables::new(r_left),
        );
        let rv = boolean::fold_v(boolean::right_v(&bits), &boolean::Tables::new(r_right));
        and_rec = Some(finish_first(
            first,
            &msg,
            &r_left,
            &r_right,
            and_streams,
            prover,
            lu,
            rv,
        ));
    }
    drop(bits);
    let mut ring_rec = None;
    if let (Some((first, w)), Some((r_left, r_right))) = (ring_first, r_ring) {
        let n = first.message.len();
        let msg = read_all::<gr::Ring>(&from_next[at_next..], n);
        let r_prover = <gr::Ring as Algebra>::read(&from_prev[at_prev..at_prev + gr::D * 8]);
        let l = first.l;
        let mask = |r: &gr::Gr| gr::to_mask(r).filter(|m| *m > 1);
        // A prover sent a challenge outside the set notices at the end (the
        // hashes differ); it folds with 2 (the element X) meanwhile.
        let prover = ring::fold(
            &ring_gates,
            &w[0],
            l,
            mask(&r_prover).unwrap_or(2),
            Role::Prover,
        );
        let (lu, _) = ring::fold(
            &ring_gates,
            &w[1],
            l,
            mask(&r_left).expect("drawn"),
            Role::Left,
        );
        let (_, rv) = ring::fold(
            &ring_gates,
            &w[2],
            l,
            mask(&r_right).expect("drawn"),
            Role::Right,
        );
        ring_rec = Some(finish_first(
            first,
            &msg,
            &r_left,
            &r_right,
            ring_streams,
            prover,
            lu,
            rv,
        ));
    }
    drop(ring_gates);

    // Recursive rounds, both algebras in step.
    let rounds = and_rec
        .as_ref()
        .map_or(0, Recursion::rounds)
        .max(ring_rec.as_ref().map_or(0, Recursion::rounds));
    for _ in 0..rounds {
        let mut out = Vec::new();
        let mut in_len = 0;
        if let Some(rec) = and_rec.as_mut().filter(|r| r.rounds() > 0) {
            let m = rec.prover.message(&mut rec.streams.prover_shares);
            write_all::<gf::Gf>(&m, &mut out);
            in_len += 2 * 8;
        }
        if let Some(rec) = ring_rec.as_mut().filter(|r| r.rounds() > 0) {
            let m = rec.prover.message(&mut rec.streams.prover_shares);
            write_all::<gr::Ring>(&m, &mut out);
            in_len += 2 * gr::D * 8;
        }
        party.transport_mut().send(prev, Tag::VERIFY, &out)?;
        let from_next = recv_exact(party, next, in_len)?;
        let mut challenge_out = Vec::new();
        let and_active = and_rec.as_ref().is_some_and(|r| r.rounds() > 0);
        let ring_active = ring_rec.as_ref().is_some_and(|r| r.rounds() > 0);
        let r_and = and_active.then(|| draw::<gf::Gf>(&mut coins, &mut challenge_out));
        let r_ring = ring_active.then(|| draw::<gr::Ring>(&mut coins, &mut challenge_out));
        party
            .transport_mut()
            .send(next, Tag::VERIFY, &challenge_out)?;
        let from_prev = recv_exact(party, prev, challenge_out.len())?;
        coins.prover_log.update(&from_prev);
        let (mut at_next, mut at_prev) = (0, 0);
        if let (Some(rec), Some(r)) = (and_rec.as_mut(), r_and) {
            step(rec, &from_next, &mut at_next, &from_prev, &mut at_prev, r);
        }
        if let (Some(rec), Some(r)) = (ring_rec.as_mut(), r_ring) {
            step(rec, &from_next, &mut at_next, &from_prev, &mut at_prev, r);
        }
    }

    // Final exchange: u* and the left share to the right verifier (the
    // predecessor, for the successor's proof), v* and the right share to
    // the left verifier (the successor, for the predecessor's proof), and
    // the hash of the coins to the predecessor, whose right verifier this
    // party is.
    let mut to_prev = Vec::new();
    let mut to_next = Vec::new();
    if let Some(rec) = &and_rec {
        last(rec, &mut to_prev, &mut to_next);
    }
    if let Some(rec) = &ring_rec {
        last(rec, &mut to_prev, &mut to_next);
    }
    let pairs_len = to_next.len();
    to_prev.extend_from_slice(&coins.right_log.clone().finalize());
    party.transport_mut().send(prev, Tag::VERIFY, &to_prev)?;
    party.transport_mut().send(next, Tag::VERIFY, &to_next)?;
    let from_next = recv_exact(party, next, pairs_len + 32)?;
    let from_prev = recv_exact(party, prev, pairs_len)?;

    // The right verifier's checks first (see "Failures").
    let mut at = 0;
    let mut failed_right = None;
    let mut failed_left = None;
    if let Some(rec) = &and_rec {
        check(
            rec,
            &from_next,
            &from_prev,
            &mut at,
            &mut failed_right,
            &mut failed_left,
        );
    }
    if let Some(rec) = &ring_rec {
        check(
            rec,
            &from_next,
            &from_prev,
            &mut at,
            &mut failed_right,
            &mut failed_left,
        );
    }
    if let Some(check) = failed_right {
        return Err(Error::Cheating {
            check,
            peer: Some(prev),
        });
    }
    if let Some(check) = failed_left {
        return Err(Error::Cheating {
            check,
            peer: Some(next),
        });
    }
    if from_next[pairs_len..] != coins.prover_log.finalize()[..] {
        return Err(Error::Cheating {
            check: "challenges",
            peer: None,
        });
    }
    Ok(())
}

/// Draws one challenge as left verifier (sent to the prover) and as right
/// verifier (logged for the prover's comparison).
fn draw<A: Algebra>(coins: &mut Coins, out: &mut Vec<u8>) -> (A::E, A::E) {
    let left = A::challenge(&mut coins.left);
    let right = A::challenge(&mut coins.right);
    A::write(&left, out);
    let mut b = Vec::with_capacity(A::BYTES);
    A::write(&right, &mut b);
    coins.right_log.update(&b);
    (left, right)
}

/// One recursive round of one algebra's three proofs: the successor's
/// message at `from_next[*at_next..]`, this party's challenge as prover at
/// `from_prev[*at_prev..]`, and the challenges it drew as left and right
/// verifier.
fn step<A: Algebra>(
    rec: &mut Recursion<A>,
    from_next: &[u8],
    at_next: &mut usize,
    from_prev: &[u8],
    at_prev: &mut usize,
    (r_left, r_right): (A::E, A::E),
) {
    let msg = read_all::<A>(&from_next[*at_next..], 2);
    *at_next += 2 * A::BYTES;
    let r_prover = A::read(&from_prev[*at_prev..*at_prev + A::BYTES]);
    *at_prev += A::BYTES;
    rec.prover.fold(&r_prover);
    rec.left.absorb(&[msg[0], msg[1]], &r_left);
    rec.right.absorb(&mut rec.streams.right_shares, &r_right);
}

/// The final values: `(u*, c_left)` for the right verifier of the
/// successor's proof, `(v*, c_right)` for the left verifier of the
/// predecessor's.
fn last<A: Algebra>(rec: &Recursion<A>, to_prev: &mut Vec<u8>, to_next: &mut Vec<u8>) {
    let (u, c) = rec.left.last();
    A::write(&u, to_prev);
    A::write(&c, to_prev);
    let (v, c) = rec.right.last();
    A::write(&v, to_next);
    A::write(&c, to_next);
}

/// Both final checks of one algebra: as right verifier of the
/// predecessor's proof (with `u*`, `c_left` from the successor) and as left
/// verifier of the successor's (with `v*`, `c_right` from the predecessor).
fn check<A: Algebra>(
    rec: &Recursion<A>,
    from_next: &[u8],
    from_prev: &[u8],
    at: &mut usize,
    failed_right: &mut Option<&'static str>,
    failed_left: &mut Option<&'static str>,
) {
    let b = A::BYTES;
    let (u_in, cl_in) = (
        A::read(&from_next[*at..*at + b]),
        A::read(&from_next[*at + b..*at + 2 * b]),
    );
    let (v_in, cr_in) = (
        A::read(&from_prev[*at..*at + b]),
        A::read(&from_prev[*at + b..*at + 2 * b]),
    );
    *at += 2 * b;
    let (v, cr) = rec.right.last();
    if !core::check::<A>(&u_in, &v, &cl_in, &cr) {
        failed_right.get_or_insert(A::CHECK);
    }
    let (u, cl) = rec.left.last();
    if !core::check::<A>(&u, &v_in, &cl, &cr_in) {
        failed_left.get_or_insert(A::CHECK);
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;
    use crate::MemTransport;
    use std::time::Duration;

    #[test]
    fn positions_relation_holds() {
        let ts = MemTransport::triple(Duration::from_secs(10));
        let keys = [[1u8; 16], [2u8; 16], [3u8; 16]];
        let n = 3;
        let res: Vec<(Vec<u64>, Vec<u64>, ledger::Positions)> = std::thread::scope(|s| {
            let hs: Vec<_> = ts
                .into_iter()
                .enumerate()
                .map(|(i, t)| {
                    s.spawn(move || {
                        let mut p = Party::with_keys(t, keys[i], keys[(i + 1) % 3]);
                        p.set_security(crate::Security::Abort);
                        // key words: digit = value mod 4, shared as x0 = v, x1 = x2 = 0
                        let vals = [1u64, 3, 1];
                        let (own, next) = match i {
                            0 => (vals.to_vec(), vec![0; n]),
                            1 => (vec![0; n], vec![0; n]),
                            _ => (vec![0; n], vals.to_vec()),
                        };
                        let st = crate::onehot::start(&mut p, &own, &next, 0, 2, 1).unwrap();
                        let e =
                            crate::onehot::finish(&mut p, st, &own, &next, 0, 2, None, 1).unwrap();
                        let (zo, zn) = crate::onehot::positions(&mut p, &e, 1).unwrap();
                        let l = std::mem::take(p.ledger_mut());
                        let pos = match l.ring.into_iter().next().unwrap() {
                            ledger::RingGates::Positions(pp) => pp,
                            _ => panic!(),
                        };
                        (zo, zn, pos)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let opened: Vec<u64> = (0..n)
            .map(|k| (res[0].0[k] + res[1].0[k] + res[2].0[k]) & 0xff)
            .collect();
        eprintln!("positions {opened:?}");
        let gates: Vec<Vec<ledger::RingGates>> = res
            .iter()
            .map(|r| {
                vec![ledger::RingGates::Positions(ledger::Positions {
                    shift: r.2.shift,
                    buckets: r.2.buckets,
                    e_own: r.2.e_own.clone(),
                    e_next: r.2.e_next.clone(),
                    left_claim: r.2.left_claim.clone(),
                    right_claim: r.2.right_claim.clone(),
                })]
            })
            .collect();
        for j in 0..3 {
            let (gp, gl, gr_) = (&gates[j], &gates[(j + 2) % 3], &gates[(j + 1) % 3]);
            let w = ring::weights(gp, &mut Prg::new([5; 16]));
            let l = ring::fold_factor(gp);
            let c = gr::add(&ring::claim(gl, &w, true), &ring::claim(gr_, &w, false));
            let h = ring::coefficients(gp, &w, l);
            let r = 6u64;
            let (pu, pv) = ring::fold(gp, &w, l, r, Role::Prover);
            let (lu, _) = ring::fold(gl, &w, l, r, Role::Left);
            let (_, rv) = ring::fold(gr_, &w, l, r, Role::Right);
            eprintln!(
                "prover {j}: u agree {} v agree {} dot ok {}",
                pu == lu,
                pv == rv,
                <gr::Ring as Algebra>::dot(&pu, &pv)
                    == core::laurent_claim::<gr::Ring>(&h, &c, &gr::from_mask(r), l)
            );
        }
        for j in 0..3 {
            let (pj, pl, pr) = (&res[j].2, &res[(j + 2) % 3].2, &res[(j + 1) % 3].2);
            let b = pj.buckets;
            let counts = |e: &[u32]| {
                let mut c = start_counts_pub(e, b);
                let mut out = vec![];
                for k in 0..n {
                    for v in 0..b {
                        c[v] = c[v].wrapping_add(e[k * b + v]);
                    }
                    out.push(c.clone());
                }
                out
            };
            let (po, pn) = (counts(&pj.e_own), counts(&pj.e_next));
            for k in 0..n {
                let mut cross = 0u64;
                for v in 0..b {
                    cross = cross
                        .wrapping_add(pj.e_own[k * b + v] as u64 * pn[k][v] as u64)
                        .wrapping_add(po[k][v] as u64 * pj.e_next[k * b + v] as u64);
                }
                let e = pl.left_claim[k]
                    .wrapping_add(pr.right_claim[k])
                    .wrapping_sub(cross);
                eprintln!("prover {j} gate {k}: error {:#x}", e & 0xff);
            }
        }
    }

    fn start_counts_pub(e: &[u32], b: usize) -> Vec<u32> {
        let mut total = vec![0u32; b];
        for el in e.chunks(b) {
            for (t, x) in total.iter_mut().zip(el) {
                *t = t.wrapping_add(*x);
            }
        }
        let mut acc = 0u32;
        total
            .into_iter()
            .map(|t| {
                let c = acc;
                acc = acc.wrapping_add(t);
                c
            })
            .collect()
    }
}
