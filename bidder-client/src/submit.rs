//! Submitting a bid: share and sign it (`auction::wire::prepare_submissions`),
//! send each node its bundle concurrently, retry a node that does not answer
//! (or answers that it cannot store right now) with exponential backoff,
//! and check every receipt. The bid counts only once all three nodes hold
//! the same version: the report says how many acknowledged.

use crate::auction_file::AuctionInfo;
use crate::https::{HttpsError, NodeApi, error_code, error_text, node_api};
use crate::receipts::{ReceiptError, check_receipt};
use auction::wire::{Receipt, Submission, Version};
use std::time::Duration;

/// How hard to try each node.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts per node, the first included.
    pub attempts: u32,
    /// The wait before the first retry; doubled after each.
    pub first_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }
}

/// What happened at one node.
#[derive(Clone, Debug)]
pub enum NodeOutcome {
    /// Stored; the checked receipt.
    Acknowledged(Box<Receipt>),
    /// The node answered with an error that retrying will not change.
    Refused {
        /// HTTP status.
        status: u16,
        /// The API error code (`stale_version`, `auction_closed`, ...), when
        /// the answer was an API error.
        code: Option<String>,
        /// The node's code and message.
        message: String,
    },
    /// No usable answer after every attempt.
    Unreachable {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last_error: String,
    },
    /// The node answered with a receipt that does not check out.
    BadReceipt(ReceiptError),
}

/// Progress, reported as it happens.
#[derive(Clone, Debug)]
pub enum Progress {
    /// A node stored the bid and its receipt checks out.
    Acknowledged {
        /// The node.
        node: u8,
    },
    /// An attempt failed; the node will be tried again after `wait`.
    Retrying {
        /// The node.
        node: u8,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// The wait before the next one.
        wait: Duration,
        /// Why it failed.
        error: String,
    },
    /// A node is given up on.
    Failed {
        /// The node.
        node: u8,
        /// Why.
        error: String,
    },
}

/// The result of sending one bid to the three nodes.
#[derive(Clone, Debug)]
pub struct SubmitReport {
    /// The version sent.
    pub version: Version,
    /// Per node, in index order.
    pub nodes: Vec<NodeOutcome>,
}

impl SubmitReport {
    /// How many nodes acknowledged.
    pub fn acknowledged(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, NodeOutcome::Acknowledged(_)))
            .count()
    }

    /// All three hold the bid: it counts.
    pub fn complete(&self) -> bool {
        self.acknowledged() == 3
    }

    /// The receipts received.
    pub fn receipts(&self) -> impl Iterator<Item = &Receipt> {
        self.nodes.iter().filter_map(|n| match n {
            NodeOutcome::Acknowledged(r) => Some(&**r),
            _ => None,
        })
    }

    /// The newest version any node said it already holds when it refused
    /// this one as `stale_version`, with the nodes that hold it.
    pub fn newest_held(&self) -> Option<(Version, Vec<u8>)> {
        let held: Vec<(u8, Version)> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.held_version().map(|h| (i as u8, h)))
            .collect();
        let newest = held.iter().map(|&(_, h)| h).max()?;
        let nodes = held
            .iter()
            .filter(|&&(_, h)| h == newest)
            .map(|&(i, _)| i)
            .collect();
        Some((newest, nodes))
    }
}

impl NodeOutcome {
    /// For a `stale_version` refusal, the version the node holds. No route
    /// of the API tells a bidder its newest version; this refusal's message
    /// names it: "version G of bidder B is not newer than the version H
    /// already held".
    pub fn held_version(&self) -> Option<Version> {
        match self {
            NodeOutcome::Refused {
                code: Some(code),
                message,
                ..
            } if code == "stale_version" => stale_held(message),
            _ => None,
        }
    }
}

/// The held version in a `stale_version` message (see
/// [`NodeOutcome::held_version`]).
fn stale_held(message: &str) -> Option<Version> {
    let rest = message.trim_end().strip_suffix("already held")?.trim_end();
    rest.rsplit(' ').next()?.parse().ok().map(Version)
}

fn retryable(status: u16) -> bool {
    status >= 500
}

/// Sends one node its submission until it is stored, refused, or the
/// attempts run out.
pub async fn send_to_node(
    api: &NodeApi,
    info: &AuctionInfo,
    sub: &Submission,
    policy: RetryPolicy,
    progress: &(dyn Fn(Progress) + Sync),
) -> NodeOutcome {
    let node = u8::from(sub.node);
    let body = serde_json::to_vec(sub).expect("serializable");
    let mut delay = policy.first_delay;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let path = crate::auction_file::api_path(&info.params.id, "bids");
        let error = match api.post_json(&path, body.clone()).await {
            Ok((200, bytes)) => {
                let out = match serde_json::from_slice::<Receipt>(&bytes) {
                    Ok(r) => match check_receipt(info, sub, &r) {
                        Ok(()) => NodeOutcome::Acknowledged(Box::new(r)),
                        Err(e) => NodeOutcome::BadReceipt(e),
                    },
                    Err(e) => NodeOutcome::Refused {
                        status: 200,
                        code: None,
                        message: format!("the answer is not a receipt: {e}"),
                    },
                };
                match &out {
                    NodeOutcome::Acknowledged(_) => progress(Progress::Acknowledged { node }),
                    NodeOutcome::BadReceipt(e) => progress(Progress::Failed {
                        node,
                        error: e.to_string(),
                    }),
                    _ => {}
                }
                return out;
            }
            Ok((status, bytes)) if !retryable(status) => {
                let message = error_text(&bytes);
                progress(Progress::Failed {
                    node,
                    error: format!("refused ({status}) {message}"),
                });
                return NodeOutcome::Refused {
                    status,
                    code: error_code(&bytes),
                    message,
                };
            }
            Ok((status, bytes)) => format!("HTTP {status} {}", error_text(&bytes)),
            Err(e @ (HttpsError::Transport { .. } | HttpsError::Timeout { .. })) => e.to_string(),
        };
        if attempt >= policy.attempts {
            progress(Progress::Failed {
                node,
                error: format!("gave up after {attempt} attempts: {error}"),
            });
            return NodeOutcome::Unreachable {
                attempts: attempt,
                last_error: error,
            };
        }
        progress(Progress::Retrying {
            node,
            attempt,
            wait: delay,
            error,
        });
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(policy.max_delay);
    }
}

