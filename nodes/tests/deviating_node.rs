//! Security with abort, with three real node processes: node 1 runs a test
//! build that corrupts one message of the clearing (`TRIAD_DEVIATE`). The
//! two honest nodes catch it, halt naming the check (and node 1 where the
//! check can tell), and never sign: no node serves an outcome. Once node 1
//! behaves and the operators resume, the rerun publishes the reference
//! outcome.

mod common;

use auction::wire::{OutcomeBundle, Version, prepare_submissions};
use auction::{MarketFile, RawBid, Seed};
use common::*;
use rand::SeedableRng;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

/// One cluster at a time: the machine has two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const DEVIATOR: usize = 1;

/// A cluster with `n` bids submitted to all three nodes, node `DEVIATOR`
/// deviating as `deviation` says; returns the bids.
async fn market_with_deviator(
    n: usize,
    k: u32,
    deviation: &str,
) -> (Cluster, BTreeMap<auction::BidderId, RawBid>) {
    let mut c = Cluster::new(n, k);
    c.env[DEVIATOR].push(("TRIAD_DEVIATE".into(), deviation.into()));
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut bids = BTreeMap::new();
    for b in 0..n {
        let id = bidder_name(b);
        let bid = random_bid(id.clone(), k, b as u64 + 1);
        let subs = prepare_submissions(&c.params, &bid, Version(1), c.key(&id), &mut rng).unwrap();
        for (i, sub) in subs.iter().enumerate() {
            let (s, v) = c.submit_to(i, sub).await.unwrap();
            assert_eq!(s, 200, "node {i}: {v}");
        }
        bids.insert(id, RawBid::from(&bid));
    }
    (c, bids)
}

/// Waits until both honest nodes halt; returns their statuses.
async fn honest_nodes_halt(c: &Cluster) -> Vec<Value> {
    let mut out = Vec::new();
    for i in [0, 2] {
        let v = c
            .wait_status(i, 180, "halted", |v| v["clearing"]["halted"] == true)
            .await;
        out.push(v);
    }
    out
}

/// No node serves an outcome, and no honest node got past the clearing.
async fn nothing_published(c: &Cluster, honest: &[Value]) {
    for v in honest {
        assert_eq!(v["phase"], "seeded", "an honest node moved on: {v:#}");
    }
    for i in 0..3 {
        let (s, v) = c.get(i, "/v1/outcome").await.unwrap();
        assert_ne!(s, 200, "node {i} serves an outcome: {v}");
    }
}

fn resume(c: &Cluster, i: usize) {
    let out = Command::new(BIN)
        .args(["resume", "--config"])
        .arg(&c.nodes[i].config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "resume node {i}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_multiplication_is_caught_and_a_rerun_clears() {
    let _g = SERIAL.lock().await;
    // Tag 2 is the engine's multiplication and AND messages.
    let (mut c, bids) = market_with_deviator(12, 2, "tag=2,nth=3,at=5,xor=4").await;
    c.close(0);
    let honest = honest_nodes_halt(&c).await;
    for v in &honest {
        let problem = v["clearing"]["problem"].as_str().unwrap();
        assert!(
            problem.contains("`mul` check failed") || problem.contains("`and` check failed"),
            "{problem}"
        );
        assert!(
            problem.contains(&format!("node {DEVIATOR} deviated")),
            "{problem}"
        );
        assert!(problem.contains("does not sign"), "{problem}");
    }
    nothing_published(&c, &honest).await;
    for i in [0, 2] {
        assert!(
            c.log(i).contains("deviated from the protocol"),
            "node {i}'s log does not say what it caught:\n{}",
            c.log(i)
        );
    }

    // Node 1 behaves from now on; every operator lifts its node's halt
    // (node 1's own checks may have stopped it too: its peers' proofs fail
    // against what it corrupted).
    for i in 0..3 {
        c.kill(i);
    }
    c.env[DEVIATOR].clear();
    for i in 0..3 {
        resume(&c, i);
    }
    c.start_all();
    let mut bundles = Vec::new();
    for i in 0..3 {
        c.wait_status(i, 180, "published", |v| v["phase"] == "published")
            .await;
        let (s, v) = c.get(i, "/v1/outcome").await.unwrap();
        assert_eq!(s, 200, "{v}");
        bundles.push(serde_json::from_value::<OutcomeBundle>(v).unwrap());
    }
    assert!(bundles.windows(2).all(|w| w[0] == w[1]));
    let auction = nodes::config::load_auction(&c.auction_path).unwrap();
    bundles[0].verify(&auction.trusted()).unwrap();
    let seed = Seed(
        hex::decode(&bundles[0].outcome.seed)
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let market = MarketFile {
        auction: c.params.clone(),
        seed,
        bids: bids.values().cloned().collect(),
    };
    assert_eq!(
        bundles[0].outcome,
        auction::reference::clear_market(&market)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_opening_is_caught() {
    let _g = SERIAL.lock().await;
    // Tag 3 is an opening to all three parties: node 1 sends its component
    // to node 2 and a hash of the other component it holds to node 0, and
    // each receiver compares what the two holders of its missing
    // component sent. Corrupting one of them is caught by its receiver;
    // the other honest node cannot clear without it and waits, signing
    // nothing.
    for nth in [0, 1] {
        let (c, _) = market_with_deviator(8, 2, &format!("tag=3,nth={nth},at=0,xor=1")).await;
        c.close(2);
        let deadline = std::time::Instant::now() + Duration::from_secs(180);
        let (caught_by, v) = loop {
            let mut found = None;
            for i in [0, 2] {
                let v = c.status(i).await;
                if v["clearing"]["halted"] == true {
                    found = Some((i, v));
                }
            }
            if let Some(f) = found {
                break f;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no honest node halted:\n{}\n{}",
                c.log(0),
                c.log(2)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let problem = v["clearing"]["problem"].as_str().unwrap();
        assert!(problem.contains("`opening` check failed"), "{problem}");
        assert_eq!(v["phase"], "seeded", "{v:#}");
        let other = 2 - caught_by;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let v = c.status(other).await;
        assert_eq!(v["phase"], "seeded", "{v:#}");
        for i in 0..3 {
            let (s, v) = c.get(i, "/v1/outcome").await.unwrap();
            assert_ne!(s, 200, "node {i} serves an outcome: {v}");
        }
    }
}
