//! Conversions between arithmetic and boolean sharings (Mohassel, Rindal,
//! ABY3, CCS 2018; adapted).
//!
//! **A2B** of `x mod 2^w`: party 0 knows `u = x0 + x1` and reshares its
//! bits (one message of `w` bits to party 1, masked by `K_0`); `v = x2` is
//! already a (trivial) boolean sharing known to parties 1 and 2. A Sklansky
//! parallel-prefix adder computes `u + v`: `1 + ceil(log2 w)` rounds, about
//! `w/2 * (log2 w + 2)` AND gates per element.
//!
//! **Bit injection** of a shared bit `b = b0 ^ b1 ^ b2`: party 0 knows
//! `c = b0 ^ b1` and reshares it arithmetically (one element to party 1);
//! `b2` is known to parties 1 and 2; `b = c + b2 - 2 c b2` with one
//! multiplication. Two rounds, 4 elements sent in total per bit.
//! **B2A** of `w` planes injects all of them at once and sums `2^j b_j`.
//!
//! # With [`Security::Abort`]
//!
//! The reshares above are messages one party computes alone from two
//! components (`x0 + x1`, `b0 ^ b1`): nobody else can tell a wrong one from
//! a right one. In abort mode both conversions use instead only sharings of
//! a single component (`[x_j]`: component `j` is `x_j`, the others zero;
//! its two holders know it, no message) and multiplications, whose every
//! message the multiplication check covers.
//!
//! - **A2B**: the three components `x0 + x1 + x2` as bit-sliced numbers,
//!   each a single-component boolean sharing, go through one carry-save
//!   layer (sum `a ^ b ^ c`, carry `((a ^ c) & (b ^ c)) ^ c`: one AND round
//!   of `w - 1` bits per element from every party) to two addends, then
//!   through the same prefix adder. Same rounds as the reshare it replaces;
//!   `3 (w - 1)` bits sent in total instead of `w`.
//! - **Bit injection**: `b0 ^ b1 = b0 + b1 - 2 b0 b1`, then `^ b2` the same
//!   way: two rounds of one multiplication each, 6 elements sent in total
//!   per bit instead of 4.

use crate::bits::{plane_words, to_planes};
use crate::mul::{Shape, and_words, mul_in_bytes, mul_ring, mul_shaped};
use crate::share::{ArithShares, BitShares};
use crate::transport::{Tag, Transport};
use crate::{Error, Party, Result, Security};

/// Boolean planes of one party: plane `j` at words `[j*w, (j+1)*w)`.
pub(crate) struct Planes {
    pub own: Vec<u64>,
    pub next: Vec<u64>,
    pub w: usize,
    pub n: usize,
}

impl Planes {
    pub fn plane(&self, j: usize) -> BitShares {
        let r = j * self.w..(j + 1) * self.w;
        BitShares {
            own: self.own[r.clone()].to_vec(),
            next: self.next[r].to_vec(),
            len: self.n,
        }
    }
}

fn mask(w: usize) -> u64 {
    if w >= 64 { u64::MAX } else { (1u64 << w) - 1 }
}

/// Splits `x mod 2^w` into two boolean-shared bit-sliced addends `u + v`:
/// `u = x0 + x1` reshared by party 0, `v = x2` (or `-x2` if `negate_v`) held
/// by parties 1 and 2 as component 2. One round, `w` bits from party 0.
///
/// With `negate_v` the contract is only that `x = 0 mod 2^w` exactly when
/// `u = v` bitwise (the equality test's use). In abort mode the addends
/// come from [`split_addends_by_carry_save`] instead.
pub(crate) fn split_addends<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    w: usize,
    negate_v: bool,
) -> Result<(Planes, Planes)> {
    if party.security() == Security::Abort {
        return split_addends_by_carry_save(party, x, w, negate_v);
    }
    let n = x.len();
    let pw = plane_words(n);
    let words = w * pw;
    let m = mask(w);
    let me = party.id().index();
    let zeros = || vec![0u64; words];
    let v_planes = |comp: &[u64]| {
        let vals: Vec<u64> = comp
            .iter()
            .map(|c| {
                if negate_v {
                    c.wrapping_neg() & m
                } else {
                    c & m
                }
            })
            .collect();
        to_planes(&vals, w)
    };
    Ok(match me {
        0 => {
            let sum: Vec<u64> = x
                .own
                .iter()
                .zip(&x.next)
                .map(|(a, b)| a.wrapping_add(*b) & m)
                .collect();
            let mut masked = to_planes(&sum, w);
            let r = party.prev_prg().words(words);
            for (a, b) in masked.iter_mut().zip(&r) {
                *a ^= b;
            }
            party.send_words(crate::PartyId::new(1).expect("1"), Tag::RESHARE, &masked)?;
            (
                Planes {
                    own: r,
                    next: masked,
                    w: pw,
                    n,
                },
                Planes {
                    own: zeros(),
                    next: zeros(),
                    w: pw,
                    n,
                },
            )
        }
        1 => {
            let got = party.recv_words(crate::PartyId::new(0).expect("0"), Tag::RESHARE, words)?;
            (
                Planes {
                    own: got,
                    next: zeros(),
                    w: pw,
                    n,
                },
                Planes {
                    own: zeros(),
                    next: v_planes(&x.next),
                    w: pw,
                    n,
                },
            )
        }
        _ => {
            let r = party.next_prg().words(words);
            (
                Planes {
                    own: zeros(),
                    next: r,
                    w: pw,
                    n,
                },
                Planes {
                    own: v_planes(&x.own),
                    next: zeros(),
                    w: pw,
                    n,
                },
            )
        }
    })
}

