//! The `users` table: accounts, their password hashes (argon2) and lookups
//! by id and by name.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};
use utoipa::ToSchema;

use crate::db::{now, Db};
use crate::problem::Problem;
use crate::role::Role;
use crate::secrets::{hash_password, new_id, verify_password};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub username: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// None for platform-wide users.
    pub tenant_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// A user from a row that has `USER_COLUMNS` (and maybe more).
pub fn user_of(row: &AnyRow) -> Result<User, Problem> {
    Ok(User::from_row(row)?)
}

pub const USER_COLUMNS: &str = "id, username, role, tenant_id, created_at";

pub async fn user_by_id(db: &Db, id: &str) -> Result<User, Problem> {
    find_user(db, id).await?.ok_or_else(|| Problem::not_found(format!("no user {id}")))
}

/// The user `id`, if there is one (a missing row is an answer, not an
/// error to log).
pub async fn find_user(db: &Db, id: &str) -> Result<Option<User>, Problem> {
    let row =
        sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")).bind(id).fetch_optional(db).await?;
    row.as_ref().map(user_of).transpose()
}

/// argon2 is deliberately slow: it runs off the reactor, a few at a time.
pub async fn hashed(password: &str) -> Result<String, Problem> {
    let _turn = crate::login_guard::hashing_turn().await?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(Problem::internal)
}

pub async fn verified(password: &str, hash: String) -> Result<bool, Problem> {
    let _turn = crate::login_guard::hashing_turn().await?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.map_err(Problem::internal)
}

/// A hash to verify against when the username is unknown.
pub fn unknown_user_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&crate::secrets::one_time_password()))
}

/// Inserts a user; the username must be free. A tenant user's username
/// is qualified with the tenant's name, so "taken" only ever speaks of the
/// caller's own tenant.
pub async fn create_user(
    db: &Db,
    username: &str,
    password: &str,
    role: Role,
    tenant_id: Option<&str>,
) -> Result<User, Problem> {
    let taken = sqlx::query("SELECT 1 AS one FROM users WHERE username = $1").bind(username).fetch_optional(db).await?;
    if taken.is_some() {
        return Err(Problem::conflict(format!("the username {username:?} is taken; choose another name")));
    }
    let id = new_id();
    let hash = hashed(password).await?;
    sqlx::query(
        "INSERT INTO users (id, username, password_hash, role, tenant_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(username)
    .bind(hash)
    .bind(role.as_str())
    .bind(tenant_id)
    .bind(now())
    .execute(db)
    .await?;
    user_by_id(db, &id).await
}

/// `tenant`'s users, by name.
pub async fn of_tenant(db: &Db, tenant: &str) -> Result<Vec<User>, Problem> {
    let query = format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY username");
    Ok(sqlx::query_as(&query).bind(tenant).fetch_all(db).await?)
}

/// The user named `username` and their password hash, if there is one.
pub async fn with_password(db: &Db, username: &str) -> Result<Option<(User, String)>, Problem> {
    let query = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1");
    let Some(row) = sqlx::query(&query).bind(username).fetch_optional(db).await? else { return Ok(None) };
    Ok(Some((user_of(&row)?, row.try_get("password_hash")?)))
}

/// The password hash of the user `id`.
pub async fn password_hash(db: &Db, id: &str) -> Result<String, Problem> {
    let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1").bind(id).fetch_one(db).await?;
    Ok(row.try_get("password_hash")?)
}

/// Sets the user's password hash and, in the same transaction, ends their
/// sessions but `keep` (the session asking) — with no `keep`, their API
/// tokens too (an admin's reset). How many sessions and tokens ended.
pub async fn set_password(db: &Db, id: &str, hash: &str, keep: Option<&str>) -> Result<u64, Problem> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(id).execute(&mut *tx).await?;
    let ended = match keep {
        Some(session) => {
            sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND kind = 'session' AND token_hash <> $2")
                .bind(id)
                .bind(session)
                .execute(&mut *tx)
                .await?
        }
        None => sqlx::query("DELETE FROM tokens WHERE user_id = $1").bind(id).execute(&mut *tx).await?,
    };
    tx.commit().await?;
    Ok(ended.rows_affected())
}

/// Removes the user `id` and every session and token of theirs.
pub async fn remove(db: &Db, id: &str) -> Result<(), Problem> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM tokens WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// How many users there are.
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(db).await
}
