//! Clients' envelopes: taken by any orderer, cut into batches by the
//! primary, forwarded to it by backups, watched until executed.

use super::*;

impl Pbft {
    pub(super) fn submit(&mut self, request: u64, envelope: Vec<u8>) -> Vec<Action> {
        if self.draining {
            return vec![Action::Rejected { request, reason: RejectReason::Draining }];
        }
        let limit = self.cfg.limits.absolute_max_bytes;
        if envelope.len() > limit {
            return vec![Action::Rejected { request, reason: RejectReason::TooLarge { size: envelope.len(), limit } }];
        }
        let h = hash(&envelope);
        if self.recent.contains(&h) {
            return vec![Action::Accepted { request }]; // already ordered
        }
        let mut out = Vec::new();
        let fresh = !self.pending.contains_key(&h);
        let ticks = self.ticks;
        let p = self.pending.entry(h).or_insert_with(|| Pending {
            envelope: envelope.clone(),
            since: ticks,
            requests: Vec::new(),
            broadcast: false,
        });
        p.requests.push(request);
        if fresh {
            self.route(h, envelope, &mut out);
        }
        out
    }

    /// A pending envelope goes into the primary's next batch, or to the
    /// primary.
    pub(super) fn route(&mut self, h: [u8; 32], envelope: Vec<u8>, out: &mut Vec<Action>) {
        if !self.active {
            return; // re-routed when the new view starts
        }
        if self.is_primary() {
            if self.proposed.insert(h) {
                self.cut(envelope, out);
            }
        } else {
            let signed = self.sign(Kind::Requests(PbftRequests { envelopes: vec![envelope] }));
            let primary = self.primary().to_string();
            self.send(&primary, &signed, out);
        }
    }

    pub(super) fn cut(&mut self, envelope: Vec<u8>, out: &mut Vec<Action>) {
        if let Cut::Batches(batches) = self.cutter.ordered(envelope) {
            for b in batches {
                self.propose(b, out);
            }
        }
    }

    pub(super) fn on_requests(&mut self, envelopes: Vec<Vec<u8>>, out: &mut Vec<Action>) {
        for e in envelopes {
            self.on_request(e, out);
        }
    }

    pub(super) fn on_request(&mut self, envelope: Vec<u8>, out: &mut Vec<Action>) {
        if envelope.len() > self.cfg.limits.absolute_max_bytes {
            return self.refuse(format!("a forwarded envelope of {} bytes, over the limit", envelope.len()));
        }
        let h = hash(&envelope);
        if self.recent.contains(&h) {
            return;
        }
        if self.is_primary() && self.active {
            if self.proposed.insert(h) {
                self.cut(envelope, out);
            }
        } else {
            // Watch it: if the primary does not order it, time out.
            let ticks = self.ticks;
            self.pending.entry(h).or_insert(Pending { envelope, since: ticks, requests: Vec::new(), broadcast: true });
        }
    }
}
