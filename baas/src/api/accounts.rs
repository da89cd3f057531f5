//! Accounts: log in and out, the caller's own record, API tokens, tenants
//! and their users. Every route checks the caller's role and tenant.

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::auth::{bearer, issue_token, revoke_token, NewToken, SESSION_SECS};
use crate::client_addr::ClientAddr;
use crate::db::{now, Db};
use crate::problem::{ApiResult, Problem};
use crate::role::{Caller, Role};
use crate::secrets::{new_id, weak_password};
use crate::store::tenants::{readable_tenant, Tenant};
use crate::store::users::{create_user, find_user, hashed, unknown_user_hash, user_by_id, verified, User};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// A tenant's user: `name@tenant`; a platform user: the bare name.
    #[schema(min_length = 1, max_length = 129, pattern = "^[A-Za-z0-9._-]{1,64}(@[a-z0-9-]{1,64})?$")]
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub user: User,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current: String,
    /// At least 12 characters.
    #[schema(min_length = 12)]
    pub new: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTenant {
    /// 1–64 characters: lower-case letters, digits and '-'.
    #[schema(min_length = 1, max_length = 64, pattern = "^[a-z0-9-]{1,64}$")]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    /// 3–64 characters: letters, digits, '.', '_' and '-'. The user signs in
    /// as `username@tenant` (the answer's `username`); names are unique per
    /// tenant. `name@this-tenant` is accepted too.
    #[schema(min_length = 3, max_length = 129, pattern = "^[A-Za-z0-9._-]{3,64}(@[a-z0-9-]{1,64})?$")]
    pub username: String,
    /// At least 12 characters.
    #[schema(min_length = 12)]
    pub password: String,
    /// tenant-admin, tenant-member or auditor.
    #[schema(pattern = "^(tenant-admin|tenant-member|auditor)$")]
    pub role: String,
}

