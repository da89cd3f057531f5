//! `weft network add-node|remove-node`: change which nodes a running
//! network has. Each change is a channel configuration update signed by
//! every org's admin; raft orderers follow it one membership change at a
//! time, and the p2p allow lists follow it on every node.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use weft_proto::NodeRole;
use weft_provision::local::{self as process, Stopped};
use weft_provision::{prepare_node, NodeRequest, NodeRoleName};

use crate::output::Output;

use crate::profile::Profile;

pub fn parse_role(s: &str) -> Result<NodeRoleName, String> {
    NodeRoleName::parse(s).ok_or_else(|| format!("unknown role {s:?}; a node is a peer, an orderer or both"))
}

pub async fn add_node(
    dir: &Path,
    org: String,
    roles: Vec<NodeRoleName>,
    host: Option<String>,
    cert_days: i64,
    from_snapshot: bool,
    output: Output,
) -> Result<()> {
    let profile = Profile::admin(dir, Some(org.clone()));
    let (gateway, mut loaded) = profile.gateway()?;
    let mut config = crate::config_update::current(&gateway, &loaded).await?;
    let request = NodeRequest { org, roles, host, cert_validity_days: cert_days, join_from_snapshot: from_snapshot };
    let prepared = prepare_node(dir, &loaded.manifest, &request, None).context("preparing the new node's files")?;
    config.nodes.push(prepared.channel_node.clone());
    config.sequence += 1;
    let block = match crate::config_update::submit(&gateway, &loaded, &config).await {
        Ok(block) => block,
        Err(e) => {
            // Nothing refers to the files yet: leave no half-added node.
            let _ = std::fs::remove_dir_all(&prepared.dir);
            return Err(e.context(format!("adding {} to the channel configuration", prepared.manifest.id)));
        }
    };
    let node = prepared.manifest;
    loaded.manifest.nodes.push(node.clone());
    loaded.manifest.save(dir)?;
    match output {
        Output::Json => println!(
            "{}",
            serde_json::json!({"node": node.id, "org": node.org, "roles": node.roles, "grpc": node.grpc,
                               "p2p": node.p2p, "config": dir.join(&node.config),
                               "config_sequence": config.sequence, "block": block})
        ),
        Output::Text => {
            let roles: Vec<String> = node.roles.iter().map(|r| format!("{r:?}").to_lowercase()).collect();
            println!(
                "added {} ({} of {}) at gRPC {}, p2p {}: configuration sequence {} in block {block}",
                node.id,
                roles.join(" + "),
                node.org,
                node.grpc,
                node.p2p,
                config.sequence
            );
            let how = if from_snapshot {
                "it starts from a state snapshot of another node, then follows the blocks after it"
            } else {
                "it catches up from the other nodes before it orders or endorses"
            };
            println!("start it with `weft network up {}`; {how}", dir.display());
        }
    }
    Ok(())
}

pub async fn remove_node(dir: &Path, id: &str, grace_secs: u64, output: Output) -> Result<()> {
    let profile = Profile::admin(dir, None);
    let loaded = profile.load()?;
    let Some(node) = loaded.manifest.nodes.iter().find(|n| n.id == id).cloned() else {
        let known: Vec<&str> = loaded.manifest.nodes.iter().map(|n| n.id.as_str()).collect();
        bail!("no node {id:?} in {}; its nodes are {}", dir.display(), known.join(", "));
    };
    weft_provision::check_orderer_change(loaded.manifest.consensus, &node.roles, id)?;
    // Act for an org that keeps a peer, so the update has someone to go through.
    let acting = loaded
        .manifest
        .nodes
        .iter()
        .find(|n| n.id != id && n.roles.contains(&NodeRoleName::Peer))
        .map(|n| n.org.clone())
        .ok_or_else(|| anyhow::anyhow!("{id} is the network's last peer; removing it would leave no one to endorse"))?;
    let profile = Profile::admin(dir, Some(acting));
    let (gateway, mut loaded) = profile.gateway()?;
    let mut config = crate::config_update::current(&gateway, &loaded).await?;
    let before = config.nodes.len();
    config.nodes.retain(|n| n.node_id != id);
    if config.nodes.len() == before {
        bail!("{id} is in the manifest but not in the channel configuration (sequence {})", config.sequence);
    }
    let orderers = config.nodes.iter().filter(|n| n.roles.contains(&(NodeRole::Orderer as i32))).count();
    if orderers == 0 {
        bail!("{id} is the channel's last orderer; add another orderer first (`weft network add-node --role orderer`)");
    }
    config.sequence += 1;
    let block = crate::config_update::submit(&gateway, &loaded, &config)
        .await
        .with_context(|| format!("removing {id} from the channel configuration"))?;

    let config_path = dir.join(&node.config);
    let stopped = process::stop(&config_path, Duration::from_secs(grace_secs))?.map(Stopped::pid);
    loaded.manifest.nodes.retain(|n| n.id != id);
    loaded.manifest.save(dir)?;
    let kept = config_path.parent().unwrap_or(dir).to_path_buf();
    match output {
        Output::Json => println!(
            "{}",
            serde_json::json!({"removed": id, "config_sequence": config.sequence, "block": block,
                               "stopped_pid": stopped, "kept": kept, "orderers_left": orderers})
        ),
        Output::Text => {
            println!("removed {id}: configuration sequence {} in block {block}", config.sequence);
            if let Some(pid) = stopped {
                println!("stopped its process (pid {pid})");
            }
            println!("its keys and data stay in {} (delete them when no longer needed)", kept.display());
            if orderers < 3 && node.roles.contains(&NodeRoleName::Orderer) {
                println!("note: {orderers} orderer(s) left; raft needs 3 to survive a crash");
            }
        }
    }
    Ok(())
}
