//! The `login_failures` table: per username and source address, failed
//! logins in a row and when the last was.

use crate::db::Db;

/// `username`'s failures in a row from `source` and when the last was (ms).
pub async fn of(db: &Db, username: &str, source: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT failures, last_failure_ms FROM login_failures WHERE username = $1 AND source = $2")
        .bind(username)
        .bind(source)
        .fetch_optional(db)
        .await
}

/// Counts a failure at `now_ms`: one more in a row, or the first again
/// when the last was before `forget_before_ms`. The count now.
pub async fn count_failure(
    db: &Db,
    username: &str,
    source: &str,
    now_ms: i64,
    forget_before_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO login_failures (username, source, failures, last_failure_ms) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (username, source) DO UPDATE SET last_failure_ms = $3, failures = CASE \
         WHEN login_failures.last_failure_ms < $4 THEN 1 ELSE login_failures.failures + 1 END",
    )
    .bind(username)
    .bind(source)
    .bind(now_ms)
    .bind(forget_before_ms)
    .execute(db)
    .await?;
    sqlx::query_scalar("SELECT failures FROM login_failures WHERE username = $1 AND source = $2")
        .bind(username)
        .bind(source)
        .fetch_one(db)
        .await
}

/// Forgets `username`'s failures from every source.
pub async fn clear_user(db: &Db, username: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1").bind(username).execute(db).await?;
    Ok(())
}

/// Forgets `username`'s failures from `source`.
pub async fn clear(db: &Db, username: &str, source: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1 AND source = $2")
        .bind(username)
        .bind(source)
        .execute(db)
        .await?;
    Ok(())
}
