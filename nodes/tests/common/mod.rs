//! Three real `clearing-node` processes on 127.0.0.1, .2 and .3, with keys,
//! an auction file and registered bidders in a temporary folder.
#![allow(dead_code)]

mod ports;

use auction::wire::{Digest, Submission};
use auction::{AuctionParams, Bid, BidderId, Order, Price, Quantity};
use ed25519_dalek::SigningKey;
use nodes::client::call;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_clearing-node");

pub struct NodeInfo {
    pub api: SocketAddr,
    pub fingerprint: Digest,
    pub config: PathBuf,
    pub data: PathBuf,
}

pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<NodeInfo>,
    pub children: Vec<Option<Child>>,
    pub params: AuctionParams,
    pub keys: BTreeMap<BidderId, SigningKey>,
    pub auction_path: PathBuf,
    /// `RUST_LOG` for the node processes (default: theirs, `info`).
    pub log_filter: Option<String>,
    /// Extra environment of each node's process.
    pub env: [Vec<(String, String)>; 3],
}

pub use ports::free_port;

pub fn bidder_key(id: &str) -> SigningKey {
    SigningKey::from_bytes(&Sha256::digest(format!("test bidder key {id}")).into())
}

pub fn bidder_name(i: usize) -> BidderId {
    BidderId(format!("bidder-{i:04}"))
}

impl Cluster {
    /// Keys, configs and the auction file for three nodes and `bidders`
    /// registered bidders; no process started.
    pub fn new(bidders: usize, k: u32) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let auction_path = dir.path().join("auction.json");
        let params = AuctionParams {
            id: "test-auction".into(),
            max_price: 1000,
            max_quantity: 1000,
            max_orders_per_side: k,
        };
        let mut nodes = Vec::new();
        let mut entries = Vec::new();
        for i in 0..3u8 {
            let ip = format!("127.0.0.{}", i + 1);
            let api: SocketAddr = format!("{ip}:{}", free_port(&ip)).parse().unwrap();
            let peer: SocketAddr = format!("{ip}:{}", free_port(&ip)).parse().unwrap();
            let data = dir.path().join(format!("node{i}"));
            let out = Command::new(BIN)
                .args(["init", "--json", "--data"])
                .arg(&data)
                .args([
                    "--index",
                    &i.to_string(),
                    "--api",
                    &api.to_string(),
                    "--peer",
                    &peer.to_string(),
                    "--auction",
                ])
                .arg(&auction_path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "init failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            entries.push(serde_json::json!({
                "index": i, "api": api, "peer": peer,
                "public_key": v["public_key"], "cert_fingerprint": v["cert_fingerprint"],
            }));
            nodes.push(NodeInfo {
                api,
                fingerprint: Digest::from_hex(v["cert_fingerprint"].as_str().unwrap()).unwrap(),
                config: data.join("node.toml"),
                data,
            });
        }
        let mut keys = BTreeMap::new();
        let mut registered = Vec::new();
        for i in 0..bidders {
            let id = bidder_name(i);
            let key = bidder_key(&id.0);
            registered.push(serde_json::json!({"id": id, "public_key": hex::encode(key.verifying_key().as_bytes())}));
            keys.insert(id, key);
        }
        let now = nodes::config::now_unix();
        let file = serde_json::json!({
            "auction": params,
            "open_unix": now - 60,
            "close_unix": now + 3600,
            "nodes": entries,
            "bidders": registered,
        });
        std::fs::write(&auction_path, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
        Cluster {
            dir,
            nodes,
            children: vec![None, None, None],
            params,
            keys,
            auction_path,
            log_filter: None,
            env: Default::default(),
        }
    }

    pub fn start(&mut self, i: usize) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.nodes[i].data.join("log.txt"))
            .unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args(["run", "--config"])
            .arg(&self.nodes[i].config)
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(f) = &self.log_filter {
            cmd.env("RUST_LOG", f);
        }
        cmd.envs(self.env[i].iter().map(|(k, v)| (k, v)));
        let child = cmd.spawn().unwrap();
        self.children[i] = Some(child);
    }

    pub fn start_all(&mut self) {
        for i in 0..3 {
            self.start(i);
        }
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.nodes[i].data.join("log.txt")).unwrap_or_default()
    }

    pub async fn get(&self, i: usize, path: &str) -> anyhow::Result<(u16, Value)> {
        let n = &self.nodes[i];
        let (status, body) = call(n.api, n.fingerprint, "GET", path, None).await?;
        Ok((status, serde_json::from_slice(&body)?))
    }

    pub async fn post(&self, i: usize, body: Vec<u8>) -> anyhow::Result<(u16, Value)> {
        let n = &self.nodes[i];
        let (status, body) = call(n.api, n.fingerprint, "POST", "/v1/bids", Some(body)).await?;
        Ok((status, serde_json::from_slice(&body)?))
    }

    pub async fn submit_to(&self, i: usize, sub: &Submission) -> anyhow::Result<(u16, Value)> {
        self.post(i, serde_json::to_vec(sub).unwrap()).await
    }

    pub async fn wait_healthy(&self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = self.get(i, "/v1/health").await {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "node {i} did not come up; log:\n{}",
                self.log(i)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn status(&self, i: usize) -> Value {
        self.get(i, "/v1/status").await.unwrap().1
    }

    /// The operator's view (`clearing-node status --json`): reads the
    /// node's database, and asks the node when it runs.
    pub fn operator_status(&self, i: usize) -> Value {
        let out = Command::new(BIN)
            .args(["status", "--json", "--bids", "--config"])
            .arg(&self.nodes[i].config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "status failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn close(&self, i: usize) {
        let out = Command::new(BIN)
            .args(["close", "--config"])
            .arg(&self.nodes[i].config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "close failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Waits until node `i`'s status satisfies `f`.
    pub async fn wait_status(
        &self,
        i: usize,
        secs: u64,
        what: &str,
        f: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Ok((200, v)) = self.get(i, "/v1/status").await {
                if f(&v) {
                    return v;
                }
                if Instant::now() > deadline {
                    panic!(
                        "node {i}: {what} not reached in {secs} s; status {v:#}\nlog:\n{}",
                        self.log(i)
                    );
                }
            } else if Instant::now() > deadline {
                panic!(
                    "node {i}: {what} not reached in {secs} s; not answering\nlog:\n{}",
                    self.log(i)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Each node's API address and certificate fingerprint.
    pub fn endpoints(&self) -> Vec<(SocketAddr, Digest)> {
        self.nodes.iter().map(|n| (n.api, n.fingerprint)).collect()
    }

    pub fn key(&self, b: &BidderId) -> &SigningKey {
        &self.keys[b]
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..3 {
            self.kill(i);
        }
    }
}

/// A small deterministic random bid: buys and sells around the middle.
pub fn random_bid(bidder: BidderId, k: u32, seed: u64) -> Bid {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let n_buy = next(k as u64 + 1) as usize;
    let n_sell = next(k as u64 + 1) as usize;
    let mut order = |lo: u64| Order {
        price: Price((lo + next(400)) as u32),
        quantity: Quantity(next(50) as u32),
    };
    Bid {
        bidder,
        buy: (0..n_buy).map(|_| order(300)).collect(),
        sell: (0..n_sell).map(|_| order(250)).collect(),
    }
}
