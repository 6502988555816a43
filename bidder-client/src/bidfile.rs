//! Bid files, in three forms, all read into the spec's raw bid and then
//! validated against the auction's parameters by `auction::validate`:
//!
//! - the spec's JSON: `{"bidder": "farmer-0001", "buy": [{"price": 700,
//!   "quantity": 100}], "sell": []}` (`bidder` may be left out and is then
//!   taken from the key file);
//! - a cumulative curve in JSON: `{"bidder": ..., "buy_curve": [{"price":
//!   700, "total": 100}, {"price": 400, "total": 300}], "sell_curve": []}`;
//! - CSV, one order per line: `side,price,quantity` (a header line of that
//!   form is optional), or with the header `side,price,total` a cumulative
//!   curve. `#` starts a comment; blank lines are skipped.
//!
//! Curves become orders with `auction::curve::curve_to_orders`: one order
//! per breakpoint where the total grows (several where the step is larger
//! than one order's quantity). `fixtures/bids/` holds an example
//! of each form, all four the same bid.
//!
//! A bid with no orders (or only orders of quantity 0) is valid and trades
//! nothing; it is almost always a mistake (an empty or truncated file), so
//! the `bidder` program warns about it ([`has_orders`]).

use auction::curve::{CurvePoint, curve_to_orders, orders_to_curve};
use auction::validate::{BidError, check_bid};
use auction::{AuctionParams, Bid, BidderId, Order, Price, RawBid, RawOrder, Side, Volume};
use serde::Deserialize;
use std::path::Path;

/// A bid file that could not be read, naming where.
#[derive(Debug, thiserror::Error)]
pub enum BidFileError {
    /// The file could not be read.
    #[error("reading bid file {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not one of the forms.
    #[error("bid file {path}: {message}")]
    Malformed {
        /// The path.
        path: String,
        /// What and where.
        message: String,
    },
    /// The file names a bidder other than the key's.
    #[error("bid file {path} is for bidder {file}, but the key is bidder {key}'s")]
    OtherBidder {
        /// The path.
        path: String,
        /// The file's bidder.
        file: BidderId,
        /// The key's bidder.
        key: BidderId,
    },
    /// Neither the file nor the caller names the bidder.
    #[error("bid file {path} names no bidder; give a key file or --bidder")]
    NoBidder {
        /// The path.
        path: String,
    },
    /// The bid breaks the auction's limits.
    #[error(transparent)]
    Invalid(#[from] BidError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonBid {
    bidder: Option<BidderId>,
    #[serde(default)]
    buy: Option<Vec<RawOrder>>,
    #[serde(default)]
    sell: Option<Vec<RawOrder>>,
    #[serde(default)]
    buy_curve: Option<Vec<RawPoint>>,
    #[serde(default)]
    sell_curve: Option<Vec<RawPoint>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    price: i128,
    total: i128,
}

/// A bid as read from a file, before validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidInput {
    /// The bidder named in the file, if any.
    pub bidder: Option<BidderId>,
    /// Buy orders as written (or from the buy curve).
    pub buy: Vec<RawOrder>,
    /// Sell orders as written (or from the sell curve).
    pub sell: Vec<RawOrder>,
}

impl BidInput {
    /// The raw bid for `bidder` (the file's bidder must be the same, if it
    /// names one).
    pub fn for_bidder(
        &self,
        path: &Path,
        bidder: Option<&BidderId>,
    ) -> Result<RawBid, BidFileError> {
        let bidder = match (&self.bidder, bidder) {
            (Some(f), Some(k)) if f != k => {
                return Err(BidFileError::OtherBidder {
                    path: path.display().to_string(),
                    file: f.clone(),
                    key: k.clone(),
                });
            }
            (Some(b), _) | (None, Some(b)) => b.clone(),
            (None, None) => {
                return Err(BidFileError::NoBidder {
                    path: path.display().to_string(),
                });
            }
        };
        Ok(RawBid {
            bidder,
            buy: self.buy.clone(),
            sell: self.sell.clone(),
        })
    }
}

