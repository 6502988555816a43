//! One running node: its state shared by the API, the peer links and the
//! life cycle, and `run`, which starts them.

use crate::config::{NodeConfig, now_unix};
use crate::halt::{HALT_KEY, Halt};
use crate::identity::Identity;
use crate::store::Store;
use anyhow::{Context, bail};
use auction::auction_file::AuctionInfo;
use auction::wire::Digest;
use bytes::Bytes;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::net::TcpListener;

/// What one node knows of a peer.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub struct PeerStatus {
    /// The peer's index.
    pub node: u8,
    /// `ok`, `unreachable`, `refused` or `unknown`.
    pub state: String,
    /// Details.
    pub message: String,
    /// When this state was last seen (Unix seconds).
    pub since_unix: u64,
}

/// Progress of the clearing, for the status route.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Progress {
    /// The step being worked on.
    pub step: String,
    /// Nodes this node is waiting for, with why.
    pub waiting_for: Vec<String>,
    /// The last problem, if any.
    pub problem: Option<String>,
}

/// Everything a running node shares between its tasks.
pub struct NodeState {
    /// This node's index.
    pub index: u8,
    /// The auction file.
    pub auction: AuctionInfo,
    /// Its bytes, served to bidders.
    pub registry: crate::registry::Registry,
    /// The node's keys (the same for every auction it serves).
    pub identity: Arc<Identity>,
    /// The database.
    pub store: Store,
    /// Peers as last seen.
    pub peers: Mutex<Vec<PeerStatus>>,
    /// Clearing progress.
    pub progress: Mutex<Progress>,
    /// Incoming clearing links from the predecessor.
    pub mpc_links: crate::clearing::Links,
    /// Set when the life cycle stopped for good (also kept in the database).
    halted: Mutex<Option<Halt>>,
    /// The pages, their origins and the live view (`crate::web`).
    pub web: crate::web::Web,
}

impl NodeState {
    /// Loads one auction of this node (`crate::sites`): its file, its
    /// database, its registry. For the auction of `node.toml` the keys in
    /// the data folder must be the ones its file lists for the configured
    /// index; an added auction's index was found by the keys.
    pub fn load(
        config: &NodeConfig,
        site: &crate::sites::Site,
        identity: Arc<Identity>,
    ) -> anyhow::Result<NodeState> {
        let auction_bytes = std::fs::read(&site.file)
            .with_context(|| format!("reading auction file {}", site.file.display()))?;
        let auction = AuctionInfo::from_bytes(&auction_bytes)
            .with_context(|| format!("auction file {}", site.file.display()))?;
        let entry = auction.node(site.index);
        if entry.public_key.0 != identity.signing.verifying_key() {
            bail!(
                "the auction file lists public key {} for node {}, but this data folder holds {}",
                entry.public_key.to_hex(),
                site.index,
                identity.public_key_hex()
            );
        }
        if entry.cert_fingerprint != identity.fingerprint() {
            bail!(
                "the auction file lists certificate fingerprint {} for node {}, but this data folder's certificate is {}",
                entry.cert_fingerprint,
                site.index,
                identity.fingerprint()
            );
        }
        let window = (auction.open_unix, auction.close_unix);
        let store = Store::open(&site.db, &auction.hash, window)?;
        let halted = match store.get(HALT_KEY)? {
            Some(b) => Some(
                serde_json::from_slice::<Halt>(&b)
                    .with_context(|| format!("the database's {HALT_KEY} record does not parse"))?,
            ),
            None => None,
        };
        let peers = (0..3u8)
            .map(|i| PeerStatus {
                node: i,
                state: "unknown".into(),
                message: String::new(),
                since_unix: now_unix(),
            })
            .collect();
        let web = crate::web::Web::new(config, &auction);
        let registry = crate::registry::Registry::new(
            site.file.clone(),
            auction.clone(),
            Bytes::from(auction_bytes),
        );
        // Agreed at the close: the file no longer changes it.
        if let Some(b) = store.get(crate::registry::STORE_KEY)? {
            let stored: crate::registry::Stored =
                serde_json::from_slice(&b).with_context(|| {
                    format!(
                        "the database's {} record does not parse",
                        crate::registry::STORE_KEY
                    )
                })?;
            registry.freeze(crate::registry::from_stored(stored));
        }
        Ok(NodeState {
            index: site.index,
            auction,
            registry,
            identity,
            store,
            peers: Mutex::new(peers),
            progress: Mutex::new(Progress::default()),
            mpc_links: crate::clearing::Links::default(),
            halted: Mutex::new(halted),
            web,
        })
    }

