//! A single party's view is distributed alike whatever the secret.
//!
//! Each test runs a protocol on secret A and on secret B with fresh
//! randomness, reduces one party's view (its shares, every message it
//! receives, every value opened to it) to a small feature per sample, and
//! compares the two feature distributions with a chi-squared homogeneity
//! test. A deliberately leaky variant (one value sent unmasked) goes
//! through the same test and must be caught, so the test is known to be
//! able to fail. Seeds are fixed: the outcome is reproducible.

mod common;

use common::*;
use shares::{
    ArithShares, MemTransport, Party, PartyId, Tag, Transport, TransportError, compare, mul, sort,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A transport that records every payload it receives.
struct Recording {
    inner: MemTransport,
    log: Arc<Mutex<Vec<(Tag, Vec<u64>)>>>,
}

impl Transport for Recording {
    fn me(&self) -> PartyId {
        self.inner.me()
    }
    fn send(&mut self, to: PartyId, tag: Tag, payload: &[u8]) -> Result<(), TransportError> {
        self.inner.send(to, tag, payload)
    }
    fn recv(&mut self, from: PartyId, tag: Tag) -> Result<Vec<u8>, TransportError> {
        let b = self.inner.recv(from, tag)?;
        let words = b
            .chunks(8)
            .map(|c| c.iter().rev().fold(0u64, |a, x| (a << 8) | *x as u64))
            .collect();
        self.log.lock().unwrap().push((tag, words));
        Ok(b)
    }
    fn stats(&self) -> shares::Stats {
        self.inner.stats()
    }
}

type Log = Arc<Mutex<Vec<(Tag, Vec<u64>)>>>;

/// Runs `f` on three threads over recording transports; returns each party's
/// result and its log of received payloads.
fn run3_recorded<R: Send>(
    seed: u64,
    f: impl Fn(&mut Party<Recording>) -> R + Sync,
) -> Vec<(R, Vec<(Tag, Vec<u64>)>)> {
    let ts = MemTransport::triple(Duration::from_secs(30));
    std::thread::scope(|s| {
        let hs: Vec<_> = ts
            .into_iter()
            .map(|t| {
                let f = &f;
                s.spawn(move || {
                    let log: Log = Arc::default();
                    let mut p = Party::with_seed(
                        Recording {
                            inner: t,
                            log: log.clone(),
                        },
                        seed,
                    );
                    p.keep_opened_values(true);
                    let r = f(&mut p);
                    let l = log.lock().unwrap().clone();
                    (r, l)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Chi-squared homogeneity of two samples of cell indices, as a
/// Wilson-Hilferty z-score (about standard normal when alike).
fn chi2_z(a: &[u32], b: &[u32]) -> f64 {
    let cells = 1 + *a.iter().chain(b).max().unwrap() as usize;
    let (mut ca, mut cb) = (vec![0f64; cells], vec![0f64; cells]);
    a.iter().for_each(|&c| ca[c as usize] += 1.0);
    b.iter().for_each(|&c| cb[c as usize] += 1.0);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let mut x = 0.0;
    let mut used = 0usize;
    for c in 0..cells {
        let t = ca[c] + cb[c];
        if t > 0.0 {
            used += 1;
            let d = ca[c] / na - cb[c] / nb;
            x += d * d * na * nb / t;
        }
    }
    let k = (used.max(2) - 1) as f64;
    ((x / k).powf(1.0 / 3.0) - (1.0 - 2.0 / (9.0 * k))) / (2.0 / (9.0 * k)).sqrt()
}

const Z_LIMIT: f64 = 5.0;

fn bit(v: u64, i: usize) -> u32 {
    ((v >> i) & 1) as u32
}

fn packed_bit(words: &[u64], e: usize) -> u32 {
    ((words[e / 64] >> (e % 64)) & 1) as u32
}

// ---------------------------------------------------------------- mul

/// Multiplication that forgets the zero-sharing: the leaky variant.
fn leaky_mul<T: Transport>(p: &mut Party<T>, x: &ArithShares, y: &ArithShares) -> Vec<u64> {
    let ((xo, xn), (yo, yn)) = (x.components(), y.components());
    let z: Vec<u64> = (0..x.len())
        .map(|k| {
            xo[k]
                .wrapping_mul(yo[k])
                .wrapping_add(xo[k].wrapping_mul(yn[k]))
                .wrapping_add(xn[k].wrapping_mul(yo[k]))
        })
        .collect();
    let me = p.id();
    let bytes: Vec<u8> = z.iter().flat_map(|w| w.to_le_bytes()).collect();
    p.transport_mut().send(me.prev(), Tag::MUL, &bytes).unwrap();
    p.transport_mut().recv(me.next(), Tag::MUL).unwrap();
    z
}

fn mul_features(secret: (u64, u64), leaky: bool, seed: u64) -> Vec<u32> {
    let n = 1 << 14;
    let (bx, by) = (
        share(&vec![secret.0; n], seed),
        share(&vec![secret.1; n], seed + 1),
    );
    let out = run3_recorded(seed, |p| {
        let i = p.id().index();
        let (x, y) = (mine(&bx, i), mine(&by, i));
        if leaky {
            leaky_mul(p, &x, &y);
        } else {
            mul::mul(p, &x, &y).unwrap();
        }
    });
    // Party 1's view: its four share components and the message it received.
    let (xo, xn) = bx[1]
        .own
        .clone()
        .into_iter()
        .zip(bx[1].next.clone())
        .unzip::<_, _, Vec<u64>, Vec<u64>>();
    let (yo, yn) = (by[1].own.clone(), by[1].next.clone());
    let z = &out[1].1[0].1;
    (0..n)
        .map(|e| {
            bit(xo[e], 0)
                | bit(xn[e], 0) << 1
                | bit(yo[e], 0) << 2
                | bit(yn[e], 0) << 3
                | bit(z[e], 0) << 4
                | bit(z[e], 1) << 5
        })
        .collect()
}

#[test]
fn mul_view_is_independent_of_the_secret_and_the_test_catches_a_leak() {
    let z = chi2_z(
        &mul_features((0, 0), false, 1),
        &mul_features((1, 3), false, 2),
    );
    eprintln!("z = {z:.1}");
    assert!(
        z < Z_LIMIT,
        "honest multiplication looks secret-dependent: z = {z}"
    );
    let z = chi2_z(
        &mul_features((0, 0), true, 1),
        &mul_features((1, 3), true, 2),
    );
    eprintln!("z = {z:.1}");
    assert!(
        z > Z_LIMIT,
        "the leaky multiplication was not caught: z = {z}"
    );
}

// ---------------------------------------------------------- comparison

fn lt_features(secret: (u64, u64), leaky: bool, seed: u64) -> Vec<u32> {
    let n = 1 << 15;
    let (bx, by) = (
        share(&vec![secret.0; n], seed),
        share(&vec![secret.1; n], seed + 1),
    );
    let out = run3_recorded(seed, |p| {
        let i = p.id().index();
        let (x, y) = (mine(&bx, i), mine(&by, i));
        if leaky && i == 0 {
            // Sends u = d0 + d1 without its mask before the honest protocol.
            let (xo, xn) = x.components();
            let (yo, yn) = y.components();
            let u: Vec<u8> = (0..n)
                .flat_map(|k| {
                    xo[k]
                        .wrapping_add(xn[k])
                        .wrapping_sub(yo[k])
                        .wrapping_sub(yn[k])
                        .to_le_bytes()
                })
                .collect();
            p.transport_mut()
                .send(PartyId::new(1).unwrap(), Tag::USER, &u)
                .unwrap();
        }
        if leaky && i == 1 {
            p.transport_mut()
                .recv(PartyId::new(0).unwrap(), Tag::USER)
                .unwrap();
        }
        compare::lt(p, &x, &y).unwrap();
    });
    let (xo, xn, yo, yn) = (&bx[1].own, &bx[1].next, &by[1].own, &by[1].next);
    let log = &out[1].1;
    (0..n)
        .map(|e| {
            let mut f =
                bit(xo[e], 0) | bit(xn[e], 0) << 1 | bit(yo[e], 0) << 2 | bit(yn[e], 0) << 3;
            // Element e's bit in the first plane of every message received,
            // or the low bit of a per-element word message.
            for (k, (tag, w)) in log.iter().take(6).enumerate() {
                let b = if *tag == Tag::USER {
                    bit(w[e], 0)
                } else {
                    packed_bit(w, e)
                };
                f |= b << (4 + k);
            }
            f
        })
        .collect()
}

#[test]
fn comparison_view_is_independent_of_the_secret_and_the_test_catches_a_leak() {
    let z = chi2_z(
        &lt_features((5, 3), false, 1),
        &lt_features((2, 3), false, 2),
    );
    eprintln!("z = {z:.1}");
    assert!(
        z < Z_LIMIT,
        "honest comparison looks secret-dependent: z = {z}"
    );
    let z = chi2_z(&lt_features((5, 3), true, 1), &lt_features((2, 3), true, 2));
    eprintln!("z = {z:.1}");
    assert!(z > Z_LIMIT, "the leaky comparison was not caught: z = {z}");
}

// ------------------------------------------------------------- shuffle

fn shuffle_features(secret: [u64; 2], leaky: bool, seed: u64) -> Vec<u32> {
    let runs: usize = 4000;
    let inputs: Vec<_> = (0..runs)
        .map(|r| share(&secret, seed * 100_000 + r as u64))
        .collect();
    let out = run3_recorded(seed, |p| {
        let i = p.id().index();
        let mut logs_at = Vec::new();
        for b in &inputs {
            let x = mine(b, i);
            if leaky && i == 0 {
                let (o, nx) = x.components();
                let a: Vec<u8> = o
                    .iter()
                    .zip(nx)
                    .flat_map(|(a, b)| a.wrapping_add(*b).to_le_bytes())
                    .collect();
                p.transport_mut()
                    .send(PartyId::new(2).unwrap(), Tag::USER, &a)
                    .unwrap();
            }
            if leaky && i == 2 {
                p.transport_mut()
                    .recv(PartyId::new(0).unwrap(), Tag::USER)
                    .unwrap();
            }
            let sh = shares::shuffle::Shuffle::random(p, 2);
            sh.apply(p, &[&x]).unwrap();
            logs_at.push(());
        }
    });
    // Party 2: its shares (x2, x0) and the first two messages of each run.
    let log = &out[2].1;
    let per_run = log.len() / runs;
    (0..runs)
        .map(|r| {
            let b = &inputs[r][2];
            let mut f = bit(b.own[0], 0)
                | bit(b.own[1], 0) << 1
                | bit(b.next[0], 0) << 2
                | bit(b.next[1], 0) << 3;
            let m = &log[r * per_run].1;
            f |= bit(m[0], 0) << 4 | bit(m[1], 0) << 5;
            let m = &log[r * per_run + 1].1;
            f |= bit(m[0], 0) << 6 | bit(m[1], 0) << 7;
            f
        })
        .collect()
}

#[test]
fn shuffle_view_is_independent_of_the_secret_and_the_test_catches_a_leak() {
    let z = chi2_z(
        &shuffle_features([0, 0], false, 1),
        &shuffle_features([1, 0], false, 2),
    );
    eprintln!("z = {z:.1}");
    assert!(
        z < Z_LIMIT,
        "honest shuffle looks secret-dependent: z = {z}"
    );
    let z = chi2_z(
        &shuffle_features([0, 0], true, 1),
        &shuffle_features([1, 0], true, 2),
    );
    eprintln!("z = {z:.1}");
    assert!(z > Z_LIMIT, "the leaky shuffle was not caught: z = {z}");
}

// ---------------------------------------------------------------- sort

fn perm_index(v: &[u64]) -> u32 {
    // Position of a permutation of 0..3 in 0..6 (anything else: 6).
    const P: [[u64; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    P.iter().position(|p| p == v).unwrap_or(6) as u32
}

fn sort_features(secret: [u64; 3], leaky: bool, seed: u64) -> Vec<u32> {
    let runs: usize = 3000;
    let inputs: Vec<_> = (0..runs)
        .map(|r| share(&secret, seed * 100_000 + r as u64))
        .collect();
    let out = run3_recorded(seed, |p| {
        let i = p.id().index();
        let mut feats = Vec::new();
        for b in &inputs {
            let k = mine(b, i);
            let before = p.opened_values().len();
            let log_before = ();
            let _ = log_before;
            if leaky {
                // Opens the sorting permutation of the low key bit unshuffled.
                let bits = shares::convert::a2b(p, &k, 2).unwrap();
                let b0 = shares::convert::inject(p, &bits[0]).unwrap();
                let s = sort::bit_permutation(p, &b0).unwrap();
                p.open_arith("leaky: unshuffled permutation", &s).unwrap();
            }
            let (sorted, _, _) = sort::sort(p, &k, 2, &[]).unwrap();
            let _ = sorted;
            let opened = &p.opened_values()[before..];
            let first = perm_index(&opened[0]);
            let last = perm_index(opened.last().unwrap());
            feats.push(first * 7 + last);
        }
        feats
    });
    // Party 1's first and last opened permutations, plus the low bits of
    // its key shares.
    (0..runs)
        .map(|r| out[1].0[r] * 4 + bit(inputs[r][1].own[0], 0) * 2 + bit(inputs[r][1].next[0], 0))
        .collect()
}

#[test]
fn sort_view_is_independent_of_the_secret_and_the_test_catches_a_leak() {
    let z = chi2_z(
        &sort_features([0, 1, 2], false, 1),
        &sort_features([1, 2, 0], false, 2),
    );
    eprintln!("z = {z:.1}");
    assert!(z < Z_LIMIT, "honest sort looks secret-dependent: z = {z}");
    let z = chi2_z(
        &sort_features([0, 1, 2], true, 1),
        &sort_features([1, 2, 0], true, 2),
    );
    eprintln!("z = {z:.1}");
    assert!(z > Z_LIMIT, "the leaky sort was not caught: z = {z}");
}
