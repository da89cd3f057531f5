//! The normal case: pre-prepare, prepare, commit, and execution in order
//! with each batch's commit certificate.

use super::*;

/// How far a pre-prepare's timestamp may be ahead of this replica's clock.
/// Orderers' clocks are expected in NTP sync; this absorbs drift. The
/// timestamp becomes the block's, at which the committers check
/// certificates' validity: an unbounded one would let a Byzantine primary
/// date blocks as it pleased.
const MAX_AHEAD_MS: u64 = 60_000;
/// How far behind it: loose, since a pre-prepare delayed by a partition or
/// resent to a replica that was down is honestly late; it limits how far a
/// primary can backdate a block (to slip in a certificate that expired).
const MAX_BEHIND_MS: u64 = 300_000;
/// How much earlier than the last executed batch a stamp may be: two
/// honest primaries' clocks differ by this much across a view change.
const MAX_BACKSTEP_MS: u64 = 1_000;

impl Pbft {
    /// Why `stamp` is not a time to prepare a batch at, if it is not. No
    /// clock yet (0): no bound.
    pub(super) fn stamp_problem(&self, stamp: u64) -> Option<String> {
        let now = self.now_ms;
        if now == 0 {
            return None;
        }
        if stamp > now + MAX_AHEAD_MS {
            return Some(format!("{} ms ahead of this replica's clock (at most {MAX_AHEAD_MS})", stamp - now));
        }
        if stamp + MAX_BEHIND_MS < now {
            return Some(format!("{} ms behind this replica's clock (at most {MAX_BEHIND_MS})", now - stamp));
        }
        if stamp + MAX_BACKSTEP_MS < self.last_timestamp_ms {
            return Some(format!("{} ms before the last executed block's time", self.last_timestamp_ms - stamp));
        }
        None
    }

    pub(super) fn propose(&mut self, envelopes: Vec<Vec<u8>>, out: &mut Vec<Action>) {
        let seq = self.next_seq.max(self.executed + 1);
        if seq > self.stable + self.window() {
            // Past the high watermark: wait for a checkpoint; the
            // envelopes go back to the cutter.
            for e in envelopes {
                let _ = self.cutter.ordered(e);
            }
            return;
        }
        self.next_seq = seq + 1;
        self.proposals += 1;
        // Never earlier than what was executed, should this clock step back.
        let batch = PbftBatch { seq, timestamp_ms: self.now_ms.max(self.last_timestamp_ms), envelopes };
        let pp = PbftPrePrepare { view: self.view, seq, digest: digest(&batch), batch: Some(batch) };
        let signed = self.sign(Kind::PrePrepare(pp.clone()));
        self.accept_pre_prepare(pp, signed, out);
    }

    /// Takes a pre-prepare that passed its checks: persist, prepare.
    pub(super) fn accept_pre_prepare(&mut self, pp: PbftPrePrepare, signed: PbftSigned, out: &mut Vec<Action>) {
        let seq = pp.seq;
        let primary = self.q.primary(pp.view).to_string();
        out.push(Action::Persist(vec![StoreOp::Put { key: slot_key(seq, "pp"), value: signed.encode_to_vec() }]));
        let slot = self.slots.entry(seq).or_default();
        let accepted =
            Accepted { view: pp.view, digest: pp.digest.clone(), batch: pp.batch.unwrap_or_default(), signed };
        slot.candidates.insert((pp.view, pp.digest.clone()), accepted.clone());
        slot.pre_prepare = Some(accepted);
        let signed_pp = slot.pre_prepare.as_ref().map(|a| a.signed.clone()).expect("just set");
        if primary == self.cfg.id {
            self.broadcast(&signed_pp, out);
        } else if slot.sent_prepare != Some(pp.view) {
            slot.sent_prepare = Some(pp.view);
            let vote = PbftVote { view: pp.view, seq, digest: pp.digest };
            let signed = self.sign(Kind::Prepare(vote.clone()));
            self.record_vote(true, vote, signed.clone());
            self.broadcast(&signed, out);
        }
        self.check_prepared(seq, out);
    }

