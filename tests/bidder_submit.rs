//! `bidder submit` with one node down: it retries that node, then says
//! that only two nodes acknowledged and exits with code 3. Once the node is
//! back, running the command again sends a new version to all three, and
//! that version is the one in the agreed bid set. `bidder result` and
//! `auditor verify --receipts` then check out, and `bidder check` shows the
//! curves or names what is wrong.

mod demo_common;

use demo_common::{client_bin, demo};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Nodes {
    configs: Vec<PathBuf>,
    children: Vec<Option<Child>>,
}

impl Nodes {
    fn start(&mut self, i: usize) {
        let log = std::fs::File::create(self.configs[i].with_file_name("log.txt")).unwrap();
        let c = Command::new(demo())
            .arg("node")
            .arg("--config")
            .arg(&self.configs[i])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children[i] = Some(c);
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for c in self.children.iter_mut().flatten() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn run(bin: &Path, args: &[&str], dir: &Path) -> (i32, Value, String) {
    let out: Output = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::String(stdout.clone()));
    (out.status.code().unwrap_or(-1), json, stderr)
}

#[test]
fn submit_with_a_node_down_then_again_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let prep = Command::new(demo())
        .args(["prepare", "--bidders", "2", "--k", "2"])
        .arg(d)
        .output()
        .unwrap();
    assert!(
        prep.status.success(),
        "{}",
        String::from_utf8_lossy(&prep.stderr)
    );
    let bidder = client_bin("bidder");
    let auditor = client_bin("auditor");
    std::fs::write(
        d.join("buy.csv"),
        "side,price,quantity\nbuy,600,10\nbuy,400,5\n",
    )
    .unwrap();
    std::fs::write(
        d.join("sell.json"),
        r#"{"sell_curve": [{"price": 300, "total": 8}, {"price": 500, "total": 12}]}"#,
    )
    .unwrap();
    std::fs::write(d.join("bad.csv"), "buy,600,10\nsell,1001,1\n").unwrap();

    // check: the table, and the bad bid named precisely.
    let (code, v, _) = run(
        &bidder,
        &[
            "check",
            "sell.json",
            "--auction",
            "auction.json",
            "--key",
            "bidder-0001.key.json",
            "--json",
        ],
        d,
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v["bid"]["sell"],
        serde_json::json!([{"price": 300, "quantity": 8}, {"price": 500, "quantity": 4}])
    );
    let (code, _, err) = run(
        &bidder,
        &[
            "check",
            "bad.csv",
            "--auction",
            "auction.json",
            "--bidder",
            "bidder-0000",
        ],
        d,
    );
    assert_eq!(code, 6, "an invalid bid has its own exit code: {err}");
    assert!(
        err.contains("bidder-0000: sell order in slot 0: price 1001 is outside 0..=1000"),
        "{err}"
    );

    let configs: Vec<PathBuf> = (0..3)
        .map(|i| d.join(format!("node{i}/node.toml")))
        .collect();
    let mut nodes = Nodes {
        configs,
        children: vec![None, None, None],
    };
    nodes.start(0);
    nodes.start(1);

