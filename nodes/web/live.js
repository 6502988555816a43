// The live view: the node's status pushed as server-sent events
// (GET /v1/events), the clearing step by step, and once published the
// outcome (GET /v1/outcome) with its plots.

import { LOCAL_API, parseJson } from "./wire.js";
import { fmt, priceGauge, spreadChart, volumeSplit } from "./plot.js";

const $ = (id) => document.getElementById(id);

const PHASES = [
  ["collecting", "bidding open"],
  ["closed", "closed"],
  ["checked", "bid lists compared"],
  ["agreed", "bid set agreed"],
  ["committed", "seed committed"],
  ["seeded", "seed drawn; clearing"],
  ["cleared", "cleared and signed"],
  ["published", "published"],
];

let last = null;
let clockOffset = 0;
let passes = null;
let outcomeShown = false;
let maxPrice = null;

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function clock(d = new Date()) {
  return d.toLocaleTimeString(undefined, { hour12: false });
}

function log(text) {
  $("log").prepend(h("li", {}, h("time", {}, clock()), " ", text));
}

function countdown(unix) {
  let s = Math.max(0, Number(unix) - (Date.now() / 1000 + clockOffset));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = Math.floor(s % 60);
  return d > 0 ? `${d} d ${hh} h ${mm} min` : `${String(hh).padStart(2, "0")}:${String(mm).padStart(2, "0")}:${String(ss).padStart(2, "0")}`;
}

function stepName(m) {
  if (!m) return null;
  return m.step === "sort" ? `sort pass ${m.pass} of ${m.passes}` : m.step;
}

function renderPhases(s) {
  const at = PHASES.findIndex(([p]) => p === s.phase);
  $("phases").replaceChildren(
    ...PHASES.map(([p, label], i) =>
      h("li", { class: i < at || s.phase === "published" ? "done" : i === at ? "current" : "", "data-phase": p }, label),
    ),
  );
}

function renderFacts(s) {
  const facts = [
    h("p", {}, "Phase ", h("strong", { id: "phase" }, s.phase), s.halted ? h("span", { class: "bad" }, " (halted)") : ""),
    h(
      "p",
      {},
      s.phase === "collecting"
        ? ["Bidding closes ", new Date(s.close_unix * 1000).toLocaleString(), " · in ", h("strong", { id: "countdown" }, countdown(s.close_unix))]
        : [`Bidding closed${s.close_reason ? ` (${s.close_reason})` : ""}; close time was `, new Date(s.close_unix * 1000).toLocaleString()],
    ),
    h(
      "p",
      { id: "bids" },
      s.bids
        ? `${fmt(s.bids.bidders)} bidders bid (${fmt(s.bids.versions)} versions held)`
        : "How many have bid is shown once bidding has closed.",
    ),
  ];
  if (s.agreed) {
    facts.push(h("p", {}, `Bid set agreed: ${fmt(s.agreed.bids)} bids, ${fmt(s.agreed.excluded)} left out before the clearing`));
  }
  if (s.waiting_for?.length) facts.push(h("p", { class: "hint" }, `waiting for ${s.waiting_for.join(", ")}`));
  if (s.problem) facts.push(h("p", { class: "msg bad" }, s.problem));
  if (s.peers) {
    facts.push(h("p", { class: "hint" }, "peers: ", s.peers.map((p) => `node ${p.node} ${p.state}`).join(" · ")));
  }
  $("facts").replaceChildren(...facts);
}