    /// Records what was last seen of a peer; logs changes.
    pub fn set_peer(&self, node: u8, state: &str, message: &str) {
        let mut peers = self.peers.lock().expect("peers lock");
        let p = &mut peers[node as usize];
        if p.state != state {
            match state {
                "ok" => tracing::info!(peer = node, "peer reachable"),
                "refused" => {
                    tracing::error!(peer = node, reason = %message, "peer refuses to work together")
                }
                _ => tracing::warn!(peer = node, reason = %message, "peer unreachable"),
            }
            p.since_unix = now_unix();
        }
        p.state = state.to_string();
        p.message = message.to_string();
    }

    /// Records what the step waits for, keeping the last problem.
    pub fn set_waiting(&self, step: &str, waiting_for: Vec<String>) {
        let mut p = self.progress.lock().expect("progress lock");
        p.step = step.to_string();
        p.waiting_for = waiting_for;
    }

    /// Records clearing progress.
    pub fn set_progress(&self, step: &str, waiting_for: Vec<String>, problem: Option<String>) {
        let mut p = self.progress.lock().expect("progress lock");
        p.step = step.to_string();
        p.waiting_for = waiting_for;
        p.problem = problem;
        drop(p);
        self.web.poke();
    }

    /// Why the life cycle stopped for good, if it did.
    pub fn halted(&self) -> Option<Halt> {
        self.halted.lock().expect("halted lock").clone()
    }

    /// Records that the life cycle stopped for good.
    pub fn set_halted(&self, h: Halt) {
        self.set_progress(&h.phase, vec![], Some(h.problem()));
        *self.halted.lock().expect("halted lock") = Some(h);
    }

    /// The status document of `GET /v1/status`. While bidding is open it
    /// says the phase and the close time but not how many bidders have bid
    /// or how many versions are held: that is for the operator's `status`
    /// command only.
    pub fn status(&self) -> anyhow::Result<crate::status::Status> {
        use crate::status::{AgreedSummary, BidCounts, Clearing, RegistrySummary, Status};
        let phase = self.store.phase()?;
        let close_reason = self
            .store
            .get("close_reason")?
            .map(|v| String::from_utf8_lossy(&v).into_owned());
        let peers: Vec<PeerStatus> = self
            .peers
            .lock()
            .expect("peers lock")
            .iter()
            .filter(|p| p.node != self.index)
            .cloned()
            .collect();
        let progress = self.progress.lock().expect("progress lock").clone();
        let clearing = match self.halted() {
            Some(h) => Clearing {
                step: h.phase.clone(),
                waiting_for: vec![],
                problem: Some(h.problem()),
                halted: true,
            },
            None => Clearing {
                step: progress.step,
                waiting_for: progress.waiting_for,
                problem: progress.problem,
                halted: false,
            },
        };
        // The agreed set and its exclusions are public once agreed.
        let agreed = match self.store.get("agreed")? {
            Some(b) => {
                let a: crate::life::Agreed = serde_json::from_slice(&b)?;
                Some(AgreedSummary {
                    bid_set: a.bid_set,
                    bids: a.entries.len(),
                    excluded: a.excluded,
                })
            }
            None => None,
        };
        let bids = if phase != crate::store::Phase::Collecting {
            let (bidders, versions) = self.store.counts()?;
            Some(BidCounts { bidders, versions })
        } else {
            None
        };
        Ok(Status {
            auction: self.auction.params.id.clone(),
            auction_hash: self.auction.hash,
            node: self.index,
            phase,
            close_reason,
            opens: auction::time::rfc3339(self.auction.open_unix),
            closes: auction::time::rfc3339(self.auction.close_unix),
            open_unix: self.auction.open_unix,
            close_unix: self.auction.close_unix,
            now_unix: now_unix(),
            clearing,
            agreed,
            peers,
            // The registry is in the auction file every node serves.
            registry: RegistrySummary {
                bidders: self.registry.bidders().len(),
                digest: self.registry.digest(),
                problem: self.registry.refused(),
            },
            bids,
        })
    }
}

