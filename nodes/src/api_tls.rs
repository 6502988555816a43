//! The bidder API's certificates. Two clients meet the API: programs that
//! pin the node's self-signed certificate by the fingerprint in the auction
//! file (`bidder`, `auditor`, the operator's `status`), and browsers, which
//! accept only a certificate chain from a certificate authority. The
//! operator can give the node such a chain and its key (`api_cert_chain`,
//! `api_key` in `node.toml`: PEM files as any ACME client writes them); then
//! a connection that asks for the server name `clearing-node` (every pinning
//! client does) gets the pinned certificate, and every other connection gets
//! the operator's chain. Without a chain every connection gets the pinned
//! certificate, as before. The peer links never use the operator's chain.
//!
//! The chain and key are reread when their files change, so a renewal needs
//! no restart.

use crate::identity::Identity;
use anyhow::{Context, bail};
use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// The server name pinning clients ask for.
pub const PINNED_NAME: &str = pinned_tls::SERVER_NAME;

/// When and how large the two files were when last read.
type Stamp = [(Option<SystemTime>, u64); 2];

fn stamp(chain: &Path, key: &Path) -> Stamp {
    [chain, key].map(|p| match std::fs::metadata(p) {
        Ok(m) => (m.modified().ok(), m.len()),
        Err(_) => (None, 0),
    })
}

/// The operator's certificate chain and key, read from PEM files.
#[derive(Debug)]
struct OperatorCert {
    chain: PathBuf,
    key: PathBuf,
    current: RwLock<(Stamp, Arc<CertifiedKey>)>,
}

/// Picks the certificate for each bidder API connection (see the module
/// documentation).
#[derive(Debug)]
pub struct ApiCerts {
    pinned: Arc<CertifiedKey>,
    operator: Option<OperatorCert>,
}

/// Reads a certificate chain (leaf first) and its private key from PEM
/// files and checks that they belong together.
pub fn load_chain(chain: &Path, key: &Path) -> anyhow::Result<CertifiedKey> {
    let pem = std::fs::read(chain)
        .with_context(|| format!("reading the API certificate chain {}", chain.display()))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .with_context(|| format!("the API certificate chain {}", chain.display()))?;
    if certs.is_empty() {
        bail!(
            "the API certificate chain {} holds no PEM certificate",
            chain.display()
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key)
            .with_context(|| format!("the API key {}", key.display()))?
            .permissions()
            .mode();
        if mode & 0o007 != 0 {
            bail!(
                "the API key {} is open to others (mode {:o}); run: chmod 600 {}",
                key.display(),
                mode & 0o777,
                key.display()
            );
        }
    }
    let pem =
        std::fs::read(key).with_context(|| format!("reading the API key {}", key.display()))?;
    let der = rustls_pemfile::private_key(&mut pem.as_slice())
        .with_context(|| format!("the API key {}", key.display()))?
        .with_context(|| format!("the API key {} holds no PEM private key", key.display()))?;
    CertifiedKey::from_der(certs, der, &crate::tls::provider()).with_context(|| {
        format!(
            "the API key {} does not fit the certificate chain {}",
            key.display(),
            chain.display()
        )
    })
}

impl ApiCerts {
    /// The pinned certificate of `id`, and the operator's chain when both
    /// paths are given.
    pub fn new(
        id: &Identity,
        chain: Option<&Path>,
        key: Option<&Path>,
    ) -> anyhow::Result<ApiCerts> {
        let pinned = Arc::new(
            CertifiedKey::from_der(
                vec![id.cert.clone()],
                id.tls_key.clone_key(),
                &crate::tls::provider(),
            )
            .context("the node's own TLS certificate and key")?,
        );
        let operator = match (chain, key) {
            (Some(chain), Some(key)) => {
                let st = stamp(chain, key);
                let ck = load_chain(chain, key)?;
                Some(OperatorCert {
                    chain: chain.to_path_buf(),
                    key: key.to_path_buf(),
                    current: RwLock::new((st, Arc::new(ck))),
                })
            }
            (None, None) => None,
            _ => bail!("give both api_cert_chain and api_key, or neither"),
        };
        Ok(ApiCerts { pinned, operator })
    }

