//! Clients that are slow, oversized, malformed or speak plain HTTP, against
//! one real node process on 127.0.0.1 with raw TCP and TLS connections:
//! each is cut off in time or answered with a JSON error, and a normal
//! client is still served.

mod common;

use common::*;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Node 0 alone, with `[api_limits]` lines (if any) added to its node.toml.
async fn one_node(limits: &str) -> Cluster {
    let mut c = Cluster::new(1, 2);
    let cfg = c.nodes[0].config.clone();
    if !limits.is_empty() {
        let mut text = std::fs::read_to_string(&cfg).unwrap();
        text.push_str("\n[api_limits]\n");
        text.push_str(limits);
        std::fs::write(&cfg, text).unwrap();
    }
    c.start(0);
    c.wait_healthy(0).await;
    c
}

async fn tls(c: &Cluster) -> TlsStream<TcpStream> {
    let cfg = nodes::tls::pinned_client(c.nodes[0].fingerprint, None).unwrap();
    let tcp = TcpStream::connect(c.nodes[0].api).await.unwrap();
    TlsConnector::from(Arc::new(cfg))
        .connect(nodes::tls::server_name(), tcp)
        .await
        .unwrap()
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as a JSON error; panics, showing the answer, otherwise.
    fn error(&self) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "status {} headers {:?}",
            self.status,
            self.headers
        );
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body {:?} is not JSON: {e}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Reads one HTTP/1.1 answer: its head, and the body by Content-Length
/// unless `head_only` (an answer to HEAD).
async fn read_answer<R: AsyncRead + Unpin>(r: &mut R, head_only: bool) -> std::io::Result<Answer> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if r.read(&mut byte).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("connection ended after {:?}", String::from_utf8_lossy(&buf)),
            ));
        }
        buf.push(byte[0]);
    }
    let text = String::from_utf8(buf).unwrap();
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut a = Answer {
        status,
        headers,
        body: Vec::new(),
    };
    if !head_only {
        let n: usize = a.header("content-length").map_or(0, |v| v.parse().unwrap());
        a.body = vec![0; n];
        r.read_exact(&mut a.body).await?;
    }
    Ok(a)
}

/// Sends `req` on a fresh TLS connection and reads the answer.
async fn exchange(c: &Cluster, req: &[u8], head_only: bool) -> Answer {
    let mut s = tls(c).await;
    s.write_all(req).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), read_answer(&mut s, head_only))
        .await
        .expect("no answer in 10 s")
        .unwrap()
}

