//! The route that adds one of the chain's orgs to a channel (the job:
//! `ops::channel_orgs`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::json::ApiJson;
use crate::ops::channel_orgs::{add_org, ADD_STEPS};
use crate::ops::channels::{members, network, peer_org};
use crate::ops::jobs::{Job, JobView};
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chains::manageable_running;
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannelOrg {
    /// One of the chain's orgs that is not a member of the channel yet.
    #[schema(min_length = 1, max_length = 64)]
    pub org: String,
}

#[utoipa::path(post, path = "/api/chains/{chain}/channels/{channel}/orgs", tag = "channels", security(("bearer" = [])),
    params(("chain" = String, Path, description = "chain id"), ("channel" = String, Path, description = "channel name")),
    request_body = NewChannelOrg,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Path((chain, channel)): Path<(String, String)>,
    ApiJson(req): ApiJson<NewChannelOrg>,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let chain = manageable_running(&state.db, &caller, &chain, "orgs are added to channels of running chains").await?;
    let net = network(&state, &chain.id).await?;
    let (channel, orgs) = members(&state.db, &net, &chain.id, Some(&channel)).await?;
    if channel == net.manifest().channel {
        return Err(Problem::unprocessable(format!(
            "{channel} is the chain's main channel, which every org of the chain is in; add an org to the chain \
             with POST /api/chains/{}/orgs",
            chain.id
        )));
    }
    if !net.manifest().orgs.iter().any(|o| o.id == req.org) {
        let known: Vec<&str> = net.manifest().orgs.iter().map(|o| o.id.as_str()).collect();
        return Err(Problem::unprocessable(format!(
            "org: {:?} is not an org of this chain ({}); add it to the chain first",
            req.org,
            known.join(", ")
        )));
    }
    if orgs.contains(&req.org) {
        return Err(Problem::conflict(format!("{} is a member of {channel} already", req.org)));
    }
    if peer_org(&net, &orgs).is_none() {
        return Err(Problem::conflict(format!(
            "none of {channel}'s members ({}) runs a peer to submit the configuration update through",
            orgs.join(", ")
        )));
    }
    let job = Job::start(&state.db, &chain.id, "add-channel-org", &ADD_STEPS).await?;
    tracing::info!(chain = %chain.id, %channel, org = %req.org, by = %caller.username, job = %job.id, "adding an org to a channel");
    state.jobs.spawn(add_org(state.clone(), chain.id.clone(), channel, orgs, req.org, job.clone()));
    Ok((StatusCode::ACCEPTED, Json(job.view().await?)))
}
