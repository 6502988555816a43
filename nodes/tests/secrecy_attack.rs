//! The guess-confirming attack, played from each node's chair.
//!
//! A node holds two of the three components of every value of a bid. If
//! anything it stores, logs or receives is a hash that involves the third
//! component in a way it can compute, it can take a guess `v` of the bid,
//! derive the missing component `x_{i+2} = v - x_i - x_{i+1}` and test the
//! guess. Bids have little entropy, so it can try them all.
//!
//! The attacker here is node `i` after a whole auction: it gathers every
//! 32-byte string in everything it has (every byte window and every hex run
//! of every file in its data folder: the SQLite file with its `-wal` and
//! `-shm`, its keys and certificate, its config, its log with every peer
//! message it received at trace level; and every submission it received),
//! and searches all bids of one order, buy or sell, price and quantity each
//! in `0..=1000`, for one that any hash construction it knows confirms:
//! format 1's unsalted bundle digest, format 2's commitment with every salt
//! it knows (its own, and zero), the component digest the nodes exchange,
//! and plain SHA-256 of the component and of the bid.
//!
//! On format 1 (the retired vectors) the search finds the bid from any one
//! node's submission. On format 2 it finds nothing at any node, though a
//! control run that is handed the one missing salt finds the bid from the
//! same view, which shows the view and the search are the real ones.

mod common;

use auction::wire::{
    Salt, ShareBundle, Submission, Version, component_digest, prepare_submissions,
};
use auction::{Bid, BidderId, Order, Price, Quantity};
use common::*;
use sha2::{Digest as _, Sha256};
use shares::PartyId;
use std::collections::HashSet;
use std::path::Path;

/// Every value of the bid in the share layout, K = 1: buy price, buy
/// quantity, sell price, sell quantity.
type Values = [u64; 4];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Buy,
    Sell,
}

fn values(side: Side, price: u64, quantity: u64) -> Values {
    match side {
        Side::Buy => [price, quantity, 0, 0],
        Side::Sell => [0, 0, price, quantity],
    }
}

fn party(i: u8) -> PartyId {
    PartyId::try_from(i).unwrap()
}

fn be(v: &[u64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// What one node holds of one bid, and every 32-byte string it has.
struct View {
    node: u8,
    bidder: BidderId,
    version: u64,
    own: Vec<u64>,
    next: Vec<u64>,
    /// Salts the attacker can try: the ones it knows.
    salts: Vec<[u8; 32]>,
    targets: HashSet<[u8; 32]>,
}

/// Every 32-byte window of `bytes`, and every 64-digit window (at even
/// offsets) of every run of hex digits, decoded.
fn harvest(bytes: &[u8], into: &mut HashSet<[u8; 32]>) {
    for w in bytes.windows(32) {
        into.insert(w.try_into().unwrap());
    }
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_hexdigit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
            i += 1;
        }
        let run = &bytes[start..i];
        for off in (0..=run.len().saturating_sub(64)).step_by(2) {
            if run.len() - off < 64 {
                break;
            }
            if let Ok(b) = hex::decode(&run[off..off + 64]) {
                into.insert(b.try_into().unwrap());
            }
        }
    }
}

fn harvest_folder(dir: &Path, into: &mut HashSet<[u8; 32]>) -> Vec<String> {
    let mut seen = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            harvest(&std::fs::read(e.path()).unwrap(), into);
            seen.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    seen.sort();
    seen
}

/// The hash constructions the attacker tries on a candidate; each yields
/// digests to look up in its targets.
fn candidates_confirmed(view: &View, v: &Values) -> bool {
    let i = view.node;
    let (j1, j2) = ((i + 1) % 3, (i + 2) % 3);
    let missing: Vec<u64> = (0..4)
        .map(|k| v[k].wrapping_sub(view.own[k]).wrapping_sub(view.next[k]))
        .collect();
    let hit = |d: [u8; 32]| view.targets.contains(&d);
    // Format 1's unsalted bundle digest of the two bundles the node lacks.
    let v1 = |j: u8, a: &[u64], b: &[u64]| -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"triad/v1/bundle\0");
        h.update([j]);
        h.update((a.len() as u32).to_be_bytes());
        h.update(be(a));
        h.update(be(b));
        h.finalize().into()
    };
    if hit(v1(j1, &view.next, &missing)) || hit(v1(j2, &missing, &view.own)) {
        return true;
    }
    // Format 2's commitment with each salt the attacker knows.
    for s in &view.salts {
        let b1 = ShareBundle {
            own: view.next.clone(),
            next: missing.clone(),
            salt: Salt(*s),
        };
        let b2 = ShareBundle {
            own: missing.clone(),
            next: view.own.clone(),
            salt: Salt(*s),
        };
        if hit(b1.commitment(party(j1)).0) || hit(b2.commitment(party(j2)).0) {
            return true;
        }
    }
    // The component digest, and plain hashes.
    hit(component_digest(&view.bidder, Version(view.version), j2, &missing).0)
        || hit(Sha256::digest(be(&missing)).into())
        || hit(Sha256::digest(be(v)).into())
}

