//! PBFT: Byzantine-fault-tolerant ordering for n = 3f+1 orderers, in the
//! spirit of Castro and Liskov's PBFT and Fabric's SmartBFT. Ours, because
//! no maintained Rust crate exists; a pure state machine like the others.
//!
//! * **Normal case.** The primary of view v (orderer v mod n, in id order)
//!   cuts batches with the channel's batch limits and sends a pre-prepare
//!   for each; backups that accept it send a prepare; a replica with the
//!   pre-prepare and 2f matching prepares is *prepared* and sends a
//!   commit; 2f+1 matching commits *commit* the batch, which is executed
//!   (handed to the driver as block `seq`) in order, carrying the 2f+1
//!   signed commits as its certificate.
//! * **Clients.** Any orderer takes envelopes; a backup forwards them to the
//!   primary (and, when they wait long, to everyone, so every backup's
//!   timer runs). The client is answered when its envelope is executed.
//! * **Checkpoints** every K blocks: 2f+1 matching ones make a stable
//!   checkpoint — the low watermark; pre-prepares are accepted up to 2K
//!   beyond it, and everything at or below it is forgotten. A replica that
//!   learns of a stable checkpoint beyond what it executed fetches those
//!   blocks (`CatchUp`): state transfer.
//! * **View change.** A request waiting longer than the request timeout
//!   makes a backup ask for view v+1 with its stable checkpoint's proof and
//!   its prepared certificates; f+1 such requests make the others join; the
//!   new primary gathers 2f+1 and sends a new-view message that re-proposes
//!   every prepared batch (empty batches fill gaps); each replica recomputes
//!   and checks it. A view change that does not finish in time moves on to
//!   the next view, with the timeout doubled (up to 64×: the replica that is
//!   ahead waits longest, so the others catch up with it — a cap any lower
//!   let replicas chase each other through the views).
//! * **Signatures.** Every message is Ed25519-signed by its sender; the
//!   certificates inside view changes and new views are checked message by
//!   message, so a Byzantine orderer can lie only with its own signature.
//! * **Durability.** Before it prepares, a replica persists the pre-prepare
//!   it accepted; before it commits, its prepared certificate; before a view
//!   change, the view. A restart therefore never votes differently in a
//!   view it voted in, and still knows what it prepared.
//! * **Retransmission.** Every few ticks each replica sends a status
//!   (view, executed) and resends to any replica behind it what that one
//!   lacks: pre-prepares, its own votes, its checkpoint; a lossy network
//!   only slows it down.
//!
//! Membership changes are not supported yet: the orderers are the ones the
//! engine was built with (`reconfigure` to another set is refused in the
//! status and the log).

mod bounded;
mod log;
mod messages;
mod view_change;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::{SigningKey, VerifyingKey};
use prost::Message as _;
use sha2::{Digest, Sha256};
use weft_proto::pbft_message::Kind;
use weft_proto::{
    PbftBatch, PbftCheckpoint, PbftCommitCertificate, PbftMessage, PbftNewView, PbftPrePrepare, PbftPrepared,
    PbftRequests, PbftSigned, PbftStatus, PbftViewChange, PbftVote,
};

use crate::{Action, Batch, BatchCutter, BatchLimits, Consensus, Cut, Input, NodeId, RejectReason, Status, StoreOp};
use bounded::BoundedSet;
use log::{Accepted, Slot};
pub use messages::{digest, open, sign, Keys, MessageError};
use view_change::ViewChange;

/// Most envelope hashes remembered as executed, so that a resent envelope
/// is not ordered twice.
const REMEMBERED: usize = 100_000;
/// Most envelopes in one forwarding message.
const MAX_FORWARD: usize = 500;
/// A view change that does not complete waits at most this many times the
/// base timeout before moving on.
const MAX_BACKOFF: u64 = 64;

