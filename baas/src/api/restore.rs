//! The route that restores a chain in place from one of its verified
//! backups (the job: `ops::restore`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::ops::jobs::{Job, JobView};
use crate::ops::restore::{run, Source, STEPS};
use crate::ops::upgrades::no_job_running;
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chains::manageable_running;
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// A verified backup of this chain (GET …/backups).
    pub backup: String,
}

#[utoipa::path(post, path = "/api/chains/{chain}/restore", tag = "backups", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = RestoreRequest,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<RestoreRequest>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "running chains are restored").await?;
    if chain.consensus == "pbft" {
        return Err(Problem::conflict(
            "PBFT chains are not restored from a backup yet: a replica's view and checkpoints are not in a state \
             snapshot; restore peers one at a time (POST …/nodes with from_backup) instead",
        ));
    }
    let snapshot = crate::ops::backups::verified_snapshot(&state, &chain.id, &req.backup)
        .await
        .map_err(|p| Problem::unprocessable(p.detail.replace("from_backup", "backup")))?;
    let (height, state_hash, then) = crate::store::backups::restore_point(&state.db, &req.backup).await?;
    let net = state.material.network(&chain.id).await.map_err(Problem::conflict)?;
    let now: Vec<&str> = net.manifest().nodes.iter().map(|n| n.id.as_str()).collect();
    if then.as_deref() != Some(now.join(",").as_str()) {
        return Err(Problem::conflict(format!(
            "the chain's nodes changed since backup {} (then: {}; now: {}); its configuration names the nodes of \
             then — restore from a newer backup",
            req.backup,
            then.as_deref().unwrap_or("not recorded"),
            now.join(",")
        )));
    }
    let source = Source {
        id: req.backup.clone(),
        snapshot,
        height: height.unwrap_or(0) as u64,
        state_hash: state_hash.unwrap_or_default(),
        channels: crate::store::backups::load(&state.db, &chain.id, &req.backup).await?.channels.0,
    };
    no_job_running(&state, &chain.id).await?;
    let job = Job::start(&state.db, &chain.id, "restore", &STEPS).await?;
    tracing::warn!(chain = %chain.id, backup = %req.backup, by = %caller.username, job = %job.id, "restoring the chain from a backup");
    state.jobs.spawn(run(state.clone(), chain.id.clone(), source, job.clone()));
    Ok((StatusCode::ACCEPTED, Json(job.view().await?)))
}
