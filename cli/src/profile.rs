//! Who the CLI is and which nodes it talks to, read from a network
//! directory (`--network`, or WEFT_NETWORK): the org's peers, every org's
//! CA certificate as trust roots, and the org's client or admin identity.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use clap::{Args, ValueEnum};
use weft_identity::SigningKeyPair;
use weft_proto::SerializedIdentity;
use weft_provision::{read_cert_pem, Manifest, ManifestOrg, NodeRoleName};
use weft_sdk::{ClientIdentity, Gateway, TrustRoots};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum As {
    Client,
    Admin,
}

#[derive(Args, Clone, Debug)]
pub struct Profile {
    /// Network directory made by `weft network init`.
    #[arg(long, env = "WEFT_NETWORK", default_value = ".")]
    pub network: PathBuf,
    /// Org to act for (default: the first org).
    #[arg(long, env = "WEFT_ORG")]
    pub org: Option<String>,
    /// Which of the org's identities to use.
    #[arg(long = "as", value_enum, default_value_t = As::Client, env = "WEFT_AS")]
    pub as_: As,
    /// Use this certificate (PEM) instead, e.g. one from `weft identity enroll`.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// Its private key (PKCS#8 PEM).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Peer gRPC addresses to use instead of the org's peers (repeatable).
    #[arg(long = "peer")]
    pub peers: Vec<String>,
    /// Channel to act on (default: the network's own, in its manifest);
    /// the peers must serve it.
    #[arg(id = "profile_channel", long = "channel", value_name = "CHANNEL", env = "WEFT_CHANNEL")]
    pub channel: Option<String>,
}

pub struct Loaded {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub org: ManifestOrg,
    pub roots: TrustRoots,
}

impl Profile {
    /// Acting as `org`'s admin (default: the first org) in network `dir`.
    pub fn admin(dir: &Path, org: Option<String>) -> Profile {
        Profile {
            network: dir.to_path_buf(),
            org,
            as_: As::Admin,
            cert: None,
            key: None,
            peers: Vec::new(),
            channel: None,
        }
    }

    pub fn load(&self) -> Result<Loaded> {
        let manifest = Manifest::load(&self.network).with_context(|| {
            format!(
                "{} is not a network directory; pass --network DIR (made by `weft network init`)",
                self.network.display()
            )
        })?;
        let org =
            match &self.org {
                None => manifest.orgs.first().cloned().ok_or_else(|| anyhow!("the network has no orgs"))?,
                Some(id) => manifest.orgs.iter().find(|o| &o.id == id).cloned().ok_or_else(|| {
                    anyhow!("no org {id:?} in {}; orgs: {}", self.network.display(), org_ids(&manifest))
                })?,
            };
        let mut pems = Vec::new();
        for o in &manifest.orgs {
            let path = self.network.join(&o.ca_certificate);
            pems.push(std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?);
        }
        Ok(Loaded { dir: self.network.clone(), manifest, org, roots: TrustRoots::from_pems(&pems) })
    }

    pub fn identity(&self, loaded: &Loaded) -> Result<ClientIdentity> {
        let (cert, key) = match (&self.cert, &self.key) {
            (Some(c), Some(k)) => (c.clone(), k.clone()),
            _ => match self.as_ {
                As::Client => {
                    (loaded.dir.join(&loaded.org.client_certificate), loaded.dir.join(&loaded.org.client_key))
                }
                As::Admin => (loaded.dir.join(&loaded.org.admin_certificate), loaded.dir.join(&loaded.org.admin_key)),
            },
        };
        identity_from(&loaded.org.id, &cert, &key)
    }

    /// The peers to send transactions to: --peer, else the org's peers.
    pub fn peers(&self, loaded: &Loaded) -> Result<Vec<String>> {
        if !self.peers.is_empty() {
            return Ok(self.peers.clone());
        }
        let peers: Vec<String> = loaded
            .manifest
            .nodes
            .iter()
            .filter(|n| n.org == loaded.org.id && n.roles.contains(&NodeRoleName::Peer))
            .map(|n| n.grpc.clone())
            .collect();
        if peers.is_empty() {
            return Err(anyhow!("org {} has no peers; pick another with --org or name one with --peer", loaded.org.id));
        }
        Ok(peers)
    }

    pub fn gateway(&self) -> Result<(Gateway, Loaded)> {
        let loaded = self.load()?;
        let client = self.identity(&loaded)?;
        let channel = self.channel.as_deref().unwrap_or(&loaded.manifest.channel);
        let gateway = Gateway::connect(client, channel, &self.peers(&loaded)?, &loaded.roots)?;
        Ok((gateway, loaded))
    }
}

pub fn identity_from(org: &str, cert: &Path, key: &Path) -> Result<ClientIdentity> {
    let certificate_der = read_cert_pem(cert)?;
    let key_pem = std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?;
    let key = SigningKeyPair::from_pkcs8_pem(&key_pem).with_context(|| format!("key {}", key.display()))?;
    Ok(ClientIdentity { identity: SerializedIdentity { org_id: org.into(), certificate_der }, key })
}

pub fn org_ids(manifest: &Manifest) -> String {
    manifest.orgs.iter().map(|o| o.id.as_str()).collect::<Vec<_>>().join(", ")
}
