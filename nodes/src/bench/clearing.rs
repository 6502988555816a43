//! `clearing-node bench clearing`: the three-party clearing of generated
//! markets, three OS processes on loopback TCP.
//!
//! | workload | slots | target |
//! | --- | --- | --- |
//! | the sugar-beet-like market: 1,229 bidders, K = 16 | 39,328 | < 0.15 s, <= 120 rounds |
//! | a generated market of the same shape | 2^17 | - |
//! | a generated market of the same shape | 2^20 | < 5 s, < 1 GiB per party |
//! | a generated market of the same shape (only with `--only slots22`) | 2^22 | < 25 s |
//!
//! `--rtt`, `--bandwidth` and `--loss` put the parties behind the WAN relay
//! of [`super::relay`]; `--tls` runs their links over mutual TLS as between
//! real nodes. Every row is followed by one line per phase: time (median of
//! the slowest party), rounds and bytes sent (the most of any party).
//!
//! The parent process stands in for the bidders: it generates the market,
//! shares every bid as a bidder would and writes each party's own share
//! components to a temporary folder, together with the reference outcome.
//! Each party process reads only its own file, runs the clearing `--runs`
//! times (time and traffic per phase) and checks its outcome against the
//! reference after the timed runs.

use super::harness::{
    NetArgs, PartyNet, connect, median, peak_memory_bytes, reset_peak_memory, run_parties,
};
use anyhow::{Context, bail};
use auction::generate::{GenParams, generate};
use auction::mpc::{self, BidShares, PartyInput};
use auction::{AuctionParams, BidderId, Exclusion, Outcome, Seed};
use clap::{Args, ValueEnum};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use shares::{Party, PartyId, Security, Stats};
use std::path::{Path, PathBuf};

/// A clearing workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// The sugar-beet-like market: 1,229 bidders, K = 16 (39,328 slots).
    Beet,
    /// 2^17 order slots.
    Slots17,
    /// 2^20 order slots.
    Slots20,
    /// 2^22 order slots.
    Slots22,
}

impl Workload {
    fn market_params(self) -> GenParams {
        match self {
            Workload::Beet => GenParams::sugar_beet(),
            Workload::Slots17 => GenParams::with_slots(1 << 17),
            Workload::Slots20 => GenParams::with_slots(1 << 20),
            Workload::Slots22 => GenParams::with_slots(1 << 22),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Workload::Beet => "clearing sugar-beet",
            Workload::Slots17 => "clearing 2^17 slots",
            Workload::Slots20 => "clearing 2^20 slots",
            Workload::Slots22 => "clearing 2^22 slots",
        }
    }

    fn target(self) -> Option<f64> {
        match self {
            Workload::Beet => Some(0.15),
            Workload::Slots17 => None,
            Workload::Slots20 => Some(5.0),
            Workload::Slots22 => Some(25.0),
        }
    }

    fn default_runs(self) -> usize {
        match self {
            Workload::Beet => 5,
            Workload::Slots17 => 3,
            Workload::Slots20 | Workload::Slots22 => 1,
        }
    }
}

/// Arguments of `bench clearing`.
#[derive(Args, Debug)]
pub struct ClearingArgs {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Workloads to run (default: all but 2^22 slots).
    #[arg(long, value_enum)]
    pub only: Vec<Workload>,
    /// Timed runs per workload and security level (default: 5 for the
    /// sugar-beet market, 3 for 2^17 slots, 1 for 2^20 and 2^22 slots).
    #[arg(long)]
    pub runs: Option<usize>,
    /// The security levels to run: `abort`, `semi-honest`, or both (the
    /// default), one after the other in the same three processes, so that
    /// the ratio is measured on the same connections and inputs.
    #[arg(long, value_name = "abort|semi-honest")]
    pub security: Vec<Security>,
    /// How the parties are connected.
    #[command(flatten)]
    pub net: NetArgs,
}

/// Arguments of one party of `bench clearing` (hidden).
#[derive(Args, Debug)]
pub struct ClearingPartyArgs {
    /// This party's index.
    #[arg(long)]
    pub party: usize,
    /// How to reach the other parties.
    #[command(flatten)]
    pub net: PartyNet,
    /// The folder holding this party's input and the expected outcome.
    #[arg(long)]
    pub input: PathBuf,
    /// Timed runs per security level.
    #[arg(long)]
    pub runs: usize,
    /// The security levels, run one after the other.
    #[arg(long, required = true)]
    pub security: Vec<Security>,
}

