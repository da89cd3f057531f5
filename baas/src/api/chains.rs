//! Chains: create one from a template (a background job with visible
//! steps), list, read, delete. A chain belongs to one tenant; its readers
//! are that tenant's users (and platform staff), its managers the tenant's
//! admins and platform admins.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::ops::jobs::{Job, JobView};
use crate::ops::provision;
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::secrets::new_id;
use crate::store::chains::{load, manageable, readable, Chain, ChainStatus};
use crate::{templates, AppState};

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewChain {
    /// 1–64 lower-case letters, digits and '-'; unique among the tenant's
    /// chains.
    #[schema(min_length = 1, max_length = 64, pattern = "^[a-z0-9-]{1,64}$")]
    pub name: String,
    /// A template name from GET /api/templates.
    pub template: String,
    /// The tenant to create it for; defaults to the caller's (platform
    /// admins must give one).
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub chain: Chain,
    /// Poll GET /api/jobs/{id} for progress.
    pub job: JobView,
}

#[utoipa::path(post, path = "/api/chains", tag = "chains", security(("bearer" = [])), request_body = NewChain,
    responses((status = 202, body = Accepted), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem, description = "no such tenant, or template, that the caller can see"),
               (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewChain>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let tenant = match (&req.tenant_id, &caller.tenant_id) {
        (Some(t), _) => t.clone(),
        (None, Some(t)) => t.clone(),
        (None, None) => return Err(Problem::unprocessable("tenant_id: name the tenant the chain is for")),
    };
    crate::store::tenants::readable_tenant(&state.db, &caller, &tenant).await?;
    if !caller.can_manage_tenant(&tenant) {
        return Err(Problem::forbidden("only the tenant's admins (or a platform admin) create chains"));
    }
    if !crate::names::slug(&req.name) {
        return Err(Problem::unprocessable(format!(
            "name: {:?} is not 1–64 lower-case letters, digits or '-'",
            req.name
        )));
    }
    let (template, summary) = templates::find(&state.db, Some(&tenant), &req.template).await?;
    let demand = summary.demand;
    // Quota check and insert under one lock so two requests cannot both
    // take the last place.
    let _guard = state.quota_lock.lock().await;
    if crate::store::chains::name_taken(&state.db, &tenant, &req.name).await? {
        return Err(Problem::conflict(format!("the tenant has a chain named {:?}; choose another name", req.name)));
    }
    crate::quotas::enforce(&state.db, &tenant, &demand, true).await?;
    let id = format!("c{}", &new_id()[..12]);
    crate::store::chains::insert(&state.db, &id, &tenant, &req.name, &summary).await?;
    drop(_guard);
    let job = Job::start(&state.db, &id, "create", &provision::CREATE_STEPS).await?;
    tracing::info!(chain = %id, name = %req.name, template = %summary.name, %tenant, by = %caller.username, job = %job.id, "creating chain");
    state.jobs.spawn(provision::create_chain(state.clone(), id.clone(), template, job.clone()));
    let chain = load(&state.db, &id).await?.ok_or_else(|| Problem::internal("chain row vanished"))?;
    let job = job.view().await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { chain, job })))
}

#[utoipa::path(get, path = "/api/chains", tag = "chains", security(("bearer" = [])),
    responses((status = 200, body = [Chain]), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Chain>>> {
    let chains = crate::store::chains::all_live(&state.db).await?;
    Ok(Json(chains.into_iter().filter(|c| caller.can_read_tenant(&c.tenant_id)).collect()))
}

#[utoipa::path(get, path = "/api/chains/{chain}", tag = "chains", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = Chain), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(chain): Path<String>) -> ApiResult<Json<Chain>> {
    Ok(Json(readable(&state.db, &caller, &chain).await?))
}

#[utoipa::path(delete, path = "/api/chains/{chain}", tag = "chains", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let c = manageable(&state.db, &caller, &chain).await?;
    if c.status == ChainStatus::Deleted {
        return Err(Problem::not_found(format!("chain {chain} was deleted already")));
    }
    // Only one job per chain at a time: claim it by moving the status.
    if !crate::store::chains::claim_for_deletion(&state.db, &chain).await? {
        return Err(Problem::conflict(format!(
            "chain {chain} is {}; wait for its job to finish (GET /api/chains/{chain}/jobs)",
            c.status
        )));
    }
    let job = Job::start(&state.db, &chain, "delete", &provision::DELETE_STEPS).await?;
    tracing::info!(%chain, by = %caller.username, job = %job.id, "deleting chain");
    state.jobs.spawn(provision::delete_chain(state.clone(), chain.clone(), job.clone()));
    let view = job.view().await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}
