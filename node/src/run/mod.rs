//! A running node: its identity, ledger, contract runtime, p2p transport
//! and the channels it serves (each with its committer, ordering engine and
//! block puller, see [`served`]), from a `node.toml` and the channels it
//! joined before; channels are joined and left at runtime (Admin).

pub mod block_pull;
pub mod byzantine;
pub mod chain;
pub mod consensus_store;
mod engine;
pub mod join;
pub mod joined;
pub mod limits;
pub mod metrics;
pub mod ordering;
pub mod p2p;
pub mod remote;
pub mod served;
pub mod trust;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use anyhow::Context;
use prost::Message;
use tokio::sync::watch;
use weft_contracts::{Limits, Runtime};
use weft_identity::ClientIdentity;
use weft_identity::{Membership, Msp, ParsedCertificate, SigningKeyPair};
use weft_ledger::{Ledger, LedgerOptions};
use weft_proto::{Block, ChannelId, SerializedIdentity};
use weft_provision::{NodeConfig, NodeRoleName};

use trust::Trust;

use joined::Joined;
use metrics::Metrics;
use p2p::Transport;
use remote::Remote;
use served::ServedChannel;

/// Sets the log filter; returns the previous one.
pub type LogControl = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// The node's own identity, and the transport its channels share.
pub struct Me {
    pub node_id: String,
    pub identity: SerializedIdentity,
    pub key: SigningKeyPair,
    listen_p2p: String,
    /// Started by the first channel that needs it (one with other
    /// orderers), so a node that only ever serves solo channels or pulls
    /// blocks listens on no p2p port.
    transport: Mutex<Option<Transport>>,
}

impl Me {
    pub fn transport(&self) -> anyhow::Result<Transport> {
        let mut transport = self.transport.lock().expect("transport lock");
        if let Some(t) = transport.as_ref() {
            return Ok(t.clone());
        }
        let t = Transport::start(&self.node_id, &self.key, &self.listen_p2p)?;
        *transport = Some(t.clone());
        Ok(t)
    }
}

/// Everything the services share.
pub struct NodeCore {
    pub config: NodeConfig,
    pub me: Me,
    ledger: Ledger,
    runtime: Arc<Runtime>,
    channels: RwLock<BTreeMap<String, Arc<ServedChannel>>>,
    /// Joins and leaves one at a time.
    changing: tokio::sync::Mutex<()>,
    /// The node org's CA from node.toml: who may call Admin before the
    /// node serves a channel of its org.
    own_org: Membership,
    pub remote: Arc<Remote>,
    pub metrics: Arc<Metrics>,
    pub started: Instant,
    pub draining: AtomicBool,
    pub shutdown: watch::Sender<bool>,
    pub log: LogControl,
    /// Why the node stopped itself (e.g. its memory limit), if it did; the
    /// process then exits with an error.
    pub fatal: std::sync::OnceLock<String>,
    /// PEM of the node certificate and its key (the TLS server's
    /// identity), read once at start.
    pub tls: TlsPems,
    /// The CAs it trusts for TLS: node.toml's and its channels' orgs'.
    pub trust: Arc<Trust>,
}

pub struct TlsPems {
    pub certificate: String,
    pub key: String,
}

/// Why a channel could not be joined.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("this node already serves channel {0}; leave it first to join it again")]
    AlreadyJoined(String),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    BadBlock(#[from] served::JoinBlockError),
    #[error("joining channel {channel}: {error:#}")]
    Failed { channel: String, error: anyhow::Error },
}

/// Why a channel could not be left.
#[derive(Debug, thiserror::Error)]
pub enum LeaveError {
    #[error("this node serves no channel {asked:?}; it serves: {served}")]
    NotServed { asked: String, served: String },
    #[error("leaving channel {channel}: {error:#}")]
    Failed { channel: String, error: anyhow::Error },
}

impl NodeCore {
    pub fn request_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// The channel `id`, if this node serves it.
    pub fn channel(&self, id: &str) -> Option<Arc<ServedChannel>> {
        self.channels.read().expect("channels lock").get(id).cloned()
    }