/// Reads a bid file in any of the three forms (by its first non-blank
/// character: `{` is JSON, anything else CSV).
pub fn read_bid_file(path: &Path) -> Result<BidInput, BidFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| BidFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_bid(&text).map_err(|message| BidFileError::Malformed {
        path: path.display().to_string(),
        message,
    })
}

/// Parses a bid file's text.
pub fn parse_bid(text: &str) -> Result<BidInput, String> {
    if text.trim_start().starts_with('{') {
        parse_json(text)
    } else {
        parse_csv(text)
    }
}

fn points_to_orders(
    side: Side,
    points: &[(usize, RawPoint)],
    what: &str,
) -> Result<Vec<RawOrder>, String> {
    let mut pts = Vec::with_capacity(points.len());
    for &(at, p) in points {
        let price = u32::try_from(p.price).map_err(|_| {
            format!(
                "{what} {at}: {side} curve price {} is not in 0..={}",
                p.price,
                u32::MAX
            )
        })?;
        let total = u64::try_from(p.total).map_err(|_| {
            format!(
                "{what} {at}: {side} curve total {} is negative or too large",
                p.total
            )
        })?;
        pts.push(CurvePoint {
            price: Price(price),
            total: Volume(total),
        });
    }
    let orders = curve_to_orders(side, &pts).map_err(|e| e.to_string())?;
    Ok(orders
        .into_iter()
        .map(|o| RawOrder {
            price: o.price.0.into(),
            quantity: o.quantity.0.into(),
        })
        .collect())
}

fn parse_json(text: &str) -> Result<BidInput, String> {
    let j: JsonBid = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let side = |orders: Option<Vec<RawOrder>>, curve: Option<Vec<RawPoint>>, side: Side| match (
        orders, curve,
    ) {
        (Some(_), Some(_)) => Err(format!(
            "give either \"{side}\" (orders) or \"{side}_curve\" (a cumulative curve), not both"
        )),
        (Some(o), None) => Ok(o),
        (None, Some(c)) => {
            let pts: Vec<_> = c.into_iter().enumerate().collect();
            points_to_orders(side, &pts, "breakpoint")
        }
        (None, None) => Ok(vec![]),
    };
    Ok(BidInput {
        bidder: j.bidder,
        buy: side(j.buy, j.buy_curve, Side::Buy)?,
        sell: side(j.sell, j.sell_curve, Side::Sell)?,
    })
}

fn parse_csv(text: &str) -> Result<BidInput, String> {
    let mut cumulative = false;
    let mut rows: Vec<(usize, Side, i128, i128)> = Vec::new();
    let mut first = true;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if first {
            first = false;
            let lower: Vec<String> = cells.iter().map(|c| c.to_lowercase()).collect();
            if lower.first().map(String::as_str) == Some("side") {
                match lower.as_slice() {
                    [_, p, q] if p == "price" && q == "quantity" => {}
                    [_, p, t] if p == "price" && t == "total" => cumulative = true,
                    _ => {
                        return Err(format!(
                            "line {n}: header must be side,price,quantity or side,price,total; got {line:?}"
                        ));
                    }
                }
                continue;
            }
        }
        if cells.len() != 3 {
            return Err(format!(
                "line {n}: expected 3 cells side,price,quantity; got {} in {line:?}",
                cells.len()
            ));
        }
        let side = match cells[0].to_lowercase().as_str() {
            "buy" | "b" => Side::Buy,
            "sell" | "s" => Side::Sell,
            other => return Err(format!("line {n}: side {other:?} is not buy or sell")),
        };
        let num = |field: &str, s: &str| {
            s.parse::<i128>()
                .map_err(|_| format!("line {n}: {field} {s:?} is not a whole number"))
        };
        let second = if cumulative { "total" } else { "quantity" };
        rows.push((n, side, num("price", cells[1])?, num(second, cells[2])?));
    }
    let mut bid = BidInput {
        bidder: None,
        buy: vec![],
        sell: vec![],
    };
    for side in [Side::Buy, Side::Sell] {
        let mine = rows.iter().filter(|r| r.1 == side);
        let orders = if cumulative {
            let pts: Vec<_> = mine
                .map(|&(n, _, price, total)| (n, RawPoint { price, total }))
                .collect();
            points_to_orders(side, &pts, "line")?
        } else {
            mine.map(|&(_, _, price, quantity)| RawOrder { price, quantity })
                .collect()
        };
        match side {
            Side::Buy => bid.buy = orders,
            Side::Sell => bid.sell = orders,
        }
    }
    Ok(bid)
}

