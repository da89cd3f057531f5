//! Byzantine orderers for the simulator. orderer0 — the first primary —
//! misbehaves in one way per run; the honest orderers must still agree
//! (`no_fork`), keep every acknowledgement (`no_lost_ack`) and, once the
//! network heals, order what clients give them. Only engines that sign
//! their messages (PBFT) are meant to survive these.

use ed25519_dalek::SigningKey;
use prost::Message as _;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use weft_proto::pbft_message::Kind;
use weft_proto::{PbftMessage, PbftSigned};

use crate::pbft::{digest, sign};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Byzantine {
    /// Sends nothing at all (a primary that ignores its clients).
    Silent,
    /// Sends different pre-prepares for the same seq to different orderers.
    Equivocate,
    /// Sends, next to its messages, copies claiming another orderer as the
    /// signer and copies with a broken signature.
    Forge,
    /// Sends, next to its messages, old messages it has seen (any signer's).
    Replay,
    /// Tells half the orderers in its view changes that it prepared
    /// nothing, and asks for views far ahead.
    ConflictingViewChange,
    /// Its key runs in two places at once (the Twins method): two honest
    /// engines with one identity, each with its own state.
    Twins,
    /// Sends, next to each of its votes and pre-prepares, a flood of
    /// validly signed ones for the same seq with made-up digests, in its
    /// view and every earlier one: what an honest replica keeps of them
    /// must stay bounded.
    Flood,
}

pub const ALL: [Byzantine; 7] = [
    Byzantine::Silent,
    Byzantine::Equivocate,
    Byzantine::Forge,
    Byzantine::Replay,
    Byzantine::ConflictingViewChange,
    Byzantine::Twins,
    Byzantine::Flood,
];

impl std::str::FromStr for Byzantine {
    type Err = String;
    fn from_str(s: &str) -> Result<Byzantine, String> {
        ALL.iter().copied().find(|b| b.to_string() == s).ok_or_else(|| {
            let names: Vec<String> = ALL.iter().map(ToString::to_string).collect();
            format!("unknown behaviour {s:?}; one of {}", names.join(", "))
        })
    }
}

impl std::fmt::Display for Byzantine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Byzantine::Silent => "silent",
            Byzantine::Equivocate => "equivocate",
            Byzantine::Forge => "forge",
            Byzantine::Replay => "replay",
            Byzantine::ConflictingViewChange => "conflicting-view-change",
            Byzantine::Twins => "twins",
            Byzantine::Flood => "flood",
        })
    }
}

/// Made-up messages a flooding orderer sends next to each real one.
const FLOOD: usize = 8;

/// The Byzantine orderer's id.
pub const BAD: &str = "orderer0";

/// The orderer that misbehaves: its id and key, and the orderers it may
/// claim to be when it forges.
pub struct Liar<'a> {
    pub id: &'a str,
    pub key: &'a SigningKey,
    pub others: &'a [String],
}

/// What the Byzantine orderer sends instead of `payload` to the orderer
/// with index `to`; `seen` are messages it has sent or received so far.
/// The simulator's orderer0 and a node's test-only Byzantine mode both
/// lie through this.
pub fn tamper(
    b: Byzantine,
    liar: &Liar<'_>,
    payload: &[u8],
    to: usize,
    seen: &[Vec<u8>],
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<u8>> {
    let decoded = PbftSigned::decode(payload).ok().and_then(|s| {
        let m = PbftMessage::decode(s.body.as_slice()).ok()?;
        Some((s, m))
    });
    match b {
        Byzantine::Silent => Vec::new(),
        Byzantine::Twins => vec![payload.to_vec()],
        Byzantine::Equivocate => match decoded {
            Some((_, mut m)) if to % 2 == 1 => {
                if let Some(Kind::PrePrepare(pp)) = &mut m.kind {
                    let mut batch = pp.batch.clone().unwrap_or_default();
                    batch.envelopes.push(format!("equivocation-{}-{to}", pp.seq).into_bytes());
                    pp.digest = digest(&batch);
                    pp.batch = Some(batch);
                }
                vec![sign(liar.key, liar.id, &m).encode_to_vec()]
            }
            _ => vec![payload.to_vec()],
        },
        Byzantine::Forge => {
            let mut out = vec![payload.to_vec()];
            if let (Some((s, _)), false) = (decoded, liar.others.is_empty()) {
                let claimed = liar.others[to % liar.others.len()].clone();
                out.push(PbftSigned { signer: claimed, ..s.clone() }.encode_to_vec());
                let mut broken = s;
                if let Some(byte) = broken.signature.first_mut() {
                    *byte ^= 0x55;
                }
                out.push(broken.encode_to_vec());
            }
            out
        }
        Byzantine::Replay => {
            let mut out = vec![payload.to_vec()];
            if !seen.is_empty() {
                for _ in 0..2 {
                    out.push(seen[rng.gen_range(0..seen.len())].clone());
                }
            }
            out
        }
        Byzantine::Flood => {
            let mut out = vec![payload.to_vec()];
            let Some((_, m)) = decoded else { return out };
            for _ in 0..FLOOD {
                let noise = format!("flood-{}", rng.gen::<u64>()).into_bytes();
                let kind = match &m.kind {
                    Some(Kind::Prepare(v)) | Some(Kind::Commit(v)) => {
                        let made_up =
                            weft_proto::PbftBatch { seq: v.seq, envelopes: vec![noise], ..Default::default() };
                        let v = weft_proto::PbftVote {
                            view: rng.gen_range(0..=v.view),
                            digest: digest(&made_up),
                            ..v.clone()
                        };
                        match m.kind {
                            Some(Kind::Prepare(_)) => Kind::Prepare(v),
                            _ => Kind::Commit(v),
                        }
                    }
                    Some(Kind::PrePrepare(pp)) => {
                        let mut batch = pp.batch.clone().unwrap_or_default();
                        batch.envelopes.push(noise);
                        Kind::PrePrepare(weft_proto::PbftPrePrepare {
                            digest: digest(&batch),
                            batch: Some(batch),
                            ..pp.clone()
                        })
                    }
                    _ => break,
                };
                let flood = PbftMessage { kind: Some(kind), ..m.clone() };
                out.push(sign(liar.key, liar.id, &flood).encode_to_vec());
            }
            out
        }
        Byzantine::ConflictingViewChange => match decoded {
            Some((_, mut m)) => {
                if let Some(Kind::ViewChange(vc)) = &mut m.kind {
                    if to % 2 == 1 {
                        vc.prepared.clear();
                    } else {
                        vc.new_view += 1 + rng.gen_range(0..100);
                    }
                    return vec![sign(liar.key, liar.id, &m).encode_to_vec()];
                }
                vec![payload.to_vec()]
            }
            None => vec![payload.to_vec()],
        },
    }
}

/// What a channel node that is no orderer would send a raft orderer to
/// take ordering over: a heartbeat from `from` claiming `term` and a
/// commit index no log has. Test processes send it (the node's
/// `WEFT_TEST_SPEAK_RAFT`) to show orderers refuse it.
pub fn raft_heartbeat(from: &str, to: &str, term: u64, commit: u64) -> Vec<u8> {
    use raft::eraftpb::{Message, MessageType};
    let mut m = Message::default();
    m.set_msg_type(MessageType::MsgHeartbeat);
    m.from = crate::raft::raft_id(from);
    m.to = crate::raft::raft_id(to);
    m.term = term;
    m.commit = commit;
    crate::raft::wire::raft_message(&m)
}
