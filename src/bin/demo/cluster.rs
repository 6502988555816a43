//! Three clearing nodes on 127.0.0.1, .2 and .3 in a folder: their keys and
//! certificates, their configs, the auction file with the registered
//! bidders, and the node processes, which are stopped when the cluster is
//! dropped (on success, failure, panic or Ctrl-C alike).

use anyhow::{Context, Result, bail};
use auction::auction_file::{AuctionFile, BidderEntry, NodeEntry};
use auction::wire::PublicKey;
use auction::{AuctionParams, BidderId};
use bidder_client::keys::BidderKey;
use nodes::config::now_unix;
use nodes::identity::Identity;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// How to start a node process.
#[derive(Clone, Debug)]
pub enum NodeProgram {
    /// This executable's own `node --config` subcommand (the daemon linked in).
    SelfExe(PathBuf),
    /// A `clearing-node` binary: `run --config`.
    ClearingNode(PathBuf),
}

impl NodeProgram {
    fn command(&self, config: &Path) -> Command {
        let (exe, sub) = match self {
            NodeProgram::SelfExe(p) => (p, "node"),
            NodeProgram::ClearingNode(p) => (p, "run"),
        };
        let mut c = Command::new(exe);
        c.arg(sub).arg("--config").arg(config);
        c
    }
}

/// One node's files and address.
pub struct Node {
    /// Its data folder.
    pub data: PathBuf,
    /// Its config.
    pub config: PathBuf,
    /// The bidder API address.
    pub api: SocketAddr,
    /// The loopback plain-HTTP page listener: the bidder page and the live
    /// view for a browser on this machine.
    pub page: SocketAddr,
}

/// The cluster's files, and its processes once started.
pub struct Cluster {
    /// The nodes.
    pub nodes: Vec<Node>,
    /// The auction file.
    pub auction_path: PathBuf,
    children: Vec<Option<Child>>,
}

fn free_port(ip: &str) -> Result<u16> {
    Ok(TcpListener::bind(format!("{ip}:0"))
        .with_context(|| format!("binding {ip}: is the loopback range 127.0.0.0/8 usable?"))?
        .local_addr()?
        .port())
}

fn toml_str(p: &Path) -> String {
    // A JSON string is a valid TOML basic string for any path text.
    serde_json::to_string(&p.to_string_lossy()).expect("string")
}

impl Cluster {
    /// Creates node keys, configs and the auction file in `dir`, with the
    /// given bidders registered. Bidding is open from now for an hour; the
    /// operators close it. Each node also serves the bidder page and the
    /// live view on a plain-HTTP listener on 127.0.0.1 (its `page` origin in
    /// the auction file).
    pub fn prepare(
        dir: &Path,
        params: &AuctionParams,
        bidders: &[(BidderId, &BidderKey)],
    ) -> Result<Cluster> {
        Self::prepare_paced(dir, params, bidders, 0)
    }

    /// [`Cluster::prepare`], the nodes waiting `pace_ms` after each
    /// clearing step so that the live view can follow it.
    pub fn prepare_paced(
        dir: &Path,
        params: &AuctionParams,
        bidders: &[(BidderId, &BidderKey)],
        pace_ms: u64,
    ) -> Result<Cluster> {
        let auction_path = dir.join("auction.json");
        let mut nodes = Vec::new();
        let mut entries = Vec::new();
        for i in 0..3u8 {
            let ip = format!("127.0.0.{}", i + 1);
            let api: SocketAddr = format!("{ip}:{}", free_port(&ip)?).parse()?;
            let peer: SocketAddr = format!("{ip}:{}", free_port(&ip)?).parse()?;
            let page: SocketAddr = format!("127.0.0.1:{}", free_port("127.0.0.1")?).parse()?;
            let data = dir.join(format!("node{i}"));
            let id = Identity::create(&data)?;
            let config = data.join("node.toml");
            std::fs::write(
                &config,
                format!(
                    "index = {i}\napi_listen = \"{api}\"\npeer_listen = \"{peer}\"\ndata = {}\nauction = {}\npage_listen = \"{page}\"\nclearing_pace_ms = {pace_ms}\n",
                    toml_str(&data),
                    toml_str(&auction_path)
                ),
            )?;
            entries.push(NodeEntry {
                index: i,
                api,
                peer,
                public_key: PublicKey(id.signing.verifying_key()),
                cert_fingerprint: id.fingerprint(),
                page: Some(format!("http://{page}")),
            });
            nodes.push(Node {
                data,
                config,
                api,
                page,
            });
        }
        let now = now_unix();
        let file = AuctionFile {
            auction: params.clone(),
            open_unix: now.saturating_sub(60),
            close_unix: now + 3600,
            nodes: entries,
            bidders: bidders
                .iter()
                .map(|(id, k)| BidderEntry {
                    id: id.clone(),
                    public_key: PublicKey(k.signing.verifying_key()),
                })
                .collect(),
        };
        std::fs::write(&auction_path, serde_json::to_vec_pretty(&file)?)?;
        Ok(Cluster {
            nodes,
            auction_path,
            children: vec![None, None, None],
        })
    }

    /// Starts node `i`, its log in its data folder.
    pub fn start(&mut self, i: usize, program: &NodeProgram) -> Result<u32> {
        let log = std::fs::File::create(self.nodes[i].data.join("log.txt"))?;
        let child = program
            .command(&self.nodes[i].config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting node {i} with {program:?}"))?;
        let pid = child.id();
        self.children[i] = Some(child);
        Ok(pid)
    }

    /// Stops node `i` (at once; the node keeps everything it acknowledged).
    pub fn stop(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Fails when a started node has exited, with the end of its log.
    pub fn check_alive(&mut self) -> Result<()> {
        for i in 0..3 {
            if let Some(c) = &mut self.children[i]
                && let Some(status) = c.try_wait()?
            {
                bail!(
                    "node {i} exited ({status}); its log ends:\n{}",
                    self.log_tail(i, 20)
                );
            }
        }
        Ok(())
    }

    /// The last `n` lines of node `i`'s log.
    pub fn log_tail(&self, i: usize, n: usize) -> String {
        let log = std::fs::read_to_string(self.nodes[i].data.join("log.txt")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// The operators' close: each node's database is marked closed, as
    /// `clearing-node close` does.
    pub fn close_all(&self) -> Result<()> {
        for n in &self.nodes {
            nodes::store::close_from_outside(&n.data.join("node.db"))?;
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..3 {
            self.stop(i);
        }
    }
}
