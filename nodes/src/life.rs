//! The auction's life cycle at one node, step by step, each step recorded
//! in the database before the next begins so a restarted node continues:
//!
//! collecting → closed → checked (bid lists exchanged, own pairwise
//! component checks) → agreed (bid set and exclusions; own seed value drawn)
//! → committed (three seed commitments) → seeded (three reveals; seed) →
//! cleared (outcome computed and signed) → published (three signatures).
//!
//! Every exchange is a request the asking node repeats until the peer is
//! there and has reached the step; a peer that is down makes the others wait
//! and say so in the status, never go on without it.

use crate::config::now_unix;
use crate::halt::{BID_SETS_DIFFER, Damaged, Failure, HALT_KEY, Halt};
use crate::node::NodeState;
use crate::peer::{ListEntry, PeerError, Request, Response, request};
use crate::store::Phase;
use auction::wire::{
    BidSetEntry, Digest, NodeSignature, OutcomeBundle, SeedReveal, Sig, Version, bid_set_digest,
    component_digest, outcome_message, seed_commitment, seed_from_reveals,
};
use auction::{BidderId, Exclusion, Outcome};
use ed25519_dalek::Signer;
use rand_core::RngCore;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use shares::PartyId;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A node index (0, 1 or 2, checked when the configuration and the auction
/// file are read) as the wire formats name nodes.
fn party(index: u8) -> PartyId {
    PartyId::try_from(index).expect("node indices are 0, 1 or 2")
}

/// The result of the bid-list exchange at this node.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checked {
    /// Per bidder, the newest version all three hold with the same
    /// commitments and signature.
    pub entries: Vec<BidSetEntry>,
    /// Digest of `entries`.
    pub bid_set: Digest,
    /// Bidders with bids but no such version.
    pub missing: Vec<Exclusion>,
    /// Bids whose replicated components disagree on a pair this node is in.
    pub verdicts: Vec<Exclusion>,
}

/// The agreed bid set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Agreed {
    /// The bid set, by bidder id.
    pub entries: Vec<BidSetEntry>,
    /// Its digest.
    pub bid_set: Digest,
    /// Bids excluded before the computation, by bidder id.
    pub excluded: Vec<Exclusion>,
}

/// Reason for a bid not held identically by all three nodes.
pub const REASON_MISSING: &str =
    "no version held by all three nodes with the same signed commitments";

/// Reason for a replicated component that differs between its two holders.
pub fn reason_mismatch(component: u8) -> String {
    let a = (component + 2) % 3;
    let (lo, hi) = (a.min(component), a.max(component));
    format!("replicated share component {component} differs between node {lo} and node {hi}")
}

/// A state record the phase reached implies: missing or unparsable, the
/// database is damaged.
fn load<T: DeserializeOwned>(state: &NodeState, key: &str) -> anyhow::Result<T> {
    let bytes = state
        .store
        .get(key)?
        .ok_or_else(|| Damaged(format!("the state record {key} is missing")))?;
    Ok(serde_json::from_slice(&bytes)
        .map_err(|e| Damaged(format!("the state record {key} does not parse ({e})")))?)
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serializable")
}

fn peers(me: u8) -> [u8; 2] {
    [(me + 1) % 3, (me + 2) % 3]
}

/// The component node `me` shares with node `other`, and this node's copy.
fn common_component(me: u8, other: u8, bundle: &auction::wire::ShareBundle) -> (u8, &[u64]) {
    if other == (me + 1) % 3 {
        ((me + 1) % 3, &bundle.next)
    } else {
        (me, &bundle.own)
    }
}

/// Held versions with the digest of the component shared with `other`.
fn bid_list(state: &NodeState, other: u8) -> anyhow::Result<Vec<ListEntry>> {
    let mut out = Vec::new();
    for h in state.store.held()? {
        let bundle = state.store.bundle(&h.bidder, h.version)?;
        let (j, values) = common_component(state.index, other, &bundle);
        let common = component_digest(&h.bidder, Version(h.version), j, values);
        out.push(ListEntry {
            bid: BidSetEntry {
                bidder: h.bidder,
                version: Version(h.version),
                commitments: h.commitments,
                signature: Some(h.signature),
            },
            common,
        });
    }
    Ok(out)
}

