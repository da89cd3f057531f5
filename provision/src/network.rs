//! A network directory (made by `weft network init` or the BaaS) as a
//! client holding it uses it: the manifest, every org's CA as trust roots,
//! the org identities it keeps (admin, client, CA), and gRPC to the nodes —
//! Admin (status, health, channel participation) as the node's org admin,
//! Gateways to an org's peers. Used by the BaaS and weft-bench.

use std::path::Path;
use std::time::Duration;

use crate::{read_cert_pem, read_key, Manifest, ManifestNode, ManifestOrg, NodeRoleName, Sealing};
use tonic::transport::Channel;
use weft_identity::CertificateAuthority;
use weft_proto::admin_client::AdminClient;
use weft_proto::{
    ChannelSummary, HealthRequest, JoinChannelRequest, LeaveChannelRequest, ListChannelsRequest, SerializedIdentity,
    StatusRequest, StatusResponse,
};
use weft_sdk::{ClientIdentity, Gateway, TrustRoots};

/// An unanswered admin call is a node that is not up.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// Writing a snapshot reads the whole state.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(300);

pub struct NetworkDir {
    dir: std::path::PathBuf,
    manifest: Manifest,
    roots: TrustRoots,
    /// Opens org keys a BaaS keeps sealed; `None` for plain ones.
    seal: Sealing,
}

impl NetworkDir {
    /// A directory whose org keys are plain (`weft network init`).
    pub fn open(dir: &Path) -> Result<NetworkDir, String> {
        NetworkDir::open_sealed(dir, None)
    }

