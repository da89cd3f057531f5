//! A chain's nodes: live status from each node's Admin gRPC and its
//! process, start, stop, restart, and the tail of its log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_provision::network::NetworkDir;
use weft_provision::{ManifestNode, NodeRequest, NodeRoleName};

use crate::api::json::ApiJson;
use crate::ops::jobs::{Job, JobView};
use crate::ops::membership;
use crate::ops::membership::node_demand;
use crate::problem::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::quotas::{add_to_chain, enforce};
use crate::role::Caller;
use crate::store::chains::{manageable_running, readable, Chain, ChainStatus};
use crate::AppState;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeView {
    pub id: String,
    pub org: String,
    /// peer, orderer
    pub roles: Vec<String>,
    /// gRPC address (Gateway, Deliver, Admin) on this host.
    pub grpc: String,
    /// The process, if it runs.
    pub pid: Option<u32>,
    /// running | stopped: what was last asked for.
    pub desired: String,
    /// Whether its Admin service answered just now.
    pub up: bool,
    pub height: Option<u64>,
    /// Consensus state of an orderer (leader, follower, …).
    pub consensus: Option<String>,
    pub leader: Option<String>,
    pub uptime_secs: Option<u64>,
    /// Why it is not up, when it is not.
    pub problem: Option<String>,
    /// How its CPU and memory limits are enforced.
    pub limits: String,
    /// The weft-node build it starts on ("bundled": the server's own).
    pub build: String,
    /// The version the running process reports.
    pub version: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// How many of the last lines (default 100, at most 2000).
    pub lines: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeLog {
    pub node: String,
    pub lines: Vec<String>,
}

fn role_names(node: &ManifestNode) -> Vec<String> {
    node.roles.iter().map(|r| r.name().to_string()).collect()
}

async fn view(state: &AppState, admin: &NetworkDir, chain: &str, node: &ManifestNode) -> Result<NodeView, Problem> {
    let (desired, limits) = crate::store::nodes::desired_and_limits(&state.db, chain, &node.id).await?;
    let pid = state.driver.pid(chain, node);
    let mut v = NodeView {
        id: node.id.clone(),
        org: node.org.clone(),
        roles: role_names(node),
        grpc: node.grpc.clone(),
        pid,
        desired,
        up: false,
        height: None,
        consensus: None,
        leader: None,
        uptime_secs: None,
        problem: None,
        limits,
        build: crate::ops::builds::build_of_node(state, chain, &node.id).await.map_err(Problem::internal)?,
        version: None,
    };
    if pid.is_none() {
        v.problem = Some("the node's process is not running".into());
        return Ok(v);
    }
    match admin.status(node).await {
        Ok(s) => {
            v.up = true;
            v.height = Some(s.height);
            v.uptime_secs = Some(s.uptime_secs);
            v.version = Some(s.version);
            if let Some(c) = s.consensus {
                v.consensus = Some(c.state);
                v.leader = (!c.leader.is_empty()).then_some(c.leader);
            }
        }
        Err(why) => v.problem = Some(why.to_string()),
    }
    Ok(v)
}

/// The chain's admin handle, if it has nodes to talk to.
async fn admin_of(state: &AppState, chain: &Chain) -> Result<NetworkDir, Problem> {
    if !matches!(chain.status, ChainStatus::Running | ChainStatus::Creating) {
        return Err(Problem::conflict(format!("chain {} is {}; it has no nodes to manage", chain.id, chain.status)));
    }
    state
        .material
        .network(&chain.id)
        .await
        .map_err(|e| Problem::conflict(format!("chain {} has no network yet ({e}); wait for its create job", chain.id)))
}

fn find<'a>(admin: &'a NetworkDir, node: &str) -> Result<&'a ManifestNode, Problem> {
    admin.manifest().nodes.iter().find(|n| n.id == node).ok_or_else(|| {
        let ids: Vec<&str> = admin.manifest().nodes.iter().map(|n| n.id.as_str()).collect();
        Problem::not_found(format!("no node {node:?} in this chain; its nodes: {}", ids.join(", ")))
    })
}

#[utoipa::path(get, path = "/api/chains/{chain}/nodes", tag = "nodes", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = [NodeView]), (status = 401, body = Problem), (status = 404, body = Problem),
               (status = 409, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Vec<NodeView>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let admin = admin_of(&state, &chain).await?;
    let mut out = Vec::new();
    for node in &admin.manifest().nodes {
        out.push(view(&state, &admin, &chain.id, node).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/chains/{chain}/nodes/{node}", tag = "nodes", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("node" = String, Path, description = "node id")),
    responses((status = 200, body = NodeView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, node)): Path<(String, String)>,
) -> ApiResult<Json<NodeView>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let admin = admin_of(&state, &chain).await?;
    let n = find(&admin, &node)?;
    Ok(Json(view(&state, &admin, &chain.id, n).await?))
}

#[utoipa::path(get, path = "/api/chains/{chain}/nodes/{node}/log", tag = "nodes", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("node" = String, Path, description = "node id"),
           LogQuery),
    responses((status = 200, body = NodeLog), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn log(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, node)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> ApiResult<Json<NodeLog>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let admin = admin_of(&state, &chain).await?;
    let n = find(&admin, &node)?;
    let lines = q.lines.unwrap_or(100).clamp(1, 2000);
    let text = state.driver.log_tail(&chain.id, n, lines);
    Ok(Json(NodeLog { node, lines: text.lines().map(str::to_string).collect() }))
}

