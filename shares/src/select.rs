//! Oblivious selection (multiplexer): `c ? a : b = b + c (a - b)`, and the
//! product of a shared bit and a shared value ([`bit_times_many`]) it rests
//! on: two rounds, 5 elements sent in total per product (ABY3's bit
//! injection and multiplication, fused).

use crate::share::{ArithShares, BitShares};
use crate::transport::{Tag, Transport};
use crate::{Party, PartyId, Result};

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
    let n: usize = lens.iter().sum();
    let bits = |sel: &dyn Fn(&BitShares) -> Vec<u64>| -> Vec<u64> {
        let mut v = Vec::with_capacity(n);
        for (c, _) in pairs {
            let w = sel(c);
            v.extend((0..c.len()).map(|e| (w[e / 64] >> (e % 64)) & 1));
        }
        v
    };
    let a = ArithShares::concat(&pairs.iter().map(|(_, a)| *a).collect::<Vec<_>>());
    let (a_own, a_next) = a.components();
    let me = party.id().index();
    let mut t: Vec<u64> = match me {
        0 => {
            let c01 = bits(&|c| {
                let (o, x) = c.components();
                o.iter().zip(x).map(|(a, b)| a ^ b).collect()
            });
            let r = party.prev_prg().words(n);
            let r2 = party.prev_prg().words(n);
            #[cfg(feature = "planted-leaks")]
            let (r, r2) = unmasked_if_planted(party, r, r2);
            let m: Vec<u64> = (0..n)
                .map(|k| c01[k].wrapping_mul(a_own[k].wrapping_add(a_next[k])))
                .collect();
            let mut msg = Vec::with_capacity(2 * n);
            msg.extend((0..n).map(|k| c01[k].wrapping_sub(r[k])));
            msg.extend((0..n).map(|k| m[k].wrapping_sub(r2[k])));
            party.send_words(PartyId::new(1).expect("1"), Tag::RESHARE, &msg)?;
            m
        }
        1 => {
            let got = party.recv_words(PartyId::new(0).expect("0"), Tag::RESHARE, 2 * n)?;
            let (u, v) = got.split_at(n);
            let c2 = bits(&|c| c.components().1.to_vec());
            // a1 = own, a2 = next.
            (0..n)
                .map(|k| {
                    let flip = 1u64.wrapping_sub(c2[k].wrapping_mul(2));
                    u[k].wrapping_mul(flip)
                        .wrapping_mul(a_next[k])
                        .wrapping_add(c2[k].wrapping_mul(a_next[k]))
                        .wrapping_add(c2[k].wrapping_mul(a_own[k]))
                        .wrapping_sub(c2[k].wrapping_mul(v[k]).wrapping_mul(2))
                })
                .collect()
        }
        _ => {
            let r = party.next_prg().words(n);
            let r2 = party.next_prg().words(n);
            #[cfg(feature = "planted-leaks")]
            let (r, r2) = unmasked_if_planted(party, r, r2);
            let c2 = bits(&|c| c.components().0.to_vec());
            // a2 = own, a0 = next.
            (0..n)
                .map(|k| {
                    let flip = 1u64.wrapping_sub(c2[k].wrapping_mul(2));
                    r[k].wrapping_mul(flip)
                        .wrapping_mul(a_own[k])
                        .wrapping_add(c2[k].wrapping_mul(a_next[k]))
                        .wrapping_sub(c2[k].wrapping_mul(r2[k]).wrapping_mul(2))
                })
                .collect()
        }
    };
    party.add_zero_sharing(&mut t);
    let next = crate::mul::exchange(party, &t)?;
    Ok(ArithShares::from_components(t, next).split(&lens))
}

/// The masks of [`bit_times_many`], or zeros under the planted leak.
#[cfg(feature = "planted-leaks")]
fn unmasked_if_planted<T: Transport>(
    party: &Party<T>,
    r: Vec<u64>,
    r2: Vec<u64>,
) -> (Vec<u64>, Vec<u64>) {
    if party.leaks(crate::leak::Leak::InjectWithoutMask) {
        (vec![0; r.len()], vec![0; r2.len()])
    } else {
        (r, r2)
    }
}
