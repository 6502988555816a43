//! One running node as data: each auction's state shared by the API, the
//! peer links and the life cycle ([`NodeState`]), and the auctions the node
//! serves ([`Node`]). `crate::run` starts the tasks around them.
//!
//! An auction's ceremony (`auction::ceremony::State`) is kept here as it is
//! stored: whoever moves it holds [`NodeState::changing`], stores the new
//! record, and only then makes it the current state, so nothing a peer is
//! told comes from a state that is not on disk.

use crate::config::{NodeConfig, now_unix};
use crate::halt::Halt;
use crate::identity::Identity;
use crate::links::Links;
use crate::status::PeerStatus;
use crate::store::Store;
use anyhow::{Context as _, bail};
use auction::auction_file::AuctionInfo;
use auction::ceremony::{Context, HeldBids, Phase, State};
use auction::wire::Digest;
use bytes::Bytes;
use serde::Serialize;
use shares::PartyId;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

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

/// Everything a running node shares between its tasks for one auction.
pub struct NodeState {
    /// This node.
    pub index: PartyId,
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
    pub mpc_links: Links,
    /// Held by whoever moves the ceremony, from reading it to storing and
    /// setting the next state.
    pub changing: tokio::sync::Mutex<()>,
    /// The ceremony as last stored.
    ceremony: Mutex<State>,
    /// This node's held versions with their component digests, read from
    /// the store once bidding has closed.
    held: Mutex<Option<Arc<HeldBids>>>,
    /// The pages, their origins and the live view (`crate::web`).
    pub web: crate::live::Web,
    /// The clearing's protocol variant (`NodeConfig::security`).
    pub security: shares::Security,
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
        let entry = auction.node(u8::from(site.index));
        if entry.public_key.0 != identity.signing.verifying_key() {
            bail!(
                "the auction file lists public key {} for node {}, but this data folder holds {}",
                entry.public_key.to_hex(),
                site.index.index(),
                identity.public_key_hex()
            );
        }
        if entry.cert_fingerprint != identity.fingerprint() {
            bail!(
                "the auction file lists certificate fingerprint {} for node {}, but this data folder's certificate is {}",
                entry.cert_fingerprint,
                site.index.index(),
                identity.fingerprint()
            );
        }
        let window = (auction.open_unix, auction.close_unix);
        let ctx = Context {
            me: site.index,
            auction_hash: auction.hash,
        };
        let store = Store::open(&site.db, ctx, window)?;
        let record = store
            .ceremony()
            .with_context(|| format!("database {}", site.db.display()))?;
        let peers = PartyId::ALL
            .into_iter()
            .map(|i| PeerStatus {
                node: i,
                state: "unknown".into(),
                message: String::new(),
                since_unix: now_unix(),
                phase: None,
            })
            .collect();
        let web = crate::live::Web::new(config, &auction);
        let registry = crate::registry::Registry::new(
            site.file.clone(),
            auction.clone(),
            Bytes::from(auction_bytes),
        );
        // Agreed when the lists were compared: the file no longer changes it.
        if let Some(b) = store.registry()? {
            let stored: crate::registry::Stored = serde_json::from_slice(&b)
                .context("the database's frozen registry does not parse")?;
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
            mpc_links: Links::default(),
            changing: tokio::sync::Mutex::new(()),
            ceremony: Mutex::new(record.state),
            held: Mutex::new(None),
            web,
            security: config.security,
        })
    }

    /// Reads the ceremony as last stored.
    pub fn with_ceremony<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.ceremony.lock().expect("ceremony lock"))
    }

    /// The ceremony as last stored, to move on from (with
    /// [`NodeState::changing`] held).
    pub fn ceremony(&self) -> State {
        self.with_ceremony(State::clone)
    }

    /// Makes `state` the current one: call with [`NodeState::changing`]
    /// held, once its record is stored (or, for an abort whose record could
    /// not be stored, for as long as this process runs).
    pub fn set_ceremony(&self, state: State) {
        *self.ceremony.lock().expect("ceremony lock") = state;
        self.web.poke();
    }

    /// The held versions, once read.
    pub fn held(&self) -> Option<Arc<HeldBids>> {
        self.held.lock().expect("held lock").clone()
    }

    /// Keeps the held versions read after the close.
    pub fn set_held(&self, held: Arc<HeldBids>) {
        *self.held.lock().expect("held lock") = Some(held);
    }

    /// Where the auction stands: the ceremony's phase, or `closed` once the
    /// store's gate has closed and the ceremony has not yet followed.
    pub fn phase(&self) -> anyhow::Result<Phase> {
        let phase = self.with_ceremony(State::phase);
        if phase == Phase::Collecting && self.store.close_reason()?.is_some() {
            return Ok(Phase::Closed);
        }
        Ok(phase)
    }

    /// Records what was last seen of a peer; logs changes.
    pub fn set_peer(&self, node: PartyId, state: &str, message: &str) {
        let mut peers = self.peers.lock().expect("peers lock");
        let p = &mut peers[node.index()];
        if p.state != state {
            let peer = node.index();
            match state {
                "ok" => tracing::info!(peer, "peer reachable"),
                "refused" => {
                    tracing::error!(peer, reason = %message, "peer refuses to work together")
                }
                _ => tracing::warn!(peer, reason = %message, "peer unreachable"),
            }
            p.since_unix = now_unix();
        }
        p.state = state.to_string();
        p.message = message.to_string();
        if state != "ok" {
            p.phase = None;
        }
    }

    /// Records that a peer answered a ping at `phase`.
    pub fn set_peer_phase(&self, node: PartyId, phase: Phase) {
        self.set_peer(node, "ok", &format!("phase {phase}"));
        self.peers.lock().expect("peers lock")[node.index()].phase = Some(phase);
    }

    /// Whether a peer was last seen at `phase`.
    pub fn a_peer_at(&self, phase: Phase) -> bool {
        let peers = self.peers.lock().expect("peers lock");
        peers
            .iter()
            .any(|p| p.node != self.index && p.phase == Some(phase))
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
        self.with_ceremony(|s| match s {
            State::Aborted(a) => Some(Halt::of(a)),
            _ => None,
        })
    }

    /// The status document of `GET /v1/status`. While bidding is open it
    /// says the phase and the close time but not how many bidders have bid
    /// or how many versions are held: that is for the operator's `status`
    /// command only.
    pub fn status(&self) -> anyhow::Result<crate::status::Status> {
        use crate::status::{AgreedSummary, BidCounts, Clearing, RegistrySummary, Status};
        let phase = self.phase()?;
        let close_reason = self.store.close_reason()?;
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
        let agreed = self.with_ceremony(|s| {
            s.agreed_set().map(|a| AgreedSummary {
                bid_set: a.bid_set,
                bids: a.entries.len(),
                excluded: a.excluded.clone(),
            })
        });
        let bids = if phase != Phase::Collecting {
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
            security: self.security,
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
        let added = if config.data.is_dir() {
            crate::sites::added_folders(&config.data)?
        } else {
            vec![]
        };
        crate::perms::check_data_dir(&config.data, &added)?;
        let identity = Arc::new(Identity::load(&config.data)?);
        let node = Node {
            config: config.clone(),
            identity: identity.clone(),
            auctions: RwLock::new(Vec::new()),
            failed: Mutex::new(BTreeMap::new()),
            max_body: Arc::new(AtomicU64::new(crate::http::body_limit(1))),
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
            [a.index.next(), a.index.prev()]
                .into_iter()
                .any(|i| &a.auction.node(u8::from(i)).cert_fingerprint == fingerprint)
        })
    }

    /// Whether an added auction's folder is one this node serves.
    pub fn serves_folder(&self, folder: &std::path::Path) -> bool {
        self.auctions().iter().any(|a| {
            folder.file_name().and_then(|n| n.to_str()) == Some(a.auction.hash.to_hex().as_str())
        })
    }

    /// Records why an added folder did not load; returns whether the reason
    /// is new (and so worth saying).
    pub fn note_failed(&self, folder: PathBuf, why: String) -> bool {
        let mut failed = self.failed.lock().expect("failed lock");
        if failed.get(&folder) == Some(&why) {
            return false;
        }
        failed.insert(folder, why);
        true
    }

    /// Forgets why an added folder did not load: it has loaded.
    pub fn loaded(&self, folder: &std::path::Path) {
        self.failed.lock().expect("failed lock").remove(folder);
    }

    /// Serves an auction from now on.
    pub fn insert(&self, state: Arc<NodeState>) {
        let limit = crate::http::body_limit(state.auction.params.max_orders_per_side);
        self.max_body.fetch_max(limit, Ordering::SeqCst);
        self.auctions.write().expect("auctions lock").push(state);
    }
}
