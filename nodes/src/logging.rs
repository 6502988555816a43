//! Logs with tracing: readable by default, JSON lines with `--log-json`;
//! `RUST_LOG` filters (default `info`). Nothing secret is ever logged: no
//! share, key or bid value, only ids, versions, counts, digests and the
//! published outcome.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber, writing to standard error.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}
