//! The webhook routes: register, list, delete, their deliveries and a test
//! delivery (delivery, signing and retries: `crate::monitor::webhooks`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::monitor::webhooks::{check_url, send_test, Delivery, Target, Webhook};
use crate::problem::{ApiResult, Problem};
use crate::role::{Caller, Role};
use crate::secrets::new_id;
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where alarms are POSTed: http://… or https://… (its certificate
    /// checked against the machine's CAs and the server's
    /// --webhook-ca-file).
    #[schema(min_length = 1, max_length = 2000)]
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestDelivery {
    /// The delivery's id among the webhook's deliveries.
    pub delivery: String,
}

fn tenant_admin(caller: &Caller) -> Result<String, Problem> {
    match (caller.role, &caller.tenant_id) {
        (Role::TenantAdmin, Some(t)) => Ok(t.clone()),
        _ => Err(Problem::forbidden("webhooks belong to a tenant: its tenant admins manage them")),
    }
}

/// The caller's tenant and its webhook `webhook` (id, url, secret_sealed);
/// 404 for another tenant's, as for none.
async fn owned(
    state: &AppState,
    caller: &Caller,
    webhook: &str,
) -> Result<(String, crate::store::webhooks::Sealed), Problem> {
    let tenant = tenant_admin(caller)?;
    let row = crate::store::webhooks::find(&state.db, webhook, &tenant)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no webhook {webhook:?} in your tenant")))?;
    Ok((tenant, row))
}

#[utoipa::path(post, path = "/api/webhooks", tag = "monitoring", security(("bearer" = [])), request_body = NewWebhook,
    responses((status = 201, body = Webhook), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<Webhook>)> {
    let tenant = tenant_admin(&caller)?;
    check_url(&state.webhook_egress, &req.url).await?;
    let id = new_id();
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let now = crate::db::now();
    let sealed = state.master_key.seal(secret.as_bytes(), &format!("webhook/{id}"));
    crate::store::webhooks::insert(&state.db, &id, &tenant, &req.url, &sealed, &caller.username, now).await?;
    tracing::info!(webhook = %id, %tenant, url = %req.url, by = %caller.username, "webhook added");
    let hook = Webhook { id, url: req.url, created_by: caller.username, created_at: now, secret: Some(secret) };
    Ok((StatusCode::CREATED, Json(hook)))
}

#[utoipa::path(get, path = "/api/webhooks", tag = "monitoring", security(("bearer" = [])),
    responses((status = 200, body = [Webhook]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Webhook>>> {
    let tenant = tenant_admin(&caller)?;
    Ok(Json(crate::store::webhooks::of_tenant(&state.db, &tenant).await?))
}

#[utoipa::path(get, path = "/api/webhooks/{webhook}/deliveries", tag = "monitoring", security(("bearer" = [])),
    params(("webhook" = String, Path, description = "webhook id")),
    responses((status = 200, body = [Delivery]), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(webhook): Path<String>,
) -> ApiResult<Json<Vec<Delivery>>> {
    owned(&state, &caller, &webhook).await?;
    Ok(Json(crate::store::webhooks::deliveries_of(&state.db, &webhook).await?))
}

/// Removes one of the caller's webhooks and its delivery records; a
/// delivery in flight finds it gone and stops.
#[utoipa::path(delete, path = "/api/webhooks/{webhook}", tag = "monitoring", security(("bearer" = [])),
    params(("webhook" = String, Path, description = "webhook id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(webhook): Path<String>,
) -> ApiResult<StatusCode> {
    let (tenant, _) = owned(&state, &caller, &webhook).await?;
    crate::store::webhooks::remove(&state.db, &webhook).await?;
    tracing::info!(%webhook, %tenant, by = %caller.username, "webhook removed");
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a `webhook.test` event to one of the caller's webhooks now, through
/// the same path as alarms (signature, retries, recorded as a delivery
/// whose alarm is `test`): what a receiver being set up checks against.
#[utoipa::path(post, path = "/api/webhooks/{webhook}/test", tag = "monitoring", security(("bearer" = [])),
    params(("webhook" = String, Path, description = "webhook id")),
    responses((status = 202, body = TestDelivery), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem)))]
pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    Path(webhook): Path<String>,
) -> ApiResult<(StatusCode, Json<TestDelivery>)> {
    let (tenant, row) = owned(&state, &caller, &webhook).await?;
    let target = Target::of(&state, &row)
        .ok_or_else(|| Problem::internal(format!("the secret of webhook {webhook} does not open")))?;
    let at_ms = crate::monitor::now_ms();
    let event = serde_json::json!({"event": "webhook.test", "tenant_id": tenant, "webhook_id": webhook,
        "sent_by": caller.username, "at_ms": at_ms});
    let delivery = send_test(&state, target, event.to_string());
    tracing::info!(%webhook, %tenant, by = %caller.username, "test event sent to a webhook");
    Ok((StatusCode::ACCEPTED, Json(TestDelivery { delivery })))
}
