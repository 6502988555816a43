//! A small HTTPS client for the bidder API that pins the node's certificate
//! by fingerprint: used by the tests, the intake benchmark and tools.

use auction::wire::Digest;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// One kept-alive HTTPS connection to a node.
pub struct ApiConn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl ApiConn {
    /// Connects, accepting only the certificate with `fingerprint`.
    pub async fn connect(addr: SocketAddr, fingerprint: Digest) -> anyhow::Result<ApiConn> {
        let cfg = crate::tls::pinned_client(fingerprint, None)?;
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let tls = TlsConnector::from(Arc::new(cfg))
            .connect(crate::tls::server_name(), tcp)
            .await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(ApiConn {
            sender,
            host: addr.to_string(),
        })
    }

    /// Sends one request; returns the status and body.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<(u16, Bytes)> {
        self.sender.ready().await?;
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host);
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        let req = b.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// One request on a fresh connection.
pub async fn call(
    addr: SocketAddr,
    fingerprint: Digest,
    method: &str,
    path: &str,
    body: Option<Vec<u8>>,
) -> anyhow::Result<(u16, Bytes)> {
    ApiConn::connect(addr, fingerprint)
        .await?
        .send(method, path, body)
        .await
}
