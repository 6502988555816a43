//! What a node serves browsers, over the wire, against a real node
//! process: the operator's certificate chain for browsers next to the
//! pinned certificate for pinning clients; CORS for the auction's page
//! origins and nobody else (a refused origin stores nothing); the pages
//! with their security policy; the live status stream without bid counts
//! while bidding is open; the loopback-only page listener.

mod common;

use auction::wire::{Version, prepare_submissions};
use auction::{Bid, Order, Price, Quantity};
use common::Cluster;
use rustls::pki_types::ServerName;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// A port below the kernel's ephemeral range, from the same stretch as
/// the cluster's (see `common::free_port`).
fn free_port() -> u16 {
    common::free_port("127.0.0.1")
}

fn append(path: &std::path::Path, text: &str) {
    let mut s = std::fs::read_to_string(path).unwrap();
    s.push_str(text);
    std::fs::write(path, s).unwrap();
}

/// One plain HTTP/1.1 request; the answer's status line, headers and body.
fn http(addr: SocketAddr, request: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_lowercase(), body.to_string())
}

fn get(addr: SocketAddr, path: &str, headers: &str) -> (u16, String, String) {
    http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_get_the_operator_chain_and_pinning_clients_the_pinned_certificate() {
    let mut c = Cluster::new(1, 2);
    let data = c.nodes[0].data.clone();
    // A certificate authority of the test, and a chain for localhost.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(vec![]).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    std::fs::write(data.join("fullchain.pem"), leaf.pem() + &ca.pem()).unwrap();
    std::fs::write(data.join("privkey.pem"), leaf_key.serialize_pem()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            data.join("privkey.pem"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    append(
        &c.nodes[0].config,
        "api_cert_chain = \"fullchain.pem\"\napi_key = \"privkey.pem\"\n",
    );
    c.start(0);
    // The pinning client (the bidder program's kind) still connects.
    c.wait_healthy(0).await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let config = Arc::new(
        rustls::ClientConfig::builder_with_provider(nodes::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let connector = tokio_rustls::TlsConnector::from(config);
    let api = c.nodes[0].api;
    // A browser's handshake: the chain verifies for localhost.
    let tcp = tokio::net::TcpStream::connect(api).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the operator's chain verifies as a browser verifies it");
    assert_eq!(
        tls.get_ref().1.peer_certificates().unwrap()[0],
        *leaf.der(),
        "the leaf of the operator's chain"
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tls.write_all(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Asking for the pinned name gets the self-signed certificate, which
    // no authority vouches for.
    let tcp = tokio::net::TcpStream::connect(api).await.unwrap();
    let e = connector
        .connect(ServerName::try_from("clearing-node").unwrap(), tcp)
        .await
        .expect_err("the pinned certificate is not the authority's");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auction_pages_may_call_the_api_and_other_origins_are_refused() {
    let mut c = Cluster::new(1, 2);
    let pages: Vec<SocketAddr> = (0..3)
        .map(|_| format!("127.0.0.1:{}", free_port()).parse().unwrap())
        .collect();
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&c.auction_path).unwrap()).unwrap();
    for (i, p) in pages.iter().enumerate() {
        file["nodes"][i]["page"] = format!("http://{p}").into();
    }
    std::fs::write(&c.auction_path, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
    append(
        &c.nodes[0].config,
        &format!(
            "page_listen = \"{}\"\npage_origins = [\"https://extra.example.org\"]\n",
            pages[0]
        ),
    );
    c.start(0);
    c.wait_healthy(0).await;
    let page = pages[0];
    let other_node = format!("http://{}", pages[1]);

    // Preflight from another node's page: allowed.
    let (status, head, _) = http(
        page,
        &format!(
            "OPTIONS /v1/bids HTTP/1.1\r\nHost: {page}\r\nOrigin: {other_node}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 204, "{head}");
    assert!(
        head.contains(&format!("access-control-allow-origin: {other_node}")),
        "{head}"
    );
    assert!(
        head.contains("access-control-allow-methods: get, post"),
        "{head}"
    );
    // From elsewhere: refused.
    let (status, _, body) = http(
        page,
        &format!(
            "OPTIONS /v1/bids HTTP/1.1\r\nHost: {page}\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 403, "{body}");
    // A configured extra origin reads the status.
    let (status, head, _) = get(page, "/v1/status", "Origin: https://extra.example.org\r\n");
    assert_eq!(status, 200);
    assert!(
        head.contains("access-control-allow-origin: https://extra.example.org"),
        "{head}"
    );
    // A bid posted from a foreign page is refused before it is read.
    let bidder = common::bidder_name(0);
    let bid = Bid {
        bidder: bidder.clone(),
        buy: vec![Order {
            price: Price(500),
            quantity: Quantity(5),
        }],
        sell: vec![],
    };
    let subs = prepare_submissions(
        &c.params,
        &bid,
        Version(1),
        c.key(&bidder),
        &mut rand::thread_rng(),
    )
    .unwrap();
    let body = serde_json::to_string(&subs[0]).unwrap();
    let (status, _, answer) = http(
        page,
        &format!(
            "POST /v1/bids HTTP/1.1\r\nHost: {page}\r\nOrigin: https://evil.example\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("origin_not_allowed"), "{answer}");
    assert_eq!(c.operator_status(0)["bids"]["bidders"], 0, "nothing stored");
    // The same from the node's own page is taken.
    let (status, head, answer) = http(
        page,
        &format!(
            "POST /v1/bids HTTP/1.1\r\nHost: {page}\r\nOrigin: http://{page}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(status, 200, "{answer}");
    assert!(head.contains(&format!("access-control-allow-origin: http://{page}")));

    // The pages, with their policy: connections to the three nodes only.
    let (status, head, body) = get(page, "/", "");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    let csp = head
        .lines()
        .find(|l| l.starts_with("content-security-policy:"))
        .expect("a content security policy");
    for p in &pages {
        assert!(csp.contains(&format!("http://{p}")), "{csp}");
    }
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(body.contains("/web/bidder.js"));
    let (status, head, _) = get(page, "/web/wire.js", "");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/javascript"), "{head}");
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .unwrap()
        .to_string();
    let (status, _, _) = get(page, "/web/wire.js", &format!("If-None-Match: {etag}\r\n"));
    assert_eq!(status, 304);
    assert_eq!(get(page, "/live", "").0, 200);
    assert_eq!(get(page, "/web/nothing.js", "").0, 404);
    // A request for another host name on the loopback listener (DNS
    // rebinding) is refused.
    let (status, _, _) = http(
        page,
        "GET / HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 421);

    // The live stream: phase and close time, no bid count while open.
    let mut s = TcpStream::connect(page).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(format!("GET /v1/events HTTP/1.1\r\nHost: {page}\r\n\r\n").as_bytes())
        .unwrap();
    let mut got = String::new();
    let mut buf = [0u8; 4096];
    while !got.contains("\n\n") || !got.contains("data:") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "{got}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.contains("content-type: text/event-stream"), "{got}");
    let data = got
        .lines()
        .find_map(|l| l.strip_prefix("data:"))
        .unwrap()
        .trim();
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["phase"], "collecting");
    assert!(
        v.get("bids").is_none(),
        "no count while bidding is open: {v}"
    );
    assert_eq!(v["close_unix"], file["close_unix"]);
}

#[test]
fn the_page_listener_is_for_loopback_only() {
    let c = Cluster::new(1, 1);
    append(&c.nodes[0].config, "page_listen = \"10.1.2.3:8080\"\n");
    let out = std::process::Command::new(common::BIN)
        .args(["run", "--config"])
        .arg(&c.nodes[0].config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("page_listen 10.1.2.3:8080 is not a loopback address"),
        "{err}"
    );
}
