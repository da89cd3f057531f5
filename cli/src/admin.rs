//! Admin gRPC calls, made with the admin identity of the node's own org
//! (the only identity a node's Admin service serves).

use anyhow::{anyhow, Result};
use tonic::transport::Channel;
use weft_proto::admin_client::AdminClient;
use weft_proto::{StatusRequest, StatusResponse};
use weft_provision::ManifestNode;

use crate::profile::{identity_from, Loaded};

pub fn client(loaded: &Loaded, node: &ManifestNode) -> Result<AdminClient<Channel>> {
    let org = loaded
        .manifest
        .orgs
        .iter()
        .find(|o| o.id == node.org)
        .ok_or_else(|| anyhow!("node {} names org {} that the manifest lacks", node.id, node.org))?;
    let admin = identity_from(&org.id, &loaded.dir.join(&org.admin_certificate), &loaded.dir.join(&org.admin_key))?;
    Ok(AdminClient::new(weft_sdk::channel(&node.grpc, &loaded.roots, &admin)?))
}

pub async fn status(loaded: &Loaded, node: &ManifestNode) -> Result<StatusResponse> {
    let mut c = client(loaded, node)?;
    let r = tokio::time::timeout(std::time::Duration::from_secs(3), c.status(StatusRequest {}))
        .await
        .map_err(|_| anyhow!("{} did not answer within 3 s", node.grpc))?
        .map_err(|s| anyhow!("{}: {} ({:?})", node.grpc, s.message(), s.code()))?;
    Ok(r.into_inner())
}

pub fn find<'a>(loaded: &'a Loaded, id: &str) -> Result<&'a ManifestNode> {
    loaded.manifest.nodes.iter().find(|n| n.id == id).ok_or_else(|| {
        let ids: Vec<&str> = loaded.manifest.nodes.iter().map(|n| n.id.as_str()).collect();
        anyhow!("no node {id:?}; nodes: {}", ids.join(", "))
    })
}
