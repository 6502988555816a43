//! Security with abort: every multiplication-type message, and every
//! message of a permutation step of the shuffle, is proven correct before
//! anything is opened (a distributed zero-knowledge proof in the style of
//! Boyle, Gilboa, Ishai, Nof, CCS 2019 and ASIACRYPT 2020), and every
//! opened component is compared as received from both of its holders
//! ([`crate::Party`]'s openings).
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
//! A message of a permutation step (`shuffle/proven.rs`) is
//! `m = P d - F`, sent by one member of the pair that knows the
//! permutation `P` to the other; its error vanishes if
//! `<P^T theta, d> = theta . c_receiver + theta . c_third` for weights
//! `theta` on the output rows, with the receiver knowing `P` and its claim
//! rows, the third party `d` and its draw `F`: the same claim shape, the
//! receiver as the left verifier when the message goes to the sender's
//! predecessor and as the right one when it goes to its successor
//! ([`moved`]: one weight per row and column, a field element for XOR
//! columns, a `{0, 1}`-coefficient ring element for arithmetic ones).
//!
//! # The proof
//!
//! A first round specific to each kind of proof ([`boolean`], [`ring`],
//! [`moved`]) turns the gates into vectors over the extension, a Laurent
//! fold of a larger factor computed from words (none for the XOR columns of
//! a permutation step, whose words are field elements already); then
//! binary Laurent folds ([`core`]) halve
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
//! such differ by a unit; for a permutation step's arithmetic columns, one
//! row's nonzero error `e` and `E e = R` likewise). Each fold of factor `L`
//! leaves a false claim true with probability at most `(2L - 2) / |S|`,
//! `S` the challenge set (`GF(2^64)` minus `{0, 1}`; the
//! `{0, 1}`-coefficient ring elements minus `0` and `1`, `2^49 - 2` of
//! them, where a nonzero polynomial of degree `k`, divided by its largest
//! power of 2, has a root mod 2 at most `k` times). With a first fold of
//! at most 64 and at most 40 rounds after it (vectors below `2^40`
//! entries), a proof of a false claim passes with probability at most
//! `2^-49 + 206 / (2^49 - 2) < 2^-41`.
//!
//! # One verification, many proofs
//!
//! A verification runs several proofs side by side, their messages of a
//! round sent together ([`proof`]): one per kind of gate for each stretch
//! of gates between two permutation steps, one per kind of column for each
//! message of a permutation step. In a batch of gates every party plays
//! all three parts; in the proof of a step's message each party plays one
//! (the sender proves, its peers verify). Every proof draws its own
//! streams and weights, labelled by its place.
//!
//! # Failures
//!
//! Both honest verifiers of a prover run the final check. A failed proof
//! is [`Error::Cheating`](crate::Error) with check `"mul"`, `"and"` or
//! `"shuffle"` and the prover as `peer`; a verifier may also have given
//! the prover wrong coins, so a blamed prover may be honest when the other
//! verifier is not (with one deviating party the honest ones still stop).
//! A message that left two holders of a component disagreeing makes later
//! proofs fail too, of honest provers that computed with the component it
//! changed; so the proofs are kept apart in the order of the session (a
//! step's message is computed only from what was there before it), and the
//! first stretch with a failed proof decides. Within a stretch of gates,
//! where every message goes to the sender's predecessor, a party checks the
//! proof it verifies as right verifier first: the sender of a changed
//! message is the predecessor of the honest third party, whose successor,
//! the receiver, is the one whose later gates fail. A prover whose coins
//! differ between its verifiers reports check `"challenges"` with no peer.

mod arch;
mod boolean;
mod core;
mod gf;
mod gr;
mod ledger;
mod moved;
#[cfg(test)]
mod poly2;
mod proof;
mod ring;

pub(crate) use ledger::{Ledger, Moved, Part, Positions};

use ledger::Epoch;
use proof::{Challenges, First, Folded, Parts, Proof, Reader, Slot};

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

