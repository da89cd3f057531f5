//! One channel a node serves: its committer and chain, its ordering engine
//! (orderers), its endorser (peers), block pulling (nodes that do not
//! order) and its place on the p2p transport; opened from the block the
//! node joined with, stopped when the node leaves the channel.

use std::path::Path;
use std::sync::{Arc, Weak};

use anyhow::Context;
use tokio::sync::watch;
use weft_contracts::Runtime;
use weft_identity::ClientIdentity;
use weft_ledger::Ledger;
use weft_proto::{Block, ChannelConfig, ChannelId, InvalidChannelId};
use weft_provision::{ConfigBlockError, NodeRoleName};

use super::chain::{BlockSigner, Chain};
use super::metrics::Metrics;
use super::ordering::Ordering;
use super::p2p::P2p;
use super::remote::Remote;
use super::trust::{channel_roots, Trust};
use super::{block_pull, byzantine, engine, join, joined, Me};
use crate::{ChannelRules, Committer, Endorser};

pub struct ServedChannel {
    pub id: ChannelId,
    pub roles: Vec<NodeRoleName>,
    pub chain: Arc<Chain>,
    pub endorser: Option<Arc<Endorser>>,
    pub ordering: Option<Ordering>,
    pub p2p: Option<P2p>,
    /// Set when the node leaves the channel: block pulling and block
    /// streams stop, and with the last handle the committer.
    stop: watch::Sender<bool>,
}

impl ServedChannel {
    /// Resolves once the node has left the channel.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.stop.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// Stops serving the channel: the transport no longer routes to it,
    /// block pulling and streams end; the ordering driver and committer
    /// end when the last handle on them is dropped.
    pub fn stop(&self) {
        self.stop.send_replace(true);
        if let Some(p) = &self.p2p {
            p.leave();
        }
    }
}

/// What opening a channel needs from the node.
pub struct Node<'a> {
    pub me: &'a Me,
    pub ledger: &'a Ledger,
    pub data_dir: &'a Path,
    pub runtime: &'a Arc<Runtime>,
    pub remote: &'a Arc<Remote>,
    pub metrics: &'a Arc<Metrics>,
    pub trust: &'a Arc<Trust>,
}

/// Opens a joined channel: its ledger (from a state snapshot first when
/// asked and the ledger is empty), committer, and the parts its roles call
/// for.
pub async fn open(node: &Node<'_>, joined: &joined::Joined, from_snapshot: bool) -> anyhow::Result<ServedChannel> {
    let channel_config = weft_provision::read_config_block(&joined.block)
        .map_err(|e| anyhow::anyhow!("the block channel {} was joined with: {e}", joined.channel))?;
    // A channel joined from a later configuration block has nothing to
    // replay: with an empty ledger (the first join, or one cut short before
    // its snapshot was in) the state must come from another node.
    let later_block = joined.block.header.as_ref().map_or(0, |h| h.number) > 0;
    let from_snapshot = from_snapshot || later_block;
    anyhow::ensure!(
        channel_config.channel_id == joined.channel.as_str(),
        "the block is for channel {:?}, not {}",
        channel_config.channel_id,
        joined.channel
    );
    // Before anything connects: a snapshot may come from another org's node.
    node.trust.set_channel(joined.channel.as_str(), channel_roots(&channel_config));
    let opened = open_trusted(node, joined, &channel_config, from_snapshot).await;
    if opened.is_err() {
        node.trust.remove_channel(joined.channel.as_str());
    }
    opened
}

async fn open_trusted(
    node: &Node<'_>,
    joined: &joined::Joined,
    channel_config: &ChannelConfig,
    from_snapshot: bool,
) -> anyhow::Result<ServedChannel> {
    let me = node.me;
    let mut ledger = claim(node.ledger, &joined.channel).await?;
    if from_snapshot && ledger.height() == 0 {
        // The import claims the channel itself.
        drop(ledger);
        let client = ClientIdentity { identity: me.identity.clone(), key: me.key.clone() };
        join::from_snapshot(node.ledger, node.data_dir, channel_config, &client, &me.node_id, &node.remote.roots())
            .await?;
        ledger = claim(node.ledger, &joined.channel).await?;
    }
    let rules = ChannelRules::from_config(channel_config)?;
    let committer = Committer::open(ledger, &joined.block, rules, node.runtime.clone())?;
    tracing::info!(
        channel = %joined.channel,
        roles = ?joined.roles,
        height = committer.ledger().height(),
        contracts = committer.rules().definitions.len(),
        "ledger opened"
    );
    let is_orderer = joined.roles.contains(&NodeRoleName::Orderer);
    let signer = is_orderer.then(|| BlockSigner { identity: me.identity.clone(), key: me.key.clone() });
    let chain = Arc::new(Chain::start(committer, signer, node.metrics.clone()));
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(follow_config(
        Arc::downgrade(&chain),
        stop.subscribe(),
        node.trust.clone(),
        joined.channel.to_string(),
    ));

    let store_dir = joined::consensus_dir(node.data_dir, &joined.channel);
    let (ordering, p2p) = if is_orderer {
        std::fs::create_dir_all(&store_dir).with_context(|| format!("creating {}", store_dir.display()))?;
        let at_genesis = joined.block.header.as_ref().map_or(0, |h| h.number) == 0;
        let (o, p) =
            engine::start_ordering(me, channel_config, at_genesis, &store_dir, chain.clone(), node.metrics.clone())?;
        (Some(o), p)
    } else if byzantine::speak_raft_from_env()? {
        (None, Some(engine::speak_raft(me, chain.clone(), stopped.clone())?))
    } else {
        (None, None)
    };
    if !is_orderer {
        tokio::spawn(block_pull::run(chain.clone(), node.remote.clone(), me.node_id.clone(), stopped));
    }
    let endorser = joined.roles.contains(&NodeRoleName::Peer).then(|| {
        Arc::new(Endorser { identity: me.identity.clone(), key: me.key.clone(), runtime: node.runtime.clone() })
    });
    Ok(ServedChannel { id: joined.channel.clone(), roles: joined.roles.clone(), chain, endorser, ordering, p2p, stop })
}

