//! Solo: one orderer that batches envelopes in arrival order. No fault
//! tolerance; for development and single-org chains, as in Fabric.

use crate::{Action, Batch, BatchCutter, BatchLimits, Consensus, Cut, Input, NodeId, RejectReason, Status};

pub struct Solo {
    id: NodeId,
    cutter: BatchCutter,
    next_seq: u64,
    draining: bool,
}

impl Solo {
    /// `next_seq` is the ledger's height: the number the next block gets.
    pub fn new(id: NodeId, limits: BatchLimits, next_seq: u64) -> Solo {
        Solo { id, cutter: BatchCutter::new(limits), next_seq, draining: false }
    }

    fn emit(&mut self, envelopes: Vec<Vec<u8>>, out: &mut Vec<Action>) {
        out.push(Action::Ordered(Batch { seq: self.next_seq, envelopes, timestamp_ms: 0, proof: Vec::new() }));
        self.next_seq += 1;
    }
}

impl Consensus for Solo {
    fn step(&mut self, input: Input) -> Vec<Action> {
        let Input::Submit { request, envelope } = input else {
            return Vec::new(); // solo has no peers to hear from
        };
        if self.draining {
            return vec![Action::Rejected { request, reason: RejectReason::Draining }];
        }
        match self.cutter.ordered(envelope) {
            Cut::TooLarge { size, limit } => {
                vec![Action::Rejected { request, reason: RejectReason::TooLarge { size, limit } }]
            }
            Cut::Batches(batches) => {
                let mut out = vec![Action::Accepted { request }];
                for b in batches {
                    self.emit(b, &mut out);
                }
                out
            }
        }
    }

    fn tick(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(b) = self.cutter.tick() {
            self.emit(b, &mut out);
        }
        out
    }

    fn drain(&mut self) -> Vec<Action> {
        self.draining = true;
        let mut out = Vec::new();
        if let Some(b) = self.cutter.cut() {
            self.emit(b, &mut out);
        }
        out
    }

    fn set_batch_limits(&mut self, limits: BatchLimits) {
        self.cutter.set_limits(limits);
    }

    fn status(&self) -> Status {
        Status {
            engine: "solo",
            role: if self.draining { "draining" } else { "ordering" },
            leader: Some(self.id.clone()),
            term: 0,
            commit_index: self.next_seq,
            applied_index: self.next_seq,
            log_entries: 0,
            proposals: 0,
            next_seq: self.next_seq,
            pending: self.cutter.pending(),
            refused: 0,
            last_refusal: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn limits() -> BatchLimits {
        BatchLimits { max_message_count: 4, preferred_max_bytes: 64, absolute_max_bytes: 128, timeout_ticks: 3 }
    }

    fn submit(request: u64, size: usize) -> Input {
        Input::Submit { request, envelope: vec![request as u8; size] }
    }

    fn ordered(actions: &[Action]) -> Vec<&Batch> {
        actions.iter().filter_map(|a| if let Action::Ordered(b) = a { Some(b) } else { None }).collect()
    }

    #[test]
    fn batches_are_numbered_from_the_ledger_height() {
        let mut solo = Solo::new("orderer0".into(), limits(), 7);
        let mut out = Vec::new();
        for r in 0..8 {
            out.extend(solo.step(submit(r, 4)));
        }
        let seqs: Vec<u64> = ordered(&out).iter().map(|b| b.seq).collect();
        assert_eq!(seqs, [7, 8]);
        assert_eq!(solo.status().next_seq, 9);
    }

    #[test]
    fn new_batch_limits_apply_from_the_next_cut() {
        let mut solo = Solo::new("o".into(), limits(), 0);
        let mut out = solo.step(submit(1, 4));
        solo.set_batch_limits(BatchLimits { max_message_count: 2, ..limits() });
        out.extend(solo.step(submit(2, 4)));
        let sizes: Vec<usize> = ordered(&out).iter().map(|b| b.envelopes.len()).collect();
        assert_eq!(sizes, [2], "cut at the new count of 2, not the old 4");
    }

    #[test]
    fn a_quiet_channel_still_gets_its_block_after_the_timeout() {
        let mut solo = Solo::new("o".into(), limits(), 1);
        assert_eq!(solo.step(submit(1, 4)), vec![Action::Accepted { request: 1 }]);
        assert!(solo.tick().is_empty());
        assert!(solo.tick().is_empty());
        assert_eq!(
            solo.tick(),
            vec![Action::Ordered(Batch { seq: 1, envelopes: vec![vec![1; 4]], timestamp_ms: 0, proof: Vec::new() })]
        );
    }

    #[test]
    fn oversized_envelopes_and_draining_are_refused_with_reasons() {
        let mut solo = Solo::new("o".into(), limits(), 0);
        let out = solo.step(submit(1, 200));
        assert_eq!(
            out,
            vec![Action::Rejected { request: 1, reason: RejectReason::TooLarge { size: 200, limit: 128 } }]
        );
        solo.step(submit(2, 4));
        let drained = solo.drain();
        assert_eq!(ordered(&drained).len(), 1, "draining orders what was pending");
        assert_eq!(solo.step(submit(3, 4)), vec![Action::Rejected { request: 3, reason: RejectReason::Draining }]);
        assert!(RejectReason::TooLarge { size: 200, limit: 128 }.to_string().contains("absolute_max_bytes"));
    }

    #[derive(Debug, Clone)]
    enum Step {
        Submit(usize),
        Tick,
    }

    /// An envelope of `size` bytes (at least 8) that starts with its request id.
    fn tagged(request: u64, size: usize) -> Vec<u8> {
        let mut e = request.to_be_bytes().to_vec();
        e.resize(size, 0xEE);
        e
    }

    fn tag(envelope: &[u8]) -> u64 {
        u64::from_be_bytes(envelope[..8].try_into().unwrap())
    }

    proptest! {
        /// Every accepted envelope is ordered exactly once, in arrival order,
        /// in consecutively numbered batches that respect the limits.
        #[test]
        fn nothing_lost_reordered_or_oversized(steps in prop::collection::vec(
            prop_oneof![(8usize..150).prop_map(Step::Submit), Just(Step::Tick)], 0..200)
        ) {
            let l = limits();
            let mut solo = Solo::new("o".into(), l, 0);
            let (mut accepted, mut out) = (Vec::new(), Vec::new());
            for (i, s) in steps.iter().enumerate() {
                let actions = match s {
                    Step::Submit(size) => solo.step(Input::Submit { request: i as u64, envelope: tagged(i as u64, *size) }),
                    Step::Tick => solo.tick(),
                };
                for a in actions {
                    match a {
                        Action::Accepted { request } => accepted.push(request),
                        Action::Ordered(b) => out.push(b),
                        Action::Rejected { reason: RejectReason::TooLarge { size, .. }, .. } => {
                            prop_assert!(size > l.absolute_max_bytes)
                        }
                        other => prop_assert!(false, "unexpected {:?}", other),
                    }
                }
            }
            out.extend(ordered(&solo.drain()).into_iter().cloned());
            for (n, b) in out.iter().enumerate() {
                prop_assert_eq!(b.seq, n as u64);
                prop_assert!(!b.envelopes.is_empty() && b.envelopes.len() <= l.max_message_count);
                let bytes: usize = b.envelopes.iter().map(Vec::len).sum();
                prop_assert!(bytes <= l.preferred_max_bytes || b.envelopes.len() == 1);
            }
            let got: Vec<u64> = out.iter().flat_map(|b| b.envelopes.iter()).map(|e| tag(e)).collect();
            prop_assert_eq!(got, accepted);
        }
    }
}
