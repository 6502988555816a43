//! `auditor`: checks auction outcomes.
//!
//! `auditor reference MARKET.json` clears a market file in the clear with the
//! reference rule (`docs/clearing.md`) and prints the outcome JSON.
//! Each check is one subcommand. The exit codes are in [`EXIT_CODES`].

use anyhow::{Context, Result};
use auction::MarketFile;
use auction::reference::clear_market_detailed;
use auction::validate::check_bid;
use bidder_client::errln;
use bidder_client::output::write_stdout;
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[path = "auditor/verify_cmd.rs"]
mod verify_cmd;

/// The exit codes, for `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  done: `reference` printed the outcome; `verify`: every check passed
  1  `verify`: a check failed (the report names it); `reference`: the market file
     could not be read or is malformed
  2  bad arguments (usage)
  3  `verify`: the audit could not run (an unreadable auction file, bundle, receipts
     folder or market file, or no node served the outcome)
A reader that stops early (`| head`) does not change the exit code.";

#[derive(Parser)]
#[command(
    name = "auditor",
    version,
    about = "Checks sealed-bid double auction outcomes",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Clear a market file with the plaintext reference and print the outcome
    /// JSON (allocations sorted by bidder id). Invalid bids are excluded with
    /// the reason `invalid bid` (which value was wrong on stderr); a
    /// malformed file is an error.
    Reference(ReferenceArgs),
    /// Check an outcome bundle (from the nodes or a file): signatures, auction
    /// hash, bid set, seed, sums, price range; receipts and plaintext bids when
    /// given. Exit code 0 only when every check passes (1: a check failed, 3:
    /// the audit could not run).
    #[command(after_help = EXIT_CODES)]
    Verify(verify_cmd::VerifyArgs),
}

#[derive(Args)]
struct ReferenceArgs {
    /// The market file; `-` reads standard input.
    market: PathBuf,
    /// Print the per-order fills and the price trace as well, as
    /// `{"outcome": …, "fills": […], "trace": …}`.
    #[arg(long)]
    detailed: bool,
    /// Print compact JSON on one line instead of indented JSON.
    #[arg(long)]
    compact: bool,
}

fn read_input(path: &PathBuf) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the market file from standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    }
}

fn reference(args: &ReferenceArgs) -> Result<()> {
    let text = read_input(&args.market)?;
    let name = if args.market.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        args.market.display().to_string()
    };
    let market = MarketFile::parse(&text).with_context(|| format!("in {name}"))?;
    for raw in &market.bids {
        if let Err(e) = check_bid(&market.auction, raw) {
            errln!("excluded: {e}");
        }
    }
    let clearing = clear_market_detailed(&market);
    // Serialized straight from the types so that fields keep the spec's order.
    let mut out = match (args.detailed, args.compact) {
        (true, true) => serde_json::to_string(&clearing)?,
        (true, false) => serde_json::to_string_pretty(&clearing)?,
        (false, true) => serde_json::to_string(&clearing.outcome)?,
        (false, false) => serde_json::to_string_pretty(&clearing.outcome)?,
    };
    out.push('\n');
    // A reader that stops early (`| head`) is not an error.
    write_stdout(&out).context("writing the outcome")
}

/// `verify`: the audit could not run.
const EXIT_NOT_RUN: u8 = 3;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Reference(args) => match reference(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                errln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Verify(args) => match verify_cmd::run(&args) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                errln!("error: {e:#}");
                ExitCode::from(EXIT_NOT_RUN)
            }
        },
    }
}
