//! Adding a node to a running chain and removing one, as jobs: the new
//! node's key and certificate from its org's CA (`weft_provision::
//! prepare_node`), a channel configuration update signed by every org's
//! admin, then its process; removal is the update without it, then stopping
//! it; a peer then joins the other channels its org is in. An added node
//! that does not come up is taken out again.

use weft_provision::network::NetworkDir;
use weft_provision::{ManifestNode, NodeRequest};

use crate::db::Db;
use crate::ops::jobs::{AtStep, Job, StepError};
use crate::ops::provision::wait_healthy;
use crate::problem::Problem;
use crate::quotas::add_to_chain;
use crate::store::nodes::record as record_node;
use crate::templates::Demand;
use crate::AppState;

pub const ADD_STEPS: [&str; 5] = ["certificates", "configuration update", "start node", "health", "other channels"];
pub const REMOVE_STEPS: [&str; 2] = ["configuration update", "stop node"];

/// Adds a node; with `restore` (a backup's snapshot file) a peer starts
/// from that state instead of another node's.
pub async fn add_node(
    state: AppState,
    chain: String,
    request: NodeRequest,
    restore: Option<std::path::PathBuf>,
    demand: Demand,
    job: Job,
) {
    let outcome = add_steps(&state, &chain, &request, restore.as_deref(), &job).await;
    match outcome {
        Ok(node) => {
            job.finish(Ok(())).await;
            tracing::info!(%chain, node = %node, "node added");
        }
        Err((step, why, added)) => {
            job.failed(step, &why).await;
            let undone = match added {
                Some(node) => undo_add(&state, &chain, &node).await,
                None => "nothing was left behind".to_string(),
            };
            let _ = add_to_chain(&state.db, &chain, &demand, -1).await;
            tracing::warn!(%chain, "adding a node failed: {why}; {undone}");
            job.finish(Err(format!("step {:?} failed: {why}; {undone}", ADD_STEPS[step]))).await;
        }
    }
}

/// The node's id, or the failed step, why, and the node if it was admitted.
async fn add_steps(
    state: &AppState,
    chain: &str,
    request: &NodeRequest,
    restore: Option<&std::path::Path>,
    job: &Job,
) -> Result<String, (usize, String, Option<ManifestNode>)> {
    let no_node = |(step, why): StepError| (step, why, None);
    job.running(0, &format!("issuing a key and certificate from {}'s CA", request.org)).await;
    let homes = state.driver.homes(chain);
    let (prepared, home) =
        state.material.prepare_node(chain, request.clone(), &homes).await.map_err(|e| (0, e.to_string(), None))?;
    let node = prepared.manifest.clone();
    state
        .driver
        .place_home(chain, &node.id, &home)
        .map_err(|e| (0, format!("writing {}'s home: {e}", node.id), None))?;
    if let Some(file) = restore {
        let main = state.material.manifest(chain).await.map(|m| m.channel).map_err(|e| e.to_string());
        let placed = main.and_then(|channel| state.driver.place_snapshot(chain, &node, &channel, file, false));
        if let Err(e) = placed {
            state.driver.remove_home(chain, &node.id);
            return Err((0, format!("placing the backup for {}: {e}", node.id), None));
        }
    }
    job.done(0, &format!("{} at gRPC {}, p2p {}", node.id, node.grpc, node.p2p)).await;

    job.running(1, "adding the node to the channel configuration").await;
    let net = state.material.network(chain).await.map_err(|e| (1, e.to_string(), None))?;
    let channel_node = prepared.channel_node.clone();
    let update = crate::ops::config_tx::update(&state.config_lock, &net, &request.org, move |c| {
        c.nodes.push(channel_node);
        Ok(())
    })
    .await;
    // Nothing refers to a node the update did not admit: its home goes.
    if update.is_err() {
        state.driver.remove_home(chain, &node.id);
    }
    let (sequence, block) = update.map_err(|why| no_node((1, why)))?;
    state
        .material
        .update_manifest(chain, |m| m.nodes.push(node.clone()))
        .await
        .map_err(|e| (1, e.to_string(), Some(node.clone())))?;
    job.done(1, &format!("configuration sequence {sequence} in block {block}")).await;

    job.running(2, &format!("starting {}", node.id)).await;
    let (pid, limits) =
        crate::ops::builds::start_node(state, chain, &node).await.map_err(|e| (2, e, Some(node.clone())))?;
    record_node(&state.db, chain, &node, &limits.describe()).await.map_err(|e| (2, e, Some(node.clone())))?;
    job.done(2, &format!("pid {pid}; limits {}", limits.describe())).await;

    job.running(3, &format!("waiting for {} to catch up and serve", node.id)).await;
    wait_healthy(state, chain, std::slice::from_ref(&node), job, 3).await.map_err(|e| (3, e, Some(node.clone())))?;
    job.done(3, &format!("{} serving", node.id)).await;

    job.running(4, &format!("joining the other channels of {}", request.org)).await;
    match crate::ops::channel_orgs::join_org_channels(state, chain, &node, &prepared.channel_node).await {
        Ok(joined) if joined.is_empty() => job.skipped(4, &format!("{} is in no other channel", request.org)).await,
        Ok(joined) => job.done(4, &format!("joined {} from a snapshot", joined.join(", "))).await,
        Err(why) => return Err((4, why, Some(node.clone()))),
    }
    Ok(node.id)
}

