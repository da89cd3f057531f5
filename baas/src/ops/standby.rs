//! Replacing a peer that stays down (the monitor's "standby takes over"):
//! a standby peer of the same org is admitted and started from a state
//! snapshot of an answering peer — so it serves within seconds instead of
//! replaying the chain — and then the failed peer is taken out of the
//! channel configuration and stopped. Both halves are the ordinary add-node
//! and remove-node jobs, run as sub-jobs of one `replace-node` job.

use weft_provision::{ManifestNode, NodeRequest, NodeRoleName};

use crate::ops::jobs::{AtStep, Job, StepError};
use crate::ops::membership;
use crate::ops::membership::node_demand;
use crate::quotas::add_to_chain;
use crate::AppState;

pub const STEPS: [&str; 2] = ["start standby", "retire the failed node"];

/// Starts the replacement job of `failed` on `chain`; its id.
pub async fn start(state: &AppState, chain: &str, tenant: &str, failed: &ManifestNode) -> Result<String, String> {
    let job = Job::start(&state.db, chain, "replace-node", &STEPS).await.map_err(|p| p.detail)?;
    tracing::warn!(%chain, node = %failed.id, job = %job.id, "node down past the standby threshold; replacing it");
    let event = serde_json::json!({"event": "node.replacing", "tenant_id": tenant, "chain_id": chain,
        "node_id": failed.id, "job_id": job.id});
    crate::monitor::webhooks::deliver(state, tenant, &job.id, event).await;
    state.jobs.spawn(run(state.clone(), chain.to_string(), failed.clone(), job.clone()));
    Ok(job.id)
}

async fn run(state: AppState, chain: String, failed: ManifestNode, job: Job) {
    match steps(&state, &chain, &failed, &job).await {
        Ok(standby) => {
            tracing::info!(%chain, failed = %failed.id, %standby, "standby took over");
            job.finish(Ok(())).await;
        }
        Err((step, why)) => {
            job.failed(step, &why).await;
            tracing::warn!(%chain, failed = %failed.id, "replacing the node failed: {why}");
            job.finish(Err(format!("step {:?} failed: {why}", STEPS[step]))).await;
        }
    }
}

/// Waits for a sub-job and turns its failure into this job's.
async fn outcome(job: &Job) -> Result<(), String> {
    let view = job.view().await.map_err(|p| p.detail)?;
    match view.status.as_str() {
        "succeeded" => Ok(()),
        _ => Err(format!("job {} ({}) failed: {}", view.id, view.kind, view.error)),
    }
}

async fn steps(state: &AppState, chain: &str, failed: &ManifestNode, job: &Job) -> Result<String, StepError> {
    let before: Vec<String> =
        state.material.network(chain).await.at_step(0)?.manifest().nodes.iter().map(|n| n.id.clone()).collect();
    let demand = node_demand(&state.db, chain, &failed.org).await.map_err(|p| (0, p.detail))?;
    // The platform's own repair: counted, not refused by the quota; the
    // failed node's share is released when it is retired.
    add_to_chain(&state.db, chain, &demand, 1).await.at_step(0)?;
    let add = Job::start(&state.db, chain, "add-node", &membership::ADD_STEPS).await.map_err(|p| (0, p.detail))?;
    job.running(0, &format!("a {} peer joins from a snapshot (job {})", failed.org, add.id)).await;
    let request = NodeRequest {
        org: failed.org.clone(),
        roles: vec![NodeRoleName::Peer],
        host: None,
        cert_validity_days: 365,
        join_from_snapshot: true,
    };
    membership::add_node(state.clone(), chain.to_string(), request, None, demand, add.clone()).await;
    outcome(&add).await.at_step(0)?;
    let net = state.material.network(chain).await.at_step(0)?;
    let standby = net
        .manifest()
        .nodes
        .iter()
        .find(|n| !before.contains(&n.id))
        .map(|n| n.id.clone())
        .ok_or((0, "the standby is not in the chain's manifest".to_string()))?;
    job.done(0, &format!("{standby} serving (job {})", add.id)).await;

    let acting = net
        .manifest()
        .nodes
        .iter()
        .find(|n| n.id != failed.id && n.roles.contains(&NodeRoleName::Peer))
        .map(|n| n.org.clone())
        .unwrap_or_else(|| failed.org.clone());
    let remove =
        Job::start(&state.db, chain, "remove-node", &membership::REMOVE_STEPS).await.map_err(|p| (1, p.detail))?;
    job.running(1, &format!("taking {} out of the configuration (job {})", failed.id, remove.id)).await;
    membership::remove_node(state.clone(), chain.to_string(), failed.clone(), acting, demand, remove.clone()).await;
    outcome(&remove).await.at_step(1)?;
    job.done(1, &format!("{} removed and stopped; {standby} took its place (job {})", failed.id, remove.id)).await;
    Ok(standby)
}
