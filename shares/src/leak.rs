//! Planted leaks: deliberately insecure variants of seven protocol steps,
//! each of which keeps every output correct. They exist so that the view
//! tests (`tests/view.rs`) can show that they catch what no correctness
//! test can: a party learning more than its view should allow.
//!
//! This module, and every branch that consults it, is compiled only with
//! the `planted-leaks` feature, which only this crate's own tests enable
//! (through its dev-dependency on itself); no shipped crate can turn it
//! on. Even with the feature, a party runs the honest protocol unless a
//! test calls [`Party::plant_leak`](crate::Party::plant_leak). A variant
//! changes the protocol, not one party's behaviour: plant the same one on
//! all three parties of a session, or their pairwise streams fall out of
//! step.

/// A deliberately insecure variant of one protocol step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Leak {
    /// Bit injection reshares `c = b0 ^ b1` with the mask `r = 0`
    /// (components `(0, c, 0)`): party 1 receives `c` in the clear, and
    /// with its `b2` learns every injected bit.
    InjectWithoutMask,
    /// Every shuffle replaces the permutation of pair (1, 2) by the
    /// identity: party 0, which holds the other two, knows the whole
    /// shuffle, so whatever is opened after it is unmasked for party 0.
    ShuffleSkipsPair,
    /// Zero-sharings (every multiplication and AND) leave out the key
    /// `K_2`: party 1's reshare to party 0 is masked only with `K_1`, a key
    /// party 0 holds, so party 0 can strip the mask.
    ReshareMaskKnownToReceiver,
    /// Each bit round of the sort opens its partial sorting permutation
    /// without the fresh shuffle that should make it uniformly random: every
    /// party learns how the keys so far are ordered.
    SortOpensUnshuffled,
    /// The one-hot protocol's first message (party 0 to party 1) carries
    /// `e(c)` with the mask `r = 0`: party 1, which knows `x2`, reads every
    /// digit of the sort key.
    OneHotWithoutMask,
    /// The proofs of abort mode without their zero-knowledge pad
    /// ([`crate::verify`]): the `u*` and `v*` the verifiers exchange are
    /// fixed combinations of the prover's components, with weights and
    /// challenges the receiving verifier knows.
    ProofWithoutPad,
    /// The random digits that mask each digit the abort-level sort opens
    /// leave out component 2 (drawn from `K_2`): party 0 holds the other
    /// two components and reads every opened digit.
    DigitMaskWithoutK2,
}

impl Leak {
    /// All planted leaks.
    pub const ALL: [Leak; 7] = [
        Leak::InjectWithoutMask,
        Leak::ShuffleSkipsPair,
        Leak::ReshareMaskKnownToReceiver,
        Leak::SortOpensUnshuffled,
        Leak::OneHotWithoutMask,
        Leak::ProofWithoutPad,
        Leak::DigitMaskWithoutK2,
    ];
}
