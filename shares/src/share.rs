//! Share vectors, struct-of-arrays: party `i` keeps component `i` of every
//! element in `own` and component `i+1` in `next`. Local (message-free)
//! operations live here. `Debug` shows lengths only.

use crate::PartyId;
use std::fmt;
use zeroize::Zeroize;

/// Share components are secret: a vector of them is wiped when dropped.
macro_rules! wipe_on_drop {
    ($t:ty) => {
        impl Drop for $t {
            fn drop(&mut self) {
                self.own.zeroize();
                self.next.zeroize();
            }
        }
    };
}
wipe_on_drop!(ArithShares);
wipe_on_drop!(BitShares);
wipe_on_drop!(crate::client::PartyBundle);

/// A vector of arithmetic shares over `Z_2^64`.
#[derive(Clone, PartialEq, Eq)]
pub struct ArithShares {
    pub(crate) own: Vec<u64>,
    pub(crate) next: Vec<u64>,
}

impl fmt::Debug for ArithShares {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArithShares {{ len: {} }}", self.len())
    }
}

impl ArithShares {
    /// Shares from this party's two components. Panics if their lengths
    /// differ.
    pub fn from_components(own: Vec<u64>, next: Vec<u64>) -> ArithShares {
        assert_eq!(
            own.len(),
            next.len(),
            "share components of different lengths"
        );
        ArithShares { own, next }
    }

    /// This party's components `(own, next)`.
    pub fn components(&self) -> (&[u64], &[u64]) {
        (&self.own, &self.next)
    }

    /// Consumes into `(own, next)`.
    pub fn into_components(mut self) -> (Vec<u64>, Vec<u64>) {
        (
            std::mem::take(&mut self.own),
            std::mem::take(&mut self.next),
        )
    }

    /// A sharing of `n` zeros with all components zero (not random: fine as
    /// an accumulator, to be combined with random sharings).
    pub fn zeros(n: usize) -> ArithShares {
        ArithShares {
            own: vec![0; n],
            next: vec![0; n],
        }
    }

    /// A sharing of the public values `v`: component 0 carries them.
    pub fn public(me: PartyId, v: &[u64]) -> ArithShares {
        let mut s = ArithShares::zeros(v.len());
        s.add_public_assign(me, v);
        s
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.own.len()
    }

    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.own.is_empty()
    }

    fn zip(&self, o: &ArithShares, f: impl Fn(u64, u64) -> u64) -> ArithShares {
        assert_eq!(
            self.len(),
            o.len(),
            "adding share vectors of different lengths"
        );
        ArithShares {
            own: self
                .own
                .iter()
                .zip(&o.own)
                .map(|(a, b)| f(*a, *b))
                .collect(),
            next: self
                .next
                .iter()
                .zip(&o.next)
                .map(|(a, b)| f(*a, *b))
                .collect(),
        }
    }

    /// Element-wise sum.
    pub fn add(&self, o: &ArithShares) -> ArithShares {
        self.zip(o, u64::wrapping_add)
    }

    /// Element-wise difference.
    pub fn sub(&self, o: &ArithShares) -> ArithShares {
        self.zip(o, u64::wrapping_sub)
    }

    /// Element-wise negation.
    pub fn neg(&self) -> ArithShares {
        ArithShares {
            own: self.own.iter().map(|a| a.wrapping_neg()).collect(),
            next: self.next.iter().map(|a| a.wrapping_neg()).collect(),
        }
    }

    /// Multiplies every element by the public constant `c`.
    pub fn scale(&self, c: u64) -> ArithShares {
        ArithShares {
            own: self.own.iter().map(|a| a.wrapping_mul(c)).collect(),
            next: self.next.iter().map(|a| a.wrapping_mul(c)).collect(),
        }
    }

    /// Adds public values element-wise (to component 0: party 0's `own`,
    /// party 2's `next`).
    pub fn add_public_assign(&mut self, me: PartyId, v: &[u64]) {
        assert_eq!(self.len(), v.len(), "public vector of another length");
        let comp = match me.index() {
            0 => &mut self.own,
            2 => &mut self.next,
            _ => return,
        };
        for (a, b) in comp.iter_mut().zip(v) {
            *a = a.wrapping_add(*b);
        }
    }

    /// Adds one public constant to every element.
    pub fn add_const(&self, me: PartyId, c: u64) -> ArithShares {
        let mut s = self.clone();
        s.add_public_assign(me, &vec![c; self.len()]);
        s
    }

    /// Inclusive prefix sums `y_k = x_0 + ... + x_k` (local: linear).
    pub fn prefix_sums(&self) -> ArithShares {
        fn scan(v: &[u64]) -> Vec<u64> {
            let mut acc = 0u64;
            v.iter()
                .map(|x| {
                    acc = acc.wrapping_add(*x);
                    acc
                })
                .collect()
        }
        ArithShares {
            own: scan(&self.own),
            next: scan(&self.next),
        }
    }

    /// The sum of all elements, as a one-element sharing (local).
    pub fn sum(&self) -> ArithShares {
        let s = |v: &[u64]| v.iter().fold(0u64, |a, b| a.wrapping_add(*b));
        ArithShares {
            own: vec![s(&self.own)],
            next: vec![s(&self.next)],
        }
    }

    /// Elements `range`.
    pub fn slice(&self, range: std::ops::Range<usize>) -> ArithShares {
        ArithShares {
            own: self.own[range.clone()].to_vec(),
            next: self.next[range].to_vec(),
        }
    }

    /// Elements at public positions `idx` (a local gather).
    pub fn gather(&self, idx: &[usize]) -> ArithShares {
        ArithShares {
            own: idx.iter().map(|&i| self.own[i]).collect(),
            next: idx.iter().map(|&i| self.next[i]).collect(),
        }
    }

    /// Concatenation of several vectors.
    pub fn concat(parts: &[&ArithShares]) -> ArithShares {
        let n = parts.iter().map(|p| p.len()).sum();
        let mut own = Vec::with_capacity(n);
        let mut next = Vec::with_capacity(n);
        for p in parts {
            own.extend_from_slice(&p.own);
            next.extend_from_slice(&p.next);
        }
        ArithShares { own, next }
    }

    /// Splits into consecutive pieces of the given lengths.
    pub fn split(&self, lens: &[usize]) -> Vec<ArithShares> {
        let mut at = 0;
        lens.iter()
            .map(|&l| {
                let s = self.slice(at..at + l);
                at += l;
                s
            })
            .collect()
    }
}