    // Node 2 is down: retried, then reported; exit code 3.
    let submit = |bid: &str, key: &str| {
        run(
            &bidder,
            &[
                "submit",
                bid,
                "--auction",
                "auction.json",
                "--key",
                key,
                "--receipts",
                "receipts",
                "--attempts",
                "3",
                "--retry-delay-ms",
                "50",
                "--json",
            ],
            d,
        )
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let (code, v, err) = loop {
        let r = submit("buy.csv", "bidder-0000.key.json");
        // Until nodes 0 and 1 listen, fewer than two acknowledge.
        if r.1["acknowledged"] == 2 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(code, 3, "{v}\n{err}");
    assert_eq!(v["acknowledged"], 2, "{v}");
    assert_eq!(v["complete"], false);
    assert_eq!(v["nodes"][2]["state"], "unreachable", "{v}");
    assert!(
        err.contains("node 2: attempt 1 failed") && err.contains("node 2: attempt 2 failed"),
        "{err}"
    );
    assert!(err.contains("gave up after 3 attempts"), "{err}");
    let first_version = v["version"].as_u64().unwrap();

    // The node is back: the rerun sends a newer version to all three.
    nodes.start(2);
    let deadline = Instant::now() + Duration::from_secs(30);
    let (code, v, err) = loop {
        let r = submit("buy.csv", "bidder-0000.key.json");
        if r.0 == 0 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(code, 0, "{v}\n{err}");
    assert_eq!(v["acknowledged"], 3);
    let version = v["version"].as_u64().unwrap();
    assert!(version > first_version);
    let (code, v, err) = submit("sell.json", "bidder-0001.key.json");
    assert_eq!(code, 0, "{v}\n{err}");

    // Close at every node, wait for the outcome.
    for i in 0..3 {
        nodes::store::close_from_outside(&d.join(format!("node{i}/node.db"))).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let (code, v, err) = loop {
        let r = run(
            &bidder,
            &[
                "result",
                "--auction",
                "auction.json",
                "--key",
                "bidder-0000.key.json",
                "--bid",
                "buy.csv",
                "--json",
            ],
            d,
        );
        if r.0 != 3 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(code, 0, "{v}\n{err}");
    // Buys 10 at <= 600 and 5 at <= 400; sells 8 at >= 300 and 4 more at
    // >= 500. V is 10 on [500, 600] with supply ahead: sell pressure, 500.
    assert_eq!(v["price"], 500, "{v}");
    assert_eq!(v["volume"], 10);
    assert_eq!(v["allocation"]["bought"], 10);
    assert!(v["excluded"].is_null());
    assert!(v["check"]["failures"].as_array().unwrap().is_empty());

    // After the close every node refuses: exit code 5, nothing to retry.
    let (code, v, err) = submit("buy.csv", "bidder-0000.key.json");
    assert_eq!(code, 5, "{v}\n{err}");
    for i in 0..3 {
        assert_eq!(v["nodes"][i]["state"], "refused", "{v}");
        assert!(
            v["nodes"][i]["detail"]
                .as_str()
                .unwrap()
                .contains("auction_closed"),
            "{v}"
        );
    }

    // The auditor fetches from the nodes: the set holds the rerun's version,
    // every receipt is accounted for.
    let (code, v, err) = run(
        &auditor,
        &[
            "verify",
            "--auction",
            "auction.json",
            "--receipts",
            "receipts",
            "--json",
        ],
        d,
    );
    assert_eq!(code, 0, "{v}\n{err}");
    assert_eq!(v["passed"], true);
    let receipts = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "receipts")
        .unwrap();
    assert!(
        receipts["detail"]
            .as_str()
            .unwrap()
            .starts_with("8 receipts"),
        "{receipts}"
    );
    // Two receipts of the first version, three of the rerun, three of the sell.
    assert_eq!(std::fs::read_dir(d.join("receipts")).unwrap().count(), 8);
    let (code, v, err) = run(
        &bidder,
        &[
            "result",
            "--auction",
            "auction.json",
            "--key",
            "bidder-0001.key.json",
            "--bid",
            "sell.json",
            "--json",
        ],
        d,
    );
    assert_eq!(code, 0, "{v}\n{err}");
    assert_eq!(v["allocation"]["sold"], 10);
    assert_eq!(v["check"]["sell_eligible"], 12);
}

fn prepare(d: &Path, bidders: &str) {
    let prep = Command::new(demo())
        .args(["prepare", "--bidders", bidders, "--k", "2"])
        .arg(d)
        .output()
        .unwrap();
    assert!(
        prep.status.success(),
        "{}",
        String::from_utf8_lossy(&prep.stderr)
    );
}

fn node_configs(d: &Path) -> Nodes {
    Nodes {
        configs: (0..3)
            .map(|i| d.join(format!("node{i}/node.toml")))
            .collect(),
        children: vec![None, None, None],
    }
}

fn submit_args<'a>(bid: &'a str, key: &'a str, receipts: &'a str) -> Vec<&'a str> {
    vec![
        "submit",
        bid,
        "--auction",
        "auction.json",
        "--key",
        key,
        "--receipts",
        receipts,
        "--attempts",
        "2",
        "--retry-delay-ms",
        "50",
    ]
}

/// Runs `bidder` until `done` holds for its answer (nodes take a moment to
/// listen), at most 30 s.
fn run_until(
    bin: &Path,
    args: &[&str],
    d: &Path,
    done: impl Fn(&(i32, Value, String)) -> bool,
) -> (i32, Value, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = run(bin, args, d);
        if done(&r) || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn result<'a>(key: &'a str, bid: &'a str, json: bool) -> Vec<&'a str> {
    let mut args = vec![
        "result",
        "--auction",
        "auction.json",
        "--key",
        key,
        "--bid",
        bid,
    ];
    if json {
        args.push("--json");
    }
    args
}

/// A lost receipts folder: `bidder submit` learns the held version from the
/// nodes' `stale_version` refusal and sends the next one, saying so. After
/// the close, `bidder result` names the version that counted, and a bid the
/// outcome excludes gets exit code 7 with the published reason and what to
/// do about it, never an explanation as rationing.
#[test]
fn lost_receipts_are_recovered_and_exclusions_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    prepare(d, "3");
    let bidder = client_bin("bidder");
    std::fs::write(d.join("buy.csv"), "buy,600,10\nbuy,400,5\n").unwrap();
    std::fs::write(d.join("sell.csv"), "sell,300,8\nsell,500,4\n").unwrap();
    let mut nodes = node_configs(d);

    // bidder-0001's only version reaches nodes 0 and 1: node 2 is down.
    nodes.start(0);
    nodes.start(1);
    let mut args = submit_args("sell.csv", "bidder-0001.key.json", "receipts");
    args.extend(["--json"]);
    let (code, v, err) = run_until(&bidder, &args, d, |r| r.1["acknowledged"] == 2);
    assert_eq!(code, 3, "{v}\n{err}");
    nodes.start(2);

    // bidder-0000 sends version 1, then loses its receipts folder.
    let mut args = submit_args("buy.csv", "bidder-0000.key.json", "receipts");
    args.extend(["--json"]);
    let (code, v, err) = run_until(&bidder, &args, d, |r| r.0 == 0);
    assert_eq!(code, 0, "{v}\n{err}");
    assert_eq!(v["version"], 1, "{v}");
    let args = submit_args("buy.csv", "bidder-0000.key.json", "lost");
    let (code, out, err) = run(&bidder, &args, d);
    assert_eq!(
        code, 0,
        "the rerun must find the next version itself\n{out}\n{err}"
    );
    assert!(
        err.contains("nodes 0, 1 and 2 already hold version 1 of this bid")
            && err.contains("sending version 2 to all three nodes"),
        "{err}"
    );
    let out = out.as_str().unwrap();
    assert!(
        out.contains("all three nodes acknowledged version 2"),
        "{out}"
    );
    let mut args = submit_args("buy.csv", "bidder-0000.key.json", "lost");
    args.extend(["--json"]);
    let (code, v, err) = run(&bidder, &args, d);
    assert_eq!(code, 0, "{v}\n{err}");
    assert_eq!(
        v["version"], 3,
        "the receipts of version 2 are in lost/: {v}"
    );

    // bidder-0002's bid is out of range: sent as a faulty client would.
    let info = bidder_client::auction_file::load(&d.join("auction.json")).unwrap();
    let key = bidder_client::keys::BidderKey::load(&d.join("bidder-0002.key.json")).unwrap();
    let raw = auction::RawBid {
        bidder: key.bidder.clone(),
        buy: vec![auction::RawOrder {
            price: 1001,
            quantity: 3,
        }],
        sell: vec![],
    };
    let subs = bidder_client::submit::share_raw(
        &info.params,
        &raw,
        auction::wire::Version::FIRST,
        &key.signing,
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt.block_on(bidder_client::submit::submit(
        &bidder_client::submit::node_apis(&info),
        &info,
        &subs,
        bidder_client::submit::RetryPolicy::default(),
        &|_| {},
    ));
    assert!(report.complete(), "{report:?}");

    for i in 0..3 {
        nodes::store::close_from_outside(&d.join(format!("node{i}/node.db"))).unwrap();
    }
    let args = result("bidder-0000.key.json", "buy.csv", true);
    let deadline = Instant::now() + Duration::from_secs(120);
    let (code, v, err) = loop {
        let r = run(&bidder, &args, d);
        if r.0 != 3 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(code, 0, "{v}\n{err}");
    assert_eq!(v["version"], 3, "{v}");
    let (code, out, err) = run(
        &bidder,
        &result("bidder-0000.key.json", "buy.csv", false),
        d,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.as_str().unwrap().contains("version 3"), "{out}");

    // The out-of-range bid: excluded as `invalid bid`; `bidder check` is
    // what names the value.
    let (code, out, err) = run(
        &bidder,
        &result("bidder-0002.key.json", "buy.csv", false),
        d,
    );
    let out = out.as_str().unwrap();
    assert_eq!(code, 7, "{out}\n{err}");
    assert!(
        out.contains("EXCLUDED") && out.contains("invalid bid") && out.contains("bidder check"),
        "{out}"
    );
    assert!(!out.contains("rationed"), "{out}");
    let (code, v, _) = run(&bidder, &result("bidder-0002.key.json", "buy.csv", true), d);
    assert_eq!(code, 7);
    assert_eq!(v["excluded"], "invalid bid", "{v}");
    assert!(v["check"].is_null(), "{v}");
    assert!(
        v["advice"].as_str().unwrap().contains("bidder check"),
        "{v}"
    );

    // The bid that reached two nodes: the nodes' reason, and what to do.
    let (code, out, err) = run(
        &bidder,
        &result("bidder-0001.key.json", "sell.csv", false),
        d,
    );
    let out = out.as_str().unwrap();
    assert_eq!(code, 7, "{out}\n{err}");
    assert!(
        out.contains("EXCLUDED") && out.contains("no version held by all three nodes"),
        "{out}"
    );
    assert!(
        out.contains("all three nodes acknowledged") && out.contains("auditor verify --receipts"),
        "{out}"
    );
    assert!(!out.contains("rationed"), "{out}");
}

/// A node that serves another auction file signs receipts with that file's
/// hash: `bidder submit` names the node and both hashes and says that
/// running again will not help, instead of advising to run again.
#[test]
fn a_node_with_another_auction_file_is_named_and_rerunning_is_not_advised() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    prepare(d, "1");
    let bidder = client_bin("bidder");
    std::fs::write(d.join("buy.csv"), "buy,600,10\n").unwrap();
    // Node 2's operator has a file that closes a second later: other terms,
    // another auction hash.
    let mut other: Value =
        serde_json::from_slice(&std::fs::read(d.join("auction.json")).unwrap()).unwrap();
    other["close_unix"] = (other["close_unix"].as_u64().unwrap() + 1).into();
    let other_path = d.join("node2/auction-other.json");
    std::fs::write(&other_path, serde_json::to_vec_pretty(&other).unwrap()).unwrap();
    let config = d.join("node2/node.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    let ours = d.join("auction.json");
    let ours_toml = serde_json::to_string(&ours.to_string_lossy()).unwrap();
    assert!(toml.contains(&ours_toml), "{toml}");
    let theirs_toml = serde_json::to_string(&other_path.to_string_lossy()).unwrap();
    std::fs::write(&config, toml.replace(&ours_toml, &theirs_toml)).unwrap();
    let hash = |p: &Path| {
        bidder_client::auction_file::load(p)
            .unwrap()
            .hash
            .to_string()
    };
    let (ours_hash, theirs_hash) = (hash(&ours), hash(&other_path));
    assert_ne!(ours_hash, theirs_hash);

    let mut nodes = node_configs(d);
    for i in 0..3 {
        nodes.start(i);
    }
    let mut args = submit_args("buy.csv", "bidder-0000.key.json", "receipts");
    args.extend(["--json"]);
    let (code, v, err) = run_until(&bidder, &args, d, |r| r.1["acknowledged"] == 2);
    assert_eq!(code, 4, "{v}\n{err}");
    assert_eq!(v["nodes"][2]["state"], "bad_receipt", "{v}");
    let detail = v["nodes"][2]["detail"].as_str().unwrap();
    assert!(
        detail.contains("node 2 serves a different auction file")
            && detail.contains(&theirs_hash)
            && detail.contains(&ours_hash),
        "{detail}"
    );
    let advice = v["advice"].as_str().unwrap();
    assert!(
        advice.contains("will not help") && advice.contains("operator"),
        "{advice}"
    );

    let args = submit_args("buy.csv", "bidder-0000.key.json", "receipts");
    let (code, out, err) = run(&bidder, &args, d);
    let out = out.as_str().unwrap();
    assert_eq!(code, 4, "{out}\n{err}");
    assert!(
        out.contains("node 2 serves a different auction file")
            && out.contains(&theirs_hash)
            && out.contains(&ours_hash)
            && out.contains("will not help")
            && out.contains("operator of node 2"),
        "{out}"
    );
    assert!(!out.contains("run this command again"), "{out}");
}
