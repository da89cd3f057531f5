//! The route that starts a rolling upgrade of a chain's nodes to another
//! build (the job: `ops::upgrades`).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::ops::builds::{self};
use crate::ops::jobs::{Job, JobView};
use crate::ops::upgrades::{no_job_running, rollout_order, run};
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chains::manageable_running;
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeRequest {
    /// A registered build (GET /api/node-builds), or "bundled" for the
    /// server's own.
    pub build: String,
    /// Seconds each node gets to pass its health gate (default 60, 5–600).
    #[schema(minimum = 5, maximum = 600)]
    pub gate_secs: Option<u64>,
}

#[utoipa::path(post, path = "/api/chains/{chain}/upgrade", tag = "upgrades", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = UpgradeRequest,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn upgrade(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<UpgradeRequest>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "running chains are upgraded").await?;
    let gate = Duration::from_secs(req.gate_secs.unwrap_or(60));
    if !(5..=600).contains(&gate.as_secs()) {
        return Err(Problem::unprocessable(format!("gate_secs: {} is not between 5 and 600", gate.as_secs())));
    }
    let build = builds::find(&state, &req.build).await?;
    no_job_running(&state, &chain.id).await?;
    let net = state.material.network(&chain.id).await.map_err(Problem::conflict)?;
    let nodes = rollout_order(&net).await;
    let mut steps = vec!["check build".to_string()];
    steps.extend(nodes.iter().map(|n| format!("upgrade {}", n.id)));
    steps.push("rollback".to_string());
    let names: Vec<&str> = steps.iter().map(String::as_str).collect();
    let job = Job::start(&state.db, &chain.id, "upgrade", &names).await?;
    tracing::info!(chain = %chain.id, build = %req.build, by = %caller.username, job = %job.id, "rolling upgrade started");
    state.jobs.spawn(run(state.clone(), chain.id.clone(), req.build, build, nodes, gate, job.clone()));
    Ok((StatusCode::ACCEPTED, Json(job.view().await?)))
}
