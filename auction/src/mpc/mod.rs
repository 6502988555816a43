//! The clearing as a three-party program on secret-shared bids.
//!
//! [`clear`] is what each of the three nodes runs: it takes this party's
//! share components of every bid, the public bidder ids, the seed and a
//! [`shares::Party`] (which holds the transport), and returns the outcome of
//! `docs/clearing.md`, equal bit for bit to [`crate::reference`].
//! The steps, their formulas and why they are right are in [`ideal`], the
//! plaintext twin that runs the same algorithm in the clear.
//!
//! # What is opened
//!
//! Every opening passes the engine's one choke point with a label. In a whole
//! clearing of `N` bids in the computation, of which `N_v` are valid, with
//! `n = 2 K N_v` valid order slots and `w` bits in the price key (enough for
//! `0..=max_price`), exactly these values are opened, all to all three
//! parties, in this order (the sort's interleaved as the row says):
//!
//! | label | count | when | what |
//! | --- | --- | --- | --- |
//! | [`LABEL_VALIDITY`] | `N` | `N > 0`, `K > 0` | one validity bit per bid: the published output "excluded, reason `invalid bid`" (nothing more about an invalid bid is computed); at the semi-honest level opened as one masked word per bid, zero exactly when the bid is valid and otherwise uniformly random ([`validation`]) |
//! | `sort: positions by one digit under a fresh secret shuffle …` | `n`, `ceil(w / d)` times (`d` = 4, or 3 above 2^18 slots and at the abort level) | `n > 0`, `w > 0` | masked: each digit's stable positions composed with a fresh secret shuffle, a uniformly random permutation |
//! | `sort: original indices in sorted order under a fresh secret shuffle …` | `n` | `n > 0`, `w > 0` | masked: the inverse sorting permutation composed with a fresh secret shuffle, a uniformly random permutation |
//! | `sort: the next digit's bits XOR fresh random bits …` | `n`, for the digits [`shares::sort::masked_digits`] names (only at the abort level below about 50,000 slots: all digits but the first of each group, groups of four digits on the sugar-beet market), each right after the positions opening before it | `n > 0`, `w > 0` | masked: a digit of each slot, in the order of the fresh secret shuffle before it, XOR a fresh random digit no party knows, uniformly random |
//! | [`LABEL_VOLUME`] | 1 | `n > 0` | `V*`; zero means no trade |
//! | [`LABEL_PRICE`] | 1 | `V* > 0` | `p*` |
//! | [`LABEL_ALLOCATION`] | `2 N_v` | `V* > 0` | each valid bid's bought and sold totals (opened mod `2^(8 b)`, `b` the fewest bytes that hold `K max_quantity`, which no total exceeds) |
//!
//! The published outputs are the validity bits, `V*`, `p*` and the
//! allocations; the sort's openings are masked values. Nothing else is
//! opened: with no valid order slot the outcome (no trade) follows from the
//! validity bits. Bids with more than K orders on a side cannot be laid out
//! in K slots, so they are excluded before the computation (also as
//! `invalid bid`) and are not among the `N`. `tests/mpc_leakage.rs` checks
//! this list, in number and kind, on every clearing it runs.

pub mod bitvec;
pub mod deal;
pub mod fills;
pub mod ideal;
pub mod layout;
pub mod price;
pub mod validation;

use crate::validate::INVALID_BID;
use crate::{Allocation, AuctionParams, BidderId, Exclusion, Outcome, Price, Seed, Side, Volume};
use shares::{ArithShares, Party, Transport};
use std::time::Instant;

/// This party's components of one bid's `4K` ring values, in the layout of
/// `auction::wire`: for slot `0..K` the buy price and quantity, then for slot
/// `0..K` the sell price and quantity (padding: price 0, quantity 0).
/// Party `i` holds components `i` (`own`) and `i + 1` (`next`).
#[derive(Clone, PartialEq, Eq)]
pub struct BidShares {
    /// Component `i` of every value.
    pub own: Vec<u64>,
    /// Component `i + 1` of every value.
    pub next: Vec<u64>,
}

impl Drop for BidShares {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.own);
        zeroize::Zeroize::zeroize(&mut self.next);
    }
}

