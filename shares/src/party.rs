//! The per-party context: transport, pairwise PRGs, the log of openings,
//! and in abort mode the ledger of messages still to be proven
//! ([`crate::verify`]).

#[cfg(feature = "planted-leaks")]
use crate::leak::Leak;
use crate::prg::Prg;
use crate::share::{ArithShares, BitShares};
use crate::transport::{Stats, Tag, Transport, TransportError};
use crate::verify::{self, Ledger};
use crate::{Error, PartyId, Result, Security};
use sha2::{Digest, Sha256};

/// One opening that took place: what was opened (the label names the value
/// and why opening it is allowed), to whom, and how many elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opening {
    /// What was opened and why that is allowed.
    pub label: &'static str,
    /// `None`: to all three parties; `Some(p)`: to party `p` only.
    pub to: Option<PartyId>,
    /// Number of elements (values or bits).
    pub count: usize,
}

/// One value to open in `bytes` bytes per element (packed components of
/// an XOR sharing if `xor`), for [`Party::open_packed_pair`].
pub(crate) struct Packed<'a> {
    pub(crate) label: &'static str,
    pub(crate) own: &'a [u64],
    pub(crate) next: &'a [u64],
    pub(crate) xor: bool,
    pub(crate) bytes: usize,
}

/// One party's state in a three-party session.
///
/// `prev_prg` is keyed by `K_i`, shared with the predecessor (the other
/// holder of component `i`); `next_prg` by `K_{i+1}`, shared with the
/// successor. Both parties of a pair draw the same amounts in the same order.
pub struct Party<T: Transport> {
    transport: T,
    me: PartyId,
    prev_prg: Prg,
    next_prg: Prg,
    opened: Vec<Opening>,
    opened_values: Option<Vec<Vec<u64>>>,
    security: Security,
    /// Abort mode: the multiplication-type and permutation-step messages
    /// since the last verification.
    ledger: Ledger,
    #[cfg(feature = "planted-leaks")]
    leak: Option<Leak>,
}

impl<T: Transport> std::fmt::Debug for Party<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Party {{ me: {} }}", self.me)
    }
}

fn pair_key(tag: &[u8], lower: PartyId, material: &[u8]) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"shares/pair-key/v1");
    h.update(tag);
    h.update([lower.index() as u8]);
    h.update(material);
    h.finalize()[..16].try_into().expect("16 bytes")
}

impl<T: Transport> Party<T> {
    /// Agrees on pairwise keys over the transport: each party sends an
    /// ephemeral X25519 public key to both peers; the key of a pair is a hash
    /// of their Diffie-Hellman secret and both public keys. The channel must
    /// be authenticated (mutual TLS between nodes), as it is in use.
    pub fn setup<R: rand_core::RngCore + rand_core::CryptoRng>(
        mut transport: T,
        rng: &mut R,
    ) -> Result<Party<T>> {
        let me = transport.me();
        let secret = x25519_dalek::StaticSecret::random_from_rng(&mut *rng);
        let public = x25519_dalek::PublicKey::from(&secret);
        transport.send(me.next(), Tag::SETUP, public.as_bytes())?;
        transport.send(me.prev(), Tag::SETUP, public.as_bytes())?;
        let key_with = |peer: PartyId, transport: &mut T| -> Result<[u8; 16]> {
            let got = transport.recv(peer, Tag::SETUP)?;
            let theirs: [u8; 32] =
                got.as_slice()
                    .try_into()
                    .map_err(|_| TransportError::WrongLength {
                        from: peer,
                        tag: Tag::SETUP,
                        expected: 32,
                        got: got.len(),
                    })?;
            let theirs = x25519_dalek::PublicKey::from(theirs);
            let dh = secret.diffie_hellman(&theirs);
            // A low-order public key (all zeros, or one of the few other
            // points of small order) makes the shared secret all zeros
            // whatever our secret: the pair key would then be a hash of
            // public values only. `was_contributory` is that all-zero test.
            if !dh.was_contributory() {
                return Err(Error::LowOrderKey { peer });
            }
            let (lo, lo_pk, hi_pk) = if (peer.index() + 1) % 3 == me.index() {
                (peer, theirs, public)
            } else {
                (me, public, theirs)
            };
            let mut material = Vec::with_capacity(96);
            material.extend_from_slice(dh.as_bytes());
            material.extend_from_slice(lo_pk.as_bytes());
            material.extend_from_slice(hi_pk.as_bytes());
            Ok(pair_key(b"x25519", lo, &material))
        };
        let next_key = key_with(me.next(), &mut transport)?;
        let prev_key = key_with(me.prev(), &mut transport)?;
        Ok(Party::with_keys(transport, prev_key, next_key))
    }

