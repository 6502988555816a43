//! The network transport: framed messages over any tokio byte stream (plain
//! TCP for benchmarks and simulations, mutual TLS between real nodes).
//!
//! Protocol code is blocking and runs on its own thread; per peer, one tokio
//! task writes queued frames and one reads frames into a queue the protocol
//! thread waits on with a timeout. Sending never waits for the peer, so two
//! parties sending large messages to each other cannot deadlock.

use super::{Counters, Stats, Tag, Transport, TransportError, frame};
use crate::PartyId;
use std::net::SocketAddr;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::runtime::Handle;
use tokio::sync::mpsc as tokio_mpsc;
use tokio::task::JoinHandle;

struct Link {
    tx: Option<tokio_mpsc::UnboundedSender<Outgoing>>,
    rx: std_mpsc::Receiver<Result<Incoming, TransportError>>,
    writer: Option<JoinHandle<std::io::Result<()>>>,
}

/// A frame on its way out: whole, or (a large payload, queued as the
/// protocol handed it over) its header and its payload.
enum Outgoing {
    Whole(Vec<u8>),
    Parts([u8; frame::HEADER], Vec<u8>),
}

/// A frame read: its header and its payload, each read into memory of its
/// own so that the payload need not be moved past the header.
type Incoming = ([u8; frame::HEADER], Vec<u8>);

/// Payloads from this size on are queued without copying them behind
/// their header; smaller ones are copied into one buffer, one write.
const OWNED_FROM: usize = 1 << 16;

/// One party's channels to the other two over byte streams.
pub struct NetTransport {
    me: PartyId,
    links: [Option<Link>; 3],
    timeout: Duration,
    counters: Counters,
    handle: Handle,
}

fn io_err(peer: PartyId, e: std::io::Error) -> TransportError {
    TransportError::Io {
        peer,
        message: e.to_string(),
    }
}

async fn read_frames<R: AsyncRead + Unpin>(
    peer: PartyId,
    mut r: R,
    out: std_mpsc::Sender<Result<Incoming, TransportError>>,
) {
    loop {
        let mut header = [0u8; frame::HEADER];
        let mut got = 0;
        while got < frame::HEADER {
            match r.read(&mut header[got..]).await {
                Ok(0) => {
                    let e = if got == 0 {
                        TransportError::Disconnected { peer }
                    } else {
                        TransportError::Truncated {
                            from: peer,
                            got,
                            needed: frame::HEADER,
                        }
                    };
                    let _ = out.send(Err(e));
                    return;
                }
                Ok(k) => got += k,
                Err(e) => {
                    let _ = out.send(Err(io_err(peer, e)));
                    return;
                }
            }
        }
        let len = frame::payload_len(&header);
        if len > frame::MAX_PAYLOAD {
            let _ = out.send(Err(TransportError::Io {
                peer,
                message: format!("frame announces {len} bytes, more than the limit"),
            }));
            return;
        }
        // Read into spare capacity, without zeroing it first, and through
        // a limit of the payload's length: never a byte of the next frame.
        let len = len as usize;
        let mut payload = Vec::with_capacity(len);
        let mut limited = (&mut r).take(len as u64);
        while payload.len() < len {
            match limited.read_buf(&mut payload).await {
                Ok(0) => {
                    let _ = out.send(Err(TransportError::Truncated {
                        from: peer,
                        got: frame::HEADER + payload.len(),
                        needed: frame::HEADER + len,
                    }));
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = out.send(Err(io_err(peer, e)));
                    return;
                }
            }
        }
        if out.send(Ok((header, payload))).is_err() {
            return;
        }
    }
}

async fn write_frames<W: AsyncWrite + Unpin>(
    mut w: W,
    mut rx: tokio_mpsc::UnboundedReceiver<Outgoing>,
) -> std::io::Result<()> {
    while let Some(f) = rx.recv().await {
        match f {
            Outgoing::Whole(f) => w.write_all(&f).await?,
            Outgoing::Parts(head, payload) => {
                w.write_all(&head).await?;
                w.write_all(&payload).await?;
            }
        }
        if rx.is_empty() {
            w.flush().await?;
        }
    }
    w.flush().await?;
    w.shutdown().await
}

