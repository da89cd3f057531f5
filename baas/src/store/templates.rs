//! The `templates` table: chain templates a tenant (or, with no tenant,
//! the platform) defined, as TOML.

use crate::db::Db;
use crate::problem::Problem;

/// A stored template: its name, TOML and owning tenant (None: platform).
#[derive(Debug, sqlx::FromRow)]
pub struct Stored {
    pub name: String,
    pub body: String,
    pub tenant_id: Option<String>,
}

/// The platform's templates and `tenant`'s own.
pub async fn of_tenant(db: &Db, tenant: Option<&str>) -> Result<Vec<Stored>, Problem> {
    Ok(sqlx::query_as("SELECT name, body, tenant_id FROM templates WHERE tenant_id IS NULL OR tenant_id = $1")
        .bind(tenant.unwrap_or(""))
        .fetch_all(db)
        .await?)
}

/// Defines the template `name` (`body` its TOML) for `owner`'s tenant, or
/// for every tenant with no owner.
pub async fn insert(db: &Db, owner: Option<&str>, name: &str, body: &str) -> Result<(), Problem> {
    sqlx::query("INSERT INTO templates (id, tenant_id, name, body, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(crate::secrets::new_id())
        .bind(owner)
        .bind(name)
        .bind(body)
        .bind(crate::db::now())
        .execute(db)
        .await?;
    Ok(())
}

/// Removes the template `name` `owner` defined (None: the platform's);
/// false when there was none.
pub async fn remove(db: &Db, owner: Option<&str>, name: &str) -> Result<bool, Problem> {
    let done = match owner {
        Some(t) => sqlx::query("DELETE FROM templates WHERE name = $1 AND tenant_id = $2").bind(name).bind(t),
        None => sqlx::query("DELETE FROM templates WHERE name = $1 AND tenant_id IS NULL").bind(name),
    }
    .execute(db)
    .await?
    .rows_affected();
    Ok(done > 0)
}
