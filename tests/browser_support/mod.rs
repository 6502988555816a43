//! For the browser tests: a real headless Chromium driven over WebDriver
//! (chromedriver), and three real node processes (`demo node`) that serve
//! the bidder page and the live view on loopback plain-HTTP page listeners.
#![allow(dead_code)]

// The node tests' ports, one copy of the rule for both.
#[path = "../../nodes/tests/common/ports.rs"]
mod ports;
use ports::free_port;

use auction::auction_file::{AuctionFile, BidderEntry, NodeEntry};
use auction::wire::{Digest, PublicKey};
use auction::{AuctionParams, BidderId};
use ed25519_dalek::VerifyingKey;
use fantoccini::{Client, ClientBuilder, Locator};
use nodes::identity::Identity;
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use std::time::{Duration, Instant};

/// The browser tests run one at a time: each drives a browser and three
/// nodes, and the machine has few cores.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// `target/` of this build, from the test executable's path
/// (`target/<profile>/deps/browser-…`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// Where screenshots go: `target/screenshots/browser/`.
pub fn screenshot_dir() -> PathBuf {
    let d = target_dir().join("screenshots").join("browser");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A headless Chromium under chromedriver, with a fresh profile.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    pub shots: Vec<PathBuf>,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

impl Browser {
    /// Starts chromedriver and a browser session. When Chromium or
    /// chromedriver is missing: in CI (`CI=true`) the test fails, saying
    /// what to install; elsewhere it prints a notice and returns `None`.
    pub async fn start(test: &str) -> Option<Browser> {
        let driver_bin = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| on_path("chromedriver"));
        let chrome = std::env::var_os("CHROME_BIN")
            .map(PathBuf::from)
            .or_else(|| {
                ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
                    .map(PathBuf::from)
                    .into_iter()
                    .find(|p| p.is_file())
            })
            .or_else(|| on_path("chromium"))
            .or_else(|| on_path("google-chrome"));
        let (Some(driver_bin), Some(chrome)) = (driver_bin, chrome) else {
            let what = "Chromium and chromedriver (Debian: apt-get install -y chromium chromium-driver; or set CHROME_BIN and CHROMEDRIVER)";
            if in_ci() {
                panic!(
                    "{test}: the browser tests need {what}, and CI=true: failing rather than skipping"
                );
            }
            eprintln!(
                "\n*** SKIPPED {test}: no {what} on this machine. In CI (CI=true) this fails. ***\n"
            );
            return None;
        };
        let port = free_port("127.0.0.1");
        let mut cmd = Command::new(&driver_bin);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let driver = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", driver_bin.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chrome,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1200,1800",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("starting a Chromium session: {e}"));
        Some(Browser {
            client,
            driver,
            _profile: profile,
            shots: vec![],
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
        self.wait_js("document.body && document.body.dataset.ready === '1'", 20)
            .await;
    }

    /// Runs `script` (a function body; `arguments` are `args`).
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs an async script: the body gets `args` and must call `done(x)`.
    pub async fn js_async(&self, body: &str, args: Vec<Value>) -> Value {
        let script = format!(
            "const done = arguments[arguments.length - 1]; const args = Array.from(arguments).slice(0, -1);\n\
             (async () => {{ {body} }})().then(done, (e) => done({{error: String(e && e.stack || e)}}));"
        );
        let v = self
            .client
            .execute_async(&script, args)
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e}\n{body}"));
        if let Some(e) = v.get("error") {
            panic!("async script threw: {e}");
        }
        v
    }

    /// Waits until the expression is truthy.
    pub async fn wait_js(&self, expr: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self
                .client
                .execute(&format!("return !!({expr});"), vec![])
                .await;
            if matches!(v, Ok(Value::Bool(true))) {
                return;
            }
            if Instant::now() > deadline {
                let body = self.text("body").await;
                panic!("waited {secs} s for `{expr}`; the page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Hands a file to an `<input type=file>`.
    pub async fn upload(&self, css: &str, path: &Path) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(&path.display().to_string())
            .await
            .unwrap();
    }

    /// Types a curve into a side's table, row by row, as a person would:
    /// the rows already there are removed first (their remove buttons).
    pub async fn type_curve(&self, side: &str, points: &[(&str, &str)]) {
        while let Ok(b) = self
            .client
            .find(Locator::Css(&format!("#{side}-table tbody button.remove")))
            .await
        {
            b.click().await.unwrap();
        }
        for (i, (price, total)) in points.iter().enumerate() {
            self.click(&format!("#{side}-add")).await;
            let row = format!("#{side}-table tbody tr:nth-child({})", i + 1);
            self.type_into(&format!("{row} input.price"), price).await;
            self.type_into(&format!("{row} input.total"), total).await;
        }
        if points.is_empty() {
            // An empty side keeps one empty row.
            self.click(&format!("#{side}-add")).await;
        }
    }

    /// Scrolls the element to the top of the window, then saves a
    /// screenshot.
    pub async fn shot_at(&mut self, name: &str, css: &str) -> PathBuf {
        self.js(
            &format!("document.querySelector('{css}')?.scrollIntoView({{block: 'start'}});"),
            vec![],
        )
        .await;
        self.shot(name).await
    }

    /// Saves a screenshot as `target/screenshots/browser/NAME.png`.
    pub async fn shot(&mut self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let p = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&p, png).unwrap();
        self.shots.push(p.clone());
        p
    }

    /// Records what the page posts from now on (`window.__posts`) and the
    /// blobs it makes for download (`window.__blobs`), without changing
    /// what it does.
    pub async fn record(&self) {
        self.js(
            r#"
            if (!window.__posts) {
              window.__posts = [];
              const f = window.fetch;
              window.fetch = (url, opts) => {
                if (opts && opts.method === 'POST') window.__posts.push({url: String(url), body: opts.body});
                return f(url, opts);
              };
              window.__blobs = [];
              window.__blobUrls = {};
              const make = URL.createObjectURL;
              URL.createObjectURL = (b) => { const u = make(b); window.__blobs.push(b); window.__blobUrls[u] = b; return u; };
            }
            "#,
            vec![],
        )
        .await;
    }

    /// Ends the session (chromedriver closes the browser), then
    /// chromedriver.
    pub async fn quit(self) {
        let c = self.client.clone();
        let _ = c.close().await;
        drop(self);
    }

    fn stop_driver(&mut self) {
        // The browser chromedriver started, by its process id (Chromium
        // writes it into the profile's `SingletonLock`: `host-PID`); its
        // helper processes end with it. Then chromedriver itself.
        if let Ok(target) = std::fs::read_link(self._profile.path().join("SingletonLock"))
            && let Some(pid) = target
                .to_string_lossy()
                .rsplit('-')
                .next()
                .and_then(|p| p.parse::<u32>().ok())
            && pid > 1
            // Still that browser: its command line names this profile.
            && std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                String::from_utf8_lossy(&c).contains(&*self._profile.path().to_string_lossy())
            })
        {
            let _ = Command::new("kill")
                .args(["-s", "KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop_driver();
    }
}

/// One node's files and addresses.
pub struct Node {
    pub data: PathBuf,
    pub config: PathBuf,
    pub api: SocketAddr,
    pub peer: SocketAddr,
    pub page: SocketAddr,
    pub identity: Identity,
}

impl Node {
    pub fn origin(&self) -> String {
        format!("http://{}", self.page)
    }
}

/// Three nodes in a temporary folder, run as `demo node` processes.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Node>,
    pub params: AuctionParams,
    pub auction_path: PathBuf,
    children: Vec<Option<Child>>,
}

pub fn demo_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_demo"))
}

