//! The `node_samples` table: what the monitor saw of each node each round
//! (and the roll-ups of older rounds), as the metrics series shows it.

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::db::Db;

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

/// `chain`'s samples (one node's, when given) in [from_ms, to_ms), oldest
/// first, at most 5000.
pub async fn series(
    db: &Db,
    chain: &str,
    node: Option<&str>,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<Sample>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM node_samples WHERE chain_id = $1 AND at_ms >= $2 AND at_ms < $3 {} ORDER BY at_ms LIMIT 5000",
        if node.is_some() { "AND node_id = $4" } else { "" }
    );
    let mut query = sqlx::query(&sql).bind(chain).bind(from_ms).bind(to_ms);
    if let Some(n) = node {
        query = query.bind(n);
    }
    let rows = query.fetch_all(db).await?;
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
    Ok(out)
}

/// One raw sample of a node, as a row keeps it.
pub struct NewSample {
    pub up: bool,
    pub height: Option<i64>,
    pub cpu_permille: Option<i64>,
    pub rss_bytes: Option<i64>,
    pub disk_bytes: i64,
    pub read_bytes: Option<i64>,
    pub written_bytes: Option<i64>,
    pub tx_committed: Option<i64>,
    pub latency_sum_us: Option<i64>,
    pub latency_count: Option<i64>,
}

/// Records a raw sample of `node` of `chain` at `at_ms`.
pub async fn insert(db: &Db, chain: &str, node: &str, at_ms: i64, s: &NewSample) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO node_samples (chain_id, node_id, at_ms, up, height, cpu_permille, rss_bytes, disk_bytes, \
         read_bytes, written_bytes, tx_committed, latency_sum_us, latency_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(chain)
    .bind(node)
    .bind(at_ms)
    .bind(i32::from(s.up))
    .bind(s.height)
    .bind(s.cpu_permille)
    .bind(s.rss_bytes)
    .bind(s.disk_bytes)
    .bind(s.read_bytes)
    .bind(s.written_bytes)
    .bind(s.tx_committed)
    .bind(s.latency_sum_us)
    .bind(s.latency_count)
    .execute(db)
    .await?;
    Ok(())
}

/// Raw rows before `cutoff` become one row per node and `bucket` (lowest
/// `up`, average CPU, highest of the rest) and go; every row before
/// `expired` goes.
pub async fn roll_up(db: &Db, bucket: i64, cutoff: i64, expired: i64) -> Result<(), sqlx::Error> {
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
    sqlx::query("DELETE FROM node_samples WHERE at_ms < $1").bind(expired).execute(&mut *tx).await?;
    tx.commit().await
}
