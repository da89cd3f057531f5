//! Endorser: what other orgs' gateways call to get this peer's endorsement.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use weft_proto::endorser_server::Endorser;
use weft_proto::{ProposalResponse, SignedProposal};

use super::gateway::GatewayService;

pub struct EndorserService {
    pub gateway: Arc<GatewayService>,
}

#[tonic::async_trait]
impl Endorser for EndorserService {
    async fn process_proposal(&self, request: Request<SignedProposal>) -> Result<Response<ProposalResponse>, Status> {
        let response = self.gateway.endorse_here(request.into_inner()).await?;
        Ok(Response::new(response))
    }
}
