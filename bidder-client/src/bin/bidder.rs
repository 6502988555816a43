//! `bidder`: write, check, submit a bid and read its result.
//!
//! ```text
//! bidder keygen --bidder ID --out KEY.json
//! bidder check BID_FILE --auction AUCTION.json [--key KEY.json | --bidder ID]
//! bidder submit BID_FILE --auction AUCTION.json --key KEY.json [--receipts DIR]
//! bidder result --auction AUCTION.json --key KEY.json [--bid BID_FILE]
//! ```
//!
//! Every command takes `--json` for a machine-readable answer on stdout;
//! progress goes to stderr. Exit codes:
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | done: the bid is valid / all three nodes acknowledged / the outcome and allocation check out |
//! | 1 | could not run: bad arguments, unreadable file, unregistered bidder |
//! | 2 | the bid is invalid for this auction (nothing was sent) |
//! | 3 | incomplete: fewer than three nodes acknowledged (the bid does not count yet; run the command again), or no outcome yet |
//! | 4 | verification failed: a bad receipt, an outcome whose signatures do not verify, nodes that disagree, or an allocation that contradicts the bid |
//! | 5 | a node refused the bid (bidding closed or not open, unknown bidder, older version, ...): running the command again as it is will not help |

use anyhow::Context;
use auction::BidderId;
use bidder_client::auction_file::{self, AuctionInfo};
use bidder_client::bidfile::{BidFileError, curve_table, curves_json, load_bid};
use bidder_client::keys::BidderKey;
use bidder_client::receipts::{highest_version, store_receipt};
use bidder_client::result::{check_allocation, check_bundle, fetch_bundle};
use bidder_client::submit::{NodeOutcome, Progress, RetryPolicy, node_apis, submit};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const EXIT_ERROR: u8 = 1;
const EXIT_INVALID: u8 = 2;
const EXIT_INCOMPLETE: u8 = 3;
const EXIT_VERIFY: u8 = 4;
const EXIT_REFUSED: u8 = 5;

