//! Adding one of the chain's orgs to a channel it is not in (the main
//! channel has them all), and a peer added to the chain later to the other
//! channels its org is in. A job: a configuration update of the channel,
//! signed by its members' admins, that adds the org (its MSP entry as the
//! main channel has it, CRLs included) and its peers; then each of those
//! peers joins the channel over Admin with the block the update committed
//! in, taking its state from a member's snapshot (it has no blocks before
//! that one to replay). If a peer cannot join, the ones that did leave, the
//! org is taken out again and the channel is as it was. A new peer goes
//! the same way, one channel at a time.

use tokio_stream::StreamExt;
use weft_proto::{Block, ChannelConfig, NodeConfig, NodeRole};
use weft_provision::network::NetworkDir;
use weft_provision::{ManifestNode, NodeRoleName};

use crate::ops::channels::peer_org;
use crate::ops::jobs::{AtStep, Job, StepError};
use crate::store::channels::recorded;
use crate::AppState;

pub const ADD_STEPS: [&str; 2] = ["configuration update", "join peers"];

pub async fn add_org(state: AppState, chain: String, channel: String, members: Vec<String>, org: String, job: Job) {
    match add_steps(&state, &chain, &channel, &members, &org, &job).await {
        Ok(()) => {
            tracing::info!(%chain, %channel, %org, "org added to the channel");
            job.finish(Ok(())).await;
        }
        Err((step, why)) => {
            job.failed(step, &why).await;
            tracing::warn!(%chain, %channel, %org, "adding an org to a channel failed: {why}");
            job.finish(Err(format!("step {:?} failed: {why}", ADD_STEPS[step]))).await;
        }
    }
}

async fn add_steps(
    state: &AppState,
    chain: &str,
    channel: &str,
    members: &[String],
    org: &str,
    job: &Job,
) -> Result<(), StepError> {
    job.running(0, &format!("adding {org} and its peers to {channel}'s configuration")).await;
    let net = state.material.network(chain).await.at_step(0)?;
    let acting = peer_org(&net, members).ok_or((0, format!("none of {channel}'s members runs a peer")))?.clone();
    let peers: Vec<ManifestNode> = net
        .manifest()
        .nodes
        .iter()
        .filter(|n| n.org == org && n.roles.contains(&NodeRoleName::Peer))
        .cloned()
        .collect();
    let (sequence, number) = {
        let held = state.config_lock.lock().await;
        let gateway = net.gateway(&acting, net.admin(&acting).at_step(0)?).at_step(0)?;
        let height = net.height(&acting).await.at_step(0)?;
        let main = weft_sdk::config::current(&gateway, height)
            .await
            .map_err(|e| (0, format!("reading the main channel's configuration: {e}")))?;
        let org_id = org.to_string();
        crate::ops::config_tx::update_channel(&held, &net, channel, &acting, move |c| admit(c, &main, &org_id))
            .await
            .at_step(0)?
    };
    let mut now_members = members.to_vec();
    now_members.push(org.to_string());
    now_members.sort();
    record_members(state, chain, channel, &now_members).await.at_step(0)?;
    job.done(0, &format!("configuration sequence {sequence} in block {number}")).await;

    job.running(1, &format!("joining {} peers of {org} from block {number} and a snapshot", peers.len())).await;
    let joined = match join_peers(&net, &acting, channel, number, &peers).await {
        Ok(joined) => joined,
        Err(why) => {
            let undone = undo(state, &net, chain, channel, &acting, members, org).await;
            return Err((1, format!("{why}; {undone}")));
        }
    };
    let detail =
        if joined.is_empty() { format!("{org} runs no peer; its members' peers serve it") } else { joined.join(", ") };
    job.done(1, &detail).await;
    Ok(())
}

/// Adds `org` and its peers (as peers only: orderers stay those the channel
/// began with) to `config`, taking their entries from the main channel's
/// configuration `main`.
pub fn admit(config: &mut ChannelConfig, main: &ChannelConfig, org: &str) -> Result<(), String> {
    if config.orgs.iter().any(|o| o.org_id == org) {
        return Err(format!("{org} is in {}'s configuration already", config.channel_id));
    }
    let entry = main
        .orgs
        .iter()
        .find(|o| o.org_id == org)
        .ok_or_else(|| format!("{org} is not in the main channel's configuration"))?;
    config.orgs.push(entry.clone());
    let peer = NodeRole::Peer as i32;
    for node in main.nodes.iter().filter(|n| n.org_id == org && n.roles.contains(&peer)) {
        let mut node = node.clone();
        node.roles = vec![peer];
        config.nodes.push(node);
    }
    Ok(())
}

