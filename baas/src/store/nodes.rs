//! The `nodes` table: each node the BaaS runs, whether it is wanted
//! running, how its limits are enforced and the build it runs.

use sqlx::Row;
use weft_provision::ManifestNode;

use crate::db::Db;

/// One line saying how the chain's nodes are limited (they share a host,
/// so usually all the same way).
pub async fn limits_summary(db: &Db, chain: &str) -> String {
    let rows = sqlx::query("SELECT DISTINCT limits FROM nodes WHERE chain_id = $1").bind(chain).fetch_all(db).await;
    let all: Vec<String> = rows.unwrap_or_default().iter().filter_map(|r| r.try_get("limits").ok()).collect();
    all.join(" | ")
}

pub async fn record(db: &Db, chain: &str, node: &ManifestNode, limits: &str) -> Result<(), String> {
    let roles: Vec<&str> = node.roles.iter().map(|r| r.name()).collect();
    // An update, when the node has a row, so the build it runs is kept.
    let updated = sqlx::query("UPDATE nodes SET desired = 'running', limits = $1 WHERE chain_id = $2 AND node_id = $3")
        .bind(limits)
        .bind(chain)
        .bind(&node.id)
        .execute(db)
        .await
        .map_err(|e| e.to_string())?;
    if updated.rows_affected() > 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO nodes (chain_id, node_id, org_id, roles, desired, limits) VALUES ($1, $2, $3, $4, 'running', $5)",
    )
    .bind(chain)
    .bind(&node.id)
    .bind(&node.org)
    .bind(roles.join(","))
    .bind(limits)
    .execute(db)
    .await
    .map_err(|e| format!("recording node {}: {e}", node.id))?;
    Ok(())
}
