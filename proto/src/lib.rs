//! weft-proto: the protobuf definitions of every Weft wire and disk format
//! (identities, proposals and endorsements, read/write sets, envelopes,
//! blocks, channel configuration, ledger records) and the Rust types prost
//! generates from them.
//!
//! This crate holds data shapes and the rules that are part of a format: the
//! syntax of a channel id and how a block is hashed and chained (so that
//! whoever builds blocks — orderers, provisioning's genesis — need not link
//! the ledger). No policy, no I/O. Field numbers are never reused; retire a
//! field by reserving it.

#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

mod generated {
    include!(concat!(env!("OUT_DIR"), "/weft.rs"));
}

mod block_hash;
#[cfg(feature = "grpc")]
pub mod connect;
mod ids;
mod snapshot_file;
mod transaction;

pub use block_hash::{block_hash, data_hash, new_block};
pub use generated::*;
pub use ids::{BlockNumber, ChannelId, InvalidChannelId, TxId};
pub use prost::Message;
pub use snapshot_file::{read_snapshot_header, SnapshotHeaderError, MAX_SNAPSHOT_RECORD_BYTES};
pub use transaction::{prepare_payload, AssembleError};

/// Largest gRPC message a node or client sends or accepts: contract
/// deployments carry a wasm module (up to 4 MiB) plus signatures.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

#[cfg(test)]
mod roundtrip_tests;