/// Joins `peers` to `channel` with its block `number` (the configuration
/// block that admitted them); on a failure the ones joined leave again.
async fn join_peers(
    net: &NetworkDir,
    acting: &str,
    channel: &str,
    number: u64,
    peers: &[ManifestNode],
) -> Result<Vec<String>, String> {
    if peers.is_empty() {
        return Ok(Vec::new());
    }
    let block = config_block(net, acting, channel, number).await?;
    let mut joined: Vec<String> = Vec::new();
    for (i, node) in peers.iter().enumerate() {
        match net.join_channel(node, &block, &[NodeRoleName::Peer], true).await {
            Ok(summary) => joined.push(format!("{} (height {})", node.id, summary.height)),
            Err(why) => {
                for done in &peers[..i] {
                    let _ = net.leave_channel(done, channel, true).await;
                }
                return Err(format!("joining {}: {why}; the peers joined before left again", node.id));
            }
        }
    }
    Ok(joined)
}

/// Adds `node`, a node just added to the chain (`entry`, its entry in the
/// main channel's configuration), to every other channel its org is a
/// member of, with its roles there (an orderer of a raft chain orders
/// them too: raft adds one orderer at a time), and joins it there from the
/// block that admitted it. The channels joined; on a failure the node leaves those and is taken
/// out of their configurations again, and the error says which channel
/// stopped it.
pub async fn join_org_channels(
    state: &AppState,
    chain: &str,
    node: &ManifestNode,
    entry: &NodeConfig,
) -> Result<Vec<String>, String> {
    let net = state.material.network(chain).await.map_err(|e| e.to_string())?;
    let channels: Vec<(String, Vec<String>)> = recorded(&state.db, chain)
        .await
        .map_err(|p| p.detail)?
        .into_iter()
        .filter(|(_, orgs, _)| orgs.contains(&node.org))
        .map(|(name, orgs, _)| (name, orgs))
        .collect();
    let mut joined: Vec<&(String, Vec<String>)> = Vec::new();
    for pair @ (channel, members) in &channels {
        if let Err(why) = join_one(state, &net, channel, members, node, entry).await {
            let mut undone = Vec::new();
            for (c, m) in joined.iter().copied().chain(std::iter::once(pair)) {
                if let Err(e) = take_out(state, &net, c, m, node).await {
                    undone.push(format!("{} is still in {c}'s configuration ({e})", node.id));
                }
            }
            let undone =
                if undone.is_empty() { "the channels joined before were left".into() } else { undone.join("; ") };
            return Err(format!("joining {channel}: {why}; {undone}"));
        }
        joined.push(pair);
    }
    Ok(joined.into_iter().map(|(c, _)| c.clone()).collect())
}