/// Streams of one proof: `kind` names its algebra and first round,
/// `index` its place in the verification.
fn slot_streams(prev_seed: &[u8; 32], next_seed: &[u8; 32], kind: &str, index: usize) -> Streams {
    Streams::new(prev_seed, next_seed, &format!("{kind}/{index}"))
}

/// The weights of one proof for each of the three parts: from the seed the
/// prover received, and the seeds this party drew as left and as right
/// verifier.
fn slot_weights(weights: [&[u8; 16]; 3], kind: &str, index: usize) -> [Prg; 3] {
    weights.map(|w| derive(&seed32(w), &format!("{kind}/weights/{index}")))
}

/// The first round of a batch of AND gates: a Laurent fold of [`boolean::CHUNK`]
/// bits.
fn first_and(bits: ledger::Bits, mut weights: [Prg; 3], streams: &mut Streams) -> First<gf::Gf> {
    let n = bits.x_own.len();
    let alpha = weights.each_mut().map(|w| w.words(n));
    let h = boolean::coefficients(&boolean::Pairs::prover(&bits), &alpha[0]);
    let mut message: Vec<u64> = h
        .iter()
        .map(|x| x ^ <gf::Gf as Algebra>::uniform(&mut streams.prover_shares))
        .collect();
    let pad = core::Pad::<gf::Gf>::draw(&mut streams.prover_pad, &mut streams.prover_shares);
    message.push(pad.message());
    let left_claim = boolean::claim(&alpha[1], &bits.left_claim);
    let right_claim = boolean::claim(&alpha[2], &bits.right_claim);
    let fold = Box::new(move |r: &Challenges<gf::Gf>| {
        let (r_prover, r_left, r_right) = (
            r.prover.expect("all parts"),
            r.left.expect("all parts"),
            r.right.expect("all parts"),
        );
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
        Folded {
            prover: Some(prover),
            left: Some(lu),
            right: Some(rv),
        }
    });
    First {
        l: boolean::CHUNK,
        message: Some((message, pad)),
        left_claim: Some(left_claim),
        right_claim: Some(right_claim),
        fold,
    }
}

