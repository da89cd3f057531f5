//! The message log of one sequence number: the pre-prepare this replica
//! accepted, the prepares and commits it has heard (by view and digest),
//! and whether the slot is prepared or committed. Pure bookkeeping.

use std::collections::BTreeMap;

use weft_proto::{PbftBatch, PbftPrepared, PbftSigned};

#[derive(Debug, Clone, Default)]
pub struct Slot {
    /// The pre-prepare accepted in the current view (prepared for).
    pub pre_prepare: Option<Accepted>,
    /// Every valid pre-prepare seen for this seq, by (view, digest): with
    /// 2f+1 commits for one of them the batch is committed, whatever view
    /// this replica is in (how a replica that missed a view catches up).
    pub candidates: BTreeMap<(u64, Vec<u8>), Accepted>,
    pub prepares: BTreeMap<(u64, Vec<u8>), BTreeMap<String, PbftSigned>>,
    pub commits: BTreeMap<(u64, Vec<u8>), BTreeMap<String, PbftSigned>>,
    /// The latest prepared certificate: (view, digest, certificate).
    pub prepared: Option<(u64, Vec<u8>, PbftPrepared)>,
    /// Views this replica sent its prepare / commit in.
    pub sent_prepare: Option<u64>,
    pub sent_commit: Option<u64>,
    /// Committed locally: the pre-prepare and 2f+1 commits for it (kept
    /// through a view change, which re-proposes the same batch).
    pub committed: Option<(Accepted, Vec<PbftSigned>)>,
}

#[derive(Debug, Clone)]
pub struct Accepted {
    pub view: u64,
    pub digest: Vec<u8>,
    pub batch: PbftBatch,
    pub signed: PbftSigned,
}

impl Slot {
    /// Prepares for (view, digest) from backups (not `primary`).
    pub fn prepares_for(&self, view: u64, digest: &[u8], primary: &str) -> Vec<PbftSigned> {
        self.prepares
            .get(&(view, digest.to_vec()))
            .map(|m| m.iter().filter(|(who, _)| who.as_str() != primary).map(|(_, s)| s.clone()).collect())
            .unwrap_or_default()
    }

    pub fn commits_for(&self, view: u64, digest: &[u8]) -> Vec<PbftSigned> {
        self.commits.get(&(view, digest.to_vec())).map(|m| m.values().cloned().collect()).unwrap_or_default()
    }

    /// Forgets prepares from views before `view` (they can no longer
    /// complete); commits stay, as proof for a replica that lags.
    pub fn forget_before(&mut self, view: u64) {
        self.prepares.retain(|(v, _), _| *v >= view);
        if self.pre_prepare.as_ref().is_some_and(|p| p.view < view) {
            self.pre_prepare = None;
        }
    }
}
