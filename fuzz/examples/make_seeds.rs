//! Writes the committed seed corpora, `fuzz/corpus/<target>/seed-*`, from the
//! project's real files (the wire vectors, the fixture markets) and from
//! correct messages of the fuzzers' fixed auction, and replays every seed
//! through its target's body. Run from anywhere:
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example make_seeds
//! ```

use auction::wire::{Digest, Sig};
use auction::{Exclusion, Outcome, Price, Volume};
use nodes::peer::{ListEntry, Request, Response};
use std::path::{Path, PathBuf};
use triad_fuzz::*;

fn pretty<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(v).expect("serializable")
}

fn main() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = fuzz.parent().expect("the repository");
    let mut seeds: Vec<(&str, String, Vec<u8>)> = Vec::new();

    // Submissions and their bundles: the wire vectors, format 2 and the
    // retired format 1.
    for (file, tag) in [("wire.json", "v2"), ("wire-v1.json", "v1")] {
        let text = std::fs::read_to_string(root.join("auction/tests/vectors").join(file))
            .expect("the wire vectors");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        for (i, s) in v["submissions"]
            .as_array()
            .expect("submissions")
            .iter()
            .enumerate()
        {
            seeds.push(("submission", format!("wire-{tag}-node{i}.json"), pretty(s)));
            if tag == "v2" {
                seeds.push((
                    "share_bundle",
                    format!("wire-{tag}-node{i}.json"),
                    pretty(&s["bundle"]),
                ));
            }
        }
    }

    // Receipts of the vectors' submissions, and an API error body.
    for (i, r) in vector_receipts().iter().enumerate() {
        seeds.push(("receipt", format!("node{i}.json"), pretty(r)));
    }
    seeds.push((
        "receipt",
        "api-error.json".into(),
        br#"{"code":"stale_version","message":"version 2 is not above the held version 3"}"#
            .to_vec(),
    ));

    // A correct outcome bundle.
    let bundle = sample_bundle();
    seeds.push(("outcome_bundle", "sample.json".into(), pretty(&bundle)));

    // Every peer message.
    let d = |b: u8| Digest([b; 32]);
    let requests = [
        Request::Hello {
            node: 1,
            auction_hash: info().hash,
        },
        Request::Ping,
        Request::BidList,
        Request::Verdicts { bid_set: d(1) },
        Request::Commitment { bid_set: d(2) },
        Request::Reveal { bid_set: d(3) },
        Request::Signature { bid_set: d(4) },
        Request::Mpc {
            bid_set: d(5),
            seed: d(6),
            attempt: 7,
        },
    ];
    for (i, r) in requests.iter().enumerate() {
        seeds.push((
            "peer_message",
            format!("request-{i}.json"),
            serde_json::to_vec(r).unwrap(),
        ));
    }
    let outcome = Outcome {
        auction: AUCTION_ID.into(),
        price: Some(Price(60_000)),
        volume: Volume(60),
        seed: "ab".repeat(32),
        allocations: bundle.outcome.allocations.clone(),
        excluded: vec![Exclusion {
            bidder: auction::BidderId("processor-01".into()),
            reason: "invalid bid".into(),
        }],
    };
    let responses = [
        Response::HelloOk { node: 2 },
        Response::Refused {
            message: "auction file mismatch".into(),
        },
        Response::NotReady {
            phase: "open".into(),
        },
        Response::Pong {
            phase: "closed".into(),
        },
        // Through JSON, so that it reads whichever fields the type has.
        serde_json::from_value(serde_json::json!({"BidList": {
            "entries": bundle.bid_set.iter().map(|e| ListEntry { bid: e.clone(), common: d(9) })
                .collect::<Vec<_>>(),
            "registry": d(8),
            "registered": 3,
        }}))
        .expect("a bid list"),
        Response::Verdicts {
            bid_set: d(1),
            excluded: outcome.excluded.clone(),
        },
        Response::Commitment { commitment: d(2) },
        Response::Reveal { value: d(3) },
        Response::Signature {
            outcome,
            signature: Sig(bundle.signatures[0].signature.0),
        },
        Response::MpcReady,
    ];
    for (i, r) in responses.iter().enumerate() {
        seeds.push((
            "peer_message",
            format!("response-{i}.json"),
            serde_json::to_vec(r).unwrap(),
        ));
    }

    // The auction file, pretty as written and compact.
    let af = auction_file_bytes();
    let compact: serde_json::Value = serde_json::from_slice(&af).unwrap();
    // Times as RFC 3339 under the short keys, and page origins.
    let mut timed = compact.clone();
    let o = timed.as_object_mut().unwrap();
    o.remove("open_unix");
    o.remove("close_unix");
    o.insert("open".into(), "2026-12-01T09:00:00+01:00".into());
    o.insert("close".into(), "2026-12-02T08:00:00Z".into());
    for (i, page) in [
        "https://beet.example.org",
        "https://[2001:db8::1]:8443",
        "http://127.0.0.3:8080",
    ]
    .iter()
    .enumerate()
    {
        timed["nodes"][i]["page"] = (*page).into();
    }
    seeds.push((
        "auction_file",
        "auction-times-pages.json".into(),
        serde_json::to_vec_pretty(&timed).unwrap(),
    ));
    seeds.push(("auction_file", "auction.json".into(), af));
    seeds.push((
        "auction_file",
        "auction-compact.json".into(),
        serde_json::to_vec(&compact).unwrap(),
    ));

    // The hand-checked fixture markets, and the sample outcome's market.
    let cases = root.join("fixtures/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&cases)
        .expect("fixtures/cases")
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(dir.join("market.json")).expect("market.json");
        seeds.push(("market_file", format!("{name}.json"), bytes));
    }
    seeds.push((
        "market_file",
        "sample.json".into(),
        market(auction::Seed::ZERO).to_json().into_bytes(),
    ));

    // Bid files in every form (bidder-client/src/bidfile.rs).
    let bids: [(&str, &str); 6] = [
        (
            "orders.json",
            r#"{"bidder": "farmer-0001", "buy": [{"price": 700, "quantity": 100}, {"price": 400, "quantity": 200}], "sell": [{"price": 900, "quantity": 5}]}"#,
        ),
        (
            "curve.json",
            r#"{"buy_curve": [{"price": 400, "total": 300}, {"price": 700, "total": 100}], "sell_curve": [{"price": 900, "total": 5}]}"#,
        ),
        (
            "orders.csv",
            "side,price,quantity\nbuy,700,100\n# comment\n\nsell,900,5\nbuy,400,200\n",
        ),
        (
            "curve.csv",
            "side,price,total\nbuy,400,300\nbuy,700,100\nsell,900,5\n",
        ),
        ("bare.csv", "b,10,1\nS,20,2 # short sides\n"),
        (
            "raw-numbers.json",
            r#"{"bidder": "x", "buy": [{"price": 1e3, "quantity": 5.0}, {"price": -1, "quantity": 18446744073709551621}], "sell": [{"price": 100000000000000000000000000000, "quantity": 1}]}"#,
        ),
    ];
    for (name, text) in bids {
        seeds.push(("bid_file", name.into(), text.as_bytes().to_vec()));
    }
    // And the example bid files, where the repository has them.
    if let Ok(dir) = std::fs::read_dir(root.join("fixtures/bids")) {
        let mut files: Vec<PathBuf> = dir.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|x| x == "json" || x == "csv"))
        {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            seeds.push((
                "bid_file",
                format!("fixtures-{name}"),
                std::fs::read(f).unwrap(),
            ));
        }
    }

    let run: fn(&str, &[u8]) = |target, data| match target {
        "submission" => submission(data),
        "share_bundle" => share_bundle(data),
        "receipt" => receipt(data),
        "outcome_bundle" => outcome_bundle(data),
        "peer_message" => peer_message(data),
        "auction_file" => auction_file(data),
        "market_file" => market_file(data),
        "bid_file" => bid_file(data),
        other => panic!("no target {other}"),
    };
    for (target, name, bytes) in &seeds {
        run(target, bytes);
        let dir = fuzz.join("corpus").join(target);
        std::fs::create_dir_all(&dir).expect("corpus folder");
        std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed written");
    }
    // The sample outcome and the vectors' submissions pass every check.
    let info = info();
    bundle
        .verify(&info.trusted())
        .expect("the sample bundle verifies");
    let receipts = vector_receipts();
    let plain = market(auction::Seed::ZERO);
    let report = bidder_client::verify::verify(&bidder_client::verify::Inputs {
        info,
        bundle: &bundle,
        served: Some((vec![0, 1, 2], vec![])),
        receipts: Some(&receipts),
        plaintext: Some(&plain),
    });
    assert!(report.passed, "{}", report.to_text());
    for (i, s) in vector_submissions().iter().enumerate() {
        let key = &info.bidders[&s.bidder];
        s.verify(&info.params, shares::PartyId::ALL[i], key)
            .expect("the vectors verify");
    }
    println!("{} seeds written", seeds.len());
}
