#![doc = include_str!("../../docs/verify.md")]

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
#[cfg(test)]
mod tests;

pub(crate) use ledger::{Ledger, Moved, Positions, Shape};
pub(crate) use ring::Role;

use ledger::Kept;
use proof::{Challenges, First, Folded, Parts, Proof, Reader, Slot};

use crate::prg::Prg;
use crate::transport::{Tag, Transport, TransportError};
use crate::{Error, Party, PartyId, Result};
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
    /// The multiplicative identity.
    fn one() -> Self::E;
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
    /// The most challenges of a round of the recursion (`core`) before its
    /// last: a fold by `2^LONG_BITS`, `LONG_BITS` binary rounds in one,
    /// whose prover computes `(3/2)^LONG_BITS` products per entry.
    const LONG_BITS: usize;
    /// The most challenges of the recursion's last round, whose vectors are
    /// at most `F 2^LAST_BITS` long (`F` the final length, see
    /// `core::final_len`): it costs the prover at most `F 3^LAST_BITS`
    /// products, and its message has
    /// `3^LAST_BITS - 1` elements.
    const LAST_BITS: usize;
    /// True if [`Algebra::fold`] takes any element as the challenge, so
    /// that a wider fold by a power of two is a chain of binary ones
    /// (`core::combine`); false if only challenges themselves.
    const FOLDS_ANY: bool;
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
fn first_and<'a>(
    bits: ledger::BitsPart<'a>,
    mut weights: [Prg; 3],
    streams: &mut Streams,
    padded: bool,
) -> First<'a, gf::Gf> {
    let n = bits.x_own.len();
    let alpha = weights.each_mut().map(|w| w.words(n));
    let h = boolean::coefficients(&boolean::Pairs::prover(&bits), &alpha[0]);
    let mut message: Vec<u64> = h
        .iter()
        .map(|x| x ^ <gf::Gf as Algebra>::uniform(&mut streams.prover_shares))
        .collect();
    let len = 2 * boolean::CHUNKS * n;
    let pad = core::Pad::<gf::Gf>::draw(
        &mut streams.prover_pad,
        &mut streams.prover_shares,
        len,
        padded,
    );
    message.push(pad.message());
    let left_claim = boolean::claim(&alpha[1], bits.left_claim);
    let right_claim = boolean::claim(&alpha[2], bits.right_claim);
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
        len,
        message: Some((message, pad)),
        left_claim: Some(left_claim),
        right_claim: Some(right_claim),
        fold,
        padded,
    }
}