    /// Deterministic keys from a seed all three parties know: for tests and
    /// reproducible benchmarks only (every party can derive every key, so
    /// nothing is secret). Compiled only with the `test-keys` feature,
    /// which no shipped crate enables.
    #[cfg(feature = "test-keys")]
    pub fn with_seed(transport: T, seed: u64) -> Party<T> {
        let me = transport.me();
        let k = |owner_lower: PartyId| pair_key(b"seed", owner_lower, &seed.to_le_bytes());
        // K_i is shared by parties i-1 and i: the pair whose first member is i-1.
        Party::with_keys(transport, k(me.prev()), k(me))
    }

    /// A party from explicit keys: `prev_key` shared with the predecessor,
    /// `next_key` with the successor.
    pub fn with_keys(transport: T, prev_key: [u8; 16], next_key: [u8; 16]) -> Party<T> {
        let me = transport.me();
        Party {
            transport,
            me,
            prev_prg: Prg::new(prev_key),
            next_prg: Prg::new(next_key),
            opened: Vec::new(),
            opened_values: None,
            security: Security::SemiHonest,
            ledger: Ledger::default(),
            #[cfg(feature = "planted-leaks")]
            leak: None,
        }
    }

    /// The protocol variant this party runs: semi-honest unless set. All
    /// three parties of a session must set the same before the first
    /// protocol step.
    pub fn security(&self) -> Security {
        self.security
    }

    /// Chooses the protocol variant (see [`Security`]).
    pub fn set_security(&mut self, security: Security) {
        self.security = security;
    }

    /// True in abort mode: multiplication-type messages are kept for the
    /// next verification and openings are checked.
    pub(crate) fn checks(&self) -> bool {
        self.security == Security::Abort
    }

    /// Proves this party's and verifies its peers' multiplication-type
    /// messages since the last verification, and forgets them (abort mode;
    /// nothing to do otherwise). Every opening in abort mode does this
    /// first; call it explicitly to check a session that opens nothing.
    /// All three parties must call it at the same point.
    ///
    /// A failed proof is [`Error::Cheating`] with check `"mul"` (ring
    /// products, the sort's positions), `"and"` or `"shuffle"` (a message
    /// of a permutation step) and the party whose messages it covered as
    /// `peer` (see [`crate::verify`] for what that does and does not prove
    /// about the peer).
    pub fn verify(&mut self) -> Result<()> {
        if self.ledger.is_empty() {
            return Ok(());
        }
        let mut ledger = std::mem::take(&mut self.ledger);
        let result = verify::run(self, &ledger);
        // Emptied but not freed: the next messages are kept in the same
        // memory, without the cost of fresh pages.
        ledger.clear();
        self.ledger = ledger;
        result
    }

