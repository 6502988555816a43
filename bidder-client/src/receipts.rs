//! Receipts: checking a node's signed acknowledgement against what was sent,
//! and keeping receipts in a folder, one JSON file per node and version
//! (`<auction>.<bidder>.v<version>.node<i>.json`). The auditor reads the same
//! folder with `--receipts`.

use crate::auction_file::AuctionInfo;
use auction::BidderId;
use auction::wire::{Digest, Receipt, Submission, Version};
use shares::PartyId;
use std::path::{Path, PathBuf};

/// Why a receipt is not the one expected.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    /// The node's signature does not verify with its key from the auction file.
    #[error(
        "receipt from node {}: the signature does not verify with the node's key",
        .0.index()
    )]
    BadSignature(PartyId),
    /// The node signed for another auction file than the bidder's: it
    /// serves a different file (or the bidder holds an outdated one).
    /// Sending again changes nothing; the operators must sort it out.
    #[error(
        "node {} serves a different auction file: its receipt carries auction hash {node_hash}, your auction file's is {ours}",
        node.index()
    )]
    OtherAuctionFile {
        /// The node.
        node: PartyId,
        /// The auction hash in the node's receipt.
        node_hash: Digest,
        /// The hash of the bidder's auction file.
        ours: Digest,
    },
    /// A field differs from the submission or the auction file.
    #[error("receipt from node {}: {field} is not the one sent", node.index())]
    Mismatch {
        /// The node.
        node: PartyId,
        /// The field.
        field: &'static str,
    },
}

/// Checks a receipt from node `sub.node` for submission `sub`: the fields
/// match and the node's signature verifies.
pub fn check_receipt(
    info: &AuctionInfo,
    sub: &Submission,
    r: &Receipt,
) -> Result<(), ReceiptError> {
    let node = sub.node;
    let mismatch = |field| Err(ReceiptError::Mismatch { node, field });
    if r.node != node {
        return mismatch("node");
    }
    if r.auction != sub.auction {
        return mismatch("auction");
    }
    if r.auction_hash != info.hash {
        return Err(ReceiptError::OtherAuctionFile {
            node,
            node_hash: r.auction_hash,
            ours: info.hash,
        });
    }
    if r.bidder != sub.bidder {
        return mismatch("bidder");
    }
    if r.version != sub.version {
        return mismatch("version");
    }
    if r.commitments != sub.commitments {
        return mismatch("commitments");
    }
    if !r.verify(&info.nodes[node.index()].public_key.0) {
        return Err(ReceiptError::BadSignature(node));
    }
    Ok(())
}

fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The file a receipt is kept in.
pub fn receipt_path(dir: &Path, r: &Receipt) -> PathBuf {
    dir.join(format!(
        "{}.{}.v{}.node{}.json",
        safe(&r.auction),
        safe(&r.bidder.0),
        r.version,
        r.node.index()
    ))
}

/// Writes a receipt into `dir` (created if needed).
pub fn store_receipt(dir: &Path, r: &Receipt) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = receipt_path(dir, r);
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(r).expect("serializable"))?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Files that could not be read as receipts, with why.
pub type Unreadable = Vec<(PathBuf, String)>;

/// Every receipt in `dir` (files ending in `.json` that hold a receipt),
/// with the files that could not be read as receipts and why.
pub fn load_receipts(dir: &Path) -> std::io::Result<(Vec<Receipt>, Unreadable)> {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for p in paths {
        match std::fs::read(&p)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Receipt>(&b).map_err(|e| e.to_string()))
        {
            Ok(r) => ok.push(r),
            Err(e) => bad.push((p, e)),
        }
    }
    Ok((ok, bad))
}

/// The highest version `bidder` holds any receipt for in auction `auction`.
pub fn highest_version(dir: &Path, auction: &str, bidder: &BidderId) -> Option<Version> {
    let (rs, _) = load_receipts(dir).ok()?;
    rs.iter()
        .filter(|r| r.auction == auction && &r.bidder == bidder)
        .map(|r| r.version)
        .max()
}
