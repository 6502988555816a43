//! The one error type of the wire formats: what is wrong with a message,
//! naming the field.

use super::FORMAT;
use super::MAX_BIDDER_ID_LEN;
use crate::types::BidderId;
use shares::PartyId;

/// What went wrong with a message, naming the field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    /// The submission's format number is not one this code reads.
    #[error(
        "submission format {0} is not accepted: this node reads format {FORMAT} (salted commitments); update the bidder program"
    )]
    Format(u32),
    /// The submission is for another auction.
    #[error("submission is for auction {got:?}, this is auction {expected:?}")]
    WrongAuction {
        /// The auction named in the submission.
        got: String,
        /// This auction.
        expected: String,
    },
    /// The submission is addressed to another node.
    #[error(
        "submission is addressed to node {}, this is node {}",
        got.index(),
        expected.index()
    )]
    WrongNode {
        /// The node named in the submission.
        got: PartyId,
        /// This node.
        expected: PartyId,
    },
    /// A share component has the wrong number of values.
    #[error(
        "bundle component {component:?} holds {got} values, expected {expected} (4 x K = 4 x {k}: price and quantity for K buy and K sell slots)"
    )]
    Shape {
        /// `own` or `next`.
        component: &'static str,
        /// Values received.
        got: usize,
        /// Values expected.
        expected: usize,
        /// K.
        k: u32,
    },
    /// The bundle and its salt do not open the commitment the bidder signed
    /// for this node.
    #[error(
        "the bundle for node {0} (components and salt) does not open the signed commitment commitments[{0}]",
        node.index()
    )]
    CommitmentMismatch {
        /// The node.
        node: PartyId,
    },
    /// The bidder's signature does not verify.
    #[error("signature of bidder {0} does not verify")]
    BadSignature(BidderId),
    /// A bid has more orders on one side than K.
    #[error("bidder {bidder}: {side} side has {got} orders, at most K = {k} allowed")]
    TooManyOrders {
        /// The bidder.
        bidder: BidderId,
        /// `buy` or `sell`.
        side: &'static str,
        /// Orders given.
        got: usize,
        /// K.
        k: u32,
    },
    /// A bidder id is empty or too long.
    #[error("bidder id must be 1 to {MAX_BIDDER_ID_LEN} bytes, got {0}")]
    BidderIdLength(usize),
    /// A hex field could not be read.
    #[error("{field}: {reason}")]
    Hex {
        /// The field.
        field: &'static str,
        /// What was wrong.
        reason: String,
    },
}
