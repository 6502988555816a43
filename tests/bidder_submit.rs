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
    assert_eq!(code, 2);
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