/// The first round of one part of a stretch's ring gates ([`ring`]), in
/// `GR(2^64, 48)` or, for gates that hold mod `2^32`, `GR(2^32, 48)`.
fn first_ring<'a, W: gr::Word>(
    gates: Vec<ledger::Part<'a>>,
    mut weights: [Prg; 3],
    streams: &mut Streams,
    padded: bool,
) -> First<'a, gr::Ring<W>> {
    let w = weights.each_mut().map(|w| ring::weights(&gates, w));
    let l = ring::fold_factor(&gates);
    let h = ring::coefficients(&gates, &w[0], l);
    let mut message: Vec<gr::Gr<W>> = h
        .iter()
        .map(|x| gr::sub(x, &gr::uniform(&mut streams.prover_shares)))
        .collect();
    let len = ring::output_len(&gates, l);
    let pad = core::Pad::<gr::Ring<W>>::draw(
        &mut streams.prover_pad,
        &mut streams.prover_shares,
        len,
        padded,
    );
    message.push(pad.message());
    let left_claim = ring::claim(&gates, &w[1], true);
    let right_claim = ring::claim(&gates, &w[2], false);
    let fold = Box::new(move |r: &Challenges<gr::Ring<W>>| {
        let mask = |r: &Option<gr::Gr<W>>| {
            r.as_ref()
                .and_then(gr::to_mask)
                .expect("challenges have coefficients 0 and 1")
        };
        let prover = ring::fold(&gates, &w[0], l, mask(&r.prover), Role::Prover);
        let (lu, _) = ring::fold(&gates, &w[1], l, mask(&r.left), Role::Left);
        let (_, rv) = ring::fold(&gates, &w[2], l, mask(&r.right), Role::Right);
        Folded {
            prover: Some(prover),
            left: Some(lu),
            right: Some(rv),
        }
    });
    First {
        l,
        len,
        message: Some((message, pad)),
        left_claim: Some(left_claim),
        right_claim: Some(right_claim),
        fold,
        padded,
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

/// The seeds of one round's challenges, as this party uses them: its own
/// as prover (received from its left verifier, the predecessor), and the
/// ones it draws as left verifier of the successor (and sends it) and as
/// right verifier of the predecessor (and logs for it). Every proof draws
/// its challenge from the seed under its own label, so a round's
/// challenges on the wire are 16 uniformly random bytes whatever the sets
/// they are drawn from and however many proofs run. The own seed is
/// missing in the last round of a wave: it arrives with the final values,
/// when the prover has nothing left to fold.
pub(crate) struct Seeds([Option<[u8; 16]>; 3]);

impl Seeds {
    /// The challenges of the proof `label` for the part `k` (0 prover, 1
    /// left verifier, 2 right verifier): as many as a round may use
    /// (`core::Draw`), the first round and a Laurent fold using the first.
    pub(crate) fn challenges<A: Algebra>(&self, k: usize, label: &str) -> Option<core::Draw<A>> {
        let seed = self.0[k]?;
        let mut prg = derive(&seed32(&seed), &format!("{label}/challenge"));
        Some(std::array::from_fn(|_| A::challenge(&mut prg)))
    }
}

/// Draws this round's seeds as left and right verifier (the right one
/// logged for the prover).
fn draw_seeds(coins: &mut Coins) -> ([u8; 16], [u8; 16]) {
    let left: [u8; 16] = seed_of(coins.left.words(2))[..16].try_into().expect("16");
    let right: [u8; 16] = seed_of(coins.right.words(2))[..16].try_into().expect("16");
    coins.right_log.update(right);
    (left, right)
}

/// One proof to make, before its first round: what it covers.
enum Job<'a> {
    /// A range of a stretch's AND gates.
    And(ledger::BitsPart<'a>),
    /// One part of a stretch's ring gates.
    Ring(Vec<ledger::Part<'a>>),
    /// The XOR columns of a permutation step's message.
    MovedXor(&'a Moved),
    /// Its arithmetic columns.
    MovedRing(&'a Moved),
}

/// A job with its place: the stretch it belongs to and its index among
/// all jobs (which labels its streams, weights and challenges).
struct Planned<'a> {
    stretch: usize,
    index: usize,
    job: Job<'a>,
}

/// Words of AND gates one wave proves at most: its first round leaves
/// four vectors of two field elements per word at each party (its
/// prover's two and one of each verifier's), 64 MiB for a wave this full.
/// A verification the ledger's limit starts holds about this much; a
/// single round of ANDs may hold more (the validation's first, on 2^20
/// order slots, four million words), and is proven in several waves. With
/// the waves run side by side ([`step`]) a wave costs two hops: on 2^20
/// slots at the abort level, 822 rounds and 1,093 MiB peak per party,
/// against 812 rounds and 1,138 MiB with waves of 2^21 words (measured
/// with `clearing-node bench clearing --only slots20 --security abort`).
const AND_WORDS: usize = 1 << 20;

/// The proofs of everything kept, in the order of the session, cut into
/// waves that start one step after another ([`step`]): a wave holds ring
/// gates of at most
/// [`ring::ENTRIES`] entries after the first round (a part of a large
/// stretch fills one alone) and at most `and_limit` ([`AND_WORDS`]) words
/// of AND gates, so the memory of a verification stays bounded however
/// much was kept.
fn plan<'a>(kept: &[Kept<'a>], and_limit: usize) -> Vec<Vec<Planned<'a>>> {
    let mut waves: Vec<Vec<Planned<'a>>> = vec![Vec::new()];
    let mut entries = 0;
    let mut and_words = 0;
    let mut index = 0;
    let mut push = |waves: &mut Vec<Vec<Planned<'a>>>, stretch: usize, job: Job<'a>| {
        waves.last_mut().expect("a wave").push(Planned {
            stretch,
            index,
            job,
        });
        index += 1;
    };
    for (stretch, k) in kept.iter().enumerate() {
        match *k {
            Kept::Gates(bits, ring_gates) => {
                for part in bits.parts(and_limit) {
                    let words = part.x_own.len();
                    if and_words > 0 && and_words + words > and_limit {
                        waves.push(Vec::new());
                        (entries, and_words) = (0, 0);
                    }
                    and_words += words;
                    push(&mut waves, stretch, Job::And(part));
                }
                for part in ring::parts(ring_gates) {
                    let cost = ring::output_len(&part, ring::fold_factor(&part));
                    if entries > 0 && entries + cost > ring::ENTRIES {
                        waves.push(Vec::new());
                        (entries, and_words) = (0, 0);
                    }
                    entries += cost;
                    push(&mut waves, stretch, Job::Ring(part));
                }
            }
            Kept::Moved(m) => {
                // A proof for each kind of column the message has.
                for xor in [true, false] {
                    if moved::proves(m, xor) {
                        let job = if xor {
                            Job::MovedXor(m)
                        } else {
                            Job::MovedRing(m)
                        };
                        push(&mut waves, stretch, job);
                    }
                }
            }
        }
    }
    waves
}

