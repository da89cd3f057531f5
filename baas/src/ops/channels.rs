//! A chain's channels: the one it was created with (the manifest's, with
//! every org) and more, each with a subset of the chain's orgs and so its
//! own members, ledger and contracts. Creating one is a job: its genesis
//! block, cut from the configuration in force of the chain's first channel
//! down to the chosen orgs and their nodes and signed by those orgs'
//! admins, recorded in the database; then every node of those orgs is
//! joined to it over Admin (JoinChannel), in the roles the configuration
//! gives it.

use weft_proto::{ChannelConfig, NodeRole};
use weft_provision::network::NetworkDir;
use weft_provision::{genesis_block, GenesisSigner, NodeRoleName};

use crate::ops::jobs::{AtStep, Job, StepError};
use crate::problem::Problem;
use crate::store::channels::recorded;
use crate::AppState;

pub const CREATE_STEPS: [&str; 2] = ["genesis block", "join nodes"];

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

pub async fn network(state: &AppState, chain: &str) -> Result<NetworkDir, Problem> {
    state
        .material
        .network(chain)
        .await
        .map_err(|e| Problem::conflict(format!("chain {chain} has no network yet ({e}); wait for its create job")))
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
            let _ = crate::store::channels::remove(&state.db, &chain, &name).await;
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
) -> Result<usize, StepError> {
    job.running(0, &format!("cutting the genesis block of {name} for {}", orgs.join(", "))).await;
    let net = state.material.network(chain).await.at_step(0)?;
    let block = genesis(state, &net, name, orgs).await.at_step(0)?;
    crate::store::channels::insert(&state.db, chain, name, orgs, &prost::Message::encode_to_vec(&block))
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
        let gateway = net.admin(acting).and_then(|admin| net.gateway(acting, admin)).map_err(|e| e.to_string())?;
        let height = net.height(acting).await.map_err(|e| e.to_string())?;
        weft_sdk::config::current(&gateway, height).await.map_err(|e| format!("reading the configuration: {e}"))?
    };
    let config = subset(&main, name, orgs)?;
    let admins: Vec<_> = orgs.iter().map(|o| net.admin(o)).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
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
