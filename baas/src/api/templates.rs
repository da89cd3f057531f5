//! The routes of network templates (built-in and custom:
//! `crate::templates`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use weft_provision::Template;

use crate::api::json::ApiJson;
use crate::problem::{ApiResult, Problem};
use crate::role::{Caller, Role};
use crate::templates::{find, summary, visible, NewTemplate, TemplateSummary};
use crate::AppState;

#[utoipa::path(get, path = "/api/templates", tag = "templates", security(("bearer" = [])),
    responses((status = 200, body = [TemplateSummary]), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<TemplateSummary>>> {
    Ok(Json(visible(&state.db, caller.tenant_id.as_deref()).await?))
}

#[utoipa::path(get, path = "/api/templates/{name}", tag = "templates", security(("bearer" = [])),
    params(("name" = String, Path, description = "template name")),
    responses((status = 200, body = TemplateSummary), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<TemplateSummary>> {
    match find(&state.db, caller.tenant_id.as_deref(), &name).await {
        Ok((_, s)) => Ok(Json(s)),
        Err(_) => Err(Problem::not_found(format!("no template {name:?}; GET /api/templates lists them"))),
    }
}

#[utoipa::path(post, path = "/api/templates", tag = "templates", security(("bearer" = [])),
    request_body = NewTemplate,
    responses((status = 201, body = TemplateSummary), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewTemplate>,
) -> ApiResult<(StatusCode, Json<TemplateSummary>)> {
    let owner = match (caller.role, req.platform_wide, &caller.tenant_id) {
        (Role::PlatformAdmin, true, _) => None,
        (Role::PlatformAdmin, false, _) => {
            return Err(Problem::unprocessable(
                "platform_wide: a platform admin belongs to no tenant; set platform_wide to true",
            ))
        }
        (Role::TenantAdmin, false, Some(t)) => Some(t.clone()),
        (Role::TenantAdmin, true, _) => {
            return Err(Problem::forbidden("only a platform admin defines templates for every tenant"))
        }
        _ => return Err(Problem::forbidden("only a tenant admin or platform admin defines templates")),
    };
    if req.toml.len() > 64 * 1024 {
        return Err(Problem::unprocessable("toml: a template is at most 64 KiB"));
    }
    let template = Template::parse(&req.toml, "toml").map_err(|e| Problem::unprocessable(e.to_string()))?;
    let existing = visible(&state.db, owner.as_deref()).await?;
    if existing.iter().any(|t| t.name == template.name && t.source != "built-in") {
        return Err(Problem::conflict(format!(
            "a template named {:?} is already defined here; pick another name",
            template.name
        )));
    }
    crate::templates::insert(&state.db, owner.as_deref(), &template.name, &req.toml).await?;
    tracing::info!(template = %template.name, tenant = ?owner, by = %caller.username, "template defined");
    let source = if owner.is_some() { "tenant" } else { "platform" };
    Ok((StatusCode::CREATED, Json(summary(&template, source, &req.toml))))
}

/// Deletes a template the caller defined for their scope: a tenant admin
/// their tenant's, a platform admin a platform-wide one. Chains made from
/// it keep their own copy.
#[utoipa::path(delete, path = "/api/templates/{name}", tag = "templates", security(("bearer" = [])),
    params(("name" = String, Path, description = "template name")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem)))]
pub async fn delete(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<StatusCode> {
    let owner = match (caller.role, &caller.tenant_id) {
        (Role::PlatformAdmin, _) => None,
        (Role::TenantAdmin, Some(t)) => Some(t.clone()),
        _ => return Err(Problem::forbidden("only a tenant admin or platform admin deletes templates")),
    };
    if !crate::templates::remove(&state.db, owner.as_deref(), &name).await? {
        let whose = if owner.is_some() { "your tenant" } else { "the platform" };
        return Err(Problem::not_found(format!(
            "{whose} defines no template {name:?} (built-in templates cannot be deleted)"
        )));
    }
    tracing::info!(template = %name, tenant = ?owner, by = %caller.username, "template deleted");
    Ok(StatusCode::NO_CONTENT)
}
