//! The `tokens` table: sessions and API tokens, stored as the SHA-256 of
//! their secret (issued by `auth::issue_token`).

use crate::db::Db;
use crate::problem::Problem;

/// A token as its owner lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub token_hash: String,
    /// session | api
    pub kind: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub chain_user_id: Option<String>,
}

/// `user`'s tokens that have not expired at `now`, oldest first.
pub async fn live_of_user(db: &Db, user: &str, now: i64) -> Result<Vec<TokenRow>, Problem> {
    Ok(sqlx::query_as(
        "SELECT token_hash, kind, name, created_at, expires_at, last_used_at, chain_user_id FROM tokens \
         WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY created_at, token_hash",
    )
    .bind(user)
    .bind(now)
    .fetch_all(db)
    .await?)
}

/// Revokes `user`'s token whose id (the first 16 hex digits of its hash)
/// is `id`; false when they hold none.
pub async fn revoke(db: &Db, user: &str, id: &str) -> Result<bool, Problem> {
    let done = sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND substr(token_hash, 1, 16) = $2")
        .bind(user)
        .bind(id)
        .execute(db)
        .await?
        .rows_affected();
    Ok(done > 0)
}
