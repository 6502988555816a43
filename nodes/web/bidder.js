// The bidder page: the auction, the bidder's key, the curves, the shares,
// the three receipts and the checked outcome. A bid leaves this page only
// as three share bundles, each posted straight to its own node.

import * as wire from "./wire.js";
import { LOCAL_API, nodeApi } from "./wire.js";
import { checkAllocation, checkTables, hasOrders, ordersToCurve } from "./curve.js";
import { audit, reportText, sameBundle } from "./audit.js";
import { curveChart, fmt } from "./plot.js";

const $ = (id) => document.getElementById(id);
const KEY_ITEM = "triad.key";
const ATTEMPTS = 3;

const state = {
  auction: null, // {bytes, hash, file, params, nodes, bidders, info}
  key: null, // {file, key}
  phase: null,
  pending: null, // the version being sent: {version, bid, rows, submissions, results, t0, ms}
  outcomeFor: null,
  checking: false,
};

// ---- small helpers ----------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function say(id, text, kind) {
  const e = $(id);
  e.textContent = text;
  e.className = `msg ${kind ?? ""}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function download(name, text) {
  const a = h("a", { href: URL.createObjectURL(new Blob([text], { type: "application/json" })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

function safe(s) {
  return [...s].map((c) => (/[A-Za-z0-9_-]/.test(c) ? c : "_")).join("");
}

function when(unix) {
  const d = new Date(Number(unix) * 1000);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function until(unix) {
  let s = Math.max(0, Number(unix) - Date.now() / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d} d ${hh} h` : hh > 0 ? `${hh} h ${mm} min` : `${mm} min ${Math.floor(s % 60)} s`;
}

// ---- storage (this browser only) --------------------------------------

function store(name) {
  return `triad.${name}.${state.auction.hash}.${state.key?.file.bidder ?? ""}`;
}

function readJson(item, fallback) {
  try {
    const v = localStorage.getItem(item);
    return v === null ? fallback : wire.parseJson(v);
  } catch {
    return fallback;
  }
}

function receipts() {
  return state.key ? readJson(store("receipts"), []) : [];
}

function keepReceipt(r) {
  const all = receipts().filter((x) => !(x.version === r.version && x.node === r.node));
  all.push(r);
  localStorage.setItem(store("receipts"), wire.stringifyJson(all));
}

function nextVersion() {
  const v = receipts().reduce((m, r) => (r.version > m ? r.version : m), 0n);
  return v + 1n;
}

// ---- the auction ------------------------------------------------------

async function useAuction(bytes) {
  const file = wire.parseJson(new TextDecoder().decode(bytes));
  const hash = await wire.auctionHash(file);
  const times = wire.auctionWindow(file);
  const nodes = file.nodes.map((n) => ({
    index: Number(n.index),
    origin: n.page ?? `https://${n.api}`,
    key: n.public_key,
  }));
  const bidders = new Map(file.bidders.map((b) => [b.id, b.public_key]));
  const p = file.auction;
  state.auction = {
    bytes,
    hash,
    file,
    window: times,
    params: p,
    nodes,
    bidders,
    info: {
      hash,
      id: p.id,
      max_price: p.max_price,
      max_quantity: p.max_quantity,
      max_orders_per_side: p.max_orders_per_side,
      nodeKeys: nodes.map((n) => n.key),
      bidders,
    },
  };
  renderAuction();
  refreshNodes();
  showKey();
  loadDraft();
  revalidate();
}

function renderAuction() {
  const a = state.auction;
  const p = a.params;
  const phase = state.phase ?? "…";
  const open = phase === "collecting";
  $("auction").replaceChildren(
    h("p", {}, h("strong", { id: "auction-id" }, p.id), ` · prices 0 to ${fmt(p.max_price)} · quantities 0 to ${fmt(p.max_quantity)} · at most ${p.max_orders_per_side} orders a side`),
    h(
      "p",
      {},
      `Bidding ${open ? "closes" : "closed"} ${when(a.window.close)}`,
      open ? ` (in ${until(a.window.close)})` : "",
      " · phase ",
      h("strong", { id: "phase" }, phase),
    ),
    h("p", { class: "hint" }, `auction hash ${a.hash.slice(0, 16)}… (the terms, as every node checks them)`),
  );
  $("submit").disabled = !canSubmit();
  if (state.phase && state.phase !== "collecting") $("submit").textContent = "Bidding has closed";
}

