//! Raft ordering: raft-rs's `RawNode` as a pure engine. The leader cuts
//! batches and proposes each as one raft entry; every orderer turns each
//! committed batch entry into the next block number. Followers forward the
//! envelopes clients give them to the leader and acknowledge a client only
//! once its envelope is in a committed entry, so an acknowledged
//! transaction survives any minority of crashes.
//!
//! Durability goes through [`Action::Persist`], emitted before the sends
//! and batches that depend on it; [`Raft::new`] takes those writes back on
//! restart. Randomness (election timeouts) comes from a hash of node id and
//! term, never from a thread RNG, so the simulator can replay a seed.

mod admission;
mod store;
pub(crate) mod wire;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use raft::eraftpb::{ConfChange, ConfChangeType, ConfState, Entry, EntryType, Message};
use raft::{ProgressState, RawNode, SnapshotStatus, StateRole};

pub use store::RestoreError;
use store::{LogStore, SnapshotData};

use crate::{Action, Batch, BatchCutter, BatchLimits, Consensus, Cut, Input, NodeId, RejectReason, Status, StoreOp};

/// Tuning for one raft orderer; [`RaftConfig::from_params`] fills it from
/// the channel's `RaftParams`.
#[derive(Debug, Clone)]
pub struct RaftConfig {
    pub id: NodeId,
    pub limits: BatchLimits,
    /// Ticks without a leader before a follower campaigns (randomised up to
    /// twice this per node and term).
    pub election_tick: usize,
    pub heartbeat_tick: usize,
    /// Batches applied between log compactions.
    pub snapshot_interval: u64,
    /// Ticks an envelope may wait for its batch to commit before this node
    /// sends it to the leader again, and before it gives up.
    pub retry_ticks: u64,
    pub give_up_ticks: u64,
}