/// Waits for the server to close `r`; returns the bytes it sent until then
/// and when it closed.
async fn until_closed<R: AsyncRead + Unpin>(r: &mut R, limit: Duration) -> (Vec<u8>, Instant) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, r.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (got, Instant::now()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "the server kept a slow connection open for {limit:?}; it sent {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_others_served() {
    let c = Arc::new(
        one_node("header_timeout_secs = 2\nbody_timeout_secs = 2\nmax_connections = 200\n").await,
    );
    let closed = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(tokio::sync::Barrier::new(60 + 1));
    let mut tasks = Vec::new();
    // 40 send part of a request head and then nothing.
    for _ in 0..40 {
        let (c, closed, sent) = (c.clone(), closed.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut s = tls(&c).await;
            s.write_all(b"POST /v1/bids HTTP/1.1\r\nHost: node\r\nContent-Ty")
                .await
                .unwrap();
            let t0 = Instant::now();
            sent.wait().await;
            let (_, at) = until_closed(&mut s, Duration::from_secs(8)).await;
            closed.fetch_add(1, Ordering::SeqCst);
            ("head", at - t0, None)
        }));
    }
    // 10 declare 100 bytes of body and send one.
    for _ in 0..10 {
        let (c, closed, sent) = (c.clone(), closed.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut s = tls(&c).await;
            s.write_all(b"POST /v1/bids HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                .await
                .unwrap();
            let t0 = Instant::now();
            sent.wait().await;
            let (got, at) = until_closed(&mut s, Duration::from_secs(8)).await;
            closed.fetch_add(1, Ordering::SeqCst);
            ("body", at - t0, Some(got))
        }));
    }
    // 10 open a TCP connection and send nothing, not even a TLS hello.
    for _ in 0..10 {
        let (c, closed, sent) = (c.clone(), closed.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(c.nodes[0].api).await.unwrap();
            let t0 = Instant::now();
            sent.wait().await;
            let (_, at) = until_closed(&mut s, Duration::from_secs(8)).await;
            closed.fetch_add(1, Ordering::SeqCst);
            ("silent", at - t0, None)
        }));
    }
    sent.wait().await;
    // All 60 are open; a normal client is served meanwhile.
    let (status, v) = tokio::time::timeout(Duration::from_secs(5), c.get(0, "/v1/health"))
        .await
        .expect("a normal client waited 5 s")
        .unwrap();
    assert_eq!((status, &v["ok"]), (200, &Value::Bool(true)), "{v}");
    assert_eq!(
        closed.load(Ordering::SeqCst),
        0,
        "slow connections were closed before the timeout"
    );
    for t in tasks {
        let (kind, took, got) = t.await.unwrap();
        // 2 s timeout; generous margin for a loaded machine, and not closed
        // long before the timeout either.
        assert!(
            took >= Duration::from_millis(1500) && took <= Duration::from_secs(6),
            "a {kind} client was closed after {took:?}, expected about 2 s"
        );
        if let Some(got) = got {
            let a = read_answer(&mut &got[..], false).await.unwrap();
            assert_eq!(a.status, 408, "{:?}", String::from_utf8_lossy(&got));
            let e = a.error();
            assert_eq!(e["code"], "body_timeout", "{e}");
            assert!(e["message"].as_str().unwrap().contains("within 2 s"), "{e}");
        }
    }
    // Still serving.
    assert_eq!(c.get(0, "/v1/health").await.unwrap().0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let c = one_node("header_timeout_secs = 2\nmax_connections = 4\n").await;
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(TcpStream::connect(c.nodes[0].api).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = Instant::now();
    let (status, _) = tokio::time::timeout(Duration::from_secs(10), c.get(0, "/v1/health"))
        .await
        .expect("the fifth connection was never served")
        .unwrap();
    let waited = t0.elapsed();
    assert_eq!(status, 200);
    // It waited for the silent ones to time out (2 s after they connected).
    assert!(
        waited >= Duration::from_millis(1200) && waited <= Duration::from_secs(6),
        "the fifth connection was served after {waited:?}; expected it to wait about 2 s for a slot"
    );
    for mut s in silent {
        until_closed(&mut s, Duration::from_secs(2)).await;
    }
    assert!(
        c.log(0).contains("bidder connections at the cap"),
        "{}",
        c.log(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_posts_always_get_the_json_413() {
    let c = one_node("").await;
    let n = &c.nodes[0];
    let limit = nodes::api::body_limit(c.params.max_orders_per_side);
    // Far over the limit, so that most of it is still on its way when the
    // answer is sent; no `Expect: 100-continue`.
    let body = vec![b' '; 1 << 20];
    for i in 0..20 {
        let (status, got) =
            nodes::client::call(n.api, n.fingerprint, "POST", "/v1/bids", Some(body.clone()))
                .await
                .unwrap_or_else(|e| panic!("try {i}: no answer: {e:#}"));
        let v: Value = serde_json::from_slice(&got).unwrap_or_else(|e| {
            panic!("try {i}: {status} {:?}: {e}", String::from_utf8_lossy(&got))
        });
        assert_eq!(status, 413, "try {i}: {v}");
        assert_eq!(v["code"], "body_too_large", "{v}");
        let msg = v["message"].as_str().unwrap();
        assert!(
            msg.contains(&format!("{} bytes", body.len())) && msg.contains(&limit.to_string()),
            "{msg}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_json_and_plain_http_gets_a_hint() {
    let c = one_node("").await;
    let api = c.nodes[0].api;

    let a = exchange(
        &c,
        b"POST /v1/bids HTTP/1.1\r\nHost: node\r\nContent-Length: -1\r\n\r\n",
        false,
    )
    .await;
    assert_eq!(a.status, 400);
    let e = a.error();
    assert_eq!(e["code"], "bad_request", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("Content-Length"),
        "{e}"
    );

    let mut big = b"GET /v1/status HTTP/1.1\r\nHost: node\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 500 * 1024));
    big.extend_from_slice(b"\r\n\r\n");
    let a = exchange(&c, &big, false).await;
    assert_eq!(a.status, 431);
    let e = a.error();
    assert_eq!(e["code"], "headers_too_large", "{e}");
    assert!(e["message"].as_str().unwrap().contains("64 KiB"), "{e}");

    let a = exchange(
        &c,
        b"GET /v1/status HTTP/1.1\r\nHost: node\r\nBad Header: x\r\n\r\n",
        false,
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.error()["code"], "bad_request");

    // HEAD is GET without the body: the headers say what GET would send.
    let mut s = tls(&c).await;
    s.write_all(b"HEAD /v1/status HTTP/1.1\r\nHost: node\r\n\r\nHEAD /v1/bids HTTP/1.1\r\nHost: node\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: node\r\n\r\n")
        .await
        .unwrap();
    let head = read_answer(&mut s, true).await.unwrap();
    assert_eq!(head.status, 200, "{:?}", head.headers);
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert!(
        head.header("content-length")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    let head = read_answer(&mut s, true).await.unwrap();
    assert_eq!(head.status, 405, "{:?}", head.headers);
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert!(
        head.header("content-length")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    // No body came with either: the next answer follows at once.
    let get = read_answer(&mut s, false).await.unwrap();
    assert_eq!(get.status, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&get.body).unwrap()["ok"],
        true
    );

    // Plain HTTP to the HTTPS port.
    for (req, host) in [
        (
            format!("GET /v1/status HTTP/1.1\r\nHost: {api}\r\n\r\n"),
            api.to_string(),
        ),
        (
            "POST /v1/bids HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}".to_string(),
            api.to_string(),
        ),
    ] {
        let mut s = TcpStream::connect(api).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let a = tokio::time::timeout(Duration::from_secs(10), read_answer(&mut s, false))
            .await
            .expect("no plain-HTTP answer in 10 s")
            .unwrap_or_else(|e| panic!("{req:?}: {e}"));
        assert_eq!(a.status, 400);
        let e = a.error();
        assert_eq!(e["code"], "plain_http", "{e}");
        let path = req.split(' ').nth(1).unwrap();
        let want = format!("use https://{host}{path}");
        assert!(
            e["message"].as_str().unwrap().contains(&want),
            "{e} should say {want}"
        );
    }

    // None of it disturbed the node.
    assert_eq!(c.get(0, "/v1/health").await.unwrap().0, 200);
}
