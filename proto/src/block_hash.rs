//! The hashes that chain blocks together.

use crate::{Block, BlockData, BlockHeader, BlockMetadata};
use sha2::{Digest, Sha256};

/// sha256(number u64 BE ‖ previous_hash ‖ data_hash): fixed-width fields, so
/// the hash does not depend on how protobuf encodes the header.
pub fn block_hash(header: &BlockHeader) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(header.number.to_be_bytes());
    h.update(&header.previous_hash);
    h.update(&header.data_hash);
    h.finalize().into()
}

/// sha256 over each envelope as `len u64 BE ‖ bytes`, so moving bytes from
/// one envelope to the next changes the hash.
pub fn data_hash(data: &BlockData) -> [u8; 32] {
    let mut h = Sha256::new();
    for env in &data.envelopes {
        h.update((env.len() as u64).to_be_bytes());
        h.update(env);
    }
    h.finalize().into()
}

/// A block over `envelopes` that links to `previous_hash` (empty for the
/// genesis block). Metadata starts empty: orderers sign it, committers add
/// the validation codes.
pub fn new_block(number: u64, previous_hash: &[u8], envelopes: Vec<Vec<u8>>) -> Block {
    let data = BlockData { envelopes };
    let header = BlockHeader { number, previous_hash: previous_hash.to_vec(), data_hash: data_hash(&data).to_vec() };
    Block { header: Some(header), data: Some(data), metadata: Some(BlockMetadata::default()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_hash_separates_envelopes() {
        let a = BlockData { envelopes: vec![b"ab".to_vec(), b"c".to_vec()] };
        let b = BlockData { envelopes: vec![b"a".to_vec(), b"bc".to_vec()] };
        assert_ne!(data_hash(&a), data_hash(&b));
    }

    #[test]
    fn block_hash_covers_every_header_field() {
        let base = new_block(3, &[1; 32], vec![b"x".to_vec()]).header.unwrap();
        let mut other = base.clone();
        other.number = 4;
        assert_ne!(block_hash(&base), block_hash(&other));
        let mut other = base.clone();
        other.previous_hash[0] ^= 1;
        assert_ne!(block_hash(&base), block_hash(&other));
        let mut other = base.clone();
        other.data_hash[0] ^= 1;
        assert_ne!(block_hash(&base), block_hash(&other));
    }
}