impl RaftConfig {
    pub fn from_params(id: NodeId, limits: BatchLimits, p: &weft_proto::RaftParams) -> RaftConfig {
        let or = |v: u32, d: usize| if v == 0 { d } else { v as usize };
        let election_tick = or(p.election_tick, 50);
        RaftConfig {
            id,
            limits,
            election_tick,
            heartbeat_tick: or(p.heartbeat_tick, 5),
            snapshot_interval: if p.snapshot_interval_blocks == 0 { 100 } else { p.snapshot_interval_blocks },
            retry_ticks: 4 * election_tick as u64,
            give_up_ticks: 40 * election_tick as u64,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RaftError {
    #[error(transparent)]
    Restore(#[from] RestoreError),
    #[error("raft refused its configuration: {0}")]
    Raft(#[from] raft::Error),
    #[error("orderers {a:?} and {b:?} hash to the same raft id; rename one")]
    IdClash { a: NodeId, b: NodeId },
}

/// An envelope a client gave this node, waiting for its batch to commit.
#[derive(Debug)]
struct Waiting {
    requests: Vec<u64>,
    age: u64,
}

pub struct Raft {
    cfg: RaftConfig,
    node: RawNode<LogStore>,
    names: BTreeMap<u64, NodeId>,
    cutter: BatchCutter,
    /// Envelopes this (leader) node has cut or proposed but not yet seen
    /// committed: a re-forwarded copy is not ordered twice.
    queued: BTreeSet<Vec<u8>>,
    waiting: BTreeMap<Vec<u8>, Waiting>,
    /// Hashes of the envelopes in recently applied batches: a forward or
    /// submission retried after its batch committed is not ordered again.
    recent: Recent,
    next_seq: u64,
    ledger_height: u64,
    /// Applied batch entries since the last compaction: (index, next_seq
    /// after it, configuration after it).
    applied: VecDeque<(u64, u64, ConfState)>,
    /// The orderers the channel configuration wants.
    desired: Option<BTreeSet<NodeId>>,
    leader: u64,
    /// The driver's wall clock, stamped on the batches this node cuts.
    now_ms: u64,
    /// Ticks each follower has spent waiting for a snapshot we sent.
    snapshot_waits: BTreeMap<u64, u64>,
    draining: bool,
    removed: bool,
    proposals: u64,
    /// Messages refused (`admission`), and the last refusal.
    refused: u64,
    last_refusal: String,
}

/// The envelope in a follower's Forward message, if `payload` is one: the
/// node checks it as it checks a client's before the engine sees it.
pub fn forwarded_envelope(payload: &[u8]) -> Option<&[u8]> {
    wire::forwarded(payload)
}

/// raft-rs names nodes by u64; ours are strings. FNV-1a is stable across
/// builds and platforms, which the persisted log needs.
pub fn raft_id(node: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in node.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h.max(1)
}

fn mix(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.wrapping_mul(0x9e3779b97f4a7c15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xbf58476d1ce4e5b9);
    x ^ (x >> 29)
}

impl Raft {
    /// `founders` are the orderers of the genesis configuration; `stored`
    /// is every key this engine persisted before (empty on first start);
    /// `ledger_height` is the number of blocks the ledger holds.
    pub fn new(
        cfg: RaftConfig,
        founders: &[NodeId],
        stored: &[(Vec<u8>, Vec<u8>)],
        ledger_height: u64,
    ) -> Result<(Raft, Vec<Action>), RaftError> {
        let mut ops = Vec::new();
        let mut store = LogStore::restore(stored)?;
        if store.is_empty() && founders.contains(&cfg.id) {
            let voters = founders.iter().map(|n| raft_id(n)).collect();
            // A ledger restored from a state snapshot (a whole chain
            // restored from a backup) holds blocks already: the group
            // numbers on from there, as every founder restored the same.
            let data = SnapshotData { next_seq: ledger_height.max(1), names: founders.to_vec() };
            store = LogStore::bootstrap(voters, data, &mut ops);
        }
        let snap = store.snapshot_data();
        let mut names = BTreeMap::new();
        for n in founders.iter().chain(&snap.names).chain(std::iter::once(&cfg.id)) {
            insert_name(&mut names, n)?;
        }
        let applied = store.snapshot_index();
        let rc = raft::Config {
            id: raft_id(&cfg.id),
            election_tick: cfg.election_tick,
            heartbeat_tick: cfg.heartbeat_tick,
            applied,
            max_size_per_msg: cfg.limits.preferred_max_bytes as u64,
            max_inflight_msgs: 64,
            check_quorum: true,
            pre_vote: true,
            min_election_tick: cfg.election_tick,
            max_election_tick: 2 * cfg.election_tick,
            ..Default::default()
        };
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let node = RawNode::new(&rc, store, &logger)?;
        let mut raft = Raft {
            cutter: BatchCutter::new(cfg.limits),
            cfg,
            node,
            names,
            queued: BTreeSet::new(),
            waiting: BTreeMap::new(),
            recent: Recent::default(),
            next_seq: snap.next_seq.max(1),
            ledger_height,
            applied: VecDeque::new(),
            desired: None,
            leader: 0,
            now_ms: 0,
            snapshot_waits: BTreeMap::new(),
            draining: false,
            removed: false,
            proposals: 0,
            refused: 0,
            last_refusal: String::new(),
        };
        let mut out = Vec::new();
        if !ops.is_empty() {
            out.push(Action::Persist(ops));
        }
        if ledger_height < raft.next_seq {
            out.push(Action::CatchUp { next_seq: raft.next_seq });
        }
        raft.reseed_election_timeout();
        raft.process_ready(&mut out);
        Ok((raft, out))
    }

    fn me(&self) -> u64 {
        self.node.raft.id
    }

    fn refuse(&mut self, why: String) {
        self.refused += 1;
        self.last_refusal = why;
    }

    fn is_leader(&self) -> bool {
        self.node.raft.state == StateRole::Leader
    }

    /// Nodes pick different timeouts each term, derived from (id, term), so
    /// split votes resolve and a seed replays exactly. raft-rs draws its own
    /// from a thread RNG whenever it resets; this overrides it after every
    /// input (the same value within a term, so overriding is harmless).
    fn reseed_election_timeout(&mut self) {
        let term = self.node.raft.term;
        let base = self.cfg.election_tick;
        let jitter = (mix(self.me(), term) % base as u64) as usize;
        self.node.raft.set_randomized_election_timeout(base + jitter);
    }

    /// Sends an envelope towards the leader, or batches it if we lead.
    fn route(&mut self, envelope: Vec<u8>, out: &mut Vec<Action>) {
        if self.is_leader() {
            self.enqueue(envelope);
        } else if let Some(leader) = self.names.get(&self.leader).filter(|_| self.leader != 0) {
            out.push(Action::Send { to: leader.clone(), payload: wire::forward(&envelope) });
        }
    }

    fn enqueue(&mut self, envelope: Vec<u8>) {
        if self.draining || self.queued.contains(&envelope) || self.recent.contains(&envelope) {
            return;
        }
        self.queued.insert(envelope.clone());
        if let Cut::Batches(batches) = self.cutter.ordered(envelope) {
            for b in batches {
                self.propose(b);
            }
        }
    }

    fn propose(&mut self, batch: Vec<Vec<u8>>) {
        match self.node.propose(Vec::new(), wire::encode_batch(self.now_ms, &batch)) {
            Ok(()) => self.proposals += 1,
            // Lost leadership (or a transfer is under way): whoever sent
            // these will send them again to the new leader.
            Err(_) => {
                for e in &batch {
                    self.queued.remove(e);
                }
            }
        }
    }

    fn send(&self, msgs: Vec<Message>, out: &mut Vec<Action>) {
        for m in msgs {
            if let Some(to) = self.names.get(&m.to) {
                out.push(Action::Send { to: to.clone(), payload: wire::raft_message(&m) });
            }
        }
    }

    /// Drives raft-rs's Ready cycle once: persist, then send, then apply.
    fn process_ready(&mut self, out: &mut Vec<Action>) {
        if self.removed {
            return;
        }
        self.reseed_election_timeout();
        if !self.node.has_ready() {
            self.after_ready(out);
            return;
        }
        let mut rd = self.node.ready();
        let mut ops = Vec::new();
        let mut actions = Vec::new();
        if !rd.snapshot().is_empty() {
            let snap = rd.snapshot().clone();
            let data = SnapshotData::decode(&snap.data).unwrap_or_default();
            for n in &data.names {
                let _ = insert_name(&mut self.names, n);
            }
            self.node.mut_store().apply_snapshot(snap, &mut ops);
            self.applied.clear();
            if data.next_seq > self.next_seq {
                self.next_seq = data.next_seq;
                if self.ledger_height < data.next_seq {
                    actions.push(Action::CatchUp { next_seq: data.next_seq });
                }
            }
        }
        self.node.mut_store().append(rd.entries(), &mut ops);
        if let Some(hs) = rd.hs() {
            self.node.mut_store().set_hard_state(hs.clone(), &mut ops);
        }
        let mut msgs = rd.take_messages();
        msgs.extend(rd.take_persisted_messages());
        let committed = rd.take_committed_entries();
        self.send(msgs, &mut actions);
        self.apply(committed, &mut ops, &mut actions);

        let mut light = self.node.advance(rd);
        if let Some(commit) = light.commit_index() {
            self.node.mut_store().set_commit(commit, &mut ops);
        }
        self.send(light.take_messages(), &mut actions);
        self.apply(light.take_committed_entries(), &mut ops, &mut actions);
        self.node.advance_apply();

        if !ops.is_empty() {
            out.push(Action::Persist(ops));
        }
        out.extend(actions);
        self.after_ready(out);
    }

    /// Reacts to leadership changes and moves membership along.
    fn after_ready(&mut self, out: &mut Vec<Action>) {
        let leader = self.node.raft.leader_id;
        if leader != self.leader {
            let was_leader = self.leader == self.me();
            self.leader = leader;
            if was_leader {
                // Batches we cut but did not propose: their senders retry.
                let _ = self.cutter.cut();
                self.queued.clear();
            }
            if leader != 0 {
                let mine: Vec<Vec<u8>> = self.waiting.keys().cloned().collect();
                for e in mine {
                    self.route(e, out);
                }
            }
        }
        if self.is_leader() && !self.removed {
            self.step_membership();
        }
    }

    fn apply(&mut self, entries: Vec<Entry>, ops: &mut Vec<StoreOp>, out: &mut Vec<Action>) {
        let Some(last) = entries.last().map(|e| e.index) else { return };
        self.apply_entries(entries, ops, out);
        let conf = self.node.store().conf_state().clone();
        let data = SnapshotData { next_seq: self.next_seq, names: self.names.values().cloned().collect() };
        self.node.mut_store().set_applied(last, conf, data);
    }

    fn apply_entries(&mut self, entries: Vec<Entry>, ops: &mut Vec<StoreOp>, out: &mut Vec<Action>) {
        for e in entries {
            match e.get_entry_type() {
                EntryType::EntryNormal if e.data.is_empty() => {} // a new leader's empty entry
                EntryType::EntryNormal => {
                    // Every orderer decodes the same committed bytes, so an
                    // undecodable entry is skipped by all of them alike.
                    let Ok((timestamp_ms, envelopes)) = wire::decode_batch(&e.data) else { continue };
                    let seq = self.next_seq;
                    self.next_seq += 1;
                    for env in &envelopes {
                        self.recent.insert(env);
                        self.queued.remove(env);
                        if let Some(w) = self.waiting.remove(env) {
                            out.extend(w.requests.into_iter().map(|request| Action::Accepted { request }));
                        }
                    }
                    self.applied.push_back((e.index, self.next_seq, self.node.store().conf_state().clone()));
                    if seq >= self.ledger_height {
                        out.push(Action::Ordered(Batch { seq, envelopes, timestamp_ms, proof: Vec::new() }));
                    }
                }
                EntryType::EntryConfChange => {
                    use protobuf::Message as _;
                    let Ok(cc) = ConfChange::parse_from_bytes(&e.data) else { continue };
                    if let Ok(name) = String::from_utf8(cc.context.to_vec()) {
                        let _ = insert_name(&mut self.names, &name);
                    }
                    let Ok(cs) = self.node.apply_conf_change(&cc) else { continue };
                    self.node.mut_store().set_conf_state(cs, ops);
                    if cc.get_change_type() == ConfChangeType::RemoveNode && cc.node_id == self.me() {
                        self.removed = true;
                        for (_, w) in std::mem::take(&mut self.waiting) {
                            out.extend(
                                w.requests
                                    .into_iter()
                                    .map(|request| Action::Rejected { request, reason: RejectReason::Removed }),
                            );
                        }
                    }
                }
                EntryType::EntryConfChangeV2 => {} // never proposed by Weft
            }
        }
    }

    /// As leader, proposes the next single-node change towards the desired
    /// orderer set, once the previous one has applied.
    fn step_membership(&mut self) {
        let Some(desired) = &self.desired else { return };
        if self.node.raft.has_pending_conf() {
            return;
        }
        let voters: BTreeSet<u64> = self.node.store().conf_state().voters.iter().copied().collect();
        let want: BTreeMap<u64, &NodeId> = desired.iter().map(|n| (raft_id(n), n)).collect();
        let change = if let Some((&id, name)) = want.iter().find(|(id, _)| !voters.contains(id)) {
            Some((ConfChangeType::AddNode, id, (*name).clone()))
        } else {
            voters
                .iter()
                .find(|id| !want.contains_key(id))
                .map(|&id| (ConfChangeType::RemoveNode, id, self.names.get(&id).cloned().unwrap_or_default()))
        };
        let Some((kind, id, name)) = change else { return };
        if kind == ConfChangeType::RemoveNode && id == self.me() {
            // A leader does not remove itself: it hands over and the next
            // leader removes it.
            self.transfer_leadership();
            return;
        }
        let mut cc = ConfChange::default();
        cc.set_change_type(kind);
        cc.node_id = id;
        cc.context = name.into_bytes().into();
        let _ = self.node.propose_conf_change(Vec::new(), cc);
    }

    fn transfer_leadership(&mut self) {
        let me = self.me();
        let voters = self.node.store().conf_state().voters.clone();
        let best = self
            .node
            .raft
            .prs()
            .iter()
            .filter(|(id, _)| **id != me && voters.contains(id))
            .map(|(id, p)| (p.matched, std::cmp::Reverse(*id)))
            .max();
        if let Some((_, std::cmp::Reverse(to))) = best {
            self.node.transfer_leader(to);
        }
    }

    /// raft-rs waits for the application to report how a snapshot send
    /// went; messages can vanish, so a follower still waiting after two
    /// election timeouts is reported failed and gets the snapshot again.
    fn retry_lost_snapshots(&mut self) {
        let waiting: Vec<u64> = self
            .node
            .raft
            .prs()
            .iter()
            .filter(|(_, p)| p.state == ProgressState::Snapshot)
            .map(|(id, _)| *id)
            .collect();
        self.snapshot_waits.retain(|id, _| waiting.contains(id));
        for id in waiting {
            let w = self.snapshot_waits.entry(id).or_insert(0);
            *w += 1;
            if *w > 2 * self.cfg.election_tick as u64 {
                self.snapshot_waits.remove(&id);
                self.node.report_snapshot(id, SnapshotStatus::Failure);
            }
        }
    }

    fn compact(&mut self) -> Vec<StoreOp> {
        let mut ops = Vec::new();
        let in_ledger = self.applied.iter().take_while(|(_, next, _)| *next <= self.ledger_height).count();
        if (in_ledger as u64) < self.cfg.snapshot_interval {
            return ops;
        }
        let (index, next_seq, conf) = self.applied[in_ledger - 1].clone();
        self.applied.drain(..in_ledger);
        let names = self.names.values().cloned().collect();
        self.node.mut_store().compact(index, conf, SnapshotData { next_seq, names }, &mut ops);
        ops
    }
}

/// A bounded set of envelope hashes (in-process only, so std's fixed-key
/// SipHash is enough and stays deterministic).
#[derive(Default)]
struct Recent {
    order: VecDeque<u64>,
    set: std::collections::HashSet<u64>,
}

impl Recent {
    const CAPACITY: usize = 100_000;

    fn hash(envelope: &[u8]) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        envelope.hash(&mut h);
        h.finish()
    }

    fn contains(&self, envelope: &[u8]) -> bool {
        self.set.contains(&Self::hash(envelope))
    }

    fn insert(&mut self, envelope: &[u8]) {
        let h = Self::hash(envelope);
        if self.set.insert(h) {
            self.order.push_back(h);
            if self.order.len() > Self::CAPACITY {
                let old = self.order.pop_front().expect("non-empty");
                self.set.remove(&old);
            }
        }
    }
}

fn insert_name(names: &mut BTreeMap<u64, NodeId>, n: &str) -> Result<(), RaftError> {
    let id = raft_id(n);
    match names.get(&id) {
        Some(existing) if existing != n => Err(RaftError::IdClash { a: existing.clone(), b: n.to_string() }),
        _ => {
            names.insert(id, n.to_string());
            Ok(())
        }
    }
}

impl Consensus for Raft {
    fn step(&mut self, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Submit { request, envelope } => {
                let reason = if self.removed {
                    Some(RejectReason::Removed)
                } else if self.draining {
                    Some(RejectReason::Draining)
                } else if envelope.len() > self.cfg.limits.absolute_max_bytes {
                    Some(RejectReason::TooLarge { size: envelope.len(), limit: self.cfg.limits.absolute_max_bytes })
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return vec![Action::Rejected { request, reason }];
                }
                if self.recent.contains(&envelope) {
                    return vec![Action::Accepted { request }]; // ordered already
                }
                let w = self.waiting.entry(envelope.clone()).or_insert(Waiting { requests: Vec::new(), age: 0 });
                w.requests.push(request);
                if w.requests.len() == 1 {
                    self.route(envelope, &mut out);
                }
            }
            // A removed orderer takes no further part (raft-rs cannot run a
            // leader that is not in its own configuration).
            Input::Message { .. } if self.removed => return out,
            Input::Message { from, payload } => match wire::decode(&payload) {
                Ok(wire::Wire::Raft(m)) => {
                    // The transport authenticated `from`; the rest is ours
                    // to check before raft-rs sees it.
                    let (term, last) = (self.node.raft.term, self.node.raft.raft_log.last_index());
                    match admission::admit(&from, m, term, last) {
                        admission::Verdict::Step { message, note } => {
                            if let Some(note) = note {
                                self.refuse(note);
                            }
                            let _ = self.node.step(message);
                        }
                        admission::Verdict::Refuse(why) => self.refuse(why),
                    }
                }
                Ok(wire::Wire::Forward(envelope)) => {
                    if self.is_leader() && envelope.len() <= self.cfg.limits.absolute_max_bytes {
                        self.enqueue(envelope);
                    }
                }
                Err(e) => self.refuse(format!("{from} sent an undecodable message: {e}")),
            },
        }
        self.process_ready(&mut out);
        out
    }

    fn tick(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        if self.removed {
            return out;
        }
        self.node.tick();
        if self.is_leader() {
            if let Some(b) = self.cutter.tick() {
                self.propose(b);
            }
            self.retry_lost_snapshots();
        }
        let (retry, give_up) = (self.cfg.retry_ticks, self.cfg.give_up_ticks);
        let mut resend = Vec::new();
        self.waiting.retain(|env, w| {
            w.age += 1;
            if w.age >= give_up {
                let reason = RejectReason::Timeout { ticks: w.age };
                out.extend(w.requests.drain(..).map(|request| Action::Rejected { request, reason: reason.clone() }));
                return false;
            }
            if w.age % retry == 0 {
                resend.push(env.clone());
            }
            true
        });
        for e in resend {
            self.route(e, &mut out);
        }
        self.process_ready(&mut out);
        out
    }

    fn set_time(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
    }

    fn drain(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        if self.is_leader() {
            if let Some(b) = self.cutter.cut() {
                self.propose(b);
            }
            self.transfer_leadership();
        }
        self.draining = true;
        self.process_ready(&mut out);
        out
    }

    fn committed(&mut self, height: u64) -> Vec<Action> {
        self.ledger_height = self.ledger_height.max(height);
        let ops = self.compact();
        if ops.is_empty() {
            Vec::new()
        } else {
            vec![Action::Persist(ops)]
        }
    }

    fn reconfigure(&mut self, orderers: Vec<NodeId>) -> Vec<Action> {
        for n in &orderers {
            let _ = insert_name(&mut self.names, n);
        }
        self.desired = Some(orderers.into_iter().collect());
        let mut out = Vec::new();
        self.process_ready(&mut out);
        out
    }

    fn set_batch_limits(&mut self, limits: BatchLimits) {
        self.cutter.set_limits(limits);
    }

    fn status(&self) -> Status {
        let r = &self.node.raft;
        let role = if self.removed {
            "removed"
        } else {
            match r.state {
                StateRole::Leader => "leader",
                StateRole::Follower => "follower",
                StateRole::Candidate => "candidate",
                StateRole::PreCandidate => "pre-candidate",
            }
        };
        Status {
            engine: "raft",
            role,
            leader: self.names.get(&r.leader_id).filter(|_| r.leader_id != 0).cloned(),
            term: r.term,
            commit_index: r.raft_log.committed,
            applied_index: r.raft_log.applied,
            log_entries: self.node.store().len() as u64,
            proposals: self.proposals,
            next_seq: self.next_seq,
            pending: self.cutter.pending() + self.waiting.len(),
            refused: self.refused,
            last_refusal: self.last_refusal.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
