//! The Orderer service's intake (and the gateway's shortcut to it on a node
//! that orders): an envelope is accepted for ordering only if it decodes,
//! is for this channel, and is signed by a valid member whom the channel's
//! Writers policy admits.

use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status};
use weft_consensus::RejectReason;
use weft_identity::Signature;
use weft_proto::orderer_server::Orderer;
use weft_proto::{BroadcastResponse, ChannelHeader, Envelope, Payload, TxId};

use super::auth::{identity_status, served, wrong_channel};
use super::now_unix;
use crate::run::chain::Chain;
use crate::run::ordering::{Ordering, SubmitError};
use crate::run::served::ServedChannel;
use crate::run::NodeCore;
use crate::Acl;

/// The envelope's channel header.
fn header_of(envelope: &Envelope) -> Result<ChannelHeader, Status> {
    let payload = Payload::decode(envelope.payload.as_slice())
        .map_err(|e| Status::invalid_argument(format!("transaction payload does not decode: {e}")))?;
    payload.header.ok_or_else(|| Status::invalid_argument("transaction has no channel header"))
}

/// Checks an envelope before ordering — from a client, or forwarded by
/// another orderer (which is no more trusted to check than a client);
/// returns its tx id.
pub fn check_envelope(chain: &Chain, envelope: &Envelope) -> Result<TxId, Status> {
    check_header(chain, &header_of(envelope)?, envelope)
}

/// [`check_envelope`] for the channel the envelope names, if this node
/// serves it: the channel and the tx id.
pub fn route_envelope(core: &NodeCore, envelope: &Envelope) -> Result<(Arc<ServedChannel>, TxId), Status> {
    let header = header_of(envelope)?;
    let channel = served(core, &header.channel_id)?;
    let tx_id = check_header(&channel.chain, &header, envelope)?;
    Ok((channel, tx_id))
}

fn check_header(chain: &Chain, header: &ChannelHeader, envelope: &Envelope) -> Result<TxId, Status> {
    let view = chain.view();
    if header.channel_id != view.rules.channel_id {
        return Err(wrong_channel(&view.rules.channel_id, &header.channel_id));
    }
    let creator = header.creator.as_ref().ok_or_else(|| Status::invalid_argument("transaction names no creator"))?;
    let identity = view.rules.membership.validate(creator, now_unix()).map_err(|e| identity_status(&e))?;
    let signature = Signature::from_bytes(&envelope.signature)
        .map_err(|_| Status::unauthenticated("envelope signature is not a 64-byte Ed25519 signature"))?;
    identity
        .public_key
        .verify(&envelope.payload, &signature)
        .map_err(|_| Status::unauthenticated("envelope signature does not verify against the creator's certificate"))?;
    view.rules
        .access(Acl::Writers)
        .admit(&identity, &view.rules.orgs)
        .map_err(|e| Status::permission_denied(e.to_string()))?;
    TxId::from_slice(&header.tx_id).ok_or_else(|| Status::invalid_argument("tx id is not 32 bytes"))
}

/// Hands an envelope to the local ordering engine.
pub async fn order(ordering: &Ordering, envelope: Vec<u8>) -> Result<(), Status> {
    ordering.submit(envelope).await.map_err(|e| match &e {
        SubmitError::Rejected(RejectReason::TooLarge { .. }) => Status::resource_exhausted(e.to_string()),
        SubmitError::Rejected(_) | SubmitError::Stopped => Status::unavailable(e.to_string()),
    })
}

pub struct OrdererService {
    pub core: Arc<NodeCore>,
}

#[tonic::async_trait]
impl Orderer for OrdererService {
    async fn broadcast(&self, request: Request<Envelope>) -> Result<Response<BroadcastResponse>, Status> {
        if self.core.draining.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Status::unavailable("this orderer is draining; send to another orderer"));
        }
        let envelope = request.into_inner();
        let (channel, _) = route_envelope(&self.core, &envelope)?;
        let ordering = channel
            .ordering
            .as_ref()
            .ok_or_else(|| Status::failed_precondition(format!("this node does not order channel {}", channel.id)))?;
        order(ordering, envelope.encode_to_vec()).await?;
        Ok(Response::new(BroadcastResponse {}))
    }
}
