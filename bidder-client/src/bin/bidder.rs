//! `bidder`: write, check, submit a bid and read its result.
//!
//! ```text
//! bidder keygen --bidder ID --out KEY.json
//! bidder check BID_FILE --auction AUCTION.json [--key KEY.json | --bidder ID]
//! bidder submit BID_FILE --auction AUCTION.json --key KEY.json [--receipts DIR] [--allow-empty]
//! bidder result --auction AUCTION.json --key KEY.json [--bid BID_FILE]
//! ```
//!
//! Every command takes `--json` for a machine-readable answer on stdout;
//! progress goes to stderr. The bid-file formats and the exit codes are in
//! [`BID_FILES`] and [`EXIT_CODES`], shown by `--help`.

use anyhow::Context;
use auction::BidderId;
use auction::wire::Version;
use bidder_client::auction_file::{self, AuctionInfo};
use bidder_client::bidfile::{BidFileError, curve_table, curves_json, has_orders, load_bid};
use bidder_client::keys::BidderKey;
use bidder_client::receipts::ReceiptError;
use bidder_client::receipts::{highest_version, store_receipt};
use bidder_client::result::{check_allocation, check_bundle, fetch_bundle};
use bidder_client::submit::{NodeOutcome, Progress, RetryPolicy, node_apis, submit};
use bidder_client::{errln, out, outln};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const EXIT_ERROR: u8 = 1;
// 2 is clap's: bad arguments.
const EXIT_INCOMPLETE: u8 = 3;
const EXIT_VERIFY: u8 = 4;
const EXIT_REFUSED: u8 = 5;
const EXIT_INVALID: u8 = 6;
const EXIT_EXCLUDED: u8 = 7;
const EXIT_EMPTY: u8 = 8;

