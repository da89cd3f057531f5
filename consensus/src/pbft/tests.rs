//! The PBFT engine on its own: four replicas wired directly (no faults),
//! and the pieces whose rules matter most — quorum arithmetic, checkpoint
//! proofs, and the new-view plan.

use std::collections::VecDeque;

use super::*;
use crate::sim::sim_key;

fn limits() -> BatchLimits {
    BatchLimits { max_message_count: 2, preferred_max_bytes: 4096, absolute_max_bytes: 8192, timeout_ticks: 3 }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("o{i}")).collect()
}

fn config(id: &str, n: usize) -> PbftConfig {
    PbftConfig {
        id: id.to_string(),
        key: sim_key(id),
        orderers: names(n).iter().map(|o| (o.clone(), sim_key(o).verifying_key())).collect(),
        limits: limits(),
        checkpoint_interval: 2,
        watermark_window: 0,
        request_timeout_ticks: 30,
        view_change_ticks: 30,
        resend_ticks: 5,
    }
}

/// Replicas on a perfect network, with some of them silenced.
struct Cluster {
    nodes: Vec<Pbft>,
    chains: Vec<Vec<Batch>>,
    acked: Vec<u64>,
    silent: Vec<bool>,
    queue: VecDeque<(usize, String, Vec<u8>)>,
}

impl Cluster {
    fn new(n: usize) -> Cluster {
        let nodes = names(n).iter().map(|id| Pbft::new(config(id, n), &[], 1).unwrap().0).collect();
        Cluster {
            nodes,
            chains: vec![Vec::new(); n],
            acked: Vec::new(),
            silent: vec![false; n],
            queue: VecDeque::new(),
        }
    }

    fn apply(&mut self, i: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Send { to, payload } => {
                    let j: usize = to[1..].parse().unwrap();
                    if !self.silent[i] && !self.silent[j] {
                        self.queue.push_back((j, format!("o{i}"), payload));
                    }
                }
                Action::Ordered(b) => self.chains[i].push(b),
                Action::Accepted { request } => self.acked.push(request),
                _ => {}
            }
        }
    }

    fn run(&mut self, ticks: usize) {
        for _ in 0..ticks {
            for i in 0..self.nodes.len() {
                let a = self.nodes[i].tick();
                self.apply(i, a);
            }
            while let Some((to, from, payload)) = self.queue.pop_front() {
                let a = self.nodes[to].step(Input::Message { from, payload });
                self.apply(to, a);
            }
        }
    }

    fn submit(&mut self, i: usize, request: u64) {
        let a = self.nodes[i].step(Input::Submit { request, envelope: format!("tx-{request}").into_bytes() });
        self.apply(i, a);
    }
}

#[test]
fn quorums_follow_n() {
    let q = Quorum::new(names(4));
    assert_eq!((q.n(), q.f(), q.weak(), q.strong()), (4, 1, 2, 3));
    let q7 = Quorum::new(names(7));
    assert_eq!((q7.f(), q7.strong()), (2, 5));
    assert_eq!((q.primary(0), q.primary(5)), ("o0", "o1"));
    let three: Vec<(String, VerifyingKey)> = names(3).iter().map(|o| (o.clone(), sim_key(o).verifying_key())).collect();
    let cfg = PbftConfig { orderers: three, ..config("o0", 3) };
    assert!(Pbft::new(cfg, &[], 1).err().unwrap().contains("at least 4"));
}

#[test]
fn four_replicas_order_and_certify_every_block() {
    let mut c = Cluster::new(4);
    for r in 0..10 {
        c.submit((r % 4) as usize, r);
    }
    c.run(40);
    let first = &c.chains[0];
    assert!(!first.is_empty());
    for chain in &c.chains {
        let envelopes: Vec<&Vec<u8>> = chain.iter().flat_map(|b| &b.envelopes).collect();
        assert_eq!(envelopes.len(), 10, "every replica executes every envelope once");
        let strip = |b: &Batch| (b.seq, b.envelopes.clone(), b.timestamp_ms);
        assert_eq!(chain.iter().map(strip).collect::<Vec<_>>(), first.iter().map(strip).collect::<Vec<_>>());
    }
    let mut acked = c.acked.clone();
    acked.sort();
    assert_eq!(acked, (0..10).collect::<Vec<_>>(), "each client answered once, after execution");
    // Each block's certificate: 2f+1 valid commits for its digest.
    let keys: Keys = config("o0", 4).orderers.into_iter().collect();
    for b in first {
        let cert = PbftCommitCertificate::decode(b.proof.as_slice()).unwrap();
        assert_eq!(cert.seq, b.seq);
        let signers: BTreeSet<String> = cert
            .commits
            .iter()
            .map(|s| {
                let (_, kind) = open(s, &keys).unwrap();
                assert_eq!(kind, Kind::Commit(PbftVote { view: cert.view, seq: b.seq, digest: cert.digest.clone() }));
                s.signer.clone()
            })
            .collect();
        assert!(signers.len() >= 3, "{signers:?}");
    }
    // Checkpoints every 2 blocks became stable and the log was cut.
    let status = c.nodes[1].status();
    assert_eq!(status.engine, "pbft");
    assert!(c.nodes[1].stable >= 2 && status.log_entries <= 2, "stable {}, {status:?}", c.nodes[1].stable);
}

