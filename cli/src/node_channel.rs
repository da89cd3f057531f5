//! `weft node channel …`: the channels a node serves, over its Admin
//! service (Fabric's channel participation API: join, list, info, leave).

use anyhow::Result;
use clap::Subcommand;
use std::path::PathBuf;

use anyhow::Context;
use weft_proto::{ChannelInfoRequest, ChannelSummary, JoinChannelRequest, LeaveChannelRequest, ListChannelsRequest};

use crate::output::Output;
use crate::profile::Profile;

#[derive(Subcommand)]
pub enum ChannelCommand {
    /// The channels the node serves: height, its roles, consensus type.
    List {
        node: String,
        #[command(flatten)]
        profile: Profile,
    },
    /// One channel as the node sees it: consensus, the other nodes, orgs, contracts.
    Info {
        node: String,
        channel: String,
        #[command(flatten)]
        profile: Profile,
    },
    /// Join the node to a channel from the channel's genesis block; it
    /// serves the channel from now on, and after restarts.
    Join {
        node: String,
        /// The channel's genesis block file (e.g. genesis.block of a
        /// network directory), or with --from-snapshot a later
        /// configuration block that names the node (`weft block fetch`).
        #[arg(long, value_name = "FILE")]
        block: PathBuf,
        /// The node's roles in the channel (repeat, or comma-separated):
        /// peer, orderer. Default: the roles the channel configuration
        /// gives the node.
        #[arg(long = "role", value_delimiter = ',')]
        roles: Vec<String>,
        /// Start from a state snapshot fetched from another node of the
        /// channel instead of replaying every block.
        #[arg(long)]
        from_snapshot: bool,
        #[command(flatten)]
        profile: Profile,
    },
    /// Stop serving a channel; a restart does not rejoin it.
    Leave {
        node: String,
        channel: String,
        /// Delete the channel's blocks, state and consensus log too
        /// (without it, joining again goes on from them).
        #[arg(long)]
        remove_data: bool,
        #[command(flatten)]
        profile: Profile,
    },
}

fn summary_json(s: &ChannelSummary) -> serde_json::Value {
    serde_json::json!({
        "channel": s.channel_id, "height": s.height, "roles": s.roles,
        "consensus_type": s.consensus_type, "config_sequence": s.config_sequence,
    })
}

fn summary_line(s: &ChannelSummary) -> String {
    format!(
        "{}  height {}  {}  {}  config sequence {}",
        s.channel_id,
        s.height,
        s.roles.join("+"),
        s.consensus_type,
        s.config_sequence
    )
}

pub async fn run(cmd: ChannelCommand, output: Output) -> Result<()> {
    match cmd {
        ChannelCommand::Join { node, block, roles, from_snapshot, profile } => {
            let bytes = std::fs::read(&block).with_context(|| format!("reading {}", block.display()))?;
            let loaded = profile.load()?;
            let mut c = crate::admin::client(&loaded, crate::admin::find(&loaded, &node)?)?;
            let r = c
                .join_channel(JoinChannelRequest { block: bytes, roles, from_snapshot })
                .await
                .map_err(crate::node::status_err)?
                .into_inner();
            let s = r.channel.unwrap_or_default();
            match output {
                Output::Json => println!("{}", summary_json(&s)),
                Output::Text => println!("{node} joined {}", summary_line(&s)),
            }
        }
        ChannelCommand::Leave { node, channel, remove_data, profile } => {
            let loaded = profile.load()?;
            let mut c = crate::admin::client(&loaded, crate::admin::find(&loaded, &node)?)?;
            c.leave_channel(LeaveChannelRequest { channel_id: channel.clone(), remove_data })
                .await
                .map_err(crate::node::status_err)?;
            match output {
                Output::Json => println!("{}", serde_json::json!({ "left": channel, "data_removed": remove_data })),
                Output::Text if remove_data => println!("{node} left {channel}; its data is removed"),
                Output::Text => println!("{node} left {channel}; its data stays (joining again goes on from it)"),
            }
        }
        ChannelCommand::List { node, profile } => {
            let loaded = profile.load()?;
            let mut c = crate::admin::client(&loaded, crate::admin::find(&loaded, &node)?)?;
            let r = c.list_channels(ListChannelsRequest {}).await.map_err(crate::node::status_err)?.into_inner();
            match output {
                Output::Json => println!("{}", serde_json::Value::from_iter(r.channels.iter().map(summary_json))),
                Output::Text => r.channels.iter().for_each(|s| println!("{}", summary_line(s))),
            }
        }
        ChannelCommand::Info { node, channel, profile } => {
            let loaded = profile.load()?;
            let mut c = crate::admin::client(&loaded, crate::admin::find(&loaded, &node)?)?;
            let r = c
                .channel_info(ChannelInfoRequest { channel_id: channel })
                .await
                .map_err(crate::node::status_err)?
                .into_inner();
            let summary = r.summary.clone().unwrap_or_default();
            let consensus = r.consensus.clone().unwrap_or_default();
            match output {
                Output::Json => {
                    let mut v = summary_json(&summary);
                    v["last_block_hash"] = hex::encode(&r.last_block_hash).into();
                    v["orgs"] = r.orgs.clone().into();
                    v["consensus"] = serde_json::json!({"engine": consensus.engine, "state": consensus.state,
                        "leader": consensus.leader, "term": consensus.term});
                    v["peers"] = r
                        .peers
                        .iter()
                        .map(|p| serde_json::json!({"node": p.node_id, "address": p.address, "connected": p.connected}))
                        .collect();
                    v["contracts"] = r
                        .contracts
                        .iter()
                        .map(|c| serde_json::json!({"name": c.name, "version": c.version, "sequence": c.sequence}))
                        .collect();
                    println!("{v}");
                }
                Output::Text => {
                    println!("{}", summary_line(&summary));
                    println!("  orgs {}", r.orgs.join(", "));
                    let leader = if consensus.leader.is_empty() { "-" } else { &consensus.leader };
                    println!(
                        "  consensus {} {}  leader {leader}  term {}",
                        consensus.engine, consensus.state, consensus.term
                    );
                    for p in &r.peers {
                        let link = if p.connected { "connected" } else { "not connected" };
                        println!("  node {} ({}): {link}", p.node_id, p.address);
                    }
                    for c in &r.contracts {
                        println!("  contract {} {} (sequence {})", c.name, c.version, c.sequence);
                    }
                }
            }
        }
    }
    Ok(())
}
