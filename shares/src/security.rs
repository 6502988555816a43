//! How much a party trusts its peers: the protocol variant a session runs.
//!
//! [`Security::SemiHonest`] assumes every party follows the protocol; one
//! that deviates can change results without being noticed.
//! [`Security::Abort`] verifies, before any value is opened, that every
//! message a party sent is the one the protocol prescribes (given the
//! components and keys its two peers hold), and compares each opened
//! component as received from both of its holders; a deviating party is
//! caught and the session stops with [`Error::Cheating`](crate::Error),
//! naming the check and, where the check can tell, the party.

use std::fmt;
use std::str::FromStr;

/// The protocol variant of a session. All three parties must use the same.
/// Written `semi-honest` or `abort` (command lines, configuration files).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Security {
    /// Correct and private while every party follows the protocol.
    SemiHonest,
    /// A single deviating party is detected before any value it could have
    /// changed is opened; the honest parties then stop.
    #[default]
    Abort,
}

impl Security {
    /// The name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Security::SemiHonest => "semi-honest",
            Security::Abort => "abort",
        }
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Security {
    type Err = String;

    fn from_str(s: &str) -> Result<Security, String> {
        match s {
            "semi-honest" => Ok(Security::SemiHonest),
            "abort" => Ok(Security::Abort),
            other => Err(format!(
                "unknown security `{other}`: expected `abort` (verify every step, stop on \
                 cheating) or `semi-honest` (trust the peers, for comparison only)"
            )),
        }
    }
}
