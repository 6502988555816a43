//! The operator's tools on one node: `status`, what the node holds and
//! where it stands, read from its database (so it works while the node is
//! down) together with the running node's live progress when it answers;
//! and `resume`, which lifts a halt once its cause is repaired: the aborted
//! ceremony goes back to the state it stopped at.
//!
//! Unlike the public `GET /v1/status`, the operator's status shows how many
//! bidders have bid and how many versions are held while bidding is open.

use crate::config::{NodeConfig, load_auction, now_unix};
use crate::halt::Halt;
use crate::sites::Site;
use crate::store::Store;
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// How long to wait for the running node's answer.
const LIVE_TIMEOUT: Duration = Duration::from_secs(3);

/// The operator's view of the node as JSON: what the database holds, and
/// `clearing`, `peers` from the running node when it answers. `with_bids`
/// adds every bidder with the versions held.
pub fn status(cfg: &NodeConfig, site: &Site, with_bids: bool) -> anyhow::Result<Value> {
    let auction = load_auction(&site.file)?;
    let db = site.db.clone();
    if !db.is_file() {
        bail!(
            "no database at {}: the node has not served auction {:?} yet; start it with `clearing-node run --config …` (an added auction is taken up within a second)",
            db.display(),
            site.id
        );
    }
    let store = Store::open_read_only(&db)?;
    let held_hash = store.auction_hash()?;
    if held_hash != auction.hash.to_hex() {
        bail!(
            "database {} belongs to the auction file with hash {}, not to {} ({})",
            db.display(),
            held_hash,
            site.file.display(),
            auction.hash
        );
    }
    let phase = store.phase()?;
    let close_reason = store.close_reason()?;
    let ceremony = store
        .ceremony()
        .with_context(|| format!("database {}", db.display()))?
        .state;
    let (bidders, versions) = store.counts()?;
    let mut bids = json!({"bidders": bidders, "versions": versions});
    if with_bids {
        let mut by_bidder: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for h in store.held()? {
            by_bidder.entry(h.bidder.0).or_default().push(h.version);
        }
        bids["held"] = by_bidder
            .into_iter()
            .map(|(bidder, versions)| json!({"bidder": bidder, "versions": versions}))
            .collect();
    }
    let agreed = match ceremony.agreed_set() {
        Some(a) => json!({"bid_set": a.bid_set, "bids": a.entries.len(), "excluded": a.excluded}),
        None => Value::Null,
    };
    let halted: Option<Halt> = match &ceremony {
        auction::ceremony::State::Aborted(a) => Some(Halt::of(a)),
        _ => None,
    };
    let api = loopback(cfg.api_listen);
    let live = live_status(api, site.fingerprint, &site.id);
    let (clearing, peers, running) = match live {
        Ok(v) => (
            v["clearing"].clone(),
            v["peers"].clone(),
            json!({"api": api, "answering": true}),
        ),
        Err(e) => (
            json!({
                "step": phase.name(),
                "waiting_for": Value::Null,
                "problem": halted.as_ref().map(Halt::problem),
                "halted": halted.is_some(),
            }),
            Value::Null,
            json!({"api": api, "answering": false, "error": format!("{e:#}")}),
        ),
    };
    Ok(json!({
        "node": site.index,
        "auction": auction.params.id,
        "auction_hash": auction.hash,
        "database": db,
        "phase": phase,
        "close_reason": close_reason,
        "opens": auction::time::rfc3339(auction.open_unix),
        "closes": auction::time::rfc3339(auction.close_unix),
        "open_unix": auction.open_unix,
        "close_unix": auction.close_unix,
        "now_unix": now_unix(),
        "bids": bids,
        "clearing": clearing,
        "peers": peers,
        "agreed": agreed,
        "halted": halted,
        "running": running,
    }))
}

