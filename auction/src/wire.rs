//! What travels between bidders, nodes and auditors, and what gets signed.
//!
//! A bidder splits its bid into three share bundles, one per node, and puts
//! a fresh random 256-bit salt in each. It signs the auction id, its id, a
//! version number and a *hiding commitment* to each bundle (SHA-256 over the
//! bundle's salt and components), and sends each node its bundle, salt
//! included, with the three commitments and that signature. The node answers
//! with a signed receipt. After the clearing each node signs the outcome
//! (auction-file hash, bid-set digest, seed, price, volume, allocations,
//! exclusions) and the bundle with all three signatures and every bidder's
//! signature is published. Every signed message starts with its own
//! domain-separation tag and encodes its fields with explicit lengths, so no
//! message of one kind can be read as another. The byte layouts and test
//! vectors are in `auction/docs/wire.md`. Pure: no I/O.
//!
//! Why the salt: node `i` holds components `x_i` and `x_{i+1}` of every
//! value and sees all three commitments. Were a commitment a plain hash of
//! its bundle, node `i` could take any guess `v` of the bid, compute
//! `x_{i+2} = v - x_i - x_{i+1}` and test the guess against the commitment
//! to bundle `i+1`; bids have little entropy, so the search ends quickly.
//! The salt of bundle `j` goes to node `j` alone, so the commitments to the
//! other two bundles are keyed by 256 bits node `i` never sees.
//!
//! Share layout of one bid: `4K` ring values (mod `2^64`): for slot `0..K`
//! the buy price and quantity, then for slot `0..K` the sell price and
//! quantity; a missing order is padding `(0, 0)`. Each value `x` is shared as
//! `x0 + x1 + x2` by `shares::client::share_arith`; node `i` receives
//! components `(x_i, x_{i+1})`.

use crate::market::RawBid;
use crate::mpc::layout::value_index;
use crate::types::{Allocation, AuctionParams, Bid, BidderId, Exclusion, Outcome, Side};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use shares::client::share_arith;
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroize;

/// The version of the formats on this page; carried in every submission and
/// every outcome bundle. Format 1 signed unsalted digests of the bundles,
/// which let a node test guesses of a bid; it is no longer read.
pub const FORMAT: u32 = 2;
/// Longest bidder id, in bytes of UTF-8.
pub const MAX_BIDDER_ID_LEN: usize = 128;

const TAG_COMMITMENT: &[u8] = b"triad/v2/commitment\0";
const TAG_BID: &[u8] = b"triad/v2/bid\0";
const TAG_RECEIPT: &[u8] = b"triad/v2/receipt\0";
const TAG_BID_SET: &[u8] = b"triad/v2/bid-set\0";
const TAG_OUTCOME: &[u8] = b"triad/v2/outcome\0";
const TAG_SEED_COMMIT: &[u8] = b"triad/v1/seed-commit\0";
const TAG_COMPONENT: &[u8] = b"triad/v1/component\0";
const TAG_REGISTRY: &[u8] = b"triad/v2/registry\0";

