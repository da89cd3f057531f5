//! The hosts' routes: the hosts and their samples (the monitor takes them:
//! `crate::monitor::host`).

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::monitor::host::{HostSample, LOCAL};
use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::{Caller, Role};
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HostView {
    pub host: String,
    pub latest: Option<HostSample>,
    pub running_chains: i64,
    pub nodes: i64,
}

fn admin_only(caller: &Caller) -> Result<(), Problem> {
    match (caller.role, &caller.tenant_id) {
        (Role::PlatformAdmin, _) | (Role::Auditor, None) => Ok(()),
        _ => Err(Problem::forbidden("hosts are for platform admins and platform auditors")),
    }
}

#[utoipa::path(get, path = "/api/hosts", tag = "monitoring", security(("bearer" = [])),
    responses((status = 200, body = [HostView]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<HostView>>> {
    admin_only(&caller)?;
    let latest = crate::monitor::host::latest(&state.db, LOCAL).await?;
    let (running_chains, nodes) = crate::store::chains::running_totals(&state.db).await?;
    Ok(Json(vec![HostView { host: LOCAL.into(), latest, running_chains, nodes }]))
}

#[utoipa::path(get, path = "/api/hosts/{host}/metrics", tag = "monitoring", security(("bearer" = [])),
    params(("host" = String, Path, description = "host name (\"local\")"), crate::api::alarms::SeriesQuery),
    responses((status = 200, body = [HostSample]), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem)))]
pub async fn metrics(
    State(state): State<AppState>,
    caller: Caller,
    Path(host): Path<String>,
    ApiQuery(q): ApiQuery<crate::api::alarms::SeriesQuery>,
) -> ApiResult<Json<Vec<HostSample>>> {
    admin_only(&caller)?;
    if host != LOCAL {
        return Err(Problem::not_found(format!("no host {host:?}; the local driver has one host, \"{LOCAL}\"")));
    }
    let from_ms = q.from_ms.unwrap_or_else(|| crate::monitor::now_ms() - 15 * 60 * 1000);
    Ok(Json(crate::monitor::host::between(&state.db, LOCAL, from_ms, q.to_ms.unwrap_or(i64::MAX)).await?))
}
