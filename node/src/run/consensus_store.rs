//! The ordering engine's durable state (raft log, hard state, snapshot) in
//! its own RocksDB beside the ledger. Writes are synced before the driver
//! carries out the engine's next action, as raft requires.

use std::path::Path;

use anyhow::Context;
use rocksdb::{WriteBatch, WriteOptions, DB};
use weft_consensus::StoreOp;

pub struct ConsensusStore {
    db: DB,
}

impl ConsensusStore {
    pub fn open(path: &Path) -> anyhow::Result<ConsensusStore> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        let db = DB::open(&opts, path).with_context(|| format!("opening the consensus store {}", path.display()))?;
        Ok(ConsensusStore { db })
    }

    /// Everything the engine persisted, for its restart.
    pub fn load(&self) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.db
            .iterator(rocksdb::IteratorMode::Start)
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).context("reading the consensus store"))
            .collect()
    }

    pub fn write(&self, ops: Vec<StoreOp>) -> anyhow::Result<()> {
        let mut batch = WriteBatch::default();
        for op in ops {
            match op {
                StoreOp::Put { key, value } => batch.put(key, value),
                StoreOp::DeleteRange { from, to } => batch.delete_range(from, to),
            }
        }
        let mut sync = WriteOptions::default();
        sync.set_sync(true);
        self.db.write_opt(batch, &sync).context("writing the consensus store (disk full?)")
    }
}
