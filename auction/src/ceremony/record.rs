//! The one record a node stores after every transition: a format version
//! and the state. JSON; a record of a version this code does not know is
//! refused, not guessed at.

use super::{Phase, State};
use serde::{Deserialize, Serialize};

/// The record format this code writes and reads.
pub const RECORD_VERSION: u32 = 1;

/// The ceremony at one node, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyRecord {
    /// [`RECORD_VERSION`].
    pub version: u32,
    /// Where the ceremony stands.
    pub state: State,
}

/// A stored record that cannot be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Written by another version of the program.
    #[error(
        "the ceremony record has format version {0}; this program reads version {RECORD_VERSION}"
    )]
    Version(u32),
    /// Not a record.
    #[error("the ceremony record does not parse: {0}")]
    Parse(String),
}

#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

impl CeremonyRecord {
    /// The record of `state`, in the current format.
    pub fn new(state: State) -> CeremonyRecord {
        CeremonyRecord {
            version: RECORD_VERSION,
            state,
        }
    }

    /// Where the ceremony stands.
    pub fn phase(&self) -> Phase {
        self.state.phase()
    }

    /// The stored form.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a record always serializes")
    }

    /// Reads a stored record; the version is checked before anything else.
    pub fn from_bytes(bytes: &[u8]) -> Result<CeremonyRecord, RecordError> {
        let v: VersionOnly =
            serde_json::from_slice(bytes).map_err(|e| RecordError::Parse(e.to_string()))?;
        if v.version != RECORD_VERSION {
            return Err(RecordError::Version(v.version));
        }
        serde_json::from_slice(bytes).map_err(|e| RecordError::Parse(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceremony::Context;
    use crate::wire::Digest;
    use shares::PartyId;

    fn start() -> CeremonyRecord {
        CeremonyRecord::new(State::start(Context {
            me: PartyId::new(2).unwrap(),
            auction_hash: Digest([1; 32]),
        }))
    }

    #[test]
    fn round_trips() {
        let r = start();
        let back = CeremonyRecord::from_bytes(&r.to_bytes()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.phase(), Phase::Collecting);
        let json: serde_json::Value = serde_json::from_slice(&r.to_bytes()).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["state"]["collecting"]["ctx"]["me"], 2);
    }

    #[test]
    fn unknown_versions_and_garbage_are_refused() {
        let mut json: serde_json::Value = serde_json::from_slice(&start().to_bytes()).unwrap();
        json["version"] = 2.into();
        let e = CeremonyRecord::from_bytes(&serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert_eq!(e, RecordError::Version(2));
        assert_eq!(
            e.to_string(),
            "the ceremony record has format version 2; this program reads version 1"
        );
        // The version is read first, whatever else the record holds.
        json["state"] = serde_json::json!({"sorting": {}});
        assert_eq!(
            CeremonyRecord::from_bytes(&serde_json::to_vec(&json).unwrap()),
            Err(RecordError::Version(2))
        );
        json["version"] = 1.into();
        assert!(matches!(
            CeremonyRecord::from_bytes(&serde_json::to_vec(&json).unwrap()),
            Err(RecordError::Parse(_))
        ));
        assert!(matches!(
            CeremonyRecord::from_bytes(b"phase=closed"),
            Err(RecordError::Parse(_))
        ));
        // A node index beyond 2 is not a node.
        let mut bad: serde_json::Value = serde_json::from_slice(&start().to_bytes()).unwrap();
        bad["state"]["collecting"]["ctx"]["me"] = 3.into();
        let e = CeremonyRecord::from_bytes(&serde_json::to_vec(&bad).unwrap()).unwrap_err();
        assert!(e.to_string().contains("party id 3 is not 0, 1 or 2"), "{e}");
    }
}
