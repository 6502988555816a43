//! The node's SQLite file: bids (every version, share components as blobs),
//! and one row for the auction: the ceremony's record
//! ([`CeremonyRecord`], rewritten after every transition, so a restarted
//! node continues where it stopped), the bidder registry frozen when the
//! bid lists were compared, and the close gate. WAL with
//! `synchronous=FULL`: a commit is on disk before it returns, and a receipt
//! is only signed after the commit.
//!
//! The close gate is the row's `close_reason`, set once, in a transaction
//! of its own; every group of bids is stored in a transaction that reads it
//! first, so no bid is acknowledged after the close commits. The ceremony
//! leaves `collecting` once the life cycle sees the gate closed.
//!
//! One writer thread owns the write connection and commits bids in groups
//! (one fsync for every bid that arrived while the previous group was being
//! written); reads use a second connection.

use crate::config::now_unix;
use crate::halt::Damaged;
use anyhow::Context as _;
use auction::BidderId;
use auction::ceremony::{Aborted, CeremonyRecord, Context, Phase, State};
use auction::wire::{Digest, Salt, ShareBundle, Sig, Submission};
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The schema this code writes (`PRAGMA user_version`).
/// Version 2: submissions of format 2, with hiding commitments `c0..c2` and
/// this node's bundle salt (secret, like the components).
/// Version 3: the life cycle is one ceremony record (`auction::ceremony`)
/// in the `auction` row instead of a record per step.
pub const SCHEMA_VERSION: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE bids (
    bidder TEXT NOT NULL,
    version INTEGER NOT NULL,
    c0 BLOB NOT NULL, c1 BLOB NOT NULL, c2 BLOB NOT NULL,
    signature BLOB NOT NULL,
    own BLOB NOT NULL,
    next BLOB NOT NULL,
    salt BLOB NOT NULL,
    received_unix INTEGER NOT NULL,
    PRIMARY KEY (bidder, version)
);
CREATE TABLE auction (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    hash TEXT NOT NULL,
    close_reason TEXT,
    ceremony BLOB NOT NULL,
    registry BLOB
);
";

/// The refusal of a database of another schema version. There is nothing
/// to migrate from: a database of an older version is refused, not read.
fn schema_refused(path: &Path, version: i64) -> anyhow::Error {
    anyhow::anyhow!(
        "database {} has schema version {version}; this program reads version {SCHEMA_VERSION} only and does not convert older databases: move the file away and start the auction again with an empty database",
        path.display()
    )
}

/// Why a bid was not stored.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Bidding has closed.
    #[error("bidding is closed (phase {0}); no bid is taken after the close")]
    Closed(&'static str),
    /// Bidding has not opened.
    #[error(
        "bidding opens at {} (in {}); send the bid then",
        auction::time::rfc3339(*.0),
        auction::time::span(.0.saturating_sub(now_unix()))
    )]
    NotOpen(u64),
    /// The version is not newer than the one held.
    #[error("version {got} of bidder {bidder} is not newer than the version {held} already held")]
    Stale {
        /// The bidder.
        bidder: BidderId,
        /// The version sent.
        got: u64,
        /// The newest version held.
        held: u64,
    },
    /// The database failed.
    #[error("storage failed: {0}")]
    Storage(String),
}

/// One held bid version, without its shares: what the bidder signed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeldBid {
    /// The bidder.
    pub bidder: BidderId,
    /// The version.
    pub version: u64,
    /// The three bundle commitments the bidder signed.
    pub commitments: [Digest; 3],
    /// The bidder's signature.
    pub signature: Sig,
}

enum Op {
    Bid(Box<Submission>, oneshot::Sender<Result<(), Refusal>>),
    Close(&'static str, oneshot::Sender<Result<(), String>>),
    Put(
        Box<CeremonyRecord>,
        Option<Vec<u8>>,
        oneshot::Sender<Result<(), String>>,
    ),
}

/// The store: a writer thread and a read connection.
#[derive(Clone)]
pub struct Store {
    ops: std::sync::mpsc::Sender<Op>,
    read: Arc<Mutex<Connection>>,
    path: PathBuf,
}

/// Opens an existing database file; never creates one (`Store::open`
/// creates it first, with mode 0600: SQLite then gives its `-wal` and `-shm`
/// files the same mode).
fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    Ok(c)
}

