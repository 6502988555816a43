//! What a node serves to browsers: the bidder page, the live view, their
//! static files (built into the binary from `nodes/web/`), the live status
//! stream (`GET /v1/events`, server-sent events), and CORS for the API, so
//! that a page loaded from any of the three nodes can send each node its
//! own share bundle.
//!
//! The page makes the shares in the browser: no node, not even the one that
//! served the page, ever receives a bid value, only its bundle. The page's
//! Content-Security-Policy lets it connect to the three nodes' origins and
//! nowhere else.
//!
//! The live view shows the phase, the close time, the clearing's progress
//! step by step, and once published the outcome. It never shows more than
//! the public status does: no bid count while bidding is open, no curve,
//! no per-bidder figure beyond the published outcome.
//!
//! For a local demo, `page_listen` serves the same routes over plain HTTP on
//! a loopback address (a browser treats `http://127.0.0.1` as a secure
//! context, so WebCrypto works there without a certificate).

use crate::config::now_unix;
use crate::live::LiveDoc;
pub use crate::live::{MpcStep, Web};
use crate::node::NodeState;
use auction::ceremony::Phase;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use sha2::{Digest as _, Sha256};
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use warp::Filter;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::{Reply, Response};

/// One static file of the page.
struct Asset {
    path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
}

macro_rules! asset {
    ($path:literal, $file:literal, $ct:expr) => {
        Asset {
            path: $path,
            body: include_bytes!(concat!("../web/", $file)),
            content_type: $ct,
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Every file served, by its path.
static ASSETS: &[Asset] = &[
    asset!("/", "index.html", HTML),
    asset!("/live", "live.html", HTML),
    asset!("/web/style.css", "style.css", "text/css; charset=utf-8"),
    asset!("/web/bidder.js", "bidder.js", JS),
    asset!("/web/live.js", "live.js", JS),
    asset!("/web/wire.js", "wire.js", JS),
    asset!("/web/curve.js", "curve.js", JS),
    asset!("/web/audit.js", "audit.js", JS),
    asset!("/web/plot.js", "plot.js", JS),
    asset!("/web/favicon.svg", "favicon.svg", "image/svg+xml"),
];

fn etag(a: &Asset) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.body))[..16]))
            .collect()
    });
    let i = ASSETS
        .iter()
        .position(|b| b.path == a.path)
        .expect("listed");
    &tags[i]
}

/// The live document: what `/v1/status` says, cut to what the live view
/// shows, and the clearing step while clearing.
fn live_doc(state: &NodeState) -> LiveDoc {
    let status = state.status();
    let seeded = matches!(&status, Ok(s) if s.phase == Phase::Seeded);
    let s = match status {
        Ok(s) => serde_json::to_value(s).expect("serializable"),
        Err(e) => serde_json::json!({"error": e.to_string()}),
    };
    let phase = s["phase"].as_str().unwrap_or("").to_string();
    let mpc = if seeded {
        *state.web.mpc.lock().expect("mpc lock")
    } else {
        None
    };
    let mut doc = serde_json::json!({
        "auction": s["auction"],
        "node": s["node"],
        "phase": phase,
        "close_reason": s["close_reason"],
        "open_unix": s["open_unix"],
        "close_unix": s["close_unix"],
        "step": s["clearing"]["step"],
        "waiting_for": s["clearing"]["waiting_for"],
        "problem": s["clearing"]["problem"],
        "halted": s["clearing"]["halted"],
        "mpc": mpc,
        "peers": s["peers"].as_array().map(|ps| ps.iter().map(|p| serde_json::json!({"node": p["node"], "state": p["state"]})).collect::<Vec<_>>()),
    });
    // Present only once bidding has closed (`NodeState::status`).
    if let Some(b) = s.get("bids") {
        doc["bids"] = b.clone();
    }
    if let Some(a) = s.get("agreed").filter(|a| !a.is_null()) {
        doc["agreed"] = serde_json::json!({
            "bids": a["bids"],
            "excluded": a["excluded"].as_array().map_or(0, |v| v.len()),
        });
    }
    if let Some(e) = s.get("error") {
        doc["error"] = e.clone();
    }
    let key = doc.to_string();
    doc["now_unix"] = now_unix().into();
    LiveDoc { key, json: doc }
}