/// What every proof of a verification derives its streams and weights
/// from.
struct Draws<'s> {
    prev_seed: &'s [u8; 32],
    next_seed: &'s [u8; 32],
    weights: [&'s [u8; 16]; 3],
    padded: bool,
}

/// The proof of one job as this party plays it (none for a message
/// without columns of the job's kind).
fn slot<'a>(p: &Planned<'a>, d: &Draws<'_>) -> Option<Box<dyn Slot + 'a>> {
    let k = p.index;
    let kind = match p.job {
        Job::And(_) => "and",
        Job::Ring(_) => "mul",
        Job::MovedXor(_) => "shuffle-xor",
        Job::MovedRing(_) => "shuffle-ring",
    };
    let mut streams = slot_streams(d.prev_seed, d.next_seed, kind, k);
    let mut weights = slot_weights(d.weights, kind, k);
    let label = format!("{kind}/{k}");
    Some(match &p.job {
        Job::And(bits) => {
            let first = first_and(*bits, weights, &mut streams, d.padded);
            Box::new(Proof::new(gf::Gf::CHECK, label, Parts::ALL, streams, first))
        }
        Job::Ring(part) => match ring::width(part) {
            16 => ring_proof::<u16>(part, weights, streams, label, d.padded),
            32 => ring_proof::<u32>(part, weights, streams, label, d.padded),
            _ => ring_proof::<u64>(part, weights, streams, label, d.padded),
        },
        Job::MovedXor(m) | Job::MovedRing(m) => {
            let parts = Parts {
                prover: m.part == Role::Prover,
                left: m.part == Role::Left,
                right: m.part == Role::Right,
            };
            // The weights of the part this party plays.
            let w = match m.part {
                Role::Prover => &mut weights[0],
                Role::Left => &mut weights[1],
                Role::Right => &mut weights[2],
            };
            if matches!(p.job, Job::MovedXor(_)) {
                let first = moved::xor_first(m, w, &mut streams, d.padded)?;
                Box::new(Proof::new("shuffle", label, parts, streams, first))
            } else {
                match moved::width(m) {
                    16 => moved_ring_proof::<u16>(m, w, streams, label, parts, d.padded)?,
                    32 => moved_ring_proof::<u32>(m, w, streams, label, parts, d.padded)?,
                    _ => moved_ring_proof::<u64>(m, w, streams, label, parts, d.padded)?,
                }
            }
        }
    })
}

/// The proof of one part of a stretch's ring gates, in the ring of words
/// `W`.
fn ring_proof<'a, W: gr::Word>(
    part: &[ledger::Part<'a>],
    weights: [Prg; 3],
    mut streams: Streams,
    label: String,
    padded: bool,
) -> Box<dyn Slot + 'a> {
    let first = first_ring::<W>(part.to_vec(), weights, &mut streams, padded);
    Box::new(Proof::new(
        <gr::Ring<W> as Algebra>::CHECK,
        label,
        Parts::ALL,
        streams,
        first,
    ))
}

