//! What a client (a bidder) does: split values into three bundles, one per
//! party. The format is described in `docs/sharing.md`.
#![doc = include_str!("../docs/sharing.md")]

use crate::share::ArithShares;
use crate::{Error, PartyId};

/// What one party receives from a client: components `i` and `i+1` of every
/// value. Opaque `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PartyBundle {
    /// The receiving party.
    pub party: PartyId,
    /// Component `party` of each value.
    pub own: Vec<u64>,
    /// Component `party + 1` of each value.
    pub next: Vec<u64>,
}

impl std::fmt::Debug for PartyBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PartyBundle {{ party: {}, len: {} }}",
            self.party,
            self.own.len()
        )
    }
}

/// Version byte of the bundle encoding.
pub const BUNDLE_VERSION: u8 = 1;

impl PartyBundle {
    /// The shares this bundle carries.
    pub fn into_shares(mut self) -> ArithShares {
        ArithShares::from_components(
            std::mem::take(&mut self.own),
            std::mem::take(&mut self.next),
        )
    }

    /// Encodes as `version | party | count u32 LE | own u64 LE * count |
    /// next u64 LE * count`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(6 + 16 * self.own.len());
        b.push(BUNDLE_VERSION);
        b.push(self.party.index() as u8);
        b.extend_from_slice(&(self.own.len() as u32).to_le_bytes());
        for w in self.own.iter().chain(&self.next) {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b
    }

    /// Decodes [`PartyBundle::to_bytes`]; the error names what is wrong.
    pub fn from_bytes(b: &[u8]) -> Result<PartyBundle, Error> {
        if b.len() < 6 {
            return Err(Error::Bundle(format!(
                "{} bytes, shorter than the 6-byte header",
                b.len()
            )));
        }
        if b[0] != BUNDLE_VERSION {
            return Err(Error::Bundle(format!(
                "version {} is not the supported version {BUNDLE_VERSION}",
                b[0]
            )));
        }
        let party = PartyId::new(b[1] as usize)
            .ok_or_else(|| Error::Bundle(format!("party index {} is not 0, 1 or 2", b[1])))?;
        let n = u32::from_le_bytes(b[2..6].try_into().expect("4 bytes")) as usize;
        if b.len() != 6 + 16 * n {
            return Err(Error::Bundle(format!(
                "{} bytes for {n} values, expected {}",
                b.len(),
                6 + 16 * n
            )));
        }
        let words: Vec<u64> = b[6..]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        Ok(PartyBundle {
            party,
            own: words[..n].to_vec(),
            next: words[n..].to_vec(),
        })
    }
}

/// Splits `values` with the given random components: `x0`, `x1` and
/// `x2 = x - x0 - x1` mod 2^64. Party `i` gets components `i` and `i+1`.
pub fn share_arith_with(values: &[u64], x0: &[u64], x1: &[u64]) -> [PartyBundle; 3] {
    assert!(
        values.len() == x0.len() && values.len() == x1.len(),
        "masks of another length"
    );
    let x2: Vec<u64> = values
        .iter()
        .zip(x0)
        .zip(x1)
        .map(|((x, a), b)| x.wrapping_sub(*a).wrapping_sub(*b))
        .collect();
    let comps = [x0.to_vec(), x1.to_vec(), x2];
    let bundle = |i: usize| PartyBundle {
        party: PartyId::new(i).expect("below 3"),
        own: comps[i].clone(),
        next: comps[(i + 1) % 3].clone(),
    };
    [bundle(0), bundle(1), bundle(2)]
}

/// Splits `values` into three bundles with fresh randomness from `rng`.
pub fn share_arith<R: rand_core::RngCore + rand_core::CryptoRng>(
    values: &[u64],
    rng: &mut R,
) -> [PartyBundle; 3] {
    let x0: Vec<u64> = values.iter().map(|_| rng.next_u64()).collect();
    let x1: Vec<u64> = values.iter().map(|_| rng.next_u64()).collect();
    share_arith_with(values, &x0, &x1)
}

/// Splits packed bits (bit `e % 64` of word `e / 64`) into three XOR
/// sharings, as `(own, next)` word vectors per party.
pub fn share_bits<R: rand_core::RngCore + rand_core::CryptoRng>(
    words: &[u64],
    rng: &mut R,
) -> [(Vec<u64>, Vec<u64>); 3] {
    let x0: Vec<u64> = words.iter().map(|_| rng.next_u64()).collect();
    let x1: Vec<u64> = words.iter().map(|_| rng.next_u64()).collect();
    let x2: Vec<u64> = words
        .iter()
        .zip(&x0)
        .zip(&x1)
        .map(|((x, a), b)| x ^ a ^ b)
        .collect();
    let comps = [x0, x1, x2];
    [0, 1, 2].map(|i| (comps[i].clone(), comps[(i + 1) % 3].clone()))
}

/// Recombines three parties' arithmetic shares: for tests only (no party
/// ever holds all three). Checks that the replicated copies agree.
pub fn reconstruct_arith(parts: [&ArithShares; 3]) -> Vec<u64> {
    for i in 0..3 {
        assert_eq!(
            parts[i].next,
            parts[(i + 1) % 3].own,
            "replicated components of parties {i} and {} differ",
            (i + 1) % 3
        );
    }
    (0..parts[0].len())
        .map(|k| {
            parts[0].own[k]
                .wrapping_add(parts[1].own[k])
                .wrapping_add(parts[2].own[k])
        })
        .collect()
}

/// Recombines three parties' boolean shares: for tests only.
pub fn reconstruct_bits(parts: [&crate::BitShares; 3]) -> Vec<bool> {
    for i in 0..3 {
        let n = parts[i].len;
        let a = crate::party::unpack(&parts[i].next, n);
        let b = crate::party::unpack(&parts[(i + 1) % 3].own, n);
        assert_eq!(
            a,
            b,
            "replicated bit components of parties {i} and {} differ",
            (i + 1) % 3
        );
    }
    let w: Vec<u64> = (0..parts[0].own.len())
        .map(|k| parts[0].own[k] ^ parts[1].own[k] ^ parts[2].own[k])
        .collect();
    crate::party::unpack(&w, parts[0].len)
}
