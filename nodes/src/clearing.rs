//! Running the three-party clearing over the peer links. Node `i` dials its
//! successor `i+1` and accepts its predecessor `i-1`; once both links are
//! up, after the hello and the agreed bid set and seed are checked, they are
//! handed to the `shares` network transport and the clearing program runs on
//! a blocking thread. A failed attempt (a peer crashed, a timeout) is simply
//! retried: the program's outputs depend only on the agreed inputs, so a
//! rerun gives the same outcome.
//!
//! Node 0 leads every attempt: it draws a fresh attempt id, dials node 1 with
//! it and waits for node 2's link carrying the same id. Nodes 1 and 2 follow:
//! each takes the newest link from its predecessor and dials its successor
//! with that link's id. So the three links of one run always belong to one
//! attempt, however the nodes crashed and restarted; a node that abandons an
//! attempt drops its links, which ends the attempt at the other two at once.

use crate::life::Agreed;
use crate::node::NodeState;
use crate::peer::{PeerError, Request, Response, request};
use crate::store::Phase;
use auction::wire::Digest;
use auction::{BidderId, Exclusion, Outcome};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Notify};
use tokio_rustls::TlsStream;

/// How long a receive inside the clearing may wait.
const MPC_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for both links before starting over.
const LINK_TIMEOUT: Duration = Duration::from_secs(15);

type Stream = TlsStream<TcpStream>;

/// The newest incoming clearing link from the predecessor, with the id of
/// the attempt it belongs to.
#[derive(Default)]
pub struct Links {
    slot: Mutex<Option<(u64, Stream)>>,
    arrived: Notify,
}

/// Node 0 leads the attempts; the others follow.
const LEADER: u8 = 0;

/// Decides whether to take a clearing link from `from`.
pub fn accept_link(state: &NodeState, from: u8, bid_set: &Digest, seed: &Digest) -> Response {
    if from != (state.index + 2) % 3 {
        return Response::Refused {
            message: format!("node {from} is not node {}'s predecessor", state.index),
        };
    }
    let phase = match state.store.phase() {
        Ok(p) => p,
        Err(e) => {
            return Response::NotReady {
                phase: format!("error: {e}"),
            };
        }
    };
    if !(phase == Phase::Seeded || phase == Phase::Cleared) {
        return Response::NotReady {
            phase: phase.name().to_string(),
        };
    }
    let mine = state
        .store
        .get("agreed")
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice::<Agreed>(&b).ok());
    let my_seed = state
        .store
        .get("seed")
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice::<Digest>(&b).ok());
    match (mine, my_seed) {
        (Some(a), Some(s)) if a.bid_set == *bid_set && s == *seed => Response::MpcReady,
        (Some(a), Some(s)) => Response::Refused {
            message: format!(
                "clearing inputs differ: node {} has bid set {} and seed {s}, node {from} has {bid_set} and {seed}",
                state.index, a.bid_set
            ),
        },
        _ => Response::NotReady {
            phase: phase.name().to_string(),
        },
    }
}

/// Keeps an accepted link for the clearing (replacing an older one).
pub async fn hand_over(state: &NodeState, attempt: u64, stream: Stream) {
    *state.mpc_links.slot.lock().await = Some((attempt, stream));
    state.mpc_links.arrived.notify_one();
}

/// Waits for a link from the predecessor: of attempt `want`, or of any
/// attempt when `want` is `None`. Links of other attempts are dropped.
async fn take_link(state: &NodeState, want: Option<u64>) -> Option<(u64, Stream)> {
    let deadline = tokio::time::Instant::now() + LINK_TIMEOUT;
    loop {
        if let Some((id, s)) = state.mpc_links.slot.lock().await.take() {
            if want.is_none_or(|w| w == id) {
                return Some((id, s));
            }
            continue;
        }
        if tokio::time::timeout_at(deadline, state.mpc_links.arrived.notified())
            .await
            .is_err()
        {
            return None;
        }
    }
}

