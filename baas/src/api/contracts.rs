//! Contracts on a chain: upload a wasm module and deploy it (or upgrade it
//! to a new version) through the `_lifecycle` contract, approved by every
//! org's admin — the BaaS holds their keys — and list what is deployed.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_provision::network::NetworkDir;
use weft_sdk::{lifecycle, Call, ClientIdentity, Gateway};

use crate::api::rest_gateway::{gateway_for, problem};
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chains::{manageable, readable};
use crate::AppState;

/// Largest module accepted: what a node accepts in a deployment.
pub const MAX_WASM_BYTES: usize = 4 << 20;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeployQuery {
    /// Version label, e.g. 1.0; an upgrade needs a new one.
    pub version: String,
    /// Endorsement policy, e.g. AND('Org1.peer','Org2.peer'); default: the
    /// channel's Endorsement policy.
    pub policy: Option<String>,
    /// The channel (default: the chain's main channel). On another channel
    /// the deployment is submitted as its first member org's admin and
    /// approved by its members' admins.
    pub channel: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// The channel (default: the chain's main channel).
    pub channel: Option<String>,
}

/// A channel of a chain as contracts reach it.
struct ChannelAccess {
    net: NetworkDir,
    gateway: Gateway,
    name: String,
    orgs: Vec<String>,
}

/// `channel` (None: the main one). On the main channel the Gateway is the
/// caller's own; on another, its first member org's admin's.
async fn channel_access(
    state: &AppState,
    caller: &Caller,
    chain: &crate::store::chains::Chain,
    channel: Option<&str>,
) -> Result<ChannelAccess, Problem> {
    let net = state.material.network(&chain.id).await.map_err(Problem::internal)?;
    let (name, orgs) = crate::ops::channels::members(&state.db, &net, &chain.id, channel).await?;
    let gateway = if name == net.manifest().channel {
        gateway_for(state, caller, chain, None, None).await?
    } else {
        let acting = crate::ops::channels::peer_org(&net, &orgs)
            .ok_or_else(|| Problem::conflict(format!("no member org of channel {name} runs a peer")))?;
        net.gateway_on(&name, acting, net.admin(acting).map_err(Problem::internal)?).map_err(Problem::internal)?
    };
    Ok(ChannelAccess { net, gateway, name, orgs })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeployedContract {
    pub name: String,
    pub version: String,
    pub sequence: u64,
    /// deploy | upgrade
    pub action: String,
    pub tx_id: String,
    pub block: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContractInfo {
    pub name: String,
    pub version: String,
    pub sequence: u64,
    pub endorsement_policy: String,
    pub code_hash: String,
}

#[utoipa::path(put, path = "/api/chains/{chain}/contracts/{name}", tag = "contracts", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("name" = String, Path, description = "contract"),
           DeployQuery),
    request_body(content = Vec<u8>, content_type = "application/wasm", description = "the compiled contract"),
    responses((status = 201, body = DeployedContract, description = "deployed"),
              (status = 200, body = DeployedContract, description = "upgraded"),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn deploy(
    State(state): State<AppState>,
    // Checked after the body is read: refusing an upload before reading it
    // makes the client see a broken pipe instead of the 401.
    caller: Result<Caller, Problem>,
    Path((chain, name)): Path<(String, String)>,
    query: Result<Query<DeployQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    code: Bytes,
) -> ApiResult<(StatusCode, Json<DeployedContract>)> {
    let caller = caller?;
    let Query(q) = query.map_err(|e| Problem::bad_request(format!("{e}; e.g. ?version=1.0")))?;
    let chain = manageable(&state.db, &caller, &chain).await?;
    let ctype = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ctype != "application/wasm" {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "send the compiled contract as the body with Content-Type: application/wasm",
        ));
    }
    if !weft_provision::valid_id(&name) {
        return Err(Problem::unprocessable(format!("name: {name:?} is not 1–64 letters, digits, '-' or '_'")));
    }
    if q.version.is_empty() || q.version.len() > 64 {
        return Err(Problem::unprocessable("version: give a version label of 1–64 characters, e.g. ?version=1.0"));
    }
    if !code.starts_with(b"\0asm") {
        return Err(Problem::unprocessable("body: not a WebAssembly module (it must start with \\0asm)"));
    }
    let access = channel_access(&state, &caller, &chain, q.channel.as_deref()).await?;
    let (g, net) = (&access.gateway, &access.net);
    // The members' admins approve (on the main channel, every org's).
    let admins: Vec<ClientIdentity> =
        access.orgs.iter().map(|o| net.admin(o)).collect::<Result<_, _>>().map_err(Problem::internal)?;
    let upgrade = lifecycle::current_sequence(g, &name).await.map_err(lifecycle_problem)?.is_some();
    let contract = lifecycle::Contract {
        name: &name,
        version: &q.version,
        endorsement_policy: q.policy.as_deref().unwrap_or_default(),
        code: &code,
    };
    let deployed = lifecycle::deploy(g, &contract, upgrade, &admins.iter().collect::<Vec<_>>())
        .await
        .map_err(lifecycle_problem)?;
    // Answer once every peer has it, so the caller's first transaction
    // cannot reach a peer that has not committed the deployment yet.
    let everywhere = net.wait_for_channel(&access.name, &access.orgs, deployed.status.block, Duration::from_secs(30));
    everywhere.await.map_err(|why| {
        Problem::new(StatusCode::GATEWAY_TIMEOUT, "not-everywhere-yet", format!("deployed, but {why}; retry shortly"))
    })?;
    let action = if upgrade { "upgrade" } else { "deploy" };
    tracing::info!(chain = %chain.id, contract = %name, version = %q.version, sequence = deployed.sequence,
        block = deployed.status.block, by = %caller.username, "contract {action}ed");
    let status = if upgrade { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        Json(DeployedContract {
            name,
            version: q.version,
            sequence: deployed.sequence,
            action: action.into(),
            tx_id: deployed.submitted.tx_id.to_string(),
            block: deployed.status.block,
        }),
    ))
}

fn lifecycle_problem(e: lifecycle::LifecycleError) -> Problem {
    match e {
        lifecycle::LifecycleError::Gateway(g) => problem(g),
        other => Problem::internal(other),
    }
}

#[utoipa::path(get, path = "/api/chains/{chain}/contracts", tag = "contracts", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ChannelQuery),
    responses((status = 200, body = [ContractInfo]), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    crate::query::ApiQuery(q): crate::query::ApiQuery<ChannelQuery>,
) -> ApiResult<Json<Vec<ContractInfo>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let g = channel_access(&state, &caller, &chain, q.channel.as_deref()).await?.gateway;
    let bytes = g.evaluate(&Call::new("_lifecycle", "list", &[])).await.map_err(problem)?;
    let list: Vec<ContractInfo> = serde_json::from_slice(&bytes).map_err(Problem::internal)?;
    Ok(Json(list))
}
