//! The `metered_usage` table: per chain, hour and resource class, the
//! node time, storage × time and transactions the monitor metered.

use crate::db::Db;
use crate::problem::Problem;

/// One round's use by a chain's nodes of one class.
pub struct Use<'a> {
    pub tenant: &'a str,
    pub chain: &'a str,
    pub hour_ms: i64,
    pub class: &'a str,
    pub cpu_millis: i64,
    pub memory_mb: i64,
    pub node_ms: i64,
    pub storage_byte_secs: i64,
    pub transactions: i64,
}

/// Adds `u` to its chain's row for its hour and class.
pub async fn add(db: &Db, u: &Use<'_>) -> Result<(), sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE metered_usage SET node_ms = node_ms + $1, storage_byte_secs = storage_byte_secs + $2, \
         transactions = transactions + $3 WHERE chain_id = $4 AND hour_ms = $5 AND resource_class = $6",
    )
    .bind(u.node_ms)
    .bind(u.storage_byte_secs)
    .bind(u.transactions)
    .bind(u.chain)
    .bind(u.hour_ms)
    .bind(u.class)
    .execute(db)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO metered_usage (tenant_id, chain_id, hour_ms, resource_class, cpu_millis, memory_mb, node_ms, \
             storage_byte_secs, transactions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(u.tenant)
        .bind(u.chain)
        .bind(u.hour_ms)
        .bind(u.class)
        .bind(u.cpu_millis)
        .bind(u.memory_mb)
        .bind(u.node_ms)
        .bind(u.storage_byte_secs)
        .bind(u.transactions)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// A chain's use of one class over a span, summed.
#[derive(Debug, sqlx::FromRow)]
pub struct Summed {
    pub chain_id: String,
    pub name: String,
    pub resource_class: String,
    pub cpu_millis: i64,
    pub memory_mb: i64,
    pub node_ms: i64,
    pub storage: i64,
    pub txs: i64,
}

/// `tenant`'s use in [from_ms, to_ms) per chain and class. (SUM of a
/// BIGINT is NUMERIC on PostgreSQL: cast back for the Any driver.)
pub async fn summed_between(db: &Db, tenant: &str, from_ms: i64, to_ms: i64) -> Result<Vec<Summed>, Problem> {
    Ok(sqlx::query_as(
        "SELECT u.chain_id, c.name, u.resource_class, u.cpu_millis, u.memory_mb, CAST(SUM(u.node_ms) AS BIGINT) AS node_ms, \
         CAST(SUM(u.storage_byte_secs) AS BIGINT) AS storage, CAST(SUM(u.transactions) AS BIGINT) AS txs \
         FROM metered_usage u \
         JOIN chains c ON c.id = u.chain_id WHERE u.tenant_id = $1 AND u.hour_ms >= $2 AND u.hour_ms < $3 \
         GROUP BY u.chain_id, c.name, u.resource_class, u.cpu_millis, u.memory_mb ORDER BY c.name, u.resource_class",
    )
    .bind(tenant)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(db)
    .await?)
}

/// `tenant`'s transactions since `from_ms`.
pub async fn transactions_since(db: &Db, tenant: &str, from_ms: i64) -> Result<i64, Problem> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(transactions), 0) AS BIGINT) AS txs FROM metered_usage WHERE tenant_id = $1 AND hour_ms >= $2",
    )
    .bind(tenant)
    .bind(from_ms)
    .fetch_one(db)
    .await?)
}
