//! The abort-mode variants of the conversions, the selection, the one-hot
//! vectors and the sort: the same opened results as the semi-honest
//! protocols (and as the plaintext twins) on random inputs, and not one
//! message that a single party computes alone (`Tag::RESHARE`): every
//! message of these runs is a multiplication's, a shuffle's or an
//! opening's. A counting transport under each party tells which tags
//! travelled; the traffic figures of both variants are printed by
//! `cost_of_each_variant` (run with `--nocapture`).

mod common;

use common::*;
use proptest::prelude::*;
use shares::transport::{Deviating, Deviation};
use shares::{
    BitShares, Error, MemTransport, Party, PartyId, Security, Stats, Tag, Transport,
    TransportError, compare, convert, select, sort,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// A transport that counts the messages it sends, per tag.
struct Counting {
    inner: MemTransport,
    sent: BTreeMap<u32, usize>,
    bytes: BTreeMap<u32, usize>,
}

impl Transport for Counting {
    fn me(&self) -> PartyId {
        self.inner.me()
    }

    fn send(&mut self, to: PartyId, tag: Tag, payload: &[u8]) -> Result<(), TransportError> {
        *self.sent.entry(tag.0).or_default() += 1;
        *self.bytes.entry(tag.0).or_default() += payload.len();
        self.inner.send(to, tag, payload)
    }

    fn recv(&mut self, from: PartyId, tag: Tag) -> Result<Vec<u8>, TransportError> {
        self.inner.recv(from, tag)
    }

    fn stats(&self) -> Stats {
        self.inner.stats()
    }
}

/// What one party's run left: its result, the messages it sent per tag,
/// and its traffic.
struct Run<R> {
    out: R,
    sent: BTreeMap<u32, usize>,
    bytes: BTreeMap<u32, usize>,
    stats: Stats,
}

/// Runs `f` as the three parties, each under `security`, with keys from
/// `seed` and a counting transport. `f` gets the party and its index.
fn run3_counting<R: Send>(
    seed: u64,
    security: Security,
    f: impl Fn(&mut Party<Counting>, usize) -> R + Sync,
) -> [Run<R>; 3] {
    let ts = MemTransport::triple(Duration::from_secs(60));
    std::thread::scope(|s| {
        let hs: Vec<_> = ts
            .into_iter()
            .map(|inner| {
                let f = &f;
                s.spawn(move || {
                    let t = Counting {
                        inner,
                        sent: BTreeMap::new(),
                        bytes: BTreeMap::new(),
                    };
                    let mut p = Party::with_seed(t, seed);
                    p.set_security(security);
                    let i = p.id().index();
                    let out = f(&mut p, i);
                    let stats = p.stats();
                    let t = p.into_transport();
                    Run {
                        out,
                        sent: t.sent,
                        bytes: t.bytes,
                        stats,
                    }
                })
            })
            .collect();
        let mut v: Vec<Run<R>> = hs
            .into_iter()
            .map(|h| h.join().expect("party thread"))
            .collect();
        let c = v.pop().unwrap();
        let b = v.pop().unwrap();
        let a = v.pop().unwrap();
        [a, b, c]
    })
}

/// The agreed output of both security levels (which must agree), after
/// checking that the abort run sent no reshare (and, when `reshares` says
/// the inputs are not empty, that the semi-honest run did: the count can
/// tell them apart).
fn both<R: PartialEq + std::fmt::Debug + Send>(
    seed: u64,
    reshares: bool,
    f: impl Fn(&mut Party<Counting>, usize) -> R + Sync,
) -> R {
    let semi = run3_counting(seed, Security::SemiHonest, &f);
    let abort = run3_counting(seed, Security::Abort, &f);
    if reshares {
        assert!(
            semi[0].sent.get(&Tag::RESHARE.0).copied().unwrap_or(0) > 0,
            "the semi-honest protocol reshares"
        );
    }
    for (i, r) in abort.iter().enumerate() {
        assert_eq!(
            r.sent.get(&Tag::RESHARE.0),
            None,
            "party {i} sent a reshare in abort mode"
        );
    }
    let [a, b, c] = semi.map(|r| r.out);
    let semi = agree([a, b, c]);
    let [a, b, c] = abort.map(|r| r.out);
    let abort = agree([a, b, c]);
    assert_eq!(abort, semi, "abort mode opens what semi-honest mode opens");
    abort
}

fn bit_vector(values: &[bool], seed: u64, i: usize) -> BitShares {
    let words: Vec<u64> = values
        .chunks(64)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u64, |w, (e, &b)| w | (u64::from(b) << e))
        })
        .collect();
    let sh = shares::client::share_bits(
        &words,
        &mut <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(seed),
    );
    let (own, next) = sh[i].clone();
    BitShares::from_components(own, next, values.len())
}

