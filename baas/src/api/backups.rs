//! The routes of backups: start one (a job in `ops::backups`) and list a
//! chain's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::ops::backups::begin;
use crate::ops::jobs::JobView;
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::backups::{of_chain, Backup};
use crate::store::chains::{manageable_running, readable};
use crate::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBackup {
    /// The node whose state is taken (default: the chain's first peer).
    pub node: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupAccepted {
    pub backup: Backup,
    pub job: JobView,
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

#[utoipa::path(get, path = "/api/chains/{chain}/backups", tag = "backups", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = [Backup]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Vec<Backup>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    Ok(Json(of_chain(&state.db, &chain.id).await?))
}
