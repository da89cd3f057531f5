//! Proposals and transactions, Fabric-style: sign a proposal, collect
//! endorsements, check they agree, and sign the envelope that goes to the
//! orderer.

use std::collections::BTreeMap;

use prost::Message;
use weft_proto::{
    ChannelHeader, Envelope, HeaderType, Proposal, ProposalResponse, SignedProposal, TransientEntry, TxId,
};

pub use weft_identity::ClientIdentity;
pub use weft_proto::{prepare_payload, AssembleError};

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
