//! Every protocol, opened, equals its plaintext twin.

mod common;

use common::*;
use proptest::prelude::*;
use shares::{Security, allzero, compare, convert, mul, select};

fn pairs_with_edges(v: &[(u64, u64)], edges: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let mut x: Vec<u64> = v.iter().map(|p| p.0).collect();
    let mut y: Vec<u64> = v.iter().map(|p| p.1).collect();
    for &a in edges {
        for &b in edges {
            x.push(a);
            y.push(b);
        }
    }
    (x, y)
}

fn check_mul(x: &[u64], y: &[u64], seed: u64) {
    let (bx, by) = (share(x, seed), share(y, seed + 1));
    let got = agree(run3(seed, |p| {
        let i = p.id().index();
        let z = mul::mul(p, &mine(&bx, i), &mine(&by, i)).unwrap();
        p.open_arith("test", &z).unwrap()
    }));
    let want: Vec<u64> = x.iter().zip(y).map(|(a, b)| a.wrapping_mul(*b)).collect();
    assert_eq!(got, want);
}

fn check_and(x: &[u64], y: &[u64], seed: u64) {
    let got = agree(run3(seed, |p| {
        let i = p.id().index();
        let bits = |v: &[u64], s: u64| {
            let sh = shares::client::share_bits(
                v,
                &mut <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(s),
            );
            let (o, n) = sh[i].clone();
            shares::BitShares::from_components(o, n, v.len() * 64)
        };
        let z = mul::and(p, &bits(x, seed), &bits(y, seed + 9)).unwrap();
        p.open_bits("test", &z).unwrap()
    }));
    let want: Vec<bool> = (0..x.len() * 64)
        .map(|e| ((x[e / 64] & y[e / 64]) >> (e % 64)) & 1 == 1)
        .collect();
    assert_eq!(got, want);
}

fn check_a2b_b2a(x: &[u64], seed: u64, bits: usize) {
    let bx = share(x, seed);
    let (planes, back) = agree(run3(seed, |p| {
        let i = p.id().index();
        let b = convert::a2b(p, &mine(&bx, i), bits).unwrap();
        let opened: Vec<Vec<bool>> = b
            .iter()
            .map(|pl| p.open_bits("test", pl).unwrap())
            .collect();
        let a = convert::b2a(p, &b).unwrap();
        (opened, p.open_arith("test", &a).unwrap())
    }));
    let m = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    for (e, v) in x.iter().enumerate() {
        for (j, plane) in planes.iter().enumerate() {
            assert_eq!(plane[e], (v >> j) & 1 == 1, "bit {j} of element {e}");
        }
        assert_eq!(back[e], v & m);
    }
}

fn check_compare(x: &[u64], y: &[u64], seed: u64) {
    let (bx, by) = (share(x, seed), share(y, seed + 1));
    let c = 1u64 << 31;
    let (lt, eq, eq64, ltc, gtc, eqc, sel) = agree(run3(seed, |p| {
        let i = p.id().index();
        let (sx, sy) = (mine(&bx, i), mine(&by, i));
        let lt = compare::lt(p, &sx, &sy).unwrap();
        let eq = compare::eq_bits(p, &sx, &sy, 32).unwrap();
        let eq64 = compare::eq(p, &sx, &sy).unwrap();
        let ltc = compare::lt_const(p, &sx, c, 32).unwrap();
        let gtc = compare::gt_const(p, &sx, c, 32).unwrap();
        let eqc = compare::eq_const(p, &sx, c, 32).unwrap();
        let sel = select::select(p, &lt, &sx, &sy).unwrap();
        (
            p.open_bits("t", &lt).unwrap(),
            p.open_bits("t", &eq).unwrap(),
            p.open_bits("t", &eq64).unwrap(),
            p.open_bits("t", &ltc).unwrap(),
            p.open_bits("t", &gtc).unwrap(),
            p.open_bits("t", &eqc).unwrap(),
            p.open_arith("t", &sel).unwrap(),
        )
    }));
    for k in 0..x.len() {
        assert_eq!(lt[k], x[k] < y[k], "lt {k}");
        assert_eq!(eq[k], x[k] == y[k], "eq {k}");
        assert_eq!(eq64[k], x[k] == y[k], "eq64 {k}");
        assert_eq!(ltc[k], x[k] < c, "lt_const {k}");
        assert_eq!(gtc[k], x[k] > c, "gt_const {k}");
        assert_eq!(eqc[k], x[k] == c, "eq_const {k}");
        assert_eq!(sel[k], if x[k] < y[k] { x[k] } else { y[k] }, "select {k}");
    }
}

