//! A userspace wide-area link: a TCP relay that delays every byte by a set
//! one-way time and, optionally, caps the bandwidth and loses segments.
//!
//! The kernel here has no `netem`, so the benchmarks (and real nodes, with
//! `clearing-node bench relay` in front of each peer port) reach each other
//! through this relay instead. Each direction of each connection is one
//! link, modelled as a queue:
//!
//! - a chunk read at time `t` starts on the line when the line is free,
//!   takes `bytes * 8 / bandwidth` to serialise, and arrives `rtt / 2`
//!   after that;
//! - with loss `p`, each 1,448-byte segment is lost with probability `p`
//!   and arrives two round trips late (fast retransmit or a tail-loss
//!   probe), holding up everything behind it, as TCP's in-order delivery
//!   does.
//!
//! Bytes are delivered in order and unchanged: the relay sees only TLS
//! records between real nodes.

use anyhow::{Context, bail};
use clap::Args;
use rand::{Rng, SeedableRng};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// One direction's link model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Delay of every byte, one way.
    pub one_way: Duration,
    /// Line rate in bits per second (`None`: unlimited).
    pub bits_per_second: Option<u64>,
    /// Probability that a 1,448-byte segment is lost once.
    pub loss: f64,
}

/// The options every benchmark takes to run over a simulated WAN.
#[derive(Args, Debug, Clone, Default)]
pub struct WanArgs {
    /// Round-trip time between every two parties through the relay, e.g.
    /// `50ms` (each direction delayed by half).
    #[arg(long, value_parser = parse_duration)]
    pub rtt: Option<Duration>,
    /// Bandwidth of each direction of each link, e.g. `1gbit`, `100mbit`.
    #[arg(long, value_parser = parse_rate)]
    pub bandwidth: Option<u64>,
    /// Segment loss, e.g. `0.1%`: each lost 1,448-byte segment arrives two
    /// round trips late.
    #[arg(long, value_parser = parse_loss)]
    pub loss: Option<f64>,
}

impl Link {
    /// A link that adds nothing: the relay only carries the bytes.
    pub const DIRECT: Link = Link {
        one_way: Duration::ZERO,
        bits_per_second: None,
        loss: 0.0,
    };
}

impl WanArgs {
    /// The link to simulate, if any option asks for one.
    pub fn link(&self) -> Option<Link> {
        if self.rtt.is_none() && self.bandwidth.is_none() && self.loss.is_none() {
            return None;
        }
        Some(Link {
            one_way: self.rtt.unwrap_or_default() / 2,
            bits_per_second: self.bandwidth,
            loss: self.loss.unwrap_or(0.0),
        })
    }

    /// A short description for output lines: `rtt 50ms, 1 Gbit/s`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = self.rtt {
            parts.push(format!("rtt {}ms", r.as_secs_f64() * 1e3));
        }
        if let Some(b) = self.bandwidth {
            parts.push(format!("{} Mbit/s", b as f64 / 1e6));
        }
        if let Some(l) = self.loss {
            parts.push(format!("loss {}%", l * 100.0));
        }
        if parts.is_empty() {
            "loopback".into()
        } else {
            parts.join(", ")
        }
    }

    /// The same options as command-line arguments (for a party process).
    pub fn to_args(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(r) = self.rtt {
            v.extend(["--rtt".to_string(), format!("{}us", r.as_micros())]);
        }
        if let Some(b) = self.bandwidth {
            v.extend(["--bandwidth".to_string(), b.to_string()]);
        }
        if let Some(l) = self.loss {
            v.extend(["--loss".to_string(), l.to_string()]);
        }
        v
    }
}

