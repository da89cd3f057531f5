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
    let expired = now_ms - retention_ms;
    crate::store::node_samples::roll_up(db, bucket, cutoff, expired).await?;
    crate::store::host_samples::roll_up(db, bucket, cutoff, expired).await
}
