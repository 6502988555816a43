//! Channels between the three parties.
//!
//! [`Transport`] is synchronous and blocking: protocol code knows no runtime.
//! Every message is framed as `tag (u32 LE) | sequence number (u64 LE) |
//! payload length (u64 LE) | payload`; the sequence number counts messages
//! per direction from zero. A receiver states the tag it expects; a different
//! tag, a different sequence number, a frame cut short or no message within
//! the timeout is an error, never a misread value or a hang.
//!
//! [`MemTransport`] connects three parties on threads (tests);
//! [`NetTransport`] runs over any tokio byte stream (TCP, TLS).

#[cfg(feature = "deviations")]
mod deviating;
mod frame;
mod mem;
mod net;

#[cfg(feature = "deviations")]
pub use deviating::{Deviating, Deviation};
pub use mem::MemTransport;
pub use net::NetTransport;

use crate::PartyId;
use std::fmt;
use std::time::Duration;

/// Which protocol step a message belongs to. Receiving a message with a tag
/// other than the expected one is an error.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(pub u32);

impl Tag {
    /// Key agreement at setup.
    pub const SETUP: Tag = Tag(1);
    /// Multiplication / AND resharing.
    pub const MUL: Tag = Tag(2);
    /// Opening to all parties.
    pub const OPEN: Tag = Tag(3);
    /// Opening to one party.
    pub const OPEN_TO: Tag = Tag(4);
    /// Resharing of a value one party computed alone (conversions).
    pub const RESHARE: Tag = Tag(5);
    /// Shuffle hops.
    pub const SHUFFLE: Tag = Tag(6);
    /// Re-randomisation of a sharing.
    pub const RERANDOMIZE: Tag = Tag(7);
    /// Synchronisation points (benchmarks, end of session).
    pub const BARRIER: Tag = Tag(8);
    /// The proofs of the `abort` security level (`Party::verify`).
    pub const VERIFY: Tag = Tag(9);
    /// The end of a computation in abort mode: each party's verdict.
    pub const CONCLUDE: Tag = Tag(10);
    /// First tag free for users of the crate.
    pub const USER: Tag = Tag(1000);

    fn name(self) -> &'static str {
        match self.0 {
            1 => "setup",
            2 => "mul",
            3 => "open",
            4 => "open-to",
            5 => "reshare",
            6 => "shuffle",
            7 => "rerandomize",
            8 => "barrier",
            9 => "verify",
            10 => "conclude",
            _ => "user",
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A channel failure. Carries tags, sizes and party ids, never payload.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The peer sent a message of another protocol step.
    #[error("message from {from}: expected tag {expected}, got {got}")]
    UnexpectedTag {
        /// The sender.
        from: PartyId,
        /// The tag the receiver expected.
        expected: Tag,
        /// The tag the message carried.
        got: Tag,
    },
    /// A message out of order: lost, replayed or duplicated.
    #[error("message from {from} with tag {tag}: expected sequence number {expected}, got {got}")]
    Sequence {
        /// The sender.
        from: PartyId,
        /// The tag.
        tag: Tag,
        /// The next sequence number expected.
        expected: u64,
        /// The one received.
        got: u64,
    },
    /// A frame shorter than its header or its stated length.
    #[error("message from {from}: truncated frame ({got} bytes, {needed} needed)")]
    Truncated {
        /// The sender.
        from: PartyId,
        /// Bytes received.
        got: usize,
        /// Bytes the header announced.
        needed: usize,
    },
    /// A well-formed message of the wrong size for the protocol step.
    #[error("message from {from} with tag {tag}: {got} bytes, expected {expected}")]
    WrongLength {
        /// The sender.
        from: PartyId,
        /// The tag.
        tag: Tag,
        /// The expected payload size in bytes.
        expected: usize,
        /// The received payload size.
        got: usize,
    },
    /// No message arrived in time.
    #[error("no message from {from} with tag {tag} within {after:?}")]
    Timeout {
        /// The silent peer.
        from: PartyId,
        /// The tag awaited.
        tag: Tag,
        /// The timeout.
        after: Duration,
    },
    /// The channel to a peer is closed.
    #[error("channel to {peer} closed")]
    Disconnected {
        /// The peer.
        peer: PartyId,
    },
    /// Sending to or receiving from oneself.
    #[error("{0} is this party itself")]
    SelfMessage(PartyId),
    /// An I/O error of the underlying stream.
    #[error("i/o with {peer}: {message}")]
    Io {
        /// The peer.
        peer: PartyId,
        /// The error's description.
        message: String,
    },
}

/// Counters of one party's traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// Bytes sent, frame headers included.
    pub bytes_sent: u64,
    /// Bytes received, frame headers included.
    pub bytes_received: u64,
    /// Messages sent.
    pub messages_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Communication rounds: the number of times this party waited for a
    /// message after having sent one since its previous wait.
    pub rounds: u64,
}

