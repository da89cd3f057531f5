//! The BaaS host's own resources, sampled each monitor round for server
//! monitoring: CPU (all cores, since the last sample), memory, the data
//! directory's filesystem, network bytes in and out (every interface,
//! loopback included: nodes on one host talk over it), load, as the
//! runtime reads them (`runtime::host`); nodes sharing the host's network
//! namespace have no network counters of their own, so traffic is a host
//! figure.

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::db::Db;
use crate::runtime::host::Reading;
use crate::AppState;

/// The only host of the `local` driver.
pub const LOCAL: &str = "local";

/// Records a sample; `before` is the previous reading (for CPU).
pub async fn record(state: &AppState, at_ms: i64, now: &Reading, before: Option<&Reading>) -> Result<(), sqlx::Error> {
    let cpu_permille = match (now.cpu, before.and_then(|b| b.cpu)) {
        (Some((busy, total)), Some((b0, t0))) if total > t0 => Some(((busy - b0) * 1000 / (total - t0)) as i64),
        _ => None,
    };
    sqlx::query(
        "INSERT INTO host_samples (host, at_ms, resolution_ms, cpu_permille, memory_used_bytes, memory_total_bytes, \
         disk_used_bytes, disk_total_bytes, net_rx_bytes, net_tx_bytes, load1_milli) \
         VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(LOCAL)
    .bind(at_ms)
    .bind(cpu_permille)
    .bind(now.memory.map(|(t, a)| t.saturating_sub(a) as i64))
    .bind(now.memory.map(|(t, _)| t as i64))
    .bind(now.disk.map(|(u, _)| u as i64))
    .bind(now.disk.map(|(_, t)| t as i64))
    .bind(now.net.0 as i64)
    .bind(now.net.1 as i64)
    .bind(now.load1.map(|l| (l * 1000.0) as i64))
    .execute(&state.db)
    .await?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HostSample {
    pub at_ms: i64,
    /// 0 for a raw sample; else the width of the bucket it summarises
    /// (averages for CPU and load, maxima for the rest).
    pub resolution_ms: i64,
    /// All cores together, percent of the host.
    pub cpu_pct: Option<f64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    pub disk_used_bytes: Option<i64>,
    pub disk_total_bytes: Option<i64>,
    /// Cumulative since boot: rates are differences between samples.
    pub net_rx_bytes: Option<i64>,
    pub net_tx_bytes: Option<i64>,
    pub load1: Option<f64>,
}

pub fn sample_of(r: &sqlx::any::AnyRow) -> Result<HostSample, sqlx::Error> {
    Ok(HostSample {
        at_ms: r.try_get("at_ms")?,
        resolution_ms: r.try_get("resolution_ms")?,
        cpu_pct: r.try_get::<Option<i64>, _>("cpu_permille")?.map(|p| p as f64 / 10.0),
        memory_used_bytes: r.try_get("memory_used_bytes")?,
        memory_total_bytes: r.try_get("memory_total_bytes")?,
        disk_used_bytes: r.try_get("disk_used_bytes")?,
        disk_total_bytes: r.try_get("disk_total_bytes")?,
        net_rx_bytes: r.try_get("net_rx_bytes")?,
        net_tx_bytes: r.try_get("net_tx_bytes")?,
        load1: r.try_get::<Option<i64>, _>("load1_milli")?.map(|l| l as f64 / 1000.0),
    })
}
/// `host`'s latest sample, if it has one.
pub async fn latest(db: &Db, host: &str) -> Result<Option<HostSample>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM host_samples WHERE host = $1 ORDER BY at_ms DESC LIMIT 1")
        .bind(host)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(sample_of).transpose()
}

/// `host`'s samples in [from_ms, to_ms), oldest first (at most 5000).
pub async fn between(db: &Db, host: &str, from_ms: i64, to_ms: i64) -> Result<Vec<HostSample>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM host_samples WHERE host = $1 AND at_ms >= $2 AND at_ms < $3 ORDER BY at_ms LIMIT 5000",
    )
    .bind(host)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(db)
    .await?;
    rows.iter().map(sample_of).collect()
}
