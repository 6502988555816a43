//! Reading market files: malformed files fail with a message that says
//! where; out-of-range values are kept and excluded by validation with the
//! bidder, side, slot, field and limit named.

use auction::market::{MarketError, MarketFile, RawBid, RawOrder, ring_value};
use auction::validate::{BidError, Field, check_bid, validate_bid};
use auction::*;
use proptest::prelude::*;

const SEED: &str = "\"0000000000000000000000000000000000000000000000000000000000000000\"";

fn market_text(bids: &str) -> String {
    format!(
        "{{\"auction\": {{\"id\": \"t\", \"max_price\": 100, \"max_quantity\": 1000, \
         \"max_orders_per_side\": 2}},\n\"seed\": {SEED},\n\"bids\": [\n{bids}\n]}}"
    )
}

fn params() -> AuctionParams {
    AuctionParams {
        id: "t".into(),
        max_price: 100,
        max_quantity: 1000,
        max_orders_per_side: 2,
    }
}

#[test]
fn a_good_file_round_trips() {
    let text = market_text(
        r#"{"bidder": "a", "buy": [{"price": 7, "quantity": 3}], "sell": []},
           {"bidder": "b", "sell": [{"price": 5, "quantity": 1}]}"#,
    );
    let m = MarketFile::parse(&text).unwrap();
    assert_eq!(m.bids.len(), 2);
    assert_eq!(m.bids[1].buy, vec![]); // a missing side is empty
    assert_eq!(m.seed, Seed::ZERO);
    assert_eq!(MarketFile::parse(&m.to_json()).unwrap(), m);
    assert_eq!(m.order_count(), 2);
}

fn json_error(text: &str) -> (usize, usize, String) {
    match MarketFile::parse(text) {
        Err(MarketError::Json {
            line,
            column,
            message,
        }) => (line, column, message),
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn not_json_says_where() {
    let (line, _, _) = json_error("{\"auction\": \n\n  nonsense}");
    assert_eq!(line, 3);
}

#[test]
fn a_missing_field_says_which_and_where() {
    let text = market_text(r#"{"bidder": "a", "buy": [{"price": 7}], "sell": []}"#);
    let (line, _, message) = json_error(&text);
    assert_eq!(line, 4);
    assert!(message.contains("quantity"), "{message}");
    let err = MarketFile::parse(&text).unwrap_err().to_string();
    assert!(err.contains("line 4"), "{err}");
}

#[test]
fn unknown_fields_bad_seeds_and_fractions_are_malformed() {
    let typo = market_text(r#"{"bidder": "a", "buy": [], "sel": []}"#);
    assert!(json_error(&typo).2.contains("sel"));
    let fraction = market_text(r#"{"bidder": "a", "buy": [{"price": 7.5, "quantity": 1}]}"#);
    assert!(json_error(&fraction).2.contains("whole number"));
    let bad_seed = market_text("").replace(SEED, "\"12\"");
    assert!(json_error(&bad_seed).2.contains("64 hex digits"));
    let huge_param = market_text("").replace("\"max_price\": 100", "\"max_price\": 4294967296");
    json_error(&huge_param);
}

#[test]
fn a_repeated_bidder_makes_the_file_malformed() {
    let text = market_text(
        r#"{"bidder": "a", "buy": [], "sell": []},
           {"bidder": "b", "buy": [], "sell": []},
           {"bidder": "a", "buy": [], "sell": []}"#,
    );
    match MarketFile::parse(&text) {
        Err(MarketError::DuplicateBidder {
            bidder,
            first,
            second,
        }) => {
            assert_eq!(bidder, BidderId("a".into()));
            assert_eq!((first, second), (0, 2));
        }
        other => panic!("{other:?}"),
    }
    let msg = MarketFile::parse(&text).unwrap_err().to_string();
    assert!(
        msg.contains("bid 2") && msg.contains("\"a\"") && msg.contains("bid 0"),
        "{msg}"
    );
}

#[test]
fn out_of_range_values_are_kept_not_fatal() {
    let text = market_text(
        r#"{"bidder": "a", "buy": [{"price": -5, "quantity": 18446744073709551615}]},
           {"bidder": "b", "buy": [{"price": 100000000000000000000000, "quantity": 1}]}"#,
    );
    let m = MarketFile::parse(&text).unwrap();
    assert_eq!(m.bids[0].buy[0].price, -5);
    assert_eq!(m.bids[0].buy[0].quantity, i128::from(u64::MAX));
    assert!(m.bids[1].buy[0].price > i128::from(u64::MAX));
    assert_eq!(m.bids[0].buy[0].ring_price(), (-5i64) as u64);
    assert_eq!(m.bids[1].buy[0].ring_price(), u64::MAX);
}

fn raw(bidder: &str, buy: &[(i128, i128)], sell: &[(i128, i128)]) -> RawBid {
    let orders = |v: &[(i128, i128)]| {
        v.iter()
            .map(|&(price, quantity)| RawOrder { price, quantity })
            .collect()
    };
    RawBid {
        bidder: BidderId(bidder.into()),
        buy: orders(buy),
        sell: orders(sell),
    }
}

#[test]
fn validation_names_bidder_side_slot_field_and_limit() {
    let p = params();
    let e = check_bid(&p, &raw("f", &[(1, 1)], &[(5, 5), (5, 1001)])).unwrap_err();
    assert_eq!(
        e,
        BidError::OutOfRange {
            bidder: BidderId("f".into()),
            side: Side::Sell,
            slot: 1,
            field: Field::Quantity,
            value: 1001,
            limit: 1000
        }
    );
    assert_eq!(
        e.to_string(),
        "bidder f: sell order in slot 1: quantity 1001 is outside 0..=1000"
    );
    // The detail is for the bidder's own check; the outcome says only this.
    assert_eq!(
        e.to_exclusion(),
        Exclusion {
            bidder: BidderId("f".into()),
            reason: "invalid bid".into()
        }
    );
    let e = check_bid(&p, &raw("g", &[(101, 1)], &[])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bidder g: buy order in slot 0: price 101 is outside 0..=100"
    );
    let e = check_bid(&p, &raw("h", &[(1, 1); 3], &[])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bidder h: 3 buy orders, more than the limit of 2 per side"
    );
    assert_eq!(
        validate_bid(&p, &raw("h", &[], &[(1, 1); 3])).unwrap_err(),
        Exclusion {
            bidder: BidderId("h".into()),
            reason: "invalid bid".into()
        }
    );
    // The edges are in range.
    let ok = validate_bid(&p, &raw("i", &[(0, 0), (100, 1000)], &[(100, 0)])).unwrap();
    assert_eq!(ok.buy[1].price, Price(100));
    assert_eq!(ok.buy[1].quantity, Quantity(1000));
}

proptest! {
    /// A range check on the ring value excludes exactly what the reference's
    /// check on the raw value excludes.
    #[test]
    fn ring_values_keep_validity(
        v in prop_oneof![
            any::<i64>().prop_map(i128::from),
            any::<u64>().prop_map(i128::from),
            any::<i128>(),
            (-3i128..=3).prop_map(|d| (1i128 << 64) + d),
            (0i128..=2000),
        ],
        limit in prop_oneof![Just(0u32), Just(1000), Just(u32::MAX), any::<u32>()],
    ) {
        let valid = (0..=i128::from(limit)).contains(&v);
        prop_assert_eq!(ring_value(v) <= u64::from(limit), valid);
        if v >= i128::from(i64::MIN) && v <= i128::from(u64::MAX) {
            prop_assert_eq!(ring_value(v), v as u64);
        }
    }
}
