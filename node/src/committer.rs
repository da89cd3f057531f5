//! The committer: ordered batches in, committed blocks and their events out.
//! Builds block n from batch n, runs the checks in `prevalidate`, commits
//! with MVCC, applies a valid configuration update to the channel rules, and
//! hands back what listeners should hear about — after the block is durable,
//! never before.

use prost::Message;
use weft_consensus::Batch;
use weft_ledger::{new_block, ChannelLedger, CommitSummary, LedgerError};
use weft_proto::{
    payload, Block, ChannelConfig, ContractEvent, Envelope, Payload, ProposalResult, TxId, TxValidationCode,
};

use crate::{prevalidate, ChannelRules};

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("batch {got} does not follow the ledger, which expects block {expected}")]
    OutOfOrder { expected: u64, got: u64 },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// One transaction's outcome, for commit-status and event listeners.
#[derive(Debug, Clone, PartialEq)]
pub struct TxOutcome {
    pub tx_id: TxId,
    pub code: TxValidationCode,
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
}

impl Committer {
    /// Starts from `ledger`, committing `genesis` first if the ledger is
    /// empty. The genesis block is trusted as given (it comes with the
    /// node's configuration, not from the network).
    pub fn open(mut ledger: ChannelLedger, genesis: &Block, rules: ChannelRules) -> Result<Committer, CommitError> {
        if ledger.height() == 0 {
            ledger.commit(genesis, None)?;
        }
        Ok(Committer { ledger, rules })
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

    pub fn commit_batch(&mut self, batch: &Batch, now_unix: i64) -> Result<Committed, CommitError> {
        let expected = self.ledger.height();
        if batch.seq != expected {
            return Err(CommitError::OutOfOrder { expected, got: batch.seq });
        }
        let block = new_block(batch.seq, self.ledger.last_block_hash(), batch.envelopes.clone());
        let pre = prevalidate(&batch.envelopes, &self.rules.tx_rules(now_unix));
        let summary = self.ledger.commit(&block, Some(&pre))?;
        let mut txs = Vec::with_capacity(summary.codes.len());
        for (env, &code) in batch.envelopes.iter().zip(&summary.codes) {
            let (tx_id, body) = inspect(env, code == TxValidationCode::Valid);
            let events = match body {
                Committable::Events(events) => events,
                Committable::Config(config) => {
                    // prevalidate already built rules from this config.
                    self.rules.apply_config(&config).expect("a VALID config transaction yields valid rules");
                    Vec::new()
                }
                Committable::Nothing => Vec::new(),
            };
            txs.push(TxOutcome { tx_id, code, events });
        }
        Ok(Committed { summary, txs })
    }
}

/// What a committed transaction changes outside the ledger.
enum Committable {
    Events(Vec<ContractEvent>),
    Config(ChannelConfig),
    Nothing,
}

/// The tx id and, for a VALID transaction, its events or new configuration;
/// each envelope is decoded once.
fn inspect(envelope: &[u8], valid: bool) -> (TxId, Committable) {
    let payload = Envelope::decode(envelope).ok().and_then(|e| Payload::decode(e.payload.as_slice()).ok());
    let tx_id = payload
        .as_ref()
        .and_then(|p| p.header.as_ref())
        .and_then(|h| TxId::from_slice(&h.tx_id))
        .unwrap_or(TxId([0; 32]));
    let body = match payload.and_then(|p| p.body) {
        _ if !valid => Committable::Nothing,
        Some(payload::Body::Transaction(tx)) => ProposalResult::decode(tx.result_bytes.as_slice())
            .map(|r| Committable::Events(r.events))
            .unwrap_or(Committable::Nothing),
        Some(payload::Body::ConfigUpdate(u)) => {
            ChannelConfig::decode(u.config_bytes.as_slice()).map(Committable::Config).unwrap_or(Committable::Nothing)
        }
        None => Committable::Nothing,
    };
    (tx_id, body)
}
