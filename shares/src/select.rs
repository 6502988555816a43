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
//! instead of 5.

use crate::convert::{component_sharings, unpacked_bits};
use crate::mul::{Shape, mul_ring, mul_shaped};
use crate::share::{ArithShares, BitShares};
use crate::transport::{Tag, Transport};
use crate::{Party, PartyId, Result, Security};

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
        return bit_times_by_products(party, pairs, &lens);
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

/// [`bit_times_many`] from multiplications of replicated sharings only:
/// `c a = c01 (a - 2 c2 a) + c2 a` with `c01 = c0 + c1 - 2 c0 c1`.
fn bit_times_by_products<T: Transport>(
    party: &mut Party<T>,
    pairs: &[(&BitShares, &ArithShares)],
    lens: &[usize],
) -> Result<Vec<ArithShares>> {
    let n: usize = lens.iter().sum();
    let bits: Vec<&BitShares> = pairs.iter().map(|(c, _)| *c).collect();
    let (own, next) = unpacked_bits(&bits);
    let [c0, c1, c2] = component_sharings(party.id().index(), own, next);
    let values: Vec<&ArithShares> = pairs.iter().map(|(_, a)| *a).collect();
    let a = ArithShares::concat(&values);
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
    Ok(prod.add(&c2a).split(lens))
}

/// The masks of [`bit_times_many`] (`r` then `r'`), zeroed under the
/// planted leak.
#[cfg(feature = "planted-leaks")]
fn zero_if_planted<T: Transport>(party: &Party<T>, masks: &mut [u64]) {
    if party.leaks(crate::leak::Leak::InjectWithoutMask) {
        masks.fill(0);
    }
}
