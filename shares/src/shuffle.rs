//! The three-party shuffle: a secret permutation `pi = pi_2 . pi_1 . pi_0`
//! where `pi_p` is known only to the pair `(p, p+1)`, so every party misses
//! one of the three and knows nothing of `pi`.
//!
//! Following the resharing shuffles of Asharov et al. (CCS 2022), the
//! vector travels as a two-party additive sharing between the pair holding
//! the current permutation. Start: pair `(p, p+1)` splits the replicated
//! sharing locally into `x_p + x_{p+1}` and `x_{p+2}`; both permute. Hop to
//! the next pair: the leaving party sends its share minus a mask drawn from
//! the key it shares with the staying party, who adds the mask. End: the
//! last pair turns its two shares back into a replicated sharing, the
//! third party's two components drawn from the keys it shares with each of
//! them, the pair's common component exchanged (each masked by a key the
//! receiver lacks). Every message is uniformly random to its receiver.
//!
//! Cost for `m` columns of `n` elements: 3 rounds, `4 m n` elements in
//! total (2 from the first party of the sequence, 1 from each other).
//! Columns may be XOR-shared words (the same protocol over `Z_2^64` with
//! XOR for addition) and may travel in fewer bytes than eight when only
//! their low bytes matter; all columns of one call share the three rounds.
//! Undoing runs the pairs in reverse order with inverse permutations.
//!
//! Under [`Security::Abort`] the three permutations are applied as three
//! proven steps instead (`shuffle/proven.rs`): one round each, `2 m n`
//! elements per step (`6 m n` in all), every message proven at the next
//! verification.

mod proven;

use crate::share::ArithShares;
use std::sync::Arc;

/// One column of a mixed shuffle: this party's components, whether the
/// column is XOR-shared (else additive), and how many low bytes of each
/// value matter (and travel).
#[derive(Clone, Copy)]
pub(crate) struct Column<'a> {
    pub own: &'a [u64],
    pub next: &'a [u64],
    pub xor: bool,
    pub bytes: usize,
}
use crate::transport::{Tag, Transport};
use crate::{Error, Party, PartyId, Result, Security};

/// This party's part of a secret shuffle of `n` elements: the permutations
/// of the two pairs it belongs to. Opaque `Debug`.
pub struct Shuffle {
    n: usize,
    perms: [Option<Arc<[u32]>>; 3],
}

impl std::fmt::Debug for Shuffle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Shuffle {{ len: {} }}", self.n)
    }
}

fn pid(i: usize) -> PartyId {
    PartyId::new(i % 3).expect("reduced mod 3")
}

impl Shuffle {
    /// A fresh random shuffle of `n` elements; no messages (each pair draws
    /// its permutation from its key).
    pub fn random<T: Transport>(party: &mut Party<T>, n: usize) -> Shuffle {
        let me = party.id();
        let mut perms: [Option<Arc<[u32]>>; 3] = [None, None, None];
        // Pair me (with my successor) and pair me-1 (with my predecessor).
        perms[me.index()] = Some(party.prg_with(me.next()).permutation(n).into());
        perms[me.prev().index()] = Some(party.prg_with(me.prev()).permutation(n).into());
        #[cfg(feature = "planted-leaks")]
        if party.leaks(crate::leak::Leak::ShuffleSkipsPair) {
            // Pair (1, 2) still draws its permutation (streams stay in
            // step) but applies the identity.
            perms[1] = perms[1].as_ref().map(|_| (0..n as u32).collect());
        }
        Shuffle { n, perms }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for a shuffle of nothing.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Applies the shuffle to every column: output `out[pi(k)] = in[k]`.
    pub fn apply<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
    ) -> Result<Vec<ArithShares>> {
        self.run_arith(party, cols, false, 8)
    }

