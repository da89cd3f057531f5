//! `weft-bench`: Weft's benchmark tool. `weft-bench run` drives a workload
//! (bench/workloads/*.toml) against a running network and reports
//! Caliper-style; `weft-bench ceiling` measures what this machine can do
//! (Ed25519, SHA-256, synced RocksDB writes) and the transaction rate that
//! implies for a network shape; `weft-bench soak` runs a fixed rate for a
//! long time and looks for memory or disk that keeps growing.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use weft_bench::{ceiling, html, measure, run, soak, workload::Workload};

#[derive(Parser)]
#[command(name = "weft-bench", version, about = "Weft's benchmark tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Who signs, and where the report goes besides the terminal.
#[derive(clap::Args)]
struct Outputs {
    /// The org whose client signs and whose peers are used (default: the first).
    #[arg(long)]
    org: Option<String>,
    /// Also write the report (with every sample) as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also write the report as a self-contained HTML page with charts.
    #[arg(long)]
    html: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a workload against a network and report throughput, latency and
    /// each node's resource use.
    ///
    /// Before the rounds, this machine's ceiling for the network's shape is
    /// measured (about 2 s; see `weft-bench ceiling`) and each submitted
    /// round's throughput is shown as a share of it.
    ///
    /// The network is a directory made by `weft network init` (or a chain's
    /// directory under the BaaS's data dir, `chains/<id>`), its nodes
    /// running. Transactions are signed as the org's client; the contract is
    /// deployed first if the workload names a built-in one the network
    /// lacks.
    ///
    /// Example: weft-bench run --workload bench/workloads/asset-transfer.toml --network ./weft-net
    Run {
        /// The workload file (see bench/workloads/), or the name of a
        /// built-in one: asset-transfer, kv, notary.
        #[arg(long)]
        workload: String,
        /// The network directory.
        #[arg(long, env = "WEFT_NETWORK")]
        network: PathBuf,
        #[command(flatten)]
        out: Outputs,
        /// Skip measuring the ceiling.
        #[arg(long)]
        no_ceiling: bool,
    },
    /// A stability run: kv puts at a fixed rate for a long time, with every
    /// node's memory and directory size sampled and checked for an upward
    /// trend at the end.
    ///
    /// Memory should level off after the first fifth of the run (warm-up);
    /// the ledger grows with the transactions, so disk is judged per
    /// committed transaction. Exits with status 3 when a series is rising
    /// or a node stopped, so a scheduled soak can fail a pipeline. Run it
    /// where the nodes run (it reads /proc and their directories).
    ///
    /// Example: weft-bench soak --network ./weft-net --duration 30m --tps 50 --html soak.html
    Soak {
        /// The network directory.
        #[arg(long, env = "WEFT_NETWORK")]
        network: PathBuf,
        /// How long: 90s, 30m, 2h.
        #[arg(long, default_value = "30m", value_parser = parse_duration)]
        duration: Duration,
        /// Transactions a second (a fixed rate, open loop).
        #[arg(long, default_value_t = 50.0)]
        tps: f64,
        /// How often to sample memory and disk: 5s, 1m.
        #[arg(long, default_value = "10s", value_parser = parse_duration)]
        every: Duration,
        /// Connections the load is spread over.
        #[arg(long, default_value_t = 4)]
        workers: u32,
        #[command(flatten)]
        out: Outputs,
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

/// `90s`, `30m`, `2h` or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = s.find(|c: char| c.is_ascii_alphabetic()).map_or((s, "s"), |i| s.split_at(i));
    let n: f64 = number.trim().parse().map_err(|_| format!("{s:?} is not a duration; write e.g. 90s, 30m or 2h"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("unknown unit {unit:?} in {s:?}; use s, m or h")),
    };
    if !(secs > 0.0 && secs <= 30.0 * 24.0 * 3600.0) {
        return Err(format!("{s:?} must be more than 0 and at most 30 days"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn write(path: &PathBuf, what: &str, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    eprintln!("{what} written to {}", path.display());
    Ok(())
}

/// Exit status of a soak that found a rising series or lost a node.
const SOAK_TREND: u8 = 3;

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("weft-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Run { workload, network, out: Outputs { org, json, html }, no_ceiling } => {
            let workload = match Workload::builtin(&workload) {
                Ok(w) if !std::path::Path::new(&workload).exists() => w,
                _ => Workload::load(std::path::Path::new(&workload))?,
            };
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let options = run::Options {
                org: org.as_deref(),
                ceiling: !no_ceiling,
                progress: &|s| eprintln!("{s} …"),
                key_seal: None,
            };
            let report = runtime.block_on(run::run(&workload, &network, &options))?;
            println!("{}", report.text());
            if let Some(path) = json {
                write(&path, "report", &serde_json::to_vec_pretty(&report)?)?;
            }
            if let Some(path) = html {
                write(&path, "HTML report", html::render(&report).as_bytes())?;
            }
            Ok(0)
        }
        Command::Soak { network, duration, tps, every, workers, out: Outputs { org, json, html } } => {
            if !(tps > 0.0 && tps.is_finite()) || workers == 0 || workers > 256 {
                anyhow::bail!("--tps must be a positive number and --workers 1–256");
            }
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let options = soak::Options { duration, tps, every, workers, org: org.as_deref() };
            let report = runtime.block_on(soak::run(&network, &options))?;
            println!("{}", report.text());
            if let Some(path) = json {
                write(&path, "report", &serde_json::to_vec_pretty(&report)?)?;
            }
            if let Some(path) = html {
                write(&path, "HTML report", html::soak(&report).as_bytes())?;
            }
            Ok(if report.rising().is_empty() && report.lost_nodes().is_empty() { 0 } else { SOAK_TREND })
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
                return Ok(0);
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
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("5d").unwrap_err().contains("s, m or h"));
        assert!(parse_duration("0s").is_err() && parse_duration("soon").is_err());
    }
}
