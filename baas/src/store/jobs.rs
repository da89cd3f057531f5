//! The `jobs` and `job_steps` tables: each slow operation on a chain, its
//! named steps, their state and detail.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{now, Db};
use crate::problem::Problem;

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Step {
    pub name: String,
    /// pending | running | done | failed | skipped
    pub status: String,
    pub detail: String,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub chain_id: String,
    /// create | delete
    pub kind: String,
    /// running | succeeded | failed
    pub status: String,
    /// Why it failed, and what was rolled back.
    pub error: String,
    /// Steps finished, in percent.
    pub progress: u8,
    pub steps: Vec<Step>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    chain_id: String,
    kind: String,
    status: String,
    error: String,
    created_at: i64,
    finished_at: Option<i64>,
}

/// Records a new running job `id` on `chain` with `steps`, all pending.
pub async fn insert(db: &Db, id: &str, chain: &str, kind: &str, steps: &[&str]) -> Result<(), Problem> {
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO jobs (id, chain_id, kind, status, created_at) VALUES ($1, $2, $3, 'running', $4)")
        .bind(id)
        .bind(chain)
        .bind(kind)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    for (i, name) in steps.iter().enumerate() {
        sqlx::query("INSERT INTO job_steps (job_id, idx, name, status) VALUES ($1, $2, $3, 'pending')")
            .bind(id)
            .bind(i as i64)
            .bind(*name)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets step `step` of job `id` to `status` with `detail`: a running step
/// keeps the time it first started, any other is finished now.
pub async fn set_step(db: &Db, id: &str, step: usize, status: &str, detail: &str) -> Result<(), sqlx::Error> {
    let (start, finish) = match status {
        "running" => (Some(now()), None),
        _ => (None, Some(now())),
    };
    sqlx::query(
        "UPDATE job_steps SET status = $1, detail = $2, started_at = COALESCE(started_at, $3), \
         finished_at = $4 WHERE job_id = $5 AND idx = $6",
    )
    .bind(status)
    .bind(detail)
    .bind(start.or(finish))
    .bind(finish)
    .bind(id)
    .bind(step as i64)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends job `id` with `status` (succeeded | failed) and `error`.
pub async fn finish(db: &Db, id: &str, status: &str, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE jobs SET status = $1, error = $2, finished_at = $3 WHERE id = $4")
        .bind(status)
        .bind(error)
        .bind(now())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks the pending steps of job `id` skipped (after it failed).
pub async fn skip_pending(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE job_steps SET status = 'skipped' WHERE job_id = $1 AND status = 'pending'")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks the running steps of job `id` failed: its server stopped.
pub async fn fail_running_steps(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE job_steps SET status = 'failed', detail = 'interrupted' WHERE job_id = $1 AND status = 'running'",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Job `id` with its steps, as the API shows it.
pub async fn load(db: &Db, id: &str) -> Result<Option<JobView>, Problem> {
    let Some(row): Option<JobRow> =
        sqlx::query_as("SELECT id, chain_id, kind, status, error, created_at, finished_at FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?
    else {
        return Ok(None);
    };
    let steps: Vec<Step> = sqlx::query_as(
        "SELECT name, status, detail, started_at, finished_at FROM job_steps WHERE job_id = $1 ORDER BY idx",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    // A succeeded job's skipped steps (a rollback not needed) count as done.
    let succeeded = row.status == "succeeded";
    let done = steps.iter().filter(|s| s.status == "done" || (s.status == "skipped" && succeeded)).count();
    Ok(Some(JobView {
        id: row.id,
        chain_id: row.chain_id,
        kind: row.kind,
        status: row.status,
        error: row.error,
        progress: (done * 100).checked_div(steps.len()).unwrap_or(100) as u8,
        steps,
        created_at: row.created_at,
        finished_at: row.finished_at,
    }))
}

/// The jobs still marked running: (id, chain, kind).
pub async fn running(db: &Db) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, chain_id, kind FROM jobs WHERE status = 'running'").fetch_all(db).await
}

/// `chain`'s jobs, oldest first.
pub async fn ids_of_chain(db: &Db, chain: &str) -> Result<Vec<String>, Problem> {
    Ok(sqlx::query_scalar("SELECT id FROM jobs WHERE chain_id = $1 ORDER BY created_at, id")
        .bind(chain)
        .fetch_all(db)
        .await?)
}

/// The job running on `chain`, if any: (id, kind).
pub async fn running_on(db: &Db, chain: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, kind FROM jobs WHERE chain_id = $1 AND status = 'running'")
        .bind(chain)
        .fetch_optional(db)
        .await
}

/// How many jobs there are of each kind and status.
pub async fn counts(db: &Db) -> Result<Vec<(String, String, i64)>, Problem> {
    Ok(sqlx::query_as("SELECT kind, status, COUNT(*) FROM jobs GROUP BY kind, status ORDER BY kind, status")
        .fetch_all(db)
        .await?)
}
