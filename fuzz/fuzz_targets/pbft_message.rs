//! What an orderer of a PBFT channel can be sent: bytes from anyone, and
//! bodies signed with a real orderer's key (a Byzantine replica signs
//! whatever it likes, so the signature check is no shield), fed to a live
//! backup replica with client envelopes and ticks in between. The replica
//! must neither panic nor misnumber its batches.
#![no_main]

use ed25519_dalek::Signer;
use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use weft_consensus::pbft::{Pbft, PbftConfig};
use weft_consensus::sim::sim_key;
use weft_consensus::{Action, BatchLimits, Consensus, Input};
use weft_proto::PbftSigned;

/// Four orderers (f = 1) and a node that is none of them.
const SENDERS: [&str; 5] = ["o0", "o1", "o2", "o3", "peer1"];
/// What the replica's keys sign over, before the body (messages.rs).
const DOMAIN: &[u8] = b"weft-pbft/1";

fuzz_target!(|data: &[u8]| {
    let limits =
        BatchLimits { max_message_count: 2, preferred_max_bytes: 1024, absolute_max_bytes: 4096, timeout_ticks: 2 };
    let cfg = PbftConfig {
        id: "o1".into(),
        key: sim_key("o1"),
        orderers: SENDERS[..4].iter().map(|o| (o.to_string(), sim_key(o).verifying_key())).collect(),
        limits,
        checkpoint_interval: 2,
        watermark_window: 0,
        request_timeout_ticks: 6,
        view_change_ticks: 6,
        resend_ticks: 3,
    };
    let Ok((mut pbft, _)) = Pbft::new(cfg, &[], 1) else { return };
    // Each input: a sender byte, a mode byte, a length byte, then that
    // many bytes: sent raw, signed by the sender as a message body, or
    // submitted by a client as an envelope.
    let mut rest = data;
    let mut next_seq = 1;
    while let [who, mode, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (bytes, after) = tail.split_at(n);
        rest = after;
        let from = SENDERS[usize::from(*who) % SENDERS.len()];
        let input = match mode % 3 {
            0 => Input::Message { from: from.to_string(), payload: bytes.to_vec() },
            1 => {
                let signature = sim_key(from).sign(&[DOMAIN, bytes].concat()).to_bytes().to_vec();
                let signed = PbftSigned { body: bytes.to_vec(), signer: from.to_string(), signature };
                Input::Message { from: from.to_string(), payload: signed.encode_to_vec() }
            }
            _ => Input::Submit { request: u64::from(*who), envelope: bytes.to_vec() },
        };
        let mut actions = pbft.step(input);
        actions.extend(pbft.tick());
        for a in actions {
            if let Action::Ordered(batch) = a {
                assert_eq!(batch.seq, next_seq, "batches are numbered in order");
                next_seq += 1;
            }
        }
    }
});
