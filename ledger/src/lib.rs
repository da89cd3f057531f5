//! weft-ledger: a peer's durable ledger on RocksDB.
//!
//! Owns the block store (append-only, hash-chained, verified on open), the
//! versioned world state per (channel, namespace, key), the tx index, MVCC
//! validation (a pure function in [`mvcc`]), the atomic commit of a block with
//! its validation codes, writes, index entries and savepoint, and state
//! snapshots.
//!
//! Knows nothing of the network, signatures or policies: the node checks
//! those and passes its verdicts in as pre-validation codes.

mod channel;
mod envelope;
mod error;
mod keys;
pub mod mvcc;
mod reader;
mod snapshot;
mod state_view;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use channel::{ChannelLedger, CommitSummary};
pub use envelope::{decode_envelope, DecodedTx, EnvelopeError, TxBody};
pub use error::LedgerError;
pub use keys::MAX_NAMESPACE_LEN;
pub use reader::ChannelReader;
pub use snapshot::{StateHasher, SNAPSHOT_FORMAT_VERSION};
pub use store::{Ledger, LedgerOptions};
/// Re-exported from weft-proto, where block hashing is defined.
pub use weft_proto::{block_hash, data_hash, new_block};
