//! The Gateway client, after Fabric's: evaluate a query, submit a
//! transaction and wait for its commit (or not), follow contract and block
//! events. Calls are spread round-robin over the given peers (normally the
//! peers of the client's own org); a peer that is unreachable is skipped and
//! the call retried on the next one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use prost::Message;
use tokio_stream::{Stream, StreamExt};
use tonic::transport::Channel;
use tonic::{Code, Status};
use weft_proto::deliver_client::DeliverClient;
use weft_proto::gateway_client::GatewayClient;
use weft_proto::{
    Block, BlockEventsResponse, ChaincodeEventsRequest, ChaincodeEventsResponse, CommitStatusRequest, DeliverRequest,
    EndorseRequest, Envelope, EvaluateRequest, SignedChaincodeEventsRequest, SignedCommitStatusRequest,
    SignedDeliverRequest, SubmitRequest, TxId, TxValidationCode,
};

use crate::connect::{channel, ConnectError, TrustRoots, MAX_MESSAGE_BYTES};
use crate::signed::sign_request;
use crate::{propose, ClientIdentity, NewProposal};

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("no peers given: pass at least one peer address")]
    NoPeers,
    #[error("{operation} failed on {peer}: {message} ({code:?})")]
    Call { operation: &'static str, peer: String, code: Code, message: String },
    #[error("transaction {tx_id} was committed in block {block} as {code:?}, not VALID")]
    NotValid { tx_id: String, block: u64, code: TxValidationCode },
    #[error("transaction {tx_id} not committed within {secs} s; it may still commit: ask again with commit_status")]
    CommitTimeout { tx_id: String, secs: u64 },
    #[error("malformed response from {peer}: {message}")]
    Malformed { peer: String, message: String },
}