/// What went wrong with a message, naming the field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    /// The submission's format number is not one this code reads.
    #[error(
        "submission format {0} is not accepted: this node reads format {FORMAT} (salted commitments); update the bidder program"
    )]
    Format(u32),
    /// The submission is for another auction.
    #[error("submission is for auction {got:?}, this is auction {expected:?}")]
    WrongAuction {
        /// The auction named in the submission.
        got: String,
        /// This auction.
        expected: String,
    },
    /// The submission is addressed to another node.
    #[error("submission is addressed to node {got}, this is node {expected}")]
    WrongNode {
        /// The node index in the submission.
        got: u8,
        /// This node's index.
        expected: u8,
    },
    /// A share component has the wrong number of values.
    #[error(
        "bundle component {component:?} holds {got} values, expected {expected} (4 x K = 4 x {k}: price and quantity for K buy and K sell slots)"
    )]
    Shape {
        /// `own` or `next`.
        component: &'static str,
        /// Values received.
        got: usize,
        /// Values expected.
        expected: usize,
        /// K.
        k: u32,
    },
    /// The bundle and its salt do not open the commitment the bidder signed
    /// for this node.
    #[error(
        "the bundle for node {node} (components and salt) does not open the signed commitment commitments[{node}]"
    )]
    CommitmentMismatch {
        /// The node index.
        node: u8,
    },
    /// The bidder's signature does not verify.
    #[error("signature of bidder {0} does not verify")]
    BadSignature(BidderId),
    /// A bid has more orders on one side than K.
    #[error("bidder {bidder}: {side} side has {got} orders, at most K = {k} allowed")]
    TooManyOrders {
        /// The bidder.
        bidder: BidderId,
        /// `buy` or `sell`.
        side: &'static str,
        /// Orders given.
        got: usize,
        /// K.
        k: u32,
    },
    /// A bidder id is empty or too long.
    #[error("bidder id must be 1 to {MAX_BIDDER_ID_LEN} bytes, got {0}")]
    BidderIdLength(usize),
    /// A hex field could not be read.
    #[error("{field}: {reason}")]
    Hex {
        /// The field.
        field: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// A SHA-256 digest, written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    /// Reads 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, WireError> {
        Ok(Digest(fixed_hex("digest", s)?))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Decodes hex as this page writes it: lower-case digits only, so every
/// value has exactly one spelling.
fn lower_hex(field: &'static str, s: &str) -> Result<Vec<u8>, WireError> {
    if let Some(c) = s.chars().find(|c| c.is_ascii_uppercase()) {
        return Err(WireError::Hex {
            field,
            reason: format!("upper-case digit {c:?}; write hex in lower case"),
        });
    }
    hex::decode(s).map_err(|e| WireError::Hex {
        field,
        reason: e.to_string(),
    })
}

fn fixed_hex<const N: usize>(field: &'static str, s: &str) -> Result<[u8; N], WireError> {
    let bytes = lower_hex(field, s)?;
    bytes.try_into().map_err(|b: Vec<u8>| WireError::Hex {
        field,
        reason: format!("expected {} bytes, got {}", N, b.len()),
    })
}

macro_rules! hex_serde {
    ($t:ty, $n:expr, $field:expr, $get:expr, $make:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let get: fn(&$t) -> [u8; $n] = $get;
                s.serialize_str(&hex::encode(get(self)))
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                let bytes: [u8; $n] = fixed_hex($field, &s).map_err(serde::de::Error::custom)?;
                let make: fn([u8; $n]) -> Result<$t, String> = $make;
                make(bytes).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_serde!(Digest, 32, "digest", |d| d.0, |b| Ok(Digest(b)));

/// An Ed25519 signature, written as 128 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sig(pub Signature);

impl fmt::Debug for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sig({})", hex::encode(self.0.to_bytes()))
    }
}

hex_serde!(Sig, 64, "signature", |s| s.0.to_bytes(), |b| Ok(Sig(
    Signature::from_bytes(&b)
)));

/// An Ed25519 public key, written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.0.as_bytes()))
    }
}

impl PublicKey {
    /// The hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }
}

hex_serde!(PublicKey, 32, "public key", |k| k.0.to_bytes(), |b| {
    VerifyingKey::from_bytes(&b)
        .map(PublicKey)
        .map_err(|e| format!("public key: {e}"))
});

/// A bundle's 256-bit salt: drawn fresh by the bidder for every bundle of
/// every version, sent only to the node that receives the bundle, and never
/// passed on by it. It keys the commitment to the bundle, so the nodes that
/// hold the bundle's components but not its salt cannot test guesses
/// against the commitment. Secret: opaque `Debug`, wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Salt(pub [u8; 32]);

impl Salt {
    /// A fresh salt.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Salt {
        let mut s = [0u8; 32];
        rng.fill_bytes(&mut s);
        Salt(s)
    }
}

impl Drop for Salt {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Salt(..)")
    }
}

/// One node's part of one bid: `own` is `x_i`, `next` is `x_{i+1}`, each
/// `4K` ring values in the share layout, and the bundle's salt. Secret: its
/// `Debug` shows only the size, and it is never logged. On the wire each
/// component is the big-endian bytes of its values, in hex, and the salt 64
/// hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareBundle {
    /// Component `x_i` of every value.
    pub own: Vec<u64>,
    /// Component `x_{i+1}` of every value.
    pub next: Vec<u64>,
    /// The salt of this bundle's commitment.
    pub salt: Salt,
}

impl Drop for ShareBundle {
    fn drop(&mut self) {
        self.own.zeroize();
        self.next.zeroize();
    }
}

impl fmt::Debug for ShareBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ShareBundle({} + {} values)",
            self.own.len(),
            self.next.len()
        )
    }
}

