//! `weft node …`: a node's Admin service (as the admin of the node's org).

use anyhow::{anyhow, Result};
use clap::Subcommand;
use weft_proto::{DrainRequest, HealthRequest, SetLogLevelRequest, ShutdownRequest, SnapshotRequest};

use crate::output::Output;
use crate::profile::Profile;

#[derive(Subcommand)]
pub enum NodeCommand {
    /// Height, roles, consensus state, contracts, version and uptime.
    Status {
        node: Option<String>,
        #[command(flatten)]
        profile: Profile,
    },
    /// Whether the node is serving, and why not.
    Health {
        node: String,
        #[command(flatten)]
        profile: Profile,
    },
    /// Change the log filter, e.g. `debug` or `info,weft_node=trace`.
    LogLevel {
        node: String,
        filter: String,
        #[command(flatten)]
        profile: Profile,
    },
    /// Write a state snapshot of a channel (--channel; may be left out on
    /// a node that serves one) at its current height into the node's data
    /// directory.
    Snapshot {
        node: String,
        #[command(flatten)]
        profile: Profile,
    },
    /// Stop taking transactions; order what is pending.
    Drain {
        node: String,
        #[command(flatten)]
        profile: Profile,
    },
    /// Stop the node gracefully.
    Shutdown {
        node: String,
        #[command(flatten)]
        profile: Profile,
    },
    /// The channels the node serves (list, info).
    #[command(subcommand)]
    Channel(crate::node_channel::ChannelCommand),
}

pub(crate) fn status_err(s: tonic::Status) -> anyhow::Error {
    anyhow!("{} ({:?})", s.message(), s.code())
}

pub async fn run(cmd: NodeCommand, output: Output) -> Result<()> {
    match cmd {
        NodeCommand::Status { node, profile } => {
            let loaded = profile.load()?;
            let nodes: Vec<_> = match &node {
                Some(id) => vec![crate::admin::find(&loaded, id)?.clone()],
                None => loaded.manifest.nodes.clone(),
            };
            for n in &nodes {
                let s = crate::admin::status(&loaded, n).await?;
                let consensus = s.consensus.clone().unwrap_or_default();
                match output {
                    Output::Json => println!(
                        "{}",
                        serde_json::json!({
                            "node": s.node_id, "org": s.org_id, "roles": s.roles, "channel": s.channel_id,
                            "height": s.height, "last_block_hash": hex::encode(&s.last_block_hash),
                            "consensus": { "engine": consensus.engine, "state": consensus.state, "leader": consensus.leader,
                                           "term": consensus.term, "commit_index": consensus.commit_index,
                                           "applied_index": consensus.applied_index, "log_entries": consensus.log_entries,
                                           "proposals": consensus.proposals,
                                           "next_sequence": consensus.next_sequence, "pending": consensus.pending },
                            "peers": s.peers.iter().map(|p| serde_json::json!({"node": p.node_id, "address": p.address,
                                "connected": p.connected, "last_contact_ms_ago": p.last_contact_ms_ago})).collect::<Vec<_>>(),
                            "version": s.version, "uptime_secs": s.uptime_secs, "draining": s.draining,
                            "config_sequence": s.config_sequence,
                            "contracts": s.contracts.iter().map(|c| serde_json::json!({"name": c.name, "version": c.version, "sequence": c.sequence})).collect::<Vec<_>>(),
                        })
                    ),
                    Output::Text => {
                        println!("{} ({}, {})", s.node_id, s.org_id, s.roles.join("+"));
                        println!(
                            "  channel {}  height {}  config sequence {}",
                            s.channel_id, s.height, s.config_sequence
                        );
                        println!(
                            "  consensus {} {}  leader {}  term {}  commit {}  applied {}  log {} entries",
                            consensus.engine,
                            consensus.state,
                            if consensus.leader.is_empty() { "-" } else { &consensus.leader },
                            consensus.term,
                            consensus.commit_index,
                            consensus.applied_index,
                            consensus.log_entries
                        );
                        for p in &s.peers {
                            let contact =
                                p.last_contact_ms_ago.map_or("never".to_string(), |ms| format!("{ms} ms ago"));
                            let link = if p.connected { "connected" } else { "not connected" };
                            println!("  peer {} ({}): {link}, last contact {contact}", p.node_id, p.address);
                        }
                        println!(
                            "  version {}  up {} s{}",
                            s.version,
                            s.uptime_secs,
                            if s.draining { "  DRAINING" } else { "" }
                        );
                        for c in &s.contracts {
                            println!("  contract {} {} (sequence {})", c.name, c.version, c.sequence);
                        }
                    }
                }
            }
            Ok(())
        }
        NodeCommand::Health { node, profile } => {
            let loaded = profile.load()?;
            let mut c = crate::admin::client(&loaded, crate::admin::find(&loaded, &node)?)?;
            let h = c.health(HealthRequest {}).await.map_err(status_err)?.into_inner();
            match output {
                Output::Json => println!("{}", serde_json::json!({ "serving": h.serving, "problems": h.problems })),
                Output::Text if h.serving => println!("{node}: serving"),
                Output::Text => println!("{node}: NOT serving: {}", h.problems.join("; ")),
            }
            Ok(())
        }
        NodeCommand::LogLevel { node, filter, profile } => {
            let loaded = profile.load()?;
            let mut c = crate::admin::client(&loaded, crate::admin::find(&loaded, &node)?)?;
            let r =
                c.set_log_level(SetLogLevelRequest { filter: filter.clone() }).await.map_err(status_err)?.into_inner();
            match output {
                Output::Json => println!("{}", serde_json::json!({ "previous": r.previous, "now": filter })),
                Output::Text => println!("{node}: log filter {} -> {filter}", r.previous),
            }
            Ok(())
        }
        NodeCommand::Snapshot { node, profile } => {
            let channel = profile.channel.clone();
            let loaded = profile.load()?;
            let mut c = crate::admin::client(&loaded, crate::admin::find(&loaded, &node)?)?;
            let r = c
                .snapshot(SnapshotRequest { channel_id: channel.unwrap_or_default() })
                .await
                .map_err(status_err)?
                .into_inner();
            match output {
                Output::Json => println!(
                    "{}",
                    serde_json::json!({ "path": r.path, "height": r.height, "state_hash": hex::encode(&r.state_hash) })
                ),
                Output::Text => println!(
                    "{node}: snapshot at height {} in {} (state hash {})",
                    r.height,
                    r.path,
                    hex::encode(&r.state_hash)
                ),
            }
            Ok(())
        }
        NodeCommand::Drain { node, profile } => {
            let loaded = profile.load()?;
            let mut c = crate::admin::client(&loaded, crate::admin::find(&loaded, &node)?)?;
            c.drain(DrainRequest {}).await.map_err(status_err)?;
            println!("{node}: draining");
            Ok(())
        }
        NodeCommand::Channel(cmd) => crate::node_channel::run(cmd, output).await,
        NodeCommand::Shutdown { node, profile } => {
            let loaded = profile.load()?;
            let mut c = crate::admin::client(&loaded, crate::admin::find(&loaded, &node)?)?;
            c.shutdown(ShutdownRequest {}).await.map_err(status_err)?;
            println!("{node}: shutting down");
            Ok(())
        }
    }
}
