//! Reading the result: fetch the outcome bundle from the nodes, check it
//! (every node serves the same bundle, three signatures), and check one
//! bidder's allocation against its own bid.
//!
//! What a bidder can check alone, from its bid and the public price `p*`:
//! it bought at most what its buy orders with limit `>= p*` hold and sold at
//! most what its sell orders with limit `<= p*` hold, and nothing when there
//! is no trade. An order with a limit strictly better than `p*` normally
//! fills completely; it may fill only in part when its side was rationed at
//! a price level above `p*` (possible when the tied price range spans a
//! change of market pressure), which the bidder cannot rule out alone, so
//! that is reported as a note, not a failure.

use crate::auction_file::AuctionInfo;
use crate::https::{NodeApi, error_text};
use auction::wire::OutcomeBundle;
use auction::{Allocation, Bid, Price, Volume};
use serde::Serialize;

/// Fetching the outcome went wrong.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No node has published the outcome yet.
    #[error("no outcome yet: {0}")]
    NotReady(String),
    /// Nodes serve different bundles.
    #[error("node {a} and node {b} serve different outcome bundles")]
    Differ {
        /// One node.
        a: u8,
        /// Another.
        b: u8,
    },
}

/// Fetches the bundle from every node that answers; all answering nodes
/// must serve the same bundle. Returns it with the nodes that served it and
/// the problems of the others.
pub async fn fetch_bundle(
    apis: &[NodeApi],
    indices: &[u8],
    auction_id: &str,
) -> Result<(OutcomeBundle, Vec<u8>, Vec<String>), FetchError> {
    let path = crate::auction_file::api_path(auction_id, "outcome");
    let answers = futures::future::join_all(apis.iter().map(|a| a.get(&path))).await;
    let mut got: Vec<(u8, OutcomeBundle)> = Vec::new();
    let mut problems = Vec::new();
    for (&i, a) in indices.iter().zip(answers) {
        match a {
            Ok((200, body)) => match serde_json::from_slice::<OutcomeBundle>(&body) {
                Ok(b) => got.push((i, b)),
                Err(e) => problems.push(format!(
                    "node {i}: the answer is not an outcome bundle: {e}"
                )),
            },
            Ok((status, body)) => {
                problems.push(format!("node {i}: HTTP {status} {}", error_text(&body)))
            }
            Err(e) => problems.push(format!("node {i}: {e}")),
        }
    }
    let Some((first, bundle)) = got.first().cloned() else {
        return Err(FetchError::NotReady(problems.join("; ")));
    };
    for (i, b) in &got[1..] {
        if *b != bundle {
            return Err(FetchError::Differ { a: first, b: *i });
        }
    }
    Ok((bundle, got.iter().map(|g| g.0).collect(), problems))
}

/// Checks the bundle against the auction file: every check of
/// [`OutcomeBundle::checks`], the auditor's too (terms, bid set, bidder and
/// node signatures, seed, and the outcome's form). Returns the findings of
/// the first check that fails.
pub fn check_bundle(info: &AuctionInfo, b: &OutcomeBundle) -> Result<(), String> {
    b.verify(&info.trusted())
}

/// A bidder's allocation checked against its bid.
#[derive(Clone, Debug, Serialize)]
pub struct AllocationCheck {
    /// The price, if there was trade.
    pub price: Option<Price>,
    /// What the bidder bought.
    pub bought: Volume,
    /// What it sold.
    pub sold: Volume,
    /// Buy quantity with limit `>= p*`: the most it can buy.
    pub buy_eligible: Volume,
    /// Buy quantity with limit `> p*`: normally filled completely.
    pub buy_in_the_money: Volume,
    /// Sell quantity with limit `<= p*`.
    pub sell_eligible: Volume,
    /// Sell quantity with limit `< p*`.
    pub sell_in_the_money: Volume,
    /// Contradictions: the allocation cannot be right.
    pub failures: Vec<String>,
    /// Things worth knowing that are not contradictions.
    pub notes: Vec<String>,
}