/// Takes a node that was admitted but did not come up out again.
async fn undo_add(state: &AppState, chain: &str, node: &ManifestNode) -> String {
    let removed = match state.material.network(chain).await {
        Ok(net) => {
            let id = node.id.clone();
            crate::ops::config_tx::update(&state.config_lock, &net, &node.org, move |c| {
                crate::ops::config_tx::remove_node(c, &id)
            })
            .await
            .map(|_| ())
        }
        Err(e) => Err(e.to_string()),
    };
    // Stopped and forgotten under the node lock: the monitor would restart
    // a wanted node it finds down in between.
    let _ops = state.node_ops.lock().await;
    let (driver, c, n) = (state.driver.clone(), chain.to_string(), node.clone());
    let _ = tokio::task::spawn_blocking(move || driver.stop(&c, &n)).await;
    forget(state, chain, &node.id).await;
    match removed {
        Ok(()) => format!("rolled back: {} taken out of the configuration again and stopped", node.id),
        Err(why) => format!(
            "{} was stopped but is still in the channel configuration ({why}); remove it with DELETE …/nodes/{}",
            node.id, node.id
        ),
    }
}

/// Drops `node` from the chain's manifest and node records (its directory
/// stays until the chain is archived).
async fn forget(state: &AppState, chain: &str, node: &str) {
    let _ = state.material.update_manifest(chain, |m| m.nodes.retain(|n| n.id != node)).await;
    let _ = crate::store::nodes::remove(&state.db, chain, node).await;
}

pub async fn remove_node(
    state: AppState,
    chain: String,
    node: ManifestNode,
    acting_org: String,
    demand: Demand,
    job: Job,
) {
    job.running(0, &format!("removing {} from the channel configuration", node.id)).await;
    let update = match state.material.network(&chain).await {
        Ok(net) => {
            let id = node.id.clone();
            crate::ops::config_tx::update(&state.config_lock, &net, &acting_org, move |c| {
                crate::ops::config_tx::remove_node(c, &id)
            })
            .await
        }
        Err(e) => Err(e.to_string()),
    };
    let (sequence, block) = match update {
        Ok(v) => v,
        Err(why) => {
            job.failed(0, &why).await;
            job.finish(Err(format!("step \"configuration update\" failed: {why}; the node is unchanged"))).await;
            return;
        }
    };
    let others = crate::ops::channel_orgs::leave_org_channels(&state, &chain, &node).await;
    let others = others.map(|kept| format!("; {kept}")).unwrap_or_default();
    job.done(0, &format!("configuration sequence {sequence} in block {block}{others}")).await;
    job.running(1, &format!("stopping {}", node.id)).await;
    let ops = state.node_ops.lock().await;
    let (driver, c, n) = (state.driver.clone(), chain.clone(), node.clone());
    let stopped = tokio::task::spawn_blocking(move || driver.stop(&c, &n)).await;
    forget(&state, &chain, &node.id).await;
    drop(ops);
    let _ = add_to_chain(&state.db, &chain, &demand, -1).await;
    let detail = match stopped {
        Ok(Ok(Some(s))) => format!("stopped (pid {}); its files stay in the chain's directory", s.pid()),
        Ok(Ok(None)) => "it was not running; its files stay in the chain's directory".to_string(),
        Ok(Err(e)) => format!("stopping it failed: {e}"),
        Err(e) => format!("stopping it failed: {e}"),
    };
    job.done(1, &detail).await;
    job.finish(Ok(())).await;
    tracing::info!(%chain, node = %node.id, "node removed");
}

