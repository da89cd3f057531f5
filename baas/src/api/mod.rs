//! The REST API: one module per resource holding its axum handlers, their
//! OpenAPI annotations and the request and response shapes, and here the
//! routes and the OpenAPI document (`/api/openapi.json`). Handlers check
//! the caller and the input, then read through `store/` or hand the work
//! to a job in `ops/`; nothing in `ops/`, `store/` or `runtime/` uses this
//! layer (`layers.rs` checks it).

pub mod accounts;
pub mod alarms;
pub mod audit;
pub mod backup_schedules;
pub mod backups;
pub mod benchmarks;
pub mod billing;
pub mod builds;
pub mod certificates;
pub mod chain_users;
pub mod chains;
pub mod channel_orgs;
pub mod channel_settings;
pub mod channels;
pub mod contracts;
pub mod explorer;
pub mod hosts;
pub mod jobs;
pub mod json;
pub mod metrics;
pub mod nodes;
pub mod quotas;
pub mod rest_gateway;
pub mod restore;
pub mod security;
pub mod templates;
pub mod tokens;
pub mod upgrades;
pub mod webhooks;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem::Problem;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Weft BaaS API", description = "Chains on demand: tenants, accounts, chains, nodes, users, contracts, benchmarks, backups, monitoring, upgrades, billing, audit."),
    paths(
        accounts::login, accounts::logout, accounts::me, accounts::change_password, accounts::reset_password,
        accounts::unlock, tokens::create, tokens::list, tokens::revoke,
        accounts::create_tenant, accounts::list_tenants, accounts::get_tenant, accounts::list_users,
        accounts::create_tenant_user, accounts::delete_tenant_user, quotas::get, quotas::put, templates::list, templates::get, templates::create, templates::delete,
        chains::create, chains::list, chains::get, chains::delete, jobs::get, jobs::list, nodes::list, nodes::get, nodes::add, nodes::remove, nodes::add_org, channels::list, channels::create, channel_orgs::add,
        nodes::log, nodes::start, nodes::stop, nodes::restart, contracts::deploy, contracts::list,
        rest_gateway::evaluate, rest_gateway::submit, rest_gateway::events, chain_users::enroll, chain_users::list,
        chain_users::revoke, chain_users::bind_token, benchmarks::create, benchmarks::list, benchmarks::get,
        benchmarks::report_html, audit::list, audit::verify, alarms::alarms, alarms::metrics, hosts::list, hosts::metrics,
        webhooks::create, webhooks::list, webhooks::delete, webhooks::deliveries, webhooks::test, security::events, certificates::list, backups::create,
        backups::list, builds::register, builds::list, upgrades::upgrade, channel_settings::update, billing::usage, billing::get_invoice,
        billing::list_plans, billing::put_plan, billing::put_tenant_plan, backup_schedules::put, backup_schedules::get,
        backup_schedules::delete, restore::restore, explorer::blocks, explorer::block, explorer::export, health,
    ),
    components(schemas(Problem, rest_gateway::ContractEvent)),
    modifiers(&BearerAuth, &UniqueOperationIds, &ProblemResponses),
)]
pub struct ApiDoc;

/// Operation ids from method and path (`get_chains_chain_nodes`): the
/// handlers' function names repeat across modules (`list`, `get`, …), and
/// generated clients key operations by id.
struct UniqueOperationIds;

impl Modify for UniqueOperationIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let base = path.trim_start_matches("/api/").replace(['{', '}'], "").replace(['/', '-', '.'], "_");
            let operations = [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("delete", &mut item.delete),
            ];
            for (method, op) in operations {
                if let Some(op) = op {
                    op.operation_id = Some(format!("{method}_{base}"));
                }
            }
        }
    }
}

