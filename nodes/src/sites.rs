//! The auctions one node serves, and where each keeps its files.
//!
//! An operator runs one daemon for every auction the node takes part in.
//! The auction named in `node.toml` (`auction = …`), if any, keeps its
//! database at `DATA/node.db`. Every other auction lives in a folder of its
//! own under `DATA/auctions/`, named by the auction's hash:
//!
//! ```text
//! DATA/auctions/<auction hash>/auction.json   the auction file, as added
//! DATA/auctions/<auction hash>/node.db        its database
//! ```
//!
//! `clearing-node add --config node.toml AUCTION.json` checks a file and
//! puts it there; an operator may also copy a file there by hand. The
//! running node looks at `DATA/auctions/` every second and starts the life
//! cycle of each auction it finds, so adding an auction needs no restart.
//! Adding a file again with more bidders registers them, as editing the
//! auction file of `node.toml` does (`crate::registry`).

use crate::config::NodeConfig;
use crate::identity::Identity;
use crate::perms::DB_FILE;
use anyhow::{Context, bail};
use auction::auction_file::AuctionInfo;
use auction::wire::Digest;
use shares::PartyId;
use std::path::{Path, PathBuf};

/// The folder under the data folder that holds added auctions.
pub const AUCTIONS_DIR: &str = "auctions";
/// The auction file's name inside an added auction's folder.
pub const AUCTION_FILE: &str = "auction.json";

/// One auction this node serves: its file, its database, and this node's
/// index in it.
#[derive(Clone, Debug)]
pub struct Site {
    /// The auction id (the API addresses the auction by it).
    pub id: String,
    /// The auction's hash.
    pub hash: Digest,
    /// The auction file.
    pub file: PathBuf,
    /// The database.
    pub db: PathBuf,
    /// This node in the auction file.
    pub index: PartyId,
    /// The certificate fingerprint the auction file lists for this node.
    pub fingerprint: Digest,
    /// Whether this is the auction of `node.toml`.
    pub primary: bool,
}

/// This node's index in `auction`: the node entry with this identity's
/// public key and certificate.
pub fn index_in(auction: &AuctionInfo, id: &Identity, file: &Path) -> anyhow::Result<PartyId> {
    let key = id.signing.verifying_key();
    let Some(p) = PartyId::ALL
        .into_iter()
        .find(|&p| auction.node(u8::from(p)).public_key.0 == key)
    else {
        bail!(
            "auction file {} does not list this node: none of its three nodes has public key {}; give the other operators this node's key (`clearing-node init` printed it)",
            file.display(),
            id.public_key_hex()
        );
    };
    let i = u8::from(p);
    if auction.node(i).cert_fingerprint != id.fingerprint() {
        bail!(
            "auction file {} lists certificate fingerprint {} for node {i}, but this data folder's certificate is {}",
            file.display(),
            auction.node(i).cert_fingerprint,
            id.fingerprint()
        );
    }
    Ok(p)
}

fn site(file: &Path, db: PathBuf, index: PartyId, primary: bool) -> anyhow::Result<Site> {
    let info = crate::config::load_auction(file)?;
    Ok(Site {
        id: info.params.id.clone(),
        hash: info.hash,
        file: file.to_path_buf(),
        db,
        index,
        fingerprint: info.node(u8::from(index)).cert_fingerprint,
        primary,
    })
}

/// The auction of `node.toml`, if it names one.
pub fn primary(cfg: &NodeConfig) -> anyhow::Result<Option<Site>> {
    match &cfg.auction {
        Some(file) => {
            let index = PartyId::try_from(cfg.index).map_err(anyhow::Error::msg)?;
            Ok(Some(site(file, cfg.data.join(DB_FILE), index, true)?))
        }
        None => Ok(None),
    }
}

