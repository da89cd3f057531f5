//! What can go wrong installing or running a contract. Each message says
//! what happened and what the author or operator can do about it.

use thiserror::Error;

use crate::{CodeHash, LogLine};

/// The engine could not be set up with the requested configuration.
#[derive(Debug, Error)]
#[error("cannot configure the WebAssembly engine: {0}")]
pub struct RuntimeError(pub String);

/// Reading committed state failed; the node's storage is at fault, not the
/// contract.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("reading committed state failed: {0}")]
pub struct StateError(pub String);

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum InstallError {
    #[error("module is {size} bytes, over the {limit}-byte limit; build with `--profile contract` (opt-level \"s\", LTO) or raise the node's contract max_module_bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("not a valid WebAssembly module: {0}")]
    Invalid(String),
    #[error("module imports {import}, which is not part of the Weft host API; contracts may import only `weft` functions ({allowed}). Build for wasm32-unknown-unknown with weft-contract-sdk (not WASI) and avoid crates that need a clock, randomness or I/O")]
    ForbiddenImport { import: String, allowed: String },
    #[error("module imports {import} with the wrong signature {found}; the host provides {expected}. Is the module built with a matching weft-contract-sdk version?")]
    WrongSignature { import: String, found: String, expected: String },
    #[error("module does not export {export}; contracts define their functions with weft_contract_sdk::contract! which provides it")]
    MissingExport { export: String },
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ExecutionError {
    #[error("contract {contract:?} is not deployed on this channel")]
    UnknownContract { contract: String },
    #[error("contract {contract:?} refers to code {code} that is not installed on this node; install it first")]
    NotInstalled { contract: String, code: CodeHash },
    #[error("{contract}: {message}")]
    Failed { contract: String, message: String },
    #[error(
        "{contract} ran out of fuel after {limit} units: it loops forever or does too much work for one transaction"
    )]
    OutOfFuel { contract: String, limit: u64 },
    #[error("{contract} tried to grow its memory to {requested} bytes, over the {limit}-byte limit")]
    MemoryLimit { contract: String, requested: usize, limit: usize },
    #[error("{contract} overflowed its call stack (recursion too deep for the {limit}-byte WebAssembly stack)")]
    StackOverflow { contract: String, limit: usize },
    #[error("{contract} panicked: {message}")]
    Panicked { contract: String, message: String },
    #[error("{contract} trapped: {trap}")]
    Trapped { contract: String, trap: String },
    #[error("{contract} finished without returning a response or an error; export its functions with weft_contract_sdk::contract!")]
    NoResponse { contract: String },
    #[error("{contract}: {what} is {size} bytes, over the {limit}-byte limit")]
    TooLarge { contract: String, what: &'static str, size: usize, limit: usize },
    #[error("{contract} emitted more than {limit} events in one transaction")]
    TooManyEvents { contract: String, limit: usize },
    #[error("{contract}: range [{start:?}, {end:?}) has more than {limit} entries; narrow it or page through it")]
    RangeTooLarge { contract: String, start: String, end: String, limit: usize },
    #[error("{contract}: invalid key {key:?}: {why}")]
    InvalidKey { contract: String, key: String, why: &'static str },
    #[error("{contract} called contracts {depth} deep, over the limit of {limit}")]
    CallDepth { contract: String, depth: usize, limit: usize },
    #[error("{contract} broke the contract ABI: {what}")]
    Abi { contract: String, what: String },
    #[error(transparent)]
    State(#[from] StateError),
}

/// A failed invocation with what it logged before failing.
#[derive(Debug, Clone, Error)]
#[error("{error}")]
pub struct ExecutionFailure {
    pub error: ExecutionError,
    pub logs: Vec<LogLine>,
    pub fuel_consumed: u64,
}
