//! One proof as a party plays it, in any of its three parts, from its
//! first round to the final check; [`super::run`] runs all proofs of a
//! verification side by side, their messages of a round in one message per
//! peer.
//!
//! A proof of a batch of gates has a party in all three parts at once
//! (prover of its own gates, left verifier of its successor's, right
//! verifier of its predecessor's); a proof of one message of a permutation
//! step has each party in exactly one part. Every part knows the length of
//! the vectors, so all three agree on the rounds.

use super::{Algebra, Seeds, Streams, core};
use crate::prg::Prg;

/// The parts this party plays in one proof.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parts {
    pub(crate) prover: bool,
    pub(crate) left: bool,
    pub(crate) right: bool,
}

impl Parts {
    /// All three: a batch of gates.
    pub(crate) const ALL: Parts = Parts {
        prover: true,
        left: true,
        right: true,
    };
}

/// The first round's challenges, as each part sees them.
pub(crate) struct Challenges<A: Algebra> {
    /// The one the prover received (from its left verifier).
    pub(crate) prover: Option<A::E>,
    /// The one this party drew as left verifier.
    pub(crate) left: Option<A::E>,
    /// The one this party drew as right verifier.
    pub(crate) right: Option<A::E>,
}

/// The prover's two vectors `(u, v)`.
pub(crate) type Vectors<A> = (Vec<<A as Algebra>::E>, Vec<<A as Algebra>::E>);

/// The fold of a first round, given its challenges.
pub(crate) type Fold<'a, A> = Box<dyn FnOnce(&Challenges<A>) -> Folded<A> + 'a>;

/// The vectors after the first round, as each part knows them: the
/// prover's `(u, v)`, the left verifier's `u`, the right verifier's `v`.
pub(crate) struct Folded<A: Algebra> {
    pub(crate) prover: Option<Vectors<A>>,
    pub(crate) left: Option<Vec<A::E>>,
    pub(crate) right: Option<Vec<A::E>>,
}

/// What the first round of a proof leaves before its challenge.
pub(crate) struct First<'a, A: Algebra> {
    /// Fold factor of the first round (1: the vectors go to the recursion
    /// as they are, and the message is the pad's alone).
    pub(crate) l: usize,
    /// The length of the vectors after the first round (before the pads),
    /// from which every part finds the final length (`core::final_len`).
    pub(crate) len: usize,
    /// The prover's message (all coefficient shares of the first round but
    /// the middle one, then the pad's), and its pad.
    pub(crate) message: Option<(Vec<A::E>, core::Pad<A>)>,
    /// The left verifier's share of the claim.
    pub(crate) left_claim: Option<A::E>,
    /// The right verifier's share of the claim.
    pub(crate) right_claim: Option<A::E>,
    /// The fold of the first round, given its challenges.
    pub(crate) fold: Fold<'a, A>,
    /// False only under the planted leak `ProofWithoutPad`: the verifiers
    /// append zeros instead of their pads, like the prover.
    pub(crate) padded: bool,
}

/// One proof of a verification, in the three parts this party may play.
pub(crate) trait Slot {
    /// The name of the check, for [`crate::Error::Cheating`].
    fn check_name(&self) -> &'static str;
    /// Writes the prover's first message.
    fn first_out(&self, out: &mut Vec<u8>);
    /// Bytes of the successor's first message (as its left verifier).
    fn first_in(&self) -> usize;
    /// Starts a round (the first, or one of the recursion): whether the
    /// proof still folds.
    fn begin_round(&mut self) -> bool;
    /// Takes this round's challenges, each drawn from its seed (see
    /// [`Seeds`]; without its own seed, the prover does not fold).
    fn challenges(&mut self, seeds: &Seeds);
    /// Ends the first round: the successor's first message is read, the
    /// vectors folded and padded.
    fn start(&mut self, from_next: &mut Reader<'_>);
    /// Rounds of recursion left.
    fn rounds(&self) -> usize;
    /// Writes the prover's message of this recursion round.
    fn round_out(&mut self, out: &mut Vec<u8>);
    /// Bytes of the successor's message of this recursion round.
    fn round_in(&self) -> usize;
    /// Ends a recursion round: messages and challenges folded in.
    fn absorb(&mut self, from_next: &mut Reader<'_>);
    /// Writes the final values: `(u*, c_left)` to the predecessor (the right
    /// verifier of the successor's proof), `(v*, c_right)` to the successor.
    fn last(&self, to_prev: &mut Vec<u8>, to_next: &mut Vec<u8>);
    /// Bytes of the final values from the successor and from the
    /// predecessor.
    fn last_in(&self) -> (usize, usize);
    /// The final checks: `(right failed, left failed)`.
    fn check(&self, from_next: &mut Reader<'_>, from_prev: &mut Reader<'_>) -> (bool, bool);
}

/// A cursor over received bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    fn read<A: Algebra>(&mut self) -> A::E {
        let e = A::read(&self.bytes[self.at..self.at + A::BYTES]);
        self.at += A::BYTES;
        e
    }