/// [`split_addends`] from multiplications only: the components `a = x0`,
/// `b = x1`, `c = x2` are single-component boolean sharings of `w` planes
/// (party `i` knows the planes of `x_i` and `x_{i+1}`), and one full-adder
/// layer turns `a + b + c` into `u = a ^ b ^ c` plus `v = 2 maj(a, b, c)`,
/// `maj(a, b, c) = ((a ^ c) & (b ^ c)) ^ c`. The carry out of the top bit
/// is dropped, so the AND covers `w - 1` planes (none for `w = 1`).
///
/// With `negate_v`, component 0 is taken as `x0 - 1`, so `u + 2 maj = x -
/// 1`, and `v` is the complement of `2 maj`: then `u = v` bitwise exactly
/// when `u + 2 maj = -1`, that is when `x = 0` (two `w`-bit numbers whose
/// sum is `2^w - 1` have no carry, so each is the other's complement).
pub(crate) fn split_addends_by_carry_save<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    w: usize,
    negate_v: bool,
) -> Result<(Planes, Planes)> {
    let n = x.len();
    let pw = plane_words(n);
    let m = mask(w);
    let me = party.id();
    let i = me.index();
    // Component 0 is party 0's `own` and party 2's `next`.
    let planes_of = |comp: &[u64], is_component_0: bool| {
        let one = u64::from(negate_v && is_component_0);
        let vals: Vec<u64> = comp.iter().map(|c| c.wrapping_sub(one) & m).collect();
        to_planes(&vals, w)
    };
    let own = planes_of(&x.own, i == 0);
    let next = planes_of(&x.next, i == 2);
    // This party's parts of a single-component sharing made of the
    // components `set`: its `own` is component i, its `next` component i+1.
    let part = |set: &[usize], held: &[u64], j: usize| -> Vec<u64> {
        if set.contains(&j) {
            held[..(w - 1) * pw].to_vec()
        } else {
            vec![0; (w - 1) * pw]
        }
    };
    let (j_own, j_next) = (i, (i + 1) % 3);
    let mut v_own = vec![0u64; w * pw];
    let mut v_next = vec![0u64; w * pw];
    if w > 1 {
        let (ac_o, ac_n) = (part(&[0, 2], &own, j_own), part(&[0, 2], &next, j_next));
        let (bc_o, bc_n) = (part(&[1, 2], &own, j_own), part(&[1, 2], &next, j_next));
        let (mut maj_o, mut maj_n) = and_words(party, &ac_o, &ac_n, &bc_o, &bc_n)?;
        drop((ac_o, ac_n, bc_o, bc_n));
        let (c_o, c_n) = (part(&[2], &own, j_own), part(&[2], &next, j_next));
        for (a, c) in maj_o.iter_mut().zip(&c_o) {
            *a ^= c;
        }
        for (a, c) in maj_n.iter_mut().zip(&c_n) {
            *a ^= c;
        }
        // v = 2 maj: plane j + 1 is the carry out of bit j.
        v_own[pw..].copy_from_slice(&maj_o);
        v_next[pw..].copy_from_slice(&maj_n);
    }
    if negate_v {
        // The complement: all ones into component 0.
        let comp0 = match i {
            0 => Some(&mut v_own),
            2 => Some(&mut v_next),
            _ => None,
        };
        for word in comp0.into_iter().flatten() {
            *word = !*word;
        }
    }
    Ok((
        Planes {
            own,
            next,
            w: pw,
            n,
        },
        Planes {
            own: v_own,
            next: v_next,
            w: pw,
            n,
        },
    ))
}

