//! The three-process machinery shared by the benchmarks: free loopback
//! ports, spawning the current executable as the three parties, connecting a
//! party over TCP (directly, or through the WAN relay of [`super::relay`],
//! with or without mutual TLS as between real nodes), peak memory, medians
//! and output rows.

use super::relay::{Link, Relays, WanArgs};
use anyhow::{Context, bail};
use clap::Args;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use shares::{NetTransport, PartyId, Stats};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How the three parties of a benchmark are connected.
#[derive(Args, Debug, Clone, Default)]
pub struct NetArgs {
    /// The simulated wide-area link.
    #[command(flatten)]
    pub wan: WanArgs,
    /// Mutual TLS with pinned certificates between the parties, as between
    /// real nodes (plain TCP without it).
    #[arg(long)]
    pub tls: bool,
    /// Run each party in a network namespace of its own (`ip netns`, as
    /// root), reaching the others only through the relay (see
    /// [`super::netns`]); the namespaces are removed afterwards.
    #[arg(long)]
    pub netns: bool,
}

impl NetArgs {
    /// `loopback` or the link, with `, TLS` when on.
    pub fn describe(&self) -> String {
        let mut s = match (self.netns, self.wan.link()) {
            (true, None) => "relay without delay".to_string(),
            _ => self.wan.describe(),
        };
        if self.tls {
            s.push_str(", TLS");
        }
        if self.netns {
            s.push_str(", network namespaces");
        }
        s
    }
}

/// How one party process reaches the other two (hidden arguments).
#[derive(Args, Debug)]
pub struct PartyNet {
    /// The three parties' listening addresses, `a,b,c`.
    #[arg(long)]
    pub addrs: String,
    /// The addresses this party dials for parties below it, `a,b,c` (the
    /// relays when a link is simulated; default: `--addrs`).
    #[arg(long)]
    pub dial: Option<String>,
    /// A folder with the three parties' identities `n0`, `n1`, `n2`: run
    /// the links over mutual TLS.
    #[arg(long)]
    pub tls: Option<PathBuf>,
}

/// How long a party waits for a message before giving up.
pub const PARTY_TIMEOUT: Duration = Duration::from_secs(300);

/// Three free loopback addresses, as `a,b,c` for a command line.
pub fn loopback_addrs() -> anyhow::Result<String> {
    let ls: Vec<std::net::TcpListener> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    let a: Vec<String> = ls
        .iter()
        .map(|l| l.local_addr().map(|a| a.to_string()))
        .collect::<Result<_, _>>()?;
    Ok(a.join(","))
}

/// Parses `a,b,c` into three addresses.
pub fn parse_addrs(s: &str) -> anyhow::Result<[SocketAddr; 3]> {
    let v: Vec<SocketAddr> = s
        .split(',')
        .map(|a| a.parse().with_context(|| format!("address {a:?}")))
        .collect::<Result<_, _>>()?;
    v.try_into()
        .map_err(|v: Vec<SocketAddr>| anyhow::anyhow!("expected 3 addresses, got {}", v.len()))
}

