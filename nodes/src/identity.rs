//! A node's identity: its Ed25519 signing key (receipts, outcomes) and its
//! self-signed TLS certificate (bidder API and peer links), both in the data
//! folder. The folder is created with mode 0700 and the key files with mode
//! 0600 (`crate::perms`); the keys are never logged.

use anyhow::{Context, bail};
use auction::wire::Digest;
use ed25519_dalek::SigningKey;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

/// The signing key and the TLS key: named with the other secret files.
pub use crate::perms::{SIGNING_KEY_FILE, TLS_KEY_FILE};

/// The TLS certificate (PEM), in the data folder.
pub const TLS_CERT_FILE: &str = "tls.crt";

/// A node's keys, loaded.
pub struct Identity {
    /// The Ed25519 key: signs receipts and outcomes.
    pub signing: SigningKey,
    /// The TLS certificate (DER).
    pub cert: CertificateDer<'static>,
    /// The TLS key.
    pub tls_key: PrivateKeyDer<'static>,
}

/// SHA-256 of a certificate's DER bytes, as the auction file lists it.
pub fn fingerprint(cert: &[u8]) -> Digest {
    Digest(pinned_tls::Fingerprint::of(cert).0)
}

impl Identity {
    /// Creates the keys in `dir` (refusing to overwrite existing ones).
    pub fn create(dir: &Path) -> anyhow::Result<Identity> {
        crate::perms::create_data_dir(dir)?;
        for f in [SIGNING_KEY_FILE, TLS_KEY_FILE, TLS_CERT_FILE] {
            if dir.join(f).exists() {
                bail!(
                    "{} already exists; refusing to replace a node's identity",
                    dir.join(f).display()
                );
            }
        }
        let signing = SigningKey::generate(&mut rand_core::OsRng);
        let ck = rcgen::generate_simple_self_signed(vec![pinned_tls::SERVER_NAME.to_string()])?;
        write_secret(
            &dir.join(SIGNING_KEY_FILE),
            hex::encode(signing.to_bytes()).as_bytes(),
        )?;
        write_secret(
            &dir.join(TLS_KEY_FILE),
            ck.key_pair.serialize_pem().as_bytes(),
        )?;
        std::fs::write(dir.join(TLS_CERT_FILE), ck.cert.pem())?;
        Self::load(dir)
    }

    /// Loads the keys from `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Identity> {
        let key_path = dir.join(SIGNING_KEY_FILE);
        let text = std::fs::read_to_string(&key_path)
            .with_context(|| format!("reading {}", key_path.display()))?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .with_context(|| format!("{}: expected 64 hex digits", key_path.display()))?;
        let signing = SigningKey::from_bytes(&bytes);
        let cert_path = dir.join(TLS_CERT_FILE);
        let pem = std::fs::read(&cert_path)
            .with_context(|| format!("reading {}", cert_path.display()))?;
        let cert = rustls_pemfile::certs(&mut &pem[..])
            .next()
            .with_context(|| format!("{}: no certificate", cert_path.display()))??;
        let tls_path = dir.join(TLS_KEY_FILE);
        let pem =
            std::fs::read(&tls_path).with_context(|| format!("reading {}", tls_path.display()))?;
        let tls_key = rustls_pemfile::private_key(&mut &pem[..])?
            .with_context(|| format!("{}: no private key", tls_path.display()))?;
        Ok(Identity {
            signing,
            cert,
            tls_key,
        })
    }

    /// The certificate's fingerprint.
    pub fn fingerprint(&self) -> Digest {
        fingerprint(&self.cert)
    }

    /// The public key, hex.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().as_bytes())
    }
}

fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
