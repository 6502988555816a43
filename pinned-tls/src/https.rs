//! HTTPS/1.1 to one server whose certificate is pinned (hyper over
//! tokio-rustls). Connections are kept alive in a small pool, so a client
//! that sends many requests (the demo sends over a thousand bids) pays for
//! few handshakes.

use crate::{Fingerprint, client_config, server_name};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// How long one request may take, connecting included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Idle connections kept per server.
const POOL: usize = 64;

/// A request that got no HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    /// TCP, TLS (including a certificate that is not the pinned one) or HTTP failed.
    #[error("{addr}: {message}")]
    Transport {
        /// The server's address.
        addr: SocketAddr,
        /// What failed.
        message: String,
    },
    /// No answer in time.
    #[error("{addr}: no answer within {0:?}", REQUEST_TIMEOUT)]
    Timeout {
        /// The server's address.
        addr: SocketAddr,
    },
}

/// A status code and body.
pub type Answer = (u16, Bytes);

/// One server: its address, the pinned certificate, idle connections.
pub struct Client {
    /// The server's address.
    pub addr: SocketAddr,
    connector: TlsConnector,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

impl Client {
    /// A client for the server at `addr` whose certificate has `fingerprint`.
    /// Nothing is dialled until the first request (or [`Client::open`]).
    pub fn new(addr: SocketAddr, fingerprint: Fingerprint) -> Client {
        let mut config =
            client_config(fingerprint, None).expect("ring supports the default protocol versions");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Client {
            addr,
            connector: TlsConnector::from(Arc::new(config)),
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
        let tls = self
            .connector
            .connect(server_name(), tcp)
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

    fn keep(&self, sender: SendRequest<Full<Bytes>>) {
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < POOL {
            idle.push(sender);
        }
    }

    /// Dials one connection now and keeps it for the next request, so that
    /// the handshake is not part of that request's time.
    pub async fn open(&self) -> Result<(), HttpsError> {
        let sender = tokio::time::timeout(REQUEST_TIMEOUT, self.connect())
            .await
            .map_err(|_| HttpsError::Timeout { addr: self.addr })??;
        self.keep(sender);
        Ok(())
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
            self.keep(sender);
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
