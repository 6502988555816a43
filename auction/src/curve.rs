//! Cumulative curves and orders, both ways.
//!
//! A bidder's buy curve says how much it wants in all at each price: "at 700
//! or lower I want 100 in all; at 400 or lower 300 in all". That is the same
//! as the buy orders (700, 100) and (400, 200). A sell curve says how much it
//! offers in all: "at 500 or higher 100 in all; at 800 or higher 300 in all",
//! the sell orders (500, 100) and (800, 200).
//!
//! A curve is a list of breakpoints `(price, total)`. In its canonical order
//! a buy curve runs from the highest price down and a sell curve from the
//! lowest price up; totals never fall along that order.

use crate::auction_file::MAX_ORDERS_PER_SIDE;
use crate::{Order, Price, Quantity, Side, Volume};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One breakpoint: at `price` (or lower for buys, higher for sells) the
/// bidder trades `total` in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// The breakpoint's price.
    pub price: Price,
    /// The cumulative quantity from that price on.
    pub total: Volume,
}

/// A curve that cannot be turned into orders.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CurveError {
    /// Two breakpoints at one price.
    #[error("{side} curve: two breakpoints at price {price}")]
    DuplicatePrice {
        /// The side of the curve.
        side: Side,
        /// The repeated price.
        price: Price,
    },
    /// The total falls where it should grow.
    #[error(
        "{side} curve: the total at price {price} is {total}, less than {previous} at the \
         breakpoint before it (a {side} curve's total never falls as the price becomes more \
         favourable to trade)"
    )]
    NotMonotone {
        /// The side of the curve.
        side: Side,
        /// Where the total falls.
        price: Price,
        /// The total there.
        total: Volume,
        /// The larger total before it.
        previous: Volume,
    },
    /// A step larger than the orders of one side can hold, at most
    /// [`MAX_ORDERS_PER_SIDE`] orders of at most `u32::MAX` each.
    #[error(
        "{side} curve: the step of {step} at price {price} is more than the orders of one side \
         can hold ({MAX_ORDERS_PER_SIDE} orders of at most {max} each, with the side's other \
         steps)",
        max = u32::MAX
    )]
    StepTooLarge {
        /// The side of the curve.
        side: Side,
        /// Where the step is.
        price: Price,
        /// The step.
        step: Volume,
    },
}

/// Sorts breakpoints into the side's canonical order: buys by price
/// descending, sells ascending.
fn canonical<T>(side: Side, v: &mut [T], price: impl Fn(&T) -> Price) {
    match side {
        Side::Buy => v.sort_by_key(|x| std::cmp::Reverse(price(x))),
        Side::Sell => v.sort_by_key(|x| price(x)),
    }
}

/// Turns a cumulative curve into orders, one per breakpoint where the total
/// grows, in canonical order. The breakpoints may come in any order. A step
/// larger than one order's quantity (`u32::MAX`) becomes several orders at
/// its price, as many as it takes: the curve of a valid bid with several
/// large orders at one price reads back as the same bid. A step that would
/// take the side past [`MAX_ORDERS_PER_SIDE`] orders is refused, whatever
/// the auction.
pub fn curve_to_orders(side: Side, points: &[CurvePoint]) -> Result<Vec<Order>, CurveError> {
    let mut pts = points.to_vec();
    canonical(side, &mut pts, |p| p.price);
    let mut orders = Vec::with_capacity(pts.len());
    let mut previous: Option<CurvePoint> = None;
    let whole = u64::from(u32::MAX);
    for p in pts {
        let before = previous.map_or(0, |q| q.total.0);
        if previous.is_some_and(|q| q.price == p.price) {
            return Err(CurveError::DuplicatePrice {
                side,
                price: p.price,
            });
        }
        if p.total.0 < before {
            return Err(CurveError::NotMonotone {
                side,
                price: p.price,
                total: p.total,
                previous: Volume(before),
            });
        }
        let step = p.total.0 - before;
        let pieces = step.div_ceil(whole);
        // A step of one order is left to the auction's own order limit.
        if pieces > 1 && orders.len() as u64 + pieces > u64::from(MAX_ORDERS_PER_SIDE) {
            return Err(CurveError::StepTooLarge {
                side,
                price: p.price,
                step: Volume(step),
            });
        }
        // Whole orders of u32::MAX, the rest in the last.
        for k in 0..pieces {
            let q = whole.min(step - k * whole);
            orders.push(Order {
                price: p.price,
                quantity: Quantity(u32::try_from(q).expect("at most u32::MAX")),
            });
        }
        previous = Some(p);
    }
    Ok(orders)
}

