//! A clearing that cannot go on shows it in the status: which node it waits
//! for and the last problem, not an empty `waiting_for` and no problem.
// Loops over the three nodes index several per-node arrays at once.
#![allow(clippy::needless_range_loop)]

mod common;

use auction::wire::{Version, prepare_submissions};
use common::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_killed_while_clearing_is_named_in_the_status() {
    let k = 16;
    let bidders = 300;
    let mut c = Cluster::new(bidders, k);
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let mut rng = rand::rngs::OsRng;
    for b in 0..bidders {
        let id = bidder_name(b);
        let subs = prepare_submissions(
            &c.params,
            &random_bid(id.clone(), k, b as u64),
            Version(1),
            c.key(&id),
            &mut rng,
        )
        .unwrap();
        for (i, sub) in subs.iter().enumerate() {
            assert_eq!(c.submit_to(i, sub).await.unwrap().0, 200);
        }
    }
    c.close(0);
    // Kill node 2 the moment node 0 starts clearing.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = c.status(0).await;
        let phase = v["phase"].as_str().unwrap().to_string();
        if phase == "seeded" {
            c.kill(2);
            break;
        }
        assert!(
            phase != "cleared" && phase != "published",
            "node 0 cleared before node 2 could be killed; status {v:#}"
        );
        assert!(
            Instant::now() < deadline,
            "node 0 never started clearing: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // From a few seconds on, node 0 never shows an empty wait without a
    // problem (sampled over 20 s, longer than a link timeout), and the
    // killed node is named, by node 0 or by node 1 that node 0 waits on.
    let start = Instant::now();
    let (mut seen, mut named) = (0, false);
    while start.elapsed() < Duration::from_secs(20) {
        let v = c.status(0).await;
        let cl = &v["clearing"];
        let waiting = cl["waiting_for"].as_array().cloned().unwrap_or_default();
        let problem = cl["problem"].as_str().unwrap_or("").to_string();
        if start.elapsed() > Duration::from_secs(3) {
            assert_eq!(v["phase"], "seeded", "{v:#}");
            assert!(
                !waiting.is_empty() || !problem.is_empty(),
                "node 0 hides what it waits for after {:?}: {v:#}",
                start.elapsed()
            );
            seen += 1;
        }
        let v1 = c.status(1).await;
        named |= [&v, &v1].iter().any(|s| {
            s["clearing"]["waiting_for"].to_string().contains("node 2")
                || s["clearing"]["problem"].to_string().contains("node 2")
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(seen > 10);
    assert!(named, "neither node 0 nor node 1 named node 2");
    // Node 2 back: the clearing completes.
    c.start(2);
    for i in 0..3 {
        c.wait_status(i, 120, "published", |v| v["phase"] == "published")
            .await;
    }
}
