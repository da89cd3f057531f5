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

/// The most (view, digest) entries one replica's votes of one kind may
/// fill at one seq: an honest replica votes once per view, and only the
/// latest views matter; a Byzantine one could otherwise fill memory with
/// votes for made-up digests in every past view.
pub const MAX_VOTE_ENTRIES: usize = 8;
/// The most pre-prepare candidates kept for one seq besides the one
/// accepted (a primary per view, each signing one batch when honest).
pub const MAX_CANDIDATES: usize = 16;
/// The most pre-prepare candidates kept for one seq and view.
pub const CANDIDATES_PER_VIEW: usize = 4;

#[derive(Debug, Clone)]
pub struct Accepted {
    pub view: u64,
    pub digest: Vec<u8>,
    pub batch: PbftBatch,
    pub signed: PbftSigned,
}

impl Slot {
    /// Records `signer`'s prepare (or commit) for (view, digest). One
    /// digest per view and replica (a second is refused: an honest replica
    /// never votes two batches in one view); past `MAX_VOTE_ENTRIES` views
    /// the replica's lowest-view vote is forgotten. Err names a refusal.
    pub fn record_vote(&mut self, prepare: bool, view: u64, digest: Vec<u8>, signed: PbftSigned) -> Result<(), String> {
        let votes = if prepare { &mut self.prepares } else { &mut self.commits };
        let signer = signed.signer.clone();
        let mine: Vec<(u64, Vec<u8>)> =
            votes.iter().filter(|(_, by)| by.contains_key(&signer)).map(|(k, _)| k.clone()).collect();
        if mine.iter().any(|(v, d)| *v == view && *d == digest) {
            return Ok(()); // a repeat
        }
        if mine.iter().any(|(v, _)| *v == view) {
            let kind = if prepare { "prepares" } else { "commits" };
            return Err(format!("{signer} sent two {kind} for different batches in view {view}"));
        }
        let mut refusal = None;
        if mine.len() >= MAX_VOTE_ENTRIES {
            let lowest = mine.iter().min_by_key(|(v, _)| *v).cloned().expect("not empty");
            if lowest.0 > view {
                return Err(format!(
                    "{signer} voted in view {view}, older than the {MAX_VOTE_ENTRIES} it voted in since"
                ));
            }
            if let Some(by) = votes.get_mut(&lowest) {
                by.remove(&signer);
                if by.is_empty() {
                    votes.remove(&lowest);
                }
            }
            refusal =
                Some(format!("{signer} voted in more than {MAX_VOTE_ENTRIES} views; its oldest vote was dropped"));
        }
        votes.entry((view, digest)).or_default().insert(signer, signed);
        refusal.map_or(Ok(()), Err)
    }

    /// Keeps a pre-prepare candidate that was not accepted (an earlier
    /// view's, or one with a bad stamp): at most `CANDIDATES_PER_VIEW` per
    /// view (more than one is the primary equivocating; a few are kept, so
    /// that the one 2f+1 commit is likely among them), and at most
    /// `MAX_CANDIDATES`, the lowest views forgotten first. A batch missed
    /// here still arrives by catch-up.
    pub fn add_candidate(&mut self, accepted: Accepted) -> Result<(), String> {
        let view = accepted.view;
        if self.candidates.contains_key(&(view, accepted.digest.clone())) {
            return Ok(());
        }
        if self.candidates.keys().filter(|(v, _)| *v == view).count() >= CANDIDATES_PER_VIEW {
            return Err(format!(
                "{} signed more than {CANDIDATES_PER_VIEW} batches for one seq in view {view}",
                accepted.signed.signer
            ));
        }
        if self.candidates.len() >= MAX_CANDIDATES {
            let kept = self.pre_prepare.as_ref().map(|a| (a.view, a.digest.clone()));
            let lowest = self.candidates.keys().filter(|k| Some(*k) != kept.as_ref()).min().cloned();
            match lowest {
                Some(k) if k.0 < view => {
                    self.candidates.remove(&k);
                }
                _ => return Err(format!("pre-prepare candidates for one seq are full; view {view} not kept")),
            }
        }
        self.candidates.insert((view, accepted.digest.clone()), accepted);
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(by: &str) -> PbftSigned {
        PbftSigned { signer: by.into(), ..Default::default() }
    }

    fn candidate(view: u64, digest: u8) -> Accepted {
        Accepted { view, digest: vec![digest], batch: PbftBatch::default(), signed: signed("o0") }
    }

    #[test]
    fn one_replica_cannot_flood_a_slot_with_votes() {
        let mut slot = Slot::default();
        slot.record_vote(true, 3, vec![1], signed("o1")).unwrap();
        slot.record_vote(true, 3, vec![1], signed("o1")).expect("a repeat is harmless");
        let twice = slot.record_vote(true, 3, vec![2], signed("o1")).unwrap_err();
        assert!(twice.contains("two prepares for different batches in view 3"), "{twice}");
        // A thousand made-up votes in other views: only the latest
        // MAX_VOTE_ENTRIES views stay, and each past the bound is counted.
        let mut refused = 0;
        for view in 4..1004u64 {
            refused += usize::from(slot.record_vote(true, view, view.to_be_bytes().to_vec(), signed("o1")).is_err());
        }
        let kept: Vec<u64> = slot.prepares.keys().map(|(v, _)| *v).collect();
        assert_eq!(kept, (996..1004).collect::<Vec<_>>());
        assert_eq!(refused, 1000 - (MAX_VOTE_ENTRIES - 1));
        let old = slot.record_vote(true, 5, vec![9], signed("o1")).unwrap_err();
        assert!(old.contains("older than"), "{old}");
        // Another replica's votes are its own account.
        slot.record_vote(true, 3, vec![1], signed("o2")).unwrap();
        assert_eq!(slot.prepares.len(), MAX_VOTE_ENTRIES + 1);
        assert!(slot.commits.is_empty(), "commits are counted apart");
    }

    #[test]
    fn pre_prepare_candidates_are_bounded_per_view_and_in_all() {
        let mut slot = Slot::default();
        for d in 0..CANDIDATES_PER_VIEW as u8 {
            slot.add_candidate(candidate(1, d)).unwrap();
        }
        assert!(slot.add_candidate(candidate(1, 99)).unwrap_err().contains("more than"));
        slot.pre_prepare = Some(candidate(1, 0));
        for view in 2..40u64 {
            slot.add_candidate(candidate(view, 0)).unwrap();
        }
        assert_eq!(slot.candidates.len(), MAX_CANDIDATES);
        assert!(slot.candidates.contains_key(&(1, vec![0])), "the accepted pre-prepare is never forgotten");
        assert!(slot.candidates.contains_key(&(39, vec![0])), "the latest view is kept");
        assert!(slot.add_candidate(candidate(2, 7)).is_err(), "an old view does not push out newer ones");
    }
}
