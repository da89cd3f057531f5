//! A person's bearer tokens: API tokens they mint (`POST /api/tokens`),
//! their login sessions and the application tokens they bound to chain
//! users — listed with when each was last used, and revoked by id. Every
//! token expires: API tokens after `DEFAULT_DAYS` unless asked otherwise,
//! never later than `MAX_DAYS`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::auth::{bearer, issue_token, NewToken as StoredToken};
use crate::db::now;
use crate::problem::{ApiResult, Problem};
use crate::role::{Caller, Role};
use crate::secrets::token_hash;
use crate::AppState;

/// An API token's lifetime when none is asked for.
pub const DEFAULT_DAYS: i64 = 90;
/// The longest lifetime an API token may have.
pub const MAX_DAYS: i64 = 365;

/// A token's public id: the first 16 hex digits of its hash (the hash of a
/// 256-bit secret: it tells nothing of the secret).
const ID_LEN: usize = 16;

/// An API token asked for: the caller's own (`POST /api/tokens`) or one
/// bound to a chain user (`POST /api/chains/{c}/users/{u}/tokens`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for, e.g. the application using it (1–64 characters).
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// Days until it expires (default 90, at most 365).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    /// Its id, for listing and revoking.
    pub id: String,
    pub name: String,
    /// Shown once; only its hash is kept.
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: String,
    /// session | api
    pub kind: String,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// Unix seconds, to the minute; none if never used.
    pub last_used_at: Option<i64>,
    /// Set for an application's token bound to this chain user.
    pub chain_user_id: Option<String>,
    /// The token this request came with.
    pub current: bool,
}

/// A token's name, checked.
pub fn name(raw: &str) -> Result<&str, Problem> {
    // The limit is on what was sent (as the OpenAPI schema states it, in
    // characters), before trimming.
    let name = raw.trim();
    if name.is_empty() || raw.chars().count() > 64 {
        return Err(Problem::unprocessable("name: give the token a name of 1–64 characters"));
    }
    Ok(name)
}

/// When a token asked to last `days` (default `DEFAULT_DAYS`) expires.
pub fn expiry(days: Option<i64>) -> Result<i64, Problem> {
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Problem::unprocessable(format!(
            "expires_in_days: {days} is not between 1 and {MAX_DAYS}; issue a new token before this one expires"
        )));
    }
    Ok(now() + days * 86_400)
}

fn id_of(hash: &str) -> String {
    hash[..ID_LEN.min(hash.len())].to_string()
}

#[utoipa::path(post, path = "/api/tokens", tag = "accounts", security(("bearer" = [])),
    request_body = TokenRequest,
    responses((status = 201, body = IssuedToken), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    if caller.role == Role::Auditor {
        return Err(Problem::forbidden("auditors read through their session; they get no API tokens"));
    }
    let name = name(&req.name)?;
    let expires_at = expiry(req.expires_in_days)?;
    let stored = StoredToken { user_id: &caller.user_id, kind: "api", name, expires_at, chain_user_id: None };
    let token = issue_token(&state.db, stored).await?;
    tracing::info!(user = %caller.username, token = %name, expires_at, "API token issued");
    let id = id_of(&token_hash(&token));
    Ok((StatusCode::CREATED, Json(IssuedToken { id, name: name.to_string(), token, expires_at })))
}

#[utoipa::path(get, path = "/api/tokens", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = [TokenInfo]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    let current = bearer(&headers).map(token_hash).unwrap_or_default();
    let rows = crate::store::tokens::live_of_user(&state.db, &caller.user_id, now()).await?;
    let tokens = rows
        .into_iter()
        .map(|r| TokenInfo {
            id: id_of(&r.token_hash),
            current: r.token_hash == current,
            kind: r.kind,
            name: r.name,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            chain_user_id: r.chain_user_id,
        })
        .collect();
    Ok(Json(tokens))
}

/// Revokes one of the caller's own tokens (an API token, an application's
/// bound token they issued, or one of their sessions): its next request
/// is refused.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, description = "token id, as GET /api/tokens lists it")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem)))]
pub async fn revoke(State(state): State<AppState>, caller: Caller, Path(token): Path<String>) -> ApiResult<StatusCode> {
    let valid = token.len() == ID_LEN && token.bytes().all(|b| b.is_ascii_hexdigit());
    let done = valid && crate::store::tokens::revoke(&state.db, &caller.user_id, &token.to_ascii_lowercase()).await?;
    if !done {
        return Err(Problem::not_found(format!("you hold no token {token:?}; GET /api/tokens lists yours")));
    }
    tracing::info!(user = %caller.username, %token, "token revoked");
    Ok(StatusCode::NO_CONTENT)
}
