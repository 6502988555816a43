//! Three network namespaces for the three parties of a benchmark
//! (`--netns`, root only).
//!
//! Party `i` runs in namespace `triad-bench-<tag>-<i>` (the tag: the
//! process id and a count of the sets made in this process), joined to the
//! parent's namespace by one veth pair on a private `/30`:
//! `10.213.<b>.<4i+1>` on the parent's side, `10.213.<b>.<4i+2>` on the
//! party's (`<b>` is a third byte no interface of this host uses yet). A
//! party has no other interface but its loopback, and one route, to
//! `10.213.<b>.0/24` through the parent's side of its pair: it reaches the
//! other parties only through the relays, which listen in the parent's
//! namespace on the parent-side address of the party they lead to. The
//! addresses exist on this host only, nothing is forwarded between
//! interfaces, and the namespaces (with their veth pairs) are deleted when
//! the value is dropped.
//!
//! Real nodes can be run the same way; the README shows the commands.

use anyhow::{Context, bail};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;

/// The second byte of every address: `10.213.0.0/16`.
const NET: u8 = 213;
/// The port each party listens on inside its namespace.
pub const PARTY_PORT: u16 = 7101;
/// The port of the relay leading to each party, on the parent's side.
pub const RELAY_PORT: u16 = 7201;

/// The names and addresses of one set of three namespaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    tag: u64,
    subnet: u8,
}

impl Plan {
    /// Names derived from `tag` (below `10^11`, so that interface names
    /// fit), addresses from `10.213.<subnet>.0/24`.
    pub fn new(tag: u64, subnet: u8) -> Plan {
        Plan { tag, subnet }
    }

    /// The namespace of party `i`.
    pub fn namespace(&self, i: usize) -> String {
        format!("triad-bench-{}-{i}", self.tag)
    }

    /// The parent's end of party `i`'s veth pair (at most 15 characters).
    fn host_link(&self, i: usize) -> String {
        format!("tb{}h{i}", self.tag % 100_000_000_000)
    }

    /// Party `i`'s end of its veth pair.
    fn party_link(&self, i: usize) -> String {
        format!("tb{}p{i}", self.tag % 100_000_000_000)
    }

    /// The parent-side address of party `i`'s pair: the relay to party `i`
    /// listens here.
    pub fn host_ip(&self, i: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, NET, self.subnet, 4 * i as u8 + 1)
    }

    /// Party `i`'s address inside its namespace.
    pub fn party_ip(&self, i: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, NET, self.subnet, 4 * i as u8 + 2)
    }

    /// Where party `i` listens.
    pub fn party_addr(&self, i: usize) -> SocketAddr {
        SocketAddr::from((self.party_ip(i), PARTY_PORT))
    }

    /// Where the relay to party `i` listens.
    pub fn relay_addr(&self, i: usize) -> SocketAddr {
        SocketAddr::from((self.host_ip(i), RELAY_PORT))
    }

    /// The `ip` commands that build the three namespaces, in order.
    pub fn setup(&self) -> Vec<Vec<String>> {
        let mut cmds = Vec::new();
        for i in 0..3 {
            let (ns, host, party) = (self.namespace(i), self.host_link(i), self.party_link(i));
            let words: [&[&str]; 8] = [
                &["netns", "add", &ns],
                &[
                    "link", "add", &host, "type", "veth", "peer", "name", &party, "netns", &ns,
                ],
                &[
                    "addr",
                    "add",
                    &format!("{}/30", self.host_ip(i)),
                    "dev",
                    &host,
                ],
                &["link", "set", &host, "up"],
                &[
                    "-n",
                    &ns,
                    "addr",
                    "add",
                    &format!("{}/30", self.party_ip(i)),
                    "dev",
                    &party,
                ],
                &["-n", &ns, "link", "set", &party, "up"],
                &["-n", &ns, "link", "set", "lo", "up"],
                &[
                    "-n",
                    &ns,
                    "route",
                    "add",
                    &format!("10.{NET}.{}.0/24", self.subnet),
                    "via",
                    &self.host_ip(i).to_string(),
                ],
            ];
            cmds.extend(
                words
                    .iter()
                    .map(|w| w.iter().map(|s| s.to_string()).collect()),
            );
        }
        cmds
    }

    /// The `ip` commands that remove them: each veth pair first (at once,
    /// where a namespace's own interfaces go only some time after it), then
    /// each namespace.
    pub fn teardown(&self) -> Vec<Vec<String>> {
        let links = (0..3).map(|i| vec!["link".into(), "del".into(), self.host_link(i)]);
        let spaces = (0..3).map(|i| vec!["netns".into(), "del".into(), self.namespace(i)]);
        links.chain(spaces).collect()
    }

    /// The `ip` arguments that run a program in party `i`'s namespace (the
    /// program and its arguments follow).
    pub fn exec(&self, i: usize) -> Vec<String> {
        vec!["netns".into(), "exec".into(), self.namespace(i)]
    }
}

