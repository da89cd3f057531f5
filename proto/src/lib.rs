//! weft-proto: the protobuf definitions of every Weft wire and disk format
//! (identities, proposals and endorsements, read/write sets, envelopes,
//! blocks, channel configuration, ledger records) and the Rust types prost
//! generates from them.
//!
//! This crate holds data shapes only (plus the syntax rule for a channel id):
//! no hashing, policy or I/O. Field
//! numbers are never reused; retire a field by reserving it.

#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

mod generated {
    include!(concat!(env!("OUT_DIR"), "/weft.rs"));
}

mod ids;

pub use generated::*;
pub use ids::{BlockNumber, ChannelId, TxId};
pub use prost::Message;

#[cfg(test)]
mod roundtrip_tests;
