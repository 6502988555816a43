//! The frame: `tag u32 LE | seq u64 LE | len u64 LE | payload`.

use super::{Tag, TransportError};
use crate::PartyId;

pub(crate) const HEADER: usize = 20;

/// Largest payload a receiver accepts (a guard against a corrupt length
/// making it allocate without bound).
pub(crate) const MAX_PAYLOAD: u64 = 1 << 36;

pub(crate) fn encode(tag: Tag, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(HEADER + payload.len());
    f.extend_from_slice(&header(tag, seq, payload.len()));
    f.extend_from_slice(payload);
    f
}

/// The header of a frame whose payload is `len` bytes long.
pub(crate) fn header(tag: Tag, seq: u64, len: usize) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[0..4].copy_from_slice(&tag.0.to_le_bytes());
    h[4..12].copy_from_slice(&seq.to_le_bytes());
    h[12..20].copy_from_slice(&(len as u64).to_le_bytes());
    h
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
    let head: [u8; HEADER] = frame[..HEADER].try_into().expect("HEADER bytes");
    frame.drain(..HEADER);
    decode_parts(from, tag, seq, &head, frame)
}

/// [`decode`] of a frame received as its header and its payload apart (the
/// network transport reads them so, sparing a copy of the payload).
pub(crate) fn decode_parts(
    from: PartyId,
    tag: Tag,
    seq: u64,
    head: &[u8; HEADER],
    payload: Vec<u8>,
) -> Result<Vec<u8>, TransportError> {
    let got_tag = Tag(u32::from_le_bytes(head[0..4].try_into().expect("4 bytes")));
    let got_seq = u64::from_le_bytes(head[4..12].try_into().expect("8 bytes"));
    let len = payload_len(head);
    if (payload.len() as u64) < len {
        return Err(TransportError::Truncated {
            from,
            got: HEADER + payload.len(),
            needed: HEADER + len as usize,
        });
    }
    if payload.len() as u64 > len {
        return Err(TransportError::WrongLength {
            from,
            tag: got_tag,
            expected: len as usize,
            got: payload.len(),
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
    Ok(payload)
}
