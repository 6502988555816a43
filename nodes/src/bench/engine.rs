//! `clearing-node bench engine`: the engine's workloads, three OS processes
//! on loopback TCP.
//!
//! | workload | target |
//! | --- | --- |
//! | 2^20 less-than comparisons of values below 2^32 | < 0.5 s |
//! | stable sort of 2^16 elements, 32-bit key, 2 payload columns | < 1 s |
//! | the same sort of 2^20 elements | < 20 s, < 2 GiB per party |
//!
//! Inputs are generated from a fixed seed inside every party process (the
//! benchmark stands in for the bidders); each party keeps only its own
//! bundle for the protocol and uses the plaintext solely to check the opened
//! result after the timed runs.

use super::harness::{
    NetArgs, PartyNet, PartyReport, Row, connect, peak_memory_bytes, run_parties,
};
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use shares::client::share_arith;
use shares::{ArithShares, Party, PartyId, Transport, compare, sort};
use std::time::Instant;

/// An engine workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// 2^20 less-than comparisons of values below 2^32.
    Lt,
    /// Stable sort of 2^16 elements, 32-bit key, 2 payload columns.
    Sort16,
    /// The same sort of 2^20 elements.
    Sort20,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Lt => "less-than 32-bit",
            Workload::Sort16 => "sort 32-bit key + 2 payloads",
            Workload::Sort20 => "sort 32-bit key + 2 payloads",
        }
    }

    fn n(self) -> usize {
        match self {
            Workload::Lt => 1 << 20,
            Workload::Sort16 => 1 << 16,
            Workload::Sort20 => 1 << 20,
        }
    }

    fn target(self) -> f64 {
        match self {
            Workload::Lt => 0.5,
            Workload::Sort16 => 1.0,
            Workload::Sort20 => 20.0,
        }
    }

    fn default_runs(self) -> usize {
        match self {
            Workload::Sort20 => 3,
            _ => 5,
        }
    }
}

/// Arguments of `bench engine`.
#[derive(Args, Debug)]
pub struct EngineArgs {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Workloads to run (default: all).
    #[arg(long, value_enum)]
    pub only: Vec<Workload>,
    /// Timed runs per workload (default: 5, or 3 for the 2^20 sort).
    #[arg(long)]
    pub runs: Option<usize>,
    /// Override the number of elements.
    #[arg(long)]
    pub n: Option<usize>,
    /// Key bits per pass of the sort (default: the engine's).
    #[arg(long)]
    pub digit_bits: Option<usize>,
    /// How the parties are connected.
    #[command(flatten)]
    pub net: NetArgs,
}

/// Arguments of one party of `bench engine` (hidden).
#[derive(Args, Debug)]
pub struct EnginePartyArgs {
    /// This party's index.
    #[arg(long)]
    pub party: usize,
    /// How to reach the other parties.
    #[command(flatten)]
    pub net: PartyNet,
    /// Key bits per pass of the sort (default: the engine's choice for `n`).
    #[arg(long)]
    pub digit_bits: Option<usize>,
    /// The workload.
    #[arg(long, value_enum)]
    pub workload: Workload,
    /// Number of elements.
    #[arg(long)]
    pub n: usize,
    /// Timed runs.
    #[arg(long)]
    pub runs: usize,
}

/// Runs the selected workloads and prints one line each.
pub fn run(a: EngineArgs) -> anyhow::Result<()> {
    let all = [Workload::Lt, Workload::Sort16, Workload::Sort20];
    let list: Vec<Workload> = if a.only.is_empty() {
        all.to_vec()
    } else {
        a.only.clone()
    };
    if !a.json {
        crate::outln!("link: {}", a.net.describe());
        Row::header();
    }
    for w in list {
        let n = a.n.unwrap_or(w.n());
        let runs = a.runs.unwrap_or(w.default_runs()).max(1);
        let reports: [PartyReport; 3] = run_parties(&a.net, |p| {
            let wl = w.to_possible_value().expect("named").get_name().to_string();
            [
                "bench",
                "engine-party",
                "--party",
                &p.index().to_string(),
                "--workload",
                &wl,
                "--n",
                &n.to_string(),
                "--runs",
                &runs.to_string(),
            ]
            .map(String::from)
            .into_iter()
            .chain(
                a.digit_bits
                    .map(|d| vec!["--digit-bits".to_string(), d.to_string()])
                    .unwrap_or_default(),
            )
            .collect()
        })?;
        let row = Row::new(w.name(), n, (n == w.n()).then(|| w.target()), &reports);
        row.print(a.json);
        if !row.correct {
            bail!(
                "{}: the opened result does not match the plaintext computation",
                w.name()
            );
        }
    }
    Ok(())
}

