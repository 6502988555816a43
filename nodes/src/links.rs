//! The slot where an auction's incoming clearing link from the predecessor
//! waits for the clearing: the peer listener puts links in, the clearing
//! takes them out. Each link carries the id of the clearing attempt it
//! belongs to (`crate::clearing`).

use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Notify};
use tokio_rustls::TlsStream;

/// A peer link after its hello.
pub type Stream = TlsStream<TcpStream>;

/// The newest incoming clearing link from the predecessor, with the id of
/// the attempt it belongs to.
#[derive(Default)]
pub struct Links {
    slot: Mutex<Option<(u64, Stream)>>,
    arrived: Notify,
}

impl Links {
    /// Keeps an accepted link for the clearing (replacing an older one).
    pub async fn hand_over(&self, attempt: u64, stream: Stream) {
        *self.slot.lock().await = Some((attempt, stream));
        self.arrived.notify_one();
    }

    /// Waits up to `wait` for a link of attempt `want`, or of any attempt
    /// when `want` is `None`. Links of other attempts are dropped.
    pub async fn take(&self, want: Option<u64>, wait: Duration) -> Option<(u64, Stream)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some((id, s)) = self.slot.lock().await.take() {
                if want.is_none_or(|w| w == id) {
                    return Some((id, s));
                }
                continue;
            }
            if tokio::time::timeout_at(deadline, self.arrived.notified())
                .await
                .is_err()
            {
                return None;
            }
        }
    }
}
