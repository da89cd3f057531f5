//! The head of a state snapshot file: records are `len u32 BE ‖
//! protobuf`, the first a `SnapshotHeader` (weft-ledger writes and imports
//! the rest). Whoever only needs to know what a file holds — its channel,
//! height, configuration block — reads this much and no more.

use std::io::Read;

use prost::Message;

use crate::SnapshotHeader;

/// Largest header accepted, so a corrupt length cannot make us allocate
/// gigabytes (the ledger's limit for any record).
pub const MAX_SNAPSHOT_RECORD_BYTES: usize = 64 << 20;

/// Why a file's head is not a snapshot header.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotHeaderError {
    #[error("not a state snapshot: {0}")]
    Read(#[from] std::io::Error),
    #[error("not a state snapshot: a header of {0} bytes")]
    TooLong(usize),
    #[error("not a state snapshot: its header does not decode ({0})")]
    Decode(#[from] prost::DecodeError),
}

/// The header at the start of `input`.
pub fn read_snapshot_header(mut input: impl Read) -> Result<SnapshotHeader, SnapshotHeaderError> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_SNAPSHOT_RECORD_BYTES {
        return Err(SnapshotHeaderError::TooLong(len));
    }
    let mut header = vec![0u8; len];
    input.read_exact(&mut header)?;
    Ok(SnapshotHeader::decode(header.as_slice())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_read_back_and_garbage_refused() {
        let header = SnapshotHeader { channel_id: "weft".into(), height: 7, ..Default::default() };
        let bytes = header.encode_to_vec();
        let file = [(bytes.len() as u32).to_be_bytes().as_slice(), &bytes, b"entries follow"].concat();
        assert_eq!(read_snapshot_header(file.as_slice()).unwrap(), header);
        assert!(matches!(read_snapshot_header(&b"\0\0"[..]), Err(SnapshotHeaderError::Read(_))));
        assert!(matches!(read_snapshot_header(&u32::MAX.to_be_bytes()[..]), Err(SnapshotHeaderError::TooLong(_))));
        let junk = [3u32.to_be_bytes().as_slice(), b"\xff\xff\xff"].concat();
        assert!(matches!(read_snapshot_header(junk.as_slice()), Err(SnapshotHeaderError::Decode(_))));
    }
}