fn values(seed: u64, n: usize, below: u64) -> Vec<u64> {
    let mut r = StdRng::seed_from_u64(seed);
    (0..n).map(|_| r.gen_range(0..below)).collect()
}

fn my_shares(values: &[u64], seed: u64, me: PartyId) -> ArithShares {
    let [a, b, c] = share_arith(values, &mut StdRng::seed_from_u64(seed));
    [a, b, c][me.index()].clone().into_shares()
}

/// One party of an engine benchmark: prints its report as one JSON line.
pub fn party(a: EnginePartyArgs) -> anyhow::Result<()> {
    let me = PartyId::new(a.party).context("party index must be 0, 1 or 2")?;
    let (_rt, t) = connect(me, &a.net)?;
    let mut p = Party::setup(t, &mut rand::rngs::OsRng)?;
    let mut seconds = Vec::new();
    let mut stats = None;
    let correct = match a.workload {
        Workload::Lt => {
            let (x, y) = (values(1, a.n, 1 << 32), values(2, a.n, 1 << 32));
            let (sx, sy) = (my_shares(&x, 3, me), my_shares(&y, 4, me));
            let mut last = None;
            for _ in 0..a.runs {
                let r = timed(&mut p, &mut seconds, &mut stats, |p| {
                    compare::lt(p, &sx, &sy)
                })?;
                last = Some(r);
            }
            let got = p.open_bits(
                "bench: check of the result",
                &last.expect("at least one run"),
            )?;
            got.iter()
                .zip(x.iter().zip(&y))
                .all(|(g, (a, b))| *g == (a < b))
        }
        Workload::Sort16 | Workload::Sort20 => {
            let key = values(1, a.n, 1 << 32);
            let idx: Vec<u64> = (0..a.n as u64).collect();
            let other = values(2, a.n, u64::MAX);
            let (sk, si, so) = (
                my_shares(&key, 3, me),
                my_shares(&idx, 4, me),
                my_shares(&other, 5, me),
            );
            let mut last = None;
            for _ in 0..a.runs {
                let r = timed(&mut p, &mut seconds, &mut stats, |p| {
                    let d = a
                        .digit_bits
                        .unwrap_or(sort::digit_bits_for(a.n, p.security()));
                    let perm = sort::sorting_permutation_digits(p, &sk, 32, d, &mut |_, _| {})?;
                    let mut out = perm.apply(p, &[&sk, &si, &so])?;
                    let rest = out.split_off(1);
                    Ok((out.pop().expect("key column"), rest, perm))
                })?;
                last = Some(r);
            }
            let (k, pay, _) = last.expect("at least one run");
            let k = p.open_arith("bench: check of the result", &k)?;
            let i = p.open_arith("bench: check of the result", &pay[0])?;
            let o = p.open_arith("bench: check of the result", &pay[1])?;
            let mut want: Vec<usize> = (0..a.n).collect();
            want.sort_by_key(|&j| key[j]);
            want.iter()
                .enumerate()
                .all(|(t, &j)| k[t] == key[j] && i[t] == j as u64 && o[t] == other[j])
        }
    };
    p.barrier()?;
    let report = PartyReport {
        party: a.party,
        seconds,
        stats: stats.unwrap_or_default(),
        peak_memory_bytes: peak_memory_bytes(),
        correct,
    };
    p.into_transport().close()?;
    crate::outln!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Runs `f` once after a barrier, recording its wall time and (first run
/// only) its traffic.
fn timed<T: Transport, R>(
    p: &mut Party<T>,
    seconds: &mut Vec<f64>,
    stats: &mut Option<shares::Stats>,
    f: impl FnOnce(&mut Party<T>) -> shares::Result<R>,
) -> anyhow::Result<R> {
    p.barrier()?;
    let before = p.stats();
    let t0 = Instant::now();
    let r = f(p)?;
    seconds.push(t0.elapsed().as_secs_f64());
    if stats.is_none() {
        *stats = Some(p.stats() - before);
    }
    Ok(r)
}