    /// The ledger, to keep a message in.
    pub(crate) fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }

    /// Verifies now if the ledger has grown past its memory limit. Called
    /// after each kept message; the ledger's size is the same at all three
    /// parties, so they verify at the same point.
    pub(crate) fn kept(&mut self) -> Result<()> {
        // Not while a protocol's products are under way (`Ledger::balanced`).
        if self.ledger.words() > verify::LEDGER_LIMIT && self.ledger.balanced() {
            self.verify()?;
        }
        Ok(())
    }

    /// This party.
    pub fn id(&self) -> PartyId {
        self.me
    }

    /// Traffic counters so far.
    pub fn stats(&self) -> Stats {
        self.transport.stats()
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably (for messages outside the protocols here).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Every opening so far, in order.
    pub fn opened(&self) -> &[Opening] {
        &self.opened
    }

    /// Starts (or stops) keeping every opened value as well as its label:
    /// for tests of what a party learns. Opened values are public to their
    /// receivers by definition; this never includes anything else.
    pub fn keep_opened_values(&mut self, on: bool) {
        self.opened_values = if on { Some(Vec::new()) } else { None };
    }

    /// The opened values this party received since
    /// [`Party::keep_opened_values`] (bits as 0/1 words, packed).
    pub fn opened_values(&self) -> &[Vec<u64>] {
        self.opened_values.as_deref().unwrap_or(&[])
    }

    /// Runs the given deliberately insecure variant from now on (`None`:
    /// the honest protocol). Plant the same on all three parties. Only with
    /// the `planted-leaks` feature, for the view tests.
    #[cfg(feature = "planted-leaks")]
    pub fn plant_leak(&mut self, leak: Option<Leak>) {
        self.leak = leak;
    }

    /// True if the planted variant is `leak`.
    #[cfg(feature = "planted-leaks")]
    pub(crate) fn leaks(&self, leak: Leak) -> bool {
        self.leak == Some(leak)
    }

    /// Forgets the log of openings (e.g. between benchmark runs).
    pub fn clear_opened(&mut self) {
        self.opened.clear();
    }

    /// The PRG shared with the predecessor (key `K_i`).
    pub(crate) fn prev_prg(&mut self) -> &mut Prg {
        &mut self.prev_prg
    }

    /// The PRG shared with the successor (key `K_{i+1}`).
    pub(crate) fn next_prg(&mut self) -> &mut Prg {
        &mut self.next_prg
    }

    /// The PRG shared with `peer`.
    pub(crate) fn prg_with(&mut self, peer: PartyId) -> &mut Prg {
        if peer == self.me.next() {
            &mut self.next_prg
        } else {
            &mut self.prev_prg
        }
    }

    /// A random sharing of `n` uniformly random values nobody knows
    /// (component `j` drawn from `K_j`): no messages.
    pub fn random_arith(&mut self, n: usize) -> ArithShares {
        let own = self.prev_prg.words(n);
        let next = self.next_prg.words(n);
        ArithShares { own, next }
    }

    /// Combines `out` with this party's part of a fresh zero-sharing, drawn
    /// in chunks: `f(out, F(K_{i+1}), F(K_i))`. Party `i`'s part is
    /// `a_i = F(K_{i+1}) - F(K_i)` (or their XOR); the parts cancel because
    /// each key's draw enters two parties with opposite signs. Party `i`
    /// sends `z_i + a_i` to its predecessor, which holds `K_i` but not
    /// `K_{i+1}`: that key's draw is the mask.
    fn with_zero_sharing(&mut self, out: &mut [u64], f: impl Fn(&mut u64, u64, u64)) {
        const CHUNK: usize = 4096;
        let mut a = [0u64; CHUNK];
        let mut b = [0u64; CHUNK];
        #[cfg(feature = "planted-leaks")]
        let (draw_a, draw_b) = if self.leaks(Leak::ReshareMaskKnownToReceiver) {
            // Without K_2 the parts still cancel (a_0 = F(K_1) - F(K_0),
            // a_1 = -F(K_1), a_2 = F(K_0)), but a_1 is known to party 0.
            (self.me.index() != 1, self.me.index() != 2)
        } else {
            (true, true)
        };
        #[cfg(not(feature = "planted-leaks"))]
        let (draw_a, draw_b) = (true, true);
        for chunk in out.chunks_mut(CHUNK) {
            let (a, b) = (&mut a[..chunk.len()], &mut b[..chunk.len()]);
            if draw_a {
                self.next_prg.fill(a);
            }
            if draw_b {
                self.prev_prg.fill(b);
            }
            for ((o, x), y) in chunk.iter_mut().zip(a.iter()).zip(b.iter()) {
                f(o, *x, *y);
            }
        }
    }

    /// The two draws of this party's part of a fresh zero-sharing, kept
    /// apart: `(F(K_{i+1}), F(K_i))`, the same values and stream positions
    /// as [`Party::add_zero_sharing`] would use for `n` elements.
    pub(crate) fn zero_sharing_parts(&mut self, n: usize) -> (Vec<u64>, Vec<u64>) {
        self.zero_sharing_draws(n, true, true)
    }

    /// [`Party::zero_sharing_parts`] with only the draws asked for: `a`
    /// from `K_(i+1)` if `next`, `b` from `K_i` if `prev`, zeros for the
    /// others. Both holders of a key must ask for its draws alike.
    pub(crate) fn zero_sharing_draws(
        &mut self,
        n: usize,
        next: bool,
        prev: bool,
    ) -> (Vec<u64>, Vec<u64>) {
        #[cfg(feature = "planted-leaks")]
        let (draw_a, draw_b) = if self.leaks(Leak::ReshareMaskKnownToReceiver) {
            (next && self.me.index() != 1, prev && self.me.index() != 2)
        } else {
            (next, prev)
        };
        #[cfg(not(feature = "planted-leaks"))]
        let (draw_a, draw_b) = (next, prev);
        let a = if draw_a {
            self.next_prg.words(n)
        } else {
            vec![0; n]
        };
        let b = if draw_b {
            self.prev_prg.words(n)
        } else {
            vec![0; n]
        };
        (a, b)
    }

    /// This party's part `a_i` of a fresh zero-sharing `a_0 + a_1 + a_2 = 0`
    /// (mod 2^64), added into `out`.
    pub(crate) fn add_zero_sharing(&mut self, out: &mut [u64]) {
        self.with_zero_sharing(out, |o, x, y| *o = o.wrapping_add(x.wrapping_sub(y)));
    }

    /// This party's part of a fresh XOR zero-sharing, XORed into `out`.
    pub(crate) fn xor_zero_sharing(&mut self, out: &mut [u64]) {
        self.with_zero_sharing(out, |o, x, y| *o ^= x ^ y);
    }

    /// Sends words to a peer.
    pub(crate) fn send_words(&mut self, to: PartyId, tag: Tag, words: &[u64]) -> Result<()> {
        Ok(self.transport.send_owned(to, tag, pack(words, 8))?)
    }

    /// Sends ring elements; with `narrow`, only their low 32 bits (for
    /// values that matter only mod 2^32, such as permutation indices).
    pub(crate) fn send_ring(
        &mut self,
        to: PartyId,
        tag: Tag,
        words: &[u64],
        narrow: bool,
    ) -> Result<()> {
        self.send_packed(to, tag, words, if narrow { 4 } else { 8 })
    }

    /// Receives `n` ring elements sent by [`Party::send_ring`].
    pub(crate) fn recv_ring(
        &mut self,
        from: PartyId,
        tag: Tag,
        n: usize,
        narrow: bool,
    ) -> Result<Vec<u64>> {
        self.recv_packed(from, tag, n, if narrow { 4 } else { 8 })
    }

    /// Sends the low `bytes` bytes (1 to 8) of every word: for values that
    /// matter only mod `2^(8 bytes)` (permutation indices, counts, bits).
    pub(crate) fn send_packed(
        &mut self,
        to: PartyId,
        tag: Tag,
        words: &[u64],
        bytes: usize,
    ) -> Result<()> {
        Ok(self.transport.send_owned(to, tag, pack(words, bytes))?)
    }

    /// Receives `n` words sent by [`Party::send_packed`] with the same
    /// width (the high bytes zero).
    pub(crate) fn recv_packed(
        &mut self,
        from: PartyId,
        tag: Tag,
        n: usize,
        bytes: usize,
    ) -> Result<Vec<u64>> {
        let got = self.transport.recv(from, tag)?;
        if got.len() != n * bytes {
            return Err(TransportError::WrongLength {
                from,
                tag,
                expected: n * bytes,
                got: got.len(),
            }
            .into());
        }
        Ok(unpack_words(&got, bytes))
    }

    /// Sends the low `bytes` bytes (1 to 4) of every 32-bit value.
    pub(crate) fn send_packed32(
        &mut self,
        to: PartyId,
        tag: Tag,
        values: &[u32],
        bytes: usize,
    ) -> Result<()> {
        assert!((1..=4).contains(&bytes), "1 to 4 bytes per value");
        let out = match bytes {
            4 => pack32_fixed::<4>(values),
            3 => pack32_fixed::<3>(values),
            2 => pack32_fixed::<2>(values),
            _ => pack32_fixed::<1>(values),
        };
        Ok(self.transport.send_owned(to, tag, out)?)
    }

    /// Receives `n` values sent by [`Party::send_packed32`].
    pub(crate) fn recv_packed32(
        &mut self,
        from: PartyId,
        tag: Tag,
        n: usize,
        bytes: usize,
    ) -> Result<Vec<u32>> {
        let got = self.transport.recv(from, tag)?;
        if got.len() != n * bytes {
            return Err(TransportError::WrongLength {
                from,
                tag,
                expected: n * bytes,
                got: got.len(),
            }
            .into());
        }
        Ok(match bytes {
            4 => unpack32_fixed::<4>(&got),
            3 => unpack32_fixed::<3>(&got),
            2 => unpack32_fixed::<2>(&got),
            _ => unpack32_fixed::<1>(&got),
        })
    }

    /// Sends consecutive columns of `n` words each, column `j` in
    /// `kinds[j].1` bytes per word.
    pub(crate) fn send_cols(
        &mut self,
        to: PartyId,
        tag: Tag,
        words: &[u64],
        n: usize,
        kinds: &[(bool, usize)],
    ) -> Result<()> {
        let mut out = Vec::with_capacity(kinds.iter().map(|k| k.1 * n).sum());
        for (c, &(_, bytes)) in words.chunks(n).zip(kinds) {
            out.extend_from_slice(&pack(c, bytes));
        }
        Ok(self.transport.send_owned(to, tag, out)?)
    }

    /// Receives what [`Party::send_cols`] sent.
    pub(crate) fn recv_cols(
        &mut self,
        from: PartyId,
        tag: Tag,
        n: usize,
        kinds: &[(bool, usize)],
    ) -> Result<Vec<u64>> {
        let expected: usize = kinds.iter().map(|k| k.1 * n).sum();
        let got = self.transport.recv(from, tag)?;
        if got.len() != expected {
            return Err(TransportError::WrongLength {
                from,
                tag,
                expected,
                got: got.len(),
            }
            .into());
        }
        let mut out = Vec::with_capacity(n * kinds.len());
        let mut at = 0;
        for &(_, bytes) in kinds {
            out.extend(unpack_words(&got[at..at + n * bytes], bytes));
            at += n * bytes;
        }
        Ok(out)
    }

    /// Sends several vectors of new components to the predecessor as one
    /// message and receives the successor's, split the same way (the
    /// reshare of a multiplication, for several outputs at once).
    pub(crate) fn exchange_parts(&mut self, parts: &[Vec<u64>]) -> Result<Vec<Vec<u64>>> {
        let me = self.me;
        let total: usize = parts.iter().map(Vec::len).sum();
        let mut bytes = Vec::with_capacity(total * 8);
        for w in parts.iter().flatten() {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        self.transport.send_owned(me.prev(), Tag::MUL, bytes)?;
        let got = self.transport.recv(me.next(), Tag::MUL)?;
        if got.len() != total * 8 {
            return Err(TransportError::WrongLength {
                from: me.next(),
                tag: Tag::MUL,
                expected: total * 8,
                got: got.len(),
            }
            .into());
        }
        let mut words = got
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
        Ok(parts
            .iter()
            .map(|p| words.by_ref().take(p.len()).collect())
            .collect())
    }

    /// Receives exactly `n` words from a peer.
    pub(crate) fn recv_words(&mut self, from: PartyId, tag: Tag, n: usize) -> Result<Vec<u64>> {
        let bytes = self.transport.recv(from, tag)?;
        if bytes.len() != n * 8 {
            return Err(TransportError::WrongLength {
                from,
                tag,
                expected: n * 8,
                got: bytes.len(),
            }
            .into());
        }
        Ok(unpack_words(&bytes, 8))
    }

    /// The one choke point of every opening. `combine` joins the missing
    /// component to the two held ones.
    ///
    /// In abort mode every kept message is proven first, and the missing
    /// component is received from both of its holders: in full from the
    /// predecessor, as a hash from the successor (which holds it as
    /// `next`). A mismatch is [`Error::Cheating`] with check `"opening"` and
    /// no peer: with three parties the receiver cannot tell which of the
    /// two lied.
    // The arguments are the opening's description, each one a plain value
    // the call sites name; a struct would only move them.
    #[allow(clippy::too_many_arguments)]
    fn open_words(
        &mut self,
        label: &'static str,
        to: Option<PartyId>,
        count: usize,
        own: &[u64],
        next: &[u64],
        xor: bool,
        bytes: usize,
    ) -> Result<Option<Vec<u64>>> {
        self.verify()?;
        let index = self.opened.len();
        self.opened.push(Opening { label, to, count });
        if !self.send_opening(index, to, own, next, bytes)? {
            return Ok(None);
        }
        let missing = self.receive_opening(index, to, own.len(), bytes)?;
        Ok(Some(self.combined(own, next, &missing, xor, bytes)))
    }

    /// The opened value: the two held components joined to the `missing`
    /// one, cut to `bytes` bytes (and kept, if asked for).
    fn combined(
        &mut self,
        own: &[u64],
        next: &[u64],
        missing: &[u64],
        xor: bool,
        bytes: usize,
    ) -> Vec<u64> {
        let width = width_mask(bytes);
        let v: Vec<u64> = own
            .iter()
            .zip(next)
            .zip(missing)
            .map(|((a, b), c)| {
                if xor {
                    a ^ b ^ c
                } else {
                    a.wrapping_add(*b).wrapping_add(*c)
                }
            })
            .map(|v| v & width)
            .collect();
        if let Some(kept) = &mut self.opened_values {
            kept.push(v.clone());
        }
        v
    }

    /// Sends this party's parts of opening number `index`; true if it
    /// receives the value. Party `i` lacks component `i+2 = i-1`, which its
    /// predecessor holds as `own` and its successor as `next`: everyone
    /// sends `own` to its successor and, in abort mode, a hash of `next` to
    /// its predecessor.
    fn send_opening(
        &mut self,
        index: usize,
        to: Option<PartyId>,
        own: &[u64],
        next: &[u64],
        bytes: usize,
    ) -> Result<bool> {
        let me = self.me;
        let check = self.checks();
        Ok(match to {
            None => {
                self.send_packed(me.next(), Tag::OPEN, own, bytes)?;
                if check {
                    let h = opening_hash(index, &pack(next, bytes));
                    self.transport.send(me.prev(), Tag::OPEN, &h)?;
                }
                true
            }
            Some(p) => {
                if me.next() == p {
                    self.send_packed(p, Tag::OPEN_TO, own, bytes)?;
                }
                if check && me.prev() == p {
                    let h = opening_hash(index, &pack(next, bytes));
                    self.transport.send(p, Tag::OPEN_TO, &h)?;
                }
                me == p
            }
        })
    }

    /// Receives the missing component of opening number `index` (and in
    /// abort mode its hash from the other holder, and compares).
    fn receive_opening(
        &mut self,
        index: usize,
        to: Option<PartyId>,
        n: usize,
        bytes: usize,
    ) -> Result<Vec<u64>> {
        let me = self.me;
        let tag = if to.is_none() {
            Tag::OPEN
        } else {
            Tag::OPEN_TO
        };
        let got = self.recv_bytes(me.prev(), tag, n * bytes)?;
        if self.checks() {
            let h = self.recv_bytes(me.next(), tag, 32)?;
            if h[..] != opening_hash(index, &got)[..] {
                return Err(Error::Cheating {
                    check: "opening",
                    peer: None,
                });
            }
        }
        Ok(unpack_words(&got, bytes))
    }

    /// Receives exactly `len` bytes.
    fn recv_bytes(&mut self, from: PartyId, tag: Tag, len: usize) -> Result<Vec<u8>> {
        let got = self.transport.recv(from, tag)?;
        if got.len() != len {
            return Err(TransportError::WrongLength {
                from,
                tag,
                expected: len,
                got: got.len(),
            }
            .into());
        }
        Ok(got)
    }

    /// Opens arithmetic shares to all three parties. `label` names the value
    /// and why opening it is allowed; it is recorded in [`Party::opened`].
    pub fn open_arith(&mut self, label: &'static str, x: &ArithShares) -> Result<Vec<u64>> {
        Ok(self
            .open_words(label, None, x.len(), &x.own, &x.next, false, 8)?
            .expect("everyone receives"))
    }

    /// Opens arithmetic shares of values below `2^(8 bytes)` (`bytes` in
    /// `1..=8`) whose components agree between their holders only in
    /// those bytes (after [`crate::sort::SortPermutation::undo_mod`]):
    /// each component travels in `bytes` bytes, and the values come back
    /// mod `2^(8 bytes)`.
    pub fn open_arith_mod(
        &mut self,
        label: &'static str,
        x: &ArithShares,
        bytes: usize,
    ) -> Result<Vec<u64>> {
        check_bytes("opening bytes", bytes)?;
        self.open_packed(label, &x.own, &x.next, false, bytes)
    }

    /// Opens values defined mod `2^(8 bytes)` only (permutation indices)
    /// to all, sending `bytes` bytes per element; `own` and `next` are this
    /// party's components, of an XOR sharing if `xor`.
    pub(crate) fn open_packed(
        &mut self,
        label: &'static str,
        own: &[u64],
        next: &[u64],
        xor: bool,
        bytes: usize,
    ) -> Result<Vec<u64>> {
        Ok(self
            .open_words(label, None, own.len(), own, next, xor, bytes)?
            .expect("everyone receives"))
    }

    /// [`Party::open_packed`], running `then` (which may send further
    /// messages) between sending this party's component and receiving the
    /// missing one: those messages travel in the opening's round.
    pub(crate) fn open_packed_then<R>(
        &mut self,
        label: &'static str,
        own: &[u64],
        next: &[u64],
        bytes: usize,
        then: impl FnOnce(&mut Self) -> Result<R>,
    ) -> Result<(Vec<u64>, R)> {
        self.verify()?;
        let index = self.opened.len();
        self.opened.push(Opening {
            label,
            to: None,
            count: own.len(),
        });
        self.send_opening(index, None, own, next, bytes)?;
        let r = then(self)?;
        let missing = self.receive_opening(index, None, own.len(), bytes)?;
        Ok((self.combined(own, next, &missing, false, bytes), r))
    }

    /// Two openings to all in one round, as [`Party::open_packed`] each:
    /// both are sent before either is received.
    pub(crate) fn open_packed_pair(
        &mut self,
        first: Packed<'_>,
        second: Packed<'_>,
    ) -> Result<(Vec<u64>, Vec<u64>)> {
        self.verify()?;
        let index = self.opened.len();
        for (k, o) in [&first, &second].into_iter().enumerate() {
            self.opened.push(Opening {
                label: o.label,
                to: None,
                count: o.own.len(),
            });
            self.send_opening(index + k, None, o.own, o.next, o.bytes)?;
        }
        let mut out = Vec::with_capacity(2);
        for (k, o) in [&first, &second].into_iter().enumerate() {
            let missing = self.receive_opening(index + k, None, o.own.len(), o.bytes)?;
            out.push(self.combined(o.own, o.next, &missing, o.xor, o.bytes));
        }
        let second = out.pop().expect("two");
        Ok((out.pop().expect("two"), second))
    }

    /// Opens words held as three XOR parts, one per party, each already
    /// masked by this party's part of a fresh zero-sharing (so that two
    /// parts seen together are uniformly random given their XOR): every
    /// party sends its part to both peers and XORs the three. One round.
    /// Semi-honest only: a part is a message its sender computes alone,
    /// which no check could cover; under [`Security::Abort`] this is
    /// [`Error::Parameter`].
    pub(crate) fn open_xor_parts(
        &mut self,
        label: &'static str,
        parts: &[u64],
    ) -> Result<Vec<u64>> {
        if self.checks() {
            return Err(Error::Parameter {
                what: "an opening of unreplicated parts under the abort level",
                value: parts.len() as u64,
                range: "semi-honest only",
            });
        }
        self.opened.push(Opening {
            label,
            to: None,
            count: parts.len(),
        });
        let me = self.me;
        let bytes = pack(parts, 8);
        self.transport.send(me.next(), Tag::OPEN, &bytes)?;
        self.transport.send(me.prev(), Tag::OPEN, &bytes)?;
        drop(bytes);
        let mut v = parts.to_vec();
        for peer in [me.prev(), me.next()] {
            let got = self.recv_bytes(peer, Tag::OPEN, parts.len() * 8)?;
            for (a, b) in v.iter_mut().zip(unpack_words(&got, 8)) {
                *a ^= b;
            }
        }
        if let Some(kept) = &mut self.opened_values {
            kept.push(v.clone());
        }
        Ok(v)
    }

    /// Opens arithmetic shares to party `to` only; returns `Some` there,
    /// `None` at the other two.
    pub fn open_arith_to(
        &mut self,
        label: &'static str,
        to: PartyId,
        x: &ArithShares,
    ) -> Result<Option<Vec<u64>>> {
        self.open_words(label, Some(to), x.len(), &x.own, &x.next, false, 8)
    }

    /// Opens boolean shares to all three parties, as one `bool` per element.
    pub fn open_bits(&mut self, label: &'static str, x: &BitShares) -> Result<Vec<bool>> {
        let (own, next) = without_padding(x);
        let w = self
            .open_words(label, None, x.len, &own, &next, true, 8)?
            .expect("everyone receives");
        Ok(unpack(&w, x.len))
    }

    /// Opens boolean shares to party `to` only.
    pub fn open_bits_to(
        &mut self,
        label: &'static str,
        to: PartyId,
        x: &BitShares,
    ) -> Result<Option<Vec<bool>>> {
        let (own, next) = without_padding(x);
        Ok(self
            .open_words(label, Some(to), x.len, &own, &next, true, 8)?
            .map(|w| unpack(&w, x.len)))
    }

    /// A fresh, re-randomised sharing of the same values (one round, one
    /// element per party): `y_i = x_i + a_i` with a zero-sharing `a`, sent
    /// to the predecessor as its `next`.
    pub fn rerandomize(&mut self, x: &ArithShares) -> Result<ArithShares> {
        let mut own = x.own.clone();
        self.add_zero_sharing(&mut own);
        // The new component i must be known to parties i-1 and i.
        let me = self.me;
        self.send_words(me.prev(), Tag::RERANDOMIZE, &own)?;
        let next = self.recv_words(me.next(), Tag::RERANDOMIZE, own.len())?;
        Ok(ArithShares { own, next })
    }

    /// Ends a computation whose outputs are opened: in abort mode, proves
    /// whatever is still unproven, then tells both peers that every check
    /// of this party passed and waits for both to say the same (one round).
    /// A party that caught cheating stops without saying it, so an honest
    /// party never returns from here while the other honest party has
    /// aborted: the one that saw nothing wrong fails too (its peer's
    /// verdict never comes). Nothing in semi-honest mode.
    pub fn conclude(&mut self) -> Result<()> {
        if self.security == Security::SemiHonest {
            return Ok(());
        }
        self.verify()?;
        let me = self.me;
        for p in [me.next(), me.prev()] {
            self.transport.send(p, Tag::CONCLUDE, b"ok")?;
        }
        for p in [me.next(), me.prev()] {
            let got = self.transport.recv(p, Tag::CONCLUDE)?;
            if got != b"ok" {
                return Err(Error::Cheating {
                    check: "conclusion",
                    peer: Some(p),
                });
            }
        }
        Ok(())
    }

    /// Waits until all three parties reach this point (one tiny message to
    /// each peer).
    pub fn barrier(&mut self) -> Result<()> {
        let me = self.me;
        self.transport.send(me.next(), Tag::BARRIER, &[])?;
        self.transport.send(me.prev(), Tag::BARRIER, &[])?;
        self.transport.recv(me.next(), Tag::BARRIER)?;
        self.transport.recv(me.prev(), Tag::BARRIER)?;
        Ok(())
    }

    pub(crate) fn check_len(what: &'static str, a: usize, b: usize) -> Result<()> {
        if a != b {
            Err(Error::LengthMismatch {
                what,
                left: a,
                right: b,
            })
        } else {
            Ok(())
        }
    }
}

/// The hash the second holder of a component sends in an opening: over a
/// label, the opening's number in the session and the component's bytes
/// as they travel.
fn opening_hash(index: usize, bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"shares/open-check/v1");
    h.update((index as u64).to_le_bytes());
    h.update(bytes);
    h.finalize().into()
}