pub const ADD_ORG_STEPS: [&str; 3] = ["crypto", "configuration update", "trust"];

/// Adds org `org` to a running chain: its CA and identities, a
/// configuration update naming its CA (signed by the existing orgs'
/// admins), then a wait for every running node to apply it: nodes take
/// their TLS roots from the configurations of their channels, so none is
/// restarted. The org has no nodes yet: add them with POST …/nodes.
pub async fn add_org(state: AppState, chain: String, org: String, job: Job) {
    match add_org_steps(&state, &chain, &org, &job).await {
        Ok(()) => {
            job.finish(Ok(())).await;
            tracing::info!(%chain, %org, "org added");
        }
        Err((step, why)) => {
            job.failed(step, &why).await;
            tracing::warn!(%chain, %org, "adding an org failed: {why}");
            job.finish(Err(format!("step {:?} failed: {why}", ADD_ORG_STEPS[step]))).await;
        }
    }
}

async fn add_org_steps(state: &AppState, chain: &str, org: &str, job: &Job) -> Result<(), StepError> {
    job.running(0, &format!("creating {org}'s CA, admin and client identities")).await;
    let prepared = state.material.prepare_org(chain, org, 365).await.at_step(0)?;
    job.done(0, &format!("{org}'s CA and identities written")).await;

    job.running(1, &format!("adding {org} to the channel configuration")).await;
    let net = state.material.network(chain).await.at_step(1)?;
    let acting = net.manifest().orgs.first().map(|o| o.id.clone()).ok_or((1, "the chain has no orgs".to_string()))?;
    let entry = prepared.channel_org.clone();
    let update = crate::ops::config_tx::update(&state.config_lock, &net, &acting, move |c| {
        c.orgs.push(entry);
        Ok(())
    })
    .await;
    let (sequence, block) = match update {
        Ok(v) => v,
        Err(why) => {
            // Nothing refers to an org the update did not admit.
            let discarded = match state.material.discard_org(chain, &prepared).await {
                Ok(()) => "the org's files were removed".to_string(),
                Err(e) => format!("removing the org's files failed too: {e}"),
            };
            return Err((1, format!("{why}; {discarded}")));
        }
    };
    let manifest =
        state.material.update_manifest(chain, |m| m.orgs.push(prepared.manifest.clone())).await.at_step(1)?;
    let ca = state.material.certificate(chain, &prepared.manifest.ca_certificate).await.at_step(2)?;
    job.done(1, &format!("configuration sequence {sequence} in block {block}")).await;

    job.running(2, &format!("waiting for every node to apply sequence {sequence} and trust {org}'s CA")).await;
    let mut late = Vec::new();
    for node in &manifest.nodes {
        // node.toml too, for a node that starts before it serves a channel.
        state.driver.trust_org(chain, node, org, &ca).at_step(2)?;
        if state.driver.pid(chain, node).is_some() && !applied(&net, node, sequence).await {
            late.push(node.id.clone());
        }
    }
    let total = manifest.nodes.len();
    let detail = if late.is_empty() {
        format!("{total} nodes trust {org}'s CA, none restarted")
    } else {
        format!(
            "{} of {total} nodes trust {org}'s CA; {} will when they apply sequence {sequence}",
            total - late.len(),
            late.join(", ")
        )
    };
    job.done(2, &detail).await;
    Ok(())
}

/// Whether `node` has committed configuration `sequence` (and so trusts
/// what it names for TLS), waiting a while for it.
async fn applied(net: &NetworkDir, node: &ManifestNode, sequence: u64) -> bool {
    let deadline = tokio::time::Instant::now() + APPLY_WAIT;
    loop {
        if net.status(node).await.is_ok_and(|s| s.config_sequence >= sequence) {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// How long add-org waits for a running node to apply the update.
const APPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// What one more node of `org` asks of the quota: the org's resources in
/// the chain's template.
pub(crate) async fn node_demand(db: &Db, chain: &str, org: &str) -> Result<Demand, Problem> {
    let spec = crate::store::chains::spec(db, chain).await?;
    let template = weft_provision::Template::parse(&spec, "the chain's template").map_err(Problem::internal)?;
    let r = match template.orgs.iter().find(|o| o.id == org) {
        Some(o) => template.resources_of(o),
        None => template.resources,
    };
    Ok(Demand { nodes: 1, cpu: r.cpu, memory_mb: r.memory_mb as i64, disk_gb: r.disk_gb as i64 })
}