/// The bid-file formats, for `--help`.
const BID_FILES: &str = "\
Bid files (an example of each, all four the same bid, in fixtures/bids/):
  JSON orders   {\"bidder\": \"farmer-0001\", \"buy\": [{\"price\": 700, \"quantity\": 100}],
                 \"sell\": [{\"price\": 850, \"quantity\": 60}]}
  JSON curve    {\"buy_curve\": [{\"price\": 700, \"total\": 100}, {\"price\": 400, \"total\": 300}],
                 \"sell_curve\": []}   cumulative: 100 in all at 700 or lower, 300 in all
                 at 400 or lower (that is, 200 more)
  CSV orders    side,price,quantity   one order a line (the header line is optional),
                 e.g. buy,700,100
  CSV curve     side,price,total      the header line is required; totals are cumulative
  A file is JSON when its first non-blank character is '{', CSV otherwise. \"bidder\" may
  be left out (it is then the key file's bidder), and so may an empty side. In CSV the
  side is buy (or b) or sell (or s), # starts a comment, blank lines are skipped.
  Prices are whole ticks in 0..=max_price, quantities whole units in 0..=max_quantity,
  at most K = max_orders_per_side orders a side: the auction file sets all three.
  A bid with no orders (or only orders of quantity 0) is valid but trades nothing:
  `check` warns (exit code 8) and `submit` sends it only with --allow-empty.";

/// The exit codes, for `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  done: the bid is valid / all three nodes acknowledged / the outcome checks out
     and the bid took part
  1  could not run: unreadable or malformed file, unregistered bidder, ...
  2  bad arguments (usage)
  3  incomplete: fewer than three nodes acknowledged (the bid does not count yet; run
     `submit` again), or no outcome yet
  4  verification failed: a bad receipt (a node with another auction file or key), an
     outcome whose signatures do not verify, nodes that disagree, or an allocation that
     contradicts the bid
  5  a node refused the bid (bidding closed or not open, unknown bidder, a --version not
     newer than the one held): running the command again as it is will not help
  6  the bid is invalid for this auction (the message names side, slot, field and
     limit); nothing was sent
  7  `result`: the bid was excluded from the outcome (the published reason and what to do
     are shown), or the bid given with --bid is not in the outcome
  8  the bid has no orders: valid, but it trades nothing (`check` warns; `submit` sends
     nothing without --allow-empty)";

#[derive(Parser)]
#[command(
    name = "bidder",
    version,
    about = "Write, check, submit a sealed bid and read its result",
    after_help = format!("{BID_FILES}\n\n{EXIT_CODES}")
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
    #[command(after_help = format!("{BID_FILES}\n\n{EXIT_CODES}"))]
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
    #[command(after_help = format!("{BID_FILES}\n\n{EXIT_CODES}"))]
    Submit(SubmitArgs),
    /// Fetch and check the outcome; show the version that counted and check this bidder's allocation.
    #[command(after_help = EXIT_CODES)]
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
    /// The version to send. By default one more than the highest receipted;
    /// when a node already holds a newer one (a lost receipts folder), one
    /// more than that, said on stderr.
    #[arg(long)]
    version: Option<u64>,
    /// Send a bid that has no orders (it replaces any earlier version with
    /// one that trades nothing).
    #[arg(long)]
    allow_empty: bool,
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

fn print(json: bool, value: serde_json::Value, text: &str) -> Result<(), Exit> {
    let r = if json {
        outln!("{}", serde_json::to_string_pretty(&value).expect("json"))
    } else {
        out!("{text}")
    };
    r.context("writing standard output")?;
    Ok(())
}

/// What a bid with no orders is, for warnings and errors.
const NO_ORDERS: &str = "holds no orders (none with a quantity above 0): it is valid but trades nothing, which is almost always a mistake (an empty or truncated file?)";

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
    )?;
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
    let path = bid;
    let bid = load_bid(path, &info.params, bidder.as_ref()).map_err(bid_error)?;
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
    let mut answer = json!({"valid": true, "bid": curves_json(&bid)});
    let code = if has_orders(&bid) {
        0
    } else {
        let warning = format!("bid file {} {NO_ORDERS}", path.display());
        errln!("warning: {warning}");
        answer["warning"] = json!(warning);
        EXIT_EMPTY
    };
    print(json, answer, &text)?;
    Ok(code)
}

/// "node 1", "nodes 0 and 2", "nodes 0, 1 and 2".
fn node_list(nodes: &[u8]) -> String {
    match nodes {
        [n] => format!("node {n}"),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(u8::to_string).collect();
            format!("nodes {} and {last}", rest.join(", "))
        }
        [] => "no node".to_string(),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// What to do about a node's bad receipt: nothing a rerun changes.
fn bad_receipt_advice(node: usize, e: &ReceiptError) -> String {
    match e {
        ReceiptError::OtherAuctionFile {
            node_hash, ours, ..
        } => format!(
            "node {node} serves a different auction file (auction hash {node_hash}; yours is {ours}). \
             Running this command again will not help: contact the operator of node {node}. \
             The three nodes and every bidder must use an auction file with the same terms \
             (`clearing-node hash FILE` prints a file's auction hash); if yours is outdated, get the current one."
        ),
        ReceiptError::BadSignature(_) => format!(
            "node {node}'s receipt is not signed by the key your auction file lists for node {node}. \
             Running this command again will not help: contact the operator of node {node} \
             (or check that your auction file is the current one)."
        ),
        ReceiptError::Mismatch { field, .. } => format!(
            "node {node}'s receipt names another {field} than the bid sent. \
             Running this command again will not help: contact the operator of node {node}."
        ),
    }
}

async fn submit_cmd(json: bool, a: &SubmitArgs) -> Result<u8, Exit> {
    let info = auction_file::load(&a.auction).map_err(anyhow::Error::from)?;
    let key = BidderKey::load(&a.key).map_err(anyhow::Error::from)?;
    registered_key(&info, &key)?;
    let bid = load_bid(&a.bid, &info.params, Some(&key.bidder)).map_err(bid_error)?;
    if !has_orders(&bid) && !a.allow_empty {
        return Err(fail(
            EXIT_EMPTY,
            anyhow::anyhow!(
                "bid file {} {NO_ORDERS}. Nothing was sent: this bid would replace any earlier version of {}'s bid with one that trades nothing. \
                 If that is what you mean (to withdraw), add --allow-empty",
                a.bid.display(),
                key.bidder
            ),
        ));
    }
    let receipts = a.receipts.display();
    let (mut version, mut why) = match a.version {
        Some(v) => (Version(v), "given with --version".to_string()),
        None => match highest_version(&a.receipts, &info.params.id, &key.bidder) {
            Some(h) => (
                h.next(),
                format!("one more than the newest receipt in {receipts}"),
            ),
            None => (
                Version::FIRST,
                format!("no receipt of this bidder in {receipts}"),
            ),
        },
    };
    let apis = node_apis(&info);
    let policy = RetryPolicy {
        attempts: a.attempts.max(1),
        first_delay: Duration::from_millis(a.retry_delay_ms),
        max_delay: Duration::from_secs(4),
    };
    let progress = |p: Progress| match p {
        Progress::Acknowledged { node } => errln!("  node {node}: stored, receipt verified"),
        Progress::Retrying {
            node,
            attempt,
            wait,
            error,
        } => {
            errln!("  node {node}: attempt {attempt} failed ({error}); retrying in {wait:?}")
        }
        Progress::Failed { node, error } => errln!("  node {node}: {error}"),
    };
    let mut stored = Vec::new();
    let mut rounds = 0;
    let report = loop {
        rounds += 1;
        let subs = auction::wire::prepare_submissions(
            &info.params,
            &bid,
            version,
            &key.signing,
            &mut rand_core::OsRng,
        )
        .map_err(|e| fail(EXIT_INVALID, e))?;
        errln!(
            "sending version {version} of {}'s bid to nodes 0, 1 and 2 ({why})",
            key.bidder
        );
        let report = submit(&apis, &info, &subs, policy, &progress).await;
        for r in report.receipts() {
            let path = store_receipt(&a.receipts, r).with_context(|| {
                format!(
                    "storing the receipt of node {} in {}",
                    r.node.index(),
                    a.receipts.display()
                )
            })?;
            stored.push(path);
        }
        // A node holding a newer version than the receipts show (a lost or
        // other receipts folder): no route tells a bidder its newest
        // version, but the refusal names it. Not when --version was given,
        // and at most twice more (another copy of this key sending at the
        // same time could race it).
        match report.newest_held() {
            Some((held, nodes)) if a.version.is_none() && held >= version && rounds < 3 => {
                let next = held.next();
                errln!(
                    "{} already {} version {held} of this bid, which the receipts folder {receipts} does not show \
                     (a lost or another receipts folder?): sending version {next} to all three nodes instead",
                    node_list(&nodes),
                    if nodes.len() == 1 { "holds" } else { "hold" },
                );
                why = format!("one more than the version {held} the nodes hold");
                version = next;
            }
            _ => break report,
        }
    };
    let mut lines = String::new();
    let mut nodes_json = Vec::new();
    let mut bad_receipts = Vec::new();
    let mut refused = false;
    for (i, n) in report.nodes.iter().enumerate() {
        let (state, detail) = match n {
            NodeOutcome::Acknowledged(_) => ("acknowledged", String::new()),
            NodeOutcome::Refused {
                status, message, ..
            } => {
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
                bad_receipts.push(bad_receipt_advice(i, e));
                ("bad_receipt", e.to_string())
            }
        };
        lines.push_str(&format!("  node {i}: {state}"));
        if !detail.is_empty() {
            lines.push_str(&format!(" {detail}"));
        }
        lines.push('\n');
        nodes_json.push(json!({"node": i, "state": state, "detail": detail}));
    }
    let acks = report.acknowledged();
    let (verdict, advice) = if report.complete() {
        (
            format!("all three nodes acknowledged version {version}: the bid counts"),
            format!(
                "version {version} is the one that counts, unless you send a newer one before the close"
            ),
        )
    } else if !bad_receipts.is_empty() {
        (
            format!(
                "only {acks} of 3 nodes acknowledged version {version} with a valid receipt: THE BID DOES NOT COUNT"
            ),
            bad_receipts.join(" "),
        )
    } else if refused {
        let stale = match report.newest_held() {
            Some((held, nodes)) if a.version.is_some() => format!(
                " {} already {} version {held}: give a --version above {held}, or leave --version out to have the next version found.",
                capitalized(&node_list(&nodes)),
                if nodes.len() == 1 { "holds" } else { "hold" },
            ),
            _ => String::new(),
        };
        (
            format!(
                "only {acks} of 3 nodes acknowledged version {version}: THE BID DOES NOT COUNT; a node refused it (see above)"
            ),
            format!("running this command again as it is will not help.{stale}"),
        )
    } else {
        (
            format!(
                "only {acks} of 3 nodes acknowledged version {version}: THE BID DOES NOT COUNT until all three hold it"
            ),
            "run this command again (a new version goes to all three)".to_string(),
        )
    };
    print(
        json,
        json!({"bidder": key.bidder, "version": version, "acknowledged": acks, "complete": report.complete(),
               "nodes": nodes_json, "receipts": stored, "verdict": verdict, "advice": advice}),
        &format!(
            "{lines}{verdict}\n{advice}\nreceipts kept in {}\n",
            a.receipts.display()
        ),
    )?;
    Ok(if !bad_receipts.is_empty() {
        EXIT_VERIFY
    } else if report.complete() {
        0
    } else if refused {
        EXIT_REFUSED
    } else {
        EXIT_INCOMPLETE
    })
}

/// What an excluded bidder can do, by the published reason.
fn exclusion_advice(reason: &str, bid_file: Option<&Path>, bid_error: Option<&str>) -> String {
    if reason == auction::validate::INVALID_BID {
        let file = bid_file.map_or("BID_FILE".to_string(), |p| p.display().to_string());
        let detail = match bid_error {
            Some(e) => format!(" The bid file given with --bid is invalid for this auction: {e}."),
            None => String::new(),
        };
        format!(
            "The clearing found the bid out of the auction's limits (a price above max_price, a quantity above \
             max_quantity, or more than K orders on a side); the outcome never says which.{detail} \
             Run `bidder check {file} --auction AUCTION --key KEY` on the bid file that was sent: it names the \
             side, slot, field and limit. This auction is over; check every bid before `bidder submit` next time."
        )
    } else if reason.starts_with("no version held by all three nodes") {
        "No version of this bid was held alike by all three nodes at the close: a version counts only once \
         `bidder submit` reports that all three nodes acknowledged it. This auction is over, so it cannot be \
         repaired in it. If your receipts folder holds receipts from all three nodes for one version, the nodes \
         did not keep what they acknowledged: give the folder to an auditor (`auditor verify --receipts DIR`) \
         and to the operators."
            .to_string()
    } else if reason.starts_with("replicated share component") {
        "A node's copy of this bid differs from another node's: a node or its storage altered it after \
         acknowledging it, through no fault of the bid. Keep your receipts and report this to the operators; \
         `auditor verify --receipts DIR` checks the published outcome against them."
            .to_string()
    } else {
        "This is the nodes' reason. Keep your receipts and ask the operators; `auditor verify --receipts DIR` \
         checks the published outcome against them."
            .to_string()
    }
}

async fn result_cmd(
    json: bool,
    auction: &Path,
    key: &Path,
    bid_path: Option<&Path>,
) -> Result<u8, Exit> {
    let info = auction_file::load(auction).map_err(anyhow::Error::from)?;
    let key = BidderKey::load(key).map_err(anyhow::Error::from)?;
    // An invalid bid file is not fatal before the outcome is known: it may
    // explain an exclusion.
    let (bid, bid_invalid) = match bid_path {
        Some(p) => match load_bid(p, &info.params, Some(&key.bidder)) {
            Ok(b) => (Some(b), None),
            Err(BidFileError::Invalid(e)) => (None, Some(e.to_string())),
            Err(e) => return Err(bid_error(e)),
        },
        None => (None, None),
    };
    let apis = node_apis(&info);
    let (bundle, served, problems) = match fetch_bundle(&apis, &[0, 1, 2], &info.params.id).await {
        Ok(x) => x,
        Err(e @ bidder_client::result::FetchError::NotReady(_)) => {
            return Err(fail(EXIT_INCOMPLETE, e));
        }
        Err(e) => return Err(fail(EXIT_VERIFY, e)),
    };
    for p in &problems {
        errln!("warning: {p}");
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
    let counted = bundle
        .bid_set
        .iter()
        .find(|e| e.bidder == key.bidder)
        .map(|e| e.version);
    let mut text = format!(
        "outcome of auction {} (signed by nodes 0, 1 and 2; served by nodes {served:?})\n  price:  {}\n  volume: {}\n",
        o.auction,
        o.price.map_or("none (no trade)".into(), |p| p.to_string()),
        o.volume
    );
    let mut code = 0;
    let mut advice = None;
    let mut check = None;
    match (alloc, exclusion) {
        (_, Some(e)) => {
            code = EXIT_EXCLUDED;
            text.push_str(&format!("  {}: EXCLUDED: {}\n", key.bidder, e.reason));
            if let Some(v) = counted {
                text.push_str(&format!(
                    "  version {v} was the one in the bid set, and it was excluded\n"
                ));
            }
            let a = exclusion_advice(&e.reason, bid_path, bid_invalid.as_deref());
            text.push_str(&format!("  {a}\n"));
            advice = Some(a);
        }
        (Some(a), None) => {
            text.push_str(&format!(
                "  {}: bought {}, sold {}\n",
                key.bidder, a.bought, a.sold
            ));
            if let Some(v) = counted {
                text.push_str(&format!(
                    "  version {v} of the bid is the one that counted\n"
                ));
            }
        }
        (None, None) => {
            text.push_str(&format!(
                "  {}: no bid in this auction (no node held a version of it at the close)\n",
                key.bidder
            ));
            if bid_path.is_some() {
                code = EXIT_EXCLUDED;
                let a = "The bid given with --bid did not take part: no node held it when bidding closed. \
                         A bid counts only once `bidder submit` reports that all three nodes acknowledged it."
                    .to_string();
                text.push_str(&format!("  {a}\n"));
                advice = Some(a);
            }
        }
    }
    if exclusion.is_none()
        && alloc.is_some()
        && let Some(b) = &bid
    {
        let c = check_allocation(b, o.price, alloc);
        if c.failures.is_empty() {
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
        check = Some(c);
    }
    print(
        json,
        json!({"auction": o.auction, "price": o.price, "volume": o.volume, "bidder": key.bidder,
               "version": counted, "allocation": alloc, "excluded": exclusion.map(|e| &e.reason),
               "advice": advice, "check": check, "served_by": served}),
        &text,
    )?;
    if code == 0
        && let Some(e) = bid_invalid
    {
        return Err(fail(
            EXIT_INVALID,
            anyhow::anyhow!(
                "the bid file given with --bid is invalid for this auction, so the allocation was not checked against it: {e}"
            ),
        ));
    }
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
                // Nothing more to do when even this cannot be written.
                let _ = outln!("{}", json!({"error": format!("{e:#}"), "exit": code}));
            }
            errln!("error: {e:#}");
            ExitCode::from(code)
        }
    }
}