/// The live document's channel: one task per node recomputes it on every
/// poke and at least every second, however many browsers watch.
fn live_channel(state: &Arc<NodeState>) -> watch::Receiver<Arc<LiveDoc>> {
    state
        .web
        .live
        .get_or_init(|| {
            let (tx, rx) = watch::channel(Arc::new(live_doc(state)));
            let st = state.clone();
            tokio::spawn(async move {
                let mut poke = st.web.poke.subscribe();
                loop {
                    tokio::select! {
                        r = poke.changed() => if r.is_err() { return },
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                    let st2 = st.clone();
                    let Ok(doc) = tokio::task::spawn_blocking(move || live_doc(&st2)).await else {
                        return;
                    };
                    let changed = tx.borrow().key != doc.key;
                    if changed && tx.send(Arc::new(doc)).is_err() {
                        return;
                    }
                }
            });
            rx
        })
        .clone()
}

fn events(state: Arc<NodeState>) -> Response {
    let rx = live_channel(&state);
    let stream = futures::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let doc = rx.borrow_and_update().clone();
        let mut json = doc.json.clone();
        json["now_unix"] = now_unix().into();
        let ev = warp::sse::Event::default()
            .event("status")
            .data(json.to_string());
        Some((Ok::<_, Infallible>(ev), (rx, false)))
    });
    let mut r = warp::sse::reply(
        warp::sse::keep_alive()
            .interval(Duration::from_secs(15))
            .stream(stream),
    )
    .into_response();
    r.headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-cache"));
    r
}

fn asset_reply(a: &'static Asset, csp: &str, if_none_match: Option<String>) -> Response {
    let tag = etag(a);
    let mut r = if if_none_match.as_deref() == Some(tag) {
        warp::reply::with_status(warp::reply(), StatusCode::NOT_MODIFIED).into_response()
    } else {
        Response::new(a.body.into())
    };
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static(a.content_type));
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    h.insert("etag", HeaderValue::from_static(tag));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if a.content_type == HTML
        && let Ok(v) = HeaderValue::from_str(csp)
    {
        h.insert("content-security-policy", v);
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    r
}

/// A request from a page whose origin may not call this node's API.
#[derive(Debug)]
struct OriginRefused(String);
impl warp::reject::Reject for OriginRefused {}

/// The request's origin when it may call the API (CORS headers go on the
/// answer), `None` when it is not a cross-origin request; refuses others.
fn cors_gate(
    state: Arc<NodeState>,
) -> impl Filter<Extract = (Option<String>,), Error = warp::Rejection> + Clone {
    warp::header::optional::<String>("origin")
        .and(warp::header::optional::<String>("host"))
        .and_then(move |origin: Option<String>, host: Option<String>| {
            let state = state.clone();
            async move {
                match origin {
                    None => Ok(None),
                    Some(o) if state.web.origin_allowed(&o) => Ok(Some(o)),
                    // The page's own origin: not a cross-origin request.
                    Some(o) if same_origin(&o, host.as_deref()) => Ok(None),
                    Some(o) => Err(warp::reject::custom(OriginRefused(o))),
                }
            }
        })
}

fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((rest, host), (Some(r), Some(h)) if r.eq_ignore_ascii_case(h))
}

fn with_cors(mut r: Response, origin: Option<String>) -> Response {
    if let Some(o) = origin
        && let Ok(v) = HeaderValue::from_str(&o)
    {
        let h = r.headers_mut();
        h.insert("access-control-allow-origin", v);
        h.append("vary", HeaderValue::from_static("Origin"));
    }
    r
}

fn error_json(status: StatusCode, code: &str, message: String) -> Response {
    warp::reply::with_status(
        warp::reply::json(&serde_json::json!({"code": code, "message": message})),
        status,
    )
    .into_response()
}

async fn refused(r: warp::Rejection) -> Result<Response, warp::Rejection> {
    match r.find::<OriginRefused>() {
        Some(OriginRefused(o)) => Ok(error_json(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            format!(
                "pages from {o} may not call this node's API; allowed are the auction's node pages and the node's configured page_origins"
            ),
        )),
        None => Err(r),
    }
}