impl NetTransport {
    /// Channels for party `me` over a stream to its successor and one to its
    /// predecessor. The I/O runs as tasks on `handle`; a receive waits at
    /// most `timeout`. Call from outside the runtime's worker threads
    /// (protocol code blocks).
    pub fn from_streams<S1, S2>(
        me: PartyId,
        to_next: S1,
        to_prev: S2,
        handle: Handle,
        timeout: Duration,
    ) -> NetTransport
    where
        S1: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S2: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut links: [Option<Link>; 3] = [None, None, None];
        links[me.next().index()] = Some(Self::link(me.next(), to_next, &handle));
        links[me.prev().index()] = Some(Self::link(me.prev(), to_prev, &handle));
        NetTransport {
            me,
            links,
            timeout,
            counters: Counters::default(),
            handle,
        }
    }

    fn link<S>(peer: PartyId, stream: S, handle: &Handle) -> Link
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (r, w) = tokio::io::split(stream);
        let (in_tx, in_rx) = std_mpsc::channel();
        let (out_tx, out_rx) = tokio_mpsc::unbounded_channel();
        handle.spawn(read_frames(peer, r, in_tx));
        let writer = handle.spawn(write_frames(w, out_rx));
        Link {
            tx: Some(out_tx),
            rx: in_rx,
            writer: Some(writer),
        }
    }

    /// Connects party `me` to the other two over plain TCP: party `i`
    /// listens on `addrs[i]`; of each pair, the higher index connects to the
    /// lower and announces itself with one byte. Retries connecting until
    /// `timeout`. For benchmarks and local simulations; real nodes wrap their
    /// streams in TLS and call [`NetTransport::from_streams`].
    pub fn connect_tcp(
        me: PartyId,
        addrs: [SocketAddr; 3],
        handle: Handle,
        timeout: Duration,
    ) -> std::io::Result<NetTransport> {
        let (next, prev) = handle.block_on(tcp_streams(me, addrs, timeout))?;
        Ok(NetTransport::from_streams(me, next, prev, handle, timeout))
    }

    /// Flushes everything queued and closes the write side of both streams.
    /// Blocks; call from outside the runtime.
    pub fn close(mut self) -> Result<(), TransportError> {
        for (i, l) in self.links.iter_mut().enumerate() {
            if let Some(l) = l {
                l.tx = None;
                if let Some(w) = l.writer.take() {
                    let peer = PartyId::new(i).expect("index below 3");
                    match self.handle.block_on(w) {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => return Err(io_err(peer, e)),
                        Err(e) => {
                            return Err(TransportError::Io {
                                peer,
                                message: e.to_string(),
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Hands a frame to the writer task of the link to `to`.
    fn queue(&mut self, to: PartyId, f: Outgoing) -> Result<(), TransportError> {
        self.link_mut(to)?
            .tx
            .as_ref()
            .ok_or(TransportError::Disconnected { peer: to })?
            .send(f)
            .map_err(|_| TransportError::Disconnected { peer: to })
    }

    fn link_mut(&mut self, peer: PartyId) -> Result<&mut Link, TransportError> {
        self.links[peer.index()]
            .as_mut()
            .ok_or(TransportError::SelfMessage(peer))
    }
}

async fn tcp_streams(
    me: PartyId,
    addrs: [SocketAddr; 3],
    timeout: Duration,
) -> std::io::Result<(tokio::net::TcpStream, tokio::net::TcpStream)> {
    let deadline = Instant::now() + timeout;
    let listener = if me.index() < 2 {
        Some(tokio::net::TcpListener::bind(addrs[me.index()]).await?)
    } else {
        None
    };
    let mut streams: [Option<tokio::net::TcpStream>; 3] = [None, None, None];
    for j in 0..me.index() {
        let s = loop {
            match tokio::net::TcpStream::connect(addrs[j]).await {
                Ok(s) => break s,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e),
            }
        };
        s.set_nodelay(true)?;
        let mut s = s;
        s.write_all(&[me.index() as u8]).await?;
        streams[j] = Some(s);
    }
    if let Some(l) = listener {
        while streams
            .iter()
            .enumerate()
            .any(|(j, s)| j > me.index() && s.is_none())
        {
            let left = deadline.saturating_duration_since(Instant::now());
            let (mut s, _) = tokio::time::timeout(left, l.accept()).await.map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "peers did not connect in time",
                )
            })??;
            s.set_nodelay(true)?;
            let mut id = [0u8; 1];
            s.read_exact(&mut id).await?;
            let j = id[0] as usize;
            if j <= me.index() || j > 2 || streams[j].is_some() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("unexpected peer announcing index {j}"),
                ));
            }
            streams[j] = Some(s);
        }
    }
    let next = streams[me.next().index()]
        .take()
        .expect("connected to successor");
    let prev = streams[me.prev().index()]
        .take()
        .expect("connected to predecessor");
    Ok((next, prev))
}

impl Transport for NetTransport {
    fn me(&self) -> PartyId {
        self.me
    }

    fn send(&mut self, to: PartyId, tag: Tag, payload: &[u8]) -> Result<(), TransportError> {
        self.link_mut(to)?;
        let seq = self.counters.on_send(to, frame::HEADER + payload.len());
        self.queue(to, Outgoing::Whole(frame::encode(tag, seq, payload)))
    }

    fn send_owned(
        &mut self,
        to: PartyId,
        tag: Tag,
        payload: Vec<u8>,
    ) -> Result<(), TransportError> {
        if payload.len() < OWNED_FROM {
            return self.send(to, tag, &payload);
        }
        self.link_mut(to)?;
        let seq = self.counters.on_send(to, frame::HEADER + payload.len());
        let head = frame::header(tag, seq, payload.len());
        self.queue(to, Outgoing::Parts(head, payload))
    }

    fn recv(&mut self, from: PartyId, tag: Tag) -> Result<Vec<u8>, TransportError> {
        self.counters.on_wait();
        let timeout = self.timeout;
        let link = self.link_mut(from)?;
        let (head, payload) = match link.rx.recv_timeout(timeout) {
            Ok(f) => f?,
            Err(std_mpsc::RecvTimeoutError::Timeout) => {
                return Err(TransportError::Timeout {
                    from,
                    tag,
                    after: timeout,
                });
            }
            Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                return Err(TransportError::Disconnected { peer: from });
            }
        };
        self.counters.on_parts(from, tag, &head, payload)
    }

    fn stats(&self) -> Stats {
        self.counters.stats
    }
}
