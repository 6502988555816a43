//! Failures that will not go away. A step of the life cycle fails either
//! for a while (a peer down, a timeout, a broken link, a busy disk: retried
//! with backoff) or for good: a record or share bundle in the database that
//! is missing or unreadable, nodes that stored different bid sets or
//! outcomes, a clearing that fails on its inputs. Retrying those only
//! repeats them, so the node aborts its ceremony
//! (`auction::ceremony::Aborted`, stored like every other state), logs it
//! once, shows it in the status, and stops driving the auction, also after
//! a restart, until the operator has repaired the cause and run
//! `clearing-node resume`, which returns the ceremony to where it stopped.

use auction::ceremony::Aborted;
use serde::{Deserialize, Serialize};

/// Why a step did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try: a peer unreachable, a timeout, a broken link, a
    /// busy or failing disk.
    Transient(String),
    /// Fails the same way on every try: the node halts.
    Permanent(String),
    /// The clearing's verification caught a peer deviating from the
    /// protocol (security with abort): the node halts without signing,
    /// recording the check and the peer.
    Cheating {
        /// The check that failed.
        check: String,
        /// The node it points at, when it can tell.
        peer: Option<shares::PartyId>,
        /// The description.
        message: String,
    },
}

impl Failure {
    /// The description.
    pub fn message(&self) -> &str {
        match self {
            Failure::Transient(m) | Failure::Permanent(m) => m,
            Failure::Cheating { message, .. } => message,
        }
    }

    /// Whether retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, Failure::Transient(_))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Failure {}

/// Errors given as text are taken as transient (a retry is the old
/// behaviour, and never wrong, only slow).
impl From<String> for Failure {
    fn from(m: String) -> Failure {
        Failure::Transient(m)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        classify(&e)
    }
}

/// A stored record or share bundle that is missing, unreadable or of the
/// wrong shape.
#[derive(Debug, thiserror::Error)]
#[error("{0}: the database is damaged")]
pub struct Damaged(pub String);

/// A halted node, as the status shows it: where and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Halt {
    /// The phase the node stopped at.
    pub phase: String,
    /// The failure.
    pub reason: String,
}

impl Halt {
    /// The halt of an aborted ceremony.
    pub fn of(a: &Aborted) -> Halt {
        Halt {
            phase: a.step().name().to_string(),
            reason: a.reason().to_string(),
        }
    }

    /// The status's `problem` text of a halted node.
    pub fn problem(&self) -> String {
        format!(
            "halted at phase {}: {}. This node will not retry: its operator must repair the cause, run `clearing-node resume --config <node.toml>` and restart it",
            self.phase, self.reason
        )
    }
}

/// Classifies an error of the store, of a stored record or of the wire
/// formats: damaged or unreadable data and deterministic format errors are
/// permanent; the rest (a busy or failing disk, a stopped writer) transient.
pub fn classify(e: &anyhow::Error) -> Failure {
    let message = format!("{e:#}");
    let permanent = e.chain().any(|c| {
        c.is::<Damaged>()
            || c.is::<serde_json::Error>()
            || c.is::<auction::wire::WireError>()
            || c.downcast_ref::<rusqlite::Error>()
                .is_some_and(db_permanent)
    });
    if permanent {
        Failure::Permanent(message)
    } else {
        Failure::Transient(message)
    }
}

/// Whether a database error repeats on every try: a row or value that is
/// missing or of the wrong type, a damaged file. Busy, locked, full or I/O
/// errors may pass.
fn db_permanent(e: &rusqlite::Error) -> bool {
    use rusqlite::Error as E;
    use rusqlite::ErrorCode as C;
    match e {
        E::QueryReturnedNoRows
        | E::InvalidColumnType(..)
        | E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..)
        | E::Utf8Error(..)
        | E::InvalidColumnIndex(..)
        | E::InvalidColumnName(..) => true,
        E::SqliteFailure(f, _) => matches!(f.code, C::DatabaseCorrupt | C::NotADatabase),
        _ => false,
    }
}

/// Classifies a failed clearing program: a broken or timed-out link is
/// transient; everything else the program reports (shares of the wrong
/// shape or count, a market too large, inconsistent shares) comes from its
/// inputs, which are fixed, so it is permanent.
pub fn classify_clearing(e: &auction::mpc::ClearingError) -> Failure {
    match e {
        auction::mpc::ClearingError::Engine(engine) => classify_engine(engine),
        _ => Failure::Permanent(format!("the clearing fails on this node's inputs: {e}")),
    }
}

/// Classifies an engine error (setting up the three-party engine, or inside
/// the clearing): transport failures are transient, the rest permanent.
pub fn classify_engine(e: &shares::Error) -> Failure {
    match e {
        shares::Error::Transport(_) => Failure::Transient(format!("clearing link: {e}")),
        shares::Error::Cheating { check, peer } => Failure::Cheating {
            check: check.to_string(),
            peer: *peer,
            message: format!("three-party engine: {e}"),
        },
        _ => Failure::Permanent(format!(
            "the clearing fails on this node's inputs: three-party engine: {e}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auction::BidderId;
    use auction::mpc::ClearingError;

    #[test]
    fn permanent_and_transient() {
        let shape = ClearingError::Shape {
            bidder: BidderId("b".into()),
            component: "own",
            got: 3,
            expected: 8,
            k: 2,
        };
        assert!(classify_clearing(&shape).is_permanent());
        assert!(
            classify_clearing(&ClearingError::Count {
                bidders: 2,
                shares: 1
            })
            .is_permanent()
        );
        let inconsistent = ClearingError::Inconsistent {
            what: "volume",
            value: 9,
            limit: 1,
        };
        assert!(classify_clearing(&inconsistent).is_permanent());
        let timeout = shares::Error::Transport(shares::TransportError::Truncated {
            from: shares::PartyId::new(1).unwrap(),
            got: 0,
            needed: 8,
        });
        assert!(!classify_clearing(&ClearingError::Engine(timeout)).is_permanent());

        let no_row = anyhow::Error::new(rusqlite::Error::QueryReturnedNoRows).context("reading");
        assert!(classify(&no_row).is_permanent());
        let text = rusqlite::Error::InvalidColumnType(0, "own".into(), rusqlite::types::Type::Text);
        assert!(classify(&anyhow::Error::new(text)).is_permanent());
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(!classify(&anyhow::Error::new(busy)).is_permanent());
        let corrupt = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            None,
        );
        assert!(classify(&anyhow::Error::new(corrupt)).is_permanent());
        let missing = anyhow::Error::new(Damaged("record agreed is missing".into()));
        let f = classify(&missing);
        assert!(f.is_permanent());
        assert_eq!(
            f.message(),
            "record agreed is missing: the database is damaged"
        );
        assert!(!classify(&anyhow::anyhow!("writer stopped")).is_permanent());
        assert!(!Failure::from("peer down".to_string()).is_permanent());
    }
}
