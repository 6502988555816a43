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
//! Undoing runs the pairs in reverse order with inverse permutations.

use crate::share::ArithShares;
use crate::transport::{Tag, Transport};
use crate::{Error, Party, PartyId, Result};

/// This party's part of a secret shuffle of `n` elements: the permutations
/// of the two pairs it belongs to. Opaque `Debug`.
pub struct Shuffle {
    n: usize,
    perms: [Option<Vec<u32>>; 3],
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
        let mut perms: [Option<Vec<u32>>; 3] = [None, None, None];
        // Pair me (with my successor) and pair me-1 (with my predecessor).
        perms[me.index()] = Some(party.prg_with(me.next()).permutation(n));
        perms[me.prev().index()] = Some(party.prg_with(me.prev()).permutation(n));
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
        self.run(party, cols, [0, 1, 2], false, false)
    }

    /// Applies the inverse: `out[k] = in[pi(k)]`.
    pub fn unapply<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
    ) -> Result<Vec<ArithShares>> {
        self.run(party, cols, [2, 1, 0], true, false)
    }

    /// [`Shuffle::apply`] correct mod 2^32 only, with half the traffic.
    pub(crate) fn apply32<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
    ) -> Result<Vec<ArithShares>> {
        self.run(party, cols, [0, 1, 2], false, true)
    }

    /// [`Shuffle::unapply`] correct mod 2^32 only, with half the traffic.
    pub(crate) fn unapply32<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
    ) -> Result<Vec<ArithShares>> {
        self.run(party, cols, [2, 1, 0], true, true)
    }

    fn permute(&self, p: usize, v: &[u64], inverse: bool) -> Vec<u64> {
        let perm = self.perms[p]
            .as_ref()
            .expect("a pair member holds the pair's permutation");
        let n = self.n;
        let mut out = vec![0u64; v.len()];
        for (src, dst) in v.chunks(n).zip(out.chunks_mut(n)) {
            if inverse {
                for (k, &t) in perm.iter().enumerate() {
                    dst[k] = src[t as usize];
                }
            } else {
                for (k, &t) in perm.iter().enumerate() {
                    dst[t as usize] = src[k];
                }
            }
        }
        out
    }

    fn run<T: Transport>(
        &self,
        party: &mut Party<T>,
        cols: &[&ArithShares],
        order: [usize; 3],
        inverse: bool,
        narrow: bool,
    ) -> Result<Vec<ArithShares>> {
        for c in cols {
            if c.len() != self.n {
                return Err(Error::LengthMismatch {
                    what: "shuffle column",
                    left: self.n,
                    right: c.len(),
                });
            }
        }
        let lens: Vec<usize> = cols.iter().map(|c| c.len()).collect();
        if self.n == 0 || cols.is_empty() {
            return Ok(cols.iter().map(|c| (*c).clone()).collect());
        }
        let me = party.id().index();
        let total = self.n * cols.len();
        let in_pair = |p: usize| me == p || me == (p + 1) % 3;
        let p0 = order[0];
        let mut share: Option<Vec<u64>> = if me == p0 {
            let mut s = Vec::with_capacity(total);
            for c in cols {
                s.extend(c.own.iter().zip(&c.next).map(|(a, b)| a.wrapping_add(*b)));
            }
            Some(s)
        } else if me == (p0 + 1) % 3 {
            let mut s = Vec::with_capacity(total);
            for c in cols {
                s.extend_from_slice(&c.next);
            }
            Some(s)
        } else {
            None
        };
        for step in 0..3 {
            let p = order[step];
            if in_pair(p) {
                let s = share.take().expect("pair members hold a share");
                share = Some(self.permute(p, &s, inverse));
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
                for (a, b) in s.iter_mut().zip(&m) {
                    *a = a.wrapping_sub(*b);
                }
                party.send_ring(pid(joining), Tag::SHUFFLE, &s, narrow)?;
            } else if me == common {
                let m = party.prg_with(pid(leaving)).words(total);
                for (a, b) in share
                    .as_mut()
                    .expect("common party holds a share")
                    .iter_mut()
                    .zip(&m)
                {
                    *a = a.wrapping_add(*b);
                }
            } else {
                share = Some(party.recv_ring(pid(leaving), Tag::SHUFFLE, total, narrow)?);
            }
        }
        // Back to replicated: pair (p, p+1), third t = p+2. y_p from K_p,
        // y_{p+2} from K_{p+2}; y_{p+1} = s_p + s_{p+1} - y_p - y_{p+2}.
        let p = order[2];
        let (own, next) = if me == p {
            let yp = party.prev_prg().words(total);
            let mut s = share.take().expect("pair member");
            for (a, b) in s.iter_mut().zip(&yp) {
                *a = a.wrapping_sub(*b);
            }
            party.send_ring(pid(p + 1), Tag::SHUFFLE, &s, narrow)?;
            let other = party.recv_ring(pid(p + 1), Tag::SHUFFLE, total, narrow)?;
            for (a, b) in s.iter_mut().zip(&other) {
                *a = a.wrapping_add(*b);
            }
            (yp, s)
        } else if me == (p + 1) % 3 {
            let y2 = party.next_prg().words(total);
            let mut s = share.take().expect("pair member");
            for (a, b) in s.iter_mut().zip(&y2) {
                *a = a.wrapping_sub(*b);
            }
            party.send_ring(pid(p), Tag::SHUFFLE, &s, narrow)?;
            let other = party.recv_ring(pid(p), Tag::SHUFFLE, total, narrow)?;
            for (a, b) in s.iter_mut().zip(&other) {
                *a = a.wrapping_add(*b);
            }
            (s, y2)
        } else {
            let own = party.prev_prg().words(total);
            let next = party.next_prg().words(total);
            (own, next)
        };
        Ok(ArithShares { own, next }.split(&lens))
    }
}