/// The low `bytes` bytes of every word, little-endian, one after another.
pub(crate) fn pack(words: &[u64], bytes: usize) -> Vec<u8> {
    assert!((1..=8).contains(&bytes), "1 to 8 bytes per word");
    // One loop per width, so that each word's copy has a fixed length and
    // compiles to a store rather than a call.
    match bytes {
        8 => pack_fixed::<8>(words),
        7 => pack_fixed::<7>(words),
        6 => pack_fixed::<6>(words),
        5 => pack_fixed::<5>(words),
        4 => pack_fixed::<4>(words),
        3 => pack_fixed::<3>(words),
        2 => pack_fixed::<2>(words),
        _ => pack_fixed::<1>(words),
    }
}

fn pack_fixed<const B: usize>(words: &[u64]) -> Vec<u8> {
    let mut out = vec![0u8; words.len() * B];
    for (c, w) in out.chunks_exact_mut(B).zip(words) {
        c.copy_from_slice(&w.to_le_bytes()[..B]);
    }
    out
}

fn pack32_fixed<const B: usize>(values: &[u32]) -> Vec<u8> {
    let mut out = vec![0u8; values.len() * B];
    for (c, v) in out.chunks_exact_mut(B).zip(values) {
        c.copy_from_slice(&v.to_le_bytes()[..B]);
    }
    out
}