impl std::fmt::Debug for BidShares {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BidShares {{ values: {} }}", self.own.len())
    }
}

/// Everything one party brings to the clearing.
#[derive(Clone, Debug)]
pub struct PartyInput {
    /// The auction's public parameters.
    pub params: AuctionParams,
    /// The priority seed, drawn after bidding closed.
    pub seed: Seed,
    /// The bidders whose shares are in the computation (public).
    pub bidders: Vec<BidderId>,
    /// This party's shares of each bidder's bid, in the order of `bidders`.
    pub shares: Vec<BidShares>,
    /// Bids excluded before the computation, published as given.
    pub excluded: Vec<Exclusion>,
}

/// Why a clearing could not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum ClearingError {
    /// The engine failed (transport error, timeout, a peer's bad message).
    #[error("three-party engine: {0}")]
    Engine(#[from] shares::Error),
    /// `bidders` and `shares` differ in length.
    #[error("{bidders} bidders but {shares} share bundles")]
    Count {
        /// Bidders listed.
        bidders: usize,
        /// Share bundles given.
        shares: usize,
    },
    /// A bid's shares do not have `4K` values.
    #[error(
        "bidder {bidder}: share component {component} holds {got} values, expected {expected} (4 x K = 4 x {k})"
    )]
    Shape {
        /// The bidder.
        bidder: BidderId,
        /// `own` or `next`.
        component: &'static str,
        /// Values given.
        got: usize,
        /// `4K`.
        expected: usize,
        /// K.
        k: u32,
    },
    /// The market is too large for the ring: volumes could reach `2^62`.
    #[error("{slots} order slots of up to {max_quantity} units can exceed 2^62 units in all")]
    TooLarge {
        /// Order slots in the computation.
        slots: usize,
        /// The auction's `max_quantity`.
        max_quantity: u32,
    },
    /// An opened figure is impossible: the parties' shares disagree.
    #[error("opened {what} {value} is impossible (limit {limit}): inconsistent shares")]
    Inconsistent {
        /// Which figure.
        what: &'static str,
        /// Its opened value.
        value: u64,
        /// Its largest possible value.
        limit: u64,
    },
}

/// Time and traffic of one phase, at this party.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    /// `validation`, `sort`, `price`, `fills` or `allocations`.
    pub name: &'static str,
    /// Wall time.
    pub seconds: f64,
    /// Bytes this party sent.
    pub bytes_sent: u64,
    /// Communication rounds.
    pub rounds: u64,
}

/// What a clearing cost, phase by phase, at this party.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClearingReport {
    /// The phases in order; a phase that did not run (no trade: fills and
    /// allocations) is absent.
    pub phases: Vec<Phase>,
}

struct Clock {
    start: Instant,
    stats: shares::Stats,
}

impl Clock {
    fn start<T: Transport>(party: &Party<T>) -> Clock {
        Clock {
            start: Instant::now(),
            stats: party.stats(),
        }
    }

    fn stop<T: Transport>(self, party: &Party<T>, name: &'static str, report: &mut ClearingReport) {
        let d = party.stats() - self.stats;
        report.phases.push(Phase {
            name,
            seconds: self.start.elapsed().as_secs_f64(),
            bytes_sent: d.bytes_sent,
            rounds: d.rounds,
        });
    }
}

/// Where a clearing stands, as reported to an observer (`clear_observed`).
///
/// The same steps are reported in the same order on every clearing of the
/// same auction, whatever the bids: the sort reports one pass per bit of the
/// price key (fixed by `max_price`), and `Fills` and `Allocations` are
/// reported also when nothing trades. So an observer, and whoever it shows
/// the steps to, learns from them nothing about the bids or the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Checking every bid's range, one validity bit per bid.
    Validation,
    /// Sorting the order slots by price: pass `pass` of `passes` (one per
    /// key bit), counted from 1.
    Sort {
        /// The pass beginning, from 1.
        pass: usize,
        /// Passes in all.
        passes: usize,
    },
    /// Demand, supply and the clearing price.
    Price,
    /// The fills of the orders in priority order.
    Fills,
    /// Fills back to the bids and summed per bidder.
    Allocations,
    /// The outcome is assembled.
    Done,
}

