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

/// The build `node` of `chain` runs: its own, else its chain's (None:
/// the bundled one).
pub async fn build(db: &Db, chain: &str, node: &str) -> Result<Option<String>, sqlx::Error> {
    let build: Option<Option<String>> = sqlx::query_scalar(
        "SELECT COALESCE(n.build, c.node_build) AS build FROM chains c \
         LEFT JOIN nodes n ON n.chain_id = c.id AND n.node_id = $2 WHERE c.id = $1",
    )
    .bind(chain)
    .bind(node)
    .fetch_optional(db)
    .await?;
    Ok(build.flatten())
}

/// Records `version` as the build `node` of `chain` runs.
pub async fn set_build(db: &Db, chain: &str, node: &str, version: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE nodes SET build = $1 WHERE chain_id = $2 AND node_id = $3")
        .bind(version)
        .bind(chain)
        .bind(node)
        .execute(db)
        .await?;
    Ok(())
}

/// Lets every node of `chain` run its chain's build.
pub async fn clear_builds(db: &Db, chain: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE nodes SET build = NULL WHERE chain_id = $1").bind(chain).execute(db).await?;
    Ok(())
}

/// Wants every node of `chain` stopped.
pub async fn stop_all(db: &Db, chain: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE nodes SET desired = 'stopped' WHERE chain_id = $1").bind(chain).execute(db).await?;
    Ok(())
}

/// Forgets `node` of `chain`.
pub async fn remove(db: &Db, chain: &str, node: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM nodes WHERE chain_id = $1 AND node_id = $2").bind(chain).bind(node).execute(db).await?;
    Ok(())
}

/// Forgets every node of `chain`.
pub async fn remove_all(db: &Db, chain: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM nodes WHERE chain_id = $1").bind(chain).execute(db).await?;
    Ok(())
}

/// Whether each recorded node of `chain` should run: (node, desired).
pub async fn desired_of_chain(db: &Db, chain: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT node_id, desired FROM nodes WHERE chain_id = $1").bind(chain).fetch_all(db).await
}

/// Whether `node` of `chain` is still wanted running on a running chain.
pub async fn wanted_running(db: &Db, chain: &str, node: &str) -> Result<bool, sqlx::Error> {
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM nodes n JOIN chains c ON c.id = n.chain_id \
         WHERE n.chain_id = $1 AND n.node_id = $2 AND n.desired = 'running' AND c.status = 'running'",
    )
    .bind(chain)
    .bind(node)
    .fetch_one(db)
    .await?;
    Ok(found > 0)
}
