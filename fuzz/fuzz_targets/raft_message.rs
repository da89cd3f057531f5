//! What any node of a channel can send an orderer over libp2p: bytes fed
//! to a live raft engine as a message from a member, from itself or from
//! a peer that is no orderer, then ticks. The engine must neither panic
//! (raft-rs `fatal!`s on some messages) nor misnumber its batches.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weft_consensus::raft::{Raft, RaftConfig};
use weft_consensus::{Action, BatchLimits, Consensus, Input};

const SENDERS: [&str; 4] = ["o1", "o2", "o3", "peer1"];

fuzz_target!(|data: &[u8]| {
    let limits =
        BatchLimits { max_message_count: 4, preferred_max_bytes: 1024, absolute_max_bytes: 4096, timeout_ticks: 2 };
    let cfg = RaftConfig {
        id: "o1".into(),
        limits,
        election_tick: 5,
        heartbeat_tick: 1,
        snapshot_interval: 4,
        retry_ticks: 20,
        give_up_ticks: 200,
    };
    let founders: Vec<String> = SENDERS[..3].iter().map(|s| s.to_string()).collect();
    let Ok((mut raft, _)) = Raft::new(cfg, &founders, &[], 1) else { return };
    // Each message: a sender byte, a length byte, then that many bytes.
    let mut rest = data;
    let mut next_seq = 1;
    while let [who, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (payload, after) = tail.split_at(n);
        rest = after;
        let from = SENDERS[usize::from(*who) % SENDERS.len()].to_string();
        let mut actions = raft.step(Input::Message { from, payload: payload.to_vec() });
        actions.extend(raft.tick());
        for a in actions {
            if let Action::Ordered(batch) = a {
                assert_eq!(batch.seq, next_seq, "batches are numbered in order");
                next_seq += 1;
            }
        }
    }
});