/// Every bid of one order, either side, price and quantity in `0..=1000`,
/// that the view confirms (two threads).
fn search(view: &View) -> Vec<(Side, u64, u64)> {
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..2u64)
            .map(|t| {
                s.spawn(move || {
                    let mut found = Vec::new();
                    for side in [Side::Buy, Side::Sell] {
                        for p in (t..=1000).step_by(2) {
                            for q in 0..=1000 {
                                if candidates_confirmed(view, &values(side, p, q)) {
                                    found.push((side, p, q));
                                }
                            }
                        }
                    }
                    found
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn format_1_digests_give_the_bid_away_to_any_node() {
    // The retired format's known-answer vector: `buy 100 @ 700`, K = 1.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../auction/tests/vectors/wire-v1.json"
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for node in 0..3u8 {
        // Node `node` received exactly this submission.
        let sub = &file["submissions"][node as usize];
        assert_eq!(sub["format"], 1);
        assert_eq!(sub["node"], node);
        let mut targets = HashSet::new();
        harvest(serde_json::to_string(sub).unwrap().as_bytes(), &mut targets);
        let comp = |f: &str| -> Vec<u64> {
            hex::decode(sub["bundle"][f].as_str().unwrap())
                .unwrap()
                .chunks(8)
                .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
                .collect()
        };
        let view = View {
            node,
            bidder: BidderId(sub["bidder"].as_str().unwrap().into()),
            version: sub["version"].as_u64().unwrap(),
            own: comp("own"),
            next: comp("next"),
            salts: vec![[0; 32]],
            targets,
        };
        assert_eq!(
            search(&view),
            vec![(Side::Buy, 700, 100)],
            "node {node} reads the bid off the format-1 digests"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_node_can_confirm_a_guess_after_a_whole_auction() {
    let mut c = Cluster::new(2, 1);
    // Every ceremony message a node receives goes to its log.
    c.log_filter = Some("info,nodes::peer=trace".into());
    c.start_all();
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    let (alice, bob) = (bidder_name(0), bidder_name(1));
    let order = |p: u32, q: u32| Order {
        price: Price(p),
        quantity: Quantity(q),
    };
    let secret = Bid {
        bidder: alice.clone(),
        buy: vec![order(700, 100)],
        sell: vec![],
    };
    let other = Bid {
        bidder: bob.clone(),
        buy: vec![],
        sell: vec![order(600, 150)],
    };
    let mut rng = rand::rngs::OsRng;
    let mut received: Vec<Vec<Submission>> = vec![vec![], vec![], vec![]];
    let mut alice_subs = None;
    for (bid, version) in [(&secret, 1), (&other, 1), (&secret, 2)] {
        let subs = prepare_submissions(
            &c.params,
            bid,
            Version(version),
            c.key(&bid.bidder),
            &mut rng,
        )
        .unwrap();
        for i in 0..3 {
            let (s, v) = c.submit_to(i, &subs[i]).await.unwrap();
            assert_eq!(s, 200, "{v}");
            received[i].push(subs[i].clone());
        }
        if bid.bidder == alice && version == 2 {
            alice_subs = Some(subs);
        }
    }
    let alice_subs = alice_subs.unwrap();
    c.close(0);
    for i in 0..3 {
        c.wait_status(i, 120, "published", |v| v["phase"] == "published")
            .await;
    }
    let (_, bundle) = c.get(0, "/v1/outcome").await.unwrap();
    assert_eq!(bundle["outcome"]["volume"], 100, "{bundle}");
    for i in 0..3 {
        c.kill(i);
    }

    for node in 0..3u8 {
        let i = node as usize;
        let mut targets = HashSet::new();
        let files = harvest_folder(&c.nodes[i].data, &mut targets);
        for f in ["node.db", "identity.key", "tls.key", "tls.crt", "log.txt"] {
            assert!(
                files.iter().any(|x| x == f),
                "node {node}: no {f} in {files:?}"
            );
        }
        assert!(
            c.log(i).contains("peer frame received") && c.log(i).contains("bid_list"),
            "node {node}'s log lacks the peer messages it received"
        );
        for s in &received[i] {
            harvest(&serde_json::to_vec(s).unwrap(), &mut targets);
        }
        let mine = &alice_subs[i];
        let missing_salts = [
            alice_subs[(i + 1) % 3].bundle.salt.0,
            alice_subs[(i + 2) % 3].bundle.salt.0,
        ];
        // The two salts that would unlock the other commitments, and the
        // missing component itself, appear nowhere in what the node has.
        for s in &missing_salts {
            assert!(
                !targets.contains(s),
                "node {node} holds another node's salt"
            );
        }
        let missing_component = be(&alice_subs[(i + 2) % 3].bundle.own);
        assert!(
            !targets.contains(&<[u8; 32]>::try_from(&missing_component[..]).unwrap()),
            "node {node} holds the component it must not have"
        );
        let mut view = View {
            node,
            bidder: alice.clone(),
            version: 2,
            own: mine.bundle.own.clone(),
            next: mine.bundle.next.clone(),
            salts: vec![mine.bundle.salt.0, [0; 32]],
            targets,
        };
        assert_eq!(
            search(&view),
            vec![],
            "node {node} confirmed a guess of the bid"
        );
        // Control: the same view and search, handed the one salt the node
        // never sees, find the bid.
        view.salts = vec![missing_salts[0]];
        assert_eq!(
            search(&view),
            vec![(Side::Buy, 700, 100)],
            "node {node}: the control search should find the bid with the missing salt"
        );
    }
}
