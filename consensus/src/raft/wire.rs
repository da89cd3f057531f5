//! What raft orderers say to each other, and how a batch sits in a raft
//! entry. Both are decoded from untrusted bytes, so decoding never panics.

use protobuf::Message as _;
use raft::eraftpb::Message;
use thiserror::Error;

const TAG_RAFT: u8 = 0;
const TAG_FORWARD: u8 = 1;

#[derive(Debug)]
pub enum Wire {
    /// A raft-rs protocol message.
    Raft(Message),
    /// An envelope a follower received from a client, for the leader to
    /// put into a batch.
    Forward(Vec<u8>),
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    #[error("empty raft payload")]
    Empty,
    #[error("unknown raft payload tag {0}")]
    Tag(u8),
    #[error("malformed raft message: {0}")]
    Raft(String),
    #[error("malformed batch entry: {0}")]
    Batch(&'static str),
}

pub fn raft_message(msg: &Message) -> Vec<u8> {
    let mut out = vec![TAG_RAFT];
    // Writing a well-formed in-memory message into a Vec cannot fail.
    out.extend(msg.write_to_bytes().expect("raft message encodes"));
    out
}

pub fn forward(envelope: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(envelope.len() + 1);
    out.push(TAG_FORWARD);
    out.extend_from_slice(envelope);
    out
}

/// The envelope of a Forward payload, without copying it.
pub fn forwarded(payload: &[u8]) -> Option<&[u8]> {
    match payload.split_first() {
        Some((&TAG_FORWARD, rest)) => Some(rest),
        _ => None,
    }
}

pub fn decode(payload: &[u8]) -> Result<Wire, WireError> {
    let (&tag, rest) = payload.split_first().ok_or(WireError::Empty)?;
    match tag {
        TAG_RAFT => Message::parse_from_bytes(rest).map(Wire::Raft).map_err(|e| WireError::Raft(e.to_string())),
        TAG_FORWARD => Ok(Wire::Forward(rest.to_vec())),
        t => Err(WireError::Tag(t)),
    }
}

/// timestamp (u64 BE ms), count (u32 BE), then each envelope as length
/// (u32 BE) and bytes.
pub fn encode_batch(timestamp_ms: u64, envelopes: &[Vec<u8>]) -> Vec<u8> {
    let size = 12 + envelopes.iter().map(|e| 4 + e.len()).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend(timestamp_ms.to_be_bytes());
    out.extend((envelopes.len() as u32).to_be_bytes());
    for e in envelopes {
        out.extend((e.len() as u32).to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

pub fn decode_batch(mut bytes: &[u8]) -> Result<(u64, Vec<Vec<u8>>), WireError> {
    if bytes.len() < 8 {
        return Err(WireError::Batch("truncated timestamp"));
    }
    let (ts, rest) = bytes.split_at(8);
    let timestamp_ms = u64::from_be_bytes(ts.try_into().expect("8 bytes"));
    bytes = rest;
    let count = take_u32(&mut bytes)? as usize;
    // Never trust a count to size an allocation: each envelope needs at
    // least its 4-byte length.
    if count > bytes.len() / 4 {
        return Err(WireError::Batch("count larger than the entry"));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = take_u32(&mut bytes)? as usize;
        if len > bytes.len() {
            return Err(WireError::Batch("envelope runs past the entry"));
        }
        let (e, rest) = bytes.split_at(len);
        out.push(e.to_vec());
        bytes = rest;
    }
    if !bytes.is_empty() {
        return Err(WireError::Batch("trailing bytes"));
    }
    Ok((timestamp_ms, out))
}

fn take_u32(bytes: &mut &[u8]) -> Result<u32, WireError> {
    if bytes.len() < 4 {
        return Err(WireError::Batch("truncated length"));
    }
    let (n, rest) = bytes.split_at(4);
    *bytes = rest;
    Ok(u32::from_be_bytes(n.try_into().expect("4 bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn raft_messages_and_forwards_round_trip() {
        let m = Message { from: 7, to: 9, term: 3, ..Default::default() };
        match decode(&raft_message(&m)).unwrap() {
            Wire::Raft(back) => assert_eq!(back, m),
            other => panic!("{other:?}"),
        }
        assert!(matches!(decode(&forward(b"env")).unwrap(), Wire::Forward(e) if e == b"env"));
        assert_eq!(forwarded(&forward(b"env")), Some(&b"env"[..]));
        assert_eq!(forwarded(b""), None);
        assert_eq!(decode(&[]).unwrap_err(), WireError::Empty);
        assert_eq!(decode(&[9, 1]).unwrap_err(), WireError::Tag(9));
    }

    /// RUSTSEC-2024-0437 (protobuf < 3.7.2: a stack overflow on deeply
    /// nested groups in unknown fields) cannot be reached through raft
    /// messages with the protobuf 2.28 raft-rs uses: its `skip_group`
    /// loops, refusing a group inside a group with an error instead of
    /// recursing; and eraftpb has no recursive message type, so known
    /// fields nest at most four deep (Message, Snapshot, its metadata,
    /// ConfState). A million nested groups from a channel node are refused:
    /// were the path recursive, this test would die of the overflow.
    #[test]
    fn deeply_nested_input_is_refused_without_recursing() {
        const DEPTH: usize = 1_000_000;
        // Unknown field 99, wire type 3 (start group): tag varint 0x9b 0x06.
        let mut groups = vec![TAG_RAFT];
        for _ in 0..DEPTH {
            groups.extend([0x9b, 0x06]);
        }
        assert!(matches!(decode(&groups), Err(WireError::Raft(_))));
    }

    proptest! {
        #[test]
        fn batches_round_trip(ts in any::<u64>(), envs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..20)) {
            prop_assert_eq!(decode_batch(&encode_batch(ts, &envs)).unwrap(), (ts, envs));
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_batch(&bytes);
            let _ = decode(&bytes);
        }
    }
}
