// A bidder's curves as `bidder check` reads them, with the same messages:
// cumulative breakpoints become orders (auction/src/curve.rs), the orders
// are checked against the auction's limits (auction/src/validate.rs), and
// an allocation is checked against the bid (bidder-client/src/result.rs).
// Every number is a BigInt.

const U32_MAX = 4294967295n;
const U64_MAX = (1n << 64n) - 1n;
const I128_MAX = (1n << 127n) - 1n;

/** Reads one cell of the table: a whole number, or null when empty. */
export function parseCell(text) {
  const t = String(text).trim();
  if (t === "") return null;
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const v = BigInt(t.replace(/^\+/, ""));
  return v > I128_MAX || v < -I128_MAX - 1n ? undefined : v;
}

/**
 * The rows of one side's table ({price, total} strings) as breakpoints,
 * as `bidder check` reads a JSON curve's "buy_curve" / "sell_curve": rows
 * with both cells empty are skipped; breakpoints are numbered from 0.
 */
export function rowsToPoints(side, rows) {
  const points = [];
  for (const r of rows) {
    const price = parseCell(r.price);
    const total = parseCell(r.total);
    if (price === null && total === null) continue;
    const at = points.length;
    if (price === null || price === undefined) {
      throw new Error(`breakpoint ${at}: ${side} curve price ${JSON.stringify(String(r.price).trim())} is not a whole number`);
    }
    if (total === null || total === undefined) {
      throw new Error(`breakpoint ${at}: ${side} curve total ${JSON.stringify(String(r.total).trim())} is not a whole number`);
    }
    points.push({ price, total });
  }
  return points;
}

function canonical(side, v) {
  // Stable, like Rust's sort_by_key: buys by price descending, sells ascending.
  return [...v].sort((a, b) => {
    const d = side === "buy" ? b.price - a.price : a.price - b.price;
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  });
}

/**
 * Breakpoints to orders (bidfile.rs points_to_orders, then
 * curve.rs curve_to_orders): one order per breakpoint where the total grows.
 */
export function curveToOrders(side, points) {
  points.forEach((p, at) => {
    if (p.price < 0n || p.price > U32_MAX) {
      throw new Error(`breakpoint ${at}: ${side} curve price ${p.price} is not in 0..=${U32_MAX}`);
    }
    if (p.total < 0n || p.total > U64_MAX) {
      throw new Error(`breakpoint ${at}: ${side} curve total ${p.total} is negative or too large`);
    }
  });
  const orders = [];
  let previous = null;
  for (const p of canonical(side, points)) {
    const before = previous ? previous.total : 0n;
    if (previous && previous.price === p.price) {
      throw new Error(`${side} curve: two breakpoints at price ${p.price}`);
    }
    if (p.total < before) {
      throw new Error(
        `${side} curve: the total at price ${p.price} is ${p.total}, less than ${before} at the breakpoint before it ` +
          `(a ${side} curve's total never falls as the price becomes more favourable to trade)`,
      );
    }
    const step = p.total - before;
    if (step > 0n) {
      if (step > U32_MAX) {
        throw new Error(`${side} curve: the step of ${step} at price ${p.price} is more than one order can hold (${U32_MAX})`);
      }
      orders.push({ price: p.price, quantity: step });
    }
    previous = p;
  }
  return orders;
}

/** validate.rs check_bid: the first failure, in its fixed order. */
export function checkBid(params, bidder, buy, sell) {
  const k = BigInt(params.max_orders_per_side);
  for (const [side, orders] of [["buy", buy], ["sell", sell]]) {
    if (BigInt(orders.length) > k) {
      throw new Error(`bidder ${bidder}: ${orders.length} ${side} orders, more than the limit of ${k} per side`);
    }
  }
  for (const [side, orders] of [["buy", buy], ["sell", sell]]) {
    orders.forEach((o, slot) => {
      for (const [field, value, limit] of [
        ["price", o.price, BigInt(params.max_price)],
        ["quantity", o.quantity, BigInt(params.max_quantity)],
      ]) {
        if (value < 0n || value > limit) {
          const shown = value >= -(1n << 63n) && value <= U64_MAX ? String(value) : "(a number beyond 64 bits)";
          throw new Error(`bidder ${bidder}: ${side} order in slot ${slot}: ${field} ${shown} is outside 0..=${limit}`);
        }
      }
    });
  }
  return { bidder, buy, sell };
}

/**
 * The whole check of the page's two tables, as `bidder check` does for a
 * JSON curve file: {bid} when valid, else throws with the message.
 */
export function checkTables(params, bidder, buyRows, sellRows) {
  const buy = curveToOrders("buy", rowsToPoints("buy", buyRows));
  const sell = curveToOrders("sell", rowsToPoints("sell", sellRows));
  return checkBid(params, bidder, buy, sell);
}

/** Whether the bid holds an order that can trade (quantity above 0). */
export function hasOrders(bid) {
  return [...bid.buy, ...bid.sell].some((o) => o.quantity > 0n);
}

/** curve.rs orders_to_curve: one breakpoint per distinct price, canonical order. */
export function ordersToCurve(side, orders) {
  const by = new Map();
  for (const o of orders) {
    if (o.quantity > 0n) by.set(o.price, (by.get(o.price) ?? 0n) + o.quantity);
  }
  let total = 0n;
  return canonical(
    side,
    [...by].map(([price, q]) => ({ price, q })),
  ).map(({ price, q }) => {
    total += q;
    return { price, total };
  });
}

/** What the orders trade in all at price x: buys with limit >= x, sells <= x. */
export function quantityAt(side, orders, x) {
  return orders
    .filter((o) => (side === "buy" ? o.price >= x : o.price <= x))
    .reduce((s, o) => s + o.quantity, 0n);
}

/** result.rs check_allocation: failures (contradictions) and notes. */
export function checkAllocation(bid, price, alloc) {
  const bought = alloc ? alloc.bought : 0n;
  const sold = alloc ? alloc.sold : 0n;
  const sum = (os) => os.reduce((s, o) => s + o.quantity, 0n);
  const c = { bought, sold, failures: [], notes: [] };
  if (price === null || price === undefined) {
    c.buy_eligible = c.sell_eligible = 0n;
    if (bought + sold > 0n) c.failures.push(`no trade, yet bought ${bought} and sold ${sold}`);
    return c;
  }
  const p = price;
  const be = sum(bid.buy.filter((o) => o.price >= p));
  const bm = sum(bid.buy.filter((o) => o.price > p));
  const se = sum(bid.sell.filter((o) => o.price <= p));
  const sm = sum(bid.sell.filter((o) => o.price < p));
  c.buy_eligible = be;
  c.sell_eligible = se;
  if (bought > be) c.failures.push(`bought ${bought}, but the buy orders with limit >= ${p} hold only ${be}`);
  if (sold > se) c.failures.push(`sold ${sold}, but the sell orders with limit <= ${p} hold only ${se}`);
  if (bought < bm) {
    c.notes.push(
      `buy orders with limit above ${p} hold ${bm} but only ${bought} was bought: buyers were rationed at a price above the clearing price`,
    );
  }
  if (sold < sm) {
    c.notes.push(
      `sell orders with limit below ${p} hold ${sm} but only ${sold} was sold: sellers were rationed at a price below the clearing price`,
    );
  }
  return c;
}
