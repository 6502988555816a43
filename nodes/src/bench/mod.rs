//! Benchmarks run as three OS processes on loopback TCP.

use clap::Args;

/// Arguments of `clearing-node bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {}

/// Runs a benchmark.
pub fn main(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("no benchmark yet")
}
