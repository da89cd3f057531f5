//! State snapshots: a channel's world state at its current height, written
//! to a file another peer imports to join without replaying every block.
//!
//! File format: length-prefixed records (`len u32 BE ‖ protobuf`), first a
//! `SnapshotHeader`, then `entry_count` `SnapshotEntry` records in key order,
//! then (format 2) `tx_count` `SnapshotTx` records: the tx index, so that a
//! transaction committed before the snapshot is still refused as a
//! duplicate. The header also carries the block with the configuration in
//! force, which the importer keeps (its only block below the base).

use std::io::{Read, Write};

use prost::Message;
use rocksdb::{Direction, IteratorMode, ReadOptions, WriteBatch, WriteOptions};
use sha2::{Digest, Sha256};
use weft_proto::{Block, ChannelId, Savepoint, SnapshotEntry, SnapshotHeader, SnapshotTx, TxLocation, VersionedValue};

use crate::channel::{channel_is_empty, ChannelLedger};
use crate::keys::{
    block_key, channel_prefix, savepoint_key, split_state_key, state_key, tx_key, CF_BLOCKS, CF_META, CF_STATE,
    CF_TX_INDEX,
};
use crate::{Ledger, LedgerError};

pub const SNAPSHOT_FORMAT_VERSION: u32 = 2;
/// Largest record accepted on import, so a corrupt length cannot make us
/// allocate gigabytes.
const MAX_RECORD_BYTES: usize = weft_proto::MAX_SNAPSHOT_RECORD_BYTES;

/// Running sha256 over state entries in key order.
#[derive(Default)]
pub struct StateHasher {
    hasher: Sha256,
    count: u64,
}

impl StateHasher {
    pub fn add(&mut self, namespace: &str, key: &str, value: &VersionedValue) {
        let version = value.version.unwrap_or_default();
        for part in [namespace.as_bytes(), key.as_bytes(), &value.value] {
            self.hasher.update((part.len() as u64).to_be_bytes());
            self.hasher.update(part);
        }
        self.hasher.update(version.block_num.to_be_bytes());
        self.hasher.update(version.tx_num.to_be_bytes());
        self.count += 1;
    }

    pub fn finish(self) -> ([u8; 32], u64) {
        (self.hasher.finalize().into(), self.count)
    }
}

impl ChannelLedger {
    /// Visits this channel's records of column family `cf` in key order
    /// (key without the channel prefix, value), from one consistent RocksDB
    /// snapshot.
    fn scan(
        &self,
        snapshot: &rocksdb::Snapshot<'_>,
        cf: &str,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        let db = self.db();
        let handle = db.cf_handle(cf).expect("column family exists");
        let mut opts = ReadOptions::default();
        opts.set_snapshot(snapshot);
        let prefix = self.prefix();
        for item in db.iterator_cf_opt(&handle, opts, IteratorMode::From(prefix, Direction::Forward)) {
            let (k, v) = item?;
            let Some(rest) = k.strip_prefix(prefix) else { break };
            f(rest, &v)?;
        }
        Ok(())
    }

    /// Visits every state entry of the channel in key order.
    fn for_each_entry(
        &self,
        snapshot: &rocksdb::Snapshot<'_>,
        mut f: impl FnMut(String, String, VersionedValue) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        self.scan(snapshot, CF_STATE, |rest, v| {
            let (ns, key) =
                split_state_key(rest).ok_or_else(|| LedgerError::Corruption("malformed state key".into()))?;
            let value =
                VersionedValue::decode(v).map_err(|source| LedgerError::Decode { what: "state value", source })?;
            f(ns, key, value)
        })
    }

    /// sha256 over the whole world state; equal on every peer at one height.
    pub fn state_hash(&self) -> Result<[u8; 32], LedgerError> {
        Ok(self.hash_entries(&self.db().snapshot())?.0)
    }

    /// Visits every entry of the channel's tx index (tx id, location).
    fn for_each_tx(
        &self,
        snapshot: &rocksdb::Snapshot<'_>,
        mut f: impl FnMut(Vec<u8>, TxLocation) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        self.scan(snapshot, CF_TX_INDEX, |tx_id, v| {
            let location =
                TxLocation::decode(v).map_err(|source| LedgerError::Decode { what: "tx index entry", source })?;
            f(tx_id.to_vec(), location)
        })
    }

