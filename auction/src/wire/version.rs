//! A bid's version number.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A bid's version: until the close, a node replaces the bid it holds with
/// a higher version and refuses a version not above it. Versions are below
/// `2^63` (nodes store them as signed 64-bit integers and refuse larger
/// ones); JSON writes the number.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Version(pub u64);

impl Version {
    /// The version a bidder sends first.
    pub const FIRST: Version = Version(1);

    /// The version after this one (the last one, `u64::MAX`, has none
    /// and stays; nodes refuse it anyway).
    pub fn next(self) -> Version {
        Version(self.0.saturating_add(1))
    }

    /// The signed form, `u64be`.
    pub fn to_be_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