/// The public part of a party's input file.
#[derive(Serialize, Deserialize)]
struct Header {
    params: AuctionParams,
    seed: Seed,
    bidders: Vec<BidderId>,
    excluded: Vec<Exclusion>,
}

fn write_input(dir: &Path, i: usize, input: &PartyInput) -> anyhow::Result<()> {
    let header = Header {
        params: input.params.clone(),
        seed: input.seed,
        bidders: input.bidders.clone(),
        excluded: input.excluded.clone(),
    };
    std::fs::write(
        dir.join(format!("party{i}.json")),
        serde_json::to_vec(&header)?,
    )?;
    let mut words = Vec::with_capacity(
        input.shares.len() * input.shares.first().map_or(0, |s| 16 * s.own.len()),
    );
    for s in &input.shares {
        for w in s.own.iter().chain(&s.next) {
            words.extend_from_slice(&w.to_le_bytes());
        }
    }
    std::fs::write(dir.join(format!("party{i}.bin")), words)?;
    Ok(())
}

fn read_input(dir: &Path, i: usize) -> anyhow::Result<PartyInput> {
    let header: Header =
        serde_json::from_slice(&std::fs::read(dir.join(format!("party{i}.json")))?)?;
    let bytes = std::fs::read(dir.join(format!("party{i}.bin")))?;
    let per_bid = 4 * header.params.max_orders_per_side as usize;
    if bytes.len() != header.bidders.len() * per_bid * 16 {
        bail!(
            "party {i}'s share file has {} bytes, expected {}",
            bytes.len(),
            header.bidders.len() * per_bid * 16
        );
    }
    let words: Vec<u64> = bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let shares = words
        .chunks_exact(2 * per_bid)
        .map(|c| BidShares {
            own: c[..per_bid].to_vec(),
            next: c[per_bid..].to_vec(),
        })
        .collect();
    Ok(PartyInput {
        params: header.params,
        seed: header.seed,
        bidders: header.bidders,
        shares,
        excluded: header.excluded,
    })
}

/// What one party reports: one report per security level.
#[derive(Debug, Serialize, Deserialize)]
struct PartyReports {
    party: usize,
    levels: Vec<PartyReport>,
}

/// What one party reports of one security level.
#[derive(Debug, Default, Serialize, Deserialize)]
struct PartyReport {
    security: Security,
    /// Per run: total wall seconds.
    seconds: Vec<f64>,
    /// Per run: (phase, seconds).
    phases: Vec<Vec<(String, f64)>>,
    /// Per phase of the first run: (phase, bytes sent, rounds).
    phase_traffic: Vec<(String, u64, u64)>,
    /// Traffic of the first run.
    stats: Stats,
    peak_memory_bytes: Option<u64>,
    correct: bool,
}

/// One line of output.
#[derive(Debug, Serialize)]
struct Row {
    workload: String,
    security: Security,
    slots: usize,
    bidders: usize,
    /// Median over runs of the slowest party's wall time.
    seconds_median: f64,
    seconds: Vec<f64>,
    /// The link: `loopback`, or the simulated WAN, and whether over TLS.
    link: String,
    /// Per phase, median over runs of the slowest party's time.
    phase_seconds_median: Vec<(String, f64)>,
    /// Per phase: bytes sent by each party (first run).
    phase_bytes_sent: Vec<(String, [u64; 3])>,
    /// Per phase: rounds of each party (first run).
    phase_rounds: Vec<(String, [u64; 3])>,
    bytes_sent: [u64; 3],
    rounds: [u64; 3],
    peak_memory_bytes: [Option<u64>; 3],
    target_seconds: Option<f64>,
    correct: bool,
}

