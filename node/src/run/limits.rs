//! The node's own enforcement of `[resources]` in its config, for hosts
//! where the BaaS cannot put it in a cgroup v2 group (no cgroup v2 mounted,
//! no delegation). The kernel does it better where it can; this keeps the
//! promise where it cannot:
//!
//! - CPU: at most `ceil(cpu)` tokio worker threads, so a node given one core
//!   does not spread its async work over every core. A soft cap: blocking
//!   work (contract calls, signature batches) runs on other threads, and
//!   fractions of a core need cgroup v2.
//! - Memory: a watchdog reads the resident set every second, warns at 90 %
//!   of `memory_mb`, and above 100 % shuts the node down cleanly with an
//!   error — what the kernel's OOM killer would do under cgroup v2, minus the
//!   lost in-flight work.

use std::sync::Arc;
use std::time::Duration;

use weft_provision::Resources;

use super::NodeCore;

const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Tokio worker threads for a node allowed `cpu` cores on a host with
/// `available` of them.
pub fn worker_threads(cpu: f64, available: usize) -> usize {
    (cpu.ceil().max(1.0) as usize).clamp(1, available.max(1))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    Within,
    /// Above 90 % of the limit.
    Near,
    Exceeded,
}

pub fn memory_verdict(resident: u64, limit: u64) -> Memory {
    if resident > limit {
        Memory::Exceeded
    } else if resident.saturating_mul(10) > limit.saturating_mul(9) {
        Memory::Near
    } else {
        Memory::Within
    }
}

pub fn memory_limit_bytes(resources: &Resources) -> u64 {
    resources.memory_mb.saturating_mul(1024 * 1024)
}

/// This process's resident set in bytes, from /proc/self/statm.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// Watches memory until shutdown; on exceeding the limit records why in
/// `core.fatal` and asks the node to shut down.
pub async fn watch_memory(core: Arc<NodeCore>) {
    let limit = memory_limit_bytes(&core.config.resources);
    core.metrics.memory_limit_bytes.set(limit as i64);
    let mut shutdown = core.shutdown.subscribe();
    let mut warned = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(CHECK_EVERY) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
        let Some(resident) = resident_bytes() else { return };
        core.metrics.resident_memory_bytes.set(resident as i64);
        match memory_verdict(resident, limit) {
            Memory::Within => warned = false,
            Memory::Near if !warned => {
                warned = true;
                tracing::warn!(
                    resident_mib = resident >> 20,
                    limit_mib = limit >> 20,
                    "memory use is above 90 % of resources.memory_mb; the node stops when it passes the limit"
                );
            }
            Memory::Near => {}
            Memory::Exceeded => {
                let why = format!(
                    "memory limit exceeded: resident {} MiB > resources.memory_mb {} MiB; the node shut down as \
                     an out-of-memory kill would. Raise memory_mb in the node's config (or the template's \
                     [resources]) and start it again",
                    resident >> 20,
                    limit >> 20
                );
                tracing::error!("{why}");
                let _ = core.fatal.set(why);
                core.request_shutdown();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_threads_follow_the_cpu_share() {
        assert_eq!(worker_threads(1.0, 8), 1);
        assert_eq!(worker_threads(0.25, 8), 1);
        assert_eq!(worker_threads(1.5, 8), 2);
        assert_eq!(worker_threads(4.0, 2), 2);
        assert_eq!(worker_threads(0.0, 2), 1);
    }

    #[test]
    fn memory_verdicts() {
        assert_eq!(memory_verdict(100, 1000), Memory::Within);
        assert_eq!(memory_verdict(900, 1000), Memory::Within);
        assert_eq!(memory_verdict(901, 1000), Memory::Near);
        assert_eq!(memory_verdict(1000, 1000), Memory::Near);
        assert_eq!(memory_verdict(1001, 1000), Memory::Exceeded);
    }

    #[test]
    fn reads_its_own_resident_set() {
        let r = resident_bytes().expect("/proc/self/statm on Linux");
        assert!(r > 1 << 20, "{r}");
    }
}