#[derive(Clone)]
pub struct PbftConfig {
    pub id: NodeId,
    pub key: SigningKey,
    /// Every orderer (this one included) and its public key.
    pub orderers: Vec<(NodeId, VerifyingKey)>,
    pub limits: BatchLimits,
    /// K: a checkpoint every K blocks; pre-prepares are accepted up to 2K
    /// past the stable one.
    pub checkpoint_interval: u64,
    /// A request not executed within this many ticks starts a view change.
    pub request_timeout_ticks: u64,
    /// A view change not completed within this many ticks (doubling per
    /// failed attempt, up to 64×) moves on to the next view.
    pub view_change_ticks: u64,
    /// Status and retransmission every this many ticks.
    pub resend_ticks: u64,
}

/// The orderers in id order, and the quorum arithmetic for them.
#[derive(Debug, Clone)]
pub struct Quorum {
    ids: Vec<NodeId>,
}

impl Quorum {
    pub fn new(mut ids: Vec<NodeId>) -> Quorum {
        ids.sort();
        ids.dedup();
        Quorum { ids }
    }

    pub fn n(&self) -> usize {
        self.ids.len()
    }

    /// f: the faulty orderers tolerated.
    pub fn f(&self) -> usize {
        (self.n().max(1) - 1) / 3
    }

    /// f+1: at least one of them is honest.
    pub fn weak(&self) -> usize {
        self.f() + 1
    }

    /// 2f+1: any two such sets share an honest orderer.
    pub fn strong(&self) -> usize {
        2 * self.f() + 1
    }

    pub fn primary(&self, view: u64) -> &str {
        &self.ids[(view % self.n() as u64) as usize]
    }

    pub fn ids(&self) -> &[NodeId] {
        &self.ids
    }
}

/// A client's envelope waiting to be executed.
#[derive(Debug, Clone)]
struct Pending {
    envelope: Vec<u8>,
    /// Tick it arrived (reset when a new view starts).
    since: u64,
    /// Requests of this replica's clients waiting for it.
    requests: Vec<u64>,
    broadcast: bool,
}

pub struct Pbft {
    cfg: PbftConfig,
    q: Quorum,
    keys: Keys,
    view: u64,
    /// False from asking for a view change until its new view arrives.
    active: bool,
    ticks: u64,
    now_ms: u64,
    /// Highest seq executed (the ledger holds blocks up to it).
    executed: u64,
    /// The stable checkpoint: the low watermark.
    stable: u64,
    stable_proof: Vec<PbftSigned>,
    /// This replica's checkpoint messages not yet garbage.
    own_checkpoints: BTreeMap<u64, PbftSigned>,
    checkpoints: BTreeMap<u64, BTreeMap<Vec<u8>, BTreeMap<String, PbftSigned>>>,
    /// Digests of executed batches not yet behind a stable checkpoint.
    executed_digests: BTreeMap<u64, Vec<u8>>,
    slots: BTreeMap<u64, Slot>,
    /// Primary: the seq its next batch gets.
    next_seq: u64,
    cutter: BatchCutter,
    /// Primary: hashes of envelopes in batches it proposed, not yet executed.
    proposed: BTreeSet<[u8; 32]>,
    pending: BTreeMap<[u8; 32], Pending>,
    recent: BoundedSet,
    /// View-change messages by view and signer.
    view_changes: BTreeMap<u64, BTreeMap<String, (PbftSigned, ViewChange)>>,
    view_change_started: u64,
    attempts: u64,
    /// The new-view message of the current view, to pass on to stragglers.
    new_view: Option<PbftSigned>,
    /// Highest executed seq each orderer told us about.
    peer_executed: BTreeMap<String, u64>,
    draining: bool,
    /// Executed as of the last resend round, to notice a stall.
    executed_at_resend: u64,
    proposals: u64,
    /// Messages refused (bad signature, unknown signer, malformed, or
    /// contradicting what this replica holds), for status and metrics.
    refused: u64,
    last_refusal: String,
}

const KEY_VIEW: &[u8] = b"view";
const KEY_STABLE: &[u8] = b"stable";
const SLOT_PREFIX: &[u8] = b"slot/";

