// The wire formats of auction/docs/wire.md in the browser: the share
// layout, the sharing mod 2^64, the bundle salts and hiding commitments,
// the signed messages, receipts and the outcome bundle's digests. Every
// value of Z_2^64 is a BigInt; every JSON integer read with parseJson is a
// BigInt too, so that versions and volumes beyond 2^53 stay exact.
//
// Nothing here sends anything anywhere: the page decides what goes where,
// and a bid leaves the browser only as its three share bundles.

export const FORMAT = 2n;
export const MAX_BIDDER_ID_LEN = 128;
const MASK64 = (1n << 64n) - 1n;

const TAG = {
  commitment: "triad/v2/commitment\0",
  bid: "triad/v2/bid\0",
  receipt: "triad/v2/receipt\0",
  bidSet: "triad/v2/bid-set\0",
  outcome: "triad/v2/outcome\0",
  seedCommit: "triad/v1/seed-commit\0",
};

const utf8 = new TextEncoder();

// ---- hex, bytes, JSON ------------------------------------------------

export function hex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function unhex(s, field, len) {
  if (typeof s !== "string" || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new Error(`${field}: not hex digits`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  if (len !== undefined && out.length !== len) {
    throw new Error(`${field}: expected ${len} bytes, got ${out.length}`);
  }
  return out;
}

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s) {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JSON.parse, with every integer as a BigInt (exact beyond 2^53). */
export function parseJson(text) {
  return JSON.parse(text, (_key, value, ctx) =>
    typeof value === "number" && ctx && /^-?\d+$/.test(ctx.source) ? BigInt(ctx.source) : value,
  );
}

/** JSON.stringify, writing BigInts as JSON integers. */
export function stringifyJson(value, indent) {
  const marks = [];
  const text = JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === "bigint") {
        marks.push(v.toString());
        return `\u0000big${marks.length - 1}\u0000`;
      }
      return v;
    },
    indent,
  );
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i) => marks[Number(i)]);
}

/** Builds a byte string: u8, u32be, u64be, raw bytes, str(s). */
class Bytes {
  constructor() {
    this.parts = [];
    this.length = 0;
  }
  push(u8) {
    this.parts.push(u8);
    this.length += u8.length;
    return this;
  }
  raw(b) {
    return this.push(b instanceof Uint8Array ? b : utf8.encode(b));
  }
  u8(n) {
    return this.push(Uint8Array.of(Number(n)));
  }
  u32(n) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, Number(n));
    return this.push(b);
  }
  u64(n) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(n)));
    return this.push(b);
  }
  u64s(values) {
    const b = new Uint8Array(8 * values.length);
    const v = new DataView(b.buffer);
    values.forEach((x, i) => v.setBigUint64(8 * i, BigInt.asUintN(64, x)));
    return this.push(b);
  }
  str(s) {
    const b = utf8.encode(s);
    return this.u32(b.length).push(b);
  }
  done() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** A component on the wire: the hex of its values' u64be bytes. */
export function componentHex(values) {
  return hex(new Bytes().u64s(values).done());
}

export function componentFromHex(s, field) {
  const b = unhex(s, field);
  if (b.length % 8 !== 0) throw new Error(`${field}: ${b.length} bytes is not a whole number of 8-byte values`);
  const v = new DataView(b.buffer);
  return Array.from({ length: b.length / 8 }, (_, i) => v.getBigUint64(8 * i));
}

export function utf8Length(s) {
  return utf8.encode(s).length;
}

export function checkBidderId(id) {
  const n = utf8Length(id);
  if (n === 0 || n > MAX_BIDDER_ID_LEN) {
    throw new Error(`bidder id must be 1 to ${MAX_BIDDER_ID_LEN} bytes, got ${n}`);
  }
}

// ---- the auction file ------------------------------------------------

/** A time of the auction file: Unix seconds, or RFC 3339 with its zone. */
export function unixTime(v, field) {
  if (typeof v === "bigint") return v;
  if (typeof v === "string" && /(Z|z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v))) {
    return BigInt(Math.floor(Date.parse(v) / 1000));
  }
  throw new Error(`${field}: ${JSON.stringify(v)} is neither Unix seconds nor an RFC 3339 time with its zone`);
}