/// Every error is an RFC 9457 problem (`application/problem+json`), and the
/// document lists every status a route can answer. Besides what each
/// handler declares, the layers in front of every route answer: 400 for a
/// path or query that does not parse, and for a secured route 401 (no or a
/// dead token), 403 (a token bound to a chain user, outside its scope) and
/// 429 (the token's request rate); for a route with a body 413 (over the
/// size limit) and 415 (not JSON); for a route with a body or parameters
/// 422 (a value its schema allows that the route does not); for a path
/// naming something, 404.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        const PROBLEM: &str = "application/problem+json";
        let problem = || {
            RefOr::T(
                ResponseBuilder::new()
                    .description("a problem: what was wrong and what to do")
                    .content(PROBLEM, ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let named = path.contains('{');
            for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.delete].into_iter().flatten() {
                let responses = &mut op.responses.responses;
                for response in responses.values_mut() {
                    let RefOr::T(response) = response else { continue };
                    let is_problem = response.content.get("application/json").is_some_and(
                        |c| matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")),
                    );
                    if is_problem {
                        let content = response.content.shift_remove("application/json").expect("checked above");
                        response.content.insert(PROBLEM.into(), content);
                    }
                }
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let body = op.request_body.is_some();
                // Path and query values are checked past their types too
                // (a month as YYYY-MM, a window in range): 422 names them.
                let checked = body || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let statuses = [
                    ("400", true),
                    ("401", secured),
                    ("403", secured),
                    ("404", named),
                    ("413", body),
                    ("415", body),
                    ("422", checked),
                    ("429", secured),
                ];
                for (status, applies) in statuses {
                    if applies && !responses.contains_key(status) {
                        responses.insert(status.into(), problem());
                    }
                }
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// ok | unavailable (answered with 503: a check below failed)
    pub status: &'static str,
    pub version: &'static str,
    /// "ok", or why the database does not answer.
    pub database: String,
    /// "ok: …" with when its last round ended, or why it looks dead.
    pub monitor: String,
}

/// Whether the server can serve: its database answers and its monitor
/// loop goes round. For load balancers and orchestrators; no token.
#[utoipa::path(get, path = "/api/health", tag = "platform",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = crate::store::reachable(&state.db).await.map(|()| "ok".to_string());
    let monitor = state.heartbeat.verdict();
    let ok = database.is_ok() && monitor.is_ok();
    let health = Health {
        status: if ok { "ok" } else { "unavailable" },
        version: env!("CARGO_PKG_VERSION"),
        database: database.unwrap_or_else(|e| format!("the database does not answer: {e}")),
        monitor: monitor.unwrap_or_else(|e| e),
    };
    (if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(health))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A self-contained page (no CDN) that lists every operation of the
/// OpenAPI document and sends requests to it.
async fn api_page() -> axum::response::Html<&'static str> {
    axum::response::Html(include_str!("api_page.html"))
}

async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::not_found(format!("no route {}; the API is described at /api/openapi.json", uri.path()))
}

/// The API's routes; with `console`, every path outside /api/ serves the
/// web console from that directory.
pub fn router(state: AppState, console: Option<std::path::PathBuf>) -> Router {
    let fallback = move |uri: axum::http::Uri| {
        let console = console.clone();
        async move {
            match console {
                Some(root) if !uri.path().starts_with("/api/") => crate::console::serve(root, uri).await,
                _ => axum::response::IntoResponse::into_response(not_found(uri).await),
            }
        }
    };
    api_routes(state.clone())
        .fallback(fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn(crate::hardening::harden))
}

