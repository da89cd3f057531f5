//! The billing routes: usage, invoices, price plans and a tenant's plan
//! (metering and pricing: `crate::billing`).

use axum::extract::{Path, State};
use axum::Json;

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
    if let Some(body) = crate::billing::issued_invoice(&state.db, &tenant, &month.label()).await? {
        return Ok(Json(serde_json::from_str(&body).map_err(Problem::internal)?));
    }
    let plan_name = crate::billing::plan_of_tenant(&state.db, &tenant).await?;
    let plan = plan_named(&state.db, &plan_name)
        .await?
        .ok_or_else(|| Problem::internal(format!("the tenant's plan {plan_name:?} does not exist")))?;
    let lines = usage_between(&state.db, &tenant, month.start_ms(), month.end_ms()).await?;
    let over = month.end_ms() <= now() * 1000;
    let inv = invoice(&tenant, month, &plan, &lines, if over { "final" } else { "draft" }, now());
    if over {
        // Issued once; a concurrent first request loses the insert and
        // reads the winner's next time — both computed the same.
        let body = serde_json::to_string(&inv).map_err(Problem::internal)?;
        let _ = crate::billing::issue_invoice(&state.db, &tenant, &month.label(), &body).await;
    }
    Ok(Json(inv))
}

#[utoipa::path(get, path = "/api/plans", tag = "billing", security(("bearer" = [])),
    responses((status = 200, body = [Plan]), (status = 401, body = Problem)))]
pub async fn list_plans(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<Vec<Plan>>> {
    let mut out = Vec::new();
    for name in crate::billing::plan_names(&state.db).await? {
        out.extend(plan_named(&state.db, &name).await?);
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
    crate::billing::put_plan(&state.db, &plan).await?;
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
    crate::billing::set_tenant_plan(&state.db, &tenant, &plan.name).await?;
    tracing::info!(%tenant, plan = %plan.name, by = %caller.username, "tenant's plan set");
    Ok(Json(plan))
}
