use super::*;
use crate::sim::{self, Engine, Faults, SimConfig};

#[test]
fn raft_ids_are_stable_and_distinct() {
    assert_eq!(raft_id("orderer0"), raft_id("orderer0"));
    assert_ne!(raft_id("orderer0"), raft_id("orderer1"));
    // Persisted logs name nodes by this hash: it must never change.
    assert_eq!(raft_id(""), 0xcbf29ce484222325);
}

#[test]
fn a_calm_network_orders_everything_it_is_given() {
    let mut cfg = SimConfig::new(Engine::Raft, 3, 1);
    cfg.faults = Faults {
        drop: 0.0,
        duplicate: 0.0,
        crash_every_ms: 0,
        partition_every_ms: 0,
        crash_after_persist: 0.0,
        max_delay_ms: 5,
        membership: false,
    };
    let report = sim::run(cfg);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert_eq!(report.acked, report.submitted, "every submission acknowledged: {report:?}");
    assert!(report.blocks > 10, "{report:?}");
}

#[test]
fn the_simulator_catches_forks_and_lost_acknowledgements() {
    // Solo on three nodes: each orders alone, so their chains differ.
    let report = sim::run(SimConfig::new(Engine::Solo, 3, 7));
    assert!(report.violations.iter().any(|v| matches!(v, sim::Violation::Fork { .. })), "{report:?}");
    // Solo acknowledges on receipt; a crash loses what it had not cut.
    let mut lost = false;
    for seed in 0..20 {
        let report = sim::run(SimConfig::new(Engine::Solo, 1, seed));
        lost |= report.violations.iter().any(|v| matches!(v, sim::Violation::LostAck { .. }));
    }
    assert!(lost, "crashing solo orderers never lost an acknowledged envelope?");
}

#[test]
fn a_node_restarted_from_its_own_writes_carries_on() {
    // One orderer: elects itself, orders, and after a restart from what it
    // persisted keeps the same numbering.
    let cfg = one_orderer(2, 2);
    let mut disk = std::collections::BTreeMap::new();
    let mut height = 1;
    let stored: Vec<_> = Vec::new();
    let (mut raft, actions) = Raft::new(cfg.clone(), &["o".into()], &stored, 1).unwrap();
    drive(&mut raft, actions, &mut disk, &mut height);
    for _ in 0..20 {
        let a = raft.tick();
        drive(&mut raft, a, &mut disk, &mut height);
    }
    assert_eq!(raft.status().role, "leader");
    let mut acked = Vec::new();
    for r in 0..7u64 {
        let a = raft.step(Input::Submit { request: r, envelope: vec![r as u8; 10] });
        acked.extend(drive(&mut raft, a, &mut disk, &mut height));
    }
    for _ in 0..5 {
        let a = raft.tick();
        acked.extend(drive(&mut raft, a, &mut disk, &mut height));
    }
    assert_eq!(acked, (0..7).collect::<Vec<_>>());
    assert_eq!(height, 5, "7 envelopes in batches of 2 make blocks 1..=4");
    assert!(raft.status().log_entries < 4, "the log was compacted: {:?}", raft.status());

    drop(raft);
    let stored: Vec<_> = disk.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let (mut raft, actions) = Raft::new(cfg, &["o".into()], &stored, height).unwrap();
    drive(&mut raft, actions, &mut disk, &mut height);
    for _ in 0..20 {
        let a = raft.tick();
        drive(&mut raft, a, &mut disk, &mut height);
    }
    let a = raft.step(Input::Submit { request: 9, envelope: b"after restart".to_vec() });
    let mut acked = drive(&mut raft, a, &mut disk, &mut height);
    for _ in 0..5 {
        let a = raft.tick();
        acked.extend(drive(&mut raft, a, &mut disk, &mut height));
    }
    assert_eq!(acked, [9]);
    assert_eq!(height, 6, "numbering carried on from the ledger");
    assert!(raft.status().term >= 2, "a restart is a new election: {:?}", raft.status());
}

#[test]
fn a_group_founded_over_a_restored_ledger_numbers_on_from_its_height() {
    let cfg = one_orderer(1, 100);
    let (mut disk, mut height) = (std::collections::BTreeMap::new(), 42);
    let (mut raft, actions) = Raft::new(cfg, &["o".into()], &[], height).unwrap();
    drive(&mut raft, actions, &mut disk, &mut height);
    for _ in 0..20 {
        let a = raft.tick();
        drive(&mut raft, a, &mut disk, &mut height);
    }
    let a = raft.step(Input::Submit { request: 1, envelope: b"after the restore".to_vec() });
    assert_eq!(drive(&mut raft, a, &mut disk, &mut height), [1]);
    assert_eq!(height, 43, "block 42 follows the restored 0..=41 (drive checks each number)");
}

/// A single orderer "o" cutting batches of `max_message_count`.
fn one_orderer(max_message_count: usize, snapshot_interval: u64) -> RaftConfig {
    let limits =
        BatchLimits { max_message_count, preferred_max_bytes: 1024, absolute_max_bytes: 2048, timeout_ticks: 3 };
    RaftConfig {
        id: "o".into(),
        limits,
        election_tick: 5,
        heartbeat_tick: 1,
        snapshot_interval,
        retry_ticks: 20,
        give_up_ticks: 200,
    }
}

/// Carries out actions as a single-node driver would; returns the requests
/// acknowledged.
fn drive(
    raft: &mut Raft,
    actions: Vec<Action>,
    disk: &mut std::collections::BTreeMap<Vec<u8>, Vec<u8>>,
    height: &mut u64,
) -> Vec<u64> {
    let mut acked = Vec::new();
    let mut todo = actions;
    while !todo.is_empty() {
        let mut next = Vec::new();
        for a in todo {
            match a {
                Action::Persist(ops) => crate::apply_ops(disk, ops),
                Action::Ordered(b) => {
                    assert_eq!(b.seq, *height);
                    *height += 1;
                    next.extend(raft.committed(*height));
                }
                Action::Accepted { request } => acked.push(request),
                other => panic!("unexpected {other:?}"),
            }
        }
        todo = next;
    }
    acked
}
