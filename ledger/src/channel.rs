//! One channel's ledger: append-only blocks, world state and tx index,
//! committed together.

use std::collections::HashSet;
use std::sync::Arc;

use prost::Message;
use rocksdb::{Direction, IteratorMode, ReadOptions, WriteBatch, WriteOptions, DB};
use weft_proto::{
    Block, BlockHeader, ChannelId, Savepoint, TxId, TxLocation, TxRwSet, TxValidationCode, Version, VersionedValue,
};

use crate::envelope::{decode_envelope, DecodedTx, TxBody};
use crate::keys::{
    block_key, channel_prefix, savepoint_key, state_key, tx_key, CF_BLOCKS, CF_META, CF_STATE, CF_TX_INDEX,
    MAX_NAMESPACE_LEN,
};
use crate::mvcc::{validate_block, MvccTx};
use crate::state_view::DbState;
use crate::store::OpenGuard;
use crate::{ChannelReader, LedgerError};
use weft_proto::{block_hash, data_hash};

/// Per transaction of a block being committed: what it is, its final code,
/// and whether it is the first occurrence of its tx id (and so indexed).
struct Verdicts {
    txs: Vec<Option<DecodedTx>>,
    codes: Vec<TxValidationCode>,
    indexed: Vec<bool>,
}

fn rwset_of(tx: &DecodedTx) -> Option<&TxRwSet> {
    match &tx.body {
        TxBody::Endorser(rwset) => Some(rwset),
        TxBody::Config => None,
    }
}

/// What a commit did.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitSummary {
    pub number: u64,
    pub hash: [u8; 32],
    pub codes: Vec<TxValidationCode>,
}

pub struct ChannelLedger {
    db: Arc<DB>,
    channel: ChannelId,
    prefix: Vec<u8>,
    sync_writes: bool,
    savepoint: Savepoint,
    _guard: OpenGuard,
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

impl ChannelLedger {
    pub(crate) fn open(
        db: Arc<DB>,
        channel: ChannelId,
        sync_writes: bool,
        guard: OpenGuard,
    ) -> Result<Self, LedgerError> {
        let prefix = channel_prefix(&channel);
        let savepoint = read_savepoint(&db, &prefix)?.unwrap_or_default();
        let ledger = ChannelLedger { db, channel, prefix, sync_writes, savepoint, _guard: guard };
        ledger.verify_chain()?;
        Ok(ledger)
    }

    pub(crate) fn from_parts(
        db: Arc<DB>,
        channel: ChannelId,
        sync_writes: bool,
        savepoint: Savepoint,
        guard: OpenGuard,
    ) -> Self {
        let prefix = channel_prefix(&channel);
        ChannelLedger { db, channel, prefix, sync_writes, savepoint, _guard: guard }
    }

    /// A read handle that can be cloned and shared with other threads while
    /// this ledger commits (endorsement, queries, block delivery).
    pub fn reader(&self) -> ChannelReader {
        ChannelReader::new(self.db.clone(), self.channel.clone(), self.prefix.clone())
    }

    pub fn channel_id(&self) -> &ChannelId {
        &self.channel
    }

    /// The number of the next block to commit.
    pub fn height(&self) -> u64 {
        self.savepoint.height
    }

    /// The first block this store holds (non-zero after a snapshot import).
    pub fn base_height(&self) -> u64 {
        self.savepoint.base_height
    }

    /// The last block that changed the channel configuration (0: genesis).
    pub fn last_config_block(&self) -> u64 {
        self.savepoint.last_config_block
    }

    /// Hash of the last committed block; empty before the genesis block.
    pub fn last_block_hash(&self) -> &[u8] {
        &self.savepoint.last_block_hash
    }

    pub(crate) fn db(&self) -> &DB {
        &self.db
    }

    pub(crate) fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    fn state(&self) -> DbState<'_> {
        DbState { db: &self.db, prefix: &self.prefix }
    }