async fn dial_next(
    state: &NodeState,
    bid_set: Digest,
    seed: Digest,
    attempt: u64,
) -> Result<Stream, String> {
    let next = (state.index + 1) % 3;
    let deadline = tokio::time::Instant::now() + LINK_TIMEOUT;
    let req = Request::Mpc {
        bid_set,
        seed,
        attempt,
    };
    loop {
        let why = match request(state, next, &req).await {
            Ok((Response::MpcReady, stream)) => return Ok(stream),
            Ok((Response::NotReady { phase }, _)) => format!("node {next} is at phase {phase}"),
            Ok((other, _)) => return Err(format!("node {next} answered {other:?}")),
            Err(e @ PeerError::Unreachable { .. }) => e.to_string(),
            Err(e @ PeerError::Refused { .. }) => return Err(e.to_string()),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(why);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One node's inputs to the clearing, in the agreed order.
pub struct Input {
    /// The bidders whose bids enter the computation, in bidder-id order.
    pub bidders: Vec<BidderId>,
    /// This node's components of each bid, same order.
    pub shares: Vec<auction::wire::ShareBundle>,
    /// Bids excluded before the computation.
    pub excluded: Vec<Exclusion>,
}

fn input(state: &NodeState, a: &Agreed) -> anyhow::Result<Input> {
    let mut bidders = Vec::new();
    let mut shares = Vec::new();
    for e in &a.entries {
        if a.excluded.iter().any(|x| x.bidder == e.bidder) {
            continue;
        }
        shares.push(state.store.bundle(&e.bidder, e.version)?);
        bidders.push(e.bidder.clone());
    }
    Ok(Input {
        bidders,
        shares,
        excluded: a.excluded.clone(),
    })
}

/// Both links of one attempt: node 0 opens a new attempt, the others join
/// the one their predecessor's link belongs to.
async fn links(state: &NodeState, a: &Agreed, seed: Digest) -> Result<(Stream, Stream), String> {
    let prev_node = (state.index + 2) % 3;
    if state.index == LEADER {
        let id = rand_core::RngCore::next_u64(&mut rand_core::OsRng);
        let next = dial_next(state, a.bid_set, seed, id)
            .await
            .map_err(|e| format!("link to the successor: {e}"))?;
        let (_, prev) = take_link(state, Some(id))
            .await
            .ok_or_else(|| format!("node {prev_node} did not join the attempt"))?;
        Ok((next, prev))
    } else {
        let (id, prev) = take_link(state, None)
            .await
            .ok_or_else(|| format!("waiting for node {prev_node} to start an attempt"))?;
        let next = dial_next(state, a.bid_set, seed, id)
            .await
            .map_err(|e| format!("link to the successor: {e}"))?;
        Ok((next, prev))
    }
}

/// One attempt: both links, then the program.
async fn attempt(state: &Arc<NodeState>, a: &Agreed, seed: Digest) -> Result<Outcome, String> {
    let (next, prev) = links(state, a, seed).await?;
    let s = state.clone();
    let input = {
        let s = s.clone();
        let a = a.clone();
        tokio::task::spawn_blocking(move || input(&s, &a))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
    };
    let handle = tokio::runtime::Handle::current();
    let params = state.auction.params.clone();
    tokio::task::spawn_blocking(move || {
        run_party(s.index, next, prev, handle, &params, seed, input)
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Runs this node's party of the clearing over the two links.
fn run_party(
    me: u8,
    to_next: Stream,
    to_prev: Stream,
    handle: tokio::runtime::Handle,
    params: &auction::AuctionParams,
    seed: Digest,
    input: Input,
) -> Result<Outcome, String> {
    let id = shares::PartyId::new(me as usize).ok_or("bad party index")?;
    let transport = shares::NetTransport::from_streams(id, to_next, to_prev, handle, MPC_TIMEOUT);
    let mut party =
        shares::Party::setup(transport, &mut rand_core::OsRng).map_err(|e| e.to_string())?;
    clear_program(&mut party, params, seed, input)
}

/// The clearing program on an established party: `auction::mpc::clear`.
fn clear_program<T: shares::Transport>(
    party: &mut shares::Party<T>,
    params: &auction::AuctionParams,
    seed: Digest,
    input: Input,
) -> Result<Outcome, String> {
    let input = auction::mpc::PartyInput {
        params: params.clone(),
        seed: auction::Seed(seed.0),
        bidders: input.bidders,
        shares: input
            .shares
            .into_iter()
            .map(|b| auction::mpc::BidShares {
                own: b.own,
                next: b.next,
            })
            .collect(),
        excluded: input.excluded,
    };
    auction::mpc::clear(party, &input).map_err(|e| e.to_string())
}

/// Runs the clearing until it succeeds.
pub async fn run(
    state: &Arc<NodeState>,
    a: &Agreed,
    seed: Digest,
    _expected: Option<&Outcome>,
) -> Outcome {
    let mut tries = 0u32;
    loop {
        tries += 1;
        state.set_progress("clearing", vec![], None);
        tracing::info!(attempt = tries, bids = a.entries.len(), "clearing");
        match attempt(state, a, seed).await {
            Ok(o) => return o,
            Err(e) => {
                tracing::warn!(attempt = tries, problem = %e, "clearing attempt failed; retrying");
                state.set_progress("clearing", vec![], Some(e));
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// Whether a peer was last seen still needing the clearing (a restarted
/// node that had not stored its outcome).
fn a_peer_needs_clearing(state: &NodeState) -> bool {
    let phase = format!("phase {}", Phase::Seeded.name());
    let peers = state.peers.lock().expect("peers lock");
    peers
        .iter()
        .any(|p| p.node != state.index && p.message == phase)
}

/// After clearing, keeps joining clearing runs a restarted peer may need,
/// checking that each gives this node's stored outcome. Node 0 starts such a
/// run when it sees a peer still at the seeded phase. Never returns.
pub async fn standby(state: &Arc<NodeState>, a: &Agreed, seed: Digest, outcome: &Outcome) {
    loop {
        if state.index == LEADER && !a_peer_needs_clearing(state) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        match attempt(state, a, seed).await {
            Ok(o) if &o == outcome => {
                tracing::info!("joined a rerun of the clearing; same outcome")
            }
            Ok(_) => tracing::error!("a rerun of the clearing gave a different outcome"),
            Err(e) => tracing::debug!(problem = %e, "standby clearing attempt ended"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
