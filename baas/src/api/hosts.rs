//! The hosts' routes: the hosts and their samples (the monitor takes them:
//! `crate::monitor::host`).

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::monitor::host::{sample_of, HostSample, LOCAL};
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
    let latest = sqlx::query("SELECT * FROM host_samples WHERE host = $1 ORDER BY at_ms DESC LIMIT 1")
        .bind(LOCAL)
        .fetch_optional(&state.db)
        .await?;
    let counts = sqlx::query(
        "SELECT COUNT(*) AS chains, CAST(COALESCE(SUM(node_count), 0) AS BIGINT) AS nodes FROM chains \
         WHERE status = 'running'",
    )
    .fetch_one(&state.db)
    .await?;
    Ok(Json(vec![HostView {
        host: LOCAL.into(),
        latest: latest.as_ref().map(sample_of).transpose()?,
        running_chains: counts.try_get("chains")?,
        nodes: counts.try_get("nodes")?,
    }]))
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
    let rows = sqlx::query(
        "SELECT * FROM host_samples WHERE host = $1 AND at_ms >= $2 AND at_ms < $3 ORDER BY at_ms LIMIT 5000",
    )
    .bind(LOCAL)
    .bind(q.from_ms.unwrap_or_else(|| crate::monitor::now_ms() - 15 * 60 * 1000))
    .bind(q.to_ms.unwrap_or(i64::MAX))
    .fetch_all(&state.db)
    .await?;
    Ok(Json(rows.iter().map(sample_of).collect::<Result<_, _>>()?))
}
