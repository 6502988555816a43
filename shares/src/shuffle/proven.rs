//! The shuffle under [`Security::Abort`](crate::Security): three
//! permutation steps, each a single round whose two messages are relations
//! of degree two that the proofs of [`crate::Party::verify`] check before
//! anything is opened.
//!
//! # One step
//!
//! Pair `(p, p+1)` knows the permutation `pi` (drawn from the key the pair
//! shares); `P` is its matrix (`P x` moves `x` as the step moves rows,
//! `P^T` moves them back). From a replicated sharing `[x]` the step makes a
//! replicated sharing `[y]` of `P x`:
//!
//! - `y_p = F(K_p)`, drawn by parties `p` and `p+2`, and
//!   `y_(p+2) = F(K_(p+2))`, drawn by parties `p+1` and `p+2`: no message;
//! - `y_(p+1) = A + B`, held by `p` and `p+1`, where party `p` sends
//!   `A = P (x_p + x_(p+1)) - y_p` to `p+1` (masked by `K_p`, which `p+1`
//!   lacks) and party `p+1` sends `B = P x_(p+2) - y_(p+2)` to `p` (masked
//!   by `K_(p+2)`, which `p` lacks).
//!
//! One round, `2 m n` elements for `m` columns of `n`; with XOR for the
//! sums on XOR columns, and the low bytes only on narrow columns, whose
//! components then agree between their holders only in those bytes (as
//! after any narrow message). A shuffle is three steps, pairs `0, 1, 2`;
//! undoing it, pairs `2, 1, 0` with the inverse permutations. Every party
//! misses one of the three permutations.
//!
//! # What is proven
//!
//! Each message is `P d - F`, with `F` a draw the third party `p+2` made
//! too and `d` a component the third party holds: for `A`,
//! `A - P x_(p+1) = P x_p - y_p`, the left side known to the receiver
//! `p+1`; for `B`, `B = P x_(p+2) - y_(p+2)`. With weights `theta` on the
//! output rows, `sum theta (P d) = <P^T theta, d>`, an inner product of a
//! vector the receiver knows (it knows `P` and, once they are drawn, the
//! weights) and one the third party knows, equal to the sum of the
//! receiver's `theta . (A - P x_(p+1))` (or `theta . B`) and the third
//! party's `theta . y_p` (or `theta . y_(p+2)`): the claim shape of every
//! proof here, the sender as prover, its two peers as verifiers
//! (`verify/moved.rs` builds the vectors; the receiver is the left verifier
//! of `B`, sent to the sender's predecessor, and the right one of `A`).
//! Arithmetic columns are checked over `GR(2^64, 48)` (over `GR(2^32, 48)`
//! or `GR(2^16, 48)` if none matters in more than four or two bytes) with
//! one `{0, 1}`-coefficient weight per row, narrow ones mod `2^(8 bytes)`; XOR
//! columns over `GF(2^64)`, each word one field element. Each message is a
//! proof of its own (see "Failures" in [`crate::verify`]).
//!
//! # Soundness
//!
//! Say one party deviates. If it sends a message other than the prescribed
//! one, computed from the components and draws as its two honest peers hold
//! them, the error is nonzero in some row and column (modulo the bytes that
//! matter); the weights are drawn from the key of the two verifiers after
//! the message was sent, so the weighted error vanishes with probability at
//! most `2^-48` (ring) or `2^-64` (field), and the proof then fails but with
//! the probability its recursion leaves (below `2^-40` in all). This holds
//! in either role: as the sender of `A` it may use another permutation,
//! other components or another mask, but the receiver checks against the
//! permutation of the pair's key, the third party against its own
//! components and draw; the same for `B`. As the third party of a step it
//! sends nothing; as a verifier it can make an honest sender's proof fail,
//! never pass a wrong one. The honest parties'
//! components of the output are then exactly those of `P x` for `x` as the
//! honest parties held it: drawn from keys they hold, or `A + B` with one
//! of the two computed by themselves and the other proven.
//!
//! # Cost
//!
//! Three rounds and `6 m n` elements, against three rounds and `4 m n` for
//! the semi-honest shuffle; the proofs add a verification's rounds (some
//! 30, shared with everything else proven at that point) and little
//! traffic. Measured on two cores for three 64-bit columns of `2^20` rows,
//! with the verification: 1.5 times the bytes, 40 rounds instead of 2,
//! about 12 times the CPU time of the busiest party (the tags of the
//! shuffle this replaces cost 44 times the bytes).
//!
//! # Zero knowledge
//!
//! What each party sees of a step and of the proofs of its messages:
//!
//! - the receiver of `A` gets `P (x_p + x_(p+1)) - y_p`, uniformly random
//!   behind `y_p` from `K_p`, which it lacks; the receiver of `B` gets
//!   `P x_(p+2) - y_(p+2)`, uniformly random behind `K_(p+2)`; the third
//!   party receives nothing;
//! - in the proof of a message, the two verifiers are the receiver (it
//!   knows `P`, its own components and the message) and the third party (it
//!   knows `d` and `F`). The left verifier receives the prover's
//!   coefficients masked by draws of the key the prover shares with the
//!   right verifier; the right verifier receives nothing from the prover;
//!   the challenges and weights are their own. At the end each receives the
//!   other's last entry (`u*` or `v*`), uniformly random behind the pad of
//!   the key it lacks, and the other's claim share, fixed by `u* v*` and its
//!   own (see [`crate::verify`]).
//!
//! So the receiver learns nothing of `d`, the component it lacks, and the
//! third party nothing of `P`: no party learns anything of the permutation
//! it misses or of the values.

