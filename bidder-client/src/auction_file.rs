//! The auction file as a bidder or an auditor reads it. The format, its
//! checks and its hash (the auction hash that receipts and outcomes carry)
//! are `auction::auction_file`'s, the same the nodes use; this module reads
//! the file and names its path in the error.

pub use auction::auction_file::{AuctionInfo, NodeEntry};
use std::path::Path;

/// An auction file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AuctionFileError {
    /// The file could not be read.
    #[error("reading auction file {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a valid auction file.
    #[error("auction file {path}: {reason}")]
    Malformed {
        /// The path.
        path: String,
        /// What was wrong.
        reason: auction::auction_file::AuctionFileError,
    },
}

/// Reads and checks an auction file.
pub fn load(path: &Path) -> Result<AuctionInfo, AuctionFileError> {
    let bytes = std::fs::read(path).map_err(|source| AuctionFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    AuctionInfo::from_bytes(&bytes).map_err(|reason| AuctionFileError::Malformed {
        path: path.display().to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auction.json");
        let e = load(&path).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("reading auction file {}", path.display())),
            "{e}"
        );
        std::fs::write(&path, b"{\"nodes\": []}").unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("auction file {}: ", path.display())),
            "{e}"
        );
        assert!(e.contains("missing field"), "{e}");
    }
}

pub use auction::auction_file::api_path;

#[cfg(test)]
mod path_tests {
    #[test]
    fn auction_ids_are_escaped_in_api_paths() {
        assert_eq!(
            super::api_path("beet-2027", "bids"),
            "/v1/auctions/beet-2027/bids"
        );
        assert_eq!(
            super::api_path("a b/c", "outcome"),
            "/v1/auctions/a%20b%2Fc/outcome"
        );
    }
}
