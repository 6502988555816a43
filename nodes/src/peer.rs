//! Peer links: TCP with mutual TLS between the three nodes, each pinning the
//! others' certificates from the auction file. Every connection opens with a
//! hello carrying the auction file's hash; a node refuses to work with a peer
//! whose file differs, and says so. Requests are one per connection (a
//! length-prefixed JSON request and its answer), so a peer that restarts
//! costs nothing but a retry; the clearing's own link is a connection that,
//! after the hello, is handed to the `shares` transport.
//!
//! This module is transport only: it carries the ceremony's typed asks and
//! replies (`auction::ceremony`), a ping and the clearing link's request,
//! and hands every incoming request to the [`Handler`] it is given.

use crate::identity::fingerprint;
use crate::links::Stream;
use crate::node::{Node, NodeState};
use auction::Seed;
use auction::ceremony::{Ask, Phase, Reply};
use auction::wire::Digest;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use shares::PartyId;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

/// Largest frame accepted (a bid list of a million bidders fits).
const MAX_FRAME: u32 = 512 << 20;
/// How long one request may take before the peer counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A request from one node to another.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// First on every connection.
    Hello {
        /// The sender.
        node: PartyId,
        /// The sender's auction-file hash.
        auction_hash: Digest,
    },
    /// Is the peer there, and where is it?
    Ping,
    /// A step of the ceremony.
    Ask(Ask),
    /// Open the clearing link (sender is the receiver's predecessor).
    Mpc {
        /// The agreed bid set.
        bid_set: Digest,
        /// The seed.
        seed: Seed,
        /// Which clearing attempt the link belongs to: node 0 draws a fresh
        /// id for each attempt and the others pass it along the ring.
        attempt: u64,
        /// The protocol variant the dialling node clears with; the
        /// accepting node refuses a link of another.
        security: shares::Security,
    },
}

/// An answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Hello accepted.
    HelloOk {
        /// The answering node.
        node: PartyId,
    },
    /// The connection is refused, with the reason (a mismatched auction
    /// file, for one).
    Refused {
        /// Why.
        message: String,
    },
    /// Answer to Ping.
    Pong {
        /// The answering node's phase.
        phase: Phase,
    },
    /// The answer to an ask.
    Reply(Reply),
    /// The clearing link is not taken now; ask again.
    MpcNotReady {
        /// The answering node's phase.
        phase: Phase,
        /// Why it stopped, when it has halted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        halted: Option<String>,
    },
    /// The link is the clearing's from now on.
    MpcReady,
}

/// What answers the requests that reach an auction after the hello: the
/// life cycle's (`crate::life::answer`).
pub type Handler = Arc<
    dyn Fn(Arc<NodeState>, PartyId, Request) -> Pin<Box<dyn Future<Output = Response> + Send>>
        + Send
        + Sync,
>;

async fn write_frame<S: AsyncWrite + Unpin, T: Serialize>(s: &mut S, v: &T) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(v)?;
    s.write_all(&(bytes.len() as u32).to_be_bytes()).await?;
    s.write_all(&bytes).await?;
    s.flush().await?;
    Ok(())
}

async fn read_frame<S: AsyncRead + Unpin, T: DeserializeOwned>(s: &mut S) -> anyhow::Result<T> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len);
    if len > MAX_FRAME {
        anyhow::bail!("peer frame of {len} bytes is over the limit");
    }
    let mut buf = vec![0; len as usize];
    s.read_exact(&mut buf).await?;
    // Off unless asked for (`RUST_LOG=nodes::peer=trace`): every ceremony
    // message this node receives, as it received it. Nothing in them is
    // secret from this node; the secrecy tests read them as part of what a
    // node sees.
    tracing::trace!(frame = %String::from_utf8_lossy(&buf), "peer frame received");
    Ok(serde_json::from_slice(&buf)?)
}

/// Why a request to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// Could not connect or the connection broke.
    #[error("node {} unreachable: {message}", .node.index())]
    Unreachable {
        /// The peer.
        node: PartyId,
        /// What happened.
        message: String,
    },
    /// The peer refused (different auction file, ...).
    #[error("node {} refused: {message}", .node.index())]
    Refused {
        /// The peer.
        node: PartyId,
        /// Its reason.
        message: String,
    },
}

/// Connects to peer `to`, says hello, sends `req`, and returns the answer and
/// the stream.
pub async fn request(
    state: &NodeState,
    to: PartyId,
    req: &Request,
) -> Result<(Response, Stream), PeerError> {
    let unreachable = |e: &dyn std::fmt::Display| PeerError::Unreachable {
        node: to,
        message: e.to_string(),
    };
    let fut = async {
        let entry = state.auction.node(u8::from(to));
        let cfg = crate::tls::pinned_client(entry.cert_fingerprint, Some(&state.identity))
            .map_err(|e| unreachable(&e))?;
        let tcp = TcpStream::connect(entry.peer)
            .await
            .map_err(|e| unreachable(&e))?;
        let _ = tcp.set_nodelay(true);
        let mut tls = TlsConnector::from(Arc::new(cfg))
            .connect(crate::tls::server_name(), tcp)
            .await
            .map_err(|e| unreachable(&e))?;
        write_frame(
            &mut tls,
            &Request::Hello {
                node: state.index,
                auction_hash: state.auction.hash,
            },
        )
        .await
        .map_err(|e| unreachable(&e))?;
        match read_frame::<_, Response>(&mut tls)
            .await
            .map_err(|e| unreachable(&e))?
        {
            Response::HelloOk { node } if node == to => {}
            Response::Refused { message } => return Err(PeerError::Refused { node: to, message }),
            other => return Err(unreachable(&format!("unexpected hello answer {other:?}"))),
        }
        write_frame(&mut tls, req)
            .await
            .map_err(|e| unreachable(&e))?;
        let resp: Response = read_frame(&mut tls).await.map_err(|e| unreachable(&e))?;
        if let Response::Refused { message } = resp {
            return Err(PeerError::Refused { node: to, message });
        }
        Ok((resp, TlsStream::Client(tls)))
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(PeerError::Unreachable {
            node: to,
            message: "timed out".into(),
        }),
    }
}