/// Big-endian bytes of a component.
pub fn component_bytes(values: &[u64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn component_from_hex(field: &'static str, s: &str) -> Result<Vec<u64>, WireError> {
    let bytes = lower_hex(field, s)?;
    if bytes.len() % 8 != 0 {
        return Err(WireError::Hex {
            field,
            reason: format!(
                "{} bytes is not a whole number of 8-byte values",
                bytes.len()
            ),
        });
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareBundleHex {
    own: String,
    next: String,
    salt: String,
}

impl Serialize for ShareBundle {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ShareBundleHex {
            own: hex::encode(component_bytes(&self.own)),
            next: hex::encode(component_bytes(&self.next)),
            salt: hex::encode(self.salt.0),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ShareBundle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let h = ShareBundleHex::deserialize(d)?;
        Ok(ShareBundle {
            own: component_from_hex("bundle.own", &h.own).map_err(serde::de::Error::custom)?,
            next: component_from_hex("bundle.next", &h.next).map_err(serde::de::Error::custom)?,
            salt: Salt(fixed_hex("bundle.salt", &h.salt).map_err(serde::de::Error::custom)?),
        })
    }
}

impl ShareBundle {
    /// The hiding commitment the bidder signs for node `node`:
    /// `SHA-256(TAG_COMMITMENT || node u8 || salt || count u32be || own ||
    /// next)`. Only the holder of the salt, node `node`, can check it; to the
    /// other two nodes it is a hash keyed by 256 bits they never see.
    pub fn commitment(&self, node: u8) -> Digest {
        let mut h = Sha256::new();
        h.update(TAG_COMMITMENT);
        h.update([node]);
        h.update(self.salt.0);
        h.update((self.own.len() as u32).to_be_bytes());
        for v in self.own.iter().chain(&self.next) {
            h.update(v.to_be_bytes());
        }
        Digest(h.finalize().into())
    }

    /// Checks there are exactly `4K` values in each component.
    pub fn check_shape(&self, k: u32) -> Result<(), WireError> {
        let expected = 4 * k as usize;
        for (component, v) in [("own", &self.own), ("next", &self.next)] {
            if v.len() != expected {
                return Err(WireError::Shape {
                    component,
                    got: v.len(),
                    expected,
                    k,
                });
            }
        }
        Ok(())
    }
}

/// The digest two nodes compare to check that they hold the same copy of a
/// replicated component: `SHA-256(TAG_COMPONENT || bidder || version ||
/// component index u8 || values)`. Unsalted, and safe only because of who
/// sees it: it is sent to the one other node that holds the same component,
/// which could compute it itself, and is not stored. To the third node it
/// would be a test of guesses of the missing component, so it must never go
/// there nor into the published bundle; a node that logs its peer messages
/// at trace level keeps it in a log as private as its database.
pub fn component_digest(bidder: &BidderId, version: u64, component: u8, values: &[u64]) -> Digest {
    let mut h = Sha256::new();
    h.update(TAG_COMPONENT);
    put_str(&mut h, &bidder.0);
    h.update(version.to_be_bytes());
    h.update([component]);
    for v in values {
        h.update(v.to_be_bytes());
    }
    Digest(h.finalize().into())
}

fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u32).to_be_bytes());
    h.update(s.as_bytes());
}

fn put_str_vec(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The message a bidder signs: `TAG_BID || auction id || bidder id ||
/// version u64be || c0 || c1 || c2`, strings as `u32be length || UTF-8`,
/// `c_j` the commitment to bundle `j`.
pub fn bid_message(
    auction: &str,
    bidder: &BidderId,
    version: u64,
    commitments: &[Digest; 3],
) -> Vec<u8> {
    let mut m = TAG_BID.to_vec();
    put_str_vec(&mut m, auction);
    put_str_vec(&mut m, &bidder.0);
    m.extend_from_slice(&version.to_be_bytes());
    for c in commitments {
        m.extend_from_slice(&c.0);
    }
    m
}

/// What a bidder sends to one node.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// [`FORMAT`].
    pub format: u32,
    /// The auction id.
    pub auction: String,
    /// The bidder.
    pub bidder: BidderId,
    /// Higher replaces lower until the close.
    pub version: u64,
    /// The node this bundle is for, 0, 1 or 2.
    pub node: u8,
    /// This node's components and salt.
    pub bundle: ShareBundle,
    /// The commitments to the bundles for nodes 0, 1 and 2.
    pub commitments: [Digest; 3],
    /// The bidder's signature over [`bid_message`].
    pub signature: Sig,
}

impl Submission {
    /// The signed message.
    pub fn message(&self) -> Vec<u8> {
        bid_message(&self.auction, &self.bidder, self.version, &self.commitments)
    }

    /// Every check a node makes that needs no state: format, auction id,
    /// addressee, bidder id length, shape, commitment, signature.
    pub fn verify(
        &self,
        params: &AuctionParams,
        node: u8,
        bidder_key: &VerifyingKey,
    ) -> Result<(), WireError> {
        if self.format != FORMAT {
            return Err(WireError::Format(self.format));
        }
        if self.auction != params.id {
            return Err(WireError::WrongAuction {
                got: self.auction.clone(),
                expected: params.id.clone(),
            });
        }
        if self.node != node {
            return Err(WireError::WrongNode {
                got: self.node,
                expected: node,
            });
        }
        check_bidder_id(&self.bidder)?;
        self.bundle.check_shape(params.max_orders_per_side)?;
        if self.bundle.commitment(node) != self.commitments[node as usize] {
            return Err(WireError::CommitmentMismatch { node });
        }
        bidder_key
            .verify_strict(&self.message(), &self.signature.0)
            .map_err(|_| WireError::BadSignature(self.bidder.clone()))
    }
}

/// Checks a bidder id's length.
pub fn check_bidder_id(bidder: &BidderId) -> Result<(), WireError> {
    let n = bidder.0.len();
    if n == 0 || n > MAX_BIDDER_ID_LEN {
        return Err(WireError::BidderIdLength(n));
    }
    Ok(())
}

/// Lays a validated bid out as `4K` ring values (see the module doc).
pub fn layout(bid: &Bid, k: u32) -> Result<Vec<u64>, WireError> {
    layout_raw(&RawBid::from(bid), k)
}

/// Lays a bid as written out as `4K` ring values (see the module doc), each
/// price and quantity taken into the ring by [`crate::market::ring_value`],
/// in range or not. The one definition of the share layout: clients, the
/// demo's faulty clients and the test dealer all use it. Fails only when a
/// side holds more than K orders, which no bundle can carry.
pub fn layout_raw(raw: &RawBid, k: u32) -> Result<Vec<u64>, WireError> {
    let k_us = k as usize;
    let mut values = vec![0; 4 * k_us];
    for (side, orders) in [(Side::Buy, &raw.buy), (Side::Sell, &raw.sell)] {
        if orders.len() > k_us {
            return Err(WireError::TooManyOrders {
                bidder: raw.bidder.clone(),
                side: match side {
                    Side::Buy => "buy",
                    Side::Sell => "sell",
                },
                got: orders.len(),
                k,
            });
        }
        for (slot, o) in orders.iter().enumerate() {
            let (pi, qi) = value_index(k_us, side, slot);
            values[pi] = o.ring_price();
            values[qi] = o.ring_quantity();
        }
    }
    Ok(values)
}

/// Turns a validated bid into the three signed submissions, one per node.
/// Validation of the bid's values against the parameters is the caller's
/// (`auction::validate`); this only checks it fits in K slots.
pub fn prepare_submissions<R: RngCore + CryptoRng>(
    params: &AuctionParams,
    bid: &Bid,
    version: u64,
    key: &SigningKey,
    rng: &mut R,
) -> Result<[Submission; 3], WireError> {
    let values = layout(bid, params.max_orders_per_side)?;
    prepare_submissions_from_values(&params.id, &bid.bidder, &values, version, key, rng)
}

/// Shares and signs raw ring values already in the share layout. A correct
/// client only shares validated bids; tools use this to share exactly what a
/// faulty client would (the clearing's own range check must catch it).
pub fn prepare_submissions_from_values<R: RngCore + CryptoRng>(
    auction: &str,
    bidder: &BidderId,
    values: &[u64],
    version: u64,
    key: &SigningKey,
    rng: &mut R,
) -> Result<[Submission; 3], WireError> {
    check_bidder_id(bidder)?;
    // The one sharing of `shares` (format and vectors in
    // `shares/docs/sharing.md`); bundle `i` goes to node `i`.
    // Each bundle gets a fresh salt, which only its node will see.
    let bundles = share_arith(values, rng).map(|mut b| ShareBundle {
        own: std::mem::take(&mut b.own),
        next: std::mem::take(&mut b.next),
        salt: Salt::random(rng),
    });
    Ok(sign_bundles(auction, bidder, version, bundles, key))
}

/// Signs three bundles as they are (consistent or not): the commitments,
/// the bid message, and one submission per node.
pub fn sign_bundles(
    auction: &str,
    bidder: &BidderId,
    version: u64,
    bundles: [ShareBundle; 3],
    key: &SigningKey,
) -> [Submission; 3] {
    let commitments: [Digest; 3] = std::array::from_fn(|i| bundles[i].commitment(i as u8));
    let signature = Sig(key.sign(&bid_message(auction, bidder, version, &commitments)));
    let mut it = bundles.into_iter();
    std::array::from_fn(|i| Submission {
        format: FORMAT,
        auction: auction.to_string(),
        bidder: bidder.clone(),
        version,
        node: i as u8,
        bundle: it.next().expect("three bundles"),
        commitments,
        signature,
    })
}

/// A node's acknowledgement that it stored a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The auction id.
    pub auction: String,
    /// The auction file's hash.
    pub auction_hash: Digest,
    /// The bidder.
    pub bidder: BidderId,
    /// The version stored.
    pub version: u64,
    /// The three bundle commitments, as signed by the bidder.
    pub commitments: [Digest; 3],
    /// The node that stored it.
    pub node: u8,
    /// The node's signature over [`Receipt::message`].
    pub signature: Sig,
}