/// `50ms`, `0.05s`, `200us`, `1s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = split_unit(s);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a number with a unit, e.g. 50ms"))?;
    let secs = match unit {
        "s" => v,
        "ms" => v / 1e3,
        "us" => v / 1e6,
        _ => return Err(format!("{s:?}: the unit must be s, ms or us")),
    };
    if !(0.0..=3600.0).contains(&secs) {
        return Err(format!("{s:?}: outside 0 to 1 hour"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `1gbit`, `100mbit`, `512kbit`, or plain bits per second.
pub fn parse_rate(s: &str) -> Result<u64, String> {
    let s = s.trim().to_ascii_lowercase();
    let (num, unit) = split_unit(&s);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a rate such as 1gbit or 100mbit"))?;
    let scale = match unit {
        "" | "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        _ => return Err(format!("{s:?}: the unit must be bit, kbit, mbit or gbit")),
    };
    let bps = v * scale;
    if !(1e3..=1e12).contains(&bps) {
        return Err(format!("{s:?}: outside 1 kbit/s to 1 Tbit/s"));
    }
    Ok(bps as u64)
}

/// `0.1%` or a fraction such as `0.001`.
pub fn parse_loss(s: &str) -> Result<f64, String> {
    let s = s.trim();
    let v = match s.strip_suffix('%') {
        Some(p) => p.parse::<f64>().map(|x| x / 100.0),
        None => s.parse::<f64>(),
    }
    .map_err(|_| format!("{s:?}: expected a loss such as 0.1%"))?;
    if !(0.0..0.5).contains(&v) {
        return Err(format!("{s:?}: the loss must be below 50%"));
    }
    Ok(v)
}

fn split_unit(s: &str) -> (&str, &str) {
    let at = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    (&s[..at], &s[at..])
}

const SEGMENT: usize = 1448;

/// How long the relay keeps trying to reach its target for a new
/// connection.
const CONNECT_PATIENCE: Duration = Duration::from_secs(60);

/// Carries one direction of a connection over the link.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Link,
    seed: u64,
) -> std::io::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, bytes)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            to.write_all(&bytes).await?;
        }
        to.shutdown().await
    });
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut line_free = Instant::now();
    let mut last = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let k = from.read(&mut buf).await?;
        if k == 0 {
            break;
        }
        let now = Instant::now();
        let start = line_free.max(now);
        let serialise = link.bits_per_second.map_or(Duration::ZERO, |bps| {
            Duration::from_secs_f64(k as f64 * 8.0 / bps as f64)
        });
        line_free = start + serialise;
        let mut at = line_free + link.one_way;
        if link.loss > 0.0 {
            for _ in 0..k.div_ceil(SEGMENT) {
                if rng.gen_bool(link.loss) {
                    at += 4 * link.one_way.max(Duration::from_millis(1));
                }
            }
        }
        at = at.max(last);
        last = at;
        if tx.send((at, buf[..k].to_vec())).is_err() {
            break;
        }
    }
    drop(tx);
    writer.await.map_err(std::io::Error::other)?
}

/// Accepts connections on `listener` forever and carries each to `to` over
/// the link, both directions.
pub async fn serve(listener: TcpListener, to: SocketAddr, link: Link) -> std::io::Result<()> {
    let mut seed = 1u64;
    loop {
        let (inbound, _) = listener.accept().await?;
        inbound.set_nodelay(true)?;
        seed += 2;
        let s = seed;
        tokio::spawn(async move {
            // The target may not listen yet (parties start together): keep
            // trying for a while before giving up on this connection.
            let deadline = Instant::now() + CONNECT_PATIENCE;
            let outbound = loop {
                match TcpStream::connect(to).await {
                    Ok(o) => break o,
                    Err(_) if Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    Err(e) => {
                        tracing::warn!(%to, error = %e, "relay: cannot reach the target");
                        return;
                    }
                }
            };
            let _ = outbound.set_nodelay(true);
            let (ir, iw) = inbound.into_split();
            let (or, ow) = outbound.into_split();
            let a = tokio::spawn(pump(ir, ow, link, s));
            let b = tokio::spawn(pump(or, iw, link, s + 1));
            let _ = tokio::join!(a, b);
        });
    }
}

/// Relays running on their own thread for the life of the value.
pub struct Relays {
    rt: Option<tokio::runtime::Runtime>,
}

impl Relays {
    /// One relay per target: listeners bound on free loopback ports.
    /// Returns the relays and the addresses they listen on.
    pub fn start(targets: &[SocketAddr], link: Link) -> anyhow::Result<(Relays, Vec<SocketAddr>)> {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let pairs: Vec<(SocketAddr, SocketAddr)> = targets.iter().map(|&t| (loopback, t)).collect();
        Relays::start_on(&pairs, link)
    }

