//! The bidder page and the live view in a real headless Chromium, against
//! three real node processes:
//!
//! - the page's share, commitment and signature code passes the known-answer
//!   vectors of `auction/tests/vectors/wire.json` (the same file the Rust
//!   tests read), its fresh submissions pass the nodes' own checks, and its
//!   outcome check says what `auditor verify` says;
//! - an invalid curve is refused with the message of `bidder check`, and a
//!   valid one shown with its table;
//! - a bid placed through the page (key created in the page, curve typed
//!   in) is acknowledged by all three nodes, each node's database holds its
//!   own bundle and nothing of the others' (no other salt, not the third
//!   component), the bidder amends it, and after the close the outcome
//!   equals the reference and the page shows the allocation and a passing
//!   verification; the live view shows each step, screenshots in
//!   `target/screenshots/browser/`;
//! - a node that is down is named, and a retry once it is back completes.
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium`,
//! `chromium-driver`); without them each test prints a notice and passes,
//! except in CI (`CI=true`), where it fails.
// Loops over the three nodes index several per-node arrays at once.
#![allow(clippy::needless_range_loop)]

#[path = "browser_support/mod.rs"]
mod browser_support;
#[path = "demo_common/mod.rs"]
mod demo_common;

use auction::wire::{
    BidSetEntry, Digest, NodeSignature, OutcomeBundle, Receipt, SeedReveal, Sig, Submission,
    Version, bid_message, bid_set_digest, outcome_message, seed_commitment, seed_from_reveals,
};
use auction::{
    Allocation, AuctionParams, Bid, BidderId, MarketFile, Order, Outcome, Price, Quantity, RawBid,
    RawOrder, Volume,
};
use bidder_client::keys::BidderKey;
use browser_support::{Browser, Cluster, contains, one_at_a_time};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use shares::PartyId;
use std::time::{Duration, Instant};

fn params(k: u32) -> AuctionParams {
    AuctionParams {
        id: "beet-web".into(),
        max_price: 1000,
        max_quantity: 500,
        max_orders_per_side: k,
    }
}

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/auction/tests/vectors/wire.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// An auction file and a fully signed outcome bundle for it, made by the
/// Rust code: two bidders with real signatures, seed reveals, three node
/// signatures.
fn sample_bundle() -> (String, OutcomeBundle) {
    let node_keys: [SigningKey; 3] =
        std::array::from_fn(|i| SigningKey::from_bytes(&[i as u8 + 40; 32]));
    let bidders: Vec<(BidderId, SigningKey)> = ["b-one", "b-two"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            (
                BidderId(id.to_string()),
                SigningKey::from_bytes(&[i as u8 + 60; 32]),
            )
        })
        .collect();
    let auction = json!({
        "auction": {"id": "sample", "max_price": 1000, "max_quantity": 500, "max_orders_per_side": 2},
        "open_unix": 1, "close_unix": 2,
        "nodes": (0..3).map(|i| json!({
            "index": i, "api": format!("127.0.0.{}:900{i}", i + 1), "peer": format!("127.0.0.{}:910{i}", i + 1),
            "public_key": hex::encode(node_keys[i].verifying_key().as_bytes()),
            "cert_fingerprint": "00".repeat(32),
        })).collect::<Vec<_>>(),
        "bidders": bidders.iter().map(|(id, k)| json!({"id": id, "public_key": hex::encode(k.verifying_key().as_bytes())})).collect::<Vec<_>>(),
    })
    .to_string();
    let info = auction::auction_file::AuctionInfo::from_bytes(auction.as_bytes()).unwrap();
    let bid_set: Vec<BidSetEntry> = bidders
        .iter()
        .enumerate()
        .map(|(i, (id, k))| {
            let commitments = [Digest([i as u8 + 1; 32]), Digest([7; 32]), Digest([9; 32])];
            let version = Version(3 + i as u64);
            BidSetEntry {
                bidder: id.clone(),
                version,
                commitments,
                signature: Some(Sig(k.sign(&bid_message(
                    "sample",
                    id,
                    version,
                    &commitments,
                )))),
            }
        })
        .collect();
    let bsd = bid_set_digest(&bid_set);
    let values: [[u8; 32]; 3] = std::array::from_fn(|i| [i as u8 + 11; 32]);
    let seed_reveals = PartyId::ALL
        .map(|p| SeedReveal {
            node: p,
            commitment: seed_commitment(&info.hash, &bsd, p, &values[p.index()]),
            value: Digest(values[p.index()]),
        })
        .into();
    let outcome = Outcome {
        auction: "sample".into(),
        price: Some(Price(640)),
        volume: Volume(25),
        seed: seed_from_reveals(&values).to_hex(),
        allocations: vec![
            Allocation {
                bidder: BidderId("b-one".into()),
                bought: Volume(25),
                sold: Volume(0),
            },
            Allocation {
                bidder: BidderId("b-two".into()),
                bought: Volume(0),
                sold: Volume(25),
            },
        ],
        excluded: vec![],
    };
    let m = outcome_message(&info.hash, &bsd, &outcome).unwrap();
    let signatures = PartyId::ALL
        .map(|p| NodeSignature {
            node: p,
            signature: Sig(node_keys[p.index()].sign(&m)),
        })
        .into();
    let bundle = OutcomeBundle {
        format: 2,
        auction_hash: info.hash,
        bid_set,
        bid_set_digest: bsd,
        seed_reveals,
        outcome,
        signatures,
    };
    (auction, bundle)
}

fn audit_text(auction: &str, b: &OutcomeBundle) -> String {
    let info = auction::auction_file::AuctionInfo::from_bytes(auction.as_bytes()).unwrap();
    bidder_client::verify::verify(&bidder_client::verify::Inputs {
        info: &info,
        bundle: b,
        served: None,
        receipts: None,
        plaintext: None,
    })
    .to_text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_share_code_passes_the_wire_vectors() {
    let _one = one_at_a_time().await;
    let Some(browser) = Browser::start("page_share_code_passes_the_wire_vectors").await else {
        return;
    };
    let mut cluster = Cluster::new(params(1), &[], 0);
    cluster.start(0);
    cluster.wait_healthy(0).await;
    browser
        .goto(&format!("{}/", cluster.nodes[0].origin()))
        .await;
    let v = vectors();

    // 1. The vectors: the page's code, the file the Rust tests read.
    let out = browser
        .js_async(
            r#"
            const [v] = args;
            const w = await import('/web/wire.js');
            const out = {};
            const comps = v.components_hex.map((c, i) => w.componentFromHex(c, 'component ' + i));
            const values = v.values.map((x) => BigInt(x));
            out.layout = w.layout({buy: [{price: 700n, quantity: 100n}], sell: []}, 1).map(String);
            out.x2 = w.componentHex(values.map((x, j) => BigInt.asUintN(64, x - comps[0][j] - comps[1][j])));
            const salts = v.salts.map((s) => w.unhex(s, 'salt', 32));
            const key = await w.signingKey(w.unhex(v.bidder_secret_key, 's', 32), w.unhex(v.bidder_public_key, 'p', 32));
            const fixed = await w.prepareSubmissions(v.auction, v.bidder, BigInt(v.version), values, key, {components: comps, salts});
            out.commitments = fixed.commitments.map(w.hex);
            out.bid_message_hex = w.hex(w.bidMessage(v.auction, v.bidder, BigInt(v.version), fixed.commitments));
            out.signature = fixed.submissions[0].signature;
            out.submissions = JSON.parse(w.stringifyJson(fixed.submissions));
            // Fresh randomness, twice, on a K = 4 bid.
            const bid = {buy: [{price: 700n, quantity: 100n}, {price: 400n, quantity: 200n}], sell: [{price: 900n, quantity: 5n}]};
            const vals = w.layout(bid, 4);
            out.fresh_values = vals.map(String);
            out.fresh = JSON.parse(w.stringifyJson((await w.prepareSubmissions(v.auction, v.bidder, 7n, vals, key)).submissions));
            out.again = JSON.parse(w.stringifyJson((await w.prepareSubmissions(v.auction, v.bidder, 7n, vals, key)).submissions));
            out.keyfile = await w.generateKeyFile('farmer-0002');
            return out;
            "#,
            vec![v.clone()],
        )
        .await;
    assert_eq!(out["layout"], json!(["700", "100", "0", "0"]));
    assert_eq!(out["x2"], v["components_hex"][2], "the third component");
    assert_eq!(
        out["commitments"], v["commitments"],
        "the salted commitments"
    );
    assert_eq!(out["bid_message_hex"], v["bid_message_hex"]);
    assert_eq!(
        out["signature"], v["signature"],
        "WebCrypto Ed25519 signs as ed25519-dalek"
    );
    assert_eq!(
        out["submissions"], v["submissions"],
        "the three submissions"
    );

    // 2. Fresh submissions from the page pass the nodes' own checks, sum to
    // the bid, and carry fresh salts and fresh shares each time.
    let key = SigningKey::from_bytes(
        &hex::decode(v["bidder_secret_key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let p = AuctionParams {
        id: "beet-2008".into(),
        max_price: 100_000,
        max_quantity: 1_000_000,
        max_orders_per_side: 4,
    };
    let subs: Vec<Submission> = serde_json::from_value(out["fresh"].clone()).unwrap();
    let again: Vec<Submission> = serde_json::from_value(out["again"].clone()).unwrap();
    for (i, s) in subs.iter().enumerate() {
        s.verify(&p, PartyId::ALL[i], &key.verifying_key())
            .unwrap_or_else(|e| panic!("node {i} refuses the page's bundle: {e}"));
        assert_eq!(s.bundle.next, subs[(i + 1) % 3].bundle.own, "replicated");
        assert_ne!(
            s.bundle.salt, again[i].bundle.salt,
            "a fresh salt per bundle and version"
        );
        assert_ne!(s.bundle.own, again[i].bundle.own, "fresh shares");
        for (j, other) in subs.iter().enumerate() {
            if j != i {
                assert_ne!(s.bundle.salt, other.bundle.salt);
            }
        }
    }
    let want: Vec<u64> = out["fresh_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        want,
        auction::wire::layout(
            &Bid {
                bidder: BidderId("x".into()),
                buy: vec![
                    Order {
                        price: Price(700),
                        quantity: Quantity(100)
                    },
                    Order {
                        price: Price(400),
                        quantity: Quantity(200)
                    }
                ],
                sell: vec![Order {
                    price: Price(900),
                    quantity: Quantity(5)
                }],
            },
            4
        )
        .unwrap()
    );
    for (j, want) in want.iter().enumerate().take(16) {
        let sum = subs[0].bundle.own[j]
            .wrapping_add(subs[1].bundle.own[j])
            .wrapping_add(subs[2].bundle.own[j]);
        assert_eq!(sum, *want, "value {j}");
    }

    // 3. A key file made in the page is a `bidder` key file.
    let dir = tempfile::tempdir().unwrap();
    let kp = dir.path().join("page.key.json");
    std::fs::write(&kp, out["keyfile"].to_string()).unwrap();
    let k = BidderKey::load(&kp).expect("the page's key file loads in the bidder program");
    assert_eq!(k.bidder.0, "farmer-0002");

    // 4. Receipts and outcome bundles signed by the Rust code check out in
    // the page, and the page's report is `auditor verify`'s, word for word.
    let node = SigningKey::from_bytes(&[9; 32]);
    let receipt = Receipt::sign(&subs[1], Digest([5; 32]), &node);
    let (auction_text, bundle) = sample_bundle();
    let mut bad = bundle.clone();
    bad.outcome.allocations[0].bought = Volume(24);
    let mut bad_seed = bundle.clone();
    bad_seed.seed_reveals[2].value = Digest([0; 32]);
    let out = browser
        .js_async(
            r#"
            const [sub, receipt, nodeKey, auctionText, good, bad, badSeed] = args;
            const w = await import('/web/wire.js');
            const a = await import('/web/audit.js');
            const s = w.parseJson(sub);
            const out = {};
            out.receipt = await w.checkReceipt('05'.repeat(32), nodeKey, s, w.parseJson(receipt));
            const forged = w.parseJson(receipt); forged.version += 1n;
            out.forged = await w.checkReceipt('05'.repeat(32), nodeKey, s, forged);
            const other = w.parseJson(receipt); other.node = 2n;
            out.other = await w.checkReceipt('05'.repeat(32), nodeKey, s, other);
            const file = w.parseJson(auctionText);
            const info = {hash: await w.auctionHash(file), id: file.auction.id, max_price: file.auction.max_price,
              max_quantity: file.auction.max_quantity, max_orders_per_side: file.auction.max_orders_per_side,
              nodeKeys: file.nodes.map((n) => n.public_key), bidders: new Map(file.bidders.map((b) => [b.id, b.public_key]))};
            out.hash = info.hash;
            out.good = a.reportText(await a.audit(info, w.parseJson(good), null, null));
            out.bad = a.reportText(await a.audit(info, w.parseJson(bad), null, null));
            out.bad_seed = a.reportText(await a.audit(info, w.parseJson(badSeed), null, null));
            return out;
            "#,
            vec![
                json!(serde_json::to_string(&subs[1]).unwrap()),
                json!(serde_json::to_string(&receipt).unwrap()),
                json!(hex::encode(node.verifying_key().as_bytes())),
                json!(auction_text),
                json!(serde_json::to_string(&bundle).unwrap()),
                json!(serde_json::to_string(&bad).unwrap()),
                json!(serde_json::to_string(&bad_seed).unwrap()),
            ],
        )
        .await;
    // The page computes the auction hash (of the terms) as the Rust code.
    assert_eq!(out["hash"], json!(bundle.auction_hash.to_hex()));
    assert_eq!(out["receipt"], Value::Null, "a good receipt verifies");
    assert_eq!(
        out["forged"],
        json!("receipt from node 1: version is not the one sent")
    );
    assert_eq!(
        out["other"],
        json!("receipt from node 1: node is not the one sent")
    );
    for (name, b) in [("good", &bundle), ("bad", &bad), ("bad_seed", &bad_seed)] {
        assert_eq!(
            out[name].as_str().unwrap().trim_end(),
            audit_text(&auction_text, b).trim_end(),
            "the page's report of the {name} bundle"
        );
    }
    assert!(out["good"].as_str().unwrap().contains("verdict: PASS"));
    assert!(out["bad"].as_str().unwrap().contains("FAIL  signatures"));
    browser.quit().await;
}

/// A curve as typed into the page: its (price, total) points.
type Curve<'a> = &'a [(&'a str, &'a str)];

/// The `bidder check` answer for a JSON curve file: (exit code, stdout, stderr).
fn bidder_check(dir: &std::path::Path, buy: Curve, sell: Curve) -> (i32, String, String) {
    let pts = |v: &[(&str, &str)]| {
        v.iter()
            .map(|(p, t)| format!("{{\"price\": {p}, \"total\": {t}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let f = dir.join("curve.json");
    std::fs::write(
        &f,
        format!(
            "{{\"buy_curve\": [{}], \"sell_curve\": [{}]}}",
            pts(buy),
            pts(sell)
        ),
    )
    .unwrap();
    let out = std::process::Command::new(demo_common::client_bin("bidder"))
        .arg("check")
        .arg(&f)
        .arg("--auction")
        .arg(dir.join("auction.json"))
        .arg("--key")
        .arg(dir.join("farmer-0001.key.json"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_refuses_an_invalid_curve_with_the_message_of_bidder_check() {
    let _one = one_at_a_time().await;
    let Some(mut browser) =
        Browser::start("page_refuses_an_invalid_curve_with_the_message_of_bidder_check").await
    else {
        return;
    };
    let key = BidderKey::generate(BidderId("farmer-0001".into()));
    let mut cluster = Cluster::new(
        params(3),
        &[(key.bidder.clone(), key.signing.verifying_key())],
        0,
    );
    let dir = cluster.dir.path().to_path_buf();
    let key_path = dir.join("farmer-0001.key.json");
    key.save(&key_path).unwrap();
    cluster.start(0);
    cluster.wait_healthy(0).await;
    browser
        .goto(&format!("{}/", cluster.nodes[0].origin()))
        .await;
    // A key file of `bidder keygen`, imported.
    browser.upload("#import-key", &key_path).await;
    browser
        .wait_js(
            "document.querySelector('#key-bidder')?.textContent === 'farmer-0001'",
            10,
        )
        .await;
    browser
        .wait_js(
            "/registered in auction/.test(document.querySelector('#key-registered').textContent)",
            10,
        )
        .await;
    browser.record().await;

    let cases: [(&str, Curve, Curve); 5] = [
        ("price-out-of-range", &[("1200", "10")], &[]),
        ("total-falls", &[("700", "300"), ("400", "100")], &[]),
        (
            "too-many-orders",
            &[],
            &[("100", "1"), ("200", "2"), ("300", "3"), ("400", "4")],
        ),
        ("quantity-out-of-range", &[("700", "600")], &[]),
        (
            "two-breakpoints-at-one-price",
            &[],
            &[("500", "10"), ("500", "20")],
        ),
    ];
    for (name, buy, sell) in cases {
        browser.type_curve("buy", buy).await;
        browser.type_curve("sell", sell).await;
        let page = browser.text("#check").await;
        let (code, _, stderr) = bidder_check(&dir, buy, sell);
        assert_ne!(code, 0, "{name}: bidder check accepts it");
        assert!(
            !page.is_empty() && stderr.contains(&page),
            "{name}: the page says\n  {page}\nbidder check says\n  {stderr}"
        );
        let disabled = browser
            .js("return document.querySelector('#submit').disabled;", vec![])
            .await;
        assert_eq!(disabled, json!(true), "{name}: submit stays disabled");
        if name == "price-out-of-range" {
            browser.shot_at("invalid-curve", "#bid-section").await;
        }
    }
    assert_eq!(
        browser.text("#check").await,
        "sell curve: two breakpoints at price 500"
    );
    // Not a number at all: the page says where.
    browser.type_curve("buy", &[("7x0", "10")]).await;
    browser.type_curve("sell", &[]).await;
    assert_eq!(
        browser.text("#check").await,
        "breakpoint 0: buy curve price \"7x0\" is not a whole number"
    );

    // A valid curve: the same first line and the same table as bidder check.
    let buy = [("700", "100"), ("400", "300")];
    let sell = [("900", "50")];
    browser.type_curve("buy", &buy).await;
    browser.type_curve("sell", &sell).await;
    let (code, stdout, stderr) = bidder_check(&dir, &buy, &sell);
    assert_eq!(code, 0, "{stderr}");
    let page = browser.text("#check").await;
    let table = browser
        .js(
            "return document.querySelector('#check-table').textContent;",
            vec![],
        )
        .await;
    let mut lines = stdout.lines();
    assert_eq!(lines.next().unwrap(), page);
    assert_eq!(
        lines.collect::<Vec<_>>().join("\n"),
        table.as_str().unwrap()
    );
    browser.shot_at("valid-curve", "#bid-section").await;
    // Nothing was sent anywhere while checking.
    assert_eq!(
        browser.js("return window.__posts.length;", vec![]).await,
        json!(0)
    );
    browser.quit().await;
}

/// What the page now shown cost to load: the document and every file it
/// loaded (not the API calls), bytes transferred (headers included) and
/// bytes of body, from the browser's resource timing.
async fn weight(browser: &Browser) -> Value {
    browser
        .js(
            r#"
            const nav = performance.getEntriesByType('navigation')[0];
            const res = performance.getEntriesByType('resource').filter((e) => !e.name.includes('/v1/'));
            const files = [[location.pathname, nav.transferSize, nav.encodedBodySize], ...res.map((e) => [new URL(e.name).pathname, e.transferSize, e.encodedBodySize])];
            return {files, transferred: files.reduce((s, f) => s + f[1], 0), body: files.reduce((s, f) => s + f[2], 0)};
            "#,
            vec![],
        )
        .await
}

/// The bundles the page posted, parsed, in node order.
async fn posted(browser: &Browser, from: usize) -> Vec<(String, Submission)> {
    let v = browser.js("return window.__posts;", vec![]).await;
    let mut out: Vec<(String, Submission)> = v.as_array().unwrap()[from..]
        .iter()
        .map(|p| {
            (
                p["url"].as_str().unwrap().to_string(),
                serde_json::from_str(p["body"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by_key(|(_, s)| s.node);
    out
}

/// Each node holds its own bundle of `version` and nothing of the others':
/// not their salts, and not the one component it must never have.
fn check_databases(
    cluster: &Cluster,
    subs: &[(String, Submission)],
    bidder: &BidderId,
    version: Version,
) {
    assert_eq!(subs.len(), 3);
    for i in 0..3 {
        let (url, s) = &subs[i];
        assert_eq!(s.node.index(), i);
        assert!(
            url.starts_with(&cluster.nodes[i].origin()),
            "bundle {i} went to {url}"
        );
        assert_eq!(s.version, version);
        let store =
            nodes::store::Store::open_read_only(&cluster.nodes[i].data.join("node.db")).unwrap();
        let held = store.bundle(bidder, version.0).unwrap();
        assert_eq!(held, s.bundle, "node {i} holds bundle {i} as sent");
        let bytes = cluster.database_bytes(i);
        assert!(
            contains(&bytes, &s.bundle.salt.0),
            "node {i} keeps its own salt"
        );
        for (j, (_, other)) in subs.iter().enumerate() {
            if j != i {
                let salt = &other.bundle.salt.0;
                assert!(
                    !contains(&bytes, salt),
                    "node {i}'s files hold the salt of bundle {j}"
                );
                assert!(
                    !contains(&bytes, hex::encode(salt).as_bytes()),
                    "node {i}'s files hold the salt of bundle {j} in hex"
                );
            }
        }
        // Node i holds x_i and x_{i+1}; x_{i+2} is bundle (i+2)'s own.
        let third = auction::wire::component_bytes(&subs[(i + 2) % 3].1.bundle.own);
        assert!(
            !contains(&bytes, &third),
            "node {i}'s files hold the component it must never see"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bid_through_the_page_is_stored_amended_cleared_and_verified() {
    let _one = one_at_a_time().await;
    let Some(mut browser) =
        Browser::start("a_bid_through_the_page_is_stored_amended_cleared_and_verified").await
    else {
        return;
    };
    let t_start = Instant::now();
    // The live view's screenshots are numbered by the steps seen: start
    // from an empty set.
    for e in std::fs::read_dir(browser_support::screenshot_dir())
        .unwrap()
        .flatten()
    {
        if e.file_name().to_string_lossy().starts_with("live-") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    // Other bidders, submitting with the bidder library.
    let others: Vec<BidderKey> = (0..5)
        .map(|i| BidderKey::generate(BidderId(format!("grower-{i:02}"))))
        .collect();
    let mut registered: Vec<(BidderId, ed25519_dalek::VerifyingKey)> = others
        .iter()
        .map(|k| (k.bidder.clone(), k.signing.verifying_key()))
        .collect();
    let mut cluster = Cluster::new(params(4), &registered, 250);

    // 1. The bidder creates a key in the page (node 0 serves it), and gives
    // the public key to the auctioneer, who registers it.
    cluster.start(0);
    cluster.wait_healthy(0).await;
    let page = format!("{}/", cluster.nodes[0].origin());
    browser.goto(&page).await;
    // A first load: a fresh browser profile, nothing cached.
    let page_weight = weight(&browser).await;
    browser.type_into("#new-bidder", "farmer-web").await;
    browser.click("#create-key").await;
    browser
        .wait_js(
            "document.querySelector('#key-bidder')?.textContent === 'farmer-web'",
            10,
        )
        .await;
    let public = browser.text("#key-public").await;
    assert!(
        browser
            .text("#key-registered")
            .await
            .contains("not registered")
    );
    browser.shot("bidder-01-key-created").await;
    cluster.kill(0);
    cluster.wipe_database(0);
    let web_key =
        ed25519_dalek::VerifyingKey::from_bytes(&hex::decode(&public).unwrap().try_into().unwrap())
            .unwrap();
    let web = BidderId("farmer-web".into());
    registered.push((web.clone(), web_key));
    cluster.write_auction(&registered);
    for i in 0..3 {
        cluster.start(i);
    }
    for i in 0..3 {
        cluster.wait_healthy(i).await;
    }

    // 2. The curve typed in, checked and drawn; submitted.
    browser.goto(&page).await;
    browser.wait_js("/registered in auction beet-web/.test(document.querySelector('#key-registered').textContent)", 10).await;
    browser
        .wait_js(
            "document.querySelector('#phase')?.textContent === 'collecting'",
            10,
        )
        .await;
    browser
        .type_curve("buy", &[("700", "100"), ("400", "300")])
        .await;
    browser.type_curve("sell", &[]).await;
    assert!(
        browser
            .text("#check")
            .await
            .starts_with("bid of farmer-web is valid")
    );
    browser
        .wait_js(
            "document.querySelectorAll('#chart svg path.curve.buy').length === 1",
            5,
        )
        .await;
    browser
        .wait_js(
            "document.querySelectorAll('#nodes tbody td.good').length === 3",
            10,
        )
        .await;
    browser.shot("bidder-02-curve-typed").await;
    browser.record().await;
    browser.click("#submit").await;
    browser.wait_js("/All three nodes acknowledged version 1/.test(document.querySelector('#verdict').textContent)", 20).await;
    let ms1: f64 = browser
        .js(
            "return document.querySelector('#timing').dataset.ms;",
            vec![],
        )
        .await
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    browser
        .shot_at("bidder-03-three-receipts", "#bid-section h2 + p")
        .await;
    let subs = posted(&browser, 0).await;
    check_databases(&cluster, &subs, &web, Version(1));

    // The receipts offered for download are receipts the bidder program
    // and the auditor read, and they verify.
    let receipts = browser
        .js_async(
            "return await Promise.all([...document.querySelectorAll('a.receipt')].map(async (a) => ({name: a.download, text: await window.__blobUrls[a.href].text()})));",
            vec![],
        )
        .await;
    let info = bidder_client::auction_file::load(&cluster.auction_path).unwrap();
    for (i, r) in receipts.as_array().unwrap().iter().enumerate() {
        assert_eq!(
            r["name"],
            json!(format!("beet-web.farmer-web.v1.node{i}.json"))
        );
        let receipt: Receipt = serde_json::from_str(r["text"].as_str().unwrap()).unwrap();
        assert!(receipt.verify(&info.nodes[i].public_key.0), "receipt {i}");
        assert_eq!(receipt.commitments, subs[0].1.commitments);
    }
    // The key exported from the page is a `bidder` key file.
    browser.click("#export-key").await;
    let exported = browser
        .js_async(
            "const b = window.__blobs[window.__blobs.length - 1]; return await b.text();",
            vec![],
        )
        .await;
    let kp = cluster.dir.path().join("exported.key.json");
    std::fs::write(&kp, exported.as_str().unwrap()).unwrap();
    assert_eq!(
        BidderKey::load(&kp).unwrap().signing.verifying_key(),
        web_key
    );

    // 3. The bidder amends: a higher version replaces the first.
    assert_eq!(
        browser
            .js("return document.querySelector('#version').value;", vec![])
            .await,
        json!("2")
    );
    browser
        .type_curve("buy", &[("700", "150"), ("400", "300"), ("250", "420")])
        .await;
    browser.click("#submit").await;
    browser.wait_js("/All three nodes acknowledged version 2/.test(document.querySelector('#verdict').textContent)", 20).await;
    let ms2: f64 = browser
        .js(
            "return document.querySelector('#timing').dataset.ms;",
            vec![],
        )
        .await
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let subs2 = posted(&browser, 3).await;
    check_databases(&cluster, &subs2, &web, Version(2));
    for i in 0..3 {
        // The first version is still held (the newest counts), and the new
        // salts are not the old ones.
        assert_ne!(subs2[i].1.bundle.salt, subs[i].1.bundle.salt);
    }
    browser
        .shot_at("bidder-04-amended", "#receipts-section")
        .await;
    let page_bid = RawBid {
        bidder: web.clone(),
        buy: vec![
            RawOrder {
                price: 700,
                quantity: 150,
            },
            RawOrder {
                price: 400,
                quantity: 150,
            },
            RawOrder {
                price: 250,
                quantity: 120,
            },
        ],
        sell: vec![],
    };

    // 4. The others bid through the bidder library.
    let apis = bidder_client::submit::node_apis(&info);
    let mut plaintext = vec![page_bid];
    for (i, k) in others.iter().enumerate() {
        let sell = vec![Order {
            price: Price(200 + 60 * i as u32),
            quantity: Quantity(40 + 10 * i as u32),
        }];
        let buy = if i == 4 {
            vec![Order {
                price: Price(650),
                quantity: Quantity(30),
            }]
        } else {
            vec![]
        };
        let bid = Bid {
            bidder: k.bidder.clone(),
            buy,
            sell,
        };
        let subs = bidder_client::submit::share_bid(&info.params, &bid, Version::FIRST, &k.signing)
            .unwrap();
        let report =
            bidder_client::submit::submit(&apis, &info, &subs, Default::default(), &|_| {}).await;
        assert!(report.complete(), "{:?}", report.nodes);
        plaintext.push(RawBid::from(&bid));
    }

    // 5. The live view of node 1 while bidding is open: no count.
    browser.client.new_window(true).await.unwrap();
    let windows = browser.client.windows().await.unwrap();
    let bidder_window = windows[0].clone();
    browser
        .client
        .switch_to_window(windows[1].clone())
        .await
        .unwrap();
    browser
        .goto(&format!("{}/live", cluster.nodes[1].origin()))
        .await;
    let live_weight = weight(&browser).await;
    browser
        .wait_js(
            "document.querySelector('#phase')?.textContent === 'collecting'",
            10,
        )
        .await;
    assert_eq!(
        browser.text("#bids").await,
        "How many have bid is shown once bidding has closed."
    );
    browser
        .wait_js(
            "document.querySelector('#steps [data-step=sort]')?.textContent === 'sort by price: 10 passes'",
            10,
        )
        .await;
    browser.shot("live-01-collecting").await;

    // 6. The close, and the clearing step by step.
    cluster.close_all();
    let mut seen: Vec<String> = vec!["collecting".into()];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = browser
            .js("return [document.querySelector('#phase')?.textContent, document.querySelector('#steps')?.dataset.current, !!document.querySelector('#outcome-price')];", vec![])
            .await;
        let phase = v[0].as_str().unwrap_or("").to_string();
        let step = v[1].as_str().unwrap_or("").to_string();
        let name = match phase.as_str() {
            "seeded" => format!("clearing {step}"),
            "published" if v[2] == json!(true) => "published".to_string(),
            "published" => "published, loading".to_string(),
            p => p.to_string(),
        };
        if seen.last() != Some(&name) {
            seen.push(name.clone());
            let file = format!("live-{:02}-{}", seen.len(), name.replace([' ', ','], "-"));
            browser.shot(&file).await;
        }
        if name == "published" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no outcome; seen {seen:?}\n{}",
            cluster.log(0)
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    eprintln!("live view steps seen: {seen:?}");
    assert!(
        seen.iter().any(|s| s.starts_with("clearing sort pass")),
        "{seen:?}"
    );
    // Every step arrived, in order, in the view's own log.
    let log = browser.text("#log").await;
    let mut at = usize::MAX;
    for want in [
        "phase closed",
        "clearing: validation",
        "clearing: sort pass 1 of 10",
        "clearing: sort pass 10 of 10",
        "clearing: price",
        "clearing: fills",
        "clearing: allocations",
        "phase published",
    ] {
        // The log is newest first.
        let pos = log
            .find(want)
            .unwrap_or_else(|| panic!("the live view never showed {want:?}:\n{log}"));
        assert!(pos < at, "{want:?} out of order in\n{log}");
        at = pos;
    }
    assert!(
        browser.text("#bids").await.starts_with("6 bidders bid"),
        "{}",
        browser.text("#bids").await
    );
    browser
        .wait_js(
            "document.querySelectorAll('#outcome-section svg.chart').length === 3",
            10,
        )
        .await;

    // 7. The outcome equals the reference over the plaintext bids.
    let (bundle, served, _) =
        bidder_client::result::fetch_bundle(&apis, &[0, 1, 2], &info.params.id)
            .await
            .unwrap();
    assert_eq!(served, vec![0, 1, 2]);
    let seed: auction::Seed = bundle.outcome.seed.parse().unwrap();
    let reference = auction::reference::clear_market(&MarketFile {
        auction: info.params.clone(),
        seed,
        bids: plaintext,
    });
    assert_eq!(bundle.outcome, reference, "the outcome is the reference's");
    assert!(bundle.outcome.volume.0 > 0, "{:?}", bundle.outcome);
    let price = bundle.outcome.price.unwrap().0;
    assert_eq!(browser.text("#outcome-price").await, price.to_string());
    browser.shot("live-99-outcome").await;

    // 8. The bidder's page: the price, its allocation, a passing check.
    browser
        .client
        .switch_to_window(bidder_window)
        .await
        .unwrap();
    browser
        .wait_js("!!document.querySelector('#result-verdict')", 20)
        .await;
    let mine = bundle
        .outcome
        .allocations
        .iter()
        .find(|a| a.bidder == web)
        .unwrap();
    assert_eq!(browser.text("#result-price").await, price.to_string());
    assert_eq!(
        browser.text("#result-allocation").await,
        format!("farmer-web: bought {}, sold {}", mine.bought.0, mine.sold.0)
    );
    assert!(
        browser
            .text("#result-verdict")
            .await
            .contains("What auditor verify would say: PASS"),
        "{}",
        browser.text("#result").await
    );
    assert!(
        browser
            .text("#result-consistent")
            .await
            .contains("version 2")
    );
    let audit = browser
        .js(
            "return document.querySelector('#audit').textContent;",
            vec![],
        )
        .await;
    assert!(
        audit.as_str().unwrap().contains("PASS  receipts"),
        "{audit}"
    );
    assert!(
        audit
            .as_str()
            .unwrap()
            .ends_with("verdict: PASS (11 checks)"),
        "{audit}"
    );
    browser
        .shot_at("bidder-05-result", "#receipts-section")
        .await;

    eprintln!(
        "submit to three verified receipts: version 1 {ms1:.0} ms, version 2 {ms2:.0} ms; test {:.1} s",
        t_start.elapsed().as_secs_f64()
    );
    eprintln!("first load of the bidder page: {page_weight}");
    eprintln!("first load of the live view: {live_weight}");
    for w in [&page_weight, &live_weight] {
        assert!(
            w["transferred"].as_u64().unwrap() < 200_000,
            "the pages stay light: {w}"
        );
    }
    for s in &browser.shots {
        eprintln!("screenshot {}", s.display());
    }
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_is_down_is_named_and_a_retry_completes() {
    let _one = one_at_a_time().await;
    let Some(mut browser) =
        Browser::start("a_node_that_is_down_is_named_and_a_retry_completes").await
    else {
        return;
    };
    let key = BidderKey::generate(BidderId("farmer-0003".into()));
    let mut cluster = Cluster::new(
        params(2),
        &[(key.bidder.clone(), key.signing.verifying_key())],
        0,
    );
    let key_path = cluster.dir.path().join("farmer-0003.key.json");
    key.save(&key_path).unwrap();
    cluster.start(0);
    cluster.start(1);
    cluster.wait_healthy(0).await;
    cluster.wait_healthy(1).await;
    browser
        .goto(&format!("{}/", cluster.nodes[0].origin()))
        .await;
    browser.upload("#import-key", &key_path).await;
    browser
        .wait_js(
            "/registered in auction/.test(document.querySelector('#key-registered').textContent)",
            10,
        )
        .await;
    browser
        .wait_js(
            "document.querySelector('#phase')?.textContent === 'collecting'",
            10,
        )
        .await;
    browser.type_curve("sell", &[("300", "20")]).await;
    browser.record().await;
    browser.click("#submit").await;
    browser.wait_js("/Only 2 of 3 nodes acknowledged version 1/.test(document.querySelector('#verdict').textContent)", 30).await;
    let verdict = browser.text("#verdict").await;
    let node2 = cluster.nodes[2].origin();
    assert!(
        verdict.contains(&format!(
            "Node 2 did not acknowledge: not reachable at {node2}"
        )),
        "{verdict}"
    );
    assert!(verdict.contains("THE BID DOES NOT COUNT"), "{verdict}");
    assert!(
        !verdict.contains("Node 0 did not") && !verdict.contains("Node 1 did not"),
        "{verdict}"
    );
    for (i, state) in [(0, "acknowledged"), (1, "acknowledged"), (2, "unreachable")] {
        let s = browser
            .js(
                &format!("return document.querySelector('#ack-{i}').dataset.state;"),
                vec![],
            )
            .await;
        assert_eq!(s, json!(state), "node {i}");
    }
    browser
        .shot_at("node-down-01-named", "#bid-section h2 + p")
        .await;

    // Node 2 comes back; the retry sends it the same bundle.
    cluster.start(2);
    cluster.wait_healthy(2).await;
    browser.click("#retry").await;
    browser.wait_js("/All three nodes acknowledged version 1/.test(document.querySelector('#verdict').textContent)", 20).await;
    browser
        .shot_at("node-down-02-retry-completes", "#bid-section h2 + p")
        .await;
    let posts = browser
        .js("return window.__posts.map((p) => p.url);", vec![])
        .await;
    let to_2 = posts
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u.as_str().unwrap().starts_with(&node2))
        .count();
    assert_eq!(to_2, 4, "three attempts while down, one after: {posts}");
    let subs = posted(&browser, 0).await;
    // The bundle node 2 finally stored is the one sent with the others.
    let mut firsts: Vec<(String, Submission)> = vec![];
    for n in PartyId::ALL {
        firsts.push(subs.iter().find(|(_, s)| s.node == n).unwrap().clone());
    }
    check_databases(&cluster, &firsts, &key.bidder, Version::FIRST);
    browser.quit().await;
}