impl Receipt {
    /// `TAG_RECEIPT || auction hash || auction id || bidder || version u64be
    /// || c0 || c1 || c2 || node u8`.
    pub fn message(&self) -> Vec<u8> {
        receipt_message(
            &self.auction,
            &self.auction_hash,
            &self.bidder,
            self.version,
            &self.commitments,
            self.node,
        )
    }

    /// Makes a signed receipt for a stored submission.
    pub fn sign(sub: &Submission, auction_hash: Digest, key: &SigningKey) -> Receipt {
        let m = receipt_message(
            &sub.auction,
            &auction_hash,
            &sub.bidder,
            sub.version,
            &sub.commitments,
            sub.node,
        );
        Receipt {
            auction: sub.auction.clone(),
            auction_hash,
            bidder: sub.bidder.clone(),
            version: sub.version,
            commitments: sub.commitments,
            node: sub.node,
            signature: Sig(key.sign(&m)),
        }
    }

    /// Checks the node's signature.
    pub fn verify(&self, node_key: &VerifyingKey) -> bool {
        node_key
            .verify_strict(&self.message(), &self.signature.0)
            .is_ok()
    }
}

fn receipt_message(
    auction: &str,
    auction_hash: &Digest,
    bidder: &BidderId,
    version: u64,
    commitments: &[Digest; 3],
    node: u8,
) -> Vec<u8> {
    let mut m = TAG_RECEIPT.to_vec();
    m.extend_from_slice(&auction_hash.0);
    put_str_vec(&mut m, auction);
    put_str_vec(&mut m, &bidder.0);
    m.extend_from_slice(&version.to_be_bytes());
    for c in commitments {
        m.extend_from_slice(&c.0);
    }
    m.push(node);
    m
}

