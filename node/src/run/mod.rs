//! A running node: wires the ledger, committer thread, ordering driver,
//! block puller, gRPC services and metrics endpoint from a `node.toml`,
//! and stops them in order on shutdown.

pub mod block_pull;
pub mod byzantine;
pub mod chain;
pub mod consensus_store;
pub mod join;
pub mod limits;
pub mod metrics;
pub mod ordering;
pub mod p2p;
pub mod remote;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use ed25519_dalek::SigningKey;
use prost::Message;
use tokio::sync::watch;
use weft_consensus::{Action, BatchLimits, Consensus, Pbft, PbftConfig, Raft, RaftConfig, Solo};
use weft_contracts::{Limits, Runtime};
use weft_identity::SigningKeyPair;
use weft_ledger::{Ledger, LedgerOptions};
use weft_proto::consensus_config::Params;
use weft_proto::{Block, ChannelId, ConsensusType, SerializedIdentity};
use weft_provision::NodeConfig;
use weft_sdk::{ClientIdentity, TrustRoots};

use crate::{ChannelRules, Committer, Endorser};
use chain::{BlockSigner, Chain};
use consensus_store::ConsensusStore;
use metrics::Metrics;
use ordering::{Network, Ordering};
use p2p::P2p;
use remote::Remote;

/// Sets the log filter; returns the previous one.
pub type LogControl = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// Solo's logical clock: fine enough for millisecond batch timeouts.
const SOLO_TICK: Duration = Duration::from_millis(10);
/// Raft's when the channel does not set one.
const RAFT_TICK_MS: u64 = 100;
/// PBFT's defaults when the channel does not set them (the pbft-4 template's).
const PBFT_TICK_MS: u64 = 100;
const PBFT_REQUEST_TIMEOUT_TICKS: u64 = 20;
const PBFT_CHECKPOINT_INTERVAL: u64 = 10;

/// Everything the services share.
pub struct NodeCore {
    pub config: NodeConfig,
    pub me: SerializedIdentity,
    pub chain: Arc<Chain>,
    pub endorser: Option<Arc<Endorser>>,
    pub ordering: Option<Ordering>,
    /// Node-to-node transport (orderers of multi-node channels).
    pub p2p: Option<P2p>,
    pub remote: Arc<Remote>,
    pub metrics: Arc<Metrics>,
    pub started: Instant,
    pub draining: AtomicBool,
    pub shutdown: watch::Sender<bool>,
    pub log: LogControl,
    /// Why the node stopped itself (e.g. its memory limit), if it did; the
    /// process then exits with an error.
    pub fatal: std::sync::OnceLock<String>,
    /// PEM of the node certificate, its key and every org's CA (the TLS
    /// server's identity and client roots), read once at start.
    pub tls: TlsPems,
}

pub struct TlsPems {
    pub certificate: String,
    pub key: String,
    pub roots: String,
}