#[derive(Parser)]
#[command(
    name = "bidder",
    version,
    about = "Write, check, submit a sealed bid and read its result"
)]
struct Cli {
    /// Print the answer as JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a key file; print the public key to register in the auction file.
    Keygen {
        /// The bidder id.
        #[arg(long)]
        bidder: String,
        /// The key file to create (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Validate a bid file against an auction file and show its curves.
    Check {
        /// JSON orders, JSON curve, or CSV side,price,quantity (or side,price,total).
        bid: PathBuf,
        #[command(flatten)]
        who: Who,
        /// The auction file.
        #[arg(long)]
        auction: PathBuf,
    },
    /// Share, sign and send a bid to the three nodes; keep the receipts.
    Submit(SubmitArgs),
    /// Fetch and check the outcome; show and check this bidder's allocation.
    Result {
        /// The auction file.
        #[arg(long)]
        auction: PathBuf,
        /// The bidder's key file.
        #[arg(long)]
        key: PathBuf,
        /// The bid that was submitted, to check the allocation against.
        #[arg(long)]
        bid: Option<PathBuf>,
    },
}

#[derive(Args)]
struct Who {
    /// The bidder's key file (names the bidder).
    #[arg(long)]
    key: Option<PathBuf>,
    /// The bidder id, when the bid file names none and no key is given.
    #[arg(long)]
    bidder: Option<String>,
}

#[derive(Args)]
struct SubmitArgs {
    /// The bid file.
    bid: PathBuf,
    /// The auction file.
    #[arg(long)]
    auction: PathBuf,
    /// The bidder's key file.
    #[arg(long)]
    key: PathBuf,
    /// Where receipts are kept.
    #[arg(long, default_value = "receipts")]
    receipts: PathBuf,
    /// The version to send; by default one more than the highest receipted.
    #[arg(long)]
    version: Option<u64>,
    /// Attempts per node before giving up on it.
    #[arg(long, default_value_t = 6)]
    attempts: u32,
    /// The first wait between attempts, in milliseconds (doubled each time, at most 4 s).
    #[arg(long, default_value_t = 250)]
    retry_delay_ms: u64,
}

/// An error with its exit code.
struct Exit(u8, anyhow::Error);

fn fail(code: u8, e: impl Into<anyhow::Error>) -> Exit {
    Exit(code, e.into())
}

impl From<anyhow::Error> for Exit {
    fn from(e: anyhow::Error) -> Exit {
        Exit(EXIT_ERROR, e)
    }
}

fn bid_error(e: BidFileError) -> Exit {
    match e {
        BidFileError::Invalid(_) => fail(EXIT_INVALID, e),
        e => fail(EXIT_ERROR, e),
    }
}

fn print(json: bool, value: serde_json::Value, text: &str) {
    if json {
        println!("{}", serde_json::to_string_pretty(&value).expect("json"));
    } else {
        print!("{text}");
    }
}

fn keygen(json: bool, bidder: String, out: &Path) -> Result<u8, Exit> {
    let id = BidderId(bidder);
    auction::wire::check_bidder_id(&id).map_err(anyhow::Error::from)?;
    let key = BidderKey::generate(id);
    key.save(out).map_err(anyhow::Error::from)?;
    let text = format!(
        "key file:   {}\nbidder:     {}\npublic key: {}\nRegister this entry in the auction file's \"bidders\":\n  {}\n",
        out.display(),
        key.bidder,
        key.public_hex(),
        key.registration()
    );
    print(
        json,
        json!({"key_file": out, "registration": key.registration()}),
        &text,
    );
    Ok(0)
}

fn registered_key(info: &AuctionInfo, key: &BidderKey) -> Result<(), Exit> {
    match info.bidders.get(&key.bidder) {
        None => Err(fail(
            EXIT_ERROR,
            anyhow::anyhow!(
                "bidder {} is not registered in this auction file",
                key.bidder
            ),
        )),
        Some(k) if *k != key.signing.verifying_key() => Err(fail(
            EXIT_ERROR,
            anyhow::anyhow!(
                "the auction file registers another public key for bidder {} than this key file's {}",
                key.bidder,
                key.public_hex()
            ),
        )),
        Some(_) => Ok(()),
    }
}

fn check(json: bool, bid: &Path, who: &Who, auction: &Path) -> Result<u8, Exit> {
    let info = auction_file::load(auction).map_err(anyhow::Error::from)?;
    let bidder = match (&who.key, &who.bidder) {
        (Some(k), _) => Some(BidderKey::load(k).map_err(anyhow::Error::from)?.bidder),
        (None, Some(b)) => Some(BidderId(b.clone())),
        (None, None) => None,
    };
    let bid = load_bid(bid, &info.params, bidder.as_ref()).map_err(bid_error)?;
    let p = &info.params;
    let text = format!(
        "bid of {} is valid for auction {} (K = {}, prices 0..={}, quantities 0..={})\n{}",
        bid.bidder,
        p.id,
        p.max_orders_per_side,
        p.max_price,
        p.max_quantity,
        curve_table(&bid)
    );
    print(
        json,
        json!({"valid": true, "bid": curves_json(&bid)}),
        &text,
    );
    Ok(0)
}

async fn submit_cmd(json: bool, a: &SubmitArgs) -> Result<u8, Exit> {
    let info = auction_file::load(&a.auction).map_err(anyhow::Error::from)?;
    let key = BidderKey::load(&a.key).map_err(anyhow::Error::from)?;
    registered_key(&info, &key)?;
    let bid = load_bid(&a.bid, &info.params, Some(&key.bidder)).map_err(bid_error)?;
    let version = a.version.unwrap_or_else(|| {
        highest_version(&a.receipts, &info.params.id, &key.bidder).map_or(1, |v| v + 1)
    });
    let subs = auction::wire::prepare_submissions(
        &info.params,
        &bid,
        version,
        &key.signing,
        &mut rand_core::OsRng,
    )
    .map_err(|e| fail(EXIT_INVALID, e))?;
    let apis = node_apis(&info);
    let policy = RetryPolicy {
        attempts: a.attempts.max(1),
        first_delay: Duration::from_millis(a.retry_delay_ms),
        max_delay: Duration::from_secs(4),
    };
    eprintln!(
        "sending version {version} of {}'s bid to nodes 0, 1 and 2",
        key.bidder
    );
    let progress = |p: Progress| match p {
        Progress::Acknowledged { node } => eprintln!("  node {node}: stored, receipt verified"),
        Progress::Retrying {
            node,
            attempt,
            wait,
            error,
        } => {
            eprintln!("  node {node}: attempt {attempt} failed ({error}); retrying in {wait:?}")
        }
        Progress::Failed { node, error } => eprintln!("  node {node}: {error}"),
    };
    let report = submit(&apis, &info, &subs, policy, &progress).await;
    let mut stored = Vec::new();
    for r in report.receipts() {
        let path = store_receipt(&a.receipts, r).with_context(|| {
            format!(
                "storing the receipt of node {} in {}",
                r.node,
                a.receipts.display()
            )
        })?;
        stored.push(path);
    }
    let mut lines = String::new();
    let mut nodes_json = Vec::new();
    let mut bad_receipt = false;
    let mut refused = false;
    for (i, n) in report.nodes.iter().enumerate() {
        let (state, detail) = match n {
            NodeOutcome::Acknowledged(_) => ("acknowledged", String::new()),
            NodeOutcome::Refused { status, message } => {
                refused = true;
                ("refused", format!("HTTP {status} {message}"))
            }
            NodeOutcome::Unreachable {
                attempts,
                last_error,
            } => (
                "unreachable",
                format!("after {attempts} attempts: {last_error}"),
            ),
            NodeOutcome::BadReceipt(e) => {
                bad_receipt = true;
                ("bad_receipt", e.to_string())
            }
        };
        lines.push_str(&format!("  node {i}: {state} {detail}\n"));
        nodes_json.push(json!({"node": i, "state": state, "detail": detail}));
    }
    let acks = report.acknowledged();
    let verdict = if report.complete() {
        format!("all three nodes acknowledged version {version}: the bid counts\n")
    } else if refused {
        format!(
            "only {acks} of 3 nodes acknowledged version {version}: THE BID DOES NOT COUNT; a node refused it (see above)\n"
        )
    } else {
        format!(
            "only {acks} of 3 nodes acknowledged version {version}: THE BID DOES NOT COUNT until all three hold it; run this command again (a new version goes to all three)\n"
        )
    };
    print(
        json,
        json!({"bidder": key.bidder, "version": version, "acknowledged": acks, "complete": report.complete(),
               "nodes": nodes_json, "receipts": stored}),
        &format!(
            "{lines}{verdict}receipts kept in {}\n",
            a.receipts.display()
        ),
    );
    Ok(if bad_receipt {
        EXIT_VERIFY
    } else if report.complete() {
        0
    } else if refused {
        EXIT_REFUSED
    } else {
        EXIT_INCOMPLETE
    })
}

async fn result_cmd(
    json: bool,
    auction: &Path,
    key: &Path,
    bid: Option<&Path>,
) -> Result<u8, Exit> {
    let info = auction_file::load(auction).map_err(anyhow::Error::from)?;
    let key = BidderKey::load(key).map_err(anyhow::Error::from)?;
    let bid = match bid {
        Some(p) => Some(load_bid(p, &info.params, Some(&key.bidder)).map_err(bid_error)?),
        None => None,
    };
    let apis = node_apis(&info);
    let (bundle, served, problems) = match fetch_bundle(&apis, &[0, 1, 2]).await {
        Ok(x) => x,
        Err(e @ bidder_client::result::FetchError::NotReady(_)) => {
            return Err(fail(EXIT_INCOMPLETE, e));
        }
        Err(e) => return Err(fail(EXIT_VERIFY, e)),
    };
    for p in &problems {
        eprintln!("warning: {p}");
    }
    if let Err(e) = check_bundle(&info, &bundle) {
        return Err(fail(
            EXIT_VERIFY,
            anyhow::anyhow!("the outcome does not check out: {e}"),
        ));
    }
    let o = &bundle.outcome;
    let alloc = o.allocations.iter().find(|a| a.bidder == key.bidder);
    let exclusion = o.excluded.iter().find(|e| e.bidder == key.bidder);
    let mut text = format!(
        "outcome of auction {} (signed by nodes 0, 1 and 2; served by nodes {served:?})\n  price:  {}\n  volume: {}\n",
        o.auction,
        o.price.map_or("none (no trade)".into(), |p| p.to_string()),
        o.volume
    );
    match (alloc, exclusion) {
        (Some(a), _) => text.push_str(&format!(
            "  {}: bought {}, sold {}\n",
            key.bidder, a.bought, a.sold
        )),
        (None, Some(e)) => text.push_str(&format!("  {}: EXCLUDED: {}\n", key.bidder, e.reason)),
        (None, None) => text.push_str(&format!("  {}: no bid in this auction\n", key.bidder)),
    }
    let mut code = 0;
    let check = bid.as_ref().map(|b| check_allocation(b, o.price, alloc));
    if let Some(c) = &check {
        if exclusion.is_some() {
            text.push_str("  (excluded: nothing to check against the bid)\n");
        } else if c.failures.is_empty() {
            text.push_str(&format!(
                "  allocation consistent with the bid (could buy up to {}, sell up to {})\n",
                c.buy_eligible, c.sell_eligible
            ));
        } else {
            code = EXIT_VERIFY;
            for f in &c.failures {
                text.push_str(&format!("  ALLOCATION CONTRADICTS THE BID: {f}\n"));
            }
        }
        for n in &c.notes {
            text.push_str(&format!("  note: {n}\n"));
        }
    }
    print(
        json,
        json!({"auction": o.auction, "price": o.price, "volume": o.volume, "bidder": key.bidder,
               "allocation": alloc, "excluded": exclusion.map(|e| &e.reason), "check": check,
               "served_by": served}),
        &text,
    );
    Ok(code)
}

fn run(cli: Cli) -> Result<u8, Exit> {
    let rt = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the runtime")
    };
    match &cli.command {
        Command::Keygen { bidder, out } => keygen(cli.json, bidder.clone(), out),
        Command::Check { bid, who, auction } => check(cli.json, bid, who, auction),
        Command::Submit(a) => rt()?.block_on(submit_cmd(cli.json, a)),
        Command::Result { auction, key, bid } => {
            rt()?.block_on(result_cmd(cli.json, auction, key, bid.as_deref()))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Exit(code, e)) => {
            if json {
                println!("{}", json!({"error": format!("{e:#}"), "exit": code}));
            }
            eprintln!("error: {e:#}");
            ExitCode::from(code)
        }
    }
}