/// The proof of the arithmetic columns of one message of a permutation
/// step, in the ring of words `W` (none if it has no such columns).
fn moved_ring_proof<'a, W: gr::Word>(
    m: &'a Moved,
    weights: &mut Prg,
    mut streams: Streams,
    label: String,
    parts: Parts,
    padded: bool,
) -> Option<Box<dyn Slot + 'a>> {
    let first = moved::ring_first::<W>(m, weights, &mut streams, padded)?;
    Some(Box::new(Proof::new(
        "shuffle", label, parts, streams, first,
    )))
}

/// Runs the proofs of everything in `ledger`: every party proves its
/// messages and verifies those of its peers, the proofs of a wave (see
/// [`plan`]) side by side, each wave joining one step after the one before
/// ([`step`]).
pub(crate) fn run<T: Transport>(party: &mut Party<T>, ledger: &Ledger) -> Result<()> {
    run_in_waves(party, ledger, AND_WORDS)
}

/// [`run`] with waves of at most `and_words` words of AND gates.
fn run_in_waves<T: Transport>(
    party: &mut Party<T>,
    ledger: &Ledger,
    and_words: usize,
) -> Result<()> {
    // Every proof's parts cover the same gates at the prover and its two
    // verifiers only if every prover has as many (`Ledger::balanced`).
    assert!(
        ledger.balanced(),
        "a verification between the products of one protocol call"
    );
    let me = party.id();
    let (prev, next) = (me.prev(), me.next());
    let kept = ledger.in_order();
    if kept.is_empty() {
        return Ok(());
    }
    #[cfg(feature = "planted-leaks")]
    let padded = !party.leaks(crate::leak::Leak::ProofWithoutPad);
    #[cfg(not(feature = "planted-leaks"))]
    let padded = true;
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
    let draws = Draws {
        prev_seed: &prev_seed,
        next_seed: &next_seed,
        weights: [&w_prover, &w_left, &w_right],
        padded,
    };

    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut waves = plan(&kept, and_words).into_iter();
    let mut running: Vec<Running<'_>> = Vec::new();
    let mut challenges_differ = false;
    loop {
        // The next wave joins with its first round.
        if let Some(wave) = waves.next() {
            for p in &wave {
                let slot = slot(p, &draws).expect("planned jobs have a proof");
                running.push(Running {
                    stretch: p.stretch,
                    index: p.index,
                    slot,
                    first: true,
                });
            }
        }
        if running.is_empty() {
            break;
        }
        let last = waves.len() == 0 && running.iter().all(Running::finishes);
        let (done, differ) = step(party, &mut running, &mut coins, last)?;
        challenges_differ |= differ;
        outcomes.extend(done);
    }
    outcomes.sort_by_key(|o| o.0);
    let outcomes: Vec<(usize, &'static str, (bool, bool))> =
        outcomes.into_iter().map(|(_, s, n, f)| (s, n, f)).collect();

    // The first stretch of the session with a failed proof decides (see
    // "Failures"); within it, the right verifier's check first.
    let mut at = 0;
    while at < outcomes.len() {
        let stretch = outcomes[at].0;
        let end = at + outcomes[at..].partition_point(|o| o.0 == stretch);
        let group = &outcomes[at..end];
        if let Some(o) = group.iter().find(|o| o.2.0) {
            return Err(Error::Cheating {
                check: o.1,
                peer: Some(prev),
            });
        }
        if let Some(o) = group.iter().find(|o| o.2.1) {
            return Err(Error::Cheating {
                check: o.1,
                peer: Some(next),
            });
        }
        at = end;
    }
    if challenges_differ {
        return Err(Error::Cheating {
            check: "challenges",
            peer: None,
        });
    }
    Ok(())
}

/// An ended proof: its place in the plan, its stretch, the name of its
/// check and its failures `(right, left)`.
type Outcome = (usize, usize, &'static str, (bool, bool));

/// A proof under way: its place in the plan and whether its first round is
/// still to come.
struct Running<'a> {
    stretch: usize,
    index: usize,
    slot: Box<dyn Slot + 'a>,
    first: bool,
}

impl Running<'_> {
    /// True if this step is its last: its last recursion round, whose
    /// challenges the prover does not need, or none left after the first.
    fn finishes(&self) -> bool {
        !self.first && self.slot.rounds() <= 1
    }
}

