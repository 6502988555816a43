//! Helpers for three-party tests on threads.
#![allow(dead_code)]

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use shares::client::{PartyBundle, share_arith};
use shares::{ArithShares, MemTransport, Party};
use std::time::Duration;

/// Runs `f` as the three parties on threads over in-memory channels, with
/// keys from `seed`.
pub fn run3<R: Send>(seed: u64, f: impl Fn(&mut Party<MemTransport>) -> R + Sync) -> [R; 3] {
    let ts = MemTransport::triple(Duration::from_secs(30));
    std::thread::scope(|s| {
        let hs: Vec<_> = ts
            .into_iter()
            .map(|t| {
                let f = &f;
                s.spawn(move || {
                    let mut p = Party::with_seed(t, seed);
                    f(&mut p)
                })
            })
            .collect();
        let mut out: Vec<R> = hs
            .into_iter()
            .map(|h| h.join().expect("party thread"))
            .collect();
        let c = out.pop().unwrap();
        let b = out.pop().unwrap();
        let a = out.pop().unwrap();
        [a, b, c]
    })
}

/// Shares `values` with a seeded generator.
pub fn share(values: &[u64], seed: u64) -> [PartyBundle; 3] {
    share_arith(values, &mut ChaCha20Rng::seed_from_u64(seed))
}

/// The shares of party `i` from bundles.
pub fn mine(b: &[PartyBundle; 3], i: usize) -> ArithShares {
    b[i].clone().into_shares()
}

/// Opens at all three parties and checks they agree.
pub fn agree<T: PartialEq + std::fmt::Debug>(v: [T; 3]) -> T {
    let [a, b, c] = v;
    assert_eq!(a, b);
    assert_eq!(b, c);
    a
}

/// Edge values of the ring.
pub const EDGES: [u64; 5] = [0, 1, (1 << 32) - 1, 1 << 63, u64::MAX];

/// Edge values below 2^32.
pub const EDGES32: [u64; 4] = [0, 1, (1 << 31), (1 << 32) - 1];

/// This thread's CPU time so far (Linux; zero elsewhere).
pub fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}
