#![doc = include_str!("../../docs/verify.md")]

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
    /// False only under the planted leak `ProofWithoutPad`.
    padded: bool,
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
    let u_pad = A::uniform(&mut streams.left_pad);
    lu.push(if first.padded { u_pad } else { A::zero() });
    // Right: the same shares from the key it shares with the prover.
    let s: Vec<A::E> = (0..k)
        .map(|_| A::uniform(&mut streams.right_shares))
        .collect();
    let rc = core::laurent_claim::<A>(&s, &first.right_claim, r_right, l);
    let (v_pad, s_pad) = core::Pad::<A>::right(&mut streams.right_shares);
    let rc = A::add(&rc, &s_pad);
    rv.push(if first.padded { v_pad } else { A::zero() });
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
    padded: bool,
) -> (First<gf::Gf>, [Vec<u64>; 3]) {
    let n = l.x_own.len();
    let alpha = weights.map(|w| derive(&seed32(w), "and/weights").words(n));
    let h = boolean::coefficients(&boolean::Pairs::prover(l), &alpha[0]);
    let mut message: Vec<u64> = h
        .iter()
        .map(|x| x ^ <gf::Gf as Algebra>::uniform(&mut streams.prover_shares))
        .collect();
    let pad =
        core::Pad::<gf::Gf>::draw(&mut streams.prover_pad, &mut streams.prover_shares, padded);
    message.push(pad.message());
    let first = First {
        message,
        pad,
        left_claim: boolean::claim(&alpha[1], &l.left_claim),
        right_claim: boolean::claim(&alpha[2], &l.right_claim),
        l: boolean::CHUNK,
        padded,
    };
    (first, alpha)
}