fn slot_key(seq: u64, what: &str) -> Vec<u8> {
    [SLOT_PREFIX, &seq.to_be_bytes(), b"/", what.as_bytes()].concat()
}

fn hash(envelope: &[u8]) -> [u8; 32] {
    Sha256::digest(envelope).into()
}

impl Pbft {
    /// A replica whose ledger holds blocks below `height`, restarted from
    /// what it persisted (`stored`: the engine's own keys and values).
    pub fn new(cfg: PbftConfig, stored: &[(Vec<u8>, Vec<u8>)], height: u64) -> Result<(Pbft, Vec<Action>), String> {
        let q = Quorum::new(cfg.orderers.iter().map(|(id, _)| id.clone()).collect());
        if q.n() < 4 {
            return Err(format!("PBFT needs at least 4 orderers (3f+1 with f ≥ 1); the channel has {}", q.n()));
        }
        if !q.ids().contains(&cfg.id) {
            return Err(format!("{} is not one of the PBFT orderers {:?}", cfg.id, q.ids()));
        }
        let keys: Keys = cfg.orderers.iter().cloned().collect();
        let executed = height.saturating_sub(1);
        let mut me = Pbft {
            q,
            keys,
            view: 0,
            active: true,
            ticks: 0,
            now_ms: 0,
            executed,
            stable: 0,
            stable_proof: Vec::new(),
            own_checkpoints: BTreeMap::new(),
            checkpoints: BTreeMap::new(),
            executed_digests: BTreeMap::new(),
            slots: BTreeMap::new(),
            next_seq: executed + 1,
            cutter: BatchCutter::new(cfg.limits),
            proposed: BTreeSet::new(),
            pending: BTreeMap::new(),
            recent: BoundedSet::new(REMEMBERED),
            view_changes: BTreeMap::new(),
            view_change_started: 0,
            attempts: 0,
            new_view: None,
            peer_executed: BTreeMap::new(),
            draining: false,
            executed_at_resend: executed,
            proposals: 0,
            refused: 0,
            last_refusal: String::new(),
            cfg,
        };
        me.restore(stored)?;
        let mut out = Vec::new();
        if !me.active {
            // It had asked for a view change: ask again (same view).
            out.extend(me.start_view_change(me.view));
        }
        Ok((me, out))
    }