/// Three namespaces that exist for the life of the value.
pub struct Namespaces {
    plan: Plan,
}

impl Namespaces {
    /// Creates the namespaces of [`Plan`] for this process. Needs root.
    pub fn create() -> anyhow::Result<Namespaces> {
        if !is_root() {
            bail!(
                "--netns creates network namespaces and so needs root (run as root, or leave out --netns)"
            );
        }
        // A bench may make several sets one after the other (one per
        // workload): each gets names of its own.
        static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let count = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tag = u64::from(std::process::id()) * 1000 + count % 1000;
        let plan = Plan::new(tag, free_subnet(tag)?);
        // From here on, a failure removes whatever was created.
        let made = Namespaces { plan };
        for cmd in made.plan.setup() {
            ip(&cmd)?;
        }
        Ok(made)
    }

    /// Their plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for cmd in self.plan.teardown() {
            let _ = Command::new("ip").args(&cmd).output();
        }
    }
}

/// Runs `ip` with `args`; its error output is the error.
fn ip(args: &[String]) -> anyhow::Result<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .context("running `ip` (iproute2)")?;
    if !out.status.success() {
        bail!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// True if this process runs as root (effective user id 0).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Uid:"))?;
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

/// A third byte `b` such that no interface of this host has an address in
/// `10.213.b.0/24`, starting from one derived from `tag`.
fn free_subnet(tag: u64) -> anyhow::Result<u8> {
    let out = Command::new("ip")
        .args(["-4", "-o", "addr", "show"])
        .output()
        .context("running `ip -4 -o addr show` (iproute2)")?;
    let used = String::from_utf8_lossy(&out.stdout).into_owned();
    (0..=255u64)
        .map(|k| ((tag + k) % 256) as u8)
        .find(|b| !used.contains(&format!(" 10.{NET}.{b}.")))
        .context("every 10.213.x.0/24 is in use on this host")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_builds_three_namespaces_on_private_links() {
        let p = Plan::new(4242, 7);
        let cmds: Vec<String> = p.setup().iter().map(|c| c.join(" ")).collect();
        assert_eq!(cmds.len(), 24);
        assert_eq!(cmds[0], "netns add triad-bench-4242-0");
        assert_eq!(
            cmds[1],
            "link add tb4242h0 type veth peer name tb4242p0 netns triad-bench-4242-0"
        );
        assert_eq!(cmds[2], "addr add 10.213.7.1/30 dev tb4242h0");
        assert_eq!(
            cmds[12],
            "-n triad-bench-4242-1 addr add 10.213.7.6/30 dev tb4242p1"
        );
        assert_eq!(
            cmds[23],
            "-n triad-bench-4242-2 route add 10.213.7.0/24 via 10.213.7.9"
        );
        // Interface names fit the kernel's 15 characters, even for the
        // largest process ids.
        let big = Plan::new(u64::from(u32::MAX) * 1000 + 999, 0);
        for c in big.setup() {
            for w in c.iter().filter(|w| w.starts_with("tb")) {
                assert!(w.len() <= 15, "{w}");
            }
        }
        // Every address is in 10.213.7.0/24, and the six are distinct.
        let mut ips: Vec<Ipv4Addr> = (0..3).flat_map(|i| [p.host_ip(i), p.party_ip(i)]).collect();
        assert!(ips.iter().all(|a| a.octets()[..3] == [10, 213, 7]));
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len(), 6);
        assert_eq!(p.relay_addr(1).to_string(), "10.213.7.5:7201");
        assert_eq!(p.party_addr(2).to_string(), "10.213.7.10:7101");
        let down: Vec<String> = p.teardown().iter().map(|c| c.join(" ")).collect();
        assert_eq!(
            down,
            [
                "link del tb4242h0",
                "link del tb4242h1",
                "link del tb4242h2",
                "netns del triad-bench-4242-0",
                "netns del triad-bench-4242-1",
                "netns del triad-bench-4242-2",
            ]
        );
        assert_eq!(p.exec(2).join(" "), "netns exec triad-bench-4242-2");
    }
}
