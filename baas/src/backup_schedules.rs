//! Scheduled backups: a chain's schedule (`PUT …/backup-schedule`) makes
//! the monitor start a backup job whenever one is due, like an on-demand
//! one but recorded as made by "schedule"; verified scheduled backups past
//! the newest `keep` are pruned (their files removed, status "pruned").
//! On-demand backups are never pruned.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use crate::db::now;
use crate::json::ApiJson;
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chains::{manageable, readable};
use crate::AppState;

/// Who scheduled backups are recorded as made by.
pub const BY: &str = "schedule";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSchedule {
    /// Minutes between backups (1–10080, a week).
    #[schema(minimum = 1, maximum = 10080)]
    pub every_minutes: i64,
    /// Verified scheduled backups kept (1–100); older ones are pruned.
    #[schema(minimum = 1, maximum = 100)]
    pub keep: i64,
    /// The node backed up (default: the chain's first peer).
    pub node: Option<String>,
    /// When the first is due (ms since the epoch; default: one interval
    /// from now).
    pub start_at_ms: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Schedule {
    pub chain_id: String,
    pub every_minutes: i64,
    pub keep: i64,
    pub node: Option<String>,
    pub next_at_ms: i64,
    /// Why the last due backup could not start (e.g. another job ran).
    pub last_error: String,
    pub set_by: String,
    pub updated_at: i64,
}

fn now_ms() -> i64 {
    now() * 1000
}

async fn load(state: &AppState, chain: &str) -> Result<Option<Schedule>, Problem> {
    let row =
        sqlx::query("SELECT * FROM backup_schedules WHERE chain_id = $1").bind(chain).fetch_optional(&state.db).await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Schedule {
        chain_id: r.try_get("chain_id")?,
        every_minutes: r.try_get("every_minutes")?,
        keep: r.try_get("keep")?,
        node: r.try_get("node_id")?,
        next_at_ms: r.try_get("next_at_ms")?,
        last_error: r.try_get("last_error")?,
        set_by: r.try_get("set_by")?,
        updated_at: r.try_get("updated_at")?,
    }))
}

#[utoipa::path(put, path = "/api/chains/{chain}/backup-schedule", tag = "backups", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = NewSchedule,
    responses((status = 200, body = Schedule), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<NewSchedule>,
) -> ApiResult<Json<Schedule>> {
    let chain = manageable(&state.db, &caller, &chain).await?;
    let mut bad = Vec::new();
    if !(1..=10_080).contains(&req.every_minutes) {
        bad.push(format!("every_minutes: {} is not between 1 and 10080", req.every_minutes));
    }
    if !(1..=100).contains(&req.keep) {
        bad.push(format!("keep: {} is not between 1 and 100", req.keep));
    }
    if !bad.is_empty() {
        return Err(Problem::unprocessable(bad.join("; ")));
    }
    let next = req.start_at_ms.unwrap_or_else(|| now_ms() + req.every_minutes * 60_000);
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM backup_schedules WHERE chain_id = $1").bind(&chain.id).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO backup_schedules (chain_id, every_minutes, keep, node_id, next_at_ms, set_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&chain.id)
    .bind(req.every_minutes)
    .bind(req.keep)
    .bind(&req.node)
    .bind(next)
    .bind(&caller.username)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(chain = %chain.id, every_minutes = req.every_minutes, keep = req.keep, by = %caller.username, "backup schedule set");
    Ok(Json(load(&state, &chain.id).await?.expect("just written")))
}

#[utoipa::path(get, path = "/api/chains/{chain}/backup-schedule", tag = "backups", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = Schedule), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Schedule>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    load(&state, &chain.id).await?.map(Json).ok_or_else(|| {
        Problem::not_found(format!("chain {} has no backup schedule; PUT one to have it backed up", chain.id))
    })
}

#[utoipa::path(delete, path = "/api/chains/{chain}/backup-schedule", tag = "backups", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(State(state): State<AppState>, caller: Caller, Path(chain): Path<String>) -> ApiResult<StatusCode> {
    let chain = manageable(&state.db, &caller, &chain).await?;
    sqlx::query("DELETE FROM backup_schedules WHERE chain_id = $1").bind(&chain.id).execute(&state.db).await?;
    tracing::info!(chain = %chain.id, by = %caller.username, "backup schedule removed");
    Ok(StatusCode::NO_CONTENT)
}

/// Starts the backups that are due and prunes past `keep`; the monitor
/// calls this every round. A due backup that cannot start (another job
/// runs on the chain) is tried again next round, and says why meanwhile.
pub async fn run_due(state: &AppState) -> Result<(), Problem> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT s.chain_id, s.every_minutes, s.keep, s.node_id, s.next_at_ms FROM backup_schedules s \
         JOIN chains c ON c.id = s.chain_id WHERE c.status = 'running'",
    )
    .fetch_all(&state.db)
    .await?;
    for r in rows {
        let (chain, every, keep): (String, i64, i64) =
            (r.try_get("chain_id")?, r.try_get("every_minutes")?, r.try_get("keep")?);
        prune(state, &chain, keep).await?;
        if r.try_get::<i64, _>("next_at_ms")? > now {
            continue;
        }
        let node: Option<String> = r.try_get("node_id")?;
        let started = match crate::upgrades::no_job_running(state, &chain).await {
            Ok(()) => crate::backups::begin(state, &chain, node.as_deref(), BY).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let (next, error) = match started {
            Ok(()) => (now + every * 60_000, String::new()),
            Err(e) => (now, e.detail),
        };
        sqlx::query("UPDATE backup_schedules SET next_at_ms = $1, last_error = $2 WHERE chain_id = $3")
            .bind(next)
            .bind(&error)
            .bind(&chain)
            .execute(&state.db)
            .await?;
    }
    Ok(())
}

/// Verified scheduled backups of `chain` past the newest `keep`: files
/// removed, rows marked pruned.
async fn prune(state: &AppState, chain: &str, keep: i64) -> Result<(), Problem> {
    let rows = sqlx::query(
        "SELECT id FROM backups WHERE chain_id = $1 AND created_by = $2 AND status = 'verified' \
         ORDER BY created_at DESC, id DESC",
    )
    .bind(chain)
    .bind(BY)
    .fetch_all(&state.db)
    .await?;
    for r in rows.iter().skip(keep.max(0) as usize) {
        let id: String = r.try_get("id")?;
        let dir = state.driver.backups_dir().join(chain).join(&id);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(%chain, backup = %id, "pruning {}: {e}", dir.display());
        }
        sqlx::query("UPDATE backups SET status = 'pruned' WHERE id = $1").bind(&id).execute(&state.db).await?;
        tracing::info!(%chain, backup = %id, "scheduled backup pruned");
    }
    Ok(())
}
