//! The audit log's routes: list entries in a time range, verify the hash
//! chain (the log: `crate::audit`).

use axum::extract::State;
use axum::Json;

use crate::audit::{may_read, tenant_filter, verify_chain, AuditEntry, Range, Verification};
use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::Caller;
use crate::AppState;

/// Audit entries in seq order, for a time range (the regulatory export).
#[utoipa::path(get, path = "/api/audit", tag = "audit", security(("bearer" = [])), params(Range),
    responses((status = 200, body = [AuditEntry]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(range): ApiQuery<Range>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    may_read(&caller)?;
    let tenant = tenant_filter(&caller);
    Ok(Json(crate::audit::page(&state.db, &range, tenant.as_deref()).await?))
}

/// Checks the whole audit chain and names the first entry that does not
/// hold (edited, deleted or replaced).
#[utoipa::path(get, path = "/api/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Verification), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn verify(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Verification>> {
    may_read(&caller)?;
    let v = verify_chain(&state.db).await?;
    if let Some(t) = &v.first_tampered {
        tracing::error!(seq = t.seq, reason = %t.reason, "the audit log was tampered with");
    }
    Ok(Json(v))
}
