//! The public status document (`GET /v1/status`, per auction), as a type:
//! the node writes it, and programs that watch nodes (the demo, tests)
//! read it with the same type instead of picking at untyped JSON.

use auction::Exclusion;
use auction::ceremony::Phase;
use auction::wire::Digest;
use serde::{Deserialize, Serialize};
use shares::PartyId;

/// What one node knows of a peer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeerStatus {
    /// The peer.
    pub node: PartyId,
    /// `ok`, `unreachable`, `refused` or `unknown`.
    pub state: String,
    /// Details.
    pub message: String,
    /// When this state was last seen (Unix seconds).
    pub since_unix: u64,
    /// The peer's phase, when it last answered a ping.
    #[serde(skip)]
    pub phase: Option<Phase>,
}

/// Where one node stands in one auction.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Status {
    /// The auction id.
    pub auction: String,
    /// The auction's hash.
    pub auction_hash: Digest,
    /// This node's index in the auction.
    pub node: PartyId,
    /// The life-cycle phase.
    pub phase: Phase,
    /// Why bidding closed, once it has.
    pub close_reason: Option<String>,
    /// When bidding opens (RFC 3339).
    pub opens: String,
    /// When bidding closes (RFC 3339).
    pub closes: String,
    /// When bidding opens (Unix seconds).
    pub open_unix: u64,
    /// When bidding closes (Unix seconds).
    pub close_unix: u64,
    /// The node's clock (Unix seconds).
    pub now_unix: u64,
    /// The clearing's protocol variant: `abort` or `semi-honest`.
    #[serde(default)]
    pub security: shares::Security,
    /// The step being worked on.
    pub clearing: Clearing,
    /// The agreed bid set, once agreed (public from then on).
    pub agreed: Option<AgreedSummary>,
    /// The other two nodes as last seen.
    pub peers: Vec<PeerStatus>,
    /// The bidder registry.
    pub registry: RegistrySummary,
    /// How many bidders bid and versions are held: only after the close.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bids: Option<BidCounts>,
}

/// The step being worked on, what it waits for, and the last problem.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Clearing {
    /// The step.
    pub step: String,
    /// The nodes waited for, with why.
    pub waiting_for: Vec<String>,
    /// The last problem, if any.
    pub problem: Option<String>,
    /// Whether the node has halted (a failure retrying cannot change).
    pub halted: bool,
}

/// The agreed bid set in brief.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AgreedSummary {
    /// Its digest.
    pub bid_set: Digest,
    /// How many bids it holds.
    pub bids: usize,
    /// The bids excluded before the computation.
    pub excluded: Vec<Exclusion>,
}

/// The registry in brief.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegistrySummary {
    /// How many bidders are registered.
    pub bidders: usize,
    /// The registry's digest.
    pub digest: Digest,
    /// Why the last change of the auction file was refused, if it was.
    pub problem: Option<String>,
}

/// How many bidders bid and how many versions are held.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct BidCounts {
    /// Bidders with at least one version.
    pub bidders: u64,
    /// Versions held.
    pub versions: u64,
}
