//! The auction's life cycle at one node: the adapter around the pure
//! ceremony `auction::ceremony::State`. The ceremony decides; this module
//! carries its messages, runs the clearing when the ceremony wants an
//! outcome, and stores the ceremony's one record after every transition,
//! before anything that depends on it leaves the node (the seed value is on
//! disk before its commitment is sent):
//!
//! collecting → closed (bid lists asked) → checked (own pairwise component
//! checks; verdicts asked) → agreed (bid set and exclusions; own seed value
//! drawn; commitments asked) → committed (reveals asked) → seeded (the
//! clearing runs) → cleared (outcome signed; signatures asked) → published.
//!
//! Every ask is repeated, with backoff, until the peer is there and has
//! reached the step; a peer that is down makes the others wait and say so
//! in the status, never go on without it. A failure no retry changes (a
//! peer that disagrees, damaged data, a clearing that fails on its inputs)
//! aborts the ceremony (`crate::halt`); a transient one (a busy store, a
//! peer down, registries that differ at the close) is retried.

use crate::clearing;
use crate::config::now_unix;
use crate::halt::{Failure, Halt, classify};
use crate::node::NodeState;
use crate::peer::{Handler, PeerError, Request, Response, request};
use auction::ceremony::{
    AbortReason, Ask, AskKind, CeremonyError, CeremonyRecord, HeldBid, HeldBids, Inputs,
    PublicKeys, RegistrySummary, Reply, SeedValue, State, Wants,
};
use shares::PartyId;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// What a step of the driver left to do.
enum Flow {
    /// Go on with the next step.
    Continue,
    /// Nothing more: published, or halted.
    Stop,
}

/// The handler the peer listener gives every request after the hello.
pub fn handler() -> Handler {
    Arc::new(|state, from, req| Box::pin(answer(state, from, req)))
}

/// Answers a peer's request from the ceremony's current state.
pub async fn answer(state: Arc<NodeState>, from: PartyId, req: Request) -> Response {
    match req {
        Request::Hello { .. } => Response::Refused {
            message: "unexpected request".into(),
        },
        Request::Ping => Response::Pong {
            phase: state
                .phase()
                .unwrap_or_else(|_| state.with_ceremony(State::phase)),
        },
        Request::Mpc {
            bid_set,
            seed,
            security,
            ..
        } => clearing::accept_link(&state, from, &bid_set, &seed, security),
        Request::Ask(ask) => Response::Reply(answer_ask(&state, from, ask).await),
    }
}

/// No held versions: what every ask but the bid list is answered with.
static NONE_HELD: LazyLock<HeldBids> = LazyLock::new(HeldBids::default);

async fn answer_ask(state: &Arc<NodeState>, from: PartyId, ask: Ask) -> Reply {
    let not_ready = |state: &NodeState| Reply::NotReady {
        phase: state.with_ceremony(State::phase),
        halted: state.halted().map(|h| h.reason),
    };
    if ask != Ask::BidList {
        return state.with_ceremony(|s| s.answer(from, &ask, &NONE_HELD));
    }
    // A peer asks for the bid list only once it has closed: close too.
    if state.with_ceremony(|s| matches!(s, State::Collecting(_))) {
        tracing::info!(peer = from.index(), "peer has closed bidding; closing too");
        if let Err(e) = close(state, "closed by a peer").await {
            tracing::error!(peer = from.index(), error = %e, "answering a peer failed");
            return not_ready(state);
        }
    }
    if let Err(e) = refresh_registry(state).await {
        tracing::error!(peer = from.index(), error = %e, "answering a peer failed");
        return not_ready(state);
    }
    match held_bids(state).await {
        Ok(held) => state.with_ceremony(|s| s.answer(from, &ask, &held)),
        Err(e) => {
            tracing::error!(peer = from.index(), error = %e, "answering a peer failed");
            not_ready(state)
        }
    }
}

/// Stores `next` as the ceremony's record (with the registry, when it is
/// frozen now), then makes it the current state. Call with
/// `state.changing` held.
async fn store(state: &NodeState, next: State, registry: Option<Vec<u8>>) -> Result<(), Failure> {
    state
        .store
        .put_ceremony(CeremonyRecord::new(next.clone()), registry)
        .await
        .map_err(Failure::Transient)?;
    state.set_ceremony(next);
    Ok(())
}