/// Reads and validates a bid file for `bidder` against the parameters.
pub fn load_bid(
    path: &Path,
    params: &AuctionParams,
    bidder: Option<&BidderId>,
) -> Result<Bid, BidFileError> {
    let raw = read_bid_file(path)?.for_bidder(path, bidder)?;
    Ok(check_bid(params, &raw)?)
}

/// Whether the bid holds an order that can trade: one of quantity above 0.
pub fn has_orders(bid: &Bid) -> bool {
    bid.buy.iter().chain(&bid.sell).any(|o| o.quantity.0 > 0)
}

/// The bid as two cumulative curves, as a table: for each side, each
/// breakpoint's price, the order's own quantity and the running total.
pub fn curve_table(bid: &Bid) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (side, orders, dir) in [
        (Side::Buy, &bid.buy, "at this price or lower"),
        (Side::Sell, &bid.sell, "at this price or higher"),
    ] {
        let curve = orders_to_curve(side, orders);
        let _ = writeln!(
            out,
            "{side} curve ({} orders, {} breakpoints; total {dir})",
            orders.len(),
            curve.len()
        );
        if curve.is_empty() {
            let _ = writeln!(out, "  (none)");
            continue;
        }
        let _ = writeln!(
            out,
            "  {:>12}  {:>12}  {:>14}",
            "price", "quantity", "total"
        );
        let mut before = 0u64;
        for p in &curve {
            let _ = writeln!(
                out,
                "  {:>12}  {:>12}  {:>14}",
                p.price.0,
                p.total.0 - before,
                p.total.0
            );
            before = p.total.0;
        }
    }
    out
}

