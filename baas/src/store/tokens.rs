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

/// A token's owner as a request is authorised: the user, the token's
/// expiry and last use, and for a token bound to a chain user that user's
/// chain, revocation and tenant.
#[derive(Debug, sqlx::FromRow)]
pub struct Holder {
    pub id: String,
    pub username: String,
    pub role: String,
    pub tenant_id: Option<String>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub chain_user_id: Option<String>,
    pub bound_chain: Option<String>,
    pub bound_revoked_at: Option<i64>,
    pub bound_tenant: Option<String>,
}

/// Who holds the token whose SHA-256 is `hash`.
pub async fn holder(db: &Db, hash: &str) -> Result<Option<Holder>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id, u.username, u.role, u.tenant_id, t.expires_at, t.last_used_at, t.chain_user_id, \
         cu.chain_id AS bound_chain, cu.revoked_at AS bound_revoked_at, c.tenant_id AS bound_tenant \
         FROM tokens t JOIN users u ON u.id = t.user_id \
         LEFT JOIN chain_users cu ON cu.id = t.chain_user_id LEFT JOIN chains c ON c.id = cu.chain_id \
         WHERE t.token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(db)
    .await
}

/// Records that the token was used at `at` (unix seconds).
pub async fn touch(db: &Db, hash: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE token_hash = $2").bind(at).bind(hash).execute(db).await?;
    Ok(())
}

/// A token's row, as it is stored.
pub struct NewRow<'a> {
    pub hash: &'a str,
    pub user_id: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
    pub chain_user_id: Option<&'a str>,
}

pub async fn insert(db: &Db, t: &NewRow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO tokens (token_hash, user_id, kind, name, created_at, expires_at, chain_user_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.hash)
    .bind(t.user_id)
    .bind(t.kind)
    .bind(t.name)
    .bind(t.created_at)
    .bind(t.expires_at)
    .bind(t.chain_user_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes the token whose SHA-256 is `hash`.
pub async fn remove(db: &Db, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM tokens WHERE token_hash = $1").bind(hash).execute(db).await?;
    Ok(())
}
