//! The raft log as raft-rs reads it, kept in memory and mirrored to the
//! driver's disk through [`StoreOp`]s: every change made here also returns
//! the writes that make it durable, and [`LogStore::restore`] rebuilds the
//! same store from those writes after a restart.
//!
//! The snapshot is ours, not raft-rs's MemStorage one: it records the chain
//! height reached at its index (the ledger itself is the state machine, so a
//! raft snapshot only says "blocks below this height exist; fetch them").

use protobuf::Message as _;
use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, Storage, StorageError};

use crate::StoreOp;

const HARD_STATE: &[u8] = b"hs";
const CONF_STATE: &[u8] = b"cs";
const SNAPSHOT: &[u8] = b"snap";
const ENTRY: u8 = b'e';

fn entry_key(index: u64) -> Vec<u8> {
    let mut k = vec![ENTRY];
    k.extend(index.to_be_bytes());
    k
}

fn encode(m: &impl protobuf::Message) -> Vec<u8> {
    m.write_to_bytes().expect("raft state encodes")
}

/// What a snapshot's data says: the chain's next block number at the
/// snapshot index, and the names of the raft ids in its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SnapshotData {
    pub next_seq: u64,
    pub names: Vec<String>,
}

impl SnapshotData {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.next_seq.to_be_bytes().to_vec();
        out.extend(self.names.join("\n").into_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<SnapshotData> {
        if bytes.len() < 8 {
            return None;
        }
        let next_seq = u64::from_be_bytes(bytes[..8].try_into().ok()?);
        let names = std::str::from_utf8(&bytes[8..]).ok()?;
        let names = names.split('\n').filter(|n| !n.is_empty()).map(str::to_string).collect();
        Some(SnapshotData { next_seq, names })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("stored raft {what} is corrupt: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("stored raft log has a gap: expected entry {expected}, found {found}")]
    Gap { expected: u64, found: u64 },
}

#[derive(Debug, Default, Clone)]
pub struct LogStore {
    hard: HardState,
    conf: ConfState,
    snap: Snapshot,
    /// entries[i].index == snap.index + 1 + i
    entries: Vec<Entry>,
    /// The state after the last applied entry, which is what a lagging
    /// follower is sent: a snapshot of the compaction point could predate
    /// the follower's own addition, and raft-rs rightly refuses those.
    applied: Option<(u64, ConfState, SnapshotData)>,
}

impl LogStore {
    /// A founding member's first state: a snapshot at index 1 (raft-rs
    /// reserves 0) holding the founding voters and the chain right after
    /// its genesis block.
    pub fn bootstrap(voters: Vec<u64>, data: SnapshotData, ops: &mut Vec<StoreOp>) -> LogStore {
        let mut snap = Snapshot::default();
        snap.mut_metadata().index = 1;
        snap.mut_metadata().term = 1;
        snap.mut_metadata().mut_conf_state().voters = voters;
        snap.data = data.encode().into();
        let mut store = LogStore::default();
        store.apply_snapshot(snap, ops);
        store
    }

    pub fn restore(stored: &[(Vec<u8>, Vec<u8>)]) -> Result<LogStore, RestoreError> {
        let corrupt = |what, e: protobuf::ProtobufError| RestoreError::Corrupt { what, detail: e.to_string() };
        let mut store = LogStore::default();
        for (key, value) in stored {
            match key.as_slice() {
                HARD_STATE => store.hard = HardState::parse_from_bytes(value).map_err(|e| corrupt("hard state", e))?,
                CONF_STATE => store.conf = ConfState::parse_from_bytes(value).map_err(|e| corrupt("conf state", e))?,
                SNAPSHOT => store.snap = Snapshot::parse_from_bytes(value).map_err(|e| corrupt("snapshot", e))?,
                k if k.first() == Some(&ENTRY) => {
                    store.entries.push(Entry::parse_from_bytes(value).map_err(|e| corrupt("log entry", e))?)
                }
                _ => {} // another engine's key or a newer version's: not ours to judge
            }
        }
        store.entries.sort_by_key(|e| e.index);
        // Entries at or below the snapshot survive a crash between writing
        // the snapshot and deleting them; they are compacted already.
        let first = store.snap.get_metadata().index + 1;
        store.entries.retain(|e| e.index >= first);
        for (i, e) in store.entries.iter().enumerate() {
            if e.index != first + i as u64 {
                return Err(RestoreError::Gap { expected: first + i as u64, found: e.index });
            }
        }
        Ok(store)
    }

    pub fn is_empty(&self) -> bool {
        self.snap.get_metadata().index == 0 && self.entries.is_empty()
    }

    pub fn snapshot_index(&self) -> u64 {
        self.snap.get_metadata().index
    }

    pub fn snapshot_data(&self) -> SnapshotData {
        SnapshotData::decode(&self.snap.data).unwrap_or_default()
    }

    pub fn conf_state(&self) -> &ConfState {
        &self.conf
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Appends entries from raft-rs, first dropping any conflicting suffix
    /// (entries from a deposed leader that never committed).
    pub fn append(&mut self, ents: &[Entry], ops: &mut Vec<StoreOp>) {
        let Some(first) = ents.first() else { return };
        let last = self.last();
        let keep = first.index.saturating_sub(self.snap.get_metadata().index + 1) as usize;
        self.entries.truncate(keep);
        if first.index <= last {
            ops.push(StoreOp::DeleteRange { from: entry_key(first.index), to: entry_key(last + 1) });
        }
        for e in ents {
            ops.push(StoreOp::Put { key: entry_key(e.index), value: encode(e) });
            self.entries.push(e.clone());
        }
    }

    pub fn set_hard_state(&mut self, hs: HardState, ops: &mut Vec<StoreOp>) {
        ops.push(StoreOp::Put { key: HARD_STATE.to_vec(), value: encode(&hs) });
        self.hard = hs;
    }

    pub fn set_commit(&mut self, commit: u64, ops: &mut Vec<StoreOp>) {
        let mut hs = self.hard.clone();
        hs.commit = commit;
        self.set_hard_state(hs, ops);
    }

    pub fn set_conf_state(&mut self, cs: ConfState, ops: &mut Vec<StoreOp>) {
        ops.push(StoreOp::Put { key: CONF_STATE.to_vec(), value: encode(&cs) });
        self.conf = cs;
    }

    /// Replaces the log with a snapshot (received from the leader, or the
    /// founding one).
    pub fn apply_snapshot(&mut self, snap: Snapshot, ops: &mut Vec<StoreOp>) {
        let meta = snap.get_metadata().clone();
        let last = self.last();
        self.entries.clear();
        self.applied = None;
        ops.push(StoreOp::Put { key: SNAPSHOT.to_vec(), value: encode(&snap) });
        ops.push(StoreOp::DeleteRange { from: entry_key(0), to: entry_key(last.max(meta.index) + 1) });
        let mut hs = self.hard.clone();
        hs.term = hs.term.max(meta.term);
        hs.commit = hs.commit.max(meta.index);
        self.snap = snap;
        self.set_hard_state(hs, ops);
        self.set_conf_state(meta.get_conf_state().clone(), ops);
    }

    /// Records what the state machine looks like after applying `index`.
    pub fn set_applied(&mut self, index: u64, conf: ConfState, data: SnapshotData) {
        self.applied = Some((index, conf, data));
    }

    /// Forgets entries up to and including `index` (applied, and in the
    /// ledger), leaving a snapshot in their place for lagging followers.
    pub fn compact(&mut self, index: u64, conf: ConfState, data: SnapshotData, ops: &mut Vec<StoreOp>) {
        let first = self.snap.get_metadata().index + 1;
        if index < first || index > self.last() {
            return;
        }
        let term = self.entries[(index - first) as usize].term;
        let mut snap = Snapshot::default();
        snap.mut_metadata().index = index;
        snap.mut_metadata().term = term;
        snap.mut_metadata().set_conf_state(conf);
        snap.data = data.encode().into();
        ops.push(StoreOp::Put { key: SNAPSHOT.to_vec(), value: encode(&snap) });
        ops.push(StoreOp::DeleteRange { from: entry_key(0), to: entry_key(index + 1) });
        self.entries.drain(..(index + 1 - first) as usize);
        self.snap = snap;
    }

    fn last(&self) -> u64 {
        self.snap.get_metadata().index + self.entries.len() as u64
    }
}

impl Storage for LogStore {
    fn initial_state(&self) -> raft::Result<RaftState> {
        Ok(RaftState::new(self.hard.clone(), self.conf.clone()))
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        let first = self.snap.get_metadata().index + 1;
        if low < first {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if high > self.last() + 1 {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        let mut ents = self.entries[(low - first) as usize..(high - first) as usize].to_vec();
        raft::util::limit_size(&mut ents, max_size.into());
        Ok(ents)
    }

    fn term(&self, idx: u64) -> raft::Result<u64> {
        let meta = self.snap.get_metadata();
        if idx == meta.index {
            return Ok(meta.term);
        }
        if idx < meta.index {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if idx > self.last() {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        Ok(self.entries[(idx - meta.index - 1) as usize].term)
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(self.snap.get_metadata().index + 1)
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.last())
    }

    fn snapshot(&self, _request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        // After a snapshot from the leader, our own is newer than anything
        // applied before it.
        let Some((index, conf, data)) = self.applied.as_ref().filter(|(i, ..)| *i > self.snapshot_index()) else {
            return Ok(self.snap.clone());
        };
        let mut snap = Snapshot::default();
        snap.mut_metadata().index = *index;
        snap.mut_metadata().term = self.term(*index)?;
        snap.mut_metadata().set_conf_state(conf.clone());
        snap.data = data.encode().into();
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn entry(index: u64, term: u64) -> Entry {
        Entry { index, term, ..Default::default() }
    }

    fn reopen(disk: &BTreeMap<Vec<u8>, Vec<u8>>) -> LogStore {
        LogStore::restore(&disk.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn what_is_written_is_what_comes_back() {
        let (mut disk, mut ops) = (BTreeMap::new(), Vec::new());
        let mut s = LogStore::bootstrap(vec![1, 2, 3], SnapshotData { next_seq: 1, names: vec!["a".into()] }, &mut ops);
        s.append(&[entry(2, 1), entry(3, 1), entry(4, 2)], &mut ops);
        // A new leader overwrites index 4 onwards.
        s.append(&[entry(4, 3), entry(5, 3)], &mut ops);
        s.set_commit(4, &mut ops);
        crate::apply_ops(&mut disk, ops);
        let back = reopen(&disk);
        assert_eq!(back.last_index().unwrap(), 5);
        assert_eq!(back.term(4).unwrap(), 3);
        assert_eq!(back.term(1).unwrap(), 1);
        assert_eq!(back.initial_state().unwrap().hard_state.commit, 4);
        assert_eq!(back.conf_state().voters, vec![1, 2, 3]);

        let mut ops = Vec::new();
        let mut s = back;
        s.compact(3, s.conf_state().clone(), SnapshotData { next_seq: 2, names: vec![] }, &mut ops);
        crate::apply_ops(&mut disk, ops);
        let back = reopen(&disk);
        assert_eq!(back.first_index().unwrap(), 4);
        assert_eq!(back.term(3).unwrap(), 1);
        assert!(matches!(back.term(2), Err(raft::Error::Store(StorageError::Compacted))));
        assert_eq!(back.snapshot_data().next_seq, 2);
        assert_eq!(back.entries(4, 6, None, GetEntriesContext::empty(false)).unwrap().len(), 2);
    }

    #[test]
    fn a_snapshot_received_is_never_undercut_by_an_older_applied_state() {
        let mut ops = Vec::new();
        let mut s = LogStore::bootstrap(vec![1], SnapshotData { next_seq: 1, names: vec![] }, &mut ops);
        s.append(&[entry(2, 1), entry(3, 1)], &mut ops);
        s.set_applied(3, s.conf_state().clone(), SnapshotData { next_seq: 3, names: vec![] });
        assert_eq!(s.snapshot(0, 2).unwrap().get_metadata().index, 3);
        let mut from_leader = Snapshot::default();
        from_leader.mut_metadata().index = 10;
        from_leader.mut_metadata().term = 2;
        from_leader.data = SnapshotData { next_seq: 8, names: vec![] }.encode().into();
        s.apply_snapshot(from_leader, &mut ops);
        // Before the fix this asked for the term of compacted entry 3.
        let offered = s.snapshot(0, 2).unwrap();
        assert_eq!((offered.get_metadata().index, offered.get_metadata().term), (10, 2));
    }

    #[test]
    fn corrupt_or_gapped_logs_are_refused() {
        let bad = vec![(b"hs".to_vec(), vec![0xff, 0xff, 0xff])];
        assert!(matches!(LogStore::restore(&bad), Err(RestoreError::Corrupt { .. })));
        let gap = vec![(entry_key(2), encode(&entry(2, 1))), (entry_key(4), encode(&entry(4, 1)))];
        assert!(matches!(LogStore::restore(&gap), Err(RestoreError::Gap { .. })));
    }
}
