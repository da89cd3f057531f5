//! The `local` provisioning driver: a chain is a network directory made by
//! `weft-provision` under `<data-dir>/chains/<chain-id>/`, and its nodes are
//! `weft-node` processes on this host with free ports on 127.0.0.1, limited
//! through cgroup v2 where the host allows it (else by the node itself).
//! Blocking calls (key generation, waiting for a process to stop): callers
//! run them off the reactor.

use std::path::{Path, PathBuf};
use std::time::Duration;

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
}

impl LocalDriver {
    pub fn new(data_dir: &Path, node_binary: Option<&Path>, cgroup_mount: PathBuf) -> LocalDriver {
        LocalDriver {
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

    /// Org CAs, certificates, genesis block and node configs for `chain`.
    pub fn create(
        &self,
        chain: &str,
        template: &Template,
        observe: &mut dyn FnMut(InitStage),
    ) -> Result<Manifest, ProvisionError> {
        let options = InitOptions { base_port: None, ..InitOptions::default() };
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
