//! Security with abort: honest sessions give the semi-honest results and
//! pass every verification; a party that changes one multiplication or AND
//! message is named by both honest parties before anything is opened; a
//! changed opening is caught by its honest receiver.

mod common;

use common::*;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use shares::client::share_bits;
use shares::shuffle::Shuffle;
use shares::transport::{Deviating, Deviation};
use shares::{
    ArithShares, BitShares, Error, MemTransport, Party, PartyId, Security, Tag, compare, convert,
    mul, select, sort,
};
use std::time::Duration;

type P = Party<Deviating<MemTransport>>;

/// Runs `f` as the three parties at `security`, party `deviator` (if any)
/// deviating as `d`.
fn run3_as<R: Send>(
    seed: u64,
    security: Security,
    deviation: Option<(usize, Deviation)>,
    f: impl Fn(&mut P) -> R + Sync,
) -> [R; 3] {
    let ts = MemTransport::triple(Duration::from_secs(30));
    std::thread::scope(|s| {
        let hs: Vec<_> = ts
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                let f = &f;
                let d = match deviation {
                    Some((who, d)) if who == i => d,
                    _ => Deviation::NONE,
                };
                s.spawn(move || {
                    let mut p = Party::with_seed(Deviating::new(t, d), seed);
                    p.set_security(security);
                    f(&mut p)
                })
            })
            .collect();
        let out: Vec<R> = hs.into_iter().map(|h| h.join().expect("party")).collect();
        out.try_into().ok().expect("three parties")
    })
}

fn bit_shares(words: &[u64], len: usize, seed: u64, i: usize) -> BitShares {
    let sh = share_bits(words, &mut ChaCha20Rng::seed_from_u64(seed));
    let (o, n) = sh[i].clone();
    BitShares::from_components(o, n, len)
}

fn values(seed: u64, n: usize, bits: u32) -> Vec<u64> {
    let mut r = ChaCha20Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let v = rand::RngCore::next_u64(&mut r);
            if bits == 64 { v } else { v & ((1 << bits) - 1) }
        })
        .collect()
}

/// Everything a session of all public protocols opens.
fn session(p: &mut P, n: usize, seed: u64) -> Vec<Vec<u64>> {
    let i = p.id().index();
    let (x, y) = (values(seed, n, 32), values(seed + 1, n, 32));
    let (bx, by) = (share(&x, seed), share(&y, seed + 1));
    let (sx, sy) = (mine(&bx, i), mine(&by, i));
    let words = n.div_ceil(64);
    let (wa, wb) = (values(seed + 2, words, 64), values(seed + 3, words, 64));
    let (ba, bb) = (
        bit_shares(&wa, n, seed + 2, i),
        bit_shares(&wb, n, seed + 3, i),
    );
    let mut out = Vec::new();
    let prod = mul::mul(p, &sx, &sy).unwrap();
    out.push(p.open_arith("test: product", &prod).unwrap());
    let and = mul::and(p, &ba, &bb).unwrap();
    out.push(bools(p.open_bits("test: and", &and).unwrap()));
    let lt = compare::lt(p, &sx, &sy).unwrap();
    let eq = compare::eq_bits(p, &sx, &sy, 32).unwrap();
    out.push(bools(p.open_bits("test: lt", &lt).unwrap()));
    out.push(bools(p.open_bits("test: eq", &eq).unwrap()));
    let planes = convert::a2b(p, &sx, 32).unwrap();
    let back = convert::b2a(p, &planes).unwrap();
    out.push(p.open_arith("test: b2a(a2b)", &back).unwrap());
    let sel = select::select(p, &lt, &sx, &sy).unwrap();
    out.push(p.open_arith("test: select", &sel).unwrap());
    let sh = Shuffle::random(p, n);
    let shuffled = sh.apply(p, &[&sx]).unwrap().pop().unwrap();
    let unshuffled = sh.unapply(p, &[&shuffled]).unwrap().pop().unwrap();
    out.push(p.open_arith("test: unshuffled", &unshuffled).unwrap());
    let (sk, pay, _) = sort::sort(p, &sx, 32, &[&sy]).unwrap();
    out.push(p.open_arith("test: sorted keys", &sk).unwrap());
    out.push(p.open_arith("test: sorted payload", &pay[0]).unwrap());
    p.verify().unwrap();
    out
}

