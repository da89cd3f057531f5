//! The route that lists security events (lockouts and rate limits:
//! `crate::security`).

use axum::extract::State;
use axum::Json;

use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::{Caller, Role};
use crate::security::{now_ms, EventsQuery, SecurityEvent};
use crate::AppState;

/// Failed logins, lockouts and rate-limited tokens, newest first (at most
/// 1000).
#[utoipa::path(get, path = "/api/security/events", tag = "security", security(("bearer" = [])), params(EventsQuery),
    responses((status = 200, body = [SecurityEvent]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<Vec<SecurityEvent>>> {
    if !(caller.role == Role::PlatformAdmin || caller.role == Role::Auditor && caller.tenant_id.is_none()) {
        return Err(Problem::forbidden("security events are for platform admins and platform auditors"));
    }
    let from_ms = q.from_ms.unwrap_or_else(|| now_ms() - 24 * 3600 * 1000);
    Ok(Json(crate::security::events_since(&state.db, from_ms).await?))
}
