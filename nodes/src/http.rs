//! The bidder API's connections, in front of hyper and warp: what a client
//! that is slow, oversized, malformed or speaking plain HTTP gets.
//!
//! - A cap on concurrent connections (`max_connections`). Beyond it new
//!   connections wait in the kernel's accept queue until one ends: they are
//!   delayed, not refused. Every connection is bounded in time by the
//!   timeouts below, so a waiting client is served within about one header
//!   timeout; refusing it instead would cost a TLS handshake per refusal
//!   (the most expensive step of a connection) exactly when the node is
//!   overloaded, and the bidder would have to retry anyway.
//! - The TLS handshake and each request's headers must arrive within
//!   `header_timeout_secs`, else the connection is closed (there is no
//!   request to answer yet). The same timeout ends idle kept-alive
//!   connections.
//! - A request body must arrive within `body_timeout_secs` of its headers,
//!   else the answer is 408 `body_timeout`.
//! - A declared body larger than the node takes is answered 413 at once,
//!   before anything of it is read.
//! - hyper answers a request it cannot parse (400, 414, 431) itself, with
//!   an empty body; those answers are rewritten here into the JSON errors of
//!   the rest of the API.
//! - Plain HTTP sent to the HTTPS port (told apart by its first byte: a TLS
//!   handshake starts with 0x16, an HTTP method with a capital letter) is
//!   answered with a plain-HTTP 400 `plain_http` naming the `https://`
//!   address to use.
//! - `HEAD` is served as `GET` without the body.
//! - Lingering close: when the server ends a connection it first sends what
//!   it has (TLS close_notify, TCP FIN), then reads and discards what the
//!   client still sends (the rest of an oversized body) for up to
//!   [`LINGER`], so that the kernel does not reset the connection and throw
//!   away the answer before the client has read it.

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use warp::Reply;
use warp::reply::Response;

/// The most a connection lingers after the server closed it, reading and
/// discarding what the client still sends.
pub const LINGER: Duration = Duration::from_secs(5);
/// Lingering ends earlier when the client sends nothing for this long.
const LINGER_IDLE: Duration = Duration::from_secs(2);
/// hyper's read buffer, and so the largest request head taken (431 beyond).
pub const MAX_HEAD: usize = 64 * 1024;
/// At most this many headers per request (431 beyond).
pub const MAX_HEADERS: usize = 100;

/// Limits of the bidder API's connections: the `[api_limits]` table of
/// `node.toml`, every key optional.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawLimits")]
pub struct ApiLimits {
    /// Seconds for the TLS handshake and for each request's headers
    /// (default 10).
    pub header_timeout_secs: u64,
    /// Seconds for a request body, from its headers on (default 20).
    pub body_timeout_secs: u64,
    /// Concurrent connections; more wait to be accepted (default 1024).
    pub max_connections: usize,
}

impl Default for ApiLimits {
    fn default() -> ApiLimits {
        ApiLimits {
            header_timeout_secs: 10,
            body_timeout_secs: 20,
            max_connections: 1024,
        }
    }
}

impl ApiLimits {
    /// Whether these are the defaults (then `init` leaves the table out).
    pub fn is_default(&self) -> bool {
        *self == ApiLimits::default()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
}

impl TryFrom<RawLimits> for ApiLimits {
    type Error = String;
    fn try_from(r: RawLimits) -> Result<ApiLimits, String> {
        let d = ApiLimits::default();
        let l = ApiLimits {
            header_timeout_secs: r.header_timeout_secs.unwrap_or(d.header_timeout_secs),
            body_timeout_secs: r.body_timeout_secs.unwrap_or(d.body_timeout_secs),
            max_connections: r.max_connections.unwrap_or(d.max_connections),
        };
        for (key, v) in [
            ("header_timeout_secs", l.header_timeout_secs),
            ("body_timeout_secs", l.body_timeout_secs),
        ] {
            if !(1..=3600).contains(&v) {
                return Err(format!(
                    "api_limits.{key} is {v}; give a number of seconds from 1 to 3600"
                ));
            }
        }
        if !(1..=1_000_000).contains(&l.max_connections) {
            return Err(format!(
                "api_limits.max_connections is {}; give a number from 1 to 1000000",
                l.max_connections
            ));
        }
        Ok(l)
    }
}

/// The largest request body taken, for K slots per side: the two hex
/// components (`2 x 4K x 16` characters) and room for the rest.
pub fn body_limit(k: u32) -> u64 {
    16 * 1024 + 2 * 4 * 16 * k as u64
}

/// A JSON error `{"code", "message"}` as warp replies with it.
pub fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"code": code, "message": message});
    warp::reply::with_status(warp::reply::json(&body), status).into_response()
}