impl Progress {
    /// A short stable name: `validation`, `sort`, `price`, `fills`,
    /// `allocations`, `done`.
    pub fn name(&self) -> &'static str {
        match self {
            Progress::Validation => "validation",
            Progress::Sort { .. } => "sort",
            Progress::Price => "price",
            Progress::Fills => "fills",
            Progress::Allocations => "allocations",
            Progress::Done => "done",
        }
    }
}

/// Clears the auction on this party's shares; all three parties call it
/// with their own inputs and get the same outcome.
pub fn clear<T: Transport>(
    party: &mut Party<T>,
    input: &PartyInput,
) -> Result<Outcome, ClearingError> {
    Ok(clear_with_report(party, input)?.0)
}

/// [`clear`], telling `observe` each step as it begins (see [`Progress`]).
pub fn clear_observed<T: Transport>(
    party: &mut Party<T>,
    input: &PartyInput,
    observe: &dyn Fn(Progress),
) -> Result<Outcome, ClearingError> {
    Ok(clear_inner(party, input, observe)?.0)
}

fn bits_of(x: u128) -> usize {
    (128 - x.leading_zeros()) as usize
}

/// [`clear`], also returning the time and traffic of each phase.
pub fn clear_with_report<T: Transport>(
    party: &mut Party<T>,
    input: &PartyInput,
) -> Result<(Outcome, ClearingReport), ClearingError> {
    clear_inner(party, input, &|_| {})
}

fn clear_inner<T: Transport>(
    party: &mut Party<T>,
    input: &PartyInput,
    observe: &dyn Fn(Progress),
) -> Result<(Outcome, ClearingReport), ClearingError> {
    let cleared = clear_steps(party, input, observe)?;
    // At the abort level, no party returns an outcome unless both others
    // passed every check (see `Party::conclude`).
    party.conclude()?;
    Ok(cleared)
}

