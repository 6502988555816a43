//! `demo`: the whole product on one machine in one command.
//!
//! `cargo run --release --bin demo` creates keys and an auction file in a
//! temporary folder, starts three clearing nodes as separate processes on
//! 127.0.0.1, .2 and .3, submits the 1,229 bids of the sugar-beet-like
//! market concurrently through the bidder library (shared, signed, one
//! bundle per node over HTTPS, every receipt checked), closes bidding,
//! waits for the nodes to agree on the bid set, draw the seed, clear and
//! sign, then audits the signed outcome (signatures, bid set, receipts, and
//! the plaintext reference over the same bids) and prints the price, the
//! volume, an allocation summary and the time of each phase. The node
//! processes are stopped at the end, on failure and on Ctrl-C. Exit code 0
//! only when the audit passes, 4 when it fails, 1 when the demo could not
//! run ([`EXIT_CODES`]).
//!
//! The nodes run the `clearing-node` daemon's code: by default this
//! executable starts itself with its `node` subcommand (the daemon is linked
//! in from the `nodes` crate), so the single `cargo run` command builds all
//! it needs; `--node-bin PATH` runs a `clearing-node` binary instead.
//!
//! `demo prepare DIR` only writes the keys, configs and auction file (and a
//! key file per bidder) for a hand-run auction with the `bidder` program.

#[path = "demo/cluster.rs"]
mod cluster;
#[path = "demo/page.rs"]
mod page;

use anyhow::{Context, Result, bail};
use auction::generate::{GenParams, generate};
use auction::validate::check_bid;
use auction::wire::{OutcomeBundle, Receipt, Submission, Version};
use auction::{BidderId, MarketFile};
use bidder_client::auction_file::{self, AuctionInfo};
use bidder_client::https::NodeApi;
use bidder_client::keys::BidderKey;
use bidder_client::result::fetch_bundle;
use bidder_client::submit::{NodeOutcome, RetryPolicy, node_apis, share_bid, share_raw, submit};
use bidder_client::verify::{Inputs, verify};
use bidder_client::{errln, out, outln};
use clap::{Args, Parser, Subcommand};
use cluster::{Cluster, NodeProgram};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The audit of the outcome failed.
const EXIT_AUDIT_FAILED: u8 = 4;

/// The exit codes, for `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  the auction cleared and the audit passed (`prepare`: the files are written)
  1  could not run, or stopped with an error (a node that does not start, a bid not
     acknowledged, no outcome in time, Ctrl-C); the message says which
  2  bad arguments (usage)
  4  the auction cleared but the audit of the outcome FAILED
Standard output closed early (`| head`) changes nothing: the demo runs to the end,
stops its nodes and exits with the audit's code.";

#[derive(Parser)]
#[command(
    name = "demo",
    about = "Runs a whole sealed-bid double auction on three local clearing nodes",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct RunArgs {
    /// A market file to run instead of the generated sugar-beet-like market.
    #[arg(long)]
    market: Option<PathBuf>,
    /// Keep the outcome here: outcome.json (the spec's outcome), bundle.json
    /// (with the three node signatures) and auction.json (to verify it with
    /// `auditor verify --bundle DIR/bundle.json --auction DIR/auction.json`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run this `clearing-node` binary for the nodes instead of this
    /// executable's built-in `node` subcommand.
    #[arg(long)]
    node_bin: Option<PathBuf>,
    /// Bids in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds to wait for the nodes to publish after the close.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// For a browser: register a bidder `guest` (key file printed), keep
    /// bidding open after the market's bids until Enter is pressed (bid in
    /// the page meanwhile), pace the clearing so the live view can follow
    /// it, and keep the nodes running after the audit until Enter again.
    #[arg(long)]
    keep_open: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run one clearing node (what the demo starts three times).
    Node {
        /// The node config (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Only write node keys, configs, the auction file and bidder key files
    /// into DIR (for a hand-run auction); start nodes with `demo node`.
    Prepare {
        /// The folder to write into (created).
        dir: PathBuf,
        /// Bidders to register: bidder-0000, bidder-0001, ...
        #[arg(long, default_value_t = 3)]
        bidders: usize,
        /// K.
        #[arg(long, default_value_t = 4)]
        k: u32,
    },
}

fn secs(d: Duration) -> String {
    format!("{:>7.2} s", d.as_secs_f64())
}

/// Thousands separators.
fn n(v: u64) -> String {
    let digits: Vec<char> = v.to_string().chars().rev().collect();
    let groups: Vec<String> = digits
        .chunks(3)
        .map(|c| c.iter().rev().collect())
        .rev()
        .collect();
    groups.join(",")
}

fn load_market(path: Option<&Path>) -> Result<(MarketFile, String)> {
    match path {
        None => Ok((
            generate(&GenParams::sugar_beet()),
            "the sugar-beet-like market (generated)".into(),
        )),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let m = MarketFile::parse(&text).with_context(|| format!("in {}", p.display()))?;
            Ok((m, p.display().to_string()))
        }
    }
}

