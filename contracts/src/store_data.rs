//! The per-invocation state a wasmtime `Store` carries: the call stack of
//! contracts, the read/write set being built, events, logs and limits.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::ResourceLimiter;
use weft_contract_sdk::abi::CallOutcome;
use weft_proto::ContractEvent;

use crate::cache::ModuleCache;
use crate::rwset_builder::RwSetBuilder;
use crate::{ContractDirectory, Limits, LogLine, StateReader, TxContext};

/// One contract on the call stack.
pub(crate) struct Frame {
    pub contract: String,
    /// The encoded `abi::Call` this frame runs.
    pub input: Vec<u8>,
    /// The return buffer (see `weft_contract_sdk::abi`).
    pub ret: Vec<u8>,
    pub outcome: Option<CallOutcome>,
    pub panic: Option<String>,
}

impl Frame {
    pub fn new(contract: String, input: Vec<u8>) -> Frame {
        Frame { contract, input, ret: Vec::new(), outcome: None, panic: None }
    }
}

pub(crate) struct StoreData {
    pub limiter: MemoryLimiter,
    pub frames: Vec<Frame>,
    pub rw: RwSetBuilder,
    pub events: Vec<ContractEvent>,
    pub logs: Vec<LogLine>,
    pub log_bytes: usize,
    pub tx: TxContext,
    pub transient: BTreeMap<String, Vec<u8>>,
    pub state: Arc<dyn StateReader>,
    pub directory: Arc<dyn ContractDirectory>,
    pub cache: Arc<ModuleCache>,
    pub limits: Limits,
}

impl StoreData {
    pub fn frame(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("host functions run only inside a frame")
    }

    pub fn contract(&self) -> &str {
        &self.frames.last().expect("host functions run only inside a frame").contract
    }
}

/// Raised (as a trap) when a memory would grow past the limit, so the error
/// names the cause instead of surfacing as a failed allocation later.
#[derive(Debug)]
pub(crate) struct MemoryExceeded {
    pub requested: usize,
    pub limit: usize,
}

impl std::fmt::Display for MemoryExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "memory of {} bytes requested, limit {}", self.requested, self.limit)
    }
}

impl std::error::Error for MemoryExceeded {}

pub(crate) struct MemoryLimiter {
    pub memory_bytes: usize,
    pub instances: usize,
}

/// Tables hold function references; Rust contracts need a few hundred.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            return Err(wasmtime::Error::new(MemoryExceeded { requested: desired, limit: self.memory_bytes }));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn memories(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.instances
    }
}
