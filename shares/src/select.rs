//! Oblivious selection (multiplexer): `c ? a : b = b + c (a - b)`, and the
//! product of a shared bit and a shared value ([`bit_times_many`]) it rests
//! on: two rounds, 5 elements sent in total per product (ABY3's bit
//! injection and multiplication, fused).
//!
//! With [`Security::Abort`], [`bit_times_many`] uses multiplications only
//! (party 0's message above is a value it alone computes, which no check
//! could tell from another): with `c01 = c0 ^ c1 = c0 + c1 - 2 c0 c1`,
//! `c a = c01 (a - 2 c2 a) + c2 a`. One round multiplies the
//! single-component sharings `[c0] [c1]` and `[c2] a`, a second one `c01`
//! by `a - 2 c2 a`: still two rounds, 9 elements sent in total per product
//! instead of 5. A call of more products than the ledger holds goes in
//! chunks of two rounds each, verified between them.

use crate::convert::component_sharings;
use crate::mul::{Shape, mul_ring, mul_shaped};
use crate::share::{ArithShares, BitShares};
use crate::transport::{Tag, Transport};
use crate::{Party, PartyId, Result, Security};
use std::ops::Range;

/// `c[k] ? a[k] : b[k]` element-wise.
pub fn select<T: Transport>(
    party: &mut Party<T>,
    c: &BitShares,
    a: &ArithShares,
    b: &ArithShares,
) -> Result<ArithShares> {
    Party::<T>::check_len("select", a.len(), b.len())?;
    Party::<T>::check_len("select condition", c.len(), a.len())?;
    let d = a.sub(b);
    let prod = bit_times_many(party, &[(c, &d)])?
        .pop()
        .expect("one product");
    Ok(b.add(&prod))
}

/// `c[k] * a[k]` for a shared bit and a shared value.
pub fn bit_times<T: Transport>(
    party: &mut Party<T>,
    c: &BitShares,
    a: &ArithShares,
) -> Result<ArithShares> {
    Ok(bit_times_many(party, &[(c, a)])?
        .pop()
        .expect("one product"))
}

/// `c[k] * a[k]` for many pairs of a shared bit vector and a shared value
/// vector of the same length, all in two rounds.
///
/// With `c = c01 ^ c2` (party 0 knows `c01 = c0 ^ c1`, parties 1 and 2
/// know `c2`), `c a = (c01 ^ c2) (a0 + a1) + (c01 ^ c2) a2`. Party 0 sends
/// party 1 `c01 - r` and `c01 (a0 + a1) - r'`, masked with `r`, `r'` from
/// `K_0`, which party 1 lacks. After that message each party holds one
/// additive term of `c a`:
///
/// - party 0: `c01 (a0 + a1)`;
/// - party 1: `(c01 - r)(1 - 2 c2) a2 + c2 a2 + c2 a1 - 2 c2 (c01 (a0 + a1) - r')`;
/// - party 2: `r (1 - 2 c2) a2 + c2 a0 - 2 c2 r'`;
///
/// and one reshare with a fresh zero-sharing (as in a multiplication)
/// makes them a replicated sharing. Party 0 sends two elements per product
/// to party 1, then every party one.
pub fn bit_times_many<T: Transport>(
    party: &mut Party<T>,
    pairs: &[(&BitShares, &ArithShares)],
) -> Result<Vec<ArithShares>> {
    for (c, a) in pairs {
        Party::<T>::check_len("bit_times", c.len(), a.len())?;
    }
    let lens: Vec<usize> = pairs.iter().map(|(_, a)| a.len()).collect();
    if party.security() == Security::Abort {
        return bit_times_by_products(party, pairs, CHUNK);
    }
    let n: usize = lens.iter().sum();
    // Bit `e` of a packed vector as a ring element.
    let bit = |w: &[u64], e: usize| (w[e / 64] >> (e % 64)) & 1;
    // Every pair's terms go straight into its own output vector: no
    // concatenated copies of the inputs, no unpacked bit vectors.
    let me = party.id().index();
    let mut t: Vec<Vec<u64>> = Vec::with_capacity(pairs.len());
    match me {
        0 => {
            // msg = (c01 - r, c01 (a0 + a1) - r'), r and r' drawn in place.
            let mut msg = vec![0u64; 2 * n];
            party.prev_prg().fill(&mut msg);
            #[cfg(feature = "planted-leaks")]
            zero_if_planted(party, &mut msg);
            let (mr, mr2) = msg.split_at_mut(n);
            let mut at = 0;
            for (c, a) in pairs {
                let (co, cx) = c.components();
                let (ao, ax) = a.components();
                let mut m = Vec::with_capacity(a.len());
                for e in 0..a.len() {
                    let c01 = bit(co, e) ^ bit(cx, e);
                    let v = c01.wrapping_mul(ao[e].wrapping_add(ax[e]));
                    mr[at] = c01.wrapping_sub(mr[at]);
                    mr2[at] = v.wrapping_sub(mr2[at]);
                    m.push(v);
                    at += 1;
                }
                t.push(m);
            }
            party.send_words(PartyId::new(1).expect("1"), Tag::RESHARE, &msg)?;
        }
        1 => {
            let got = party.recv_words(PartyId::new(0).expect("0"), Tag::RESHARE, 2 * n)?;
            let (u, v) = got.split_at(n);
            let mut at = 0;
            for (c, a) in pairs {
                // c2 = component 2 = next; a1 = own, a2 = next.
                let cx = c.components().1;
                let (ao, ax) = a.components();
                t.push(
                    (0..a.len())
                        .map(|e| {
                            let (c2, k) = (bit(cx, e), at + e);
                            let flip = 1u64.wrapping_sub(c2.wrapping_mul(2));
                            u[k].wrapping_mul(flip)
                                .wrapping_mul(ax[e])
                                .wrapping_add(c2.wrapping_mul(ax[e]))
                                .wrapping_add(c2.wrapping_mul(ao[e]))
                                .wrapping_sub(c2.wrapping_mul(v[k]).wrapping_mul(2))
                        })
                        .collect(),
                );
                at += a.len();
            }
        }
        _ => {
            let mut r = vec![0u64; 2 * n];
            party.next_prg().fill(&mut r);
            #[cfg(feature = "planted-leaks")]
            zero_if_planted(party, &mut r);
            let (r, r2) = r.split_at(n);
            let mut at = 0;
            for (c, a) in pairs {
                // c2 = component 2 = own; a2 = own, a0 = next.
                let co = c.components().0;
                let (ao, ax) = a.components();
                t.push(
                    (0..a.len())
                        .map(|e| {
                            let (c2, k) = (bit(co, e), at + e);
                            let flip = 1u64.wrapping_sub(c2.wrapping_mul(2));
                            r[k].wrapping_mul(flip)
                                .wrapping_mul(ao[e])
                                .wrapping_add(c2.wrapping_mul(ax[e]))
                                .wrapping_sub(c2.wrapping_mul(r2[k]).wrapping_mul(2))
                        })
                        .collect(),
                );
                at += a.len();
            }
        }
    }
    for x in t.iter_mut() {
        party.add_zero_sharing(x);
    }
    let next = party.exchange_parts(&t)?;
    Ok(t.into_iter()
        .zip(next)
        .map(|(own, next)| ArithShares::from_components(own, next))
        .collect())
}

