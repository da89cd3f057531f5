//! The BaaS's only way into a running node: its Admin gRPC service, called
//! with the admin identity of the node's org, which the BaaS holds in the
//! chain's network directory.

use std::path::Path;
use std::time::Duration;

use tonic::transport::Channel;
use weft_identity::SigningKeyPair;
use weft_proto::admin_client::AdminClient;
use weft_proto::{HealthRequest, SerializedIdentity, StatusRequest, StatusResponse};
use weft_provision::{read_cert_pem, Manifest, ManifestNode};
use weft_sdk::{ClientIdentity, TrustRoots};

/// An unanswered admin call is a node that is not up.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

pub struct ChainAdmin {
    dir: std::path::PathBuf,
    manifest: Manifest,
    roots: TrustRoots,
}

impl ChainAdmin {
    pub fn open(dir: &Path) -> Result<ChainAdmin, String> {
        let manifest = Manifest::load(dir).map_err(|e| e.to_string())?;
        let mut pems = Vec::new();
        for org in &manifest.orgs {
            let path = dir.join(&org.ca_certificate);
            pems.push(std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?);
        }
        Ok(ChainAdmin { dir: dir.to_path_buf(), roots: TrustRoots::from_pems(&pems), manifest })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// `org`'s admin identity.
    pub fn admin(&self, org: &str) -> Result<ClientIdentity, String> {
        let o = self.manifest.orgs.iter().find(|o| o.id == org).ok_or_else(|| format!("no org {org}"))?;
        let cert = read_cert_pem(&self.dir.join(&o.admin_certificate)).map_err(|e| e.to_string())?;
        let key_path = self.dir.join(&o.admin_key);
        let pem = std::fs::read_to_string(&key_path).map_err(|e| format!("reading {}: {e}", key_path.display()))?;
        let key = SigningKeyPair::from_pkcs8_pem(&pem).map_err(|e| format!("{}: {e}", key_path.display()))?;
        Ok(ClientIdentity { identity: SerializedIdentity { org_id: org.into(), certificate_der: cert }, key })
    }

    fn client(&self, node: &ManifestNode) -> Result<AdminClient<Channel>, String> {
        let admin = self.admin(&node.org)?;
        Ok(AdminClient::new(weft_sdk::channel(&node.grpc, &self.roots, &admin).map_err(|e| e.to_string())?))
    }

    pub async fn status(&self, node: &ManifestNode) -> Result<StatusResponse, String> {
        let mut c = self.client(node)?;
        match tokio::time::timeout(CALL_TIMEOUT, c.status(StatusRequest {})).await {
            Err(_) => Err(format!("{} did not answer within {} s", node.grpc, CALL_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(format!("{}: {}", node.grpc, s.message())),
            Ok(Ok(r)) => Ok(r.into_inner()),
        }
    }

    /// Ok when the node serves; otherwise why not (its own problems, or
    /// that it does not answer).
    pub async fn health(&self, node: &ManifestNode) -> Result<(), String> {
        let mut c = self.client(node)?;
        match tokio::time::timeout(CALL_TIMEOUT, c.health(HealthRequest {})).await {
            Err(_) => Err(format!("{} did not answer within {} s", node.grpc, CALL_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(format!("{}: {}", node.grpc, s.message())),
            Ok(Ok(r)) if r.get_ref().serving => Ok(()),
            Ok(Ok(r)) => Err(r.into_inner().problems.join("; ")),
        }
    }
}
