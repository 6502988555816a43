// The checks of a published outcome bundle, in the browser: what
// `OutcomeBundle::verify` checks (format, bid-set digest, every bidder's
// signature, the seed reveals, the three node signatures), reported check
// by check with the names and words of `auditor verify`
// (bidder-client/src/verify.rs), so the page can say what the auditor
// would say. The plaintext check needs every bid and is the auditor's alone.

import {
  FORMAT,
  bidMessage,
  bidSetDigest,
  hex,
  outcomeMessage,
  receiptMessage,
  seedCommitment,
  seedFromReveals,
  unhex,
  verify,
} from "./wire.js";

function check(name, failures, summary) {
  const passed = failures.length === 0;
  return { name, passed, detail: passed ? summary : failures.join("; ") };
}

function cap(v, n) {
  if (v.length <= n) return v;
  return [...v.slice(0, n), `and ${v.length - n} more`];
}

const cmp = (a, b) => {
  // Bidder ids compare as UTF-8 bytes; for the strings in question the
  // code-point order is the same.
  const x = [...new TextEncoder().encode(a)];
  const y = [...new TextEncoder().encode(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};

async function bidderSignatureFailures(b, bidders) {
  const out = [];
  for (const e of b.bid_set) {
    const key = bidders.get(e.bidder);
    if (!key) {
      out.push(`bidder ${e.bidder} in the bid set is not registered`);
      continue;
    }
    if (!e.signature) {
      out.push(`bidder ${e.bidder} version ${e.version}: no bidder signature`);
      continue;
    }
    const m = bidMessage(
      b.outcome.auction,
      e.bidder,
      e.version,
      e.commitments.map((c) => unhex(c, "commitment", 32)),
    );
    if (!(await verify(unhex(key, "bidder key", 32), unhex(e.signature, "signature", 64), m))) {
      out.push(
        `the signature of bidder ${e.bidder} over version ${e.version} does not verify with its registered key`,
      );
    }
  }
  return out;
}

/**
 * Runs the checks. `info`: {hash (hex), id, max_price, max_orders_per_side,
 * max_quantity, nodeKeys: [hex x3], bidders: Map id -> key hex}.
 * `served`: {nodes: [indices that served this bundle], problems: [...]} or
 * null; `receipts`: this bidder's receipts (parsed) or null.
 */
export async function audit(info, b, served, receipts) {
  const o = b.outcome;
  const checks = [];
  checks.push(check("format", b.format === FORMAT ? [] : [`format ${b.format} (this auditor reads ${FORMAT})`], `format ${FORMAT}`));

  let f = [];
  if (b.auction_hash !== info.hash) {
    f.push(`bundle names auction file ${b.auction_hash}, the given file hashes to ${info.hash}`);
  }
  if (o.auction !== info.id) {
    f.push(`outcome is for auction ${JSON.stringify(o.auction)}, the auction file is ${JSON.stringify(info.id)}`);
  }
  checks.push(check("auction_hash", f, info.hash));

  f = [];
  const computed = hex(await bidSetDigest(b.bid_set));
  if (computed !== b.bid_set_digest) {
    f.push(`the listed bid set hashes to ${computed}, the bundle states ${b.bid_set_digest}`);
  }
  for (let i = 1; i < b.bid_set.length; i++) {
    if (cmp(b.bid_set[i - 1].bidder, b.bid_set[i].bidder) >= 0) {
      f.push(`bid set not in strict bidder-id order at ${b.bid_set[i - 1].bidder} / ${b.bid_set[i].bidder}`);
    }
  }
  for (const e of b.bid_set) {
    if (!info.bidders.has(e.bidder)) f.push(`bidder ${e.bidder} in the bid set is not registered`);
  }
  checks.push(check("bid_set_digest", cap(f, 5), `${b.bid_set.length} bids, digest ${b.bid_set_digest}`));

  checks.push(
    check(
      "bidder_signatures",
      cap(await bidderSignatureFailures(b, info.bidders), 5),
      `${b.bid_set.length} bids signed by their registered bidders`,
    ),
  );

  f = [];
  const ah = unhex(b.auction_hash, "auction_hash", 32);
  const bsd = unhex(b.bid_set_digest, "bid_set_digest", 32);
  if (b.seed_reveals.length !== 3) {
    f.push(`${b.seed_reveals.length} seed reveals, expected 3`);
  } else {
    const values = [];
    for (let i = 0; i < 3; i++) {
      const r = b.seed_reveals[i];
      const v = unhex(r.value, "seed reveal", 32);
      if (r.node !== BigInt(i)) f.push(`seed reveal ${i} is from node ${r.node}`);
      else if (hex(await seedCommitment(ah, bsd, i, v)) !== r.commitment) {
        f.push(`node ${i}'s revealed value does not open its commitment`);
      }
      values.push(v);
    }
    const seed = hex(await seedFromReveals(values));
    if (seed !== o.seed) f.push(`the seed ${o.seed} is not SHA-256 of the revealed values (${seed})`);
  }
  checks.push(check("seed", f, `seed ${o.seed}`));

  f = [];
  let m;
  try {
    m = outcomeMessage(ah, bsd, o);
  } catch (e) {
    f.push(`the outcome cannot be encoded for signing: ${e.message}`);
  }
  if (m) {
    for (let i = 0; i < 3; i++) {
      const sigs = b.signatures.filter((s) => s.node === BigInt(i));
      if (sigs.length === 0) f.push(`no signature of node ${i}`);
      else if (sigs.length > 1) f.push(`${sigs.length} signatures of node ${i}`);
      else if (!(await verify(unhex(info.nodeKeys[i], "node key", 32), unhex(sigs[0].signature, "signature", 64), m))) {
        f.push(`node ${i}'s signature does not verify over this outcome`);
      }
    }
    if (b.signatures.length !== 3) f.push(`${b.signatures.length} signatures, expected 3`);
  }
  checks.push(check("signatures", f, "nodes 0, 1 and 2 signed this outcome"));

  if (served) {
    const list = `[${served.nodes.join(", ")}]`;
    f = [];
    if (served.nodes.length < 3) {
      f.push(...served.problems);
      if (f.length === 0) f.push(`only nodes ${list} answered`);
    }
    checks.push(check("nodes_agree", f, `nodes ${list} serve the same bundle`));
  }

  f = [];
  const inSet = new Set(b.bid_set.map((e) => e.bidder));
  const excluded = new Map();
  for (const e of o.excluded) {
    if (excluded.has(e.bidder)) f.push(`bidder ${e.bidder} is excluded twice`);
    excluded.set(e.bidder, e.reason);
    if (!info.bidders.has(e.bidder)) f.push(`excluded bidder ${e.bidder} is not registered`);
    if (e.reason.trim() === "") f.push(`bidder ${e.bidder} is excluded without a reason`);
  }
  for (let i = 1; i < o.allocations.length; i++) {
    if (cmp(o.allocations[i - 1].bidder, o.allocations[i].bidder) >= 0) {
      f.push(`allocations not in strict bidder-id order at ${o.allocations[i - 1].bidder} / ${o.allocations[i].bidder}`);
    }
  }
  const allocated = new Set(o.allocations.map((a) => a.bidder));
  for (const a of [...allocated].sort(cmp)) {
    if (!inSet.has(a)) f.push(`bidder ${a} has an allocation but no bid in the set`);
    else if (excluded.has(a)) f.push(`bidder ${a} has an allocation but is excluded`);
  }
  for (const s of [...inSet].sort(cmp)) {
    if (!allocated.has(s) && !excluded.has(s)) {
      f.push(`bidder ${s}'s bid is in the set but has neither an allocation nor an exclusion`);
    }
  }
  checks.push(check("allocations", cap(f, 5), `${o.allocations.length} allocations, ${o.excluded.length} exclusions`));

  const bought = o.allocations.reduce((s, a) => s + a.bought, 0n);
  const sold = o.allocations.reduce((s, a) => s + a.sold, 0n);
  f = [];
  if (bought !== o.volume) f.push(`allocations buy ${bought} in all, the volume is ${o.volume}`);
  if (sold !== o.volume) f.push(`allocations sell ${sold} in all, the volume is ${o.volume}`);
  checks.push(check("volume_sums", f, `bought = sold = volume = ${o.volume}`));

  f = [];
  const price = o.price ?? null;
  if (price !== null && price > BigInt(info.max_price)) f.push(`price ${price} is above max_price ${info.max_price}`);
  else if (price !== null && o.volume === 0n) f.push("a price is published but the volume is zero");
  else if (price === null && o.volume !== 0n) f.push(`no price but volume ${o.volume}`);
  else if (price === null && bought + sold > 0n) f.push("no price but positive allocations");
  const perSide = BigInt(info.max_orders_per_side) * BigInt(info.max_quantity);
  for (const a of o.allocations) {
    if (a.bought > perSide || a.sold > perSide) {
      f.push(`bidder ${a.bidder} trades more than K x max_quantity = ${perSide}`);
    }
  }
  checks.push(
    check(
      "price_range",
      cap(f, 5),
      price !== null ? `${price} in 0..=${info.max_price}` : "no trade, nothing allocated",
    ),
  );

  if (receipts) checks.push(await checkReceipts(info, b, excluded, receipts));

  return { auction: o.auction, price, volume: o.volume, checks, passed: checks.every((c) => c.passed) };
}

/** verify.rs check_receipts, over the receipts this page holds. */
async function checkReceipts(info, b, excluded, rs) {
  const f = [];
  const set = new Map(b.bid_set.map((e) => [e.bidder, e]));
  const by = new Map();
  let counted = 0;
  for (const r of rs) {
    if (r.auction !== info.id || r.auction_hash !== info.hash) continue;
    counted += 1;
    const node = Number(r.node);
    const ok =
      node >= 0 &&
      node <= 2 &&
      (await verify(unhex(info.nodeKeys[node], "node key", 32), unhex(r.signature, "signature", 64), receiptMessage(r)));
    if (!ok) {
      f.push(`receipt of bidder ${r.bidder} version ${r.version} from node ${r.node} does not verify`);
      continue;
    }
    if (!by.has(r.bidder)) by.set(r.bidder, new Map());
    const vs = by.get(r.bidder);
    if (!vs.has(r.version)) vs.set(r.version, []);
    vs.get(r.version).push(r);
  }
  for (const [bidder, versions] of by) {
    if (excluded.has(bidder)) continue;
    const entry = set.get(bidder);
    const sorted = [...versions].sort((x, y) => (x[0] < y[0] ? -1 : 1));
    if (!entry) {
      const [v, rc] = sorted[sorted.length - 1];
      f.push(
        `bidder ${bidder} holds a receipt (version ${v}, node ${rc[0].node}) but its bid is neither in the set nor excluded`,
      );
      continue;
    }
    for (const [v, rcpts] of sorted) {
      const nodes = new Set(rcpts.map((r) => r.node));
      const same = rcpts.every((r) => r.commitments.join() === rcpts[0].commitments.join());
      if (v === entry.version && rcpts.some((r) => r.commitments.join() !== entry.commitments.join())) {
        f.push(`bidder ${bidder} version ${v}: receipted commitments differ from the bid set's`);
      }
      if (v > entry.version && nodes.size === 3 && same) {
        f.push(`bidder ${bidder}: all three nodes receipted version ${v}, but the set holds version ${entry.version}`);
      }
    }
  }
  return check("receipts", cap(f, 5), `${counted} receipts of ${by.size} bidders accounted for`);
}

/** The report as `auditor verify` prints it. */
export function reportText(r) {
  const lines = [`auction ${r.auction}: price ${r.price === null ? "none (no trade)" : r.price}, volume ${r.volume}`];
  for (const c of r.checks) lines.push(`  ${c.passed ? "PASS" : "FAIL"}  ${c.name.padEnd(17)} ${c.detail}`);
  const failed = r.checks.filter((c) => !c.passed).map((c) => c.name);
  lines.push(
    failed.length === 0
      ? `verdict: PASS (${r.checks.length} checks)`
      : `verdict: FAIL (${failed.length} of ${r.checks.length} checks failed: ${failed.join(", ")})`,
  );
  return lines.join("\n");
}

/** Two parsed bundles are the same bundle. */
export function sameBundle(a, b) {
  const canon = (v) =>
    JSON.stringify(v, (_k, x) =>
      typeof x === "bigint"
        ? `${x}n`
        : x && typeof x === "object" && !Array.isArray(x)
          ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]))
          : x,
    );
  return canon(a) === canon(b);
}

