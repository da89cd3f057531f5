//! Backups of a chain: a node's state snapshot (its ledger's world state
//! and transaction index at one height, with the block holding the
//! configuration in force) and the chain's key material (every org's CA,
//! admin and client credentials and every node's key and certificate),
//! sealed with the master key; and a snapshot of each further channel of
//! the chain, taken on a peer that serves it (`channels/<name>.snapshot`).
//! Each backup is verified before it counts:
//! `weft-node --check-snapshot` restores it into a throwaway ledger and the
//! state hash it recomputes must equal the one the node reported. A backup
//! restores to a new peer (`POST …/nodes {"from_backup": id}`), which
//! starts from the backup's state and follows the chain's blocks after it.

use std::path::PathBuf;

use weft_provision::NodeRoleName;

use crate::ops::jobs::{AtStep, Job, StepError};
use crate::problem::Problem;
use crate::secrets::new_id;
use crate::store::backups::{load, Backup, ChannelBackup};
use crate::AppState;

pub const STEPS: [&str; 3] = ["snapshot", "key material", "verify"];

/// Where a backup's files live: `<data-dir>/backups/<chain>/<backup>/`.
fn dir_of(state: &AppState, chain: &str, backup: &str) -> PathBuf {
    state.material.backups_dir().join(chain).join(backup)
}

/// The snapshot file of a verified backup of `chain`, for a restore.
pub async fn verified_snapshot(state: &AppState, chain: &str, backup: &str) -> Result<PathBuf, Problem> {
    let status = crate::store::backups::status(&state.db, chain, backup)
        .await?
        .ok_or_else(|| Problem::unprocessable(format!("from_backup: no backup {backup:?} of this chain")))?;
    if status != "verified" {
        return Err(Problem::unprocessable(format!(
            "from_backup: backup {backup} is {status}; only a verified backup is restored"
        )));
    }
    Ok(dir_of(state, chain, backup).join("state.snapshot"))
}

/// Starts a backup job of `chain` (running) from `node` (default: its
/// first peer), recorded as made by `by`.
pub async fn begin(state: &AppState, chain: &str, node: Option<&str>, by: &str) -> Result<(Backup, Job), Problem> {
    let net = state.material.network(chain).await.map_err(Problem::conflict)?;
    let node = match node {
        Some(n) => net.manifest().nodes.iter().find(|m| m.id == n),
        None => net.manifest().nodes.iter().find(|m| m.roles.contains(&NodeRoleName::Peer)),
    }
    .ok_or_else(|| {
        let ids: Vec<&str> = net.manifest().nodes.iter().map(|n| n.id.as_str()).collect();
        Problem::unprocessable(format!("node: {node:?} is not one of the chain's nodes ({})", ids.join(", ")))
    })?
    .clone();
    let job = Job::start(&state.db, chain, "backup", &STEPS).await?;
    let id = new_id();
    let nodes: Vec<&str> = net.manifest().nodes.iter().map(|n| n.id.as_str()).collect();
    crate::store::backups::insert(&state.db, &id, chain, &node.id, &job.id, by, &nodes).await?;
    tracing::info!(%chain, node = %node.id, %by, job = %job.id, "backup started");
    state.jobs.spawn(run(state.clone(), chain.to_string(), id.clone(), node, job.clone()));
    Ok((load(&state.db, chain, &id).await?, job))
}

/// The job: snapshot, key material, verification; the row records each.
async fn run(state: AppState, chain: String, id: String, node: weft_provision::ManifestNode, job: Job) {
    let outcome = steps(&state, &chain, &id, &node, &job).await;
    let status = if outcome.is_ok() { "verified" } else { "failed" };
    let _ = crate::store::backups::set_status(&state.db, &id, status).await;
    match outcome {
        Ok(()) => {
            tracing::info!(%chain, backup = %id, "backup taken and verified");
            job.finish(Ok(())).await;
        }
        Err((step, why)) => {
            job.failed(step, &why).await;
            let _ = std::fs::remove_dir_all(dir_of(&state, &chain, &id));
            tracing::warn!(%chain, backup = %id, "backup failed: {why}");
            job.finish(Err(format!("step {:?} failed: {why}; nothing was kept", STEPS[step]))).await;
        }
    }
}

