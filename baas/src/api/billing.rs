//! The billing routes: usage, invoices, price plans and a tenant's plan
//! (metering and pricing: `crate::billing`).

use axum::extract::{Path, State};
use axum::Json;
use sqlx::Row;

use crate::api::json::ApiJson;
use crate::billing::{
    billing_reader, invoice, plan_named, usage_between, Invoice, Month, Plan, TenantPlan, UsageLine, UsageQuery,
};
use crate::db::now;
use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::role::{Caller, Role};
use crate::store::tenants::readable_tenant;
use crate::AppState;

#[utoipa::path(get, path = "/api/tenants/{tenant}/usage", tag = "billing", security(("bearer" = [])),
    params(("tenant" = String, Path, description = "tenant id"), UsageQuery),
    responses((status = 200, body = [UsageLine]), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Json<Vec<UsageLine>>> {
    billing_reader(&state.db, &caller, &tenant).await?;
    let month = match &q.month {
        Some(m) => Month::parse(m).map_err(Problem::unprocessable)?,
        None => Month::containing(now() * 1000),
    };
    Ok(Json(usage_between(&state.db, &tenant, month.start_ms(), month.end_ms()).await?))
}

#[utoipa::path(get, path = "/api/tenants/{tenant}/invoices/{month}", tag = "billing", security(("bearer" = [])),
    params(("tenant" = String, Path, description = "tenant id"),
           ("month" = String, Path, description = "YYYY-MM", pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")),
    responses((status = 200, body = Invoice), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn get_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, month)): Path<(String, String)>,
) -> ApiResult<Json<Invoice>> {
    billing_reader(&state.db, &caller, &tenant).await?;
    let month = Month::parse(&month).map_err(Problem::unprocessable)?;
    let issued = sqlx::query("SELECT body FROM invoices WHERE tenant_id = $1 AND month = $2")
        .bind(&tenant)
        .bind(month.label())
        .fetch_optional(&state.db)
        .await?;
    if let Some(row) = issued {
        let body: String = row.try_get("body")?;
        return Ok(Json(serde_json::from_str(&body).map_err(Problem::internal)?));
    }
    let plan_name: String = sqlx::query("SELECT plan FROM tenants WHERE id = $1")
        .bind(&tenant)
        .fetch_one(&state.db)
        .await?
        .try_get("plan")?;
    let plan = plan_named(&state.db, &plan_name)
        .await?
        .ok_or_else(|| Problem::internal(format!("the tenant's plan {plan_name:?} does not exist")))?;
    let lines = usage_between(&state.db, &tenant, month.start_ms(), month.end_ms()).await?;
    let over = month.end_ms() <= now() * 1000;
    let inv = invoice(&tenant, month, &plan, &lines, if over { "final" } else { "draft" }, now());
    if over {
        // Issued once; a concurrent first request loses the insert and
        // reads the winner's next time — both computed the same.
        let _ = sqlx::query("INSERT INTO invoices (tenant_id, month, body, issued_at) VALUES ($1, $2, $3, $4)")
            .bind(&tenant)
            .bind(month.label())
            .bind(serde_json::to_string(&inv).map_err(Problem::internal)?)
            .bind(now())
            .execute(&state.db)
            .await;
    }
    Ok(Json(inv))
}

#[utoipa::path(get, path = "/api/plans", tag = "billing", security(("bearer" = [])),
    responses((status = 200, body = [Plan]), (status = 401, body = Problem)))]
pub async fn list_plans(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<Vec<Plan>>> {
    let names = sqlx::query("SELECT name FROM price_plans ORDER BY name").fetch_all(&state.db).await?;
    let mut out = Vec::new();
    for r in names {
        out.extend(plan_named(&state.db, &r.try_get::<String, _>("name")?).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(put, path = "/api/plans/{name}", tag = "billing", security(("bearer" = [])),
    params(("name" = String, Path, description = "plan name")), request_body = Plan,
    responses((status = 200, body = Plan), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 422, body = Problem)))]
pub async fn put_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(mut plan): ApiJson<Plan>,
) -> ApiResult<Json<Plan>> {
    if caller.role != Role::PlatformAdmin {
        return Err(Problem::forbidden("only a platform admin sets price plans"));
    }
    plan.name = name;
    let prices = [
        plan.cpu_hour_micros,
        plan.memory_gb_hour_micros,
        plan.storage_gb_hour_micros,
        plan.per_1000_tx_micros,
        plan.monthly_base_micros,
    ];
    if !crate::names::word(&plan.name, 1) || plan.currency.len() != 3 || prices.iter().any(|p| *p < 0) {
        return Err(Problem::unprocessable(
            "a plan needs a name of letters, digits, '-' or '_', a three-letter currency and prices of 0 or more",
        ));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM price_plans WHERE name = $1").bind(&plan.name).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO price_plans (name, currency, cpu_hour_micros, memory_gb_hour_micros, storage_gb_hour_micros, \
         per_1000_tx_micros, monthly_base_micros, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&plan.name)
    .bind(&plan.currency)
    .bind(plan.cpu_hour_micros)
    .bind(plan.memory_gb_hour_micros)
    .bind(plan.storage_gb_hour_micros)
    .bind(plan.per_1000_tx_micros)
    .bind(plan.monthly_base_micros)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(plan = %plan.name, by = %caller.username, "price plan set");
    Ok(Json(plan))
}

#[utoipa::path(put, path = "/api/tenants/{tenant}/plan", tag = "billing", security(("bearer" = [])),
    params(("tenant" = String, Path, description = "tenant id")), request_body = TenantPlan,
    responses((status = 200, body = Plan), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_tenant_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    ApiJson(req): ApiJson<TenantPlan>,
) -> ApiResult<Json<Plan>> {
    readable_tenant(&state.db, &caller, &tenant).await?;
    if caller.role != Role::PlatformAdmin {
        return Err(Problem::forbidden("only a platform admin sets a tenant's plan"));
    }
    let plan = plan_named(&state.db, &req.plan)
        .await?
        .ok_or_else(|| Problem::unprocessable(format!("plan: no plan {:?}; GET /api/plans lists them", req.plan)))?;
    sqlx::query("UPDATE tenants SET plan = $1 WHERE id = $2").bind(&plan.name).bind(&tenant).execute(&state.db).await?;
    tracing::info!(%tenant, plan = %plan.name, by = %caller.username, "tenant's plan set");
    Ok(Json(plan))
}
