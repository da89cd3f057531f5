//! Rolling upgrades of a chain's nodes to another weft-node build, as a
//! job: peers first, then orderers with the leader last; each node is
//! drained (a raft leader hands over leadership), restarted on the new
//! build and must pass a health gate — serving, and caught up to the
//! height the other nodes had when it went down — within the gate time.
//! A node that fails its gate stops the rollout, and every node this job
//! upgraded is put back on the build it ran before.

use std::time::{Duration, Instant};

use weft_provision::network::NetworkDir;
use weft_provision::{ManifestNode, NodeRoleName};

use crate::ops::builds::{self, NodeBuild, BUNDLED};
use crate::ops::jobs::Job;
use crate::problem::Problem;
use crate::AppState;

/// How long a node must keep serving after it passed its gate.
const SETTLE: Duration = Duration::from_secs(2);

/// How long a node put back on its old build gets to serve again.
const ROLLBACK_GATE: Duration = Duration::from_secs(90);

/// Refuses a second job on a chain while one runs: rollouts, membership
/// changes and configuration updates each assume the chain holds still.
pub async fn no_job_running(state: &AppState, chain: &str) -> Result<(), Problem> {
    if let Some((id, kind)) = crate::store::jobs::running_on(&state.db, chain).await? {
        return Err(Problem::conflict(format!("job {id} ({kind}) is running on this chain; wait for it to finish")));
    }
    Ok(())
}

/// Peers that order nothing first, then orderers, the current leader last
/// (so leadership moves once, to an upgraded orderer).
pub async fn rollout_order(net: &NetworkDir) -> Vec<ManifestNode> {
    let mut leader = None;
    for n in net.manifest().nodes.iter().filter(|n| n.roles.contains(&NodeRoleName::Orderer)) {
        if let Some(c) = net.status(n).await.ok().and_then(|s| s.consensus) {
            if !c.leader.is_empty() {
                leader = Some(c.leader);
                break;
            }
        }
    }
    let mut nodes = net.manifest().nodes.clone();
    nodes.sort_by_key(|n| (n.roles.contains(&NodeRoleName::Orderer), Some(&n.id) == leader.as_ref()));
    nodes
}

pub async fn run(
    state: AppState,
    chain: String,
    version: String,
    build: Option<NodeBuild>,
    nodes: Vec<ManifestNode>,
    gate: Duration,
    job: Job,
) {
    let rollback_step = nodes.len() + 1;
    if let Err(why) = check_build(build.as_ref()) {
        job.failed(0, &why).await;
        job.finish(Err(format!("step \"check build\" failed: {why}; no node was touched"))).await;
        return;
    }
    job.done(0, &format!("{version}: {}", build.as_ref().map_or("the server's own weft-node", |b| &b.reports))).await;
    let mut upgraded: Vec<(ManifestNode, String)> = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let step = i + 1;
        let before = match builds::build_of_node(&state, &chain, &node.id).await {
            Ok(b) => b,
            Err(e) => {
                job.failed(step, &e).await;
                job.finish(Err(e)).await;
                return;
            }
        };
        upgraded.push((node.clone(), before));
        match upgrade_node(&state, &chain, node, &version, gate, &job, step).await {
            Ok(detail) => job.done(step, &detail).await,
            Err(why) => {
                job.failed(step, &why).await;
                tracing::warn!(%chain, node = %node.id, %version, "health gate failed: {why}; rolling back");
                job.running(rollback_step, &format!("putting {} node(s) back on their builds", upgraded.len())).await;
                let undone = roll_back(&state, &chain, &upgraded).await;
                match &undone {
                    Ok(d) => job.done(rollback_step, d).await,
                    Err(e) => job.failed(rollback_step, e).await,
                }
                let summary = undone.unwrap_or_else(|e| e);
                job.finish(Err(format!("{} failed its health gate on {version}: {why}; {summary}", node.id))).await;
                return;
            }
        }
    }
    let chain_build = (version != BUNDLED).then_some(version.clone());
    let recorded = async {
        crate::store::chains::set_node_build(&state.db, &chain, chain_build.as_deref()).await?;
        crate::store::nodes::clear_builds(&state.db, &chain).await
    };
    if let Err(e) = recorded.await {
        tracing::error!(%chain, "recording the chain's build: {e}");
    }
    job.skipped(rollback_step, "every node passed its gate").await;
    tracing::info!(%chain, %version, nodes = nodes.len(), "rolling upgrade finished");
    job.finish(Ok(())).await;
}

/// The registered file is still the one registered.
fn check_build(build: Option<&NodeBuild>) -> Result<(), String> {
    let Some(b) = build else { return Ok(()) };
    let now = builds::sha256_file(std::path::Path::new(&b.path))?;
    if now != b.sha256 {
        return Err(format!(
            "{} changed since build {} was registered (SHA-256 {} then, {now} now); register it again under a new version",
            b.path, b.version, b.sha256
        ));
    }
    Ok(())
}