    /// Every channel served, by id.
    pub fn channels(&self) -> Vec<Arc<ServedChannel>> {
        self.channels.read().expect("channels lock").values().cloned().collect()
    }

    /// The channels served, for messages: "a, b" or "none".
    pub fn served_names(&self) -> String {
        let names: Vec<String> = self.channels.read().expect("channels lock").keys().cloned().collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }

    /// The memberships an Admin caller's certificate is checked against:
    /// every served channel's that has this node's org (so a certificate
    /// revoked in any of them is refused), or the org's CA from node.toml
    /// while it serves none.
    pub fn admin_memberships(&self) -> Vec<Membership> {
        let mut found: Vec<Membership> = self
            .channels()
            .iter()
            .map(|c| c.chain.view())
            .filter(|v| v.rules.orgs.contains(&self.config.org_id))
            .map(|v| v.rules.membership.clone())
            .collect();
        if found.is_empty() {
            found.push(self.own_org.clone());
        }
        found
    }

    fn node(&self) -> served::Node<'_> {
        served::Node {
            me: &self.me,
            ledger: &self.ledger,
            data_dir: &self.config.data_dir,
            runtime: &self.runtime,
            remote: &self.remote,
            metrics: &self.metrics,
            trust: &self.trust,
        }
    }

    /// Joins a channel from its genesis block with the given roles (empty:
    /// the ones the channel configuration gives this node), records it so
    /// that a restart rejoins it, and starts serving it.
    pub async fn join(
        &self,
        block: Block,
        roles: Vec<NodeRoleName>,
        from_snapshot: bool,
    ) -> Result<Arc<ServedChannel>, JoinError> {
        let _one_at_a_time = self.changing.lock().await;
        let (channel, config) = served::check_join_block(&block, from_snapshot)?;
        if self.channel(channel.as_str()).is_some() {
            return Err(JoinError::AlreadyJoined(channel.to_string()));
        }
        let roles =
            roles_in(&config, &self.config.node_id, &self.config.org_id, roles).map_err(JoinError::BadRequest)?;
        let number = block.header.as_ref().map_or(0, |h| h.number);
        let consensus = config.consensus.map_or(0, |c| c.r#type);
        if number > 0 && roles.contains(&NodeRoleName::Orderer) && consensus != weft_proto::ConsensusType::Raft as i32 {
            return Err(JoinError::BadRequest(format!(
                "only a raft orderer joins from a later configuration block (block {number}): this channel's \
                 orderers are fixed at its genesis block, so join with that one, or as a peer (--role peer)"
            )));
        }
        let joined = Joined { channel: channel.clone(), block, roles };
        let failed = |error: anyhow::Error| JoinError::Failed { channel: channel.to_string(), error };
        let served = served::open(&self.node(), &joined, from_snapshot).await.map_err(failed)?;
        joined::record(&self.config.data_dir, &joined).map_err(failed)?;
        let served = Arc::new(served);
        self.channels.write().expect("channels lock").insert(channel.to_string(), served.clone());
        tracing::info!(%channel, roles = ?joined.roles, height = served.chain.height(), "joined channel");
        Ok(served)
    }

    /// Stops serving a channel and forgets it (a restart does not rejoin
    /// it); with `remove_data` its blocks, state and consensus log go too,
    /// otherwise a later join goes on from them.
    pub async fn leave(&self, id: &str, remove_data: bool) -> Result<(), LeaveError> {
        let _one_at_a_time = self.changing.lock().await;
        let served = self.channels.write().expect("channels lock").remove(id);
        let Some(served) = served else {
            return Err(LeaveError::NotServed { asked: id.into(), served: self.served_names() });
        };
        let failed = |error: anyhow::Error| LeaveError::Failed { channel: id.into(), error };
        joined::forget(&self.config.data_dir, &served.id).map_err(failed)?;
        served.stop();
        self.trust.remove_channel(id);
        let channel = served.id.clone();
        drop(served);
        if remove_data {
            served::remove_data(&self.ledger, &self.config.data_dir, &channel).await.map_err(failed)?;
        }
        tracing::info!(%channel, remove_data, "left channel");
        Ok(())
    }
}

