//! The `alarms` table's rows as the API shows them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct AlarmView {
    pub id: String,
    pub chain_id: String,
    /// The node; empty for a chain-wide alarm (tx-failure-rate,
    /// leader-changes); the chain user (`<common name>@<org>`) for
    /// abnormal-tx-rate.
    pub node_id: String,
    /// node-crashed | node-down | height-lag | certificate-expiring |
    /// disk-full | tx-failure-rate | leader-changes | abnormal-tx-rate
    pub rule: String,
    /// firing | resolved
    pub status: String,
    pub detail: String,
    pub fired_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
}

/// `chain`'s latest 500 alarms, newest first.
pub async fn of_chain(db: &Db, chain: &str) -> Result<Vec<AlarmView>, Problem> {
    Ok(sqlx::query_as(
        "SELECT id, chain_id, node_id, rule, status, detail, fired_at_ms, resolved_at_ms FROM alarms \
         WHERE chain_id = $1 ORDER BY fired_at_ms DESC LIMIT 500",
    )
    .bind(chain)
    .fetch_all(db)
    .await?)
}

/// `chain`'s firing alarms: (node, rule) → alarm id.
pub async fn firing_of_chain(db: &Db, chain: &str) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT node_id, rule, id FROM alarms WHERE chain_id = $1 AND status = 'firing'")
        .bind(chain)
        .fetch_all(db)
        .await
}

/// Records alarm `id` firing on `node` of `chain` under `rule` at `at_ms`.
pub async fn fire(
    db: &Db,
    id: &str,
    chain: &str,
    node: &str,
    rule: &str,
    detail: &str,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO alarms (id, chain_id, node_id, rule, status, detail, fired_at_ms) \
         VALUES ($1, $2, $3, $4, 'firing', $5, $6)",
    )
    .bind(id)
    .bind(chain)
    .bind(node)
    .bind(rule)
    .bind(detail)
    .bind(at_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Records alarm `id` resolved at `at_ms`.
pub async fn resolve(db: &Db, id: &str, at_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE alarms SET status = 'resolved', resolved_at_ms = $1 WHERE id = $2")
        .bind(at_ms)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