/// One bid in the agreed set: the version all three nodes hold with the same
/// commitments and the same bidder signature. The signature travels with it
/// into the published bundle, so anyone can check against the auction
/// file's registry that the bidder sent exactly this bid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidSetEntry {
    /// The bidder.
    pub bidder: BidderId,
    /// The version.
    pub version: u64,
    /// The three bundle commitments.
    pub commitments: [Digest; 3],
    /// The bidder's signature over [`bid_message`] of this entry. Nodes
    /// always publish it; a bundle that lacks it fails verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Sig>,
}

impl BidSetEntry {
    /// Checks the bidder's signature over this entry for auction `auction`.
    pub fn verify(&self, auction: &str, bidder_key: &VerifyingKey) -> Result<(), String> {
        let Some(signature) = &self.signature else {
            return Err(format!(
                "bidder {} version {}: no bidder signature",
                self.bidder, self.version
            ));
        };
        let m = bid_message(auction, &self.bidder, self.version, &self.commitments);
        bidder_key.verify_strict(&m, &signature.0).map_err(|_| {
            format!(
                "the signature of bidder {} over version {} does not verify with its registered key",
                self.bidder, self.version
            )
        })
    }
}

/// `SHA-256(TAG_BID_SET || count u32be || per entry: bidder || version u64be
/// || c0 || c1 || c2 || signature)`, entries in the given (bidder-id)
/// order; a missing signature counts as 64 zero bytes (which never verify).
pub fn bid_set_digest(entries: &[BidSetEntry]) -> Digest {
    let mut h = Sha256::new();
    h.update(TAG_BID_SET);
    h.update((entries.len() as u32).to_be_bytes());
    for e in entries {
        put_str(&mut h, &e.bidder.0);
        h.update(e.version.to_be_bytes());
        for c in &e.commitments {
            h.update(c.0);
        }
        h.update(e.signature.map_or([0; 64], |s| s.0.to_bytes()));
    }
    Digest(h.finalize().into())
}

/// The registry digest: `SHA-256(TAG_REGISTRY || count u32be || per
/// bidder in id order: bidder || public key (32 bytes))`. The three nodes
/// compare it at the close; bidders may be registered until then.
pub fn registry_digest(bidders: &BTreeMap<BidderId, VerifyingKey>) -> Digest {
    let mut h = Sha256::new();
    h.update(TAG_REGISTRY);
    h.update((bidders.len() as u32).to_be_bytes());
    for (id, key) in bidders {
        put_str(&mut h, &id.0);
        h.update(key.as_bytes());
    }
    Digest(h.finalize().into())
}

