//! The `chains` table: a chain's row, its lifecycle status, and who may
//! read or change it.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;
use crate::role::Caller;
use crate::templates::{Demand, TemplateSummary};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Chain {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub template: String,
    /// solo | raft | pbft
    pub consensus: String,
    pub status: ChainStatus,
    /// Why it failed, or where its data was archived.
    pub detail: String,
    /// What it counts against the tenant's quota.
    pub demand: Demand,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
}

/// Where a chain is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChainStatus {
    /// Its creation job runs.
    Creating,
    Running,
    /// Its creation failed; `detail` says why.
    Failed,
    /// Its deletion job runs.
    Deleting,
    /// Its nodes are stopped and its data archived.
    Deleted,
}

impl ChainStatus {
    pub const ALL: [ChainStatus; 5] =
        [ChainStatus::Creating, ChainStatus::Running, ChainStatus::Failed, ChainStatus::Deleting, ChainStatus::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            ChainStatus::Creating => "creating",
            ChainStatus::Running => "running",
            ChainStatus::Failed => "failed",
            ChainStatus::Deleting => "deleting",
            ChainStatus::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Result<ChainStatus, Problem> {
        ChainStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Problem::internal(format!("unknown chain status {s:?} in the database")))
    }
}

impl std::fmt::Display for ChainStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const CHAIN_COLUMNS: &str = "id, tenant_id, name, template, consensus, status, detail, node_count, cpu_millis, \
                             memory_mb, disk_gb, created_at, deleted_at";

