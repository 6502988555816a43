//! `clearing-node` as an operator meets it: the README's steps run exactly
//! as written, and the command line's edges (a bad index, closing a node
//! that never ran, errors printed once and without a backtrace, a closed
//! pipe).

mod common;

use auction::wire::{Version, prepare_submissions};
use auction::{Bid, BidderId, Order, Price, Quantity};
use common::{BIN, bidder_key};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn node(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The shell lines of the README block after `<!-- operator steps -->`,
/// without comments.
fn readme_steps() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let after = text
        .split("<!-- operator steps -->")
        .nth(1)
        .expect("README marks the operator steps");
    let block = after
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block follows the marker");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

struct Background(Vec<Child>);

impl Drop for Background {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_operator_steps_work_as_written() {
    let steps = readme_steps();
    assert!(steps.len() >= 9, "{steps:?}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut background = Background(vec![]);
    let mut inits = Vec::new();
    let (alice, bob) = (
        BidderId("farmer-0001".into()),
        BidderId("farmer-0002".into()),
    );
    let mut submitted = false;
    for line in &steps {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], "clearing-node", "an operator step: {line}");
        let (args, in_background) = match words.last() {
            Some(&"&") => (&words[1..words.len() - 1], true),
            _ => (&words[1..], false),
        };
        if args[0] == "hash" {
            // Step 2, the operators' own: the auction file from what init
            // printed, with the bidders' keys.
            write_auction_file(d, &inits, &[&alice, &bob]);
        }
        if args[0] == "close" && !submitted {
            submit_bids(d, &[(&alice, true), (&bob, false)]).await;
            submitted = true;
        }
        if in_background {
            let log = std::fs::File::create(d.join(format!("{}.log", background.0.len()))).unwrap();
            let child = Command::new(BIN)
                .args(args)
                .current_dir(d)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            background.0.push(child);
            continue;
        }
        // A status right after start may find the node still coming up.
        let mut out = node(d, args);
        for _ in 0..50 {
            if out.status.success() || args[0] != "status" {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
            out = node(d, args);
        }
        assert!(out.status.success(), "{line}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if args[0] == "init" {
            inits.push(text);
        } else if args[0] == "close" {
            assert!(
                text.contains("bidding closed") && text.contains("phase published"),
                "{line}:\n{text}"
            );
        }
    }
    // The published outcome: alice bought 100 from bob.
    let auction = nodes::config::load_auction(&d.join("auction.json")).unwrap();
    let n = auction.node(1);
    // `close --wait` followed node 0 to publication; node 1 publishes once
    // it too holds the three signatures, a moment later at most.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (s, body) = loop {
        let (s, body) = nodes::client::call(n.api, n.cert_fingerprint, "GET", "/v1/outcome", None)
            .await
            .unwrap();
        if s == 200 || std::time::Instant::now() > deadline {
            break (s, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["outcome"]["volume"], 100, "{v:#}");
    assert_eq!(v["outcome"]["allocations"][0]["bidder"], "farmer-0001");
    assert_eq!(v["outcome"]["allocations"][0]["bought"], 100);
}

fn field<'a>(init: &'a str, name: &str) -> &'a str {
    init.lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
        .unwrap_or_else(|| panic!("init printed no {name}: {init}"))
}

fn write_auction_file(d: &Path, inits: &[String], bidders: &[&BidderId]) {
    assert_eq!(inits.len(), 3);
    let nodes: Vec<Value> = (0..3)
        .map(|i| {
            let cfg: toml::Value = toml::from_str(
                &std::fs::read_to_string(d.join(format!("node{i}/node.toml"))).unwrap(),
            )
            .unwrap();
            serde_json::json!({
                "index": i,
                "api": cfg["api_listen"].as_str().unwrap(),
                "peer": cfg["peer_listen"].as_str().unwrap(),
                "public_key": field(&inits[i], "public key:"),
                "cert_fingerprint": field(&inits[i], "cert fingerprint:"),
            })
        })
        .collect();
    let now = nodes::config::now_unix();
    let file = serde_json::json!({
        "auction": {"id": "readme", "max_price": 1000, "max_quantity": 1000, "max_orders_per_side": 2},
        "open": auction::time::rfc3339(now - 60),
        "close": auction::time::rfc3339(now + 3600),
        "nodes": nodes,
        "bidders": bidders.iter().map(|b| serde_json::json!({
            "id": b, "public_key": hex::encode(bidder_key(&b.0).verifying_key().as_bytes())
        })).collect::<Vec<_>>(),
    });
    std::fs::write(
        d.join("auction.json"),
        serde_json::to_vec_pretty(&file).unwrap(),
    )
    .unwrap();
}

async fn submit_bids(d: &Path, bids: &[(&BidderId, bool)]) {
    let auction = nodes::config::load_auction(&d.join("auction.json")).unwrap();
    let order = Order {
        price: Price(500),
        quantity: Quantity(100),
    };
    for (bidder, buys) in bids {
        let bid = Bid {
            bidder: (*bidder).clone(),
            buy: if *buys { vec![order] } else { vec![] },
            sell: if *buys { vec![] } else { vec![order] },
        };
        let subs = prepare_submissions(
            &auction.params,
            &bid,
            Version(1),
            &bidder_key(&bidder.0),
            &mut rand::rngs::OsRng,
        )
        .unwrap();
        for (i, sub) in subs.iter().enumerate() {
            let n = auction.node(i as u8);
            let body = serde_json::to_vec(sub).unwrap();
            let mut tries = 0;
            loop {
                match nodes::client::call(
                    n.api,
                    n.cert_fingerprint,
                    "POST",
                    "/v1/bids",
                    Some(body.clone()),
                )
                .await
                {
                    Ok((200, _)) => break,
                    Ok((s, b)) => panic!("node {i}: {s} {}", String::from_utf8_lossy(&b)),
                    Err(e) => {
                        tries += 1;
                        assert!(tries < 100, "node {i} unreachable: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    }
}

#[test]
fn a_node_index_other_than_0_1_2_is_refused_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let out = node(
        dir.path(),
        &[
            "init",
            "--data",
            "n5",
            "--index",
            "5",
            "--api",
            "127.0.0.1:1",
            "--peer",
            "127.0.0.1:2",
            "--auction",
            "a.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("5 is not in 0..=2"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("n5").exists());
}

#[test]
fn closing_a_node_that_never_ran_says_to_run_it_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = node(
        d,
        &[
            "init",
            "--data",
            "n0",
            "--index",
            "0",
            "--api",
            "127.0.0.1:1",
            "--peer",
            "127.0.0.1:2",
            "--auction",
            "a.json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = node(d, &["close", "--config", "n0/node.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(
        e.contains("the node has not run yet") && e.contains("clearing-node run"),
        "{e}"
    );
    assert!(!d.join("n0/node.db").exists(), "close created a database");
}

#[test]
fn an_error_is_one_line_said_once_without_a_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let out = node(dir.path(), &["run", "--config", "missing.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert_eq!(
        e.trim(),
        "error: reading node config missing.toml: No such file or directory (os error 2)"
    );
    let out = node(dir.path(), &["hash", "missing.json"]);
    let e = stderr(&out);
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");
    assert!(!e.contains("backtrace"), "{e}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = node(
        d,
        &[
            "init",
            "--data",
            "n0",
            "--index",
            "0",
            "--api",
            "127.0.0.1:1",
            "--peer",
            "127.0.0.1:2",
            "--auction",
            "a.json",
        ],
    );
    assert!(out.status.success());
    for args in [
        vec!["init", "--data", "n1"],
        vec!["simulate", "--help"],
        vec!["--help"],
    ] {
        let mut child = Command::new(BIN)
            .args(&args)
            .current_dir(d)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before reading anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let e = stderr(&out);
        assert!(!e.contains("panicked"), "{args:?}: {e}");
        assert!(out.status.success(), "{args:?}: {:?} {e}", out.status);
    }
}
