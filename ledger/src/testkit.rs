//! Builders for tests and benchmarks (feature `testkit`): envelopes carrying
//! a given read/write set, and a deterministic workload of blocks.

use prost::Message;
use sha2::{Digest, Sha256};
use weft_proto::{
    payload, ChannelHeader, EndorsedTransaction, Envelope, HeaderType, KvRead, KvWrite, NsRwSet, Payload,
    ProposalResult, TxRwSet,
};

/// An endorser-transaction envelope with this tx id and read/write set.
/// Signatures are filler: the ledger does not check them.
pub fn envelope(channel: &str, tx_id: [u8; 32], rwset: TxRwSet) -> Vec<u8> {
    let result = ProposalResult { contract: "test".into(), rwset: Some(rwset), ..Default::default() };
    let payload = Payload {
        header: Some(ChannelHeader {
            r#type: HeaderType::EndorserTransaction as i32,
            channel_id: channel.into(),
            tx_id: tx_id.to_vec(),
            ..Default::default()
        }),
        body: Some(payload::Body::Transaction(EndorsedTransaction {
            proposal_bytes: vec![],
            result_bytes: result.encode_to_vec(),
            endorsements: vec![],
        })),
    };
    Envelope { payload: payload.encode_to_vec(), signature: vec![0; 64] }.encode_to_vec()
}

pub fn tx_id(seed: &[u8]) -> [u8; 32] {
    Sha256::digest(seed).into()
}

/// One namespace's writes of `value` to `keys`, with optional reads.
pub fn ns_rwset(namespace: &str, reads: Vec<KvRead>, writes: &[(&str, Option<&[u8]>)]) -> TxRwSet {
    TxRwSet {
        ns_rwsets: vec![NsRwSet {
            namespace: namespace.into(),
            reads,
            range_queries: vec![],
            writes: writes
                .iter()
                .map(|(k, v)| KvWrite {
                    key: (*k).into(),
                    is_delete: v.is_none(),
                    value: v.unwrap_or_default().to_vec(),
                })
                .collect(),
        }],
    }
}

/// Envelopes for block `number`: `txs` blind-writing transactions with
/// `writes` keys each, keys spread over `key_space`. Deterministic in its inputs.
pub fn workload_envelopes(channel: &str, number: u64, txs: usize, writes: usize, key_space: u64) -> Vec<Vec<u8>> {
    (0..txs)
        .map(|t| {
            let seed = format!("{channel}/{number}/{t}");
            let id = tx_id(seed.as_bytes());
            let keys: Vec<String> = (0..writes)
                .map(|w| {
                    let h =
                        u64::from_be_bytes(tx_id(format!("{seed}/{w}").as_bytes())[..8].try_into().expect("8 bytes"));
                    format!("key{:08}", h % key_space)
                })
                .collect();
            let value = format!("value of block {number} tx {t}");
            let ws: Vec<(&str, Option<&[u8]>)> = keys.iter().map(|k| (k.as_str(), Some(value.as_bytes()))).collect();
            envelope(channel, id, ns_rwset("bench", vec![], &ws))
        })
        .collect()
}