/// Turns orders into their cumulative curve: one breakpoint per distinct
/// price with a positive quantity, in canonical order. Padding (quantity 0)
/// leaves no trace.
pub fn orders_to_curve(side: Side, orders: &[Order]) -> Vec<CurvePoint> {
    let mut by_price: BTreeMap<Price, u64> = BTreeMap::new();
    for o in orders.iter().filter(|o| o.quantity.0 > 0) {
        *by_price.entry(o.price).or_default() += u64::from(o.quantity.0);
    }
    let mut steps: Vec<(Price, u64)> = by_price.into_iter().collect();
    canonical(side, &mut steps, |s| s.0);
    let mut total = 0u64;
    steps
        .into_iter()
        .map(|(price, q)| {
            total += q;
            CurvePoint {
                price,
                total: Volume(total),
            }
        })
        .collect()
}

/// How much the orders trade in all at clearing price `x`: for buys the sum
/// over limits `>= x` (the bidder's demand), for sells over limits `<= x`.
pub fn quantity_at(side: Side, orders: &[Order], x: Price) -> Volume {
    Volume(
        orders
            .iter()
            .filter(|o| match side {
                Side::Buy => o.price >= x,
                Side::Sell => o.price <= x,
            })
            .map(|o| u64::from(o.quantity.0))
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(price: u32, total: u64) -> CurvePoint {
        CurvePoint {
            price: Price(price),
            total: Volume(total),
        }
    }
    fn ord(price: u32, q: u32) -> Order {
        Order {
            price: Price(price),
            quantity: Quantity(q),
        }
    }

    #[test]
    fn the_spec_buy_curve() {
        let orders = curve_to_orders(Side::Buy, &[pt(400, 300), pt(700, 100)]).unwrap();
        assert_eq!(orders, vec![ord(700, 100), ord(400, 200)]);
        assert_eq!(
            orders_to_curve(Side::Buy, &orders),
            vec![pt(700, 100), pt(400, 300)]
        );
    }

    #[test]
    fn a_sell_curve() {
        let orders = curve_to_orders(Side::Sell, &[pt(500, 100), pt(800, 300)]).unwrap();
        assert_eq!(orders, vec![ord(500, 100), ord(800, 200)]);
        assert_eq!(quantity_at(Side::Sell, &orders, Price(799)), Volume(100));
        assert_eq!(quantity_at(Side::Sell, &orders, Price(800)), Volume(300));
    }

    #[test]
    fn bad_curves_say_where() {
        assert_eq!(
            curve_to_orders(Side::Buy, &[pt(700, 300), pt(400, 100)]),
            Err(CurveError::NotMonotone {
                side: Side::Buy,
                price: Price(400),
                total: Volume(100),
                previous: Volume(300)
            })
        );
        assert!(matches!(
            curve_to_orders(Side::Sell, &[pt(5, 1), pt(5, 2)]),
            Err(CurveError::DuplicatePrice { .. })
        ));
        assert!(matches!(
            curve_to_orders(Side::Sell, &[pt(5, 1 << 45)]),
            Err(CurveError::StepTooLarge { .. })
        ));
        // The other steps count too; many steps of one order each are left
        // to the auction's order limit.
        let many: Vec<CurvePoint> = (0..1100).map(|i| pt(i, u64::from(i) + 1)).collect();
        assert_eq!(curve_to_orders(Side::Sell, &many).unwrap().len(), 1100);
        let most = u64::from(MAX_ORDERS_PER_SIDE) * u64::from(u32::MAX);
        assert!(curve_to_orders(Side::Sell, &[pt(5, most)]).is_ok());
        assert!(matches!(
            curve_to_orders(Side::Sell, &[pt(4, 1), pt(5, most + 1)]),
            Err(CurveError::StepTooLarge { .. })
        ));
    }

    /// A step above one order's quantity (several large orders at one
    /// price, as a valid bid may have) becomes orders that trade the same
    /// at every price.
    #[test]
    fn a_step_too_large_for_one_order_becomes_several() {
        let big = u32::MAX;
        let orders = vec![
            ord(20, 30),
            ord(28, big),
            ord(28, big),
            ord(28, 11),
            ord(79, 14),
        ];
        let curve = orders_to_curve(Side::Sell, &orders);
        assert_eq!(curve[1], pt(28, 30 + 2 * u64::from(big) + 11));
        let back = curve_to_orders(Side::Sell, &curve).unwrap();
        assert_eq!(
            back,
            vec![
                ord(20, 30),
                ord(28, big),
                ord(28, big),
                ord(28, 11),
                ord(79, 14)
            ]
        );
        for x in [0, 19, 20, 27, 28, 29, 79, u32::MAX] {
            assert_eq!(
                quantity_at(Side::Sell, &orders, Price(x)),
                quantity_at(Side::Sell, &back, Price(x))
            );
        }
    }
}
