//! Endorser: what other orgs' gateways call to get this peer's endorsement.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use weft_proto::endorser_server::Endorser;
use weft_proto::{ProposalResponse, SignedProposal};

use super::gateway::{channel_of_proposal, proposal_of, GatewayService};

/// Request metadata: the asking gateway's ledger height, which this peer
/// waits to reach (briefly) before endorsing.
pub const MIN_HEIGHT: &str = "weft-min-height";

const CATCH_UP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

pub struct EndorserService {
    pub gateway: Arc<GatewayService>,
}

#[tonic::async_trait]
impl Endorser for EndorserService {
    async fn process_proposal(&self, request: Request<SignedProposal>) -> Result<Response<ProposalResponse>, Status> {
        let wanted: Option<u64> =
            request.metadata().get(MIN_HEIGHT).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let (signed, proposal) = proposal_of(Some(request.into_inner()))?;
        let channel = channel_of_proposal(&self.gateway.core, &proposal)?;
        if let Some(wanted) = wanted {
            let mut height = channel.chain.watch_height();
            let reached = tokio::time::timeout(CATCH_UP_WAIT, height.wait_for(|h| *h >= wanted)).await;
            if !matches!(reached, Ok(Ok(_))) {
                return Err(Status::unavailable(format!(
                    "this peer is at height {} and the gateway at {wanted}; it is catching up, retry shortly",
                    channel.chain.height()
                )));
            }
        }
        let response = self.gateway.endorse_here(channel, signed).await?;
        Ok(Response::new(response))
    }
}