    /// State hash and entry count as of `snapshot`.
    fn hash_entries(&self, snapshot: &rocksdb::Snapshot<'_>) -> Result<([u8; 32], u64), LedgerError> {
        let mut hasher = StateHasher::default();
        self.for_each_entry(snapshot, |ns, key, value| {
            hasher.add(&ns, &key, &value);
            Ok(())
        })?;
        Ok(hasher.finish())
    }

    /// Writes the state at the current height to `out`; returns the header.
    pub fn export_snapshot(&self, mut out: impl Write) -> Result<SnapshotHeader, LedgerError> {
        // Two passes over one RocksDB snapshot: the header, written first,
        // carries the count and hash so an importer can check as it reads.
        let snapshot = self.db().snapshot();
        let (hash, count) = self.hash_entries(&snapshot)?;
        let mut tx_count = 0;
        let mut tx_hasher = Sha256::new();
        self.for_each_tx(&snapshot, |tx_id, location| {
            tx_count += 1;
            tx_hasher.update(SnapshotTx { tx_id, location: Some(location) }.encode_to_vec());
            Ok(())
        })?;
        // Empty only for a ledger imported from a format-1 snapshot.
        let config_block = self.config_block()?.map(|b| b.encode_to_vec()).unwrap_or_default();
        let header = SnapshotHeader {
            format_version: SNAPSHOT_FORMAT_VERSION,
            channel_id: self.channel_id().to_string(),
            height: self.height(),
            last_block_hash: self.last_block_hash().to_vec(),
            entry_count: count,
            state_hash: hash.to_vec(),
            tx_count,
            config_block,
            tx_index_hash: tx_hasher.finalize().to_vec(),
        };
        write_record(&mut out, &header)?;
        self.for_each_entry(&snapshot, |namespace, key, value| {
            write_record(&mut out, &SnapshotEntry { namespace, key, value: Some(value) })
        })?;
        self.for_each_tx(&snapshot, |tx_id, location| {
            write_record(&mut out, &SnapshotTx { tx_id, location: Some(location) })
        })?;
        out.flush().map_err(|source| LedgerError::Io { context: "flushing the snapshot", source })?;
        Ok(header)
    }
}

