//! weft-node: one node process — endorser, orderer driver, committer,
//! gateway/deliver/admin gRPC (issue #5 builds these here).
//!
//! So far it holds the committer's transaction checks ([`prevalidate`]):
//! signatures, tx ids, certificates and endorsement policies, computed as
//! validation codes that the ledger's commit then combines with MVCC. Pure:
//! the time and the channel's membership and policies are arguments.

mod prevalidate;

pub use prevalidate::{prevalidate, TxRules};
