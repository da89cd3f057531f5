//! weft-contracts: runs WebAssembly contracts during endorsement.
//!
//! One [`Runtime`] per node owns a wasmtime `Engine` configured for
//! determinism (NaN canonicalisation, no threads, no relaxed SIMD, fuel
//! metering) and a cache of compiled modules keyed by the code's sha256.
//! [`Runtime::install`] checks a module against the host API before it can
//! run; [`Runtime::execute`] runs one call in a fresh `Store` with fuel and
//! memory limits against a read-only view of committed state, and returns the
//! read/write set, events and response.
//!
//! Must not reach the network or the clock: everything a contract sees comes
//! from the [`Invocation`] and the [`StateReader`] the caller passes in.

mod cache;
mod code_hash;
mod engine;
mod error;
mod host;
mod install;
mod invocation;
mod limits;
mod rwset_builder;
mod state;
mod store_data;

pub use code_hash::CodeHash;
pub use engine::Runtime;
pub use error::{ExecutionError, ExecutionFailure, InstallError, RuntimeError, StateError};
pub use invocation::{Execution, Invocation, LogLevel, LogLine, TxContext};
pub use limits::Limits;
pub use state::{ContractDirectory, MemoryState, StateReader};
