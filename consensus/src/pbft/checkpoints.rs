//! Checkpoints (stable ones move the watermarks and drop the log) and
//! state transfer: blocks fetched from other nodes, checked by their
//! commit certificates.

use super::*;

impl Pbft {
    pub(super) fn on_checkpoint(&mut self, c: PbftCheckpoint, signed: PbftSigned, out: &mut Vec<Action>) {
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

    pub(super) fn make_stable(&mut self, seq: u64, proof: Vec<PbftSigned>, out: &mut Vec<Action>) {
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
    pub(super) fn catch_up(&mut self, out: &mut Vec<Action>) {
        out.push(Action::CatchUp { next_seq: self.stable + 1 });
    }

    /// Envelopes ordered in blocks this replica did not execute itself.
    pub(super) fn ordered_elsewhere(&mut self, envelopes: &[Vec<u8>]) -> Vec<Action> {
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

    /// Checks a block's commit certificate against this replica's
    /// orderers; returns the batch's digest.
    pub fn check_certificate(&self, proof: &[u8], batch: &PbftBatch) -> Result<Vec<u8>, String> {
        check_certificate(proof, batch, &self.keys, &self.q)
    }

    /// The height f+1 other orderers have executed to, when this replica
    /// is behind it and made no progress since the last resend.
    pub(super) fn stalled(&self) -> Option<u64> {
        let mut theirs: Vec<u64> = self.peer_executed.values().copied().collect();
        theirs.sort_unstable_by(|a, b| b.cmp(a));
        let target = *theirs.get(self.q.weak() - 1)?;
        (target > self.executed && self.executed == self.executed_at_resend).then_some(target)
    }
}

/// Checks a block's commit certificate: 2f+1 orderers' signed commits for
/// one (view, seq, digest), the digest that of `batch`. Returns the digest.
fn check_certificate(proof: &[u8], batch: &PbftBatch, keys: &Keys, q: &Quorum) -> Result<Vec<u8>, String> {
    let cert = PbftCommitCertificate::decode(proof).map_err(|e| format!("malformed commit certificate: {e}"))?;
    let d = digest(batch);
    if cert.seq != batch.seq || cert.digest != d {
        return Err("its commit certificate is for another batch".into());
    }
    let mut signers = BTreeSet::new();
    for c in &cert.commits {
        let (_, kind) = open(c, keys).map_err(|e| e.to_string())?;
        if kind != Kind::Commit(PbftVote { view: cert.view, seq: cert.seq, digest: d.clone() }) {
            return Err("its commit certificate holds a vote for something else".into());
        }
        signers.insert(c.signer.clone());
    }
    if signers.len() < q.strong() {
        return Err(format!("{} commits in its certificate, {} needed", signers.len(), q.strong()));
    }
    Ok(d)
}

/// What a peer needs to check PBFT blocks on its own: the orderers' public
/// keys. The committer of every node holds one for a PBFT channel.
pub struct CertificateCheck {
    keys: Keys,
    q: Quorum,
}

impl CertificateCheck {
    pub fn new(orderers: Vec<(NodeId, VerifyingKey)>) -> CertificateCheck {
        let q = Quorum::new(orderers.iter().map(|(id, _)| id.clone()).collect());
        CertificateCheck { keys: orderers.into_iter().collect(), q }
    }

    /// Whether `proof` certifies that block `seq` holds exactly
    /// `envelopes`, stamped `timestamp_ms`.
    pub fn check(&self, proof: &[u8], seq: u64, timestamp_ms: u64, envelopes: &[Vec<u8>]) -> Result<(), String> {
        let batch = PbftBatch { seq, timestamp_ms, envelopes: envelopes.to_vec() };
        check_certificate(proof, &batch, &self.keys, &self.q).map(|_| ())
    }
}
