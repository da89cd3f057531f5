//! The `tenants` table, and which tenants a caller may read.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;
use crate::role::Caller;

#[derive(Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// The tenant `id` if the caller may read it; 404 for one it may not see
/// (no telling other tenants' ids apart from missing ones).
pub(crate) async fn readable_tenant(db: &Db, caller: &Caller, id: &str) -> Result<Tenant, Problem> {
    let tenant: Option<Tenant> =
        sqlx::query_as("SELECT id, name, created_at FROM tenants WHERE id = $1").bind(id).fetch_optional(db).await?;
    match tenant {
        Some(tenant) if caller.can_read_tenant(id) => Ok(tenant),
        _ => Err(Problem::not_found(format!("no tenant {id} that you can see"))),
    }
}

/// Every tenant, by name.
pub async fn all(db: &Db) -> Result<Vec<Tenant>, Problem> {
    Ok(sqlx::query_as("SELECT id, name, created_at FROM tenants ORDER BY name").fetch_all(db).await?)
}

/// Whether a tenant is named `name`.
pub async fn name_taken(db: &Db, name: &str) -> Result<bool, Problem> {
    Ok(sqlx::query("SELECT 1 AS one FROM tenants WHERE name = $1").bind(name).fetch_optional(db).await?.is_some())
}

pub async fn insert(db: &Db, tenant: &Tenant) -> Result<(), Problem> {
    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&tenant.id)
        .bind(&tenant.name)
        .bind(tenant.created_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The name of `tenant`'s price plan.
pub async fn plan_of_tenant(db: &Db, tenant: &str) -> Result<String, Problem> {
    Ok(sqlx::query_scalar("SELECT plan FROM tenants WHERE id = $1").bind(tenant).fetch_one(db).await?)
}

pub async fn set_tenant_plan(db: &Db, tenant: &str, plan: &str) -> Result<(), Problem> {
    sqlx::query("UPDATE tenants SET plan = $1 WHERE id = $2").bind(plan).bind(tenant).execute(db).await?;
    Ok(())
}
