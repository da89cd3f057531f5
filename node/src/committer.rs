//! The committer: ordered blocks in, committed blocks and their events out.
//! An orderer builds block n from batch n ([`Committer::next_block`]) and
//! signs it; every node checks the orderer's signature, runs the checks in
//! `prevalidate`, commits with MVCC, applies a valid configuration update or
//! contract deployment, and hands back what listeners should hear about —
//! after the block is durable, never before.

use std::sync::Arc;

use prost::Message;
use weft_consensus::Batch;
use weft_contracts::{CodeHash, Runtime};
use weft_ledger::{new_block, ChannelLedger, CommitSummary, LedgerError};
use weft_proto::{
    payload, Block, ChannelConfig, ContractDefinition, ContractEvent, Envelope, Payload, Proposal, ProposalResult,
    TxId, TxValidationCode,
};

use crate::block_signing::{verify_block, verify_commit_certificate, BlockSignatureError};
use crate::lifecycle::{self, LIFECYCLE};
use crate::{prevalidate, ChannelRules, LedgerState};

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("batch {got} does not follow the ledger, which expects block {expected}")]
    OutOfOrder { expected: u64, got: u64 },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("rejected block: {0}")]
    Signature(#[from] BlockSignatureError),
    #[error("loading deployed contracts: {0}")]
    Contracts(String),
    #[error("configuration block {number}: {message}")]
    Config { number: u64, message: String },
    #[error("the committer has stopped (the node is shutting down or left the channel)")]
    Stopped,
    #[error("this node does not order the channel; it cannot cut blocks")]
    NotOrderer,
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
}

/// One transaction's outcome, for commit-status and event listeners.
#[derive(Debug, Clone, PartialEq)]
pub struct TxOutcome {
    pub tx_id: TxId,
    pub code: TxValidationCode,
    /// When its client made it (the header's timestamp, the client's
    /// clock): the start of its latency.
    pub created_ms: u64,
    /// The contract's events; empty unless the transaction is VALID.
    pub events: Vec<ContractEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub summary: CommitSummary,
    pub txs: Vec<TxOutcome>,
}

pub struct Committer {
    ledger: ChannelLedger,
    rules: ChannelRules,
    runtime: Arc<Runtime>,
}

impl Committer {
    /// Starts from `ledger`, committing `genesis` first if the ledger is
    /// empty. The genesis block is trusted as given (it comes with the
    /// node's configuration, not from the network).
    /// Contracts deployed through `_lifecycle` are loaded from the ledger's
    /// state and installed into `runtime`.
    pub fn open(
        mut ledger: ChannelLedger,
        genesis: &Block,
        rules: ChannelRules,
        runtime: Arc<Runtime>,
    ) -> Result<Committer, CommitError> {
        if ledger.height() == 0 {
            ledger.commit(genesis, None)?;
        }
        let mut committer = Committer { ledger, rules, runtime };
        committer.load_config()?;
        let state = LedgerState(committer.ledger.reader());
        let definitions = lifecycle::load_definitions(&state).map_err(|e| CommitError::Contracts(e.to_string()))?;
        for definition in definitions {
            let code = lifecycle::load_code(&state, &definition.code_hash)
                .map_err(|e| CommitError::Contracts(e.to_string()))?;
            committer.install(definition, &code)?;
        }
        Ok(committer)
    }

    /// The configuration in force is the last VALID configuration
    /// transaction's, which may be later than the genesis block's.
    fn load_config(&mut self) -> Result<(), CommitError> {
        let number = self.ledger.last_config_block();
        if number == 0 && self.ledger.base_height() == 0 {
            return Ok(()); // the genesis block's, which the rules came from
        }
        let corrupt = |message: String| CommitError::Config { number, message };
        let Some(block) = self.ledger.config_block()? else {
            tracing::warn!("imported from a snapshot without a configuration block; using the genesis configuration");
            return Ok(());
        };
        let codes = block.metadata.as_ref().map(|m| m.validation_codes.clone()).unwrap_or_default();
        let envelopes = block.data.map(|d| d.envelopes).unwrap_or_default();
        let config = envelopes
            .iter()
            .zip(codes)
            .rev()
            .filter(|(_, code)| *code == TxValidationCode::Valid as i32)
            .find_map(|(env, _)| match inspect(env, true).2 {
                Committable::Config(c) => Some(c),
                _ => None,
            })
            .ok_or_else(|| corrupt("holds no VALID configuration transaction".into()))?;
        self.rules.apply_config(&config).map_err(|e| corrupt(e.to_string()))?;
        Ok(())
    }

    fn install(&mut self, definition: ContractDefinition, code: &[u8]) -> Result<CodeHash, CommitError> {
        let name = definition.name.clone();
        let fail = |m: String| CommitError::Contracts(format!("contract {name}: {m}"));
        let hash = self.runtime.install(code).map_err(|e| fail(e.to_string()))?;
        self.rules.record_definition(definition, hash).map_err(|e| fail(e.to_string()))?;
        Ok(hash)
    }

    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Block `batch.seq`, unsigned, cut at `timestamp_unix_ms`.
    pub fn next_block(&self, batch: &Batch, timestamp_unix_ms: u64) -> Result<Block, CommitError> {
        let expected = self.ledger.height();
        if batch.seq != expected {
            return Err(CommitError::OutOfOrder { expected, got: batch.seq });
        }
        let mut block = new_block(batch.seq, self.ledger.last_block_hash(), batch.envelopes.clone());
        block.metadata.get_or_insert_with(Default::default).timestamp_unix_ms = timestamp_unix_ms;
        Ok(block)
    }

