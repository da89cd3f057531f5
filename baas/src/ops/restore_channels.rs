//! The further channels of a chain restored in place: each channel's
//! snapshot in the backup is placed for every node of the channel (as its
//! configuration in force at the backup names them), and once the nodes
//! serve the main channel again each rejoins it over Admin from that
//! snapshot: orderers with the channel's genesis block (their consensus
//! starts afresh at the restored height, as on the main channel), peers
//! with the configuration block in force (which names peers of orgs added
//! later). A channel the backup holds no snapshot of (made after it, or
//! backed up by an older version) is rejoined from its genesis block, so
//! it starts again empty.

use std::path::Path;

use weft_proto::{Block, ChannelConfig, NodeRole};
use weft_provision::network::NetworkDir;
use weft_provision::{ManifestNode, NodeRoleName};

use crate::store::backups::ChannelBackup;
use crate::AppState;

/// One further channel as the restore brings it back.
pub struct Plan {
    pub channel: String,
    genesis: Block,
    /// From the backup: its snapshot, the configuration in force and the
    /// block holding it; None for a channel the backup has no snapshot of.
    backed_up: Option<BackedUp>,
    /// The chain's nodes the channel names, with whether each orders it.
    nodes: Vec<(ManifestNode, bool)>,
}

struct BackedUp {
    file: std::path::PathBuf,
    height: u64,
    state_hash: String,
    config_block: Block,
}

/// What restoring the chain's further channels takes: every channel the
/// chain has now, from the backup in `dir` where it holds one.
pub async fn plan(
    state: &AppState,
    chain: &str,
    net: &NetworkDir,
    dir: &Path,
    backed_up: &[ChannelBackup],
) -> Result<Vec<Plan>, String> {
    let mut plans = Vec::new();
    for (channel, _, _) in crate::store::channels::recorded(&state.db, chain).await.map_err(|p| p.detail)? {
        let genesis = crate::store::channels::genesis(&state.db, chain, &channel)
            .await
            .map_err(|p| p.detail)?
            .ok_or_else(|| format!("channel {channel} has no genesis block recorded"))?;
        let genesis: Block = prost::Message::decode(genesis.as_slice())
            .map_err(|e| format!("channel {channel}'s genesis block does not decode: {e}"))?;
        let (config, backed_up) = match backed_up.iter().find(|b| b.channel == channel) {
            Some(b) => {
                let file = crate::ops::backups::channel_file(dir, &channel);
                let config_block = config_block_of(&file)?;
                let config = weft_provision::read_config_block(&config_block)
                    .map_err(|e| format!("{}: the configuration block: {e}", file.display()))?;
                let backed = BackedUp { file, height: b.height, state_hash: b.state_hash.clone(), config_block };
                (config, Some(backed))
            }
            None => (
                weft_provision::read_genesis_config(&genesis)
                    .map_err(|e| format!("channel {channel}'s genesis block: {e}"))?,
                None,
            ),
        };
        plans.push(Plan { channel, genesis, backed_up, nodes: nodes_of(net, &config) });
    }
    Ok(plans)
}

/// The chain's nodes `config` names, each with whether it orders.
fn nodes_of(net: &NetworkDir, config: &ChannelConfig) -> Vec<(ManifestNode, bool)> {
    net.manifest()
        .nodes
        .iter()
        .filter_map(|n| {
            let listed = config.nodes.iter().find(|c| c.node_id == n.id)?;
            Some((n.clone(), listed.roles.contains(&(NodeRole::Orderer as i32))))
        })
        .collect()
}

/// The block with the configuration in force that a snapshot file carries
/// in its header.
fn config_block_of(file: &Path) -> Result<Block, String> {
    let bad = |why: String| format!("{}: {why}", file.display());
    let input = std::fs::File::open(file).map_err(|e| bad(e.to_string()))?;
    let header = weft_proto::read_snapshot_header(std::io::BufReader::new(input)).map_err(|e| bad(e.to_string()))?;
    prost::Message::decode(header.config_block.as_slice())
        .map_err(|e| bad(format!("the header's configuration block does not decode: {e}")))
}