use super::{Column, Shuffle, split_columns};
use crate::transport::{Tag, Transport};
use crate::verify::{Moved, Role};
use crate::{Party, PartyId, Result};

fn pid(i: usize) -> PartyId {
    PartyId::new(i % 3).expect("reduced mod 3")
}

/// Adds (XOR on XOR columns) `b` into `a` column by column; `sub`
/// subtracts.
fn combine(a: &mut [u64], b: &[u64], n: usize, kinds: &[(bool, usize)], sub: bool) {
    for ((ac, bc), &(xor, _)) in a.chunks_mut(n).zip(b.chunks(n)).zip(kinds) {
        for (x, y) in ac.iter_mut().zip(bc) {
            *x = if xor {
                *x ^ y
            } else if sub {
                x.wrapping_sub(*y)
            } else {
                x.wrapping_add(*y)
            };
        }
    }
}

/// [`Shuffle::run`] as proven steps in `order` (see the module
/// documentation), under [`Security::Abort`](crate::Security) only. The
/// columns are not empty; the messages are kept for the next
/// verification.
pub(super) fn run<T: Transport>(
    shuffle: &Shuffle,
    party: &mut Party<T>,
    cols: &[Column<'_>],
    order: [usize; 3],
    inverse: bool,
) -> Result<Vec<(Vec<u64>, Vec<u64>)>> {
    let kinds: Vec<(bool, usize)> = cols.iter().map(|c| (c.xor, c.bytes)).collect();
    let mut held = (
        cols.iter().flat_map(|c| c.own.iter().copied()).collect(),
        cols.iter().flat_map(|c| c.next.iter().copied()).collect(),
    );
    for p in order {
        held = step(shuffle, party, p, held, &kinds, inverse)?;
    }
    // The ledger's size is the same at all three parties only after the
    // whole shuffle (each party has played each part once).
    party.kept()?;
    let n = shuffle.n;
    Ok(split_columns(held.0, n)
        .into_iter()
        .zip(split_columns(held.1, n))
        .collect())
}

/// One step by pair `(p, p+1)`: this party's components of the input
/// (columns one after another) in, of the output out.
fn step<T: Transport>(
    shuffle: &Shuffle,
    party: &mut Party<T>,
    p: usize,
    (own, next): (Vec<u64>, Vec<u64>),
    kinds: &[(bool, usize)],
    inverse: bool,
) -> Result<(Vec<u64>, Vec<u64>)> {
    let n = shuffle.n;
    let total = own.len();
    let me = party.id().index();
    let moved = |v: &[u64]| {
        let mut out = vec![0u64; v.len()];
        shuffle.permute_into(p, v, &mut out, inverse);
        out
    };
    // What this party keeps of a message for its proof: its part, whether
    // the receiver is the sender's left verifier (B, sent to the sender's
    // predecessor) or its right one (A), and the permutation if it knows it.
    let message = |part: Role, permutation_left: bool, data: Vec<u64>, claim: Vec<u64>| {
        let mut m = Moved {
            n,
            kinds: kinds.to_vec(),
            part,
            permutation_left,
            perm: None,
            data,
            claim,
        };
        if m.holds_permutation() {
            m.perm = Some((shuffle.perm(p).clone(), inverse));
        }
        m
    };
    let (a_left, b_left) = (false, true);
    // y_(p+2), the third party's own component, is `y_t`.
    if me == p {
        // A = P (x_p + x_(p+1)) - y_p.
        let mut sum = own.clone();
        combine(&mut sum, &next, n, kinds, false);
        drop(next);
        let mut a = moved(&sum);
        drop(sum);
        let y_p = party.prev_prg().words(total);
        combine(&mut a, &y_p, n, kinds, true);
        party.send_cols(pid(p + 1), Tag::SHUFFLE, &a, n, kinds)?;
        let b = party.recv_cols(pid(p + 1), Tag::SHUFFLE, n, kinds)?;
        combine(&mut a, &b, n, kinds, false);
        let ledger = party.ledger_mut();
        ledger.keep_moved(message(Role::Prover, a_left, own, Vec::new()));
        ledger.keep_moved(message(Role::Left, b_left, Vec::new(), b));
        Ok((y_p, a))
    } else if me == (p + 1) % 3 {
        // B = P x_(p+2) - y_(p+2).
        let y_t = party.next_prg().words(total);
        let mut b = moved(&next);
        combine(&mut b, &y_t, n, kinds, true);
        party.send_cols(pid(p), Tag::SHUFFLE, &b, n, kinds)?;
        let a = party.recv_cols(pid(p), Tag::SHUFFLE, n, kinds)?;
        // The receiver's side of A's claim: A - P x_(p+1).
        let mut claim = a.clone();
        combine(&mut claim, &moved(&own), n, kinds, true);
        combine(&mut b, &a, n, kinds, false);
        let ledger = party.ledger_mut();
        ledger.keep_moved(message(Role::Right, a_left, Vec::new(), claim));
        ledger.keep_moved(message(Role::Prover, b_left, next, Vec::new()));
        Ok((b, y_t))
    } else {
        let y_t = party.prev_prg().words(total);
        let y_p = party.next_prg().words(total);
        // The data of both proofs and this party's draw of each mask.
        let ledger = party.ledger_mut();
        ledger.keep_moved(message(Role::Left, a_left, next, y_p.clone()));
        ledger.keep_moved(message(Role::Right, b_left, own, y_t.clone()));
        Ok((y_t, y_p))
    }
}

#[cfg(all(test, feature = "test-keys", feature = "deviations"))]
mod tests {
    use super::*;
    use crate::transport::{Deviating, Deviation};
    use crate::{Error, MemTransport, Security};
    use std::time::Duration;

    type P = Party<Deviating<MemTransport>>;

    /// Runs `f` as the three parties in abort mode, `liar` corrupting the
    /// message `d` names.
    fn run3<R: Send>(liar: Option<(usize, Deviation)>, f: impl Fn(&mut P) -> R + Sync) -> Vec<R> {
        let ts = MemTransport::triple(Duration::from_secs(10));
        std::thread::scope(|s| {
            let hs: Vec<_> = ts
                .into_iter()
                .enumerate()
                .map(|(i, t)| {
                    let f = &f;
                    let d = match liar {
                        Some((who, d)) if who == i => d,
                        _ => Deviation::NONE,
                    };
                    s.spawn(move || {
                        let mut p = Party::with_seed(Deviating::new(t, d), 5);
                        p.set_security(Security::Abort);
                        f(&mut p)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    /// The plaintext value of a column from the three parties' components.
    fn open(parts: &[(Vec<u64>, Vec<u64>)], xor: bool, bytes: usize) -> Vec<u64> {
        let low = if bytes >= 8 {
            u64::MAX
        } else {
            (1 << (8 * bytes)) - 1
        };
        (0..parts[0].0.len())
            .map(|k| {
                let c = [parts[0].0[k], parts[1].0[k], parts[2].0[k]];
                let v = if xor {
                    c[0] ^ c[1] ^ c[2]
                } else {
                    c[0].wrapping_add(c[1]).wrapping_add(c[2])
                };
                v & low
            })
            .collect()
    }

    /// A column of public values: component 0 holds them.
    fn public(me: usize, v: &[u64]) -> (Vec<u64>, Vec<u64>) {
        let z = vec![0u64; v.len()];
        match me {
            0 => (v.to_vec(), z),
            2 => (z, v.to_vec()),
            _ => (z.clone(), z),
        }
    }

    fn values(c: usize, n: usize) -> Vec<u64> {
        (0..n as u64)
            .map(|i| (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15 + c as u64))
            .collect()
    }

    const KINDS: [(bool, usize); 3] = [(false, 8), (true, 3), (false, 2)];

    /// The three columns of the tests, shuffled and undone; every party's
    /// output components and the verification's result.
    type Columns = Vec<(Vec<u64>, Vec<u64>)>;

    /// The columns of `held`, of the kinds in [`KINDS`].
    fn columns(held: &Columns) -> Vec<Column<'_>> {
        held.iter()
            .zip(KINDS)
            .map(|((own, next), (xor, bytes))| Column {
                own,
                next,
                xor,
                bytes,
            })
            .collect()
    }

    fn shuffle_mixed(p: &mut P, n: usize) -> (Columns, Result<()>) {
        let me = p.id().index();
        let held: Vec<(Vec<u64>, Vec<u64>)> = (0..KINDS.len())
            .map(|c| public(me, &values(c, n)))
            .collect();
        let sh = Shuffle::random(p, n);
        let out = sh.run(p, &columns(&held), false).unwrap();
        let back = sh.run(p, &columns(&out), true).unwrap();
        let verified = p.verify();
        (back, verified)
    }

    #[test]
    fn steps_shuffle_and_undo_mixed_columns() {
        let n = 77;
        let out = run3(None, |p| shuffle_mixed(p, n));
        for (c, &(xor, bytes)) in KINDS.iter().enumerate() {
            let parts: Vec<(Vec<u64>, Vec<u64>)> = out.iter().map(|o| o.0[c].clone()).collect();
            let (input, _) = public(0, &values(c, n));
            assert_eq!(
                open(&parts, xor, bytes),
                open(
                    &[
                        (input, vec![0; n]),
                        (vec![0; n], vec![0; n]),
                        (vec![0; n], vec![0; n])
                    ],
                    xor,
                    bytes
                ),
                "column {c}"
            );
        }
        for o in &out {
            assert!(o.1.is_ok(), "{:?}", o.1);
        }
    }

    /// Every byte position class of every message of every party, in
    /// every column: the low byte and the top byte of what travels (for the
    /// 64-bit column an error of `2^63`). Both honest parties name the
    /// sender.
    #[test]
    fn a_corrupted_step_message_names_its_sender() {
        let n = 20;
        // Column c of a message starts at byte n * (8 + 3 + 2 before it).
        let starts = [0, 8 * n, 11 * n];
        let widths = [8, 3, 2];
        for liar in 0..3 {
            // Each party sends four step messages: two per shuffle.
            for nth in 0..4 {
                for (c, (&start, &width)) in starts.iter().zip(&widths).enumerate() {
                    for (row, byte, xor) in [(3, 0, 1u8), (11, width - 1, 0x80)] {
                        let d = Deviation {
                            tag: Some(Tag::SHUFFLE),
                            to: None,
                            nth,
                            at: start + row * width + byte,
                            xor,
                        };
                        let out = run3(Some((liar, d)), |p| shuffle_mixed(p, n).1);
                        for (i, r) in out.iter().enumerate() {
                            if i == liar {
                                continue;
                            }
                            assert!(
                                matches!(r, Err(Error::Cheating { check: "shuffle", peer }) if *peer == PartyId::new(liar)),
                                "party {liar}, message {nth}, column {c}, byte {byte}: party {i} got {r:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

        /// Any byte of any step message, changed in any way: both honest
        /// parties name the sender.
        #[test]
        fn any_changed_byte_names_the_sender(
            liar in 0usize..3,
            nth in 0usize..4,
            at in 0usize..13 * 20,
            xor in 1u8..=255,
        ) {
            let d = Deviation { tag: Some(Tag::SHUFFLE), to: None, nth, at, xor };
            let out = run3(Some((liar, d)), |p| shuffle_mixed(p, 20).1);
            for (i, r) in out.iter().enumerate() {
                proptest::prop_assert!(
                    i == liar
                        || matches!(r, Err(Error::Cheating { check: "shuffle", peer }) if *peer == PartyId::new(liar)),
                    "party {} got {:?}", i, r
                );
            }
        }
    }
}
