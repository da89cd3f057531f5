//! CI's simulator campaign: 500 seeds each for 3 and 5 raft orderers
//! (with crashes, partitions, loss, duplication, reordering and one
//! membership change each way) and for 4 and 7 PBFT orderers (the same
//! faults, no membership changes), and PBFT with orderer0 Byzantine in each
//! of six ways (silent, equivocating, forging, replaying, lying in view
//! changes, and twins: its key in two places). Longer campaigns:
//! `cargo run -p weft-consensus --example simulate -- --engine pbft --nodes 7 --seeds 10000`.

use weft_consensus::sim::{self, byzantine, Byzantine, Engine, SimConfig};

fn campaign(engine: Engine, nodes: usize, seeds: std::ops::Range<u64>) {
    byzantine_campaign(engine, nodes, seeds, None);
}

fn byzantine_campaign(engine: Engine, nodes: usize, seeds: std::ops::Range<u64>, bad: Option<Byzantine>) {
    let mut failures = Vec::new();
    for seed in seeds {
        let mut cfg = SimConfig::new(engine, nodes, seed);
        if bad.is_some() {
            // With one orderer Byzantine, every honest one is needed for a
            // quorum (n = 3f+1): after the faults, view-change timeouts that
            // doubled while partitioned must run out before they align.
            cfg.heal_ms = 15_000;
        }
        cfg.byzantine = bad;
        let report = sim::run(cfg.clone());
        if !report.violations.is_empty() {
            let what: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
            failures.push(format!("seed {seed}: {}\n  replay: {}", what.join("; "), cfg.replay_command()));
        }
    }
    assert!(failures.is_empty(), "{} failing seeds:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn raft_3_nodes_500_seeds() {
    campaign(Engine::Raft, 3, 0..500);
}

#[test]
fn raft_5_nodes_500_seeds() {
    campaign(Engine::Raft, 5, 0..500);
}

#[test]
fn pbft_4_nodes_500_seeds() {
    campaign(Engine::Pbft, 4, 0..500);
}

#[test]
fn pbft_7_nodes_500_seeds() {
    campaign(Engine::Pbft, 7, 0..500);
}

/// Every Byzantine behaviour against 4 and 7 PBFT orderers, on top of the
/// usual crashes, partitions and losses among the honest ones.
#[test]
fn pbft_survives_a_byzantine_orderer() {
    for bad in byzantine::ALL {
        byzantine_campaign(Engine::Pbft, 4, 0..25, Some(bad));
        byzantine_campaign(Engine::Pbft, 7, 0..10, Some(bad));
    }
}

/// The same checks catch a crash-fault-tolerant engine under Byzantine
/// faults: raft with one node key in two places forks.
#[test]
fn twins_fork_raft() {
    let broken = (0..10).any(|seed| {
        let mut cfg = SimConfig::new(Engine::Raft, 4, seed);
        cfg.byzantine = Some(Byzantine::Twins);
        sim::run(cfg).violations.iter().any(|v| matches!(v, sim::Violation::Fork { .. }))
    });
    assert!(broken, "raft survived twins: the simulator's fork check is not biting");
}
