//! The committer: ordered batches in, committed blocks and their events out.
//! Builds block n from batch n, runs the checks in `prevalidate`, commits
//! with MVCC, applies a valid configuration update to the channel rules, and
//! hands back what listeners should hear about — after the block is durable,
//! never before.

use prost::Message;
use weft_consensus::Batch;
use weft_ledger::{decode_envelope, new_block, ChannelLedger, CommitSummary, LedgerError};
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
        for (env, &code) in batch.envelopes.iter().zip(&summary.codes) {
            if code == TxValidationCode::Valid {
                if let Some(config) = config_of(env) {
                    // prevalidate already built rules from this config.
                    self.rules.apply_config(&config).expect("a VALID config transaction yields valid rules");
                }
            }
        }
        let txs = batch
            .envelopes
            .iter()
            .zip(&summary.codes)
            .map(|(env, &code)| TxOutcome {
                tx_id: decode_envelope(env).map(|d| d.tx_id).unwrap_or(TxId([0; 32])),
                code,
                events: if code == TxValidationCode::Valid { events_of(env) } else { Vec::new() },
            })
            .collect();
        Ok(Committed { summary, txs })
    }
}

fn config_of(envelope: &[u8]) -> Option<ChannelConfig> {
    let payload = Payload::decode(Envelope::decode(envelope).ok()?.payload.as_slice()).ok()?;
    match payload.body {
        Some(payload::Body::ConfigUpdate(u)) => ChannelConfig::decode(u.config_bytes.as_slice()).ok(),
        _ => None,
    }
}

fn events_of(envelope: &[u8]) -> Vec<ContractEvent> {
    let result =
        Envelope::decode(envelope).ok().and_then(|e| Payload::decode(e.payload.as_slice()).ok()).and_then(|p| match p
            .body
        {
            Some(payload::Body::Transaction(tx)) => ProposalResult::decode(tx.result_bytes.as_slice()).ok(),
            _ => None,
        });
    result.map(|r| r.events).unwrap_or_default()
}
