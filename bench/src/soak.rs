//! `weft-bench soak`: a stability run. Puts go to the kv contract at a
//! fixed rate for a long time (30 minutes is the usual) while every node's
//! resident memory and the size of its directory (ledger, state, logs) are
//! sampled; at the end each series is checked for an upward trend
//! (`trend.rs`). Memory should level off once warm; disk grows with the
//! ledger, so it is judged per committed transaction.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::round::Outcome;
use crate::trend::{assess, Trend};
use crate::workload::{Kind, RateControl, Round, Workload};

/// Memory rising by more than 5 % of its level and 2 MB over the run is a
/// trend; less is noise of allocators and caches.
const MEMORY_REL: f64 = 0.05;
const MEMORY_ABS_MB: f64 = 2.0;
/// Disk added per committed transaction rising by 10 %: the node keeps more
/// per transaction as time goes on (logs, unreclaimed files).
const DISK_PER_TX_REL: f64 = 0.10;

pub struct Options<'a> {
    pub duration: Duration,
    pub tps: f64,
    pub every: Duration,
    pub workers: u32,
    pub org: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeSample {
    pub name: String,
    /// None once the process is gone.
    pub rss_mb: Option<f64>,
    pub disk_mb: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub secs: f64,
    /// Transactions committed so far in the soak.
    pub committed: u64,
    pub nodes: Vec<NodeSample>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    pub network: String,
    pub build: &'static str,
    pub tps: f64,
    pub duration_secs: f64,
    pub outcome: Outcome,
    pub samples: Vec<Sample>,
    pub trends: Vec<Trend>,
}

impl SoakReport {
    pub fn rising(&self) -> Vec<&Trend> {
        self.trends.iter().filter(|t| t.rising).collect()
    }

    /// Nodes that stopped during the soak (no memory figure at the end).
    pub fn lost_nodes(&self) -> Vec<&str> {
        self.samples
            .last()
            .map(|s| s.nodes.iter().filter(|n| n.rss_mb.is_none()).map(|n| n.name.as_str()).collect())
            .unwrap_or_default()
    }

    pub fn text(&self) -> String {
        let o = &self.outcome;
        let mut out = vec![
            format!(
                "Soak of {} for {:.0} s at {} tx/s ({} build): {} committed, {} failed, throughput {:.1} tx/s",
                self.network, o.seconds, self.tps, self.build, o.succeeded, o.failed, o.throughput_tps
            ),
            format!("{} samples; trends after the first fifth (warm-up):", self.samples.len()),
        ];
        for t in &self.trends {
            out.push(format!("  {:<32} {}", t.series, t.verdict));
        }
        for node in self.lost_nodes() {
            out.push(format!("  {node} stopped during the soak: see its log"));
        }
        let mut causes: Vec<(&String, &u64)> = o.errors.iter().collect();
        causes.sort_by(|a, b| b.1.cmp(a.1));
        for (cause, n) in causes.iter().take(5) {
            out.push(format!("  {n} failed: {cause}"));
        }
        out.join("\n")
    }
}

/// Bytes under `dir`, skipping what vanishes while walking (RocksDB
/// replaces files as it compacts).
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

fn load(opts: &Options<'_>) -> Workload {
    Workload {
        name: "soak".into(),
        description: format!("kv puts at {} tx/s", opts.tps),
        contract: "kv".into(),
        deploy: Some("kv".into()),
        rounds: vec![Round {
            label: "soak".into(),
            function: "put".into(),
            // About 100 bytes per value, a different key per transaction.
            args: vec!["soak-{run}-{i}".into(), format!("{}-{{i}}", "v".repeat(96))],
            kind: Kind::Submit,
            txs: None,
            duration_secs: Some(opts.duration.as_secs_f64()),
            workers: opts.workers,
            rate: RateControl::FixedRate { tps: opts.tps },
        }],
    }
}

