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
//! Where: `clients.rs` (envelopes in), `normal.rs` (three phases and
//! execution), `checkpoints.rs` (checkpoints, state transfer, commit
//! certificates), `views.rs` (view changes as a replica lives them) on the
//! pure rules of `view_change.rs`, `resend.rs` (heartbeats and
//! retransmission), `messages.rs` (signing), `log.rs` (one seq's votes).
//!
//! Membership changes are not supported yet: the orderers are the ones the
//! engine was built with (`reconfigure` to another set is refused in the
//! status and the log).

mod bounded;
mod checkpoints;
mod clients;
mod log;
mod messages;
mod normal;
mod resend;
mod view_change;
mod views;

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
pub use checkpoints::CertificateCheck;
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
    /// K: a checkpoint every K blocks.
    pub checkpoint_interval: u64,
    /// Pre-prepares are accepted up to this many seqs past the stable
    /// checkpoint (the high watermark); at least 2K, which 0 also means.
    pub watermark_window: u64,
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
    /// The latest timestamp among executed batches: a primary stamps no
    /// earlier, a backup prepares nothing much earlier.
    last_timestamp_ms: u64,
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
    /// `peer_executed` as of the last resend round, to resend only to
    /// replicas that made no progress since.
    peer_executed_at_resend: BTreeMap<String, u64>,
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
            last_timestamp_ms: 0,
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
            peer_executed_at_resend: BTreeMap::new(),
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
        self.cfg.watermark_window.max(2 * self.cfg.checkpoint_interval.max(1))
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

    fn set_batch_limits(&mut self, limits: BatchLimits) {
        self.cutter.set_limits(limits);
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
            refused: self.refused,
            last_refusal: self.last_refusal.clone(),
        }
    }
}
