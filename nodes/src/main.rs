//! `clearing-node`: the daemon one operator runs, and its tools.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "clearing-node", version, about = "One of the three clearing nodes of a sealed-bid double auction, and its tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure the three-party engine or the clearing, three OS processes on loopback TCP.
    Bench(nodes::bench::BenchArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Bench(args) => nodes::bench::main(args),
    }
}