/// Spawns the current executable three times with the arguments `args`
/// returns for each party plus how to reach the others (through relays and
/// over TLS as `net` says), and parses the last line of each party's
/// standard output as its JSON report.
pub fn run_parties<R: DeserializeOwned>(
    net: &NetArgs,
    args: impl Fn(PartyId) -> Vec<String>,
) -> anyhow::Result<[R; 3]> {
    let exe = std::env::current_exe().context("locating the current executable")?;
    // Declared before the relays, so dropped after them.
    let namespaces = if net.netns {
        Some(super::netns::Namespaces::create()?)
    } else {
        None
    };
    let addrs = match &namespaces {
        Some(ns) => (0..3)
            .map(|i| ns.plan().party_addr(i).to_string())
            .collect::<Vec<_>>()
            .join(","),
        None => loopback_addrs()?,
    };
    let listen = parse_addrs(&addrs)?;
    // Party j dials every party i < j: through a relay of its own per pair,
    // or in namespaces through the relay to party i.
    let (_relays, dial) = match (&namespaces, net.wan.link()) {
        (Some(ns), link) => {
            let plan = ns.plan();
            let (r, a) = Relays::start_on(
                &[
                    (plan.relay_addr(0), listen[0]),
                    (plan.relay_addr(1), listen[1]),
                ],
                link.unwrap_or(Link::DIRECT),
            )?;
            let dial = format!("{},{},{}", a[0], a[1], listen[2]);
            (Some(r), [dial.clone(), dial.clone(), dial])
        }
        (None, Some(link)) => {
            let (r, a) = Relays::start(&[listen[0], listen[0], listen[1]], link)?;
            let dial: [String; 3] = [
                addrs.clone(),
                format!("{},{},{}", a[0], listen[1], listen[2]),
                format!("{},{},{}", a[1], a[2], listen[2]),
            ];
            (Some(r), dial)
        }
        (None, None) => (None, [addrs.clone(), addrs.clone(), addrs.clone()]),
    };
    let tls_dir = if net.tls {
        let d = super::clearing::TempDir::new()?;
        for i in 0..3 {
            crate::identity::Identity::create(&d.path().join(format!("n{i}")))?;
        }
        Some(d)
    } else {
        None
    };
    let children: Vec<_> = PartyId::ALL
        .iter()
        .map(|&p| {
            let mut a = args(p);
            a.extend([
                "--addrs".to_string(),
                addrs.clone(),
                "--dial".to_string(),
                dial[p.index()].clone(),
            ]);
            if let Some(d) = &tls_dir {
                a.extend(["--tls".to_string(), d.path().display().to_string()]);
            }
            let mut cmd = match &namespaces {
                Some(ns) => {
                    let mut c = Command::new("ip");
                    c.args(ns.plan().exec(p.index())).arg(&exe);
                    c
                }
                None => Command::new(&exe),
            };
            cmd.args(a)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .with_context(|| format!("spawning {p}"))
        })
        .collect::<Result<_, _>>()?;
    let mut reports = Vec::new();
    for (i, c) in children.into_iter().enumerate() {
        let out = c
            .wait_with_output()
            .with_context(|| format!("waiting for party {i}"))?;
        if !out.status.success() {
            bail!("party {i} failed with {}", out.status);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .last()
            .with_context(|| format!("party {i} printed no report"))?;
        reports.push(
            serde_json::from_str::<R>(line)
                .with_context(|| format!("party {i}'s report {line:?}"))?,
        );
    }
    let mut it = reports.into_iter();
    Ok([
        it.next().expect("3"),
        it.next().expect("3"),
        it.next().expect("3"),
    ])
}

/// A byte stream of either kind (plain TCP, TLS client or server side).
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// In a party process: a small tokio runtime for the I/O and a transport
/// connected to the other two parties as `net` says.
pub fn connect(
    me: PartyId,
    net: &PartyNet,
) -> anyhow::Result<(tokio::runtime::Runtime, NetTransport)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let listen = parse_addrs(&net.addrs)?;
    let dial = match &net.dial {
        Some(d) => parse_addrs(d)?,
        None => listen,
    };
    let (next, prev) = rt
        .block_on(streams(me, listen, dial, net.tls.clone(), PARTY_TIMEOUT))
        .context("connecting the parties")?;
    let t = NetTransport::from_streams(me, next, prev, rt.handle().clone(), PARTY_TIMEOUT);
    Ok((rt, t))
}

/// The SHA-256 fingerprint of the certificate in identity folder `dir`.
fn cert_fingerprint(dir: &std::path::Path) -> anyhow::Result<auction::wire::Digest> {
    let path = dir.join(crate::identity::TLS_CERT_FILE);
    let pem = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let cert = rustls_pemfile::certs(&mut &pem[..])
        .next()
        .with_context(|| format!("{}: no certificate", path.display()))??;
    Ok(crate::identity::fingerprint(&cert))
}

/// Party `me` listens on `listen[me]` and dials `dial[j]` for every
/// `j < me`, announcing itself with one byte; with `tls`, each link then
/// runs mutual TLS pinned to the peer's certificate (the dialler is the
/// client). Returns the streams to the successor and the predecessor.
async fn streams(
    me: PartyId,
    listen: [SocketAddr; 3],
    dial: [SocketAddr; 3],
    tls: Option<PathBuf>,
    timeout: Duration,
) -> anyhow::Result<(Box<dyn Stream>, Box<dyn Stream>)> {
    let deadline = Instant::now() + timeout;
    let listener = if me.index() < 2 {
        Some(tokio::net::TcpListener::bind(listen[me.index()]).await?)
    } else {
        None
    };
    let id = match &tls {
        Some(d) => Some(crate::identity::Identity::load(
            &d.join(format!("n{}", me.index())),
        )?),
        None => None,
    };
    let fingerprint = |j: usize| -> anyhow::Result<auction::wire::Digest> {
        cert_fingerprint(&tls.as_ref().expect("TLS folder").join(format!("n{j}")))
    };
    let mut out: [Option<Box<dyn Stream>>; 3] = [None, None, None];
    for (j, &addr) in dial.iter().enumerate().take(me.index()) {
        let mut s = loop {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => break s,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e).with_context(|| format!("dialling party {j} at {addr}")),
            }
        };
        s.set_nodelay(true)?;
        s.write_all(&[me.index() as u8]).await?;
        out[j] = Some(match &id {
            Some(id) => {
                let config = crate::tls::pinned_client(fingerprint(j)?, Some(id))?;
                let c = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
                Box::new(c.connect(crate::tls::server_name(), s).await?)
            }
            None => Box::new(s),
        });
    }
    if let Some(l) = listener {
        while out
            .iter()
            .enumerate()
            .any(|(j, s)| j > me.index() && s.is_none())
        {
            let left = deadline.saturating_duration_since(Instant::now());
            let (mut s, _) = tokio::time::timeout(left, l.accept())
                .await
                .map_err(|_| anyhow::anyhow!("peers did not connect in time"))??;
            s.set_nodelay(true)?;
            let mut b = [0u8; 1];
            s.read_exact(&mut b).await?;
            let j = b[0] as usize;
            if j <= me.index() || j > 2 || out[j].is_some() {
                bail!("unexpected peer announcing index {j}");
            }
            out[j] = Some(match &id {
                Some(id) => {
                    let peer = fingerprint(j)?;
                    let config = crate::tls::peer_server(id, move |fp| *fp == peer)?;
                    let a = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
                    Box::new(a.accept(s).await?)
                }
                None => Box::new(s),
            });
        }
    }
    let next = out[me.next().index()]
        .take()
        .expect("connected to successor");
    let prev = out[me.prev().index()]
        .take()
        .expect("connected to predecessor");
    Ok((next, prev))
}

