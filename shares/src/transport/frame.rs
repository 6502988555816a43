//! The frame: `tag u32 LE | seq u64 LE | len u64 LE | payload`.

use super::{Tag, TransportError};
use crate::PartyId;

pub(crate) const HEADER: usize = 20;

/// Largest payload a receiver accepts (a guard against a corrupt length
/// making it allocate without bound).
pub(crate) const MAX_PAYLOAD: u64 = 1 << 36;

pub(crate) fn encode(tag: Tag, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(HEADER + payload.len());
    f.extend_from_slice(&tag.0.to_le_bytes());
    f.extend_from_slice(&seq.to_le_bytes());
    f.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    f.extend_from_slice(payload);
    f
}

/// The payload length a header announces.
pub(crate) fn payload_len(header: &[u8; HEADER]) -> u64 {
    u64::from_le_bytes(header[12..20].try_into().expect("8 bytes"))
}

pub(crate) fn decode(
    from: PartyId,
    tag: Tag,
    seq: u64,
    mut frame: Vec<u8>,
) -> Result<Vec<u8>, TransportError> {
    if frame.len() < HEADER {
        return Err(TransportError::Truncated {
            from,
            got: frame.len(),
            needed: HEADER,
        });
    }
    let got_tag = Tag(u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes")));
    let got_seq = u64::from_le_bytes(frame[4..12].try_into().expect("8 bytes"));
    let len = u64::from_le_bytes(frame[12..20].try_into().expect("8 bytes"));
    let needed = HEADER as u64 + len;
    if (frame.len() as u64) < needed {
        return Err(TransportError::Truncated {
            from,
            got: frame.len(),
            needed: needed as usize,
        });
    }
    if frame.len() as u64 > needed {
        return Err(TransportError::WrongLength {
            from,
            tag: got_tag,
            expected: len as usize,
            got: frame.len() - HEADER,
        });
    }
    if got_tag != tag {
        return Err(TransportError::UnexpectedTag {
            from,
            expected: tag,
            got: got_tag,
        });
    }
    if got_seq != seq {
        return Err(TransportError::Sequence {
            from,
            tag,
            expected: seq,
            got: got_seq,
        });
    }
    frame.drain(..HEADER);
    Ok(frame)
}
