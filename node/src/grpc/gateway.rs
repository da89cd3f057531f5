//! Gateway: evaluate, endorse (here and at other orgs' peers), submit to
//! ordering, commit status and event streams.

use std::collections::BTreeSet;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use prost::Message;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use weft_proto::endorser_client::EndorserClient;
use weft_proto::gateway_server::Gateway;
use weft_proto::orderer_client::OrdererClient;
use weft_proto::{
    BlockEventsResponse, ChaincodeEventsRequest, ChaincodeEventsResponse, CommitStatusRequest, CommitStatusResponse,
    EndorseRequest, EndorseResponse, EvaluateRequest, EvaluateResponse, NodeRole, Proposal, ProposalResponse,
    SignedChaincodeEventsRequest, SignedCommitStatusRequest, SignedDeliverRequest, SignedProposal, SubmitRequest,
    SubmitResponse, TxId,
};

use super::auth::{served, verify_channel_request};
use super::broadcast::route_envelope;
use super::deliver::{block_events, chaincode_events, deliver_request};
use super::errors::endorse_status;
use super::now_unix;
use crate::run::remote::nodes_with;
use crate::run::served::ServedChannel;
use crate::run::NodeCore;
use crate::{Acl, EndorseContext, LedgerState};

pub struct GatewayService {
    pub core: Arc<NodeCore>,
    /// Contract executions (endorsements and evaluations) running at once:
    /// the rest wait their turn here instead of each taking one of tokio's
    /// up to 512 blocking threads.
    pub executions: Arc<tokio::sync::Semaphore>,
}

/// Twice the cores the node may use (a contract also waits on its state
/// reads), at least 4.
fn execution_slots(cpu: f64) -> usize {
    let host = std::thread::available_parallelism().map_or(1, |n| n.get());
    let allowed = if cpu.is_finite() && cpu > 0.0 { (cpu.ceil() as usize).min(host) } else { host };
    (allowed * 2).max(4)
}

type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

impl GatewayService {
    pub fn new(core: Arc<NodeCore>) -> GatewayService {
        let executions = execution_slots(core.config.resources.cpu);
        GatewayService { core, executions: Arc::new(tokio::sync::Semaphore::new(executions)) }
    }

    /// Endorses (or evaluates) on this peer for `channel` (the proposal's),
    /// on a blocking thread: contracts are CPU work.
    async fn local(
        &self,
        channel: Arc<ServedChannel>,
        signed: SignedProposal,
        evaluate: bool,
    ) -> Result<ProposalResponse, Status> {
        let endorser = channel.endorser.clone().ok_or_else(|| {
            Status::failed_precondition(format!(
                "this node is no peer of channel {}; send proposals to a peer",
                channel.id
            ))
        })?;
        let started = std::time::Instant::now();
        let turn = self.executions.clone().acquire_owned().await.map_err(|_| Status::unavailable("stopping"))?;
        let result = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let view = channel.chain.view();
            let ctx = EndorseContext {
                channel_id: &view.rules.channel_id,
                membership: &view.rules.membership,
                channel_orgs: &view.rules.orgs,
                lifecycle_policy: &view.rules.lifecycle,
                access: Some(view.rules.access(if evaluate { Acl::Readers } else { Acl::Writers })),
                now_unix: now_unix(),
                state: Arc::new(LedgerState(channel.chain.reader().clone())),
                directory: view.directory.clone(),
            };
            if evaluate {
                endorser.evaluate(&signed, &ctx).map(|r| ProposalResponse { response: Some(r), ..Default::default() })
            } else {
                endorser.endorse(&signed, &ctx)
            }
        })
        .await
        .map_err(|e| Status::internal(format!("endorsement task failed: {e}")))?;
        if !evaluate {
            self.core.metrics.endorse_duration.observe(started.elapsed().as_secs_f64());
        }
        result.map_err(|e| endorse_status(&e))
    }

    /// This peer's endorsement of a proposal for `channel`.
    pub async fn endorse_here(
        &self,
        channel: Arc<ServedChannel>,
        signed: SignedProposal,
    ) -> Result<ProposalResponse, Status> {
        self.local(channel, signed, false).await
    }

    /// Asks a peer of `org` to endorse, trying each of its peers in turn.
    /// A peer that does not answer within [`REMOTE_ENDORSE_TIMEOUT`] counts
    /// as unreachable.
    /// With `probe_silent`, a peer that recently did not answer gets
    /// [`PROBE_TIMEOUT`] instead of [`REMOTE_ENDORSE_TIMEOUT`], so a
    /// partitioned org costs each transaction a second, not ten, and is
    /// asked again as soon as it is back.
    async fn remote(
        &self,
        channel: &ServedChannel,
        org: &str,
        signed: &SignedProposal,
        probe_silent: bool,
    ) -> Result<ProposalResponse, Status> {
        let view = channel.chain.view();
        let peers: Vec<String> = nodes_with(&view.rules.config.nodes, NodeRole::Peer, &self.core.config.node_id)
            .filter(|n| n.org_id == org)
            .map(|n| n.grpc_address.clone())
            .collect();
        if peers.is_empty() {
            return Err(Status::invalid_argument(format!("org {org} has no peer on this channel to endorse")));
        }
        let remote = &self.core.remote;
        let mut last = None;
        for address in peers {
            let started = std::time::Instant::now();
            let connection = self.core.remote.channel(&address).map_err(|e| Status::internal(e.to_string()))?;
            let mut client = EndorserClient::new(connection)
                .max_decoding_message_size(weft_proto::MAX_MESSAGE_BYTES)
                .max_encoding_message_size(weft_proto::MAX_MESSAGE_BYTES);
            // The other peer must have seen every block this one has, or it
            // endorses against older state (e.g. a contract deployed in the
            // block this peer just committed).
            let mut request = tonic::Request::new(signed.clone());
            request.metadata_mut().insert(
                super::endorser::MIN_HEIGHT,
                channel.chain.height().to_string().parse().expect("digits are valid metadata"),
            );
            // A peer cut off by the network does not refuse, it is silent:
            // without a deadline one dead org would stall every endorsement.
            let deadline =
                if probe_silent && remote.held_down(&address) { PROBE_TIMEOUT } else { REMOTE_ENDORSE_TIMEOUT };
            let answer = tokio::time::timeout(deadline, client.process_proposal(request))
                .await
                .unwrap_or_else(|_| Err(Status::deadline_exceeded(format!("no answer within {deadline:?}"))));
            let answered = !matches!(&answer, Err(s) if unreachable_code(s.code()));
            remote.answered(&address, answered);
            if !answered {
                tracing::warn!(
                    org,
                    peer = %address,
                    ms = started.elapsed().as_millis() as u64,
                    "endorsing peer did not answer; it gets a short deadline for the next {} s",
                    crate::run::remote::HOLD_DOWN.as_secs()
                );
            }
            match answer {
                Ok(r) => return Ok(r.into_inner()),
                Err(s) if !answered => last = Some(s),
                Err(s) => {
                    return Err(Status::new(s.code(), format!("endorsement by {org} ({address}): {}", s.message())))
                }
            }
        }
        let s = last.expect("one peer tried");
        Err(Status::unavailable(format!("no peer of {org} reachable: {}", s.message())))
    }
}

