//! The node's gRPC services over TLS: Gateway, Endorser (peer to peer),
//! Orderer, Deliver and Admin.

mod admin;
mod auth;
pub(crate) mod broadcast;
mod deliver;
mod endorser;
mod errors;
mod gateway;
mod inflight;
mod tls;

use std::sync::Arc;

use anyhow::Context;
use tonic::transport::Server;
use weft_proto::admin_server::AdminServer;
use weft_proto::deliver_server::DeliverServer;
use weft_proto::endorser_server::EndorserServer;
use weft_proto::gateway_server::GatewayServer;
use weft_proto::orderer_server::OrdererServer;
use weft_proto::MAX_MESSAGE_BYTES;

pub use admin::health_problems;

use crate::run::NodeCore;

pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Serves every service on `listener` until
/// `shutdown` resolves.
pub async fn serve(
    core: Arc<NodeCore>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // A client certificate of one of the orgs of the node's channels is
    // required at the TLS layer (unless `anonymous_clients`): a stranger is
    // refused at the handshake, before the node reads a byte of a request.
    // Requests are signed besides; Admin insists on an admin certificate
    // itself.
    let tls = tls::server_config(&core)?;

    let gateway = Arc::new(gateway::GatewayService::new(core.clone()));
    let budget = inflight::Budget::new(inflight::Limits::for_memory_mb(core.config.resources.memory_mb));
    let mut builder = Server::builder().layer(inflight::Layer(budget));
    let router = builder
        .add_service(
            GatewayServer::from_arc(gateway.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            DeliverServer::new(deliver::DeliverService { core: core.clone() })
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(AdminServer::new(admin::AdminService { core: core.clone() }))
        // Both always: a channel joined later may make this node a peer or
        // an orderer; each refuses requests for channels where it is not.
        .add_service(
            EndorserServer::new(endorser::EndorserService { gateway })
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            OrdererServer::new(broadcast::OrdererService { core: core.clone() })
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        );
    let incoming = tls::incoming(listener, tls);
    router.serve_with_incoming_shutdown(incoming, shutdown).await.context("gRPC server")
}
