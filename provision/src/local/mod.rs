//! Local node processes, for `weft network up|down` and the BaaS's `local`
//! driver: each node runs as `weft-node --config …` in its own process group
//! (so it outlives whoever started it), logs to `nodes/<id>/node.log`, and
//! its pid is kept in `nodes/<id>/node.pid` — which is how a restarted CLI
//! or BaaS finds the nodes that are still running.

mod cgroup;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use cgroup::{apply_limits, CgroupError, Cgroups, Limits};

use crate::ProvisionError;

pub fn pid_file(config: &Path) -> PathBuf {
    config.with_file_name("node.pid")
}

pub fn log_file(config: &Path) -> PathBuf {
    config.with_file_name("node.log")
}

/// The weft-node binary: `explicit` (a flag or WEFT_NODE_BIN), else next to
/// the running executable, else on PATH.
pub fn node_binary(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(sibling) = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("weft-node"))) {
        if sibling.exists() {
            return sibling;
        }
    }
    PathBuf::from("weft-node")
}

/// Starts `binary --config config`, appending its output to the node's log.
pub fn spawn(binary: &Path, config: &Path) -> Result<u32, ProvisionError> {
    use std::os::unix::process::CommandExt;
    let log_path = log_file(config);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(crate::files::io("opening", &log_path))?;
    let err = log.try_clone().map_err(crate::files::io("opening", &log_path))?;
    let child = Command::new(binary)
        .arg("--config")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|source| ProvisionError::Start { binary: binary.to_path_buf(), source })?;
    let pid = child.id();
    // Reap it when it exits, so a long-running parent (the BaaS) does not
    // collect zombies; a short-lived one (the CLI) simply leaves it to init.
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    let pid_path = pid_file(config);
    std::fs::write(&pid_path, format!("{pid}\n")).map_err(crate::files::io("writing", &pid_path))?;
    Ok(pid)
}

/// The recorded pid, if that process is still alive.
pub fn running(config: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file(config)).ok()?.trim().parse().ok()?;
    alive(pid).then_some(pid)
}

pub fn alive(pid: u32) -> bool {
    // Signal 0 checks existence; a zombie (exited, not yet reaped by its
    // parent) counts as gone.
    let exists = unsafe { libc::kill(pid as i32, 0) } == 0;
    exists && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

pub fn signal(pid: u32, sig: i32) -> Result<(), ProvisionError> {
    if unsafe { libc::kill(pid as i32, sig) } != 0 {
        return Err(ProvisionError::Signal { pid, signal: sig, source: std::io::Error::last_os_error() });
    }
    Ok(())
}

/// How a node was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It exited within the grace period after SIGTERM.
    Graceful { pid: u32 },
    /// It was SIGKILLed when the grace period ran out.
    Killed { pid: u32 },
}

impl Stopped {
    pub fn pid(self) -> u32 {
        match self {
            Stopped::Graceful { pid } | Stopped::Killed { pid } => pid,
        }
    }
}

/// Sends SIGTERM to the node `config` belongs to, waits up to `grace` for it
/// to exit, then SIGKILLs it; removes its pid file. `None` if it was not
/// running. Blocks the calling thread while it waits.
pub fn stop(config: &Path, grace: Duration) -> Result<Option<Stopped>, ProvisionError> {
    let Some(pid) = running(config) else {
        let _ = std::fs::remove_file(pid_file(config));
        return Ok(None);
    };
    signal(pid, libc::SIGTERM)?;
    let deadline = Instant::now() + grace;
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let how = if alive(pid) {
        signal(pid, libc::SIGKILL)?;
        Stopped::Killed { pid }
    } else {
        Stopped::Graceful { pid }
    };
    let _ = std::fs::remove_file(pid_file(config));
    Ok(Some(how))
}

/// The last `lines` lines of a log file (empty if it cannot be read).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
