//! The bidder API over HTTPS: warp routes served through hyper-util on
//! tokio-rustls. Every error is JSON `{"code": ..., "message": ...}` with a
//! message that names what was wrong. The routes are written down in
//! `nodes/openapi.yaml`.

use crate::node::NodeState;
use crate::store::Refusal;
use auction::wire::{Receipt, Submission, WireError};
use bytes::Bytes;
use serde::Serialize;
use std::sync::Arc;
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::Response;

pub use crate::http::body_limit;

/// An API error: HTTP status, a stable code, and a message.
#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    status: u16,
    /// Stable, for programs.
    pub code: &'static str,
    /// For people: what was wrong.
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: status.as_u16(),
            code,
            message: message.into(),
        }
    }

    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        warp::reply::with_status(warp::reply::json(&self), status).into_response()
    }
}

use warp::Reply;

fn ok_json<T: Serialize>(v: &T) -> Response {
    warp::reply::json(v).into_response()
}

fn wire_error(e: WireError) -> ApiError {
    let code = match &e {
        WireError::Format(_) => "unsupported_format",
        WireError::WrongAuction { .. } => "wrong_auction",
        WireError::WrongNode { .. } => "wrong_node",
        WireError::Shape { .. } => "bad_shape",
        WireError::CommitmentMismatch { .. } => "commitment_mismatch",
        WireError::BadSignature(_) => "bad_signature",
        WireError::BidderIdLength(_) => "bad_bidder_id",
        WireError::TooManyOrders { .. } => "bad_shape",
        WireError::Hex { .. } => "malformed_json",
    };
    let status = if code == "bad_signature" {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    ApiError::new(status, code, e.to_string())
}

/// Checks and stores one submission; the receipt is returned only after the
/// bid is on disk.
pub async fn submit(state: &NodeState, body: &[u8]) -> Result<Receipt, ApiError> {
    let sub: Submission = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("request body is not a submission: {e}"),
        )
    })?;
    let params = &state.auction.params;
    if sub.auction != params.id {
        return Err(wire_error(WireError::WrongAuction {
            got: sub.auction,
            expected: params.id.clone(),
        }));
    }
    // A malformed id is a malformed request, whether or not it is registered.
    auction::wire::check_bidder_id(&sub.bidder).map_err(wire_error)?;
    let Some(key) = state.registry.key(&sub.bidder) else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "unknown_bidder",
            format!(
                "bidder {:?} is not registered for auction {:?}",
                sub.bidder.0, params.id
            ),
        ));
    };
    // The database stores versions as signed 64-bit integers: one at or
    // above 2^63 would read back negative and be taken as the oldest.
    if sub.version.0 > i64::MAX as u64 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_version",
            format!(
                "version must be below 2^63 (9223372036854775808), got {}",
                sub.version
            ),
        ));
    }
    sub.verify(params, state.index, &key).map_err(wire_error)?;
    let receipt = Receipt::sign(&sub, state.auction.hash, &state.identity.signing);
    let (bidder, version) = (sub.bidder.clone(), sub.version);
    match state.store.put_bid(sub).await {
        Ok(()) => {
            tracing::debug!(bidder = %bidder, version = version.0, "bid stored");
            Ok(receipt)
        }
        Err(r) => {
            let (status, code) = match &r {
                Refusal::Closed(_) => (StatusCode::CONFLICT, "auction_closed"),
                Refusal::NotOpen(_) => (StatusCode::CONFLICT, "not_open"),
                Refusal::Stale { .. } => (StatusCode::CONFLICT, "stale_version"),
                Refusal::Storage(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage_failed"),
            };
            Err(ApiError::new(status, code, r.to_string()))
        }
    }
}

async fn handle_rejection(r: warp::Rejection) -> Result<Response, std::convert::Infallible> {
    let e = if r.is_not_found() {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such route; see openapi.yaml",
        )
    } else if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "request body is larger than this node takes",
        )
    } else if r.find::<warp::reject::LengthRequired>().is_some() {
        ApiError::new(
            StatusCode::LENGTH_REQUIRED,
            "length_required",
            "a Content-Length header is required",
        )
    } else if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this route",
        )
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("{r:?}"))
    };
    Ok(e.into_response())
}

/// The routes.
pub fn routes(
    state: Arc<NodeState>,
) -> impl Filter<Extract = (Response,), Error = std::convert::Infallible> + Clone {
    let limit = crate::http::body_limit(state.auction.params.max_orders_per_side);
    let st = warp::any().map(move || state.clone());
    let bids = warp::path!("v1" / "bids")
        .and(warp::post())
        .and(warp::body::content_length_limit(limit))
        .and(warp::body::bytes())
        .and(st.clone())
        .then(|body: Bytes, s: Arc<NodeState>| async move {
            match submit(&s, &body).await {
                Ok(r) => ok_json(&r),
                Err(e) => {
                    tracing::info!(code = e.code, reason = %e.message, "bid refused");
                    e.into_response()
                }
            }
        });
    let status = warp::path!("v1" / "status")
        .and(warp::get())
        .and(st.clone())
        .then(|s: Arc<NodeState>| async move {
            match s.status() {
                Ok(v) => ok_json(&v),
                Err(e) => {
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
                        .into_response()
                }
            }
        });
    let outcome = warp::path!("v1" / "outcome")
        .and(warp::get())
        .and(st.clone())
        .then(|s: Arc<NodeState>| async move {
            let bundle = s.with_ceremony(|c| c.bundle().map(serde_json::to_vec));
            match bundle {
                Some(Ok(b)) => {
                    warp::reply::with_header(b, "content-type", "application/json").into_response()
                }
                None => {
                    let phase = s.phase().map(|p| p.name()).unwrap_or("unknown");
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "not_ready",
                        format!("no outcome yet: this node is at phase {phase}"),
                    )
                    .into_response()
                }
                Some(Err(e)) => {
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
                        .into_response()
                }
            }
        });
    let auction = warp::path!("v1" / "auction")
        .and(warp::get())
        .and(st.clone())
        .then(|s: Arc<NodeState>| async move {
            warp::reply::with_header(
                s.registry.file_bytes().to_vec(),
                "content-type",
                "application/json",
            )
            .into_response()
        });
    let health = warp::path!("v1" / "health").and(warp::get()).and(st).then(
        |s: Arc<NodeState>| async move {
            let ok = s.store.phase().is_ok();
            let body = serde_json::json!({"ok": ok, "node": s.index});
            let status = if ok {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            warp::reply::with_status(warp::reply::json(&body), status).into_response()
        },
    );
    bids.or(status)
        .unify()
        .or(outcome)
        .unify()
        .or(auction)
        .unify()
        .or(health)
        .unify()
        .recover(handle_rejection)
        .unify()
}
