//! The routes of a chain's channels: list them, create one (the job:
//! `ops::channels`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_provision::network::NetworkDir;
use weft_provision::NodeRoleName;

use crate::api::json::ApiJson;
use crate::ops::channels::{create_channel, network, CREATE_STEPS};
use crate::ops::jobs::{Job, JobView};
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chains::{manageable_running, readable};
use crate::store::channels::recorded;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    pub name: String,
    /// The orgs that are members of the channel.
    pub orgs: Vec<String>,
    /// The channel the chain was created with (every org is in it; nodes
    /// and orgs are added to it).
    pub main: bool,
    /// Unix seconds; absent for the main channel (the chain's own).
    pub created_at: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    /// Channel id: lowercase letters, digits, '.' and '-', starting with a letter.
    #[schema(min_length = 1, max_length = 249, pattern = "^[a-z][a-z0-9.-]{0,248}$")]
    pub name: String,
    /// The chain's orgs that are its members; at least one of them runs an
    /// orderer and one a peer.
    #[schema(min_items = 1, max_items = 64)]
    pub orgs: Vec<String>,
}

#[utoipa::path(get, path = "/api/chains/{chain}/channels", tag = "channels", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")),
    responses((status = 200, body = [ChannelView]), (status = 401, body = Problem), (status = 404, body = Problem),
               (status = 409, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
) -> ApiResult<Json<Vec<ChannelView>>> {
    let chain = readable(&state.db, &caller, &chain).await?;
    let net = network(&state, &chain.id).await?;
    let manifest = net.manifest();
    let mut views = vec![ChannelView {
        name: manifest.channel.clone(),
        orgs: manifest.orgs.iter().map(|o| o.id.clone()).collect(),
        main: true,
        created_at: None,
    }];
    for (name, orgs, created_at) in recorded(&state.db, &chain.id).await? {
        views.push(ChannelView { name, orgs, main: false, created_at: Some(created_at) });
    }
    Ok(Json(views))
}

#[utoipa::path(post, path = "/api/chains/{chain}/channels", tag = "channels", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id")), request_body = NewChannel,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(chain): Path<String>,
    ApiJson(req): ApiJson<NewChannel>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "channels are created on running chains").await?;
    let net = network(&state, &chain.id).await?;
    let name =
        weft_proto::ChannelId::new(req.name.clone()).map_err(|e| Problem::unprocessable(format!("name: {e}")))?;
    let mut orgs = req.orgs.clone();
    orgs.sort();
    orgs.dedup();
    check_members(&net, &orgs)?;
    let taken = name.as_str() == net.manifest().channel
        || recorded(&state.db, &chain.id).await?.iter().any(|(n, _, _)| n == name.as_str());
    if taken {
        return Err(Problem::conflict(format!("the chain has a channel {name} already; choose another name")));
    }
    let job = Job::start(&state.db, &chain.id, "create-channel", &CREATE_STEPS).await?;
    tracing::info!(chain = %chain.id, channel = %name, ?orgs, by = %caller.username, job = %job.id, "creating a channel");
    state.jobs.spawn(create_channel(state.clone(), chain.id.clone(), name.to_string(), orgs, job.clone()));
    Ok((StatusCode::ACCEPTED, Json(job.view().await?)))
}

/// The orgs must be the chain's, and among their nodes an orderer and a
/// peer.
fn check_members(net: &NetworkDir, orgs: &[String]) -> Result<(), Problem> {
    if orgs.is_empty() {
        return Err(Problem::unprocessable("orgs: name at least one of the chain's orgs"));
    }
    let manifest = net.manifest();
    for org in orgs {
        if !manifest.orgs.iter().any(|o| &o.id == org) {
            let known: Vec<&str> = manifest.orgs.iter().map(|o| o.id.as_str()).collect();
            return Err(Problem::unprocessable(format!(
                "orgs: {org:?} is not an org of this chain ({})",
                known.join(", ")
            )));
        }
    }
    let has = |role: NodeRoleName| manifest.nodes.iter().any(|n| orgs.contains(&n.org) && n.roles.contains(&role));
    if !has(NodeRoleName::Orderer) || !has(NodeRoleName::Peer) {
        return Err(Problem::unprocessable(
            "orgs: among their nodes there must be an orderer and a peer; add one to one of them first",
        ));
    }
    Ok(())
}