/// Every auction one node serves (`crate::sites`), shared by the API, the
/// peer listener and the task that finds added auctions.
pub struct Node {
    /// The node config.
    pub config: NodeConfig,
    /// The node's keys.
    pub identity: Arc<Identity>,
    /// The auctions, the one of `node.toml` first, then in the order found.
    auctions: RwLock<Vec<Arc<NodeState>>>,
    /// Added auctions that did not load, by folder, with why (said once).
    failed: Mutex<BTreeMap<PathBuf, String>>,
    /// The largest request body any served auction takes.
    pub max_body: Arc<AtomicU64>,
}

impl Node {
    /// Opens a node: checks the data folder, loads the keys and the auction
    /// of `node.toml` if it names one (added auctions are found by
    /// `find_added` once running).
    pub fn open(config: &NodeConfig) -> anyhow::Result<Node> {
        crate::perms::check_data_dir(&config.data)?;
        let identity = Arc::new(Identity::load(&config.data)?);
        let node = Node {
            config: config.clone(),
            identity: identity.clone(),
            auctions: RwLock::new(Vec::new()),
            failed: Mutex::new(BTreeMap::new()),
            max_body: Arc::new(AtomicU64::new(crate::api::body_limit(1))),
        };
        if let Some(site) = crate::sites::primary(config)? {
            node.insert(Arc::new(NodeState::load(config, &site, identity)?));
        }
        Ok(node)
    }

    /// The auctions served now.
    pub fn auctions(&self) -> Vec<Arc<NodeState>> {
        self.auctions.read().expect("auctions lock").clone()
    }

    /// The auction with this id.
    pub fn by_id(&self, id: &str) -> Option<Arc<NodeState>> {
        self.auctions()
            .into_iter()
            .find(|a| a.auction.params.id == id)
    }

    /// The auction with this hash.
    pub fn by_hash(&self, hash: &Digest) -> Option<Arc<NodeState>> {
        self.auctions()
            .into_iter()
            .find(|a| &a.auction.hash == hash)
    }

    /// The auction the unprefixed routes (`/v1/status`, `/`, …) address:
    /// the one of `node.toml`, or else the only one served.
    pub fn default_auction(&self) -> Option<Arc<NodeState>> {
        let all = self.auctions();
        if self.config.auction.is_some() || all.len() == 1 {
            all.into_iter().next()
        } else {
            None
        }
    }

    /// Whether `fingerprint` is a peer's certificate in any served auction.
    pub fn knows_peer(&self, fingerprint: &Digest) -> bool {
        self.auctions().iter().any(|a| {
            (0..3u8)
                .filter(|&i| i != a.index)
                .any(|i| &a.auction.node(i).cert_fingerprint == fingerprint)
        })
    }

    fn insert(&self, state: Arc<NodeState>) {
        let limit = crate::api::body_limit(state.auction.params.max_orders_per_side);
        self.max_body.fetch_max(limit, Ordering::SeqCst);
        self.auctions.write().expect("auctions lock").push(state);
    }
}