/// Drains, restarts on `version` and gates one node; a sentence for the
/// step's detail.
async fn upgrade_node(
    state: &AppState,
    chain: &str,
    node: &ManifestNode,
    version: &str,
    gate: Duration,
    job: &Job,
    step: usize,
) -> Result<String, String> {
    let net = state.material.network(chain).await.map_err(|e| e.to_string())?;
    if stopped_by_operator(state, chain, &node.id).await? {
        // Its operator's stop stands: it starts on the new build when
        // started again.
        record_build(state, chain, &node.id, version).await?;
        return Ok(format!("stopped by its operator; starts on {version} when started"));
    }
    job.running(step, &format!("draining {}", node.id)).await;
    if let Err(e) = net.drain(node).await {
        tracing::warn!(%chain, node = %node.id, "could not drain before the upgrade: {e}");
    }
    let target = others_height(&net, node).await;
    job.running(step, &format!("restarting {} on {version}", node.id)).await;
    restart_on(state, chain, node, version).await?;
    job.running(step, &format!("health gate: serving and at height {target} within {} s", gate.as_secs())).await;
    let status = health_gate(state, &net, chain, node, target, gate).await?;
    Ok(format!("on {version} (reports weft-node {}), at height {}", status.version, status.height))
}

/// Whether the node's operator stopped it through the API.
pub async fn stopped_by_operator(state: &AppState, chain: &str, node: &str) -> Result<bool, String> {
    let (desired, _) = crate::store::nodes::desired_and_limits(&state.db, chain, node).await.map_err(|e| e.detail)?;
    Ok(desired == "stopped")
}

/// The highest height the chain's other nodes report.
async fn others_height(net: &NetworkDir, node: &ManifestNode) -> u64 {
    let mut top = 0;
    for n in net.manifest().nodes.iter().filter(|n| n.id != node.id) {
        if let Ok(s) = net.status(n).await {
            top = top.max(s.height);
        }
    }
    top
}

/// The build `node` starts on from now on.
async fn record_build(state: &AppState, chain: &str, node: &str, version: &str) -> Result<(), String> {
    crate::store::nodes::set_build(&state.db, chain, node, version).await.map_err(|e| e.to_string())
}

/// Records `version` as the node's build and restarts it on it, under the
/// node lock so the monitor does not start it in between.
async fn restart_on(state: &AppState, chain: &str, node: &ManifestNode, version: &str) -> Result<(), String> {
    record_build(state, chain, &node.id, version).await?;
    builds::restart_node(state, chain, node).await.map(|_| ())
}

/// Serving, at `target` or above, and still so after [`SETTLE`].
async fn health_gate(
    state: &AppState,
    net: &NetworkDir,
    chain: &str,
    node: &ManifestNode,
    target: u64,
    gate: Duration,
) -> Result<weft_proto::StatusResponse, String> {
    let deadline = Instant::now() + gate;
    loop {
        if state.driver.pid(chain, node).is_none() {
            return Err(format!("it exited; last lines of its log:\n{}", state.driver.log_tail(chain, node, 12)));
        }
        let last = match (net.health(node).await, net.status(node).await) {
            (Ok(()), Ok(s)) if s.height >= target => {
                tokio::time::sleep(SETTLE).await;
                if state.driver.pid(chain, node).is_none() {
                    return Err(format!(
                        "it served, then exited; last lines of its log:\n{}",
                        state.driver.log_tail(chain, node, 12)
                    ));
                }
                return net.health(node).await.map(|()| s).map_err(|e| format!("it served, then stopped: {e}"));
            }
            (Ok(()), Ok(s)) => format!("at height {} of {target}", s.height),
            (Err(e), _) | (_, Err(e)) => e.to_string(),
        };
        if Instant::now() > deadline {
            return Err(format!("not serving at height {target} after {} s: {last}", gate.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Puts each upgraded node back on the build it ran before, last first.
async fn roll_back(state: &AppState, chain: &str, upgraded: &[(ManifestNode, String)]) -> Result<String, String> {
    let net = state.material.network(chain).await.map_err(|e| e.to_string())?;
    let mut back = Vec::new();
    for (node, before) in upgraded.iter().rev() {
        restart_on(state, chain, node, before).await?;
        health_gate(state, &net, chain, node, 0, ROLLBACK_GATE)
            .await
            .map_err(|e| format!("{} did not come back on {before}: {e}", node.id))?;
        back.push(format!("{} on {before}", node.id));
    }
    Ok(format!("rolled back: {}", back.join(", ")))
}