async fn wait_healthy(apis: &[NodeApi; 3], cluster: &mut Cluster) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    for (i, api) in apis.iter().enumerate() {
        loop {
            if let Ok((200, _)) = api.get("/v1/health").await {
                break;
            }
            cluster.check_alive()?;
            if Instant::now() > deadline {
                bail!(
                    "node {i} did not come up in 30 s; its log ends:\n{}",
                    cluster.log_tail(i, 20)
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    Ok(())
}

const PHASES: [&str; 7] = [
    "closed",
    "checked",
    "agreed",
    "committed",
    "seeded",
    "cleared",
    "published",
];

/// Polls the three nodes' status until all have published; returns, per
/// phase, when the last node reached it.
async fn wait_published(
    apis: &[NodeApi; 3],
    cluster: &mut Cluster,
    start: Instant,
    timeout: Duration,
) -> Result<Vec<Duration>> {
    let mut reached = [[None::<Duration>; 7]; 3];
    let mut problem = None;
    loop {
        for (i, api) in apis.iter().enumerate() {
            if let Ok((200, body)) = api.get("/v1/status").await {
                let v: nodes::status::Status = serde_json::from_slice(&body)?;
                let phase = v.phase.name();
                if let Some(k) = PHASES.iter().position(|p| *p == phase) {
                    for slot in reached[i].iter_mut().take(k + 1) {
                        slot.get_or_insert(start.elapsed());
                    }
                }
                if let Some(p) = &v.clearing.problem {
                    problem = Some(format!("node {i}: {p}"));
                }
            }
        }
        if reached.iter().all(|r| r[6].is_some()) {
            return Ok((0..7)
                .map(|k| {
                    reached
                        .iter()
                        .map(|r| r[k].expect("reached"))
                        .max()
                        .expect("three")
                })
                .collect());
        }
        cluster.check_alive()?;
        if start.elapsed() > timeout {
            bail!(
                "the nodes did not publish within {timeout:?} (last problem: {}); node 0's log ends:\n{}",
                problem.as_deref().unwrap_or("none reported"),
                cluster.log_tail(0, 20)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Submitted {
    receipts: Vec<Receipt>,
    /// The bids that went to the nodes, as written.
    sent: Vec<auction::RawBid>,
    invalid_sent: usize,
    not_sendable: Vec<String>,
}

async fn submit_all(
    market: &MarketFile,
    keys: &[BidderKey],
    info: &Arc<AuctionInfo>,
    apis: &Arc<[NodeApi; 3]>,
    concurrency: usize,
) -> Result<Submitted> {
    let params = &market.auction;
    let mut prepared: Vec<(usize, [Submission; 3])> = Vec::new();
    let mut out = Submitted {
        receipts: vec![],
        sent: vec![],
        invalid_sent: 0,
        not_sendable: vec![],
    };
    for (i, raw) in market.bids.iter().enumerate() {
        let subs = match check_bid(params, raw) {
            Ok(bid) => share_bid(params, &bid, Version::FIRST, &keys[i].signing)?,
            // A bid no correct client would send: shared as written so that
            // the clearing's own range check has to exclude it.
            Err(_) => match share_raw(params, raw, Version::FIRST, &keys[i].signing) {
                Ok(s) => {
                    out.invalid_sent += 1;
                    s
                }
                Err(e) => {
                    out.not_sendable.push(e.to_string());
                    continue;
                }
            },
        };
        out.sent.push(raw.clone());
        prepared.push((i, subs));
    }
    let total = prepared.len();
    let done = Arc::new(AtomicUsize::new(0));
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, subs) in prepared {
        let (info, apis, sem, done) = (info.clone(), apis.clone(), sem.clone(), done.clone());
        set.spawn(async move {
            let _permit = sem.acquire().await.expect("semaphore");
            let report = submit(&apis, &info, &subs, RetryPolicy::default(), &|_| {}).await;
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            if d * 4 / total != (d - 1) * 4 / total {
                errln!("  submitted {d}/{total}");
            }
            (i, report)
        });
    }
    while let Some(r) = set.join_next().await {
        let (i, report) = r?;
        if !report.complete() {
            let why: Vec<String> = report
                .nodes
                .iter()
                .enumerate()
                .filter_map(|(k, n)| match n {
                    NodeOutcome::Acknowledged(_) => None,
                    other => Some(format!("node {k}: {other:?}")),
                })
                .collect();
            bail!(
                "bid of {} was not acknowledged by all three nodes: {}",
                market.bids[i].bidder,
                why.join("; ")
            );
        }
        out.receipts.extend(report.receipts().cloned());
    }
    Ok(out)
}

fn summary(b: &OutcomeBundle) -> String {
    let o = &b.outcome;
    let buyers = o.allocations.iter().filter(|a| a.bought.0 > 0).count();
    let sellers = o.allocations.iter().filter(|a| a.sold.0 > 0).count();
    let mut s = format!(
        "outcome\n  price:  {}\n  volume: {}\n  {} allocations: {} bidders bought, {} sold, {} traded nothing; {} bids excluded\n",
        o.price.map_or("none (no trade)".into(), |p| n(p.0.into())),
        n(o.volume.0),
        o.allocations.len(),
        buyers,
        sellers,
        o.allocations
            .iter()
            .filter(|a| a.bought.0 == 0 && a.sold.0 == 0)
            .count(),
        o.excluded.len()
    );
    let top = |f: &dyn Fn(&auction::Allocation) -> u64| {
        let mut v: Vec<_> = o.allocations.iter().filter(|a| f(a) > 0).collect();
        v.sort_by_key(|a| std::cmp::Reverse(f(a)));
        v.iter()
            .take(3)
            .map(|a| format!("{} {}", a.bidder, n(f(a))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if o.volume.0 > 0 {
        s.push_str(&format!("  largest buyers:  {}\n", top(&|a| a.bought.0)));
        s.push_str(&format!("  largest sellers: {}\n", top(&|a| a.sold.0)));
    }
    for e in o.excluded.iter().take(3) {
        s.push_str(&format!("  excluded: {} ({})\n", e.bidder, e.reason));
    }
    s
}

async fn run_demo(args: &RunArgs, program: NodeProgram) -> Result<bool> {
    let t0 = Instant::now();
    let (market, name) = load_market(args.market.as_deref())?;
    let params = market.auction.clone();
    outln!(
        "demo: {} bids of {name}; K = {}, prices 0..={}",
        n(market.bids.len() as u64),
        params.max_orders_per_side,
        n(params.max_price.into())
    )?;
    let dir = tempfile::Builder::new().prefix("triad-demo-").tempdir()?;
    let keys: Vec<BidderKey> = market
        .bids
        .iter()
        .map(|b| BidderKey::generate(b.bidder.clone()))
        .collect();
    let guest = match args.keep_open {
        true => Some(page::guest_key(dir.path())?),
        false => None,
    };
    let reg: Vec<(BidderId, &BidderKey)> = keys
        .iter()
        .chain(guest.as_ref().map(|g| &g.0))
        .map(|k| (k.bidder.clone(), k))
        .collect();
    let pace_ms = if args.keep_open { 150 } else { 0 };
    let mut cluster = Cluster::prepare_paced(dir.path(), &params, &reg, pace_ms)?;
    for i in 0..3 {
        let pid = cluster.start(i, &program)?;
        outln!("  node {i}: https://{} (pid {pid})", cluster.nodes[i].api)?;
    }
    page::print_pages(&cluster)?;
    let info = Arc::new(auction_file::load(&cluster.auction_path)?);
    let apis = Arc::new(node_apis(&info));
    wait_healthy(&apis, &mut cluster).await?;
    let t_setup = t0.elapsed();
    outln!(
        "  folder {} (removed at the end); keys, auction file and three nodes up",
        dir.path().display()
    )?;

    let t1 = Instant::now();
    let sub = submit_all(&market, &keys, &info, &apis, args.concurrency).await?;
    let t_submit = t1.elapsed();
    outln!(
        "  {} bids acknowledged by all three nodes ({} receipts checked){}",
        n(sub.sent.len() as u64),
        n(sub.receipts.len() as u64),
        if sub.invalid_sent > 0 {
            format!("; {} invalid bids sent as written", sub.invalid_sent)
        } else {
            String::new()
        }
    )?;
    for e in &sub.not_sendable {
        outln!("  not sendable (no bundle can carry it): {e}")?;
    }

    if let Some((_, key_file)) = &guest {
        page::bid_in_the_browser(&cluster, key_file).await?;
    }

    let t2 = Instant::now();
    cluster.close_all()?;
    let times = wait_published(&apis, &mut cluster, t2, Duration::from_secs(args.timeout)).await?;
    let (bundle, served, problems) = fetch_bundle(&apis[..], &[0, 1, 2], &info.params.id).await?;

    let t3 = Instant::now();
    let sent_market = MarketFile {
        auction: params.clone(),
        seed: market.seed,
        bids: sub.sent.clone(),
    };
    // The guest's bid is known to the guest's browser alone: with it in
    // the set, the plaintext recomputation cannot run.
    let guest_bid = bundle.bid_set.iter().any(|e| e.bidder.0 == page::GUEST);
    if guest_bid {
        outln!(
            "  the guest's bid is in the outcome; the audit's plaintext recomputation is left out (only your browser knows that bid)"
        )?;
    }
    let report = verify(&Inputs {
        info: &info,
        bundle: &bundle,
        served: Some((served, problems)),
        receipts: Some(&sub.receipts),
        plaintext: (!guest_bid).then_some(&sent_market),
    });
    let t_audit = t3.elapsed();

    out!("{}", summary(&bundle))?;
    // times[k]: when the last node reached PHASES[k], from the close.
    let at = |k: usize| times[k];
    outln!("phase times")?;
    outln!(
        "  setup: keys, auction file, nodes up        {}",
        secs(t_setup)
    )?;
    outln!(
        "  submission: {:>5} bids to three nodes       {}",
        sub.sent.len(),
        secs(t_submit)
    )?;
    outln!(
        "  close and bid lists compared               {}",
        secs(at(1))
    )?;
    outln!(
        "  bid set agreed, seed committed and drawn   {}",
        secs(at(4) - at(1))
    )?;
    outln!(
        "  clearing (three-party computation)         {}",
        secs(at(5) - at(4))
    )?;
    outln!(
        "  signatures exchanged, outcome published    {}",
        secs(at(6) - at(5))
    )?;
    outln!(
        "  audit                                      {}",
        secs(t_audit)
    )?;
    outln!(
        "  total                                      {}",
        secs(t0.elapsed())
    )?;
    outln!("audit")?;
    for line in report.to_text().lines().skip(1) {
        outln!("  {line}")?;
    }

    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        std::fs::write(
            out.join("outcome.json"),
            serde_json::to_string_pretty(&bundle.outcome)? + "\n",
        )?;
        std::fs::write(
            out.join("bundle.json"),
            serde_json::to_string_pretty(&bundle)? + "\n",
        )?;
        std::fs::copy(&cluster.auction_path, out.join("auction.json"))?;
        outln!(
            "kept {}/outcome.json, bundle.json and auction.json (check with: auditor verify --bundle {0}/bundle.json --auction {0}/auction.json)",
            out.display()
        )?;
    }
    if guest.is_some() {
        page::keep_serving(&cluster).await?;
    }
    drop(cluster);
    Ok(report.passed)
}

fn prepare(dir: &Path, bidders: usize, k: u32) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let params = auction::AuctionParams {
        id: "hand-run".into(),
        max_price: 1000,
        max_quantity: 1000,
        max_orders_per_side: k,
    };
    let keys: Vec<BidderKey> = (0..bidders)
        .map(|i| BidderKey::generate(BidderId(format!("bidder-{i:04}"))))
        .collect();
    for key in &keys {
        key.save(&dir.join(format!("{}.key.json", key.bidder)))?;
    }
    let reg: Vec<(BidderId, &BidderKey)> = keys.iter().map(|k| (k.bidder.clone(), k)).collect();
    let cluster = Cluster::prepare(dir, &params, &reg)?;
    outln!("{}", cluster.auction_path.display())?;
    for node in &cluster.nodes {
        outln!("{}", node.config.display())?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Node { config }) => {
            nodes::logging::init(false);
            return match nodes::config::NodeConfig::load(&config).and_then(nodes::run::run) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    errln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::Prepare { dir, bidders, k }) => prepare(&dir, bidders, k).map(|_| true),
        None => {
            let program = match &cli.run.node_bin {
                Some(p) => Ok(NodeProgram::ClearingNode(p.clone())),
                None => std::env::current_exe()
                    .map(NodeProgram::SelfExe)
                    .map_err(anyhow::Error::from),
            };
            program.and_then(|program| {
                let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
                rt.block_on(async {
                    tokio::select! {
                        r = run_demo(&cli.run, program) => r,
                        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted; nodes stopped")),
                    }
                })
            })
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            errln!("the audit FAILED");
            ExitCode::from(EXIT_AUDIT_FAILED)
        }
        Err(e) => {
            errln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