/// Sends the three submissions (one per node, in node order) concurrently.
pub async fn submit(
    apis: &[NodeApi; 3],
    info: &AuctionInfo,
    subs: &[Submission; 3],
    policy: RetryPolicy,
    progress: &(dyn Fn(Progress) + Sync),
) -> SubmitReport {
    let (a, b, c) = tokio::join!(
        send_to_node(&apis[0], info, &subs[0], policy, progress),
        send_to_node(&apis[1], info, &subs[1], policy, progress),
        send_to_node(&apis[2], info, &subs[2], policy, progress),
    );
    SubmitReport {
        version: subs[0].version,
        nodes: vec![a, b, c],
    }
}

/// The three nodes' API clients, from the auction file.
pub fn node_apis(info: &AuctionInfo) -> [NodeApi; 3] {
    std::array::from_fn(|i| node_api(info.nodes[i].api, info.nodes[i].cert_fingerprint))
}

/// Shares and signs a validated bid for the three nodes with fresh
/// randomness from the OS.
pub fn share_bid(
    params: &auction::AuctionParams,
    bid: &auction::Bid,
    version: Version,
    key: &ed25519_dalek::SigningKey,
) -> Result<[Submission; 3], auction::wire::WireError> {
    auction::wire::prepare_submissions(params, bid, version, key, &mut rand_core::OsRng)
}

/// Shares a bid exactly as written, out-of-range values included (as ring
/// values, `auction::market::ring_value`), the way a faulty client would:
/// the clearing's own range check must exclude it. Used by the demo to
/// carry a market file's invalid bids to the nodes. Fails only when a side
/// holds more than K orders, which no bundle can carry.
pub fn share_raw(
    params: &auction::AuctionParams,
    raw: &auction::RawBid,
    version: Version,
    key: &ed25519_dalek::SigningKey,
) -> Result<[Submission; 3], auction::wire::WireError> {
    let values = auction::wire::layout_raw(raw, params.max_orders_per_side)?;
    auction::wire::prepare_submissions_from_values(
        &params.id,
        &raw.bidder,
        &values,
        version,
        key,
        &mut rand_core::OsRng,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use auction::{AuctionParams, RawBid, RawOrder};
    use shares::PartyId;

    #[test]
    fn the_held_version_is_read_from_a_stale_version_refusal() {
        let refused = |code: Option<&str>, message: &str| NodeOutcome::Refused {
            status: 409,
            code: code.map(str::to_string),
            message: message.to_string(),
        };
        let m = "stale_version: version 1 of bidder the version 9 already held is not newer than the version 12 already held";
        assert_eq!(
            refused(Some("stale_version"), m).held_version(),
            Some(Version(12))
        );
        assert_eq!(refused(Some("auction_closed"), m).held_version(), None);
        assert_eq!(
            refused(Some("stale_version"), "stale_version: something else").held_version(),
            None
        );
        let report = SubmitReport {
            version: Version(1),
            nodes: vec![
                refused(Some("stale_version"), m),
                refused(
                    Some("stale_version"),
                    "stale_version: version 1 of bidder b is not newer than the version 14 already held",
                ),
                NodeOutcome::Unreachable {
                    attempts: 1,
                    last_error: "down".into(),
                },
            ],
        };
        assert_eq!(report.newest_held(), Some((Version(14), vec![1])));
    }

    #[test]
    fn raw_sharing_reconstructs_ring_values_and_refuses_too_many() {
        let params = AuctionParams {
            id: "a".into(),
            max_price: 100,
            max_quantity: 10,
            max_orders_per_side: 2,
        };
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let raw = RawBid {
            bidder: auction::BidderId("b".into()),
            buy: vec![RawOrder {
                price: -1,
                quantity: 5,
            }],
            sell: vec![RawOrder {
                price: 7,
                quantity: 11,
            }],
        };
        let subs = share_raw(&params, &raw, Version(1), &key).unwrap();
        let sum: Vec<u64> = (0..8)
            .map(|j| {
                subs.iter()
                    .fold(0u64, |acc, s| acc.wrapping_add(s.bundle.own[j]))
            })
            .collect();
        assert_eq!(sum, vec![u64::MAX, 5, 0, 0, 7, 11, 0, 0]);
        for (i, s) in subs.iter().enumerate() {
            s.verify(&params, PartyId::ALL[i], &key.verifying_key())
                .unwrap();
        }
        let mut many = raw.clone();
        many.sell = vec![
            RawOrder {
                price: 1,
                quantity: 1
            };
            3
        ];
        assert!(share_raw(&params, &many, Version(1), &key).is_err());
    }
}