/// Elements [`bit_times_by_products`] multiplies in one go. Each keeps
/// twelve words in the ledger until the next verification (six for the
/// first round's two single-component products, six for the second's), so
/// one chunk fills the ledger about once. A larger call goes chunk after
/// chunk, the ledger verified between them when full: two rounds more per
/// chunk, but the memory of one chunk at a time, not of the whole call (on
/// 2^20 order slots the price step multiplies four million).
const CHUNK: usize = crate::verify::LEDGER_LIMIT / 12;

/// [`bit_times_many`] from multiplications of replicated sharings only:
/// `c a = c01 (a - 2 c2 a) + c2 a` with `c01 = c0 + c1 - 2 c0 c1`, at most
/// `chunk` elements at a time.
fn bit_times_by_products<T: Transport>(
    party: &mut Party<T>,
    pairs: &[(&BitShares, &ArithShares)],
    chunk: usize,
) -> Result<Vec<ArithShares>> {
    // The pairs' elements cut into pieces, in order, `chunk` to a call.
    let mut calls: Vec<Vec<Piece<'_>>> = vec![Vec::new()];
    let mut room = chunk;
    for (pair, &(c, a)) in pairs.iter().enumerate() {
        let mut from = 0;
        while from < a.len() {
            if room == 0 {
                calls.push(Vec::new());
                room = chunk;
            }
            let to = a.len().min(from + room);
            calls.last_mut().expect("a call").push(Piece {
                pair,
                c,
                a,
                range: from..to,
            });
            room -= to - from;
            from = to;
        }
    }
    let mut out: Vec<Vec<ArithShares>> = pairs.iter().map(|_| Vec::new()).collect();
    for pieces in &calls {
        for (piece, prod) in pieces.iter().zip(bit_times_pieces(party, pieces)?) {
            out[piece.pair].push(prod);
        }
    }
    Ok(out
        .into_iter()
        .map(|mut parts| {
            if parts.len() == 1 {
                parts.pop().expect("one part")
            } else {
                ArithShares::concat(&parts.iter().collect::<Vec<_>>())
            }
        })
        .collect())
}

/// A range of one pair of [`bit_times_by_products`].
struct Piece<'a> {
    pair: usize,
    c: &'a BitShares,
    a: &'a ArithShares,
    range: Range<usize>,
}