/** The bidding window of a parsed auction file: {open, close} in Unix seconds. */
export function auctionWindow(file) {
  return {
    open: unixTime(file.open_unix ?? file.open, "open_unix"),
    close: unixTime(file.close_unix ?? file.close, "close_unix"),
  };
}

/** A socket address as Rust writes it: `127.0.0.1:8443`, `[::1]:8443`. */
export function socketAddr(s) {
  const v6 = /^\[(.*)\]:(\d+)$/.exec(s);
  if (v6) return `${new URL(`http://[${v6[1]}]/`).hostname}:${Number(v6[2])}`;
  const v4 = /^(.*):(\d+)$/.exec(s);
  return v4 ? `${v4[1]}:${Number(v4[2])}` : s;
}

/**
 * The auction hash (wire.md, "Auction hash and registry digest"): SHA-256
 * of the terms, the auction file without its bidder registry.
 */
export async function auctionHash(file) {
  const p = file.auction;
  const w = auctionWindow(file);
  const b = new Bytes()
    .raw("triad/v2/auction\0")
    .str(p.id)
    .u32(p.max_price)
    .u32(p.max_quantity)
    .u32(p.max_orders_per_side)
    .u64(w.open)
    .u64(w.close);
  for (const n of file.nodes) {
    b.str(socketAddr(n.api))
      .str(socketAddr(n.peer))
      .raw(unhex(n.public_key, "public_key", 32))
      .raw(unhex(n.cert_fingerprint, "cert_fingerprint", 32))
      .str(n.page ?? "");
  }
  return hex(await sha256(b.done()));
}

// ---- share layout and sharing ----------------------------------------

/**
 * A bid with K slots per side as 4K ring values: for slot 0..K the buy
 * price and quantity, then for slot 0..K the sell price and quantity;
 * padding (0, 0) where there is no order. Orders are {price, quantity}
 * BigInts, already validated.
 */
export function layout(bid, k) {
  const values = new Array(4 * k).fill(0n);
  [bid.buy, bid.sell].forEach((orders, side) => {
    if (orders.length > k) throw new Error(`more than K = ${k} orders on a side`);
    orders.forEach((o, slot) => {
      const at = side * 2 * k + 2 * slot;
      values[at] = BigInt.asUintN(64, o.price);
      values[at + 1] = BigInt.asUintN(64, o.quantity);
    });
  });
  return values;
}

function randomU64s(n) {
  const out = new BigUint64Array(n);
  // getRandomValues fills at most 65536 bytes per call.
  for (let at = 0; at < n; at += 8192) {
    crypto.getRandomValues(out.subarray(at, Math.min(n, at + 8192)));
  }
  return Array.from(out);
}

/**
 * Splits values into three components with x = x0 + x1 + x2 (mod 2^64),
 * x0 and x1 uniformly random from the browser's cryptographic generator.
 */
export function shareValues(values) {
  const r = randomU64s(2 * values.length);
  const x0 = r.slice(0, values.length);
  const x1 = r.slice(values.length);
  const x2 = values.map((v, j) => (BigInt(v) - x0[j] - x1[j]) & MASK64);
  return [x0, x1, x2];
}