impl NodeCore {
    pub fn request_shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

fn read(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Builds the channel's ordering engine (restoring raft or PBFT from the
/// consensus store) and starts its driver, with the p2p transport for the
/// multi-node engines.
fn start_ordering(
    config: &NodeConfig,
    channel_config: &weft_proto::ChannelConfig,
    key_pem: &str,
    chain: Arc<Chain>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<(Ordering, Option<P2p>)> {
    let consensus = channel_config.consensus.unwrap_or_default();
    let batch = channel_config.batch.unwrap_or_default();
    let key = SigningKeyPair::from_pkcs8_pem(key_pem).expect("parsed at start");
    let store_dir = config.data_dir.join("consensus");
    let panic_at = byzantine::ordering_panic_from_env()?;
    let (engine, first, tick): (Box<dyn Consensus + Send>, Vec<Action>, Duration) =
        match ConsensusType::try_from(consensus.r#type).unwrap_or(ConsensusType::Solo) {
            ConsensusType::Solo => {
                let limits = BatchLimits::from_config(&batch, SOLO_TICK.as_millis() as u64);
                let engine = Solo::new(config.node_id.clone(), limits, chain.height());
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
                let founders = crate::channel_rules::orderer_ids(channel_config);
                let stored = ConsensusStore::open(&store_dir)?.load()?;
                let cfg = RaftConfig::from_params(config.node_id.clone(), limits, &params);
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
                let cfg = pbft_config(config, &chain.view().rules.config, &params, &batch, &key)?;
                let stored = ConsensusStore::open(&store_dir)?.load()?;
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
    let lies = byzantine::from_env(&config.node_id, &SigningKey::from_bytes(&key.seed()), orderer_ids)?;
    let (tx, inbound) = tokio::sync::mpsc::channel(4096);
    let p2p = P2p::start(
        &config.node_id,
        &key,
        &config.listen.p2p,
        config.channel.clone(),
        // The configuration in force, which may have grown since genesis.
        &chain.view().rules.config.nodes,
        chain.clone(),
        tx,
    )?;
    let network = Network { p2p: p2p.clone(), inbound, store: ConsensusStore::open(&store_dir)?, lies };
    let ordering = Ordering::start(engine, first, tick, chain, Some(network), metrics);
    Ok((ordering.panicking_at(panic_at), Some(p2p)))
}

/// The test-only `WEFT_TEST_SPEAK_RAFT` on a node that is no orderer: the
/// p2p transport an orderer would start (consensus messages to it are
/// dropped), and the task that speaks raft to the orderers over it.
fn speak_raft(
    config: &NodeConfig,
    key_pem: &str,
    chain: Arc<Chain>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<P2p> {
    let key = SigningKeyPair::from_pkcs8_pem(key_pem).expect("parsed at start");
    let in_force = chain.view().rules.config.clone();
    let orderers = crate::channel_rules::orderer_ids(&in_force);
    let (inbound, _dropped) = tokio::sync::mpsc::channel(1);
    let p2p =
        P2p::start(&config.node_id, &key, &config.listen.p2p, config.channel.clone(), &in_force.nodes, chain, inbound)?;
    tokio::spawn(byzantine::speak_raft(p2p.clone(), config.node_id.clone(), orderers, shutdown));
    Ok(p2p)
}

/// The PBFT replica's settings from the channel configuration: the
/// orderers' keys from their certificates, timeouts in ticks. The view
/// change timeout starts at the request timeout (and doubles per failed
/// attempt); replicas exchange status and resend every quarter of it.
fn pbft_config(
    config: &NodeConfig,
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
        id: config.node_id.clone(),
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

/// Opens the ledger and starts the committer, ordering and block pulling.
pub async fn start(config: NodeConfig, log: LogControl) -> anyhow::Result<Arc<NodeCore>> {
    let key_pem = read(&config.key)?;
    SigningKeyPair::from_pkcs8_pem(&key_pem).with_context(|| format!("node key {}", config.key.display()))?;
    let cert_der = weft_provision::read_cert_pem(&config.certificate)?;
    let cert_pem = read(&config.certificate)?;
    let me = SerializedIdentity { org_id: config.org_id.clone(), certificate_der: cert_der };
    let roots: Vec<String> = config.ca_certificates.iter().map(|p| read(p)).collect::<Result<_, _>>()?;

    let genesis_bytes = std::fs::read(&config.genesis_block)
        .with_context(|| format!("reading the genesis block {}", config.genesis_block.display()))?;
    let genesis = Block::decode(genesis_bytes.as_slice())
        .with_context(|| format!("{} is not a block", config.genesis_block.display()))?;
    let channel_config = weft_provision::read_genesis_config(&genesis)
        .map_err(|e| anyhow::anyhow!("genesis block {}: {e}", config.genesis_block.display()))?;
    let channel_id = ChannelId::new(config.channel.clone()).map_err(|e| anyhow::anyhow!("channel id: {e}"))?;
    anyhow::ensure!(
        channel_config.channel_id == config.channel,
        "node.toml names channel {:?} but the genesis block is for {:?}",
        config.channel,
        channel_config.channel_id
    );
    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    let ledger = Ledger::open(config.data_dir.join("ledger"), LedgerOptions::default())
        .with_context(|| format!("opening the ledger in {}", config.data_dir.display()))?;
    if config.join_from_snapshot && ledger.channel(&channel_id)?.height() == 0 {
        let key = SigningKeyPair::from_pkcs8_pem(&key_pem).expect("parsed above");
        let client = ClientIdentity { identity: me.clone(), key };
        join::from_snapshot(
            &ledger,
            &config.data_dir,
            &channel_config,
            &client,
            &config.node_id,
            &TrustRoots::from_pems(&roots),
        )
        .await?;
    }
    let channel = ledger.channel(&channel_id)?;
    let runtime = Arc::new(Runtime::new(Limits::default()).context("starting the contract runtime")?);
    let rules = ChannelRules::from_config(&channel_config)?;
    let committer = Committer::open(channel, &genesis, rules, runtime.clone())?;
    // The ledger handle stays open through the channel ledger's Arc<DB>.
    drop(ledger);
    tracing::info!(
        node = %config.node_id,
        channel = %config.channel,
        height = committer.ledger().height(),
        contracts = committer.rules().definitions.len(),
        "ledger opened"
    );

    let metrics = Arc::new(Metrics::new());
    let signer = config.is_orderer().then(|| BlockSigner {
        identity: me.clone(),
        key: SigningKeyPair::from_pkcs8_pem(&key_pem).expect("parsed above"),
    });
    let chain = Arc::new(Chain::start(committer, signer, metrics.clone()));
    let (shutdown, shutdown_rx) = watch::channel(false);

    let (ordering, p2p) = if config.is_orderer() {
        let (o, p) = start_ordering(&config, &channel_config, &key_pem, chain.clone(), metrics.clone())?;
        (Some(o), p)
    } else if byzantine::speak_raft_from_env()? {
        let p2p = speak_raft(&config, &key_pem, chain.clone(), shutdown_rx.clone())?;
        (None, Some(p2p))
    } else {
        (None, None)
    };

    let client_key = SigningKeyPair::from_pkcs8_pem(&key_pem).expect("parsed above");
    let remote =
        Arc::new(Remote::new(ClientIdentity { identity: me.clone(), key: client_key }, TrustRoots::from_pems(&roots)));
    if !config.is_orderer() {
        tokio::spawn(block_pull::run(chain.clone(), remote.clone(), config.node_id.clone(), shutdown_rx));
    }
    let endorser = config.is_peer().then(|| {
        Arc::new(Endorser {
            identity: me.clone(),
            key: SigningKeyPair::from_pkcs8_pem(&key_pem).expect("parsed above"),
            runtime: runtime.clone(),
        })
    });
    let tls = TlsPems { certificate: cert_pem, key: key_pem, roots: roots.join("\n") };
    Ok(Arc::new(NodeCore {
        tls,
        config,
        me,
        chain,
        endorser,
        ordering,
        p2p,
        remote,
        metrics,
        started: Instant::now(),
        draining: AtomicBool::new(false),
        shutdown,
        log,
        fatal: std::sync::OnceLock::new(),
    }))
}