    fn read_n<A: Algebra>(&mut self, n: usize) -> Vec<A::E> {
        (0..n).map(|_| self.read::<A>()).collect()
    }
}

fn write<A: Algebra>(e: &A::E, out: &mut Vec<u8>) {
    A::write(e, out);
}

enum State<'a, A: Algebra> {
    First(First<'a, A>),
    Folding {
        prover: Option<core::Prover<A>>,
        left: Option<core::Left<A>>,
        right: Option<core::Right<A>>,
    },
    Gone,
}

/// A proof over the algebra `A`.
pub(crate) struct Proof<'a, A: Algebra> {
    check: &'static str,
    /// The proof's place in the verification, which its challenges are
    /// drawn for.
    label: String,
    parts: Parts,
    streams: Streams,
    state: State<'a, A>,
    /// This round's challenges as prover, left and right verifier (the
    /// first round uses the first alone).
    drawn: [Option<core::Draw<A>>; 3],
    active: bool,
}

impl<'a, A: Algebra> Proof<'a, A> {
    /// A proof whose first round `first` was made with `streams`.
    pub(crate) fn new(
        check: &'static str,
        label: String,
        parts: Parts,
        streams: Streams,
        first: First<'a, A>,
    ) -> Proof<'a, A> {
        Proof {
            check,
            label,
            parts,
            streams,
            state: State::First(first),
            drawn: [None; 3],
            active: false,
        }
    }

    /// Rounds of recursion left (every part knows the vectors' length).
    fn rounds_left(&self) -> usize {
        match &self.state {
            State::Folding {
                prover,
                left,
                right,
            } => match (prover, left, right) {
                (Some(p), _, _) => p.rounds(),
                (_, Some(l), _) => l.rounds(),
                (_, _, Some(r)) => r.rounds(),
                _ => 0,
            },
            _ => 0,
        }
    }

    fn first(&self) -> &First<'a, A> {
        match &self.state {
            State::First(f) => f,
            _ => panic!("the first round is over"),
        }
    }

    fn folding(&mut self) -> Folding<'_, A> {
        match &mut self.state {
            State::Folding {
                prover,
                left,
                right,
            } => Folding {
                prover: prover.as_mut(),
                left: left.as_mut(),
                right: right.as_mut(),
                streams: &mut self.streams,
            },
            _ => panic!("not in the recursion"),
        }
    }
}

struct Folding<'a, A: Algebra> {
    prover: Option<&'a mut core::Prover<A>>,
    left: Option<&'a mut core::Left<A>>,
    right: Option<&'a mut core::Right<A>>,
    streams: &'a mut Streams,
}

/// `k` uniform elements.
fn uniforms<A: Algebra>(prg: &mut Prg, k: usize) -> Vec<A::E> {
    (0..k).map(|_| A::uniform(prg)).collect()
}