pub fn chain_of(row: &AnyRow) -> Result<Chain, Problem> {
    Ok(Chain {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        template: row.try_get("template")?,
        consensus: row.try_get("consensus")?,
        status: ChainStatus::parse(&row.try_get::<String, _>("status")?)?,
        detail: row.try_get("detail")?,
        demand: Demand {
            nodes: row.try_get("node_count")?,
            cpu: row.try_get::<i64, _>("cpu_millis")? as f64 / 1000.0,
            memory_mb: row.try_get("memory_mb")?,
            disk_gb: row.try_get("disk_gb")?,
        },
        created_at: row.try_get("created_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

pub async fn load(db: &Db, id: &str) -> Result<Option<Chain>, Problem> {
    let row =
        sqlx::query(&format!("SELECT {CHAIN_COLUMNS} FROM chains WHERE id = $1")).bind(id).fetch_optional(db).await?;
    row.as_ref().map(chain_of).transpose()
}

/// The chain `id` if the caller may read it; 404 otherwise (another
/// tenant's chain looks the same as none).
pub async fn readable(db: &Db, caller: &Caller, id: &str) -> Result<Chain, Problem> {
    match load(db, id).await? {
        Some(c) if caller.can_read_tenant(&c.tenant_id) => Ok(c),
        _ => Err(Problem::not_found(format!("no chain {id} that you can see; GET /api/chains lists yours"))),
    }
}

/// The chain `id` if the caller may change it: 404 if it may not see it,
/// 403 if it may only read it.
pub async fn manageable(db: &Db, caller: &Caller, id: &str) -> Result<Chain, Problem> {
    let chain = readable(db, caller, id).await?;
    if !caller.can_manage_tenant(&chain.tenant_id) {
        return Err(Problem::forbidden("only the tenant's admins (or a platform admin) change its chains"));
    }
    Ok(chain)
}

/// [`manageable`], and running: `doing` ends the refusal of a chain in any
/// other state ("chain X is failed; <doing>").
pub async fn manageable_running(db: &Db, caller: &Caller, id: &str, doing: &str) -> Result<Chain, Problem> {
    let chain = manageable(db, caller, id).await?;
    if chain.status != ChainStatus::Running {
        return Err(Problem::conflict(format!("chain {} is {}; {doing}", chain.id, chain.status)));
    }
    Ok(chain)
}

/// Whether `tenant` has a chain named `name` that is not deleted.
pub async fn name_taken(db: &Db, tenant: &str, name: &str) -> Result<bool, Problem> {
    let row = sqlx::query("SELECT 1 AS one FROM chains WHERE tenant_id = $1 AND name = $2 AND status <> 'deleted'")
        .bind(tenant)
        .bind(name)
        .fetch_optional(db)
        .await?;
    Ok(row.is_some())
}

/// Records a chain being created from `template` (status `creating`).
pub async fn insert(db: &Db, id: &str, tenant: &str, name: &str, template: &TemplateSummary) -> Result<(), Problem> {
    let demand = &template.demand;
    sqlx::query(
        "INSERT INTO chains (id, tenant_id, name, template, spec, consensus, node_count, cpu_millis, memory_mb, \
         disk_gb, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'creating', $11)",
    )
    .bind(id)
    .bind(tenant)
    .bind(name)
    .bind(&template.name)
    .bind(&template.toml)
    .bind(&template.consensus)
    .bind(demand.nodes)
    .bind((demand.cpu * 1000.0).round() as i64)
    .bind(demand.memory_mb)
    .bind(demand.disk_gb)
    .bind(crate::db::now())
    .execute(db)
    .await?;
    Ok(())
}

/// Every chain not deleted, oldest first.
pub async fn all_live(db: &Db) -> Result<Vec<Chain>, Problem> {
    let query = format!("SELECT {CHAIN_COLUMNS} FROM chains WHERE status <> 'deleted' ORDER BY created_at, id");
    sqlx::query(&query).fetch_all(db).await?.iter().map(chain_of).collect()
}

/// Moves a running or failed chain to `deleting`, so that no other job
/// starts on it; false when it was in neither state.
pub async fn claim_for_deletion(db: &Db, id: &str) -> Result<bool, Problem> {
    let claimed =
        sqlx::query("UPDATE chains SET status = 'deleting' WHERE id = $1 AND status IN ('running', 'failed')")
            .bind(id)
            .execute(db)
            .await?
            .rows_affected();
    Ok(claimed > 0)
}

/// How many chains run and how many nodes they have.
pub async fn running_totals(db: &Db) -> Result<(i64, i64), Problem> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS chains, CAST(COALESCE(SUM(node_count), 0) AS BIGINT) AS nodes FROM chains \
         WHERE status = 'running'",
    )
    .fetch_one(db)
    .await?;
    Ok((row.try_get("chains")?, row.try_get("nodes")?))
}

/// Records `chain`'s lifecycle status and why.
pub async fn set_status(db: &Db, chain: &str, status: &str, detail: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE chains SET status = $1, detail = $2 WHERE id = $3")
        .bind(status)
        .bind(detail)
        .bind(chain)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks `chain` deleted at `at` (its row stays for billing and audit).
pub async fn mark_deleted(db: &Db, chain: &str, detail: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE chains SET status = 'deleted', detail = $1, deleted_at = $2 WHERE id = $3")
        .bind(detail)
        .bind(at)
        .bind(chain)
        .execute(db)
        .await?;
    Ok(())
}

/// Records the build `chain`'s nodes start on.
pub async fn set_node_build(db: &Db, chain: &str, build: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE chains SET node_build = $1 WHERE id = $2").bind(build).bind(chain).execute(db).await?;
    Ok(())
}

/// The ids of the running chains.
pub async fn running_ids(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM chains WHERE status = 'running'").fetch_all(db).await
}

/// The template `chain` was made from, as it was then (TOML).
pub async fn spec(db: &Db, chain: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT spec FROM chains WHERE id = $1").bind(chain).fetch_one(db).await
}

/// The running chains: (id, tenant, template spec).
pub async fn running_specs(db: &Db) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, tenant_id, spec FROM chains WHERE status = 'running'").fetch_all(db).await
}

/// What one chain demands of its tenant's quota (CPU in thousandths).
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Demanded {
    pub node_count: i64,
    pub cpu_millis: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
}

/// The demands of `tenant`'s live chains (being made, running or being
/// deleted).
pub async fn demands_of_tenant(db: &Db, tenant: &str) -> Result<Vec<Demanded>, sqlx::Error> {
    sqlx::query_as(
        "SELECT node_count, cpu_millis, memory_mb, disk_gb FROM chains \
         WHERE tenant_id = $1 AND status IN ('creating', 'running', 'deleting')",
    )
    .bind(tenant)
    .fetch_all(db)
    .await
}

/// Adds `delta` (negative parts to release) to `chain`'s recorded demand.
pub async fn add_demand(db: &Db, chain: &str, delta: &Demanded) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE chains SET node_count = node_count + $1, cpu_millis = cpu_millis + $2, memory_mb = memory_mb + $3, \
         disk_gb = disk_gb + $4 WHERE id = $5",
    )
    .bind(delta.node_count)
    .bind(delta.cpu_millis)
    .bind(delta.memory_mb)
    .bind(delta.disk_gb)
    .bind(chain)
    .execute(db)
    .await?;
    Ok(())
}

/// How many chains there are in each status.
pub async fn status_counts(db: &Db) -> Result<Vec<(String, i64)>, Problem> {
    Ok(sqlx::query_as("SELECT status, COUNT(*) FROM chains GROUP BY status ORDER BY status").fetch_all(db).await?)
}
