//! weft-sdk: what an application uses to transact on a Weft channel.
//!
//! [`tx`] builds and signs proposals and assembles endorsed transactions
//! (the client half of endorse → order → commit); [`gateway`] is the
//! Fabric-style Gateway client over mutual TLS ([`connect`]): evaluate,
//! submit and wait, submit_async, commit status, contract and block events,
//! round-robin over peers with retry on unavailable ones; [`lifecycle`]
//! deploys and upgrades contracts; [`config`] reads and updates the channel
//! configuration; [`network`] reads a network directory (identities, trust
//! roots, Admin calls, Gateways to an org's peers).

pub mod config;
pub mod connect;
pub mod gateway;
pub mod lifecycle;
pub mod signed;
pub mod tx;

pub use connect::{channel, ConnectError, TrustRoots};
pub use gateway::{Call, CommitStatus, Endorsed, Gateway, GatewayError, Submitted};
pub use signed::sign_request;
pub use tx::{
    assemble, prepare_payload, propose, sign_payload, AssembleError, ClientIdentity, NewProposal, ProposalToSign,
};
