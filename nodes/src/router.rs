//! Which auction a request is for. One node serves several auctions
//! (`crate::sites`); each has its own routes (`crate::web::routes`, which
//! include `crate::api::routes`), and this service in front of them picks
//! the auction by the path and hands the request on with the prefix
//! removed:
//!
//! | path | auction | handed on as |
//! | --- | --- | --- |
//! | `/v1/auctions` | (the list of auctions served) | |
//! | `/v1/auctions/{id}/bids`, `…/status`, … | the one with id `{id}` | `/v1/bids`, `/v1/status`, … |
//! | `/auctions/{id}/`, `/auctions/{id}/live` | the one with id `{id}` | `/`, `/live` |
//! | anything else | the default: the auction of `node.toml`, or the only one | unchanged |

use crate::node::{Node, NodeState};
use auction::auction_file::id_segment;
use hyper::{Request, StatusCode};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use warp::Reply;
use warp::reply::Response;

/// A response on its way.
pub type BoxFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;
/// One auction's routes as a function of the request.
pub type Handler<B> = Arc<dyn Fn(Request<B>) -> BoxFuture + Send + Sync>;
/// Builds an auction's handler (`crate::web::routes` as a service for the
/// listener's body type).
pub type MakeHandler<B> = fn(Arc<NodeState>) -> Handler<B>;

/// The service that routes a request to its auction's routes.
pub struct Router<B> {
    node: Arc<Node>,
    /// Each auction's routes, built once, by auction hash.
    handlers: Arc<Mutex<HashMap<auction::wire::Digest, Handler<B>>>>,
    /// The plain-HTTP page listener answers only requests for a loopback host.
    loopback_only: bool,
    make: MakeHandler<B>,
}

impl<B> Clone for Router<B> {
    fn clone(&self) -> Self {
        Router {
            node: self.node.clone(),
            handlers: self.handlers.clone(),
            loopback_only: self.loopback_only,
            make: self.make,
        }
    }
}

/// Where a path goes.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// `GET /v1/auctions`.
    List,
    /// The auction with this id, and the path to hand on.
    Auction(String, String),
    /// The default auction, path unchanged.
    Default,
}

fn route(path: &str) -> Route {
    if path == "/v1/auctions" || path == "/v1/auctions/" {
        return Route::List;
    }
    for (prefix, base) in [("/v1/auctions/", "/v1"), ("/auctions/", "")] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let (id, tail) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let mut to = format!("{base}{tail}");
            if to.is_empty() {
                to.push('/');
            }
            return Route::Auction(percent_decode(id), to);
        }
    }
    Route::Default
}

/// `%XX` escapes decoded; anything malformed is kept as it is.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json_error(status: StatusCode, code: &str, message: String) -> Response {
    let body = serde_json::json!({"code": code, "message": message});
    warp::reply::with_status(warp::reply::json(&body), status).into_response()
}

/// The list of auctions served, for `GET /v1/auctions`.
pub fn list(node: &Node) -> serde_json::Value {
    let auctions: Vec<serde_json::Value> = node
        .auctions()
        .iter()
        .map(|a| {
            let id = &a.auction.params.id;
            serde_json::json!({
                "id": id,
                "auction_hash": a.auction.hash,
                "node": a.index,
                "phase": a.phase().map(|p| p.name()).unwrap_or("unknown"),
                "closes": auction::time::rfc3339(a.auction.close_unix),
                "api": format!("/v1/auctions/{}/", id_segment(id)),
                "page": format!("/auctions/{}/", id_segment(id)),
            })
        })
        .collect();
    serde_json::json!({ "auctions": auctions })
}

