//! Repair, the last part of a chain's round: a node whose process is gone
//! though nobody stopped it is restarted (at most `RESTARTS` times in
//! `RESTART_WINDOW`; past that it stays down and its node-down alarm keeps
//! firing), and one the rules give up on is replaced with a standby.

use std::time::{Duration, Instant};

use weft_provision::network::NetworkDir;

use super::rules::{self, Observation, Rule};
use super::{Memory, MonitorConfig};
use crate::ops::standby;
use crate::AppState;

const RESTARTS: usize = 3;
const RESTART_WINDOW: Duration = Duration::from_secs(600);

#[allow(clippy::too_many_arguments)]
pub(super) async fn repair(
    state: &AppState,
    config: &MonitorConfig,
    memory: &mut Memory,
    net: &NetworkDir,
    chain: &str,
    tenant: &str,
    observed: &[Observation],
    firing: &[(String, Rule, String)],
    now: i64,
) {
    for (node, rule, _) in firing {
        if *rule == Rule::NodeCrashed {
            restart(state, memory, net, chain, node).await;
        }
    }
    for node in rules::to_replace(observed, now, config.thresholds) {
        let key = (chain.to_string(), node.clone());
        let Some(failed) = net.manifest().nodes.iter().find(|n| n.id == node) else { continue };
        // One job on a chain at a time: a replacement waits for the rest.
        if memory.replacing.contains_key(&key) || crate::ops::upgrades::no_job_running(state, chain).await.is_err() {
            continue;
        }
        match standby::start(state, chain, tenant, failed).await {
            Ok(job) => memory.replacing.insert(key, job),
            Err(e) => {
                tracing::error!(%chain, %node, "could not start replacing the node: {e}");
                continue;
            }
        };
    }
}

async fn restart(state: &AppState, memory: &mut Memory, net: &NetworkDir, chain: &str, node: &str) {
    let Some(n) = net.manifest().nodes.iter().find(|n| n.id == node).cloned() else { return };
    // Under the node lock, and only if it is still wanted on a running
    // chain: an operator may have stopped, removed or deleted it since.
    let _ops = state.node_ops.lock().await;
    let still = crate::store::nodes::wanted_running(&state.db, chain, node).await;
    if !matches!(still, Ok(true)) || state.driver.pid(chain, &n).is_some() {
        return;
    }
    let recent = memory.restarts.entry((chain.to_string(), node.to_string())).or_default();
    recent.retain(|t| t.elapsed() < RESTART_WINDOW);
    if recent.len() >= RESTARTS {
        tracing::warn!(%chain, %node, "crashed again; left down after {RESTARTS} restarts in {} min", RESTART_WINDOW.as_secs() / 60);
        return;
    }
    recent.push(Instant::now());
    match crate::ops::builds::start_node(state, chain, &n).await {
        Ok((pid, _)) => tracing::warn!(%chain, %node, pid, "restarted a crashed node"),
        Err(e) => tracing::error!(%chain, %node, error = %e, "could not restart a crashed node"),
    }
}
