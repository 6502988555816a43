//! Benchmarks run as three OS processes on loopback TCP.
//!
//! `clearing-node bench engine` measures the three-party engine; the parent
//! process spawns the current executable three times as hidden party
//! subcommands, collects one JSON report per party and prints medians.
//! `--rtt`, `--bandwidth`, `--loss` and `--tls` put the parties on a
//! simulated wide-area link ([`relay`]) and on mutual TLS; `--netns` runs
//! them in three network namespaces joined only through the relay
//! ([`netns`]).
//! [`harness`] holds the machinery for any workload.

pub mod clearing;
pub mod engine;
pub mod harness;
pub mod intake;
pub mod netns;
pub mod relay;

use clap::{Args, Subcommand};

/// Arguments of `clearing-node bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Which benchmark.
    #[command(subcommand)]
    pub command: BenchCommand,
}

/// The benchmarks, and the hidden per-party commands they spawn.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Less-than comparisons and stable sorts of the engine.
    Engine(engine::EngineArgs),
    /// One party of an engine benchmark (spawned by `bench engine`).
    #[command(hide = true)]
    EngineParty(engine::EnginePartyArgs),
    /// The three-party clearing of generated markets, per phase.
    Clearing(clearing::ClearingArgs),
    /// One party of a clearing benchmark (spawned by `bench clearing`).
    #[command(hide = true)]
    ClearingParty(clearing::ClearingPartyArgs),
    /// Bid intake of one node: many concurrent HTTPS clients, durable receipts.
    Intake(intake::IntakeArgs),
    /// A WAN relay in the foreground: put one in front of each node's peer
    /// port (and name it as the node's peer address in the auction file).
    Relay(relay::RelayArgs),
}

/// Runs a benchmark.
pub fn main(args: BenchArgs) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Engine(a) => engine::run(a),
        BenchCommand::EngineParty(a) => engine::party(a),
        BenchCommand::Clearing(a) => clearing::run(a),
        BenchCommand::ClearingParty(a) => clearing::party(a),
        BenchCommand::Intake(a) => intake::run(a),
        BenchCommand::Relay(a) => relay::run(a),
    }
}
