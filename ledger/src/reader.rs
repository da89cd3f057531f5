//! A shareable read handle on one channel, for the readers that run beside
//! the committer: endorsement (contract state), queries, block delivery.
//!
//! Each call reads the latest committed data; a simulation that spans a
//! commit may read two heights, which MVCC catches at validation (every read
//! carries its version), as it would any other stale read.

use std::sync::Arc;

use rocksdb::DB;
use weft_proto::{Block, ChannelId, TxId, TxLocation, VersionedValue};

use crate::channel::{read_block, read_savepoint, read_tx_location};
use crate::state_view::DbState;
use crate::LedgerError;

#[derive(Clone)]
pub struct ChannelReader {
    db: Arc<DB>,
    channel: ChannelId,
    prefix: Vec<u8>,
}

impl std::fmt::Debug for ChannelReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelReader").field("channel", &self.channel).finish()
    }
}

impl ChannelReader {
    pub(crate) fn new(db: Arc<DB>, channel: ChannelId, prefix: Vec<u8>) -> Self {
        ChannelReader { db, channel, prefix }
    }

    pub fn channel_id(&self) -> &ChannelId {
        &self.channel
    }

    /// The number of the next block to commit, as of now.
    pub fn height(&self) -> Result<u64, LedgerError> {
        Ok(read_savepoint(&self.db, &self.prefix)?.unwrap_or_default().height)
    }

    pub fn block(&self, number: u64) -> Result<Option<Block>, LedgerError> {
        let savepoint = read_savepoint(&self.db, &self.prefix)?.unwrap_or_default();
        read_block(&self.db, &self.prefix, &self.channel, &savepoint, number)
    }

    pub fn tx_location(&self, tx_id: &TxId) -> Result<Option<TxLocation>, LedgerError> {
        read_tx_location(&self.db, &self.prefix, tx_id)
    }

    pub fn get_state(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>, LedgerError> {
        DbState { db: &self.db, prefix: &self.prefix }.get(namespace, key)
    }

    /// Entries of `namespace` in `[start, end)`, in key order, at most
    /// `limit` (the scan stops there).
    pub fn range(
        &self,
        namespace: &str,
        start: &str,
        end: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, VersionedValue)>, LedgerError> {
        DbState { db: &self.db, prefix: &self.prefix }.scan(namespace, start, end, limit)
    }
}