#[test]
fn a_silent_primary_is_voted_out_and_the_new_view_orders() {
    let mut c = Cluster::new(4);
    c.silent[0] = true; // o0, primary of view 0
    for r in 0..4 {
        c.submit(1 + (r % 3) as usize, r);
    }
    c.run(200);
    for i in 1..4 {
        let status = c.nodes[i].status();
        assert_eq!((status.role, status.leader.as_deref()), (if i == 1 { "primary" } else { "backup" }, Some("o1")));
        assert_eq!(c.chains[i].iter().map(|b| b.envelopes.len()).sum::<usize>(), 4, "replica {i}");
    }
    assert_eq!(c.acked.len(), 4);
}

#[test]
fn forged_and_malformed_messages_are_counted_not_obeyed() {
    let mut c = Cluster::new(4);
    let mut forged =
        sign(&sim_key("o3"), "o0", &PbftMessage { executed: 0, kind: Some(Kind::Status(PbftStatus { view: 9 })) });
    forged.signer = "o0".into();
    let a = c.nodes[1].step(Input::Message { from: "o3".into(), payload: forged.encode_to_vec() });
    assert!(a.is_empty());
    let a = c.nodes[1].step(Input::Message { from: "o3".into(), payload: b"\x01\x02garbage".to_vec() });
    assert!(a.is_empty());
    let (refused, why) = c.nodes[1].refusals();
    assert_eq!(refused, 2, "{why}");
    assert_eq!(c.nodes[1].status().term, 0);
}

#[test]
fn an_equivocating_primary_is_named_by_the_backups() {
    let mut c = Cluster::new(4);
    let pre_prepare = |envelope: &[u8]| {
        let batch = PbftBatch { seq: 1, timestamp_ms: 5, envelopes: vec![envelope.to_vec()] };
        let pp = PbftPrePrepare { view: 0, seq: 1, digest: digest(&batch), batch: Some(batch) };
        sign(&sim_key("o0"), "o0", &PbftMessage { executed: 0, kind: Some(Kind::PrePrepare(pp)) }).encode_to_vec()
    };
    let to_o1 = c.nodes[1].step(Input::Message { from: "o0".into(), payload: pre_prepare(b"a") });
    c.nodes[2].step(Input::Message { from: "o0".into(), payload: pre_prepare(b"b") });
    let prepare = to_o1.into_iter().find_map(|a| match a {
        Action::Send { to, payload } if to == "o2" => Some(payload),
        _ => None,
    });
    c.nodes[2].step(Input::Message { from: "o1".into(), payload: prepare.expect("o1 prepares") });
    let (refused, why) = c.nodes[2].refusals();
    assert_eq!(refused, 1, "{why}");
    assert!(why.contains("the primary o0 equivocated, or o1 lies"), "{why}");
    assert_eq!(c.nodes[1].refusals().0, 0);
}

#[test]
fn a_primary_stamping_far_from_the_clocks_gets_no_prepare() {
    let now = 1_800_000_000_000;
    let pre_prepare = |seq: u64, stamp: u64| {
        let batch = PbftBatch { seq, timestamp_ms: stamp, envelopes: vec![format!("tx-{seq}").into_bytes()] };
        let pp = PbftPrePrepare { view: 0, seq, digest: digest(&batch), batch: Some(batch) };
        sign(&sim_key("o0"), "o0", &PbftMessage { executed: 0, kind: Some(Kind::PrePrepare(pp)) }).encode_to_vec()
    };
    let prepares = |actions: &[Action]| actions.iter().filter(|a| matches!(a, Action::Send { .. })).count();
    for (stamp, why) in
        [(now + 120_000, "ahead of this replica's clock"), (now - 600_000, "behind this replica's clock")]
    {
        let mut c = Cluster::new(4);
        c.nodes[1].set_time(now);
        let actions = c.nodes[1].step(Input::Message { from: "o0".into(), payload: pre_prepare(1, stamp) });
        assert_eq!(prepares(&actions), 0, "no prepare for a batch stamped {stamp}");
        let (refused, said) = c.nodes[1].refusals();
        assert_eq!(refused, 1);
        assert!(said.contains(why) && said.contains("o0 stamped pre-prepare 1"), "{said}");
    }
    // Within the bounds (a few seconds off either way): prepared.
    let mut c = Cluster::new(4);
    c.nodes[1].set_time(now);
    let actions = c.nodes[1].step(Input::Message { from: "o0".into(), payload: pre_prepare(1, now - 5_000) });
    assert_eq!(prepares(&actions), 3, "a prepare to each other replica");
    assert_eq!(c.nodes[1].refusals().0, 0);
}

#[test]
fn a_primary_never_stamps_before_what_it_executed() {
    let mut c = Cluster::new(4);
    for node in &mut c.nodes {
        node.set_time(2_000_000);
    }
    c.submit(0, 1);
    c.submit(0, 2);
    c.run(5);
    assert_eq!(c.chains[0].last().map(|b| b.timestamp_ms), Some(2_000_000));
    // The primary's clock steps back a minute: its next block keeps the
    // time (stamped by that clock, the backups would refuse it as earlier
    // than the block they executed).
    c.nodes[0].set_time(1_940_000);
    c.submit(0, 3);
    c.submit(0, 4);
    c.run(5);
    let stamps: Vec<u64> = c.chains[1].iter().map(|b| b.timestamp_ms).collect();
    assert_eq!(stamps, [2_000_000, 2_000_000], "every replica executed both, in time order: {stamps:?}");
}
