//! Three parties on threads, inside the crate: the kept relations of the
//! sort's positions and the narrow products, which no public function
//! exposes alone.

use super::*;
use crate::MemTransport;
use std::time::Duration;

/// Runs `f` as the three parties in abort mode over `transports`.
fn run3<T: Transport, R: Send>(
    transports: [T; 3],
    f: impl Fn(&mut Party<T>) -> R + Sync,
) -> [R; 3] {
    let keys = [[1u8; 16], [2u8; 16], [3u8; 16]];
    std::thread::scope(|s| {
        let hs: Vec<_> = transports
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                let f = &f;
                s.spawn(move || {
                    let mut p = Party::with_keys(t, keys[i], keys[(i + 1) % 3]);
                    p.set_security(crate::Security::Abort);
                    f(&mut p)
                })
            })
            .collect();
        let out: Vec<R> = hs.into_iter().map(|h| h.join().expect("party")).collect();
        out.try_into().ok().expect("three parties")
    })
}

fn triple() -> [MemTransport; 3] {
    MemTransport::triple(Duration::from_secs(10))
}

/// Components of digits `v` (two bits) held as x0 = v, x1 = x2 = 0.
fn digit_words(i: usize, v: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let n = v.len();
    match i {
        0 => (v.to_vec(), vec![0; n]),
        1 => (vec![0; n], vec![0; n]),
        _ => (vec![0; n], v.to_vec()),
    }
}

/// The positions of honest parties: the ledger's claims satisfy every
/// prover's relation, the three parts of each proof agree on the vectors
/// after the first round, and those keep the claim. The one-hot vectors of
/// the two-round protocol keep every bucket.
#[test]
fn kept_positions_satisfy_the_relation_and_the_parts_agree() {
    kept_positions_prove(false, |p, own, next| {
        let st = crate::onehot::start(p, own, next, 0, 2, 1).unwrap();
        crate::onehot::finish(p, st, own, next, 0, 2, None, 1).unwrap()
    });
}

/// The same with one-hot vectors made of monomials, whose components sum
/// to the public 1's: bucket 0 is left out of the proof.
#[test]
fn kept_positions_of_monomials_leave_out_bucket_zero_and_prove() {
    kept_positions_prove(true, |p, own, next| {
        let bits = crate::onehot::digit_bits(own, next, 0, 2);
        let injected =
            crate::convert::Injection::new(p.id().index(), &bits.iter().collect::<Vec<_>>())
                .run(p, 1)
                .unwrap();
        let mut m = crate::onehot::Monomials::new(p.id(), injected);
        loop {
            let (made, factors) = m.next_level();
            if factors.is_empty() {
                break;
            }
            let prods = crate::convert::products_in_bytes(p, &factors, 1).unwrap();
            drop(factors);
            m.store(made, prods);
        }
        // The products' own gates are proven elsewhere.
        p.ledger_mut().clear();
        m.one_hot()
    });
}

fn kept_positions_prove(
    reduced: bool,
    one_hot: impl Fn(&mut Party<MemTransport>, &[u64], &[u64]) -> crate::onehot::OneHot + Sync,
) {
    let digits = [1u64, 3, 1, 0, 2, 3, 3];
    let n = digits.len();
    let kept: [ledger::Positions; 3] = run3(triple(), |p| {
        let (own, next) = digit_words(p.id().index(), &digits);
        let e = one_hot(p, &own, &next);
        let (zo, zn) = crate::onehot::positions(p, &e, 1).unwrap();
        let pos = match std::mem::take(p.ledger_mut()).ring.pop() {
            Some(ledger::RingGates::Positions(pp)) => pp,
            _ => panic!("one positions message kept"),
        };
        assert_eq!((zo.len(), zn.len()), (n, n));
        pos
    });
    for k in &kept {
        assert_eq!(k.reduced, reduced);
    }
    let gates = |j: usize| {
        let p = &kept[j];
        vec![ledger::RingGates::Positions(ledger::Positions::new(
            p.shift,
            p.buckets,
            p.reduced,
            (p.e_own.clone(), p.e_next.clone()),
            (p.below_own.clone(), p.below_next.clone()),
            p.left_claim.clone(),
            p.right_claim.clone(),
        ))]
    };
    fn whole(g: &[ledger::RingGates]) -> Vec<ledger::Part<'_>> {
        ring::parts(g).concat()
    }
    // From the middle on: the running counts start where the part does.
    fn tail(g: &[ledger::RingGates]) -> Vec<ledger::Part<'_>> {
        vec![ledger::Part {
            gates: &g[0],
            from: 3,
            to: g[0].gates(),
        }]
    }
    let all: Vec<Vec<ledger::RingGates>> = (0..3).map(gates).collect();
    for cut in [
        whole as fn(&[ledger::RingGates]) -> Vec<ledger::Part<'_>>,
        tail,
    ] {
        for j in 0..3 {
            let (prover, left, right) =
                (cut(&all[j]), cut(&all[(j + 2) % 3]), cut(&all[(j + 1) % 3]));
            let w = ring::weights(&prover, &mut Prg::new([5; 16]));
            let l = ring::fold_factor(&prover);
            let c = gr::add(
                &ring::claim(&left, &w, true),
                &ring::claim(&right, &w, false),
            );
            let h = ring::coefficients(&prover, &w, l);
            let r = 6u64;
            let (pu, pv) = ring::fold(&prover, &w, l, r, Role::Prover);
            let (lu, _) = ring::fold(&left, &w, l, r, Role::Left);
            let (_, rv) = ring::fold(&right, &w, l, r, Role::Right);
            assert!(pu == lu, "prover {j}: u differs at its left verifier");
            assert!(pv == rv, "prover {j}: v differs at its right verifier");
            let want = core::laurent_claim::<gr::Ring>(&h, &c, &gr::from_mask(r), l);
            assert!(<gr::Ring as Algebra>::dot(&pu, &pv) == want, "prover {j}");
        }
    }
}

