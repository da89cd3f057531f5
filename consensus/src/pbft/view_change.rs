//! View changes, as pure functions: checking a view-change message (its
//! checkpoint proof and prepared certificates), and computing from 2f+1 of
//! them the batches the new view must re-propose — the same computation
//! the new primary makes and every replica repeats to check its new-view
//! message.

use std::collections::{BTreeMap, BTreeSet};

use weft_proto::pbft_message::Kind;
use weft_proto::{PbftBatch, PbftPrePrepare, PbftPrepared, PbftSigned, PbftViewChange, PbftVote};

use super::messages::{digest, open, Keys};
use super::Quorum;

/// A checked view-change message.
#[derive(Debug, Clone)]
pub struct ViewChange {
    pub signer: String,
    pub new_view: u64,
    pub stable_seq: u64,
    pub checkpoint_proof: Vec<PbftSigned>,
    /// Prepared batches by seq: (view prepared in, batch).
    pub prepared: BTreeMap<u64, (u64, PbftBatch)>,
    pub clock_ms: u64,
}

/// Checks that `proof` holds 2f+1 distinct orderers' checkpoints for the
/// same (seq, digest); returns the digest. Seq 0 (genesis) needs none.
pub fn check_checkpoint_proof(proof: &[PbftSigned], seq: u64, keys: &Keys, q: &Quorum) -> Result<Vec<u8>, String> {
    if seq == 0 {
        return Ok(Vec::new());
    }
    let mut signers = BTreeSet::new();
    let mut agreed: Option<Vec<u8>> = None;
    for signed in proof {
        let (_, kind) = open(signed, keys).map_err(|e| e.to_string())?;
        let Kind::Checkpoint(c) = kind else { return Err("a checkpoint proof holds another kind of message".into()) };
        if c.seq != seq {
            return Err(format!("checkpoint for {} in a proof for {seq}", c.seq));
        }
        match &agreed {
            Some(d) if *d != c.digest => return Err(format!("checkpoints for {seq} disagree on its digest")),
            _ => agreed = Some(c.digest.clone()),
        }
        signers.insert(signed.signer.clone());
    }
    if signers.len() < q.strong() {
        return Err(format!("checkpoint {seq} proven by {} orderers, {} needed", signers.len(), q.strong()));
    }
    Ok(agreed.unwrap_or_default())
}

/// Checks a prepared certificate: a pre-prepare signed by its view's
/// primary, with a batch matching its digest, and 2f prepares for it from
/// distinct backups. Returns (view, batch).
pub fn check_prepared(p: &PbftPrepared, keys: &Keys, q: &Quorum) -> Result<(u64, PbftBatch), String> {
    let pp_signed = p.pre_prepare.as_ref().ok_or("a prepared certificate without its pre-prepare")?;
    let (_, kind) = open(pp_signed, keys).map_err(|e| e.to_string())?;
    let Kind::PrePrepare(pp) = kind else { return Err("a prepared certificate's pre-prepare is not one".into()) };
    let primary = q.primary(pp.view);
    if pp_signed.signer != primary {
        return Err(format!(
            "pre-prepare for view {} signed by {}, not its primary {primary}",
            pp.view, pp_signed.signer
        ));
    }
    let batch = pp.batch.clone().ok_or("a pre-prepare without its batch")?;
    if batch.seq != pp.seq || digest(&batch) != pp.digest {
        return Err(format!("pre-prepare for {} does not match its batch", pp.seq));
    }
    let mut signers = BTreeSet::new();
    for signed in &p.prepares {
        let (_, kind) = open(signed, keys).map_err(|e| e.to_string())?;
        let Kind::Prepare(v) = kind else { return Err("a prepared certificate holds a non-prepare".into()) };
        if v != (PbftVote { view: pp.view, seq: pp.seq, digest: pp.digest.clone() }) {
            return Err(format!("a prepare in the certificate for {} does not match its pre-prepare", pp.seq));
        }
        if signed.signer != primary {
            signers.insert(signed.signer.clone());
        }
    }
    if signers.len() < 2 * q.f() {
        return Err(format!("{} prepared by {} backups, {} needed", pp.seq, signers.len(), 2 * q.f()));
    }
    Ok((pp.view, batch))
}

/// Checks a signed view-change message.
pub fn check(signed: &PbftSigned, keys: &Keys, q: &Quorum, window: u64) -> Result<ViewChange, String> {
    let (_, kind) = open(signed, keys).map_err(|e| e.to_string())?;
    let Kind::ViewChange(vc) = kind else { return Err("not a view-change message".into()) };
    check_body(&signed.signer, &vc, keys, q, window)
}

fn check_body(signer: &str, vc: &PbftViewChange, keys: &Keys, q: &Quorum, window: u64) -> Result<ViewChange, String> {
    if vc.new_view == 0 {
        return Err("a view change to view 0".into());
    }
    check_checkpoint_proof(&vc.checkpoint_proof, vc.stable_seq, keys, q)?;
    let mut prepared = BTreeMap::new();
    for p in &vc.prepared {
        let (view, batch) = check_prepared(p, keys, q)?;
        if view >= vc.new_view {
            return Err(format!("prepared in view {view}, not before the new view {}", vc.new_view));
        }
        if batch.seq <= vc.stable_seq || batch.seq > vc.stable_seq + window {
            return Err(format!("prepared {} outside the window after checkpoint {}", batch.seq, vc.stable_seq));
        }
        if prepared.insert(batch.seq, (view, batch)).is_some() {
            return Err("two prepared certificates for one seq".into());
        }
    }
    Ok(ViewChange {
        signer: signer.to_string(),
        new_view: vc.new_view,
        stable_seq: vc.stable_seq,
        checkpoint_proof: vc.checkpoint_proof.clone(),
        prepared,
        clock_ms: vc.clock_ms,
    })
}

/// What the new view starts from: the latest stable checkpoint among the
/// view changes (with its proof) and the batches after it, each the one
/// prepared in the highest view, or an empty batch where none was.
#[derive(Debug, Clone, PartialEq)]
pub struct NewViewPlan {
    pub stable_seq: u64,
    pub checkpoint_proof: Vec<PbftSigned>,
    pub batches: Vec<PbftBatch>,
}

pub fn plan(vcs: &[ViewChange]) -> NewViewPlan {
    let base = vcs.iter().max_by_key(|v| v.stable_seq).expect("2f+1 view changes");
    let stable_seq = base.stable_seq;
    let top = vcs.iter().flat_map(|v| v.prepared.keys().copied()).max().unwrap_or(stable_seq).max(stable_seq);
    // The median clock of 2f+1 replicas lies between two honest ones.
    let mut clocks: Vec<u64> = vcs.iter().map(|v| v.clock_ms).collect();
    clocks.sort_unstable();
    let clock = clocks[clocks.len() / 2];
    let batches = (stable_seq + 1..=top)
        .map(|seq| {
            vcs.iter()
                .filter_map(|v| v.prepared.get(&seq))
                .max_by_key(|(view, _)| *view)
                .map(|(_, b)| b.clone())
                .unwrap_or(PbftBatch { seq, timestamp_ms: clock, envelopes: Vec::new() })
        })
        .collect();
    NewViewPlan { stable_seq, checkpoint_proof: base.checkpoint_proof.clone(), batches }
}

/// The pre-prepare the new primary sends for a planned batch.
pub fn pre_prepare(view: u64, batch: &PbftBatch) -> PbftPrePrepare {
    PbftPrePrepare { view, seq: batch.seq, digest: digest(batch), batch: Some(batch.clone()) }
}
