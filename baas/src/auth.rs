//! Bearer authentication: `Authorization: Bearer wft_…`, a session token
//! from `POST /api/auth/login` or an API token, looked up by its hash.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::db::{now, Db};
use crate::problem::Problem;
use crate::role::{Binding, Caller, Role};
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
        let caller = match parts.extensions.remove::<Resolved>() {
            Some(Resolved(caller)) => caller,
            None => caller_of(&state.db, token).await?,
        };
        if let Some(binding) = &caller.bound {
            let route = parts.extensions.get::<axum::extract::MatchedPath>().map(|m| m.as_str());
            bound_scope(binding, route, parts.uri.path())?;
        }
        Ok(caller)
    }
}

/// How often a token's `last_used_at` is written: at most once a minute,
/// so that reading a token is not a write per request.
const LAST_USED_EVERY_SECS: i64 = 60;

pub(crate) async fn caller_of(db: &Db, token: &str) -> Result<Caller, Problem> {
    let hash = token_hash(token);
    let Some(row) = crate::store::tokens::holder(db, &hash).await? else {
        return Err(Problem::unauthorized("the bearer token is not known (revoked, or never issued); log in again"));
    };
    let at = now();
    if row.expires_at.is_some_and(|t| t <= at) {
        return Err(Problem::unauthorized(
            "the token has expired; log in again (or issue a new API token with POST /api/tokens)",
        ));
    }
    let mut caller = Caller {
        user_id: row.id,
        username: row.username,
        role: Role::try_from(row.role).map_err(Problem::internal)?,
        tenant_id: row.tenant_id,
        bound: None,
    };
    if let Some(user) = row.chain_user_id {
        // A token bound to a chain user is an application's: whoever issued
        // it, it transacts as that user on that user's chain, no more
        // (`bound_scope`), and dies with the user.
        let (None, Some(chain)) = (row.bound_revoked_at, row.bound_chain) else {
            return Err(Problem::unauthorized(
                "this token is bound to a chain user that was revoked or removed; bind a token to another chain user",
            ));
        };
        caller.role = Role::TenantMember;
        caller.tenant_id = row.bound_tenant;
        caller.bound = Some(Binding { chain_user_id: user, chain_id: chain });
    }
    if row.last_used_at.is_none_or(|t| t + LAST_USED_EVERY_SECS <= at) {
        crate::store::tokens::touch(db, &hash, at).await?;
    }
    Ok(caller)
}

/// The routes a token bound to a chain user may call: what an application
/// needs, on its own chain only. Everything else (its issuer's rights,
/// minting tokens, reading the tenant) is refused.
const BOUND_ROUTES: [&str; 3] = [
    "/api/chains/{chain}/contracts/{name}/evaluate",
    "/api/chains/{chain}/contracts/{name}/submit",
    "/api/chains/{chain}/contracts/{name}/events",
];

/// Refuses a bound token's request unless it is one of `BOUND_ROUTES` on
/// the token's own chain.
pub fn bound_scope(binding: &Binding, route: Option<&str>, path: &str) -> Result<(), Problem> {
    let chain = path.strip_prefix("/api/chains/").and_then(|rest| rest.split('/').next());
    if route.is_some_and(|r| BOUND_ROUTES.contains(&r)) && chain == Some(binding.chain_id.as_str()) {
        return Ok(());
    }
    Err(Problem::forbidden(format!(
        "this API token is bound to a chain user of chain {}: it may only evaluate, submit and follow contract \
         events on that chain; use a person's session or API token for anything else",
        binding.chain_id
    )))
}

/// What a new token is: a login session or an API token, and for an
/// application's API token the chain user it acts as.
pub struct NewToken<'a> {
    pub user_id: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    /// Unix seconds; every token expires.
    pub expires_at: i64,
    pub chain_user_id: Option<&'a str>,
}

/// Stores a new token; returns the secret (shown once). A bound token is
/// written bound in the same row: there is no moment at which it carries
/// its issuer's rights.
pub async fn issue_token(db: &Db, new: NewToken<'_>) -> Result<String, Problem> {
    let token = new_token();
    let hash = token_hash(&token);
    let row = crate::store::tokens::NewRow {
        hash: &hash,
        user_id: new.user_id,
        kind: new.kind,
        name: new.name,
        created_at: now(),
        expires_at: new.expires_at,
        chain_user_id: new.chain_user_id,
    };
    crate::store::tokens::insert(db, &row).await?;
    Ok(token)
}

pub async fn revoke_token(db: &Db, token: &str) -> Result<(), Problem> {
    crate::store::tokens::remove(db, &token_hash(token)).await?;
    Ok(())
}

/// The bearer secret of a request whose caller was already authenticated.
pub fn bearer(parts: &axum::http::HeaderMap) -> Option<&str> {
    parts.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}
