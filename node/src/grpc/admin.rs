//! Admin: status, channel participation (join, list, info, leave), health,
//! log level, snapshot, drain, shutdown — for the node org's admins only
//! (by TLS client certificate).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tonic::{Request, Response, Status};
use weft_proto::admin_server::Admin;
use weft_proto::{
    Block, ChannelInfoRequest, ChannelInfoResponse, ChannelSummary, ConsensusStatus, ConsensusType, DeployedContract,
    DrainRequest, DrainResponse, HealthRequest, HealthResponse, JoinChannelRequest, JoinChannelResponse,
    LeaveChannelRequest, LeaveChannelResponse, ListChannelsRequest, ListChannelsResponse, PeerStatus,
    SetLogLevelRequest, SetLogLevelResponse, ShutdownRequest, ShutdownResponse, SnapshotRequest, SnapshotResponse,
    StatusRequest, StatusResponse,
};

use prost::Message;
use weft_provision::NodeRoleName;

use super::auth::{require_admin, served_for_admin as served};
use super::now_unix;
use crate::run::served::ServedChannel;
use crate::run::{JoinError, LeaveError, NodeCore};

pub struct AdminService {
    pub core: Arc<NodeCore>,
}

impl AdminService {
    fn check<T>(&self, request: &Request<T>) -> Result<(), Status> {
        require_admin(request, &self.core.config.org_id, &self.core.admin_memberships(), now_unix())
    }
}

/// The channel Status reports: node.toml's if it is served, else the
/// first one.
fn primary(core: &NodeCore) -> Option<Arc<ServedChannel>> {
    core.config.channel.as_deref().and_then(|c| core.channel(c)).or_else(|| core.channels().into_iter().next())
}

fn parse_roles(names: &[String]) -> Result<Vec<NodeRoleName>, Status> {
    names
        .iter()
        .map(|n| {
            let name = n.trim().to_ascii_lowercase();
            NodeRoleName::parse(&name)
                .ok_or_else(|| Status::invalid_argument(format!("role {name:?}: use \"peer\" or \"orderer\"")))
        })
        .collect()
}

/// A channel in a line: height, the roles this node serves it in,
/// consensus type, configuration sequence.
fn summary(channel: &ServedChannel) -> ChannelSummary {
    let view = channel.chain.view();
    let config = &view.rules.config;
    let roles = channel.roles.iter().map(|r| r.name().to_string()).collect();
    let consensus_type = match config.consensus.map(|c| ConsensusType::try_from(c.r#type)) {
        Some(Ok(ConsensusType::Raft)) => "raft",
        Some(Ok(ConsensusType::Pbft)) => "pbft",
        _ => "solo",
    };
    ChannelSummary {
        channel_id: view.rules.channel_id.clone(),
        height: channel.chain.height(),
        roles,
        consensus_type: consensus_type.into(),
        config_sequence: view.rules.config_sequence,
    }
}

/// The channel as this node sees it: what Status and ChannelInfo say of it.
async fn channel_info(core: &NodeCore, channel: &ServedChannel) -> ChannelInfoResponse {
    let view = channel.chain.view();
    let consensus = match &channel.ordering {
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
    let contacts = channel.p2p.as_ref().map(|p| p.contacts()).unwrap_or_default();
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
    let last_block_hash = channel
        .chain
        .reader()
        .block(channel.chain.height().saturating_sub(1))
        .ok()
        .flatten()
        .and_then(|b| b.header)
        .map(|h| weft_proto::block_hash(&h).to_vec())
        .unwrap_or_default();
    ChannelInfoResponse {
        summary: Some(summary(channel)),
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
    } else {
        for channel in core.channels().iter().filter(|c| c.ordering.as_ref().is_some_and(|o| o.stopped())) {
            problems.push(format!(
                "channel {}: ordering stopped: this orderer no longer orders it (its log says why); restart the node",
                channel.id
            ));
        }
    }
    problems
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn status(&self, request: Request<StatusRequest>) -> Result<Response<StatusResponse>, Status> {
        self.check(&request)?;
        let core = &self.core;
        let info = match primary(core) {
            Some(channel) => channel_info(core, &channel).await,
            None => ChannelInfoResponse::default(),
        };
        let summary = info.summary.unwrap_or_default();
        Ok(Response::new(StatusResponse {
            node_id: core.config.node_id.clone(),
            org_id: core.config.org_id.clone(),
            roles: summary.roles,
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
        Ok(Response::new(ListChannelsResponse { channels: self.core.channels().iter().map(|c| summary(c)).collect() }))
    }

    async fn channel_info(
        &self,
        request: Request<ChannelInfoRequest>,
    ) -> Result<Response<ChannelInfoResponse>, Status> {
        self.check(&request)?;
        let asked = request.into_inner().channel_id;
        let channel = served(&self.core, &asked)?;
        Ok(Response::new(channel_info(&self.core, &channel).await))
    }

    async fn join_channel(
        &self,
        request: Request<JoinChannelRequest>,
    ) -> Result<Response<JoinChannelResponse>, Status> {
        self.check(&request)?;
        let request = request.into_inner();
        let block = Block::decode(request.block.as_slice()).map_err(|e| {
            Status::invalid_argument(format!("block does not decode: {e}; send the channel's genesis block file"))
        })?;
        let roles = parse_roles(&request.roles)?;
        let channel = self.core.join(block, roles, request.from_snapshot).await.map_err(|e| match &e {
            JoinError::AlreadyJoined(_) => Status::already_exists(e.to_string()),
            JoinError::BadRequest(_) | JoinError::BadBlock(_) => Status::invalid_argument(e.to_string()),
            JoinError::Failed { .. } => Status::failed_precondition(e.to_string()),
        })?;
        Ok(Response::new(JoinChannelResponse { channel: Some(summary(&channel)) }))
    }

    async fn leave_channel(
        &self,
        request: Request<LeaveChannelRequest>,
    ) -> Result<Response<LeaveChannelResponse>, Status> {
        self.check(&request)?;
        let request = request.into_inner();
        self.core.leave(&request.channel_id, request.remove_data).await.map_err(|e| match &e {
            LeaveError::NotServed { .. } => Status::not_found(e.to_string()),
            LeaveError::Failed { .. } => Status::internal(e.to_string()),
        })?;
        Ok(Response::new(LeaveChannelResponse {}))
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
        let asked = request.into_inner().channel_id;
        let channels = self.core.channels();
        let channel = match (asked.is_empty(), channels.as_slice()) {
            (false, _) => served(&self.core, &asked)?,
            (true, [only]) => only.clone(),
            (true, _) => {
                return Err(Status::invalid_argument(format!(
                    "name the channel to snapshot; this node serves: {}",
                    self.core.served_names()
                )))
            }
        };
        let height = channel.chain.height();
        let path = self.core.config.data_dir.join("snapshots").join(format!("{}-{height}.snap", channel.id));
        let header = channel.chain.snapshot(path.clone()).await.map_err(|e| Status::internal(e.to_string()))?;
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
        for channel in self.core.channels() {
            if let Some(o) = &channel.ordering {
                o.drain().await;
            }
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
