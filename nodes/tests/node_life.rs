//! The whole life of an auction with three real node processes on
//! 127.0.0.1-3: bids through the API, close, agreement, seed, three-party
//! clearing, signatures; the outcome equals the reference. Also: `kill -9`
//! while bids arrive and while clearing, a node that stays down, and a
//! mismatched auction file.

mod common;

use auction::wire::{
    OutcomeBundle, Submission, Version, prepare_submissions, prepare_submissions_from_values,
};
use auction::{BidderId, MarketFile, RawBid, RawOrder, Seed};
use common::*;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::Duration;

/// Heavy tests one at a time: the machine has two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Submits to all three nodes, retrying a node that is down; returns once
/// all three acknowledged (a retried version already stored counts).
async fn submit_all(c: &Cluster, subs: &[Submission; 3]) {
    submit_to_endpoints(&c.endpoints(), subs).await
}

async fn submit_to_endpoints(
    ends: &[(std::net::SocketAddr, auction::wire::Digest)],
    subs: &[Submission; 3],
) {
    for i in 0..3 {
        let mut tries = 0;
        loop {
            let body = serde_json::to_vec(&subs[i]).unwrap();
            let r = nodes::client::call(ends[i].0, ends[i].1, "POST", "/v1/bids", Some(body)).await;
            let r = r.and_then(|(s, b)| Ok((s, serde_json::from_slice::<serde_json::Value>(&b)?)));
            match r {
                Ok((200, _)) => break,
                Ok((409, v))
                    if v["code"] == "stale_version"
                        && v["message"]
                            .as_str()
                            .unwrap()
                            .contains(&format!("version {} already held", subs[i].version)) =>
                {
                    break;
                }
                Ok((s, v)) => panic!("node {i} refused a good bid: {s} {v}"),
                Err(_) => {
                    tries += 1;
                    assert!(tries < 400, "node {i} stayed unreachable");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

async fn wait_published(c: &Cluster, secs: u64) -> OutcomeBundle {
    let mut bundles = Vec::new();
    for i in 0..3 {
        c.wait_status(i, secs, "published", |v| v["phase"] == "published")
            .await;
        let (s, v) = c.get(i, "/v1/outcome").await.unwrap();
        assert_eq!(s, 200, "{v}");
        bundles.push(serde_json::from_value::<OutcomeBundle>(v).unwrap());
    }
    assert_eq!(bundles[0], bundles[1]);
    assert_eq!(bundles[1], bundles[2]);
    let auction = nodes::config::load_auction(&c.auction_path).unwrap();
    bundles[0].verify(&auction.trusted()).unwrap();
    assert_eq!(bundles[0].auction_hash, auction.hash);
    bundles.pop().unwrap()
}

fn reference(
    c: &Cluster,
    bundle: &OutcomeBundle,
    bids: &BTreeMap<BidderId, RawBid>,
) -> auction::Outcome {
    let seed = Seed(
        hex::decode(&bundle.outcome.seed)
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let market = MarketFile {
        auction: c.params.clone(),
        seed,
        bids: bids.values().cloned().collect(),
    };
    auction::reference::clear_market(&market)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_clear_to_the_reference() {
    let _g = SERIAL.lock().await;
    let k = 3;
    let n = 24;
    let mut c = Cluster::new(n, k);
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut last = BTreeMap::new();
    for b in 0..n - 1 {
        let id = bidder_name(b);
        let versions = 1 + (b % 2) as u64;
        for v in 1..=versions {
            let bid = random_bid(id.clone(), k, (b as u64) * 10 + v);
            let subs =
                prepare_submissions(&c.params, &bid, Version(v), c.key(&id), &mut rng).unwrap();
            submit_all(&c, &subs).await;
            last.insert(id.clone(), RawBid::from(&bid));
        }
    }
    // The last bidder's price is out of range: only the computation's own
    // check can see that.
    let bad = bidder_name(n - 1);
    let mut values = vec![0u64; 4 * k as usize];
    values[0] = 5000;
    values[1] = 10;
    let subs = prepare_submissions_from_values(
        &c.params.id,
        &bad,
        &values,
        Version(1),
        c.key(&bad),
        &mut rng,
    )
    .unwrap();
    submit_all(&c, &subs).await;
    last.insert(
        bad.clone(),
        RawBid {
            bidder: bad,
            buy: vec![RawOrder {
                price: 5000,
                quantity: 10,
            }],
            sell: vec![],
        },
    );

    c.close(1);
    let bundle = wait_published(&c, 120).await;
    assert_eq!(bundle.bid_set.len(), n);
    assert_eq!(bundle.outcome, reference(&c, &bundle, &last));
    assert_eq!(
        bundle.outcome.excluded.len(),
        1,
        "{:?}",
        bundle.outcome.excluded
    );
    assert_eq!(bundle.outcome.excluded[0].reason, "invalid bid");
    assert!(bundle.outcome.volume.0 > 0, "the market should trade");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_while_bidding_and_clearing_loses_nothing() {
    let _g = SERIAL.lock().await;
    let k = 2;
    let n = 30;
    let mut c = Cluster::new(n, k);
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let mut prepared = Vec::new();
    let mut last = BTreeMap::new();
    for b in 0..n {
        let id = bidder_name(b);
        for v in 1..=2u64 {
            let bid = random_bid(id.clone(), k, (b as u64) * 7 + v);
            prepared.push(
                prepare_submissions(&c.params, &bid, Version(v), c.key(&id), &mut rng).unwrap(),
            );
            last.insert(id.clone(), (v, RawBid::from(&bid)));
        }
    }
    // Bids arrive from two concurrent clients while node 1 is killed and
    // restarted at random moments.
    let ends = c.endpoints();
    let submitter = tokio::spawn(async move {
        let mut tasks = Vec::new();
        // A bidder's two versions stay in one chunk, in order.
        for chunk in prepared.chunks(prepared.len() / 4 * 2).map(|c| c.to_vec()) {
            let ends = ends.clone();
            tasks.push(tokio::spawn(async move {
                for subs in chunk {
                    submit_to_endpoints(&ends, &subs).await;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let mut kills = 0;
    while !submitter.is_finished() && kills < 4 {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(50..400))).await;
        c.kill(1);
        kills += 1;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..200))).await;
        c.start(1);
    }
    submitter.await.unwrap();
    eprintln!("node 1 killed {kills} times while bids arrived");
    assert!(kills > 0);
    c.wait_healthy(1).await;
    c.close(0);
    // Kill node 0 the moment it starts the clearing, when the status shows
    // it (the clearing of a small market may finish first).
    loop {
        let phase = c.status(0).await["phase"].as_str().unwrap().to_string();
        if phase == "seeded" {
            eprintln!("kill -9 node 0 at phase seeded (clearing)");
            c.kill(0);
            tokio::time::sleep(Duration::from_millis(300)).await;
            c.start(0);
            c.wait_healthy(0).await;
            break;
        }
        if ["cleared", "published"].contains(&phase.as_str()) {
            eprintln!("clearing finished before node 0 could be killed in it");
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Then a follower: kill node 1 while it is still clearing, so the
    // others (possibly done already) must run the clearing again with it.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        let phase = c.status(1).await["phase"].as_str().unwrap().to_string();
        if phase == "seeded" {
            eprintln!("kill -9 node 1 at phase seeded (clearing)");
            c.kill(1);
            tokio::time::sleep(Duration::from_millis(300)).await;
            c.start(1);
            c.wait_healthy(1).await;
            break;
        }
        if ["cleared", "published"].contains(&phase.as_str()) {
            eprintln!("node 1 finished clearing before it could be killed in it");
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Kill node 2 at random moments of the rest.
    for round in 0..3 {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(100..1500))).await;
        let phase = c.status(2).await["phase"].as_str().unwrap().to_string();
        eprintln!("kill -9 node 2 at phase {phase} (round {round})");
        c.kill(2);
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.start(2);
        c.wait_healthy(2).await;
    }
    let bundle = wait_published(&c, 180).await;
    // Every bid all three nodes acknowledged is in the set, newest version.
    assert_eq!(bundle.bid_set.len(), n);
    for e in &bundle.bid_set {
        assert_eq!(e.version, Version(last[&e.bidder].0), "bidder {}", e.bidder);
    }
    let raws = last.into_iter().map(|(b, (_, r))| (b, r)).collect();
    assert_eq!(bundle.outcome, reference(&c, &bundle, &raws));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stays_down_makes_the_others_wait() {
    let _g = SERIAL.lock().await;
    let k = 2;
    let mut c = Cluster::new(6, k);
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let mut last = BTreeMap::new();
    for b in 0..6 {
        let id = bidder_name(b);
        let bid = random_bid(id.clone(), k, b as u64 + 100);
        submit_all(
            &c,
            &prepare_submissions(&c.params, &bid, Version(1), c.key(&id), &mut rng).unwrap(),
        )
        .await;
        last.insert(id, RawBid::from(&bid));
    }
    c.kill(2);
    c.close(0);
    for i in 0..2 {
        let v = c
            .wait_status(i, 30, "waiting for node 2", |v| {
                v["clearing"]["waiting_for"].as_array().is_some_and(|w| {
                    w.iter()
                        .any(|x| x.as_str().unwrap().contains("node 2 (unreachable)"))
                })
            })
            .await;
        assert!(
            v["peers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["node"] == 2 && p["state"] == "unreachable"),
            "{v:#}"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for i in 0..2 {
        let (s, v) = c.get(i, "/v1/outcome").await.unwrap();
        assert_eq!((s, v["code"].as_str().unwrap()), (404, "not_ready"), "{v}");
        assert_eq!(c.status(i).await["phase"], "closed");
    }
    c.start(2);
    let bundle = wait_published(&c, 120).await;
    assert_eq!(bundle.outcome, reference(&c, &bundle, &last));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mismatched_auction_file_is_refused() {
    let _g = SERIAL.lock().await;
    let mut c = Cluster::new(2, 1);
    // Node 2 gets a file whose terms differ (a later close): another
    // auction hash. (Layout and bidders are not terms.)
    let other = c.dir.path().join("auction-other.json");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&c.auction_path).unwrap()).unwrap();
    v["close_unix"] = (v["close_unix"].as_u64().unwrap() + 1).into();
    std::fs::write(&other, serde_json::to_vec(&v).unwrap()).unwrap();
    let cfg = std::fs::read_to_string(&c.nodes[2].config).unwrap();
    let cfg = cfg.replace(c.auction_path.to_str().unwrap(), other.to_str().unwrap());
    std::fs::write(&c.nodes[2].config, cfg).unwrap();
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let v = c
        .wait_status(0, 30, "peer 2 refused", |v| {
            v["peers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["node"] == 2 && p["state"] == "refused")
        })
        .await;
    let p = v["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["node"] == 2)
        .unwrap()
        .clone();
    assert!(
        p["message"]
            .as_str()
            .unwrap()
            .contains("auction file mismatch"),
        "{p}"
    );
    c.close(0);
    c.wait_status(0, 30, "waiting on the refusing node", |v| {
        v["clearing"]["waiting_for"].as_array().is_some_and(|w| {
            w.iter().any(|x| {
                x.as_str()
                    .unwrap()
                    .contains("refuses: auction file mismatch")
            })
        })
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(c.status(0).await["phase"], "closed");
    assert_eq!(c.get(0, "/v1/outcome").await.unwrap().0, 404);
    assert!(c.log(2).contains("auction file mismatch"));
}
