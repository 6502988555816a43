//! One node's secrecy and robustness, with three real node processes on
//! 127.0.0.1-3: the data folder and secret files are the operator's alone
//! and checked at start; the public status hides the bid counts while
//! bidding is open and the operator's `status` shows them; versions at or
//! above 2^63 are refused; a damaged share bundle halts the node with a
//! clear status instead of a retry loop, also across a restart, until the
//! operator repairs it and runs `resume`.

mod common;

use auction::BidderId;
use auction::wire::{OutcomeBundle, Version, prepare_submissions};
use common::*;
use rand::SeedableRng;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Heavy tests one at a time: the machine has two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn chmod(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// Runs `clearing-node run` for node `i`, expecting it to refuse to start;
/// returns what it printed.
fn run_refused(c: &Cluster, i: usize) -> String {
    let child = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&c.nodes[i].config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !waiter.is_finished() {
        if Instant::now() > deadline {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("node {i} started although its files are open to others");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = waiter.join().unwrap();
    assert!(!out.status.success(), "node {i} ran");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Submits a bid version to all three nodes.
async fn submit(c: &Cluster, b: usize, version: u64, rng: &mut rand::rngs::StdRng) {
    let id = bidder_name(b);
    let bid = random_bid(
        id.clone(),
        c.params.max_orders_per_side,
        b as u64 * 31 + version,
    );
    let subs = prepare_submissions(&c.params, &bid, Version(version), c.key(&id), rng).unwrap();
    for (i, sub) in subs.iter().enumerate() {
        let (s, v) = c.submit_to(i, sub).await.unwrap();
        assert_eq!(s, 200, "node {i}, bidder {b} version {version}: {v}");
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
    bundles.pop().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_private_counts_are_the_operators_and_huge_versions_are_refused() {
    let _g = SERIAL.lock().await;
    let k = 2;
    let mut c = Cluster::new(3, k);
    for n in &c.nodes {
        assert_eq!(mode(&n.data), 0o700, "data folder after init");
        assert_eq!(mode(&n.data.join("identity.key")), 0o600);
        assert_eq!(mode(&n.data.join("tls.key")), 0o600);
    }
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    submit(&c, 0, 1, &mut rng).await;
    submit(&c, 0, 2, &mut rng).await;
    submit(&c, 1, 1, &mut rng).await;

    // While bidding is open the public status says the phase and the close
    // time, but not how many have bid.
    for i in 0..3 {
        let v = c.status(i).await;
        assert_eq!(v["phase"], "collecting", "{v:#}");
        assert!(v["close_unix"].as_u64().unwrap() > v["now_unix"].as_u64().unwrap());
        assert!(v.get("bids").is_none(), "public status shows counts: {v:#}");
        let text = v.to_string();
        assert!(!text.contains("versions"), "{text}");
        assert!(!text.contains("bidder-0000"), "{text}");
    }
    // The operator's status does.
    let op = c.operator_status(0);
    assert_eq!(op["phase"], "collecting", "{op:#}");
    assert_eq!(op["bids"]["bidders"], 2, "{op:#}");
    assert_eq!(op["bids"]["versions"], 3, "{op:#}");
    assert_eq!(op["bids"]["held"][0]["bidder"], "bidder-0000");
    assert_eq!(op["bids"]["held"][0]["versions"], serde_json::json!([1, 2]));
    assert_eq!(op["running"]["answering"], true, "{op:#}");
    assert_eq!(op["clearing"]["step"], "collecting", "{op:#}");
    assert_eq!(op["peers"].as_array().unwrap().len(), 2, "{op:#}");
    let text = Command::new(BIN)
        .args(["status", "--config"])
        .arg(&c.nodes[0].config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("bids held:  2 bidders, 3 versions"), "{text}");

    // Versions at or above 2^63 are refused and change nothing.
    let bob = bidder_name(2);
    let bid = random_bid(bob.clone(), k, 5);
    for v in [1u64 << 63, u64::MAX] {
        let subs = prepare_submissions(&c.params, &bid, Version(v), c.key(&bob), &mut rng).unwrap();
        let (s, body) = c.submit_to(0, &subs[0]).await.unwrap();
        assert_eq!(s, 400, "{body}");
        assert_eq!(body["code"], "bad_version", "{body}");
        assert_eq!(
            body["message"],
            format!("version must be below 2^63 (9223372036854775808), got {v}")
        );
    }
    let op = c.operator_status(0);
    assert_eq!(
        (
            op["bids"]["bidders"].as_u64(),
            op["bids"]["versions"].as_u64()
        ),
        (Some(2), Some(3)),
        "a refused version was stored: {op:#}"
    );
    // Later valid versions are taken, up to 2^63 - 1; 2^63 stays refused
    // (not as stale: it is never compared with what is held).
    submit(&c, 2, 3, &mut rng).await;
    submit(&c, 2, i64::MAX as u64, &mut rng).await;
    let subs =
        prepare_submissions(&c.params, &bid, Version(1 << 63), c.key(&bob), &mut rng).unwrap();
    let (s, body) = c.submit_to(1, &subs[1]).await.unwrap();
    assert_eq!(
        (s, body["code"].as_str()),
        (400, Some("bad_version")),
        "{body}"
    );
    let op = c.operator_status(1);
    assert_eq!(op["bids"]["versions"], 5, "{op:#}");

    // The database and its -wal and -shm files, while the node runs.
    for n in &c.nodes {
        for f in ["node.db", "node.db-wal", "node.db-shm"] {
            assert_eq!(mode(&n.data.join(f)), 0o600, "{f} of {}", n.data.display());
        }
    }

    // After the close the counts may be public; the auction clears with
    // the version 2^63 - 1.
    c.close(0);
    let bundle = wait_published(&c, 120).await;
    let e = bundle
        .bid_set
        .iter()
        .find(|e| e.bidder == BidderId("bidder-0002".into()))
        .unwrap();
    assert_eq!(e.version, Version(i64::MAX as u64));
    let v = c.status(2).await;
    assert_eq!(v["bids"]["bidders"], 3, "{v:#}");
    assert_eq!(v["bids"]["versions"], 5, "{v:#}");

    // The operator's status works while the node is down.
    c.kill(0);
    let op = c.operator_status(0);
    assert_eq!(op["phase"], "published", "{op:#}");
    assert_eq!(op["running"]["answering"], false, "{op:#}");
    assert_eq!(op["bids"]["versions"], 5, "{op:#}");
    assert_eq!(op["agreed"]["bids"], 3, "{op:#}");

    let data = c.nodes[0].data.clone();
    for f in [
        "node.db",
        "node.db-wal",
        "node.db-shm",
        "identity.key",
        "tls.key",
    ] {
        let p = data.join(f);
        if p.exists() || !f.starts_with("node.db-") {
            assert_eq!(mode(&p), 0o600, "{f} after running");
        }
    }
    assert_eq!(mode(&data), 0o700);

    // A key others can read: the node refuses to start, and says how to fix it.
    let key = data.join("identity.key");
    chmod(&key, 0o644);
    let err = run_refused(&c, 0);
    assert!(
        err.contains(&format!("{} has mode 0644", key.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("chmod 600 {}", key.display())),
        "{err}"
    );
    chmod(&key, 0o600);
    // A data folder others can read.
    chmod(&data, 0o755);
    let err = run_refused(&c, 0);
    assert!(
        err.contains(&format!("{} has mode 0755", data.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("chmod 700 {}", data.display())),
        "{err}"
    );
    chmod(&data, 0o700);
    // A database others can write.
    let db = data.join("node.db");
    chmod(&db, 0o620);
    let err = run_refused(&c, 0);
    assert!(
        err.contains(&format!("chmod 600 {}", db.display())),
        "{err}"
    );
    chmod(&db, 0o600);
    // Repaired: it runs again.
    c.start(0);
    c.wait_healthy(0).await;
    assert_eq!(c.status(0).await["phase"], "published");
}

fn halted(v: &Value) -> bool {
    v["clearing"]["halted"] == true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_share_bundle_halts_the_node_until_repaired() {
    let _g = SERIAL.lock().await;
    let mut c = Cluster::new(3, 2);
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(22);
    for b in 0..3 {
        submit(&c, b, 1, &mut rng).await;
    }
    // Node 2 is down at the close; meanwhile one share component in its
    // database becomes unreadable.
    c.kill(2);
    c.close(0);
    let db = c.nodes[2].data.join("node.db");
    let saved: Vec<u8> = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let saved = conn
            .query_row(
                "SELECT own FROM bids WHERE bidder = 'bidder-0001'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute(
            "UPDATE bids SET own = 'damaged' WHERE bidder = 'bidder-0001'",
            [],
        )
        .unwrap();
        saved
    };
    c.start(2);
    let v = c.wait_status(2, 60, "halted", halted).await;
    let problem = v["clearing"]["problem"].as_str().unwrap();
    assert!(problem.contains("halted at phase closed"), "{problem}");
    assert!(problem.contains("own"), "{problem}");
    assert!(problem.contains("clearing-node resume"), "{problem}");
    assert_eq!(v["phase"], "closed", "{v:#}");
    assert_eq!(v["clearing"]["waiting_for"], serde_json::json!([]), "{v:#}");
    // The peers wait for it and say why.
    c.wait_status(0, 30, "node 2 shown halted", |v| {
        v["clearing"]["waiting_for"].as_array().is_some_and(|w| {
            w.iter()
                .any(|x| x.as_str().unwrap().contains("node 2 (at phase halted: "))
        })
    })
    .await;
    // It does not retry: logged once, still halted a while later.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let log = c.log(2);
    assert_eq!(log.matches("this node halts").count(), 1, "{log}");
    assert!(!log.contains("step failed; retrying"), "{log}");
    assert!(halted(&c.status(2).await));

    // The halt is in the database: the operator sees it with the node
    // down, and a restart does not retry either.
    c.kill(2);
    let op = c.operator_status(2);
    assert_eq!(op["running"]["answering"], false, "{op:#}");
    assert_eq!(op["clearing"]["halted"], true, "{op:#}");
    assert_eq!(op["halted"]["phase"], "closed", "{op:#}");
    assert!(
        op["halted"]["reason"].as_str().unwrap().contains("own"),
        "{op:#}"
    );
    c.start(2);
    c.wait_healthy(2).await;
    let v = c.status(2).await;
    assert!(halted(&v), "{v:#}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let log = c.log(2);
    assert_eq!(log.matches("this node halts").count(), 1, "{log}");
    assert!(log.contains("halted before and does not continue"), "{log}");
    assert_eq!(c.status(2).await["phase"], "closed");

    // Repaired and resumed, it takes part again and the auction clears.
    c.kill(2);
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "UPDATE bids SET own = ?1 WHERE bidder = 'bidder-0001'",
            [&saved],
        )
        .unwrap();
    }
    let out = Command::new(BIN)
        .args(["resume", "--config"])
        .arg(&c.nodes[2].config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("the halt at phase closed is lifted"),
        "{said}"
    );
    c.start(2);
    let bundle = wait_published(&c, 120).await;
    assert_eq!(bundle.bid_set.len(), 3);
    assert!(
        bundle.outcome.excluded.is_empty(),
        "{:?}",
        bundle.outcome.excluded
    );
}