fn mask(bits: usize) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

fn check_a2b_b2a(x: &[u64], bits: usize, seed: u64) {
    let bx = share(x, seed);
    let (planes, back) = both(seed, true, |p, i| {
        let b = convert::a2b(p, &mine(&bx, i), bits).unwrap();
        let opened: Vec<Vec<bool>> = b.iter().map(|pl| p.open_bits("t", pl).unwrap()).collect();
        let a = convert::b2a(p, &b).unwrap();
        (opened, p.open_arith("t", &a).unwrap())
    });
    for (e, v) in x.iter().enumerate() {
        for (j, plane) in planes.iter().enumerate() {
            assert_eq!(plane[e], (v >> j) & 1 == 1, "bit {j} of element {e}");
        }
        assert_eq!(back[e], v & mask(bits), "b2a of element {e}");
    }
}

fn check_inject_and_select(c: &[bool], a: &[u64], b: &[u64], seed: u64) {
    let (ba, bb) = (share(a, seed + 1), share(b, seed + 2));
    let (inj, sel, times) = both(seed, true, |p, i| {
        let cb = bit_vector(c, seed, i);
        let inj = convert::inject(p, &cb).unwrap();
        let (sa, sb) = (mine(&ba, i), mine(&bb, i));
        let sel = select::select(p, &cb, &sa, &sb).unwrap();
        let times = select::bit_times_many(p, &[(&cb, &sa), (&cb, &sb)]).unwrap();
        (
            p.open_arith("t", &inj).unwrap(),
            p.open_arith("t", &sel).unwrap(),
            times
                .iter()
                .map(|t| p.open_arith("t", t).unwrap())
                .collect::<Vec<_>>(),
        )
    });
    for k in 0..c.len() {
        assert_eq!(inj[k], u64::from(c[k]), "inject {k}");
        assert_eq!(sel[k], if c[k] { a[k] } else { b[k] }, "select {k}");
        assert_eq!(times[0][k], if c[k] { a[k] } else { 0 }, "bit_times {k}");
        assert_eq!(times[1][k], if c[k] { b[k] } else { 0 }, "bit_times {k}");
    }
}

fn check_compare(x: &[u64], y: &[u64], seed: u64) {
    let (bx, by) = (share(x, seed), share(y, seed + 1));
    let c = 1u64 << 31;
    let (lt, eq, eq64, ltc, gtc, eqc) = both(seed, true, |p, i| {
        let (sx, sy) = (mine(&bx, i), mine(&by, i));
        let r = [
            compare::lt(p, &sx, &sy).unwrap(),
            compare::eq_bits(p, &sx, &sy, 32).unwrap(),
            compare::eq(p, &sx, &sy).unwrap(),
            compare::lt_const(p, &sx, c, 32).unwrap(),
            compare::gt_const(p, &sx, c, 32).unwrap(),
            compare::eq_const(p, &sx, c, 32).unwrap(),
        ];
        let [a, b, c, d, e, f] = r.map(|v| p.open_bits("t", &v).unwrap());
        (a, b, c, d, e, f)
    });
    for k in 0..x.len() {
        assert_eq!(lt[k], x[k] < y[k], "lt {k}");
        assert_eq!(eq[k], x[k] == y[k], "eq {k}");
        assert_eq!(eq64[k], x[k] == y[k], "eq64 {k}");
        assert_eq!(ltc[k], x[k] < c, "lt_const {k}");
        assert_eq!(gtc[k], x[k] > c, "gt_const {k}");
        assert_eq!(eqc[k], x[k] == c, "eq_const {k}");
    }
}