    pub(super) fn on_pre_prepare(&mut self, pp: PbftPrePrepare, signed: PbftSigned, out: &mut Vec<Action>) {
        if signed.signer != self.q.primary(pp.view) {
            return self
                .refuse(format!("{} sent a pre-prepare for view {} whose primary it is not", signed.signer, pp.view));
        }
        let seq = pp.seq;
        if pp.view > self.view || seq <= self.stable.max(self.executed) || seq > self.stable + self.window() {
            return;
        }
        let Some(batch) = &pp.batch else { return self.refuse(format!("pre-prepare {seq} without a batch")) };
        if batch.seq != seq || digest(batch) != pp.digest {
            return self.refuse(format!("pre-prepare {seq} from {} does not match its batch", signed.signer));
        }
        if pp.view < self.view || !self.active {
            // An earlier view's: not to prepare, but with 2f+1 commits it
            // proves what was committed there.
            let accepted = Accepted { view: pp.view, digest: pp.digest.clone(), batch: batch.clone(), signed };
            if let Err(why) = self.slots.entry(seq).or_default().add_candidate(accepted) {
                self.refuse(format!("seq {seq}: {why}"));
            }
            return self.check_certified(seq, out);
        }
        if let Some(why) = self.stamp_problem(batch.timestamp_ms) {
            // Not prepared here: without the honest replicas' votes a bad
            // stamp gets no quorum, and the request timer brings a view
            // change. Kept as a candidate: should 2f+1 commit it anyway,
            // it is still what was committed.
            self.refuse(format!("{} stamped pre-prepare {seq} {why}", signed.signer));
            let accepted = Accepted { view: pp.view, digest: pp.digest.clone(), batch: batch.clone(), signed };
            if let Err(why) = self.slots.entry(seq).or_default().add_candidate(accepted) {
                self.refuse(format!("seq {seq}: {why}"));
            }
            return self.check_certified(seq, out);
        }
        if let Some(a) = self.slots.get(&seq).and_then(|s| s.pre_prepare.as_ref()) {
            if a.view == pp.view {
                if a.digest != pp.digest {
                    // An equivocating primary: keep the first, let the
                    // request timer bring the view change.
                    self.refuse(format!("{} sent two pre-prepares for {seq} in view {}", signed.signer, pp.view));
                }
                return;
            }
        }
        self.accept_pre_prepare(pp, signed, out);
    }

    pub(super) fn record_vote(&mut self, prepare: bool, vote: PbftVote, signed: PbftSigned) {
        let slot = self.slots.entry(vote.seq).or_default();
        if let Err(why) = slot.record_vote(prepare, vote.view, vote.digest, signed) {
            self.refuse(format!("seq {}: {why}", vote.seq));
        }
    }

    pub(super) fn on_vote(&mut self, prepare: bool, vote: PbftVote, signed: PbftSigned, out: &mut Vec<Action>) {
        let seq = vote.seq;
        if seq <= self.stable.max(self.executed) || seq > self.stable + self.window() || vote.view > self.view {
            return;
        }
        if prepare && signed.signer == self.q.primary(vote.view) {
            return self.refuse(format!("{} sent a prepare in view {} where it is primary", signed.signer, vote.view));
        }
        let held = self.slots.get(&seq).and_then(|s| s.pre_prepare.as_ref());
        if prepare && held.is_some_and(|a| a.view == vote.view && a.digest != vote.digest) {
            // Counted, not acted on: the prepare still goes with its digest.
            self.refuse(format!(
                "{} prepared another batch for {seq} in view {} than the pre-prepare this replica holds: the \
                 primary {} equivocated, or {} lies",
                signed.signer,
                vote.view,
                self.q.primary(vote.view),
                signed.signer
            ));
        }
        self.record_vote(prepare, vote, signed);
        self.check_prepared(seq, out);
        if !prepare {
            self.check_certified(seq, out);
        }
    }

