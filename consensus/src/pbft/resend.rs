//! Status heartbeats and retransmission: what a lagging replica lacks, and
//! envelopes that wait too long.

use super::*;

impl Pbft {
    pub(super) fn resend(&mut self, out: &mut Vec<Action>) {
        let status = self.sign(Kind::Status(PbftStatus { view: self.view }));
        self.broadcast(&status, out);
        if !self.active {
            if let Some((s, _)) = self.view_changes.get(&self.view).and_then(|by| by.get(&self.cfg.id)) {
                self.broadcast(&s.clone(), out);
            }
        }
        if self.executed < self.stable {
            out.push(Action::CatchUp { next_seq: self.stable + 1 });
        } else if let Some(target) = self.stalled() {
            // f+1 orderers executed past us (one of them honest) and we made
            // no progress since the last round: their blocks carry commit
            // certificates the driver checks, so fetch rather than wait for
            // votes that may be gone (a replica that restarted keeps no
            // votes for what it executed).
            out.push(Action::CatchUp { next_seq: target + 1 });
        }
        self.executed_at_resend = self.executed;
        let peers: Vec<(String, u64)> = self
            .q
            .ids()
            .iter()
            .filter(|id| **id != self.cfg.id)
            .map(|id| (id.clone(), self.peer_executed.get(id).copied().unwrap_or(0)))
            .collect();
        let progress = std::mem::replace(&mut self.peer_executed_at_resend, self.peer_executed.clone());
        for (peer, their) in peers {
            // A replica that executed something since the last round is
            // moving: what it lacks is most likely on its way, and resending
            // in-flight batches to it doubled the traffic under load.
            if progress.get(&peer).is_some_and(|before| *before < their) {
                continue;
            }
            for slot in self.slots.range(their.max(self.stable) + 1..).map(|(_, s)| s) {
                if let Some((a, commits)) = &slot.committed {
                    // Committed here: the proof, whatever view it was in.
                    self.send(&peer, &a.signed, out);
                    for c in commits {
                        self.send(&peer, c, out);
                    }
                } else if let Some(a) = slot.pre_prepare.as_ref().filter(|a| a.view == self.view && self.active) {
                    // Under way: the pre-prepare and our votes.
                    self.send(&peer, &a.signed, out);
                    for votes in [&slot.prepares, &slot.commits] {
                        if let Some(mine) = votes.get(&(a.view, a.digest.clone())).and_then(|m| m.get(&self.cfg.id)) {
                            self.send(&peer, mine, out);
                        }
                    }
                }
            }
            // Behind our last checkpoint: our checkpoint message, so that
            // it can gather a stable proof and fetch the blocks.
            if let Some((_, c)) = self.own_checkpoints.range(their + 1..).next_back() {
                self.send(&peer, c, out);
            }
        }
        // Envelopes waiting go to the primary again, in one message; those
        // waiting long go to everyone, so every backup's timer runs and a
        // primary that ignores them is voted out.
        let half = self.cfg.request_timeout_ticks / 2;
        let primary = self.primary().to_string();
        let (mut to_all, mut to_primary) = (Vec::new(), Vec::new());
        for p in self.pending.values_mut() {
            let age = self.ticks.saturating_sub(p.since);
            if age >= half && !p.broadcast {
                p.broadcast = true;
                to_all.push(p.envelope.clone());
            } else if age >= self.cfg.resend_ticks && !p.requests.is_empty() {
                to_primary.push(p.envelope.clone());
            }
        }
        for chunk in to_all.chunks(MAX_FORWARD) {
            let s = self.sign(Kind::Requests(PbftRequests { envelopes: chunk.to_vec() }));
            self.broadcast(&s, out);
        }
        if primary != self.cfg.id && self.active {
            for chunk in to_primary.chunks(MAX_FORWARD) {
                let s = self.sign(Kind::Requests(PbftRequests { envelopes: chunk.to_vec() }));
                self.send(&primary, &s, out);
            }
        }
    }
}
