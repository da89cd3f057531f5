//! View changes as this replica lives them: asking for one, joining one,
//! making the new view as its primary, checking and entering it. The rules
//! themselves are pure functions in `view_change.rs`.

use super::*;

impl Pbft {
    pub(super) fn start_view_change(&mut self, to: u64) -> Vec<Action> {
        let mut out = Vec::new();
        if to < self.view || (to == self.view && self.active) {
            return out;
        }
        self.attempts = if self.active { 0 } else { self.attempts + 1 };
        self.view = to;
        self.active = false;
        self.view_change_started = self.ticks;
        self.new_view = None;
        self.persist_view(&mut out);
        let prepared = self
            .slots
            .iter()
            .filter(|(seq, _)| **seq > self.stable)
            .filter_map(|(_, s)| s.prepared.as_ref().map(|(_, _, cert)| cert.clone()))
            .collect();
        let vc = PbftViewChange {
            new_view: to,
            stable_seq: self.stable,
            checkpoint_proof: self.stable_proof.clone(),
            prepared,
            clock_ms: self.now_ms,
        };
        let signed = self.sign(Kind::ViewChange(vc));
        self.broadcast(&signed, &mut out);
        self.on_view_change(signed, &mut out);
        out
    }

    pub(super) fn on_view_change(&mut self, signed: PbftSigned, out: &mut Vec<Action>) {
        let vc = match view_change::check(&signed, &self.keys, &self.q, self.window()) {
            Ok(vc) => vc,
            Err(why) => return self.refuse(format!("view change from {}: {why}", signed.signer)),
        };
        let to = vc.new_view;
        if to < self.view || (to == self.view && self.active) {
            // A straggler: pass on the new view that ended its view change.
            if to == self.view && signed.signer != self.cfg.id {
                if let Some(nv) = self.new_view.clone() {
                    self.send(&signed.signer, &nv, out);
                }
            }
            return;
        }
        let signer = signed.signer.clone();
        self.view_changes.entry(to).or_default().insert(signer, (signed, vc));
        // f+1 orderers want views beyond ours: at least one honest one timed
        // out, so join the lowest of them (Castro and Liskov's rule, which
        // keeps a slow replica from holding a view change up).
        let mut lowest: BTreeMap<&String, u64> = BTreeMap::new();
        for (v, by) in self.view_changes.range(self.view + 1..) {
            for s in by.keys() {
                lowest.entry(s).or_insert(*v);
            }
        }
        if lowest.len() >= self.q.weak() {
            let target = lowest.values().copied().min().expect("not empty");
            out.extend(self.start_view_change(target));
            return;
        }
        if !self.active && to == self.view && self.q.primary(to) == self.cfg.id {
            self.try_new_view(out);
        }
    }

    pub(super) fn try_new_view(&mut self, out: &mut Vec<Action>) {
        let view = self.view;
        let Some(by) = self.view_changes.get(&view) else { return };
        if by.len() < self.q.strong() || !by.contains_key(&self.cfg.id) {
            return;
        }
        // Own first, then by id: a deterministic choice of 2f+1.
        let mut chosen: Vec<&(PbftSigned, ViewChange)> = vec![&by[&self.cfg.id]];
        chosen.extend(by.iter().filter(|(s, _)| **s != self.cfg.id).map(|(_, v)| v).take(self.q.strong() - 1));
        let vcs: Vec<ViewChange> = chosen.iter().map(|(_, v)| v.clone()).collect();
        let signed_vcs: Vec<PbftSigned> = chosen.iter().map(|(s, _)| s.clone()).collect();
        let plan = view_change::plan(&vcs);
        let pre_prepares =
            plan.batches.iter().map(|b| self.sign(Kind::PrePrepare(view_change::pre_prepare(view, b)))).collect();
        let nv = PbftNewView { view, view_changes: signed_vcs, pre_prepares };
        let signed = self.sign(Kind::NewView(nv.clone()));
        self.broadcast(&signed, out);
        self.enter_view(nv, signed, plan, out);
    }

