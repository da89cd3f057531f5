//! One simulated node: its engine (gone while crashed), its disk (what the
//! engine persisted) and its ledger (blocks committed in order).

use std::collections::BTreeMap;

use super::Violation;
use crate::{Batch, Consensus, NodeId, StoreOp};

pub struct SimNode {
    pub id: NodeId,
    pub engine: Option<Box<dyn Consensus>>,
    pub disk: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Blocks 1.. (block 0 is genesis).
    chain: Vec<Vec<Vec<u8>>>,
    /// Ordered batches past a gap that a catch-up has yet to fill.
    early: BTreeMap<u64, Batch>,
}

impl SimNode {
    pub fn new(id: NodeId) -> SimNode {
        SimNode { id, engine: None, disk: BTreeMap::new(), chain: Vec::new(), early: BTreeMap::new() }
    }

    pub fn height(&self) -> u64 {
        1 + self.chain.len() as u64
    }

    pub fn crashed(&mut self) {
        self.early.clear(); // memory only
    }

    pub fn persist(&mut self, ops: Vec<StoreOp>) {
        crate::apply_ops(&mut self.disk, ops);
    }

    /// Commits `batch` if it is next; returns whether the ledger grew.
    pub fn ordered(
        &mut self,
        batch: Batch,
        canonical: &mut BTreeMap<u64, Vec<Vec<u8>>>,
        violations: &mut Vec<Violation>,
    ) -> bool {
        let h = self.height();
        if batch.seq < h {
            // Replayed after a restart: it must be the block we hold.
            if self.chain[(batch.seq - 1) as usize] != batch.envelopes {
                violations.push(Violation::Fork { seq: batch.seq, node: self.id.clone() });
            }
            return false;
        }
        if batch.seq > h {
            self.early.insert(batch.seq, batch);
            return false;
        }
        self.append(batch.seq, batch.envelopes, canonical, violations);
        while let Some(b) = self.early.remove(&self.height()) {
            self.append(b.seq, b.envelopes, canonical, violations);
        }
        true
    }

    fn append(
        &mut self,
        seq: u64,
        envelopes: Vec<Vec<u8>>,
        canonical: &mut BTreeMap<u64, Vec<Vec<u8>>>,
        violations: &mut Vec<Violation>,
    ) {
        match canonical.get(&seq) {
            Some(c) if *c != envelopes => violations.push(Violation::Fork { seq, node: self.id.clone() }),
            Some(_) => {}
            None => {
                canonical.insert(seq, envelopes.clone());
            }
        }
        self.chain.push(envelopes);
    }

    /// Fetches blocks below `next_seq` from the others (all copies are
    /// checked equal, so the canonical record is any node's copy); returns
    /// the numbers of the fetched blocks.
    pub fn catch_up(
        &mut self,
        next_seq: u64,
        canonical: &BTreeMap<u64, Vec<Vec<u8>>>,
        violations: &mut Vec<Violation>,
    ) -> Vec<u64> {
        let mut fetched = Vec::new();
        while self.height() < next_seq {
            let seq = self.height();
            let Some(b) = canonical.get(&seq) else {
                violations.push(Violation::CatchUpFailed { node: self.id.clone(), seq });
                return fetched;
            };
            self.chain.push(b.clone());
            fetched.push(seq);
        }
        while let Some(b) = self.early.remove(&self.height()) {
            self.chain.push(b.envelopes);
        }
        fetched
    }
}
