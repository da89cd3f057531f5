//! Restoring a whole chain in place from one of its verified backups (the
//! disaster case: ledgers lost or corrupted on every node), as a job: the
//! backup's sealed keys fill in any missing key or certificate, every node
//! is stopped, its data directory set aside (kept beside it, not deleted),
//! the backup's state snapshot placed for it to import, and every node
//! started again. Solo and raft orderers found their group afresh at the
//! restored height; the chain's further channels are rejoined from their
//! own snapshots in the backup (`restore_channels`); the job ends when
//! every node serves and a peer of each channel reports the backup's
//! height and state hash. PBFT chains are refused: their
//! replicas' views and checkpoints are not in a state snapshot.

use weft_provision::NodeRoleName;

use crate::ops::jobs::{AtStep, Job, StepError};
use crate::ops::restore_channels;
use crate::AppState;

pub const STEPS: [&str; 6] =
    ["key material", "stop nodes", "restore ledgers", "start nodes", "rejoin channels", "verify"];

pub async fn run(state: AppState, chain: String, source: Source, job: Job) {
    match steps(&state, &chain, &source, &job).await {
        Ok(()) => {
            tracing::info!(%chain, backup = %source.id, "chain restored");
            job.finish(Ok(())).await;
        }
        Err((step, why)) => {
            job.failed(step, &why).await;
            tracing::error!(%chain, backup = %source.id, "restoring the chain failed: {why}");
            job.finish(Err(format!(
                "step {:?} failed: {why}; the ledgers set aside are in each node's directory as data.before-restore",
                STEPS[step]
            )))
            .await;
        }
    }
}

async fn steps(state: &AppState, chain: &str, source: &Source, job: &Job) -> Result<(), StepError> {
    job.running(0, "opening the backup's sealed keys").await;
    let (restored, present) = restore_keys(state, chain, source).await.at_step(0)?;
    job.done(0, &format!("{restored} key and certificate files restored, {present} present")).await;

    let net = state.material.network(chain).await.at_step(1)?;
    let nodes = net.manifest().nodes.clone();
    let backup_dir = source.snapshot.parent().expect("a backup's file is in its directory");
    let channels = restore_channels::plan(state, chain, &net, backup_dir, &source.channels).await.at_step(1)?;
    let ops = state.node_ops.lock().await;
    job.running(1, &format!("stopping {} nodes", nodes.len())).await;
    for node in &nodes {
        let (driver, c, n) = (state.driver.clone(), chain.to_string(), node.clone());
        tokio::task::spawn_blocking(move || driver.stop(&c, &n))
            .await
            .at_step(1)?
            .map_err(|e| (1, format!("stopping {}: {e}", node.id)))?;
    }
    job.done(1, &format!("{} nodes stopped", nodes.len())).await;

    job.running(2, &format!("placing the state at height {} for every node", source.height)).await;
    for node in &nodes {
        state
            .driver
            .place_snapshot(chain, node, &net.manifest().channel, &source.snapshot, true)
            .map_err(|e| (2, format!("{}: {e}", node.id)))?;
    }
    let placed = restore_channels::place(state, chain, &channels).at_step(2)?;
    let more = if placed > 0 { format!(", {placed} of further channels") } else { String::new() };
    job.done(2, &format!("{} ledgers set aside as data.before-restore; snapshots placed{more}", nodes.len())).await;

    job.running(3, "starting every node").await;
    for node in &nodes {
        let (_, limits) = crate::ops::builds::start_node(state, chain, node).await.at_step(3)?;
        crate::store::nodes::record(&state.db, chain, node, &limits.describe()).await.at_step(3)?;
    }
    drop(ops);
    crate::ops::provision::wait_healthy(state, chain, &nodes, job, 3).await.at_step(3)?;
    job.done(3, &format!("{} nodes serving", nodes.len())).await;

    if channels.is_empty() {
        job.skipped(4, "the chain has no further channel").await;
    } else {
        job.running(4, &format!("rejoining {} channels", channels.len())).await;
        let rejoined = restore_channels::rejoin(&net, &channels).await.at_step(4)?;
        job.done(4, &rejoined.join("; ")).await;
    }

    job.running(5, "comparing a peer's state with the backup's").await;
    let peer = nodes.iter().find(|n| n.roles.contains(&NodeRoleName::Peer)).ok_or((5, "no peer".to_string()))?;
    let main = &net.manifest().channel;
    let detail = restore_channels::peer_has(state, chain, &net, peer, main, source.height, &source.state_hash)
        .await
        .at_step(5)?;
    let others = restore_channels::verify(state, chain, &net, &channels).await.at_step(5)?;
    let detail = std::iter::once(detail).chain(others).collect::<Vec<_>>().join("; ");
    job.done(5, &detail).await;
    Ok(())
}

/// Writes back every key or certificate of the backup the chain lost;
/// leaves present ones alone. (restored, present)
async fn restore_keys(state: &AppState, chain: &str, source: &Source) -> Result<(usize, usize), String> {
    let sealed_path = source.snapshot.with_file_name("keys.sealed");
    let sealed =
        std::fs::read_to_string(&sealed_path).map_err(|e| format!("reading {}: {e}", sealed_path.display()))?;
    let plain = state.master_key.open(&sealed, &format!("backup/{}", source.id))?;
    let files: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&plain).map_err(|e| format!("the sealed keys are unreadable: {e}"))?;
    // The nodes' homes are the runtime's; the rest is the chain's material.
    let (homes, material) = files.into_iter().partition(|(path, _)| path.starts_with("nodes/"));
    let (a, b) = state.material.restore_key_material(chain, material).await.map_err(|e| e.to_string())?;
    let (c, d) = state.driver.restore_home_credentials(chain, homes)?;
    Ok((a + c, b + d))
}

/// What the job needs of the backup.
pub struct Source {
    pub id: String,
    pub snapshot: std::path::PathBuf,
    pub height: u64,
    pub state_hash: String,
    /// The further channels the backup holds a snapshot of.
    pub channels: Vec<crate::store::backups::ChannelBackup>,
}