fn close_reason(c: &Connection) -> rusqlite::Result<Option<String>> {
    c.query_row("SELECT close_reason FROM auction", [], |r| r.get(0))
}

fn read_record(c: &Connection) -> anyhow::Result<CeremonyRecord> {
    let bytes: Vec<u8> = c.query_row("SELECT ceremony FROM auction", [], |r| r.get(0))?;
    Ok(CeremonyRecord::from_bytes(&bytes).map_err(|e| Damaged(e.to_string()))?)
}

fn write_record(c: &Connection, record: &CeremonyRecord) -> rusqlite::Result<()> {
    c.execute("UPDATE auction SET ceremony = ?1", [record.to_bytes()])?;
    Ok(())
}

/// The phase: the ceremony's, or `closed` while the gate has closed and the
/// life cycle has not yet moved the ceremony on.
fn read_phase(c: &Connection) -> anyhow::Result<Phase> {
    let phase = read_record(c)?.phase();
    Ok(match (phase, close_reason(c)?) {
        (Phase::Collecting, Some(_)) => Phase::Closed,
        (p, _) => p,
    })
}

/// Closes the gate, if it is open.
fn close_gate(c: &Connection, reason: &str) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE auction SET close_reason = ?1 WHERE close_reason IS NULL",
        [reason],
    )?;
    Ok(())
}

/// Opens (or creates) the database at `path` for the auction and node of
/// `ctx`; refuses a database made for another auction file or by another
/// schema.
fn open_checked(path: &Path, ctx: Context) -> anyhow::Result<Connection> {
    let mut c = open_conn(path)?;
    let version: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == 0 {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.execute(
            "INSERT INTO auction (one, hash, ceremony) VALUES (1, ?1, ?2)",
            params![
                ctx.auction_hash.to_hex(),
                CeremonyRecord::new(State::start(ctx)).to_bytes()
            ],
        )?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
    } else if version != SCHEMA_VERSION {
        return Err(schema_refused(path, version));
    }
    let held = held_hash(&c)?;
    if held != ctx.auction_hash.to_hex() {
        anyhow::bail!(
            "database {} belongs to the auction file with hash {held}, not to this one ({})",
            path.display(),
            ctx.auction_hash
        );
    }
    let me = read_record(&c)?.state.context().me;
    if me != ctx.me {
        anyhow::bail!(
            "database {} belongs to node {} of this auction, not to node {}",
            path.display(),
            me.index(),
            ctx.me.index()
        );
    }
    Ok(c)
}

fn held_hash(c: &Connection) -> rusqlite::Result<String> {
    c.query_row("SELECT hash FROM auction", [], |r| r.get(0))
}