/// Starts one auction's tasks: its peer monitor and its life cycle.
fn start(state: &Arc<NodeState>) {
    tracing::info!(
        node = state.index,
        auction = %state.auction.params.id,
        auction_hash = %state.auction.hash,
        phase = state.store.phase().map(|p| p.name()).unwrap_or("unknown"),
        "serving auction"
    );
    tokio::spawn(crate::peer::monitor(state.clone()));
    tokio::spawn(crate::life::drive(state.clone()));
}

/// Looks for added auctions (`DATA/auctions/`) and starts each one not yet
/// served. A folder that does not load is said once, again when its
/// problem changes.
fn find_added(node: &Node) {
    let folders = match crate::sites::added_folders(&node.config.data) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "reading the added auctions failed");
            return;
        }
    };
    for folder in folders {
        let known = node.auctions().iter().any(|a| {
            folder.file_name().and_then(|n| n.to_str()) == Some(a.auction.hash.to_hex().as_str())
        });
        if known {
            continue;
        }
        let loaded = crate::sites::added(&folder, &node.identity).and_then(|site| {
            if let Some(other) = node.by_id(&site.id) {
                bail!(
                    "auction id {:?} is already served (hash {}); the folder {} is not served",
                    site.id,
                    other.auction.hash,
                    folder.display()
                );
            }
            NodeState::load(&node.config, &site, node.identity.clone())
        });
        match loaded {
            Ok(state) => {
                node.failed.lock().expect("failed lock").remove(&folder);
                let state = Arc::new(state);
                node.insert(state.clone());
                start(&state);
            }
            Err(e) => {
                let why = format!("{e:#}");
                let mut failed = node.failed.lock().expect("failed lock");
                if failed.get(&folder) != Some(&why) {
                    tracing::error!(folder = %folder.display(), problem = %why, "an added auction does not load; fix or remove its folder");
                    failed.insert(folder, why);
                }
            }
        }
    }
}

/// Runs a node until it is stopped (Ctrl-C or SIGTERM): every auction it
/// serves, and those added while it runs.
pub fn run(config: NodeConfig) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let node = Arc::new(Node::open(&config)?);
        let identity = node.identity.clone();
        let api = TcpListener::bind(config.api_listen)
            .await
            .with_context(|| format!("binding the bidder API to {}", config.api_listen))?;
        let peer = TcpListener::bind(config.peer_listen)
            .await
            .with_context(|| format!("binding the peer link to {}", config.peer_listen))?;
        let certs = Arc::new(crate::api_tls::ApiCerts::new(
            &identity,
            config.api_cert_chain.as_deref(),
            config.api_key.as_deref(),
        )?);
        let api_tls = crate::api_tls::server_config(certs.clone())?;
        let page = match config.page_listen {
            Some(a) => Some(
                TcpListener::bind(a)
                    .await
                    .with_context(|| format!("binding the page listener to {a}"))?,
            ),
            None => None,
        };
        tracing::info!(
            api = %config.api_listen,
            peer = %config.peer_listen,
            "node started"
        );
        for state in node.auctions() {
            start(&state);
        }
        find_added(&node);
        if node.auctions().is_empty() {
            tracing::warn!("this node serves no auction yet; add one with `clearing-node add --config … AUCTION.json`");
        }
        tokio::spawn(crate::api::serve(
            api,
            api_tls,
            node.clone(),
            config.api_limits.clone(),
        ));
        tokio::spawn(crate::api_tls::watch(certs));
        if let Some(page) = page {
            tracing::info!(page = %format!("http://{}/", page.local_addr()?), "bidder page and live view on the loopback page listener");
            tokio::spawn(crate::web::serve_plain(page, node.clone()));
        }
        let n = node.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::peer::serve(peer, n).await {
                tracing::error!(error = %e, "peer listener stopped");
            }
        });
        let n = node.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let n = n.clone();
                let _ = tokio::task::spawn_blocking(move || find_added(&n)).await;
            }
        });
        shutdown_signal().await;
        tracing::info!("stopping");
        Ok(())
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