    /// Re-checks every stored block: numbers consecutive, each linked to the
    /// previous by hash, data hash matching, ending at the savepoint.
    fn verify_chain(&self) -> Result<(), LedgerError> {
        let sp = &self.savepoint;
        let mut expected_prev = sp.base_previous_hash.clone();
        let mut number = sp.base_height;
        for item in self.iter_blocks_from(sp.base_height) {
            let block = item?;
            let header = block.header.as_ref().ok_or_else(|| self.corrupt(number, "no header"))?;
            if header.number != number {
                return Err(self.corrupt(number, &format!("stored under {number} but numbered {}", header.number)));
            }
            if number >= sp.height {
                return Err(self.corrupt(number, "stored beyond the savepoint"));
            }
            if header.previous_hash != expected_prev {
                return Err(self.corrupt(number, "previous hash does not match the block before it"));
            }
            let data = block.data.as_ref().ok_or_else(|| self.corrupt(number, "no data"))?;
            if header.data_hash != data_hash(data) {
                return Err(self.corrupt(number, "data hash does not match its transactions"));
            }
            let codes = block.metadata.as_ref().map_or(0, |m| m.validation_codes.len());
            if codes != data.envelopes.len() {
                return Err(self.corrupt(number, "validation codes missing"));
            }
            expected_prev = block_hash(header).to_vec();
            number += 1;
        }
        if number != sp.height {
            return Err(
                self.corrupt(number, &format!("savepoint says height {} but blocks end at {number}", sp.height))
            );
        }
        if expected_prev != sp.last_block_hash {
            return Err(self.corrupt(number, "last block hash differs from the savepoint"));
        }
        Ok(())
    }

    fn corrupt(&self, number: u64, what: &str) -> LedgerError {
        corruption(&self.channel, number, what)
    }

