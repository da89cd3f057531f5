//! weft-contract-sdk: what a Weft contract author writes against.
//!
//! A contract is a Rust library compiled to `wasm32-unknown-unknown`. Its
//! functions take a [`Context`] (the ledger as the contract sees it) and typed
//! arguments, and return a serialisable result or a [`ContractError`]; the
//! [`contract!`] macro turns them into the module's entry point and a
//! `dispatch` function that native unit tests call with a [`MockContext`].
//!
//! This crate owns the contract ABI ([`abi`]) shared with the host runtime in
//! `weft-contracts`. It must stay small and free of I/O: it is compiled into
//! every contract.

pub mod abi;
mod args;
mod context;
mod dispatch;
mod error;
#[cfg(not(target_arch = "wasm32"))]
mod mock;
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm;

pub use args::{FromArg, Json};
pub use context::{Context, Creator};
pub use dispatch::DispatchFn;
#[doc(hidden)]
pub use dispatch::{check_arity, to_response};
pub use error::ContractError;
#[cfg(not(target_arch = "wasm32"))]
pub use mock::MockContext;

/// What contract functions return.
pub type Result<T, E = ContractError> = std::result::Result<T, E>;
