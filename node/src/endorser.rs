//! The endorser: check a signed proposal, run the contract against committed
//! state, and sign what it computed.

use std::sync::Arc;

use prost::Message;
use sha2::{Digest, Sha256};
use thiserror::Error;
use weft_contracts::{ContractDirectory, ExecutionFailure, Invocation, Runtime, StateReader, TxContext};
use weft_identity::{IdentityError, Membership, Policy, Signature, SigningKeyPair};
use weft_proto::{
    ChannelHeader, ContractEvent, Endorsement, Proposal, ProposalResponse, ProposalResult, Response,
    SerializedIdentity, TxId, TxRwSet,
};

use crate::lifecycle::{self, LifecycleContext, LifecycleError, LIFECYCLE};

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
    #[error("proposal refused: {0}")]
    Forbidden(String),
    #[error("proposal tx id is not sha256(nonce || creator certificate)")]
    BadTxId,
    #[error(transparent)]
    Contract(#[from] ExecutionFailure),
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
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
    /// Channel org ids and the Lifecycle policy, for `_lifecycle` deploys.
    pub channel_orgs: &'a [String],
    pub lifecycle_policy: &'a Policy,
    /// The channel policy the creator must satisfy to be served (Writers
    /// to endorse, Readers to evaluate); None runs no access check
    /// (committer-only tests and benches).
    pub access: Option<crate::AccessPolicy<'a>>,
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
        let (tx_id, header) = self.check(signed, &proposal, ctx)?;
        if proposal.contract == LIFECYCLE {
            return self.endorse_lifecycle(proposal, ctx);
        }
        let execution = self.execute(&proposal, tx_id, header, ctx)?;
        let version = lifecycle::current_version(ctx.state.as_ref(), &proposal.contract);
        Ok(self.sign_result(&proposal, version, execution.rwset, execution.events, execution.response))
    }

    fn execute(
        &self,
        proposal: &Proposal,
        tx_id: TxId,
        header: ChannelHeader,
        ctx: &EndorseContext<'_>,
    ) -> Result<weft_contracts::Execution, EndorseError> {
        let invocation = Invocation {
            contract: proposal.contract.clone(),
            function: proposal.function.clone(),
            args: proposal.args.clone(),
            transient: proposal.transient.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
            tx: TxContext {
                tx_id,
                timestamp_unix_ms: header.timestamp_unix_ms,
                creator: header.creator.expect("checked"),
            },
        };
        Ok(self.runtime.execute(&invocation, ctx.state.clone(), ctx.directory.clone())?)
    }

    /// Evaluates a query without signing: `_lifecycle` list/get natively,
    /// anything else by running the contract.
    pub fn evaluate(
        &self,
        signed: &weft_proto::SignedProposal,
        ctx: &EndorseContext<'_>,
    ) -> Result<Response, EndorseError> {
        let proposal = Proposal::decode(signed.proposal_bytes.as_slice())
            .map_err(|e| EndorseError::Malformed(format!("proposal: {e}")))?;
        let (tx_id, header) = self.check(signed, &proposal, ctx)?;
        let payload = if proposal.contract == LIFECYCLE {
            lifecycle::query(&proposal, ctx.state.as_ref())?
        } else {
            // Nothing is signed: a query's result is never endorsed.
            self.execute(&proposal, tx_id, header, ctx)?.response
        };
        Ok(Response { status: 200, message: String::new(), payload })
    }

    /// Channel, creator certificate, signature and tx id of a proposal.
    fn check(
        &self,
        signed: &weft_proto::SignedProposal,
        proposal: &Proposal,
        ctx: &EndorseContext<'_>,
    ) -> Result<(TxId, ChannelHeader), EndorseError> {
        let header = proposal.header.clone().ok_or_else(|| EndorseError::Malformed("no channel header".into()))?;
        if header.channel_id != ctx.channel_id {
            return Err(EndorseError::WrongChannel { expected: ctx.channel_id.into(), found: header.channel_id });
        }
        let creator = header.creator.as_ref().ok_or_else(|| EndorseError::Malformed("no creator".into()))?;
        let identity = ctx.membership.validate(creator, ctx.now_unix).map_err(EndorseError::Creator)?;
        let signature = Signature::from_bytes(&signed.signature).map_err(|_| EndorseError::BadSignature)?;
        identity.public_key.verify(&signed.proposal_bytes, &signature).map_err(|_| EndorseError::BadSignature)?;
        if let Some(access) = &ctx.access {
            access.admit(&identity, ctx.channel_orgs).map_err(|e| EndorseError::Forbidden(e.to_string()))?;
        }
        let expected = TxId::derive(&header.nonce, &creator.certificate_der);
        let tx_id = TxId::from_slice(&header.tx_id).filter(|id| *id == expected).ok_or(EndorseError::BadTxId)?;
        Ok((tx_id, header))
    }

    fn endorse_lifecycle(
        &self,
        proposal: Proposal,
        ctx: &EndorseContext<'_>,
    ) -> Result<ProposalResponse, EndorseError> {
        let lctx = LifecycleContext {
            membership: ctx.membership,
            policy: ctx.lifecycle_policy,
            orgs: ctx.channel_orgs,
            now_unix: ctx.now_unix,
            runtime: &self.runtime,
        };
        let (rwset, payload) = lifecycle::simulate_deploy(&proposal, ctx.state.as_ref(), &lctx)?;
        Ok(self.sign_result(&proposal, String::new(), rwset, Vec::new(), payload))
    }

    fn sign_result(
        &self,
        proposal: &Proposal,
        contract_version: String,
        rwset: TxRwSet,
        events: Vec<ContractEvent>,
        payload: Vec<u8>,
    ) -> ProposalResponse {
        let response = Response { status: 200, message: String::new(), payload };
        let result_bytes = ProposalResult {
            proposal_hash: proposal_hash(proposal).to_vec(),
            contract: proposal.contract.clone(),
            contract_version,
            rwset: Some(rwset),
            events,
            response: Some(response.clone()),
        }
        .encode_to_vec();
        let signed_bytes = endorsement_message(&result_bytes, &self.identity.certificate_der);
        let endorsement = Endorsement {
            endorser: Some(self.identity.clone()),
            signature: self.key.sign(&signed_bytes).to_bytes().to_vec(),
        };
        ProposalResponse { response: Some(response), result_bytes, endorsement: Some(endorsement) }
    }
}