fn clear_steps<T: Transport>(
    party: &mut Party<T>,
    input: &PartyInput,
    observe: &dyn Fn(Progress),
) -> Result<(Outcome, ClearingReport), ClearingError> {
    let params = &input.params;
    let k = params.max_orders_per_side as usize;
    let per_bid = 4 * k;
    if input.bidders.len() != input.shares.len() {
        return Err(ClearingError::Count {
            bidders: input.bidders.len(),
            shares: input.shares.len(),
        });
    }
    for (bidder, s) in input.bidders.iter().zip(&input.shares) {
        for (component, v) in [("own", &s.own), ("next", &s.next)] {
            if v.len() != per_bid {
                return Err(ClearingError::Shape {
                    bidder: bidder.clone(),
                    component,
                    got: v.len(),
                    expected: per_bid,
                    k: params.max_orders_per_side,
                });
            }
        }
    }
    let bids = input.bidders.len();
    let mut report = ClearingReport::default();
    let me = party.id();

    // 1. Validation.
    observe(Progress::Validation);
    let clock = Clock::start(party);
    let values = ArithShares::from_components(
        input
            .shares
            .iter()
            .flat_map(|s| s.own.iter().copied())
            .collect(),
        input
            .shares
            .iter()
            .flat_map(|s| s.next.iter().copied())
            .collect(),
    );
    let checks = if k == 0 {
        vec![true; bids]
    } else {
        validation::validate(party, params, &values, bids)?
    };
    clock.stop(party, "validation", &mut report);

    // 2. Lay the valid slots out in the public pre-order, then sort them by
    // price carrying breakpoint and quantities.
    let clock = Clock::start(party);
    let valid: Vec<u32> = (0..bids as u32).filter(|&b| checks[b as usize]).collect();
    let order = layout::preorder(
        &input.seed,
        &input.bidders,
        &valid,
        params.max_orders_per_side,
    );
    let n = order.len();
    let max_q = u128::from(params.max_quantity);
    let w_volume = bits_of(n as u128 * max_q) + 2;
    if w_volume > 64 {
        return Err(ClearingError::TooLarge {
            slots: n,
            max_quantity: params.max_quantity,
        });
    }
    let mut bought = vec![0u64; bids];
    let mut sold = vec![0u64; bids];
    let key_bits = layout::key_bits(params.max_price) as usize;
    if n == 0 {
        // No valid order slot: no trade, and everyone knows it already.
        // The observer still sees every step, as in any other clearing.
        for pass in 1..=key_bits {
            observe(Progress::Sort {
                pass,
                passes: key_bits,
            });
        }
        for p in [
            Progress::Price,
            Progress::Fills,
            Progress::Allocations,
            Progress::Done,
        ] {
            observe(p);
        }
        let outcome = assemble_outcome(
            params,
            &input.seed,
            &input.bidders,
            &checks,
            0,
            None,
            &bought,
            &sold,
            input.excluded.clone(),
        );
        return Ok((outcome, report));
    }

    let at = |s: &layout::SlotRef| {
        let (pi, qi) = layout::value_index(k, s.side, s.slot as usize);
        (s.bid as usize * per_bid + pi, s.bid as usize * per_bid + qi)
    };
    let p_idx: Vec<usize> = order.iter().map(|s| at(s).0).collect();
    let q_idx: Vec<usize> = order.iter().map(|s| at(s).1).collect();
    let is_buy: Vec<u64> = order
        .iter()
        .map(|s| u64::from(s.side == Side::Buy))
        .collect();
    let p = values.gather(&p_idx);
    let q = values.gather(&q_idx);
    // The bids' values are in the slot columns now.
    drop((values, p_idx, q_idx));
    let mut b = p.clone();
    b.add_public_assign(me, &is_buy);
    let qb = times_public(&q, &is_buy);
    let qs = times_public(&q, &is_buy.iter().map(|x| 1 - x).collect::<Vec<_>>());
    let perm = if key_bits > 0 {
        Some(shares::sort::sorting_permutation_observed(
            party,
            &p,
            key_bits,
            &mut |pass, passes| observe(Progress::Sort { pass, passes }),
        )?)
    } else {
        None
    };
    // The slot columns are dropped as soon as their sorted copies exist: the
    // price step that follows is the clearing's peak of memory.
    drop((p, q));
    let sorted = match &perm {
        Some(perm) => {
            let sorted = perm.apply(party, &[&b, &qb, &qs])?;
            drop((b, qb, qs));
            sorted
        }
        None => vec![b, qb, qs],
    };
    let max_price = u64::from(params.max_price);
    // Each sorted column is dropped once it is copied between its ends.
    let with_ends = |col: ArithShares, last: u64| {
        ArithShares::concat(&[
            &ArithShares::zeros(1),
            &col,
            &ArithShares::public(me, &[last]),
        ])
    };
    let [sb, sqb, sqs]: [ArithShares; 3] = sorted.try_into().expect("three columns");
    let ev = price::Events {
        b: with_ends(sb, max_price + 1),
        qb: with_ends(sqb, 0),
        qs: with_ends(sqs, 0),
    };
    clock.stop(party, "sort", &mut report);

    // 3. Price.
    observe(Progress::Price);
    let clock = Clock::start(party);
    let curves = price::curves(party, &ev);
    let widths = price::Widths {
        volume: w_volume,
        price: bits_of(u128::from(max_price) + 2) + 1,
        price_sum: bits_of(2 * u128::from(max_price)),
    };
    let figures = price::find_price(party, params.max_price, &ev, &curves, widths)?;
    let volume = party.open_arith(LABEL_VOLUME, &figures.volume)?[0];
    let total_limit = (n as u128 * max_q).min(u128::from(u64::MAX)) as u64;
    if volume > total_limit {
        return Err(ClearingError::Inconsistent {
            what: "volume",
            value: volume,
            limit: total_limit,
        });
    }
    let price = if volume > 0 {
        let p = party.open_arith(LABEL_PRICE, &figures.price)?[0];
        if p > max_price {
            return Err(ClearingError::Inconsistent {
                what: "price",
                value: p,
                limit: max_price,
            });
        }
        Some(p)
    } else {
        None
    };
    clock.stop(party, "price", &mut report);

    observe(Progress::Fills);
    if volume > 0 {
        // 4. Fills in sorted order.
        let clock = Clock::start(party);
        let f = fills::fills(party, volume, &curves, w_volume)?;
        clock.stop(party, "fills", &mut report);

        // 5. Back to the slots, summed per bid. A bid's allocation on one
        // side is at most K fills of at most max_quantity each: the fills
        // only matter, travel and are opened in the bytes that hold that.
        observe(Progress::Allocations);
        let clock = Clock::start(party);
        let most = u128::from(params.max_orders_per_side) * max_q;
        let alloc_bytes = bits_of(most).div_ceil(8).clamp(1, 8);
        let f = match &perm {
            Some(perm) => perm
                .undo_mod(party, &[&f], alloc_bytes)?
                .pop()
                .expect("one column"),
            None => f,
        };
        let (fo, fnx) = f.components();
        let mut own = vec![0u64; 2 * valid.len()];
        let mut next = vec![0u64; 2 * valid.len()];
        let mut row = vec![usize::MAX; bids];
        for (r, &v) in valid.iter().enumerate() {
            row[v as usize] = r;
        }
        for (t, s) in order.iter().enumerate() {
            let at = 2 * row[s.bid as usize] + usize::from(s.side == Side::Sell);
            own[at] = own[at].wrapping_add(fo[t]);
            next[at] = next[at].wrapping_add(fnx[t]);
        }
        let opened = party.open_arith_mod(
            LABEL_ALLOCATION,
            &ArithShares::from_components(own, next),
            alloc_bytes,
        )?;
        for (r, &v) in valid.iter().enumerate() {
            bought[v as usize] = opened[2 * r];
            sold[v as usize] = opened[2 * r + 1];
        }
        clock.stop(party, "allocations", &mut report);
    } else {
        observe(Progress::Allocations);
    }
    observe(Progress::Done);
    let outcome = assemble_outcome(
        params,
        &input.seed,
        &input.bidders,
        &checks,
        volume,
        price,
        &bought,
        &sold,
        input.excluded.clone(),
    );
    Ok((outcome, report))
}