/// Answers a peer's request. A halted node answers every request but a
/// ping with "not ready", saying that it halted and why.
pub async fn answer(state: &Arc<NodeState>, from: u8, req: Request) -> Response {
    if !matches!(req, Request::Ping)
        && let Some(h) = state.halted()
    {
        return Response::NotReady {
            phase: format!("halted: {}", h.reason),
        };
    }
    match answer_inner(state, from, req).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(peer = from, error = %e, "answering a peer failed");
            Response::NotReady {
                phase: format!("error: {e}"),
            }
        }
    }
}

async fn answer_inner(state: &Arc<NodeState>, from: u8, req: Request) -> anyhow::Result<Response> {
    let phase = state.store.phase()?;
    let not_ready = || Response::NotReady {
        phase: phase.name().to_string(),
    };
    let differ = |mine: &Digest, theirs: &Digest| Response::Refused {
        message: format!(
            "{BID_SETS_DIFFER}: node {} has {mine}, node {from} has {theirs}",
            state.index
        ),
    };
    Ok(match req {
        Request::Hello { .. } | Request::Mpc { .. } => Response::Refused {
            message: "unexpected request".into(),
        },
        Request::Ping => Response::Pong {
            phase: phase.name().to_string(),
        },
        Request::BidList => {
            if phase == Phase::Collecting {
                tracing::info!(peer = from, "peer has closed bidding; closing too");
                state
                    .store
                    .close("closed by a peer")
                    .await
                    .map_err(anyhow::Error::msg)?;
            }
            let s = state.clone();
            let entries = tokio::task::spawn_blocking(move || bid_list(&s, from)).await??;
            state.registry.refresh();
            Response::BidList {
                entries,
                registry: state.registry.digest(),
                registered: state.registry.bidders().len() as u64,
            }
        }
        Request::Verdicts { bid_set } => {
            if phase < Phase::Checked {
                return Ok(not_ready());
            }
            let c: Checked = load(state, "checked")?;
            if c.bid_set != bid_set {
                return Ok(differ(&c.bid_set, &bid_set));
            }
            Response::Verdicts {
                bid_set,
                excluded: c.verdicts,
            }
        }
        Request::Commitment { bid_set } => {
            if phase < Phase::Agreed {
                return Ok(not_ready());
            }
            let a: Agreed = load(state, "agreed")?;
            if a.bid_set != bid_set {
                return Ok(differ(&a.bid_set, &bid_set));
            }
            let value: Digest = load(state, "seed_value")?;
            Response::Commitment {
                commitment: seed_commitment(
                    &state.auction.hash,
                    &bid_set,
                    party(state.index),
                    &value.0,
                ),
            }
        }
        Request::Reveal { bid_set } => {
            // Revealed only once all three commitments are held, so no node
            // can choose its value after seeing another's.
            if phase < Phase::Committed {
                return Ok(not_ready());
            }
            let a: Agreed = load(state, "agreed")?;
            if a.bid_set != bid_set {
                return Ok(differ(&a.bid_set, &bid_set));
            }
            Response::Reveal {
                value: load(state, "seed_value")?,
            }
        }
        Request::Signature { bid_set } => {
            if phase < Phase::Cleared {
                return Ok(not_ready());
            }
            let a: Agreed = load(state, "agreed")?;
            if a.bid_set != bid_set {
                return Ok(differ(&a.bid_set, &bid_set));
            }
            Response::Signature {
                outcome: load(state, "outcome")?,
                signature: load(state, "signature")?,
            }
        }
    })
}

