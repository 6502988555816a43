//! Starting a node: binds its listeners, starts each auction's tasks (its
//! peer monitor and its life cycle), and finds auctions added while it runs.
//! The one module that wires the others together.

use crate::config::NodeConfig;
use crate::node::{Node, NodeState};
use anyhow::{Context, bail};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Starts one auction's tasks: its peer monitor and its life cycle.
fn start(state: &Arc<NodeState>) {
    tracing::info!(
        node = state.index.index(),
        auction = %state.auction.params.id,
        auction_hash = %state.auction.hash,
        phase = state.phase().map(|p| p.name()).unwrap_or("unknown"),
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
        if node.serves_folder(&folder) {
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
                node.loaded(&folder);
                let state = Arc::new(state);
                node.insert(state.clone());
                start(&state);
            }
            Err(e) => {
                let why = format!("{e:#}");
                if node.note_failed(folder.clone(), why.clone()) {
                    tracing::error!(folder = %folder.display(), problem = %why, "an added auction does not load; fix or remove its folder");
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
        tokio::spawn(crate::web::serve_api(
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
            if let Err(e) = crate::peer::serve(peer, n, crate::life::handler()).await {
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
