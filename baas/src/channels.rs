//! A chain's channels: the one it was created with (the manifest's, with
//! every org) and more, each with a subset of the chain's orgs and so its
//! own members, ledger and contracts. Creating one is a job: its genesis
//! block, cut from the configuration in force of the chain's first channel
//! down to the chosen orgs and their nodes and signed by those orgs'
//! admins, recorded in the database; then every node of those orgs is
//! joined to it over Admin (JoinChannel), in the roles the configuration
//! gives it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use weft_proto::{ChannelConfig, NodeRole};
use weft_provision::network::NetworkDir;
use weft_provision::{genesis_block, GenesisSigner, NodeRoleName};

use crate::db::now;
use crate::jobs::{Job, JobView};
use crate::json::ApiJson;
use crate::problem::{ApiResult, Problem};
use crate::role::Caller;
use crate::store::chains::{manageable_running, readable};
use crate::AppState;

pub const CREATE_STEPS: [&str; 2] = ["genesis block", "join nodes"];

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

/// The channels recorded for `chain` besides its main one.
pub async fn recorded(db: &crate::db::Db, chain: &str) -> Result<Vec<(String, Vec<String>, i64)>, Problem> {
    let rows = sqlx::query("SELECT name, orgs, created_at FROM channels WHERE chain_id = $1 ORDER BY name")
        .bind(chain)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            let orgs: String = r.try_get("orgs")?;
            let orgs = serde_json::from_str(&orgs).map_err(|e| Problem::internal(format!("channel orgs: {e}")))?;
            Ok((r.try_get("name")?, orgs, r.try_get("created_at")?))
        })
        .collect()
}

/// The member orgs of `channel` (None: the main channel) of the chain
/// `net` is, and the channel's name; NOT_FOUND names the chain's channels.
pub async fn members(
    db: &crate::db::Db,
    net: &NetworkDir,
    chain: &str,
    channel: Option<&str>,
) -> Result<(String, Vec<String>), Problem> {
    let main = &net.manifest().channel;
    let all = || net.manifest().orgs.iter().map(|o| o.id.clone()).collect();
    match channel {
        None => Ok((main.clone(), all())),
        Some(c) if c == main => Ok((main.clone(), all())),
        Some(c) => {
            let recorded = recorded(db, chain).await?;
            if let Some((name, orgs, _)) = recorded.iter().find(|(name, _, _)| name == c) {
                return Ok((name.clone(), orgs.clone()));
            }
            let names: Vec<&str> =
                std::iter::once(main.as_str()).chain(recorded.iter().map(|(name, _, _)| name.as_str())).collect();
            Err(Problem::not_found(format!("chain {chain} has no channel {c:?}; its channels: {}", names.join(", "))))
        }
    }
}

/// The first of `orgs` that runs a peer: who submits on their channel.
pub fn peer_org<'a>(net: &NetworkDir, orgs: &'a [String]) -> Option<&'a String> {
    orgs.iter().find(|o| net.manifest().nodes.iter().any(|n| &&n.org == o && n.roles.contains(&NodeRoleName::Peer)))
}