async function refreshNodes() {
  const a = state.auction;
  const rows = a.nodes.map((n) => {
    const st = h("td", {}, "asking…");
    const file = h("td", {}, "");
    fetch(`${n.origin}${nodeApi(a)}/status`, { cache: "no-store", credentials: "omit" })
      .then((r) => r.json())
      .then((s) => {
        st.textContent = s.clearing?.halted ? `halted (${s.phase})` : s.phase;
        const same = s.auction_hash === a.hash;
        file.textContent = same ? "the same" : `DIFFERENT (${String(s.auction_hash).slice(0, 16)}…)`;
        file.className = same ? "good" : "bad";
      })
      .catch(() => {
        st.textContent = "not reachable";
        st.className = "bad";
      });
    return h("tr", {}, h("td", {}, String(n.index)), h("td", {}, n.origin), st, file);
  });
  $("nodes").tBodies[0].replaceChildren(...rows);
}

// ---- the key ----------------------------------------------------------

async function setKey(text, name) {
  const k = await wire.loadKeyFile(text, name);
  localStorage.setItem(KEY_ITEM, JSON.stringify(k.file));
  state.key = k;
  showKey();
  loadDraft();
  revalidate();
}

function registration() {
  const k = state.key;
  const a = state.auction;
  if (!k || !a) return null;
  const reg = a.bidders.get(k.file.bidder);
  if (reg === undefined) return `bidder ${k.file.bidder} is not registered in this auction file`;
  if (reg !== k.file.public_key) {
    return `the auction file registers another public key for bidder ${k.file.bidder} than this key file's ${k.file.public_key}`;
  }
  return null;
}

function showKey() {
  const k = state.key;
  $("key-none").hidden = !!k;
  $("key-loaded").hidden = !k;
  if (!k) return;
  $("key-info").replaceChildren(
    "Bidder ",
    h("strong", { id: "key-bidder" }, k.file.bidder),
    " · public key ",
    h("code", { id: "key-public" }, k.file.public_key),
  );
  if (!state.auction) return;
  const problem = registration();
  if (problem) {
    say(
      "key-registered",
      `${problem}. Give the auctioneer this entry for the auction file: ${JSON.stringify({ id: k.file.bidder, public_key: k.file.public_key })}`,
      "bad",
    );
  } else {
    say("key-registered", `registered in auction ${state.auction.params.id}`, "good");
  }
  const v = $("version");
  if (!v.dataset.touched) v.value = String(nextVersion());
  renderAuction();
}

// ---- the curves -------------------------------------------------------

function row(side, price = "", total = "") {
  const tr = h(
    "tr",
    {},
    h("td", {}, h("input", { class: "price", inputmode: "numeric", value: price, "aria-label": `${side} price`, oninput: changed })),
    h("td", {}, h("input", { class: "total", inputmode: "numeric", value: total, "aria-label": `${side} total`, oninput: changed })),
    h("td", {}, h("button", { class: "quiet remove", title: "remove this row", onclick: () => { tr.remove(); changed(); } }, "×")),
  );
  $(`${side}-table`).tBodies[0].append(tr);
  return tr;
}

function rows(side) {
  return [...$(`${side}-table`).tBodies[0].rows].map((tr) => ({
    price: tr.querySelector(".price").value,
    total: tr.querySelector(".total").value,
  }));
}

function setRows(side, list) {
  $(`${side}-table`).tBodies[0].replaceChildren();
  for (const r of list) row(side, r.price, r.total);
  if (!list.length) row(side);
}

function loadDraft() {
  if (!state.auction || !state.key) return;
  const d = readJson(store("draft"), null);
  if (d) {
    setRows("buy", d.buy);
    setRows("sell", d.sell);
  }
}

function changed() {
  if (state.auction && state.key) {
    localStorage.setItem(store("draft"), JSON.stringify({ buy: rows("buy"), sell: rows("sell") }));
  }
  revalidate();
}

/** curve_table of bidder-client/src/bidfile.rs. */
function curveTable(bid) {
  const pad = (s, n) => String(s).padStart(n);
  const out = [];
  for (const [side, orders, dir] of [
    ["buy", bid.buy, "at this price or lower"],
    ["sell", bid.sell, "at this price or higher"],
  ]) {
    const curve = ordersToCurve(side, orders);
    out.push(`${side} curve (${orders.length} orders, ${curve.length} breakpoints; total ${dir})`);
    if (!curve.length) {
      out.push("  (none)");
      continue;
    }
    out.push(`  ${pad("price", 12)}  ${pad("quantity", 12)}  ${pad("total", 14)}`);
    let before = 0n;
    for (const p of curve) {
      out.push(`  ${pad(p.price, 12)}  ${pad(p.total - before, 12)}  ${pad(p.total, 14)}`);
      before = p.total;
    }
  }
  return out.join("\n");
}

