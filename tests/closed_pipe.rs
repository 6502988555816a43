//! `fixtures` and `demo` with standard output a pipe whose reader has
//! already gone (`fixtures generate | head -c 10`): no panic, and the exit
//! code the command has with a reader. The demo still runs its auction to
//! the end (its exit code is the audit's verdict) and stops its nodes. The
//! same for `bidder` and `auditor` is in `bidder-client/tests/closed_pipe.rs`.

mod demo_common;

use demo_common::{demo, small_market, write_market};
use std::path::Path;
use std::process::{Command, Stdio};

const FIXTURES: &str = env!("CARGO_BIN_EXE_fixtures");

/// The write end of a pipe whose read end is closed: the read end is the
/// standard input of a process that has already exited, so a write fails
/// with a broken pipe every time, not only when the reader is quick.
fn closed_pipe() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let write_end = reader.stdin.take().unwrap();
    assert!(reader.wait().unwrap().success());
    Stdio::from(write_end)
}

fn assert_clean(what: &str, bin: &Path, args: &[&str], code: i32) {
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{what}: {err}"
    );
    assert_eq!(out.status.code(), Some(code), "{what}: {err}");
}

#[test]
fn fixtures_and_demo_exit_cleanly_on_a_closed_pipe() {
    let fixtures = Path::new(FIXTURES);
    assert_clean(
        "fixtures generate",
        fixtures,
        &["generate", "--bidders", "50"],
        0,
    );
    assert_clean(
        "fixtures generate --pretty",
        fixtures,
        &["generate", "--bidders", "50", "--pretty"],
        0,
    );
    assert_clean(
        "fixtures bench-reference",
        fixtures,
        &["bench-reference", "--bidders", "50", "--runs", "1"],
        0,
    );
    assert_clean("fixtures --help", fixtures, &["--help"], 0);

    let dir = tempfile::tempdir().unwrap();
    let prep = dir.path().join("prep");
    assert_clean(
        "demo prepare",
        &demo(),
        &["prepare", prep.to_str().unwrap()],
        0,
    );
    assert!(prep.join("auction.json").is_file());
    assert_clean("demo --help", &demo(), &["--help"], 0);

    // The whole demo: it finishes (the kept outcome is written last) and
    // exits with the audit's verdict.
    let market = write_market(dir.path(), &small_market(12, 3));
    let out = dir.path().join("out");
    assert_clean(
        "demo",
        &demo(),
        &[
            "--market",
            market.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        0,
    );
    assert!(out.join("bundle.json").is_file(), "the demo stopped early");
}
