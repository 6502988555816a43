//! `bidder` and `auditor` with standard output (and standard error) a pipe
//! whose reader has already gone, as in `auditor verify --json | head`:
//! no panic, and the exit code the command has with a reader.

use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};

const BIDDER: &str = env!("CARGO_BIN_EXE_bidder");
const AUDITOR: &str = env!("CARGO_BIN_EXE_auditor");

/// The write end of a pipe whose read end is closed: the read end is the
/// standard input of a process that has already exited, so a write fails
/// with a broken pipe every time, not only when the reader is quick.
fn closed_pipe() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let write_end = reader.stdin.take().unwrap();
    assert!(reader.wait().unwrap().success());
    Stdio::from(write_end)
}

/// Runs a program with a closed standard output; returns its exit code and
/// standard error.
fn run_closed(bin: &str, args: &[&str], dir: &Path) -> (Option<i32>, String) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_clean(what: &str, got: (Option<i32>, String), code: i32) {
    let (status, err) = got;
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{what}: {err}"
    );
    assert_eq!(status, Some(code), "{what}: {err}");
}

fn files(d: &Path) {
    std::fs::write(d.join("bid.csv"), "buy,600,10\nsell,700,5\n").unwrap();
    let nodes: Vec<_> = (0..3u8)
        .map(|i| {
            let key = ed25519_dalek::SigningKey::from_bytes(&[i + 1; 32]);
            json!({"index": i, "api": format!("127.0.0.{}:1", i + 1),
                   "peer": format!("127.0.0.{}:2", i + 1),
                   "public_key": hex::encode(key.verifying_key().as_bytes()),
                   "cert_fingerprint": "11".repeat(32)})
        })
        .collect();
    let auction = json!({
        "auction": {"id": "pipe", "max_price": 1000, "max_quantity": 1000, "max_orders_per_side": 4},
        "open_unix": 1, "close_unix": 2, "nodes": nodes, "bidders": [],
    });
    std::fs::write(d.join("auction.json"), auction.to_string()).unwrap();
    let market = json!({
        "auction": {"id": "pipe", "max_price": 1000, "max_quantity": 1000, "max_orders_per_side": 4},
        "seed": "00".repeat(32),
        "bids": [{"bidder": "b", "buy": [{"price": 600, "quantity": 10}]},
                 {"bidder": "s", "sell": [{"price": 500, "quantity": 10}]}],
    });
    std::fs::write(d.join("market.json"), market.to_string()).unwrap();
    // A bundle that parses but fails every signature check: the report is
    // long and the verdict is exit code 1.
    let bundle = json!({
        "format": 2, "auction_hash": "00".repeat(32), "bid_set": [],
        "bid_set_digest": "00".repeat(32), "seed_reveals": [],
        "outcome": {"auction": "pipe", "price": null, "volume": 0, "seed": "00".repeat(32),
                    "allocations": [], "excluded": []},
        "signatures": [],
    });
    std::fs::write(d.join("bundle.json"), bundle.to_string()).unwrap();
}

#[test]
fn bidder_and_auditor_exit_cleanly_on_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    files(d);
    let check = [
        "check",
        "bid.csv",
        "--auction",
        "auction.json",
        "--bidder",
        "b",
    ];
    assert_clean("bidder check", run_closed(BIDDER, &check, d), 0);
    let check_json = [&check[..], &["--json"]].concat();
    assert_clean("bidder check --json", run_closed(BIDDER, &check_json, d), 0);
    assert_clean(
        "bidder keygen",
        run_closed(BIDDER, &["keygen", "--bidder", "b", "--out", "b.key"], d),
        0,
    );
    assert_clean("bidder --help", run_closed(BIDDER, &["--help"], d), 0);
    assert_clean(
        "auditor reference",
        run_closed(AUDITOR, &["reference", "market.json"], d),
        0,
    );
    let verify = [
        "verify",
        "--bundle",
        "bundle.json",
        "--auction",
        "auction.json",
    ];
    assert_clean("auditor verify", run_closed(AUDITOR, &verify, d), 1);
    let verify_json = [&verify[..], &["--json"]].concat();
    assert_clean(
        "auditor verify --json",
        run_closed(AUDITOR, &verify_json, d),
        1,
    );
    assert_clean("auditor --help", run_closed(AUDITOR, &["--help"], d), 0);
}

#[test]
fn a_closed_standard_error_does_not_change_the_exit_code() {
    // `bidder check bad.csv 2>&1 | head -c1`: the error message goes to a
    // closed pipe as well; the exit code still says "invalid bid".
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    files(d);
    std::fs::write(d.join("bad.csv"), "sell,1001,1\n").unwrap();
    for (args, code) in [
        (
            vec![
                "check",
                "bad.csv",
                "--auction",
                "auction.json",
                "--bidder",
                "b",
            ],
            6,
        ),
        (
            vec![
                "check",
                "bad.csv",
                "--auction",
                "auction.json",
                "--bidder",
                "b",
                "--json",
            ],
            6,
        ),
        (vec!["check", "missing.csv", "--auction", "auction.json"], 1),
    ] {
        let status = Command::new(BIDDER)
            .args(&args)
            .current_dir(d)
            .stdout(closed_pipe())
            .stderr(closed_pipe())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}