#[utoipa::path(post, path = "/api/auth/login", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = Session), (status = 401, body = Problem), (status = 422, body = Problem),
               (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(ClientAddr(peer)): ConnectInfo<ClientAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<Session>> {
    // Cheap refusals first: a malformed username is stored nowhere, and an
    // address over its rate or an account locked for it costs no Argon2.
    if !crate::names::login(&req.username) {
        return Err(Problem::unprocessable(
            "username: a tenant's user signs in as name@tenant, a platform user with the bare name (letters, \
             digits, '.', '_' or '-')",
        ));
    }
    let source = peer.ip().to_canonical();
    state.login_guard.admit(source)?;
    let source = source.to_string();
    crate::security::check_locked(&state.db, &req.username, &source).await?;
    let Some((user, hash)) = crate::store::users::with_password(&state.db, &req.username).await? else {
        // The same answer as a wrong password, after the same argon2 work,
        // so that neither the reply nor its timing tells which usernames exist.
        verified(&req.password, unknown_user_hash().to_string()).await?;
        crate::security::record_failure(&state.db, &req.username, &source).await?;
        return Err(Problem::unauthorized("wrong username or password"));
    };
    if !verified(&req.password, hash).await? {
        tracing::warn!(username = %req.username, %source, "failed login");
        crate::security::record_failure(&state.db, &req.username, &source).await?;
        return Err(Problem::unauthorized("wrong username or password"));
    }
    crate::security::reset(&state.db, &req.username, &source).await?;
    let expires_at = now() + SESSION_SECS;
    let session = NewToken { user_id: &user.id, kind: "session", name: "login", expires_at, chain_user_id: None };
    let token = issue_token(&state.db, session).await?;
    tracing::info!(username = %user.username, role = user.role.as_str(), "logged in");
    Ok(Json(Session { token, expires_at, user }))
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(State(state): State<AppState>, _caller: Caller, headers: HeaderMap) -> ApiResult<StatusCode> {
    if let Some(token) = bearer(&headers) {
        revoke_token(&state.db, token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<User>> {
    Ok(Json(user_by_id(&state.db, &caller.user_id).await?))
}

#[utoipa::path(post, path = "/api/me/password", tag = "accounts", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    if let Some(why) = weak_password(&req.new) {
        return Err(Problem::unprocessable(format!("new: {why}")));
    }
    let hash = crate::store::users::password_hash(&state.db, &caller.user_id).await?;
    if !verified(&req.current, hash).await? {
        return Err(Problem::unauthorized("current: the password is wrong"));
    }
    // Whoever else holds a session of this account (the reason to change
    // a password, often) is signed out; this session and API tokens stay.
    let current = bearer(&headers).map(crate::secrets::token_hash).unwrap_or_default();
    let hash = hashed(&req.new).await?;
    let ended = crate::store::users::set_password(&state.db, &caller.user_id, &hash, Some(&current)).await?;
    tracing::info!(user = %caller.username, other_sessions_ended = ended, "password changed");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The user's new password (at least 12 characters); tell it to them
    /// by a channel of your own.
    #[schema(min_length = 12)]
    pub new: String,
}

/// The user `id` if the caller may manage their account: a platform admin
/// any other user, a tenant admin the other users of their tenant; 404
/// for anyone else's (no telling who exists).
async fn managed_user(db: &Db, caller: &Caller, id: &str) -> Result<User, Problem> {
    let user = find_user(db, id).await?.filter(|u| match &u.tenant_id {
        Some(t) => caller.can_manage_tenant(t),
        None => caller.role == Role::PlatformAdmin,
    });
    let user = user.ok_or_else(|| Problem::not_found(format!("no user {id} whose account you manage")))?;
    if user.id == caller.user_id {
        return Err(Problem::conflict("this is your own account: change your password with POST /api/me/password"));
    }
    Ok(user)
}

/// Sets another user's password (they forgot it, or it leaked): every
/// session and API token they hold ends, and a lockout is lifted.
#[utoipa::path(post, path = "/api/users/{user}/password", tag = "accounts", security(("bearer" = [])),
    params(("user" = String, Path, description = "user id")), request_body = PasswordReset,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(user): Path<String>,
    ApiJson(req): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    let user = managed_user(&state.db, &caller, &user).await?;
    if let Some(why) = weak_password(&req.new) {
        return Err(Problem::unprocessable(format!("new: {why}")));
    }
    let hash = hashed(&req.new).await?;
    crate::store::users::set_password(&state.db, &user.id, &hash, None).await?;
    crate::security::unlock(&state.db, &user.username).await?;
    tracing::info!(user = %user.username, by = %caller.username, "password reset; the user's sessions and tokens ended");
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a lockout from failed logins now, for every address it came from.
#[utoipa::path(post, path = "/api/users/{user}/unlock", tag = "accounts", security(("bearer" = [])),
    params(("user" = String, Path, description = "user id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn unlock(State(state): State<AppState>, caller: Caller, Path(user): Path<String>) -> ApiResult<StatusCode> {
    let user = managed_user(&state.db, &caller, &user).await?;
    crate::security::unlock(&state.db, &user.username).await?;
    tracing::info!(user = %user.username, by = %caller.username, "account unlocked");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/tenants", tag = "tenants", security(("bearer" = [])), request_body = NewTenant,
    responses((status = 201, body = Tenant), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewTenant>,
) -> ApiResult<(StatusCode, Json<Tenant>)> {
    if caller.role != Role::PlatformAdmin {
        return Err(Problem::forbidden("only a platform admin creates tenants"));
    }
    if !crate::names::slug(&req.name) {
        return Err(Problem::unprocessable(format!(
            "name: {:?} is not 1–64 lower-case letters, digits or '-'",
            req.name
        )));
    }
    if crate::store::tenants::name_taken(&state.db, &req.name).await? {
        return Err(Problem::conflict(format!("a tenant named {:?} exists", req.name)));
    }
    let tenant = Tenant { id: new_id(), name: req.name, created_at: now() };
    crate::store::tenants::insert(&state.db, &tenant).await?;
    tracing::info!(tenant = %tenant.name, by = %caller.username, "tenant created");
    Ok((StatusCode::CREATED, Json(tenant)))
}

#[utoipa::path(get, path = "/api/tenants", tag = "tenants", security(("bearer" = [])),
    responses((status = 200, body = [Tenant]), (status = 401, body = Problem)))]
pub async fn list_tenants(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Tenant>>> {
    let tenants = crate::store::tenants::all(&state.db).await?;
    Ok(Json(tenants.into_iter().filter(|t| caller.can_read_tenant(&t.id)).collect()))
}

#[utoipa::path(get, path = "/api/tenants/{tenant}", tag = "tenants", security(("bearer" = [])),
    params(("tenant" = String, Path, description = "tenant id")),
    responses((status = 200, body = Tenant), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_tenant(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> ApiResult<Json<Tenant>> {
    Ok(Json(readable_tenant(&state.db, &caller, &tenant).await?))
}

#[utoipa::path(get, path = "/api/tenants/{tenant}/users", tag = "tenants", security(("bearer" = [])),
    params(("tenant" = String, Path, description = "tenant id")),
    responses((status = 200, body = [User]), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem)))]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> ApiResult<Json<Vec<User>>> {
    readable_tenant(&state.db, &caller, &tenant).await?;
    if caller.role == Role::TenantMember {
        return Err(Problem::forbidden("a tenant member cannot list the tenant's users; ask a tenant admin"));
    }
    Ok(Json(crate::store::users::of_tenant(&state.db, &tenant).await?))
}

/// Removes a person from the tenant: the account and every session and API
/// token it holds go at once (its requests fail from the next one). What it
/// did stays in the audit log under its name.
#[utoipa::path(delete, path = "/api/tenants/{tenant}/users/{user}", tag = "tenants", security(("bearer" = [])),
    params(("tenant" = String, Path, description = "tenant id"), ("user" = String, Path, description = "user id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_tenant_user(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    readable_tenant(&state.db, &caller, &tenant).await?;
    if !caller.can_manage_tenant(&tenant) {
        return Err(Problem::forbidden("only a tenant admin of this tenant (or a platform admin) removes users"));
    }
    let found = find_user(&state.db, &user).await?.filter(|u| u.tenant_id.as_deref() == Some(tenant.as_str()));
    let Some(found) = found else {
        return Err(Problem::not_found(format!("tenant {tenant} has no user {user}")));
    };
    if found.id == caller.user_id {
        return Err(Problem::conflict("you cannot remove yourself: ask another tenant admin"));
    }
    crate::store::users::remove(&state.db, &found.id).await?;
    tracing::info!(user = %found.username, %tenant, by = %caller.username, "user removed");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/tenants/{tenant}/users", tag = "tenants", security(("bearer" = [])),
    params(("tenant" = String, Path, description = "tenant id")), request_body = NewUser,
    responses((status = 201, body = User), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_tenant_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    ApiJson(req): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let found = readable_tenant(&state.db, &caller, &tenant).await?;
    if !caller.can_manage_tenant(&tenant) {
        return Err(Problem::forbidden("only a tenant admin of this tenant (or a platform admin) adds users"));
    }
    let role = match Role::parse(&req.role) {
        Some(r @ (Role::TenantAdmin | Role::TenantMember | Role::Auditor)) => r,
        _ => {
            return Err(Problem::unprocessable(format!(
                "role: {:?} is not one of tenant-admin, tenant-member, auditor",
                req.role
            )))
        }
    };
    let suffix = format!("@{}", found.name);
    let person = req.username.strip_suffix(&suffix).unwrap_or(&req.username);
    if !crate::names::word(person, 3) {
        return Err(Problem::unprocessable(format!(
            "username: {:?} is not 3–64 letters, digits, '.', '_' or '-' (the user signs in as name{suffix})",
            req.username
        )));
    }
    if let Some(why) = weak_password(&req.password) {
        return Err(Problem::unprocessable(format!("password: {why}")));
    }
    let username = crate::names::qualified(person, &found.name);
    let user = create_user(&state.db, &username, &req.password, role, Some(&tenant)).await?;
    tracing::info!(user = %user.username, role = role.as_str(), %tenant, by = %caller.username, "user created");
    Ok((StatusCode::CREATED, Json(user)))
}