    /// A directory whose org keys `seal` opens (the BaaS's chains).
    pub fn open_sealed(dir: &Path, seal: Sealing) -> Result<NetworkDir, String> {
        let manifest = Manifest::load(dir).map_err(|e| e.to_string())?;
        let mut pems = Vec::new();
        for org in &manifest.orgs {
            let path = dir.join(&org.ca_certificate);
            pems.push(std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?);
        }
        Ok(NetworkDir { dir: dir.to_path_buf(), roots: TrustRoots::from_pems(&pems), manifest, seal })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// `org`'s admin identity.
    pub fn admin(&self, org: &str) -> Result<ClientIdentity, String> {
        let o = self.org(org)?;
        self.identity(org, &o.admin_certificate, &o.admin_key)
    }

    /// Every org's admin, in the manifest's order: the signers of contract
    /// deployments and configuration updates.
    pub fn admins(&self) -> Result<Vec<ClientIdentity>, String> {
        self.manifest.orgs.iter().map(|o| self.admin(&o.id)).collect()
    }

    fn org(&self, org: &str) -> Result<&ManifestOrg, String> {
        self.manifest.orgs.iter().find(|o| o.id == org).ok_or_else(|| {
            let ids: Vec<&str> = self.manifest.orgs.iter().map(|o| o.id.as_str()).collect();
            format!("no org {org:?} in this network; its orgs: {}", ids.join(", "))
        })
    }

    fn identity(&self, org: &str, cert: &Path, key: &Path) -> Result<ClientIdentity, String> {
        let cert = read_cert_pem(&self.dir.join(cert)).map_err(|e| e.to_string())?;
        let key = read_key(&self.dir, key, self.seal.as_deref()).map_err(|e| e.to_string())?;
        Ok(ClientIdentity { identity: SerializedIdentity { org_id: org.into(), certificate_der: cert }, key })
    }

    /// `org`'s application (client) identity.
    pub fn client(&self, org: &str) -> Result<ClientIdentity, String> {
        let o = self.org(org)?;
        self.identity(org, &o.client_certificate, &o.client_key)
    }

    /// A Gateway to `org`'s peers acting as `client`.
    pub fn gateway(&self, org: &str, client: ClientIdentity) -> Result<Gateway, String> {
        self.gateway_on(&self.manifest.channel, org, client)
    }

    /// A Gateway to `org`'s peers for `channel` (one of the chain's
    /// channels besides the manifest's).
    pub fn gateway_on(&self, channel: &str, org: &str, client: ClientIdentity) -> Result<Gateway, String> {
        let peers: Vec<String> = self
            .manifest
            .nodes
            .iter()
            .filter(|n| n.org == org && n.roles.contains(&NodeRoleName::Peer))
            .map(|n| n.grpc.clone())
            .collect();
        if peers.is_empty() {
            return Err(format!("org {org} has no peers in this network"));
        }
        Gateway::connect(client, channel, &peers, &self.roots).map_err(|e| e.to_string())
    }

    /// `org`'s CA, whose key the BaaS holds in the chain's directory.
    pub fn ca(&self, org: &str) -> Result<CertificateAuthority, String> {
        let o = self.org(org)?;
        let key = read_key(&self.dir, &o.ca_key, self.seal.as_deref()).map_err(|e| e.to_string())?;
        let cert = read_cert_pem(&self.dir.join(&o.ca_certificate)).map_err(|e| e.to_string())?;
        CertificateAuthority::from_parts(org, key, cert).map_err(|e| e.to_string())
    }

    /// The chain's height as the first of `org`'s nodes that answers sees it.
    pub async fn height(&self, org: &str) -> Result<u64, String> {
        let mut last = format!("org {org} has no nodes");
        for node in self.manifest.nodes.iter().filter(|n| n.org == org) {
            match self.status(node).await {
                Ok(s) => return Ok(s.height),
                Err(e) => last = e,
            }
        }
        Err(format!("no node of {org} answered for the chain height: {last}"))
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
    ) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + timeout;
        let peers =
            self.manifest.nodes.iter().filter(|n| orgs.contains(&n.org) && n.roles.contains(&NodeRoleName::Peer));
        for node in peers {
            loop {
                match self.node_channel_height(node, channel).await {
                    Ok(h) if h > block => break,
                    _ if tokio::time::Instant::now() > deadline => {
                        return Err(format!(
                            "{} did not commit block {block} of {channel} within {} s",
                            node.id,
                            timeout.as_secs()
                        ))
                    }
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }
        Ok(())
    }

    /// [`wait_for_channel`](Self::wait_for_channel) for the manifest's
    /// channel and every org.
    pub async fn wait_for_peers(&self, block: u64, timeout: Duration) -> Result<(), String> {
        let orgs: Vec<String> = self.manifest.orgs.iter().map(|o| o.id.clone()).collect();
        self.wait_for_channel(&self.manifest.channel, &orgs, block, timeout).await
    }

    /// `channel`'s height on `node`.
    async fn node_channel_height(&self, node: &ManifestNode, channel: &str) -> Result<u64, String> {
        let list = self.channels(node).await?;
        let served = list.iter().find(|c| c.channel_id == channel);
        served.map(|c| c.height).ok_or_else(|| format!("{} does not serve channel {channel}", node.id))
    }

    /// `channel`'s height as the first of `org`'s nodes serving it sees it.
    pub async fn channel_height(&self, org: &str, channel: &str) -> Result<u64, String> {
        let mut last = format!("org {org} has no nodes");
        for node in self.manifest.nodes.iter().filter(|n| n.org == org) {
            match self.node_channel_height(node, channel).await {
                Ok(height) => return Ok(height),
                Err(e) => last = e,
            }
        }
        Err(format!("no node of {org} answered for channel {channel}'s height: {last}"))
    }

    fn admin_client(&self, node: &ManifestNode) -> Result<AdminClient<Channel>, String> {
        let admin = self.admin(&node.org)?;
        Ok(AdminClient::new(weft_sdk::channel(&node.grpc, &self.roots, &admin).map_err(|e| e.to_string())?))
    }

    pub async fn status(&self, node: &ManifestNode) -> Result<StatusResponse, String> {
        let mut c = self.admin_client(node)?;
        match tokio::time::timeout(CALL_TIMEOUT, c.status(StatusRequest {})).await {
            Err(_) => Err(format!("{} did not answer within {} s", node.grpc, CALL_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(format!("{}: {}", node.grpc, s.message())),
            Ok(Ok(r)) => Ok(r.into_inner()),
        }
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
    ) -> Result<ChannelSummary, String> {
        let mut c = self.admin_client(node)?;
        let request = JoinChannelRequest {
            block: prost::Message::encode_to_vec(block),
            roles: roles.iter().map(|r| r.name().to_string()).collect(),
            from_snapshot,
        };
        match tokio::time::timeout(SNAPSHOT_TIMEOUT, c.join_channel(request)).await {
            Err(_) => Err(format!("{} did not join within {} s", node.grpc, SNAPSHOT_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(format!("{}: {}", node.grpc, s.message())),
            Ok(Ok(r)) => Ok(r.into_inner().channel.unwrap_or_default()),
        }
    }

    /// Has `node` stop serving `channel`; `remove_data` deletes its ledger
    /// and consensus log there too.
    pub async fn leave_channel(&self, node: &ManifestNode, channel: &str, remove_data: bool) -> Result<(), String> {
        let mut c = self.admin_client(node)?;
        let request = LeaveChannelRequest { channel_id: channel.into(), remove_data };
        match tokio::time::timeout(CALL_TIMEOUT * 10, c.leave_channel(request)).await {
            Err(_) => Err(format!("{} did not leave {channel} within {} s", node.grpc, CALL_TIMEOUT.as_secs() * 10)),
            Ok(Err(s)) => Err(format!("{}: {}", node.grpc, s.message())),
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// The channels `node` serves.
    pub async fn channels(&self, node: &ManifestNode) -> Result<Vec<ChannelSummary>, String> {
        let mut c = self.admin_client(node)?;
        match tokio::time::timeout(CALL_TIMEOUT, c.list_channels(ListChannelsRequest {})).await {
            Err(_) => Err(format!("{} did not answer within {} s", node.grpc, CALL_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(format!("{}: {}", node.grpc, s.message())),
            Ok(Ok(r)) => Ok(r.into_inner().channels),
        }
    }

    /// Has the node write a state snapshot at its current height (path in
    /// its data directory, height, state hash). Large states take a while.
    pub async fn snapshot(&self, node: &ManifestNode) -> Result<weft_proto::SnapshotResponse, String> {
        let mut c = self.admin_client(node)?;
        match tokio::time::timeout(
            SNAPSHOT_TIMEOUT,
            c.snapshot(weft_proto::SnapshotRequest { channel_id: self.manifest.channel.clone() }),
        )
        .await
        {
            Err(_) => Err(format!("{} wrote no snapshot within {} s", node.grpc, SNAPSHOT_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(format!("{}: {}", node.grpc, s.message())),
            Ok(Ok(r)) => Ok(r.into_inner()),
        }
    }

    /// Has the node stop taking new transactions and order what it holds;
    /// a raft leader hands leadership to the most up-to-date follower.
    pub async fn drain(&self, node: &ManifestNode) -> Result<(), String> {
        let mut c = self.admin_client(node)?;
        match tokio::time::timeout(CALL_TIMEOUT, c.drain(weft_proto::DrainRequest {})).await {
            Err(_) => Err(format!("{} did not drain within {} s", node.grpc, CALL_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(format!("{}: {}", node.grpc, s.message())),
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// Ok when the node serves; otherwise why not (its own problems, or
    /// that it does not answer).
    pub async fn health(&self, node: &ManifestNode) -> Result<(), String> {
        let mut c = self.admin_client(node)?;
        match tokio::time::timeout(CALL_TIMEOUT, c.health(HealthRequest {})).await {
            Err(_) => Err(format!("{} did not answer within {} s", node.grpc, CALL_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(format!("{}: {}", node.grpc, s.message())),
            Ok(Ok(r)) if r.get_ref().serving => Ok(()),
            Ok(Ok(r)) => Err(r.into_inner().problems.join("; ")),
        }
    }
}
