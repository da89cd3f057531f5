//! weft-node: one node process — endorser, orderer driver, committer,
//! gateway/deliver/admin gRPC (issue #5 builds these here).
//!
//! So far: the [`Endorser`] (check a signed proposal, run the contract, sign
//! the result) and the committer's transaction checks ([`prevalidate`]):
//! signatures, tx ids, certificates and endorsement policies, computed as
//! validation codes that the ledger's commit then combines with MVCC. Both
//! take the time, membership, policies and state as arguments.

pub mod block_signing;
mod channel_rules;
mod committer;
mod endorser;
mod ledger_state;
pub mod lifecycle;
mod prevalidate;
pub mod snapshot_check;

pub use channel_rules::{AccessPolicy, Acl, ChannelRules, RulesError};
pub use committer::{CommitError, Committed, Committer, TxOutcome};
pub use endorser::{endorsement_message, proposal_hash, EndorseContext, EndorseError, Endorser};
pub use ledger_state::LedgerState;
pub use prevalidate::{prevalidate, TxRules};

pub mod grpc;
pub mod json_log;
pub mod run;
