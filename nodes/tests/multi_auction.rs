//! One node process serves several auctions: a second auction is added to
//! three running nodes with `clearing-node add` (no restart), both take
//! bids through their own routes, close, and clear at the same time over
//! the same peer links; each outcome equals the reference over its own
//! bids. Also what `add` refuses, and how the operator names an auction.
// Loops over the three nodes index several per-node arrays at once.
#![allow(clippy::needless_range_loop)]

mod common;

use auction::wire::{OutcomeBundle, Submission, prepare_submissions};
use auction::{AuctionParams, MarketFile, RawBid, Seed};
use common::*;
use rand::SeedableRng;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn run(args: &[&str], config: &Path, extra: Option<&Path>) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).arg("--config").arg(config);
    if let Some(p) = extra {
        cmd.arg(p);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn post(c: &Cluster, i: usize, path: &str, sub: &Submission) -> (u16, Value) {
    let n = &c.nodes[i];
    let body = serde_json::to_vec(sub).unwrap();
    let (s, b) = nodes::client::call(n.api, n.fingerprint, "POST", path, Some(body))
        .await
        .unwrap();
    (s, serde_json::from_slice(&b).unwrap())
}

async fn wait_for(
    c: &Cluster,
    i: usize,
    path: &str,
    what: &str,
    f: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok((200, v)) = c.get(i, path).await
            && f(&v)
        {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "node {i}: {what} not reached; log:\n{}",
            c.log(i)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_process_serves_two_auctions_at_once() {
    let k = 2;
    let bidders = 6;
    let mut c = Cluster::new(bidders, k);
    // The second auction: the same three nodes and bidders, other terms.
    let mut file: Value = serde_json::from_slice(&std::fs::read(&c.auction_path).unwrap()).unwrap();
    let second = AuctionParams {
        id: "second auction/2027".into(),
        max_price: 500,
        max_quantity: 800,
        max_orders_per_side: k,
    };
    file["auction"] = serde_json::to_value(&second).unwrap();
    let second_path = c.dir.path().join("second.json");
    std::fs::write(&second_path, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
    let second_info = nodes::config::load_auction(&second_path).unwrap();
    let first_info = nodes::config::load_auction(&c.auction_path).unwrap();

    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    for i in 0..3 {
        let (ok, out, err) = run(&["add"], &c.nodes[i].config, Some(&second_path));
        assert!(ok, "add failed at node {i}: {err}");
        assert!(out.contains("auction second auction/2027 added"), "{out}");
        assert!(out.contains(&format!("node {i}")), "{out}");
        // Adding the same file again changes nothing.
        let (ok, out, _) = run(&["add"], &c.nodes[i].config, Some(&second_path));
        assert!(ok && out.contains("already served, unchanged"), "{out}");
    }
    for i in 0..3 {
        let v = wait_for(&c, i, "/v1/auctions", "two auctions", |v| {
            v["auctions"].as_array().is_some_and(|a| a.len() == 2)
        })
        .await;
        let ids: Vec<&str> = v["auctions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["test-auction", "second auction/2027"]);
    }

    // What `add` refuses: another file with an id already served, and a
    // change of a served auction's terms.
    let mut clash = file.clone();
    clash["auction"]["id"] = "test-auction".into();
    clash["auction"]["max_price"] = 77.into();
    let clash_path = c.dir.path().join("clash.json");
    std::fs::write(&clash_path, serde_json::to_vec(&clash).unwrap()).unwrap();
    let (ok, _, err) = run(&["add"], &c.nodes[0].config, Some(&clash_path));
    assert!(!ok);
    assert!(
        err.contains("already serves an auction with id \"test-auction\""),
        "{err}"
    );

    // Bids to both auctions, each through its own route; the same bidders.
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let first_route = "/v1/auctions/test-auction/bids";
    let second_route = "/v1/auctions/second%20auction%2F2027/bids";
    let mut bids = [Vec::new(), Vec::new()];
    for b in 0..bidders {
        let id = bidder_name(b);
        for (a, (params, route)) in [(&c.params, first_route), (&second, second_route)]
            .into_iter()
            .enumerate()
        {
            let mut bid = random_bid(id.clone(), k, (b * 7 + a) as u64);
            for o in bid.buy.iter_mut().chain(bid.sell.iter_mut()) {
                o.price.0 = o.price.0.min(params.max_price);
                o.quantity.0 = o.quantity.0.min(params.max_quantity);
            }
            let subs = prepare_submissions(
                params,
                &bid,
                auction::wire::Version(1),
                c.key(&id),
                &mut rng,
            )
            .unwrap();
            for i in 0..3 {
                let (s, v) = post(&c, i, route, &subs[i]).await;
                assert_eq!(s, 200, "node {i}, auction {}: {v}", params.id);
            }
            bids[a].push(RawBid::from(&bid));
            // A bid for one auction sent to the other's route is refused.
            if b == 0 {
                let other = if a == 0 { second_route } else { first_route };
                let (s, v) = post(&c, 0, other, &subs[0]).await;
                assert_eq!((s, v["code"].as_str()), (400, Some("wrong_auction")), "{v}");
            }
        }
    }
    let (s, v) = c
        .get(0, "/v1/auctions/no-such-auction/status")
        .await
        .unwrap();
    assert_eq!(
        (s, v["code"].as_str()),
        (404, Some("unknown_auction")),
        "{v}"
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("second auction/2027"),
        "{v}"
    );

    // The operator names the auction; without a name, node.toml's.
    let (ok, out, err) = run(&["auctions", "--json"], &c.nodes[1].config, None);
    assert!(ok, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let (ok, out, err) = run(
        &["status", "--json", "--auction", "second auction/2027"],
        &c.nodes[1].config,
        None,
    );
    assert!(ok, "{err}");
    let st: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(st["auction"], "second auction/2027");
    assert_eq!(st["bids"]["bidders"], bidders as u64);
    assert_eq!(c.operator_status(1)["auction"], "test-auction");

    // Both close at once and clear over the same links.
    for id in ["test-auction", "second auction/2027"] {
        let (ok, out, err) = run(&["close", "--auction", id], &c.nodes[0].config, None);
        assert!(ok, "{err}");
        assert!(out.contains(&format!("auction {id}")), "{out}");
    }
    for (a, (info, route)) in [
        (&first_info, "/v1/auctions/test-auction"),
        (&second_info, "/v1/auctions/second%20auction%2F2027"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut got = Vec::new();
        for i in 0..3 {
            wait_for(&c, i, &format!("{route}/status"), "published", |v| {
                v["phase"] == "published"
            })
            .await;
            let (s, v) = c.get(i, &format!("{route}/outcome")).await.unwrap();
            assert_eq!(s, 200, "{v}");
            got.push(serde_json::from_value::<OutcomeBundle>(v).unwrap());
        }
        assert_eq!(got[0], got[1]);
        assert_eq!(got[1], got[2]);
        let bundle = &got[0];
        bundle.verify(&info.trusted()).unwrap();
        assert_eq!(bundle.auction_hash, info.hash);
        let seed = Seed(
            hex::decode(&bundle.outcome.seed)
                .unwrap()
                .try_into()
                .unwrap(),
        );
        let market = MarketFile {
            auction: info.params.clone(),
            seed,
            bids: bids[a].clone(),
        };
        assert_eq!(bundle.outcome, auction::reference::clear_market(&market));
    }
    // The unprefixed routes still address node.toml's auction.
    let (_, v) = c.get(2, "/v1/status").await.unwrap();
    assert_eq!(v["auction"], "test-auction");
    // The added auction keeps its files in its own private folder.
    let folder = c.nodes[0]
        .data
        .join("auctions")
        .join(second_info.hash.to_hex());
    assert!(folder.join("node.db").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&folder.join("node.db")), 0o600);
    }
}
