//! The `node_builds` table: weft-node executables a platform admin
//! registered for rolling upgrades, with the hash they had then.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct NodeBuild {
    pub version: String,
    pub path: String,
    /// Hex SHA-256 of the executable when it was registered.
    pub sha256: String,
    /// What `<path> --version` printed.
    pub reports: String,
    pub registered_by: String,
    pub registered_at: i64,
}

/// The build registered as `version`.
pub async fn load(db: &Db, version: &str) -> Result<Option<NodeBuild>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM node_builds WHERE version = $1").bind(version).fetch_optional(db).await
}

/// Registers a build; an error when `version` is registered already.
pub async fn insert(
    db: &Db,
    version: &str,
    path: &str,
    sha256: &str,
    reports: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO node_builds (version, path, sha256, reports, registered_by, registered_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(version)
    .bind(path)
    .bind(sha256)
    .bind(reports)
    .bind(by)
    .bind(crate::db::now())
    .execute(db)
    .await?;
    Ok(())
}

/// Every registered build, oldest first.
pub async fn all(db: &Db) -> Result<Vec<NodeBuild>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM node_builds ORDER BY registered_at, version").fetch_all(db).await
}
