//! Running the three-party clearing over the peer links. Node `i` dials its
//! successor `i+1` and accepts its predecessor `i-1`; once both links are
//! up, after the hello and the agreed bid set and seed are checked, they are
//! handed to the `shares` network transport and the clearing program runs on
//! a blocking thread. A failed attempt (a peer crashed, a timeout) is simply
//! retried: the program's outputs depend only on the agreed inputs, so a
//! rerun gives the same outcome. For the same reason a failure that comes
//! from the inputs (a stored share bundle of the wrong shape, shares that
//! are inconsistent, a market too large) is not retried: the node halts
//! (`crate::halt`). The inputs are the ceremony's: its agreed set and its
//! seed (`auction::ceremony`).
//!
//! Node 0 leads every attempt: it draws a fresh attempt id, dials node 1 with
//! it and waits for node 2's link carrying the same id. Nodes 1 and 2 follow:
//! each takes the newest link from its predecessor and dials its successor
//! with that link's id. So the three links of one run always belong to one
//! attempt, however the nodes crashed and restarted; a node that abandons an
//! attempt drops its links, which ends the attempt at the other two at once.

use crate::halt::{Damaged, Failure};
use crate::links::Stream;
use crate::node::NodeState;
use crate::peer::{PeerError, Request, Response, request};
use auction::ceremony::{AgreedSet, Phase, State};
use auction::wire::Digest;
use auction::{BidderId, Exclusion, Outcome, Seed};
use shares::PartyId;
use std::sync::Arc;
use std::time::Duration;

/// How long a receive inside the clearing may wait.
const MPC_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for both links before starting over.
const LINK_TIMEOUT: Duration = Duration::from_secs(15);

/// Node 0 leads the attempts; the others follow.
const LEADER: PartyId = PartyId::ALL[0];

/// Decides whether to take a clearing link from `from`: only from the
/// predecessor, only while this node clears (seeded) or may rerun the
/// clearing for a peer (cleared), and only for the same bid set and seed.
pub fn accept_link(
    state: &NodeState,
    from: PartyId,
    bid_set: &Digest,
    seed: &Seed,
    security: shares::Security,
) -> Response {
    if security != state.security {
        return Response::Refused {
            message: format!(
                "node {} clears with security `{security}`, node {} with `{}`: all three nodes must use the same (`security` in node.toml, or `clearing-node run --security`)",
                from.index(),
                state.index.index(),
                state.security
            ),
        };
    }
    if from != state.index.prev() {
        return Response::Refused {
            message: format!(
                "node {} is not node {}'s predecessor",
                from.index(),
                state.index.index()
            ),
        };
    }
    state.with_ceremony(|s| {
        let not_ready = |halted| Response::MpcNotReady {
            phase: s.phase(),
            halted,
        };
        if let State::Aborted(a) = s {
            return not_ready(Some(a.reason().to_string()));
        }
        if !matches!(s, State::SeedRevealed(_) | State::Cleared(_)) {
            return not_ready(None);
        }
        match (s.agreed_set(), s.seed()) {
            (Some(a), Some(mine)) if a.bid_set == *bid_set && mine.0 == seed.0 => {
                Response::MpcReady
            }
            (Some(a), Some(mine)) => Response::Refused {
                message: format!(
                    "clearing inputs differ: node {} has bid set {} and seed {mine}, node {} has {bid_set} and {seed}",
                    state.index.index(),
                    a.bid_set,
                    from.index()
                ),
            },
            _ => not_ready(None),
        }
    })
}