/// Checks `alloc` (zero if the bidder is absent) against `bid` at `price`.
pub fn check_allocation(
    bid: &Bid,
    price: Option<Price>,
    alloc: Option<&Allocation>,
) -> AllocationCheck {
    let bought = alloc.map_or(0, |a| a.bought.0);
    let sold = alloc.map_or(0, |a| a.sold.0);
    let sum = |it: &mut dyn Iterator<Item = u64>| it.sum::<u64>();
    let (be, bm, se, sm) = match price {
        Some(p) => (
            sum(&mut bid
                .buy
                .iter()
                .filter(|o| o.price >= p)
                .map(|o| o.quantity.0 as u64)),
            sum(&mut bid
                .buy
                .iter()
                .filter(|o| o.price > p)
                .map(|o| o.quantity.0 as u64)),
            sum(&mut bid
                .sell
                .iter()
                .filter(|o| o.price <= p)
                .map(|o| o.quantity.0 as u64)),
            sum(&mut bid
                .sell
                .iter()
                .filter(|o| o.price < p)
                .map(|o| o.quantity.0 as u64)),
        ),
        None => (0, 0, 0, 0),
    };
    let mut c = AllocationCheck {
        price,
        bought: Volume(bought),
        sold: Volume(sold),
        buy_eligible: Volume(be),
        buy_in_the_money: Volume(bm),
        sell_eligible: Volume(se),
        sell_in_the_money: Volume(sm),
        failures: vec![],
        notes: vec![],
    };
    match price {
        None if bought + sold > 0 => c
            .failures
            .push(format!("no trade, yet bought {bought} and sold {sold}")),
        None => {}
        Some(p) => {
            if bought > be {
                c.failures.push(format!(
                    "bought {bought}, but the buy orders with limit >= {p} hold only {be}"
                ));
            }
            if sold > se {
                c.failures.push(format!(
                    "sold {sold}, but the sell orders with limit <= {p} hold only {se}"
                ));
            }
            if bought < bm {
                c.notes.push(format!(
                    "buy orders with limit above {p} hold {bm} but only {bought} was bought: buyers were rationed at a price above the clearing price"
                ));
            }
            if sold < sm {
                c.notes.push(format!(
                    "sell orders with limit below {p} hold {sm} but only {sold} was sold: sellers were rationed at a price below the clearing price"
                ));
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use auction::{BidderId, Order, Quantity};

    fn o(p: u32, q: u32) -> Order {
        Order {
            price: Price(p),
            quantity: Quantity(q),
        }
    }

    fn bid() -> Bid {
        Bid {
            bidder: BidderId("b".into()),
            buy: vec![o(20, 4), o(15, 3)],
            sell: vec![o(30, 2)],
        }
    }

    fn alloc(bought: u64, sold: u64) -> Allocation {
        Allocation {
            bidder: BidderId("b".into()),
            bought: Volume(bought),
            sold: Volume(sold),
        }
    }

    #[test]
    fn allocation_bounds() {
        let c = check_allocation(&bid(), Some(Price(15)), Some(&alloc(7, 0)));
        assert!(c.failures.is_empty() && c.notes.is_empty(), "{c:?}");
        let c = check_allocation(&bid(), Some(Price(15)), Some(&alloc(8, 0)));
        assert!(c.failures[0].contains("hold only 7"), "{c:?}");
        let c = check_allocation(&bid(), Some(Price(15)), Some(&alloc(2, 0)));
        assert!(
            c.failures.is_empty() && c.notes[0].contains("rationed"),
            "{c:?}"
        );
        let c = check_allocation(&bid(), Some(Price(25)), Some(&alloc(0, 1)));
        assert!(c.failures[0].contains("sold 1"), "{c:?}");
        let c = check_allocation(&bid(), None, Some(&alloc(0, 1)));
        assert!(c.failures[0].contains("no trade"), "{c:?}");
        assert!(check_allocation(&bid(), None, None).failures.is_empty());
    }
}
