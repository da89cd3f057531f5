//! The routes of a tenant's quotas (the rules: `crate::quotas`).

use axum::extract::{Path, State};
use axum::Json;

use crate::api::json::ApiJson;
use crate::problem::{ApiResult, Problem};
use crate::quotas::{quota_of, usage_of, Quota, QuotaReport};
use crate::role::{Caller, Role};
use crate::store::tenants::readable_tenant;
use crate::AppState;

#[utoipa::path(get, path = "/api/tenants/{tenant}/quota", tag = "tenants", security(("bearer" = [])),
    params(("tenant" = String, Path, description = "tenant id")),
    responses((status = 200, body = QuotaReport), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> ApiResult<Json<QuotaReport>> {
    readable_tenant(&state.db, &caller, &tenant).await?;
    Ok(Json(QuotaReport {
        quota: quota_of(&state.db, &tenant).await?,
        usage: usage_of(&state.db, &tenant).await?,
        tenant_id: tenant,
    }))
}

#[utoipa::path(put, path = "/api/tenants/{tenant}/quota", tag = "tenants", security(("bearer" = [])),
    params(("tenant" = String, Path, description = "tenant id")), request_body = Quota,
    responses((status = 200, body = QuotaReport), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    ApiJson(quota): ApiJson<Quota>,
) -> ApiResult<Json<QuotaReport>> {
    readable_tenant(&state.db, &caller, &tenant).await?;
    if caller.role != Role::PlatformAdmin {
        return Err(Problem::forbidden("only a platform admin sets quotas"));
    }
    quota.check().map_err(Problem::unprocessable)?;
    crate::quotas::set(&state.db, &tenant, &quota).await?;
    tracing::info!(%tenant, ?quota, by = %caller.username, "quota set");
    Ok(Json(QuotaReport { quota, usage: usage_of(&state.db, &tenant).await?, tenant_id: tenant }))
}
