//! The shuffle and the stable sort against their plaintext twins.

mod common;

use common::*;
use proptest::prelude::*;
use shares::Security;
use shares::shuffle::Shuffle;
use shares::sort;

/// Ideal twin: stable sort by key, payloads along.
fn ideal(keys: &[u64], pay: &[Vec<u64>]) -> (Vec<u64>, Vec<Vec<u64>>) {
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by_key(|&i| keys[i]);
    (
        idx.iter().map(|&i| keys[i]).collect(),
        pay.iter()
            .map(|c| idx.iter().map(|&i| c[i]).collect())
            .collect(),
    )
}

fn check_sort(keys: &[u64], key_bits: usize, seed: u64) {
    let n = keys.len();
    let index: Vec<u64> = (0..n as u64).collect();
    let other: Vec<u64> = (0..n as u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let (bk, bi, bo) = (
        share(keys, seed),
        share(&index, seed + 1),
        share(&other, seed + 2),
    );
    let (sk, sp, undone, later) = agree(run3(seed, |p| {
        let i = p.id().index();
        let (k, ix, o) = (mine(&bk, i), mine(&bi, i), mine(&bo, i));
        let (sk, sp, perm) = sort::sort(p, &k, key_bits, &[&ix, &o]).unwrap();
        let opened_sp: Vec<Vec<u64>> = sp.iter().map(|c| p.open_arith("t", c).unwrap()).collect();
        let back = perm.undo(p, &[&sk, &sp[0], &sp[1]]).unwrap();
        let undone: Vec<Vec<u64>> = back.iter().map(|c| p.open_arith("t", c).unwrap()).collect();
        // A column applied later, separately.
        let later = perm.apply(p, &[&o]).unwrap();
        (
            p.open_arith("t", &sk).unwrap(),
            opened_sp,
            undone,
            p.open_arith("t", &later[0]).unwrap(),
        )
    }));
    let (wk, wp) = ideal(keys, &[index.clone(), other.clone()]);
    assert_eq!(sk, wk, "sorted keys");
    assert_eq!(sp, wp, "payloads follow stably");
    assert_eq!(
        undone,
        vec![keys.to_vec(), index, other],
        "undo restores every column"
    );
    assert_eq!(later, wp[1], "a later column sorts the same way");
}

#[test]
fn sort_edge_cases() {
    check_sort(&[], 8, 1);
    check_sort(&[5], 8, 2);
    check_sort(&[5, 3], 8, 3);
    check_sort(&[3, 5], 8, 4);
    check_sort(&[7; 37], 8, 5);
    check_sort(&(0..50).collect::<Vec<u64>>(), 8, 6);
    check_sort(&(0..50).rev().collect::<Vec<u64>>(), 8, 7);
    check_sort(&[(1 << 32) - 1, 0, 1 << 31, (1 << 32) - 1, 0, 1], 32, 8);
    check_sort(&[1 << 32, (1 << 32) - 1, 0, 1 << 32], 33, 9);
    check_sort(&[1, 0, 1, 0, 1], 1, 10);
    check_sort(&[u64::MAX, 1 << 63, 0, 1], 64, 11);
}

/// Every digit width, with keys that need several digits and a last digit
/// narrower than the others.
#[test]
fn sort_with_every_digit_width() {
    let keys: Vec<u64> = (0..300u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 53)
        .collect();
    for d in 1..=8 {
        let b = share(&keys, d as u64);
        let (sorted, logs) = agree(run3(d as u64, |p| {
            let k = mine(&b, p.id().index());
            let perm = sort::sorting_permutation_digits(p, &k, 11, d, &mut |_, _| {}).unwrap();
            let s = perm.apply(p, &[&k]).unwrap();
            (p.open_arith("t", &s[0]).unwrap(), p.opened().len())
        }));
        let mut want = keys.clone();
        want.sort();
        assert_eq!(sorted, want, "digits of {d} bits");
        assert_eq!(logs, 11usize.div_ceil(d) + 1 + 1, "digits of {d} bits");
    }
}

proptest! {
    #[test]
    fn sort_matches_ideal_with_many_ties(keys in proptest::collection::vec(0u64..6, 0..70), seed in any::<u64>()) {
        check_sort(&keys, 3, seed);
    }

    #[test]
    fn sort_matches_ideal_32_bit(keys in proptest::collection::vec(0u64..1 << 32, 0..40), seed in any::<u64>()) {
        check_sort(&keys, 32, seed);
    }

    #[test]
    fn shuffle_is_a_hidden_permutation_and_unshuffle_undoes_it(v in proptest::collection::vec(any::<u64>(), 0..100), seed in any::<u64>()) {
        let n = v.len();
        let idx: Vec<u64> = (0..n as u64).collect();
        let (bv, bi) = (share(&v, seed), share(&idx, seed + 1));
        let (sv, si, back) = agree(run3(seed, |p| {
            let i = p.id().index();
            let sh = Shuffle::random(p, n);
            let out = sh.apply(p, &[&mine(&bv, i), &mine(&bi, i)]).unwrap();
            let back = sh.unapply(p, &[&out[0]]).unwrap();
            (p.open_arith("t", &out[0]).unwrap(), p.open_arith("t", &out[1]).unwrap(), p.open_arith("t", &back[0]).unwrap())
        }));
        // The shuffled index column is a permutation, and the values moved with it.
        let mut sorted = si.clone();
        sorted.sort();
        prop_assert_eq!(sorted, idx);
        for (t, &k) in si.iter().enumerate() {
            prop_assert_eq!(sv[t], v[k as usize]);
        }
        prop_assert_eq!(back, v);
    }
}

#[test]
fn sort_openings_are_logged() {
    let keys = [3u64, 1, 2];
    let bk = share(&keys, 1);
    let logs = run3(1, |p| {
        let k = mine(&bk, p.id().index());
        sort::sort(p, &k, 4, &[]).unwrap();
        p.opened().to_vec()
    });
    for log in &logs {
        assert_eq!(
            log.len(),
            sort::opened_permutations(3, 4, Security::SemiHonest),
            "one opening per digit, plus the final one"
        );
        assert_eq!(
            log.len(),
            2,
            "one digit of four bits, then the final opening"
        );
        assert!(
            log.iter()
                .all(|o| o.count == 3 && o.to.is_none() && o.label.starts_with("sort: "))
        );
    }
}
