//! Bearer authentication: `Authorization: Bearer wft_…`, a session token
//! from `POST /api/auth/login` or an API token, looked up by its hash.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sqlx::Row;

use crate::db::{now, Db};
use crate::problem::Problem;
use crate::role::{Caller, Role};
use crate::secrets::{new_token, token_hash};
use crate::AppState;

/// A caller resolved before the handler ran (by the audit middleware),
/// for the `Caller` extractor to use instead of looking it up again.
#[derive(Clone)]
pub struct Resolved(pub Caller);

/// How long a login session lasts.
pub const SESSION_SECS: i64 = 12 * 3600;

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, Problem> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
            return Err(Problem::unauthorized(
                "no bearer token: log in with POST /api/auth/login, or send an API token as Authorization: Bearer …",
            ));
        };
        let token = token.trim();
        let hash = token_hash(token);
        if let Err((wait, report)) = state.rate_limiter.take(&hash, std::time::Instant::now()) {
            let secs = wait.as_secs().max(1);
            if report {
                let subject = format!("token {}", &hash[..hash.len().min(12)]);
                tracing::warn!(%subject, "token rate limited");
                let _ = crate::security::event(&state.db, "rate-limited", &subject, "over the per-token request rate")
                    .await;
            }
            return Err(Problem::too_many(
                format!("too many requests with this token; slow down and retry in {secs} s"),
                secs,
            ));
        }
        // The audit middleware looked this token up already for a call
        // that changes something: one database lookup per request.
        if let Some(Resolved(caller)) = parts.extensions.remove::<Resolved>() {
            return Ok(caller);
        }
        caller_of(&state.db, token).await
    }
}

pub(crate) async fn caller_of(db: &Db, token: &str) -> Result<Caller, Problem> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.role, u.tenant_id, t.expires_at, t.chain_user_id, c.tenant_id AS bound_tenant \
         FROM tokens t JOIN users u ON u.id = t.user_id \
         LEFT JOIN chain_users cu ON cu.id = t.chain_user_id LEFT JOIN chains c ON c.id = cu.chain_id \
         WHERE t.token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(db)
    .await?;
    let Some(row) = row else {
        return Err(Problem::unauthorized("the bearer token is not known (revoked, or never issued); log in again"));
    };
    let expires_at: Option<i64> = row.try_get("expires_at")?;
    if expires_at.is_some_and(|t| t <= now()) {
        return Err(Problem::unauthorized("the session has expired; log in again"));
    }
    let chain_user_id: Option<String> = row.try_get("chain_user_id")?;
    let mut caller = Caller {
        user_id: row.try_get("id")?,
        username: row.try_get("username")?,
        role: crate::accounts::role_of(&row)?,
        tenant_id: row.try_get("tenant_id")?,
        chain_user_id: None,
    };
    if let Some(user) = chain_user_id {
        // A token bound to a chain user is an application's: whoever issued
        // it, it may read its chain's tenant and transact as that user, no
        // more (a tenant member's rights).
        caller.role = Role::TenantMember;
        caller.tenant_id = row.try_get("bound_tenant")?;
        caller.chain_user_id = Some(user);
    }
    Ok(caller)
}

/// Stores a new token for `user_id`; returns the secret (shown once).
pub async fn issue_token(
    db: &Db,
    user_id: &str,
    kind: &str,
    name: &str,
    expires_at: Option<i64>,
) -> Result<String, Problem> {
    let token = new_token();
    sqlx::query(
        "INSERT INTO tokens (token_hash, user_id, kind, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(kind)
    .bind(name)
    .bind(now())
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(token)
}

pub async fn revoke_token(db: &Db, token: &str) -> Result<(), Problem> {
    sqlx::query("DELETE FROM tokens WHERE token_hash = $1").bind(token_hash(token)).execute(db).await?;
    Ok(())
}

/// The bearer secret of a request whose caller was already authenticated.
pub fn bearer(parts: &axum::http::HeaderMap) -> Option<&str> {
    parts.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}
