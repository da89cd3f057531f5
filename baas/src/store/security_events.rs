//! The `security_events` table: failed logins, lockouts, rate limiting
//! and abnormal transaction rates, as auditors read them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::problem::Problem;

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct SecurityEvent {
    pub at_ms: i64,
    /// failed-login | lockout | rate-limited
    pub kind: String,
    /// The username, or the token's hash prefix.
    pub subject: String,
    pub detail: String,
}

pub async fn insert(db: &Db, at_ms: i64, kind: &str, subject: &str, detail: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO security_events (at_ms, kind, subject, detail) VALUES ($1, $2, $3, $4)")
        .bind(at_ms)
        .bind(kind)
        .bind(subject)
        .bind(detail)
        .execute(db)
        .await?;
    Ok(())
}

/// The latest 1000 security events since `from_ms`, newest first.
pub async fn events_since(db: &Db, from_ms: i64) -> Result<Vec<SecurityEvent>, Problem> {
    Ok(sqlx::query_as(
        "SELECT at_ms, kind, subject, detail FROM security_events WHERE at_ms >= $1 ORDER BY at_ms DESC LIMIT 1000",
    )
    .bind(from_ms)
    .fetch_all(db)
    .await?)
}
