//! A transaction's payload from a proposal and its endorsements: what a
//! client (weft-sdk's `assemble`) and a node's gateway (preparing it for
//! its client to sign) build the same way.

use prost::Message;

use crate::{payload, ChannelHeader, EndorsedTransaction, Payload, ProposalResponse};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssembleError {
    #[error("no endorsements: send the proposal to the peers the endorsement policy needs")]
    NoEndorsements,
    #[error("endorser {endorser} refused: {message}")]
    Refused { endorser: String, message: String },
    #[error("endorsers computed different results ({first} and {other} disagree): their state differs, probably one is behind; retry")]
    Mismatch { first: String, other: String },
}

fn who(r: &ProposalResponse) -> String {
    r.endorsement.as_ref().and_then(|e| e.endorser.as_ref()).map(|e| e.org_id.clone()).unwrap_or_else(|| "?".into())
}

/// The encoded transaction payload for a proposal (`header`, and its bytes
/// without transient data) carrying `responses`' endorsements, unsigned: what
/// a gateway prepares for its client to sign.
pub fn prepare_payload(
    header: &ChannelHeader,
    ledger_proposal_bytes: &[u8],
    responses: &[ProposalResponse],
) -> Result<Vec<u8>, AssembleError> {
    let first = responses.first().ok_or(AssembleError::NoEndorsements)?;
    for r in responses {
        let status = r.response.as_ref().map(|s| s.status).unwrap_or(0);
        if !(200..300).contains(&status) || r.endorsement.is_none() {
            let message = r.response.as_ref().map(|s| s.message.clone()).unwrap_or_default();
            return Err(AssembleError::Refused { endorser: who(r), message });
        }
        if r.result_bytes != first.result_bytes {
            return Err(AssembleError::Mismatch { first: who(first), other: who(r) });
        }
    }
    Ok(Payload {
        header: Some(header.clone()),
        body: Some(payload::Body::Transaction(EndorsedTransaction {
            proposal_bytes: ledger_proposal_bytes.to_vec(),
            result_bytes: first.result_bytes.clone(),
            endorsements: responses.iter().filter_map(|r| r.endorsement.clone()).collect(),
        })),
    }
    .encode_to_vec())
}
