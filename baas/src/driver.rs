//! The `local` provisioning driver: a chain is a network directory made by
//! `weft-provision` under `<data-dir>/chains/<chain-id>/`, and its nodes are
//! `weft-node` processes on this host with free ports on 127.0.0.1, limited
//! through cgroup v2 where the host allows it (else by the node itself).
//! Blocking calls (key generation, waiting for a process to stop): callers
//! run them off the reactor.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use weft_provision::network::NetworkDir;

use crate::custody::{seal_plain_org_keys, ChainSeal, MasterKey};
use weft_provision::local::{self, Limits, Stopped};
use weft_provision::{init_observed, InitOptions, InitStage, Manifest, ManifestNode, ProvisionError, Template};

/// How long a node gets to stop after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct LocalDriver {
    pub chains_dir: PathBuf,
    pub archive_dir: PathBuf,
    /// `<data-dir>/backups/<chain>/<backup>/`: snapshots and sealed keys.
    pub backups_dir: PathBuf,
    pub node_binary: PathBuf,
    /// Where cgroup v2 is mounted (normally /sys/fs/cgroup).
    pub cgroup_mount: PathBuf,
    /// Seals every org's CA, admin and client keys in the chains'
    /// directories.
    master_key: Arc<MasterKey>,
}

impl LocalDriver {
    pub fn new(
        data_dir: &Path,
        node_binary: Option<&Path>,
        cgroup_mount: PathBuf,
        master_key: Arc<MasterKey>,
    ) -> LocalDriver {
        LocalDriver {
            master_key,
            chains_dir: data_dir.join("chains"),
            archive_dir: data_dir.join("archive"),
            backups_dir: data_dir.join("backups"),
            node_binary: local::node_binary(node_binary),
            cgroup_mount,
        }
    }

    pub fn chain_dir(&self, chain: &str) -> PathBuf {
        self.chains_dir.join(chain)
    }

    /// What seals and opens `chain`'s org keys.
    pub fn seal(&self, chain: &str) -> ChainSeal {
        ChainSeal::new(self.master_key.clone(), chain)
    }

    /// `chain`'s network directory, its org keys opened with the master key.
    pub fn network(&self, chain: &str) -> Result<NetworkDir, String> {
        NetworkDir::open_sealed(&self.chain_dir(chain), Some(Arc::new(self.seal(chain))))
    }

    /// Seals the org keys of chains made before org keys were sealed.
    pub fn seal_plain_keys(&self) -> anyhow::Result<()> {
        let Ok(entries) = std::fs::read_dir(&self.chains_dir) else { return Ok(()) };
        for entry in entries.flatten() {
            let chain = entry.file_name().to_string_lossy().into_owned();
            if !entry.path().join(weft_provision::MANIFEST_FILE).exists() {
                continue;
            }
            let sealed = seal_plain_org_keys(&entry.path(), &self.seal(&chain))?;
            if sealed > 0 {
                tracing::info!(chain, sealed, "sealed org keys kept in the clear by an older version");
            }
        }
        Ok(())
    }

    /// Org CAs, certificates, genesis block and node configs for `chain`.
    pub fn create(
        &self,
        chain: &str,
        template: &Template,
        observe: &mut dyn FnMut(InitStage),
    ) -> Result<Manifest, ProvisionError> {
        let options =
            InitOptions { base_port: None, key_seal: Some(Arc::new(self.seal(chain))), ..InitOptions::default() };
        init_observed(template, &self.chain_dir(chain), &options, observe)
    }

    pub fn manifest(&self, chain: &str) -> Result<Manifest, ProvisionError> {
        Manifest::load(&self.chain_dir(chain))
    }

    fn config(&self, chain: &str, node: &ManifestNode) -> PathBuf {
        self.chain_dir(chain).join(&node.config)
    }

    fn group(chain: &str, node: &ManifestNode) -> String {
        format!("{chain}-{}", node.id)
    }

    /// Starts `node` on `binary` unless it runs already; returns its pid
    /// and how its limits are enforced.
    pub fn start(&self, chain: &str, node: &ManifestNode, binary: &Path) -> Result<(u32, Limits), ProvisionError> {
        let config = self.config(chain, node);
        let pid = match local::running(&config) {
            Some(pid) => pid,
            None => local::spawn(binary, &config)?,
        };
        let resources = weft_provision::NodeConfig::load(&config)?.resources;
        let limits = local::apply_limits(&self.cgroup_mount, &Self::group(chain, node), pid, &resources);
        Ok((pid, limits))
    }

    pub fn stop(&self, chain: &str, node: &ManifestNode) -> Result<Option<Stopped>, ProvisionError> {
        let stopped = local::stop(&self.config(chain, node), STOP_GRACE)?;
        if let Ok(c) = local::Cgroups::open(&self.cgroup_mount) {
            c.remove(&Self::group(chain, node));
        }
        Ok(stopped)
    }

    pub fn pid(&self, chain: &str, node: &ManifestNode) -> Option<u32> {
        local::running(&self.config(chain, node))
    }

    /// The last `lines` lines of the node's log.
    pub fn log_tail(&self, chain: &str, node: &ManifestNode, lines: usize) -> String {
        local::tail(&local::log_file(&self.config(chain, node)), lines)
    }

    /// Moves the chain's directory (ledgers, keys, logs) to the archive;
    /// returns where it went.
    pub fn archive(&self, chain: &str, at: i64) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.archive_dir)?;
        let to = self.archive_dir.join(format!("{chain}-{at}"));
        std::fs::rename(self.chain_dir(chain), &to)?;
        Ok(to)
    }

    /// Removes what a failed creation made.
    pub fn remove(&self, chain: &str) {
        let _ = std::fs::remove_dir_all(self.chain_dir(chain));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_keys_written_plain_by_an_older_version_are_sealed_at_start() {
        let data = tempfile::tempdir().unwrap();
        let template = Template::parse(include_str!("../../config/templates/solo-1.toml"), "solo-1").unwrap();
        let chain_dir = data.path().join("chains/old");
        let plain = InitOptions { base_port: None, ..InitOptions::default() };
        weft_provision::init(&template, &chain_dir, &plain).unwrap();
        let manifest = Manifest::load(&chain_dir).unwrap();
        let admin_key = chain_dir.join(&manifest.orgs[0].admin_key);
        assert!(!weft_provision::is_sealed(&admin_key));

        let master = Arc::new(MasterKey::from_bytes(&[5; 32]));
        let driver = LocalDriver::new(data.path(), None, PathBuf::from("/nonexistent"), master.clone());
        driver.seal_plain_keys().unwrap();
        let org = &manifest.orgs[0];
        for rel in org.private_keys() {
            assert!(weft_provision::is_sealed(&chain_dir.join(rel)), "{}", rel.display());
        }
        let net = driver.network("old").unwrap();
        net.admin(&org.id).expect("opens with the master key");
        net.ca(&org.id).expect("the CA opens too");
        let err = NetworkDir::open(&chain_dir).unwrap().admin(&org.id).err().unwrap();
        assert!(err.contains("sealed by the BaaS"), "{err}");
        let other = LocalDriver::new(
            data.path(),
            None,
            PathBuf::from("/nonexistent"),
            Arc::new(MasterKey::from_bytes(&[6; 32])),
        );
        assert!(other.network("old").unwrap().admin(&org.id).is_err(), "another master key does not open them");
        driver.seal_plain_keys().unwrap();
        net.admin(&org.id).expect("sealing again leaves sealed keys alone");
    }
}