/// ANDs of many pairs of equally long packed vectors in one round.
pub(crate) fn and_many<T: Transport>(
    party: &mut Party<T>,
    pairs: &[(&BitShares, &BitShares)],
) -> Result<Vec<BitShares>> {
    let total: usize = pairs.iter().map(|(a, _)| a.own.len()).sum();
    let mut xo = Vec::with_capacity(total);
    let mut xn = Vec::with_capacity(total);
    let mut yo = Vec::with_capacity(total);
    let mut yn = Vec::with_capacity(total);
    for (a, b) in pairs {
        debug_assert_eq!(a.own.len(), b.own.len());
        xo.extend_from_slice(&a.own);
        xn.extend_from_slice(&a.next);
        yo.extend_from_slice(&b.own);
        yn.extend_from_slice(&b.next);
    }
    let (zo, zn) = and_words(party, &xo, &xn, &yo, &yn)?;
    let mut at = 0;
    Ok(pairs
        .iter()
        .map(|(a, _)| {
            let l = a.own.len();
            let r = at..at + l;
            at += l;
            BitShares {
                own: zo[r.clone()].to_vec(),
                next: zn[r].to_vec(),
                len: a.len,
            }
        })
        .collect())
}

fn check_width(what: &'static str, w: usize) -> Result<()> {
    if w == 0 || w > 64 {
        return Err(Error::Parameter {
            what,
            value: w as u64,
            range: "1..=64",
        });
    }
    Ok(())
}

/// The bits of `x mod 2^bits`: `bits` boolean vectors, vector `j` holding bit
/// `j` of every element.
pub fn a2b<T: Transport>(
    party: &mut Party<T>,
    x: &ArithShares,
    bits: usize,
) -> Result<Vec<BitShares>> {
    check_width("a2b bits", bits)?;
    let (u, v) = split_addends(party, x, bits, false)?;
    let mut p: Vec<BitShares> = (0..bits).map(|j| u.plane(j).xor(&v.plane(j))).collect();
    let up: Vec<BitShares> = (0..bits).map(|j| u.plane(j)).collect();
    let vp: Vec<BitShares> = (0..bits).map(|j| v.plane(j)).collect();
    // Generate only up to bit bits-2: the carry out of the top bit is dropped.
    let pairs: Vec<(&BitShares, &BitShares)> = (0..bits - 1).map(|j| (&up[j], &vp[j])).collect();
    let mut g = and_many(party, &pairs)?;
    let sum_p = p.clone();
    // Sklansky prefix over positions 0..bits-1: after it, g[j] is the carry
    // out of bits 0..=j.
    let m = bits - 1;
    let mut l = 0;
    while (1usize << l) < m {
        let mut targets = Vec::new();
        for j in 0..m {
            if (j >> l) & 1 == 1 {
                let k = ((j >> l) << l) - 1;
                targets.push((j, k, (j >> (l + 1)) != 0));
            }
        }
        let mut pairs: Vec<(&BitShares, &BitShares)> = Vec::new();
        for &(j, k, need_p) in &targets {
            pairs.push((&p[j], &g[k]));
            if need_p {
                pairs.push((&p[j], &p[k]));
            }
        }
        let out = and_many(party, &pairs)?;
        let mut it = out.into_iter();
        for &(j, _, need_p) in &targets {
            let pg = it.next().expect("one product per target");
            g[j] = g[j].xor(&pg);
            if need_p {
                p[j] = it.next().expect("one product per target");
            }
        }
        l += 1;
    }
    let mut out = Vec::with_capacity(bits);
    for j in 0..bits {
        let mut s = sum_p[j].clone();
        if j > 0 {
            s = s.xor(&g[j - 1]);
        }
        out.push(s);
    }
    Ok(out)
}

/// Arithmetic 0/1 values from shared bits (bit injection).
pub fn inject<T: Transport>(party: &mut Party<T>, b: &BitShares) -> Result<ArithShares> {
    Ok(inject_many(party, &[b])?
        .pop()
        .expect("one input, one output"))
}

