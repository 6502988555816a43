//! `clearing-node simulate MARKET.json`: the whole three-party clearing of a
//! market file on one machine, over real loopback TCP.
//!
//! The bids are shared exactly as bidders share them: each bid is laid out
//! as `4K` ring values (a value a correct client would refuse, negative or
//! too large, goes in as its 64-bit two's-complement value, so the
//! computation's own range check must catch it; a bid with more than K
//! orders on a side cannot be laid out and is excluded before sharing, as
//! `invalid bid` like the reference) and split into three random components. Three
//! parties, each on its own thread with its own I/O runtime and its own TCP
//! connections to the other two, then run [`auction::mpc::clear`]; each
//! party sees only its own components. The outcome is printed with the same
//! serializer as `auditor reference`, so the two outputs are equal byte for
//! byte.

use anyhow::{Context, bail};
use auction::MarketFile;
use auction::mpc::{self, ClearingReport, PartyInput};
use clap::Args;
use shares::{NetTransport, Party, PartyId, Security};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `clearing-node simulate`.
#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// The market file; `-` reads standard input.
    pub market: PathBuf,
    /// Print compact JSON on one line instead of indented JSON.
    #[arg(long)]
    pub compact: bool,
    /// Print each party's time and traffic per phase on standard error.
    #[arg(long)]
    pub report: bool,
    /// The protocol variant: `abort` (every step verified; a deviating
    /// party is caught before anything is opened) or `semi-honest` (for
    /// comparison only).
    #[arg(long, value_name = "abort|semi-honest", default_value = "abort")]
    pub security: Security,
}

/// How long a party waits for a peer's message.
const TIMEOUT: Duration = Duration::from_secs(600);

fn read_market(path: &PathBuf) -> anyhow::Result<MarketFile> {
    let (text, name) = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the market file from standard input")?;
        (text, "standard input".to_string())
    } else {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        (text, path.display().to_string())
    };
    MarketFile::parse(&text).with_context(|| format!("in {name}"))
}

/// Three free loopback addresses.
fn loopback_addrs() -> anyhow::Result<[SocketAddr; 3]> {
    let ls: Vec<std::net::TcpListener> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .context("finding free loopback ports")?;
    let a: Vec<SocketAddr> = ls
        .iter()
        .map(|l| l.local_addr())
        .collect::<Result<_, _>>()?;
    Ok([a[0], a[1], a[2]])
}

/// One party: its own runtime for the socket I/O, TCP to the other two, the
/// key agreement, the clearing.
fn run_party(
    me: PartyId,
    addrs: [SocketAddr; 3],
    input: PartyInput,
    security: Security,
) -> anyhow::Result<(auction::Outcome, ClearingReport)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let t = NetTransport::connect_tcp(me, addrs, rt.handle().clone(), TIMEOUT)
        .with_context(|| format!("{me}: connecting to the other parties"))?;
    let mut party =
        Party::setup(t, &mut rand::rngs::OsRng).with_context(|| format!("{me}: key agreement"))?;
    party.set_security(security);
    let out =
        mpc::clear_with_report(&mut party, &input).with_context(|| format!("{me}: clearing"))?;
    party
        .into_transport()
        .close()
        .with_context(|| format!("{me}: closing"))?;
    Ok(out)
}

/// Clears `market` with three parties over loopback TCP at the given
/// security; returns the outcome (the three parties' outcomes are checked
/// to be equal) and each party's report.
pub fn simulate(
    market: &MarketFile,
    security: Security,
) -> anyhow::Result<(auction::Outcome, [ClearingReport; 3])> {
    // A market file may state any K; the layout below takes 4K values per
    // bid at once, so a K no node would take (an auction file's limit)
    // would be an allocation of up to 128 GiB.
    let k = market.auction.max_orders_per_side;
    let max = auction::auction_file::MAX_ORDERS_PER_SIDE;
    if k > max {
        bail!("max_orders_per_side {k} is more than the nodes take (at most {max})");
    }
    let inputs = mpc::deal::deal_market(market, &mut rand::rngs::OsRng);
    let addrs = loopback_addrs()?;
    let handles: Vec<_> = PartyId::ALL
        .into_iter()
        .zip(inputs)
        .map(|(me, input)| {
            std::thread::Builder::new()
                .name(format!("party-{}", me.index()))
                .spawn(move || run_party(me, addrs, input, security))
        })
        .collect::<Result<_, _>>()?;
    let mut results = Vec::new();
    for (i, h) in handles.into_iter().enumerate() {
        results.push(
            h.join()
                .map_err(|_| anyhow::anyhow!("party {i} panicked"))??,
        );
    }
    let (o0, r0) = results.remove(0);
    let (o1, r1) = results.remove(0);
    let (o2, r2) = results.remove(0);
    if o0 != o1 || o0 != o2 {
        bail!("the three parties computed different outcomes");
    }
    Ok((o0, [r0, r1, r2]))
}

/// Runs `clearing-node simulate`.
pub fn main(args: SimulateArgs) -> anyhow::Result<()> {
    let market = read_market(&args.market)?;
    let k = market.auction.max_orders_per_side as usize;
    for raw in market
        .bids
        .iter()
        .filter(|b| b.buy.len() > k || b.sell.len() > k)
    {
        // Public: the bid cannot be laid out in K slots per side.
        if let Err(e) = auction::validate::check_bid(&market.auction, raw) {
            eprintln!("excluded before sharing: {e}");
        }
    }
    let (outcome, reports) = simulate(&market, args.security)?;
    if args.report {
        for (i, r) in reports.iter().enumerate() {
            for p in &r.phases {
                eprintln!(
                    "party {i} {:<12} {:>9.3} s {:>12} bytes sent {:>5} rounds",
                    p.name, p.seconds, p.bytes_sent, p.rounds
                );
            }
        }
    }
    // The serializer of `auditor reference`, so the outputs agree byte for byte.
    let mut out = if args.compact {
        serde_json::to_string(&outcome)?
    } else {
        serde_json::to_string_pretty(&outcome)?
    };
    out.push('\n');
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing the outcome"),
    }
}