/// Party `i`'s shares of `n` values whose component `j` is `77 j + 5`.
fn component_shares(i: usize, n: usize) -> crate::ArithShares {
    let c = |j: usize| vec![77 * j as u64 + 5; n];
    crate::ArithShares::from_components(c(i), c((i + 1) % 3))
}

/// Products correct mod 2^32 only (half the traffic) pass, whatever the
/// high bits of their received halves.
#[test]
fn narrow_products_verify() {
    let out = run3(triple(), |p| {
        let x = component_shares(p.id().index(), 100);
        let z = crate::mul::mul_ring(p, &x, &x, true).unwrap();
        // The product is used again, narrow: its received half has zero
        // high bits, its sender's copy does not.
        crate::mul::mul_ring(p, &z, &x, true).unwrap();
        p.verify()
    });
    for r in out {
        r.unwrap();
    }
}

#[cfg(feature = "deviations")]
#[test]
fn a_changed_narrow_product_is_named() {
    use crate::transport::{Deviating, Deviation};
    for (deviator, at) in [(0usize, 0usize), (1, 3), (2, 17)] {
        let [a, b, c] = triple();
        let d = |i: usize, t| {
            Deviating::new(
                t,
                Deviation {
                    tag: Some(if i == deviator { Tag::MUL } else { Tag(0) }),
                    to: None,
                    nth: 0,
                    at,
                    xor: 0x80,
                },
            )
        };
        let out = run3([d(0, a), d(1, b), d(2, c)], |p| {
            let x = component_shares(p.id().index(), 40);
            crate::mul::mul_ring(p, &x, &x, true).unwrap();
            p.verify()
        });
        for (i, r) in out.iter().enumerate() {
            if i != deviator {
                assert!(
                    matches!(r, Err(Error::Cheating { check: "mul", peer }) if *peer == PartyId::new(deviator)),
                    "party {i}: {r:?}"
                );
            }
        }
    }
}

/// Party `i`'s components of `words` packed bit words whose component `j`
/// is word `k` is a mix of `j` and `k`.
fn bit_components(i: usize, words: usize, salt: u64) -> (Vec<u64>, Vec<u64>) {
    let c = |j: usize| -> Vec<u64> {
        (0..words as u64)
            .map(|k| (k ^ salt ^ (j as u64) << 32).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect()
    };
    (c(i), c((i + 1) % 3))
}

/// Two rounds of ANDs, 20 words, proven three words to a wave: seven
/// waves, every one of them checked. Honest parties pass; a bit flipped in
/// any word of either round is caught by both other parties and blamed on
/// its sender.
#[cfg(feature = "deviations")]
#[test]
fn and_gates_proven_in_several_waves_catch_a_flip_in_any() {
    use crate::transport::{Deviating, Deviation};
    let ands = |p: &mut Party<Deviating<MemTransport>>| {
        let me = p.id().index();
        let (xo, xn) = bit_components(me, 10, 1);
        let (yo, yn) = bit_components(me, 10, 2);
        let (zo, zn) = crate::mul::and_words(p, &xo, &xn, &yo, &yn).unwrap();
        crate::mul::and_words(p, &zo, &zn, &xo, &xn).unwrap();
        let ledger = std::mem::take(p.ledger_mut());
        assert_eq!(ledger.bits.x_own.len(), 20);
        assert_eq!(super::plan(&ledger.in_order(), 3).len(), 7);
        super::run_in_waves(p, &ledger, 3)
    };
    let honest = |t| Deviating::new(t, Deviation::NONE);
    let [a, b, c] = triple();
    for r in run3([honest(a), honest(b), honest(c)], ands) {
        r.unwrap();
    }
    // (deviator, which of its two AND messages, byte): the first and the
    // last word of a round, and words in the middle waves.
    for (deviator, nth, at) in [
        (0usize, 0usize, 0usize),
        (1, 0, 79),
        (2, 1, 8 * 5 + 3),
        (0, 1, 79),
    ] {
        let [a, b, c] = triple();
        let d = |i: usize, t| {
            if i != deviator {
                return honest(t);
            }
            Deviating::new(
                t,
                Deviation {
                    tag: Some(Tag::MUL),
                    to: None,
                    nth,
                    at,
                    xor: 0x10,
                },
            )
        };
        let out = run3([d(0, a), d(1, b), d(2, c)], ands);
        for (i, r) in out.iter().enumerate() {
            if i != deviator {
                assert!(
                    matches!(r, Err(Error::Cheating { check: "and", peer }) if *peer == PartyId::new(deviator)),
                    "deviator {deviator}, message {nth}, byte {at}: party {i}: {r:?}"
                );
            }
        }
    }
}
