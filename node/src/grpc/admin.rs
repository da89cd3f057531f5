//! Admin: status, channels, health, log level, snapshot, drain, shutdown — for the
//! node org's admins only (by TLS client certificate).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tonic::{Request, Response, Status};
use weft_proto::admin_server::Admin;
use weft_proto::{
    ChannelInfoRequest, ChannelInfoResponse, ChannelSummary, ConsensusStatus, ConsensusType, DeployedContract,
    DrainRequest, DrainResponse, HealthRequest, HealthResponse, ListChannelsRequest, ListChannelsResponse, NodeRole,
    PeerStatus, SetLogLevelRequest, SetLogLevelResponse, ShutdownRequest, ShutdownResponse, SnapshotRequest,
    SnapshotResponse, StatusRequest, StatusResponse,
};

use super::auth::require_admin;
use super::now_unix;
use crate::run::NodeCore;

pub struct AdminService {
    pub core: Arc<NodeCore>,
}

impl AdminService {
    fn check<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let view = self.core.chain.view();
        require_admin(request, &self.core.config.org_id, &view.rules.membership, now_unix())
    }
}

/// A channel in a line: height, this node's roles in its configuration,
/// consensus type, configuration sequence.
fn summary(core: &NodeCore) -> ChannelSummary {
    let view = core.chain.view();
    let config = &view.rules.config;
    let roles = config
        .nodes
        .iter()
        .find(|n| n.node_id == core.config.node_id)
        .map(|n| {
            n.roles
                .iter()
                .filter_map(|r| match NodeRole::try_from(*r) {
                    Ok(NodeRole::Peer) => Some("peer".to_string()),
                    Ok(NodeRole::Orderer) => Some("orderer".to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let consensus_type = match config.consensus.map(|c| ConsensusType::try_from(c.r#type)) {
        Some(Ok(ConsensusType::Raft)) => "raft",
        Some(Ok(ConsensusType::Pbft)) => "pbft",
        _ => "solo",
    };
    ChannelSummary {
        channel_id: view.rules.channel_id.clone(),
        height: core.chain.height(),
        roles,
        consensus_type: consensus_type.into(),
        config_sequence: view.rules.config_sequence,
    }
}

/// The channel as this node sees it: what Status and ChannelInfo say of it.
async fn channel_info(core: &NodeCore) -> ChannelInfoResponse {
    let view = core.chain.view();
    let consensus = match &core.ordering {
        Some(o) => o.status().await.map(|s| ConsensusStatus {
            engine: s.engine.into(),
            state: if core.draining.load(Ordering::Relaxed) { "draining".into() } else { s.role.into() },
            leader: s.leader.unwrap_or_default(),
            term: s.term,
            next_sequence: s.next_seq,
            pending: s.pending as u64,
            commit_index: s.commit_index,
            applied_index: s.applied_index,
            log_entries: s.log_entries,
            proposals: s.proposals,
            refused_messages: s.refused,
            last_refusal: s.last_refusal,
        }),
        None => Some(ConsensusStatus {
            engine: "none".into(),
            state: "peer: follows the orderers".into(),
            ..Default::default()
        }),
    };
    let contacts = core.p2p.as_ref().map(|p| p.contacts()).unwrap_or_default();
    let peers = view
        .rules
        .config
        .nodes
        .iter()
        .filter(|n| n.node_id != core.config.node_id)
        .map(|n| {
            let c = contacts.iter().find(|c| c.node_id == n.node_id);
            PeerStatus {
                node_id: n.node_id.clone(),
                address: n.grpc_address.clone(),
                connected: c.is_some_and(|c| c.connected),
                last_contact_ms_ago: c.and_then(|c| c.last_contact).map(|t| t.elapsed().as_millis() as u64),
            }
        })
        .collect();
    let contracts = view
        .rules
        .definitions
        .values()
        .map(|(d, _)| DeployedContract {
            name: d.name.clone(),
            version: d.version.clone(),
            sequence: d.sequence,
            endorsement_policy: d.endorsement_policy.clone(),
            code_hash: d.code_hash.clone(),
        })
        .collect();
    let last_block_hash = core
        .chain
        .reader()
        .block(core.chain.height().saturating_sub(1))
        .ok()
        .flatten()
        .and_then(|b| b.header)
        .map(|h| weft_proto::block_hash(&h).to_vec())
        .unwrap_or_default();
    ChannelInfoResponse {
        summary: Some(summary(core)),
        last_block_hash,
        consensus,
        peers,
        contracts,
        orgs: view.rules.orgs.clone(),
    }
}

/// Why the node is not ready to serve, if it is not.
pub fn health_problems(core: &NodeCore) -> Vec<String> {
    let mut problems = Vec::new();
    if core.draining.load(Ordering::Relaxed) {
        problems.push("draining: not taking new transactions".into());
    }
    if *core.shutdown.borrow() {
        problems.push("shutting down".into());
    } else if core.ordering.as_ref().is_some_and(|o| o.stopped()) {
        problems.push("ordering stopped: this orderer no longer orders (its log says why); restart the node".into());
    }
    problems
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn status(&self, request: Request<StatusRequest>) -> Result<Response<StatusResponse>, Status> {
        self.check(&request)?;
        let core = &self.core;
        let info = channel_info(core).await;
        let summary = info.summary.unwrap_or_default();
        Ok(Response::new(StatusResponse {
            node_id: core.config.node_id.clone(),
            org_id: core.config.org_id.clone(),
            roles: core.config.roles.iter().map(|r| format!("{r:?}").to_lowercase()).collect(),
            channel_id: summary.channel_id,
            height: summary.height,
            last_block_hash: info.last_block_hash,
            consensus: info.consensus,
            peers: info.peers,
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_secs: core.started.elapsed().as_secs(),
            draining: core.draining.load(Ordering::Relaxed),
            config_sequence: summary.config_sequence,
            contracts: info.contracts,
        }))
    }

    async fn list_channels(
        &self,
        request: Request<ListChannelsRequest>,
    ) -> Result<Response<ListChannelsResponse>, Status> {
        self.check(&request)?;
        Ok(Response::new(ListChannelsResponse { channels: vec![summary(&self.core)] }))
    }

    async fn channel_info(
        &self,
        request: Request<ChannelInfoRequest>,
    ) -> Result<Response<ChannelInfoResponse>, Status> {
        self.check(&request)?;
        let asked = request.into_inner().channel_id;
        let served = self.core.chain.view().rules.channel_id.clone();
        if asked != served {
            return Err(Status::not_found(format!(
                "this node serves no channel {asked:?}; it serves: {served} (ListChannels lists them)"
            )));
        }
        Ok(Response::new(channel_info(&self.core).await))
    }

    async fn health(&self, request: Request<HealthRequest>) -> Result<Response<HealthResponse>, Status> {
        self.check(&request)?;
        let problems = health_problems(&self.core);
        Ok(Response::new(HealthResponse { serving: problems.is_empty(), problems }))
    }

    async fn set_log_level(
        &self,
        request: Request<SetLogLevelRequest>,
    ) -> Result<Response<SetLogLevelResponse>, Status> {
        self.check(&request)?;
        let filter = request.into_inner().filter;
        let previous = (self.core.log)(&filter).map_err(|e| {
            Status::invalid_argument(format!("log filter {filter:?}: {e}; e.g. \"info\" or \"info,weft_node=debug\""))
        })?;
        tracing::info!(%previous, now = %filter, "log level changed");
        Ok(Response::new(SetLogLevelResponse { previous }))
    }

    async fn snapshot(&self, request: Request<SnapshotRequest>) -> Result<Response<SnapshotResponse>, Status> {
        self.check(&request)?;
        let height = self.core.chain.height();
        let path =
            self.core.config.data_dir.join("snapshots").join(format!("{}-{height}.snap", self.core.config.channel));
        let header = self.core.chain.snapshot(path.clone()).await.map_err(|e| Status::internal(e.to_string()))?;
        tracing::info!(path = %path.display(), height = header.height, "snapshot written");
        Ok(Response::new(SnapshotResponse {
            path: path.display().to_string(),
            height: header.height,
            state_hash: header.state_hash,
        }))
    }

    async fn drain(&self, request: Request<DrainRequest>) -> Result<Response<DrainResponse>, Status> {
        self.check(&request)?;
        self.core.draining.store(true, Ordering::Relaxed);
        if let Some(o) = &self.core.ordering {
            o.drain().await;
        }
        tracing::info!("draining: new transactions refused, pending ones ordered");
        Ok(Response::new(DrainResponse {}))
    }

    async fn shutdown(&self, request: Request<ShutdownRequest>) -> Result<Response<ShutdownResponse>, Status> {
        self.check(&request)?;
        tracing::info!("shutdown requested through Admin");
        self.core.request_shutdown();
        Ok(Response::new(ShutdownResponse {}))
    }
}
