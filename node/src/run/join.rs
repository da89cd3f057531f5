//! Joining a channel from a state snapshot: a node whose ledger is empty
//! and whose node.toml says `join_from_snapshot` (or that joins over Admin
//! with `from_snapshot`) imports the snapshot placed in its data directory
//! for the channel (`join-<channel>.snapshot`), else fetches one from
//! another node of the channel (Deliver.StateSnapshot, over mutual TLS with
//! its own certificate), imports it, and goes on from that height.
//!
//! Trust: the state is taken from one authenticated node of the channel,
//! as Fabric's join-by-snapshot takes the file its operator hands it. The
//! chain position is checked: the first block after the snapshot must link
//! to the snapshot's last block hash and carry a current orderer's
//! signature, or the node commits nothing.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, Context};
use tokio_stream::StreamExt;
use weft_identity::ClientIdentity;
use weft_ledger::Ledger;
use weft_proto::connect::TrustRoots;
use weft_proto::deliver_client::DeliverClient;
use weft_proto::{ChannelConfig, SignedSnapshotTransferRequest, SnapshotTransferRequest};

/// The name older BaaS versions placed a snapshot under, for whichever
/// channel it is of.
const LEGACY_PLACED: &str = "join.snapshot";

/// The channel a snapshot file is of, from its header.
fn snapshot_channel(file: &Path) -> anyhow::Result<String> {
    let input = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let header = weft_proto::read_snapshot_header(std::io::BufReader::new(input))
        .with_context(|| format!("{}", file.display()))?;
    Ok(header.channel_id)
}

/// Imports a snapshot into `ledger`: the one placed in the data directory
/// for the channel, else from the first node of `config` (other than `me`)
/// that sends a whole one.
pub async fn from_snapshot(
    ledger: &Ledger,
    data_dir: &Path,
    config: &ChannelConfig,
    me: &ClientIdentity,
    my_id: &str,
    roots: &TrustRoots,
) -> anyhow::Result<()> {
    let file = data_dir.join(weft_provision::placed_snapshot(&config.channel_id));
    for placed in [file.clone(), data_dir.join(LEGACY_PLACED)] {
        if !placed.exists() {
            continue;
        }
        // Placed there by the operator (a backup restored to a new node,
        // or a whole chain restored): that state, not another node's.
        let channel = snapshot_channel(&placed)?;
        if channel != config.channel_id {
            tracing::info!(file = %placed.display(), %channel, joining = %config.channel_id, "a placed state snapshot for another channel; left for it");
            continue;
        }
        tracing::info!(file = %placed.display(), "joining from a state snapshot file placed in the data directory");
        let input = std::fs::File::open(&placed).with_context(|| format!("opening {}", placed.display()))?;
        let imported = ledger.import_snapshot(std::io::BufReader::new(input)).with_context(|| {
            format!("restoring {} (remove it to fetch a snapshot from another node instead)", placed.display())
        })?;
        tracing::info!(height = imported.height(), "restored from the snapshot file; following blocks from here");
        let _ = std::fs::remove_file(&placed);
        return Ok(());
    }
    let mut problems = Vec::new();
    for node in config.nodes.iter().filter(|n| n.node_id != my_id) {
        tracing::info!(from = %node.node_id, address = %node.grpc_address, "joining from a state snapshot: fetching");
        match fetch(&node.grpc_address, &config.channel_id, me, roots, &file).await {
            Ok(bytes) => {
                let input = std::fs::File::open(&file).with_context(|| format!("opening {}", file.display()))?;
                let imported = ledger
                    .import_snapshot(std::io::BufReader::new(input))
                    .with_context(|| format!("importing the snapshot from {}", node.node_id))?;
                tracing::info!(
                    from = %node.node_id,
                    height = imported.height(),
                    bytes,
                    "joined from a state snapshot; following blocks from here"
                );
                let _ = std::fs::remove_file(&file);
                return Ok(());
            }
            Err(e) => {
                tracing::warn!(from = %node.node_id, error = %e, "no snapshot from this node; trying the next");
                problems.push(format!("{}: {e:#}", node.node_id));
            }
        }
    }
    Err(anyhow!(
        "no node of channel {} sent a state snapshot ({}); start the other nodes, or set join_from_snapshot = false \
         to replay the chain from the genesis block",
        config.channel_id,
        problems.join("; ")
    ))
}

/// Streams one node's snapshot into `file`; returns its size.
async fn fetch(
    address: &str,
    channel_id: &str,
    me: &ClientIdentity,
    roots: &TrustRoots,
    file: &Path,
) -> anyhow::Result<u64> {
    let channel = super::remote::connect(address, roots, me)?;
    let mut client = DeliverClient::new(channel).max_decoding_message_size(weft_proto::MAX_MESSAGE_BYTES);
    let (request, signature) = weft_identity::sign_request(
        me,
        &SnapshotTransferRequest { channel_id: channel_id.to_string(), identity: Some(me.identity.clone()) },
    );
    let mut stream = client.state_snapshot(SignedSnapshotTransferRequest { request, signature }).await?.into_inner();
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(file).with_context(|| format!("creating {}", file.display()))?);
    let mut bytes = 0u64;
    let mut next_report = 8 << 20;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        out.write_all(&chunk.data)?;
        bytes += chunk.data.len() as u64;
        if bytes >= next_report {
            tracing::info!(mib = bytes >> 20, "receiving the state snapshot");
            next_report += 8 << 20;
        }
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(bytes)
}