fn bools(b: Vec<bool>) -> Vec<u64> {
    b.into_iter().map(u64::from).collect()
}

#[test]
fn honest_sessions_in_abort_mode_open_what_semi_honest_ones_open() {
    for (n, seed) in [(1, 1), (70, 2), (300, 3)] {
        let semi = agree(run3_as(seed, Security::SemiHonest, None, |p| {
            session(p, n, seed)
        }));
        let abort = agree(run3_as(seed, Security::Abort, None, |p| {
            session(p, n, seed)
        }));
        assert_eq!(semi, abort, "n = {n}");
        // The results are right, too.
        let (x, y) = (values(seed, n, 32), values(seed + 1, n, 32));
        let prod: Vec<u64> = x.iter().zip(&y).map(|(a, b)| a.wrapping_mul(*b)).collect();
        assert_eq!(abort[0], prod);
        let mut sorted = x.clone();
        sorted.sort();
        assert_eq!(abort[7], sorted);
    }
}

#[test]
fn abort_mode_verifies_before_every_opening_and_sends_more() {
    let n = 500;
    let stats = |security| {
        run3_as(7, security, None, |p| {
            let i = p.id().index();
            let (bx, by) = (share(&values(7, n, 64), 7), share(&values(8, n, 64), 8));
            let z = mul::mul(p, &mine(&bx, i), &mine(&by, i)).unwrap();
            let before = p.stats();
            p.open_arith("test", &z).unwrap();
            let after = p.stats();
            (after - before).messages_sent
        })
    };
    // An opening sends one message to the successor; in abort mode one more
    // (the hash to the predecessor) and the proof's messages before: the
    // weights' seed, the first round's message and challenges, and those
    // of the one round of recursion these few products need, with the
    // final values.
    assert_eq!(stats(Security::SemiHonest), [1, 1, 1]);
    for m in stats(Security::Abort) {
        assert!(m >= 7, "{m} messages");
    }
}

#[test]
fn verify_with_nothing_kept_sends_nothing() {
    let sent = run3_as(3, Security::Abort, None, |p| {
        p.verify().unwrap();
        p.verify().unwrap();
        p.stats().messages_sent
    });
    assert_eq!(sent, [0, 0, 0]);
}

