//! The `price_plans` table: what a node-hour, a GB-hour of storage and a
//! thousand transactions cost under each plan.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Set from the path on PUT.
    #[serde(default)]
    pub name: String,
    /// ISO 4217 code, e.g. "USD".
    pub currency: String,
    /// Prices in millionths of the currency unit.
    pub cpu_hour_micros: i64,
    pub memory_gb_hour_micros: i64,
    pub storage_gb_hour_micros: i64,
    pub per_1000_tx_micros: i64,
    pub monthly_base_micros: i64,
}

pub async fn plan_named(db: &Db, name: &str) -> Result<Option<Plan>, Problem> {
    Ok(sqlx::query_as(
        "SELECT name, currency, cpu_hour_micros, memory_gb_hour_micros, storage_gb_hour_micros, per_1000_tx_micros, \
         monthly_base_micros FROM price_plans WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(db)
    .await?)
}

/// Every price plan's name, in order.
pub async fn plan_names(db: &Db) -> Result<Vec<String>, Problem> {
    Ok(sqlx::query_scalar("SELECT name FROM price_plans ORDER BY name").fetch_all(db).await?)
}

/// Replaces the plan named `plan.name`.
pub async fn put_plan(db: &Db, plan: &Plan) -> Result<(), Problem> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM price_plans WHERE name = $1").bind(&plan.name).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO price_plans (name, currency, cpu_hour_micros, memory_gb_hour_micros, storage_gb_hour_micros, \
         per_1000_tx_micros, monthly_base_micros, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&plan.name)
    .bind(&plan.currency)
    .bind(plan.cpu_hour_micros)
    .bind(plan.memory_gb_hour_micros)
    .bind(plan.storage_gb_hour_micros)
    .bind(plan.per_1000_tx_micros)
    .bind(plan.monthly_base_micros)
    .bind(crate::db::now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