impl<B: 'static> Router<B> {
    /// The router of `node`'s auctions.
    pub fn new(node: Arc<Node>, loopback_only: bool, make: MakeHandler<B>) -> Router<B> {
        Router {
            node,
            handlers: Arc::new(Mutex::new(HashMap::new())),
            loopback_only,
            make,
        }
    }

    fn handler(&self, state: &Arc<NodeState>) -> Handler<B> {
        let mut handlers = self.handlers.lock().expect("handlers lock");
        handlers
            .entry(state.auction.hash)
            .or_insert_with(|| (self.make)(state.clone()))
            .clone()
    }

    fn answer(&self, mut req: Request<B>) -> BoxFuture {
        if self.loopback_only {
            let host = req
                .headers()
                .get(hyper::header::HOST)
                .and_then(|h| h.to_str().ok());
            if !host.is_some_and(loopback_host) {
                let r = json_error(
                    StatusCode::MISDIRECTED_REQUEST,
                    "not_loopback",
                    "this listener answers only requests for a loopback host".into(),
                );
                return Box::pin(async move { Ok(r) });
            }
        }
        let path = req.uri().path().to_string();
        let served = || {
            let ids: Vec<String> = self
                .node
                .auctions()
                .iter()
                .map(|a| a.auction.params.id.clone())
                .collect();
            if ids.is_empty() {
                "it serves no auction yet".to_string()
            } else {
                format!("it serves: {}", ids.join(", "))
            }
        };
        let state = match route(&path) {
            Route::List => {
                let r = warp::reply::json(&list(&self.node)).into_response();
                return Box::pin(async move { Ok(r) });
            }
            Route::Auction(id, to) => match self.node.by_id(&id) {
                Some(s) => {
                    let pq = match req.uri().query() {
                        Some(q) => format!("{to}?{q}"),
                        None => to,
                    };
                    let mut parts = req.uri().clone().into_parts();
                    parts.path_and_query = pq.parse().ok();
                    if let Ok(uri) = hyper::Uri::from_parts(parts) {
                        *req.uri_mut() = uri;
                    }
                    s
                }
                None => {
                    let r = json_error(
                        StatusCode::NOT_FOUND,
                        "unknown_auction",
                        format!("this node serves no auction {id:?}; {}", served()),
                    );
                    return Box::pin(async move { Ok(r) });
                }
            },
            Route::Default => match self.node.default_auction() {
                Some(s) => s,
                // Pages and scripts are the same for every auction; the
                // API needs to know which.
                None if !path.starts_with("/v1/") && path != "/" && path != "/live" => {
                    match self.node.auctions().into_iter().next() {
                        Some(s) => s,
                        None => return not_served(served()),
                    }
                }
                None => return not_served(served()),
            },
        };
        (self.handler(&state))(req)
    }
}

fn not_served(served: String) -> BoxFuture {
    let r = json_error(
        StatusCode::NOT_FOUND,
        "which_auction",
        format!(
            "this node serves several auctions or none, so say which: /v1/auctions/{{id}}/… for the API, /auctions/{{id}}/ for the page (GET /v1/auctions lists them); {served}"
        ),
    );
    Box::pin(async move { Ok(r) })
}

impl<B: 'static> hyper::service::Service<Request<B>> for Router<B> {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture;

    fn call(&self, req: Request<B>) -> BoxFuture {
        self.answer(req)
    }
}

/// Whether a `Host` header names a loopback host (a browser that reached
/// the plain-HTTP listener under another name was sent there by someone
/// else's DNS: refused).
pub fn loopback_host(host: &str) -> bool {
    let name = if let Some(r) = host.strip_prefix('[') {
        r.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_pick_the_auction() {
        assert_eq!(route("/v1/auctions"), Route::List);
        assert_eq!(
            route("/v1/auctions/beet-2027/bids"),
            Route::Auction("beet-2027".into(), "/v1/bids".into())
        );
        assert_eq!(
            route("/v1/auctions/a%20b/status"),
            Route::Auction("a b".into(), "/v1/status".into())
        );
        assert_eq!(
            route("/auctions/beet-2027/"),
            Route::Auction("beet-2027".into(), "/".into())
        );
        assert_eq!(
            route("/auctions/beet-2027"),
            Route::Auction("beet-2027".into(), "/".into())
        );
        assert_eq!(
            route("/auctions/beet-2027/live"),
            Route::Auction("beet-2027".into(), "/live".into())
        );
        assert_eq!(route("/v1/status"), Route::Default);
        assert_eq!(route("/bidder.js"), Route::Default);
    }

    #[test]
    fn ids_round_trip_through_a_path_segment() {
        for id in ["beet-2027", "a b/c", "ümlaut%", "x"] {
            assert_eq!(percent_decode(&id_segment(id)), id);
        }
    }
}
