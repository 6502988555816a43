//! Peer links: TCP with mutual TLS between the three nodes, each pinning the
//! others' certificates from the auction file. Every connection opens with a
//! hello carrying the auction file's hash; a node refuses to work with a peer
//! whose file differs, and says so. Requests are one per connection (a
//! length-prefixed JSON request and its answer), so a peer that restarts
//! costs nothing but a retry; the clearing's own link is a connection that,
//! after the hello, is handed to the `shares` transport.

use crate::identity::fingerprint;
use crate::node::{Node, NodeState};
use auction::wire::{BidSetEntry, Digest, Sig};
use auction::{Exclusion, Outcome};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

/// Largest frame accepted (a bid list of a million bidders fits).
const MAX_FRAME: u32 = 512 << 20;
/// How long one request may take before the peer counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// One held version, as a peer reports it: the common component's digest is
/// the one both nodes hold (never a component the asker does not hold).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ListEntry {
    /// The bid version, its signed commitments and the bidder's signature.
    pub bid: BidSetEntry,
    /// `component_digest` of the component the two nodes share.
    pub common: Digest,
}

/// A request from one node to another.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Request {
    /// First on every connection.
    Hello {
        /// The sender's index.
        node: u8,
        /// The sender's auction-file hash.
        auction_hash: Digest,
    },
    /// Is the peer there, and where is it?
    Ping,
    /// The sender has closed: close too, and send the held bid versions.
    BidList,
    /// The peer's own pairwise component checks, once done.
    Verdicts {
        /// The bid set the sender arrived at.
        bid_set: Digest,
    },
    /// The peer's seed commitment for this bid set.
    Commitment {
        /// The agreed bid set.
        bid_set: Digest,
    },
    /// The peer's seed value, once it holds all three commitments.
    Reveal {
        /// The agreed bid set.
        bid_set: Digest,
    },
    /// The peer's outcome and its signature.
    Signature {
        /// The agreed bid set.
        bid_set: Digest,
    },
    /// Open the clearing link (sender is the receiver's predecessor).
    Mpc {
        /// The agreed bid set.
        bid_set: Digest,
        /// The seed.
        seed: Digest,
        /// Which clearing attempt the link belongs to: node 0 draws a fresh
        /// id for each attempt and the others pass it along the ring.
        attempt: u64,
    },
}

/// An answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Response {
    /// Hello accepted.
    HelloOk {
        /// The answering node.
        node: u8,
    },
    /// Refused, with the reason (a mismatched auction file, for one).
    Refused {
        /// Why.
        message: String,
    },
    /// Not there yet; ask again.
    NotReady {
        /// The answering node's phase.
        phase: String,
    },
    /// Answer to Ping.
    Pong {
        /// The answering node's phase.
        phase: String,
    },
    /// Every held version.
    BidList {
        /// By bidder, then version.
        entries: Vec<ListEntry>,
        /// The answering node's registry digest at the close.
        registry: Digest,
        /// How many bidders its registry holds.
        registered: u64,
    },
    /// Exclusions found by the answering node's own pairwise checks.
    Verdicts {
        /// The bid set the answering node arrived at.
        bid_set: Digest,
        /// Bids whose replicated components disagree.
        excluded: Vec<Exclusion>,
    },
    /// A seed commitment.
    Commitment {
        /// The commitment.
        commitment: Digest,
    },
    /// A seed value.
    Reveal {
        /// The value.
        value: Digest,
    },
    /// The answering node's outcome and signature.
    Signature {
        /// Its outcome.
        outcome: Outcome,
        /// Its signature over the outcome message.
        signature: Sig,
    },
    /// The link is the clearing's from now on.
    MpcReady,
}

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
    #[error("node {node} unreachable: {message}")]
    Unreachable {
        /// The peer.
        node: u8,
        /// What happened.
        message: String,
    },
    /// The peer refused (different auction file, ...).
    #[error("node {node} refused: {message}")]
    Refused {
        /// The peer.
        node: u8,
        /// Its reason.
        message: String,
    },
}

/// Connects to peer `to`, says hello, sends `req`, and returns the answer and
/// the stream.
pub async fn request(
    state: &NodeState,
    to: u8,
    req: &Request,
) -> Result<(Response, TlsStream<TcpStream>), PeerError> {
    let unreachable = |e: &dyn std::fmt::Display| PeerError::Unreachable {
        node: to,
        message: e.to_string(),
    };
    let fut = async {
        let entry = state.auction.node(to);
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
pub async fn serve(listener: TcpListener, node: Arc<Node>) -> anyhow::Result<()> {
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
        tokio::spawn(async move {
            let r = tokio::time::timeout(REQUEST_TIMEOUT, async {
                let tls = acceptor.accept(tcp).await?;
                handle(tls, &node).await
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
fn is_node(state: &NodeState, i: u8, fp: &Digest) -> bool {
    i < 3 && i != state.index && state.auction.node(i).cert_fingerprint == *fp
}

async fn handle(
    mut tls: tokio_rustls::server::TlsStream<TcpStream>,
    node: &Arc<Node>,
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
            anyhow::bail!("peer certificate {fp} is not node {from}'s in auction {auction_hash}")
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
                        "auction file mismatch: node {} has auction hash {}, node {from} has {auction_hash}; the terms differ (parameters, times or nodes), and the three nodes must use the same auction file",
                        state.index, state.auction.hash
                    );
                    state.set_peer(from, "refused", &message);
                    message
                }
                _ => format!(
                    "this node serves no auction with hash {auction_hash}; add the auction file with `clearing-node add`, or compare the three nodes' files"
                ),
            };
            tracing::error!(peer = from, "{message}");
            write_frame(&mut tls, &Response::Refused { message }).await?;
            return Ok(());
        }
    };
    let state = &state;
    write_frame(&mut tls, &Response::HelloOk { node: state.index }).await?;
    let req: Request = read_frame(&mut tls).await?;
    if let Request::Mpc {
        bid_set,
        seed,
        attempt,
    } = &req
    {
        let resp = crate::clearing::accept_link(state, from, bid_set, seed);
        let ready = matches!(resp, Response::MpcReady);
        write_frame(&mut tls, &resp).await?;
        if ready {
            crate::clearing::hand_over(state, *attempt, TlsStream::Server(tls)).await;
        }
        return Ok(());
    }
    let resp = crate::life::answer(state, from, req).await;
    write_frame(&mut tls, &resp).await?;
    Ok(())
}

/// Pings the other two nodes every few seconds so the status shows who is
/// there, and logs changes.
pub async fn monitor(state: Arc<NodeState>) {
    loop {
        for to in (0..3u8).filter(|&i| i != state.index) {
            match request(&state, to, &Request::Ping).await {
                Ok((Response::Pong { phase }, _)) => {
                    state.set_peer(to, "ok", &format!("phase {phase}"))
                }
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