impl Ledger {
    /// Imports a snapshot into an empty channel of this ledger; the channel
    /// then continues from the snapshot's height. The count and hash are
    /// checked before anything is written.
    pub fn import_snapshot(&self, mut input: impl Read) -> Result<ChannelLedger, LedgerError> {
        let header: SnapshotHeader =
            read_record(&mut input)?.ok_or_else(|| LedgerError::BadSnapshot("the file is empty".into()))?;
        if !(1..=SNAPSHOT_FORMAT_VERSION).contains(&header.format_version) {
            return Err(LedgerError::BadSnapshot(format!(
                "format version {} is not supported (expected {SNAPSHOT_FORMAT_VERSION})",
                header.format_version
            )));
        }
        let channel = ChannelId::new(header.channel_id.clone()).map_err(|e| LedgerError::BadSnapshot(e.to_string()))?;
        let guard = self.claim(&channel)?;
        let prefix = channel_prefix(&channel);
        if !channel_is_empty(&self.db, &prefix)? {
            return Err(LedgerError::NotEmpty(channel.to_string()));
        }
        let state_cf = self.db.cf_handle(CF_STATE).expect("state column family exists");
        let mut batch = WriteBatch::default();
        let mut hasher = StateHasher::default();
        let mut last_key: Option<(String, String)> = None;
        for i in 0..header.entry_count {
            let entry: SnapshotEntry = read_record(&mut input)?
                .ok_or_else(|| LedgerError::BadSnapshot(format!("ends after {i} of {} entries", header.entry_count)))?;
            let value = entry.value.unwrap_or_default();
            let current = (entry.namespace, entry.key);
            if last_key
                .as_ref()
                .is_some_and(|last| state_key(&prefix, &last.0, &last.1) >= state_key(&prefix, &current.0, &current.1))
            {
                return Err(LedgerError::BadSnapshot(format!("entry {i} is out of order")));
            }
            hasher.add(&current.0, &current.1, &value);
            batch.put_cf(&state_cf, state_key(&prefix, &current.0, &current.1), value.encode_to_vec());
            last_key = Some(current);
        }
        let (hash, _) = hasher.finish();
        if hash.as_slice() != header.state_hash {
            return Err(LedgerError::BadSnapshot("state hash does not match the entries".into()));
        }
        let tx_cf = self.db.cf_handle(CF_TX_INDEX).expect("tx index column family exists");
        let mut tx_hasher = Sha256::new();
        for i in 0..header.tx_count {
            let tx: SnapshotTx = read_record(&mut input)?.ok_or_else(|| {
                LedgerError::BadSnapshot(format!("ends after {i} of {} transactions", header.tx_count))
            })?;
            if tx.tx_id.len() != 32 || tx.location.is_none() {
                return Err(LedgerError::BadSnapshot(format!("transaction record {i} is malformed")));
            }
            tx_hasher.update(tx.encode_to_vec());
            batch.put_cf(&tx_cf, tx_key(&prefix, &tx.tx_id), tx.location.unwrap_or_default().encode_to_vec());
        }
        if header.format_version >= 2 && tx_hasher.finalize().as_slice() != header.tx_index_hash {
            return Err(LedgerError::BadSnapshot("tx index hash does not match the transaction records".into()));
        }
        if read_record::<SnapshotEntry>(&mut input)?.is_some() {
            return Err(LedgerError::BadSnapshot(format!(
                "more records than the {} entries and {} transactions the header declares",
                header.entry_count, header.tx_count
            )));
        }
        // Format 1 carries no configuration: the node falls back to its
        // genesis block's.
        let mut last_config_block = 0;
        if !header.config_block.is_empty() {
            let block = Block::decode(header.config_block.as_slice())
                .map_err(|e| LedgerError::BadSnapshot(format!("configuration block: {e}")))?;
            let number = block.header.as_ref().map(|h| h.number).unwrap_or(u64::MAX);
            if number >= header.height {
                return Err(LedgerError::BadSnapshot(format!(
                    "configuration block {number} is not below the snapshot height {}",
                    header.height
                )));
            }
            let blocks_cf = self.db.cf_handle(CF_BLOCKS).expect("blocks column family exists");
            batch.put_cf(&blocks_cf, block_key(&prefix, number), header.config_block.clone());
            last_config_block = number;
        }
        let savepoint = Savepoint {
            height: header.height,
            last_block_hash: header.last_block_hash.clone(),
            base_height: header.height,
            base_previous_hash: header.last_block_hash,
            last_config_block,
        };
        let meta_cf = self.db.cf_handle(CF_META).expect("meta column family exists");
        batch.put_cf(&meta_cf, savepoint_key(&prefix), savepoint.encode_to_vec());
        let mut opts = WriteOptions::default();
        opts.set_sync(self.options.sync_writes);
        self.db.write_opt(batch, &opts)?;
        Ok(ChannelLedger::from_parts(self.db.clone(), channel, self.options.sync_writes, savepoint, guard))
    }
}

fn write_record(out: &mut impl Write, msg: &impl Message) -> Result<(), LedgerError> {
    let bytes = msg.encode_to_vec();
    let len = u32::try_from(bytes.len()).map_err(|_| LedgerError::BadSnapshot("record over 4 GiB".into()))?;
    out.write_all(&len.to_be_bytes())
        .and_then(|_| out.write_all(&bytes))
        .map_err(|source| LedgerError::Io { context: "writing the snapshot", source })
}

/// The next record, or None at a clean end of input.
fn read_record<M: Message + Default>(input: &mut impl Read) -> Result<Option<M>, LedgerError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match input.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(LedgerError::BadSnapshot("truncated record length".into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => return Err(LedgerError::Io { context: "reading the snapshot", source }),
        }
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_RECORD_BYTES {
        return Err(LedgerError::BadSnapshot(format!(
            "record of {len} bytes exceeds the {MAX_RECORD_BYTES}-byte limit"
        )));
    }
    let mut buf = vec![0u8; len];
    input.read_exact(&mut buf).map_err(|_| LedgerError::BadSnapshot("truncated record".into()))?;
    M::decode(buf.as_slice()).map(Some).map_err(|e| LedgerError::BadSnapshot(format!("undecodable record: {e}")))
}
