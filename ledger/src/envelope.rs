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

/// Why an envelope does not decode to a transaction: the layer that was
/// malformed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("{layer}: {message}")]
    Malformed { layer: &'static str, message: String },
    #[error("payload has no channel header")]
    NoHeader,
    #[error("tx id must be 32 bytes, got {0}")]
    TxIdLength(usize),
    #[error("header type {0} does not match the payload body")]
    BodyMismatch(String),
}

fn malformed(layer: &'static str) -> impl Fn(prost::DecodeError) -> EnvelopeError {
    move |e| EnvelopeError::Malformed { layer, message: e.to_string() }
}

/// Decodes an envelope down to its tx id and read/write set; the error says
/// which layer was malformed.
pub fn decode_envelope(bytes: &[u8]) -> Result<DecodedTx, EnvelopeError> {
    let env = Envelope::decode(bytes).map_err(malformed("envelope"))?;
    let payload = Payload::decode(env.payload.as_slice()).map_err(malformed("payload"))?;
    let header = payload.header.ok_or(EnvelopeError::NoHeader)?;
    let tx_id = TxId::from_slice(&header.tx_id).ok_or(EnvelopeError::TxIdLength(header.tx_id.len()))?;
    let body = match (HeaderType::try_from(header.r#type), payload.body) {
        (Ok(HeaderType::EndorserTransaction), Some(payload::Body::Transaction(tx))) => {
            let result = ProposalResult::decode(tx.result_bytes.as_slice()).map_err(malformed("proposal result"))?;
            TxBody::Endorser(result.rwset.unwrap_or_default())
        }
        (Ok(HeaderType::Config), Some(payload::Body::ConfigUpdate(_))) => TxBody::Config,
        (t, _) => return Err(EnvelopeError::BodyMismatch(format!("{t:?}"))),
    };
    Ok(DecodedTx { tx_id, body })
}
