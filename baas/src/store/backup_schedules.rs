//! The `backup_schedules` table: one schedule per chain (the monitor
//! starts the backups it makes due: `ops::backup_schedules`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Schedule {
    pub chain_id: String,
    pub every_minutes: i64,
    pub keep: i64,
    #[sqlx(rename = "node_id")]
    pub node: Option<String>,
    pub next_at_ms: i64,
    /// Why the last due backup could not start (e.g. another job ran).
    pub last_error: String,
    pub set_by: String,
    pub updated_at: i64,
}

/// `chain`'s backup schedule, if it has one.
pub async fn load(db: &Db, chain: &str) -> Result<Option<Schedule>, Problem> {
    Ok(sqlx::query_as("SELECT * FROM backup_schedules WHERE chain_id = $1").bind(chain).fetch_optional(db).await?)
}

/// Replaces `chain`'s schedule: a backup every `every_minutes` from
/// `next_at_ms`, keeping `keep`, of `node` (None: the first peer).
pub async fn set(
    db: &Db,
    chain: &str,
    every_minutes: i64,
    keep: i64,
    node: Option<&str>,
    next_at_ms: i64,
    by: &str,
) -> Result<(), Problem> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM backup_schedules WHERE chain_id = $1").bind(chain).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO backup_schedules (chain_id, every_minutes, keep, node_id, next_at_ms, set_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(chain)
    .bind(every_minutes)
    .bind(keep)
    .bind(node)
    .bind(next_at_ms)
    .bind(by)
    .bind(crate::db::now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove(db: &Db, chain: &str) -> Result<(), Problem> {
    sqlx::query("DELETE FROM backup_schedules WHERE chain_id = $1").bind(chain).execute(db).await?;
    Ok(())
}

/// The schedules of running chains.
pub async fn of_running_chains(db: &Db) -> Result<Vec<Schedule>, Problem> {
    Ok(sqlx::query_as(
        "SELECT s.* FROM backup_schedules s JOIN chains c ON c.id = s.chain_id WHERE c.status = 'running'",
    )
    .fetch_all(db)
    .await?)
}

/// When `chain`'s next backup is due and why the last could not start.
pub async fn set_next(db: &Db, chain: &str, next_at_ms: i64, last_error: &str) -> Result<(), Problem> {
    sqlx::query("UPDATE backup_schedules SET next_at_ms = $1, last_error = $2 WHERE chain_id = $3")
        .bind(next_at_ms)
        .bind(last_error)
        .bind(chain)
        .execute(db)
        .await?;
    Ok(())
}