/// How long another org's peer gets to endorse: generous for a contract
/// run plus catching up a block or two, short enough that a partitioned org
/// (skipped when the client did not name the orgs) does not stall the rest.
pub const REMOTE_ENDORSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The deadline for a peer that recently did not answer, when the gateway
/// may leave its org out.
pub const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The channel a proposal is for, if this node serves it.
pub fn channel_of_proposal(core: &NodeCore, proposal: &Proposal) -> Result<Arc<ServedChannel>, Status> {
    let header = proposal.header.as_ref().ok_or_else(|| Status::invalid_argument("proposal has no header"))?;
    served(core, &header.channel_id)
}

/// The signed proposal and what it proposes.
pub fn proposal_of(signed: Option<SignedProposal>) -> Result<(SignedProposal, Proposal), Status> {
    let signed = signed.ok_or_else(|| Status::invalid_argument("no proposed_transaction"))?;
    let proposal = Proposal::decode(signed.proposal_bytes.as_slice())
        .map_err(|e| Status::invalid_argument(format!("proposal does not decode: {e}")))?;
    Ok((signed, proposal))
}

#[tonic::async_trait]
impl Gateway for GatewayService {
    async fn evaluate(&self, request: Request<EvaluateRequest>) -> Result<Response<EvaluateResponse>, Status> {
        let (signed, proposal) = proposal_of(request.into_inner().proposed_transaction)?;
        let channel = channel_of_proposal(&self.core, &proposal)?;
        let response = self.local(channel, signed, true).await?;
        Ok(Response::new(EvaluateResponse { result: response.response }))
    }

    async fn endorse(&self, request: Request<EndorseRequest>) -> Result<Response<EndorseResponse>, Status> {
        let mut request = request.into_inner();
        let (signed, proposal) = proposal_of(request.proposed_transaction.take())?;
        let header = proposal.header.clone().ok_or_else(|| Status::invalid_argument("proposal has no header"))?;
        let channel = channel_of_proposal(&self.core, &proposal)?;
        let view = channel.chain.view();
        let my_org = self.core.config.org_id.clone();
        let orgs: BTreeSet<String> = if request.endorsing_orgs.is_empty() {
            view.rules
                .config
                .nodes
                .iter()
                .filter(|n| n.roles.contains(&(NodeRole::Peer as i32)))
                .map(|n| n.org_id.clone())
                .collect()
        } else {
            request.endorsing_orgs.iter().cloned().collect()
        };
        for org in &orgs {
            if !view.rules.orgs.contains(org) {
                return Err(Status::invalid_argument(format!("endorsing org {org:?} is not a member of the channel")));
            }
        }
        // This peer first: it also checks the proposal before others are asked.
        let mut responses = Vec::new();
        if orgs.contains(&my_org) {
            responses.push(self.local(channel.clone(), signed.clone(), false).await?);
        }
        // When the gateway picks the orgs (every peer org), one that cannot
        // be reached is left out rather than failing the call: the other
        // endorsements may still satisfy the policy, which the committer
        // judges. Orgs the client named must all endorse.
        let tolerate_unreachable = request.endorsing_orgs.is_empty();
        let others =
            orgs.iter().filter(|o| **o != my_org).map(|org| self.remote(&channel, org, &signed, tolerate_unreachable));
        let mut unreachable = None;
        for r in futures_util::future::join_all(others).await {
            match r {
                Ok(response) => responses.push(response),
                Err(s) if tolerate_unreachable && unreachable_code(s.code()) => {
                    tracing::debug!(error = %s.message(), "an endorsing org is unreachable; endorsing without it");
                    unreachable = Some(s);
                }
                Err(s) => return Err(s),
            }
        }
        if responses.is_empty() {
            return Err(unreachable.unwrap_or_else(|| Status::unavailable("no peer could endorse")));
        }
        let mut stripped = proposal.clone();
        stripped.transient.clear();
        let payload = weft_proto::prepare_payload(&header, &stripped.encode_to_vec(), &responses)
            .map_err(|e| Status::aborted(e.to_string()))?;
        let result = responses.first().and_then(|r| r.response.clone());
        Ok(Response::new(EndorseResponse { prepared_payload: payload, result, tx_id: header.tx_id }))
    }

