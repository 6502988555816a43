//! `fixtures`: generates realistic markets and times the reference clearing.
//!
//! `fixtures generate` writes a market file (the sugar-beet-like market by
//! default) to standard output; `fixtures bench-reference` times the
//! plaintext reference on a generated market and prints the median.

use anyhow::{Result, bail};
use auction::generate::{GenParams, generate};
use auction::reference::clear_market;
use bidder_client::outln;
use bidder_client::output::write_stdout;
use clap::{Args, Parser, Subcommand};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "fixtures",
    about = "Generates markets and times the reference clearing",
    after_help = "\
Exit codes:
  0  done
  1  could not run (an impossible size such as --k 0, or standard output failed)
  2  bad arguments (usage)
Standard output closed early (`fixtures generate | head -c 10`) is not an error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a generated market file to standard output.
    Generate {
        #[command(flatten)]
        size: Size,
        /// Indented JSON instead of one line.
        #[arg(long)]
        pretty: bool,
    },
    /// Time the reference clearing (validation and clearing, not JSON
    /// parsing) of a generated market; prints the median of several runs.
    BenchReference {
        #[command(flatten)]
        size: Size,
        /// How many timed runs.
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
}

#[derive(Args)]
struct Size {
    /// The generator's seed.
    #[arg(long, default_value_t = 2008)]
    seed: u64,
    /// Number of bidders (default: 1,229, the sugar-beet market).
    #[arg(long, conflicts_with = "slots")]
    bidders: Option<usize>,
    /// Number of order slots, `bidders * 2K`; implies --pad.
    #[arg(long)]
    slots: Option<usize>,
    /// Pad every bid to K orders per side with zero-quantity orders.
    #[arg(long)]
    pad: bool,
    /// K, the most orders per side.
    #[arg(long, default_value_t = 16)]
    k: u32,
    /// The auction id.
    #[arg(long)]
    id: Option<String>,
}

impl Size {
    fn params(&self) -> Result<GenParams> {
        if self.k == 0 {
            bail!("--k must be at least 1");
        }
        let mut p = match self.slots {
            Some(slots) => GenParams::with_slots(slots),
            None => GenParams::sugar_beet(),
        };
        p.max_orders_per_side = self.k;
        if let Some(slots) = self.slots {
            p.bidders = slots.div_ceil(2 * self.k as usize);
        }
        if let Some(b) = self.bidders {
            p.bidders = b;
        }
        p.seed = self.seed;
        p.pad |= self.pad;
        if let Some(id) = &self.id {
            p.id = id.clone();
        }
        Ok(p)
    }
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Generate { size, pretty } => {
            let market = generate(&size.params()?);
            let mut out = if pretty {
                serde_json::to_string_pretty(&market)?
            } else {
                market.to_json()
            };
            out.push('\n');
            write_stdout(&out)?;
        }
        Command::BenchReference { size, runs } => {
            let p = size.params()?;
            let market = generate(&p);
            let runs = runs.max(1);
            let mut times: Vec<Duration> = Vec::with_capacity(runs);
            let mut outcome = None;
            for _ in 0..runs {
                let start = Instant::now();
                let o = clear_market(&market);
                times.push(start.elapsed());
                outcome = Some(o);
            }
            times.sort();
            let o = outcome.expect("at least one run");
            let live = market
                .bids
                .iter()
                .flat_map(|b| b.buy.iter().chain(&b.sell))
                .filter(|o| o.quantity != 0)
                .count();
            outln!(
                "reference clearing: {} order slots ({} with a quantity), {} bidders, K = {}",
                market.order_count(),
                live,
                market.bids.len(),
                p.max_orders_per_side
            )?;
            outln!(
                "  price {}, volume {}",
                o.price.map_or("none".to_string(), |p| p.to_string()),
                o.volume
            )?;
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            outln!(
                "  median {:.1} ms over {} runs (min {:.1} ms, max {:.1} ms)",
                ms(times[runs / 2]),
                runs,
                ms(times[0]),
                ms(times[runs - 1])
            )?;
        }
    }
    Ok(())
}