impl Store {
    /// Opens the store of node `ctx.me` in auction `ctx.auction_hash` and
    /// starts its writer thread. `window` is the auction's `[open, close)`
    /// in Unix seconds.
    pub fn open(path: &Path, ctx: Context, window: (u64, u64)) -> anyhow::Result<Store> {
        crate::perms::create_private_file(path)?;
        let write = open_checked(path, ctx)?;
        let read = open_conn(path)?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer(write, rx, window))?;
        Ok(Store {
            ops: tx,
            read: Arc::new(Mutex::new(read)),
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing database for reading only, beside a running node
    /// or without one (the operator's `status` command). It has no writer:
    /// every write fails.
    pub fn open_read_only(path: &Path) -> anyhow::Result<Store> {
        if !path.is_file() {
            anyhow::bail!(
                "no database at {}: the node has not run yet (start it with `clearing-node run`)",
                path.display()
            );
        }
        let c = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("opening the database {} to read", path.display()))?;
        c.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version != SCHEMA_VERSION {
            return Err(schema_refused(path, version));
        }
        let (ops, _) = std::sync::mpsc::channel();
        Ok(Store {
            ops,
            read: Arc::new(Mutex::new(c)),
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores a verified submission; returns once it is on disk.
    pub async fn put_bid(&self, sub: Submission) -> Result<(), Refusal> {
        let (tx, rx) = oneshot::channel();
        self.ops
            .send(Op::Bid(Box::new(sub), tx))
            .map_err(|_| Refusal::Storage("writer stopped".into()))?;
        rx.await
            .map_err(|_| Refusal::Storage("writer stopped".into()))?
    }

    /// Closes the gate (if it is open): no bid is stored after this
    /// returns.
    pub async fn close(&self, reason: &'static str) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.ops
            .send(Op::Close(reason, tx))
            .map_err(|_| "writer stopped".to_string())?;
        rx.await.map_err(|_| "writer stopped".to_string())?
    }

    /// Stores the ceremony's record, and with it the bidder registry when
    /// it is frozen (`crate::registry::to_stored`, as JSON); returns once
    /// both are on disk.
    pub async fn put_ceremony(
        &self,
        record: CeremonyRecord,
        registry: Option<Vec<u8>>,
    ) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.ops
            .send(Op::Put(Box::new(record), registry, tx))
            .map_err(|_| "writer stopped".to_string())?;
        rx.await.map_err(|_| "writer stopped".to_string())?
    }

    fn with_read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> anyhow::Result<T> {
        let c = self
            .read
            .lock()
            .map_err(|_| anyhow::anyhow!("read connection poisoned"))?;
        Ok(f(&c)?)
    }

    fn with_read_any<T>(
        &self,
        f: impl FnOnce(&Connection) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let c = self
            .read
            .lock()
            .map_err(|_| anyhow::anyhow!("read connection poisoned"))?;
        f(&c)
    }

    /// The current phase (`closed` as soon as the gate has closed).
    pub fn phase(&self) -> anyhow::Result<Phase> {
        self.with_read_any(read_phase)
    }

    /// The ceremony's record as stored.
    pub fn ceremony(&self) -> anyhow::Result<CeremonyRecord> {
        self.with_read_any(read_record)
    }

    /// Why bidding closed, once it has.
    pub fn close_reason(&self) -> anyhow::Result<Option<String>> {
        self.with_read(close_reason)
    }

    /// The hash of the auction file the database belongs to.
    pub fn auction_hash(&self) -> anyhow::Result<String> {
        self.with_read(held_hash)
    }

    /// The bidder registry frozen when the bid lists were compared.
    pub fn registry(&self) -> anyhow::Result<Option<Vec<u8>>> {
        self.with_read(|c| c.query_row("SELECT registry FROM auction", [], |r| r.get(0)))
    }

    /// Number of bidders with a bid, and of versions held.
    pub fn counts(&self) -> anyhow::Result<(u64, u64)> {
        self.with_read(|c| {
            c.query_row(
                "SELECT COUNT(DISTINCT bidder), COUNT(*) FROM bids",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }

    /// Every held version, by bidder then version.
    pub fn held(&self) -> anyhow::Result<Vec<HeldBid>> {
        self.with_read(|c| {
            let mut st = c.prepare(
                "SELECT bidder, version, c0, c1, c2, signature FROM bids ORDER BY bidder, version",
            )?;
            let rows = st.query_map([], |r| {
                let d = |i: usize| -> rusqlite::Result<Digest> {
                    let b: Vec<u8> = r.get(i)?;
                    Ok(Digest(b.try_into().unwrap_or([0; 32])))
                };
                let sig: Vec<u8> = r.get(5)?;
                let sig: [u8; 64] = sig.try_into().unwrap_or([0; 64]);
                Ok(HeldBid {
                    bidder: BidderId(r.get(0)?),
                    version: r.get::<_, i64>(1)? as u64,
                    commitments: [d(2)?, d(3)?, d(4)?],
                    signature: Sig(ed25519_dalek::Signature::from_bytes(&sig)),
                })
            })?;
            rows.collect()
        })
    }

    /// The newest version held for a bidder.
    pub fn newest_version(&self, bidder: &BidderId) -> anyhow::Result<Option<u64>> {
        self.with_read(|c| {
            c.query_row(
                "SELECT MAX(version) FROM bids WHERE bidder = ?1",
                [&bidder.0],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map(|v| v.map(|v| v as u64))
        })
    }

    /// This node's share components and salt of one bid version.
    pub fn bundle(&self, bidder: &BidderId, version: u64) -> anyhow::Result<ShareBundle> {
        self.with_read(|c| {
            c.query_row(
                "SELECT own, next, salt FROM bids WHERE bidder = ?1 AND version = ?2",
                params![bidder.0, version as i64],
                |r| {
                    let own: Vec<u8> = r.get(0)?;
                    let next: Vec<u8> = r.get(1)?;
                    let salt: Vec<u8> = r.get(2)?;
                    Ok(ShareBundle {
                        own: from_blob(&own),
                        next: from_blob(&next),
                        salt: Salt(salt.try_into().unwrap_or([0; 32])),
                    })
                },
            )
        })
    }
}

fn from_blob(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

/// Ends bidding from another process (the operator's `close` command): the
/// running node's writer reads the gate inside every bid transaction, so no
/// bid is acknowledged after this commits.
pub fn close_from_outside(path: &Path) -> anyhow::Result<Phase> {
    let mut c = open_conn(path)?;
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    close_gate(&tx, "operator")?;
    tx.commit()?;
    read_phase(&c)
}

/// Lifts a halt from another process (the operator's `resume` command):
/// an aborted ceremony goes back to the state it stopped at. Returns the
/// abort lifted, if the ceremony had aborted.
pub fn resume_from_outside(path: &Path) -> anyhow::Result<Option<Aborted>> {
    let mut c = open_conn(path)?;
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let record = read_record(&tx)?;
    let State::Aborted(aborted) = record.state else {
        return Ok(None);
    };
    write_record(&tx, &CeremonyRecord::new(aborted.clone().resume()))?;
    tx.commit()?;
    Ok(Some(aborted))
}

fn writer(mut c: Connection, rx: std::sync::mpsc::Receiver<Op>, window: (u64, u64)) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut bids = Vec::new();
        for op in batch {
            match op {
                Op::Bid(s, reply) => bids.push((s, reply)),
                Op::Close(reason, reply) => {
                    let r = close_tx(&mut c, reason).map_err(|e| e.to_string());
                    let _ = reply.send(r);
                }
                Op::Put(record, registry, reply) => {
                    let r = put_tx(&mut c, &record, registry.as_deref()).map_err(|e| e.to_string());
                    let _ = reply.send(r);
                }
            }
        }
        if !bids.is_empty() {
            write_bids(&mut c, bids, window);
        }
    }
}

fn close_tx(c: &mut Connection, reason: &str) -> rusqlite::Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    close_gate(&tx, reason)?;
    tx.commit()
}

fn put_tx(
    c: &mut Connection,
    record: &CeremonyRecord,
    registry: Option<&[u8]>,
) -> rusqlite::Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    write_record(&tx, record)?;
    if let Some(r) = registry {
        tx.execute("UPDATE auction SET registry = ?1", [r])?;
    }
    tx.commit()
}

type BidOp = (Box<Submission>, oneshot::Sender<Result<(), Refusal>>);

fn write_bids(c: &mut Connection, bids: Vec<BidOp>, (open, close): (u64, u64)) {
    let result = (|| -> rusqlite::Result<Vec<Result<(), Refusal>>> {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_unix();
        if now >= close {
            close_gate(&tx, "close time")?;
        }
        // The gate, read inside the transaction that stores the bids.
        let closed = close_reason(&tx)?.is_some();
        let phase = if closed {
            read_phase(&tx).map(|p| p.name()).unwrap_or("closed")
        } else {
            Phase::Collecting.name()
        };
        let mut out = Vec::with_capacity(bids.len());
        {
            let mut newest =
                tx.prepare_cached("SELECT MAX(version) FROM bids WHERE bidder = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO bids (bidder, version, c0, c1, c2, signature, own, next, salt, received_unix)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for (s, _) in &bids {
                if closed {
                    out.push(Err(Refusal::Closed(phase)));
                    continue;
                }
                if now < open {
                    out.push(Err(Refusal::NotOpen(open)));
                    continue;
                }
                let held: Option<i64> = newest.query_row([&s.bidder.0], |r| r.get(0))?;
                if let Some(h) = held
                    && s.version.0 <= h as u64
                {
                    out.push(Err(Refusal::Stale {
                        bidder: s.bidder.clone(),
                        got: s.version.0,
                        held: h as u64,
                    }));
                    continue;
                }
                insert.execute(params![
                    s.bidder.0,
                    s.version.0 as i64,
                    &s.commitments[0].0[..],
                    &s.commitments[1].0[..],
                    &s.commitments[2].0[..],
                    &s.signature.0.to_bytes()[..],
                    auction::wire::component_bytes(&s.bundle.own),
                    auction::wire::component_bytes(&s.bundle.next),
                    &s.bundle.salt.0[..],
                    now as i64,
                ])?;
                out.push(Ok(()));
            }
        }
        tx.commit()?;
        Ok(out)
    })();
    match result {
        Ok(out) => {
            for ((_, reply), r) in bids.into_iter().zip(out) {
                let _ = reply.send(r);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "storing a group of bids failed; none acknowledged");
            for (_, reply) in bids {
                let _ = reply.send(Err(Refusal::Storage(e.to_string())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auction::AuctionParams;
    use ed25519_dalek::SigningKey;
    use rand::SeedableRng;

    fn sub(version: u64) -> Submission {
        let params = AuctionParams {
            id: "a".into(),
            max_price: 100,
            max_quantity: 100,
            max_orders_per_side: 1,
        };
        let bid = auction::Bid {
            bidder: BidderId("b".into()),
            buy: vec![],
            sell: vec![],
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(version);
        let [s, _, _] = auction::wire::prepare_submissions(
            &params,
            &bid,
            auction::wire::Version(version),
            &SigningKey::from_bytes(&[1; 32]),
            &mut rng,
        )
        .unwrap();
        s
    }

    #[tokio::test]
    async fn versions_replace_and_close_stops_bids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.db");
        let ctx = |h: u8| Context {
            me: shares::PartyId::new(1).unwrap(),
            auction_hash: Digest([h; 32]),
        };
        let store = Store::open(&path, ctx(3), (0, u64::MAX)).unwrap();
        assert_eq!(store.phase().unwrap(), Phase::Collecting);
        store.put_bid(sub(2)).await.unwrap();
        assert!(matches!(
            store.put_bid(sub(2)).await,
            Err(Refusal::Stale { held: 2, .. })
        ));
        assert!(matches!(
            store.put_bid(sub(1)).await,
            Err(Refusal::Stale { .. })
        ));
        store.put_bid(sub(5)).await.unwrap();
        assert_eq!(
            store.newest_version(&BidderId("b".into())).unwrap(),
            Some(5)
        );
        assert_eq!(
            store.bundle(&BidderId("b".into()), 5).unwrap(),
            sub(5).bundle
        );
        assert_eq!(close_from_outside(&path).unwrap(), Phase::Closed);
        assert!(matches!(
            store.put_bid(sub(6)).await,
            Err(Refusal::Closed("closed"))
        ));
        assert_eq!(store.counts().unwrap(), (1, 2));
        assert_eq!(store.close_reason().unwrap().as_deref(), Some("operator"));
        // The ceremony has not moved yet; the gate alone makes it closed.
        assert_eq!(store.ceremony().unwrap().phase(), Phase::Collecting);
        assert_eq!(store.phase().unwrap(), Phase::Closed);
        drop(store);
        let other_node = Context {
            me: shares::PartyId::new(2).unwrap(),
            ..ctx(3)
        };
        assert!(
            Store::open(&path, other_node, (0, u64::MAX))
                .err()
                .expect("another node's database is refused")
                .to_string()
                .contains("belongs to node 1")
        );
        assert!(
            Store::open(&path, ctx(4), (0, u64::MAX))
                .err()
                .expect("a database of another auction is refused")
                .to_string()
                .contains("belongs to")
        );
    }

    #[test]
    fn a_database_of_an_older_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB NOT NULL);")
                .unwrap();
            c.pragma_update(None, "user_version", 2).unwrap();
        }
        let ctx = Context {
            me: shares::PartyId::new(0).unwrap(),
            auction_hash: Digest([3; 32]),
        };
        for e in [
            Store::open(&path, ctx, (0, u64::MAX)).err().unwrap(),
            Store::open_read_only(&path).err().unwrap(),
        ] {
            let e = e.to_string();
            assert!(e.contains("schema version 2"), "{e}");
            assert!(e.contains("reads version 3 only"), "{e}");
        }
    }
}
