//! The endorser: check a signed proposal, run the contract against committed
//! state, and sign what it computed.

use std::sync::Arc;

use prost::Message;
use sha2::{Digest, Sha256};
use thiserror::Error;
use weft_contracts::{ContractDirectory, ExecutionFailure, Invocation, Runtime, StateReader, TxContext};
use weft_identity::{IdentityError, Membership, Signature, SigningKeyPair};
use weft_proto::{Endorsement, Proposal, ProposalResponse, ProposalResult, Response, SerializedIdentity, TxId};

#[derive(Debug, Error)]
pub enum EndorseError {
    #[error("malformed proposal: {0}")]
    Malformed(String),
    #[error("proposal is for channel {found:?}, this peer serves {expected:?}")]
    WrongChannel { expected: String, found: String },
    #[error("proposal creator rejected: {0}")]
    Creator(#[source] IdentityError),
    #[error("proposal signature does not verify against the creator's certificate")]
    BadSignature,
    #[error("proposal tx id is not sha256(nonce || creator certificate)")]
    BadTxId,
    #[error(transparent)]
    Contract(#[from] ExecutionFailure),
}

/// A peer's endorsing identity and its contract runtime.
pub struct Endorser {
    pub identity: SerializedIdentity,
    pub key: SigningKeyPair,
    pub runtime: Arc<Runtime>,
}

/// What the endorser needs to know about the channel, at this moment.
pub struct EndorseContext<'a> {
    pub channel_id: &'a str,
    pub membership: &'a Membership,
    pub now_unix: i64,
    pub state: Arc<dyn StateReader>,
    pub directory: Arc<dyn ContractDirectory>,
}

/// What an endorser signs: the result and its own certificate, so an
/// endorsement cannot be re-attributed to another identity.
pub fn endorsement_message(result_bytes: &[u8], endorser_certificate_der: &[u8]) -> Vec<u8> {
    [result_bytes, endorser_certificate_der].concat()
}

/// sha256 of the proposal without its transient data: what the result
/// binds to and what the transaction carries.
pub fn proposal_hash(proposal: &Proposal) -> [u8; 32] {
    let mut stripped = proposal.clone();
    stripped.transient.clear();
    Sha256::digest(stripped.encode_to_vec()).into()
}

impl Endorser {
    pub fn endorse(
        &self,
        signed: &weft_proto::SignedProposal,
        ctx: &EndorseContext<'_>,
    ) -> Result<ProposalResponse, EndorseError> {
        let proposal = Proposal::decode(signed.proposal_bytes.as_slice())
            .map_err(|e| EndorseError::Malformed(format!("proposal: {e}")))?;
        let header = proposal.header.clone().ok_or_else(|| EndorseError::Malformed("no channel header".into()))?;
        if header.channel_id != ctx.channel_id {
            return Err(EndorseError::WrongChannel { expected: ctx.channel_id.into(), found: header.channel_id });
        }
        let creator = header.creator.clone().ok_or_else(|| EndorseError::Malformed("no creator".into()))?;
        let identity = ctx.membership.validate(&creator, ctx.now_unix).map_err(EndorseError::Creator)?;
        let signature = Signature::from_bytes(&signed.signature).map_err(|_| EndorseError::BadSignature)?;
        identity.public_key.verify(&signed.proposal_bytes, &signature).map_err(|_| EndorseError::BadSignature)?;
        let expected = TxId::derive(&header.nonce, &creator.certificate_der);
        let tx_id = TxId::from_slice(&header.tx_id).filter(|id| *id == expected).ok_or(EndorseError::BadTxId)?;

        let invocation = Invocation {
            contract: proposal.contract.clone(),
            function: proposal.function.clone(),
            args: proposal.args.clone(),
            transient: proposal.transient.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
            tx: TxContext { tx_id, timestamp_unix_ms: header.timestamp_unix_ms, creator },
        };
        let execution = self.runtime.execute(&invocation, ctx.state.clone(), ctx.directory.clone())?;
        let response = Response { status: 200, message: String::new(), payload: execution.response };
        let result_bytes = ProposalResult {
            proposal_hash: proposal_hash(&proposal).to_vec(),
            contract: proposal.contract,
            contract_version: String::new(),
            rwset: Some(execution.rwset),
            events: execution.events,
            response: Some(response.clone()),
        }
        .encode_to_vec();
        let signed_bytes = endorsement_message(&result_bytes, &self.identity.certificate_der);
        let endorsement = Endorsement {
            endorser: Some(self.identity.clone()),
            signature: self.key.sign(&signed_bytes).to_bytes().to_vec(),
        };
        Ok(ProposalResponse { response: Some(response), result_bytes, endorsement: Some(endorsement) })
    }
}
