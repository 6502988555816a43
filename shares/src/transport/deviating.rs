//! A transport that corrupts one outgoing message: the deviating party of
//! the `abort` tests. Compiled only with the `deviations` feature, which
//! only test builds enable.

use super::{Stats, Tag, Transport, TransportError};
use crate::PartyId;
use std::fmt;
use std::str::FromStr;

/// Which outgoing message to corrupt and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deviation {
    /// Only messages with this tag count (`None`: every tag).
    pub tag: Option<Tag>,
    /// Only messages to this party count (`None`: either peer).
    pub to: Option<PartyId>,
    /// Corrupt the message with this index (from 0) among those that count.
    /// Empty messages never count.
    pub nth: usize,
    /// The byte to change, taken modulo the payload length.
    pub at: usize,
    /// XORed into that byte; never 0.
    pub xor: u8,
}

impl Deviation {
    /// A deviation that never fires: no message carries tag 0. For the
    /// honest parties of a test that has one deviate.
    pub const NONE: Deviation = Deviation {
        tag: Some(Tag(0)),
        to: None,
        nth: 0,
        at: 0,
        xor: 1,
    };
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = self.tag.map_or("any".to_string(), |t| t.0.to_string());
        let to = self.to.map_or("any".to_string(), |p| p.index().to_string());
        write!(
            f,
            "tag={tag},to={to},nth={},at={},xor={}",
            self.nth, self.at, self.xor
        )
    }
}

impl FromStr for Deviation {
    type Err = String;

    /// `tag=2,to=1,nth=3,at=5,xor=1`; every key optional (tag and to
    /// default to `any`, nth and at to 0, xor to 1).
    fn from_str(s: &str) -> Result<Deviation, String> {
        let mut d = Deviation {
            tag: None,
            to: None,
            nth: 0,
            at: 0,
            xor: 1,
        };
        for part in s.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("deviation `{part}`: expected key=value"))?;
            let num = |v: &str| {
                v.parse::<usize>()
                    .map_err(|_| format!("deviation `{part}`: `{v}` is not a number"))
            };
            match k {
                "tag" if v == "any" => d.tag = None,
                "tag" => d.tag = Some(Tag(num(v)? as u32)),
                "to" if v == "any" => d.to = None,
                "to" => {
                    d.to = Some(
                        PartyId::new(num(v)?)
                            .ok_or_else(|| format!("deviation `{part}`: no party {v}"))?,
                    )
                }
                "nth" => d.nth = num(v)?,
                "at" => d.at = num(v)?,
                "xor" => {
                    d.xor = u8::try_from(num(v)?)
                        .ok()
                        .filter(|x| *x != 0)
                        .ok_or_else(|| format!("deviation `{part}`: xor must be 1 to 255"))?
                }
                _ => return Err(format!("deviation `{part}`: unknown key `{k}`")),
            }
        }
        Ok(d)
    }
}

/// Wraps a transport and corrupts the one message a [`Deviation`] names;
/// everything else passes through unchanged.
pub struct Deviating<T> {
    inner: T,
    deviation: Deviation,
    counted: usize,
    corrupted: bool,
}

impl<T: Transport> Deviating<T> {
    /// `inner`, deviating as `deviation` says.
    pub fn new(inner: T, deviation: Deviation) -> Deviating<T> {
        Deviating {
            inner,
            deviation,
            counted: 0,
            corrupted: false,
        }
    }

    /// Whether the corrupted message has been sent.
    pub fn corrupted(&self) -> bool {
        self.corrupted
    }

    /// The wrapped transport.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: Transport> Transport for Deviating<T> {
    fn me(&self) -> PartyId {
        self.inner.me()
    }

    fn send(&mut self, to: PartyId, tag: Tag, payload: &[u8]) -> Result<(), TransportError> {
        let d = self.deviation;
        let counts =
            !payload.is_empty() && d.tag.is_none_or(|t| t == tag) && d.to.is_none_or(|p| p == to);
        if counts {
            let n = self.counted;
            self.counted += 1;
            if n == d.nth {
                let mut bad = payload.to_vec();
                let at = d.at % bad.len();
                bad[at] ^= d.xor;
                self.corrupted = true;
                return self.inner.send(to, tag, &bad);
            }
        }
        self.inner.send(to, tag, payload)
    }

    fn recv(&mut self, from: PartyId, tag: Tag) -> Result<Vec<u8>, TransportError> {
        self.inner.recv(from, tag)
    }

    fn stats(&self) -> Stats {
        self.inner.stats()
    }
}