/// A vector of boolean shares, 64 bits packed per word (bit `e % 64` of word
/// `e / 64` is element `e`). Bits past `len` in the last word are
/// unspecified and ignored.
#[derive(Clone)]
pub struct BitShares {
    pub(crate) own: Vec<u64>,
    pub(crate) next: Vec<u64>,
    pub(crate) len: usize,
}

impl fmt::Debug for BitShares {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BitShares {{ len: {} }}", self.len)
    }
}

/// Number of words holding `n` packed bits.
pub(crate) fn words_for(n: usize) -> usize {
    n.div_ceil(64)
}

impl BitShares {
    /// Shares from this party's packed components for `len` bits.
    pub fn from_components(own: Vec<u64>, next: Vec<u64>, len: usize) -> BitShares {
        assert_eq!(
            own.len(),
            next.len(),
            "share components of different lengths"
        );
        assert_eq!(
            own.len(),
            words_for(len),
            "packed length does not match the bit count"
        );
        BitShares { own, next, len }
    }

    /// This party's packed components `(own, next)`.
    pub fn components(&self) -> (&[u64], &[u64]) {
        (&self.own, &self.next)
    }

    /// All-zero components: a (non-random) sharing of `len` zero bits.
    pub fn zeros(len: usize) -> BitShares {
        BitShares {
            own: vec![0; words_for(len)],
            next: vec![0; words_for(len)],
            len,
        }
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Element-wise XOR (local).
    pub fn xor(&self, o: &BitShares) -> BitShares {
        assert_eq!(self.len, o.len, "XOR of bit vectors of different lengths");
        BitShares {
            own: self.own.iter().zip(&o.own).map(|(a, b)| a ^ b).collect(),
            next: self.next.iter().zip(&o.next).map(|(a, b)| a ^ b).collect(),
            len: self.len,
        }
    }

    /// XOR with public packed bits (into component 0).
    pub fn xor_public(&self, me: PartyId, bits: &[u64]) -> BitShares {
        assert_eq!(
            self.own.len(),
            bits.len(),
            "public bit vector of another length"
        );
        let mut s = self.clone();
        let comp = match me.index() {
            0 => &mut s.own,
            2 => &mut s.next,
            _ => return s,
        };
        for (a, b) in comp.iter_mut().zip(bits) {
            *a ^= b;
        }
        s
    }

    /// Element-wise NOT (local).
    pub fn not(&self, me: PartyId) -> BitShares {
        self.xor_public(me, &vec![u64::MAX; self.own.len()])
    }
}
