//! A running node: wires the ledger, committer thread, ordering driver,
//! block puller, gRPC services and metrics endpoint from a `node.toml`,
//! and stops them in order on shutdown.

pub mod block_pull;
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
use prost::Message;
use tokio::sync::watch;
use weft_consensus::{BatchLimits, Raft, RaftConfig, Solo};
use weft_contracts::{Limits, Runtime};
use weft_identity::SigningKeyPair;
use weft_ledger::{Ledger, LedgerOptions};
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

/// Builds the channel's ordering engine (restoring raft from the consensus
/// store) and starts its driver, with the p2p transport for raft.
fn start_ordering(
    config: &NodeConfig,
    channel_config: &weft_proto::ChannelConfig,
    key_pem: &str,
    chain: Arc<Chain>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<(Ordering, Option<P2p>)> {
    let consensus = channel_config.consensus.unwrap_or_default();
    let batch = channel_config.batch.unwrap_or_default();
    match ConsensusType::try_from(consensus.r#type).unwrap_or(ConsensusType::Solo) {
        ConsensusType::Solo => {
            let limits = BatchLimits::from_config(&batch, SOLO_TICK.as_millis() as u64);
            let engine = Solo::new(config.node_id.clone(), limits, chain.height());
            Ok((Ordering::start(Box::new(engine), Vec::new(), SOLO_TICK, chain, None, metrics), None))
        }
        ConsensusType::Raft => {
            let params = match consensus.params {
                Some(weft_proto::consensus_config::Params::Raft(p)) => p,
                _ => weft_proto::RaftParams::default(),
            };
            let tick_ms = if params.tick_interval_ms == 0 { RAFT_TICK_MS } else { params.tick_interval_ms };
            let limits = BatchLimits::from_config(&batch, tick_ms);
            let founders: Vec<String> = channel_config
                .nodes
                .iter()
                .filter(|n| n.roles.contains(&(weft_proto::NodeRole::Orderer as i32)))
                .map(|n| n.node_id.clone())
                .collect();
            let store = ConsensusStore::open(&config.data_dir.join("consensus"))?;
            let stored = store.load()?;
            let cfg = RaftConfig::from_params(config.node_id.clone(), limits, &params);
            let (engine, first) = Raft::new(cfg, &founders, &stored, chain.height()).map_err(|e| {
                anyhow::anyhow!("starting raft from {}: {e}", config.data_dir.join("consensus").display())
            })?;
            tracing::info!(
                orderers = ?founders,
                restored_keys = stored.len(),
                tick_ms,
                "raft ordering starting"
            );
            let (tx, inbound) = tokio::sync::mpsc::channel(4096);
            let key = SigningKeyPair::from_pkcs8_pem(key_pem).expect("parsed at start");
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
            let network = Network { p2p: p2p.clone(), inbound, store };
            let tick = Duration::from_millis(tick_ms);
            Ok((Ordering::start(Box::new(engine), first, tick, chain, Some(network), metrics), Some(p2p)))
        }
        ConsensusType::Pbft => {
            anyhow::bail!("the channel uses pbft ordering, which this build of weft-node does not run yet (solo, raft)")
        }
    }
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