/// Runs the selected workloads and prints one line each.
pub fn run(a: ClearingArgs) -> anyhow::Result<()> {
    let all = [Workload::Beet, Workload::Slots17, Workload::Slots20];
    crate::outln!("link: {}", a.net.describe());
    let list: Vec<Workload> = if a.only.is_empty() {
        all.to_vec()
    } else {
        a.only.clone()
    };
    if !a.json {
        crate::outln!(
            "{:<22} {:<12} {:>8} {:>9} {:>42} {:>10} {:>7} {:>9} {:>7} check",
            "workload",
            "security",
            "slots",
            "median s",
            "validation/sort/price/fills/allocations s",
            "MiB/party",
            "rounds",
            "peak MiB",
            "target"
        );
    }
    let security = if a.security.is_empty() {
        vec![Security::SemiHonest, Security::Abort]
    } else {
        a.security.clone()
    };
    for w in list {
        let runs = a.runs.unwrap_or(w.default_runs()).max(1);
        let market = generate(&w.market_params());
        let slots = market.bids.len() * 2 * market.auction.max_orders_per_side as usize;
        let expected = auction::reference::clear_market(&market);
        let dir = TempDir::new()?;
        let inputs = mpc::deal::deal_market(&market, &mut rand::rngs::StdRng::seed_from_u64(7));
        for (i, input) in inputs.iter().enumerate() {
            write_input(dir.path(), i, input)?;
        }
        drop(inputs);
        std::fs::write(
            dir.path().join("expected.json"),
            serde_json::to_vec(&expected)?,
        )?;
        let bidders = market.bids.len();
        drop(market);
        let dir_s = dir.path().display().to_string();
        let levels: Vec<String> = security.iter().map(|s| s.to_string()).collect();
        let all: [PartyReports; 3] = run_parties(&a.net, |p| {
            let mut args = [
                "bench",
                "clearing-party",
                "--party",
                &p.index().to_string(),
                "--input",
                &dir_s,
                "--runs",
                &runs.to_string(),
            ]
            .map(String::from)
            .to_vec();
            for l in &levels {
                args.extend(["--security".to_string(), l.clone()]);
            }
            args
        })?;
        let mut rows = Vec::new();
        for (k, level) in security.iter().enumerate() {
            let reports: [&PartyReport; 3] = [0, 1, 2].map(|i| &all[i].levels[k]);
            let row = row_of(w, *level, &a.net, slots, bidders, reports);
            print_row(&row, a.json)?;
            rows.push(row);
        }
        if let [semi, abort] = &rows[..]
            && !a.json
        {
            let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
            let max = |v: &[u64; 3]| *v.iter().max().unwrap_or(&0) as f64;
            crate::outln!(
                "    abort / semi-honest: time {:.2}x, bytes {:.2}x, rounds {:.2}x (target <= 2x time and bytes)",
                ratio(abort.seconds_median, semi.seconds_median),
                ratio(max(&abort.bytes_sent), max(&semi.bytes_sent)),
                ratio(max(&abort.rounds), max(&semi.rounds)),
            );
        }
        for row in &rows {
            if !row.correct {
                bail!(
                    "{} ({}): the three-party outcome differs from the reference",
                    w.name(),
                    row.security
                );
            }
        }
    }
    Ok(())
}

/// The row of one workload at one security level, from the three parties'
/// reports.
fn row_of(
    w: Workload,
    security: Security,
    net: &NetArgs,
    slots: usize,
    bidders: usize,
    reports: [&PartyReport; 3],
) -> Row {
    let n_runs = reports.iter().map(|r| r.seconds.len()).min().unwrap_or(0);
    let seconds: Vec<f64> = (0..n_runs)
        .map(|k| reports.iter().map(|r| r.seconds[k]).fold(0.0, f64::max))
        .collect();
    let names: Vec<String> = reports[0]
        .phases
        .first()
        .map(|p| p.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let phase_seconds_median = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let per_run: Vec<f64> = (0..n_runs)
                .map(|k| {
                    reports
                        .iter()
                        .map(|r| r.phases[k].get(j).map_or(0.0, |x| x.1))
                        .fold(0.0, f64::max)
                })
                .collect();
            (name.clone(), median(&per_run))
        })
        .collect();
    let per_phase = |f: &dyn Fn(&(String, u64, u64)) -> u64| -> Vec<(String, [u64; 3])> {
        names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let v = [0, 1, 2].map(|i| reports[i].phase_traffic.get(j).map_or(0, f));
                (name.clone(), v)
            })
            .collect()
    };
    Row {
        workload: w.name().to_string(),
        security,
        link: net.describe(),
        phase_bytes_sent: per_phase(&|p| p.1),
        phase_rounds: per_phase(&|p| p.2),
        slots,
        bidders,
        seconds_median: median(&seconds),
        seconds,
        phase_seconds_median,
        bytes_sent: [0, 1, 2].map(|i| reports[i].stats.bytes_sent),
        rounds: [0, 1, 2].map(|i| reports[i].stats.rounds),
        peak_memory_bytes: [0, 1, 2].map(|i| reports[i].peak_memory_bytes),
        target_seconds: w.target(),
        correct: reports.iter().all(|r| r.correct),
    }
}

