//! `clearing-node`: the daemon one operator runs, and its tools.

use clap::{Parser, Subcommand};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "clearing-node",
    version,
    about = "One of the three clearing nodes of a sealed-bid double auction, and its tools"
)]
struct Cli {
    /// Log as JSON lines instead of readable text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a node's identity key and TLS certificate in a data folder; print what the other operators need.
    Init {
        /// The data folder to create.
        #[arg(long)]
        data: PathBuf,
        /// Also write DATA/node.toml with this node index (0, 1 or 2) ...
        #[arg(long, requires_all = ["api", "peer", "auction"], value_parser = clap::value_parser!(u8).range(0..=2))]
        index: Option<u8>,
        /// ... this bidder API listen address ...
        #[arg(long)]
        api: Option<SocketAddr>,
        /// ... this peer-link listen address ...
        #[arg(long)]
        peer: Option<SocketAddr>,
        /// ... and this auction file.
        #[arg(long)]
        auction: Option<PathBuf>,
        /// Print the public key and fingerprint as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the node.
    Run {
        /// The node config (TOML).
        #[arg(long)]
        config: PathBuf,
        /// The clearing's protocol variant, overriding the config's
        /// `security`: `abort` (default; a deviating peer is caught before
        /// anything is opened) or `semi-honest` (for comparison only). All
        /// three nodes must use the same.
        #[arg(long, value_name = "abort|semi-honest")]
        security: Option<shares::Security>,
    },
    /// End bidding at the running node now (the operator's close); the peers follow.
    Close {
        /// The node config (TOML).
        #[arg(long)]
        config: PathBuf,
        /// The auction, by id; without it, the only one the node serves or the one of node.toml.
        #[arg(long, value_name = "ID")]
        auction: Option<String>,
        /// Then wait until the outcome is published, printing each step; exit 1 if the node halts or the time runs out.
        #[arg(long)]
        wait: bool,
        /// How long `--wait` waits, in seconds.
        #[arg(long, default_value_t = 600, requires = "wait")]
        timeout: u64,
    },
    /// Show the node as its operator sees it: phase, close time, bids held, clearing step, peers, agreed set. Reads the database (works while the node is down) and asks the running node for its live progress.
    Status {
        /// The node config (TOML).
        #[arg(long)]
        config: PathBuf,
        /// The auction, by id; without it, the only one the node serves or the one of node.toml.
        #[arg(long, value_name = "ID")]
        auction: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also list every bidder with the versions held.
        #[arg(long)]
        bids: bool,
    },
    /// Lift a halt (a failure retrying cannot change) once its cause is repaired; start the node again afterwards.
    Resume {
        /// The node config (TOML).
        #[arg(long)]
        config: PathBuf,
        /// The auction, by id; without it, the only one the node serves or the one of node.toml.
        #[arg(long, value_name = "ID")]
        auction: Option<String>,
    },
    /// Serve another auction with this node: check its file and put it in DATA/auctions/, where the running node takes it up within a second (no restart). Adding a file again with more bidders registers them.
    Add {
        /// The node config (TOML).
        #[arg(long)]
        config: PathBuf,
        /// The auction file (the same file at all three nodes).
        auction: PathBuf,
    },
    /// List the auctions this node serves, with the phase each is at.
    Auctions {
        /// The node config (TOML).
        #[arg(long)]
        config: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the SHA-256 of an auction file, as the nodes compare it.
    Hash {
        /// The auction file.
        auction: PathBuf,
    },
    /// Measure the three-party engine or the clearing, three OS processes on loopback TCP.
    Bench(nodes::bench::BenchArgs),
    /// Clear a market file with three parties over loopback TCP and print the outcome JSON.
    Simulate(nodes::simulate::SimulateArgs),
}

fn main() -> std::process::ExitCode {
    heap::keep_pages();
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Standard error may be a closed pipe too: nothing else to do.
            let _ = writeln!(std::io::stderr(), "error: {}", nodes::cli::one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init {
            data,
            index,
            api,
            peer,
            auction,
            json,
        } => {
            let id = nodes::identity::Identity::create(&data)?;
            if let (Some(index), Some(api_listen), Some(peer_listen), Some(auction)) =
                (index, api, peer, auction)
            {
                let cfg = nodes::config::NodeConfig {
                    index,
                    api_listen,
                    peer_listen,
                    // Relative paths in node.toml are taken from its own
                    // folder, which is the data folder.
                    data: PathBuf::from("."),
                    auction: Some(std::path::absolute(&auction)?),
                    api_cert_chain: None,
                    api_key: None,
                    page_listen: None,
                    page_origins: vec![],
                    clearing_pace_ms: 0,
                    api_limits: Default::default(),
                    security: Default::default(),
                };
                std::fs::write(data.join("node.toml"), toml::to_string(&cfg)?)?;
            }
            if json {
                nodes::outln!(
                    "{}",
                    serde_json::json!({"public_key": id.public_key_hex(), "cert_fingerprint": id.fingerprint()})
                );
            } else {
                nodes::outln!("data folder:      {}", data.display());
                nodes::outln!("public key:       {}", id.public_key_hex());
                nodes::outln!("cert fingerprint: {}", id.fingerprint());
                nodes::outln!(
                    "Give both values to the other operators for the auction file's node entry."
                );
            }
            Ok(())
        }
        Command::Run { config, security } => {
            nodes::logging::init(cli.log_json);
            let mut cfg = nodes::config::NodeConfig::load(&config)?;
            if let Some(s) = security {
                cfg.security = s;
            }
            nodes::run::run(cfg)
        }
        Command::Close {
            config,
            auction,
            wait,
            timeout,
        } => {
            let cfg = nodes::config::NodeConfig::load(&config)?;
            // node.toml's auction needs no file to be closed: its database
            // is enough (the node may not have run yet).
            let only_primary = auction.is_none()
                && cfg.auction.is_some()
                && nodes::sites::added_folders(&cfg.data)?.is_empty();
            let (db, index, id) = if only_primary {
                (cfg.data.join(nodes::perms::DB_FILE), cfg.index, None)
            } else {
                let site = nodes::sites::choose(&cfg, auction.as_deref())?;
                (site.db, u8::from(site.index), Some(site.id))
            };
            if !db.is_file() {
                anyhow::bail!(
                    "no database at {}: the node has not run yet; start it with `clearing-node run --config {}`, then close",
                    db.display(),
                    config.display()
                );
            }
            let phase = nodes::store::close_from_outside(&db)?;
            match &id {
                Some(id) => nodes::outln!(
                    "bidding closed at node {index} of auction {id}; phase {}",
                    phase.name()
                ),
                None => nodes::outln!("bidding closed at node {index}; phase {}", phase.name()),
            }
            if wait {
                let site = nodes::sites::choose(&cfg, id.as_deref())?;
                nodes::operator::wait_published(
                    &cfg,
                    &site,
                    std::time::Duration::from_secs(timeout),
                )?;
            }
            Ok(())
        }
        Command::Status {
            config,
            auction,
            json,
            bids,
        } => {
            let cfg = nodes::config::NodeConfig::load(&config)?;
            let site = nodes::sites::choose(&cfg, auction.as_deref())?;
            let v = nodes::operator::status(&cfg, &site, bids)?;
            if json {
                nodes::outln!("{v:#}");
            } else {
                nodes::operator::print(&v);
            }
            Ok(())
        }
        Command::Resume { config, auction } => {
            let cfg = nodes::config::NodeConfig::load(&config)?;
            let site = nodes::sites::choose(&cfg, auction.as_deref())?;
            match nodes::operator::resume(&site)? {
                Some(h) => nodes::outln!(
                    "node {}: the halt at phase {} is lifted ({}); start the node again to continue",
                    site.index.index(),
                    h.phase,
                    h.reason
                ),
                None => nodes::outln!("node {} is not halted; nothing to do", site.index.index()),
            }
            Ok(())
        }
        Command::Add { config, auction } => {
            let cfg = nodes::config::NodeConfig::load(&config)?;
            use nodes::sites::Added;
            let (site, what) = match nodes::sites::add(&cfg, &auction)? {
                Added::New(s) => (s, "added"),
                Added::Updated(s) => (s, "updated (bidders added)"),
                Added::Unchanged(s) => (s, "already served, unchanged"),
            };
            nodes::outln!(
                "auction {} {what}: node {}, hash {}, file {}",
                site.id,
                site.index.index(),
                site.hash,
                site.file.display()
            );
            nodes::outln!(
                "The running node serves it within a second: API /v1/auctions/{id}/, bidder page /auctions/{id}/.",
                id = auction::auction_file::id_segment(&site.id)
            );
            Ok(())
        }
        Command::Auctions { config, json } => {
            let cfg = nodes::config::NodeConfig::load(&config)?;
            let mut list = Vec::new();
            for site in nodes::sites::all(&cfg)? {
                let phase = match nodes::store::Store::open_read_only(&site.db) {
                    Ok(s) => s.phase().map(|p| p.name().to_string())?,
                    Err(_) => "not started".to_string(),
                };
                list.push(serde_json::json!({
                    "id": site.id, "auction_hash": site.hash, "node": site.index,
                    "phase": phase, "file": site.file, "database": site.db,
                }));
            }
            if json {
                nodes::outln!("{:#}", serde_json::Value::Array(list));
            } else if list.is_empty() {
                nodes::outln!(
                    "no auction yet; add one with `clearing-node add --config … AUCTION.json`"
                );
            } else {
                for a in &list {
                    nodes::outln!(
                        "{}  node {}  phase {}  hash {}",
                        a["id"].as_str().unwrap_or(""),
                        a["node"],
                        a["phase"].as_str().unwrap_or(""),
                        a["auction_hash"].as_str().unwrap_or("")
                    );
                }
            }
            Ok(())
        }
        Command::Hash { auction } => {
            nodes::outln!("{}", nodes::config::load_auction(&auction)?.hash);
            Ok(())
        }
        Command::Bench(args) => nodes::bench::main(args),
        Command::Simulate(args) => nodes::simulate::main(args),
    }
}

/// How the C allocator serves the clearing's large vectors.
mod heap {
    /// The clearing allocates and frees vectors of tens to hundreds of MiB
    /// in every round. By default glibc maps each allocation above 32 MiB
    /// fresh from the kernel and unmaps it on free, and returns the free
    /// top of the heap past a small threshold: every round then pays one
    /// page fault per 4 KiB it writes. At 2^22 order slots, where every
    /// column is 32 MiB or more, that was two thirds of the clearing's time
    /// (22 million page faults in one clearing); 2^20 slots mostly stayed
    /// below the threshold, hence a clearing four times larger taking more
    /// than seven times as long. Served from the heap instead, and the
    /// heap kept up to 1 GiB of free top, the pages are faulted in once and
    /// reused. Unix with glibc only; elsewhere the allocator is left alone.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pub fn keep_pages() {
        // glibc's `mallopt` parameters (malloc.h).
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_MAX: i32 = -4;
        const KEEP_FREE_TOP: i32 = 1 << 30;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: `mallopt` only sets allocator parameters; it is called
        // before any other thread exists. Both values are in range, and a
        // refusal (return 0) leaves the default, which is only slower.
        #[allow(unsafe_code)]
        unsafe {
            mallopt(M_MMAP_MAX, 0);
            mallopt(M_TRIM_THRESHOLD, KEEP_FREE_TOP);
        }
    }

    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    pub fn keep_pages() {}
}