    pub(super) fn on_new_view(&mut self, nv: PbftNewView, signed: PbftSigned, out: &mut Vec<Action>) {
        if nv.view < self.view || (nv.view == self.view && self.active) {
            return;
        }
        if signed.signer != self.q.primary(nv.view) {
            return self.refuse(format!("new view {} from {}, not its primary", nv.view, signed.signer));
        }
        match self.check_new_view(&nv) {
            Ok(plan) => self.enter_view(nv, signed, plan, out),
            Err(why) => self.refuse(format!("new view {} from {}: {why}", nv.view, signed.signer)),
        }
    }

    pub(super) fn check_new_view(&self, nv: &PbftNewView) -> Result<view_change::NewViewPlan, String> {
        let mut vcs = Vec::new();
        let mut signers = BTreeSet::new();
        for s in &nv.view_changes {
            let vc = view_change::check(s, &self.keys, &self.q, self.window())?;
            if vc.new_view != nv.view {
                return Err(format!("it carries a view change for view {}", vc.new_view));
            }
            if !signers.insert(vc.signer.clone()) {
                return Err(format!("two view changes from {}", vc.signer));
            }
            vcs.push(vc);
        }
        if vcs.len() < self.q.strong() {
            return Err(format!("{} view changes, {} needed", vcs.len(), self.q.strong()));
        }
        let plan = view_change::plan(&vcs);
        if plan.batches.len() != nv.pre_prepares.len() {
            return Err("its pre-prepares are not the ones its view changes imply".into());
        }
        for (b, s) in plan.batches.iter().zip(&nv.pre_prepares) {
            let (_, kind) = open(s, &self.keys).map_err(|e| e.to_string())?;
            if s.signer != self.q.primary(nv.view) || kind != Kind::PrePrepare(view_change::pre_prepare(nv.view, b)) {
                return Err(format!("its pre-prepare for {} is not the one its view changes imply", b.seq));
            }
        }
        Ok(plan)
    }

    pub(super) fn enter_view(
        &mut self,
        nv: PbftNewView,
        signed: PbftSigned,
        plan: view_change::NewViewPlan,
        out: &mut Vec<Action>,
    ) {
        self.view = nv.view;
        self.active = true;
        self.attempts = 0;
        self.new_view = Some(signed);
        self.view_changes = self.view_changes.split_off(&(nv.view + 1));
        self.persist_view(out);
        for slot in self.slots.values_mut() {
            slot.forget_before(nv.view);
        }
        if plan.stable_seq > self.stable {
            self.make_stable(plan.stable_seq, plan.checkpoint_proof.clone(), out);
        }
        let top = plan.batches.last().map_or(plan.stable_seq, |b| b.seq);
        self.next_seq = top.max(self.executed).max(self.stable) + 1;
        self.proposed.clear();
        self.cutter = BatchCutter::new(self.cfg.limits);
        for (b, s) in plan.batches.iter().zip(nv.pre_prepares) {
            if b.seq <= self.executed.max(self.stable) {
                continue;
            }
            for e in &b.envelopes {
                self.proposed.insert(hash(e));
            }
            let pp = view_change::pre_prepare(nv.view, b);
            if self.is_primary() {
                // Its own: record, but the new-view message already
                // carried them to everyone.
                self.slots.entry(b.seq).or_default();
                out.push(Action::Persist(vec![StoreOp::Put { key: slot_key(b.seq, "pp"), value: s.encode_to_vec() }]));
                let slot = self.slots.get_mut(&b.seq).expect("present");
                let accepted = Accepted { view: pp.view, digest: pp.digest.clone(), batch: b.clone(), signed: s };
                slot.candidates.insert((pp.view, pp.digest), accepted.clone());
                slot.pre_prepare = Some(accepted);
                self.check_prepared(b.seq, out);
            } else {
                self.accept_pre_prepare(pp, s, out);
            }
        }
        // Pending envelopes go to the new primary, their timers restarted.
        let ticks = self.ticks;
        let waiting: Vec<([u8; 32], Vec<u8>)> = self
            .pending
            .iter_mut()
            .map(|(h, p)| {
                p.since = ticks;
                p.broadcast = false;
                (*h, p.envelope.clone())
            })
            .collect();
        for (h, e) in waiting {
            if !self.recent.contains(&h) {
                self.route(h, e, out);
            }
        }
    }
}