function renderSteps(s) {
  const at = PHASES.findIndex(([p]) => p === s.phase);
  const seeded = PHASES.findIndex(([p]) => p === "seeded");
  const finished = at > seeded;
  const m = s.mpc;
  if (m?.passes) passes = m.passes;
  const n = passes ?? "its";
  const order = ["validation", "sort", "price", "fills", "allocations"];
  const cur = finished ? order.length : m ? (m.step === "done" ? order.length : order.indexOf(m.step)) : -1;
  const items = [
    ["validation", "validation: one validity bit per bid"],
    ["sort", m?.step === "sort" ? `sort by price: pass ${m.pass} of ${m.passes}` : `sort by price: ${n} passes`],
    ["price", "price: most volume, least surplus"],
    ["fills", "fills in priority order"],
    ["allocations", "allocations summed per bidder"],
  ].map(([key, label], i) => {
    const li = h("li", { class: i < cur ? "done" : i === cur ? "current" : "", "data-step": key }, label);
    if (key === "sort" && m?.step === "sort") {
      li.append(h("progress", { max: m.passes, value: m.pass }));
    }
    return li;
  });
  $("steps").replaceChildren(...items);
  $("steps").dataset.current = finished ? "finished" : stepName(m) ?? "not started";
}

async function showOutcome() {
  outcomeShown = true;
  const r = await fetch(`${LOCAL_API}/outcome`, { cache: "no-store" });
  if (!r.ok) {
    outcomeShown = false;
    return;
  }
  const b = parseJson(await r.text());
  if (maxPrice === null) {
    const a = parseJson(await (await fetch(`${LOCAL_API}/auction`)).text());
    maxPrice = a.auction.max_price;
  }
  const o = b.outcome;
  const traded = o.allocations.filter((a) => a.bought > 0n || a.sold > 0n).length;
  $("outcome").replaceChildren(
    h("p", { class: "big" }, "Price ", h("strong", { id: "outcome-price" }, o.price === null ? "none (no trade)" : fmt(o.price)), " · volume ", h("strong", { id: "outcome-volume" }, fmt(o.volume))),
    h("p", {}, `${fmt(o.allocations.length)} bids cleared, ${fmt(traded)} of them traded; ${fmt(o.excluded.length)} excluded. Signed by nodes ${b.signatures.map((s) => s.node).join(", ")}.`),
  );
  $("plot-price").replaceChildren(priceGauge(o.price, maxPrice));
  $("plot-volume").replaceChildren(volumeSplit(o.allocations, o.volume));
  $("plot-spread").replaceChildren(spreadChart(o.allocations));
  $("outcome-section").hidden = false;
  log(`outcome published: price ${o.price === null ? "none" : fmt(o.price)}, volume ${fmt(o.volume)}`);
}

function update(s) {
  clockOffset = s.now_unix - Date.now() / 1000;
  $("title").textContent = `· ${s.auction} · node ${s.node}`;
  if (!last || last.phase !== s.phase) log(`phase ${s.phase}`);
  const step = stepName(s.mpc);
  if (step && step !== stepName(last?.mpc)) log(`clearing: ${step}`);
  if (s.bids && !last?.bids) log(`${fmt(s.bids.bidders)} bidders bid`);
  renderPhases(s);
  renderFacts(s);
  renderSteps(s);
  last = s;
  if (s.phase === "published" && !outcomeShown) showOutcome();
}

function connect() {
  const es = new EventSource(`${LOCAL_API}/events`);
  es.addEventListener("open", () => {
    $("connection").textContent = "connected: updates arrive as they happen";
  });
  es.addEventListener("status", (ev) => update(JSON.parse(ev.data)));
  es.addEventListener("error", () => {
    $("connection").textContent = "connection lost; reconnecting…";
  });
}

// The sort takes one pass per bit of the price key: known from max_price
// before the clearing starts.
fetch(`${LOCAL_API}/auction`, { cache: "no-store" })
  .then((r) => r.text())
  .then((t) => {
    maxPrice = parseJson(t).auction.max_price;
    passes ??= maxPrice.toString(2).length - (maxPrice === 0n ? 1 : 0);
    if (last) renderSteps(last);
  })
  .catch(() => {});

setInterval(() => {
  const c = $("countdown");
  if (c && last) c.textContent = countdown(last.close_unix);
}, 1000);
connect();
document.body.dataset.ready = "1";
