//! `GET /metrics`: the server's Prometheus metrics, for platform admins
//! and platform auditors (Prometheus sends an API token of one:
//! `authorization: {credentials_file: …}` in its scrape config). Not in
//! the OpenAPI document: it is OpenMetrics text, not JSON.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::problem::{ApiResult, Problem};
use crate::role::{Caller, Role};
use crate::AppState;

pub async fn scrape(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let platform_wide =
        caller.role == Role::PlatformAdmin || (caller.role == Role::Auditor && caller.tenant_id.is_none());
    if !platform_wide {
        return Err(Problem::forbidden(
            "the server's metrics are for platform admins and platform auditors; scrape with an API token of one",
        ));
    }
    let jobs = crate::store::jobs::counts(&state.db).await?;
    let chains = crate::store::chains::status_counts(&state.db).await?;
    let text = state.metrics.encode(&jobs, &chains);
    Ok(([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response())
}