/// This node's roles in a channel it joins: the ones asked for, each of
/// which the configuration must give it (an orderer must be one of the
/// channel's orderers), or with none asked the configuration's.
fn roles_in(
    config: &weft_proto::ChannelConfig,
    node_id: &str,
    org_id: &str,
    asked: Vec<NodeRoleName>,
) -> Result<Vec<NodeRoleName>, String> {
    if !config.orgs.iter().any(|o| o.org_id == org_id) {
        return Err(format!("this node's org {org_id} is not a member of channel {}", config.channel_id));
    }
    let listed: Vec<NodeRoleName> = config
        .nodes
        .iter()
        .find(|n| n.node_id == node_id)
        .map(|n| n.roles.iter().filter_map(|r| NodeRoleName::from_proto(*r)).collect())
        .unwrap_or_default();
    if asked.is_empty() {
        if listed.is_empty() {
            return Err(format!(
                "channel {}'s configuration names no roles for node {node_id}; name them (peer, orderer)",
                config.channel_id
            ));
        }
        return Ok(listed);
    }
    if asked.contains(&NodeRoleName::Orderer) && !listed.contains(&NodeRoleName::Orderer) {
        return Err(format!(
            "node {node_id} is not an orderer in channel {}'s configuration; join as a peer, or add it as an \
             orderer by a configuration update first",
            config.channel_id
        ));
    }
    let mut roles = asked;
    roles.sort();
    roles.dedup();
    Ok(roles)
}