impl std::ops::Sub for Stats {
    type Output = Stats;
    fn sub(self, o: Stats) -> Stats {
        Stats {
            bytes_sent: self.bytes_sent - o.bytes_sent,
            bytes_received: self.bytes_received - o.bytes_received,
            messages_sent: self.messages_sent - o.messages_sent,
            messages_received: self.messages_received - o.messages_received,
            rounds: self.rounds - o.rounds,
        }
    }
}

/// A blocking, framed channel from one party to the other two.
pub trait Transport: Send {
    /// This party.
    fn me(&self) -> PartyId;
    /// Sends `payload` to `to` under `tag`. Never blocks on the peer reading.
    fn send(&mut self, to: PartyId, tag: Tag, payload: &[u8]) -> Result<(), TransportError>;
    /// [`Transport::send`] of a payload the caller is done with: a
    /// transport may queue it as it is rather than copy it (for messages of
    /// hundreds of MiB, a copy is a noticeable share of the time).
    fn send_owned(
        &mut self,
        to: PartyId,
        tag: Tag,
        payload: Vec<u8>,
    ) -> Result<(), TransportError> {
        self.send(to, tag, &payload)
    }
    /// Receives the next message from `from`, which must carry `tag`.
    fn recv(&mut self, from: PartyId, tag: Tag) -> Result<Vec<u8>, TransportError>;
    /// Traffic so far.
    fn stats(&self) -> Stats;
}

/// Sequence numbers and counters shared by the implementations.
#[derive(Default)]
pub(crate) struct Counters {
    seq_out: [u64; 3],
    seq_in: [u64; 3],
    stats: Stats,
    sent_since_recv: bool,
}

impl Counters {
    /// Next outgoing sequence number to `to`; counts the frame.
    fn on_send(&mut self, to: PartyId, frame_len: usize) -> u64 {
        let s = self.seq_out[to.index()];
        self.seq_out[to.index()] += 1;
        self.stats.bytes_sent += frame_len as u64;
        self.stats.messages_sent += 1;
        self.sent_since_recv = true;
        s
    }

    /// Call before waiting for a message: counts rounds.
    fn on_wait(&mut self) {
        if self.sent_since_recv {
            self.stats.rounds += 1;
            self.sent_since_recv = false;
        }
    }

    /// Checks a frame received as header and payload and returns the
    /// payload.
    fn on_parts(
        &mut self,
        from: PartyId,
        tag: Tag,
        head: &[u8; frame::HEADER],
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, TransportError> {
        self.stats.bytes_received += (frame::HEADER + payload.len()) as u64;
        self.stats.messages_received += 1;
        let expected = self.seq_in[from.index()];
        let payload = frame::decode_parts(from, tag, expected, head, payload)?;
        self.seq_in[from.index()] += 1;
        Ok(payload)
    }

    /// Checks a received frame and returns its payload.
    fn on_frame(
        &mut self,
        from: PartyId,
        tag: Tag,
        frame: Vec<u8>,
    ) -> Result<Vec<u8>, TransportError> {
        self.stats.bytes_received += frame.len() as u64;
        self.stats.messages_received += 1;
        let expected = self.seq_in[from.index()];
        let payload = frame::decode(from, tag, expected, frame)?;
        self.seq_in[from.index()] += 1;
        Ok(payload)
    }
}