/// One step of the proofs under way, two hops. First hop: each prover's
/// message to its left verifier (the predecessor), the first round's of the
/// proofs that just joined, the next recursion round's of the others.
/// Second hop: the round's challenge seeds to the successor, with the final
/// values of the proofs this step ends (see [`Running::finishes`]), and
/// those to the predecessor. A wave joins at every step, so the waves'
/// recursions run side by side (a wave's vectors shrink by eight or more
/// each round: the memory stays that of about one wave) and a verification
/// of many waves takes two hops per wave, not two per round of each.
///
/// Returns the ended proofs' outcomes and, in the `last` step, whether the
/// prover's challenges differed from what its right verifier drew.
fn step<'a, T: Transport>(
    party: &mut Party<T>,
    running: &mut Vec<Running<'a>>,
    coins: &mut Coins,
    last: bool,
) -> Result<(Vec<Outcome>, bool)> {
    let me = party.id();
    let (prev, next) = (me.prev(), me.next());
    let ending: Vec<bool> = running.iter().map(Running::finishes).collect();

    // First hop; where each proof's part of the successor's message starts.
    let mut out = Vec::new();
    let mut starts = Vec::with_capacity(running.len());
    let mut in_len = 0;
    for r in running.iter_mut() {
        r.slot.begin_round();
        starts.push(in_len);
        if r.first {
            r.slot.first_out(&mut out);
            in_len += r.slot.first_in();
        } else {
            r.slot.round_out(&mut out);
            in_len += r.slot.round_in();
        }
    }
    party.transport_mut().send(prev, Tag::VERIFY, &out)?;
    let from_next = recv_exact(party, next, in_len)?;

    // The round's seeds as verifier; the proofs that end take their last
    // challenges now and write their final values.
    let (left, right) = draw_seeds(coins);
    let verifier_seeds = Seeds([None, Some(left), Some(right)]);
    let mut to_next = left.to_vec();
    let mut to_prev = Vec::new();
    let (mut from_next_len, mut from_prev_len) = (0, 0);
    for ((r, &ends), &at) in running.iter_mut().zip(&ending).zip(&starts) {
        if ends {
            r.slot.challenges(&verifier_seeds);
            r.slot.absorb(&mut Reader::new(&from_next[at..]));
            r.slot.last(&mut to_prev, &mut to_next);
            let (a, b) = r.slot.last_in();
            from_next_len += a;
            from_prev_len += b;
        }
    }
    let any_end = ending.iter().any(|&e| e);
    let hash = if last { 32 } else { 0 };
    if last {
        to_prev.extend_from_slice(&coins.right_log.clone().finalize());
    }

    // Second hop.
    if any_end {
        party.transport_mut().send(prev, Tag::VERIFY, &to_prev)?;
    }
    party.transport_mut().send(next, Tag::VERIFY, &to_next)?;
    let finals_next = if any_end {
        recv_exact(party, next, from_next_len + hash)?
    } else {
        Vec::new()
    };
    let from_prev = recv_exact(party, prev, 16 + from_prev_len)?;
    coins.prover_log.update(&from_prev[..16]);
    let own: [u8; 16] = from_prev[..16].try_into().expect("16");
    let seeds = Seeds([Some(own), Some(left), Some(right)]);

    // The others take this round's challenges and their part of the first
    // hop; the ended ones are checked and leave.
    let (mut at_finals_next, mut at_finals_prev) =
        (Reader::new(&finals_next), Reader::new(&from_prev[16..]));
    let mut done = Vec::new();
    let mut kept = Vec::with_capacity(running.len());
    for ((mut r, ends), at) in std::mem::take(running).into_iter().zip(ending).zip(starts) {
        if ends {
            let failed = r.slot.check(&mut at_finals_next, &mut at_finals_prev);
            done.push((r.index, r.stretch, r.slot.check_name(), failed));
            continue;
        }
        let mut part = Reader::new(&from_next[at..]);
        r.slot.challenges(&seeds);
        if r.first {
            r.slot.start(&mut part);
            r.first = false;
        } else {
            r.slot.absorb(&mut part);
        }
        kept.push(r);
    }
    *running = kept;
    let differ = last && finals_next[from_next_len..] != coins.prover_log.clone().finalize()[..];
    Ok((done, differ))
}
