//! The node's logs: `--log-json` lines are JSON objects with one `message`
//! and typed fields (no Rust debug text), through a short auction life of
//! three real nodes on 127.0.0.1-3; readable logs written to a file carry
//! no terminal colour codes.
// Loops over the three nodes index several per-node arrays at once.
#![allow(clippy::needless_range_loop)]

mod common;

use auction::wire::{Version, prepare_submissions};
use common::*;
use rand::SeedableRng;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A JSON value parsed refusing an object with a key twice (serde_json
/// alone keeps the last).
struct NoDuplicates(Value);

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(V)
    }
}

struct V;

impl<'de> Visitor<'de> for V {
    type Value = NoDuplicates;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates(v.into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates(v.into()))
    }
    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<NoDuplicates, A::Error> {
        let mut out = Vec::new();
        while let Some(NoDuplicates(v)) = s.next_element()? {
            out.push(v);
        }
        Ok(NoDuplicates(Value::Array(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<NoDuplicates, A::Error> {
        let mut out = Map::new();
        while let Some(k) = m.next_key::<String>()? {
            let NoDuplicates(v) = m.next_value()?;
            if out.insert(k.clone(), v).is_some() {
                return Err(A::Error::custom(format!("key {k:?} appears twice")));
            }
        }
        Ok(NoDuplicates(Value::Object(out)))
    }
}

fn start_json(c: &mut Cluster, i: usize) {
    let log = std::fs::File::create(c.nodes[i].data.join("log.json")).unwrap();
    let child = Command::new(BIN)
        .args(["run", "--log-json", "--config"])
        .arg(&c.nodes[i].config)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    c.children[i] = Some(child);
}

/// Every string in `v`, with where it is.
fn strings<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => out.push((at, s)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| strings(x, format!("{at}[{i}]"), out)),
        Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| strings(x, format!("{at}.{k}"), out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_have_one_message_and_typed_fields_and_files_no_colour() {
    let k = 2;
    let mut c = Cluster::new(3, k);
    // Node 0 alone first: it logs its peers as unreachable, with why.
    start_json(&mut c, 0);
    c.wait_healthy(0).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    start_json(&mut c, 1);
    start_json(&mut c, 2);
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    // A refused bid is logged with its code and why.
    let (s, _) = c.post(0, b"{\"format\": 2".to_vec()).await.unwrap();
    assert_eq!(s, 400);
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for b in 0..3 {
        let id = bidder_name(b);
        let bid = random_bid(id.clone(), k, b as u64 + 1);
        let subs = prepare_submissions(&c.params, &bid, Version(1), c.key(&id), &mut rng).unwrap();
        for (i, sub) in subs.iter().enumerate() {
            let (s, v) = c.submit_to(i, sub).await.unwrap();
            assert_eq!(s, 200, "{v}");
        }
    }
    c.close(0);
    for i in 0..3 {
        c.wait_status(i, 90, "published", |v| v["phase"] == "published")
            .await;
    }
    for i in 0..3 {
        c.kill(i);
    }

    let mut seen_outcome = false;
    let mut seen_refusal = false;
    let mut seen_unreachable = false;
    for i in 0..3 {
        let text = std::fs::read_to_string(c.nodes[i].data.join("log.json")).unwrap();
        assert!(text.lines().count() > 3, "node {i} logged little:\n{text}");
        // Every line first: one key twice is the first thing to catch.
        let parsed: Vec<(&str, Value)> = text
            .lines()
            .map(|line| match serde_json::from_str(line) {
                Ok(NoDuplicates(v)) => (line, v),
                Err(e) => panic!("node {i}: {e} in log line\n{line}"),
            })
            .collect();
        for (line, v) in parsed {
            let o = v
                .as_object()
                .unwrap_or_else(|| panic!("not an object: {line}"));
            for key in ["timestamp", "level", "target", "message"] {
                assert!(
                    o.get(key).is_some_and(Value::is_string),
                    "{key} missing or not a string: {line}"
                );
            }
            let field = |k: &str| {
                o.get(k)
                    .unwrap_or_else(|| panic!("no field {k}: {line}"))
                    .clone()
            };
            let mut all = Vec::new();
            strings(&v, String::new(), &mut all);
            for (at, s) in all {
                assert!(
                    !s.starts_with("Some(") && s != "None" && !s.starts_with("[\""),
                    "debug text at {at}: {line}"
                );
            }
            match o["message"].as_str().unwrap() {
                "outcome computed and signed" => {
                    seen_outcome = true;
                    let price = field("price");
                    assert!(price.is_u64() || price.is_null(), "{line}");
                    assert!(field("volume").is_u64(), "{line}");
                }
                "bid refused" => {
                    seen_refusal = true;
                    assert_eq!(field("code"), "malformed_json", "{line}");
                    let reason = field("reason");
                    assert!(
                        reason.as_str().unwrap().contains("not a submission"),
                        "{line}"
                    );
                }
                "peer unreachable" => {
                    seen_unreachable = true;
                    assert!(field("peer").is_u64(), "{line}");
                    assert!(field("reason").is_string(), "{line}");
                }
                "bid set agreed" => {
                    assert_eq!(field("bids"), 3, "{line}");
                }
                _ => {}
            }
        }
    }
    assert!(seen_outcome && seen_refusal && seen_unreachable);

    // Readable logs to a file: no colour codes.
    c.start(0);
    c.wait_healthy(0).await;
    c.kill(0);
    let plain = c.log(0);
    assert!(plain.contains("node started"), "{plain}");
    assert!(
        !plain.contains("\x1b["),
        "colour codes in a log file:\n{plain:?}"
    );
}
