//! A chain's alarms and its metrics series (the monitor raises the alarms
//! and keeps the samples: `crate::monitor`).

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::monitor::now_ms;
use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::Caller;
use crate::store::alarms::AlarmView;
use crate::store::chains::readable;
use crate::store::node_samples::Sample;
use crate::AppState;

#[utoipa::path(get, path = "/api/chains/{chain}/alarms", tag = "monitoring", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = [AlarmView]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn alarms(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Vec<AlarmView>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    Ok(Json(crate::store::alarms::of_chain(&state.db, &chain.id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// One node (default: all of the chain's).
    pub node: Option<String>,
    /// From (ms since the epoch; default: 15 minutes ago).
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// The chain's node samples over a time range (at most 5000, oldest first).
#[utoipa::path(get, path = "/api/chains/{chain}/metrics", tag = "monitoring", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), SeriesQuery),
    responses((status = 200, body = [Sample]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn metrics(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiQuery(q): ApiQuery<SeriesQuery>,
) -> ApiResult<Json<Vec<Sample>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let from_ms = q.from_ms.unwrap_or_else(|| now_ms() - 15 * 60 * 1000);
    let to_ms = q.to_ms.unwrap_or(i64::MAX);
    Ok(Json(crate::store::node_samples::series(&state.db, &chain.id, q.node.as_deref(), from_ms, to_ms).await?))
}
