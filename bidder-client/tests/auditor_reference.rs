//! `auditor reference` as a user runs it: every hand-checked fixture from a
//! file and from standard input, malformed files failing with a message
//! that says where, and invalid bids excluded without failing.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn auditor(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auditor"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn cases() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cases");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn every_fixture_from_a_file_and_from_stdin() {
    let cases = cases();
    assert!(cases.len() >= 17);
    for dir in cases {
        let market = dir.join("market.json");
        let expected = json(&std::fs::read(dir.join("expected.json")).unwrap());
        let out = auditor(&["reference", market.to_str().unwrap()], None);
        assert!(
            out.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out.stdout), expected, "{}", dir.display());

        let text = std::fs::read_to_string(&market).unwrap();
        let out = auditor(&["reference", "--compact", "-"], Some(&text));
        assert!(out.status.success());
        assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(json(&out.stdout), expected, "{} via stdin", dir.display());
    }
}

#[test]
fn outcome_fields_come_in_the_spec_order() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cases/spec-1-middle");
    let out = auditor(
        &[
            "reference",
            "--compact",
            dir.join("market.json").to_str().unwrap(),
        ],
        None,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let at = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
    assert!(at("auction") < at("price") && at("price") < at("volume"));
    assert!(at("volume") < at("seed") && at("seed") < at("allocations"));
    assert!(at("allocations") < at("excluded"));
}

#[test]
fn detailed_output_has_fills_and_trace() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cases/spec-5-several-orders");
    let out = auditor(
        &[
            "reference",
            "--detailed",
            dir.join("market.json").to_str().unwrap(),
        ],
        None,
    );
    let v = json(&out.stdout);
    assert_eq!(v["outcome"]["price"], 22);
    assert_eq!(v["trace"]["lo"], 20);
    assert_eq!(v["trace"]["hi"], 22);
    assert_eq!(v["fills"][0]["bidder"], "s1");
    assert_eq!(v["fills"][0]["sell"], serde_json::json!([3, 0]));
}

#[test]
fn malformed_files_fail_and_say_where() {
    let out = auditor(&["reference", "-"], Some("{\"auction\": {\n  oops"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("standard input") && err.contains("line 2"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let seed = "0".repeat(64);
    let missing = format!(
        "{{\"auction\": {{\"id\": \"t\", \"max_price\": 9, \"max_quantity\": 9, \"max_orders_per_side\": 1}},\n\
         \"seed\": \"{seed}\",\n\"bids\": [{{\"bidder\": \"a\", \"buy\": [{{\"price\": 1}}]}}]}}"
    );
    let out = auditor(&["reference", "-"], Some(&missing));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("quantity") && err.contains("line 3"), "{err}");

    let repeated = format!(
        "{{\"auction\": {{\"id\": \"t\", \"max_price\": 9, \"max_quantity\": 9, \"max_orders_per_side\": 1}},\n\
         \"seed\": \"{seed}\",\n\"bids\": [{{\"bidder\": \"a\"}}, {{\"bidder\": \"a\"}}]}}"
    );
    let out = auditor(&["reference", "-"], Some(&repeated));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("repeats bidder id \"a\""), "{err}");

    let out = auditor(&["reference", "/nonexistent/market.json"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/market.json"));
}

#[test]
fn invalid_bids_are_excluded_with_details_on_stderr() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cases/invalid-bids-excluded");
    let out = auditor(
        &["reference", dir.join("market.json").to_str().unwrap()],
        None,
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bidder x1: sell order in slot 0: quantity 1001 is outside 0..=1000"),
        "{err}"
    );
    assert!(
        err.contains("bidder x3: 5 buy orders, more than the limit of 4 per side"),
        "{err}"
    );
    let excluded = json(&out.stdout)["excluded"].as_array().unwrap().clone();
    assert_eq!(excluded.len(), 8);
    // The detail stays on stderr; the outcome names no value.
    for e in &excluded {
        assert_eq!(e["reason"], "invalid bid", "{e}");
    }
}
