//! Every message survives encode → decode unchanged, for arbitrary contents.

use super::*;
use proptest::prelude::*;

fn roundtrip<M: Message + Default + PartialEq + std::fmt::Debug>(msg: &M) -> Result<(), TestCaseError> {
    let bytes = msg.encode_to_vec();
    let decoded = M::decode(bytes.as_slice()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&decoded, msg);
    // Deterministic encoding: hashes over encoded messages depend on it.
    prop_assert_eq!(decoded.encode_to_vec(), bytes);
    Ok(())
}

macro_rules! roundtrip_props {
    ($($name:ident: $ty:ty),* $(,)?) => {
        proptest! {
            $(
                #[test]
                fn $name(msg in any::<$ty>()) {
                    roundtrip(&msg)?;
                }
            )*
        }
    };
}

roundtrip_props! {
    serialized_identity: SerializedIdentity,
    signature_with_identity: SignatureWithIdentity,
    version: Version,
    kv_read: KvRead,
    kv_write: KvWrite,
    range_query_info: RangeQueryInfo,
    ns_rwset: NsRwSet,
    tx_rwset: TxRwSet,
    channel_header: ChannelHeader,
    proposal: Proposal,
    signed_proposal: SignedProposal,
    proposal_result: ProposalResult,
    endorsement: Endorsement,
    proposal_response: ProposalResponse,
    endorsed_transaction: EndorsedTransaction,
    payload: Payload,
    config_update_envelope: ConfigUpdateEnvelope,
    envelope: Envelope,
    block_header: BlockHeader,
    block_metadata: BlockMetadata,
    block: Block,
    channel_config: ChannelConfig,
    versioned_value: VersionedValue,
    tx_location: TxLocation,
    savepoint: Savepoint,
    snapshot_header: SnapshotHeader,
    snapshot_entry: SnapshotEntry,
}

#[test]
fn truncated_bytes_are_a_decode_error_not_a_panic() {
    let block = Block {
        header: Some(BlockHeader { number: 7, previous_hash: vec![1; 32], data_hash: vec![2; 32] }),
        data: Some(BlockData { envelopes: vec![vec![3; 100]] }),
        metadata: None,
    };
    let bytes = block.encode_to_vec();
    for cut in 1..bytes.len() {
        // Some prefixes are themselves valid messages; none may panic, and
        // none may decode to the original.
        if let Ok(decoded) = Block::decode(&bytes[..cut]) {
            assert_ne!(decoded, block, "prefix of {cut} bytes decoded to the whole block");
        }
    }
}
