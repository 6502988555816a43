//! What browsers need of one running auction, as data: the origins whose
//! pages may call the API, the pages' security policy, the clearing step
//! the live view shows, and the live document's channel. `crate::web`
//! serves them.

use crate::config::NodeConfig;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::watch;

/// The page's view of one clearing step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MpcStep {
    /// `validation`, `sort`, `price`, `fills`, `allocations` or `done`.
    pub step: &'static str,
    /// For the sort: the pass beginning, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass: Option<usize>,
    /// For the sort: passes in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passes: Option<usize>,
}

/// What browsers need of a running node: the allowed origins, the page's
/// security policy, and the live status with its subscribers.
pub struct Web {
    /// Origins whose pages may call the API: the three nodes' page origins
    /// and the configured extra ones.
    pub(crate) origins: BTreeSet<String>,
    /// The Content-Security-Policy of the pages.
    pub(crate) csp: String,
    /// The clearing step being worked on, while clearing.
    pub(crate) mpc: Mutex<Option<MpcStep>>,
    /// Bumped on every change worth pushing at once.
    pub(crate) poke: watch::Sender<u64>,
    /// The live document, recomputed on every poke and every second.
    pub(crate) live: OnceLock<watch::Receiver<Arc<LiveDoc>>>,
    /// Wait after each clearing step (demonstrations only).
    pub(crate) pace: Duration,
}

/// The live document and its change key (the document without the clock).
pub struct LiveDoc {
    pub(crate) key: String,
    /// The JSON sent.
    pub json: serde_json::Value,
}

impl Web {
    /// From the node config and the auction file.
    pub fn new(config: &NodeConfig, auction: &auction::auction_file::AuctionInfo) -> Web {
        let mut origins: BTreeSet<String> = auction.page_origins().into_iter().collect();
        origins.extend(config.page_origins.iter().cloned());
        let nodes: Vec<String> = auction.page_origins().to_vec();
        let csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
             connect-src 'self' {}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            nodes.join(" ")
        );
        Web {
            origins,
            csp,
            mpc: Mutex::new(None),
            poke: watch::channel(0).0,
            live: OnceLock::new(),
            pace: Duration::from_millis(config.clearing_pace_ms),
        }
    }

    /// Pushes a change to the live view now.
    pub fn poke(&self) {
        self.poke.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Called by the clearing program (on its blocking thread) as each step
    /// begins. Waits `clearing_pace_ms` afterwards when configured.
    pub fn clearing_progress(&self, p: auction::mpc::Progress) {
        let (pass, passes) = match p {
            auction::mpc::Progress::Sort { pass, passes } => (Some(pass), Some(passes)),
            _ => (None, None),
        };
        let step = MpcStep {
            step: p.name(),
            pass,
            passes,
        };
        tracing::debug!(step = step.step, pass, passes, "clearing step");
        *self.mpc.lock().expect("mpc lock") = Some(step);
        self.poke();
        if !self.pace.is_zero() {
            std::thread::sleep(self.pace);
        }
    }

    /// Whether `origin` may call the API.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.origins.contains(origin)
    }
}