/// Bit injection of several vectors at once (same two rounds).
pub fn inject_many<T: Transport>(
    party: &mut Party<T>,
    bs: &[&BitShares],
) -> Result<Vec<ArithShares>> {
    inject_ring(party, bs, false)
}

/// [`inject_many`]; with `narrow`, correct mod 2^32 only and half the
/// traffic.
pub(crate) fn inject_ring<T: Transport>(
    party: &mut Party<T>,
    bs: &[&BitShares],
    narrow: bool,
) -> Result<Vec<ArithShares>> {
    let lens: Vec<usize> = bs.iter().map(|b| b.len).collect();
    let n: usize = lens.iter().sum();
    // One bit per ring element, a packed word at a time.
    let unpack_into = |word: &dyn Fn(&BitShares, usize) -> u64| -> Vec<u64> {
        let mut v = Vec::with_capacity(n);
        for b in bs {
            for i in 0..b.len.div_ceil(64) {
                let w = word(b, i);
                let bits = (b.len - 64 * i).min(64);
                v.extend((0..bits).map(|e| (w >> e) & 1));
            }
        }
        v
    };
    let me = party.id().index();
    if party.security() == Security::Abort {
        return Injection::new(me, bs).run(party, if narrow { 4 } else { 8 });
    }
    let zeros = || vec![0u64; n];
    // [c] with c = b0 ^ b1 known to party 0: components (r, c - r, 0).
    // [b2] with b2 = component 2, known to parties 1 and 2.
    let (c, b2) = match me {
        0 => {
            let cv = unpack_into(&|b: &BitShares, i| b.own[i] ^ b.next[i]);
            let r = party.prev_prg().words(n);
            #[cfg(feature = "planted-leaks")]
            let r = unmasked_if_planted(party, r);
            let c1: Vec<u64> = cv.iter().zip(&r).map(|(c, r)| c.wrapping_sub(*r)).collect();
            party.send_ring(
                crate::PartyId::new(1).expect("1"),
                Tag::RESHARE,
                &c1,
                narrow,
            )?;
            (ArithShares { own: r, next: c1 }, ArithShares::zeros(n))
        }
        1 => {
            let c1 =
                party.recv_ring(crate::PartyId::new(0).expect("0"), Tag::RESHARE, n, narrow)?;
            let b2 = unpack_into(&|b: &BitShares, i| b.next[i]);
            (
                ArithShares {
                    own: c1,
                    next: zeros(),
                },
                ArithShares {
                    own: zeros(),
                    next: b2,
                },
            )
        }
        _ => {
            let r = party.next_prg().words(n);
            #[cfg(feature = "planted-leaks")]
            let r = unmasked_if_planted(party, r);
            let b2 = unpack_into(&|b: &BitShares, i| b.own[i]);
            (
                ArithShares {
                    own: zeros(),
                    next: r,
                },
                ArithShares {
                    own: b2,
                    next: zeros(),
                },
            )
        }
    };
    let prod = mul_ring(party, &c, &b2, narrow)?;
    let y = c.add(&b2).sub(&prod.scale(2));
    Ok(y.split(&lens))
}

/// The three components of a sharing, given as this party's `own` and
/// `next`, as three sharings of one component each: `[x_j]` has component
/// `j` equal to `x_j` and the other two zero. Party `i` holds `x_i` and
/// `x_{i+1}`, so it knows its parts of all three; no message, and nothing
/// one party could choose differently from the other holder.
pub(crate) fn component_sharings(me: usize, own: Vec<u64>, next: Vec<u64>) -> [ArithShares; 3] {
    let n = own.len();
    let mut out: [ArithShares; 3] = std::array::from_fn(|_| ArithShares::zeros(n));
    out[me] = ArithShares {
        own,
        next: vec![0; n],
    };
    out[(me + 1) % 3] = ArithShares {
        own: vec![0; n],
        next,
    };
    out
}

/// A bit injection from products only: `c = b0 ^ b1 = b0 + b1 - 2 b0 b1`,
/// then `c ^ b2` the same way, with `[b0]`, `[b1]`, `[b2]` the
/// single-component sharings of the three components. Its two products are
/// handed out one round at a time ([`Injection::factors`]), so that a
/// caller can multiply them together with other products of the same round.
pub(crate) struct Injection {
    lens: Vec<usize>,
    b0: ArithShares,
    b1: ArithShares,
    b2: ArithShares,
    /// `b0 ^ b1`, once the first product is in.
    c: Option<ArithShares>,
}