/// Places each channel's snapshot for its nodes (after their ledgers were
/// set aside); how many were placed.
pub fn place(state: &AppState, chain: &str, plans: &[Plan]) -> Result<usize, String> {
    let mut placed = 0;
    for plan in plans {
        let Some(b) = &plan.backed_up else { continue };
        for (node, _) in &plan.nodes {
            state
                .driver
                .place_snapshot(chain, node, &plan.channel, &b.file, false)
                .map_err(|e| format!("{} on {}: {e}", plan.channel, node.id))?;
            placed += 1;
        }
    }
    Ok(placed)
}

/// Has every node of each channel rejoin it; a line per channel.
pub async fn rejoin(net: &NetworkDir, plans: &[Plan]) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    for plan in plans {
        // Orderers first: the peers then find the channel ordered.
        let mut nodes: Vec<&(ManifestNode, bool)> = plan.nodes.iter().collect();
        nodes.sort_by_key(|(_, orders)| !orders);
        for (node, orders) in nodes {
            let (block, roles) = match (&plan.backed_up, orders) {
                (Some(b), false) if number(&b.config_block) > 0 => (&b.config_block, vec![NodeRoleName::Peer]),
                (_, false) => (&plan.genesis, vec![NodeRoleName::Peer]),
                (_, true) => (&plan.genesis, vec![]),
            };
            net.join_channel(node, block, &roles, plan.backed_up.is_some())
                .await
                .map_err(|e| format!("{} rejoining {}: {e}", node.id, plan.channel))?;
        }
        done.push(match &plan.backed_up {
            Some(b) => format!("{} at height {} on {} nodes", plan.channel, b.height, plan.nodes.len()),
            None => format!("{} (not in the backup) from its genesis block, empty", plan.channel),
        });
    }
    Ok(done)
}

fn number(block: &Block) -> u64 {
    block.header.as_ref().map_or(0, |h| h.number)
}

/// Each backed-up channel's first peer reports the backup's state (or has
/// gone past its height); a line per channel.
pub async fn verify(state: &AppState, chain: &str, net: &NetworkDir, plans: &[Plan]) -> Result<Vec<String>, String> {
    let mut seen = Vec::new();
    for plan in plans {
        let Some(b) = &plan.backed_up else { continue };
        let peer = plan
            .nodes
            .iter()
            .map(|(n, _)| n)
            .find(|n| n.roles.contains(&NodeRoleName::Peer))
            .ok_or_else(|| format!("channel {} has no peer", plan.channel))?;
        seen.push(peer_has(state, chain, net, peer, &plan.channel, b.height, &b.state_hash).await?);
    }
    Ok(seen)
}

/// `peer` reports `channel` at the backup's `height` with its state hash
/// (hex), or past that height (transactions came in since); a line saying
/// which, or why not.
pub async fn peer_has(
    state: &AppState,
    chain: &str,
    net: &NetworkDir,
    peer: &ManifestNode,
    channel: &str,
    height: u64,
    state_hash: &str,
) -> Result<String, String> {
    let taken = net.snapshot_of(peer, channel).await.map_err(|e| format!("{channel}: {e}"))?;
    state.driver.remove_node_file(chain, peer, &taken.path);
    let hash = hex::encode(&taken.state_hash);
    let at = format!("{channel} at height {} on {}", taken.height, peer.id);
    if taken.height < height {
        return Err(format!("{at}, below the backup's {height}"));
    }
    if taken.height > height {
        return Ok(format!("{at} (the backup's was {height}): transactions came in"));
    }
    if hash != state_hash {
        return Err(format!("{at} has state {hash}, the backup {state_hash}"));
    }
    Ok(format!("{at}, state {}: as backed up", &hash[..16]))
}
