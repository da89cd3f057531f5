//! The `backups` table: a chain's backups, their node, height, state hash,
//! status and files.

use serde::Serialize;
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