/// The prover's first message for ring gates and what the verifiers start
/// with.
fn first_ring(
    g: &[ledger::Part<'_>],
    weights: [&[u8; 16]; 3],
    streams: &mut Streams,
    padded: bool,
) -> (First<gr::Ring>, [Vec<Vec<u64>>; 3]) {
    let w = weights.map(|w| ring::weights(g, &mut derive(&seed32(w), "mul/weights")));
    let l = ring::fold_factor(g);
    let h = ring::coefficients(g, &w[0], l);
    let mut message: Vec<gr::Gr> = h
        .iter()
        .map(|x| gr::sub(x, &gr::uniform(&mut streams.prover_shares)))
        .collect();
    let pad =
        core::Pad::<gr::Ring>::draw(&mut streams.prover_pad, &mut streams.prover_shares, padded);
    message.push(pad.message());
    let first = First {
        message,
        pad,
        left_claim: ring::claim(g, &w[1], true),
        right_claim: ring::claim(g, &w[2], false),
        l,
        padded,
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

/// The coins of one prover's proofs, as its two verifiers draw them, and
/// the logs the prover compares at the end.
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

/// Runs the three proofs of everything in `ledger`: the AND gates and the
/// first part of the ring gates together, further parts of a large ring
/// ledger one after another ([`ring::ENTRIES`]).
pub(crate) fn run<T: Transport>(party: &mut Party<T>, ledger: &Ledger) -> Result<()> {
    let Ledger { bits, ring } = ledger;
    let mut bits = (!bits.x_own.is_empty()).then_some(bits);
    let parts = ring::parts(ring);
    if parts.is_empty() {
        return match bits {
            Some(b) => prove(party, Some(b), &[]),
            None => Ok(()),
        };
    }
    for part in &parts {
        prove(party, bits.take(), part)?;
    }
    Ok(())
}

/// One verification: the proofs of `bits` (if any) and of the ring gates
/// `ring_gates` (if any), all three provers at once.
fn prove<T: Transport>(
    party: &mut Party<T>,
    bits: Option<&ledger::Bits>,
    ring_gates: &[ledger::Part<'_>],
) -> Result<()> {
    let me = party.id();
    #[cfg(feature = "planted-leaks")]
    let padded = !party.leaks(crate::leak::Leak::ProofWithoutPad);
    #[cfg(not(feature = "planted-leaks"))]
    let padded = true;
    let (prev, next) = (me.prev(), me.next());
    let has_and = bits.is_some();
    let has_ring = !ring_gates.is_empty();
    let no_bits = ledger::Bits::default();
    let bits = bits.unwrap_or(&no_bits);
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
    let and_first = has_and.then(|| first_and(bits, weights, &mut and_streams, padded));
    let ring_first = has_ring.then(|| first_ring(ring_gates, weights, &mut ring_streams, padded));
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
    let seeds = exchange_seeds(party, &mut coins)?;
    let mut at_next = 0;
    let mut and_rec = None;
    if let Some((first, alpha)) = and_first {
        let n = first.message.len();
        let msg = read_all::<gf::Gf>(&from_next[at_next..], n);
        at_next += n * 8;
        let [r_prover, r_left, r_right] = seeds.each::<gf::Gf>();
        let pairs = boolean::Pairs::prover(bits);
        let t = boolean::Tables::new(r_prover);
        let prover = (
            boolean::fold_u(&alpha[0], [pairs.u0, pairs.u1], &t),
            boolean::fold_v([pairs.v0, pairs.v1], &t),
        );
        let lu = boolean::fold_u(
            &alpha[1],
            boolean::left_u(bits),
            &boolean::Tables::new(r_left),
        );
        let rv = boolean::fold_v(boolean::right_v(bits), &boolean::Tables::new(r_right));
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
    let mut ring_rec = None;
    if let Some((first, w)) = ring_first {
        let n = first.message.len();
        let msg = read_all::<gr::Ring>(&from_next[at_next..], n);
        let [r_prover, r_left, r_right] = seeds.each::<gr::Ring>();
        let l = first.l;
        let mask = |r: &gr::Gr| gr::to_mask(r).expect("challenges have coefficients 0 and 1");
        let prover = ring::fold(ring_gates, &w[0], l, mask(&r_prover), Role::Prover);
        let (lu, _) = ring::fold(ring_gates, &w[1], l, mask(&r_left), Role::Left);
        let (_, rv) = ring::fold(ring_gates, &w[2], l, mask(&r_right), Role::Right);
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
        let seeds = exchange_seeds(party, &mut coins)?;
        let mut at_next = 0;
        if let Some(rec) = and_rec.as_mut().filter(|r| r.rounds() > 0) {
            step(rec, &from_next, &mut at_next, seeds.each::<gf::Gf>());
        }
        if let Some(rec) = ring_rec.as_mut().filter(|r| r.rounds() > 0) {
            step(rec, &from_next, &mut at_next, seeds.each::<gr::Ring>());
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

/// The seeds of one round's challenges, as this party uses them: its own
/// as prover (received from its left verifier, the predecessor), and the
/// ones it draws as left verifier of the successor (and sends it) and as
/// right verifier of the predecessor (and logs for it). Each algebra draws
/// its challenge from the seed, so a challenge on the wire is 16 uniformly
/// random bytes whatever the set it is drawn from.
struct Seeds([[u8; 16]; 3]);

impl Seeds {
    /// The challenges `[as prover, as left verifier, as right verifier]`.
    fn each<A: Algebra>(&self) -> [A::E; 3] {
        self.0
            .map(|s| A::challenge(&mut derive(&seed32(&s), &format!("{}/challenge", A::CHECK))))
    }
}

/// Draws this round's seeds, sends the left one to the successor and
/// receives this party's own from the predecessor.
fn exchange_seeds<T: Transport>(party: &mut Party<T>, coins: &mut Coins) -> Result<Seeds> {
    let me = party.id();
    let left: [u8; 16] = seed_of(coins.left.words(2))[..16].try_into().expect("16");
    let right: [u8; 16] = seed_of(coins.right.words(2))[..16].try_into().expect("16");
    coins.right_log.update(right);
    party.transport_mut().send(me.next(), Tag::VERIFY, &left)?;
    let got = recv_exact(party, me.prev(), 16)?;
    coins.prover_log.update(&got);
    let own: [u8; 16] = got.as_slice().try_into().expect("16");
    Ok(Seeds([own, left, right]))
}

/// One recursive round of one algebra's three proofs: the successor's
/// message at `from_next[*at_next..]` and the challenges as prover, left
/// and right verifier.
fn step<A: Algebra>(
    rec: &mut Recursion<A>,
    from_next: &[u8],
    at_next: &mut usize,
    [r_prover, r_left, r_right]: [A::E; 3],
) {
    let msg = read_all::<A>(&from_next[*at_next..], 2);
    *at_next += 2 * A::BYTES;
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
mod tests;