/// Element-wise product with public values (local).
fn times_public(x: &ArithShares, c: &[u64]) -> ArithShares {
    let (o, n) = x.components();
    ArithShares::from_components(
        o.iter().zip(c).map(|(a, b)| a.wrapping_mul(*b)).collect(),
        n.iter().zip(c).map(|(a, b)| a.wrapping_mul(*b)).collect(),
    )
}

/// Label of the per-bid validity bits.
pub const LABEL_VALIDITY: &str = "clearing/validity";
/// Label of the volume `V*`.
pub const LABEL_VOLUME: &str = "clearing/volume";
/// Label of the clearing price `p*`.
pub const LABEL_PRICE: &str = "clearing/price";
/// Label of the allocations (bought, sold per valid bid).
pub const LABEL_ALLOCATION: &str = "clearing/allocation";

/// Builds the published outcome from the opened values: every valid bid's
/// allocation (sorted by bidder id) and every exclusion, those given and
/// those found invalid, the latter as [`INVALID_BID`] (sorted by bidder id).
#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble_outcome(
    params: &AuctionParams,
    seed: &Seed,
    bidders: &[BidderId],
    valid: &[bool],
    volume: u64,
    price: Option<u64>,
    bought: &[u64],
    sold: &[u64],
    mut excluded: Vec<Exclusion>,
) -> Outcome {
    let mut allocations = Vec::new();
    for (i, bidder) in bidders.iter().enumerate() {
        if valid[i] {
            allocations.push(Allocation {
                bidder: bidder.clone(),
                bought: Volume(bought[i]),
                sold: Volume(sold[i]),
            });
        } else {
            excluded.push(Exclusion {
                bidder: bidder.clone(),
                reason: INVALID_BID.to_string(),
            });
        }
    }
    allocations.sort_by(|a, b| a.bidder.cmp(&b.bidder));
    excluded.sort_by(|a, b| a.bidder.cmp(&b.bidder));
    Outcome {
        auction: params.id.clone(),
        // p* is in 0..=max_price whenever V* > 0.
        price: price.map(|p| Price(p as u32)),
        volume: Volume(volume),
        seed: seed.to_hex(),
        allocations,
        excluded,
    }
}
