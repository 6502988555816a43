//! One running node: its state shared by the API, the peer links and the
//! life cycle, and `run`, which starts them.

use crate::config::{NodeConfig, now_unix};
use crate::halt::{HALT_KEY, Halt};
use crate::identity::Identity;
use crate::store::Store;
use anyhow::{Context, bail};
use auction::auction_file::AuctionInfo;
use bytes::Bytes;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// What one node knows of a peer.
#[derive(Clone, Debug, Default, Serialize)]
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
    /// The keys.
    pub identity: Identity,
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
    /// Loads everything a node needs and checks that the keys in the data
    /// folder are the ones the auction file lists for this index.
    pub fn load(config: &NodeConfig) -> anyhow::Result<NodeState> {
        crate::perms::check_data_dir(&config.data)?;
        let auction_bytes = std::fs::read(&config.auction)
            .with_context(|| format!("reading auction file {}", config.auction.display()))?;
        let auction = AuctionInfo::from_bytes(&auction_bytes)
            .with_context(|| format!("auction file {}", config.auction.display()))?;
        let identity = Identity::load(&config.data)?;
        let entry = auction.node(config.index);
        if entry.public_key.0 != identity.signing.verifying_key() {
            bail!(
                "the auction file lists public key {} for node {}, but this data folder holds {}",
                entry.public_key.to_hex(),
                config.index,
                identity.public_key_hex()
            );
        }
        if entry.cert_fingerprint != identity.fingerprint() {
            bail!(
                "the auction file lists certificate fingerprint {} for node {}, but this data folder's certificate is {}",
                entry.cert_fingerprint,
                config.index,
                identity.fingerprint()
            );
        }
        let window = (auction.open_unix, auction.close_unix);
        let store = Store::open(
            &config.data.join(crate::perms::DB_FILE),
            &auction.hash,
            window,
        )?;
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
            config.auction.clone(),
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
            index: config.index,
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
    pub fn status(&self) -> anyhow::Result<serde_json::Value> {
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
        let halted = self.halted();
        let clearing = match &halted {
            Some(h) => serde_json::json!({
                "step": h.phase, "waiting_for": [], "problem": h.problem(), "halted": true,
            }),
            None => serde_json::json!({
                "step": progress.step, "waiting_for": progress.waiting_for,
                "problem": progress.problem, "halted": false,
            }),
        };
        // The agreed set and its exclusions are public once agreed.
        let agreed = match self.store.get("agreed")? {
            Some(b) => {
                let a: crate::life::Agreed = serde_json::from_slice(&b)?;
                serde_json::json!({"bid_set": a.bid_set, "bids": a.entries.len(), "excluded": a.excluded})
            }
            None => serde_json::Value::Null,
        };
        let mut v = serde_json::json!({
            "auction": self.auction.params.id,
            "auction_hash": self.auction.hash,
            "node": self.index,
            "phase": phase,
            "close_reason": close_reason,
            "opens": auction::time::rfc3339(self.auction.open_unix),
            "closes": auction::time::rfc3339(self.auction.close_unix),
            "open_unix": self.auction.open_unix,
            "close_unix": self.auction.close_unix,
            "now_unix": now_unix(),
            "clearing": clearing,
            "agreed": agreed,
            "peers": peers,
            // The registry is in the auction file every node serves.
            "registry": {
                "bidders": self.registry.bidders().len(),
                "digest": self.registry.digest(),
                "problem": self.registry.refused(),
            },
        });
        if phase != crate::store::Phase::Collecting {
            let (bidders, versions) = self.store.counts()?;
            v["bids"] = serde_json::json!({"bidders": bidders, "versions": versions});
        }
        Ok(v)
    }
}

/// Runs a node until it is stopped (Ctrl-C or SIGTERM).
pub fn run(config: NodeConfig) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let state = Arc::new(NodeState::load(&config)?);
        let api = TcpListener::bind(config.api_listen)
            .await
            .with_context(|| format!("binding the bidder API to {}", config.api_listen))?;
        let peer = TcpListener::bind(config.peer_listen)
            .await
            .with_context(|| format!("binding the peer link to {}", config.peer_listen))?;
        let certs = Arc::new(crate::api_tls::ApiCerts::new(
            &state.identity,
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
            node = state.index,
            auction = %state.auction.params.id,
            auction_hash = %state.auction.hash,
            api = %config.api_listen,
            peer = %config.peer_listen,
            phase = state.store.phase()?.name(),
            "node started"
        );
        tokio::spawn(crate::api::serve(
            api,
            api_tls,
            state.clone(),
            config.api_limits.clone(),
        ));
        tokio::spawn(crate::api_tls::watch(certs));
        if let Some(page) = page {
            tracing::info!(page = %format!("http://{}/", page.local_addr()?), "bidder page and live view on the loopback page listener");
            tokio::spawn(crate::web::serve_plain(page, state.clone()));
        }
        let s = state.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::peer::serve(peer, s).await {
                tracing::error!(error = %e, "peer listener stopped");
            }
        });
        tokio::spawn(crate::peer::monitor(state.clone()));
        tokio::spawn(crate::life::drive(state.clone()));
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