/// The same as raw HTTP/1.1 bytes, closing the connection: for answers
/// written below hyper.
fn raw_json_error(status: u16, code: &str, message: &str, head_only: bool) -> Vec<u8> {
    let body = serde_json::json!({"code": code, "message": message}).to_string();
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

fn with_close(mut r: Response) -> Response {
    r.headers_mut().insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    r
}

/// A request body that fails once `body_timeout_secs` have passed since
/// the request's headers; the failure turns the answer into a 408.
pub struct TimedBody {
    inner: Incoming,
    sleep: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
    secs: u64,
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(f) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(f.map(|r| r.map_err(Into::into)));
        }
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::SeqCst);
            return Poll::Ready(Some(Err(format!(
                "request body not received within {} s",
                this.secs
            )
            .into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The service in front of warp's: `HEAD` as `GET`, the body limit checked
/// on the declared length, the body timeout.
#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    body_timeout: Duration,
    /// The largest body any served auction takes (auctions are added while
    /// the node runs); each auction's routes check their own limit.
    max_body: Arc<AtomicU64>,
}

impl<S> Guard<S> {
    /// Wraps `inner` (warp's service); `max_body` is the largest body taken
    /// on any route.
    pub fn new(inner: S, limits: &ApiLimits, max_body: Arc<AtomicU64>) -> Guard<S> {
        Guard {
            inner,
            body_timeout: Duration::from_secs(limits.body_timeout_secs),
            max_body,
        }
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> hyper::service::Service<Request<Incoming>> for Guard<S>
where
    S: hyper::service::Service<Request<TimedBody>, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture;

    fn call(&self, mut req: Request<Incoming>) -> BoxFuture {
        if req.method() == Method::HEAD {
            // hyper remembers the method it read and sends no body.
            *req.method_mut() = Method::GET;
        }
        // hyper has checked that Content-Length is one decimal number.
        let declared = req
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let max_body = self.max_body.load(Ordering::Relaxed);
        if let Some(n) = declared
            && n > max_body
        {
            let r = json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                &format!(
                    "request body of {n} bytes is larger than the {max_body} bytes this node takes for any auction"
                ),
            );
            return Box::pin(async move { Ok(with_close(r)) });
        }
        let timed_out = Arc::new(AtomicBool::new(false));
        let secs = self.body_timeout.as_secs();
        let sleep = Box::pin(tokio::time::sleep(self.body_timeout));
        let flag = timed_out.clone();
        let req = req.map(move |inner| TimedBody {
            inner,
            sleep,
            timed_out: flag,
            secs,
        });
        let fut = self.inner.call(req);
        Box::pin(async move {
            let r = fut.await?;
            if timed_out.load(Ordering::SeqCst) {
                tracing::debug!(secs, "request body timed out");
                return Ok(with_close(json_error(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    &format!(
                        "the request body did not arrive within {secs} s of its headers; send the whole body at once"
                    ),
                )));
            }
            Ok(r)
        })
    }
}

/// A connection's byte stream that can reach its TCP socket (for
/// lingering, below TLS).
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// The TCP socket underneath.
    fn tcp(&mut self) -> &mut TcpStream;
}

impl Transport for TcpStream {
    fn tcp(&mut self) -> &mut TcpStream {
        self
    }
}

impl Transport for tokio_rustls::server::TlsStream<TcpStream> {
    fn tcp(&mut self) -> &mut TcpStream {
        self.get_mut().0
    }
}

enum Closing {
    Open,
    Draining {
        until: Pin<Box<Sleep>>,
        idle: Pin<Box<Sleep>>,
    },
    Done,
}

/// A connection under hyper: rewrites hyper's own empty error answers into
/// JSON, and lingers when closed.
pub struct Conn<T> {
    io: T,
    /// Bytes to write in place of what hyper wrote, and how far written.
    pending: Vec<u8>,
    written: usize,
    closing: Closing,
}

impl<T: Transport> Conn<T> {
    /// Wraps a connection.
    pub fn new(io: T) -> Conn<T> {
        Conn {
            io,
            pending: Vec::new(),
            written: 0,
            closing: Closing::Open,
        }
    }

    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

/// The JSON answer for one of hyper's own error answers: a response head
/// for status 4xx or 5xx with `content-length: 0` and no content type,
/// alone in one write (the API's own errors all have a JSON body).
fn rewrite_hyper_error(buf: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(buf).ok()?;
    let rest = head.strip_prefix("HTTP/1.1 ")?;
    if !head.ends_with("\r\n\r\n") || head.matches("\r\n\r\n").count() != 1 {
        return None;
    }
    let status: u16 = rest.get(..3)?.parse().ok()?;
    if status < 400 {
        return None;
    }
    let lower = head.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") || lower.contains("\r\ncontent-type:") {
        return None;
    }
    let (code, message) = match status {
        400 => (
            "bad_request",
            "the request is not well-formed HTTP/1.1: its request line or a header is malformed (e.g. a Content-Length that is not one decimal number, a header name with spaces); send a well-formed request".to_string(),
        ),
        414 => (
            "uri_too_long",
            "the request target is too long; the API's paths are short (see openapi.yaml)"
                .to_string(),
        ),
        431 => (
            "headers_too_large",
            format!(
                "the request head is larger than {} KiB or has more than {MAX_HEADERS} headers; send fewer or shorter headers",
                MAX_HEAD / 1024
            ),
        ),
        _ => (
            "bad_request",
            format!("the request could not be read (HTTP {status})"),
        ),
    };
    tracing::debug!(status, code, "request refused before routing");
    Some(raw_json_error(status, code, &message, false))
}

impl<T: Transport> AsyncRead for Conn<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: Transport> AsyncWrite for Conn<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(json) = rewrite_hyper_error(buf) {
            this.pending = json;
            this.written = 0;
            // Taken in full; the rest is written on flush.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.closing {
                Closing::Open => {
                    if ready!(this.poll_pending(cx)).is_err()
                        || ready!(Pin::new(&mut this.io).poll_shutdown(cx)).is_err()
                    {
                        this.closing = Closing::Done;
                        continue;
                    }
                    let now = Instant::now();
                    this.closing = Closing::Draining {
                        until: Box::pin(tokio::time::sleep_until(now + LINGER)),
                        idle: Box::pin(tokio::time::sleep_until(now + LINGER_IDLE)),
                    };
                }
                Closing::Draining { until, idle } => {
                    let mut scratch = [0u8; 16 * 1024];
                    loop {
                        let mut rb = ReadBuf::new(&mut scratch);
                        match Pin::new(this.io.tcp()).poll_read(cx, &mut rb) {
                            Poll::Ready(Ok(())) if !rb.filled().is_empty() => {
                                idle.as_mut().reset(Instant::now() + LINGER_IDLE);
                            }
                            Poll::Ready(_) => {
                                // End of stream or an error: the client is gone.
                                this.closing = Closing::Done;
                                break;
                            }
                            Poll::Pending => {
                                if until.as_mut().poll(cx).is_ready()
                                    || idle.as_mut().poll(cx).is_ready()
                                {
                                    this.closing = Closing::Done;
                                    break;
                                }
                                return Poll::Pending;
                            }
                        }
                    }
                }
                Closing::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}

/// The plain-HTTP answer on the HTTPS port: reads the request head (for
/// the path and `Host`), answers 400 `plain_http` naming the `https://`
/// address, and lingers.
async fn answer_plain(mut tcp: TcpStream, deadline: Instant) {
    let local = tcp.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while head.len() < 16 * 1024 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("");
    let path = first
        .next()
        .filter(|p| p.starts_with('/') && p.len() <= 200 && p.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("/");
    let host = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.trim())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or(&local);
    let message = format!(
        "this port speaks HTTPS, not plain HTTP; use https://{host}{path} (the certificate is pinned by the fingerprint in the auction file)"
    );
    tracing::debug!(%local, "plain HTTP on the HTTPS port answered with a hint");
    let answer = raw_json_error(400, "plain_http", &message, method == "HEAD");
    let mut conn = Conn::new(tcp);
    if tokio::time::timeout(LINGER, conn.write_all(&answer))
        .await
        .is_ok_and(|r| r.is_ok())
    {
        let _ = conn.shutdown().await;
    }
}

/// One connection: plain-HTTP detection, the TLS handshake, then hyper.
async fn connection<S>(tcp: TcpStream, acceptor: TlsAcceptor, svc: Guard<S>, limits: ApiLimits)
where
    S: hyper::service::Service<Request<TimedBody>, Response = Response, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let header = Duration::from_secs(limits.header_timeout_secs);
    let deadline = Instant::now() + header;
    let mut first = [0u8; 1];
    match tokio::time::timeout_at(deadline, tcp.peek(&mut first)).await {
        Ok(Ok(1)) => {}
        // Closed, failed or silent: nothing to answer.
        _ => return,
    }
    // A TLS handshake starts with 0x16; an HTTP method with a capital.
    if first[0].is_ascii_uppercase() {
        answer_plain(tcp, deadline).await;
        return;
    }
    let tls = match tokio::time::timeout_at(deadline, acceptor.accept(tcp)).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "TLS handshake with a bidder failed");
            return;
        }
        Err(_) => {
            tracing::debug!(secs = limits.header_timeout_secs, "TLS handshake timed out");
            return;
        }
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header)
        .max_buf_size(MAX_HEAD)
        .max_headers(MAX_HEADERS)
        .writev(false);
    if let Err(e) = builder
        .serve_connection(TokioIo::new(Conn::new(tls)), svc)
        .await
    {
        tracing::debug!(error = %e, "bidder connection ended with an error");
    }
}

