//! Local node processes for `weft network up|down`: each node runs as
//! `weft-node --config …` in its own session (so it outlives the CLI),
//! logs to `nodes/<id>/node.log`, and its pid is kept in `nodes/<id>/node.pid`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, Context, Result};

pub fn pid_file(config: &Path) -> PathBuf {
    config.with_file_name("node.pid")
}

pub fn log_file(config: &Path) -> PathBuf {
    config.with_file_name("node.log")
}

/// The weft-node binary: --node-binary / WEFT_NODE_BIN, else next to this
/// executable, else on PATH.
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

pub fn spawn(binary: &Path, config: &Path) -> Result<u32> {
    use std::os::unix::process::CommandExt;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file(config))
        .with_context(|| format!("opening {}", log_file(config).display()))?;
    let child = Command::new(binary)
        .arg("--config")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .with_context(|| {
            format!("starting {} (build it with `cargo build`, or pass --node-binary)", binary.display())
        })?;
    let pid = child.id();
    std::fs::write(pid_file(config), format!("{pid}\n"))?;
    Ok(pid)
}

/// The recorded pid, if that process is still alive.
pub fn running(config: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file(config)).ok()?.trim().parse().ok()?;
    alive(pid).then_some(pid)
}

pub fn alive(pid: u32) -> bool {
    // Signal 0 checks existence; a zombie (exited, not yet reaped) counts
    // as gone.
    let exists = unsafe { libc::kill(pid as i32, 0) } == 0;
    exists && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

pub fn signal(pid: u32, sig: i32) -> Result<()> {
    if unsafe { libc::kill(pid as i32, sig) } != 0 {
        return Err(anyhow!("signal {sig} to pid {pid}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