/// The address to reach a listener on this machine: an unspecified listen
/// address (`0.0.0.0`, `::`) is reached on loopback.
fn loopback(listen: SocketAddr) -> SocketAddr {
    let mut a = listen;
    if a.ip().is_unspecified() {
        a.set_ip(match a {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    a
}

fn live_status(
    api: SocketAddr,
    fingerprint: auction::wire::Digest,
    id: &str,
) -> anyhow::Result<Value> {
    let path = auction::auction_file::api_path(id, "status");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let call = crate::client::call(api, fingerprint, "GET", &path, None);
        let (code, body) = tokio::time::timeout(LIVE_TIMEOUT, call)
            .await
            .map_err(|_| anyhow::anyhow!("no answer at {api} within {LIVE_TIMEOUT:?}"))?
            .with_context(|| format!("the node does not answer at {api}"))?;
        if code != 200 {
            bail!(
                "the node at {api} answered {code}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(serde_json::from_slice(&body)?)
    })
}

fn ago(now: u64, t: u64) -> String {
    let (d, later) = if t >= now {
        (t - now, true)
    } else {
        (now - t, false)
    };
    let span = if d < 120 {
        format!("{d} s")
    } else if d < 7200 {
        format!("{} min", d / 60)
    } else if d < 172_800 {
        format!("{} h", d / 3600)
    } else {
        format!("{} days", d / 86_400)
    };
    if later {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// Prints [`status`]'s document for people.
pub fn print(v: &Value) {
    let now = v["now_unix"].as_u64().unwrap_or(0);
    let close = v["close_unix"].as_u64().unwrap_or(0);
    crate::outln!(
        "node {} of auction {} (auction hash {})",
        v["node"],
        v["auction"].as_str().unwrap_or(""),
        v["auction_hash"].as_str().unwrap_or("")
    );
    crate::outln!("database:   {}", v["database"].as_str().unwrap_or_default());
    let phase = v["phase"].as_str().unwrap_or("");
    match v["close_reason"].as_str() {
        Some(r) => crate::outln!(
            "phase:      {phase} (bidding closed: {r}; close time was {}, {})",
            auction::time::rfc3339(close),
            ago(now, close)
        ),
        None => crate::outln!(
            "phase:      {phase} (bidding closes at {}, {})",
            auction::time::rfc3339(close),
            ago(now, close)
        ),
    }
    crate::outln!(
        "bids held:  {} bidders, {} versions",
        v["bids"]["bidders"],
        v["bids"]["versions"]
    );
    if let Some(held) = v["bids"]["held"].as_array() {
        for h in held {
            let versions: Vec<String> = h["versions"]
                .as_array()
                .map(|a| a.iter().map(|x| x.to_string()).collect())
                .unwrap_or_default();
            crate::outln!(
                "            {}: {}",
                h["bidder"].as_str().unwrap_or(""),
                versions.join(", ")
            );
        }
    }
    let c = &v["clearing"];
    crate::outln!("step:       {}", c["step"].as_str().unwrap_or(""));
    match c["waiting_for"].as_array() {
        Some(w) if !w.is_empty() => {
            let w: Vec<&str> = w.iter().filter_map(|x| x.as_str()).collect();
            crate::outln!("waiting on: {}", w.join("; "));
        }
        Some(_) => crate::outln!("waiting on: nobody"),
        None => {}
    }
    crate::outln!("problem:    {}", c["problem"].as_str().unwrap_or("none"));
    if let Some(peers) = v["peers"].as_array() {
        for p in peers {
            let msg = p["message"].as_str().unwrap_or("");
            crate::outln!(
                "peer node {}: {}{}{} (since {})",
                p["node"],
                p["state"].as_str().unwrap_or(""),
                if msg.is_empty() { "" } else { ": " },
                msg,
                ago(now, p["since_unix"].as_u64().unwrap_or(now))
            );
        }
    }
    let a = &v["agreed"];
    if a.is_null() {
        crate::outln!("agreed set: not yet");
    } else {
        crate::outln!(
            "agreed set: {} bids, digest {}",
            a["bids"],
            a["bid_set"].as_str().unwrap_or("")
        );
        for x in a["excluded"].as_array().into_iter().flatten() {
            crate::outln!(
                "  excluded {}: {}",
                x["bidder"].as_str().unwrap_or(""),
                x["reason"].as_str().unwrap_or("")
            );
        }
    }
    let r = &v["running"];
    if r["answering"] == true {
        crate::outln!(
            "running:    yes, answering at {}",
            r["api"].as_str().unwrap_or("")
        );
    } else {
        crate::outln!(
            "running:    no answer ({}); the lines above are from the database only",
            r["error"].as_str().unwrap_or("")
        );
    }
}

/// Lifts a halt so that the node continues when next started; returns
/// the halt lifted, `None` if the node was not halted. Meant for after the
/// cause has been repaired, with the node stopped.
pub fn resume(site: &Site) -> anyhow::Result<Option<Halt>> {
    // Checks the schema first, and that the database is there.
    Store::open_read_only(&site.db)?;
    Ok(crate::store::resume_from_outside(&site.db)?
        .as_ref()
        .map(Halt::of))
}

/// Waits until the node has published the outcome, printing each step it
/// reaches and what it waits for; fails when the node halts or `timeout`
/// runs out, saying where it stands.
pub fn wait_published(cfg: &NodeConfig, site: &Site, timeout: Duration) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + timeout;
    let mut last = String::new();
    loop {
        let v = status(cfg, site, false)?;
        if let Some(h) = v.get("halted").filter(|h| !h.is_null()) {
            bail!(
                "node {} halted: {}; repair the cause, then `clearing-node resume --config …` and start it again",
                site.index.index(),
                h["reason"].as_str().unwrap_or("see `clearing-node status`")
            );
        }
        let phase = v["phase"].as_str().unwrap_or("unknown").to_string();
        let c = &v["clearing"];
        let waiting: Vec<&str> = c["waiting_for"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str())
            .collect();
        let mut line = format!("phase {phase}");
        if let Some(step) = c["step"].as_str().filter(|s| !s.is_empty() && *s != phase) {
            line.push_str(&format!(", {step}"));
        }
        if !waiting.is_empty() {
            line.push_str(&format!("; waiting for {}", waiting.join(", ")));
        }
        if let Some(p) = c["problem"].as_str() {
            line.push_str(&format!("; last problem: {p}"));
        }
        if line != last {
            crate::outln!("{line}");
            last = line;
        }
        if phase == "published" {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            bail!(
                "node {} has not published after {} s: {last}; see `clearing-node status --config …`",
                site.index.index(),
                timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