fn unpack32_fixed<const B: usize>(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(B)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..B].copy_from_slice(c);
            u32::from_le_bytes(w)
        })
        .collect()
}

/// Inverse of [`pack`].
pub(crate) fn unpack_words(b: &[u8], bytes: usize) -> Vec<u64> {
    match bytes {
        8 => unpack_fixed::<8>(b),
        7 => unpack_fixed::<7>(b),
        6 => unpack_fixed::<6>(b),
        5 => unpack_fixed::<5>(b),
        4 => unpack_fixed::<4>(b),
        3 => unpack_fixed::<3>(b),
        2 => unpack_fixed::<2>(b),
        _ => unpack_fixed::<1>(b),
    }
}

fn unpack_fixed<const B: usize>(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(B)
        .map(|c| {
            let mut w = [0u8; 8];
            w[..B].copy_from_slice(c);
            u64::from_le_bytes(w)
        })
        .collect()
}

/// [`Error::Parameter`] unless `bytes`, a width in bytes of values that
/// matter mod `2^(8 bytes)` (`what` names it), is in `1..=8`.
pub(crate) fn check_bytes(what: &'static str, bytes: usize) -> Result<()> {
    if bytes == 0 || bytes > 8 {
        return Err(Error::Parameter {
            what,
            value: bytes as u64,
            range: "1..=8",
        });
    }
    Ok(())
}

/// The mask of the low `bytes` bytes.
pub(crate) fn width_mask(bytes: usize) -> u64 {
    if bytes >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * bytes)) - 1
    }
}

/// Packed bits to `bool`s.
pub(crate) fn unpack(words: &[u64], len: usize) -> Vec<bool> {
    (0..len)
        .map(|e| (words[e / 64] >> (e % 64)) & 1 == 1)
        .collect()
}

/// Both components with the bits past `x.len` in the last word cleared, so
/// an opening reveals exactly `x.len` bits whatever a protocol left in the
/// padding (clearing a public position in every component keeps the XOR
/// sharing of the real bits intact).
fn without_padding(x: &BitShares) -> (Vec<u64>, Vec<u64>) {
    let words = x.len.div_ceil(64);
    let (mut own, mut next) = (x.own[..words].to_vec(), x.next[..words].to_vec());
    let used = x.len % 64;
    if used != 0 {
        let mask = (1u64 << used) - 1;
        for w in [own.last_mut(), next.last_mut()].into_iter().flatten() {
            *w &= mask;
        }
    }
    (own, next)
}