/// Asks both peers `req` until each has given an answer `take` accepts
/// (`Ok(Some)`); `Ok(None)` means ask again later, `Err` is a disagreement
/// with what the peer stored, which asking again cannot change: a permanent
/// failure, as is a peer's refusal because its bid set differs.
async fn gather<T>(
    state: &NodeState,
    step: &str,
    req: &Request,
    mut take: impl FnMut(u8, Response) -> Result<Option<T>, String>,
) -> Result<BTreeMap<u8, T>, Failure> {
    let mut got = BTreeMap::new();
    let mut delay = Duration::from_millis(100);
    loop {
        let mut waiting = Vec::new();
        for p in peers(state.index) {
            if got.contains_key(&p) {
                continue;
            }
            match request(state, p, req).await {
                Ok((Response::NotReady { phase }, _)) => {
                    waiting.push(format!("node {p} (at phase {phase})"))
                }
                Ok((resp, _)) => match take(p, resp).map_err(Failure::Permanent)? {
                    Some(t) => {
                        got.insert(p, t);
                    }
                    None => waiting.push(format!("node {p}")),
                },
                Err(e @ PeerError::Unreachable { .. }) => {
                    state.set_peer(p, "unreachable", &e.to_string());
                    waiting.push(format!("node {p} (unreachable)"));
                }
                Err(PeerError::Refused { message, .. }) if message.starts_with(BID_SETS_DIFFER) => {
                    return Err(Failure::Permanent(format!("node {p} refuses: {message}")));
                }
                Err(PeerError::Refused { message, .. }) => {
                    state.set_peer(p, "refused", &message);
                    waiting.push(format!("node {p} (refuses: {message})"));
                }
            }
        }
        if waiting.is_empty() {
            state.set_progress(step, vec![], None);
            return Ok(got);
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

/// Runs the life cycle until the outcome is published, or until a step
/// fails for good: then the node halts (`crate::halt`). A node that halted
/// before it was restarted does not start again.
pub async fn drive(state: Arc<NodeState>) {
    if let Some(h) = state.halted() {
        tracing::error!(phase = %h.phase, problem = %h.reason, since_unix = h.since_unix,
            "this node halted before and does not continue: repair the cause, then run `clearing-node resume` and restart it");
        return;
    }
    let mut last_problem: Option<String> = None;
    loop {
        let phase = match state.store.phase() {
            Ok(p) => p,
            Err(e) => match s(e) {
                Failure::Permanent(m) => {
                    halt(&state, "unknown", m).await;
                    return;
                }
                Failure::Transient(m) => {
                    tracing::error!(error = %m, "reading the phase failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let r = match phase {
            Phase::Collecting => wait_close(&state).await,
            Phase::Closed => check(&state).await,
            Phase::Checked => agree(&state).await,
            Phase::Agreed => commit(&state).await,
            Phase::Committed => reveal(&state).await,
            Phase::Seeded => clear(&state).await,
            Phase::Cleared => publish(&state).await,
            Phase::Published => {
                state.set_progress("published", vec![], None);
                return;
            }
        };
        match r {
            Ok(()) => last_problem = None,
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
                halt(&state, phase.name(), e).await;
                return;
            }
        }
    }
}

/// Stops the life cycle for good: records why in the database (so that a
/// restart does not retry either), logs it once, shows it in the status.
async fn halt(state: &NodeState, phase: &str, reason: String) {
    let h = Halt {
        phase: phase.to_string(),
        reason,
        since_unix: now_unix(),
    };
    tracing::error!(phase, problem = %h.reason,
        "step failed in a way that retrying cannot change; this node halts: repair the cause, then run `clearing-node resume` and restart it");
    if let Err(e) = state
        .store
        .put(vec![(HALT_KEY.into(), json(&h))], None)
        .await
    {
        tracing::error!(error = %e, "recording the halt in the database failed; it holds until this process ends");
    }
    state.set_halted(h);
}

type Step = Result<(), Failure>;

/// A failure of the store or of a format, classified (`halt::classify`).
fn s<E: Into<anyhow::Error>>(e: E) -> Failure {
    crate::halt::classify(&e.into())
}

async fn wait_close(state: &NodeState) -> Step {
    state.set_progress("collecting", vec![], None);
    loop {
        if state.store.phase().map_err(s)? != Phase::Collecting {
            break;
        }
        if now_unix() >= state.auction.close_unix {
            state.store.close("close time").await?;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (bidders, versions) = state.store.counts().map_err(s)?;
    tracing::info!(bidders, versions, "bidding closed");
    Ok(())
}

async fn check(state: &NodeState) -> Step {
    let me = state.index;
    let lists = gather(
        state,
        "exchanging bid lists",
        &Request::BidList,
        |_, r| match r {
            Response::BidList {
                entries,
                registry,
                registered,
            } => Ok(Some((entries, registry, registered))),
            other => Err(format!(
                "unexpected answer to a bid-list request: {other:?}"
            )),
        },
    )
    .await?;
    // The registries first: the bids of a bidder one node does not know
    // cannot be agreed on. Operators can still add the missing bidders to
    // a node's file; this step is retried until the three agree.
    state.registry.refresh();
    let registry = state.registry.bidders();
    let mine = (state.registry.digest(), registry.len() as u64);
    let differing: Vec<String> = lists
        .iter()
        .filter(|(_, (_, d, n))| (*d, *n) != mine)
        .map(|(p, (_, d, n))| format!("node {p} has {n} bidders (registry digest {d})"))
        .collect();
    if !differing.is_empty() {
        return Err(Failure::Transient(format!(
            "bidder registries differ at the close: node {me} has {} bidders (registry digest {}), {}; give the three nodes the same auction file (bidders can be added to it; the nodes read it again)",
            mine.1,
            mine.0,
            differing.join(", ")
        )));
    }
    let lists: BTreeMap<u8, Vec<ListEntry>> =
        lists.into_iter().map(|(p, (e, _, _))| (p, e)).collect();
    let held = state.store.held().map_err(s)?;
    // (bidder, version) -> (commitments, bidder signature) at each node.
    type Signed = ([Digest; 3], Sig);
    let mut by_bid: BTreeMap<(BidderId, u64), [Option<Signed>; 3]> = BTreeMap::new();
    let mut bidders = std::collections::BTreeSet::new();
    for h in &held {
        by_bid.entry((h.bidder.clone(), h.version)).or_default()[me as usize] =
            Some((h.commitments, h.signature));
        bidders.insert(h.bidder.clone());
    }
    for (&p, entries) in &lists {
        for e in entries {
            by_bid
                .entry((e.bid.bidder.clone(), e.bid.version.0))
                .or_default()[p as usize] = e.bid.signature.map(|s| (e.bid.commitments, s));
            bidders.insert(e.bid.bidder.clone());
        }
    }
    let mut newest: BTreeMap<BidderId, BidSetEntry> = BTreeMap::new();
    for ((bidder, version), d) in &by_bid {
        if let [Some(a), Some(b), Some(c)] = d
            && a == b
            && b == c
        {
            newest.insert(
                bidder.clone(),
                BidSetEntry {
                    bidder: bidder.clone(),
                    version: Version(*version),
                    commitments: a.0,
                    signature: Some(a.1),
                },
            );
        }
    }
    let missing: Vec<Exclusion> = bidders
        .iter()
        .filter(|b| !newest.contains_key(*b))
        .map(|b| Exclusion {
            bidder: b.clone(),
            reason: REASON_MISSING.to_string(),
        })
        .collect();
    let entries: Vec<BidSetEntry> = newest.into_values().collect();
    // Own pairwise checks: the component this node shares with each peer.
    let mut verdicts = Vec::new();
    for (&p, list) in &lists {
        let theirs: BTreeMap<(&BidderId, Version), &Digest> = list
            .iter()
            .map(|e| ((&e.bid.bidder, e.bid.version), &e.common))
            .collect();
        for e in &entries {
            let bundle = state.store.bundle(&e.bidder, e.version.0).map_err(s)?;
            let (j, values) = common_component(me, p, &bundle);
            let mine = component_digest(&e.bidder, e.version, j, values);
            if theirs.get(&(&e.bidder, e.version)) != Some(&&mine) {
                tracing::warn!(bidder = %e.bidder, component = j, peer = p, "replicated component differs; bid excluded");
                verdicts.push(Exclusion {
                    bidder: e.bidder.clone(),
                    reason: reason_mismatch(j),
                });
            }
        }
    }
    let c = Checked {
        bid_set: bid_set_digest(&entries),
        entries,
        missing,
        verdicts,
    };
    tracing::info!(bids = c.entries.len(), missing = c.missing.len(), mismatched = c.verdicts.len(), bid_set = %c.bid_set, "bid lists compared");
    let stored = crate::registry::to_stored(&registry);
    state
        .store
        .put(
            vec![
                ("checked".into(), json(&c)),
                (crate::registry::STORE_KEY.into(), json(&stored)),
            ],
            Some(Phase::Checked),
        )
        .await
        .map_err(Failure::from)?;
    state.registry.freeze(registry);
    Ok(())
}

async fn agree(state: &NodeState) -> Step {
    let c: Checked = load(state, "checked").map_err(s)?;
    let bid_set = c.bid_set;
    let verdicts = gather(
        state,
        "agreeing on exclusions",
        &Request::Verdicts { bid_set },
        |p, r| match r {
            Response::Verdicts {
                bid_set: theirs,
                excluded,
            } if theirs == bid_set => Ok(Some(excluded)),
            Response::Verdicts {
                bid_set: theirs, ..
            } => Err(format!(
                "node {p} arrived at bid set {theirs}, this node at {bid_set}"
            )),
            other => Err(format!(
                "unexpected answer to a verdicts request: {other:?}"
            )),
        },
    )
    .await?;
    let mut reasons: BTreeMap<BidderId, std::collections::BTreeSet<String>> = BTreeMap::new();
    for e in c
        .missing
        .iter()
        .chain(&c.verdicts)
        .chain(verdicts.values().flatten())
    {
        reasons
            .entry(e.bidder.clone())
            .or_default()
            .insert(e.reason.clone());
    }
    let excluded: Vec<Exclusion> = reasons
        .into_iter()
        .map(|(bidder, r)| Exclusion {
            bidder,
            reason: r.into_iter().collect::<Vec<_>>().join("; "),
        })
        .collect();
    let a = Agreed {
        entries: c.entries,
        bid_set,
        excluded,
    };
    let mut value = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut value);
    tracing::info!(bids = a.entries.len(), excluded = a.excluded.len(), bid_set = %bid_set, "bid set agreed");
    // The seed value is on disk before its commitment can leave.
    state
        .store
        .put(
            vec![
                ("agreed".into(), json(&a)),
                ("seed_value".into(), json(&Digest(value))),
            ],
            Some(Phase::Agreed),
        )
        .await
        .map_err(Failure::from)
}

async fn commit(state: &NodeState) -> Step {
    let a: Agreed = load(state, "agreed").map_err(s)?;
    let value: Digest = load(state, "seed_value").map_err(s)?;
    let got = gather(
        state,
        "seed commitments",
        &Request::Commitment { bid_set: a.bid_set },
        |_, r| match r {
            Response::Commitment { commitment } => Ok(Some(commitment)),
            other => Err(format!(
                "unexpected answer to a commitment request: {other:?}"
            )),
        },
    )
    .await?;
    let mut commitments = [Digest::default(); 3];
    commitments[state.index as usize] = seed_commitment(
        &state.auction.hash,
        &a.bid_set,
        party(state.index),
        &value.0,
    );
    for (p, c) in got {
        commitments[p as usize] = c;
    }
    state
        .store
        .put(
            vec![("commitments".into(), json(&commitments))],
            Some(Phase::Committed),
        )
        .await
        .map_err(Failure::from)
}

async fn reveal(state: &NodeState) -> Step {
    let a: Agreed = load(state, "agreed").map_err(s)?;
    let value: Digest = load(state, "seed_value").map_err(s)?;
    let commitments: [Digest; 3] = load(state, "commitments").map_err(s)?;
    let ah = state.auction.hash;
    let got = gather(
        state,
        "seed reveals",
        &Request::Reveal { bid_set: a.bid_set },
        |p, r| match r {
            Response::Reveal { value }
                if seed_commitment(&ah, &a.bid_set, party(p), &value.0)
                    == commitments[p as usize] =>
            {
                Ok(Some(value))
            }
            Response::Reveal { .. } => Err(format!(
                "node {p} revealed a value that does not open its commitment"
            )),
            other => Err(format!("unexpected answer to a reveal request: {other:?}")),
        },
    )
    .await?;
    let mut values = [[0u8; 32]; 3];
    values[state.index as usize] = value.0;
    for (p, v) in got {
        values[p as usize] = v.0;
    }
    let reveals: Vec<SeedReveal> = PartyId::ALL
        .map(|p| SeedReveal {
            node: p,
            commitment: commitments[p.index()],
            value: Digest(values[p.index()]),
        })
        .into();
    let seed = Digest(seed_from_reveals(&values).0);
    tracing::info!(seed = %seed, "seed drawn");
    state
        .store
        .put(
            vec![
                ("reveals".into(), json(&reveals)),
                ("seed".into(), json(&seed)),
            ],
            Some(Phase::Seeded),
        )
        .await
        .map_err(Failure::from)
}

async fn clear(state: &Arc<NodeState>) -> Step {
    let a: Agreed = load(state, "agreed").map_err(s)?;
    let seed: Digest = load(state, "seed").map_err(s)?;
    let outcome = crate::clearing::run(state, &a, seed, None).await?;
    let message = outcome_message(&state.auction.hash, &a.bid_set, &outcome).map_err(s)?;
    let signature = Sig(state.identity.signing.sign(&message));
    tracing::info!(
        price = outcome.price.map(|p| p.0),
        volume = outcome.volume.0,
        "outcome computed and signed"
    );
    state
        .store
        .put(
            vec![
                ("outcome".into(), json(&outcome)),
                ("signature".into(), json(&signature)),
            ],
            Some(Phase::Cleared),
        )
        .await
        .map_err(Failure::from)
}

async fn publish(state: &Arc<NodeState>) -> Step {
    let a: Agreed = load(state, "agreed").map_err(s)?;
    let seed: Digest = load(state, "seed").map_err(s)?;
    let outcome: Outcome = load(state, "outcome").map_err(s)?;
    let own: Sig = load(state, "signature").map_err(s)?;
    let reveals: Vec<SeedReveal> = load(state, "reveals").map_err(s)?;
    let message = outcome_message(&state.auction.hash, &a.bid_set, &outcome).map_err(s)?;
    let keys = state.auction.node_keys();
    let req = Request::Signature { bid_set: a.bid_set };
    let gathering = gather(
        state,
        "exchanging outcome signatures",
        &req,
        |p, r| match r {
            Response::Signature {
                outcome: theirs, ..
            } if theirs != outcome => Err(format!(
                "node {p} computed a different outcome; not publishing"
            )),
            Response::Signature { signature, .. } => {
                if keys[p as usize]
                    .verify_strict(&message, &signature.0)
                    .is_ok()
                {
                    Ok(Some(signature))
                } else {
                    Err(format!("node {p}'s outcome signature does not verify"))
                }
            }
            other => Err(format!(
                "unexpected answer to a signature request: {other:?}"
            )),
        },
    );
    // A peer that crashed while clearing may need this node to run the
    // clearing again with it; stand by for that while gathering.
    let got = tokio::select! {
        r = gathering => r?,
        _ = crate::clearing::standby(state, &a, seed, &outcome) => unreachable!("standby never ends"),
    };
    let mut signatures = vec![NodeSignature {
        node: party(state.index),
        signature: own,
    }];
    signatures.extend(got.into_iter().map(|(node, signature)| NodeSignature {
        node: party(node),
        signature,
    }));
    signatures.sort_by_key(|s| s.node);
    let bundle = OutcomeBundle {
        format: auction::wire::FORMAT,
        auction_hash: state.auction.hash,
        bid_set: a.entries.clone(),
        bid_set_digest: a.bid_set,
        seed_reveals: reveals,
        outcome,
        signatures,
    };
    let bidders = state.registry.bidders();
    bundle
        .verify(&state.auction.trusted_with(&bidders))
        .map_err(|e| format!("outcome bundle does not verify: {e}"))?;
    tracing::info!("outcome published with all three signatures");
    state
        .store
        .put(
            vec![("bundle".into(), json(&bundle))],
            Some(Phase::Published),
        )
        .await
        .map_err(Failure::from)
}
