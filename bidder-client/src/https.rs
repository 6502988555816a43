//! HTTPS to the clearing nodes' bidder API (hyper over tokio-rustls, ring
//! provider). There is no certificate authority: each node's certificate is
//! self-signed and the client accepts exactly the one whose SHA-256
//! fingerprint the auction file lists for that node. Connections are kept
//! alive in a small pool per node, so a client that sends many requests
//! (the demo sends over a thousand bids) pays for few handshakes.

use auction::wire::Digest;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest as _, Sha256};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// How long one connection attempt or request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A request that got no HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    /// TCP, TLS (including a certificate that is not the pinned one) or HTTP failed.
    #[error("{addr}: {message}")]
    Transport {
        /// The node's address.
        addr: SocketAddr,
        /// What failed.
        message: String,
    },
    /// No answer in time.
    #[error("{addr}: no answer within {0:?}", REQUEST_TIMEOUT)]
    Timeout {
        /// The node's address.
        addr: SocketAddr,
    },
}

#[derive(Debug)]
struct Pinned {
    fingerprint: Digest,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fp = Digest(Sha256::digest(end_entity.as_ref()).into());
        if fp == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate fingerprint {fp} is not the pinned {}",
                self.fingerprint
            )))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

fn client_config(fingerprint: Digest) -> ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algs = provider.signature_verification_algorithms;
    let mut c = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { fingerprint, algs }))
        .with_no_client_auth();
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    c
}

/// One node's API: its address, the pinned certificate, idle connections.
pub struct NodeApi {
    /// The node's address.
    pub addr: SocketAddr,
    connector: TlsConnector,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

/// A status code and body.
pub type Answer = (u16, Bytes);

impl NodeApi {
    /// A client for the node at `addr` whose certificate has `fingerprint`.
    pub fn new(addr: SocketAddr, fingerprint: Digest) -> NodeApi {
        NodeApi {
            addr,
            connector: TlsConnector::from(Arc::new(client_config(fingerprint))),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn err(&self, e: impl std::fmt::Display) -> HttpsError {
        HttpsError::Transport {
            addr: self.addr,
            message: e.to_string(),
        }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, HttpsError> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| self.err(e))?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::try_from("clearing-node").expect("valid name");
        let tls = self
            .connector
            .connect(name, tcp)
            .await
            .map_err(|e| self.err(format!("TLS: {e}")))?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| self.err(e))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    async fn send_once(
        &self,
        mut sender: SendRequest<Full<Bytes>>,
        method: &str,
        path: &str,
        body: &Option<Bytes>,
    ) -> Result<(Answer, SendRequest<Full<Bytes>>), HttpsError> {
        sender.ready().await.map_err(|e| self.err(e))?;
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        let req = b
            .body(Full::new(body.clone().unwrap_or_default()))
            .map_err(|e| self.err(e))?;
        let resp = sender.send_request(req).await.map_err(|e| self.err(e))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| self.err(e))?
            .to_bytes();
        Ok(((status, bytes), sender))
    }

    /// Sends one request and returns the status and body. An idle pooled
    /// connection that turns out to be closed is replaced once.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<Answer, HttpsError> {
        let work = async {
            let pooled = self.idle.lock().expect("pool lock").pop();
            let result = match pooled {
                Some(s) => match self.send_once(s, method, path, &body).await {
                    Ok(r) => Ok(r),
                    Err(_) => {
                        self.send_once(self.connect().await?, method, path, &body)
                            .await
                    }
                },
                None => {
                    self.send_once(self.connect().await?, method, path, &body)
                        .await
                }
            };
            let (answer, sender) = result?;
            let mut idle = self.idle.lock().expect("pool lock");
            if idle.len() < 64 {
                idle.push(sender);
            }
            Ok(answer)
        };
        tokio::time::timeout(REQUEST_TIMEOUT, work)
            .await
            .map_err(|_| HttpsError::Timeout { addr: self.addr })?
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Answer, HttpsError> {
        self.request("GET", path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: Vec<u8>) -> Result<Answer, HttpsError> {
        self.request("POST", path, Some(Bytes::from(body))).await
    }
}

/// The `code` of an API error `{"code", "message"}`, if the body is one.
pub fn error_code(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("code")?.as_str().map(str::to_string)
}

/// The `{"code", "message"}` of an API error, or the raw body.
pub fn error_text(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) if v.get("code").is_some() => format!(
            "{}: {}",
            v["code"].as_str().unwrap_or("?"),
            v["message"].as_str().unwrap_or("")
        ),
        _ => String::from_utf8_lossy(body).chars().take(200).collect(),
    }
}