/// start | stop | restart
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Start,
    Stop,
    Restart,
}

async fn act(
    state: AppState,
    caller: Caller,
    chain: String,
    node: String,
    action: Action,
) -> ApiResult<Json<NodeView>> {
    let chain = manageable_running(&state.db, &caller, &chain, "nodes are managed on running chains").await?;
    let admin = admin_of(&state, &chain).await?;
    let n = find(&admin, &node)?.clone();
    let _ops = state.node_ops.lock().await;
    if action != Action::Start {
        let (driver, c, m) = (state.driver.clone(), chain.id.clone(), n.clone());
        tokio::task::spawn_blocking(move || driver.stop(&c, &m))
            .await
            .map_err(Problem::internal)?
            .map_err(Problem::internal)?;
    }
    let limits = match action {
        Action::Stop => None,
        _ => Some(crate::ops::builds::start_node(&state, &chain.id, &n).await.map_err(Problem::internal)?.1.describe()),
    };
    let desired = if action == Action::Stop { "stopped" } else { "running" };
    crate::store::nodes::set_desired(&state.db, &chain.id, &node, desired, limits.as_deref()).await?;
    tracing::info!(chain = %chain.id, %node, ?action, by = %caller.username, "node {desired}");
    if action != Action::Stop {
        wait_serving(&state, &admin, &chain.id, &n).await?;
    }
    Ok(Json(view(&state, &admin, &chain.id, &n).await?))
}

/// Waits (up to 60 s) for a started node to serve, so the answer shows it up.
async fn wait_serving(state: &AppState, admin: &NetworkDir, chain: &str, node: &ManifestNode) -> Result<(), Problem> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if state.driver.pid(chain, node).is_none() {
            return Err(Problem::new(
                StatusCode::BAD_GATEWAY,
                "node-exited",
                format!(
                    "{} exited while starting; last lines of its log:\n{}",
                    node.id,
                    state.driver.log_tail(chain, node, 12)
                ),
            ));
        }
        match admin.health(node).await {
            Ok(()) => return Ok(()),
            Err(why) if std::time::Instant::now() > deadline => {
                return Err(Problem::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "node-not-serving",
                    format!("{} started but does not serve after 60 s: {why}; see its log", node.id),
                ))
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    }
}

#[utoipa::path(post, path = "/api/chains/{chain}/nodes/{node}/start", tag = "nodes", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("node" = String, Path, description = "node id")),
    responses((status = 200, body = NodeView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, node)): Path<(String, String)>,
) -> ApiResult<Json<NodeView>> {
    act(state, caller, chain, node, Action::Start).await
}

#[utoipa::path(post, path = "/api/chains/{chain}/nodes/{node}/stop", tag = "nodes", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("node" = String, Path, description = "node id")),
    responses((status = 200, body = NodeView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn stop(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, node)): Path<(String, String)>,
) -> ApiResult<Json<NodeView>> {
    act(state, caller, chain, node, Action::Stop).await
}