    /// Commits a block an orderer signed: the signature must be a current
    /// orderer's, judged at the block's timestamp; on a PBFT channel the
    /// block's commit certificate must hold too.
    pub fn commit_block(&mut self, block: &Block) -> Result<Committed, CommitError> {
        let expected = self.ledger.height();
        let got = block.header.as_ref().map(|h| h.number).unwrap_or(u64::MAX);
        if got != expected {
            return Err(CommitError::OutOfOrder { expected, got });
        }
        verify_block(block, &self.rules.membership, &self.rules.orderers)?;
        if let Some(check) = &self.rules.commit_certificates {
            verify_commit_certificate(block, check)?;
        }
        self.commit_checked(block)
    }

    pub fn ledger(&self) -> &ChannelLedger {
        &self.ledger
    }

    pub fn rules(&self) -> &ChannelRules {
        &self.rules
    }

    pub fn rules_mut(&mut self) -> &mut ChannelRules {
        &mut self.rules
    }

    /// Builds and commits block `batch.seq` without an orderer signature:
    /// for a committer that is its own orderer in tests and benchmarks.
    pub fn commit_batch(&mut self, batch: &Batch, now_unix: i64) -> Result<Committed, CommitError> {
        let block = self.next_block(batch, (now_unix.max(0) as u64) * 1000)?;
        self.commit_checked(&block)
    }

    fn commit_checked(&mut self, block: &Block) -> Result<Committed, CommitError> {
        let envelopes = block.data.as_ref().map(|d| d.envelopes.as_slice()).unwrap_or_default();
        let now_unix = (block.metadata.as_ref().map(|m| m.timestamp_unix_ms).unwrap_or(0) / 1000) as i64;
        let pre = prevalidate(envelopes, &self.rules.tx_rules(now_unix));
        let summary = self.ledger.commit(block, Some(&pre))?;
        let mut txs = Vec::with_capacity(summary.codes.len());
        for (env, &code) in envelopes.iter().zip(&summary.codes) {
            let (tx_id, created_ms, body) = inspect(env, code == TxValidationCode::Valid);
            let events = match body {
                Committable::Events(events) => events,
                Committable::Config(config) => {
                    // prevalidate already built rules from this config.
                    self.rules.apply_config(&config).expect("a VALID config transaction yields valid rules");
                    Vec::new()
                }
                Committable::Deploy(deploy) => {
                    // The endorsers compiled this code; a failure here means
                    // this node's runtime differs, which it must not hide.
                    if let Err(e) = self.install(deploy.definition, &deploy.request.code) {
                        tracing::error!(error = %e, "committed contract deployment could not be installed");
                    }
                    Vec::new()
                }
                Committable::Nothing => Vec::new(),
            };
            txs.push(TxOutcome { tx_id, code, created_ms, events });
        }
        Ok(Committed { summary, txs })
    }
}

/// What a committed transaction changes outside the ledger.
enum Committable {
    Events(Vec<ContractEvent>),
    Config(ChannelConfig),
    Deploy(Box<lifecycle::Deploy>),
    Nothing,
}

/// The tx id and, for a VALID transaction, its events or new configuration;
/// each envelope is decoded once.
fn inspect(envelope: &[u8], valid: bool) -> (TxId, u64, Committable) {
    let payload = Envelope::decode(envelope).ok().and_then(|e| Payload::decode(e.payload.as_slice()).ok());
    let header = payload.as_ref().and_then(|p| p.header.as_ref());
    let tx_id = header.and_then(|h| TxId::from_slice(&h.tx_id)).unwrap_or(TxId([0; 32]));
    let created_ms = header.map_or(0, |h| h.timestamp_unix_ms);
    let body = match payload.and_then(|p| p.body) {
        _ if !valid => Committable::Nothing,
        Some(payload::Body::Transaction(tx)) if is_lifecycle(&tx.result_bytes) => {
            Proposal::decode(tx.proposal_bytes.as_slice())
                .ok()
                .and_then(|p| lifecycle::decode_deploy(&p).ok())
                .map(|d| Committable::Deploy(Box::new(d)))
                .unwrap_or(Committable::Nothing)
        }
        Some(payload::Body::Transaction(tx)) => ProposalResult::decode(tx.result_bytes.as_slice())
            .map(|r| Committable::Events(r.events))
            .unwrap_or(Committable::Nothing),
        Some(payload::Body::ConfigUpdate(u)) => {
            ChannelConfig::decode(u.config_bytes.as_slice()).map(Committable::Config).unwrap_or(Committable::Nothing)
        }
        None => Committable::Nothing,
    };
    (tx_id, created_ms, body)
}

fn is_lifecycle(result_bytes: &[u8]) -> bool {
    ProposalResult::decode(result_bytes).is_ok_and(|r| r.contract == LIFECYCLE)
}