    /// [`Shuffle::apply`] for values that matter mod `2^(8 bytes)` only
    /// (`bytes` in `1..=8`): each message carries those bytes, and the
    /// output's components agree between their holders only in them.
    pub(crate) fn apply_mod<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
        bytes: usize,
    ) -> Result<Vec<ArithShares>> {
        self.run_arith(party, cols, false, bytes)
    }

    /// Applies the inverse: `out[k] = in[pi(k)]`.
    pub fn unapply<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
    ) -> Result<Vec<ArithShares>> {
        self.run_arith(party, cols, true, 8)
    }

    fn run_arith<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
        inverse: bool,
        bytes: usize,
    ) -> Result<Vec<ArithShares>> {
        let cols: Vec<Column<'_>> = cols
            .iter()
            .map(|c| Column {
                own: &c.own,
                next: &c.next,
                xor: false,
                bytes,
            })
            .collect();
        Ok(self
            .run(party, &cols, inverse)?
            .into_iter()
            .map(|(own, next)| ArithShares { own, next })
            .collect())
    }

    /// Applies (or, with `inverse`, undoes) the shuffle on columns of mixed
    /// kinds: arithmetic ones mod `2^(8 bytes)` and XOR-shared words of
    /// which only the low `bytes` bytes matter. All columns travel in the
    /// same three rounds. Returns every column's `(own, next)`. Under
    /// [`Security::Abort`], as three proven steps (`shuffle/proven.rs`).
    pub(crate) fn run<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[Column<'_>],
        inverse: bool,
    ) -> Result<Vec<(Vec<u64>, Vec<u64>)>> {
        self.check_columns(cols)?;
        let order = if inverse { [2, 1, 0] } else { [0, 1, 2] };
        if self.n == 0 || cols.is_empty() {
            return Ok(cols
                .iter()
                .map(|c| (c.own.to_vec(), c.next.to_vec()))
                .collect());
        }
        if party.security() == Security::Abort {
            return proven::run(self, party, cols, order, inverse);
        }
        self.run_order(party, cols, order, inverse)
    }

    fn check_columns(&self, cols: &[Column<'_>]) -> Result<()> {
        for c in cols {
            if c.own.len() != self.n || c.next.len() != self.n {
                return Err(Error::LengthMismatch {
                    what: "shuffle column",
                    left: self.n,
                    right: c.own.len(),
                });
            }
        }
        Ok(())
    }

    /// The permutation of pair `p`, which this party must belong to.
    fn perm(&self, p: usize) -> &Arc<[u32]> {
        self.perms[p]
            .as_ref()
            .expect("a pair member holds the pair's permutation")
    }

    /// Permutes every column of `v` into `out` (same length), by the pair
    /// `p`'s permutation or its inverse.
    fn permute_into(&self, p: usize, v: &[u64], out: &mut [u64], inverse: bool) {
        let perm = self.perm(p);
        let n = self.n;
        for (src, dst) in v.chunks(n).zip(out.chunks_mut(n)) {
            if inverse {
                for (d, &t) in dst.iter_mut().zip(perm.iter()) {
                    *d = src[t as usize];
                }
            } else {
                for (&s, &t) in src.iter().zip(perm.iter()) {
                    dst[t as usize] = s;
                }
            }
        }
    }

    fn run_order<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[Column<'_>],
        order: [usize; 3],
        inverse: bool,
    ) -> Result<Vec<(Vec<u64>, Vec<u64>)>> {
        let n = self.n;
        let kinds: Vec<(bool, usize)> = cols.iter().map(|c| (c.xor, c.bytes)).collect();
        // Adds (or XORs) `b` into `a`, column by column; `sub` subtracts.
        let combine = |a: &mut [u64], b: &[u64], sub: bool| {
            for ((ac, bc), &(xor, _)) in a.chunks_mut(n).zip(b.chunks(n)).zip(&kinds) {
                for (x, y) in ac.iter_mut().zip(bc) {
                    *x = if xor {
                        *x ^ y
                    } else if sub {
                        x.wrapping_sub(*y)
                    } else {
                        x.wrapping_add(*y)
                    };
                }
            }
        };
        let me = party.id().index();
        let total = self.n * cols.len();
        let in_pair = |p: usize| me == p || me == (p + 1) % 3;
        let p0 = order[0];
        let mut share: Option<Vec<u64>> = if me == p0 {
            let mut s = Vec::with_capacity(total);
            for c in cols {
                if c.xor {
                    s.extend(c.own.iter().zip(c.next).map(|(a, b)| a ^ b));
                } else {
                    s.extend(c.own.iter().zip(c.next).map(|(a, b)| a.wrapping_add(*b)));
                }
            }
            Some(s)
        } else if me == (p0 + 1) % 3 {
            let mut s = Vec::with_capacity(total);
            for c in cols {
                s.extend_from_slice(c.next);
            }
            Some(s)
        } else {
            None
        };
        // Permuting ping-pongs between the share and one scratch buffer.
        let mut scratch: Vec<u64> = Vec::new();
        for step in 0..3 {
            let p = order[step];
            if in_pair(p) {
                let s = share.as_mut().expect("pair members hold a share");
                scratch.resize(s.len(), 0);
                self.permute_into(p, s, &mut scratch, inverse);
                std::mem::swap(s, &mut scratch);
            }
            if step == 2 {
                break;
            }
            let q = order[step + 1];
            let members = |x: usize| [x, (x + 1) % 3];
            let common = *members(p)
                .iter()
                .find(|m| members(q).contains(m))
                .expect("consecutive pairs meet");
            let leaving = *members(p)
                .iter()
                .find(|&&m| m != common)
                .expect("two members");
            let joining = *members(q)
                .iter()
                .find(|&&m| m != common)
                .expect("two members");
            if me == leaving {
                let m = party.prg_with(pid(common)).words(total);
                let mut s = share.take().expect("leaving party holds a share");
                combine(&mut s, &m, true);
                party.send_cols(pid(joining), Tag::SHUFFLE, &s, n, &kinds)?;
            } else if me == common {
                let m = party.prg_with(pid(leaving)).words(total);
                combine(
                    share.as_mut().expect("common party holds a share"),
                    &m,
                    false,
                );
            } else {
                share = Some(party.recv_cols(pid(leaving), Tag::SHUFFLE, n, &kinds)?);
            }
        }
        // Back to replicated: pair (p, p+1), third t = p+2. y_p from K_p,
        // y_{p+2} from K_{p+2}; y_{p+1} = s_p + s_{p+1} - y_p - y_{p+2}.
        let p = order[2];
        let (own, next) = if me == p {
            let yp = party.prev_prg().words(total);
            let mut s = share.take().expect("pair member");
            combine(&mut s, &yp, true);
            party.send_cols(pid(p + 1), Tag::SHUFFLE, &s, n, &kinds)?;
            let other = party.recv_cols(pid(p + 1), Tag::SHUFFLE, n, &kinds)?;
            combine(&mut s, &other, false);
            (yp, s)
        } else if me == (p + 1) % 3 {
            let y2 = party.next_prg().words(total);
            let mut s = share.take().expect("pair member");
            combine(&mut s, &y2, true);
            party.send_cols(pid(p), Tag::SHUFFLE, &s, n, &kinds)?;
            let other = party.recv_cols(pid(p), Tag::SHUFFLE, n, &kinds)?;
            combine(&mut s, &other, false);
            (s, y2)
        } else {
            let own = party.prev_prg().words(total);
            let next = party.next_prg().words(total);
            (own, next)
        };
        drop(scratch);
        Ok(split_columns(own, n)
            .into_iter()
            .zip(split_columns(next, n))
            .collect())
    }
}

/// Cuts `v` into columns of `n`, moving the first one rather than copying it
/// (a single column is returned as it is).
fn split_columns(mut v: Vec<u64>, n: usize) -> Vec<Vec<u64>> {
    let mut cols = Vec::with_capacity(v.len() / n);
    while v.len() > n {
        cols.push(v.split_off(v.len() - n));
    }
    cols.push(v);
    cols.reverse();
    cols
}