    /// 2f+1 commits for a pre-prepare this replica holds, from whichever
    /// view: at least f+1 honest orderers prepared it, so no other batch
    /// can ever commit at this seq — execute it.
    pub(super) fn check_certified(&mut self, seq: u64, out: &mut Vec<Action>) {
        let strong = self.q.strong();
        let Some(slot) = self.slots.get_mut(&seq) else { return };
        if slot.committed.is_some() {
            return;
        }
        let found = slot.commits.iter().find_map(|(key, by)| {
            (by.len() >= strong)
                .then(|| slot.candidates.get(key).map(|a| (a.clone(), by.values().cloned().collect())))?
        });
        if let Some(c) = found {
            slot.committed = Some(c);
            self.execute(out);
        }
    }

    pub(super) fn check_prepared(&mut self, seq: u64, out: &mut Vec<Action>) {
        let strong = self.q.strong();
        let backups_needed = 2 * self.q.f();
        let Some(slot) = self.slots.get(&seq) else { return };
        let Some(a) = slot.pre_prepare.clone() else { return };
        // Only in the view this replica is active in: once it has asked
        // for a view change it must not prepare or commit in the old view,
        // or a batch could commit there that its view change did not cite.
        if !self.active || a.view != self.view {
            return;
        }
        let primary = self.q.primary(a.view).to_string();
        let prepares = slot.prepares_for(a.view, &a.digest, &primary);
        if prepares.len() >= backups_needed && slot.prepared.as_ref().is_none_or(|(v, _, _)| *v < a.view) {
            let cert = PbftPrepared { pre_prepare: Some(a.signed.clone()), prepares };
            out.push(Action::Persist(vec![StoreOp::Put {
                key: slot_key(seq, "prepared"),
                value: cert.encode_to_vec(),
            }]));
            let slot = self.slots.get_mut(&seq).expect("present");
            slot.prepared = Some((a.view, a.digest.clone(), cert));
        }
        let slot = self.slots.get(&seq).expect("present");
        let prepared_now = slot.prepared.as_ref().is_some_and(|(v, d, _)| *v == a.view && *d == a.digest);
        if prepared_now && slot.sent_commit != Some(a.view) {
            let vote = PbftVote { view: a.view, seq, digest: a.digest.clone() };
            let signed = self.sign(Kind::Commit(vote.clone()));
            self.slots.get_mut(&seq).expect("present").sent_commit = Some(a.view);
            self.record_vote(false, vote, signed.clone());
            self.broadcast(&signed, out);
        }
        let slot = self.slots.get(&seq).expect("present");
        if prepared_now && slot.committed.is_none() {
            let commits = slot.commits_for(a.view, &a.digest);
            if commits.len() >= strong {
                self.slots.get_mut(&seq).expect("present").committed = Some((a, commits));
                self.execute(out);
            }
        }
    }

    /// Hands committed batches to the driver in order.
    pub(super) fn execute(&mut self, out: &mut Vec<Action>) {
        loop {
            let seq = self.executed + 1;
            let Some(slot) = self.slots.get(&seq) else { return };
            let Some((a, commits)) = &slot.committed else { return };
            let cert = PbftCommitCertificate { view: a.view, seq, digest: a.digest.clone(), commits: commits.clone() };
            let batch = a.batch.clone();
            let d = a.digest.clone();
            self.executed = seq;
            self.last_timestamp_ms = self.last_timestamp_ms.max(batch.timestamp_ms);
            self.executed_digests.insert(seq, d.clone());
            let mut acks = Vec::new();
            for e in &batch.envelopes {
                let h = hash(e);
                self.proposed.remove(&h);
                self.recent.insert(h);
                if let Some(p) = self.pending.remove(&h) {
                    acks.extend(p.requests);
                }
            }
            out.push(Action::Ordered(Batch {
                seq,
                envelopes: batch.envelopes,
                timestamp_ms: batch.timestamp_ms,
                proof: cert.encode_to_vec(),
            }));
            out.extend(acks.into_iter().map(|request| Action::Accepted { request }));
            if seq % self.cfg.checkpoint_interval.max(1) == 0 {
                let signed = self.sign(Kind::Checkpoint(PbftCheckpoint { seq, digest: d }));
                self.own_checkpoints.insert(seq, signed.clone());
                self.broadcast(&signed, out);
                self.on_checkpoint(PbftCheckpoint { seq, digest: self.executed_digests[&seq].clone() }, signed, out);
            }
        }
    }
}