async fn dial_next(
    state: &NodeState,
    bid_set: Digest,
    seed: Seed,
    attempt: u64,
) -> Result<Stream, String> {
    let next = state.index.next();
    let deadline = tokio::time::Instant::now() + LINK_TIMEOUT;
    let req = Request::Mpc {
        bid_set,
        seed,
        attempt,
        security: state.security,
    };
    loop {
        let why = match request(state, next, &req).await {
            Ok((Response::MpcReady, stream)) => return Ok(stream),
            Ok((
                Response::MpcNotReady {
                    halted: Some(why), ..
                },
                _,
            )) => format!("node {} is at phase halted: {why}", next.index()),
            Ok((Response::MpcNotReady { phase, .. }, _)) => {
                format!("node {} is at phase {phase}", next.index())
            }
            Ok((other, _)) => return Err(format!("node {} answered {other:?}", next.index())),
            Err(e @ PeerError::Unreachable { .. }) => e.to_string(),
            Err(e @ PeerError::Refused { .. }) => return Err(e.to_string()),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(why);
        }
        state.set_waiting(
            "clearing",
            vec![format!(
                "node {} ({why}; to take the clearing link)",
                next.index()
            )],
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One node's inputs to the clearing, in the agreed order.
#[derive(Clone)]
pub struct Input {
    /// The bidders whose bids enter the computation, in bidder-id order.
    pub bidders: Vec<BidderId>,
    /// This node's components of each bid, same order.
    pub shares: Vec<auction::wire::ShareBundle>,
    /// Bids excluded before the computation.
    pub excluded: Vec<Exclusion>,
}

/// This node's inputs, read from its database. A bid of the agreed set
/// that is not there, or whose stored components do not hold `4K` values
/// each, is damage no retry repairs (`Damaged`).
fn input(state: &NodeState, a: &AgreedSet) -> anyhow::Result<Input> {
    let mut bidders = Vec::new();
    let mut shares = Vec::new();
    let k = state.auction.params.max_orders_per_side;
    for e in &a.entries {
        if a.excluded.iter().any(|x| x.bidder == e.bidder) {
            continue;
        }
        let bundle = state.store.bundle(&e.bidder, e.version.0).map_err(|err| {
            let what = format!(
                "reading the share bundle of bidder {} version {} of the agreed set",
                e.bidder, e.version
            );
            match crate::halt::classify(&err) {
                Failure::Permanent(m) => anyhow::Error::new(Damaged(format!("{what}: {m}"))),
                Failure::Transient(_) | Failure::Cheating { .. } => err.context(what),
            }
        })?;
        check_shape(&e.bidder, e.version.0, &bundle, k)?;
        shares.push(bundle);
        bidders.push(e.bidder.clone());
    }
    Ok(Input {
        bidders,
        shares,
        excluded: a.excluded.clone(),
    })
}

/// Checks that both stored components of a bid hold `4K` values.
fn check_shape(
    bidder: &BidderId,
    version: u64,
    bundle: &auction::wire::ShareBundle,
    k: u32,
) -> Result<(), Damaged> {
    let expected = 4 * k as usize;
    for (name, values) in [("own", &bundle.own), ("next", &bundle.next)] {
        if values.len() != expected {
            return Err(Damaged(format!(
                "the stored share bundle of bidder {bidder} version {version} holds {} values in component {name}, expected {expected} (4 x K = 4 x {k})",
                values.len()
            )));
        }
    }
    Ok(())
}

/// Both links of one attempt: node 0 opens a new attempt, the others join
/// the one their predecessor's link belongs to.
async fn links(state: &NodeState, a: &AgreedSet, seed: Seed) -> Result<(Stream, Stream), String> {
    let (next_node, prev_node) = (state.index.next().index(), state.index.prev().index());
    // The status names the node this one waits for, while it waits.
    let waiting = |who: String| state.set_waiting("clearing", vec![who]);
    let take = |want| state.mpc_links.take(want, LINK_TIMEOUT);
    if state.index == LEADER {
        let id = rand_core::RngCore::next_u64(&mut rand_core::OsRng);
        waiting(format!("node {next_node} (to take the clearing link)"));
        let next = dial_next(state, a.bid_set, seed, id)
            .await
            .map_err(|e| format!("link to the successor: {e}"))?;
        waiting(format!("node {prev_node} (to join the clearing attempt)"));
        let (_, prev) = take(Some(id))
            .await
            .ok_or_else(|| format!("node {prev_node} did not join the attempt"))?;
        Ok((next, prev))
    } else {
        waiting(format!("node {prev_node} (to start a clearing attempt)"));
        let (id, prev) = take(None)
            .await
            .ok_or_else(|| format!("waiting for node {prev_node} to start an attempt"))?;
        waiting(format!("node {next_node} (to take the clearing link)"));
        let next = dial_next(state, a.bid_set, seed, id)
            .await
            .map_err(|e| format!("link to the successor: {e}"))?;
        Ok((next, prev))
    }
}

/// One attempt: this node's inputs, read once for all attempts and before
/// any link (damaged inputs need no peer to show), both links, then the
/// program.
async fn attempt(
    state: &Arc<NodeState>,
    a: &AgreedSet,
    seed: Seed,
    read: &mut Option<Input>,
) -> Result<Outcome, Failure> {
    let s = state.clone();
    let input = match read {
        Some(i) => i.clone(),
        None => {
            let s = s.clone();
            let a = a.clone();
            let i = tokio::task::spawn_blocking(move || input(&s, &a))
                .await
                .map_err(joined)??;
            read.insert(i).clone()
        }
    };
    let (next, prev) = links(state, a, seed).await?;
    state.set_waiting("clearing (three-party computation)", vec![]);
    let handle = tokio::runtime::Handle::current();
    let params = state.auction.params.clone();
    let security = state.security;
    tokio::task::spawn_blocking(move || {
        let observe = |p| s.web.clearing_progress(p);
        let links = PartyLinks {
            me: s.index,
            to_next: next,
            to_prev: prev,
            handle,
            security,
        };
        run_party(links, &params, seed, input, &observe)
    })
    .await
    .map_err(joined)?
}

/// A blocking task that did not finish: a panic (the same inputs panic the
/// same way) is permanent, a cancellation (shutting down) transient.
fn joined(e: tokio::task::JoinError) -> Failure {
    if e.is_panic() {
        Failure::Permanent(format!("the clearing panicked: {e}"))
    } else {
        Failure::Transient(format!("the clearing was cancelled: {e}"))
    }
}

/// One attempt's two links and how to clear over them.
struct PartyLinks {
    me: PartyId,
    to_next: Stream,
    to_prev: Stream,
    handle: tokio::runtime::Handle,
    security: shares::Security,
}

/// Runs this node's party of the clearing over the two links.
fn run_party(
    links: PartyLinks,
    params: &auction::AuctionParams,
    seed: Seed,
    input: Input,
    observe: &dyn Fn(auction::mpc::Progress),
) -> Result<Outcome, Failure> {
    let PartyLinks {
        me,
        to_next,
        to_prev,
        handle,
        security,
    } = links;
    let transport = shares::NetTransport::from_streams(me, to_next, to_prev, handle, MPC_TIMEOUT);
    #[cfg(feature = "deviations")]
    if let Some(d) = deviation() {
        tracing::warn!(deviation = %d, "test build: this node deviates from the protocol");
        let t = shares::transport::Deviating::new(transport, d);
        return clear_over(t, security, params, seed, input, observe);
    }
    clear_over(transport, security, params, seed, input, observe)
}

/// Key agreement over `transport`, then the clearing at `security`.
fn clear_over<T: shares::Transport>(
    transport: T,
    security: shares::Security,
    params: &auction::AuctionParams,
    seed: Seed,
    input: Input,
    observe: &dyn Fn(auction::mpc::Progress),
) -> Result<Outcome, Failure> {
    let mut party = shares::Party::setup(transport, &mut rand_core::OsRng)
        .map_err(|e| crate::halt::classify_engine(&e))?;
    party.set_security(security);
    clear_program(&mut party, params, seed, input, observe)
}

/// In test builds only (feature `deviations`): the message this node
/// corrupts in every clearing it runs, from `TRIAD_DEVIATE`
/// (`tag=2,nth=5,at=3,xor=1`, see `shares::transport::Deviation`), for the
/// tests that check its peers catch it.
#[cfg(feature = "deviations")]
fn deviation() -> Option<shares::transport::Deviation> {
    let v = std::env::var("TRIAD_DEVIATE").ok()?;
    match v.parse() {
        Ok(d) => Some(d),
        Err(e) => panic!("TRIAD_DEVIATE: {e}"),
    }
}

/// The clearing program on an established party: `auction::mpc::clear`.
fn clear_program<T: shares::Transport>(
    party: &mut shares::Party<T>,
    params: &auction::AuctionParams,
    seed: Seed,
    input: Input,
    observe: &dyn Fn(auction::mpc::Progress),
) -> Result<Outcome, Failure> {
    let input = auction::mpc::PartyInput {
        params: params.clone(),
        seed,
        bidders: input.bidders,
        shares: input
            .shares
            .into_iter()
            .map(|mut b| auction::mpc::BidShares {
                own: std::mem::take(&mut b.own),
                next: std::mem::take(&mut b.next),
            })
            .collect(),
        excluded: input.excluded,
    };
    auction::mpc::clear_observed(party, &input, observe)
        .map_err(|e| crate::halt::classify_clearing(&e))
}

/// Runs the clearing until it succeeds, or fails in a way no retry changes.
pub async fn run(state: &Arc<NodeState>, a: &AgreedSet, seed: Seed) -> Result<Outcome, Failure> {
    let mut tries = 0u32;
    let mut input = None;
    // The last failed attempt's problem stays in the status until an
    // attempt succeeds: a retry that waits again is not a solved problem.
    let mut problem = None;
    loop {
        tries += 1;
        state.set_progress("clearing", vec![], problem.clone());
        tracing::info!(attempt = tries, bids = a.entries.len(), "clearing");
        match attempt(state, a, seed, &mut input).await {
            Ok(o) => return Ok(o),
            Err(e @ (Failure::Permanent(_) | Failure::Cheating { .. })) => return Err(e),
            Err(Failure::Transient(e)) => {
                tracing::warn!(attempt = tries, problem = %e, "clearing attempt failed; retrying");
                problem = Some(e.clone());
                state.set_progress("clearing", vec![], Some(e));
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// After clearing, keeps joining clearing runs a restarted peer may need,
/// checking that each gives this node's stored outcome. Node 0 starts such a
/// run when it sees a peer still at the seeded phase. Never returns.
pub async fn standby(state: &Arc<NodeState>, a: &AgreedSet, seed: Seed, outcome: &Outcome) {
    let mut input = None;
    loop {
        // A peer last seen still seeded has not stored its outcome.
        if state.index == LEADER && !state.a_peer_at(Phase::Seeded) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        match attempt(state, a, seed, &mut input).await {
            Ok(o) if &o == outcome => {
                tracing::info!("joined a rerun of the clearing; same outcome")
            }
            Ok(_) => tracing::error!("a rerun of the clearing gave a different outcome"),
            Err(Failure::Transient(e)) => {
                tracing::debug!(problem = %e, "standby clearing attempt ended")
            }
            // This node's inputs are damaged: it cannot help a peer clear.
            Err(e @ Failure::Cheating { .. }) => {
                tracing::error!(problem = %e, "a rerun of the clearing caught a peer deviating");
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            Err(Failure::Permanent(e)) => {
                tracing::error!(problem = %e, "cannot join a rerun of the clearing");
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_bundle_of_the_wrong_shape_is_damage() {
        use rand::SeedableRng;
        let b = BidderId("bidder-7".into());
        let params = auction::AuctionParams {
            id: "a".into(),
            max_price: 100,
            max_quantity: 100,
            max_orders_per_side: 2,
        };
        let bid = auction::Bid {
            bidder: b.clone(),
            buy: vec![],
            sell: vec![],
        };
        let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let [sub, _, _] = auction::wire::prepare_submissions(
            &params,
            &bid,
            auction::wire::Version(3),
            &key,
            &mut rng,
        )
        .unwrap();
        let mut bundle = sub.bundle;
        check_shape(&b, 3, &bundle, 2).unwrap();
        bundle.next.pop();
        let e = check_shape(&b, 3, &bundle, 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the stored share bundle of bidder bidder-7 version 3 holds 7 values in component next, expected 8 (4 x K = 4 x 2): the database is damaged"
        );
        let f = crate::halt::classify(&anyhow::Error::new(e));
        assert!(f.is_permanent());
    }
}
