//! A network directory (made by `weft network init` or the BaaS) as a
//! client holding it uses it: the manifest, every org's CA as trust roots,
//! the org identities it keeps (admin, client, CA), and gRPC to the nodes —
//! Admin (status, health, channel participation) as the node's org admin,
//! Gateways to an org's peers. Used by the BaaS and weft-bench.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{
    cert_from_pem, key_from_text, Manifest, ManifestNode, ManifestOrg, NodeRoleName, ProvisionError, Sealing,
    MANIFEST_FILE,
};
use tonic::transport::Channel;
use weft_identity::{CertificateAuthority, IdentityError};
use weft_proto::admin_client::AdminClient;
use weft_proto::{
    ChannelSummary, HealthRequest, JoinChannelRequest, LeaveChannelRequest, ListChannelsRequest, SerializedIdentity,
    StatusRequest, StatusResponse,
};
use weft_sdk::{ClientIdentity, ConnectError, Gateway, GatewayError, TrustRoots};

/// An unanswered admin call is a node that is not up.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// Writing a snapshot reads the whole state.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(300);

/// Why a network directory could not be read or a node did not do what it
/// was asked.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The manifest, or a certificate or key it names.
    #[error(transparent)]
    Material(#[from] ProvisionError),
    #[error("reading {path}: {source}")]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("{org}'s CA: {source}")]
    Ca { org: String, source: IdentityError },
    #[error("no org {org:?} in this network; its orgs: {known}")]
    NoOrg { org: String, known: String },
    #[error("org {0} has no peers in this network")]
    NoPeers(String),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The node did not answer in time: it is down or overloaded.
    #[error("{address} did not {what} within {secs} s")]
    Timeout { address: String, what: &'static str, secs: u64 },
    /// The node answered with an error.
    #[error("{address}: {}", .status.message())]
    Refused { address: String, status: tonic::Status },
    /// The node answered, and is not serving for these reasons.
    #[error("{}", .problems.join("; "))]
    Unhealthy { problems: Vec<String> },
    #[error("{node} does not serve channel {channel}")]
    NotServing { node: String, channel: String },
    #[error("{node} did not commit block {block} of {channel} within {secs} s")]
    Behind { node: String, channel: String, block: u64, secs: u64 },
    /// None of an org's nodes answered; the last one's reason.
    #[error("no node of {org} answered for {what}: {last}")]
    NoAnswer { org: String, what: String, last: Box<NetworkError> },
    #[error("org {0} has no nodes")]
    NoNodes(String),
}

/// What a node's answer to an Admin call, made with `timeout`, means.
fn answer<T>(
    node: &ManifestNode,
    what: &'static str,
    timeout: Duration,
    outcome: Result<Result<tonic::Response<T>, tonic::Status>, tokio::time::error::Elapsed>,
) -> Result<T, NetworkError> {
    match outcome {
        Err(_) => Err(NetworkError::Timeout { address: node.grpc.clone(), what, secs: timeout.as_secs() }),
        Ok(Err(status)) => Err(NetworkError::Refused { address: node.grpc.clone(), status }),
        Ok(Ok(r)) => Ok(r.into_inner()),
    }
}

/// Where a network's files are: its directory, or in memory, handed over
/// by a service that keeps them elsewhere (the BaaS, in its database).
enum Files {
    Dir(PathBuf),
    Memory(BTreeMap<PathBuf, Vec<u8>>),
}

impl Files {
    fn read(&self, rel: &Path) -> Result<String, NetworkError> {
        use std::io::{Error, ErrorKind};
        match self {
            Files::Dir(dir) => {
                let path = dir.join(rel);
                std::fs::read_to_string(&path).map_err(|source| NetworkError::Read { path, source })
            }
            Files::Memory(files) => {
                let read = |source| NetworkError::Read { path: rel.to_path_buf(), source };
                let bytes =
                    files.get(rel).ok_or_else(|| read(Error::new(ErrorKind::NotFound, "not in the material")))?;
                String::from_utf8(bytes.clone()).map_err(|_| read(Error::new(ErrorKind::InvalidData, "not UTF-8")))
            }
        }
    }
}

pub struct NetworkDir {
    files: Files,
    manifest: Manifest,
    roots: TrustRoots,
    /// Opens org keys a BaaS keeps sealed; `None` for plain ones.
    seal: Sealing,
}

impl NetworkDir {
    /// A directory whose org keys are plain (`weft network init`).
    pub fn open(dir: &Path) -> Result<NetworkDir, NetworkError> {
        NetworkDir::open_sealed(dir, None)
    }

    /// A directory whose org keys `seal` opens (the BaaS's chains).
    pub fn open_sealed(dir: &Path, seal: Sealing) -> Result<NetworkDir, NetworkError> {
        NetworkDir::from(Files::Dir(dir.to_path_buf()), seal)
    }

    /// A network whose files (by path relative to its directory) are held
    /// in memory; org keys sealed with `seal`.
    pub fn from_files(files: BTreeMap<PathBuf, Vec<u8>>, seal: Sealing) -> Result<NetworkDir, NetworkError> {
        NetworkDir::from(Files::Memory(files), seal)
    }

    fn from(files: Files, seal: Sealing) -> Result<NetworkDir, NetworkError> {
        let manifest = Manifest::parse(&files.read(Path::new(MANIFEST_FILE))?, Path::new(MANIFEST_FILE))?;
        let pems = manifest.orgs.iter().map(|o| files.read(&o.ca_certificate)).collect::<Result<Vec<_>, _>>()?;
        Ok(NetworkDir { files, roots: TrustRoots::from_pems(&pems), manifest, seal })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// `org`'s admin identity.
    pub fn admin(&self, org: &str) -> Result<ClientIdentity, NetworkError> {
        let o = self.org(org)?;
        self.identity(org, &o.admin_certificate, &o.admin_key)
    }

    /// Every org's admin, in the manifest's order: the signers of contract
    /// deployments and configuration updates.
    pub fn admins(&self) -> Result<Vec<ClientIdentity>, NetworkError> {
        self.manifest.orgs.iter().map(|o| self.admin(&o.id)).collect()
    }

    fn org(&self, org: &str) -> Result<&ManifestOrg, NetworkError> {
        self.manifest.orgs.iter().find(|o| o.id == org).ok_or_else(|| {
            let ids: Vec<&str> = self.manifest.orgs.iter().map(|o| o.id.as_str()).collect();
            NetworkError::NoOrg { org: org.to_string(), known: ids.join(", ") }
        })
    }

    fn identity(&self, org: &str, cert: &Path, key: &Path) -> Result<ClientIdentity, NetworkError> {
        let cert = cert_from_pem(&self.files.read(cert)?, cert)?;
        let key = key_from_text(self.files.read(key)?, key, self.seal.as_deref())?;
        Ok(ClientIdentity { identity: SerializedIdentity { org_id: org.into(), certificate_der: cert }, key })
    }

    /// `org`'s application (client) identity.
    pub fn client(&self, org: &str) -> Result<ClientIdentity, NetworkError> {
        let o = self.org(org)?;
        self.identity(org, &o.client_certificate, &o.client_key)
    }

    /// A Gateway to `org`'s peers acting as `client`.
    pub fn gateway(&self, org: &str, client: ClientIdentity) -> Result<Gateway, NetworkError> {
        self.gateway_on(&self.manifest.channel, org, client)
    }

    /// A Gateway to `org`'s peers for `channel` (one of the chain's
    /// channels besides the manifest's).
    pub fn gateway_on(&self, channel: &str, org: &str, client: ClientIdentity) -> Result<Gateway, NetworkError> {
        let peers: Vec<String> = self
            .manifest
            .nodes
            .iter()
            .filter(|n| n.org == org && n.roles.contains(&NodeRoleName::Peer))
            .map(|n| n.grpc.clone())
            .collect();
        if peers.is_empty() {
            return Err(NetworkError::NoPeers(org.to_string()));
        }
        Ok(Gateway::connect(client, channel, &peers, &self.roots)?)
    }

    /// `org`'s CA, whose key the BaaS holds in the chain's directory.
    pub fn ca(&self, org: &str) -> Result<CertificateAuthority, NetworkError> {
        let o = self.org(org)?;
        let key = key_from_text(self.files.read(&o.ca_key)?, &o.ca_key, self.seal.as_deref())?;
        let cert = cert_from_pem(&self.files.read(&o.ca_certificate)?, &o.ca_certificate)?;
        CertificateAuthority::from_parts(org, key, cert)
            .map_err(|source| NetworkError::Ca { org: org.to_string(), source })
    }

    /// The chain's height as the first of `org`'s nodes that answers sees it.
    pub async fn height(&self, org: &str) -> Result<u64, NetworkError> {
        let mut last = NetworkError::NoNodes(org.to_string());
        for node in self.manifest.nodes.iter().filter(|n| n.org == org) {
            match self.status(node).await {
                Ok(s) => return Ok(s.height),
                Err(e) => last = e,
            }
        }
        Err(NetworkError::NoAnswer { org: org.to_string(), what: "the chain height".into(), last: Box::new(last) })
    }

    /// Waits until every peer of `orgs` has committed `block` of `channel`
    /// (up to `timeout`): a Gateway spreads calls over an org's peers, so a
    /// contract deployed in `block` is usable through it only once all of
    /// them have it.
    pub async fn wait_for_channel(
        &self,
        channel: &str,
        orgs: &[String],
        block: u64,
        timeout: Duration,
    ) -> Result<(), NetworkError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let peers =
            self.manifest.nodes.iter().filter(|n| orgs.contains(&n.org) && n.roles.contains(&NodeRoleName::Peer));
        for node in peers {
            loop {
                match self.node_channel_height(node, channel).await {
                    Ok(h) if h > block => break,
                    _ if tokio::time::Instant::now() > deadline => {
                        return Err(NetworkError::Behind {
                            node: node.id.clone(),
                            channel: channel.to_string(),
                            block,
                            secs: timeout.as_secs(),
                        })
                    }
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }
        Ok(())
    }

    /// [`wait_for_channel`](Self::wait_for_channel) for the manifest's
    /// channel and every org.
    pub async fn wait_for_peers(&self, block: u64, timeout: Duration) -> Result<(), NetworkError> {
        let orgs: Vec<String> = self.manifest.orgs.iter().map(|o| o.id.clone()).collect();
        self.wait_for_channel(&self.manifest.channel, &orgs, block, timeout).await
    }

    /// `channel`'s height on `node`.
    async fn node_channel_height(&self, node: &ManifestNode, channel: &str) -> Result<u64, NetworkError> {
        let list = self.channels(node).await?;
        let served = list.iter().find(|c| c.channel_id == channel);
        served
            .map(|c| c.height)
            .ok_or_else(|| NetworkError::NotServing { node: node.id.clone(), channel: channel.to_string() })
    }

    /// `channel`'s height as the first of `org`'s nodes serving it sees it.
    pub async fn channel_height(&self, org: &str, channel: &str) -> Result<u64, NetworkError> {
        let mut last = NetworkError::NoNodes(org.to_string());
        for node in self.manifest.nodes.iter().filter(|n| n.org == org) {
            match self.node_channel_height(node, channel).await {
                Ok(height) => return Ok(height),
                Err(e) => last = e,
            }
        }
        let what = format!("channel {channel}'s height");
        Err(NetworkError::NoAnswer { org: org.to_string(), what, last: Box::new(last) })
    }

    fn admin_client(&self, node: &ManifestNode) -> Result<AdminClient<Channel>, NetworkError> {
        let admin = self.admin(&node.org)?;
        Ok(AdminClient::new(weft_sdk::channel(&node.grpc, &self.roots, &admin)?))
    }

    pub async fn status(&self, node: &ManifestNode) -> Result<StatusResponse, NetworkError> {
        let mut c = self.admin_client(node)?;
        answer(node, "answer", CALL_TIMEOUT, tokio::time::timeout(CALL_TIMEOUT, c.status(StatusRequest {})).await)
    }

    /// Joins `node` to the channel whose genesis block is `block`, in
    /// `roles` (none: the ones the channel configuration gives it); with
    /// `from_snapshot` it starts from another node's state.
    pub async fn join_channel(
        &self,
        node: &ManifestNode,
        block: &weft_proto::Block,
        roles: &[NodeRoleName],
        from_snapshot: bool,
    ) -> Result<ChannelSummary, NetworkError> {
        let mut c = self.admin_client(node)?;
        let request = JoinChannelRequest {
            block: prost::Message::encode_to_vec(block),
            roles: roles.iter().map(|r| r.name().to_string()).collect(),
            from_snapshot,
        };
        let joined = tokio::time::timeout(SNAPSHOT_TIMEOUT, c.join_channel(request)).await;
        Ok(answer(node, "join", SNAPSHOT_TIMEOUT, joined)?.channel.unwrap_or_default())
    }

    /// Has `node` stop serving `channel`; `remove_data` deletes its ledger
    /// and consensus log there too.
    pub async fn leave_channel(
        &self,
        node: &ManifestNode,
        channel: &str,
        remove_data: bool,
    ) -> Result<(), NetworkError> {
        let mut c = self.admin_client(node)?;
        let request = LeaveChannelRequest { channel_id: channel.into(), remove_data };
        let left = tokio::time::timeout(CALL_TIMEOUT * 10, c.leave_channel(request)).await;
        answer(node, "leave the channel", CALL_TIMEOUT * 10, left).map(|_| ())
    }

    /// The channels `node` serves.
    pub async fn channels(&self, node: &ManifestNode) -> Result<Vec<ChannelSummary>, NetworkError> {
        let mut c = self.admin_client(node)?;
        let listed = tokio::time::timeout(CALL_TIMEOUT, c.list_channels(ListChannelsRequest {})).await;
        Ok(answer(node, "answer", CALL_TIMEOUT, listed)?.channels)
    }

    /// Has the node write a state snapshot at its current height (path in
    /// its data directory, height, state hash). Large states take a while.
    pub async fn snapshot(&self, node: &ManifestNode) -> Result<weft_proto::SnapshotResponse, NetworkError> {
        self.snapshot_of(node, &self.manifest.channel).await
    }

    /// Has `node` write a state snapshot of `channel` (one it serves).
    pub async fn snapshot_of(
        &self,
        node: &ManifestNode,
        channel: &str,
    ) -> Result<weft_proto::SnapshotResponse, NetworkError> {
        let mut c = self.admin_client(node)?;
        let request = weft_proto::SnapshotRequest { channel_id: channel.to_string() };
        let written = tokio::time::timeout(SNAPSHOT_TIMEOUT, c.snapshot(request)).await;
        answer(node, "write a snapshot", SNAPSHOT_TIMEOUT, written)
    }

    /// Has the node stop taking new transactions and order what it holds;
    /// a raft leader hands leadership to the most up-to-date follower.
    pub async fn drain(&self, node: &ManifestNode) -> Result<(), NetworkError> {
        let mut c = self.admin_client(node)?;
        let drained = tokio::time::timeout(CALL_TIMEOUT, c.drain(weft_proto::DrainRequest {})).await;
        answer(node, "drain", CALL_TIMEOUT, drained).map(|_| ())
    }

    /// Ok when the node serves; otherwise why not (its own problems, or
    /// that it does not answer).
    pub async fn health(&self, node: &ManifestNode) -> Result<(), NetworkError> {
        let mut c = self.admin_client(node)?;
        let health =
            answer(node, "answer", CALL_TIMEOUT, tokio::time::timeout(CALL_TIMEOUT, c.health(HealthRequest {})).await)?;
        if health.serving {
            return Ok(());
        }
        Err(NetworkError::Unhealthy { problems: health.problems })
    }
}