function bidderId() {
  return state.key?.file.bidder ?? ($("new-bidder").value.trim() || "(you)");
}

/** Checks the tables as `bidder check` does; returns the bid or null. */
function revalidate() {
  if (!state.auction) return null;
  const p = state.auction.params;
  let bid = null;
  try {
    bid = checkTables(p, bidderId(), rows("buy"), rows("sell"));
  } catch (e) {
    say("check", e.message, "bad");
    $("check-table").textContent = "";
    $("empty-ok-row").hidden = true;
    // Draw what can be drawn.
    drawChart(null);
    $("submit").disabled = true;
    return null;
  }
  drawChart(bid);
  $("check-table").textContent = curveTable(bid);
  if (hasOrders(bid)) {
    say(
      "check",
      `bid of ${bid.bidder} is valid for auction ${p.id} (K = ${p.max_orders_per_side}, prices 0..=${p.max_price}, quantities 0..=${p.max_quantity})`,
      "good",
    );
    $("empty-ok-row").hidden = true;
  } else {
    say(
      "check",
      "this bid holds no orders (none with a quantity above 0): it is valid but trades nothing, which is almost always a mistake",
      "warn",
    );
    $("empty-ok-row").hidden = false;
  }
  $("submit").disabled = !canSubmit(bid);
  return bid;
}

function drawChart(bid) {
  const p = state.auction.params;
  let buy = [];
  let sell = [];
  if (bid) {
    buy = bid.buy;
    sell = bid.sell;
  } else {
    // The points that read as numbers, to show what is being typed.
    for (const [side, list] of [["buy", rows("buy")], ["sell", rows("sell")]]) {
      try {
        const orders = checkTables({ ...p, max_orders_per_side: 1n << 20n }, "x", side === "buy" ? list : [], side === "sell" ? list : [])[side];
        if (side === "buy") buy = orders;
        else sell = orders;
      } catch {
        // nothing to draw for this side
      }
    }
  }
  $("chart").replaceChildren(curveChart(buy, sell, p.max_price));
}

function canSubmit(bid) {
  if (!state.auction || !state.key || registration()) return false;
  if (state.phase !== "collecting") return false;
  if (state.pending && state.pending.sending) return false;
  const b = bid === undefined ? currentBid() : bid;
  if (!b) return false;
  return hasOrders(b) || $("empty-ok").checked;
}

function currentBid() {
  try {
    return checkTables(state.auction.params, bidderId(), rows("buy"), rows("sell"));
  } catch {
    return null;
  }
}

// ---- submitting -------------------------------------------------------

function renderAcks() {
  const p = state.pending;
  const body = $("acks").tBodies[0];
  $("acks").hidden = !p;
  if (!p) {
    body.replaceChildren();
    return;
  }
  body.replaceChildren(
    ...state.auction.nodes.map((n, i) => {
      const r = p.results[i] ?? { state: "waiting", detail: "" };
      const link = r.receipt
        ? h("a", { href: URL.createObjectURL(new Blob([receiptText(r.receipt)], { type: "application/json" })), download: receiptName(r.receipt), class: "receipt" }, "download")
        : "";
      const label = {
        acknowledged: "stored, receipt verified",
        sending: "sending…",
        waiting: "waiting",
        refused: "refused",
        unreachable: "did not acknowledge",
        bad_receipt: "BAD RECEIPT",
      }[r.state];
      return h(
        "tr",
        { id: `ack-${i}`, "data-state": r.state },
        h("td", {}, String(i)),
        h("td", { class: r.state === "acknowledged" ? "good" : ["sending", "waiting"].includes(r.state) ? "" : "bad" }, label),
        h("td", {}, r.detail ?? ""),
        h("td", {}, link),
      );
    }),
  );
}

function receiptName(r) {
  return `${safe(r.auction)}.${safe(r.bidder)}.v${r.version}.node${r.node}.json`;
}

function receiptText(r) {
  return wire.stringifyJson(r, 2);
}