/// Takes `node`, being removed from the chain, out of the other channels
/// its org is in; says where it is still listed, if anywhere.
pub async fn leave_org_channels(state: &AppState, chain: &str, node: &ManifestNode) -> Option<String> {
    let net = match state.material.network(chain).await {
        Ok(net) => net,
        Err(e) => return Some(format!("its other channels were not read ({e})")),
    };
    let channels = match recorded(&state.db, chain).await {
        Ok(all) => all,
        Err(p) => return Some(format!("its other channels were not read ({})", p.detail)),
    };
    let mut kept = Vec::new();
    for (channel, members, _) in channels.iter().filter(|(_, orgs, _)| orgs.contains(&node.org)) {
        if let Err(e) = take_out(state, &net, channel, members, node).await {
            kept.push(format!("it is still in {channel}'s configuration ({e})"));
        }
    }
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// A member org with a peer that is not `node` to act through: another org
/// than `node`'s if there is one (its peers all serve the channel).
fn acting_for(net: &NetworkDir, members: &[String], node: &ManifestNode) -> Result<String, String> {
    let has_peer = |org: &String| {
        net.manifest().nodes.iter().any(|n| &n.org == org && n.id != node.id && n.roles.contains(&NodeRoleName::Peer))
    };
    let mut candidates: Vec<&String> = members.iter().filter(|o| has_peer(o)).collect();
    candidates.sort_by_key(|o| **o == node.org);
    candidates.first().map(|o| o.to_string()).ok_or_else(|| "none of its members runs another peer".to_string())
}

async fn join_one(
    state: &AppState,
    net: &NetworkDir,
    channel: &str,
    members: &[String],
    node: &ManifestNode,
    entry: &NodeConfig,
) -> Result<(), String> {
    let acting = acting_for(net, members, node)?;
    let entry = entry.clone();
    let (_, number) = {
        let held = state.config_lock.lock().await;
        crate::ops::config_tx::update_channel(&held, net, channel, &acting, move |c| {
            if c.nodes.iter().any(|n| n.node_id == entry.node_id) {
                return Err(format!("{} is in the configuration already", entry.node_id));
            }
            c.nodes.push(entry);
            Ok(())
        })
        .await?
    };
    let block = config_block(net, &acting, channel, number).await?;
    net.join_channel(node, &block, &node.roles, true).await.map(|_| ()).map_err(|e| e.to_string())
}

const NOT_IN: &str = "not in the configuration";

/// `node` leaves `channel` (if it joined) and goes out of its
/// configuration (if it is in).
async fn take_out(
    state: &AppState,
    net: &NetworkDir,
    channel: &str,
    members: &[String],
    node: &ManifestNode,
) -> Result<(), String> {
    let _ = net.leave_channel(node, channel, true).await;
    let acting = acting_for(net, members, node)?;
    let id = node.id.clone();
    let held = state.config_lock.lock().await;
    let removed = crate::ops::config_tx::update_channel(&held, net, channel, &acting, move |c| {
        if !c.nodes.iter().any(|n| n.node_id == id) {
            return Err(NOT_IN.to_string());
        }
        crate::ops::config_tx::remove_node(c, &id)
    })
    .await;
    match removed {
        Err(e) if e == NOT_IN => Ok(()),
        other => other.map(|_| ()),
    }
}

async fn config_block(net: &NetworkDir, acting: &str, channel: &str, number: u64) -> Result<Block, String> {
    let gateway =
        net.admin(acting).and_then(|admin| net.gateway_on(channel, acting, admin)).map_err(|e| e.to_string())?;
    let blocks =
        gateway.blocks(Some(number), Some(number)).await.map_err(|e| format!("reading block {number}: {e}"))?;
    let mut blocks = Box::pin(blocks);
    match tokio::time::timeout(std::time::Duration::from_secs(30), blocks.next()).await {
        Ok(Some(Ok(block))) => Ok(block),
        Ok(Some(Err(e))) => Err(format!("reading block {number} of {channel}: {e}")),
        Ok(None) | Err(_) => Err(format!("block {number} of {channel} did not arrive within 30 s")),
    }
}

/// Takes `org` out of the channel again after its peers could not join.
async fn undo(
    state: &AppState,
    net: &NetworkDir,
    chain: &str,
    channel: &str,
    acting: &str,
    members: &[String],
    org: &str,
) -> String {
    let org_id = org.to_string();
    let removed = {
        let held = state.config_lock.lock().await;
        crate::ops::config_tx::update_channel(&held, net, channel, acting, move |c| {
            c.orgs.retain(|o| o.org_id != org_id);
            c.nodes.retain(|n| n.org_id != org_id);
            Ok(())
        })
        .await
    };
    match removed {
        Ok((sequence, _)) => match record_members(state, chain, channel, members).await {
            Ok(()) => format!("{org} was taken out of {channel} again (configuration sequence {sequence})"),
            Err(e) => format!("{org} was taken out of {channel}'s configuration, but {e}"),
        },
        Err(e) => format!("{org} is still in {channel}'s configuration ({e}); its peers can join later"),
    }
}

async fn record_members(state: &AppState, chain: &str, channel: &str, orgs: &[String]) -> Result<(), String> {
    crate::store::channels::set_orgs(&state.db, chain, channel, orgs)
        .await
        .map_err(|e| format!("recording {channel}'s members: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_proto::{NodeConfig, OrgConfig};

    fn config(orgs: &[&str], nodes: &[(&str, &str, &[NodeRole])]) -> ChannelConfig {
        ChannelConfig {
            channel_id: "c".into(),
            orgs: orgs.iter().map(|o| OrgConfig { org_id: o.to_string(), ..Default::default() }).collect(),
            nodes: nodes
                .iter()
                .map(|(id, org, roles)| NodeConfig {
                    node_id: id.to_string(),
                    org_id: org.to_string(),
                    roles: roles.iter().map(|r| *r as i32).collect(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_org_comes_in_with_its_peers_as_peers_only() {
        let main = config(
            &["Org1", "Org2"],
            &[
                ("n1", "Org1", &[NodeRole::Peer, NodeRole::Orderer]),
                ("n2", "Org2", &[NodeRole::Peer, NodeRole::Orderer]),
                ("n3", "Org2", &[NodeRole::Orderer]),
            ],
        );
        let mut channel = config(&["Org1"], &[("n1", "Org1", &[NodeRole::Peer, NodeRole::Orderer])]);
        admit(&mut channel, &main, "Org2").unwrap();
        assert_eq!(channel.orgs.iter().map(|o| o.org_id.as_str()).collect::<Vec<_>>(), ["Org1", "Org2"]);
        let n2 = channel.nodes.iter().find(|n| n.node_id == "n2").unwrap();
        assert_eq!(n2.roles, [NodeRole::Peer as i32]);
        assert!(!channel.nodes.iter().any(|n| n.node_id == "n3"), "an orderer-only node stays out");
        let again = admit(&mut channel, &main, "Org2").unwrap_err();
        assert!(again.contains("already"), "{again}");
        assert!(admit(&mut channel, &main, "Org9").unwrap_err().contains("not in the main channel"));
    }
}