    /// Whether browsers get the operator's chain.
    pub fn has_chain(&self) -> bool {
        self.operator.is_some()
    }

    /// Rereads the operator's chain and key if their files changed. A chain
    /// that does not load keeps the one in use, and says why.
    pub fn reload_if_changed(&self) -> anyhow::Result<bool> {
        let Some(op) = &self.operator else {
            return Ok(false);
        };
        let st = stamp(&op.chain, &op.key);
        if op.current.read().expect("cert lock").0 == st {
            return Ok(false);
        }
        let ck = load_chain(&op.chain, &op.key)?;
        *op.current.write().expect("cert lock") = (st, Arc::new(ck));
        Ok(true)
    }

    /// The certificate a connection asking for `server_name` gets.
    pub fn for_name(&self, server_name: Option<&str>) -> Arc<CertifiedKey> {
        match &self.operator {
            Some(op) if server_name != Some(PINNED_NAME) => {
                op.current.read().expect("cert lock").1.clone()
            }
            _ => self.pinned.clone(),
        }
    }
}

impl ResolvesServerCert for ApiCerts {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.for_name(hello.server_name()))
    }
}

/// The bidder API's server config: no client certificate, HTTP/1.1, the
/// certificate picked by `certs`.
pub fn server_config(certs: Arc<ApiCerts>) -> anyhow::Result<ServerConfig> {
    let mut c = ServerConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(certs);
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(c)
}

/// Rereads the operator's chain every minute while the node runs.
pub async fn watch(certs: Arc<ApiCerts>) {
    if !certs.has_chain() {
        return;
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        match certs.reload_if_changed() {
            Ok(true) => {
                tracing::info!("the API certificate chain changed on disk; now serving the new one")
            }
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "the changed API certificate chain does not load; still serving the previous one")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinning_clients_get_the_pinned_certificate_and_others_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let id = Identity::create(&dir.path().join("n")).unwrap();
        let leaf = rcgen::generate_simple_self_signed(vec!["beet.example.org".into()]).unwrap();
        let chain = dir.path().join("fullchain.pem");
        let key = dir.path().join("privkey.pem");
        std::fs::write(&chain, leaf.cert.pem()).unwrap();
        std::fs::write(&key, leaf.key_pair.serialize_pem()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = ApiCerts::new(&id, Some(&chain), Some(&key)).unwrap_err();
            assert!(format!("{e:#}").contains("chmod 600"), "{e:#}");
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let certs = ApiCerts::new(&id, Some(&chain), Some(&key)).unwrap();
        assert_eq!(certs.for_name(Some(PINNED_NAME)).cert[0], id.cert);
        assert_eq!(
            certs.for_name(Some("beet.example.org")).cert[0],
            leaf.cert.der().clone()
        );
        assert_eq!(certs.for_name(None).cert[0], leaf.cert.der().clone());
        let plain = ApiCerts::new(&id, None, None).unwrap();
        assert_eq!(plain.for_name(Some("beet.example.org")).cert[0], id.cert);

        // A renewal is picked up; a broken one is refused and the old kept.
        assert!(!certs.reload_if_changed().unwrap());
        let renewed = rcgen::generate_simple_self_signed(vec!["beet.example.org".into()]).unwrap();
        std::fs::write(&chain, renewed.cert.pem()).unwrap();
        assert!(
            format!("{:#}", certs.reload_if_changed().unwrap_err()).contains("does not fit"),
            "a chain with another key than the one on disk"
        );
        assert_eq!(certs.for_name(None).cert[0], leaf.cert.der().clone());
        std::fs::write(&key, renewed.key_pair.serialize_pem()).unwrap();
        assert!(certs.reload_if_changed().unwrap());
        assert_eq!(certs.for_name(None).cert[0], renewed.cert.der().clone());
    }
}