async function sendTo(i) {
  const p = state.pending;
  const n = state.auction.nodes[i];
  const sub = p.submissions[i];
  const body = wire.stringifyJson(sub);
  let last = "";
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    p.results[i] = { state: "sending", detail: attempt > 1 ? `attempt ${attempt} of ${ATTEMPTS}` : "" };
    renderAcks();
    try {
      const r = await fetch(`${n.origin}${nodeApi(state.auction)}/bids`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        cache: "no-store",
        credentials: "omit",
      });
      const text = await r.text();
      if (r.ok) {
        let receipt;
        try {
          receipt = wire.parseJson(text);
        } catch (e) {
          p.results[i] = { state: "bad_receipt", detail: `the answer is not a receipt: ${e.message}` };
          return;
        }
        const problem = await wire.checkReceipt(state.auction.hash, n.key, sub, receipt);
        if (problem) {
          p.results[i] = { state: "bad_receipt", detail: problem };
        } else {
          keepReceipt(receipt);
          p.results[i] = { state: "acknowledged", detail: `version ${receipt.version} stored`, receipt };
        }
        return;
      }
      let err;
      try {
        err = JSON.parse(text);
      } catch {
        err = { code: "", message: text };
      }
      last = `HTTP ${r.status} ${err.code}: ${err.message}`;
      if (r.status < 500) {
        p.results[i] = { state: "refused", detail: last };
        return;
      }
    } catch (e) {
      last = `not reachable at ${n.origin} (${e.message})`;
    }
    if (attempt < ATTEMPTS) await sleep(250 * 2 ** (attempt - 1));
  }
  p.results[i] = { state: "unreachable", detail: `${last}; ${ATTEMPTS} attempts` };
}

async function send(indices) {
  const p = state.pending;
  p.sending = true;
  $("submit").disabled = true;
  $("retry").hidden = true;
  $("download-all").hidden = true;
  say("verdict", `sending version ${p.version} to node${indices.length > 1 ? "s" : ""} ${indices.join(", ")}…`);
  renderAcks();
  await Promise.all(indices.map((i) => sendTo(i)));
  p.sending = false;
  renderAcks();
  const acked = p.results.filter((r) => r?.state === "acknowledged").length;
  if (acked === 3) {
    p.ms = performance.now() - p.t0;
    say("verdict", `All three nodes acknowledged version ${p.version}: the bid counts.`, "good");
    $("timing").textContent = `three receipts verified ${Math.round(p.ms)} ms after you pressed ${p.pressed}`;
    $("timing").dataset.ms = String(p.ms);
    $("download-all").hidden = false;
    localStorage.setItem(store("bid"), wire.stringifyJson({ version: p.version, bid: p.bid }));
    const v = $("version");
    delete v.dataset.touched;
    v.value = String(nextVersion());
    $("submit").textContent = "Amend: submit again";
  } else {
    const missing = p.results
      .map((r, i) => (r?.state === "acknowledged" ? null : `Node ${i} did not acknowledge: ${r?.detail ?? "not sent"}`))
      .filter(Boolean);
    const refused = p.results.some((r) => r?.state === "refused" || r?.state === "bad_receipt");
    say(
      "verdict",
      `Only ${acked} of 3 nodes acknowledged version ${p.version}: THE BID DOES NOT COUNT until all three hold it. ${missing.join(". ")}.${
        refused ? " A refusal will not change by sending again; a new version goes to all three." : " Send again once the node is back."
      }`,
      "bad",
    );
    $("retry").hidden = false;
  }
  $("submit").disabled = !canSubmit();
}

async function submit() {
  const t0 = performance.now();
  const bid = revalidate();
  if (!bid || !canSubmit(bid)) return;
  let version;
  try {
    version = BigInt($("version").value.trim());
  } catch {
    say("verdict", `version ${JSON.stringify($("version").value)} is not a whole number`, "bad");
    return;
  }
  if (version < 0n || version >= 1n << 63n) {
    say("verdict", `version must be below 2^63 (9223372036854775808), got ${version}`, "bad");
    return;
  }
  const a = state.auction;
  const values = wire.layout(bid, Number(a.params.max_orders_per_side));
  const { submissions } = await wire.prepareSubmissions(a.params.id, state.key.file.bidder, version, values, state.key.key);
  state.pending = {
    version,
    bid,
    submissions,
    results: [null, null, null],
    t0,
    pressed: "Submit",
  };
  $("timing").textContent = "";
  delete $("timing").dataset.ms;
  await send([0, 1, 2]);
}

async function retry() {
  const p = state.pending;
  if (!p) return;
  const todo = p.results.map((r, i) => (r?.state === "acknowledged" ? null : i)).filter((i) => i !== null);
  p.t0 = performance.now();
  p.pressed = "Send again";
  await send(todo);
}

