//! What goes into one contract call and what comes out.

use std::collections::BTreeMap;

use weft_proto::{ContractEvent, SerializedIdentity, TxId, TxRwSet};

/// The transaction a call simulates, as the proposal describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxContext {
    pub tx_id: TxId,
    /// From the proposal's channel header; the only clock contracts see.
    pub timestamp_unix_ms: u64,
    pub creator: SerializedIdentity,
}

/// One call from outside: run `function` of the contract deployed as
/// `contract`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub contract: String,
    pub function: String,
    pub args: Vec<Vec<u8>>,
    /// Private inputs, never written to the ledger.
    pub transient: BTreeMap<String, Vec<u8>>,
    pub tx: TxContext,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

/// A line a contract logged; the node writes it to its own log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub contract: String,
    pub level: LogLevel,
    pub message: String,
}

/// A successful call: what the endorser signs and returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// The contract's response payload.
    pub response: Vec<u8>,
    pub rwset: TxRwSet,
    pub events: Vec<ContractEvent>,
    pub logs: Vec<LogLine>,
    pub fuel_consumed: u64,
}
