//! `weft-bench`: Weft's benchmark tool. `weft-bench run` drives a workload
//! (bench/workloads/*.toml) against a running network and reports
//! Caliper-style; `weft-bench ceiling` measures what this machine can do
//! (Ed25519, SHA-256, synced RocksDB writes) and the transaction rate that
//! implies for a network shape.

mod ceiling;
mod html;
mod measure;
mod monitor;
mod rate;
mod report;
mod round;
mod run;
mod workload;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "weft-bench", version, about = "Weft's benchmark tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a workload against a network and report throughput, latency and
    /// each node's resource use.
    ///
    /// The network is a directory made by `weft network init` (or a chain's
    /// directory under the BaaS's data dir, `chains/<id>`), its nodes
    /// running. Transactions are signed as the org's client; the contract is
    /// deployed first if the workload names a built-in one the network
    /// lacks.
    ///
    /// Example: weft-bench run --workload bench/workloads/asset-transfer.toml --network ./weft-net
    Run {
        /// The workload file (see bench/workloads/).
        #[arg(long)]
        workload: PathBuf,
        /// The network directory.
        #[arg(long, env = "WEFT_NETWORK")]
        network: PathBuf,
        /// The org whose client signs and whose peers are used (default: the first).
        #[arg(long)]
        org: Option<String>,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Also write the report as a self-contained HTML page with charts.
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// Measure this machine and print the transaction ceiling it implies.
    ///
    /// Measures Ed25519 verification (one at a time and in batches of 64)
    /// and signing, SHA-256 and synced RocksDB writes (batches of 500 keys,
    /// like a block) on the disk of --data-dir, then bounds a network of
    /// --nodes nodes on this machine: each node checks every transaction's
    /// signatures, hashes it and writes its keys. Release builds measure
    /// what production runs: cargo build --release -p weft-bench.
    ///
    /// Example: weft-bench ceiling --nodes 3 --endorsements 3
    Ceiling {
        /// Nodes on this machine that validate and commit every block.
        #[arg(long, default_value_t = 1)]
        nodes: u32,
        /// Endorsements per transaction.
        #[arg(long, default_value_t = 1)]
        endorsements: u32,
        /// State keys each transaction writes.
        #[arg(long, default_value_t = 1)]
        writes: u32,
        /// Envelope size in bytes.
        #[arg(long, default_value_t = 1500)]
        tx_bytes: u32,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 1.0)]
        seconds: f64,
        /// Where to measure RocksDB writes (the disk nodes would use).
        #[arg(long, default_value = ".")]
        data_dir: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("weft-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run { workload, network, org, json, html } => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let report = runtime.block_on(run::run(&workload, &network, org.as_deref()))?;
            println!("{}", report.text());
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_vec_pretty(&report)?)
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
                eprintln!("report written to {}", path.display());
            }
            if let Some(path) = html {
                std::fs::write(&path, html::render(&report))
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
                eprintln!("HTML report written to {}", path.display());
            }
            Ok(())
        }
        Command::Ceiling { nodes, endorsements, writes, tx_bytes, seconds, data_dir, json } => {
            if !(seconds > 0.0 && seconds <= 600.0) {
                anyhow::bail!("--seconds must be more than 0 and at most 600");
            }
            let shape = ceiling::Shape { nodes, endorsements, writes_per_tx: writes, tx_bytes };
            if !json {
                eprintln!("measuring for about {:.0} s …", seconds * 6.0);
            }
            let rates = measure::all(Duration::from_secs_f64(seconds), &data_dir)?;
            let bounds = ceiling::bounds(&rates, &shape);
            if json {
                let out = serde_json::json!({
                    "rates": rates, "shape": shape, "bounds": bounds,
                    "ceiling_tx_per_sec": bounds.first().map(|b| b.tx_per_sec),
                    "build": if cfg!(debug_assertions) { "debug" } else { "release" },
                });
                println!("{out:#}");
                return Ok(());
            }
            println!(
                "machine: {} cores ({} build)",
                rates.cores,
                if cfg!(debug_assertions) { "debug" } else { "release" }
            );
            println!(
                "  Ed25519 verify    {:>12.0} /s per core ({:.0} in batches of 64)",
                rates.verify_single, rates.verify_batch
            );
            println!("  Ed25519 sign      {:>12.0} /s per core", rates.sign);
            println!("  SHA-256           {:>12.0} MB/s per core", rates.sha256_bytes / 1e6);
            println!("  RocksDB writes    {:>12.0} /s synced per 500 ({})", rates.rocksdb_writes, data_dir.display());
            println!(
                "network: {nodes} node(s) here, {endorsements} endorsement(s), {writes} write(s), {tx_bytes} bytes per tx"
            );
            println!("{:<18} {:>10}  because", "bound", "tx/s");
            for b in &bounds {
                println!("{:<18} {:>10.0}  {}", b.resource, b.tx_per_sec, b.because);
            }
            if let Some(first) = bounds.first() {
                println!("ceiling: {:.0} tx/s, set by {}", first.tx_per_sec, first.resource);
            }
            Ok(())
        }
    }
}
