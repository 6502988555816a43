//! Bidders registered while the auction runs: added to the auction file,
//! taken by the running nodes without a restart and without losing a bid;
//! a change other than an addition refused; registries that differ at the
//! close named, and agreed once the files agree.

mod common;

use auction::wire::{Version, prepare_submissions};
use auction::{Bid, BidderId, Order, Price, Quantity};
use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

fn register(path: &Path, ids: &[&str]) {
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for id in ids {
        v["bidders"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "id": id, "public_key": hex::encode(bidder_key(id).verifying_key().as_bytes())
            }));
    }
    // Written in another layout than before: only the contents count.
    std::fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}

fn bid(id: &str, buys: bool, price: u32) -> Bid {
    let o = vec![Order {
        price: Price(price),
        quantity: Quantity(10),
    }];
    Bid {
        bidder: BidderId(id.into()),
        buy: if buys { o.clone() } else { vec![] },
        sell: if buys { vec![] } else { o },
    }
}

async fn send(c: &Cluster, b: &Bid, to: &[usize]) -> Vec<(u16, Value)> {
    let subs = prepare_submissions(
        &c.params,
        b,
        Version(1),
        &bidder_key(&b.bidder.0),
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    let mut out = vec![];
    for &i in to {
        out.push(c.submit_to(i, &subs[i]).await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bidders_registered_until_the_close_without_a_restart() {
    let mut c = Cluster::new(2, 1);
    // Node 2 reads its own copy of the auction file.
    let own = c.dir.path().join("auction-node2.json");
    std::fs::copy(&c.auction_path, &own).unwrap();
    let cfg = c.nodes[2].config.clone();
    let text = std::fs::read_to_string(&cfg).unwrap();
    let shared = c.auction_path.display().to_string();
    assert!(text.contains(&shared), "{text}");
    std::fs::write(&cfg, text.replace(&shared, &own.display().to_string())).unwrap();
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let alice = bidder_name(0).0;
    let bob = bidder_name(1).0;
    for (status, v) in send(&c, &bid(&alice, true, 500), &[0, 1, 2]).await {
        assert_eq!(status, 200, "{v}");
    }

    // Carol is registered at all three nodes while they run.
    register(&c.auction_path, &["carol"]);
    register(&own, &["carol"]);
    for (status, v) in send(&c, &bid("carol", true, 400), &[0, 1, 2]).await {
        assert_eq!(status, 200, "{v}");
    }
    // The nodes serve the file with carol in it.
    let (_, served) = c.get(2, "/v1/auction").await.unwrap();
    assert!(served.to_string().contains("carol"));
    assert_eq!(c.status(0).await["registry"]["bidders"], 3);

    // A change of the terms is refused; the registry stays.
    let before = std::fs::read(&own).unwrap();
    let mut v: Value = serde_json::from_slice(&before).unwrap();
    v["close_unix"] = (v["close_unix"].as_u64().unwrap() + 60).into();
    v["bidders"].as_array_mut().unwrap().pop();
    std::fs::write(&own, serde_json::to_vec(&v).unwrap()).unwrap();
    let (status, body) = send(&c, &bid("zed", true, 1), &[2]).await.remove(0);
    assert_eq!(status, 403, "{body}");
    let st = c.status(2).await;
    let problem = st["registry"]["problem"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(problem.contains("terms changed"), "{st:#}");
    assert_eq!(st["registry"]["bidders"], 3, "{st:#}");
    std::fs::write(&own, &before).unwrap();

    // Dave is registered at nodes 0 and 1 only.
    register(&c.auction_path, &["dave"]);
    let got = send(&c, &bid("dave", false, 300), &[0, 1, 2]).await;
    assert_eq!((got[0].0, got[1].0), (200, 200));
    assert_eq!(got[2].0, 403, "{}", got[2].1);
    assert_eq!(got[2].1["code"], "unknown_bidder");
    for (status, v) in send(&c, &bid(&bob, false, 300), &[0, 1, 2]).await {
        assert_eq!(status, 200, "{v}");
    }

    // At the close the registries differ, and the status says how.
    c.close(0);
    let v = c
        .wait_status(0, 30, "registries compared", |v| {
            v["clearing"]["problem"]
                .as_str()
                .is_some_and(|p| p.contains("bidder registries differ"))
        })
        .await;
    let p = v["clearing"]["problem"].as_str().unwrap();
    assert!(
        p.contains("node 0 has 4 bidders") && p.contains("node 2 has 3 bidders"),
        "{p}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(c.status(0).await["phase"], "closed");

    // Node 2's operator adds dave: the three agree and clear. Dave's bid
    // reached two nodes only, so it is excluded; nothing else was lost.
    register(&own, &["dave"]);
    for i in 0..3 {
        c.wait_status(i, 120, "published", |v| v["phase"] == "published")
            .await;
    }
    let (_, b) = c.get(1, "/v1/outcome").await.unwrap();
    let bundle: auction::wire::OutcomeBundle = serde_json::from_value(b).unwrap();
    let set: Vec<&str> = bundle.bid_set.iter().map(|e| e.bidder.0.as_str()).collect();
    assert_eq!(set, vec![alice.as_str(), bob.as_str(), "carol"]);
    assert_eq!(bundle.outcome.excluded.len(), 1);
    assert_eq!(bundle.outcome.excluded[0].bidder.0, "dave");
    assert_eq!(bundle.outcome.volume.0, 10);
    let info = nodes::config::load_auction(&c.auction_path).unwrap();
    bundle.verify(&info.trusted()).unwrap();
    // After the close the file no longer changes the registry.
    register(&c.auction_path, &["erin"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(c.status(0).await["registry"]["bidders"], 4);
}
