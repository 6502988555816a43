//! `bidder` without nodes: each outcome has its own exit code (usage errors
//! are clap's 2, an invalid bid 6, a bid with no orders 8), the example bid
//! files in `fixtures/bids/` are accepted and are the same bid in each
//! format, and `--help` documents the bid-file formats and the exit codes.
//! The commands that talk to real nodes are tested in the root package's
//! `tests/bidder_submit.rs`.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const BIDDER: &str = env!("CARGO_BIN_EXE_bidder");

/// Writes `auction.json` (K = 4, prices and quantities 0..=1000, the same
/// limits as `demo prepare`) with nodes nobody listens on, registering
/// the key file `farmer.key.json` it creates with `bidder keygen`.
fn auction(dir: &Path) -> PathBuf {
    let (code, v, err) = run(
        &[
            "keygen",
            "--bidder",
            "farmer-0001",
            "--out",
            "farmer.key.json",
            "--json",
        ],
        dir,
    );
    assert_eq!(code, 0, "{v}\n{err}");
    let nodes: Vec<Value> = (0..3u8)
        .map(|i| {
            let key = ed25519_dalek::SigningKey::from_bytes(&[i + 1; 32]);
            // Port 1 on 127.0.0.x: nothing listens there.
            json!({"index": i, "api": format!("127.0.0.{}:1", i + 1),
                   "peer": format!("127.0.0.{}:2", i + 1),
                   "public_key": hex::encode(key.verifying_key().as_bytes()),
                   "cert_fingerprint": "11".repeat(32)})
        })
        .collect();
    let file = json!({
        "auction": {"id": "cli", "max_price": 1000, "max_quantity": 1000, "max_orders_per_side": 4},
        "open_unix": 1, "close_unix": 4_000_000_000u64,
        "nodes": nodes,
        "bidders": [v["registration"]],
    });
    let path = dir.join("auction.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
    path
}

fn run(args: &[&str], dir: &Path) -> (i32, Value, String) {
    let out = Command::new(BIDDER)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::String(stdout));
    (out.status.code().unwrap_or(-1), json, stderr)
}

fn check(bid: &str, dir: &Path, json: bool) -> (i32, Value, String) {
    let mut args = vec![
        "check",
        bid,
        "--auction",
        "auction.json",
        "--key",
        "farmer.key.json",
    ];
    if json {
        args.push("--json");
    }
    run(&args, dir)
}

#[test]
fn usage_errors_invalid_bids_and_unreadable_files_have_different_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    auction(d);
    std::fs::write(d.join("ok.csv"), "buy,600,10\n").unwrap();
    std::fs::write(d.join("bad.csv"), "buy,600,10\nsell,1001,1\n").unwrap();

    let (code, _, err) = run(&["check", "ok.csv", "--no-such-flag"], d);
    assert_eq!(code, 2, "a usage error is clap's 2: {err}");
    let (code, _, err) = check("ok.csv", d, false);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = check("bad.csv", d, false);
    assert_eq!(code, 6, "an invalid bid: {err}");
    assert!(
        err.contains("farmer-0001: sell order in slot 0: price 1001 is outside 0..=1000"),
        "{err}"
    );
    let (code, v, _) = check("bad.csv", d, true);
    assert_eq!(code, 6);
    assert_eq!(v["exit"], 6, "{v}");
    let (code, _, err) = check("missing.csv", d, false);
    assert_eq!(code, 1, "an unreadable file: {err}");
    assert!(err.contains("missing.csv"), "{err}");
}

#[test]
fn a_bid_with_no_orders_is_valid_but_warned_about_with_its_own_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    auction(d);
    for (name, text) in [
        ("empty.csv", ""),
        ("header-only.csv", "side,price,quantity\n# nothing yet\n"),
        ("empty.json", r#"{"buy": [], "sell": []}"#),
        ("zeros.csv", "buy,600,0\nsell,700,0\n"),
    ] {
        std::fs::write(d.join(name), text).unwrap();
        let (code, _, err) = check(name, d, false);
        assert_eq!(code, 8, "{name}: {err}");
        assert!(
            err.contains("warning") && err.contains("no orders"),
            "{name}: {err}"
        );
        let (code, v, _) = check(name, d, true);
        assert_eq!(code, 8, "{name}");
        assert_eq!(v["valid"], true, "{name}: {v}");
        assert!(
            v["warning"].as_str().unwrap_or("").contains("no orders"),
            "{name}: {v}"
        );
        // Sending it would replace an earlier version with a bid that trades
        // nothing: refused unless asked for, before anything is sent.
        let (code, v, err) = run(
            &[
                "submit",
                name,
                "--auction",
                "auction.json",
                "--key",
                "farmer.key.json",
                "--attempts",
                "1",
                "--json",
            ],
            d,
        );
        assert_eq!(code, 8, "{name}: {v}\n{err}");
        assert!(err.contains("--allow-empty"), "{name}: {err}");
        assert!(!d.join("receipts").exists(), "{name}: something was sent");
    }
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bids")
}

#[test]
fn every_example_bid_file_is_accepted_and_all_are_the_same_bid() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    auction(d);
    let mut seen = Vec::new();
    for name in [
        "example.json",
        "example.csv",
        "example-curve.json",
        "example-curve.csv",
    ] {
        let path = examples().join(name);
        assert!(path.is_file(), "{} is missing", path.display());
        let (code, v, err) = check(path.to_str().unwrap(), d, true);
        assert_eq!(code, 0, "{name}: {v}\n{err}");
        assert_eq!(v["valid"], true, "{name}: {v}");
        assert!(v.get("warning").is_none(), "{name}: {v}");
        let orders = json!({"buy": v["bid"]["buy"], "sell": v["bid"]["sell"]});
        assert!(
            !v["bid"]["buy"].as_array().unwrap().is_empty()
                && !v["bid"]["sell"].as_array().unwrap().is_empty(),
            "{name}: {v}"
        );
        seen.push((name, orders));
    }
    for (name, orders) in &seen[1..] {
        assert_eq!(orders, &seen[0].1, "{name} differs from {}", seen[0].0);
    }
}

#[test]
fn help_documents_the_bid_files_and_every_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let (code, v, _) = run(&["--help"], dir.path());
    assert_eq!(code, 0);
    let help = v.as_str().unwrap().to_string();
    for want in [
        "side,price,quantity",
        "side,price,total",
        "buy_curve",
        "fixtures/bids/",
        "Exit codes",
    ] {
        assert!(help.contains(want), "--help lacks {want:?}:\n{help}");
    }
    for code in 0..=8 {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "--help does not explain exit code {code}:\n{help}"
        );
    }
    let (_, v, _) = run(&["check", "--help"], dir.path());
    let help = v.as_str().unwrap();
    assert!(
        help.contains("side,price,quantity") && help.contains("no orders"),
        "{help}"
    );
}
