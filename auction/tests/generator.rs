//! The market generator: deterministic, sugar-beet shaped by default, and
//! sized by order slots.

use auction::generate::{GenParams, generate};
use auction::market::MarketFile;
use auction::reference::clear_market;
use auction::validate::validate_market;

#[test]
fn the_same_seed_gives_the_same_market() {
    let p = GenParams::sugar_beet();
    let a = generate(&p);
    assert_eq!(a, generate(&p));
    let other = generate(&GenParams { seed: 7, ..p });
    assert_ne!(a.bids, other.bids);
    assert_ne!(a.seed, other.seed);
    // Survives its JSON form.
    assert_eq!(MarketFile::parse(&a.to_json()).unwrap(), a);
}

#[test]
fn the_default_is_shaped_like_the_sugar_beet_market() {
    let m = generate(&GenParams::default());
    assert_eq!(m.auction.max_price, 10_000_000);
    assert_eq!(m.auction.max_orders_per_side, 16);
    assert_eq!(m.bids.len(), 1229);
    let sellers = m.bids.iter().filter(|b| !b.sell.is_empty()).count();
    assert!((750..=890).contains(&sellers), "{sellers} sellers of 1229");
    for b in &m.bids {
        // One side per bidder, 1 to 16 breakpoints, real quantities.
        let n = b.buy.len() + b.sell.len();
        assert!(b.buy.is_empty() != b.sell.is_empty(), "{}", b.bidder);
        assert!((1..=16).contains(&n), "{}: {n} orders", b.bidder);
        assert!(b.buy.iter().chain(&b.sell).all(|o| o.quantity > 0));
    }
    let counts: std::collections::BTreeSet<usize> =
        m.bids.iter().map(|b| b.buy.len() + b.sell.len()).collect();
    assert_eq!(counts.len(), 16, "every curve length from 1 to 16 occurs");
    let (valid, excluded) = validate_market(&m);
    assert_eq!((valid.len(), excluded.len()), (1229, 0));
    // It trades, near the common level of 25,000.00.
    let o = clear_market(&m);
    let price = o.price.expect("the market trades").0;
    assert!((2_250_000..=2_750_000).contains(&price), "price {price}");
    let traders = o
        .allocations
        .iter()
        .filter(|a| a.bought.0 + a.sold.0 > 0)
        .count();
    assert!(traders > 500, "{traders} bidders trade");
}

#[test]
fn slots_count_every_padded_order() {
    let p = GenParams::with_slots(10_000);
    assert_eq!(p.bidders, 313); // ceil(10,000 / 32)
    let m = generate(&p);
    assert_eq!(m.order_count(), 313 * 32);
    assert!(
        m.bids
            .iter()
            .all(|b| b.buy.len() == 16 && b.sell.len() == 16)
    );
    assert_eq!(validate_market(&m).1.len(), 0);
    assert!(clear_market(&m).price.is_some());
}
