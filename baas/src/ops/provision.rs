//! The bodies of chain jobs, run in the background: create (crypto,
//! genesis, start nodes, health — undoing everything if a step fails) and
//! delete (stop nodes, archive data); and, at server start, re-attaching to
//! the nodes that kept running while the server was down.

use std::time::{Duration, Instant};

use weft_provision::network::NetworkDir;
use weft_provision::{InitStage, ManifestNode, Template};

use crate::db::now;
use crate::ops::jobs::{AtStep, Job, StepError};
use crate::AppState;

pub const CREATE_STEPS: [&str; 4] = ["crypto", "genesis", "start nodes", "health"];
pub const DELETE_STEPS: [&str; 2] = ["stop nodes", "archive data"];

/// How long a new chain's nodes get to become healthy.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(90);
/// How long every node must then keep serving before the chain counts as
/// running: a node that starts and falls over at once (a bad config, a
/// memory limit too low) fails the job instead of leaving a broken chain.
const SETTLE: Duration = Duration::from_secs(2);

pub async fn create_chain(state: AppState, chain: String, template: Template, job: Job) {
    let outcome = create_steps(&state, &chain, template, &job).await;
    match outcome {
        Ok(()) => {
            set_status(&state, &chain, "running", "").await;
            job.finish(Ok(())).await;
            tracing::info!(%chain, "chain is running");
        }
        Err((step, why)) => {
            job.failed(step, &why).await;
            let undone = rollback(&state, &chain).await;
            let detail = format!("step {:?} failed: {why}; {undone}", CREATE_STEPS[step]);
            tracing::warn!(%chain, "creating the chain failed: {detail}");
            set_status(&state, &chain, "failed", &detail).await;
            job.finish(Err(detail)).await;
        }
    }
}

async fn create_steps(state: &AppState, chain: &str, template: Template, job: &Job) -> Result<(), StepError> {
    job.running(0, "generating org CAs, admin, client and node certificates").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let material = state.material.clone();
    let id = chain.to_string();
    let work = tokio::spawn(async move { material.create(&id, template, tx).await });
    while let Some(stage) = rx.recv().await {
        match stage {
            InitStage::Crypto => {
                job.done(0, "org CAs and certificates written").await;
                job.running(1, "writing the genesis block and node configs").await;
            }
            InitStage::Genesis => job.done(1, "genesis block written").await,
        }
    }
    let made = match work.await {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return Err((first_unfinished(job).await, e.to_string())),
        Err(e) => return Err((0, format!("the provisioning task failed: {e}"))),
    };
    for (node, home) in &made.homes {
        state.driver.place_home(chain, node, home).map_err(|e| (1, format!("writing {node}'s home: {e}")))?;
    }
    let manifest = made.manifest;

    let total = manifest.nodes.len();
    for (i, node) in manifest.nodes.iter().enumerate() {
        job.running(2, &format!("starting {} ({} of {total})", node.id, i + 1)).await;
        let (pid, limits) = crate::ops::builds::start_node(state, chain, node).await.at_step(2)?;
        crate::store::nodes::record(&state.db, chain, node, &limits.describe()).await.at_step(2)?;
        tracing::info!(%chain, node = %node.id, pid, limits = %limits.describe(), "node started");
    }
    let limits = crate::store::nodes::limits_summary(&state.db, chain).await;
    job.done(2, &format!("{total} nodes started; limits {limits}")).await;

    job.running(3, &format!("waiting for {total} nodes to serve")).await;
    wait_healthy(state, chain, &manifest.nodes, job, 3).await.at_step(3)?;
    job.done(3, &format!("{total} of {total} nodes serving")).await;
    Ok(())
}

async fn first_unfinished(job: &Job) -> usize {
    match crate::ops::jobs::load(job.db(), &job.id).await {
        Ok(Some(v)) => v.steps.iter().position(|s| s.status != "done").unwrap_or(0),
        _ => 0,
    }
}

