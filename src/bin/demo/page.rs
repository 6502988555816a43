//! The demo in a browser. Every node serves the bidder page and the live
//! view on a plain-HTTP listener on 127.0.0.1 (a browser takes
//! `http://127.0.0.1` as a secure context, so the page's WebCrypto works
//! without a certificate). With `--keep-open` the demo registers a bidder
//! `guest` for the person at the browser, waits with bidding open until
//! Enter is pressed, and after the audit keeps the nodes running until
//! Enter again, so the page can show the result.

use crate::cluster::Cluster;
use anyhow::{Context, Result};
use auction::BidderId;
use bidder_client::keys::BidderKey;
use bidder_client::outln;
use std::path::{Path, PathBuf};

/// The bidder the person at the browser plays.
pub const GUEST: &str = "guest";

/// The guest's key, saved for the page's "Import a key file".
pub fn guest_key(dir: &Path) -> Result<(BidderKey, PathBuf)> {
    let key = BidderKey::generate(BidderId(GUEST.into()));
    let path = dir.join("guest.key.json");
    key.save(&path)
        .with_context(|| format!("saving the guest's key file {}", path.display()))?;
    Ok((key, path))
}

/// Where the page and the live view are.
pub fn print_pages(cluster: &Cluster) -> Result<()> {
    let n = &cluster.nodes;
    outln!(
        "  bidder page: http://{}/ (the same page from node 1: http://{}/, node 2: http://{}/)",
        n[0].page,
        n[1].page,
        n[2].page
    )?;
    outln!("  live view:   http://{}/live", n[0].page)?;
    Ok(())
}

/// Waits for a line on standard input (or its end).
async fn enter() -> Result<()> {
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| ())
    })
    .await
    .context("waiting for Enter")?
    .context("reading standard input")
}

/// With the market's bids in: the guest bids in the page, then Enter closes.
pub async fn bid_in_the_browser(cluster: &Cluster, key_file: &Path) -> Result<()> {
    outln!(
        "bidding is open: open http://{}/ in your browser, import the key file\n  {}\n(bidder `{GUEST}`), type your curves and submit; amend as often as you like.\nPress Enter here to close bidding.",
        cluster.nodes[0].page,
        key_file.display()
    )?;
    enter().await
}

/// After the audit: the page shows the result until Enter.
pub async fn keep_serving(cluster: &Cluster) -> Result<()> {
    outln!(
        "the nodes keep running: the page at http://{}/ shows the price and your allocation, checked; the live view at http://{}/live the outcome.\nPress Enter here to stop the nodes and exit.",
        cluster.nodes[0].page,
        cluster.nodes[0].page
    )?;
    enter().await
}