    /// One relay per `(listen, to)` pair, listening where it says (port 0:
    /// any free port). Returns the relays and the addresses they listen on.
    pub fn start_on(
        pairs: &[(SocketAddr, SocketAddr)],
        link: Link,
    ) -> anyhow::Result<(Relays, Vec<SocketAddr>)> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let mut addrs = Vec::new();
        for &(listen, to) in pairs {
            let l = rt
                .block_on(TcpListener::bind(listen))
                .with_context(|| format!("relay listening on {listen}"))?;
            addrs.push(l.local_addr()?);
            rt.spawn(async move {
                if let Err(e) = serve(l, to, link).await {
                    tracing::warn!(%to, error = %e, "relay stopped");
                }
            });
        }
        Ok((Relays { rt: Some(rt) }, addrs))
    }
}

impl Drop for Relays {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Arguments of `bench relay`.
#[derive(Args, Debug)]
pub struct RelayArgs {
    /// Where to listen, e.g. `0.0.0.0:7101`.
    #[arg(long)]
    pub listen: SocketAddr,
    /// Where to carry each connection, e.g. a node's peer port.
    #[arg(long)]
    pub to: SocketAddr,
    /// The link.
    #[command(flatten)]
    pub wan: WanArgs,
}

/// `clearing-node bench relay`: one relay in the foreground until killed.
pub fn run(a: RelayArgs) -> anyhow::Result<()> {
    let Some(link) = a.wan.link() else {
        bail!("give at least one of --rtt, --bandwidth, --loss");
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let l = TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))?;
        eprintln!("relay {} -> {} ({})", a.listen, a.to, a.wan.describe());
        serve(l, a.to, link).await?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse() {
        assert_eq!(parse_duration("50ms"), Ok(Duration::from_millis(50)));
        assert_eq!(parse_duration("0.2s"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert!(parse_duration("50").is_err());
        assert_eq!(parse_rate("1gbit"), Ok(1_000_000_000));
        assert_eq!(parse_rate("100Mbit"), Ok(100_000_000));
        assert!(parse_rate("1gb").is_err());
        assert_eq!(parse_loss("0.1%"), Ok(0.001));
        assert_eq!(parse_loss("0.02"), Ok(0.02));
        assert!(parse_loss("60%").is_err());
    }

    /// A message and its answer through a relay of 40 ms round trip take at
    /// least 40 ms; 1 MB at 80 Mbit/s takes at least 100 ms more; the bytes
    /// arrive unchanged.
    #[test]
    fn the_relay_delays_and_caps() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let echo_addr = echo.local_addr().unwrap();
            tokio::spawn(async move {
                let (mut s, _) = echo.accept().await.unwrap();
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    let k = s.read(&mut buf).await.unwrap();
                    if k == 0 {
                        break;
                    }
                    s.write_all(&buf[..k]).await.unwrap();
                }
            });
            let relay = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let relay_addr = relay.local_addr().unwrap();
            let link = Link {
                one_way: Duration::from_millis(20),
                bits_per_second: Some(80_000_000),
                loss: 0.0,
            };
            tokio::spawn(serve(relay, echo_addr, link));
            let mut c = TcpStream::connect(relay_addr).await.unwrap();
            c.set_nodelay(true).unwrap();
            let t0 = Instant::now();
            c.write_all(b"ping").await.unwrap();
            let mut got = [0u8; 4];
            c.read_exact(&mut got).await.unwrap();
            let rtt = t0.elapsed();
            assert_eq!(&got, b"ping");
            assert!(rtt >= Duration::from_millis(40), "{rtt:?}");
            assert!(rtt < Duration::from_millis(200), "{rtt:?}");
            let big: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7) as u8).collect();
            let t0 = Instant::now();
            let (mut r, mut w) = c.into_split();
            let sent = big.clone();
            let writer = tokio::spawn(async move { w.write_all(&sent).await.unwrap() });
            let mut back = vec![0u8; big.len()];
            r.read_exact(&mut back).await.unwrap();
            writer.await.unwrap();
            let took = t0.elapsed();
            assert!(back == big, "the bytes arrive unchanged");
            // 1 MB is 100 ms at 80 Mbit/s, each way on its own line.
            assert!(took >= Duration::from_millis(140), "{took:?}");
        });
    }
}
