//! Pinning both ways on loopback: a client reaches the server whose
//! fingerprint it holds and no other; a mutual-TLS server admits the pinned
//! client certificates and refuses other certificates and none.

use pinned_tls::https::{Client, HttpsError};
use pinned_tls::{
    Credentials, Fingerprint, client_config, mutual_server_config, server_config, server_name,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

struct Cert {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl Cert {
    fn new() -> Cert {
        let ck = rcgen::generate_simple_self_signed(vec![pinned_tls::SERVER_NAME.into()]).unwrap();
        Cert {
            cert: ck.cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()).into(),
        }
    }
    fn credentials(&self) -> Credentials<'_> {
        Credentials {
            cert: &self.cert,
            key: &self.key,
        }
    }
    fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.cert)
    }
}

/// A TLS listener that answers every HTTP request on a connection with
/// `200 ok`, and every accepted handshake on a mutual link with `hi`.
async fn serve(config: rustls::ServerConfig, http: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if !http {
                    let _ = tls.write_all(b"hi").await;
                    let _ = tls.shutdown().await;
                    return;
                }
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    let Ok(n) = tls.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if tls.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_client_reaches_only_the_pinned_server() {
    let server = Cert::new();
    let addr = serve(server_config(server.credentials()).unwrap(), true).await;

    let client = Client::new(addr, server.fingerprint());
    client.open().await.unwrap();
    for _ in 0..3 {
        let (status, body) = client.get("/v1/status").await.unwrap();
        assert_eq!((status, &body[..]), (200, &b"ok"[..]));
    }

    let other = Cert::new().fingerprint();
    let e = Client::new(addr, other).get("/").await.unwrap_err();
    let HttpsError::Transport { message, .. } = &e else {
        panic!("expected a TLS failure, got {e}");
    };
    assert!(
        message.contains(&format!(
            "certificate fingerprint {} is not the pinned {other}",
            server.fingerprint()
        )),
        "{message}"
    );
}

async fn dial(
    addr: SocketAddr,
    server: Fingerprint,
    own: Option<&Cert>,
) -> Result<Vec<u8>, String> {
    let config = client_config(server, own.map(Cert::credentials)).unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(server_name(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    // In TLS 1.3 the server judges the client certificate after the client
    // has finished its handshake: a refusal shows up on the first read.
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await.map_err(|e| e.to_string())?;
    Ok(got)
}

#[tokio::test]
async fn a_mutual_server_admits_only_pinned_clients() {
    let server = Cert::new();
    let (peer, stranger) = (Cert::new(), Cert::new());
    let config = mutual_server_config(server.credentials(), vec![peer.fingerprint()]).unwrap();
    let addr = serve(config, false).await;

    assert_eq!(
        dial(addr, server.fingerprint(), Some(&peer)).await.unwrap(),
        b"hi"
    );
    assert!(
        dial(addr, server.fingerprint(), Some(&stranger))
            .await
            .is_err()
    );
    assert!(dial(addr, server.fingerprint(), None).await.is_err());
    // The pinned client still refuses a server it does not pin.
    let e = dial(addr, stranger.fingerprint(), Some(&peer))
        .await
        .unwrap_err();
    assert!(e.contains("is not the pinned"), "{e}");
}
