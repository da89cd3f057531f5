//! The routes of scheduled backups (`PUT`, `GET` and `DELETE
//! …/backup-schedule`); the monitor runs them (`ops::backup_schedules`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::db::now;
use crate::ops::backup_schedules::now_ms;
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chains::{manageable, readable};
use crate::AppState;

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
