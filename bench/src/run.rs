//! `weft-bench run`: open the network, deploy the workload's contract if
//! needed, then run each round with the node processes (and this client)
//! monitored.

use std::path::Path;

use weft_sdk::network::NetworkDir;
use weft_sdk::{lifecycle, Gateway};

use crate::monitor::Monitor;
use crate::report::{Report, RoundReport};
use crate::workload::Workload;

pub async fn run(workload_path: &Path, network: &Path, org: Option<&str>) -> anyhow::Result<Report> {
    let workload = Workload::load(workload_path)?;
    let net = NetworkDir::open(network).map_err(|e| {
        anyhow::anyhow!("{e}; pass --network with a directory made by `weft network init` (its nodes running)")
    })?;
    let org = match org {
        Some(o) => o.to_string(),
        None => net.manifest().orgs.first().map(|o| o.id.clone()).ok_or_else(|| anyhow::anyhow!("no orgs"))?,
    };
    let workers = workload.rounds.iter().map(|r| r.workers).max().unwrap_or(1) as usize;
    // One Gateway (its own connections) per worker, all as the org's client.
    let gateways: Vec<Gateway> = (0..workers)
        .map(|_| net.gateway(&org, net.client(&org)?))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    deploy_if_missing(&net, &gateways[0], &workload).await?;

    let mut targets: Vec<(String, u32)> = net
        .manifest()
        .nodes
        .iter()
        .filter_map(|n| weft_provision::local::running(&network.join(&n.config)).map(|pid| (n.id.clone(), pid)))
        .collect();
    if targets.is_empty() {
        eprintln!(
            "note: no node of {} runs on this host (no pid files); resource use is the client's only",
            network.display()
        );
    }
    targets.push(("weft-bench (client)".into(), std::process::id()));
    let run_id = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());
    let mut rounds = Vec::new();
    for round in &workload.rounds {
        let monitor = Monitor::start(targets.clone());
        let outcome = crate::round::run(round, &workload.contract, &run_id, &gateways[..round.workers as usize]).await;
        rounds.push(RoundReport { outcome, resources: monitor.stop().await });
    }
    Ok(Report {
        workload: workload.name,
        description: workload.description,
        network: network.display().to_string(),
        run: run_id,
        build: if cfg!(debug_assertions) { "debug" } else { "release" },
        rounds,
    })
}

async fn deploy_if_missing(net: &NetworkDir, gateway: &Gateway, workload: &Workload) -> anyhow::Result<()> {
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
    eprintln!("deploying {} …", workload.contract);
    let deployed = lifecycle::deploy(gateway, &contract, false, &admins.iter().collect::<Vec<_>>()).await?;
    // Or the Gateway's round robin finds a peer without it ("not deployed").
    net.wait_for_peers(deployed.status.block, std::time::Duration::from_secs(60)).await.map_err(anyhow::Error::msg)?;
    Ok(())
}