/// JSON form of the curves for `--json`.
pub fn curves_json(bid: &Bid) -> serde_json::Value {
    let side = |s: Side, o: &[Order]| {
        orders_to_curve(s, o)
            .iter()
            .map(|p| serde_json::json!({"price": p.price.0, "total": p.total.0}))
            .collect::<Vec<_>>()
    };
    serde_json::json!({
        "bidder": bid.bidder,
        "buy": bid.buy,
        "sell": bid.sell,
        "buy_curve": side(Side::Buy, &bid.buy),
        "sell_curve": side(Side::Sell, &bid.sell),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> AuctionParams {
        AuctionParams {
            id: "a".into(),
            max_price: 1000,
            max_quantity: 500,
            max_orders_per_side: 3,
        }
    }

    fn ro(price: i128, quantity: i128) -> RawOrder {
        RawOrder { price, quantity }
    }

    /// A valid bid with several orders at one price whose sum exceeds one
    /// order's quantity (found by the `bid_file` fuzz target): the curves
    /// `bidder check --json` prints for it read back, in JSON and in CSV, as
    /// orders that trade the same at every price.
    #[test]
    fn the_curves_of_large_orders_at_one_price_read_back() {
        let largest = AuctionParams {
            id: "a".into(),
            max_price: u32::MAX,
            max_quantity: u32::MAX,
            max_orders_per_side: 8,
        };
        let csv =
            "side,price,quantity\nsell,28,4294967295\nsell,28,4294967295\nsell,28,5\nsell,79,14\n";
        let raw = parse_bid(csv)
            .unwrap()
            .for_bidder(Path::new("bid"), Some(&BidderId("f1".into())))
            .unwrap();
        let bid = check_bid(&largest, &raw).unwrap();
        let curves = curves_json(&bid);
        let json = serde_json::json!({"buy_curve": curves["buy_curve"], "sell_curve": curves["sell_curve"]});
        let mut csv_curve = String::from("side,price,total\n");
        for p in curves["sell_curve"].as_array().unwrap() {
            csv_curve.push_str(&format!("sell,{},{}\n", p["price"], p["total"]));
        }
        for text in [json.to_string(), csv_curve] {
            let back = parse_bid(&text).unwrap();
            assert!(back.buy.is_empty());
            let q = |orders: &[RawOrder], x: i128| -> i128 {
                orders
                    .iter()
                    .filter(|o| o.price <= x)
                    .map(|o| o.quantity)
                    .sum()
            };
            for x in [0, 27, 28, 29, 78, 79, 80] {
                assert_eq!(q(&back.sell, x), q(&raw.sell, x), "{text}: at {x}");
            }
            assert!(back.sell.iter().all(|o| o.quantity <= i128::from(u32::MAX)));
        }
    }

    #[test]
    fn the_three_forms_give_the_same_orders() {
        let json = r#"{"bidder": "f1", "buy": [{"price": 700, "quantity": 100}, {"price": 400, "quantity": 200}],
                       "sell": [{"price": 900, "quantity": 5}]}"#;
        let curve = r#"{"bidder": "f1", "buy_curve": [{"price": 400, "total": 300}, {"price": 700, "total": 100}],
                        "sell_curve": [{"price": 900, "total": 5}]}"#;
        let csv = "side,price,quantity\nbuy,700,100\n# comment\n\nsell,900,5\nbuy,400,200\n";
        let csv_curve = "side,price,total\nbuy,400,300\nbuy,700,100\nsell,900,5\n";
        let want = vec![ro(700, 100), ro(400, 200)];
        for t in [json, curve, csv, csv_curve] {
            let b = parse_bid(t).unwrap();
            assert_eq!(b.buy, want, "{t}");
            assert_eq!(b.sell, vec![ro(900, 5)], "{t}");
        }
        assert_eq!(parse_bid(json).unwrap().bidder, Some(BidderId("f1".into())));
        assert_eq!(parse_bid(csv).unwrap().bidder, None);
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = parse_bid("buy,70x,1\n").unwrap_err();
        assert!(e.contains("line 1") && e.contains("price \"70x\""), "{e}");
        let e = parse_bid("side,price,quantity\nhold,1,2\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("hold"), "{e}");
        let e = parse_bid("side,price,total\nbuy,700,300\nbuy,400,100\n").unwrap_err();
        assert!(e.contains("buy curve"), "{e}");
        let e = parse_bid("buy,1\n").unwrap_err();
        assert!(e.contains("expected 3 cells"), "{e}");
    }

    #[test]
    fn validation_names_bidder_side_slot_field_and_limit() {
        let path = Path::new("bid.csv");
        let b = parse_bid("buy,10,1\nbuy,20,501\n").unwrap();
        let raw = b.for_bidder(path, Some(&BidderId("f2".into()))).unwrap();
        let e = check_bid(&params(), &raw).unwrap_err().to_string();
        assert!(
            e.contains("f2")
                && e.contains("buy order in slot 1")
                && e.contains("quantity 501")
                && e.contains("0..=500"),
            "{e}"
        );
        let b = parse_bid(r#"{"bidder": "x", "buy": []}"#).unwrap();
        assert!(matches!(
            b.for_bidder(path, Some(&BidderId("y".into()))),
            Err(BidFileError::OtherBidder { .. })
        ));
        assert!(matches!(
            parse_bid("buy,1,1").unwrap().for_bidder(path, None),
            Err(BidFileError::NoBidder { .. })
        ));
    }

    #[test]
    fn table_shows_running_totals() {
        let raw = parse_bid("side,price,total\nbuy,700,100\nbuy,400,300\n").unwrap();
        let bid = check_bid(
            &params(),
            &raw.for_bidder(Path::new("x"), Some(&BidderId("f".into())))
                .unwrap(),
        )
        .unwrap();
        let t = curve_table(&bid);
        assert!(t.contains("buy curve (2 orders"), "{t}");
        let lines: Vec<&str> = t
            .lines()
            .filter(|l| l.trim_start().starts_with("400"))
            .collect();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].split_whitespace().eq(["400", "200", "300"]), "{t}");
    }
}
