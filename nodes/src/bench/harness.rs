//! The three-process machinery shared by the benchmarks: free loopback
//! ports, spawning the current executable as the three parties, connecting a
//! party over TCP, peak memory, medians and output rows.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use shares::{NetTransport, PartyId, Stats};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

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

/// Spawns the current executable three times, with the arguments `args`
/// returns for each party and the address list, and parses the last line of
/// each party's standard output as its JSON report.
pub fn run_parties<R: DeserializeOwned>(
    args: impl Fn(PartyId, &str) -> Vec<String>,
) -> anyhow::Result<[R; 3]> {
    let exe = std::env::current_exe().context("locating the current executable")?;
    let addrs = loopback_addrs()?;
    let children: Vec<_> = PartyId::ALL
        .iter()
        .map(|&p| {
            Command::new(&exe)
                .args(args(p, &addrs))
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

/// In a party process: a small tokio runtime for the I/O and a transport
/// connected to the other two parties over loopback TCP.
pub fn connect(
    me: PartyId,
    addrs: &str,
) -> anyhow::Result<(tokio::runtime::Runtime, NetTransport)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let t = NetTransport::connect_tcp(me, parse_addrs(addrs)?, rt.handle().clone(), PARTY_TIMEOUT)
        .context("connecting the parties")?;
    Ok((rt, t))
}

/// Peak resident memory of this process (VmHWM), in bytes.
pub fn peak_memory_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
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
