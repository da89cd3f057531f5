//! The `nodes` table: each node the BaaS runs, whether it is wanted
//! running, how its limits are enforced and the build it runs.

use sqlx::Row;
use weft_provision::ManifestNode;

use crate::db::Db;
use crate::problem::Problem;

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

/// Whether the node should run (`running` | `stopped`) and how its limits
/// are enforced; a node without a row is wanted running.
pub async fn desired_and_limits(db: &Db, chain: &str, node: &str) -> Result<(String, String), Problem> {
    let row = sqlx::query("SELECT desired, limits FROM nodes WHERE chain_id = $1 AND node_id = $2")
        .bind(chain)
        .bind(node)
        .fetch_optional(db)
        .await?;
    Ok(match row {
        Some(r) => (r.try_get("desired")?, r.try_get("limits")?),
        None => ("running".into(), String::new()),
    })
}

/// Records whether the node should run and, when given, how its limits
/// are enforced now.
pub async fn set_desired(db: &Db, chain: &str, node: &str, desired: &str, limits: Option<&str>) -> Result<(), Problem> {
    sqlx::query("UPDATE nodes SET desired = $1, limits = COALESCE($2, limits) WHERE chain_id = $3 AND node_id = $4")
        .bind(desired)
        .bind(limits)
        .bind(chain)
        .bind(node)
        .execute(db)
        .await?;
    Ok(())
}