async fn steps(
    state: &AppState,
    chain: &str,
    id: &str,
    node: &weft_provision::ManifestNode,
    job: &Job,
) -> Result<(), StepError> {
    let dir = dir_of(state, chain, id);
    std::fs::create_dir_all(&dir).map_err(|e| (0, format!("creating {}: {e}", dir.display())))?;

    job.running(0, &format!("{} writes a state snapshot", node.id)).await;
    let net = state.material.network(chain).await.at_step(0)?;
    let taken = net.snapshot(node).await.at_step(0)?;
    let file = dir.join("state.snapshot");
    let bytes = state.driver.take_snapshot(chain, node, &taken.path, &file).at_step(0)?;
    let hash = hex::encode(&taken.state_hash);
    crate::store::backups::set_taken(&state.db, id, taken.height, &hash, bytes).await.at_step(0)?;
    let channels = snapshot_channels(state, chain, &net, node, &dir).await.at_step(0)?;
    crate::store::backups::set_channels(&state.db, id, &channels).await.at_step(0)?;
    let more: String =
        channels.iter().map(|c| format!("; {} at height {} on {}", c.channel, c.height, c.node_id)).collect();
    job.done(0, &format!("height {}, {bytes} bytes, state {}{more}", taken.height, &hash[..16])).await;

    job.running(1, "sealing the chain's keys and certificates").await;
    let mut keys = state.material.key_material(chain).await.at_step(1)?;
    keys.extend(state.driver.home_credentials(chain).at_step(1)?);
    let sealed = state.master_key.seal(&serde_json::to_vec(&keys).expect("serialises"), &format!("backup/{id}"));
    std::fs::write(dir.join("keys.sealed"), sealed).map_err(|e| (1, format!("writing the sealed keys: {e}")))?;
    job.done(1, &format!("{} files sealed with the master key", keys.len())).await;

    job.running(2, "restoring the snapshot into a scratch ledger").await;
    check_snapshot(state, &file, taken.height, &hash).await.at_step(2)?;
    for c in &channels {
        let file = channel_file(&dir, &c.channel);
        check_snapshot(state, &file, c.height, &c.state_hash).await.map_err(|e| (2, format!("{}: {e}", c.channel)))?;
    }
    let all = if channels.is_empty() { String::new() } else { format!(" (and {} further channels')", channels.len()) };
    job.done(2, &format!("restored: height {} and state hash match{all}", taken.height)).await;
    Ok(())
}

/// Where a backup keeps a further channel's snapshot.
pub fn channel_file(dir: &std::path::Path, channel: &str) -> PathBuf {
    dir.join("channels").join(format!("{channel}.snapshot"))
}

/// A snapshot of each of the chain's further channels, from `node` when
/// it serves it, else from a peer of one of the channel's orgs.
async fn snapshot_channels(
    state: &AppState,
    chain: &str,
    net: &weft_provision::network::NetworkDir,
    node: &weft_provision::ManifestNode,
    dir: &std::path::Path,
) -> Result<Vec<ChannelBackup>, String> {
    let mut taken = Vec::new();
    for (channel, orgs, _) in crate::store::channels::recorded(&state.db, chain).await.map_err(|p| p.detail)? {
        let is_peer = |n: &&weft_provision::ManifestNode| n.roles.contains(&NodeRoleName::Peer);
        let from = std::iter::once(node)
            .chain(net.manifest().nodes.iter())
            .filter(is_peer)
            .find(|n| orgs.contains(&n.org))
            .ok_or_else(|| format!("channel {channel} has no peer to take its snapshot"))?;
        let written = net.snapshot_of(from, &channel).await.map_err(|e| format!("channel {channel}: {e}"))?;
        let file = channel_file(dir, &channel);
        std::fs::create_dir_all(file.parent().expect("in channels/"))
            .map_err(|e| format!("creating channels/: {e}"))?;
        let bytes = state.driver.take_snapshot(chain, from, &written.path, &file)?;
        taken.push(ChannelBackup {
            channel,
            node_id: from.id.clone(),
            height: written.height,
            state_hash: hex::encode(&written.state_hash),
            bytes,
        });
    }
    Ok(taken)
}

/// `weft-node --check-snapshot`: the file restores into a scratch ledger
/// at `height` with state `hash` (hex).
async fn check_snapshot(state: &AppState, file: &std::path::Path, height: u64, hash: &str) -> Result<(), String> {
    let binary = state.driver.node_binary();
    let out = tokio::process::Command::new(&binary)
        .arg("--check-snapshot")
        .arg(file)
        .output()
        .await
        .map_err(|e| format!("running {} --check-snapshot: {e}", binary.display()))?;
    if !out.status.success() {
        return Err(format!("the backup does not restore: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let checked: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable check output: {e}"))?;
    let (got_height, got_hash) = (checked["height"].as_u64(), checked["state_hash"].as_str().unwrap_or_default());
    if got_height != Some(height) || got_hash != hash {
        return Err(format!(
            "restored to height {got_height:?} with state {got_hash}, but the node reported height {height} with state {hash}"
        ));
    }
    Ok(())
}