/// Independent multiplications and ANDs (`muls` then `ands`, each of a
/// different size), then an opening of a fresh masked value: the session
/// of the deviation tests. Returns the verification's outcome and the
/// labels opened.
fn gates_then_open(p: &mut P, seed: u64, muls: usize, ands: usize) -> (Result<(), Error>, usize) {
    let i = p.id().index();
    for k in 0..muls {
        let n = 1 + 37 * k;
        let (bx, by) = (
            share(&values(seed + k as u64, n, 64), seed + k as u64),
            share(&values(seed + 50 + k as u64, n, 64), seed + 50 + k as u64),
        );
        mul::mul(p, &mine(&bx, i), &mine(&by, i)).unwrap();
    }
    for k in 0..ands {
        let len = 1 + 150 * k;
        let words = len.div_ceil(64);
        let s = seed + 100 + k as u64;
        let a = bit_shares(&values(s, words, 64), len, s, i);
        let b = bit_shares(&values(s + 1, words, 64), len, s + 1, i);
        mul::and(p, &a, &b).unwrap();
    }
    let r = p.random_arith(4);
    let res = p.open_arith("test: a fresh random value", &r).map(|_| ());
    (res, p.opened().len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// One party changes one byte of its `nth` multiplication-type message:
    /// both others name it, before the opening.
    #[test]
    fn a_changed_product_is_caught_by_both_honest_parties(
        deviator in 0usize..3,
        nth in 0usize..6,
        at in 0usize..10_000,
        xor in 1u8..=255,
        seed in 0u64..1000,
    ) {
        let d = Deviation { tag: Some(Tag::MUL), to: None, nth, at, xor };
        let out = run3_as(seed, Security::Abort, Some((deviator, d)), |p| {
            gates_then_open(p, seed, 3, 3)
        });
        let check = if nth < 3 { "mul" } else { "and" };
        for (i, (res, opened)) in out.iter().enumerate() {
            if i == deviator {
                continue;
            }
            match res {
                Err(Error::Cheating { check: c, peer }) => {
                    prop_assert_eq!(*c, check);
                    prop_assert_eq!(*peer, PartyId::new(deviator));
                }
                other => prop_assert!(false, "party {i}: {other:?}"),
            }
            prop_assert_eq!(*opened, 0, "party {} logged the opening", i);
        }
    }
}

#[test]
fn a_changed_product_inside_a_comparison_is_caught_and_named() {
    // The changed component is used by later ANDs of the same carry tree:
    // both honest parties still name the deviator.
    for deviator in 0..3 {
        for nth in [0, 1, 3] {
            let d = Deviation {
                tag: Some(Tag::MUL),
                to: None,
                nth,
                at: 5,
                xor: 0x10,
            };
            let out = run3_as(11, Security::Abort, Some((deviator, d)), |p| {
                let i = p.id().index();
                let (bx, by) = (share(&values(1, 200, 32), 1), share(&values(2, 200, 32), 2));
                let lt = compare::lt(p, &mine(&bx, i), &mine(&by, i)).unwrap();
                p.open_bits("test: lt", &lt).map(|_| ())
            });
            for (i, res) in out.iter().enumerate() {
                if i != deviator {
                    assert!(
                        matches!(res, Err(Error::Cheating { check: "and", peer }) if *peer == PartyId::new(deviator)),
                        "deviator {deviator}, message {nth}, party {i}: {res:?}"
                    );
                }
            }
        }
    }
}

/// The products of an injection and of `bit_times` have a factor that is a
/// sharing of one component, and their proofs cover only the cross term
/// that is not zero by construction (one per party). A party whose part is
/// zero by construction sends nothing: each party sends one message in an
/// injection (party 0 in its first round, parties 1 and 2 in its second)
/// and two in `bit_times`. A changed byte in any of them, from any party,
/// is still named by both honest parties before the opening.
#[test]
fn a_changed_product_with_a_one_component_factor_is_caught_and_named() {
    let n: usize = 150;
    let run = |deviation: Option<(usize, Deviation)>, which: usize| {
        run3_as(13, Security::Abort, deviation, move |p| {
            let i = p.id().index();
            let words = n.div_ceil(64);
            let c = bit_shares(&values(4, words, 64), n, 4, i);
            let a = mine(&share(&values(5, n, 64), 5), i);
            let before = p.stats();
            let out = if which == 0 {
                convert::inject(p, &c)
            } else {
                select::bit_times_many(p, &[(&c, &a)]).map(|mut v| v.remove(0))
            };
            let sent = p.stats() - before;
            out.and_then(|v| p.open_arith("test: one-component factors", &v))
                .map(|_| sent.messages_sent)
        })
    };
    for (which, what) in ["inject", "bit_times"].into_iter().enumerate() {
        let messages = 1 + which;
        for res in run(None, which) {
            assert_eq!(res.expect("honest"), messages as u64, "{what}");
        }
        for deviator in 0..3 {
            for nth in 0..messages {
                for at in [0, 8 * 77 + 3, 8 * 149 + 1] {
                    let d = Deviation {
                        tag: Some(Tag::MUL),
                        to: None,
                        nth,
                        at,
                        xor: 0x21,
                    };
                    let out = run(Some((deviator, d)), which);
                    for (i, res) in out.iter().enumerate() {
                        if i != deviator {
                            assert!(
                                matches!(res, Err(Error::Cheating { check: "mul", peer }) if *peer == PartyId::new(deviator)),
                                "{what}, deviator {deviator}, message {nth}, byte {at}: party {i} got {res:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_changed_opening_is_caught_by_its_receiver() {
    for deviator in 0..3 {
        let me = PartyId::new(deviator).unwrap();
        // To the successor goes the component, to the predecessor the hash.
        for to in [me.next(), me.prev()] {
            for tag in [Tag::OPEN, Tag::OPEN_TO] {
                let d = Deviation {
                    tag: Some(tag),
                    to: Some(to),
                    nth: 0,
                    at: 3,
                    xor: 1,
                };
                let out = run3_as(5, Security::Abort, Some((deviator, d)), |p| {
                    let i = p.id().index();
                    let x = mine(&share(&values(3, 8, 64), 3), i);
                    if tag == Tag::OPEN {
                        p.open_arith("test", &x).map(|_| ())
                    } else {
                        p.open_arith_to("test", to, &x).map(|_| ())
                    }
                });
                for (i, res) in out.iter().enumerate() {
                    if i == deviator {
                        continue;
                    }
                    if i == to.index() {
                        assert!(
                            matches!(
                                res,
                                Err(Error::Cheating {
                                    check: "opening",
                                    peer: None
                                })
                            ),
                            "{tag:?} from {deviator} to {to}: {res:?}"
                        );
                    } else {
                        assert!(res.is_ok(), "{tag:?} from {deviator}: party {i} {res:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn semi_honest_mode_does_not_notice_the_same_changes() {
    // The control: without checks the changed product is opened as is by
    // its receiver (party 0 holds party 1's message as `next`).
    let d = Deviation {
        tag: Some(Tag::MUL),
        to: None,
        nth: 0,
        at: 0,
        xor: 1,
    };
    let out = run3_as(1, Security::SemiHonest, Some((1, d)), |p| {
        let i = p.id().index();
        let (bx, by) = (share(&[3, 4], 1), share(&[5, 6], 2));
        let z = mul::mul(p, &mine(&bx, i), &mine(&by, i)).unwrap();
        p.open_arith("test", &z)
    });
    let [r0, r1, r2] = out.map(Result::unwrap);
    assert_ne!(r0, vec![15, 24]);
    assert_eq!(r1, vec![15, 24]);
    assert_eq!(r2, vec![15, 24]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Honest parties never abort, whatever the mix and sizes of gates.
    #[test]
    fn honest_parties_never_abort(
        muls in 0usize..4,
        ands in 0usize..4,
        seed in 0u64..10_000,
    ) {
        let out = run3_as(seed, Security::Abort, None, |p| gates_then_open(p, seed, muls, ands));
        for (res, opened) in out {
            prop_assert!(res.is_ok(), "{:?}", res);
            prop_assert_eq!(opened, 1);
        }
    }
}

#[test]
fn honest_parties_never_abort_on_larger_ledgers() {
    // A few thousand gates of each kind, several superblocks and rounds,
    // sorted data (the positions), and one verification of it all.
    let n = 5000;
    let out = run3_as(21, Security::Abort, None, |p| {
        let i = p.id().index();
        let x = mine(&share(&values(21, n, 20), 21), i);
        let y = mine(&share(&values(22, n, 20), 22), i);
        mul::mul(p, &x, &y).unwrap();
        compare::lt_bits(p, &x, &y, 20).unwrap();
        sort::sorting_permutation(p, &x, 20).unwrap();
        p.verify()
    });
    for r in out {
        r.unwrap();
    }
}

#[test]
fn arith_from_components_still_opens_in_abort_mode() {
    // Public values shared trivially open to themselves with checks on.
    let out = run3_as(2, Security::Abort, None, |p| {
        let s = ArithShares::public(p.id(), &[1, 2, 3]);
        p.open_arith("test: public", &s).unwrap()
    });
    assert_eq!(agree(out), vec![1, 2, 3]);
}

/// Time, bytes and rounds of `n` ANDs and `n` multiplications, with and
/// without checks (one verification after the gates; the opening of the
/// results afterwards is not counted). Prints the figures;
/// `VERIFY_COST_N` sets `n` (default 100,000), `VERIFY_COST_KIND` the kinds
/// (default `and,mul`; also `lt`: comparisons of 32-bit values, `sort`: a
/// stable sort by 32-bit keys with two payload columns).
#[test]
fn cost_of_abort_mode() {
    let n: usize = std::env::var("VERIFY_COST_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let words = n.div_ceil(64);
    let (wa, wb) = (values(1, words, 64), values(2, words, 64));
    let (xa, xb) = (values(3, n, 64), values(4, n, 64));
    let (sa, sb) = (share(&xa, 3), share(&xb, 4));
    let (s32a, s32b) = (share(&values(5, n, 32), 5), share(&values(6, n, 32), 6));
    let kinds = std::env::var("VERIFY_COST_KIND").unwrap_or_else(|_| "and,mul".into());
    for kind in kinds.split(',') {
        let mut opened = Vec::new();
        for security in [Security::SemiHonest, Security::Abort] {
            let out = run3_as(9, security, None, |p| {
                let i = p.id().index();
                let (a, b) = (bit_shares(&wa, n, 1, i), bit_shares(&wb, n, 2, i));
                let (x, y) = (mine(&sa, i), mine(&sb, i));
                let (x32, y32) = (mine(&s32a, i), mine(&s32b, i));
                p.barrier().unwrap();
                let s0 = p.stats();
                let c0 = cpu_time();
                let t0 = std::time::Instant::now();
                let z = match kind {
                    "and" => Err(mul::and(p, &a, &b).unwrap()),
                    "mul" => Ok(mul::mul(p, &x, &y).unwrap()),
                    // Less-than of values below 2^32, as the engine bench.
                    "lt" => Err(compare::lt(p, &x32, &y32).unwrap()),
                    // A stable sort by 32-bit keys with two payloads (it
                    // opens and so verifies several times on its own).
                    "sort" => {
                        let (k, mut pay, _) = sort::sort32(p, &x32, &[&x, &y]).unwrap();
                        pay.push(k);
                        Ok(ArithShares::concat(&pay.iter().collect::<Vec<_>>()))
                    }
                    other => panic!("unknown kind {other}"),
                };
                let (t1, c1) = (std::time::Instant::now(), cpu_time());
                p.verify().unwrap();
                let (t2, c2) = (std::time::Instant::now(), cpu_time());
                let s = p.stats() - s0;
                let check = match &z {
                    Ok(values) => p.open_arith("test: the results", values).unwrap(),
                    Err(bits) => bools(p.open_bits("test: the results", bits).unwrap()),
                };
                ([t1 - t0, t2 - t1], [c1 - c0, c2 - c1], s, check)
            });
            let wall = |k: usize| out.iter().map(|o| o.0[k]).max().unwrap().as_secs_f64();
            let cpu = |k: usize| out.iter().map(|o| o.1[k]).max().unwrap().as_secs_f64();
            let s = out[0].2;
            eprintln!(
                "{kind} x {n}, {security}: gates {:.3} s ({:.3} s CPU), verify {:.3} s ({:.3} s CPU), \
                 party 0 sent {} bytes in {} rounds",
                wall(0),
                cpu(0),
                wall(1),
                cpu(1),
                s.bytes_sent,
                s.rounds
            );
            opened.push(out[0].3.clone());
        }
        assert_eq!(opened[0], opened[1], "{kind}: the same products either way");
    }
}

#[test]
fn a_ledger_too_large_for_one_proof_is_proven_in_parts() {
    // 2 million products: more than one proof's worth (about 1.57 million
    // products of 64 bits leave 2^16 ring elements after a first fold by
    // 48), and more than the ledger holds before it verifies on its own
    // (2^23 words, six per product), so the multiplication verifies before
    // it returns. A change near the end of the message lands in the last
    // part. The second part's proof joins one step after the first's and
    // runs beside it: at most one step (two hops) more than a million
    // products in one proof, not a whole proof more.
    let rounds_of = |n: usize, deviation: Option<(usize, Deviation)>| {
        let (bx, by) = (share(&values(31, n, 64), 31), share(&values(32, n, 64), 32));
        run3_as(31, Security::Abort, deviation, |p| {
            let i = p.id().index();
            let before = p.stats();
            let r = mul::mul(p, &mine(&bx, i), &mine(&by, i)).and_then(|_| p.verify());
            (r, (p.stats() - before).rounds)
        })
    };
    let one = rounds_of(1_000_000, None);
    for (i, (r, _)) in one.iter().enumerate() {
        assert!(r.is_ok(), "party {i}: {r:?}");
    }
    let n = 2_000_000;
    for deviation in [
        None,
        Some((
            2,
            Deviation {
                tag: Some(Tag::MUL),
                to: None,
                nth: 0,
                at: 8 * n - 5,
                xor: 4,
            },
        )),
    ] {
        let out = rounds_of(n, deviation);
        for (i, (r, rounds)) in out.iter().enumerate() {
            match deviation {
                None => {
                    assert!(r.is_ok(), "party {i}: {r:?}");
                    let alone = one[i].1;
                    assert!(
                        *rounds <= alone + 2,
                        "{rounds} rounds against {alone} for one proof"
                    );
                }
                Some((d, _)) if d != i => assert!(
                    matches!(r, Err(Error::Cheating { check: "mul", peer }) if *peer == PartyId::new(d)),
                    "party {i}: {r:?}"
                ),
                _ => {}
            }
        }
    }
}