/// Prints a row: one JSON object, or a table line and one line per phase.
fn print_row(row: &Row, json: bool) -> anyhow::Result<()> {
    if json {
        crate::outln!("{}", serde_json::to_string(row)?);
        return Ok(());
    }
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let phases: Vec<String> = row
        .phase_seconds_median
        .iter()
        .map(|(_, s)| format!("{s:.3}"))
        .collect();
    crate::outln!(
        "{:<22} {:<12} {:>8} {:>9.3} {:>42} {:>10.1} {:>7} {:>9} {:>7} {}",
        row.workload,
        row.security,
        row.slots,
        row.seconds_median,
        phases.join("/"),
        mib(*row.bytes_sent.iter().max().unwrap_or(&0)),
        row.rounds.iter().max().unwrap_or(&0),
        row.peak_memory_bytes
            .iter()
            .flatten()
            .max()
            .map_or("?".into(), |b| format!("{:.0}", mib(*b))),
        row.target_seconds.map_or("-".into(), |t| format!("< {t}")),
        if row.correct { "ok" } else { "WRONG" }
    );
    for (j, (name, secs)) in row.phase_seconds_median.iter().enumerate() {
        let bytes = row.phase_bytes_sent[j].1.iter().max().copied().unwrap_or(0);
        let rounds = row.phase_rounds[j].1.iter().max().copied().unwrap_or(0);
        crate::outln!(
            "    {:<12} {:>9.3} s {:>6} rounds {:>10.2} MiB/party",
            name,
            secs,
            rounds,
            mib(bytes)
        );
    }
    Ok(())
}

/// A folder under the system's temporary folder, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> anyhow::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        let p = std::env::temp_dir().join(format!("clearing-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).with_context(|| format!("creating {}", p.display()))?;
        Ok(TempDir(p))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One party of a clearing benchmark: prints its report as one JSON line.
pub fn party(a: ClearingPartyArgs) -> anyhow::Result<()> {
    let me = PartyId::new(a.party).context("party index must be 0, 1 or 2")?;
    let input = read_input(&a.input, a.party)?;
    let (_rt, t) = connect(me, &a.net)?;
    let mut p = Party::setup(t, &mut rand::rngs::OsRng)?;
    let expected: Outcome = serde_json::from_slice(&std::fs::read(a.input.join("expected.json"))?)?;
    let mut levels: Vec<PartyReport> = a
        .security
        .iter()
        .map(|&security| PartyReport {
            security,
            correct: true,
            ..PartyReport::default()
        })
        .collect();
    // Every run of one level, then every run of the next, in the order
    // given (semi-honest first by default): the peak memory of a level is
    // then its own, not what the allocator kept from a heavier one.
    for level in levels.iter_mut() {
        p.set_security(level.security);
        for run in 0..a.runs {
            p.barrier()?;
            reset_peak_memory();
            let before = p.stats();
            let t0 = std::time::Instant::now();
            let (outcome, report) = mpc::clear_with_report(&mut p, &input)?;
            level.seconds.push(t0.elapsed().as_secs_f64());
            level.phases.push(
                report
                    .phases
                    .iter()
                    .map(|ph| (ph.name.to_string(), ph.seconds))
                    .collect(),
            );
            level.peak_memory_bytes = level.peak_memory_bytes.max(peak_memory_bytes());
            if run == 0 {
                level.stats = p.stats() - before;
                level.phase_traffic = report
                    .phases
                    .iter()
                    .map(|ph| (ph.name.to_string(), ph.bytes_sent, ph.rounds))
                    .collect();
            }
            p.clear_opened();
            level.correct &= outcome == expected;
        }
    }
    p.barrier()?;
    let report = PartyReports {
        party: a.party,
        levels,
    };
    p.into_transport().close()?;
    crate::outln!("{}", serde_json::to_string(&report)?);
    Ok(())
}
