//! The routes of scheduled backups (`PUT`, `GET` and `DELETE
//! …/backup-schedule`); the monitor runs them (`ops::backup_schedules`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::ops::backup_schedules::now_ms;
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::backup_schedules::Schedule;
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
    let node = req.node.as_deref();
    crate::store::backup_schedules::set(
        &state.db,
        &chain.id,
        req.every_minutes,
        req.keep,
        node,
        next,
        &caller.username,
    )
    .await?;
    tracing::info!(chain = %chain.id, every_minutes = req.every_minutes, keep = req.keep, by = %caller.username, "backup schedule set");
    Ok(Json(crate::store::backup_schedules::load(&state.db, &chain.id).await?.expect("just written")))
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
    crate::store::backup_schedules::load(&state.db, &chain.id).await?.map(Json).ok_or_else(|| {
        Problem::not_found(format!("chain {} has no backup schedule; PUT one to have it backed up", chain.id))
    })
}

#[utoipa::path(delete, path = "/api/chains/{chain}/backup-schedule", tag = "backups", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(State(state): State<AppState>, caller: Caller, Path(chain): Path<String>) -> ApiResult<StatusCode> {
    let chain = manageable(&state.db, &caller, &chain).await?;
    crate::store::backup_schedules::remove(&state.db, &chain.id).await?;
    tracing::info!(chain = %chain.id, by = %caller.username, "backup schedule removed");
    Ok(StatusCode::NO_CONTENT)
}
