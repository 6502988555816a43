//! HTTPS to the clearing nodes' bidder API: the pinned-certificate client
//! of `pinned_tls` (each node's certificate is self-signed and the client
//! accepts exactly the one whose SHA-256 fingerprint the auction file lists
//! for that node), and the API's JSON errors.

use auction::wire::Digest;
use pinned_tls::Fingerprint;
use std::net::SocketAddr;

pub use pinned_tls::https::{Answer, Client as NodeApi, HttpsError, REQUEST_TIMEOUT};

/// A client for the node API at `addr` whose certificate has the
/// fingerprint `cert_fingerprint`, as the auction file lists it.
pub fn node_api(addr: SocketAddr, cert_fingerprint: Digest) -> NodeApi {
    NodeApi::new(addr, Fingerprint(cert_fingerprint.0))
}

/// The `code` of an API error `{"code", "message"}`, if the body is one.
pub fn error_code(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("code")?.as_str().map(str::to_string)
}

/// The `{"code", "message"}` of an API error, or the raw body.
pub fn error_text(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) if v.get("code").is_some() => format!(
            "{}: {}",
            v["code"].as_str().unwrap_or("?"),
            v["message"].as_str().unwrap_or("")
        ),
        _ => String::from_utf8_lossy(body).chars().take(200).collect(),
    }
}
