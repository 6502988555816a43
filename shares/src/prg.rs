//! The pseudo-random generator behind all correlated randomness: AES-128 in
//! counter mode (hardware AES where the CPU has it), keyed per pair of
//! parties. Two parties holding the same key draw identical streams as long
//! as they draw the same amounts in the same order, which every protocol
//! guarantees by construction.

use aes::cipher::{KeyIvInit, StreamCipher};

type Aes128Ctr = ctr::Ctr64LE<aes::Aes128>;

/// A keyed AES-CTR stream. Opaque: its `Debug` shows nothing of the key.
pub struct Prg {
    cipher: Aes128Ctr,
}

impl std::fmt::Debug for Prg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prg(..)")
    }
}

/// Bytes of keystream made at a time.
const CHUNK_BYTES: usize = 2048 * 8;
/// Words up to which a request uses a small buffer.
const SMALL: usize = 64;
const SMALL_BYTES: usize = SMALL * 8;

impl Prg {
    /// A stream keyed by a 16-byte key.
    pub fn new(key: [u8; 16]) -> Prg {
        Prg {
            cipher: Aes128Ctr::new(&key.into(), &[0u8; 16].into()),
        }
    }

    /// Fills `out` with uniformly random words.
    pub fn fill(&mut self, out: &mut [u64]) {
        if out.len() <= SMALL {
            self.fill_with::<SMALL_BYTES, 8, u64>(out, u64::from_le_bytes);
        } else {
            self.fill_with::<CHUNK_BYTES, 8, u64>(out, u64::from_le_bytes);
        }
    }

    /// Fills `out` with uniformly random 32-bit values.
    pub fn fill_u32(&mut self, out: &mut [u32]) {
        if out.len() <= 2 * SMALL {
            self.fill_with::<SMALL_BYTES, 4, u32>(out, u32::from_le_bytes);
        } else {
            self.fill_with::<CHUNK_BYTES, 4, u32>(out, u32::from_le_bytes);
        }
    }

    /// Fills `out` with uniformly random 16-bit values.
    pub fn fill_u16(&mut self, out: &mut [u16]) {
        if out.len() <= 4 * SMALL {
            self.fill_with::<SMALL_BYTES, 2, u16>(out, u16::from_le_bytes);
        } else {
            self.fill_with::<CHUNK_BYTES, 2, u16>(out, u16::from_le_bytes);
        }
    }

    /// The keystream cut into values of `W` bytes, through a buffer of
    /// `BUF` bytes: a short request zeroes a short buffer only (one word
    /// is drawn per block of gates).
    #[inline(always)]
    fn fill_with<const BUF: usize, const W: usize, T>(
        &mut self,
        out: &mut [T],
        from: fn([u8; W]) -> T,
    ) {
        let mut buf = [0u8; BUF];
        for chunk in out.chunks_mut(BUF / W) {
            let bytes = &mut buf[..chunk.len() * W];
            bytes.fill(0);
            self.cipher.apply_keystream(bytes);
            for (w, b) in chunk.iter_mut().zip(bytes.chunks_exact(W)) {
                *w = from(b.try_into().expect("W bytes"));
            }
        }
    }

    /// `n` uniformly random words.
    pub fn words(&mut self, n: usize) -> Vec<u64> {
        let mut v = vec![0u64; n];
        self.fill(&mut v);
        v
    }

    /// One random word.
    pub fn word(&mut self) -> u64 {
        let mut w = [0u64; 1];
        self.fill(&mut w);
        w[0]
    }

    /// A uniformly random permutation of `0..n` (Fisher-Yates). Index `j` is
    /// drawn as the high word of `r * (i+1)`, whose bias is below
    /// `n / 2^64`.
    pub fn permutation(&mut self, n: usize) -> Vec<u32> {
        assert!(
            n <= u32::MAX as usize,
            "permutation of more than 2^32 elements"
        );
        let mut p: Vec<u32> = (0..n as u32).collect();
        let mut r = vec![0u64; n];
        self.fill(&mut r);
        for i in (1..n).rev() {
            let j = ((r[i] as u128 * (i as u128 + 1)) >> 64) as usize;
            p.swap(i, j);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_stream_and_chunking_does_not_matter() {
        let mut a = Prg::new([7; 16]);
        let mut b = Prg::new([7; 16]);
        let x = a.words(5000);
        let mut y = b.words(3);
        y.extend(b.words(4997));
        assert_eq!(x, y);
        assert_ne!(Prg::new([8; 16]).words(4), x[..4]);
    }

    /// Every width reads the same keystream, little-endian, through the
    /// short buffer and the long one alike.
    #[test]
    fn the_widths_cut_one_keystream() {
        for n in [3usize, 64, 65, 5000] {
            let words = Prg::new([9; 16]).words(n);
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            let mut w32 = vec![0u32; 2 * n];
            Prg::new([9; 16]).fill_u32(&mut w32);
            let want32: Vec<u32> = bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                .collect();
            assert_eq!(w32, want32, "n = {n}");
            let mut w16 = vec![0u16; 4 * n];
            Prg::new([9; 16]).fill_u16(&mut w16);
            let want16: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes(c.try_into().unwrap()))
                .collect();
            assert_eq!(w16, want16, "n = {n}");
        }
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Prg::new([1; 16]).permutation(1000);
        p.sort();
        assert_eq!(p, (0..1000).collect::<Vec<u32>>());
    }
}
