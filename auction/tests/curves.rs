//! Curves and orders, both ways, on random inputs.

use auction::curve::{CurvePoint, curve_to_orders, orders_to_curve, quantity_at};
use auction::*;
use proptest::prelude::*;

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn orders() -> impl Strategy<Value = Vec<Order>> {
    proptest::collection::vec(
        (0u32..50, 0u32..20).prop_map(|(p, q)| Order {
            price: Price(p),
            quantity: Quantity(q),
        }),
        0..12,
    )
}

proptest! {
    /// orders -> curve -> orders trades the same amount at every price, and
    /// the curve holds that amount at each breakpoint.
    #[test]
    fn round_trip_keeps_every_quantity(side in side(), orders in orders()) {
        let curve = orders_to_curve(side, &orders);
        let back = curve_to_orders(side, &curve).unwrap();
        for x in 0..=51 {
            prop_assert_eq!(quantity_at(side, &orders, Price(x)), quantity_at(side, &back, Price(x)));
        }
        for pt in &curve {
            prop_assert_eq!(quantity_at(side, &orders, pt.price), pt.total);
        }
        // Canonical: one order per distinct price, none empty.
        prop_assert_eq!(orders_to_curve(side, &back), curve);
        prop_assert!(back.iter().all(|o| o.quantity.0 > 0));
    }

    /// A monotone curve given in any order becomes orders whose totals are
    /// the curve's.
    #[test]
    fn curves_in_any_order(side in side(), steps in proptest::collection::btree_map(0u32..100, 0u64..30, 0..10), rot in any::<usize>()) {
        let mut total = 0;
        let mut points: Vec<CurvePoint> = Vec::new();
        let ordered: Vec<(u32, u64)> = match side {
            Side::Buy => steps.into_iter().rev().collect(),
            Side::Sell => steps.into_iter().collect(),
        };
        for (p, step) in ordered {
            total += step;
            points.push(CurvePoint { price: Price(p), total: Volume(total) });
        }
        let expected = points.clone();
        if !points.is_empty() {
            let n = points.len();
            points.rotate_left(rot % n);
        }
        let orders = curve_to_orders(side, &points).unwrap();
        for pt in &expected {
            prop_assert_eq!(quantity_at(side, &orders, pt.price), pt.total);
        }
    }
}