impl Cluster {
    /// Keys and configs of three nodes (page listeners on 127.0.0.1, the
    /// clearing paced by `pace_ms` per step), and the auction file with
    /// `bidders` registered.
    pub fn new(
        params: AuctionParams,
        bidders: &[(BidderId, VerifyingKey)],
        pace_ms: u64,
    ) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let auction_path = dir.path().join("auction.json");
        let mut nodes = Vec::new();
        for i in 0..3 {
            let ip = format!("127.0.0.{}", i + 1);
            let api: SocketAddr = format!("{ip}:{}", free_port(&ip)).parse().unwrap();
            let peer: SocketAddr = format!("{ip}:{}", free_port(&ip)).parse().unwrap();
            let page: SocketAddr = format!("127.0.0.1:{}", free_port("127.0.0.1"))
                .parse()
                .unwrap();
            let data = dir.path().join(format!("node{i}"));
            let identity = Identity::create(&data).unwrap();
            let config = data.join("node.toml");
            std::fs::write(
                &config,
                format!(
                    "index = {i}\napi_listen = \"{api}\"\npeer_listen = \"{peer}\"\ndata = \".\"\nauction = {}\npage_listen = \"{page}\"\nclearing_pace_ms = {pace_ms}\n",
                    serde_json::to_string(&auction_path.display().to_string()).unwrap()
                ),
            )
            .unwrap();
            nodes.push(Node {
                data,
                config,
                api,
                peer,
                page,
                identity,
            });
        }
        let c = Cluster {
            dir,
            nodes,
            params,
            auction_path,
            children: vec![None, None, None],
        };
        c.write_auction(bidders);
        c
    }

    /// (Re)writes the auction file with these bidders registered.
    pub fn write_auction(&self, bidders: &[(BidderId, VerifyingKey)]) {
        let now = nodes::config::now_unix();
        let file = AuctionFile {
            auction: self.params.clone(),
            open_unix: now - 60,
            close_unix: now + 3600,
            nodes: self
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| NodeEntry {
                    index: i as u8,
                    api: n.api,
                    peer: n.peer,
                    public_key: PublicKey(n.identity.signing.verifying_key()),
                    cert_fingerprint: n.identity.fingerprint(),
                    page: Some(n.origin()),
                })
                .collect(),
            bidders: bidders
                .iter()
                .map(|(id, k)| BidderEntry {
                    id: id.clone(),
                    public_key: PublicKey(*k),
                })
                .collect(),
        };
        std::fs::write(
            &self.auction_path,
            serde_json::to_vec_pretty(&file).unwrap(),
        )
        .unwrap();
    }

    pub fn start(&mut self, i: usize) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.nodes[i].data.join("log.txt"))
            .unwrap();
        let child = Command::new(demo_bin())
            .args(["node", "--config"])
            .arg(&self.nodes[i].config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children[i] = Some(child);
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.nodes[i].data.join("log.txt")).unwrap_or_default()
    }

    pub async fn get(&self, i: usize, path: &str) -> anyhow::Result<(u16, Value)> {
        let n = &self.nodes[i];
        let (status, body) =
            nodes::client::call(n.api, n.identity.fingerprint(), "GET", path, None).await?;
        Ok((status, serde_json::from_slice(&body)?))
    }

    pub async fn wait_healthy(&self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = self.get(i, "/v1/health").await
                && TcpStream::connect(self.nodes[i].page).is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "node {i} did not come up; log:\n{}",
                self.log(i)
            );
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    pub async fn status(&self, i: usize) -> Value {
        self.get(i, "/v1/status").await.unwrap().1
    }

    /// The operators' close at all three nodes.
    pub fn close_all(&self) {
        for n in &self.nodes {
            nodes::store::close_from_outside(&n.data.join("node.db")).unwrap();
        }
    }

    /// Removes a node's database (before any bid: to restart it with a
    /// rewritten auction file).
    pub fn wipe_database(&self, i: usize) {
        for f in ["node.db", "node.db-wal", "node.db-shm"] {
            let _ = std::fs::remove_file(self.nodes[i].data.join(f));
        }
    }

    pub async fn wait_phase(&self, i: usize, phase: &str, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Ok((200, v)) = self.get(i, "/v1/status").await
                && v["phase"] == phase
            {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "node {i} did not reach {phase}; log:\n{}",
                self.log(i)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The bytes of node `i`'s database files (main file, WAL, shared
    /// memory), everything it keeps on disk about bids.
    pub fn database_bytes(&self, i: usize) -> Vec<u8> {
        let mut all = Vec::new();
        for f in ["node.db", "node.db-wal", "node.db-shm"] {
            if let Ok(b) = std::fs::read(self.nodes[i].data.join(f)) {
                all.extend(b);
            }
        }
        all
    }

    pub fn fingerprint(&self, i: usize) -> Digest {
        self.nodes[i].identity.fingerprint()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..3 {
            self.kill(i);
        }
    }
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}