impl Injection {
    /// The injection of the bits of `bs` (concatenated), for party `me`.
    pub(crate) fn new(me: usize, bs: &[&BitShares]) -> Injection {
        let (own, next) = unpacked_bits(bs);
        let [b0, b1, b2] = component_sharings(me, own, next);
        Injection {
            lens: bs.iter().map(|b| b.len).collect(),
            b0,
            b1,
            b2,
            c: None,
        }
    }

    /// The two factors of this round's product, and their shape: `b0 b1`
    /// (components 0 and 1), then `c b2` (component 2).
    fn factors(&self) -> (&ArithShares, &ArithShares, Shape) {
        match &self.c {
            None => (
                &self.b0,
                &self.b1,
                Shape {
                    x: Some(0),
                    y: Some(1),
                },
            ),
            Some(c) => (
                c,
                &self.b2,
                Shape {
                    x: None,
                    y: Some(2),
                },
            ),
        }
    }

    /// Both rounds, products correct mod `2^(8 bytes)`: the injected bits,
    /// one sharing per input vector.
    pub(crate) fn run<T: Transport>(
        mut self,
        party: &mut Party<T>,
        bytes: usize,
    ) -> Result<Vec<ArithShares>> {
        loop {
            let (x, y, shape) = self.factors();
            let p = mul_shaped(party, x, y, bytes, &[(x.len(), shape)])?;
            if let Some(out) = self.absorb(p) {
                return Ok(out);
            }
        }
    }

    /// Takes the product of [`Injection::factors`]; after the second round,
    /// the injected bits, one sharing per input vector.
    fn absorb(&mut self, p: ArithShares) -> Option<Vec<ArithShares>> {
        match self.c.take() {
            None => {
                self.c = Some(self.b0.add(&self.b1).sub(&p.scale(2)));
                None
            }
            Some(c) => Some(c.add(&self.b2).sub(&p.scale(2)).split(&self.lens)),
        }
    }
}

/// Products of many pairs of equally long sharings in one round (one
/// multiplication over their concatenations), correct mod `2^(8 bytes)`
/// only, as in `mul_in_bytes`.
pub(crate) fn products_in_bytes<T: Transport>(
    party: &mut Party<T>,
    pairs: &[(&ArithShares, &ArithShares)],
    bytes: usize,
) -> Result<Vec<ArithShares>> {
    let xs: Vec<&ArithShares> = pairs.iter().map(|p| p.0).collect();
    let ys: Vec<&ArithShares> = pairs.iter().map(|p| p.1).collect();
    let lens: Vec<usize> = xs.iter().map(|x| x.len()).collect();
    let prod = mul_in_bytes(
        party,
        &ArithShares::concat(&xs),
        &ArithShares::concat(&ys),
        bytes,
    )?;
    Ok(prod.split(&lens))
}

/// The bits of several packed vectors, one ring element (0 or 1) per bit,
/// for both components: `(own, next)`.
pub(crate) fn unpacked_bits(bs: &[&BitShares]) -> (Vec<u64>, Vec<u64>) {
    let n: usize = bs.iter().map(|b| b.len).sum();
    let (mut own, mut next) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for b in bs {
        for e in 0..b.len {
            own.push((b.own[e / 64] >> (e % 64)) & 1);
            next.push((b.next[e / 64] >> (e % 64)) & 1);
        }
    }
    (own, next)
}

/// The mask `r` of the injection reshare, or zeros under the planted leak.
#[cfg(feature = "planted-leaks")]
fn unmasked_if_planted<T: Transport>(party: &Party<T>, r: Vec<u64>) -> Vec<u64> {
    if party.leaks(crate::leak::Leak::InjectWithoutMask) {
        vec![0; r.len()]
    } else {
        r
    }
}

/// The arithmetic value `sum 2^j b_j` of bit vectors `planes[j]`.
pub fn b2a<T: Transport>(party: &mut Party<T>, planes: &[BitShares]) -> Result<ArithShares> {
    let refs: Vec<&BitShares> = planes.iter().collect();
    let n = planes.first().map_or(0, |p| p.len);
    let vals = inject_many(party, &refs)?;
    let mut acc = ArithShares::zeros(n);
    for (j, v) in vals.iter().enumerate() {
        acc = acc.add(&v.scale(1u64 << j));
    }
    Ok(acc)
}