/// `open_all_zero` over `vectors` bit vectors of `groups * group` bits each,
/// element `e` of vector `k` set when `set(k, e)`: opens, per group, exactly
/// whether no bit of it is set in any vector, and records one opening of
/// one word per group.
fn check_all_zero(
    groups: usize,
    group: usize,
    vectors: usize,
    set: &dyn Fn(usize, usize) -> bool,
    seed: u64,
) {
    let n = groups * group;
    let words: Vec<Vec<u64>> = (0..vectors)
        .map(|k| {
            let mut w = vec![0u64; n.div_ceil(64)];
            for e in 0..n {
                w[e / 64] |= u64::from(set(k, e)) << (e % 64);
            }
            w
        })
        .collect();
    let got = agree(run3(seed, |p| {
        let i = p.id().index();
        let held: Vec<shares::BitShares> = words
            .iter()
            .enumerate()
            .map(|(k, w)| {
                let sh = shares::client::share_bits(
                    w,
                    &mut <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(
                        seed + k as u64,
                    ),
                );
                let (o, x) = sh[i].clone();
                shares::BitShares::from_components(o, x, n)
            })
            .collect();
        let refs: Vec<&shares::BitShares> = held.iter().collect();
        let out = allzero::open_all_zero(p, "test", &refs, group).unwrap();
        assert_eq!(p.opened().len(), 1);
        assert_eq!(p.opened()[0].count, groups);
        out
    }));
    let want: Vec<bool> = (0..groups)
        .map(|g| (0..vectors).all(|k| (g * group..(g + 1) * group).all(|e| !set(k, e))))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn all_zero_opens_whether_each_group_is_all_zero() {
    // Groups of 3 bits straddling words, one set bit in a few of them, in
    // either vector; and groups of 64 with one set bit at either end.
    check_all_zero(
        50,
        3,
        2,
        &|k, e| (k == 0 && e == 7) || (k == 1 && (e == 64 || e == 149)),
        1,
    );
    check_all_zero(4, 64, 1, &|_, e| e == 64 || e == 255, 2);
    // Every bit set, and no bit set.
    check_all_zero(5, 13, 2, &|_, _| true, 3);
    check_all_zero(5, 13, 2, &|_, _| false, 4);
}

#[test]
fn all_zero_is_refused_at_the_abort_level() {
    let errs = run3(5, |p| {
        p.set_security(Security::Abort);
        let b = shares::BitShares::zeros(8);
        allzero::open_all_zero(p, "test", &[&b], 4).is_err()
    });
    assert_eq!(errs, [true, true, true]);
}

proptest! {
    #[test]
    fn all_zero_matches_ideal(groups in 1usize..40, group in 1usize..70, seed in any::<u64>(), density in 0u64..4) {
        // Density 0: no bit set; otherwise each bit is set with
        // probability 2^-(2 density).
        let set = |k: usize, e: usize| {
            let h = (seed ^ (k as u64) << 32 ^ e as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            density > 0 && (h >> 50).is_multiple_of(1 << (2 * density))
        };
        check_all_zero(groups, group, 2, &set, seed);
    }

    #[test]
    fn mul_matches_ideal(v in proptest::collection::vec(any::<(u64, u64)>(), 0..200), seed in any::<u64>()) {
        let (x, y) = pairs_with_edges(&v, &EDGES);
        check_mul(&x, &y, seed);
    }

    #[test]
    fn and_matches_ideal(v in proptest::collection::vec(any::<(u64, u64)>(), 0..50), seed in any::<u64>()) {
        let (x, y) = pairs_with_edges(&v, &EDGES);
        check_and(&x, &y, seed);
    }

    #[test]
    fn a2b_b2a_match_ideal(v in proptest::collection::vec(any::<u64>(), 0..200), seed in any::<u64>(), bits in 1usize..=64) {
        let mut x = v.clone();
        x.extend_from_slice(&EDGES);
        check_a2b_b2a(&x, seed, bits);
    }

    #[test]
    fn comparisons_match_ideal(v in proptest::collection::vec((0u64..1 << 32, 0u64..1 << 32), 0..200), seed in any::<u64>()) {
        let (mut x, mut y) = pairs_with_edges(&v, &EDGES32);
        // Ties and neighbours in both directions.
        for &(a, _) in &v {
            x.extend([a, a, a.saturating_add(1).min((1 << 32) - 1)]);
            y.extend([a, a.saturating_add(1).min((1 << 32) - 1), a]);
        }
        x.extend([1 << 31, (1 << 31) - 1, (1 << 31) + 1]);
        y.extend([0, 0, 0]);
        check_compare(&x, &y, seed);
    }
}

#[test]
fn lt_bits_at_63_bits_and_eq_at_edges() {
    let e = [0u64, 1, (1 << 62), (1 << 63) - 1];
    let (x, y) = pairs_with_edges(&[], &e);
    let (bx, by) = (share(&x, 3), share(&y, 4));
    let lt = agree(run3(5, |p| {
        let i = p.id().index();
        let r = compare::lt_bits(p, &mine(&bx, i), &mine(&by, i), 63).unwrap();
        p.open_bits("t", &r).unwrap()
    }));
    for k in 0..x.len() {
        assert_eq!(lt[k], x[k] < y[k]);
    }
    let (x, y) = pairs_with_edges(&[], &EDGES);
    let (bx, by) = (share(&x, 3), share(&y, 4));
    let eq = agree(run3(5, |p| {
        let i = p.id().index();
        let r = compare::eq(p, &mine(&bx, i), &mine(&by, i)).unwrap();
        p.open_bits("t", &r).unwrap()
    }));
    for k in 0..x.len() {
        assert_eq!(eq[k], x[k] == y[k]);
    }
}

#[test]
fn prefix_sums_and_rerandomize() {
    let x: Vec<u64> = vec![5, u64::MAX, 7, 1 << 63, 0];
    let bx = share(&x, 1);
    let (ps, rr) = agree(run3(2, |p| {
        let s = mine(&bx, p.id().index());
        let r = p.rerandomize(&s).unwrap();
        (
            p.open_arith("t", &s.prefix_sums()).unwrap(),
            p.open_arith("t", &r).unwrap(),
        )
    }));
    let mut acc = 0u64;
    let want: Vec<u64> = x
        .iter()
        .map(|v| {
            acc = acc.wrapping_add(*v);
            acc
        })
        .collect();
    assert_eq!(ps, want);
    assert_eq!(rr, x);
}

#[test]
fn open_to_one_party_and_the_log() {
    let x: Vec<u64> = vec![42, 43];
    let bx = share(&x, 1);
    let out = run3(2, |p| {
        let s = mine(&bx, p.id().index());
        let to = shares::PartyId::new(1).unwrap();
        let got = p.open_arith_to("result for party 1", to, &s).unwrap();
        (got, p.opened().to_vec())
    });
    assert_eq!(out[0].0, None);
    assert_eq!(out[1].0, Some(x.clone()));
    assert_eq!(out[2].0, None);
    for o in &out {
        assert_eq!(o.1.len(), 1);
        assert_eq!(o.1[0].label, "result for party 1");
        assert_eq!(o.1[0].count, 2);
    }
}

/// An opening of bits reveals exactly its `len` bits: whatever a protocol
/// left in the padding of the last word stays unopened.
#[test]
fn opening_bits_clears_the_padding() {
    let len = 70;
    // Bits 70..128 of the packed words stand for secrets a protocol left in
    // the padding.
    let words = [0xDEAD_BEEF_0123_4567u64, 0xFFFF_FFFF_FFFF_FF25];
    let comps = shares::client::share_bits(&words, &mut rand::rngs::OsRng);
    let out = common::run3(11, |p| {
        let (own, next) = comps[p.id().index()].clone();
        p.keep_opened_values(true);
        let got = p
            .open_bits(
                "test: padding",
                &shares::BitShares::from_components(own, next, len),
            )
            .unwrap();
        (got, p.opened_values().to_vec())
    });
    for (got, opened) in out {
        let expect: Vec<bool> = (0..len)
            .map(|e| (words[e / 64] >> (e % 64)) & 1 == 1)
            .collect();
        assert_eq!(got, expect);
        assert_eq!(opened, vec![vec![words[0], words[1] & 0x3F]]);
    }
}
