//! The chain users routes: identities the BaaS enrolls in a chain's orgs
//! with the org CA it runs (`crate::enrollment`). The private key is either
//! handed out once in the answer (custody "download") or kept, sealed under
//! the master key (custody "kept") so that API tokens bound to the user let
//! applications transact through the REST gateway as that user. Revoking
//! one publishes the org's new CRL in a channel configuration update signed
//! by every org's admin.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_identity::{Revocation, Role as CertRole};

use crate::api::json::ApiJson;
use crate::auth::{issue_token, NewToken};
use crate::db::now;
use crate::enrollment::{issue, org_or_first, running_network, Identity};
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chain_users::ChainUser;
use crate::store::chains::{manageable, readable};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct Enrollment {
    /// The certificate's common name: 1–64 letters, digits, '.', '_', '-'.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub name: String,
    /// The org to enroll in (default: the chain's first).
    #[serde(default)]
    pub org: Option<String>,
    /// client (default) or admin.
    #[serde(default)]
    pub role: Option<String>,
    /// kept (default) or download.
    #[serde(default)]
    pub custody: Option<String>,
    /// Certificate validity in days (default 365, at most 3650).
    #[schema(minimum = 1, maximum = 3650)]
    #[serde(default)]
    pub days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolled {
    pub user: ChainUser,
    /// PKCS#8 PEM, only with custody "download": shown once, not kept.
    pub private_key_pem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub user: ChainUser,
    /// The channel configuration sequence carrying the new CRL.
    pub config_sequence: u64,
    pub block: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoundToken {
    pub name: String,
    pub chain_user_id: String,
    /// Shown once; only its hash is kept.
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
}

#[utoipa::path(post, path = "/api/chains/{chain}/users", tag = "chain users", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = Enrollment,
    responses((status = 201, body = Enrolled), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn enroll(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<Enrollment>,
) -> ApiResult<(StatusCode, Json<Enrolled>)> {
    let chain = manageable(&state.db, &caller, &chain).await?;
    let net = running_network(&state, &chain).await?;
    if !crate::names::word(&req.name, 1) {
        return Err(Problem::unprocessable(format!(
            "name: {:?} is not 1–64 letters, digits, '.', '_' or '-'",
            req.name
        )));
    }
    let role = match req.role.as_deref().unwrap_or("client") {
        "client" => CertRole::Client,
        "admin" => CertRole::Admin,
        other => return Err(Problem::unprocessable(format!("role: {other:?} is not client or admin"))),
    };
    let keep = match req.custody.as_deref().unwrap_or("kept") {
        "kept" => true,
        "download" => false,
        other => return Err(Problem::unprocessable(format!("custody: {other:?} is not kept or download"))),
    };
    let days = req.days.unwrap_or(365);
    if !(1..=3650).contains(&days) {
        return Err(Problem::unprocessable("days: a validity of 1–3650 days"));
    }
    let org = org_or_first(&net, req.org.as_deref())?;
    let (id, key_pem) =
        issue(&state, &net, &chain, &org, Identity { name: &req.name, role, keep, days, person: None }).await?;
    tracing::info!(chain = %chain.id, %org, name = %req.name, kept = keep, by = %caller.username, "chain user enrolled");
    let (user, _) = crate::store::chain_users::find(&state.db, &chain.id, &id).await?;
    Ok((StatusCode::CREATED, Json(Enrolled { user, private_key_pem: (!keep).then_some(key_pem) })))
}

#[utoipa::path(get, path = "/api/chains/{chain}/users", tag = "chain users", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = [ChainUser]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Vec<ChainUser>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    Ok(Json(crate::store::chain_users::of_chain(&state.db, &chain.id).await?))
}

#[utoipa::path(post, path = "/api/chains/{chain}/users/{user}/revoke", tag = "chain users",
    security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("user" = String, Path, description = "chain user id")),
    responses((status = 200, body = Revoked), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, user)): Path<(String, String)>,
) -> ApiResult<Json<Revoked>> {
    let chain = manageable(&state.db, &caller, &chain).await?;
    let net = running_network(&state, &chain).await?;
    let (u, _) = crate::store::chain_users::find(&state.db, &chain.id, &user).await?;
    if u.revoked_at.is_some() {
        return Err(Problem::conflict(format!("chain user {} is revoked already", u.name)));
    }
    // Held from reading the revoked list until the CRL is committed, so two
    // revocations in one org cannot each publish a CRL without the other.
    let held = state.config_lock.lock().await;
    let at = now();
    let rows = crate::store::chain_users::revoked_in_org(&state.db, &chain.id, &u.org).await?;
    let mut revoked =
        vec![Revocation { serial: hex::decode(&u.serial).map_err(Problem::internal)?, revoked_at: unix(at)? }];
    for (serial, when) in rows {
        revoked.push(Revocation { serial: hex::decode(serial).map_err(Problem::internal)?, revoked_at: unix(when)? });
    }
    let (sequence, block) =
        crate::ops::config_tx::publish_crl(&held, &net, &u.org, &revoked, unix(at)?).await.map_err(|why| {
            Problem::new(
                StatusCode::BAD_GATEWAY,
                "config-update-failed",
                format!("publishing the new CRL failed: {why}"),
            )
        })?;
    crate::store::chain_users::mark_revoked(&state.db, &u.id, at).await?;
    drop(held);
    state.gateways.forget_user(&u.id);
    if let Some(person) = &u.person_id {
        state.gateways.forget_person(person);
    }
    tracing::info!(chain = %chain.id, org = %u.org, name = %u.name, sequence, block, by = %caller.username, "chain user revoked");
    let (user, _) = crate::store::chain_users::find(&state.db, &chain.id, &u.id).await?;
    Ok(Json(Revoked { user, config_sequence: sequence, block }))
}

fn unix(t: i64) -> Result<time::OffsetDateTime, Problem> {
    time::OffsetDateTime::from_unix_timestamp(t).map_err(Problem::internal)
}

#[utoipa::path(post, path = "/api/chains/{chain}/users/{user}/tokens", tag = "chain users",
    security(("bearer" = [])), request_body = crate::api::tokens::TokenRequest,
    params(("chain" = String, Path, description = "chain id"), ("user" = String, Path, description = "chain user id")),
    responses((status = 201, body = BoundToken), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn bind_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, user)): Path<(String, String)>,
    ApiJson(req): ApiJson<crate::api::tokens::TokenRequest>,
) -> ApiResult<(StatusCode, Json<BoundToken>)> {
    let chain = manageable(&state.db, &caller, &chain).await?;
    let (u, sealed) = crate::store::chain_users::find(&state.db, &chain.id, &user).await?;
    if u.revoked_at.is_some() {
        return Err(Problem::conflict(format!("chain user {} is revoked; enroll another", u.name)));
    }
    if sealed.is_none() {
        return Err(Problem::conflict(format!(
            "chain user {} was enrolled with custody \"download\": the BaaS does not hold its key, so it cannot sign \
             for it; enroll one with custody \"kept\"",
            u.name
        )));
    }
    let name = crate::api::tokens::name(&req.name)?;
    let expires_at = crate::api::tokens::expiry(req.expires_in_days)?;
    let bound = NewToken { user_id: &caller.user_id, kind: "api", name, expires_at, chain_user_id: Some(&u.id) };
    let token = issue_token(&state.db, bound).await?;
    tracing::info!(chain = %chain.id, user = %u.name, token = %name, by = %caller.username, "API token bound to a chain user");
    Ok((StatusCode::CREATED, Json(BoundToken { name: name.into(), chain_user_id: u.id, token, expires_at })))
}