/// Peak resident memory of this process (VmHWM), in bytes.
pub fn peak_memory_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak resident memory (`VmHWM`) to the current size, so that
/// the next [`peak_memory_bytes`] measures what follows. Linux only; a no-op
/// where `/proc/self/clear_refs` cannot be written.
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The median (mean of the middle two for an even count).
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

/// What one party reports for one workload.
#[derive(Debug, Serialize, Deserialize)]
pub struct PartyReport {
    /// The party index.
    pub party: usize,
    /// Wall seconds of every timed run.
    pub seconds: Vec<f64>,
    /// Traffic of one run.
    pub stats: Stats,
    /// Peak resident memory of the process.
    pub peak_memory_bytes: Option<u64>,
    /// Whether the opened result matched the plaintext computation.
    pub correct: bool,
}

/// One line of benchmark output: the three reports combined.
#[derive(Debug, Serialize)]
pub struct Row {
    /// Workload name.
    pub workload: String,
    /// Number of elements.
    pub n: usize,
    /// Median over runs of the slowest party's wall time.
    pub seconds_median: f64,
    /// The slowest party's wall time per run.
    pub seconds: Vec<f64>,
    /// Bytes sent per party in one run.
    pub bytes_sent: [u64; 3],
    /// Rounds per party in one run.
    pub rounds: [u64; 3],
    /// Peak memory per party.
    pub peak_memory_bytes: [Option<u64>; 3],
    /// The target, if the issue sets one.
    pub target_seconds: Option<f64>,
    /// All three parties checked the result.
    pub correct: bool,
}

impl Row {
    /// Combines three party reports.
    pub fn new(workload: &str, n: usize, target_seconds: Option<f64>, r: &[PartyReport; 3]) -> Row {
        let runs = r.iter().map(|p| p.seconds.len()).min().unwrap_or(0);
        let seconds: Vec<f64> = (0..runs)
            .map(|k| r.iter().map(|p| p.seconds[k]).fold(0.0, f64::max))
            .collect();
        Row {
            workload: workload.to_string(),
            n,
            seconds_median: median(&seconds),
            seconds,
            bytes_sent: [0, 1, 2].map(|i| r[i].stats.bytes_sent),
            rounds: [0, 1, 2].map(|i| r[i].stats.rounds),
            peak_memory_bytes: [0, 1, 2].map(|i| r[i].peak_memory_bytes),
            target_seconds,
            correct: r.iter().all(|p| p.correct),
        }
    }

    /// Prints as one JSON object or as a table line.
    pub fn print(&self, json: bool) {
        if json {
            crate::outln!("{}", serde_json::to_string(self).expect("rows serialise"));
            return;
        }
        let mib = |b: u64| b as f64 / (1 << 20) as f64;
        let peak = self
            .peak_memory_bytes
            .iter()
            .flatten()
            .copied()
            .max()
            .map_or("?".to_string(), |b| format!("{:.0}", mib(b)));
        crate::outln!(
            "{:<28} {:>9} {:>10.3} {:>14.1} {:>7} {:>10} {:>8} {}",
            self.workload,
            self.n,
            self.seconds_median,
            mib(*self.bytes_sent.iter().max().unwrap_or(&0)),
            self.rounds.iter().max().unwrap_or(&0),
            peak,
            self.target_seconds
                .map_or("-".to_string(), |t| format!("< {t}")),
            if self.correct { "ok" } else { "WRONG" }
        );
    }

    /// The table header matching [`Row::print`].
    pub fn header() {
        crate::outln!(
            "{:<28} {:>9} {:>10} {:>14} {:>7} {:>10} {:>8} {}",
            "workload",
            "n",
            "median s",
            "MiB sent/party",
            "rounds",
            "peak MiB",
            "target",
            "check"
        );
    }
}