export function randomSalt() {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** Bundle i: own = x_i, next = x_{i+1}, and salt s_i. */
export function makeBundles(components, salts) {
  return [0, 1, 2].map((i) => ({ own: components[i], next: components[(i + 1) % 3], salt: salts[i] }));
}

/** c_i = SHA-256(tag || u8(i) || s_i || u32be(4K) || own || next). */
export async function commitment(node, bundle) {
  return sha256(
    new Bytes()
      .raw(TAG.commitment)
      .u8(node)
      .raw(bundle.salt)
      .u32(bundle.own.length)
      .u64s(bundle.own)
      .u64s(bundle.next)
      .done(),
  );
}

export function bidMessage(auction, bidder, version, commitments) {
  const b = new Bytes().raw(TAG.bid).str(auction).str(bidder).u64(version);
  for (const c of commitments) b.raw(c);
  return b.done();
}

// ---- keys and signatures (WebCrypto Ed25519) -------------------------

const ED = { name: "Ed25519" };

/** A signing key from a key file's 32-byte secret and public key. */
export async function signingKey(secret, publicKey) {
  const jwk = { kty: "OKP", crv: "Ed25519", d: b64url(secret), x: b64url(publicKey), ext: false };
  return crypto.subtle.importKey("jwk", jwk, ED, false, ["sign"]);
}

export async function sign(key, message) {
  return new Uint8Array(await crypto.subtle.sign(ED, key, message));
}

const verifyKeys = new Map();

/** Verifies an Ed25519 signature with a 32-byte public key. */
export async function verify(publicKey, signature, message) {
  const id = hex(publicKey);
  let key = verifyKeys.get(id);
  if (!key) {
    try {
      key = await crypto.subtle.importKey("raw", publicKey, ED, false, ["verify"]);
    } catch {
      return false;
    }
    verifyKeys.set(id, key);
  }
  if (signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify(ED, key, signature, message);
  } catch {
    return false;
  }
}

/**
 * A new key file {bidder, secret_key, public_key}, the format of
 * `bidder keygen` (bidder-client/src/keys.rs).
 */
export async function generateKeyFile(bidder) {
  checkBidderId(bidder);
  const pair = await crypto.subtle.generateKey(ED, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { bidder, secret_key: hex(unb64url(jwk.d)), public_key: hex(unb64url(jwk.x)) };
}

/**
 * Reads a key file's text as `bidder` does, with its messages: exactly
 * the three fields, a valid bidder id, 64 hex digits of secret key, and a
 * public key that belongs to it. Returns {file, key} with the signing key.
 */
export async function loadKeyFile(text, name) {
  const bad = (m) => new Error(`key file ${name}: ${m}`);
  let f;
  try {
    f = JSON.parse(text);
  } catch (e) {
    throw bad(e.message);
  }
  if (typeof f !== "object" || f === null || Array.isArray(f)) throw bad("not a key file (a JSON object)");
  for (const k of Object.keys(f)) {
    if (!["bidder", "secret_key", "public_key"].includes(k)) {
      throw bad(`unknown field \`${k}\`, expected one of \`bidder\`, \`secret_key\`, \`public_key\``);
    }
  }
  for (const k of ["bidder", "secret_key", "public_key"]) {
    if (typeof f[k] !== "string") throw bad(`missing field \`${k}\``);
  }
  try {
    checkBidderId(f.bidder);
  } catch (e) {
    throw bad(e.message);
  }
  const secretHex = f.secret_key.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(secretHex)) throw bad("secret_key: expected 64 hex digits");
  const publicHex = f.public_key.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(publicHex)) {
    throw bad("public_key does not belong to secret_key; the file is damaged");
  }
  const secret = unhex(secretHex, "secret_key", 32);
  const pub = unhex(publicHex, "public_key", 32);
  let key;
  try {
    key = await signingKey(secret, pub);
  } catch {
    throw bad("public_key does not belong to secret_key; the file is damaged");
  }
  // The public key must be the secret key's: a signature must verify.
  const probe = utf8.encode("triad key check");
  if (!(await verify(pub, await sign(key, probe), probe))) {
    throw bad("public_key does not belong to secret_key; the file is damaged");
  }
  return {
    file: { bidder: f.bidder, secret_key: secretHex.toLowerCase(), public_key: publicHex },
    key,
  };
}

// ---- submissions -----------------------------------------------------

/**
 * The three signed submissions of one bid version (wire.md,
 * "Submission"). `values` are the 4K ring values; `fixed` (for the
 * known-answer vectors only) gives the components and salts instead of
 * fresh random ones. Returns {submissions, commitments}: submissions as
 * JSON-ready objects, one per node.
 */
export async function prepareSubmissions(auction, bidder, version, values, key, fixed) {
  checkBidderId(bidder);
  const components = fixed ? fixed.components : shareValues(values);
  const salts = fixed ? fixed.salts : [randomSalt(), randomSalt(), randomSalt()];
  const bundles = makeBundles(components, salts);
  const commitments = await Promise.all(bundles.map((b, i) => commitment(i, b)));
  const signature = await sign(key, bidMessage(auction, bidder, BigInt(version), commitments));
  const submissions = bundles.map((b, i) => ({
    format: FORMAT,
    auction,
    bidder,
    version: BigInt(version),
    node: BigInt(i),
    bundle: { own: componentHex(b.own), next: componentHex(b.next), salt: hex(b.salt) },
    commitments: commitments.map(hex),
    signature: hex(signature),
  }));
  return { submissions, commitments };
}