    async fn submit(&self, request: Request<SubmitRequest>) -> Result<Response<SubmitResponse>, Status> {
        if self.core.draining.load(Ordering::Relaxed) {
            return Err(Status::unavailable("this node is draining; submit through another peer"));
        }
        let request = request.into_inner();
        let envelope =
            request.prepared_transaction.ok_or_else(|| Status::invalid_argument("no prepared_transaction"))?;
        let (channel, tx_id) = route_envelope(&self.core, &envelope)?;
        if tx_id.0.as_slice() != request.tx_id.as_slice() {
            return Err(Status::invalid_argument("tx_id does not match the transaction's header"));
        }
        if let Some(ordering) = &channel.ordering {
            super::broadcast::order(ordering, envelope.encode_to_vec()).await?;
            return Ok(Response::new(SubmitResponse {}));
        }
        let view = channel.chain.view();
        let mut last = Status::unavailable("the channel configuration names no orderer");
        for orderer in nodes_with(&view.rules.config.nodes, NodeRole::Orderer, &self.core.config.node_id) {
            let connection =
                self.core.remote.channel(&orderer.grpc_address).map_err(|e| Status::internal(e.to_string()))?;
            let mut client = OrdererClient::new(connection).max_encoding_message_size(weft_proto::MAX_MESSAGE_BYTES);
            match client.broadcast(envelope.clone()).await {
                Ok(_) => return Ok(Response::new(SubmitResponse {})),
                Err(s) if s.code() == tonic::Code::Unavailable => last = s,
                Err(s) => return Err(s),
            }
        }
        Err(last)
    }

    async fn commit_status(
        &self,
        request: Request<SignedCommitStatusRequest>,
    ) -> Result<Response<CommitStatusResponse>, Status> {
        let signed = request.into_inner();
        let (request, channel) = verify_channel_request::<CommitStatusRequest>(
            &self.core,
            &signed.request,
            &signed.signature,
            |r| r.identity.as_ref(),
            |r| &r.channel_id,
        )?;
        let tx_id =
            TxId::from_slice(&request.tx_id).ok_or_else(|| Status::invalid_argument("tx_id is not 32 bytes"))?;
        let mut height = channel.chain.watch_height();
        loop {
            height.borrow_and_update();
            let found = channel.chain.reader().tx_location(&tx_id).map_err(|e| Status::internal(e.to_string()))?;
            if let Some(location) = found {
                return Ok(Response::new(CommitStatusResponse {
                    result: location.code,
                    block_number: location.block_num,
                }));
            }
            if height.changed().await.is_err() {
                return Err(Status::unavailable("the node is shutting down"));
            }
        }
    }

    type ChaincodeEventsStream = EventStream<ChaincodeEventsResponse>;

    async fn chaincode_events(
        &self,
        request: Request<SignedChaincodeEventsRequest>,
    ) -> Result<Response<Self::ChaincodeEventsStream>, Status> {
        let signed = request.into_inner();
        let (request, channel) = verify_channel_request::<ChaincodeEventsRequest>(
            &self.core,
            &signed.request,
            &signed.signature,
            |r| r.identity.as_ref(),
            |r| &r.channel_id,
        )?;
        Ok(Response::new(Box::pin(chaincode_events(&self.core, &channel, request.contract, request.start_block))))
    }

    type BlockEventsStream = EventStream<BlockEventsResponse>;

    async fn block_events(
        &self,
        request: Request<SignedDeliverRequest>,
    ) -> Result<Response<Self::BlockEventsStream>, Status> {
        let (request, channel) = deliver_request(&self.core, request.get_ref())?;
        Ok(Response::new(Box::pin(block_events(&self.core, &channel, request.start_block, request.stop_block))))
    }
}

/// Codes that mean "that peer is not there" rather than "it said no".
fn unreachable_code(code: tonic::Code) -> bool {
    matches!(code, tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown)
}