fn api_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/openapi.json", get(openapi))
        .route("/api/docs", get(api_page))
        .route("/api/auth/login", post(accounts::login))
        .route("/api/auth/logout", post(accounts::logout))
        .route("/api/me", get(accounts::me))
        .route("/api/me/password", post(accounts::change_password))
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}", delete(tokens::revoke))
        .route("/api/users/{user}/password", post(accounts::reset_password))
        .route("/api/users/{user}/unlock", post(accounts::unlock))
        .route("/api/tenants", get(accounts::list_tenants).post(accounts::create_tenant))
        .route("/api/tenants/{tenant}", get(accounts::get_tenant))
        .route("/api/tenants/{tenant}/users", get(accounts::list_users).post(accounts::create_tenant_user))
        .route("/api/tenants/{tenant}/users/{user}", delete(accounts::delete_tenant_user))
        .route("/api/tenants/{tenant}/quota", get(quotas::get).put(quotas::put))
        .route("/api/templates", get(templates::list).post(templates::create))
        .route("/api/templates/{name}", get(templates::get).delete(templates::delete))
        .route("/api/chains", get(chains::list).post(chains::create))
        .route("/api/chains/{chain}", get(chains::get).delete(chains::delete))
        .route("/api/chains/{chain}/jobs", get(jobs::list))
        .route("/api/jobs/{job}", get(jobs::get))
        .route("/api/chains/{chain}/nodes", get(nodes::list).post(nodes::add))
        .route("/api/chains/{chain}/orgs", post(nodes::add_org))
        .route("/api/chains/{chain}/channels", get(channels::list).post(channels::create))
        .route("/api/chains/{chain}/channels/{channel}/orgs", post(channel_orgs::add))
        .route("/api/chains/{chain}/nodes/{node}", get(nodes::get).delete(nodes::remove))
        .route("/api/chains/{chain}/nodes/{node}/log", get(nodes::log))
        .route("/api/chains/{chain}/nodes/{node}/start", post(nodes::start))
        .route("/api/chains/{chain}/nodes/{node}/stop", post(nodes::stop))
        .route("/api/chains/{chain}/nodes/{node}/restart", post(nodes::restart))
        .route("/api/chains/{chain}/contracts", get(contracts::list))
        .route(
            "/api/chains/{chain}/contracts/{name}",
            put(contracts::deploy).layer(axum::extract::DefaultBodyLimit::max(contracts::MAX_WASM_BYTES)),
        )
        .route("/api/chains/{chain}/contracts/{name}/evaluate", post(rest_gateway::evaluate))
        .route("/api/chains/{chain}/contracts/{name}/submit", post(rest_gateway::submit))
        .route("/api/chains/{chain}/contracts/{name}/events", get(rest_gateway::events))
        .route("/api/chains/{chain}/users", get(chain_users::list).post(chain_users::enroll))
        .route("/api/chains/{chain}/users/{user}/revoke", post(chain_users::revoke))
        .route("/api/chains/{chain}/users/{user}/tokens", post(chain_users::bind_token))
        .route("/api/chains/{chain}/benchmarks", get(benchmarks::list).post(benchmarks::create))
        .route("/api/chains/{chain}/benchmarks/{benchmark}", get(benchmarks::get))
        .route("/api/chains/{chain}/benchmarks/{benchmark}/report.html", get(benchmarks::report_html))
        .route("/api/chains/{chain}/alarms", get(alarms::alarms))
        .route("/api/chains/{chain}/metrics", get(alarms::metrics))
        .route("/api/hosts", get(hosts::list))
        .route("/api/hosts/{host}/metrics", get(hosts::metrics))
        .route("/api/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/api/webhooks/{webhook}", delete(webhooks::delete))
        .route("/api/webhooks/{webhook}/deliveries", get(webhooks::deliveries))
        .route("/api/webhooks/{webhook}/test", post(webhooks::test))
        .route("/api/security/events", get(security::events))
        .route("/api/chains/{chain}/certificates", get(certificates::list))
        .route("/api/chains/{chain}/backups", get(backups::list).post(backups::create))
        .route(
            "/api/chains/{chain}/backup-schedule",
            get(backup_schedules::get).put(backup_schedules::put).delete(backup_schedules::delete),
        )
        .route("/api/chains/{chain}/restore", post(restore::restore))
        .route("/api/chains/{chain}/blocks", get(explorer::blocks))
        .route("/api/chains/{chain}/blocks/{number}", get(explorer::block))
        .route("/api/chains/{chain}/transactions", get(explorer::export))
        .route("/api/plans", get(billing::list_plans))
        .route("/api/plans/{name}", put(billing::put_plan))
        .route("/api/tenants/{tenant}/plan", put(billing::put_tenant_plan))
        .route("/api/tenants/{tenant}/usage", get(billing::usage))
        .route("/api/tenants/{tenant}/invoices/{month}", get(billing::get_invoice))
        .route("/api/node-builds", get(builds::list).post(builds::register))
        .route("/api/chains/{chain}/upgrade", post(upgrades::upgrade))
        .route("/api/chains/{chain}/config", post(channel_settings::update))
        .route("/api/audit", get(audit::list))
        .route("/api/audit/verify", get(audit::verify))
        .route("/metrics", get(metrics::scrape))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::audit::record))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::metrics::count))
        .layer(axum::extract::DefaultBodyLimit::max(crate::api::json::MAX_BODY_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The console's typed client is generated from the committed copy of
    /// this document: it must not drift from the routes.
    #[test]
    fn the_console_is_generated_from_this_api() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../console/src/api/openapi.json");
        let committed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("console/src/api/openapi.json")).unwrap();
        let now = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert!(committed == now, "console/src/api/openapi.json differs from the API: run `make console-api`");
    }

    /// Every `pattern` in the document is one of `names`' rules (which a
    /// test holds to the checks the routes make), so the document never
    /// promises a shape the routes refuse or refuse one they take.
    #[test]
    fn the_document_states_only_the_patterns_the_routes_check() {
        fn walk(v: &serde_json::Value, found: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(p)) = m.get("pattern") {
                        found.push(p.clone());
                    }
                    m.values().for_each(|v| walk(v, found));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        walk(&serde_json::to_value(ApiDoc::openapi()).unwrap(), &mut found);
        assert!(found.len() >= 8, "{found:?}");
        for p in &found {
            let known = crate::names::PATTERNS.contains(&p.as_str()) || p == crate::role::TENANT_ROLE_PATTERN;
            assert!(known, "{p} is no rule of names.rs or role.rs");
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = ApiDoc::openapi();
        let mut ids = std::collections::BTreeSet::new();
        for item in doc.paths.paths.values() {
            for op in [&item.get, &item.post, &item.put, &item.delete].into_iter().flatten() {
                let id = op.operation_id.clone().unwrap();
                assert!(ids.insert(id.clone()), "operation id {id} twice");
            }
        }
        assert!(ids.contains("get_chains_chain_nodes"), "{ids:?}");
    }
}
