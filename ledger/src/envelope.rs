//! What the ledger needs from an envelope: its tx id and read/write set.
//! Signatures and policies are checked by the node before commit.

use prost::Message;
use weft_proto::{payload, Envelope, HeaderType, Payload, ProposalResult, TxId, TxRwSet};

#[derive(Debug, Clone, PartialEq)]
pub enum TxBody {
    /// An endorser transaction and what it read and wrote.
    Endorser(TxRwSet),
    /// A channel configuration update; it writes no state.
    Config,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedTx {
    pub tx_id: TxId,
    pub body: TxBody,
}

/// Decodes an envelope down to its tx id and read/write set; the error says
/// which layer was malformed.
pub fn decode_envelope(bytes: &[u8]) -> Result<DecodedTx, String> {
    let env = Envelope::decode(bytes).map_err(|e| format!("envelope: {e}"))?;
    let payload = Payload::decode(env.payload.as_slice()).map_err(|e| format!("payload: {e}"))?;
    let header = payload.header.ok_or("payload has no channel header")?;
    let tx_id =
        TxId::from_slice(&header.tx_id).ok_or_else(|| format!("tx id must be 32 bytes, got {}", header.tx_id.len()))?;
    let body = match (HeaderType::try_from(header.r#type), payload.body) {
        (Ok(HeaderType::EndorserTransaction), Some(payload::Body::Transaction(tx))) => {
            let result =
                ProposalResult::decode(tx.result_bytes.as_slice()).map_err(|e| format!("proposal result: {e}"))?;
            TxBody::Endorser(result.rwset.unwrap_or_default())
        }
        (Ok(HeaderType::Config), Some(payload::Body::ConfigUpdate(_))) => TxBody::Config,
        (t, _) => return Err(format!("header type {t:?} does not match the payload body")),
    };
    Ok(DecodedTx { tx_id, body })
}