/// Accepts connections on `listener` under `limits` and serves each with
/// TLS and `svc` until the task is dropped.
pub async fn serve_tls<S>(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    svc: Guard<S>,
    limits: ApiLimits,
) where
    S: hyper::service::Service<Request<TimedBody>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut at_cap = false;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => {
                at_cap = false;
                p
            }
            Err(_) => {
                if !at_cap {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "bidder connections at the cap; new ones wait until one ends (api_limits.max_connections)"
                    );
                    at_cap = true;
                }
                match slots.clone().acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => return,
                }
            }
        };
        let (tcp, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a bidder connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let (acceptor, svc, limits) = (acceptor.clone(), svc.clone(), limits.clone());
        tokio::spawn(async move {
            connection(tcp, acceptor, svc, limits).await;
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_error_answers_become_json() {
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite_hyper_error(hyper_431).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
        let body: serde_json::Value =
            serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["code"], "headers_too_large");
        // The API's own answers pass untouched.
        let own = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert!(rewrite_hyper_error(own).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(rewrite_hyper_error(ok).is_none());
    }

    #[test]
    fn limits_parse_with_defaults_and_refuse_zero() {
        let l: ApiLimits = toml::from_str("header_timeout_secs = 3").unwrap();
        assert_eq!(l.header_timeout_secs, 3);
        assert_eq!(l.max_connections, ApiLimits::default().max_connections);
        let e = toml::from_str::<ApiLimits>("body_timeout_secs = 0").unwrap_err();
        assert!(
            e.to_string().contains("api_limits.body_timeout_secs is 0"),
            "{e}"
        );
        assert!(toml::from_str::<ApiLimits>("max_conn = 3").is_err());
    }
}