fn check_sort(keys: &[u64], key_bits: usize, digit_bits: usize, seed: u64) {
    let n = keys.len() as u64;
    let other: Vec<u64> = (0..n)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let (bk, bo) = (share(keys, seed), share(&other, seed + 1));
    let (sorted, payload, undone) = both(seed, !keys.is_empty(), |p, i| {
        let (k, o) = (mine(&bk, i), mine(&bo, i));
        let perm =
            sort::sorting_permutation_digits(p, &k, key_bits, digit_bits, &mut |_, _| {}).unwrap();
        let s = perm.apply(p, &[&k, &o]).unwrap();
        let back = perm.undo(p, &[&s[1]]).unwrap();
        (
            p.open_arith("t", &s[0]).unwrap(),
            p.open_arith("t", &s[1]).unwrap(),
            p.open_arith("t", &back[0]).unwrap(),
        )
    });
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by_key(|&i| keys[i]);
    assert_eq!(sorted, idx.iter().map(|&i| keys[i]).collect::<Vec<_>>());
    assert_eq!(payload, idx.iter().map(|&i| other[i]).collect::<Vec<_>>());
    assert_eq!(undone, other);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a2b_and_b2a_agree(v in proptest::collection::vec(any::<u64>(), 0..150), bits in 1usize..=64, seed in any::<u64>()) {
        let mut x = v.clone();
        x.extend_from_slice(&EDGES);
        check_a2b_b2a(&x, bits, seed);
    }

    #[test]
    fn inject_select_and_bit_times_agree(v in proptest::collection::vec((any::<bool>(), any::<u64>(), any::<u64>()), 1..200), seed in any::<u64>()) {
        let c: Vec<bool> = v.iter().map(|t| t.0).collect();
        let a: Vec<u64> = v.iter().map(|t| t.1).collect();
        let b: Vec<u64> = v.iter().map(|t| t.2).collect();
        check_inject_and_select(&c, &a, &b, seed);
    }

    #[test]
    fn comparisons_agree(v in proptest::collection::vec((0u64..1 << 32, 0u64..1 << 32), 0..150), seed in any::<u64>()) {
        let (mut x, mut y): (Vec<u64>, Vec<u64>) = v.iter().cloned().unzip();
        for &a in &EDGES32 {
            for &b in &EDGES32 {
                x.push(a);
                y.push(b);
            }
        }
        for &(a, _) in &v {
            x.extend([a, a]);
            y.extend([a, a.saturating_add(1).min((1 << 32) - 1)]);
        }
        check_compare(&x, &y, seed);
    }

    #[test]
    fn sorts_agree(keys in proptest::collection::vec(0u64..1 << 11, 0..80), digit_bits in 1usize..=5, seed in any::<u64>()) {
        check_sort(&keys, 11, digit_bits, seed);
    }
}

#[test]
fn sorts_agree_at_the_edges() {
    check_sort(&[5], 8, 4, 1);
    check_sort(&[7; 37], 8, 4, 2);
    check_sort(&[1, 0, 1, 0, 1], 1, 4, 3);
    check_sort(&[u64::MAX, 1 << 63, 0, 1, u64::MAX], 64, 4, 4);
    check_sort(&(0..70).rev().collect::<Vec<u64>>(), 7, 8, 5);
    check_sort(
        &(0..70).map(|i| (i * 37) % 70).collect::<Vec<u64>>(),
        7,
        3,
        6,
    );
}

/// The one-hot vectors' products travel in the index bytes and are proven
/// mod `2^(8 b)`: one byte up to 256 elements (the cases above), two up to
/// `2^16`, three above.
#[test]
fn sorts_agree_in_every_index_width() {
    let keys = |n: u64| -> Vec<u64> {
        (0..n)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
            .collect()
    };
    check_sort(&keys(300), 6, 3, 7);
    check_sort(&keys((1 << 16) + 37), 6, 3, 8);
}

/// A column moved back in `b` bytes only, as the clearing moves its fills,
/// opens exactly in those bytes, alone and added up in pairs, at both
/// levels; a width outside `1..=8` is refused.
#[test]
fn a_column_undone_in_fewer_bytes_opens_exactly_in_them() {
    let n = 150u64;
    let keys: Vec<u64> = (0..n).map(|i| (i * 89) % 61).collect();
    for (case, bytes) in [1usize, 2, 3, 4, 5, 8].into_iter().enumerate() {
        // Below 2^(8 bytes - 1), so that a pair's sum fits too.
        let top = 8 * bytes as u32 - 1;
        let values: Vec<u64> = (0..n)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - top))
            .collect();
        let seed = 40 + case as u64;
        let (bk, bv) = (share(&keys, seed), share(&values, seed + 1));
        let (alone, pairs) = both(seed, true, |p, i| {
            let (k, v) = (mine(&bk, i), mine(&bv, i));
            let perm = sort::sorting_permutation_digits(p, &k, 6, 3, &mut |_, _| {}).unwrap();
            let sorted = perm.apply(p, &[&v]).unwrap();
            let back = perm
                .undo_mod(p, &[&sorted[0]], bytes)
                .unwrap()
                .pop()
                .unwrap();
            let half = n as usize / 2;
            let sums = back.slice(0..half).add(&back.slice(half..2 * half));
            (
                p.open_arith_mod("t", &back, bytes).unwrap(),
                p.open_arith_mod("t", &sums, bytes).unwrap(),
            )
        });
        assert_eq!(alone, values, "{bytes} bytes");
        let half = n as usize / 2;
        let want: Vec<u64> = (0..half).map(|t| values[t] + values[t + half]).collect();
        assert_eq!(pairs, want, "{bytes} bytes, pairs");
    }
    let (bk, bv) = (share(&keys, 50), share(&keys, 51));
    let refused = both(50, true, |p, i| {
        let (k, v) = (mine(&bk, i), mine(&bv, i));
        let perm = sort::sorting_permutation_digits(p, &k, 6, 3, &mut |_, _| {}).unwrap();
        (
            matches!(perm.undo_mod(p, &[&v], 0), Err(Error::Parameter { .. })),
            matches!(perm.undo_mod(p, &[&v], 9), Err(Error::Parameter { .. })),
            matches!(p.open_arith_mod("t", &v, 0), Err(Error::Parameter { .. })),
            matches!(p.open_arith_mod("t", &v, 9), Err(Error::Parameter { .. })),
        )
    });
    assert_eq!(refused, (true, true, true, true));
}