#[utoipa::path(post, path = "/api/chains/{chain}/nodes/{node}/restart", tag = "nodes", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("node" = String, Path, description = "node id")),
    responses((status = 200, body = NodeView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn restart(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, node)): Path<(String, String)>,
) -> ApiResult<Json<NodeView>> {
    act(state, caller, chain, node, Action::Restart).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewNode {
    /// The org the node belongs to (one of the chain's orgs).
    pub org: String,
    /// peer, orderer, or both.
    pub roles: Vec<String>,
    /// A peer only: start from a state snapshot of another node, then the
    /// blocks after it, instead of replaying every block.
    #[serde(default)]
    pub from_snapshot: bool,
    /// A peer only: start from this verified backup of the chain (GET
    /// …/backups), then the blocks after it.
    #[serde(default)]
    pub from_backup: Option<String>,
}

fn parse_roles(roles: &[String]) -> Result<Vec<NodeRoleName>, Problem> {
    if roles.is_empty() {
        return Err(Problem::unprocessable("roles: give peer, orderer or both"));
    }
    roles
        .iter()
        .map(|r| {
            NodeRoleName::parse(r).ok_or_else(|| Problem::unprocessable(format!("roles: {r:?} is not peer or orderer")))
        })
        .collect()
}

#[utoipa::path(post, path = "/api/chains/{chain}/nodes", tag = "nodes", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = NewNode,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<NewNode>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "nodes are added to running chains").await?;
    let admin = admin_of(&state, &chain).await?;
    let roles = parse_roles(&req.roles)?;
    weft_provision::check_orderer_change(admin.manifest().consensus, &roles, "the new node")
        .map_err(Problem::conflict)?;
    if !admin.manifest().orgs.iter().any(|o| o.id == req.org) {
        let orgs: Vec<&str> = admin.manifest().orgs.iter().map(|o| o.id.as_str()).collect();
        return Err(Problem::unprocessable(format!(
            "org: {:?} is not one of the chain's orgs ({})",
            req.org,
            orgs.join(", ")
        )));
    }
    if (req.from_snapshot || req.from_backup.is_some()) && roles != [NodeRoleName::Peer] {
        return Err(Problem::unprocessable(
            "from_snapshot, from_backup: only a peer (not an orderer) starts from a snapshot",
        ));
    }
    let restore = match &req.from_backup {
        Some(b) => Some(crate::ops::backups::verified_snapshot(&state, &chain.id, b).await?),
        None => None,
    };
    let demand = node_demand(&state.db, &chain.id, &req.org).await?;
    {
        let _guard = state.quota_lock.lock().await;
        enforce(&state.db, &chain.tenant_id, &demand, false).await?;
        // Counted now, so a concurrent request sees it; released if the job fails.
        add_to_chain(&state.db, &chain.id, &demand, 1).await?;
    }
    let request = NodeRequest {
        org: req.org.clone(),
        roles,
        host: None,
        cert_validity_days: 365,
        join_from_snapshot: req.from_snapshot || restore.is_some(),
    };
    let job = Job::start(&state.db, &chain.id, "add-node", &membership::ADD_STEPS).await?;
    tracing::info!(chain = %chain.id, org = %req.org, by = %caller.username, job = %job.id, "adding a node");
    state.jobs.spawn(membership::add_node(state.clone(), chain.id.clone(), request, restore, demand, job.clone()));
    let view = job.view().await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

#[utoipa::path(delete, path = "/api/chains/{chain}/nodes/{node}", tag = "nodes", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("node" = String, Path, description = "node id")),
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, node)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "nodes are removed from running chains").await?;
    let admin = admin_of(&state, &chain).await?;
    let n = find(&admin, &node)?.clone();
    weft_provision::check_orderer_change(admin.manifest().consensus, &n.roles, &n.id).map_err(Problem::conflict)?;
    let others: Vec<&ManifestNode> = admin.manifest().nodes.iter().filter(|m| m.id != n.id).collect();
    // Act for an org that keeps a peer, so the update has someone to go through.
    let Some(acting) = others.iter().find(|m| m.roles.contains(&NodeRoleName::Peer)).map(|m| m.org.clone()) else {
        return Err(Problem::conflict(format!("{node} is the chain's last peer; add another peer first")));
    };
    if !others.iter().any(|m| m.roles.contains(&NodeRoleName::Orderer)) {
        return Err(Problem::conflict(format!("{node} is the chain's last orderer; add another orderer first")));
    }
    let demand = node_demand(&state.db, &chain.id, &n.org).await?;
    let job = Job::start(&state.db, &chain.id, "remove-node", &membership::REMOVE_STEPS).await?;
    tracing::info!(chain = %chain.id, %node, by = %caller.username, job = %job.id, "removing a node");
    state.jobs.spawn(membership::remove_node(state.clone(), chain.id.clone(), n, acting, demand, job.clone()));
    let view = job.view().await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrg {
    /// The org's id (its MSP id in policies): letters, digits, '-', '_'.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub org: String,
}

#[utoipa::path(post, path = "/api/chains/{chain}/orgs", tag = "nodes", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = NewOrg,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<NewOrg>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "orgs are added to running chains").await?;
    let admin = admin_of(&state, &chain).await?;
    if !weft_provision::valid_id(&req.org) {
        return Err(Problem::unprocessable(format!(
            "org: {:?} may contain only letters, digits, '-' and '_'",
            req.org
        )));
    }
    if admin.manifest().orgs.iter().any(|o| o.id.eq_ignore_ascii_case(&req.org)) {
        return Err(Problem::conflict(format!("the chain has an org {:?} already", req.org)));
    }
    let job = Job::start(&state.db, &chain.id, "add-org", &membership::ADD_ORG_STEPS).await?;
    tracing::info!(chain = %chain.id, org = %req.org, by = %caller.username, job = %job.id, "adding an org");
    state.jobs.spawn(membership::add_org(state.clone(), chain.id.clone(), req.org, job.clone()));
    let view = job.view().await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}
