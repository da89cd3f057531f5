//! Downsampling: raw samples older than the raw window are summarised into
//! one row per bucket (node: lowest `up`, highest height, memory, disk,
//! I/O and transaction counters, average CPU; host: average CPU and load,
//! highest of the rest), marked with the bucket's width, and the raw rows
//! deleted; every row older than the retention is deleted. Buckets are
//! aligned, so each raw row is rolled up exactly once.

use crate::db::Db;

pub async fn roll_up(
    db: &Db,
    now_ms: i64,
    raw_for_ms: i64,
    bucket_ms: i64,
    retention_ms: i64,
) -> Result<(), sqlx::Error> {
    let bucket = bucket_ms.max(1);
    let cutoff = (now_ms - raw_for_ms).div_euclid(bucket) * bucket;
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO node_samples (chain_id, node_id, at_ms, resolution_ms, up, height, cpu_permille, rss_bytes, \
         disk_bytes, read_bytes, written_bytes, tx_committed, latency_sum_us, latency_count) \
         SELECT chain_id, node_id, (at_ms / $1) * $1, $1, MIN(up), MAX(height), CAST(AVG(cpu_permille) AS BIGINT), \
         MAX(rss_bytes), MAX(disk_bytes), MAX(read_bytes), MAX(written_bytes), MAX(tx_committed), \
         MAX(latency_sum_us), MAX(latency_count) FROM node_samples \
         WHERE resolution_ms = 0 AND at_ms < $2 GROUP BY 1, 2, 3",
    )
    .bind(bucket)
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM node_samples WHERE resolution_ms = 0 AND at_ms < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
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
    let expired = now_ms - retention_ms;
    sqlx::query("DELETE FROM node_samples WHERE at_ms < $1").bind(expired).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM host_samples WHERE at_ms < $1").bind(expired).execute(&mut *tx).await?;
    tx.commit().await
}
