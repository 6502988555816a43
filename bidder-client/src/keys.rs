//! A bidder's key file: its id and its Ed25519 signing key, as JSON
//! `{"bidder": ..., "secret_key": 64 hex digits, "public_key": 64 hex
//! digits}`, written with mode 0600. The public key (and the id) is what the
//! auctioneer registers in the auction file.

use auction::BidderId;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A key file that could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file's contents are wrong.
    #[error("key file {path}: {message}")]
    Malformed {
        /// The path.
        path: String,
        /// What was wrong.
        message: String,
    },
}

/// A bidder's identity. The signing key never leaves this type except into
/// the file it came from; `Debug` shows only the bidder and public key.
pub struct BidderKey {
    /// The bidder's id.
    pub bidder: BidderId,
    /// The signing key.
    pub signing: SigningKey,
}

impl std::fmt::Debug for BidderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BidderKey({}, {})", self.bidder, self.public_hex())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    bidder: BidderId,
    secret_key: String,
    public_key: String,
}

impl BidderKey {
    /// A fresh key from the OS's random source.
    pub fn generate(bidder: BidderId) -> BidderKey {
        BidderKey {
            bidder,
            signing: SigningKey::generate(&mut rand_core::OsRng),
        }
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().as_bytes())
    }

    /// The auction file's entry for this bidder: `{"id", "public_key"}`.
    pub fn registration(&self) -> serde_json::Value {
        serde_json::json!({"id": self.bidder, "public_key": self.public_hex()})
    }

    /// Writes the key file; refuses to replace an existing file.
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        use std::io::Write;
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        let body = serde_json::to_vec_pretty(&KeyFile {
            bidder: self.bidder.clone(),
            secret_key: hex::encode(self.signing.to_bytes()),
            public_key: self.public_hex(),
        })
        .expect("serializable");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(io)?;
        f.write_all(&body).map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// Reads a key file and checks that its public key matches its secret.
    pub fn load(path: &Path) -> Result<BidderKey, KeyError> {
        let bad = |message: String| KeyError::Malformed {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let f: KeyFile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        auction::wire::check_bidder_id(&f.bidder).map_err(|e| bad(e.to_string()))?;
        let bytes: [u8; 32] = hex::decode(f.secret_key.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("secret_key: expected 64 hex digits".into()))?;
        let key = BidderKey {
            bidder: f.bidder,
            signing: SigningKey::from_bytes(&bytes),
        };
        if key.public_hex() != f.public_key.trim().to_lowercase() {
            return Err(bad(
                "public_key does not belong to secret_key; the file is damaged".into(),
            ));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_round_trip_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        let k = BidderKey::generate(BidderId("farmer-1".into()));
        k.save(&p).unwrap();
        let back = BidderKey::load(&p).unwrap();
        assert_eq!(back.bidder, k.bidder);
        assert_eq!(back.signing.to_bytes(), k.signing.to_bytes());
        assert!(k.save(&p).is_err());
        let text = std::fs::read_to_string(&p).unwrap();
        let other = BidderKey::generate(BidderId("x".into()));
        let damaged = text.replace(&k.public_hex(), &other.public_hex());
        std::fs::write(&p, damaged).unwrap();
        assert!(
            BidderKey::load(&p)
                .unwrap_err()
                .to_string()
                .contains("does not belong")
        );
    }
}
