//! Whether every bit of a group is zero, and nothing else: one masked word
//! opened per group.
//!
//! For the bits `f_1 .. f_m` of a group and fresh shared random words
//! `r_1 .. r_m` (one per bit, drawn from the pairwise keys: no message),
//! the parties open `z = r_1 f_1 ^ .. ^ r_m f_m`, the XOR of the words whose
//! bit is set. When every bit is zero, `z = 0`. Otherwise `z` is the XOR of
//! at least one uniformly random word that no party knows, so it is
//! uniformly random itself, whichever bits and however many are set: `z`
//! tells whether the group is all zero and nothing more. A group with a set
//! bit opens as zero with probability `2^-64`.
//!
//! A product `r_j f_j` of a word and a bit is an AND of each bit of `r_j`
//! with `f_j`, and the XOR over the group is linear, so each party forms
//! its part of `z` alone: the three cross terms of a replicated AND
//! (Araki et al., CCS 2016), summed over the group, plus its part of a
//! fresh XOR zero-sharing. The three parts are opened at once, each sent
//! to both peers: one round and one word per group to each peer, however
//! large the group. An AND tree over a group of `m` bits would take
//! `ceil(log2 m)` rounds before its opening.
//!
//! Semi-honest only: a part is a message its sender computes alone, which
//! no check of [`Security::Abort`] covers. There the callers keep an AND
//! tree and a checked opening; this protocol is then an error.

use crate::share::BitShares;
use crate::transport::Transport;
use crate::{Error, Party, Result, Security};

/// Opens, for each group, whether all its bits are zero (`true`: all
/// zero). Every vector of `bits` holds `groups * group` bits; group `g` is
/// made of bits `g * group .. (g + 1) * group` of every vector. `label`
/// names what the opened bits are, as for every opening.
pub fn open_all_zero<T: Transport>(
    party: &mut Party<T>,
    label: &'static str,
    bits: &[&BitShares],
    group: usize,
) -> Result<Vec<bool>> {
    if party.security() == Security::Abort {
        return Err(Error::Parameter {
            what: "open_all_zero under the abort level",
            value: 0,
            range: "semi-honest only",
        });
    }
    let n = bits.first().map_or(0, |b| b.len());
    for b in bits {
        Party::<T>::check_len("open_all_zero", n, b.len())?;
    }
    if group == 0 || !n.is_multiple_of(group) {
        return Err(Error::Parameter {
            what: "open_all_zero group size",
            value: group as u64,
            range: "a divisor of the vectors' length",
        });
    }
    let groups = n / group;
    let mut parts = vec![0u64; groups];
    // The random words, a block of elements at a time: component `i` from
    // `K_i` (this party's `own`), component `i + 1` from `K_{i+1}`, in the
    // same order at the other holder of each key.
    const BLOCK: usize = 4096;
    let mut r_own = vec![0u64; BLOCK];
    let mut r_next = vec![0u64; BLOCK];
    for b in bits {
        let (f_own, f_next) = b.components();
        let mut at = 0;
        while at < n {
            let len = BLOCK.min(n - at);
            party.prev_prg().fill(&mut r_own[..len]);
            party.next_prg().fill(&mut r_next[..len]);
            for k in 0..len {
                let e = at + k;
                // All ones where the bit is set.
                let fo = 0u64.wrapping_sub((f_own[e / 64] >> (e % 64)) & 1);
                let fx = 0u64.wrapping_sub((f_next[e / 64] >> (e % 64)) & 1);
                let (ro, rx) = (r_own[k], r_next[k]);
                parts[e / group] ^= (fo & ro) ^ (fo & rx) ^ (fx & ro);
            }
            at += len;
        }
    }
    party.xor_zero_sharing(&mut parts);
    let z = party.open_xor_parts(label, &parts)?;
    Ok(z.iter().map(|&w| w == 0).collect())
}
