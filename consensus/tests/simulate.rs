//! CI's simulator campaign: 500 seeds each for 3 and 5 raft orderers
//! (with crashes, partitions, loss, duplication, reordering and one
//! membership change each way) and for 4 and 7 PBFT orderers (the same
//! faults, no membership changes). Longer campaigns:
//! `cargo run -p weft-consensus --example simulate -- --engine pbft --nodes 7 --seeds 10000`.

use weft_consensus::sim::{self, Engine, SimConfig};

fn campaign(engine: Engine, nodes: usize, seeds: std::ops::Range<u64>) {
    let mut failures = Vec::new();
    for seed in seeds {
        let cfg = SimConfig::new(engine, nodes, seed);
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