/// The products of some pieces, in two rounds: one per piece.
fn bit_times_pieces<T: Transport>(
    party: &mut Party<T>,
    pieces: &[Piece<'_>],
) -> Result<Vec<ArithShares>> {
    let lens: Vec<usize> = pieces.iter().map(|p| p.range.len()).collect();
    let n: usize = lens.iter().sum();
    // The bits of the pieces, one ring element each, and their values.
    let (mut own, mut next) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut a_own, mut a_next) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let bit = |w: &[u64], e: usize| (w[e / 64] >> (e % 64)) & 1;
    for p in pieces {
        let ((co, cx), (ao, ax)) = (p.c.components(), p.a.components());
        own.extend(p.range.clone().map(|e| bit(co, e)));
        next.extend(p.range.clone().map(|e| bit(cx, e)));
        a_own.extend_from_slice(&ao[p.range.clone()]);
        a_next.extend_from_slice(&ax[p.range.clone()]);
    }
    let [c0, c1, c2] = component_sharings(party.id().index(), own, next);
    let a = ArithShares::from_components(a_own, a_next);
    // One round: c0 c1 and c2 a (each with a factor of one component).
    let both = mul_shaped(
        party,
        &ArithShares::concat(&[&c0, &c2]),
        &ArithShares::concat(&[&c1, &a]),
        8,
        &[
            (
                n,
                Shape {
                    x: Some(0),
                    y: Some(1),
                },
            ),
            (
                n,
                Shape {
                    x: Some(2),
                    y: None,
                },
            ),
        ],
    )?;
    let mut halves = both.split(&[n, n]).into_iter();
    let (c0c1, c2a) = (
        halves.next().expect("two halves"),
        halves.next().expect("two halves"),
    );
    let c01 = c0.add(&c1).sub(&c0c1.scale(2));
    let prod = mul_ring(party, &c01, &a.sub(&c2a.scale(2)), false)?;
    Ok(prod.add(&c2a).split(&lens))
}

/// The masks of [`bit_times_many`] (`r` then `r'`), zeroed under the
/// planted leak.
#[cfg(feature = "planted-leaks")]
fn zero_if_planted<T: Transport>(party: &Party<T>, masks: &mut [u64]) {
    if party.leaks(crate::leak::Leak::InjectWithoutMask) {
        masks.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemTransport;
    use crate::client::{share_arith, share_bits};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;
    use std::time::Duration;

    /// Pairs cut into chunks of many sizes, across pair boundaries and
    /// inside pairs, with an empty pair and a bit vector in two pairs: the
    /// products of one go, every chunk verified.
    #[test]
    fn products_in_chunks_are_the_products() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let lens = [130usize, 7, 0, 250, 64];
        // Pair k multiplies bit vector `which[k]`.
        let which = [0usize, 1, 2, 3, 4, 0];
        let bits: Vec<Vec<bool>> = lens
            .iter()
            .map(|&n| (0..n).map(|_| rng.r#gen()).collect())
            .collect();
        let values: Vec<Vec<u64>> = which
            .iter()
            .map(|&b| (0..lens[b]).map(|_| rng.r#gen()).collect())
            .collect();
        let packed = |b: &[bool]| {
            let mut w = vec![0u64; b.len().div_ceil(64)];
            for (e, &x) in b.iter().enumerate() {
                w[e / 64] |= u64::from(x) << (e % 64);
            }
            w
        };
        let bit_shares: Vec<_> = bits
            .iter()
            .map(|b| share_bits(&packed(b), &mut rng))
            .collect();
        let value_shares: Vec<_> = values.iter().map(|v| share_arith(v, &mut rng)).collect();
        let keys = [[1u8; 16], [2u8; 16], [3u8; 16]];
        for chunk in [1, 63, 64, 100, 451, 1000] {
            let opened: Vec<Vec<Vec<u64>>> = std::thread::scope(|s| {
                let hs: Vec<_> = MemTransport::triple(Duration::from_secs(10))
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let (bit_shares, value_shares) = (&bit_shares, &value_shares);
                        let (lens, which) = (&lens, &which);
                        s.spawn(move || {
                            let mut p = Party::with_keys(t, keys[i], keys[(i + 1) % 3]);
                            p.set_security(Security::Abort);
                            let c: Vec<BitShares> = bit_shares
                                .iter()
                                .zip(lens)
                                .map(|(b, &n)| {
                                    BitShares::from_components(b[i].0.clone(), b[i].1.clone(), n)
                                })
                                .collect();
                            let a: Vec<ArithShares> = value_shares
                                .iter()
                                .map(|v| {
                                    ArithShares::from_components(
                                        v[i].own.clone(),
                                        v[i].next.clone(),
                                    )
                                })
                                .collect();
                            let pairs: Vec<(&BitShares, &ArithShares)> =
                                which.iter().map(|&b| &c[b]).zip(&a).collect();
                            let prods = bit_times_by_products(&mut p, &pairs, chunk).unwrap();
                            prods
                                .iter()
                                .map(|x| p.open_arith("t", x).unwrap())
                                .collect()
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for (i, out) in opened.iter().enumerate() {
                assert_eq!(out.len(), which.len());
                for (k, &b) in which.iter().enumerate() {
                    let want: Vec<u64> = (0..lens[b])
                        .map(|e| if bits[b][e] { values[k][e] } else { 0 })
                        .collect();
                    assert_eq!(out[k], want, "chunk {chunk}, party {i}, pair {k}");
                }
            }
        }
    }
}
