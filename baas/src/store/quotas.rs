//! The `quotas` table: what a platform admin allows each tenant (a tenant
//! without a row has the default quota).

use crate::db::Db;

/// A tenant's quota as its row keeps it (CPU in thousandths of a core).
#[derive(Debug, sqlx::FromRow)]
pub struct QuotaRow {
    pub max_chains: i64,
    pub max_nodes: i64,
    pub max_cpu_millis: i64,
    pub max_memory_mb: i64,
    pub max_disk_gb: i64,
    pub max_tx_per_month: Option<i64>,
}

/// `tenant`'s quota, if a platform admin set one.
pub async fn load(db: &Db, tenant: &str) -> Result<Option<QuotaRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT max_chains, max_nodes, max_cpu_millis, max_memory_mb, max_disk_gb, max_tx_per_month FROM quotas \
         WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(db)
    .await
}

/// Replaces `tenant`'s quota.
pub async fn replace(db: &Db, tenant: &str, q: &QuotaRow) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM quotas WHERE tenant_id = $1").bind(tenant).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO quotas (tenant_id, max_chains, max_nodes, max_cpu_millis, max_memory_mb, max_disk_gb, \
         max_tx_per_month) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant)
    .bind(q.max_chains)
    .bind(q.max_nodes)
    .bind(q.max_cpu_millis)
    .bind(q.max_memory_mb)
    .bind(q.max_disk_gb)
    .bind(q.max_tx_per_month)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