pub fn network(state: &AppState, chain: &str) -> Result<NetworkDir, Problem> {
    state
        .driver
        .network(chain)
        .map_err(|e| Problem::conflict(format!("chain {chain} has no network yet ({e}); wait for its create job")))
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
    let net = network(&state, &chain.id)?;
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
    let net = network(&state, &chain.id)?;
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

/// `main`'s configuration cut down to `orgs` and their nodes, as the
/// genesis configuration of channel `name`.
pub fn subset(main: &ChannelConfig, name: &str, orgs: &[String]) -> Result<ChannelConfig, String> {
    let mut config = main.clone();
    config.channel_id = name.to_string();
    config.sequence = 0;
    config.orgs.retain(|o| orgs.contains(&o.org_id));
    config.nodes.retain(|n| orgs.contains(&n.org_id));
    let missing: Vec<&String> = orgs.iter().filter(|o| !config.orgs.iter().any(|c| &&c.org_id == o)).collect();
    if !missing.is_empty() {
        return Err(format!("{missing:?} are not in the chain's channel configuration"));
    }
    let has = |role: NodeRole| config.nodes.iter().any(|n| n.roles.contains(&(role as i32)));
    if !has(NodeRole::Orderer) || !has(NodeRole::Peer) {
        return Err("the orgs' nodes in the channel configuration include no orderer or no peer".into());
    }
    Ok(config)
}

pub async fn create_channel(state: AppState, chain: String, name: String, orgs: Vec<String>, job: Job) {
    match create_steps(&state, &chain, &name, &orgs, &job).await {
        Ok(joined) => {
            tracing::info!(%chain, channel = %name, joined, "channel created");
            job.finish(Ok(())).await;
        }
        Err((step, why)) => {
            job.failed(step, &why).await;
            let _ = sqlx::query("DELETE FROM channels WHERE chain_id = $1 AND name = $2")
                .bind(&chain)
                .bind(&name)
                .execute(&state.db)
                .await;
            tracing::warn!(%chain, channel = %name, "creating a channel failed: {why}");
            job.finish(Err(format!("step {:?} failed: {why}", CREATE_STEPS[step]))).await;
        }
    }
}

/// The nodes joined, or the failed step and why; a failure leaves no node
/// in the channel.
async fn create_steps(
    state: &AppState,
    chain: &str,
    name: &str,
    orgs: &[String],
    job: &Job,
) -> Result<usize, (usize, String)> {
    job.running(0, &format!("cutting the genesis block of {name} for {}", orgs.join(", "))).await;
    let net = state.driver.network(chain).map_err(|e| (0, e))?;
    let block = genesis(state, &net, name, orgs).await.map_err(|e| (0, e))?;
    sqlx::query("INSERT INTO channels (chain_id, name, orgs, genesis_hex, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(chain)
        .bind(name)
        .bind(serde_json::to_string(orgs).expect("strings serialise"))
        .bind(hex::encode(prost::Message::encode_to_vec(&block)))
        .bind(now())
        .execute(&state.db)
        .await
        .map_err(|e| (0, format!("recording the channel: {e}")))?;
    job.done(0, &format!("signed by the admins of {}", orgs.join(", "))).await;

    let nodes: Vec<_> = net.manifest().nodes.iter().filter(|n| orgs.contains(&n.org)).cloned().collect();
    job.running(1, &format!("joining {} nodes", nodes.len())).await;
    let mut joined = Vec::new();
    for node in &nodes {
        match net.join_channel(node, &block, &[], false).await {
            Ok(summary) => joined.push(format!("{} ({})", node.id, summary.roles.join("+"))),
            Err(why) => {
                for done in nodes.iter().take(joined.len()) {
                    let _ = net.leave_channel(done, name, true).await;
                }
                return Err((1, format!("joining {}: {why}; the nodes joined before left again", node.id)));
            }
        }
    }
    job.done(1, &joined.join(", ")).await;
    Ok(joined.len())
}

/// The new channel's genesis block from the main channel's configuration
/// in force (read under the configuration lock, so no update is half
/// seen).
async fn genesis(state: &AppState, net: &NetworkDir, name: &str, orgs: &[String]) -> Result<weft_proto::Block, String> {
    let acting = peer_org(net, orgs).ok_or("none of the orgs runs a peer")?;
    let main = {
        let _held = state.config_lock.lock().await;
        let gateway = net.gateway(acting, net.admin(acting)?)?;
        let height = net.height(acting).await?;
        weft_sdk::config::current(&gateway, height).await.map_err(|e| format!("reading the configuration: {e}"))?
    };
    let config = subset(&main, name, orgs)?;
    let admins: Vec<_> = orgs.iter().map(|o| net.admin(o)).collect::<Result<_, _>>()?;
    let signers: Vec<GenesisSigner<'_>> =
        admins.iter().map(|a| GenesisSigner { identity: a.identity.clone(), key: &a.key }).collect();
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    Ok(genesis_block(&config, &signers, now_ms as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_proto::{NodeConfig, OrgConfig};

    fn node(id: &str, org: &str, roles: &[NodeRole]) -> NodeConfig {
        NodeConfig {
            node_id: id.into(),
            org_id: org.into(),
            roles: roles.iter().map(|r| *r as i32).collect(),
            ..Default::default()
        }
    }

    fn main_config() -> ChannelConfig {
        ChannelConfig {
            channel_id: "weft".into(),
            sequence: 4,
            orgs: ["Org1", "Org2", "Org3"]
                .iter()
                .map(|o| OrgConfig { org_id: o.to_string(), ..Default::default() })
                .collect(),
            nodes: vec![
                node("n1", "Org1", &[NodeRole::Peer, NodeRole::Orderer]),
                node("n2", "Org2", &[NodeRole::Peer]),
                node("n3", "Org3", &[NodeRole::Peer]),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_subset_keeps_only_its_orgs_and_their_nodes() {
        let c = subset(&main_config(), "second", &["Org1".into(), "Org3".into()]).unwrap();
        assert_eq!((c.channel_id.as_str(), c.sequence), ("second", 0));
        assert_eq!(c.orgs.iter().map(|o| o.org_id.as_str()).collect::<Vec<_>>(), ["Org1", "Org3"]);
        assert_eq!(c.nodes.iter().map(|n| n.node_id.as_str()).collect::<Vec<_>>(), ["n1", "n3"]);
    }

    #[test]
    fn a_subset_without_an_orderer_or_an_unknown_org_is_refused() {
        let e = subset(&main_config(), "x", &["Org2".into(), "Org3".into()]).unwrap_err();
        assert!(e.contains("no orderer"), "{e}");
        let e = subset(&main_config(), "x", &["Org1".into(), "Org9".into()]).unwrap_err();
        assert!(e.contains("Org9"), "{e}");
    }
}
