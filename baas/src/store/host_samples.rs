//! The `host_samples` table: what the monitor read of the BaaS host's own
//! resources each round, and the roll-ups of older rounds.

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::db::Db;

/// One raw reading of a host, as a row keeps it.
pub struct NewHostSample {
    pub cpu_permille: Option<i64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    pub disk_used_bytes: Option<i64>,
    pub disk_total_bytes: Option<i64>,
    pub net_rx_bytes: i64,
    pub net_tx_bytes: i64,
    pub load1_milli: Option<i64>,
}

/// Records a raw sample of `host` at `at_ms`.
pub async fn insert(db: &Db, host: &str, at_ms: i64, s: &NewHostSample) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO host_samples (host, at_ms, resolution_ms, cpu_permille, memory_used_bytes, memory_total_bytes, \
         disk_used_bytes, disk_total_bytes, net_rx_bytes, net_tx_bytes, load1_milli) \
         VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(host)
    .bind(at_ms)
    .bind(s.cpu_permille)
    .bind(s.memory_used_bytes)
    .bind(s.memory_total_bytes)
    .bind(s.disk_used_bytes)
    .bind(s.disk_total_bytes)
    .bind(s.net_rx_bytes)
    .bind(s.net_tx_bytes)
    .bind(s.load1_milli)
    .execute(db)
    .await?;
    Ok(())
}

/// Raw rows before `cutoff` become one row per `bucket` (average CPU and
/// load, highest of the rest) and go; every row before `expired` goes.
pub async fn roll_up(db: &Db, bucket: i64, cutoff: i64, expired: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO host_samples (host, at_ms, resolution_ms, cpu_permille, memory_used_bytes, memory_total_bytes, \
         disk_used_bytes, disk_total_bytes, net_rx_bytes, net_tx_bytes, load1_milli) \
         SELECT host, (at_ms / $1) * $1, $1, CAST(AVG(cpu_permille) AS BIGINT), MAX(memory_used_bytes), \
         MAX(memory_total_bytes), MAX(disk_used_bytes), MAX(disk_total_bytes), MAX(net_rx_bytes), MAX(net_tx_bytes), \
         CAST(AVG(load1_milli) AS BIGINT) FROM host_samples WHERE resolution_ms = 0 AND at_ms < $2 GROUP BY 1, 2",
    )
    .bind(bucket)
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM host_samples WHERE resolution_ms = 0 AND at_ms < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM host_samples WHERE at_ms < $1").bind(expired).execute(&mut *tx).await?;
    tx.commit().await
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
