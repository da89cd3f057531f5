//! A channel's ordering engine: solo, raft or PBFT built from the channel
//! configuration (raft and PBFT restored from their consensus store), its
//! driver started, and the multi-node engines joined to the node's p2p
//! transport.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use tokio::sync::watch;
use weft_consensus::{Action, BatchLimits, Consensus, Pbft, PbftConfig, Raft, RaftConfig, Solo};
use weft_identity::SigningKeyPair;
use weft_proto::consensus_config::Params;
use weft_proto::ConsensusType;

use super::byzantine;
use super::chain::Chain;
use super::consensus_store::ConsensusStore;
use super::metrics::Metrics;
use super::ordering::{Network, Ordering};
use super::p2p::P2p;
use super::Me;

/// Solo's logical clock: fine enough for millisecond batch timeouts.
const SOLO_TICK: Duration = Duration::from_millis(10);
/// Raft's when the channel does not set one.
const RAFT_TICK_MS: u64 = 100;
/// PBFT's defaults when the channel does not set them (the pbft-4 template's).
const PBFT_TICK_MS: u64 = 100;
const PBFT_REQUEST_TIMEOUT_TICKS: u64 = 20;
const PBFT_CHECKPOINT_INTERVAL: u64 = 10;

/// Builds the channel's ordering engine (restoring raft or PBFT from the
/// consensus store) and starts its driver, with the p2p transport for the
/// multi-node engines.
pub fn start_ordering(
    me: &Me,
    channel_config: &weft_proto::ChannelConfig,
    joined_at_genesis: bool,
    store_dir: &Path,
    chain: Arc<Chain>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<(Ordering, Option<P2p>)> {
    let consensus = channel_config.consensus.unwrap_or_default();
    let batch = channel_config.batch.unwrap_or_default();
    let key = &me.key;
    let panic_at = byzantine::ordering_panic_from_env()?;
    let (engine, first, tick): (Box<dyn Consensus + Send>, Vec<Action>, Duration) =
        match ConsensusType::try_from(consensus.r#type).unwrap_or(ConsensusType::Solo) {
            ConsensusType::Solo => {
                let limits = BatchLimits::from_config(&batch, SOLO_TICK.as_millis() as u64);
                let engine = Solo::new(me.node_id.clone(), limits, chain.height());
                let ordering = Ordering::start(Box::new(engine), Vec::new(), SOLO_TICK, chain, None, metrics);
                return Ok((ordering.panicking_at(panic_at), None));
            }
            ConsensusType::Raft => {
                let params = match consensus.params {
                    Some(Params::Raft(p)) => p,
                    _ => weft_proto::RaftParams::default(),
                };
                let tick_ms = if params.tick_interval_ms == 0 { RAFT_TICK_MS } else { params.tick_interval_ms };
                let limits = BatchLimits::from_config(&batch, tick_ms);
                let mut founders = crate::channel_rules::orderer_ids(channel_config);
                if !joined_at_genesis {
                    // Joined from a later configuration block: the group
                    // exists already and adds this orderer (its leader saw
                    // the block); founding another would split the channel.
                    founders.retain(|id| *id != me.node_id);
                }
                let stored = ConsensusStore::open(store_dir)?.load()?;
                let cfg = RaftConfig::from_params(me.node_id.clone(), limits, &params);
                let (engine, first) = Raft::new(cfg, &founders, &stored, chain.height())
                    .map_err(|e| anyhow::anyhow!("starting raft from {}: {e}", store_dir.display()))?;
                tracing::info!(orderers = ?founders, restored_keys = stored.len(), tick_ms, "raft ordering starting");
                (Box::new(engine), first, Duration::from_millis(tick_ms))
            }
            ConsensusType::Pbft => {
                let params = match consensus.params {
                    Some(Params::Pbft(p)) => p,
                    _ => weft_proto::PbftParams::default(),
                };
                let cfg = pbft_config(&me.node_id, &chain.view().rules.config, &params, &batch, key)?;
                let stored = ConsensusStore::open(store_dir)?.load()?;
                let orderers: Vec<&String> = cfg.orderers.iter().map(|(id, _)| id).collect();
                tracing::info!(
                    ?orderers,
                    restored_keys = stored.len(),
                    tick_ms = params.tick_interval_ms,
                    checkpoint_interval = cfg.checkpoint_interval,
                    watermark_window = cfg.watermark_window,
                    request_timeout_ticks = cfg.request_timeout_ticks,
                    "pbft ordering starting"
                );
                let (engine, first) = Pbft::new(cfg, &stored, chain.height())
                    .map_err(|e| anyhow::anyhow!("starting pbft from {}: {e}", store_dir.display()))?;
                let tick_ms = if params.tick_interval_ms == 0 { PBFT_TICK_MS } else { params.tick_interval_ms };
                (Box::new(engine), first, Duration::from_millis(tick_ms))
            }
        };
    let orderer_ids = chain.view().rules.config.nodes.iter().map(|n| n.node_id.clone()).collect();
    let lies = byzantine::from_env(&me.node_id, &SigningKey::from_bytes(&key.seed()), orderer_ids)?;
    let (tx, inbound) = tokio::sync::mpsc::channel(4096);
    // The configuration in force, which may have grown since genesis.
    let p2p = me.transport()?.join(&channel_config.channel_id, &chain.view().rules.config.nodes, chain.clone(), tx)?;
    let network = Network { p2p: p2p.clone(), inbound, store: ConsensusStore::open(store_dir)?, lies };
    let ordering = Ordering::start(engine, first, tick, chain, Some(network), metrics);
    Ok((ordering.panicking_at(panic_at), Some(p2p)))
}

/// The test-only `WEFT_TEST_SPEAK_RAFT` on a node that is no orderer: the
/// p2p transport an orderer would start (consensus messages to it are
/// dropped), and the task that speaks raft to the orderers over it.
pub fn speak_raft(me: &Me, chain: Arc<Chain>, shutdown: watch::Receiver<bool>) -> anyhow::Result<P2p> {
    let in_force = chain.view().rules.config.clone();
    let orderers = crate::channel_rules::orderer_ids(&in_force);
    let (inbound, _dropped) = tokio::sync::mpsc::channel(1);
    let p2p = me.transport()?.join(&in_force.channel_id, &in_force.nodes, chain, inbound)?;
    tokio::spawn(byzantine::speak_raft(p2p.clone(), me.node_id.clone(), orderers, shutdown));
    Ok(p2p)
}

/// The PBFT replica's settings from the channel configuration: the
/// orderers' keys from their certificates, timeouts in ticks. The view
/// change timeout starts at the request timeout (and doubles per failed
/// attempt); replicas exchange status and resend every quarter of it.
fn pbft_config(
    node_id: &str,
    in_force: &weft_proto::ChannelConfig,
    params: &weft_proto::PbftParams,
    batch: &weft_proto::BatchConfig,
    key: &SigningKeyPair,
) -> anyhow::Result<PbftConfig> {
    let tick_ms = if params.tick_interval_ms == 0 { PBFT_TICK_MS } else { params.tick_interval_ms };
    let request_timeout_ticks = if params.request_timeout_ticks == 0 {
        PBFT_REQUEST_TIMEOUT_TICKS
    } else {
        u64::from(params.request_timeout_ticks)
    };
    let checkpoint_interval =
        if params.checkpoint_interval == 0 { PBFT_CHECKPOINT_INTERVAL } else { params.checkpoint_interval };
    Ok(PbftConfig {
        id: node_id.to_string(),
        key: SigningKey::from_bytes(&key.seed()),
        orderers: crate::channel_rules::pbft_orderers(in_force)?,
        limits: BatchLimits::from_config(batch, tick_ms),
        checkpoint_interval,
        watermark_window: params.watermark_window,
        request_timeout_ticks,
        view_change_ticks: request_timeout_ticks,
        resend_ticks: (request_timeout_ticks / 4).max(1),
    })
}