fn read(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The membership of the node's own org from node.toml's CA certificates:
/// the one that issued the node's certificate.
fn own_org(config: &NodeConfig, node_cert_der: &[u8]) -> anyhow::Result<Membership> {
    let node_cert = ParsedCertificate::parse(node_cert_der).map_err(|e| anyhow::anyhow!("node certificate: {e}"))?;
    for path in &config.ca_certificates {
        let der = weft_provision::read_cert_pem(path)?;
        let ca = ParsedCertificate::parse(&der).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if node_cert.is_issued_by(&ca) {
            let msp = Msp::new(&config.org_id, &[der], &[]).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let mut membership = Membership::default();
            membership.insert(msp);
            return Ok(membership);
        }
    }
    anyhow::bail!("none of ca_certificates issued the node's certificate {}", config.certificate.display())
}

/// An older node kept one channel's consensus log in `data/consensus`
/// itself; it moves to `data/consensus/<channel>`.
fn move_legacy_consensus_store(config: &NodeConfig, channel: &ChannelId) -> anyhow::Result<()> {
    let old = config.data_dir.join("consensus");
    if !old.join("CURRENT").exists() {
        return Ok(());
    }
    let aside = config.data_dir.join("consensus.moving");
    std::fs::rename(&old, &aside).with_context(|| format!("moving {} aside", old.display()))?;
    std::fs::create_dir_all(&old).with_context(|| format!("creating {}", old.display()))?;
    let new = joined::consensus_dir(&config.data_dir, channel);
    std::fs::rename(&aside, &new).with_context(|| format!("moving the consensus log to {}", new.display()))?;
    tracing::info!(to = %new.display(), "moved the consensus log into its channel's directory");
    Ok(())
}

/// node.toml's channel, if it names one, as a joined channel (in
/// node.toml's roles, which win over recorded ones).
fn configured_channel(config: &NodeConfig) -> anyhow::Result<Option<Joined>> {
    let (Some(channel), Some(path)) = (&config.channel, &config.genesis_block) else { return Ok(None) };
    let channel = ChannelId::new(channel.clone()).map_err(|e| anyhow::anyhow!("channel in node.toml: {e}"))?;
    let bytes = std::fs::read(path).with_context(|| format!("reading the genesis block {}", path.display()))?;
    let block = Block::decode(bytes.as_slice()).with_context(|| format!("{} is not a block", path.display()))?;
    let (genesis, _) = served::check_genesis_block(&block).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    anyhow::ensure!(
        genesis == channel,
        "node.toml names channel {channel:?} but the genesis block is for {:?}",
        genesis.as_str()
    );
    Ok(Some(Joined { channel, block, roles: config.roles.clone() }))
}

/// The channels to serve at start: those joined before, and node.toml's,
/// recorded (once, or when its roles or block changed) so that it is
/// served like any other.
fn channels_at_start(config: &NodeConfig) -> anyhow::Result<Vec<Joined>> {
    let mut all = joined::list(&config.data_dir)?;
    if let Some(configured) = configured_channel(config)? {
        let recorded = all.iter().position(|j| j.channel == configured.channel);
        let same = |j: &Joined| j.roles == configured.roles && j.block == configured.block;
        if !recorded.is_some_and(|i| same(&all[i])) {
            move_legacy_consensus_store(config, &configured.channel)?;
            joined::record(&config.data_dir, &configured)?;
            all.retain(|j| j.channel != configured.channel);
            all.push(configured);
        }
    }
    Ok(all)
}

/// Opens the ledger and serves node.toml's channel (if it names one) and
/// every channel joined before.
pub async fn start(config: NodeConfig, log: LogControl) -> anyhow::Result<Arc<NodeCore>> {
    let key_pem = read(&config.key)?;
    let key = SigningKeyPair::from_pkcs8_pem(&key_pem).with_context(|| format!("node key {}", config.key.display()))?;
    let cert_der = weft_provision::read_cert_pem(&config.certificate)?;
    let cert_pem = read(&config.certificate)?;
    let identity = SerializedIdentity { org_id: config.org_id.clone(), certificate_der: cert_der.clone() };
    let roots: Vec<String> = config.ca_certificates.iter().map(|p| read(p)).collect::<Result<_, _>>()?;
    let own_org = own_org(&config, &cert_der)?;

    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    let channels = channels_at_start(&config)?;
    let ledger = Ledger::open(config.data_dir.join("ledger"), LedgerOptions::default())
        .with_context(|| format!("opening the ledger in {}", config.data_dir.display()))?;
    let runtime = Arc::new(Runtime::new(Limits::default()).context("starting the contract runtime")?);
    let trust = Arc::new(Trust::new(&roots, config.anonymous_clients)?);
    let remote = Arc::new(Remote::new(ClientIdentity { identity: identity.clone(), key: key.clone() }, trust.clone()));
    let (shutdown, _) = watch::channel(false);
    let me = Me {
        node_id: config.node_id.clone(),
        identity,
        key,
        listen_p2p: config.listen.p2p.clone(),
        transport: Mutex::new(None),
    };
    let core = NodeCore {
        tls: TlsPems { certificate: cert_pem, key: key_pem },
        trust,
        me,
        ledger,
        runtime,
        channels: RwLock::new(BTreeMap::new()),
        changing: tokio::sync::Mutex::new(()),
        own_org,
        remote,
        metrics: Arc::new(Metrics::new()),
        started: Instant::now(),
        draining: AtomicBool::new(false),
        shutdown,
        log,
        fatal: std::sync::OnceLock::new(),
        config,
    };
    for joined in channels {
        let from_snapshot =
            core.config.join_from_snapshot && core.config.channel.as_deref() == Some(joined.channel.as_str());
        let served = served::open(&core.node(), &joined, from_snapshot)
            .await
            .with_context(|| format!("rejoining channel {}", joined.channel))?;
        core.channels.write().expect("channels lock").insert(joined.channel.to_string(), Arc::new(served));
    }
    if core.channels().is_empty() {
        tracing::info!("serving no channel yet: join one over Admin (weft node channel join)");
    }
    Ok(Arc::new(core))
}
