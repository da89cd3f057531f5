//! A chain's alarms and its metrics series (the monitor raises the alarms
//! and keeps the samples: `crate::monitor`).

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use crate::monitor::now_ms;
use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::Caller;
use crate::store::alarms::AlarmView;
use crate::store::chains::readable;
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
    let rows = sqlx::query(
        "SELECT id, chain_id, node_id, rule, status, detail, fired_at_ms, resolved_at_ms FROM alarms \
         WHERE chain_id = $1 ORDER BY fired_at_ms DESC LIMIT 500",
    )
    .bind(&chain.id)
    .fetch_all(&state.db)
    .await?;
    let out = rows
        .iter()
        .map(|r| {
            Ok(AlarmView {
                id: r.try_get("id")?,
                chain_id: r.try_get("chain_id")?,
                node_id: r.try_get("node_id")?,
                rule: r.try_get("rule")?,
                status: r.try_get("status")?,
                detail: r.try_get("detail")?,
                fired_at_ms: r.try_get("fired_at_ms")?,
                resolved_at_ms: r.try_get("resolved_at_ms")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Json(out))
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

#[derive(Debug, Serialize, ToSchema)]
pub struct Sample {
    pub node_id: String,
    pub at_ms: i64,
    /// 0 for a raw sample; else the width of the bucket it summarises
    /// (lowest up, highest height/memory/disk/I/O/counters, average CPU).
    pub resolution_ms: i64,
    pub up: bool,
    pub height: Option<i64>,
    /// CPU % of one core since the previous sample.
    pub cpu_pct: Option<f64>,
    pub rss_bytes: Option<i64>,
    pub disk_bytes: Option<i64>,
    pub read_bytes: Option<i64>,
    pub written_bytes: Option<i64>,
    /// Transactions this node has committed (every validation code) since
    /// its process started: throughput is the difference between samples.
    pub tx_committed: Option<i64>,
    /// Its transaction-latency histogram since it started (creation to
    /// commit on this node): sum in µs and count; the mean latency between
    /// two samples is Δsum / Δcount.
    pub latency_sum_us: Option<i64>,
    pub latency_count: Option<i64>,
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
    let sql = format!(
        "SELECT * FROM node_samples WHERE chain_id = $1 AND at_ms >= $2 AND at_ms < $3 {} ORDER BY at_ms LIMIT 5000",
        if q.node.is_some() { "AND node_id = $4" } else { "" }
    );
    let mut query = sqlx::query(&sql)
        .bind(&chain.id)
        .bind(q.from_ms.unwrap_or_else(|| now_ms() - 15 * 60 * 1000))
        .bind(q.to_ms.unwrap_or(i64::MAX));
    if let Some(n) = &q.node {
        query = query.bind(n);
    }
    let rows = query.fetch_all(&state.db).await?;
    let out = rows
        .iter()
        .map(|r| {
            Ok(Sample {
                node_id: r.try_get("node_id")?,
                at_ms: r.try_get("at_ms")?,
                resolution_ms: r.try_get("resolution_ms")?,
                up: r.try_get::<i32, _>("up")? == 1,
                height: r.try_get("height")?,
                cpu_pct: r.try_get::<Option<i64>, _>("cpu_permille")?.map(|p| p as f64 / 10.0),
                rss_bytes: r.try_get("rss_bytes")?,
                disk_bytes: r.try_get("disk_bytes")?,
                read_bytes: r.try_get("read_bytes")?,
                written_bytes: r.try_get("written_bytes")?,
                tx_committed: r.try_get("tx_committed")?,
                latency_sum_us: r.try_get("latency_sum_us")?,
                latency_count: r.try_get("latency_count")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Json(out))
}