/// Ends bidding at this node: the store's gate first (no bid is taken after
/// it), then the ceremony.
async fn close(state: &NodeState, reason: &'static str) -> Result<(), Failure> {
    let _changing = state.changing.lock().await;
    let State::Collecting(c) = state.ceremony() else {
        return Ok(());
    };
    state
        .store
        .close(reason)
        .await
        .map_err(Failure::Transient)?;
    state.registry.refresh();
    let closed = c.close(RegistrySummary::of(&state.registry.bidders()));
    store(state, closed.into(), None).await?;
    let (bidders, versions) = state.store.counts().map_err(s)?;
    tracing::info!(bidders, versions, "bidding closed");
    Ok(())
}

/// While the lists are being asked for, bidders may still be registered:
/// the ceremony sends and compares the registry as the file says now.
async fn refresh_registry(state: &NodeState) -> Result<(), Failure> {
    let _changing = state.changing.lock().await;
    let State::Closed(c) = state.ceremony() else {
        return Ok(());
    };
    state.registry.refresh();
    let now = RegistrySummary::of(&state.registry.bidders());
    if now != c.registry() {
        store(state, c.with_registry(now).into(), None).await?;
    }
    Ok(())
}

/// This node's held versions with the digests of its components, read
/// once bidding has closed (they no longer change) and kept in memory.
async fn held_bids(state: &Arc<NodeState>) -> Result<Arc<HeldBids>, Failure> {
    if let Some(h) = state.held() {
        return Ok(h);
    }
    let st = state.clone();
    let held = tokio::task::spawn_blocking(move || -> anyhow::Result<HeldBids> {
        let mut out = Vec::new();
        for h in st.store.held()? {
            let bundle = st.store.bundle(&h.bidder, h.version)?;
            out.push(HeldBid::new(
                st.index,
                h.bidder,
                auction::wire::Version(h.version),
                h.commitments,
                h.signature,
                &bundle,
            ));
        }
        Ok(HeldBids::new(out))
    })
    .await
    .map_err(|e| Failure::Transient(format!("reading the held bids was cancelled: {e}")))?
    .map_err(s)?;
    let held = Arc::new(held);
    state.set_held(held.clone());
    Ok(held)
}

/// A failure of the store or of a format, classified (`halt::classify`).
fn s<E: Into<anyhow::Error>>(e: E) -> Failure {
    classify(&e.into())
}