/// Waits until every one of `nodes` serves (and still does after
/// [`SETTLE`]), reporting progress on `job`'s step `step`.
pub(crate) async fn wait_healthy(
    state: &AppState,
    chain: &str,
    nodes: &[ManifestNode],
    job: &Job,
    step: usize,
) -> Result<(), String> {
    let admin = state.material.network(chain).await.map_err(|e| e.to_string())?;
    let deadline = Instant::now() + HEALTH_TIMEOUT;
    let mut healthy = vec![false; nodes.len()];
    loop {
        let mut last = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            if healthy[i] {
                continue;
            }
            if state.driver.pid(chain, node).is_none() {
                return Err(format!(
                    "{} exited while starting; last lines of its log:\n{}",
                    node.id,
                    state.driver.log_tail(chain, node, 12)
                ));
            }
            match admin.health(node).await {
                Ok(()) => healthy[i] = true,
                Err(why) => last.push(format!("{}: {why}", node.id)),
            }
        }
        let up = healthy.iter().filter(|h| **h).count();
        if up == healthy.len() {
            return settled(state, chain, nodes, &admin).await;
        }
        if Instant::now() > deadline {
            return Err(format!("not every node served within {} s: {}", HEALTH_TIMEOUT.as_secs(), last.join("; ")));
        }
        job.running(step, &format!("{up} of {} nodes serving", healthy.len())).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn settled(state: &AppState, chain: &str, nodes: &[ManifestNode], admin: &NetworkDir) -> Result<(), String> {
    tokio::time::sleep(SETTLE).await;
    for node in nodes {
        if state.driver.pid(chain, node).is_none() {
            return Err(format!(
                "{} served, then exited; last lines of its log:\n{}",
                node.id,
                state.driver.log_tail(chain, node, 12)
            ));
        }
        admin.health(node).await.map_err(|why| format!("{} served, then stopped: {why}", node.id))?;
    }
    Ok(())
}

/// Stops whatever a failed creation started and removes its files; says
/// what it undid.
async fn rollback(state: &AppState, chain: &str) -> String {
    let driver = state.driver.clone();
    let id = chain.to_string();
    let manifest = state.material.manifest(chain).await.ok();
    let stopped = tokio::task::spawn_blocking(move || {
        let mut stopped = 0;
        for node in manifest.iter().flat_map(|m| &m.nodes) {
            if let Ok(Some(_)) = driver.stop(&id, node) {
                stopped += 1;
            }
        }
        driver.remove(&id);
        stopped
    })
    .await
    .unwrap_or(0);
    let _ = crate::store::nodes::remove_all(&state.db, chain).await;
    let _ = state.material.remove(chain).await;
    format!("rolled back: {stopped} started nodes stopped, the chain's files and material removed")
}

pub async fn delete_chain(state: AppState, chain: String, job: Job) {
    job.running(0, "stopping nodes").await;
    let driver = state.driver.clone();
    let id = chain.clone();
    let manifest = state.material.manifest(&chain).await;
    let stopped = tokio::task::spawn_blocking(move || -> Result<usize, String> {
        let Ok(manifest) = manifest else { return Ok(0) };
        let mut n = 0;
        for node in &manifest.nodes {
            if driver.stop(&id, node).map_err(|e| format!("stopping {}: {e}", node.id))?.is_some() {
                n += 1;
            }
        }
        Ok(n)
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    let stopped = match stopped {
        Ok(n) => n,
        Err(why) => {
            job.failed(0, &why).await;
            set_status(&state, &chain, "failed", &format!("deleting failed: {why}")).await;
            job.finish(Err(why)).await;
            return;
        }
    };
    job.done(0, &format!("{stopped} nodes stopped")).await;
    job.running(1, "moving the chain's data to the archive").await;
    let at = now();
    let archived = if state.driver.exists(&chain) {
        state.driver.archive(&chain, at).map(|p| format!("data archived in {}", p.display()))
    } else {
        Ok("the chain had no data to archive".to_string())
    };
    match archived {
        Ok(detail) => {
            job.done(1, &detail).await;
            state.gateways.forget(&chain);
            let _ = crate::store::chains::mark_deleted(&state.db, &chain, &detail, at).await;
            let _ = crate::store::nodes::stop_all(&state.db, &chain).await;
            job.finish(Ok(())).await;
            tracing::info!(%chain, "{detail}");
        }
        Err(e) => {
            let why = format!("archiving the chain's data: {e}");
            job.failed(1, &why).await;
            set_status(&state, &chain, "failed", &why).await;
            job.finish(Err(why)).await;
        }
    }
}

pub(crate) async fn set_status(state: &AppState, chain: &str, status: &str, detail: &str) {
    if let Err(e) = crate::store::chains::set_status(&state.db, chain, status, detail).await {
        tracing::error!(%chain, "recording chain status {status}: {e}");
    }
}

/// At start: jobs a stopped server left half done are failed and undone,
/// and running chains are looked at again — their nodes kept running as
/// processes of their own, and are found by their pid files.
pub async fn reattach(state: &AppState) -> anyhow::Result<()> {
    for (job, chain, kind) in crate::ops::jobs::interrupted(&state.db).await? {
        tracing::warn!(%job, %chain, %kind, "a job was interrupted by the server stopping; undoing it");
        match kind.as_str() {
            "create" => {
                let undone = rollback(state, &chain).await;
                set_status(state, &chain, "failed", &format!("interrupted by a server restart; {undone}")).await;
            }
            "delete" => {
                set_status(state, &chain, "failed", "deleting was interrupted by a server restart; delete again").await
            }
            // A benchmark leaves nothing to undo; the chain runs on.
            "benchmark" => {}
            // A half-taken backup is not one.
            "backup" => {
                crate::store::backups::fail_of_job(&state.db, &job).await?;
            }
            // A membership change cut off half way: the chain keeps
            // running; its nodes list shows what was left.
            _ => {
                tracing::warn!(%job, %chain, %kind, "check the chain's nodes and orgs (GET …/nodes) and redo the change")
            }
        }
    }
    for chain in crate::store::chains::running_ids(&state.db).await? {
        let Ok(manifest) = state.material.manifest(&chain).await else {
            tracing::error!(%chain, "a running chain's material is missing from the database");
            continue;
        };
        let running = manifest.nodes.iter().filter(|n| state.driver.pid(&chain, n).is_some()).count();
        tracing::info!(%chain, running, nodes = manifest.nodes.len(), "re-attached to chain");
    }
    Ok(())
}
