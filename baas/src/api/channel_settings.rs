//! The route that changes a running chain's batch settings (the job:
//! `ops::channel_settings`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use crate::api::json::ApiJson;
use crate::ops::channel_settings::{run, BatchSettings, STEPS};
use crate::ops::jobs::{Job, JobView};
use crate::ops::upgrades::no_job_running;
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chains::manageable_running;
use crate::AppState;

#[utoipa::path(post, path = "/api/chains/{chain}/config", tag = "chains", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = BatchSettings,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<BatchSettings>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "running chains are reconfigured").await?;
    req.check().map_err(Problem::unprocessable)?;
    no_job_running(&state, &chain.id).await?;
    let job = Job::start(&state.db, &chain.id, "config-update", &STEPS).await?;
    tracing::info!(chain = %chain.id, settings = ?req, by = %caller.username, job = %job.id, "batch settings change");
    state.jobs.spawn(run(state.clone(), chain.id.clone(), req, job.clone()));
    Ok((StatusCode::ACCEPTED, Json(job.view().await?)))
}