    fn iter_blocks_from(&self, from: u64) -> impl Iterator<Item = Result<Block, LedgerError>> + '_ {
        let cf = self.db.cf_handle(CF_BLOCKS).expect("blocks column family exists");
        let start = block_key(&self.prefix, from);
        let mut opts = ReadOptions::default();
        opts.set_prefix_same_as_start(false);
        self.db.iterator_cf_opt(&cf, opts, IteratorMode::From(&start, Direction::Forward)).map_while(move |item| {
            match item {
                Err(e) => Some(Err(LedgerError::from(e))),
                Ok((k, v)) => k.starts_with(&self.prefix).then(|| {
                    Block::decode(v.as_ref()).map_err(|source| LedgerError::Decode { what: "stored block", source })
                }),
            }
        })
    }

    /// Checks `block` extends this chain, runs duplicate-tx-id and MVCC
    /// checks on the transactions `pre_codes` marks VALID (all, when None),
    /// and writes block, codes, valid writes, tx index and savepoint in one
    /// atomic batch. On any error nothing is written.
    pub fn commit(
        &mut self,
        block: &Block,
        pre_codes: Option<&[TxValidationCode]>,
    ) -> Result<CommitSummary, LedgerError> {
        let (header, envelopes) = self.check_extends(block)?;
        let number = header.number;
        let pre = match pre_codes {
            Some(codes) if codes.len() != envelopes.len() => {
                return Err(LedgerError::CodeCountMismatch {
                    channel: self.channel.to_string(),
                    number,
                    envelopes: envelopes.len(),
                    codes: codes.len(),
                })
            }
            Some(codes) => codes.to_vec(),
            None => vec![TxValidationCode::Valid; envelopes.len()],
        };
        let verdicts = self.judge(number, envelopes, pre)?;
        let hash = block_hash(header);
        let has_config = verdicts.txs.iter().zip(&verdicts.codes).any(|(tx, code)| {
            *code == TxValidationCode::Valid && tx.as_ref().is_some_and(|t| t.body == TxBody::Config)
        });
        let savepoint = Savepoint {
            height: number + 1,
            last_block_hash: hash.to_vec(),
            base_height: self.savepoint.base_height,
            base_previous_hash: self.savepoint.base_previous_hash.clone(),
            last_config_block: if has_config { number } else { self.savepoint.last_config_block },
        };
        self.write(block, &verdicts, &savepoint)?;
        self.savepoint = savepoint;
        Ok(CommitSummary { number, hash, codes: verdicts.codes })
    }

    /// The block's header and envelopes, if it is the next link of this chain.
    fn check_extends<'b>(&self, block: &'b Block) -> Result<(&'b BlockHeader, &'b [Vec<u8>]), LedgerError> {
        let header = block.header.as_ref().ok_or_else(|| LedgerError::MalformedBlock("block has no header".into()))?;
        let channel = || self.channel.to_string();
        let number = header.number;
        if number != self.savepoint.height {
            return Err(LedgerError::WrongBlockNumber {
                channel: channel(),
                expected: self.savepoint.height,
                got: number,
            });
        }
        if header.previous_hash != self.savepoint.last_block_hash {
            return Err(LedgerError::PreviousHashMismatch {
                channel: channel(),
                number,
                expected: hex(&self.savepoint.last_block_hash),
                got: hex(&header.previous_hash),
            });
        }
        let data = block.data.as_ref().ok_or_else(|| LedgerError::MalformedBlock("block has no data".into()))?;
        if header.data_hash != data_hash(data) {
            return Err(LedgerError::DataHashMismatch { channel: channel(), number });
        }
        Ok((header, &data.envelopes))
    }

    /// Final codes: the node's verdicts, then decoding, duplicate tx ids,
    /// rwset shape and MVCC for those still VALID.
    fn judge(
        &self,
        number: u64,
        envelopes: &[Vec<u8>],
        mut codes: Vec<TxValidationCode>,
    ) -> Result<Verdicts, LedgerError> {
        let txs: Vec<Option<DecodedTx>> = envelopes.iter().map(|env| decode_envelope(env).ok()).collect();
        let mut seen = HashSet::new();
        let mut indexed = vec![false; txs.len()];
        for (i, tx) in txs.iter().enumerate() {
            let valid = codes[i] == TxValidationCode::Valid;
            let Some(tx) = tx else {
                if valid {
                    codes[i] = TxValidationCode::BadPayload;
                }
                continue;
            };
            let duplicate = !seen.insert(tx.tx_id) || self.tx_location(&tx.tx_id)?.is_some();
            indexed[i] = !duplicate;
            if valid && duplicate {
                codes[i] = TxValidationCode::DuplicateTxid;
            } else if valid && rwset_of(tx).is_some_and(|r| !rwset_well_formed(r)) {
                codes[i] = TxValidationCode::BadRwset;
            }
        }
        let mvcc_input: Vec<MvccTx> = txs
            .iter()
            .zip(&codes)
            .map(|(tx, code)| MvccTx { rwset: tx.as_ref().and_then(rwset_of), code: *code })
            .collect();
        let codes = validate_block(number, &mvcc_input, &self.state())?;
        Ok(Verdicts { txs, codes, indexed })
    }

    /// One atomic batch: block with codes, tx index, valid writes, savepoint.
    fn write(&self, block: &Block, verdicts: &Verdicts, savepoint: &Savepoint) -> Result<(), LedgerError> {
        let number = savepoint.height - 1;
        let cf = |name| self.db.cf_handle(name).expect("column family exists");
        let mut batch = WriteBatch::default();
        let mut stored = block.clone();
        stored.metadata.get_or_insert_with(Default::default).validation_codes =
            verdicts.codes.iter().map(|c| *c as i32).collect();
        batch.put_cf(&cf(CF_BLOCKS), block_key(&self.prefix, number), stored.encode_to_vec());
        for (tx_num, tx) in verdicts.txs.iter().enumerate() {
            let Some(tx) = tx else { continue };
            let code = verdicts.codes[tx_num];
            if verdicts.indexed[tx_num] {
                let loc = TxLocation { block_num: number, tx_num: tx_num as u64, code: code as i32 };
                batch.put_cf(&cf(CF_TX_INDEX), tx_key(&self.prefix, &tx.tx_id.0), loc.encode_to_vec());
            }
            if code != TxValidationCode::Valid {
                continue;
            }
            let version = Version { block_num: number, tx_num: tx_num as u64 };
            for ns in rwset_of(tx).iter().flat_map(|r| &r.ns_rwsets) {
                for w in &ns.writes {
                    let key = state_key(&self.prefix, &ns.namespace, &w.key);
                    if w.is_delete {
                        batch.delete_cf(&cf(CF_STATE), key);
                    } else {
                        let value = VersionedValue { value: w.value.clone(), version: Some(version) };
                        batch.put_cf(&cf(CF_STATE), key, value.encode_to_vec());
                    }
                }
            }
        }
        batch.put_cf(&cf(CF_META), savepoint_key(&self.prefix), savepoint.encode_to_vec());
        let mut write_opts = WriteOptions::default();
        write_opts.set_sync(self.sync_writes);
        self.db.write_opt(batch, &write_opts)?;
        Ok(())
    }

    /// A committed block with its validation codes.
    pub fn block(&self, number: u64) -> Result<Option<Block>, LedgerError> {
        read_block(&self.db, &self.prefix, &self.channel, &self.savepoint, number)
    }

    /// The block holding the configuration in force, also when it lies
    /// below the base of a ledger imported from a snapshot (which keeps
    /// that one block); None only for a format-1 import, which had none.
    pub fn config_block(&self) -> Result<Option<Block>, LedgerError> {
        let number = self.savepoint.last_config_block;
        if number >= self.savepoint.base_height {
            return self.block(number);
        }
        let cf = self.db.cf_handle(CF_BLOCKS).expect("blocks column family exists");
        match self.db.get_pinned_cf(&cf, block_key(&self.prefix, number))? {
            None => Ok(None),
            Some(bytes) => Block::decode(bytes.as_ref())
                .map(Some)
                .map_err(|source| LedgerError::Decode { what: "stored configuration block", source }),
        }
    }

    pub fn tx_location(&self, tx_id: &TxId) -> Result<Option<TxLocation>, LedgerError> {
        read_tx_location(&self.db, &self.prefix, tx_id)
    }

    /// The block holding `tx_id`, and where in it.
    pub fn block_by_tx_id(&self, tx_id: &TxId) -> Result<Option<(Block, TxLocation)>, LedgerError> {
        let Some(loc) = self.tx_location(tx_id)? else { return Ok(None) };
        let block = self.block(loc.block_num)?.ok_or_else(|| self.corrupt(loc.block_num, "indexed but not stored"))?;
        Ok(Some((block, loc)))
    }

    pub fn get_state(&self, namespace: &str, key: &str) -> Result<Option<VersionedValue>, LedgerError> {
        self.state().get(namespace, key)
    }

    /// Entries of `namespace` in `[start, end)` (to the namespace's end when
    /// `end` is None), in key order.
    pub fn range(
        &self,
        namespace: &str,
        start: &str,
        end: Option<&str>,
    ) -> Result<Vec<(String, VersionedValue)>, LedgerError> {
        self.state().scan(namespace, start, end, usize::MAX)
    }
}