/// The peer listener: mutual TLS, hello check, then one request.
/// One listener serves every auction of the node: the hello names the
/// auction by its hash, and the connection is that auction's from then on.
pub async fn serve(listener: TcpListener, node: Arc<Node>, handler: Handler) -> anyhow::Result<()> {
    let n = node.clone();
    let acceptor = TlsAcceptor::from(Arc::new(crate::tls::peer_server(
        &node.identity,
        move |fp| n.knows_peer(fp),
    )?));
    loop {
        let (tcp, addr) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a peer connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let node = node.clone();
        let handler = handler.clone();
        tokio::spawn(async move {
            let r = tokio::time::timeout(REQUEST_TIMEOUT, async {
                let tls = acceptor.accept(tcp).await?;
                handle(tls, &node, &handler).await
            })
            .await;
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(%addr, error = %e, "peer connection failed"),
                Err(_) => tracing::debug!(%addr, "peer connection timed out"),
            }
        });
    }
}

fn peer_fingerprint(tls: &tokio_rustls::server::TlsStream<TcpStream>) -> Option<Digest> {
    let cert = tls.get_ref().1.peer_certificates()?.first()?.clone();
    Some(fingerprint(&cert))
}

/// Whether `fp` is node `i`'s certificate in `state`'s auction (and `i` is
/// not this node).
fn is_node(state: &NodeState, i: PartyId, fp: &Digest) -> bool {
    i != state.index && state.auction.node(u8::from(i)).cert_fingerprint == *fp
}

async fn handle(
    mut tls: tokio_rustls::server::TlsStream<TcpStream>,
    node: &Arc<Node>,
    handler: &Handler,
) -> anyhow::Result<()> {
    let Some(fp) = peer_fingerprint(&tls) else {
        anyhow::bail!("the peer showed no certificate");
    };
    let hello: Request = read_frame(&mut tls).await?;
    let Request::Hello {
        node: from,
        auction_hash,
    } = hello
    else {
        anyhow::bail!("expected a hello, got {hello:?}");
    };
    let state = match node.by_hash(&auction_hash) {
        Some(s) if is_node(&s, from, &fp) => s,
        Some(_) => {
            anyhow::bail!(
                "peer certificate {fp} is not node {}'s in auction {auction_hash}",
                from.index()
            )
        }
        None => {
            // The auctions this peer takes part in as node `from`: with one,
            // the files differ; with none or several, this node does not
            // serve the auction the peer means.
            let mine: Vec<Arc<NodeState>> = node
                .auctions()
                .into_iter()
                .filter(|s| is_node(s, from, &fp))
                .collect();
            let message = match mine.as_slice() {
                [state] => {
                    let message = format!(
                        "auction file mismatch: node {} has auction hash {}, node {} has {auction_hash}; the terms differ (parameters, times or nodes), and the three nodes must use the same auction file",
                        state.index.index(),
                        state.auction.hash,
                        from.index()
                    );
                    state.set_peer(from, "refused", &message);
                    message
                }
                _ => format!(
                    "this node serves no auction with hash {auction_hash}; add the auction file with `clearing-node add`, or compare the three nodes' files"
                ),
            };
            tracing::error!(peer = from.index(), "{message}");
            write_frame(&mut tls, &Response::Refused { message }).await?;
            return Ok(());
        }
    };
    write_frame(&mut tls, &Response::HelloOk { node: state.index }).await?;
    let req: Request = read_frame(&mut tls).await?;
    let attempt = match &req {
        Request::Mpc { attempt, .. } => Some(*attempt),
        _ => None,
    };
    let resp = handler(state.clone(), from, req).await;
    let ready = matches!(resp, Response::MpcReady);
    write_frame(&mut tls, &resp).await?;
    if let (Some(attempt), true) = (attempt, ready) {
        state
            .mpc_links
            .hand_over(attempt, TlsStream::Server(tls))
            .await;
    }
    Ok(())
}

/// Pings the other two nodes every few seconds so the status shows who is
/// there, and logs changes.
pub async fn monitor(state: Arc<NodeState>) {
    loop {
        for to in [state.index.next(), state.index.prev()] {
            match request(&state, to, &Request::Ping).await {
                Ok((Response::Pong { phase }, _)) => state.set_peer_phase(to, phase),
                Ok((other, _)) => {
                    state.set_peer(to, "unreachable", &format!("unexpected answer {other:?}"))
                }
                Err(PeerError::Refused { message, .. }) => state.set_peer(to, "refused", &message),
                Err(e @ PeerError::Unreachable { .. }) => {
                    state.set_peer(to, "unreachable", &e.to_string())
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
