//! Ports for test nodes, shared by the node tests and the browser tests
//! (`tests/browser_support` includes this file by path).

use std::net::TcpListener;

/// A port for a node to bind later. A port the kernel hands out for `:0`
/// comes from its ephemeral range, and so may be given to an outgoing
/// connection before the node binds it ("address already in use"); these
/// come from below that range (32768 on Linux), a stretch of 256 per test
/// process, one after another within it, each checked free.
pub fn free_port(ip: &str) -> u16 {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 48) as u16 * 256;
    for _ in 0..256 {
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let port = base + k % 256;
        if TcpListener::bind((ip, port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {base}..{} on {ip}", base + 256);
}
