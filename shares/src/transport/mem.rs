//! Three parties connected in memory, for tests on threads.

use super::{Counters, Stats, Tag, Transport, TransportError, frame};
use crate::PartyId;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

/// One party's end of three in-memory connected channels. Frames are the
/// same bytes the network transport sends.
pub struct MemTransport {
    me: PartyId,
    to: [Option<Sender<Vec<u8>>>; 3],
    from: [Option<Receiver<Vec<u8>>>; 3],
    timeout: Duration,
    counters: Counters,
}

impl MemTransport {
    /// Three connected transports, index `i` for party `i`. A receive waits
    /// at most `timeout`.
    pub fn triple(timeout: Duration) -> [MemTransport; 3] {
        let mut ends: Vec<MemTransport> = PartyId::ALL
            .iter()
            .map(|&me| MemTransport {
                me,
                to: [None, None, None],
                from: [None, None, None],
                timeout,
                counters: Counters::default(),
            })
            .collect();
        for a in 0..3 {
            for b in 0..3 {
                if a != b {
                    let (tx, rx) = channel();
                    ends[a].to[b] = Some(tx);
                    ends[b].from[a] = Some(rx);
                }
            }
        }
        let mut it = ends.into_iter();
        [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()]
    }

    /// Sends raw bytes as if they were a frame: for tests of the framing.
    #[doc(hidden)]
    pub fn send_raw(&mut self, to: PartyId, bytes: Vec<u8>) -> Result<(), TransportError> {
        let tx = self.to[to.index()]
            .as_ref()
            .ok_or(TransportError::SelfMessage(to))?;
        tx.send(bytes)
            .map_err(|_| TransportError::Disconnected { peer: to })
    }
}

impl Transport for MemTransport {
    fn me(&self) -> PartyId {
        self.me
    }

    fn send(&mut self, to: PartyId, tag: Tag, payload: &[u8]) -> Result<(), TransportError> {
        let tx = self.to[to.index()]
            .as_ref()
            .ok_or(TransportError::SelfMessage(to))?;
        let seq = self.counters.on_send(to, frame::HEADER + payload.len());
        tx.send(frame::encode(tag, seq, payload))
            .map_err(|_| TransportError::Disconnected { peer: to })
    }

    fn recv(&mut self, from: PartyId, tag: Tag) -> Result<Vec<u8>, TransportError> {
        self.counters.on_wait();
        let rx = self.from[from.index()]
            .as_ref()
            .ok_or(TransportError::SelfMessage(from))?;
        let f = rx.recv_timeout(self.timeout).map_err(|e| match e {
            RecvTimeoutError::Timeout => TransportError::Timeout {
                from,
                tag,
                after: self.timeout,
            },
            RecvTimeoutError::Disconnected => TransportError::Disconnected { peer: from },
        })?;
        self.counters.on_frame(from, tag, f)
    }

    fn stats(&self) -> Stats {
        self.counters.stats
    }
}