#[test]
fn b2a_of_wide_planes_and_select_of_edges() {
    check_a2b_b2a(&EDGES, 64, 9);
    let c = [true, false, true, false, true];
    check_inject_and_select(&c, &EDGES, &[u64::MAX, 0, 1, 2, 3], 10);
}

/// Rounds (the most any party waited) and bytes sent by all three parties
/// in one protocol run.
fn cost(runs: &[Run<()>; 3]) -> (u64, u64) {
    (
        runs.iter().map(|r| r.stats.rounds).max().unwrap(),
        runs.iter().map(|r| r.stats.bytes_sent).sum(),
    )
}

/// Rounds and bytes of every variant next to its semi-honest twin, for
/// 4,096 elements (or `ABORT_COST_N`). Same rounds where the variant
/// promises them.
#[test]
fn cost_of_each_variant() {
    let n_env = std::env::var("ABORT_COST_N").ok();
    let n: usize = n_env.map_or(4096, |v| v.parse().expect("a number of elements"));
    let x: Vec<u64> = (0..n as u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40)
        .collect();
    let y: Vec<u64> = x.iter().map(|v| v ^ 0x5555).collect();
    let (bx, by) = (share(&x, 1), share(&y, 2));
    let bits: Vec<bool> = x.iter().map(|v| v & 1 == 1).collect();
    type Step<'a> = dyn Fn(&mut Party<Counting>, usize) + Sync + 'a;
    let steps: Vec<(&str, Box<Step<'_>>, bool)> = vec![
        (
            "a2b, 32 bits",
            Box::new(|p, i| {
                convert::a2b(p, &mine(&bx, i), 32).unwrap();
            }),
            true,
        ),
        (
            "inject, 1 plane",
            Box::new(|p, i| {
                convert::inject(p, &bit_vector(&bits, 3, i)).unwrap();
            }),
            true,
        ),
        (
            "b2a, 32 planes",
            Box::new(|p, i| {
                let planes: Vec<BitShares> = (0..32).map(|_| bit_vector(&bits, 3, i)).collect();
                convert::b2a(p, &planes).unwrap();
            }),
            true,
        ),
        (
            "select",
            Box::new(|p, i| {
                let c = bit_vector(&bits, 3, i);
                select::select(p, &c, &mine(&bx, i), &mine(&by, i)).unwrap();
            }),
            true,
        ),
        (
            "lt, 32 bits",
            Box::new(|p, i| {
                compare::lt(p, &mine(&bx, i), &mine(&by, i)).unwrap();
            }),
            true,
        ),
        (
            "eq_bits, 32 bits",
            Box::new(|p, i| {
                compare::eq_bits(p, &mine(&bx, i), &mine(&by, i), 32).unwrap();
            }),
            true,
        ),
        (
            "eq, 64 bits",
            Box::new(|p, i| {
                compare::eq(p, &mine(&bx, i), &mine(&by, i)).unwrap();
            }),
            true,
        ),
        (
            "shuffle of one 64-bit column",
            Box::new(|p, i| {
                let sh = shares::shuffle::Shuffle::random(p, n);
                sh.apply(p, &[&mine(&bx, i)]).unwrap();
                p.verify().unwrap();
            }),
            false,
        ),
        (
            "shuffle of three 64-bit columns",
            Box::new(|p, i| {
                let sh = shares::shuffle::Shuffle::random(p, n);
                let (a, b) = (mine(&bx, i), mine(&by, i));
                sh.apply(p, &[&a, &b, &a]).unwrap();
                p.verify().unwrap();
            }),
            false,
        ),
        (
            "sorting permutation, 24-bit keys",
            Box::new(|p, i| {
                sort::sorting_permutation(p, &mine(&bx, i), 24).unwrap();
            }),
            false,
        ),
    ];
    eprintln!("{n} elements; rounds, then bytes sent by all three parties");
    eprintln!(
        "{:<34} {:>6} {:>6} {:>12} {:>12} {:>6}",
        "protocol", "semi", "abort", "semi bytes", "abort bytes", "ratio"
    );
    for (name, step, same_rounds) in &steps {
        let clock = std::time::Instant::now();
        let semi = run3_counting(7, Security::SemiHonest, |p, i| step(p, i));
        let semi_time = clock.elapsed();
        let (sr, sb) = cost(&semi);
        let clock = std::time::Instant::now();
        let abort = run3_counting(7, Security::Abort, |p, i| step(p, i));
        let abort_time = clock.elapsed();
        for r in &abort {
            assert_eq!(r.sent.get(&Tag::RESHARE.0), None, "{name}: a reshare");
        }
        let (ar, ab) = cost(&abort);
        eprintln!(
            "{name:<34} {sr:>6} {ar:>6} {sb:>12} {ab:>12} {:>6.2}",
            ab as f64 / sb as f64
        );
        let by_tag = |runs: &[Run<()>; 3]| {
            let mut all: BTreeMap<u32, usize> = BTreeMap::new();
            for r in runs {
                for (t, b) in &r.bytes {
                    *all.entry(*t).or_default() += b;
                }
            }
            all
        };
        let tagged = |runs: &[Run<()>; 3]| {
            let v: Vec<String> = by_tag(runs)
                .iter()
                .map(|(t, b)| format!("{:?} {b}", Tag(*t)))
                .collect();
            v.join(", ")
        };
        eprintln!(
            "  (payload bytes: {} / {}; time on threads: {semi_time:.1?} / {abort_time:.1?})",
            tagged(&semi),
            tagged(&abort)
        );

        if *same_rounds {
            // A one-way reshare that starts a protocol costs its receiver a
            // wait that `Stats::rounds` does not count (nothing was sent
            // before it); the round trip that replaces it counts as one.
            assert!(ar <= sr + 1, "{name}: {ar} rounds against {sr}");
        }
    }
}

