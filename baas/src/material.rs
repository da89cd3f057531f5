//! A chain's material as the BaaS keeps it: the manifest (nodes, their
//! endpoints and roles, orgs), the genesis block, and each org's CA, admin
//! and client certificates and keys, in the database ([`store::material`]),
//! the keys sealed with the master key ([`ChainSeal`]: bound to the chain
//! and the key's place). Node homes are made from it and handed to the
//! runtime; each holds only its own node's key and certificate, the orgs'
//! CA certificates and the genesis block, so no directory beside the nodes
//! holds every org's keys.
//!
//! weft-provision works on a network directory, so a step that issues
//! certificates (a new chain, node or org) runs in a staging directory
//! under `<data-dir>/staging/` holding the material (keys still sealed),
//! removed when the step ends; what it made goes back to the database,
//! and new homes to the runtime.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use weft_provision::network::{NetworkDir, NetworkError};
use weft_provision::{
    node_home, InitOptions, InitStage, Manifest, NodeRequest, PreparedNode, PreparedOrg, ProvisionError, Template,
    Tree, MANIFEST_FILE,
};

use crate::custody::{ChainSeal, MasterKey};
use crate::db::Db;
use crate::store;

/// Why a chain's material could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum MaterialError {
    #[error("the chain {0} has no material in the database (was it created by this BaaS?)")]
    Missing(String),
    #[error("the chain's material in the database: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    #[error(transparent)]
    Network(#[from] NetworkError),
    #[error("a staging directory under {dir}: {source}")]
    Staging { dir: PathBuf, source: std::io::Error },
    #[error("the provisioning task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A node's home as made: files by path relative to the home.
pub type Home = Tree;

/// What a new chain is made of: its manifest, and a home for each node.
pub struct Made {
    pub manifest: Manifest,
    pub homes: Vec<(String, Home)>,
}

#[derive(Debug, Clone)]
pub struct ChainMaterial {
    db: Db,
    master_key: Arc<MasterKey>,
    /// Where steps that need a network directory run.
    staging: PathBuf,
    /// `<data-dir>/backups/<chain>/<backup>/`: snapshots and sealed keys.
    backups: PathBuf,
}

impl ChainMaterial {
    pub fn new(db: Db, master_key: Arc<MasterKey>, data_dir: &Path) -> ChainMaterial {
        ChainMaterial { db, master_key, staging: data_dir.join("staging"), backups: data_dir.join("backups") }
    }

    /// Removes what steps cut off by a crash or kill left in staging (a
    /// step's directory is removed when it ends). Run at start.
    pub fn clear_staging(&self) -> std::io::Result<()> {
        match std::fs::remove_dir_all(&self.staging) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// What seals and opens `chain`'s org keys.
    pub fn seal(&self, chain: &str) -> ChainSeal {
        ChainSeal::new(self.master_key.clone(), chain)
    }

    /// Where the BaaS keeps backups (snapshots and sealed keys).
    pub fn backups_dir(&self) -> PathBuf {
        self.backups.clone()
    }

    /// Every file of `chain`'s material.
    pub async fn files(&self, chain: &str) -> Result<Tree, MaterialError> {
        let files = store::material::files(&self.db, chain).await?;
        if files.is_empty() {
            return Err(MaterialError::Missing(chain.to_string()));
        }
        Ok(files)
    }

    /// `chain`'s nodes and org identities, org keys opened with the master
    /// key: how the BaaS reaches the nodes over gRPC.
    pub async fn network(&self, chain: &str) -> Result<NetworkDir, MaterialError> {
        Ok(NetworkDir::from_files(self.files(chain).await?, Some(Arc::new(self.seal(chain))))?)
    }

    pub async fn manifest(&self, chain: &str) -> Result<Manifest, MaterialError> {
        let text = store::material::file(&self.db, chain, MANIFEST_FILE)
            .await?
            .ok_or_else(|| MaterialError::Missing(chain.to_string()))?;
        Ok(Manifest::parse(&String::from_utf8_lossy(&text), Path::new(MANIFEST_FILE))?)
    }

    /// Changes the chain's manifest and saves it.
    pub async fn update_manifest(
        &self,
        chain: &str,
        change: impl FnOnce(&mut Manifest),
    ) -> Result<Manifest, MaterialError> {
        let mut manifest = self.manifest(chain).await?;
        change(&mut manifest);
        let files = BTreeMap::from([(PathBuf::from(MANIFEST_FILE), manifest.to_toml().into_bytes())]);
        store::material::put(&self.db, chain, &files, &[]).await?;
        Ok(manifest)
    }

    /// Makes a new chain from `template`: org CAs and identities, node
    /// certificates, the genesis block. The material goes to the database;
    /// the nodes' homes are returned for the runtime. `observe` hears each
    /// stage as it ends.
    pub async fn create(
        &self,
        chain: &str,
        template: Template,
        observe: tokio::sync::mpsc::UnboundedSender<InitStage>,
    ) -> Result<Made, MaterialError> {
        let stage = self.stage()?;
        let net = stage.path().join("net");
        let options = InitOptions { base_port: None, key_seal: Some(Arc::new(self.seal(chain))), ..Default::default() };
        let dir = net.clone();
        let manifest = tokio::task::spawn_blocking(move || {
            weft_provision::init_observed(&template, &dir, &options, &mut |s| {
                let _ = observe.send(s);
            })
        })
        .await??;
        let (material, homes) = split(&net, &manifest)?;
        store::material::put(&self.db, chain, &material, &[]).await?;
        Ok(Made { manifest, homes })
    }

    /// Removes a chain's material (its creation failed).
    pub async fn remove(&self, chain: &str) -> Result<(), MaterialError> {
        Ok(store::material::remove(&self.db, chain).await?)
    }

    /// Issues a new node's key and certificate from its org's CA: its
    /// manifest and channel entries and its home (the manifest is not yet
    /// changed). `homes` are the nodes that have a home on the runtime
    /// (removed nodes keep theirs until the chain is archived): the new
    /// node's id is none of them.
    pub async fn prepare_node(
        &self,
        chain: &str,
        request: NodeRequest,
        homes: &[String],
    ) -> Result<(PreparedNode, Home), MaterialError> {
        let (stage, dir, manifest) = self.check_out(chain).await?;
        for home in homes {
            let taken = dir.join(node_home(home));
            std::fs::create_dir_all(&taken).map_err(|source| MaterialError::Staging { dir: taken, source })?;
        }
        let seal = self.seal(chain);
        let (prepared, home) = tokio::task::spawn_blocking(move || {
            let prepared = weft_provision::prepare_node(&dir, &manifest, &request, Some(&seal))?;
            let home = weft_provision::read_tree(&prepared.dir, &|_| true)?;
            Ok::<_, ProvisionError>((prepared, home))
        })
        .await??;
        drop(stage);
        Ok((prepared, home))
    }

    /// A new org's CA, admin and client identities, kept with the chain's
    /// material (not yet in the manifest: [`ChainMaterial::discard_org`]
    /// removes them if the org is not admitted).
    pub async fn prepare_org(&self, chain: &str, org: &str, days: i64) -> Result<PreparedOrg, MaterialError> {
        let (stage, dir, manifest) = self.check_out(chain).await?;
        let seal = self.seal(chain);
        let org = org.to_string();
        let (prepared, files) = tokio::task::spawn_blocking(move || {
            let prepared = weft_provision::prepare_org(&dir, &manifest, &org, days, Some(&seal))?;
            let files: Tree = weft_provision::read_tree(&prepared.dir, &|_| true)?
                .into_iter()
                .map(|(rel, bytes)| (org_dir(&prepared.manifest.id).join(rel), bytes))
                .collect();
            Ok::<_, ProvisionError>((prepared, files))
        })
        .await??;
        drop(stage);
        store::material::put(&self.db, chain, &files, &[]).await?;
        Ok(prepared)
    }

    /// Removes the files of an org that was prepared but not admitted.
    pub async fn discard_org(&self, chain: &str, org: &PreparedOrg) -> Result<(), MaterialError> {
        let files = store::material::files(&self.db, chain).await?;
        let gone: Vec<PathBuf> = files.into_keys().filter(|p| p.starts_with(org_dir(&org.manifest.id))).collect();
        Ok(store::material::put(&self.db, chain, &BTreeMap::new(), &gone).await?)
    }

    /// The PEM of the certificate at `rel` (a manifest path).
    pub async fn certificate(&self, chain: &str, rel: &Path) -> Result<String, MaterialError> {
        let bytes = store::material::file(&self.db, chain, &rel.to_string_lossy())
            .await?
            .ok_or_else(|| MaterialError::Missing(format!("{chain} ({})", rel.display())))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// When the certificate at `rel` (a manifest path) expires.
    pub async fn certificate_not_after(&self, chain: &str, rel: &Path) -> Option<i64> {
        let pem = self.certificate(chain, rel).await.ok()?;
        let der = weft_provision::cert_from_pem(&pem, rel).ok()?;
        weft_identity::ParsedCertificate::parse(&der).ok().map(|c| c.not_after)
    }

    /// The chain's credentials (PEM files: certificates and sealed keys) by
    /// path: what a backup seals, with the nodes' homes.
    pub async fn key_material(&self, chain: &str) -> Result<BTreeMap<String, String>, MaterialError> {
        Ok(self
            .files(chain)
            .await?
            .into_iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "pem"))
            .map(|(p, b)| (p.to_string_lossy().into_owned(), String::from_utf8_lossy(&b).into_owned()))
            .collect())
    }

    /// Puts back the files of `files` the chain lost; leaves present ones
    /// alone. (restored, present)
    pub async fn restore_key_material(
        &self,
        chain: &str,
        files: BTreeMap<String, String>,
    ) -> Result<(usize, usize), MaterialError> {
        let have = store::material::files(&self.db, chain).await?;
        let (lost, present): (Tree, Tree) = files
            .into_iter()
            .map(|(p, text)| (PathBuf::from(p), text.into_bytes()))
            .partition(|(p, _)| !have.contains_key(p));
        store::material::put(&self.db, chain, &lost, &[]).await?;
        Ok((lost.len(), present.len()))
    }

    /// Takes in the material of a chain an older version kept in the
    /// chain's directory (`files`, org keys sealed), unless the database
    /// has it already; whether it did.
    pub async fn adopt(&self, chain: &str, files: &Tree) -> Result<bool, MaterialError> {
        if store::material::exists(&self.db, chain).await? {
            return Ok(false);
        }
        store::material::put(&self.db, chain, files, &[]).await?;
        Ok(true)
    }

    fn stage(&self) -> Result<tempfile::TempDir, MaterialError> {
        let staging = |source| MaterialError::Staging { dir: self.staging.clone(), source };
        std::fs::create_dir_all(&self.staging).map_err(staging)?;
        tempfile::tempdir_in(&self.staging).map_err(staging)
    }

    /// The chain's material written out to a staging directory (removed
    /// when the returned guard drops), and its manifest.
    async fn check_out(&self, chain: &str) -> Result<(tempfile::TempDir, PathBuf, Manifest), MaterialError> {
        let files = self.files(chain).await?;
        let text = files.get(Path::new(MANIFEST_FILE)).ok_or_else(|| MaterialError::Missing(chain.to_string()))?;
        let manifest = Manifest::parse(&String::from_utf8_lossy(text), Path::new(MANIFEST_FILE))?;
        let stage = self.stage()?;
        let dir = stage.path().join("net");
        weft_provision::write_tree(&dir, &files)?;
        Ok((stage, dir, manifest))
    }
}

/// Where an org's files are in the material (as weft-provision lays it out).
fn org_dir(org: &str) -> PathBuf {
    Path::new("orgs").join(org)
}

/// A new network directory split into the chain's material and each
/// node's home.
fn split(net: &Path, manifest: &Manifest) -> Result<(Tree, Vec<(String, Home)>), ProvisionError> {
    let material = weft_provision::read_tree(net, &|rel| !rel.starts_with("nodes"))?;
    let mut homes = Vec::new();
    for node in &manifest.nodes {
        homes.push((node.id.clone(), weft_provision::read_tree(&net.join(node_home(&node.id)), &|_| true)?));
    }
    Ok((material, homes))
}
