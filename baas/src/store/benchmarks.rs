//! The `benchmarks` table: each benchmark's workload, the job that runs it
//! and its reports (JSON and HTML).

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;

#[derive(Debug, Serialize, ToSchema)]
pub struct Benchmark {
    pub id: String,
    pub chain_id: String,
    pub workload: String,
    /// The job that runs it: running | succeeded | failed.
    pub job_id: String,
    pub status: String,
    pub created_by: String,
    pub created_at: i64,
    /// weft-bench's JSON report (rounds with throughput, latency
    /// percentiles, failures and per-node resource use; the machine's
    /// ceiling); null until it has run. The HTML page is at
    /// …/benchmarks/{benchmark}/report.html.
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

const COLUMNS: &str = "b.id, b.chain_id, b.workload, b.job_id, j.status, b.created_by, b.created_at, b.report_json";

fn benchmark_of(row: &AnyRow) -> Result<Benchmark, Problem> {
    let report: Option<String> = row.try_get("report_json")?;
    Ok(Benchmark {
        id: row.try_get("id")?,
        chain_id: row.try_get("chain_id")?,
        workload: row.try_get("workload")?,
        job_id: row.try_get("job_id")?,
        status: row.try_get("status")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        report: report.map(|r| serde_json::from_str(&r)).transpose().map_err(Problem::internal)?,
    })
}

/// The benchmark `id` of `chain`; NOT_FOUND says how to list them.
pub async fn load(db: &Db, chain: &str, id: &str) -> Result<Benchmark, Problem> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM benchmarks b JOIN jobs j ON j.id = b.job_id WHERE b.chain_id = $1 AND b.id = $2"
    ))
    .bind(chain)
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| Problem::not_found(format!("no benchmark {id} on chain {chain}; GET …/benchmarks lists them")))?;
    benchmark_of(&row)
}

/// The benchmark running on `chain`, if one is.
pub async fn running_on(db: &Db, chain: &str) -> Result<Option<String>, Problem> {
    let row = sqlx::query(
        "SELECT b.id FROM benchmarks b JOIN jobs j ON j.id = b.job_id WHERE b.chain_id = $1 AND j.status = 'running'",
    )
    .bind(chain)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// Records a benchmark of `workload` (its text `body`) that `job` runs.
pub async fn insert(
    db: &Db,
    id: &str,
    chain: &str,
    job: &str,
    workload: &str,
    body: &str,
    by: &str,
) -> Result<(), Problem> {
    sqlx::query(
        "INSERT INTO benchmarks (id, chain_id, job_id, workload, body, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(chain)
    .bind(job)
    .bind(workload)
    .bind(body)
    .bind(by)
    .bind(crate::db::now())
    .execute(db)
    .await?;
    Ok(())
}

/// `chain`'s benchmarks, newest first.
pub async fn of_chain(db: &Db, chain: &str) -> Result<Vec<Benchmark>, Problem> {
    let query = format!(
        "SELECT {COLUMNS} FROM benchmarks b JOIN jobs j ON j.id = b.job_id WHERE b.chain_id = $1 \
         ORDER BY b.created_at DESC, b.id"
    );
    sqlx::query(&query).bind(chain).fetch_all(db).await?.iter().map(benchmark_of).collect()
}

/// The benchmark's HTML report (None until it has run) and its job's
/// status; None when `chain` has no benchmark `id`.
pub async fn report_html(db: &Db, chain: &str, id: &str) -> Result<Option<(Option<String>, String)>, Problem> {
    let row = sqlx::query(
        "SELECT b.report_html, j.status FROM benchmarks b JOIN jobs j ON j.id = b.job_id \
         WHERE b.chain_id = $1 AND b.id = $2",
    )
    .bind(chain)
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((row.try_get("report_html")?, row.try_get("status")?)))
}

/// Keeps benchmark `id`'s report, as JSON and as a page.
pub async fn set_report(db: &Db, id: &str, json: &str, html: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE benchmarks SET report_json = $1, report_html = $2 WHERE id = $3")
        .bind(json)
        .bind(html)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