impl GatewayError {
    /// The gRPC status code of a failed call, if it was one.
    pub fn code(&self) -> Option<Code> {
        match self {
            GatewayError::Call { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// A proposal to evaluate or submit.
#[derive(Debug, Clone, Default)]
pub struct Call {
    pub contract: String,
    pub function: String,
    pub args: Vec<Vec<u8>>,
    pub transient: std::collections::BTreeMap<String, Vec<u8>>,
    /// Orgs that must endorse; empty lets the gateway peer ask every org.
    pub endorsing_orgs: Vec<String>,
}

impl Call {
    pub fn new(contract: &str, function: &str, args: &[&[u8]]) -> Call {
        Call {
            contract: contract.into(),
            function: function.into(),
            args: args.iter().map(|a| a.to_vec()).collect(),
            ..Call::default()
        }
    }
}

/// A transaction the ordering service accepted; its commit is still ahead.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub tx_id: TxId,
    /// What the contract returned during endorsement.
    pub result: Vec<u8>,
}

/// An endorsed transaction, signed by the client, not yet ordered.
#[derive(Debug, Clone)]
pub struct Endorsed {
    pub tx_id: TxId,
    pub result: Vec<u8>,
    /// The signed envelope.
    pub envelope: Vec<u8>,
}

/// Where and how a transaction was committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    pub tx_id: TxId,
    pub block: u64,
    pub code: TxValidationCode,
}

struct Peer {
    address: String,
    channel: Channel,
}

#[derive(Clone)]
pub struct Gateway {
    client: Arc<ClientIdentity>,
    channel_id: String,
    peers: Arc<Vec<Peer>>,
    next: Arc<AtomicUsize>,
    commit_timeout: std::time::Duration,
}

fn retryable(status: &Status) -> bool {
    let unreachable = matches!(status.code(), Code::Unavailable | Code::Unknown | Code::Cancelled)
        && !status.message().contains("contract");
    // A peer of the org that has not joined the channel (yet): another may
    // serve it.
    let not_serving = status.code() == Code::NotFound && status.message().contains("serves no channel");
    unreachable || not_serving
}

impl Gateway {
    pub fn connect(
        client: ClientIdentity,
        channel_id: &str,
        peer_addresses: &[String],
        roots: &TrustRoots,
    ) -> Result<Gateway, GatewayError> {
        if peer_addresses.is_empty() {
            return Err(GatewayError::NoPeers);
        }
        let peers = peer_addresses
            .iter()
            .map(|a| Ok(Peer { address: a.clone(), channel: channel(a, roots, &client)? }))
            .collect::<Result<Vec<_>, ConnectError>>()?;
        Ok(Gateway {
            client: Arc::new(client),
            channel_id: channel_id.into(),
            peers: Arc::new(peers),
            next: Arc::new(AtomicUsize::new(0)),
            commit_timeout: std::time::Duration::from_secs(60),
        })
    }

    /// How long [`Gateway::commit_status`] (and so `submit`) waits for a
    /// commit; 60 s by default.
    pub fn with_commit_timeout(mut self, timeout: std::time::Duration) -> Gateway {
        self.commit_timeout = timeout;
        self
    }

    pub fn client(&self) -> &ClientIdentity {
        &self.client
    }

    pub fn channel_id(&self) -> &str {
        &self.channel_id
    }

    /// Runs `call` on peers in round-robin order, moving on while a peer is
    /// unreachable or does not serve the channel; returns the first answer
    /// or the last failure.
    async fn on_peers<T, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, GatewayError>
    where
        F: Fn(GatewayClient<Channel>) -> Fut,
        Fut: std::future::Future<Output = Result<T, Status>>,
    {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut last = None;
        for i in 0..self.peers.len() {
            let peer = &self.peers[(start + i) % self.peers.len()];
            let client = GatewayClient::new(peer.channel.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES);
            match call(client).await {
                Ok(v) => return Ok(v),
                Err(status) => {
                    let error = GatewayError::Call {
                        operation,
                        peer: peer.address.clone(),
                        code: status.code(),
                        message: status.message().to_string(),
                    };
                    if !retryable(&status) {
                        return Err(error);
                    }
                    tracing::debug!(peer = %peer.address, %error, "peer unavailable, trying the next");
                    last = Some(error);
                }
            }
        }
        Err(last.expect("at least one peer"))
    }

    /// A signed proposal for `call`, to send later with
    /// [`Gateway::endorse_proposal`] or [`Gateway::evaluate_proposal`]
    /// (load generators sign ahead so signing does not pace the load).
    pub fn proposal(&self, call: &Call) -> crate::ProposalToSign {
        let request = NewProposal {
            channel: self.channel_id.clone(),
            contract: call.contract.clone(),
            function: call.function.clone(),
            args: call.args.clone(),
            transient: call.transient.clone(),
            timestamp_unix_ms: now_ms(),
        };
        propose(&self.client, &request)
    }

    /// Runs a query on one peer; nothing is ordered.
    pub async fn evaluate(&self, call: &Call) -> Result<Vec<u8>, GatewayError> {
        self.evaluate_proposal(&self.proposal(call)).await
    }

    /// [`Gateway::evaluate`] with a proposal signed beforehand.
    pub async fn evaluate_proposal(&self, proposal: &crate::ProposalToSign) -> Result<Vec<u8>, GatewayError> {
        let request = EvaluateRequest { proposed_transaction: Some(proposal.signed.clone()) };
        let response = self
            .on_peers("evaluate", |mut c| {
                let request = request.clone();
                async move { c.evaluate(request).await }
            })
            .await?;
        Ok(response.into_inner().result.map(|r| r.payload).unwrap_or_default())
    }

    /// Endorses a transaction without sending it: Fabric's
    /// `proposal.endorse()`. Send it with [`Gateway::submit_endorsed`].
    pub async fn endorse(&self, call: &Call) -> Result<Endorsed, GatewayError> {
        self.endorse_proposal(&self.proposal(call), &call.endorsing_orgs).await
    }

    /// [`Gateway::endorse`] with a proposal signed beforehand.
    pub async fn endorse_proposal(
        &self,
        proposal: &crate::ProposalToSign,
        endorsing_orgs: &[String],
    ) -> Result<Endorsed, GatewayError> {
        let request = EndorseRequest {
            proposed_transaction: Some(proposal.signed.clone()),
            endorsing_orgs: endorsing_orgs.to_vec(),
        };
        let endorsed = self
            .on_peers("endorse", |mut c| {
                let request = request.clone();
                async move { c.endorse(request).await }
            })
            .await?
            .into_inner();
        let envelope = crate::tx::sign_payload(&self.client, endorsed.prepared_payload);
        Ok(Endorsed { tx_id: proposal.tx_id, result: endorsed.result.map(|r| r.payload).unwrap_or_default(), envelope })
    }

    /// Sends an endorsed transaction to ordering; returns once the orderer
    /// accepted it.
    pub async fn submit_endorsed(&self, endorsed: &Endorsed) -> Result<Submitted, GatewayError> {
        self.submit_envelope(&endorsed.tx_id, &endorsed.envelope).await?;
        Ok(Submitted { tx_id: endorsed.tx_id, result: endorsed.result.clone() })
    }

    /// Endorses and sends the transaction to ordering; returns once the
    /// orderer accepted it. Wait for the commit with [`Gateway::commit_status`].
    pub async fn submit_async(&self, call: &Call) -> Result<Submitted, GatewayError> {
        let endorsed = self.endorse(call).await?;
        self.submit_endorsed(&endorsed).await
    }

    /// Sends an already signed envelope (e.g. a configuration update) to
    /// ordering.
    pub async fn submit_envelope(&self, tx_id: &TxId, envelope: &[u8]) -> Result<(), GatewayError> {
        let envelope = Envelope::decode(envelope)
            .map_err(|e| GatewayError::Malformed { peer: "local".into(), message: format!("envelope: {e}") })?;
        let submit = SubmitRequest {
            channel_id: self.channel_id.clone(),
            tx_id: tx_id.0.to_vec(),
            prepared_transaction: Some(envelope),
        };
        self.on_peers("submit", |mut c| {
            let submit = submit.clone();
            async move { c.submit(submit).await }
        })
        .await?;
        Ok(())
    }

    /// Endorses, orders and waits for the commit; fails unless the
    /// transaction was committed VALID.
    pub async fn submit(&self, call: &Call) -> Result<(Submitted, CommitStatus), GatewayError> {
        let submitted = self.submit_async(call).await?;
        let status = self.commit_status(&submitted.tx_id).await?;
        if status.code != TxValidationCode::Valid {
            return Err(GatewayError::NotValid {
                tx_id: submitted.tx_id.to_string(),
                block: status.block,
                code: status.code,
            });
        }
        Ok((submitted, status))
    }

    /// Waits until `tx_id` is committed and returns its validation code.
    pub async fn commit_status(&self, tx_id: &TxId) -> Result<CommitStatus, GatewayError> {
        let (request, signature) = sign_request(
            &self.client,
            &CommitStatusRequest {
                channel_id: self.channel_id.clone(),
                tx_id: tx_id.0.to_vec(),
                identity: Some(self.client.identity.clone()),
            },
        );
        let signed = SignedCommitStatusRequest { request, signature };
        let wait = self.on_peers("commit status", |mut c| {
            let signed = signed.clone();
            async move { c.commit_status(signed).await }
        });
        let response = tokio::time::timeout(self.commit_timeout, wait)
            .await
            .map_err(|_| GatewayError::CommitTimeout {
                tx_id: tx_id.to_string(),
                secs: self.commit_timeout.as_secs(),
            })??
            .into_inner();
        Ok(CommitStatus {
            tx_id: *tx_id,
            block: response.block_number,
            code: TxValidationCode::try_from(response.result).unwrap_or(TxValidationCode::NotValidated),
        })
    }

    /// Events of `contract`'s VALID transactions, from `start_block` (or the
    /// next block) on, one item per block that has any.
    pub async fn contract_events(
        &self,
        contract: &str,
        start_block: Option<u64>,
    ) -> Result<impl Stream<Item = Result<ChaincodeEventsResponse, GatewayError>>, GatewayError> {
        let (request, signature) = sign_request(
            &self.client,
            &ChaincodeEventsRequest {
                channel_id: self.channel_id.clone(),
                contract: contract.into(),
                identity: Some(self.client.identity.clone()),
                start_block,
            },
        );
        let signed = SignedChaincodeEventsRequest { request, signature };
        let stream = self
            .on_peers("contract events", |mut c| {
                let signed = signed.clone();
                async move { c.chaincode_events(signed).await }
            })
            .await?
            .into_inner();
        Ok(stream.map(|r| r.map_err(|s| stream_error("contract events", s))))
    }

    fn deliver_request(&self, start_block: Option<u64>, stop_block: Option<u64>) -> SignedDeliverRequest {
        let (request, signature) = sign_request(
            &self.client,
            &DeliverRequest {
                channel_id: self.channel_id.clone(),
                identity: Some(self.client.identity.clone()),
                start_block,
                stop_block,
            },
        );
        SignedDeliverRequest { request, signature }
    }

    /// A summary (tx ids and validation codes) of each block as it commits.
    pub async fn block_events(
        &self,
        start_block: Option<u64>,
    ) -> Result<impl Stream<Item = Result<BlockEventsResponse, GatewayError>>, GatewayError> {
        let signed = self.deliver_request(start_block, None);
        let stream = self
            .on_peers("block events", |mut c| {
                let signed = signed.clone();
                async move { c.block_events(signed).await }
            })
            .await?
            .into_inner();
        Ok(stream.map(|r| r.map_err(|s| stream_error("block events", s))))
    }

    /// Full blocks from `start_block` to `stop_block` (inclusive), or on
    /// for ever without a stop.
    pub async fn blocks(
        &self,
        start_block: Option<u64>,
        stop_block: Option<u64>,
    ) -> Result<impl Stream<Item = Result<Block, GatewayError>>, GatewayError> {
        let signed = self.deliver_request(start_block, stop_block);
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut opened = None;
        for i in 0..self.peers.len() {
            let peer = &self.peers[(start + i) % self.peers.len()];
            let mut client = DeliverClient::new(peer.channel.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES);
            match client.blocks(signed.clone()).await {
                Ok(stream) => {
                    opened = Some(Ok((stream.into_inner(), peer.address.clone())));
                    break;
                }
                Err(s) => {
                    let error = GatewayError::Call {
                        operation: "deliver",
                        peer: peer.address.clone(),
                        code: s.code(),
                        message: s.message().into(),
                    };
                    let retry = retryable(&s);
                    opened = Some(Err(error));
                    if !retry {
                        break;
                    }
                }
            }
        }
        let (stream, address) = opened.expect("at least one peer")?;
        Ok(stream.map(move |r| match r {
            Ok(d) => {
                d.block.ok_or_else(|| GatewayError::Malformed { peer: address.clone(), message: "no block".into() })
            }
            Err(s) => Err(stream_error("deliver", s)),
        }))
    }
}

fn stream_error(operation: &'static str, s: Status) -> GatewayError {
    GatewayError::Call { operation, peer: "stream".into(), code: s.code(), message: s.message().into() }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