/// Rounds, bytes and time of the shuffle (one and three 64-bit columns,
/// with the verification that proves its messages) and of the sort by
/// 24-bit keys with the application of its permutation to three 64-bit
/// columns, semi-honest and abort side by side. `SHUFFLE_COST_N` sets the
/// number of elements (default 65,536; the clearing shuffles `2^20`),
/// `SHUFFLE_COST_KIND` the rows (default `shuffle,shuffle3,sort`).
/// Time: wall time of the three parties on threads, and the most CPU time
/// one party used. The step messages of the abort-mode shuffle are
/// `6 m n` elements against `4 m n`.
#[test]
fn cost_of_the_shuffle_and_the_sort() {
    let n: usize = std::env::var("SHUFFLE_COST_N")
        .ok()
        .map_or(1 << 16, |v| v.parse().expect("a number of elements"));
    let cols: Vec<Vec<u64>> = (0..3u64)
        .map(|c| {
            (0..n as u64)
                .map(|i| (i ^ (c << 40)).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect()
        })
        .collect();
    let keys: Vec<u64> = cols[0].iter().map(|v| v >> 40).collect();
    let shared: Vec<_> = cols
        .iter()
        .enumerate()
        .map(|(c, v)| share(v, c as u64))
        .collect();
    let bk = share(&keys, 9);
    type Step<'a> = dyn Fn(&mut Party<Counting>, usize) + Sync + 'a;
    let kinds =
        std::env::var("SHUFFLE_COST_KIND").unwrap_or_else(|_| "shuffle,shuffle3,sort".into());
    let kinds: Vec<&str> = kinds.split(',').collect();
    let steps: Vec<(&str, &str, usize, Box<Step<'_>>)> = vec![
        (
            "shuffle",
            "shuffle, 1 column",
            1,
            Box::new(|p, i| {
                let sh = shares::shuffle::Shuffle::random(p, n);
                sh.apply(p, &[&mine(&shared[0], i)]).unwrap();
                p.verify().unwrap();
            }),
        ),
        (
            "shuffle3",
            "shuffle, 3 columns",
            3,
            Box::new(|p, i| {
                let sh = shares::shuffle::Shuffle::random(p, n);
                let c: Vec<_> = shared.iter().map(|b| mine(b, i)).collect();
                sh.apply(p, &[&c[0], &c[1], &c[2]]).unwrap();
                p.verify().unwrap();
            }),
        ),
        (
            "sort",
            "sort, 24-bit keys, 3 columns",
            0,
            Box::new(|p, i| {
                let perm = sort::sorting_permutation(p, &mine(&bk, i), 24).unwrap();
                let c: Vec<_> = shared.iter().map(|b| mine(b, i)).collect();
                perm.apply(p, &[&c[0], &c[1], &c[2]]).unwrap();
                p.verify().unwrap();
            }),
        ),
    ];
    eprintln!(
        "{n} elements: rounds, bytes sent by all three parties, wall time, CPU time of the busiest party"
    );
    eprintln!(
        "{:<30} {:>5} {:>5} {:>12} {:>12} {:>5} {:>9} {:>9} {:>5} {:>9} {:>9}",
        "protocol",
        "semi",
        "abort",
        "semi bytes",
        "abort bytes",
        "x",
        "semi wall",
        "abort wall",
        "x",
        "semi cpu",
        "abort cpu"
    );
    for (_, name, shuffled, step) in steps.iter().filter(|s| kinds.contains(&s.0)) {
        let mut figures = Vec::new();
        for security in [Security::SemiHonest, Security::Abort] {
            let clock = std::time::Instant::now();
            let runs = run3_counting(7, security, |p, i| {
                let c0 = cpu_time();
                step(p, i);
                cpu_time() - c0
            });
            let wall = clock.elapsed().as_secs_f64();
            let rounds = runs.iter().map(|r| r.stats.rounds).max().unwrap();
            let bytes: u64 = runs.iter().map(|r| r.stats.bytes_sent).sum();
            let cpu = runs.iter().map(|r| r.out).max().unwrap().as_secs_f64();
            let moved: usize = runs
                .iter()
                .map(|r| r.bytes.get(&Tag::SHUFFLE.0).copied().unwrap_or(0))
                .sum();
            figures.push((rounds, bytes, wall, cpu, moved));
        }
        let (s, a) = (figures[0], figures[1]);
        eprintln!(
            "{name:<30} {:>5} {:>5} {:>12} {:>12} {:>5.2} {:>8.3}s {:>8.3}s {:>5.2} {:>8.3}s {:>8.3}s",
            s.0,
            a.0,
            s.1,
            a.1,
            a.1 as f64 / s.1 as f64,
            s.2,
            a.2,
            a.2 / s.2,
            s.3,
            a.3
        );
        if *shuffled > 0 {
            assert_eq!(s.4, 4 * 8 * shuffled * n, "{name}: semi-honest hops");
            assert_eq!(a.4, 6 * 8 * shuffled * n, "{name}: abort-mode steps");
        }
    }
}

/// Runs `f` as the three parties under `security`, party `liar` through a
/// transport that corrupts the message `deviation` names. A party that
/// stops early leaves the others waiting: they time out after a second.
fn run3_deviating<R: Send>(
    seed: u64,
    security: Security,
    liar: usize,
    deviation: Deviation,
    f: impl Fn(&mut Party<Deviating<MemTransport>>, usize) -> R + Sync,
) -> Vec<R> {
    let ts = MemTransport::triple(Duration::from_secs(1));
    let never = Deviation {
        nth: usize::MAX,
        ..deviation
    };
    std::thread::scope(|s| {
        let hs: Vec<_> = ts
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                let f = &f;
                s.spawn(move || {
                    let d = if i == liar { deviation } else { never };
                    let mut p = Party::with_seed(Deviating::new(t, d), seed);
                    p.set_security(security);
                    f(&mut p, i)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("party thread"))
            .collect()
    })
}

/// True if `r` is the failed proof of a shuffle step's message sent by
/// `liar`.
fn names_the_sender(r: &shares::Result<impl Sized>, liar: usize) -> bool {
    matches!(
        r,
        Err(shares::Error::Cheating {
            check: "shuffle",
            peer: Some(p),
        }) if p.index() == liar
    )
}

/// Shuffle messages each party sends in one run of `f` under `security`.
fn shuffle_messages(
    security: Security,
    f: impl Fn(&mut Party<Counting>, usize) + Sync,
) -> [usize; 3] {
    run3_counting(4, security, f).map(|r| r.sent.get(&Tag::SHUFFLE.0).copied().unwrap_or(0))
}

/// Every message a party sends in a shuffle of one 64-bit column,
/// corrupted in its lowest bit or in its highest (an error of `2^63`, which
/// a single weight mod `2^64` would miss half the time): without the checks
/// the output is no longer a permutation of the input; with them, both
/// honest parties name the sender before the output is opened.
#[test]
fn a_corrupted_shuffle_message_is_caught() {
    let n = 40;
    let v: Vec<u64> = (0..n as u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let bv = share(&v, 3);
    let mut want = v.clone();
    want.sort();
    let shuffle = |p: &mut Party<Counting>, i: usize| {
        let sh = shares::shuffle::Shuffle::random(p, n);
        sh.apply(p, &[&mine(&bv, i)]).unwrap();
    };
    let semi = shuffle_messages(Security::SemiHonest, shuffle);
    assert_eq!(semi.iter().sum::<usize>(), 4, "four hops in all");
    let abort = shuffle_messages(Security::Abort, shuffle);
    assert_eq!(
        abort,
        [2, 2, 2],
        "two messages of each party, one per step it is in"
    );
    for (security, counts) in [(Security::SemiHonest, semi), (Security::Abort, abort)] {
        for (liar, &count) in counts.iter().enumerate() {
            for nth in 0..count {
                for (at, xor) in [(8 * 5, 1u8), (8 * 17 + 7, 0x80)] {
                    let deviation = Deviation {
                        tag: Some(Tag::SHUFFLE),
                        to: None,
                        nth,
                        at,
                        xor,
                    };
                    let out = run3_deviating(4, security, liar, deviation, |p, i| {
                        let sh = shares::shuffle::Shuffle::random(p, n);
                        let out = sh.apply(p, &[&mine(&bv, i)]).unwrap();
                        p.open_arith("t", &out[0])
                    });
                    if security == Security::SemiHonest {
                        let wrong = (0..3).filter(|&i| i != liar).any(|i| {
                            let mut got = out[i].as_ref().unwrap().clone();
                            got.sort();
                            got != want
                        });
                        assert!(wrong, "party {liar}, message {nth}: the deviation matters");
                        continue;
                    }
                    for (i, r) in out.iter().enumerate() {
                        assert!(
                            i == liar || names_the_sender(r, liar),
                            "party {liar}, message {nth}, byte {at}: party {i} got {r:?}"
                        );
                    }
                }
            }
        }
    }
}

/// The sort's shuffles, corrupted in each column (the positions, the XOR
/// key words, the indices), in both messages of every party: both honest
/// parties name the sender.
#[test]
fn a_corrupted_sort_shuffle_is_caught() {
    let n = 50;
    let keys: Vec<u64> = (0..n as u64).map(|i| (i * 37) % 64).collect();
    let bk = share(&keys, 5);
    // A message of the first shuffle: the positions (one byte each), the
    // key words shifted past the first digit (one byte), the indices (one
    // byte).
    for (at, what) in [(11, "positions"), (n + 7, "key"), (2 * n + 3, "indices")] {
        for liar in 0..3 {
            for nth in 0..2 {
                let deviation = Deviation {
                    tag: Some(Tag::SHUFFLE),
                    to: None,
                    nth,
                    at,
                    xor: 4,
                };
                let out = run3_deviating(6, Security::Abort, liar, deviation, |p, i| {
                    sort::sorting_permutation_digits(p, &mine(&bk, i), 12, 6, &mut |_, _| {})
                        .map(|_| ())
                });
                for (i, r) in out.iter().enumerate() {
                    assert!(
                        i == liar || names_the_sender(r, liar),
                        "{what}, party {liar}, message {nth}: party {i} got {r:?}"
                    );
                }
            }
        }
    }
}

/// A product, AND or positions message of the sort changed: its proof fails,
/// and so may the later proofs of the steps whose components it changed;
/// the proofs of one verification are checked in the order of the session,
/// so both honest parties still name the sender of the product.
#[test]
fn a_corrupted_product_before_a_shuffle_names_its_sender() {
    let n = 50;
    let keys: Vec<u64> = (0..n as u64).map(|i| (i * 37) % 64).collect();
    let bk = share(&keys, 5);
    let sort = |p: &mut Party<Counting>, i: usize| {
        sort::sorting_permutation_digits(p, &mine(&bk, i), 12, 6, &mut |_, _| {}).unwrap();
    };
    let counts = run3_counting(6, Security::Abort, sort)
        .map(|r| r.sent.get(&Tag::MUL.0).copied().unwrap_or(0));
    for (liar, &count) in counts.iter().enumerate() {
        // The A2B's ANDs first, then the digits' products and positions,
        // each digit's followed by its shuffle.
        for nth in (0..count).step_by(3) {
            let deviation = Deviation {
                tag: Some(Tag::MUL),
                to: None,
                nth,
                at: 1,
                xor: 1,
            };
            let out = run3_deviating(6, Security::Abort, liar, deviation, |p, i| {
                sort::sorting_permutation_digits(p, &mine(&bk, i), 12, 6, &mut |_, _| {})
                    .map(|_| ())
            });
            for (i, r) in out.iter().enumerate() {
                assert!(
                    i == liar
                        || matches!(r, Err(shares::Error::Cheating { check: "mul" | "and", peer: Some(p) }) if p.index() == liar),
                    "party {liar}, message {nth} of {count}: party {i} got {r:?}"
                );
            }
        }
    }
}

#[test]
fn shuffle_checked_arith() {
    let v: Vec<u64> = (0..100u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let bv = share(&v, 3);
    let out = run3_counting(3, Security::Abort, |p, i| {
        let sh = shares::shuffle::Shuffle::random(p, v.len());
        let out = sh.apply(p, &[&mine(&bv, i)]);
        out.map(|o| p.open_arith("t", &o[0]).unwrap())
    });
    for r in out {
        let mut got = r.out.unwrap();
        got.sort();
        let mut want = v.clone();
        want.sort();
        assert_eq!(got, want);
    }
}

/// The abort-level sort opens its masked digits with the permutation
/// before them (12-bit keys in three-bit digits: the first computed
/// directly, the other three masked). A party that changes its component
/// of a masked digit, or its hash of one, is caught by the receiver.
#[test]
fn a_changed_masked_digit_is_caught_by_its_receiver() {
    let keys: Vec<u64> = (0..40u64).map(|i| (i * 1237) % 4096).collect();
    assert_eq!(
        sort::masked_digits(keys.len(), 12, Security::Abort),
        [false, true, true, true]
    );
    let bk = share(&keys, 8);
    for liar in 0..3 {
        let me = PartyId::new(liar).unwrap();
        for to in [me.next(), me.prev()] {
            // To each peer, per digit but the last: the permutation's
            // message, then the masked digit's.
            for nth in [1, 3, 5] {
                let deviation = Deviation {
                    tag: Some(Tag::OPEN),
                    to: Some(to),
                    nth,
                    at: 2,
                    xor: 1,
                };
                let out = run3_deviating(9, Security::Abort, liar, deviation, |p, i| {
                    sort::sorting_permutation_digits(p, &mine(&bk, i), 12, 3, &mut |_, _| {})
                        .map(|_| ())
                });
                assert!(
                    matches!(
                        out[to.index()],
                        Err(shares::Error::Cheating {
                            check: "opening",
                            peer: None
                        })
                    ),
                    "party {liar}, message {nth} to {to}: {:?}",
                    out[to.index()]
                );
            }
        }
    }
}

/// An opened vector of the sort that is no permutation: `NotAPermutation`
/// in semi-honest mode. Party 0's component of the first digit's positions
/// reaches party 1 with one bit flipped: two elements then claim one place.
/// In abort mode the opening's own check catches the changed component
/// first (party 1 receives it also as a hash from party 2).
#[test]
fn an_opened_non_permutation_is_cheating_in_abort_mode() {
    let keys: Vec<u64> = (0..40u64).map(|i| (i * 7) % 16).collect();
    let bk = share(&keys, 8);
    // The positions are the first opening in both modes.
    for security in [Security::SemiHonest, Security::Abort] {
        let deviation = Deviation {
            tag: Some(Tag::OPEN),
            to: None,
            nth: 0,
            at: 0,
            xor: 1,
        };
        let out = run3_deviating(9, security, 0, deviation, |p, i| {
            sort::sorting_permutation_digits(p, &mine(&bk, i), 8, 4, &mut |_, _| {}).map(|_| ())
        });
        let expected = |r: &shares::Result<()>| match security {
            Security::SemiHonest => matches!(r, Err(shares::Error::NotAPermutation(_))),
            Security::Abort => matches!(
                r,
                Err(shares::Error::Cheating {
                    check: "opening",
                    peer: None
                })
            ),
        };
        assert!(expected(&out[1]), "{security}: party 1 got {:?}", out[1]);
    }
}
