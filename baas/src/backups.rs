//! Backups of a chain: a node's state snapshot (its ledger's world state
//! and transaction index at one height, with the block holding the
//! configuration in force) and the chain's key material (every org's CA,
//! admin and client credentials and every node's key and certificate),
//! sealed with the master key. Each backup is verified before it counts:
//! `weft-node --check-snapshot` restores it into a throwaway ledger and the
//! state hash it recomputes must equal the one the node reported. A backup
//! restores to a new peer (`POST …/nodes {"from_backup": id}`), which
//! starts from the backup's state and follows the chain's blocks after it.

use std::path::PathBuf;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;
use weft_provision::NodeRoleName;

use crate::db::now;
use crate::jobs::{Job, JobView};
use crate::json::ApiJson;
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::secrets::new_id;
use crate::store::chains::{manageable_running, readable};
use crate::AppState;

pub const STEPS: [&str; 3] = ["snapshot", "key material", "verify"];

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBackup {
    /// The node whose state is taken (default: the chain's first peer).
    pub node: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Backup {
    pub id: String,
    pub chain_id: String,
    pub node_id: String,
    pub job_id: String,
    /// running | verified | failed | pruned (a scheduled backup past its
    /// schedule's `keep`: its files are gone)
    pub status: String,
    /// Blocks below this height are in the state.
    pub height: Option<i64>,
    /// Hex SHA-256 of the world state, as the node reported it and as the
    /// verification recomputed it from the restored backup.
    pub state_hash: Option<String>,
    pub bytes: Option<i64>,
    /// The user who asked, or "schedule".
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupAccepted {
    pub backup: Backup,
    pub job: JobView,
}

fn backup_of(r: &AnyRow) -> Result<Backup, sqlx::Error> {
    Ok(Backup {
        id: r.try_get("id")?,
        chain_id: r.try_get("chain_id")?,
        node_id: r.try_get("node_id")?,
        job_id: r.try_get("job_id")?,
        status: r.try_get("status")?,
        height: r.try_get("height")?,
        state_hash: r.try_get("state_hash")?,
        bytes: r.try_get("bytes")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Where a backup's files live: `<data-dir>/backups/<chain>/<backup>/`.
fn dir_of(state: &AppState, chain: &str, backup: &str) -> PathBuf {
    state.driver.backups_dir().join(chain).join(backup)
}

/// The snapshot file of a verified backup of `chain`, for a restore.
pub async fn verified_snapshot(state: &AppState, chain: &str, backup: &str) -> Result<PathBuf, Problem> {
    let row = sqlx::query("SELECT status FROM backups WHERE id = $1 AND chain_id = $2")
        .bind(backup)
        .bind(chain)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(|| Problem::unprocessable(format!("from_backup: no backup {backup:?} of this chain")))?;
    let status: String = row.try_get("status")?;
    if status != "verified" {
        return Err(Problem::unprocessable(format!(
            "from_backup: backup {backup} is {status}; only a verified backup is restored"
        )));
    }
    Ok(dir_of(state, chain, backup).join("state.snapshot"))
}

#[utoipa::path(post, path = "/api/chains/{chain}/backups", tag = "backups", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = NewBackup,
    responses((status = 202, body = BackupAccepted), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<NewBackup>,
) -> ApiResult<(StatusCode, Json<BackupAccepted>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "backups are taken of running chains").await?;
    let (backup, job) = begin(&state, &chain.id, req.node.as_deref(), &caller.username).await?;
    Ok((StatusCode::ACCEPTED, Json(BackupAccepted { backup, job: job.view().await? })))
}

/// Starts a backup job of `chain` (running) from `node` (default: its
/// first peer), recorded as made by `by`.
pub async fn begin(state: &AppState, chain: &str, node: Option<&str>, by: &str) -> Result<(Backup, Job), Problem> {
    let net = state.driver.network(chain).map_err(Problem::conflict)?;
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
    sqlx::query(
        "INSERT INTO backups (id, chain_id, node_id, job_id, status, created_by, created_at, nodes) \
         VALUES ($1, $2, $3, $4, 'running', $5, $6, $7)",
    )
    .bind(&id)
    .bind(chain)
    .bind(&node.id)
    .bind(&job.id)
    .bind(by)
    .bind(now())
    .bind(nodes.join(","))
    .execute(&state.db)
    .await?;
    tracing::info!(%chain, node = %node.id, %by, job = %job.id, "backup started");
    state.jobs.spawn(run(state.clone(), chain.to_string(), id.clone(), node, job.clone()));
    Ok((load(state, chain, &id).await?, job))
}

async fn load(state: &AppState, chain: &str, id: &str) -> Result<Backup, Problem> {
    let row = sqlx::query("SELECT * FROM backups WHERE id = $1 AND chain_id = $2")
        .bind(id)
        .bind(chain)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no backup {id:?} of chain {chain}")))?;
    Ok(backup_of(&row)?)
}

#[utoipa::path(get, path = "/api/chains/{chain}/backups", tag = "backups", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = [Backup]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Vec<Backup>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let rows = sqlx::query("SELECT * FROM backups WHERE chain_id = $1 ORDER BY created_at DESC")
        .bind(&chain.id)
        .fetch_all(&state.db)
        .await?;
    Ok(Json(rows.iter().map(backup_of).collect::<Result<_, _>>()?))
}

/// The job: snapshot, key material, verification; the row records each.
async fn run(state: AppState, chain: String, id: String, node: weft_provision::ManifestNode, job: Job) {
    let outcome = steps(&state, &chain, &id, &node, &job).await;
    let status = if outcome.is_ok() { "verified" } else { "failed" };
    let _ = sqlx::query("UPDATE backups SET status = $1 WHERE id = $2").bind(status).bind(&id).execute(&state.db).await;
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
) -> Result<(), (usize, String)> {
    let dir = dir_of(state, chain, id);
    std::fs::create_dir_all(&dir).map_err(|e| (0, format!("creating {}: {e}", dir.display())))?;

    job.running(0, &format!("{} writes a state snapshot", node.id)).await;
    let net = state.driver.network(chain).map_err(|e| (0, e))?;
    let taken = net.snapshot(node).await.map_err(|e| (0, e))?;
    let file = dir.join("state.snapshot");
    let bytes = state.driver.take_snapshot(chain, node, &taken.path, &file).map_err(|e| (0, e))?;
    let hash = hex::encode(&taken.state_hash);
    sqlx::query("UPDATE backups SET height = $1, state_hash = $2, bytes = $3 WHERE id = $4")
        .bind(taken.height as i64)
        .bind(&hash)
        .bind(bytes as i64)
        .bind(id)
        .execute(&state.db)
        .await
        .map_err(|e| (0, e.to_string()))?;
    job.done(0, &format!("height {}, {bytes} bytes, state {}", taken.height, &hash[..16])).await;

    job.running(1, "sealing the chain's keys and certificates").await;
    let keys = state.driver.key_material(chain).map_err(|e| (1, e))?;
    let sealed = state.master_key.seal(&serde_json::to_vec(&keys).expect("serialises"), &format!("backup/{id}"));
    std::fs::write(dir.join("keys.sealed"), sealed).map_err(|e| (1, format!("writing the sealed keys: {e}")))?;
    job.done(1, &format!("{} files sealed with the master key", keys.len())).await;

    job.running(2, "restoring the snapshot into a scratch ledger").await;
    let binary = state.driver.node_binary();
    let out = tokio::process::Command::new(&binary)
        .arg("--check-snapshot")
        .arg(&file)
        .output()
        .await
        .map_err(|e| (2, format!("running {} --check-snapshot: {e}", binary.display())))?;
    if !out.status.success() {
        return Err((2, format!("the backup does not restore: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    let checked: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| (2, format!("unreadable check output: {e}")))?;
    let (got_height, got_hash) = (checked["height"].as_u64(), checked["state_hash"].as_str().unwrap_or_default());
    if got_height != Some(taken.height) || got_hash != hash {
        return Err((
            2,
            format!(
                "restored to height {got_height:?} with state {got_hash}, but the node reported height {} with state {hash}",
                taken.height
            ),
        ));
    }
    job.done(2, &format!("restored: height {} and state hash match", taken.height)).await;
    Ok(())
}
