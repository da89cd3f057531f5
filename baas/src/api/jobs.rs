//! The routes that read jobs: one by id, or a chain's (the runner and the
//! steps: `ops::jobs`).

use axum::extract::{Path, State};
use axum::Json;

use crate::ops::jobs::{load, JobView};
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::AppState;

#[utoipa::path(get, path = "/api/jobs/{job}", tag = "chains", security(("bearer" = [])),
    params(("job" = String, Path, description = "job id")),
    responses((status = 200, body = JobView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(job): Path<String>) -> ApiResult<Json<JobView>> {
    let missing = || Problem::not_found(format!("no job {job} that you can see"));
    let view = load(&state.db, &job).await?.ok_or_else(missing)?;
    crate::store::chains::readable(&state.db, &caller, &view.chain_id).await.map_err(|_| missing())?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/api/chains/{chain}/jobs", tag = "chains", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = [JobView]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Vec<JobView>>> {
    crate::store::chains::readable(&state.db, &caller, &chain).await?;
    let mut out = Vec::new();
    for id in crate::ops::jobs::ids_of_chain(&state.db, &chain).await? {
        out.extend(load(&state.db, &id).await?);
    }
    Ok(Json(out))
}