/// The first round of a batch of ring gates ([`ring`]).
fn first_ring(
    gates: Vec<ledger::RingGates>,
    mut weights: [Prg; 3],
    streams: &mut Streams,
) -> First<gr::Ring> {
    let w = weights.each_mut().map(|w| ring::weights(&gates, w));
    let l = ring::fold_factor(&gates);
    let h = ring::coefficients(&gates, &w[0], l);
    let mut message: Vec<gr::Gr> = h
        .iter()
        .map(|x| gr::sub(x, &gr::uniform(&mut streams.prover_shares)))
        .collect();
    let pad = core::Pad::<gr::Ring>::draw(&mut streams.prover_pad, &mut streams.prover_shares);
    message.push(pad.message());
    let left_claim = ring::claim(&gates, &w[1], true);
    let right_claim = ring::claim(&gates, &w[2], false);
    let fold = Box::new(move |r: &Challenges<gr::Ring>| {
        let mask = |r: &gr::Gr| gr::to_mask(r).filter(|m| *m > 1);
        // A prover sent a challenge outside the set notices at the end (the
        // hashes differ); it folds with 2 (the element X) meanwhile.
        let r_prover = r.prover.as_ref().and_then(mask).unwrap_or(2);
        let r_left = r.left.as_ref().and_then(mask).expect("drawn");
        let r_right = r.right.as_ref().and_then(mask).expect("drawn");
        let prover = ring::fold(&gates, &w[0], l, r_prover, Role::Prover);
        let (lu, _) = ring::fold(&gates, &w[1], l, r_left, Role::Left);
        let (_, rv) = ring::fold(&gates, &w[2], l, r_right, Role::Right);
        Folded {
            prover: Some(prover),
            left: Some(lu),
            right: Some(rv),
        }
    });
    First {
        l,
        message: Some((message, pad)),
        left_claim: Some(left_claim),
        right_claim: Some(right_claim),
        fold,
    }
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

/// The challenges: drawn as left verifier (sent to the prover) and as
/// right verifier (logged, the log's hash sent to the prover at the end).
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

/// The proofs of everything in `ledger`, in order, each with the parts
/// this party plays, and the range of proofs of every stretch.
fn proofs(
    epochs: Vec<Epoch>,
    prev_seed: &[u8; 32],
    next_seed: &[u8; 32],
    weights: [&[u8; 16]; 3],
) -> (Vec<Box<dyn Slot>>, Vec<std::ops::Range<usize>>) {
    let mut slots: Vec<Box<dyn Slot>> = Vec::new();
    let mut groups = Vec::new();
    for epoch in epochs {
        let from = slots.len();
        match epoch {
            Epoch::Gates(g) => {
                if !g.bits.x_own.is_empty() {
                    let k = slots.len();
                    let mut streams = slot_streams(prev_seed, next_seed, "and", k);
                    let first = first_and(g.bits, slot_weights(weights, "and", k), &mut streams);
                    slots.push(Box::new(Proof::new(
                        gf::Gf::CHECK,
                        Parts::ALL,
                        streams,
                        first,
                    )));
                }
                let ring: Vec<ledger::RingGates> =
                    g.ring.into_iter().filter(|g| g.gates() > 0).collect();
                if !ring.is_empty() {
                    let k = slots.len();
                    let mut streams = slot_streams(prev_seed, next_seed, "mul", k);
                    let first = first_ring(ring, slot_weights(weights, "mul", k), &mut streams);
                    slots.push(Box::new(Proof::new(
                        gr::Ring::CHECK,
                        Parts::ALL,
                        streams,
                        first,
                    )));
                }
            }
            Epoch::Moved(m) => {
                let parts = Parts {
                    prover: m.part == Part::Prover,
                    left: m.part == Part::Left,
                    right: m.part == Part::Right,
                };
                // The weights of the part this party plays.
                let role = match m.part {
                    Part::Prover => 0,
                    Part::Left => 1,
                    Part::Right => 2,
                };
                let k = slots.len();
                let mut streams = slot_streams(prev_seed, next_seed, "shuffle-xor", k);
                let mut w = slot_weights(weights, "shuffle-xor", k);
                if let Some(first) = moved::xor_first(&m, &mut w[role], &mut streams) {
                    slots.push(Box::new(Proof::new("shuffle", parts, streams, first)));
                }
                let k = slots.len();
                let mut streams = slot_streams(prev_seed, next_seed, "shuffle-ring", k);
                let mut w = slot_weights(weights, "shuffle-ring", k);
                if let Some(first) = moved::ring_first(&m, &mut w[role], &mut streams) {
                    slots.push(Box::new(Proof::new("shuffle", parts, streams, first)));
                }
            }
        }
        if slots.len() > from {
            groups.push(from..slots.len());
        }
    }
    (slots, groups)
}

/// Runs the proofs of everything in `ledger`: every party proves its
/// messages and verifies those of its peers, all proofs side by side.
pub(crate) fn run<T: Transport>(party: &mut Party<T>, ledger: Ledger) -> Result<()> {
    let me = party.id();
    let (prev, next) = (me.prev(), me.next());
    let epochs = ledger.into_epochs();
    if epochs.is_empty() {
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
    let (mut slots, groups) = proofs(
        epochs,
        &prev_seed,
        &next_seed,
        [&w_prover, &w_left, &w_right],
    );

    // First round: the prover's messages, then the challenges.
    let mut out = Vec::new();
    let mut in_len = 0;
    for s in slots.iter_mut() {
        s.begin_round();
        s.first_out(&mut out);
        in_len += s.first_in();
    }
    party.transport_mut().send(prev, Tag::VERIFY, &out)?;
    let from_next = recv_exact(party, next, in_len)?;
    let from_prev = exchange_challenges(party, &mut slots, &mut coins)?;
    let (mut at_next, mut at_prev) = (Reader::new(&from_next), Reader::new(&from_prev));
    for s in slots.iter_mut() {
        s.start(&mut at_next, &mut at_prev);
    }

    // Recursive rounds, all proofs in step.
    let rounds = slots.iter().map(|s| s.rounds()).max().unwrap_or(0);
    for _ in 0..rounds {
        let mut out = Vec::new();
        let mut in_len = 0;
        for s in slots.iter_mut() {
            s.begin_round();
            s.round_out(&mut out);
            in_len += s.round_in();
        }
        party.transport_mut().send(prev, Tag::VERIFY, &out)?;
        let from_next = recv_exact(party, next, in_len)?;
        let from_prev = exchange_challenges(party, &mut slots, &mut coins)?;
        let (mut at_next, mut at_prev) = (Reader::new(&from_next), Reader::new(&from_prev));
        for s in slots.iter_mut() {
            s.absorb(&mut at_next, &mut at_prev);
        }
    }

    // Final exchange: u* and the left share to the right verifier (the
    // predecessor, for the successor's proof), v* and the right share to
    // the left verifier (the successor, for the predecessor's proof), and
    // the hash of the coins to the predecessor, whose right verifier this
    // party is.
    let mut to_prev = Vec::new();
    let mut to_next = Vec::new();
    let (mut from_next_len, mut from_prev_len) = (0, 0);
    for s in &slots {
        s.last(&mut to_prev, &mut to_next);
        let (a, b) = s.last_in();
        from_next_len += a;
        from_prev_len += b;
    }
    to_prev.extend_from_slice(&coins.right_log.clone().finalize());
    party.transport_mut().send(prev, Tag::VERIFY, &to_prev)?;
    party.transport_mut().send(next, Tag::VERIFY, &to_next)?;
    let from_next = recv_exact(party, next, from_next_len + 32)?;
    let from_prev = recv_exact(party, prev, from_prev_len)?;

    // The first stretch of the session with a failed proof decides (see
    // "Failures"); within it, the right verifier's check first.
    let (mut at_next, mut at_prev) = (Reader::new(&from_next), Reader::new(&from_prev));
    let failed: Vec<(bool, bool)> = slots
        .iter()
        .map(|s| s.check(&mut at_next, &mut at_prev))
        .collect();
    for group in groups {
        let right = group.clone().find(|&k| failed[k].0);
        let left = group.clone().find(|&k| failed[k].1);
        if let Some(k) = right {
            return Err(Error::Cheating {
                check: slots[k].check_name(),
                peer: Some(prev),
            });
        }
        if let Some(k) = left {
            return Err(Error::Cheating {
                check: slots[k].check_name(),
                peer: Some(next),
            });
        }
    }
    if from_next[from_next_len..] != coins.prover_log.finalize()[..] {
        return Err(Error::Cheating {
            check: "challenges",
            peer: None,
        });
    }
    Ok(())
}

/// Draws the challenges of this round, sends the left verifier's to the
/// successor (the prover of the proofs it verifies as left verifier) and
/// receives this party's own from the predecessor.
fn exchange_challenges<T: Transport>(
    party: &mut Party<T>,
    slots: &mut [Box<dyn Slot>],
    coins: &mut Coins,
) -> Result<Vec<u8>> {
    let me = party.id();
    let mut out = Vec::new();
    let mut in_len = 0;
    for s in slots.iter_mut() {
        s.draw(coins, &mut out);
        in_len += s.challenge_in();
    }
    party.transport_mut().send(me.next(), Tag::VERIFY, &out)?;
    let from_prev = recv_exact(party, me.prev(), in_len)?;
    coins.prover_log.update(&from_prev);
    Ok(from_prev)
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
