//! `auditor verify`: check a published outcome bundle (fetched from the
//! nodes or read from a file) against the auction file, and optionally
//! receipts and plaintext bids. Exit code 0 only when every check passes, 1
//! when one fails, 3 when the audit could not be run (2 is clap's, for bad
//! arguments).

use anyhow::{Context, Result, bail};
use auction::MarketFile;
use auction::wire::OutcomeBundle;
use bidder_client::auction_file::{self, AuctionInfo};
use bidder_client::https::node_api;
use bidder_client::receipts::load_receipts;
use bidder_client::result::fetch_bundle;
use bidder_client::verify::{Inputs, Served, verify};
use bidder_client::{errln, out, outln};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args)]
pub struct VerifyArgs {
    /// The auction file (node keys, certificate fingerprints, parameters).
    #[arg(long)]
    auction: PathBuf,
    /// Read the bundle from this file instead of fetching it.
    #[arg(long, conflicts_with = "node")]
    bundle: Option<PathBuf>,
    /// Fetch from these nodes (https://HOST:PORT, as listed in the auction
    /// file); by default from all three.
    #[arg(long)]
    node: Vec<String>,
    /// A folder of receipts: every receipted bid must be in the set or excluded.
    #[arg(long)]
    receipts: Option<PathBuf>,
    /// Plaintext bids (a market file) handed over in a dispute: recompute
    /// with the reference and compare.
    #[arg(long)]
    plaintext: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_url(s: &str) -> Result<SocketAddr> {
    let rest = s.strip_prefix("https://").unwrap_or(s);
    let hostport = rest.split('/').next().unwrap_or(rest);
    hostport
        .parse()
        .with_context(|| format!("node URL {s:?}: expected https://IP:PORT"))
}

async fn fetch(info: &AuctionInfo, urls: &[String]) -> Result<(OutcomeBundle, Served)> {
    let mut apis = Vec::new();
    let mut indices = Vec::new();
    if urls.is_empty() {
        for n in &info.nodes {
            apis.push(node_api(n.api, n.cert_fingerprint));
            indices.push(n.index);
        }
    } else {
        for u in urls {
            let addr = parse_url(u)?;
            let Some(n) = info.node_at(addr) else {
                bail!(
                    "{u} is not a node of this auction file (its certificate fingerprint is needed to pin it)"
                );
            };
            apis.push(node_api(addr, n.cert_fingerprint));
            indices.push(n.index);
        }
    }
    let (bundle, served, problems) = fetch_bundle(&apis, &indices, &info.params.id).await?;
    Ok((bundle, (served, problems)))
}

fn inputs(args: &VerifyArgs) -> Result<(AuctionInfo, OutcomeBundle, Option<Served>)> {
    let info = auction_file::load(&args.auction)?;
    match &args.bundle {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            let b = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not an outcome bundle", p.display()))?;
            Ok((info, b, None))
        }
        None => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (b, served) = rt.block_on(fetch(&info, &args.node))?;
            Ok((info, b, Some(served)))
        }
    }
}

/// Runs the audit; returns the exit code.
pub fn run(args: &VerifyArgs) -> Result<u8> {
    let (info, bundle, served) = inputs(args)?;
    let receipts = match &args.receipts {
        Some(d) => {
            let (rs, bad) = load_receipts(d)
                .with_context(|| format!("reading receipts folder {}", d.display()))?;
            for (p, e) in bad {
                errln!("warning: {} is not a receipt: {e}", p.display());
            }
            Some(rs)
        }
        None => None,
    };
    let plaintext = match &args.plaintext {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Some(MarketFile::parse(&text).with_context(|| format!("in {}", p.display()))?)
        }
        None => None,
    };
    let report = verify(&Inputs {
        info: &info,
        bundle: &bundle,
        served,
        receipts: receipts.as_deref(),
        plaintext: plaintext.as_ref(),
    });
    // A reader that stops early (`| head`) does not change the verdict.
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{}", report.to_text())?;
    }
    Ok(if report.passed { 0 } else { 1 })
}