// ---- the result ---------------------------------------------------------

async function fetchOutcome() {
  const answers = await Promise.all(
    state.auction.nodes.map((n) =>
      fetch(`${n.origin}${nodeApi(state.auction)}/outcome`, { cache: "no-store", credentials: "omit" })
        .then(async (r) => ({ status: r.status, text: await r.text() }))
        .catch((e) => ({ error: `not reachable at ${n.origin} (${e.message})` })),
    ),
  );
  const got = [];
  const problems = [];
  answers.forEach((a, i) => {
    if (a.error) problems.push(`node ${i}: ${a.error}`);
    else if (a.status !== 200) {
      let m = a.text;
      try {
        const e = JSON.parse(a.text);
        m = `${e.code}: ${e.message}`;
      } catch {
        // as sent
      }
      problems.push(`node ${i}: HTTP ${a.status} ${m}`);
    } else {
      try {
        got.push([i, wire.parseJson(a.text)]);
      } catch (e) {
        problems.push(`node ${i}: the answer is not an outcome bundle: ${e.message}`);
      }
    }
  });
  if (!got.length) return { error: `no outcome yet: ${problems.join("; ")}` };
  const [first, bundle] = got[0];
  for (const [i, b] of got.slice(1)) {
    if (!sameBundle(b, bundle)) return { error: `node ${first} and node ${i} serve different outcome bundles` };
  }
  return { bundle, served: { nodes: got.map((g) => g[0]), problems } };
}

/**
 * Fetches the outcome from the three nodes and checks it; while a node has
 * not published yet (they publish within moments of each other), asks again.
 */
async function showResult(tries = 0) {
  if (state.checking && tries === 0) return;
  state.checking = true;
  const f = await fetchOutcome();
  const again = (why) => {
    $("result").replaceChildren(h("p", { class: "hint" }, `${why}; asking again…`));
    setTimeout(() => showResult(tries + 1), 1000);
  };
  if (f.error) {
    if (tries < 30) return again(f.error);
    state.checking = false;
    $("result").replaceChildren(h("p", { class: "msg bad" }, f.error));
    return;
  }
  if (f.served.nodes.length < 3 && tries < 30) {
    return again(`The outcome is served by node ${f.served.nodes.join(" and ")} so far (${f.served.problems.join("; ")})`);
  }
  state.checking = false;
  const { bundle, served } = f;
  const mine = state.key ? receipts() : null;
  const report = await audit(state.auction.info, bundle, served, mine);
  const o = bundle.outcome;
  const me = state.key?.file.bidder;
  const alloc = o.allocations.find((a) => a.bidder === me);
  const excl = o.excluded.find((e) => e.bidder === me);
  const parts = [
    h("p", { class: "big" }, "Price ", h("strong", { id: "result-price" }, o.price === null ? "none (no trade)" : fmt(o.price)), " · volume ", h("strong", { id: "result-volume" }, fmt(o.volume))),
  ];
  if (me) {
    let line;
    if (alloc) line = h("span", { id: "result-allocation" }, `${me}: bought ${fmt(alloc.bought)}, sold ${fmt(alloc.sold)}`);
    else if (excl) line = h("span", { id: "result-allocation", class: "bad" }, `${me}: EXCLUDED: ${excl.reason}`);
    else line = h("span", { id: "result-allocation" }, `${me}: no bid in this auction`);
    parts.push(h("p", { class: "big" }, line));
    const kept = readJson(store("bid"), null);
    const entry = bundle.bid_set.find((e) => e.bidder === me);
    if (kept && entry && kept.version === entry.version && !excl) {
      const c = checkAllocation(kept.bid, o.price, alloc);
      if (c.failures.length) {
        for (const x of c.failures) parts.push(h("p", { class: "msg bad" }, `ALLOCATION CONTRADICTS THE BID: ${x}`));
      } else {
        parts.push(
          h("p", { id: "result-consistent", class: "msg good" }, `allocation consistent with your bid, version ${entry.version} (could buy up to ${fmt(c.buy_eligible)}, sell up to ${fmt(c.sell_eligible)})`),
        );
      }
      for (const n of c.notes) parts.push(h("p", { class: "hint" }, `note: ${n}`));
    } else if (entry) {
      parts.push(h("p", { class: "hint" }, `the outcome counts your version ${entry.version}`));
    }
  }
  parts.push(
    h(
      "p",
      { id: "result-verdict", class: `msg ${report.passed ? "good" : "bad"}` },
      report.passed
        ? `Checked in this page: the three node signatures, the bid set, every bidder's signature, the seed, the sums and your receipts. What auditor verify would say: PASS (${report.checks.length} checks).`
        : `THE OUTCOME DOES NOT CHECK OUT: ${report.checks.filter((c) => !c.passed).map((c) => c.name).join(", ")}`,
    ),
  );
  $("result").replaceChildren(...parts);
  $("audit").textContent = reportText(report);
  state.outcomeFor = state.auction.hash;
}