/// Keeps the node's TLS roots in step with the channel's configuration in
/// force, until the node leaves the channel.
async fn follow_config(chain: Weak<Chain>, mut stopped: watch::Receiver<bool>, trust: Arc<Trust>, channel: String) {
    let Some(mut height) = chain.upgrade().map(|c| c.watch_height()) else { return };
    let mut sequence = None;
    loop {
        {
            let Some(chain) = chain.upgrade() else { return };
            // Left: `leave` takes the channel's roots away itself.
            if *stopped.borrow() {
                return;
            }
            let view = chain.view();
            if sequence != Some(view.rules.config_sequence) {
                sequence = Some(view.rules.config_sequence);
                trust.set_channel(&channel, channel_roots(&view.rules.config));
            }
        }
        tokio::select! {
            changed = height.changed() => if changed.is_err() { return },
            _ = stopped.changed() => return,
        }
    }
}

/// How long a channel just left may take to let go of its ledger (its
/// committer finishing the block in hand, streams noticing the stop).
const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// `f` on the channel's ledger, again while a channel just left still
/// holds it open.
async fn once_released<T>(
    mut f: impl FnMut() -> Result<T, weft_ledger::LedgerError>,
) -> Result<T, weft_ledger::LedgerError> {
    let deadline = tokio::time::Instant::now() + RELEASE_WAIT;
    loop {
        match f() {
            Err(weft_ledger::LedgerError::AlreadyOpen(_)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

async fn claim(ledger: &Ledger, channel: &ChannelId) -> anyhow::Result<weft_ledger::ChannelLedger> {
    once_released(|| ledger.channel(channel)).await.with_context(|| format!("opening channel {channel}'s ledger"))
}

/// Deletes a channel's ledger data and consensus log.
pub async fn remove_data(ledger: &Ledger, data_dir: &Path, channel: &ChannelId) -> anyhow::Result<()> {
    once_released(|| ledger.remove_channel(channel))
        .await
        .with_context(|| format!("removing channel {channel}'s ledger data"))?;
    joined::remove_consensus_log(data_dir, channel)
}

/// Why a block cannot found a channel on this node.
#[derive(Debug, thiserror::Error)]
pub enum JoinBlockError {
    #[error("the block has no header")]
    NoHeader,
    #[error("block {0} is not a genesis block (block 0)")]
    NotGenesis(u64),
    #[error(
        "block {0} is not the genesis block: joining from a later configuration block takes the state from \
         another node, so ask for from_snapshot (or join with the genesis block, block 0, to replay the chain)"
    )]
    NeedsSnapshot(u64),
    #[error("not a configuration block: {0}")]
    NotConfigBlock(ConfigBlockError),
    #[error("the block's channel id: {0}")]
    ChannelId(#[from] InvalidChannelId),
}

/// The block a channel is joined with: its genesis block, or with
/// `from_snapshot` a later configuration block (one that names this node,
/// for a node of an org admitted after the channel began; there are no
/// blocks before it to replay, so the state comes from another node). Its
/// channel and the configuration it carries.
pub fn check_join_block(block: &Block, from_snapshot: bool) -> Result<(ChannelId, ChannelConfig), JoinBlockError> {
    let number = block.header.as_ref().map(|h| h.number).ok_or(JoinBlockError::NoHeader)?;
    if number == 0 {
        return check_genesis_block(block);
    }
    if !from_snapshot {
        return Err(JoinBlockError::NeedsSnapshot(number));
    }
    let config = weft_provision::read_config_block(block).map_err(JoinBlockError::NotConfigBlock)?;
    Ok((ChannelId::new(config.channel_id.clone())?, config))
}

/// A channel's genesis block (block 0): its channel and configuration.
pub fn check_genesis_block(block: &Block) -> Result<(ChannelId, ChannelConfig), JoinBlockError> {
    let number = block.header.as_ref().map(|h| h.number).ok_or(JoinBlockError::NoHeader)?;
    if number != 0 {
        return Err(JoinBlockError::NotGenesis(number));
    }
    let config = weft_provision::read_genesis_config(block).map_err(JoinBlockError::NotConfigBlock)?;
    Ok((ChannelId::new(config.channel_id.clone())?, config))
}
