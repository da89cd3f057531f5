//! Proposals and transactions, Fabric-style: sign a proposal, collect
//! endorsements, check they agree, and sign the envelope that goes to the
//! orderer.

use std::collections::BTreeMap;

use prost::Message;
use thiserror::Error;
use weft_identity::SigningKeyPair;
use weft_proto::{
    payload, ChannelHeader, EndorsedTransaction, Envelope, HeaderType, Payload, Proposal, ProposalResponse,
    SerializedIdentity, SignedProposal, TransientEntry, TxId,
};

/// The application's identity: its certificate and key.
pub struct ClientIdentity {
    pub identity: SerializedIdentity,
    pub key: SigningKeyPair,
}

/// What to call.
#[derive(Debug, Clone, Default)]
pub struct NewProposal {
    pub channel: String,
    pub contract: String,
    pub function: String,
    pub args: Vec<Vec<u8>>,
    pub transient: BTreeMap<String, Vec<u8>>,
    pub timestamp_unix_ms: u64,
}

/// A signed proposal, ready to send to endorsers.
#[derive(Debug, Clone)]
pub struct ProposalToSign {
    pub tx_id: TxId,
    pub header: ChannelHeader,
    pub signed: SignedProposal,
    /// The proposal as the transaction carries it: without transient data,
    /// which must never reach the ledger (endorsers hash it the same way).
    pub ledger_proposal_bytes: Vec<u8>,
}

/// Builds and signs a proposal with a fresh nonce; the tx id is
/// `sha256(nonce ‖ creator certificate)`, as validators recompute it.
pub fn propose(client: &ClientIdentity, request: &NewProposal) -> ProposalToSign {
    let nonce: [u8; 24] = rand::random();
    let tx_id = TxId::derive(&nonce, &client.identity.certificate_der);
    let header = ChannelHeader {
        r#type: HeaderType::EndorserTransaction as i32,
        channel_id: request.channel.clone(),
        tx_id: tx_id.0.to_vec(),
        timestamp_unix_ms: request.timestamp_unix_ms,
        creator: Some(client.identity.clone()),
        nonce: nonce.to_vec(),
    };
    let mut proposal = Proposal {
        header: Some(header.clone()),
        contract: request.contract.clone(),
        function: request.function.clone(),
        args: request.args.clone(),
        transient: request.transient.iter().map(|(k, v)| TransientEntry { key: k.clone(), value: v.clone() }).collect(),
    };
    let proposal_bytes = proposal.encode_to_vec();
    let signature = client.key.sign(&proposal_bytes).to_bytes().to_vec();
    proposal.transient.clear();
    let ledger_proposal_bytes = proposal.encode_to_vec();
    ProposalToSign { tx_id, header, signed: SignedProposal { proposal_bytes, signature }, ledger_proposal_bytes }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
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

/// The transaction envelope for `proposal` carrying `responses`'
/// endorsements. Every response must be a success over the same result
/// bytes. The proposal travels without its transient data, which must never
/// reach the ledger; endorsers hash the proposal the same way
/// (`proposal_hash`), so the stripped bytes still match their results.
pub fn assemble(
    client: &ClientIdentity,
    proposal: &ProposalToSign,
    responses: &[ProposalResponse],
) -> Result<Vec<u8>, AssembleError> {
    let payload = prepare_payload(&proposal.header, &proposal.ledger_proposal_bytes, responses)?;
    Ok(sign_payload(client, payload))
}

/// The envelope for an encoded payload, signed by `client`.
pub fn sign_payload(client: &ClientIdentity, payload: Vec<u8>) -> Vec<u8> {
    let signature = client.key.sign(&payload).to_bytes().to_vec();
    Envelope { payload, signature }.encode_to_vec()
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
