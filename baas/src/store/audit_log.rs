//! The `audit_log` table: the hash-chained entries of every mutating API
//! call (`audit` says how each entry's hash is made and checked).

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct AuditEntry {
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub at_ms: i64,
    /// The caller's username, or "-" when the call carried no valid token.
    pub actor: String,
    pub tenant_id: Option<String>,
    /// Method and route, e.g. "POST /api/chains/{chain}/nodes".
    pub action: String,
    /// The path as called.
    pub target: String,
    /// The HTTP status answered.
    pub status: i32,
    pub prev_hash: String,
    pub hash: String,
}

/// The last entry's seq and hash, if there is one.
pub async fn last(db: &Db) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(db).await
}

pub async fn insert(db: &Db, e: &AuditEntry) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor, tenant_id, action, target, status, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.seq)
    .bind(e.at_ms)
    .bind(&e.actor)
    .bind(&e.tenant_id)
    .bind(&e.action)
    .bind(&e.target)
    .bind(e.status)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(db)
    .await?;
    Ok(())
}

/// Which entries a page holds: after `after_seq`, in [from_ms, to_ms), at
/// most `limit`, only `tenant`'s when one is given.
pub struct Page<'a> {
    pub after_seq: i64,
    pub from_ms: i64,
    pub to_ms: i64,
    pub limit: i64,
    pub tenant: Option<&'a str>,
}

/// The entries `page` asks for, in seq order.
pub async fn page(db: &Db, page: &Page<'_>) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM audit_log WHERE seq > $1 AND at_ms >= $2 AND at_ms < $3 {} ORDER BY seq LIMIT $4",
        if page.tenant.is_some() { "AND tenant_id = $5" } else { "" }
    );
    let mut query = sqlx::query_as(&sql).bind(page.after_seq).bind(page.from_ms).bind(page.to_ms).bind(page.limit);
    if let Some(t) = page.tenant {
        query = query.bind(t);
    }
    query.fetch_all(db).await
}

/// Up to `limit` entries after `seq`, in seq order.
pub async fn after(db: &Db, seq: i64, limit: i64) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
        .bind(seq)
        .bind(limit)
        .fetch_all(db)
        .await
}
