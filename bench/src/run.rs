//! `weft-bench run`: open the network, deploy the workload's contract if
//! needed, measure this machine's ceiling for the network's shape (nodes
//! idle), then run each round with the node processes (and this client)
//! monitored.

use std::path::Path;
use std::time::Duration;

use weft_provision::network::NetworkDir;
use weft_sdk::{lifecycle, Gateway};

use crate::ceiling::Shape;
use crate::monitor::Monitor;
use crate::report::{Ceiling, Report, RoundReport};
use crate::workload::Workload;

/// Seconds per measurement for the run's ceiling: a rough figure (about
/// 2 s in all) is enough to compare against; `weft-bench ceiling` measures
/// longer.
const CEILING_SECONDS: f64 = 0.3;

pub struct Options<'a> {
    /// The org whose client signs and whose peers are used (default: the first).
    pub org: Option<&'a str>,
    /// Measure the ceiling before the rounds.
    pub ceiling: bool,
    /// Told each step as it starts ("deploying kv", "round create").
    pub progress: &'a (dyn Fn(&str) + Send + Sync),
    /// Opens the org keys of a network whose keys are sealed (a BaaS's
    /// chain); `None` for `weft network init`'s plain ones.
    pub key_seal: weft_provision::Sealing,
}

/// The network's shape for the ceiling: nodes on this host check and commit
/// every transaction; the channel's default endorsement policy,
/// MAJORITY(peer), takes a majority of the orgs.
pub fn shape(net: &NetworkDir, local_nodes: usize) -> Shape {
    let orgs = net.manifest().orgs.len() as u32;
    Shape { nodes: (local_nodes as u32).max(1), endorsements: orgs / 2 + 1, writes_per_tx: 1, tx_bytes: 1500 }
}

/// Opens the network and one Gateway (its own connections) per worker, all
/// as `org`'s client (default: the first org).
pub fn connect(
    network: &Path,
    key_seal: weft_provision::Sealing,
    org: Option<&str>,
    workers: usize,
) -> anyhow::Result<(NetworkDir, Vec<Gateway>)> {
    let net = NetworkDir::open_sealed(network, key_seal).map_err(|e| {
        anyhow::anyhow!("{e}; pass --network with a directory made by `weft network init` (its nodes running)")
    })?;
    let gateways = gateways(&net, org, workers)?;
    Ok((net, gateways))
}

/// One Gateway (its own connections) per worker, all as `org`'s client
/// (default: the first org).
fn gateways(net: &NetworkDir, org: Option<&str>, workers: usize) -> anyhow::Result<Vec<Gateway>> {
    let org = match org {
        Some(o) => o.to_string(),
        None => net.manifest().orgs.first().map(|o| o.id.clone()).ok_or_else(|| anyhow::anyhow!("no orgs"))?,
    };
    (0..workers.max(1))
        .map(|_| net.gateway(&org, net.client(&org)?))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)
}

/// Runs `workload` over the network directory `network`, watching the
/// nodes it finds running on this host.
pub async fn run(workload: &Workload, network: &Path, options: &Options<'_>) -> anyhow::Result<Report> {
    let net = NetworkDir::open_sealed(network, options.key_seal.clone()).map_err(|e| {
        anyhow::anyhow!("{e}; pass --network with a directory made by `weft network init` (its nodes running)")
    })?;
    let targets = node_processes(&net, network);
    if targets.is_empty() {
        eprintln!(
            "note: no node of {} runs on this host (no pid files); resource use is the client's only",
            network.display()
        );
    }
    run_on(workload, net, targets, network, options).await
}

/// Runs `workload` over `net`, watching `targets` (name, pid) and
/// measuring the ceiling on the disk that holds `disk` (where the nodes
/// keep their ledgers).
pub async fn run_on(
    workload: &Workload,
    net: NetworkDir,
    mut targets: Vec<(String, u32)>,
    disk: &Path,
    options: &Options<'_>,
) -> anyhow::Result<Report> {
    let workers = workload.rounds.iter().map(|r| r.workers).max().unwrap_or(1) as usize;
    let gateways = gateways(&net, options.org, workers)?;
    deploy_if_missing(&net, &gateways[0], workload, options.progress).await?;
    let ceiling = if options.ceiling {
        (options.progress)("measuring this machine's ceiling");
        Some(measure_ceiling(shape(&net, targets.len()), disk).await?)
    } else {
        None
    };
    targets.push(("weft-bench (client)".into(), std::process::id()));
    let run_id = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());
    let mut rounds = Vec::new();
    for round in &workload.rounds {
        (options.progress)(&format!("round {}", round.label));
        let monitor = Monitor::start(targets.clone());
        let outcome = crate::round::run(
            round,
            &workload.contract,
            &run_id,
            &gateways[..round.workers as usize],
            Default::default(),
        )
        .await;
        rounds.push(RoundReport { outcome, resources: monitor.stop().await });
    }
    Ok(Report {
        workload: workload.name.clone(),
        description: workload.description.clone(),
        network: disk.display().to_string(),
        run: run_id,
        build: build(),
        ceiling,
        rounds,
    })
}

pub fn build() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// The network's node processes on this host (name, pid), found by their
/// pid files.
pub fn node_processes(net: &NetworkDir, network: &Path) -> Vec<(String, u32)> {
    net.manifest()
        .nodes
        .iter()
        .filter_map(|n| weft_provision::local::running(&network.join(&n.config)).map(|pid| (n.id.clone(), pid)))
        .collect()
}

async fn measure_ceiling(shape: Shape, disk: &Path) -> anyhow::Result<Ceiling> {
    let disk = disk.to_path_buf();
    let rates =
        tokio::task::spawn_blocking(move || crate::measure::all(Duration::from_secs_f64(CEILING_SECONDS), &disk))
            .await??;
    let bounds = crate::ceiling::bounds(&rates, &shape);
    let lowest = bounds.first().ok_or_else(|| anyhow::anyhow!("no bounds"))?;
    Ok(Ceiling { tx_per_sec: lowest.tx_per_sec, resource: lowest.resource.to_string(), shape })
}

pub async fn deploy_if_missing(
    net: &NetworkDir,
    gateway: &Gateway,
    workload: &Workload,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> anyhow::Result<()> {
    if lifecycle::current_sequence(gateway, &workload.contract).await?.is_some() {
        return Ok(());
    }
    let Some(builtin) = &workload.deploy else {
        anyhow::bail!(
            "the network has no contract {:?}; deploy it (weft contract deploy) or name a built-in one with deploy = …",
            workload.contract
        );
    };
    let code = weft_contract_wasm::EXAMPLES.iter().find(|(n, _)| n == builtin).map(|(_, c)| *c).ok_or_else(|| {
        anyhow::anyhow!("deploy = {builtin:?} is not a built-in contract (kv, asset-transfer, notary)")
    })?;
    let admins = net.admins().map_err(anyhow::Error::msg)?;
    let contract = lifecycle::Contract { name: &workload.contract, version: "bench", endorsement_policy: "", code };
    progress(&format!("deploying {}", workload.contract));
    let deployed = lifecycle::deploy(gateway, &contract, false, &admins.iter().collect::<Vec<_>>()).await?;
    // Or the Gateway's round robin finds a peer without it ("not deployed").
    net.wait_for_peers(deployed.status.block, Duration::from_secs(60)).await.map_err(anyhow::Error::msg)?;
    Ok(())
}
