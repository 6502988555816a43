//! The three parties' identities.

use std::fmt;

/// One of the three parties: 0, 1 or 2. Party `i` holds share components
/// `i` and `i+1` (mod 3).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "u8", into = "u8")]
pub struct PartyId(u8);

impl PartyId {
    /// All three parties in order.
    pub const ALL: [PartyId; 3] = [PartyId(0), PartyId(1), PartyId(2)];

    /// The party with index `i`, or `None` if `i > 2`.
    pub const fn new(i: usize) -> Option<PartyId> {
        if i < 3 { Some(PartyId(i as u8)) } else { None }
    }

    /// The index 0, 1 or 2.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The successor `i+1 mod 3`: the party sharing component `i+1` with us.
    pub const fn next(self) -> PartyId {
        PartyId((self.0 + 1) % 3)
    }

    /// The predecessor `i-1 mod 3`: the party sharing component `i` with us.
    pub const fn prev(self) -> PartyId {
        PartyId((self.0 + 2) % 3)
    }
}

impl TryFrom<u8> for PartyId {
    type Error = String;
    fn try_from(i: u8) -> Result<Self, String> {
        PartyId::new(i as usize).ok_or_else(|| format!("party id {i} is not 0, 1 or 2"))
    }
}

impl From<PartyId> for u8 {
    fn from(p: PartyId) -> u8 {
        p.0
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "party {}", self.0)
    }
}
