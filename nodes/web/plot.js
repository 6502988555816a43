// Small inline-SVG charts: a bidder's own curves (the bidder page) and the
// published outcome (the live view). No library: a few elements each.

const NS = "http://www.w3.org/2000/svg";

export function el(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return e;
}

function svg(w, h, label, ...children) {
  return el("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": label, class: "chart" }, ...children);
}

/** 1234567 -> "1,234,567" (numbers or BigInts). */
export function fmt(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** About `n` round tick values from 0 to max. */
export function ticks(max, n = 5) {
  if (!(max > 0)) return [0];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

function short(v) {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return fmt(v);
}

function axes(m, w, h, xmax, ymax, xlabel, ylabel) {
  const g = el("g", { class: "axes" });
  const X = (v) => m.l + (v / xmax) * (w - m.l - m.r);
  const Y = (v) => h - m.b - (v / ymax) * (h - m.t - m.b);
  g.append(el("line", { x1: m.l, y1: h - m.b, x2: w - m.r, y2: h - m.b }));
  g.append(el("line", { x1: m.l, y1: m.t, x2: m.l, y2: h - m.b }));
  for (const t of ticks(xmax)) {
    g.append(el("line", { x1: X(t), y1: h - m.b, x2: X(t), y2: h - m.b + 4 }));
    g.append(el("text", { x: X(t), y: h - m.b + 16, "text-anchor": "middle" }, short(t)));
  }
  for (const t of ticks(ymax, 4)) {
    g.append(el("line", { x1: m.l - 4, y1: Y(t), x2: w - m.r, y2: Y(t), class: "grid" }));
    g.append(el("text", { x: m.l - 7, y: Y(t) + 4, "text-anchor": "end" }, short(t)));
  }
  g.append(el("text", { x: (m.l + w - m.r) / 2, y: h - 4, "text-anchor": "middle", class: "label" }, xlabel));
  g.append(el("text", { x: 12, y: m.t - 8, class: "label" }, ylabel));
  return { g, X, Y };
}

/**
 * The bidder's own curves: what it buys in all at each price (a step
 * curve falling as the price rises) and what it sells in all (rising).
 * `buy`, `sell`: orders {price, quantity} (BigInt); invalid points left out.
 */
export function curveChart(buy, sell, maxPrice) {
  const w = 640;
  const h = 320;
  const m = { l: 64, r: 16, t: 48, b: 40 };
  const prices = [...buy, ...sell].map((o) => Number(o.price));
  const top = prices.length ? Math.max(...prices) : Number(maxPrice);
  const xmax = Math.max(10, Math.min(Number(maxPrice), Math.ceil(top * 1.15 + 1)));
  const tb = buy.reduce((s, o) => s + Number(o.quantity), 0);
  const ts = sell.reduce((s, o) => s + Number(o.quantity), 0);
  const ymax = Math.max(10, Math.max(tb, ts) * 1.1);
  const { g, X, Y } = axes(m, w, h, xmax, ymax, "price", "quantity in all");
  const parts = [g];
  const line = (orders, side) => {
    // Demand at x: buy orders with limit >= x; supply: sell orders <= x.
    const steps = [...orders].sort((a, b) => Number(a.price) - Number(b.price));
    let d = "";
    if (side === "buy") {
      let q = tb;
      d = `M${X(0)},${Y(q)}`;
      for (const o of steps) {
        d += ` H${X(Number(o.price))}`;
        q -= Number(o.quantity);
        d += ` V${Y(q)}`;
      }
      d += ` H${X(xmax)}`;
    } else {
      let q = 0;
      d = `M${X(0)},${Y(0)}`;
      for (const o of steps) {
        d += ` H${X(Number(o.price))}`;
        q += Number(o.quantity);
        d += ` V${Y(q)}`;
      }
      d += ` H${X(xmax)}`;
    }
    parts.push(el("path", { d, class: `curve ${side}` }));
    let run = side === "buy" ? tb : 0;
    for (const o of steps) {
      const at = side === "buy" ? run : run + Number(o.quantity);
      parts.push(
        el(
          "circle",
          { cx: X(Number(o.price)), cy: Y(at), r: 4, class: `point ${side}` },
          el("title", {}, `${side} at ${fmt(o.price)} ${side === "buy" ? "or lower" : "or higher"}: ${fmt(at)} in all`),
        ),
      );
      run = side === "buy" ? run - Number(o.quantity) : run + Number(o.quantity);
    }
  };
  if (buy.length) line(buy, "buy");
  if (sell.length) line(sell, "sell");
  parts.push(
    el("g", { class: "legend" }, [
      el("rect", { x: w - 250, y: 6, width: 12, height: 4, class: "buy" }),
      el("text", { x: w - 232, y: 12 }, "buy: in all at this price or lower"),
      el("rect", { x: w - 250, y: 20, width: 12, height: 4, class: "sell" }),
      el("text", { x: w - 232, y: 26 }, "sell: in all at this price or higher"),
    ]),
  );
  return svg(w, h, "your buy and sell curves", ...parts);
}

/** Where the clearing price lies in 0..max_price. */
export function priceGauge(price, maxPrice) {
  const w = 640;
  const h = 70;
  const m = { l: 20, r: 20 };
  const X = (v) => m.l + (Number(v) / Math.max(1, Number(maxPrice))) * (w - m.l - m.r);
  const parts = [el("line", { x1: m.l, y1: 40, x2: w - m.r, y2: 40, class: "scale" })];
  for (const t of ticks(Number(maxPrice))) {
    parts.push(el("line", { x1: X(t), y1: 36, x2: X(t), y2: 44, class: "scale" }));
    parts.push(el("text", { x: X(t), y: 60, "text-anchor": "middle" }, short(t)));
  }
  if (price !== null) {
    parts.push(el("path", { d: `M${X(price)},38 l-7,-14 h14 z`, class: "marker" }));
    parts.push(el("text", { x: X(price), y: 16, "text-anchor": "middle", class: "value" }, `price ${fmt(price)}`));
  } else {
    parts.push(el("text", { x: w / 2, y: 20, "text-anchor": "middle", class: "value" }, "no trade: no price"));
  }
  return svg(w, h, "the clearing price in the price range", ...parts);
}

/**
 * The volume split among buyers (one bar) and among sellers (another):
 * each segment one bidder's part, largest first.
 */
export function volumeSplit(allocations, volume) {
  const w = 640;
  const h = 96;
  const m = { l: 70, r: 12 };
  const v = Number(volume);
  const parts = [];
  const row = (y, side, key) => {
    const shares = allocations
      .filter((a) => a[key] > 0n)
      .sort((a, b) => Number(b[key] - a[key]));
    parts.push(el("text", { x: m.l - 8, y: y + 15, "text-anchor": "end" }, side));
    let x = m.l;
    shares.forEach((a, i) => {
      const width = v > 0 ? (Number(a[key]) / v) * (w - m.l - m.r) : 0;
      parts.push(
        el(
          "rect",
          { x, y, width: Math.max(width, 0.5), height: 22, class: `seg ${key} s${i % 2}` },
          el("title", {}, `${a.bidder}: ${fmt(a[key])} (${((100 * Number(a[key])) / v).toFixed(1)}%)`),
        ),
      );
      x += width;
    });
    if (!shares.length) parts.push(el("text", { x: m.l, y: y + 15 }, "nothing"));
    return shares.length;
  };
  const nb = row(8, "bought", "bought");
  const ns = row(40, "sold", "sold");
  parts.push(
    el(
      "text",
      { x: m.l, y: 86 },
      `volume ${fmt(volume)}: bought by ${fmt(nb)} buyer${nb === 1 ? "" : "s"}, sold by ${fmt(ns)} seller${ns === 1 ? "" : "s"}`,
    ),
  );
  return svg(w, h, "how the volume is split among buyers and sellers", ...parts);
}

/**
 * How allocations spread across bidders: every bidder that traded, ranked
 * by what it traded, buys above the line and sales below.
 */
export function spreadChart(allocations) {
  const w = 640;
  const h = 220;
  const m = { l: 64, r: 12, t: 16, b: 24 };
  const traded = allocations
    .filter((a) => a.bought > 0n || a.sold > 0n)
    .sort((a, b) => Number(b.bought + b.sold - (a.bought + a.sold)));
  const top = Math.max(1, ...traded.map((a) => Math.max(Number(a.bought), Number(a.sold))));
  const mid = (h - m.b + m.t) / 2;
  const H = (v) => (v / top) * (mid - m.t);
  const bw = (w - m.l - m.r) / Math.max(1, traded.length);
  const parts = [
    el("line", { x1: m.l, y1: mid, x2: w - m.r, y2: mid, class: "scale" }),
    el("text", { x: m.l - 8, y: m.t + 10, "text-anchor": "end" }, short(top)),
    el("text", { x: m.l - 8, y: mid - 4, "text-anchor": "end" }, "bought"),
    el("text", { x: m.l - 8, y: mid + 14, "text-anchor": "end" }, "sold"),
    el("text", { x: m.l - 8, y: h - m.b, "text-anchor": "end" }, short(top)),
  ];
  traded.forEach((a, i) => {
    const x = m.l + i * bw;
    const title = el("title", {}, `${a.bidder}: bought ${fmt(a.bought)}, sold ${fmt(a.sold)}`);
    if (a.bought > 0n) {
      parts.push(el("rect", { x, y: mid - H(Number(a.bought)), width: Math.max(bw - 1, 0.6), height: H(Number(a.bought)), class: "bar bought" }, title));
    }
    if (a.sold > 0n) {
      parts.push(el("rect", { x, y: mid, width: Math.max(bw - 1, 0.6), height: H(Number(a.sold)), class: "bar sold" }, title.cloneNode(true)));
    }
  });
  parts.push(
    el(
      "text",
      { x: (m.l + w - m.r) / 2, y: h - 4, "text-anchor": "middle", class: "label" },
      `${fmt(traded.length)} bidders that traded, largest first`,
    ),
  );
  return svg(w, h, "allocations across bidders, ranked", ...parts);
}