impl<A: Algebra> Slot for Proof<'_, A> {
    fn check_name(&self) -> &'static str {
        self.check
    }

    fn first_out(&self, out: &mut Vec<u8>) {
        if let Some((m, _)) = &self.first().message {
            for e in m {
                write::<A>(e, out);
            }
        }
    }

    fn first_in(&self) -> usize {
        if self.parts.left {
            (2 * self.first().l - 1) * A::BYTES
        } else {
            0
        }
    }

    fn begin_round(&mut self) -> bool {
        self.active = match self.state {
            State::First(_) => true,
            State::Folding { .. } => self.rounds() > 0,
            State::Gone => false,
        };
        self.active
    }

    fn challenges(&mut self, seeds: &Seeds) {
        self.drawn = [None; 3];
        if !self.active {
            return;
        }
        let parts = [self.parts.prover, self.parts.left, self.parts.right];
        for (k, plays) in parts.into_iter().enumerate() {
            if plays {
                self.drawn[k] = seeds.challenges::<A>(k, &self.label);
            }
        }
    }

    fn start(&mut self, from_next: &mut Reader<'_>) {
        let State::First(first) = std::mem::replace(&mut self.state, State::Gone) else {
            panic!("the first round is over");
        };
        let (l, padded) = (first.l, first.padded);
        let last = core::final_len::<A>(first.len);
        let k = 2 * l - 2;
        let message = self.parts.left.then(|| from_next.read_n::<A>(k + 1));
        let [prover, left, right] = self.drawn.map(|c| c.map(|r| r[0]));
        let challenges = Challenges {
            prover,
            left,
            right,
        };
        let folded = (first.fold)(&challenges);
        let lengths = [
            folded.prover.as_ref().map(|(u, _)| u.len()),
            folded.prover.as_ref().map(|(_, v)| v.len()),
            folded.left.as_ref().map(Vec::len),
            folded.right.as_ref().map(Vec::len),
        ];
        assert!(
            lengths.iter().flatten().all(|&n| n == first.len),
            "a first round's vectors are as long as it said: {lengths:?}, {}",
            first.len
        );
        let streams = &mut self.streams;
        let prover = match (folded.prover, first.message) {
            (Some((u, v)), Some((_, pad))) => Some(core::Prover {
                u: core::with_pads::<A>(u, &pad.u),
                v: core::with_pads::<A>(v, &pad.v),
                last,
            }),
            _ => None,
        };
        // Left: its coefficient shares came in the message, then the pad's.
        let left = match (folded.left, message, first.left_claim, challenges.left) {
            (Some(u), Some(msg), Some(c), Some(r)) => {
                let c = core::laurent_claim::<A>(&msg[..k], &c, &r, l);
                let u_pad = core::Pad::<A>::left(&mut streams.left_pad, first.len, padded);
                Some(core::Left {
                    u: core::with_pads::<A>(u, &u_pad),
                    c: A::add(&c, &msg[k]),
                    last,
                })
            }
            _ => None,
        };
        // Right: the same shares from the key it shares with the prover.
        let right = match (folded.right, first.right_claim, challenges.right) {
            (Some(v), Some(c), Some(r)) => {
                let s = uniforms::<A>(&mut streams.right_shares, k);
                let c = core::laurent_claim::<A>(&s, &c, &r, l);
                let (v_pad, s_pad) =
                    core::Pad::<A>::right(&mut streams.right_shares, first.len, padded);
                Some(core::Right {
                    v: core::with_pads::<A>(v, &v_pad),
                    c: A::add(&c, &s_pad),
                    last,
                })
            }
            _ => None,
        };
        self.state = State::Folding {
            prover,
            left,
            right,
        };
    }

    fn rounds(&self) -> usize {
        self.rounds_left()
    }

    fn round_out(&mut self, out: &mut Vec<u8>) {
        if !self.active {
            return;
        }
        let f = self.folding();
        if let Some(p) = f.prover {
            for e in p.message(&mut f.streams.prover_shares) {
                write::<A>(&e, out);
            }
        }
    }

    fn round_in(&self) -> usize {
        match &self.state {
            State::Folding { left: Some(l), .. } if self.active && self.parts.left => {
                l.message_len() * A::BYTES
            }
            _ => 0,
        }
    }

    fn absorb(&mut self, from_next: &mut Reader<'_>) {
        if !self.active {
            return;
        }
        let [r_prover, r_left, r_right] = self.drawn;
        let f = self.folding();
        if let (Some(p), Some(r)) = (f.prover, r_prover) {
            p.fold(&r);
        }
        if let (Some(l), Some(r)) = (f.left, r_left) {
            let msg = from_next.read_n::<A>(l.message_len());
            l.absorb(&msg, &r);
        }
        if let (Some(rt), Some(r)) = (f.right, r_right) {
            rt.absorb(&mut f.streams.right_shares, &r);
        }
    }

    fn last(&self, to_prev: &mut Vec<u8>, to_next: &mut Vec<u8>) {
        let State::Folding { left, right, .. } = &self.state else {
            panic!("not in the recursion");
        };
        if let Some(l) = left {
            let (u, c) = l.last();
            for e in u {
                write::<A>(e, to_prev);
            }
            write::<A>(&c, to_prev);
        }
        if let Some(r) = right {
            let (v, c) = r.last();
            for e in v {
                write::<A>(e, to_next);
            }
            write::<A>(&c, to_next);
        }
    }

    fn last_in(&self) -> (usize, usize) {
        let State::Folding { left, right, .. } = &self.state else {
            panic!("not in the recursion");
        };
        // The other verifier's final vector is as long as this one's.
        (
            right.as_ref().map_or(0, |r| (r.v.len() + 1) * A::BYTES),
            left.as_ref().map_or(0, |l| (l.u.len() + 1) * A::BYTES),
        )
    }

    fn check(&self, from_next: &mut Reader<'_>, from_prev: &mut Reader<'_>) -> (bool, bool) {
        let State::Folding { left, right, .. } = &self.state else {
            panic!("not in the recursion");
        };
        let mut failed = (false, false);
        if let Some(r) = right {
            let (u_in, cl_in) = (from_next.read_n::<A>(r.v.len()), from_next.read::<A>());
            let (v, cr) = r.last();
            failed.0 = !core::check::<A>(&u_in, v, &cl_in, &cr);
        }
        if let Some(l) = left {
            let (v_in, cr_in) = (from_prev.read_n::<A>(l.u.len()), from_prev.read::<A>());
            let (u, cl) = l.last();
            failed.1 = !core::check::<A>(u, &v_in, &cl, &cr_in);
        }
        failed
    }
}