// ---- receipts --------------------------------------------------------

export function receiptMessage(r) {
  const b = new Bytes()
    .raw(TAG.receipt)
    .raw(unhex(r.auction_hash, "auction_hash", 32))
    .str(r.auction)
    .str(r.bidder)
    .u64(r.version);
  for (const c of r.commitments) b.raw(unhex(c, "commitments", 32));
  return b.u8(r.node).done();
}

/**
 * Checks a node's receipt against what was sent to it and the auction
 * file's key for the node (bidder-client/src/receipts.rs, same messages).
 * Returns null when it checks out, else what is wrong.
 */
export async function checkReceipt(auctionHashHex, nodeKeyHex, sub, r) {
  const node = sub.node;
  const mismatch = (field) => `receipt from node ${node}: ${field} is not the one sent`;
  try {
    if (r.node !== sub.node) return mismatch("node");
    if (r.auction !== sub.auction) return mismatch("auction");
    if (r.auction_hash !== auctionHashHex) return mismatch("auction_hash");
    if (r.bidder !== sub.bidder) return mismatch("bidder");
    if (r.version !== sub.version) return mismatch("version");
    if (!Array.isArray(r.commitments) || r.commitments.join() !== sub.commitments.join()) {
      return mismatch("commitments");
    }
    const ok = await verify(unhex(nodeKeyHex, "node key", 32), unhex(r.signature, "signature", 64), receiptMessage(r));
    if (!ok) return `receipt from node ${node}: the signature does not verify with the node's key`;
  } catch (e) {
    return `receipt from node ${node}: ${e.message}`;
  }
  return null;
}

// ---- the outcome bundle ----------------------------------------------

/** SHA-256(tag || u32be(count) || per entry: str(bidder) || u64be(version) || c0 c1 c2 || signature). */
export async function bidSetDigest(entries) {
  const b = new Bytes().raw(TAG.bidSet).u32(entries.length);
  for (const e of entries) {
    b.str(e.bidder).u64(e.version);
    for (const c of e.commitments) b.raw(unhex(c, "bid set commitment", 32));
    b.raw(e.signature ? unhex(e.signature, "bid set signature", 64) : new Uint8Array(64));
  }
  return sha256(b.done());
}

export async function seedCommitment(auctionHash, bidSet, node, value) {
  return sha256(new Bytes().raw(TAG.seedCommit).raw(auctionHash).raw(bidSet).u8(node).raw(value).done());
}

export async function seedFromReveals(values) {
  return sha256(new Bytes().raw(values[0]).raw(values[1]).raw(values[2]).done());
}

export function outcomeMessage(auctionHash, bidSet, outcome) {
  const b = new Bytes()
    .raw(auctionHash)
    .raw(bidSet)
    .raw(unhex(outcome.seed, "seed", 32))
    .str(outcome.auction);
  if (outcome.price === null || outcome.price === undefined) b.u8(0);
  else b.u8(1).u32(outcome.price);
  b.u64(outcome.volume).u32(outcome.allocations.length);
  for (const a of outcome.allocations) b.str(a.bidder).u64(a.bought).u64(a.sold);
  b.u32(outcome.excluded.length);
  for (const e of outcome.excluded) b.str(e.bidder).str(e.reason);
  return new Bytes().raw(TAG.outcome).raw(b.done()).done();
}

// Which auction's API a page talks to. A node serves several auctions: the
// page of one is at /auctions/{id}/ and its API at /v1/auctions/{id}/; the
// unprefixed page and /v1/ address the node's default auction.
const pageAuction = typeof location === "undefined" ? null : /^\/auctions\/([^/]+)/.exec(location.pathname);
export const LOCAL_API = pageAuction ? `/v1/auctions/${pageAuction[1]}` : "/v1";

// The API of the auction `a` (as the page holds it) at any of its nodes:
// always by id, since the other nodes may serve other auctions too.
export function nodeApi(a) {
  return `/v1/auctions/${encodeURIComponent(a.params.id)}`;
}
