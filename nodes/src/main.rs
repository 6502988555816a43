//! `clearing-node`: the daemon one operator runs, and its tools.

use clap::{Parser, Subcommand};
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
        /// Also write DATA/node.toml with this node index ...
        #[arg(long, requires_all = ["api", "peer", "auction"])]
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
    },
    /// End bidding at the running node now (the operator's close); the peers follow.
    Close {
        /// The node config (TOML).
        #[arg(long)]
        config: PathBuf,
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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
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
                    data: data.clone(),
                    auction,
                };
                std::fs::write(data.join("node.toml"), toml::to_string(&cfg)?)?;
            }
            if json {
                println!(
                    "{}",
                    serde_json::json!({"public_key": id.public_key_hex(), "cert_fingerprint": id.fingerprint()})
                );
            } else {
                println!("data folder:      {}", data.display());
                println!("public key:       {}", id.public_key_hex());
                println!("cert fingerprint: {}", id.fingerprint());
                println!(
                    "Give both values to the other operators for the auction file's node entry."
                );
            }
            Ok(())
        }
        Command::Run { config } => {
            nodes::logging::init(cli.log_json);
            let cfg = nodes::config::NodeConfig::load(&config)?;
            nodes::node::run(cfg)
        }
        Command::Close { config } => {
            let cfg = nodes::config::NodeConfig::load(&config)?;
            let phase = nodes::store::close_from_outside(&cfg.data.join("node.db"))?;
            println!(
                "bidding closed at node {}; phase {}",
                cfg.index,
                phase.name()
            );
            Ok(())
        }
        Command::Hash { auction } => {
            println!("{}", nodes::config::load_auction(&auction)?.hash);
            Ok(())
        }
        Command::Bench(args) => nodes::bench::main(args),
        Command::Simulate(args) => nodes::simulate::main(args),
    }
}