/// Runs the life cycle until the outcome is published, or until the
/// ceremony aborts: then the node halts (`crate::halt`). A node that halted
/// before it was restarted does not start again.
pub async fn drive(state: Arc<NodeState>) {
    if let Some(h) = state.halted() {
        tracing::error!(phase = %h.phase, problem = %h.reason,
            "this node halted before and does not continue: repair the cause, then run `clearing-node resume` and restart it");
        state.set_progress(&h.phase, vec![], Some(h.problem()));
        return;
    }
    let mut last_problem: Option<String> = None;
    loop {
        let phase = state.with_ceremony(State::phase);
        match step(&state).await {
            Ok(Flow::Continue) => last_problem = None,
            Ok(Flow::Stop) => return,
            Err(Failure::Transient(e)) => {
                // Logged when it changes, not on every retry.
                if last_problem.as_ref() != Some(&e) {
                    tracing::warn!(phase = phase.name(), problem = %e, "step failed; retrying");
                }
                state.set_progress(phase.name(), vec![], Some(e.clone()));
                last_problem = Some(e);
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(Failure::Permanent(e)) => {
                let _changing = state.changing.lock().await;
                let aborted = state.ceremony().abort(AbortReason::Local(e));
                halt(&state, aborted).await;
                return;
            }
            Err(Failure::Cheating { check, peer, .. }) => {
                let _changing = state.changing.lock().await;
                let aborted = state
                    .ceremony()
                    .abort(AbortReason::Cheating { check, peer });
                halt(&state, aborted).await;
                return;
            }
        }
    }
}

/// One step: what the ceremony wants next.
async fn step(state: &Arc<NodeState>) -> Result<Flow, Failure> {
    match state.with_ceremony(State::wants) {
        Wants::Close => wait_close(state).await.map(|()| Flow::Continue),
        Wants::Ask { ask, .. } if ask.kind() == AskKind::Signature => {
            // A peer that crashed while clearing may need this node to run
            // the clearing again with it; stand by for that while asking.
            let (set, seed, outcome) = state.with_ceremony(|s| match s {
                State::Cleared(c) => (c.agreement().set().clone(), c.seed(), c.outcome().clone()),
                _ => unreachable!("signatures are asked once cleared"),
            });
            tokio::select! {
                r = gather(state, ask) => r,
                _ = clearing::standby(state, &set, seed, &outcome) => unreachable!("standby never ends"),
            }
        }
        Wants::Ask { ask, .. } => gather(state, ask).await,
        Wants::Outcome => clear(state).await,
        Wants::Done => {
            state.set_progress("published", vec![], None);
            Ok(Flow::Stop)
        }
        Wants::Resume => Ok(Flow::Stop),
    }
}

async fn wait_close(state: &NodeState) -> Result<(), Failure> {
    state.set_progress("collecting", vec![], None);
    loop {
        // Closed by the operator, or by the bid intake at the close time.
        if state.store.close_reason().map_err(s)?.is_some() {
            return close(state, "close time").await;
        }
        if now_unix() >= state.auction.close_unix {
            return close(state, "close time").await;
        }
        if !state.with_ceremony(|s| matches!(s, State::Collecting(_))) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The status's name of the step that asks `kind`.
fn step_name(kind: AskKind) -> &'static str {
    match kind {
        AskKind::BidList => "exchanging bid lists",
        AskKind::Verdicts => "agreeing on exclusions",
        AskKind::Commitment => "seed commitments",
        AskKind::Reveal => "seed reveals",
        AskKind::Signature => "exchanging outcome signatures",
    }
}

/// Asks the peers the ceremony still wants `ask` answered by, until it
/// moves on: each reply goes to the ceremony, and every state it moves to
/// is stored before the next ask.
async fn gather(state: &Arc<NodeState>, ask: Ask) -> Result<Flow, Failure> {
    let kind = ask.kind();
    let step = step_name(kind);
    let mut delay = Duration::from_millis(100);
    loop {
        if kind == AskKind::BidList {
            refresh_registry(state).await?;
        }
        let peers = match state.with_ceremony(State::wants) {
            Wants::Ask { ask: now, peers } if now == ask => peers,
            _ => {
                state.set_progress(step, vec![], None);
                return Ok(Flow::Continue);
            }
        };
        let mut waiting = Vec::new();
        for p in peers {
            let reply = match request(state, p, &Request::Ask(ask.clone())).await {
                Ok((Response::Reply(r), _)) => r,
                Ok((other, _)) => {
                    let message = format!("unexpected answer {other:?}");
                    state.set_peer(p, "unreachable", &message);
                    waiting.push(format!("node {} ({message})", p.index()));
                    continue;
                }
                Err(e @ PeerError::Unreachable { .. }) => {
                    state.set_peer(p, "unreachable", &e.to_string());
                    waiting.push(format!("node {} (unreachable)", p.index()));
                    continue;
                }
                Err(PeerError::Refused { message, .. }) => {
                    state.set_peer(p, "refused", &message);
                    waiting.push(format!("node {} (refuses: {message})", p.index()));
                    continue;
                }
            };
            let said = match &reply {
                Reply::NotReady {
                    halted: Some(why), ..
                } => format!("node {} (at phase halted: {why})", p.index()),
                Reply::NotReady { phase, .. } => format!("node {} (at phase {phase})", p.index()),
                _ => format!("node {}", p.index()),
            };
            if take_reply(state, p, reply).await? {
                return Ok(Flow::Stop);
            }
            let still = matches!(state.with_ceremony(State::wants),
                Wants::Ask { ask: a, peers } if a == ask && peers.contains(&p));
            if still {
                waiting.push(said);
            }
        }
        if waiting.is_empty() {
            continue;
        }
        let first = state.progress.lock().expect("progress").waiting_for != waiting;
        if first {
            tracing::warn!(step, waiting = %waiting.join("; "), "waiting for peers");
        }
        state.set_progress(step, waiting, None);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// Hands peer `from`'s reply to the ceremony and stores where it moves.
/// Returns whether the ceremony aborted.
async fn take_reply(state: &Arc<NodeState>, from: PartyId, reply: Reply) -> Result<bool, Failure> {
    let held = match state.with_ceremony(|s| matches!(s, State::Closed(_))) {
        true => held_bids(state).await?,
        false => Arc::new(HeldBids::default()),
    };
    let _changing = state.changing.lock().await;
    let before = state.ceremony();
    let was_closed = matches!(before, State::Closed(_));
    let nodes = state.auction.node_keys();
    let bidders = state.registry.bidders();
    let inputs = Inputs {
        held: &held,
        seed_value: SeedValue::random(&mut rand_core::OsRng),
        keys: PublicKeys {
            params: &state.auction.params,
            nodes: &nodes,
            bidders: &bidders,
        },
    };
    match before.clone().on_reply(from, reply, inputs) {
        Ok(next) if next == before => Ok(false),
        Ok(next) => {
            // The registry the lists were checked with is frozen with the
            // record that says so.
            let frozen = match (&next, was_closed) {
                (State::ListsChecked(_), true) => Some(bidders.clone()),
                _ => None,
            };
            let registry = frozen
                .as_ref()
                .map(|b| serde_json::to_vec(&crate::registry::to_stored(b)).expect("serializable"));
            log_advance(&next);
            store(state, next, registry).await?;
            if let Some(b) = frozen {
                state.registry.freeze(b);
            }
            Ok(false)
        }
        Err(e @ CeremonyError::Retry { .. }) => {
            let problem = e.to_string();
            store(state, e.into_state(), None).await?;
            Err(Failure::Transient(problem))
        }
        Err(e @ CeremonyError::Abort(_)) => {
            halt(state, e.into_state()).await;
            Ok(true)
        }
    }
}

/// Says in the log what a transition reached.
fn log_advance(next: &State) {
    match next {
        State::ListsChecked(s) => {
            let c = s.checked();
            tracing::info!(bids = c.entries.len(), missing = c.missing.len(), mismatched = c.verdicts.len(), bid_set = %c.bid_set, "bid lists compared");
        }
        State::SetAgreed(s) => {
            let a = s.agreement().set();
            tracing::info!(bids = a.entries.len(), excluded = a.excluded.len(), bid_set = %a.bid_set, "bid set agreed");
        }
        State::SeedRevealed(s) => tracing::info!(seed = %s.seed(), "seed drawn"),
        State::Published(_) => tracing::info!("outcome published with all three signatures"),
        _ => {}
    }
}

/// Runs the clearing on the agreed set with the seed, and hands the
/// outcome to the ceremony, which signs it.
async fn clear(state: &Arc<NodeState>) -> Result<Flow, Failure> {
    let (set, seed) = state.with_ceremony(|s| match s {
        State::SeedRevealed(r) => (r.agreement().set().clone(), r.seed()),
        _ => unreachable!("the outcome is wanted once seeded"),
    });
    let outcome = clearing::run(state, &set, seed).await?;
    let _changing = state.changing.lock().await;
    let State::SeedRevealed(s) = state.ceremony() else {
        return Ok(Flow::Continue);
    };
    match s.on_outcome(outcome, &state.identity.signing) {
        Ok(cleared) => {
            tracing::info!(
                price = cleared.outcome().price.map(|p| p.0),
                volume = cleared.outcome().volume.0,
                "outcome computed and signed"
            );
            store(state, cleared.into(), None).await?;
            Ok(Flow::Continue)
        }
        Err(e) => {
            halt(state, e.into_state()).await;
            Ok(Flow::Stop)
        }
    }
}

/// Stops the life cycle for good: stores the aborted ceremony (so that a
/// restart does not retry either), logs it once, shows it in the status.
/// Call with `state.changing` held.
async fn halt(state: &NodeState, aborted: State) {
    let h = match &aborted {
        State::Aborted(a) => Halt::of(a),
        _ => unreachable!("halt takes an aborted ceremony"),
    };
    tracing::error!(phase = %h.phase, problem = %h.reason,
        "step failed in a way that retrying cannot change; this node halts: repair the cause, then run `clearing-node resume` and restart it");
    if let Err(e) = state
        .store
        .put_ceremony(CeremonyRecord::new(aborted.clone()), None)
        .await
    {
        tracing::error!(error = %e, "recording the halt in the database failed; it holds until this process ends");
    }
    state.set_ceremony(aborted);
    state.set_progress(&h.phase, vec![], Some(h.problem()));
}
