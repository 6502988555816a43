//! `clearing-node bench intake`: bid intake of one node. A node's bidder API
//! (HTTPS, signature checks, SQLite with `synchronous=FULL`, signed receipts)
//! runs on its own runtime; many concurrent clients, each on a kept-alive TLS
//! connection, submit distinct pre-signed bids of K slots per side. Prints
//! acknowledged bids per second and the median and 99th-percentile latency.

use crate::client::api_client;
use crate::config::NodeConfig;
use crate::identity::Identity;
use auction::wire::{Version, prepare_submissions};
use auction::{AuctionParams, Bid, BidderId, Order, Price, Quantity};
use clap::Args;
use ed25519_dalek::SigningKey;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arguments of `bench intake`.
#[derive(Args, Debug)]
pub struct IntakeArgs {
    /// Bids to submit (one per bidder).
    #[arg(long, default_value_t = 20_000)]
    pub bids: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Slots per side (K).
    #[arg(long, default_value_t = 16)]
    pub k: u32,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmark.
pub fn run(a: IntakeArgs) -> anyhow::Result<()> {
    let dir =
        TempDir(std::env::temp_dir().join(format!("clearing-node-intake-{}", std::process::id())));
    std::fs::create_dir_all(dir.path())?;
    let ids: Vec<Identity> = (0..3)
        .map(|i| Identity::create(&dir.path().join(format!("n{i}"))))
        .collect::<Result<_, _>>()?;
    let params = AuctionParams {
        id: "intake-bench".into(),
        max_price: 100_000,
        max_quantity: 1_000_000,
        max_orders_per_side: a.k,
    };
    let keys: Vec<SigningKey> = (0..a.bids)
        .map(|i| SigningKey::from_bytes(&[(i % 251) as u8; 32]))
        .collect();
    let bidders: Vec<serde_json::Value> = (0..a.bids)
        .map(|i| serde_json::json!({"id": format!("b{i:07}"), "public_key": hex::encode(keys[i].verifying_key().as_bytes())}))
        .collect();
    let api: std::net::SocketAddr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?
    };
    let nodes: Vec<serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            serde_json::json!({"index": i, "api": api, "peer": "127.0.0.1:9",
                "public_key": id.public_key_hex(), "cert_fingerprint": id.fingerprint()})
        })
        .collect();
    let now = crate::config::now_unix();
    let file = serde_json::json!({"auction": params, "open_unix": now - 10, "close_unix": now + 86_400,
        "nodes": nodes, "bidders": bidders});
    let auction_path = dir.path().join("auction.json");
    std::fs::write(&auction_path, serde_json::to_vec(&file)?)?;
    let config = NodeConfig {
        index: 0,
        api_listen: api,
        peer_listen: "127.0.0.1:9".parse()?,
        data: dir.path().join("n0"),
        auction: Some(auction_path),
        api_cert_chain: None,
        api_key: None,
        page_listen: None,
        page_origins: vec![],
        clearing_pace_ms: 0,
        api_limits: Default::default(),
        security: Default::default(),
    };
    let fingerprint = ids[0].fingerprint();

    eprintln!("preparing {} signed bids (K = {}) ...", a.bids, a.k);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut bodies = Vec::with_capacity(a.bids);
    for (i, key) in keys.iter().enumerate() {
        let mut order = |lo: u32| Order {
            price: Price(lo + rng.gen_range(0..20_000)),
            quantity: Quantity(rng.gen_range(1..1000)),
        };
        let bid = Bid {
            bidder: BidderId(format!("b{i:07}")),
            buy: (0..a.k).map(|_| order(40_000)).collect(),
            sell: (0..a.k).map(|_| order(45_000)).collect(),
        };
        let [s0, _, _] = prepare_submissions(&params, &bid, Version::FIRST, key, &mut rng)?;
        bodies.push(serde_json::to_vec(&s0)?);
    }

    // The node: its own runtime, as in `clearing-node run`.
    let node_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let node = Arc::new(crate::node::Node::open(&config)?);
    let tls = crate::tls::api_server(&node.identity)?;
    let listener = node_rt.block_on(tokio::net::TcpListener::bind(api))?;
    node_rt.spawn(crate::web::serve_api(
        listener,
        tls,
        node.clone(),
        config.api_limits.clone(),
    ));

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let bodies = Arc::new(bodies);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (latencies, elapsed, failures) = client_rt.block_on(async {
        let mut conns = Vec::new();
        for _ in 0..a.clients {
            let conn = api_client(api, fingerprint);
            conn.open().await?;
            conns.push(conn);
        }
        let start = Instant::now();
        let mut tasks = Vec::new();
        for conn in conns {
            let (bodies, next) = (bodies.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut failures = 0usize;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= bodies.len() {
                        break;
                    }
                    let t = Instant::now();
                    match conn.post_json("/v1/bids", bodies[i].clone()).await {
                        Ok((200, _)) => lat.push(t.elapsed()),
                        _ => failures += 1,
                    }
                }
                (lat, failures)
            }));
        }
        let mut all = Vec::new();
        let mut failures = 0;
        for t in tasks {
            let (l, f) = t.await?;
            all.extend(l);
            failures += f;
        }
        anyhow::Ok((all, start.elapsed(), failures))
    })?;
    let state = node.default_auction().expect("the bench's auction");
    let (held_bidders, _) = state.store.counts()?;
    let mut lat = latencies;
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(Duration::ZERO)
    };
    let rate = lat.len() as f64 / elapsed.as_secs_f64();
    if a.json {
        crate::outln!(
            "{}",
            serde_json::json!({"acknowledged": lat.len(), "failed": failures, "stored": held_bidders,
                "seconds": elapsed.as_secs_f64(), "bids_per_second": rate,
                "median_ms": pct(0.5).as_secs_f64() * 1e3, "p99_ms": pct(0.99).as_secs_f64() * 1e3,
                "clients": a.clients, "k": a.k})
        );
    } else {
        crate::outln!(
            "bid intake, one node, K = {}, {} clients, synchronous=FULL",
            a.k,
            a.clients
        );
        crate::outln!(
            "acknowledged: {} of {} ({} failed; {} stored)",
            lat.len(),
            bodies.len(),
            failures,
            held_bidders
        );
        crate::outln!("throughput:   {rate:.0} acknowledged bids/s");
        crate::outln!(
            "latency:      median {:.2} ms, p99 {:.2} ms",
            pct(0.5).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3
        );
    }
    anyhow::ensure!(
        held_bidders as usize == lat.len(),
        "stored {held_bidders} bids but acknowledged {}",
        lat.len()
    );
    drop(node_rt);
    Ok(())
}

/// A folder removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
