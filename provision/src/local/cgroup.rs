//! CPU and memory limits for local node processes through cgroup v2, where
//! the host has it mounted and lets us use the cpu and memory controllers.
//! Where it does not (containers without a delegated cgroup, cgroup v1
//! hosts), the node enforces what it can itself from `[resources]` in its
//! config (see `weft-node`'s limits), and the caller is told why.

use std::path::{Path, PathBuf};

use crate::Resources;

/// The scheduler period cpu.max is expressed in (the kernel's default).
const CPU_PERIOD_US: u64 = 100_000;

/// Where a node's limits are enforced.
#[derive(Debug, Clone, PartialEq)]
pub enum Limits {
    /// By the kernel, through this cgroup.
    Cgroup { path: PathBuf },
    /// By the node itself; `reason` says why cgroup v2 could not be used.
    NodeEnforced { reason: String },
}

impl Limits {
    pub fn describe(&self) -> String {
        match self {
            Limits::Cgroup { path } => format!("cgroup v2 ({})", path.display()),
            Limits::NodeEnforced { reason } => {
                format!("enforced by the node itself (worker threads, memory watchdog): {reason}")
            }
        }
    }
}

/// A cgroup v2 hierarchy we may create groups in: `<mount>/weft/<group>`.
#[derive(Debug, Clone)]
pub struct Cgroups {
    base: PathBuf,
}

/// Why cgroup v2 limits cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("cgroup v2 is not mounted at {} ({source})", mount.display())]
    NotMounted { mount: PathBuf, source: std::io::Error },
    #[error("the {controller} controller is not available in {} (it offers: {offered})", mount.display())]
    NoController { controller: &'static str, mount: PathBuf, offered: String },
    #[error("cannot {doing} {} ({source})", path.display())]
    Write { doing: String, path: PathBuf, source: std::io::Error },
}

impl Cgroups {
    /// Checks that `mount` (normally /sys/fs/cgroup) is a cgroup v2
    /// hierarchy offering the cpu and memory controllers, and enables them for
    /// a `weft` subtree. The error says why limits cannot be applied there.
    pub fn open(mount: &Path) -> Result<Cgroups, CgroupError> {
        let controllers = std::fs::read_to_string(mount.join("cgroup.controllers"))
            .map_err(|source| CgroupError::NotMounted { mount: mount.to_path_buf(), source })?;
        let have: Vec<&str> = controllers.split_whitespace().collect();
        for controller in ["cpu", "memory"] {
            if !have.contains(&controller) {
                return Err(CgroupError::NoController {
                    controller,
                    mount: mount.to_path_buf(),
                    offered: controllers.trim().to_string(),
                });
            }
        }
        let enable = |dir: &Path| {
            std::fs::write(dir.join("cgroup.subtree_control"), "+cpu +memory").map_err(|source| CgroupError::Write {
                doing: "enable cpu and memory controllers in".into(),
                path: dir.to_path_buf(),
                source,
            })
        };
        enable(mount)?;
        let base = mount.join("weft");
        std::fs::create_dir_all(&base).map_err(|source| CgroupError::Write {
            doing: "create".into(),
            path: base.clone(),
            source,
        })?;
        enable(&base)?;
        Ok(Cgroups { base })
    }

    /// Puts `pid` into the group `name` (made if needed) limited to
    /// `resources`' CPU and memory.
    pub fn apply(&self, name: &str, pid: u32, resources: &Resources) -> Result<PathBuf, CgroupError> {
        let dir = self.base.join(name);
        let write = |file: &str, value: String| {
            let path = dir.join(file);
            std::fs::write(&path, &value).map_err(|source| CgroupError::Write {
                doing: format!("write {value:?} to"),
                path,
                source,
            })
        };
        std::fs::create_dir_all(&dir).map_err(|source| CgroupError::Write {
            doing: "create".into(),
            path: dir.clone(),
            source,
        })?;
        write("cpu.max", cpu_max(resources.cpu))?;
        write("memory.max", (resources.memory_mb * 1024 * 1024).to_string())?;
        write("cgroup.procs", pid.to_string())?;
        Ok(dir)
    }

    /// Removes the group `name` once its processes have exited.
    pub fn remove(&self, name: &str) {
        let _ = std::fs::remove_dir(self.base.join(name));
    }
}

/// cpu.max for a share of `cpu` cores: quota and period in microseconds.
fn cpu_max(cpu: f64) -> String {
    let quota = ((cpu.max(0.01)) * CPU_PERIOD_US as f64).round() as u64;
    format!("{quota} {CPU_PERIOD_US}")
}

/// Applies `resources` to `pid` through cgroup v2 under `mount` if it can,
/// else reports that the node enforces them itself, and why.
pub fn apply_limits(mount: &Path, group: &str, pid: u32, resources: &Resources) -> Limits {
    match Cgroups::open(mount).and_then(|c| c.apply(group, pid, resources)) {
        Ok(path) => Limits::Cgroup { path },
        Err(reason) => Limits::NodeEnforced { reason: reason.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources(cpu: f64, memory_mb: u64) -> Resources {
        Resources { cpu, memory_mb, ..Resources::default() }
    }

    #[test]
    fn cpu_max_is_quota_over_period() {
        assert_eq!(cpu_max(1.0), "100000 100000");
        assert_eq!(cpu_max(0.5), "50000 100000");
        assert_eq!(cpu_max(2.25), "225000 100000");
        // A zero share would stop the node; the kernel's minimum is 1 ms.
        assert_eq!(cpu_max(0.0), "1000 100000");
    }

    #[test]
    fn missing_hierarchy_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let limits = apply_limits(dir.path(), "c1-node0", 1, &resources(1.0, 512));
        match limits {
            Limits::NodeEnforced { reason } => assert!(reason.contains("not mounted"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_controller_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cgroup.controllers"), "cpuset io pids\n").unwrap();
        let err = Cgroups::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("cpu controller") && err.contains("cpuset io pids"), "{err}");
    }

    /// The files a v2 hierarchy expects, written into a directory laid out
    /// like one (the real /sys/fs/cgroup is not writable on every host).
    #[test]
    fn writes_limits_and_pid_where_cgroup_v2_expects_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cgroup.controllers"), "cpuset cpu io memory pids\n").unwrap();
        let cgroups = Cgroups::open(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("cgroup.subtree_control")).unwrap(), "+cpu +memory");
        let path = cgroups.apply("c1-node0", 4242, &resources(0.5, 256)).unwrap();
        let read = |f: &str| std::fs::read_to_string(path.join(f)).unwrap();
        assert_eq!(read("cpu.max"), "50000 100000");
        assert_eq!(read("memory.max"), (256u64 << 20).to_string());
        assert_eq!(read("cgroup.procs"), "4242");
        assert_eq!(path, dir.path().join("weft/c1-node0"));
    }
}