pub async fn run(network: &Path, opts: &Options<'_>) -> anyhow::Result<SoakReport> {
    let workload = load(opts);
    let (net, gateways) = crate::run::connect(network, None, opts.org, opts.workers as usize)?;
    crate::run::deploy_if_missing(&net, &gateways[0], &workload, &|step| eprintln!("{step} …")).await?;
    let nodes: Vec<(String, u32, std::path::PathBuf)> = net
        .manifest()
        .nodes
        .iter()
        .filter_map(|n| {
            let config = network.join(&n.config);
            let pid = weft_provision::local::running(&config)?;
            Some((n.id.clone(), pid, config.parent()?.to_path_buf()))
        })
        .collect();
    if nodes.is_empty() {
        anyhow::bail!(
            "no node of {} runs on this host (no pid files): a soak watches the nodes' memory and disk, so run it \
             where they run",
            network.display()
        );
    }

    let committed = Arc::new(AtomicU64::new(0));
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let sampler = {
        let (committed, every) = (committed.clone(), opts.every);
        tokio::spawn(async move {
            let start = Instant::now();
            let mut samples = Vec::new();
            loop {
                let sample = Sample {
                    secs: start.elapsed().as_secs_f64(),
                    committed: committed.load(Ordering::Relaxed),
                    nodes: nodes
                        .iter()
                        .map(|(name, pid, dir)| NodeSample {
                            name: name.clone(),
                            rss_mb: crate::monitor::rss_bytes(*pid).map(mb),
                            disk_mb: mb(dir_bytes(dir)),
                        })
                        .collect(),
                };
                samples.push(sample);
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stopped.wait_for(|s| *s) => break,
                }
            }
            samples
        })
    };
    let run_id = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());
    let outcome = crate::round::run(&workload.rounds[0], &workload.contract, &run_id, &gateways, committed).await;
    stop.send_replace(true);
    let samples = sampler.await?;
    Ok(SoakReport {
        network: network.display().to_string(),
        build: crate::run::build(),
        tps: opts.tps,
        duration_secs: opts.duration.as_secs_f64(),
        trends: trends(&samples),
        outcome,
        samples,
    })
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Each node's memory, and the disk each committed transaction adds
/// (between consecutive samples: a directory's fixed size would hide a
/// trend in a plain ratio for hours).
pub fn trends(samples: &[Sample]) -> Vec<Trend> {
    let Some(first) = samples.first() else { return Vec::new() };
    let mut out = Vec::new();
    for (i, node) in first.nodes.iter().enumerate() {
        let memory: Vec<(f64, f64)> = samples.iter().filter_map(|s| Some((s.secs, s.nodes.get(i)?.rss_mb?))).collect();
        out.push(assess(&format!("{} memory", node.name), "MB", &memory, MEMORY_REL, MEMORY_ABS_MB));
        let per_tx: Vec<(f64, f64)> = samples
            .windows(2)
            .filter(|w| w[1].committed > w[0].committed)
            .filter_map(|w| {
                let added = w[1].nodes.get(i)?.disk_mb - w[0].nodes.get(i)?.disk_mb;
                Some((w[1].secs, added * 1024.0 * 1024.0 / (w[1].committed - w[0].committed) as f64))
            })
            .collect();
        let mut disk = assess(&format!("{} disk added per tx", node.name), "bytes", &per_tx, DISK_PER_TX_REL, 0.0);
        let total: Vec<(f64, f64)> = samples.iter().filter_map(|s| Some((s.secs, s.nodes.get(i)?.disk_mb))).collect();
        disk.verdict.push_str(&format!("; the directory grew {:+.1} MB/h", crate::trend::slope(&total) * 3600.0));
        out.push(disk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(rss: impl Fn(f64) -> f64, disk_per_tx: impl Fn(f64) -> f64) -> Vec<Sample> {
        (0..40)
            .map(|i| {
                let secs = i as f64 * 10.0;
                let committed = (secs * 50.0) as u64;
                Sample {
                    secs,
                    committed,
                    nodes: vec![NodeSample {
                        name: "node0.org1".into(),
                        rss_mb: Some(rss(secs)),
                        disk_mb: 5.0 + disk_per_tx(secs) * committed as f64 / (1024.0 * 1024.0),
                    }],
                }
            })
            .collect()
    }

    #[test]
    fn a_ledger_growing_with_its_transactions_is_not_a_trend_but_a_leak_is() {
        let steady = trends(&samples(|_| 80.0, |_| 400.0));
        assert_eq!(steady.len(), 2);
        assert!(steady.iter().all(|t| !t.rising), "{steady:?}");
        assert!(steady[1].verdict.contains("MB/h"), "{}", steady[1].verdict);
        let leaky = trends(&samples(|t| 80.0 + t / 10.0, |t| 400.0 + t));
        assert!(leaky[0].rising && leaky[0].series == "node0.org1 memory", "{leaky:?}");
        assert!(leaky[1].rising, "{leaky:?}");
    }

    #[test]
    fn directory_sizes_add_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("a"), [0u8; 100]).unwrap();
        std::fs::write(dir.path().join("sub/b"), [0u8; 50]).unwrap();
        assert_eq!(dir_bytes(dir.path()), 150);
        assert_eq!(dir_bytes(&dir.path().join("missing")), 0);
    }
}