/// The folders of added auctions, sorted.
pub fn added_folders(data: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = data.join(AUCTIONS_DIR);
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    for e in entries {
        let p = e?.path();
        if p.join(AUCTION_FILE).is_file() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// An added auction's site, from its folder.
pub fn added(folder: &Path, id: &Identity) -> anyhow::Result<Site> {
    let file = folder.join(AUCTION_FILE);
    let info = crate::config::load_auction(&file)?;
    let index = index_in(&info, id, &file)?;
    site(&file, folder.join(DB_FILE), index, false)
}

/// Every auction this node serves, the one of `node.toml` first; an added
/// folder whose file does not load is an error naming it.
pub fn all(cfg: &NodeConfig) -> anyhow::Result<Vec<Site>> {
    let mut out: Vec<Site> = primary(cfg)?.into_iter().collect();
    let folders = added_folders(&cfg.data)?;
    if !folders.is_empty() {
        let id = Identity::load(&cfg.data)?;
        for f in folders {
            out.push(added(&f, &id)?);
        }
    }
    Ok(out)
}

/// The auction an operator's command is about: the one with id `wanted`,
/// or, without an id, the only one or else the one of `node.toml`.
pub fn choose(cfg: &NodeConfig, wanted: Option<&str>) -> anyhow::Result<Site> {
    let all = all(cfg)?;
    let ids = || {
        all.iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted {
        Some(w) => match all.iter().find(|s| s.id == w) {
            Some(s) => Ok(s.clone()),
            None if all.is_empty() => bail!(
                "this node serves no auction yet: add one with `clearing-node add --config … AUCTION.json`"
            ),
            None => bail!("this node serves no auction {w:?}; it serves: {}", ids()),
        },
        None => match (all.len(), all.iter().find(|s| s.primary)) {
            (0, _) => bail!(
                "this node serves no auction yet: add one with `clearing-node add --config … AUCTION.json`"
            ),
            (1, _) => Ok(all[0].clone()),
            (_, Some(p)) => Ok(p.clone()),
            (_, None) => bail!(
                "this node serves several auctions ({}); say which with --auction ID",
                ids()
            ),
        },
    }
}

/// What `add` did.
#[derive(Debug)]
pub enum Added {
    /// A new auction.
    New(Site),
    /// The file of an auction already served, with bidders added.
    Updated(Site),
    /// The same file again.
    Unchanged(Site),
}

/// Checks an auction file and puts it where the running node finds it.
/// Refused: a file that does not check, that does not list this node, whose
/// id another served auction already has, or that changes an auction
/// already served other than by adding bidders.
pub fn add(cfg: &NodeConfig, file: &Path) -> anyhow::Result<Added> {
    let bytes =
        std::fs::read(file).with_context(|| format!("reading auction file {}", file.display()))?;
    let info = AuctionInfo::from_bytes(&bytes)
        .with_context(|| format!("auction file {}", file.display()))?;
    let id = Identity::load(&cfg.data)?;
    let index = index_in(&info, &id, file)?;
    let served = all(cfg)?;
    if let Some(s) = served.iter().find(|s| s.hash == info.hash) {
        if s.primary {
            bail!(
                "auction {:?} is this node's node.toml auction ({}); edit that file to register bidders",
                s.id,
                s.file.display()
            );
        }
        let old = std::fs::read(&s.file)?;
        if old == bytes {
            return Ok(Added::Unchanged(s.clone()));
        }
        let old_info = AuctionInfo::from_bytes(&old)
            .with_context(|| format!("auction file {}", s.file.display()))?;
        old_info.check_update(&info).map_err(|why| {
            anyhow::anyhow!("{} would change auction {:?}: {why}", file.display(), s.id)
        })?;
        write_atomic(&s.file, &bytes)?;
        return Ok(Added::Updated(s.clone()));
    }
    if let Some(s) = served.iter().find(|s| s.id == info.params.id) {
        bail!(
            "this node already serves an auction with id {:?} (hash {}); an auction's id names it in the API, so give the new auction another id",
            s.id,
            s.hash
        );
    }
    let dir = cfg.data.join(AUCTIONS_DIR);
    crate::perms::create_private_dir(&dir)?;
    let folder = dir.join(info.hash.to_hex());
    crate::perms::create_private_dir(&folder)?;
    write_atomic(&folder.join(AUCTION_FILE), &bytes)?;
    Ok(Added::New(site(
        &folder.join(AUCTION_FILE),
        folder.join(DB_FILE),
        index,
        false,
    )?))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so the
/// running node never reads half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