// ---- the node's live status ---------------------------------------------

function watchPhase() {
  const es = new EventSource(`${LOCAL_API}/events`);
  es.addEventListener("status", (ev) => {
    const s = JSON.parse(ev.data);
    const was = state.phase;
    state.phase = s.phase;
    if (!state.auction) return;
    renderAuction();
    if (was !== s.phase) refreshNodes();
    if (s.phase === "published" && state.outcomeFor !== state.auction.hash) showResult();
    else if (s.phase !== "collecting" && s.phase !== "published") {
      $("result").replaceChildren(h("p", {}, `Bidding has closed; the nodes are clearing (phase ${s.phase}). The result appears here once they publish it.`));
    }
  });
}

// ---- start ----------------------------------------------------------------

async function start() {
  for (const side of ["buy", "sell"]) {
    $(`${side}-add`).addEventListener("click", () => row(side).querySelector(".price").focus());
    setRows(side, []);
  }
  renderAcks();
  $("new-bidder").addEventListener("input", revalidate);
  $("empty-ok").addEventListener("change", revalidate);
  $("version").addEventListener("input", (e) => (e.target.dataset.touched = "1"));
  $("create-key").addEventListener("click", async () => {
    try {
      const f = await wire.generateKeyFile($("new-bidder").value.trim());
      await setKey(JSON.stringify(f), "(new)");
      say("key-msg", "A new key was created and kept in this browser. Export it to keep a copy.", "good");
    } catch (e) {
      say("key-msg", e.message, "bad");
    }
  });
  $("import-key").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      await setKey(await file.text(), file.name);
      say("key-msg", `key file ${file.name} imported`, "good");
    } catch (err) {
      say("key-msg", err.message, "bad");
    }
    e.target.value = "";
  });
  $("export-key").addEventListener("click", () => {
    const f = state.key.file;
    download(`${safe(f.bidder)}.key.json`, JSON.stringify(f, null, 2));
  });
  $("forget-key").addEventListener("click", () => {
    if (!confirm("Forget this key in this browser? Without an exported copy you cannot amend your bid.")) return;
    localStorage.removeItem(KEY_ITEM);
    state.key = null;
    showKey();
    revalidate();
  });
  $("submit").addEventListener("click", submit);
  $("retry").addEventListener("click", retry);
  $("download-all").addEventListener("click", () => {
    for (const r of state.pending?.results ?? []) if (r?.receipt) download(receiptName(r.receipt), receiptText(r.receipt));
  });
  $("auction-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const served = state.auction?.hash;
      const hash = await wire.auctionHash(wire.parseJson(new TextDecoder().decode(bytes)));
      await useAuction(bytes);
      say(
        "auction-file-msg",
        hash === served
          ? `${file.name} has the terms of the auction this node serves (auction hash ${hash.slice(0, 16)}…)`
          : `${file.name} is NOT the auction this node serves: its auction hash is ${hash.slice(0, 16)}…, the node's ${String(served).slice(0, 16)}…; the nodes compare it with theirs below`,
        hash === served ? "good" : "bad",
      );
    } catch (err) {
      say("auction-file-msg", `${file.name}: ${err.message}`, "bad");
    }
  });

  const stored = localStorage.getItem(KEY_ITEM);
  if (stored) {
    try {
      state.key = await wire.loadKeyFile(stored, "(kept in this browser)");
    } catch (e) {
      say("key-msg", e.message, "bad");
    }
  }
  try {
    const r = await fetch(`${LOCAL_API}/auction`, { cache: "no-store" });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    await useAuction(new Uint8Array(await r.arrayBuffer()));
  } catch (e) {
    $("auction").textContent = `The auction file could not be loaded from this node: ${e.message}`;
  }
  watchPhase();
  setInterval(() => state.auction && state.phase === "collecting" && renderAuction(), 1000);
  document.body.dataset.ready = "1";
}

start();