/// Every route a node serves on its API listener (and its page listener):
/// the pages, the live stream and the bidder API with CORS.
pub fn routes(
    state: Arc<NodeState>,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone {
    let st = state.clone();
    let pages = warp::get()
        .and(warp::path::full())
        .and(warp::header::optional::<String>("if-none-match"))
        .and_then(move |path: warp::path::FullPath, inm: Option<String>| {
            let st = st.clone();
            async move {
                match ASSETS.iter().find(|a| a.path == path.as_str()) {
                    Some(a) => Ok(asset_reply(a, &st.web.csp, inm)),
                    None => Err(warp::reject::not_found()),
                }
            }
        });
    let st = state.clone();
    let preflight = warp::options()
        .and(warp::path("v1"))
        .and(warp::header::<String>("origin"))
        .and(warp::header::optional::<String>(
            "access-control-request-private-network",
        ))
        .map(move |origin: String, pna: Option<String>| {
            if !st.web.origin_allowed(&origin) {
                return error_json(
                    StatusCode::FORBIDDEN,
                    "origin_not_allowed",
                    format!("pages from {origin} may not call this node's API"),
                );
            }
            let mut r =
                warp::reply::with_status(warp::reply(), StatusCode::NO_CONTENT).into_response();
            let h = r.headers_mut();
            h.insert(
                "access-control-allow-methods",
                HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                "access-control-allow-headers",
                HeaderValue::from_static("content-type"),
            );
            h.insert("access-control-max-age", HeaderValue::from_static("600"));
            if pna.as_deref() == Some("true") {
                h.insert(
                    "access-control-allow-private-network",
                    HeaderValue::from_static("true"),
                );
            }
            with_cors(r, Some(origin))
        });
    let st = state.clone();
    let sse = warp::path!("v1" / "events")
        .and(warp::get())
        .map(move || events(st.clone()));
    let api = cors_gate(state.clone())
        .and(sse.or(crate::api::routes(state)).unify())
        .map(|origin: Option<String>, r: Response| with_cors(r, origin));
    pages
        .or(preflight)
        .unify()
        .or(api)
        .unify()
        .recover(refused)
        .unify()
        .recover(|_| async {
            Ok::<_, Infallible>(error_json(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "bad request".into(),
            ))
        })
        .unify()
}

/// Serves the API of every auction of `node` on `listener` with TLS until
/// the task is dropped; the connections' timeouts, cap and error answers
/// are `crate::http`'s, the choice of auction `crate::router`'s.
pub async fn serve_api(
    listener: TcpListener,
    tls: rustls::ServerConfig,
    node: Arc<crate::node::Node>,
    limits: crate::http::ApiLimits,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let max_body = node.max_body.clone();
    let svc = crate::router::Router::new(node, false, api_handler);
    let svc = crate::http::Guard::new(svc, &limits, max_body);
    crate::http::serve_tls(listener, acceptor, svc, limits).await
}

/// One auction's routes as a service for the TLS listener.
fn api_handler(state: Arc<NodeState>) -> crate::router::Handler<crate::http::TimedBody> {
    let svc = TowerToHyperService::new(warp::service(routes(state)));
    Arc::new(move |req| Box::pin(hyper::service::Service::call(&svc, req)))
}

/// Serves every auction's [`routes`] over plain HTTP on a loopback listener
/// (`page_listen`) until the task is dropped; the auction is chosen as on
/// the API (`crate::router`).
pub async fn serve_plain(listener: TcpListener, node: Arc<crate::node::Node>) {
    fn handler(state: Arc<NodeState>) -> crate::router::Handler<hyper::body::Incoming> {
        let svc = TowerToHyperService::new(warp::service(routes(state)));
        Arc::new(move |req| Box::pin(hyper::service::Service::call(&svc, req)))
    }
    let svc = crate::router::Router::new(node, true, handler);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a page connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !peer.ip().is_loopback() {
            continue;
        }
        let _ = tcp.set_nodelay(true);
        let svc = svc.clone();
        tokio::spawn(async move {
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            if let Err(e) = builder.serve_connection(TokioIo::new(tcp), svc).await {
                tracing::debug!(error = %e, "page connection ended with an error");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_there_and_tagged() {
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{}", a.path);
            assert!(etag(a).starts_with('"'));
        }
        let html = std::str::from_utf8(ASSETS[0].body).unwrap();
        // Every script the page loads is served.
        for src in html.split("src=\"").skip(1) {
            let path = src.split('"').next().unwrap();
            assert!(ASSETS.iter().any(|a| a.path == path), "{path}");
        }
    }

    #[test]
    fn hosts_and_origins() {
        for h in ["127.0.0.1:8080", "localhost:1", "[::1]:80", "127.0.0.5"] {
            assert!(crate::router::loopback_host(h), "{h}");
        }
        for h in ["evil.example:8080", "10.0.0.1:80", "[2001:db8::1]:80"] {
            assert!(!crate::router::loopback_host(h), "{h}");
        }
        assert!(same_origin("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(!same_origin(
            "http://127.0.0.1:8081",
            Some("127.0.0.1:8080")
        ));
        assert!(!same_origin("null", Some("127.0.0.1:8080")));
    }
}
