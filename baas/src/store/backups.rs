//! The `backups` table: a chain's backups, their node, height, state hash,
//! status and files.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
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
    /// The chain's other channels, each snapshotted on one of its peers.
    #[sqlx(try_from = "String")]
    pub channels: ChannelBackups,
}

/// One further channel's snapshot in a backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChannelBackup {
    pub channel: String,
    /// The peer that wrote it.
    pub node_id: String,
    pub height: u64,
    /// Hex SHA-256 of the channel's world state.
    pub state_hash: String,
    pub bytes: u64,
}

/// The `channels` column: JSON in the row, a list in the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct ChannelBackups(pub Vec<ChannelBackup>);

impl TryFrom<String> for ChannelBackups {
    type Error = serde_json::Error;

    fn try_from(json: String) -> Result<Self, Self::Error> {
        serde_json::from_str(&json)
    }
}

pub async fn load(db: &Db, chain: &str, id: &str) -> Result<Backup, Problem> {
    sqlx::query_as("SELECT * FROM backups WHERE id = $1 AND chain_id = $2")
        .bind(id)
        .bind(chain)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no backup {id:?} of chain {chain}")))
}

/// `chain`'s backups, newest first.
pub async fn of_chain(db: &Db, chain: &str) -> Result<Vec<Backup>, Problem> {
    Ok(sqlx::query_as("SELECT * FROM backups WHERE chain_id = $1 ORDER BY created_at DESC")
        .bind(chain)
        .fetch_all(db)
        .await?)
}

/// What restoring from backup `id` needs of its row: the height and state
/// hash it holds and the chain's nodes when it was taken (comma-separated;
/// None for backups made before this was recorded).
pub async fn restore_point(db: &Db, id: &str) -> Result<(Option<i64>, Option<String>, Option<String>), Problem> {
    let row = sqlx::query("SELECT height, state_hash, nodes FROM backups WHERE id = $1").bind(id).fetch_one(db).await?;
    Ok((row.try_get("height")?, row.try_get("state_hash")?, row.try_get("nodes")?))
}

/// Records a running backup `id` of `chain`'s `node` by job `job`, with
/// the chain's nodes at the time.
pub async fn insert(
    db: &Db,
    id: &str,
    chain: &str,
    node: &str,
    job: &str,
    by: &str,
    nodes: &[&str],
) -> Result<(), Problem> {
    sqlx::query(
        "INSERT INTO backups (id, chain_id, node_id, job_id, status, created_by, created_at, nodes) \
         VALUES ($1, $2, $3, $4, 'running', $5, $6, $7)",
    )
    .bind(id)
    .bind(chain)
    .bind(node)
    .bind(job)
    .bind(by)
    .bind(crate::db::now())
    .bind(nodes.join(","))
    .execute(db)
    .await?;
    Ok(())
}

/// The status of backup `id` of `chain`, if it exists.
pub async fn status(db: &Db, chain: &str, id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM backups WHERE id = $1 AND chain_id = $2")
        .bind(id)
        .bind(chain)
        .fetch_optional(db)
        .await
}

/// Sets backup `id`'s status (verified | failed | pruned).
pub async fn set_status(db: &Db, id: &str, status: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE backups SET status = $1 WHERE id = $2").bind(status).bind(id).execute(db).await?;
    Ok(())
}

/// Marks the backups job `job` was taking failed.
pub async fn fail_of_job(db: &Db, job: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE backups SET status = 'failed' WHERE job_id = $1").bind(job).execute(db).await?;
    Ok(())
}

/// Records what backup `id` holds: the height, state hash and size of its
/// snapshot.
pub async fn set_taken(db: &Db, id: &str, height: u64, state_hash: &str, bytes: u64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE backups SET height = $1, state_hash = $2, bytes = $3 WHERE id = $4")
        .bind(height as i64)
        .bind(state_hash)
        .bind(bytes as i64)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// `chain`'s verified backups made by `by`, newest first.
pub async fn verified_by(db: &Db, chain: &str, by: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM backups WHERE chain_id = $1 AND created_by = $2 AND status = 'verified' \
         ORDER BY created_at DESC, id DESC",
    )
    .bind(chain)
    .bind(by)
    .fetch_all(db)
    .await
}

/// Records the further channels backup `id` holds.
pub async fn set_channels(db: &Db, id: &str, channels: &[ChannelBackup]) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE backups SET channels = $1 WHERE id = $2")
        .bind(serde_json::to_string(channels).expect("plain data serialises"))
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