/// A node's commitment to its seed contribution:
/// `SHA-256(TAG_SEED_COMMIT || auction hash || bid-set digest || node u8 || value)`.
pub fn seed_commitment(
    auction_hash: &Digest,
    bid_set: &Digest,
    node: u8,
    value: &[u8; 32],
) -> Digest {
    let mut h = Sha256::new();
    h.update(TAG_SEED_COMMIT);
    h.update(auction_hash.0);
    h.update(bid_set.0);
    h.update([node]);
    h.update(value);
    Digest(h.finalize().into())
}

/// The seed: `SHA-256(r0 || r1 || r2)`, the revealed values in node order.
pub fn seed_from_reveals(reveals: &[[u8; 32]; 3]) -> [u8; 32] {
    let mut h = Sha256::new();
    for r in reveals {
        h.update(r);
    }
    h.finalize().into()
}

/// The message each node signs over an outcome: `TAG_OUTCOME || auction hash
/// || bid-set digest || seed (32 bytes) || auction id || price flag u8 (0: no
/// trade, 1: price u32be follows) || volume u64be || allocation count u32be ||
/// per allocation: bidder || bought u64be || sold u64be || exclusion count
/// u32be || per exclusion: bidder || reason`.
pub fn outcome_message(
    auction_hash: &Digest,
    bid_set: &Digest,
    outcome: &Outcome,
) -> Result<Vec<u8>, WireError> {
    let seed: [u8; 32] = fixed_hex("seed", &outcome.seed)?;
    let mut m = TAG_OUTCOME.to_vec();
    m.extend_from_slice(&auction_hash.0);
    m.extend_from_slice(&bid_set.0);
    m.extend_from_slice(&seed);
    put_str_vec(&mut m, &outcome.auction);
    match outcome.price {
        None => m.push(0),
        Some(p) => {
            m.push(1);
            m.extend_from_slice(&p.0.to_be_bytes());
        }
    }
    m.extend_from_slice(&outcome.volume.0.to_be_bytes());
    m.extend_from_slice(&(outcome.allocations.len() as u32).to_be_bytes());
    for Allocation {
        bidder,
        bought,
        sold,
    } in &outcome.allocations
    {
        put_str_vec(&mut m, &bidder.0);
        m.extend_from_slice(&bought.0.to_be_bytes());
        m.extend_from_slice(&sold.0.to_be_bytes());
    }
    m.extend_from_slice(&(outcome.excluded.len() as u32).to_be_bytes());
    for Exclusion { bidder, reason } in &outcome.excluded {
        put_str_vec(&mut m, &bidder.0);
        put_str_vec(&mut m, reason);
    }
    Ok(m)
}

/// One node's signature on the outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSignature {
    /// The node index.
    pub node: u8,
    /// Its signature over [`outcome_message`].
    pub signature: Sig,
}

/// A node's seed contribution, published after the clearing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedReveal {
    /// The node index.
    pub node: u8,
    /// Its commitment, [`seed_commitment`].
    pub commitment: Digest,
    /// The value it committed to, 64 hex digits.
    pub value: Digest,
}

/// The published result: the outcome and everything needed to check it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBundle {
    /// [`FORMAT`].
    pub format: u32,
    /// The auction hash: SHA-256 of the auction's terms
    /// ([`crate::auction_file::terms_message`]).
    pub auction_hash: Digest,
    /// The agreed bid set, in bidder-id order.
    pub bid_set: Vec<BidSetEntry>,
    /// [`bid_set_digest`] of `bid_set`.
    pub bid_set_digest: Digest,
    /// The three seed contributions, in node order.
    pub seed_reveals: Vec<SeedReveal>,
    /// The outcome in the spec's form (its `seed` is the seed).
    pub outcome: Outcome,
    /// The nodes' signatures over [`outcome_message`], in node order.
    pub signatures: Vec<NodeSignature>,
}

impl OutcomeBundle {
    /// The message every node signs.
    pub fn message(&self) -> Result<Vec<u8>, WireError> {
        outcome_message(&self.auction_hash, &self.bid_set_digest, &self.outcome)
    }

    /// Every bid of the set whose bidder is not registered in `bidders` or
    /// whose signature does not verify with the registered key, described.
    pub fn bidder_signature_failures(
        &self,
        bidders: &BTreeMap<BidderId, VerifyingKey>,
    ) -> Vec<String> {
        self.bid_set
            .iter()
            .filter_map(|e| match bidders.get(&e.bidder) {
                None => Some(format!(
                    "bidder {} in the bid set is not registered",
                    e.bidder
                )),
                Some(key) => e.verify(&self.outcome.auction, key).err(),
            })
            .collect()
    }

