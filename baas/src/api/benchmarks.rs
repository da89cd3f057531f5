//! The routes of benchmarks: start one within the limits (the job:
//! `ops::benchmarks`), list them, read a report as JSON or HTML.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_bench::workload::{Workload, BUILTIN};

use crate::api::json::ApiJson;
use crate::ops::benchmarks::{run, STEPS};
use crate::ops::jobs::{Job, JobView};
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::secrets::new_id;
use crate::store::benchmarks::Benchmark;
use crate::store::chains::{manageable_running, readable};
use crate::AppState;

/// Largest benchmark the BaaS runs: rounds, transactions per round, seconds
/// per round, workers.
const MAX_ROUNDS: usize = 10;
const MAX_TXS: u64 = 100_000;
const MAX_SECS: f64 = 600.0;
const MAX_WORKERS: u32 = 64;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBenchmark {
    /// A built-in workload: asset-transfer, kv or notary.
    pub workload: Option<String>,
    /// Or a workload of your own, in weft-bench's TOML format
    /// (bench/workloads/*.toml).
    pub workload_toml: Option<String>,
}

/// Refuses workloads the BaaS will not run on its host.
pub fn check_limits(w: &Workload) -> Result<(), String> {
    if w.rounds.len() > MAX_ROUNDS {
        return Err(format!("at most {MAX_ROUNDS} rounds; this workload has {}", w.rounds.len()));
    }
    for r in &w.rounds {
        if r.txs.is_some_and(|n| n > MAX_TXS) {
            return Err(format!("round {:?}: at most {MAX_TXS} transactions per round", r.label));
        }
        if r.duration_secs.is_some_and(|s| s > MAX_SECS) {
            return Err(format!("round {:?}: at most {MAX_SECS} seconds per round", r.label));
        }
        if r.workers > MAX_WORKERS {
            return Err(format!("round {:?}: at most {MAX_WORKERS} workers", r.label));
        }
    }
    Ok(())
}

/// The workload asked for and its TOML.
fn workload_of(req: &NewBenchmark) -> Result<(Workload, String), Problem> {
    let text = match (&req.workload, &req.workload_toml) {
        (Some(name), None) => BUILTIN.iter().find(|(n, _)| n == name).map(|(_, t)| t.to_string()).ok_or_else(|| {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            Problem::unprocessable(format!("workload: no built-in workload {name:?}; there are {}", names.join(", ")))
        })?,
        (None, Some(toml)) => toml.clone(),
        _ => {
            return Err(Problem::unprocessable(
                "give either workload (a built-in: asset-transfer, kv, notary) or workload_toml (your own)",
            ))
        }
    };
    let workload = Workload::parse(&text).map_err(|e| Problem::unprocessable(format!("workload_toml: {e}")))?;
    check_limits(&workload).map_err(|e| Problem::unprocessable(format!("workload too large for the BaaS: {e}")))?;
    Ok((workload, text))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BenchmarkAccepted {
    pub benchmark: Benchmark,
    /// Poll GET /api/jobs/{id}: the current round shows in its steps.
    pub job: JobView,
}

#[utoipa::path(post, path = "/api/chains/{chain}/benchmarks", tag = "benchmarks", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = NewBenchmark,
    responses((status = 202, body = BenchmarkAccepted), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<NewBenchmark>,
) -> ApiResult<(StatusCode, Json<BenchmarkAccepted>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "benchmarks run on running chains").await?;
    let (workload, body) = workload_of(&req)?;
    let _guard = state.quota_lock.lock().await; // one check-and-insert at a time
    if let Some(id) = crate::store::benchmarks::running_on(&state.db, &chain.id).await? {
        return Err(Problem::conflict(format!(
            "benchmark {id} is running on chain {}; wait for it (GET …/benchmarks/{id}) — two at once would measure \
             each other",
            chain.id
        )));
    }
    let job = Job::start(&state.db, &chain.id, "benchmark", &STEPS).await?;
    let id = new_id();
    crate::store::benchmarks::insert(&state.db, &id, &chain.id, &job.id, &workload.name, &body, &caller.username)
        .await?;
    tracing::info!(chain = %chain.id, workload = %workload.name, by = %caller.username, job = %job.id, "benchmark started");
    state.jobs.spawn(run(state.clone(), chain.id.clone(), id.clone(), workload, job.clone()));
    let benchmark = crate::store::benchmarks::load(&state.db, &chain.id, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(BenchmarkAccepted { benchmark, job: job.view().await? })))
}

#[utoipa::path(get, path = "/api/chains/{chain}/benchmarks", tag = "benchmarks", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = [Benchmark], description = "newest first"), (status = 401, body = Problem),
              (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Vec<Benchmark>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    Ok(Json(crate::store::benchmarks::of_chain(&state.db, &chain.id).await?))
}

#[utoipa::path(get, path = "/api/chains/{chain}/benchmarks/{benchmark}", tag = "benchmarks", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("benchmark" = String, Path, description = "benchmark id")),
    responses((status = 200, body = Benchmark), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, id)): Path<(String, String)>,
) -> ApiResult<Json<Benchmark>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    Ok(Json(crate::store::benchmarks::load(&state.db, &chain.id, &id).await?))
}

#[utoipa::path(get, path = "/api/chains/{chain}/benchmarks/{benchmark}/report.html", tag = "benchmarks",
    security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("benchmark" = String, Path, description = "benchmark id")),
    responses((status = 200, content_type = "text/html", body = String, description = "a self-contained page"),
              (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn report_html(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let (html, status) = crate::store::benchmarks::report_html(&state.db, &chain.id, &id).await?.ok_or_else(|| {
        Problem::not_found(format!("no benchmark {id} on chain {}; GET …/benchmarks lists them", chain.id))
    })?;
    let html = html
        .ok_or_else(|| Problem::conflict(format!("benchmark {id} is {status}; its report comes when it succeeds")))?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_workloads_fit_and_oversized_ones_are_refused() {
        for (name, _) in BUILTIN {
            let req = NewBenchmark { workload: Some(name.to_string()), workload_toml: None };
            assert!(workload_of(&req).is_ok(), "{name}");
        }
        let big = "name = 'w'\ncontract = 'kv'\n[[rounds]]\nlabel = 'r'\nfunction = 'put'\ntxs = 1000000\n\
                   rate = { kind = 'fixed-rate', tps = 10 }";
        let err = workload_of(&NewBenchmark { workload: None, workload_toml: Some(big.into()) }).unwrap_err();
        assert!(err.detail.contains("100000 transactions"), "{}", err.detail);
        let neither = workload_of(&NewBenchmark { workload: None, workload_toml: None }).unwrap_err();
        assert!(neither.detail.contains("either"), "{}", neither.detail);
        let unknown = workload_of(&NewBenchmark { workload: Some("x".into()), workload_toml: None }).unwrap_err();
        assert!(unknown.detail.contains("notary"), "{}", unknown.detail);
    }
}