fn corruption(channel: &ChannelId, number: u64, what: &str) -> LedgerError {
    LedgerError::Corruption(format!("channel '{channel}', block {number}: {what}"))
}

/// Block `number` if it is within `savepoint`'s range.
pub(crate) fn read_block(
    db: &DB,
    prefix: &[u8],
    channel: &ChannelId,
    savepoint: &Savepoint,
    number: u64,
) -> Result<Option<Block>, LedgerError> {
    if number >= savepoint.height || number < savepoint.base_height {
        return Ok(None);
    }
    let cf = db.cf_handle(CF_BLOCKS).expect("blocks column family exists");
    match db.get_pinned_cf(&cf, block_key(prefix, number))? {
        None => Err(corruption(channel, number, "missing below the savepoint")),
        Some(bytes) => Block::decode(bytes.as_ref())
            .map(Some)
            .map_err(|source| LedgerError::Decode { what: "stored block", source }),
    }
}

pub(crate) fn read_tx_location(db: &DB, prefix: &[u8], tx_id: &TxId) -> Result<Option<TxLocation>, LedgerError> {
    let cf = db.cf_handle(CF_TX_INDEX).expect("tx index column family exists");
    match db.get_pinned_cf(&cf, tx_key(prefix, &tx_id.0))? {
        None => Ok(None),
        Some(bytes) => TxLocation::decode(bytes.as_ref())
            .map(Some)
            .map_err(|source| LedgerError::Decode { what: "tx index entry", source }),
    }
}

pub(crate) fn read_savepoint(db: &DB, prefix: &[u8]) -> Result<Option<Savepoint>, LedgerError> {
    let cf = db.cf_handle(CF_META).expect("meta column family exists");
    match db.get_pinned_cf(&cf, savepoint_key(prefix))? {
        None => Ok(None),
        Some(bytes) => Savepoint::decode(bytes.as_ref())
            .map(Some)
            .map_err(|source| LedgerError::Decode { what: "savepoint", source }),
    }
}

pub(crate) fn channel_is_empty(db: &DB, prefix: &[u8]) -> Result<bool, LedgerError> {
    if read_savepoint(db, prefix)?.is_some() {
        return Ok(false);
    }
    let cf = db.cf_handle(CF_STATE).expect("state column family exists");
    let mut iter = db.iterator_cf(&cf, IteratorMode::From(prefix, Direction::Forward));
    Ok(match iter.next() {
        None => true,
        Some(item) => !item?.0.starts_with(prefix),
    })
}

fn rwset_well_formed(rwset: &TxRwSet) -> bool {
    rwset.ns_rwsets.iter().all(|ns| {
        !ns.namespace.is_empty()
            && ns.namespace.len() <= MAX_NAMESPACE_LEN
            && ns.writes.iter().all(|w| !w.key.is_empty())
            && ns.reads.iter().all(|r| !r.key.is_empty())
    })
}
