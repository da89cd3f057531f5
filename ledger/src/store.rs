//! The node's RocksDB database and the channels in it.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rocksdb::{ColumnFamilyDescriptor, Options, DB};
use weft_proto::ChannelId;

use crate::channel::ChannelLedger;
use crate::keys::{channel_prefix, ALL_CFS};
use crate::LedgerError;

#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// fsync the write-ahead log on every commit. Off survives a process
    /// crash but not a power cut; benchmarks report both.
    pub sync_writes: bool,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions { sync_writes: true }
    }
}

/// One RocksDB database holding every channel's blocks, state and indexes.
pub struct Ledger {
    pub(crate) db: Arc<DB>,
    pub(crate) options: LedgerOptions,
    open_channels: Arc<Mutex<HashSet<ChannelId>>>,
}

impl Ledger {
    pub fn open(path: impl AsRef<Path>, options: LedgerOptions) -> Result<Ledger, LedgerError> {
        let mut db_opts = Options::default();
        db_opts.create_if_missing(true);
        db_opts.create_missing_column_families(true);
        db_opts.set_paranoid_checks(true);
        db_opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        let cfs = ALL_CFS.iter().map(|name| ColumnFamilyDescriptor::new(*name, db_opts.clone()));
        let db = DB::open_cf_descriptors(&db_opts, path.as_ref(), cfs)?;
        Ok(Ledger { db: Arc::new(db), options, open_channels: Arc::default() })
    }

    /// Opens a channel's ledger, verifying its hash chain; a channel never
    /// committed to opens empty at height 0.
    pub fn channel(&self, id: &ChannelId) -> Result<ChannelLedger, LedgerError> {
        let guard = self.claim(id)?;
        ChannelLedger::open(self.db.clone(), id.clone(), self.options.sync_writes, guard)
    }

    /// Writes memtables to SST files and syncs the WAL, e.g. before copying
    /// the directory for a backup.
    pub fn flush(&self) -> Result<(), LedgerError> {
        for name in ALL_CFS {
            let cf = self.db.cf_handle(name).expect("column family created on open");
            self.db.flush_cf(&cf)?;
        }
        self.db.flush_wal(true)?;
        Ok(())
    }

    /// Deletes every block, state entry and index entry of a channel (a
    /// node that left it and asked for its data to go). Refused while the
    /// channel is open.
    pub fn remove_channel(&self, id: &ChannelId) -> Result<(), LedgerError> {
        let _guard = self.claim(id)?;
        let from = channel_prefix(id);
        // Every key of the channel starts with `from`; `to` is the first
        // key after all of them (ids are short, so the length byte never
        // overflows and `from` never ends in 0xff).
        let mut to = from.clone();
        *to.last_mut().expect("the prefix holds the id's length") += 1;
        for name in ALL_CFS {
            let cf = self.db.cf_handle(name).expect("column family created on open");
            self.db.delete_range_cf(&cf, &from, &to)?;
        }
        self.db.flush_wal(true)?;
        Ok(())
    }

    pub(crate) fn claim(&self, id: &ChannelId) -> Result<OpenGuard, LedgerError> {
        let mut open = self.open_channels.lock().expect("open-channel set poisoned");
        if !open.insert(id.clone()) {
            return Err(LedgerError::AlreadyOpen(id.to_string()));
        }
        Ok(OpenGuard { channel: id.clone(), open_channels: self.open_channels.clone() })
    }
}

/// Releases a channel for reopening when its ChannelLedger is dropped.
pub(crate) struct OpenGuard {
    channel: ChannelId,
    open_channels: Arc<Mutex<HashSet<ChannelId>>>,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open_channels.lock() {
            open.remove(&self.channel);
        }
    }
}