    fn restore(&mut self, stored: &[(Vec<u8>, Vec<u8>)]) -> Result<(), String> {
        for (key, value) in stored {
            if key == KEY_VIEW {
                let bytes: [u8; 9] = value.as_slice().try_into().map_err(|_| "a corrupt stored view")?;
                self.view = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
                self.active = bytes[8] == 1;
            } else if key == KEY_STABLE {
                let proof = PbftViewChange::decode(value.as_slice()).map_err(|e| format!("stored checkpoint: {e}"))?;
                self.stable = proof.stable_seq;
                self.stable_proof = proof.checkpoint_proof;
            }
        }
        for (key, value) in stored {
            let Some(rest) = key.strip_prefix(SLOT_PREFIX) else { continue };
            if rest.len() < 9 {
                return Err("a corrupt stored slot key".into());
            }
            let seq = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes"));
            // Slots executed but not yet behind a stable checkpoint are
            // restored too: a view change must still cite what this replica
            // prepared there, or the new view could fill the seq otherwise
            // for the replicas that have not executed it.
            if seq <= self.stable {
                continue;
            }
            let signed = PbftSigned::decode(value.as_slice()).map_err(|e| format!("stored slot {seq}: {e}"));
            match &rest[9..] {
                b"pp" => {
                    let signed = signed?;
                    let (_, kind) = open(&signed, &self.keys).map_err(|e| format!("stored pre-prepare {seq}: {e}"))?;
                    if let Kind::PrePrepare(pp) = kind {
                        let batch = pp.batch.clone().unwrap_or_default();
                        let slot = self.slots.entry(seq).or_default();
                        let accepted = Accepted { view: pp.view, digest: pp.digest.clone(), batch, signed };
                        slot.candidates.insert((pp.view, pp.digest), accepted.clone());
                        slot.pre_prepare = Some(accepted);
                        if self.q.primary(pp.view) == self.cfg.id && pp.view == self.view {
                            self.next_seq = self.next_seq.max(seq + 1);
                        }
                    }
                }
                b"prepared" => {
                    let p =
                        PbftPrepared::decode(value.as_slice()).map_err(|e| format!("stored prepared {seq}: {e}"))?;
                    let (view, batch) = view_change::check_prepared(&p, &self.keys, &self.q)?;
                    let slot = self.slots.entry(seq).or_default();
                    slot.prepared = Some((view, digest(&batch), p));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn primary(&self) -> &str {
        self.q.primary(self.view)
    }

    fn is_primary(&self) -> bool {
        self.primary() == self.cfg.id
    }

    fn window(&self) -> u64 {
        2 * self.cfg.checkpoint_interval.max(1)
    }

    fn sign(&self, kind: Kind) -> PbftSigned {
        sign(&self.cfg.key, &self.cfg.id, &PbftMessage { executed: self.executed, kind: Some(kind) })
    }

    fn broadcast(&self, signed: &PbftSigned, out: &mut Vec<Action>) {
        let payload = signed.encode_to_vec();
        for id in self.q.ids() {
            if *id != self.cfg.id {
                out.push(Action::Send { to: id.clone(), payload: payload.clone() });
            }
        }
    }

    fn send(&self, to: &str, signed: &PbftSigned, out: &mut Vec<Action>) {
        out.push(Action::Send { to: to.to_string(), payload: signed.encode_to_vec() });
    }

    fn refuse(&mut self, why: String) {
        self.refused += 1;
        self.last_refusal = why;
    }

    /// Messages refused so far and the last reason (a Byzantine or broken
    /// orderer shows here).
    pub fn refusals(&self) -> (u64, &str) {
        (self.refused, &self.last_refusal)
    }

    fn persist_view(&self, out: &mut Vec<Action>) {
        let mut value = self.view.to_be_bytes().to_vec();
        value.push(u8::from(self.active));
        out.push(Action::Persist(vec![StoreOp::Put { key: KEY_VIEW.to_vec(), value }]));
    }

    // ---- clients ----

    fn submit(&mut self, request: u64, envelope: Vec<u8>) -> Vec<Action> {
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
    fn route(&mut self, h: [u8; 32], envelope: Vec<u8>, out: &mut Vec<Action>) {
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

    fn cut(&mut self, envelope: Vec<u8>, out: &mut Vec<Action>) {
        if let Cut::Batches(batches) = self.cutter.ordered(envelope) {
            for b in batches {
                self.propose(b, out);
            }
        }
    }

    // ---- normal case ----

    fn propose(&mut self, envelopes: Vec<Vec<u8>>, out: &mut Vec<Action>) {
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
        let batch = PbftBatch { seq, timestamp_ms: self.now_ms, envelopes };
        let pp = PbftPrePrepare { view: self.view, seq, digest: digest(&batch), batch: Some(batch) };
        let signed = self.sign(Kind::PrePrepare(pp.clone()));
        self.accept_pre_prepare(pp, signed, out);
    }

    /// Takes a pre-prepare that passed its checks: persist, prepare.
    fn accept_pre_prepare(&mut self, pp: PbftPrePrepare, signed: PbftSigned, out: &mut Vec<Action>) {
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

    fn on_pre_prepare(&mut self, pp: PbftPrePrepare, signed: PbftSigned, out: &mut Vec<Action>) {
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
            self.slots.entry(seq).or_default().candidates.entry((pp.view, pp.digest)).or_insert(accepted);
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

    fn record_vote(&mut self, prepare: bool, vote: PbftVote, signed: PbftSigned) {
        let slot = self.slots.entry(vote.seq).or_default();
        let votes = if prepare { &mut slot.prepares } else { &mut slot.commits };
        votes.entry((vote.view, vote.digest)).or_default().insert(signed.signer.clone(), signed);
    }

    fn on_vote(&mut self, prepare: bool, vote: PbftVote, signed: PbftSigned, out: &mut Vec<Action>) {
        let seq = vote.seq;
        if seq <= self.stable.max(self.executed) || seq > self.stable + self.window() || vote.view > self.view {
            return;
        }
        if prepare && signed.signer == self.q.primary(vote.view) {
            return self.refuse(format!("{} sent a prepare in view {} where it is primary", signed.signer, vote.view));
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
    fn check_certified(&mut self, seq: u64, out: &mut Vec<Action>) {
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

    fn check_prepared(&mut self, seq: u64, out: &mut Vec<Action>) {
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
    fn execute(&mut self, out: &mut Vec<Action>) {
        loop {
            let seq = self.executed + 1;
            let Some(slot) = self.slots.get(&seq) else { return };
            let Some((a, commits)) = &slot.committed else { return };
            let cert = PbftCommitCertificate { view: a.view, seq, digest: a.digest.clone(), commits: commits.clone() };
            let batch = a.batch.clone();
            let d = a.digest.clone();
            self.executed = seq;
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

    // ---- checkpoints and state transfer ----

    fn on_checkpoint(&mut self, c: PbftCheckpoint, signed: PbftSigned, out: &mut Vec<Action>) {
        if c.seq <= self.stable {
            return;
        }
        let by_digest = self.checkpoints.entry(c.seq).or_default();
        by_digest.entry(c.digest.clone()).or_default().insert(signed.signer.clone(), signed);
        let proof: Vec<PbftSigned> = by_digest[&c.digest].values().cloned().collect();
        if proof.len() >= self.q.strong() {
            self.make_stable(c.seq, proof, out);
        }
    }

    fn make_stable(&mut self, seq: u64, proof: Vec<PbftSigned>, out: &mut Vec<Action>) {
        if seq <= self.stable {
            return;
        }
        self.stable = seq;
        self.stable_proof = proof;
        let record =
            PbftViewChange { stable_seq: seq, checkpoint_proof: self.stable_proof.clone(), ..Default::default() };
        out.push(Action::Persist(vec![
            StoreOp::Put { key: KEY_STABLE.to_vec(), value: record.encode_to_vec() },
            StoreOp::DeleteRange { from: SLOT_PREFIX.to_vec(), to: slot_key(seq + 1, "") },
        ]));
        self.slots = self.slots.split_off(&(seq + 1));
        self.checkpoints = self.checkpoints.split_off(&(seq + 1));
        self.executed_digests = self.executed_digests.split_off(&seq);
        self.own_checkpoints = self.own_checkpoints.split_off(&seq);
        if self.executed < seq {
            self.catch_up(out);
        } else if self.is_primary() && self.active {
            // The window moved: what waited in the cutter may go now.
            if let Some(b) = self.cutter.cut() {
                self.propose(b, out);
            }
        }
    }

    /// Behind a stable checkpoint: the blocks up to it come from other
    /// nodes (the driver tells `fetched` what was in them).
    fn catch_up(&mut self, out: &mut Vec<Action>) {
        out.push(Action::CatchUp { next_seq: self.stable + 1 });
    }

    /// Envelopes ordered in blocks this replica did not execute itself.
    fn ordered_elsewhere(&mut self, envelopes: &[Vec<u8>]) -> Vec<Action> {
        let mut out = Vec::new();
        for e in envelopes {
            let h = hash(e);
            self.proposed.remove(&h);
            self.recent.insert(h);
            if let Some(p) = self.pending.remove(&h) {
                out.extend(p.requests.into_iter().map(|request| Action::Accepted { request }));
            }
        }
        out
    }

    // ---- view change ----

    fn start_view_change(&mut self, to: u64) -> Vec<Action> {
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

    fn on_view_change(&mut self, signed: PbftSigned, out: &mut Vec<Action>) {
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

    fn try_new_view(&mut self, out: &mut Vec<Action>) {
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

    fn on_new_view(&mut self, nv: PbftNewView, signed: PbftSigned, out: &mut Vec<Action>) {
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

    fn check_new_view(&self, nv: &PbftNewView) -> Result<view_change::NewViewPlan, String> {
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

    fn enter_view(
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

    // ---- timers and retransmission ----

    fn resend(&mut self, out: &mut Vec<Action>) {
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
        for (peer, their) in peers {
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

    /// Checks a block's commit certificate: 2f+1 orderers' signed commits
    /// for one (view, seq, digest), the digest that of `batch`. Returns the
    /// digest.
    pub fn check_certificate(&self, proof: &[u8], batch: &PbftBatch) -> Result<Vec<u8>, String> {
        let cert = PbftCommitCertificate::decode(proof).map_err(|e| format!("malformed commit certificate: {e}"))?;
        let d = digest(batch);
        if cert.seq != batch.seq || cert.digest != d {
            return Err("its commit certificate is for another batch".into());
        }
        let mut signers = BTreeSet::new();
        for c in &cert.commits {
            let (_, kind) = open(c, &self.keys).map_err(|e| e.to_string())?;
            if kind != Kind::Commit(PbftVote { view: cert.view, seq: cert.seq, digest: d.clone() }) {
                return Err("its commit certificate holds a vote for something else".into());
            }
            signers.insert(c.signer.clone());
        }
        if signers.len() < self.q.strong() {
            return Err(format!("{} commits in its certificate, {} needed", signers.len(), self.q.strong()));
        }
        Ok(d)
    }

    /// The height f+1 other orderers have executed to, when this replica
    /// is behind it and made no progress since the last resend.
    fn stalled(&self) -> Option<u64> {
        let mut theirs: Vec<u64> = self.peer_executed.values().copied().collect();
        theirs.sort_unstable_by(|a, b| b.cmp(a));
        let target = *theirs.get(self.q.weak() - 1)?;
        (target > self.executed && self.executed == self.executed_at_resend).then_some(target)
    }

    fn on_requests(&mut self, envelopes: Vec<Vec<u8>>, out: &mut Vec<Action>) {
        for e in envelopes {
            self.on_request(e, out);
        }
    }

    fn on_request(&mut self, envelope: Vec<u8>, out: &mut Vec<Action>) {
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

impl Consensus for Pbft {
    fn step(&mut self, input: Input) -> Vec<Action> {
        match input {
            Input::Submit { request, envelope } => self.submit(request, envelope),
            Input::Message { payload, .. } => {
                let mut out = Vec::new();
                let (signed, message, kind) = match messages::receive(&payload, &self.keys) {
                    Ok(m) => m,
                    Err(e) => {
                        self.refuse(e.to_string());
                        return out;
                    }
                };
                let e = self.peer_executed.entry(signed.signer.clone()).or_insert(0);
                *e = (*e).max(message.executed);
                match kind {
                    Kind::Requests(r) => self.on_requests(r.envelopes, &mut out),
                    Kind::PrePrepare(pp) => self.on_pre_prepare(pp, signed, &mut out),
                    Kind::Prepare(v) => self.on_vote(true, v, signed, &mut out),
                    Kind::Commit(v) => self.on_vote(false, v, signed, &mut out),
                    Kind::Checkpoint(c) => self.on_checkpoint(c, signed, &mut out),
                    Kind::ViewChange(_) => self.on_view_change(signed, &mut out),
                    Kind::NewView(nv) => self.on_new_view(nv, signed, &mut out),
                    Kind::Status(st) => {
                        // It is still in an earlier view: pass it the new
                        // view that ended ours.
                        if st.view < self.view && self.active {
                            if let Some(nv) = self.new_view.clone() {
                                self.send(&signed.signer, &nv, &mut out);
                            }
                        }
                    }
                }
                out
            }
        }
    }

    fn tick(&mut self) -> Vec<Action> {
        self.ticks += 1;
        let mut out = Vec::new();
        if self.active && self.is_primary() {
            if let Some(b) = self.cutter.tick() {
                self.propose(b, &mut out);
            }
        }
        if self.active {
            let oldest = self.pending.values().map(|p| p.since).min();
            if oldest.is_some_and(|since| self.ticks - since > self.cfg.request_timeout_ticks) {
                out.extend(self.start_view_change(self.view + 1));
            }
        } else {
            let limit = self.cfg.view_change_ticks * (1u64 << self.attempts.min(6)).min(MAX_BACKOFF);
            if self.ticks - self.view_change_started > limit {
                out.extend(self.start_view_change(self.view + 1));
            }
        }
        if self.ticks % self.cfg.resend_ticks.max(1) == 0 {
            self.resend(&mut out);
        }
        out
    }

    fn set_time(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
    }

    fn drain(&mut self) -> Vec<Action> {
        self.draining = true;
        let mut out = Vec::new();
        if self.active && self.is_primary() {
            if let Some(b) = self.cutter.cut() {
                self.propose(b, &mut out);
            }
        }
        out
    }

    fn committed(&mut self, height: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let now = height.saturating_sub(1);
        if now > self.executed {
            // Blocks fetched from others: what we held for them is done.
            // Slots at or below it stay until the next stable checkpoint:
            // what this replica prepared there belongs in its view changes.
            self.executed = now;
            self.next_seq = self.next_seq.max(now + 1);
            self.execute(&mut out);
        }
        out
    }

    fn fetched(&mut self, batch: &Batch) -> Vec<Action> {
        let mut out = self.ordered_elsewhere(&batch.envelopes);
        // Its certificate names the batch's digest: with it this replica
        // takes part in the checkpoint, as if it had executed the batch
        // (else replicas that caught up could never make one stable).
        let pbft_batch =
            PbftBatch { seq: batch.seq, timestamp_ms: batch.timestamp_ms, envelopes: batch.envelopes.clone() };
        match self.check_certificate(&batch.proof, &pbft_batch) {
            Ok(d) => {
                self.executed_digests.insert(batch.seq, d.clone());
                if batch.seq % self.cfg.checkpoint_interval.max(1) == 0 && batch.seq > self.stable {
                    let signed = self.sign(Kind::Checkpoint(PbftCheckpoint { seq: batch.seq, digest: d.clone() }));
                    self.own_checkpoints.insert(batch.seq, signed.clone());
                    self.broadcast(&signed, &mut out);
                    self.on_checkpoint(PbftCheckpoint { seq: batch.seq, digest: d }, signed, &mut out);
                }
            }
            Err(why) => self.refuse(format!("fetched block {}: {why}", batch.seq)),
        }
        out
    }

    fn reconfigure(&mut self, orderers: Vec<NodeId>) -> Vec<Action> {
        if Quorum::new(orderers.clone()).ids() != self.q.ids() {
            self.refuse(format!(
                "the channel configuration names orderers {orderers:?}; PBFT membership changes are not supported \
                 yet, so this engine keeps {:?}",
                self.q.ids()
            ));
        }
        Vec::new()
    }

    fn status(&self) -> Status {
        Status {
            engine: "pbft",
            role: if !self.active {
                "view-change"
            } else if self.is_primary() {
                "primary"
            } else {
                "backup"
            },
            leader: self.active.then(|| self.primary().to_string()),
            term: self.view,
            commit_index: self
                .slots
                .iter()
                .filter(|(_, s)| s.committed.is_some())
                .map(|(k, _)| *k)
                .fold(self.executed, u64::max),
            applied_index: self.executed,
            log_entries: self.slots.len() as u64,
            proposals: self.proposals,
            next_seq: self.executed + 1,
            pending: self.pending.len() + self.cutter.pending(),
        }
    }
}
