//! weft-sdk: what an application uses to transact on a Weft channel.
//!
//! Today: building and signing proposals and assembling endorsed
//! transactions ([`tx`]), the client half of endorse → order → commit. The
//! gateway client (evaluate, submit, commit status, events, load balancing
//! over an org's peers) builds on this when the node's gRPC services exist.

pub mod tx;

pub use tx::{assemble, propose, AssembleError, ClientIdentity, NewProposal, ProposalToSign};
