//! Runs the deterministic consensus simulator over many seeds.
//!
//!     cargo run -p weft-consensus --example simulate -- --engine raft --nodes 5 --seeds 10000
//!     cargo run -p weft-consensus --example simulate -- --engine raft --nodes 3 --seed 42
//!     cargo run -p weft-consensus --example simulate -- --engine pbft --nodes 4 --seeds 100 --byzantine equivocate
//!
//! Exits non-zero if any seed breaks `no_fork`, `no_lost_ack` or
//! `liveness_after_heal`, printing the command that replays it.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use weft_consensus::sim::{self, Byzantine, Engine, SimConfig};

#[derive(Parser)]
#[command(about = "Run ordering engines on a seeded, faulty simulated network and check their safety and liveness")]
struct Args {
    /// Which engine to simulate.
    #[arg(long, default_value = "raft")]
    engine: Engine,
    /// Orderers in the simulated channel.
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// How many seeds to run, starting at --first-seed.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Replay exactly this seed (overrides --seeds).
    #[arg(long)]
    seed: Option<u64>,
    /// Virtual milliseconds of faults, then of calm.
    #[arg(long, default_value_t = 6000)]
    fault_ms: u64,
    #[arg(long, default_value_t = 6000)]
    heal_ms: u64,
    /// orderer0 misbehaves (PBFT): silent, equivocate, forge, replay,
    /// conflicting-view-change, twins.
    #[arg(long)]
    byzantine: Option<Byzantine>,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let seeds: Vec<u64> = match a.seed {
        Some(s) => vec![s],
        None => (a.first_seed..a.first_seed + a.seeds).collect(),
    };
    let started = Instant::now();
    let (mut failed, mut blocks, mut acked, mut crashes) = (0u64, 0u64, 0u64, 0u64);
    for (n, &seed) in seeds.iter().enumerate() {
        let mut cfg = SimConfig::new(a.engine, a.nodes, seed);
        cfg.fault_ms = a.fault_ms;
        cfg.heal_ms = a.heal_ms;
        cfg.byzantine = a.byzantine;
        let report = sim::run(cfg.clone());
        blocks += report.blocks;
        acked += report.acked;
        crashes += report.crashes;
        if !report.violations.is_empty() {
            failed += 1;
            eprintln!("seed {seed} FAILED:");
            for v in &report.violations {
                eprintln!("  {v}");
            }
            for (id, status) in &report.statuses {
                eprintln!("  {id}: {status:?}");
            }
            eprintln!("  replay: {}", cfg.replay_command());
        }
        if (n + 1) % 100 == 0 || n + 1 == seeds.len() {
            println!(
                "{}/{} seeds, {failed} failed, {blocks} blocks, {acked} acknowledged, {crashes} crashes, {:.1} s",
                n + 1,
                seeds.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