    /// Checks the bundle's internal consistency, every bidder's signature
    /// against the registry `bidders` and all three node signatures against
    /// the nodes' keys (index order). Returns what failed.
    pub fn verify(
        &self,
        node_keys: &[VerifyingKey; 3],
        bidders: &BTreeMap<BidderId, VerifyingKey>,
    ) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "bundle format {}, this code reads {FORMAT}",
                self.format
            ));
        }
        if bid_set_digest(&self.bid_set) != self.bid_set_digest {
            return Err("bid-set digest does not match the bid set".into());
        }
        if let Some(e) = self.bidder_signature_failures(bidders).into_iter().next() {
            return Err(e);
        }
        if self.seed_reveals.len() != 3 {
            return Err(format!(
                "{} seed reveals, expected 3",
                self.seed_reveals.len()
            ));
        }
        let mut values = [[0u8; 32]; 3];
        for (i, r) in self.seed_reveals.iter().enumerate() {
            if r.node as usize != i {
                return Err(format!("seed reveal {i} is for node {}", r.node));
            }
            if seed_commitment(&self.auction_hash, &self.bid_set_digest, r.node, &r.value.0)
                != r.commitment
            {
                return Err(format!(
                    "seed reveal of node {i} does not open its commitment"
                ));
            }
            values[i] = r.value.0;
        }
        if hex::encode(seed_from_reveals(&values)) != self.outcome.seed {
            return Err("seed is not the hash of the three revealed values".into());
        }
        let m = self.message().map_err(|e| e.to_string())?;
        if self.signatures.len() != 3 {
            return Err(format!("{} signatures, expected 3", self.signatures.len()));
        }
        for (i, s) in self.signatures.iter().enumerate() {
            if s.node as usize != i {
                return Err(format!("signature {i} is from node {}", s.node));
            }
            node_keys[i]
                .verify_strict(&m, &s.signature.0)
                .map_err(|_| format!("signature of node {i} does not verify"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Order, Price, Quantity, Volume};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn params() -> AuctionParams {
        AuctionParams {
            id: "beet-2008".into(),
            max_price: 100_000,
            max_quantity: 1_000_000,
            max_orders_per_side: 2,
        }
    }

    fn bid() -> Bid {
        Bid {
            bidder: BidderId("farmer-0001".into()),
            buy: vec![Order {
                price: Price(70_000),
                quantity: Quantity(100),
            }],
            sell: vec![
                Order {
                    price: Price(90_000),
                    quantity: Quantity(5),
                },
                Order {
                    price: Price(95_000),
                    quantity: Quantity(7),
                },
            ],
        }
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    #[test]
    fn layout_interleaves_price_and_quantity_and_pads() {
        let v = layout(&bid(), 2).unwrap();
        assert_eq!(v, vec![70_000, 100, 0, 0, 90_000, 5, 95_000, 7]);
        let e = layout(&bid(), 1).unwrap_err();
        assert!(e.to_string().contains("sell side has 2 orders"), "{e}");
    }

    #[test]
    fn submissions_verify_and_reconstruct() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let subs = prepare_submissions(&params(), &bid(), 3, &key(), &mut rng).unwrap();
        for (i, s) in subs.iter().enumerate() {
            s.verify(&params(), i as u8, &key().verifying_key())
                .unwrap();
            let json = serde_json::to_string(s).unwrap();
            let back: Submission = serde_json::from_str(&json).unwrap();
            assert_eq!(back.bundle, s.bundle);
            back.verify(&params(), i as u8, &key().verifying_key())
                .unwrap();
            // replicated: node i's next is node i+1's own
            assert_eq!(s.bundle.next, subs[(i + 1) % 3].bundle.own);
        }
        let sum: Vec<u64> = (0..8)
            .map(|j| {
                subs[0].bundle.own[j]
                    .wrapping_add(subs[1].bundle.own[j])
                    .wrapping_add(subs[2].bundle.own[j])
            })
            .collect();
        assert_eq!(sum, layout(&bid(), 2).unwrap());
    }

    #[test]
    fn every_tampering_is_caught() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let subs = prepare_submissions(&params(), &bid(), 3, &key(), &mut rng).unwrap();
        let vk = key().verifying_key();
        let mut s = subs[1].clone();
        s.bundle.own[0] ^= 1;
        assert_eq!(
            s.verify(&params(), 1, &vk),
            Err(WireError::CommitmentMismatch { node: 1 })
        );
        // The salt is part of what the commitment binds.
        let mut s = subs[1].clone();
        s.bundle.salt.0[0] ^= 1;
        assert_eq!(
            s.verify(&params(), 1, &vk),
            Err(WireError::CommitmentMismatch { node: 1 })
        );
        let mut s = subs[1].clone();
        s.version = 4;
        assert!(matches!(
            s.verify(&params(), 1, &vk),
            Err(WireError::BadSignature(_))
        ));
        assert!(matches!(
            subs[1].verify(&params(), 2, &vk),
            Err(WireError::WrongNode { .. })
        ));
        let mut s = subs[0].clone();
        s.bundle.next.pop();
        assert!(matches!(
            s.verify(&params(), 0, &vk),
            Err(WireError::Shape {
                component: "next",
                got: 7,
                ..
            })
        ));
        let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
        assert!(matches!(
            subs[0].verify(&params(), 0, &other),
            Err(WireError::BadSignature(_))
        ));
    }

    #[test]
    fn hex_is_lower_case_only() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let subs = prepare_submissions(&params(), &bid(), 3, &key(), &mut rng).unwrap();
        let good = serde_json::to_value(&subs[0]).unwrap();
        for field in ["signature", "bundle.salt", "bundle.own", "commitments.0"] {
            let mut v = good.clone();
            let slot = field
                .split('.')
                .fold(&mut v, |v, k| match k.parse::<usize>() {
                    Ok(i) => &mut v[i],
                    Err(_) => &mut v[k],
                });
            let upper = slot.as_str().unwrap().to_uppercase();
            assert_ne!(upper, slot.as_str().unwrap(), "{field} has letters");
            *slot = upper.into();
            let e = serde_json::from_value::<Submission>(v).unwrap_err();
            assert!(e.to_string().contains("upper-case digit"), "{field}: {e}");
        }
    }

    #[test]
    fn receipt_round_trip() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let subs = prepare_submissions(&params(), &bid(), 1, &key(), &mut rng).unwrap();
        let node = SigningKey::from_bytes(&[9u8; 32]);
        let r = Receipt::sign(&subs[2], Digest([1; 32]), &node);
        assert!(r.verify(&node.verifying_key()));
        let mut r2 = r.clone();
        r2.version = 2;
        assert!(!r2.verify(&node.verifying_key()));
    }

    #[test]
    fn outcome_bundle_verifies() {
        let keys: [SigningKey; 3] =
            std::array::from_fn(|i| SigningKey::from_bytes(&[i as u8 + 20; 32]));
        let ah = Digest([5; 32]);
        let bidder_key = key();
        let commitments = [Digest([1; 32]); 3];
        let bid_set = vec![BidSetEntry {
            bidder: BidderId("a".into()),
            version: 1,
            commitments,
            signature: Some(Sig(bidder_key.sign(&bid_message(
                "x",
                &BidderId("a".into()),
                1,
                &commitments,
            )))),
        }];
        let registry = BTreeMap::from([(BidderId("a".into()), bidder_key.verifying_key())]);
        let bsd = bid_set_digest(&bid_set);
        let values: [[u8; 32]; 3] = std::array::from_fn(|i| [i as u8; 32]);
        let reveals = (0..3)
            .map(|i| SeedReveal {
                node: i as u8,
                commitment: seed_commitment(&ah, &bsd, i as u8, &values[i]),
                value: Digest(values[i]),
            })
            .collect();
        let outcome = Outcome {
            auction: "x".into(),
            price: Some(Price(15)),
            volume: Volume(5),
            seed: hex::encode(seed_from_reveals(&values)),
            allocations: vec![Allocation {
                bidder: BidderId("a".into()),
                bought: Volume(5),
                sold: Volume(5),
            }],
            excluded: vec![],
        };
        let mut b = OutcomeBundle {
            format: FORMAT,
            auction_hash: ah,
            bid_set,
            bid_set_digest: bsd,
            seed_reveals: reveals,
            outcome,
            signatures: vec![],
        };
        let m = b.message().unwrap();
        b.signatures = (0..3)
            .map(|i| NodeSignature {
                node: i as u8,
                signature: Sig(keys[i].sign(&m)),
            })
            .collect();
        let vks = keys.each_ref().map(|k| k.verifying_key());
        b.verify(&vks, &registry).unwrap();
        let json = serde_json::to_string(&b).unwrap();
        let back: OutcomeBundle = serde_json::from_str(&json).unwrap();
        back.verify(&vks, &registry).unwrap();
        let mut bad = b.clone();
        bad.outcome.allocations[0].bought = Volume(4);
        assert!(bad.verify(&vks, &registry).unwrap_err().contains("node 0"));
        // A bidder signature from another key fails, and so does an
        // unregistered bidder.
        let other = BTreeMap::from([(
            BidderId("a".into()),
            SigningKey::from_bytes(&[8u8; 32]).verifying_key(),
        )]);
        assert!(
            b.verify(&vks, &other)
                .unwrap_err()
                .contains("signature of bidder a")
        );
        assert!(
            b.verify(&vks, &BTreeMap::new())
                .unwrap_err()
                .contains("not registered")
        );
    }
}
