//! Resource use of the processes under test, sampled from /proc every
//! half second while a round runs: CPU %, resident memory, disk bytes read
//! and written (/proc/PID/io), and network bytes in and out. Network
//! counters are per network namespace (/proc/PID/net/dev): processes on one
//! host's loopback share them, so they show the host's traffic.

use std::time::{Duration, Instant};

use serde::Serialize;

const EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    cpu_ticks: u64,
    rss: u64,
    read: u64,
    written: u64,
    net_in: u64,
    net_out: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub name: String,
    pub pid: u32,
    pub cpu_max_pct: f64,
    pub cpu_avg_pct: f64,
    pub memory_max_mb: f64,
    pub memory_avg_mb: f64,
    pub disk_read_mb: f64,
    pub disk_write_mb: f64,
    pub net_in_mb: f64,
    pub net_out_mb: f64,
}

/// A process's resident memory in bytes, None once it is gone.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    read_sample(pid).map(|s| s.rss)
}

/// A process's counters now: CPU time (clock ticks, see [`clock_ticks`]),
/// resident bytes, bytes read and written; None once it is gone.
pub fn counters(pid: u32) -> Option<(u64, u64, u64, u64)> {
    read_sample(pid).map(|s| (s.cpu_ticks, s.rss, s.read, s.written))
}

/// Clock ticks per second, the unit of CPU time in /proc.
pub fn clock_ticks() -> f64 {
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64
}

fn read_sample(pid: u32) -> Option<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is 3rd,
    // utime 14th, stime 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let cpu_ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
    let rss = statm.split_whitespace().nth(1)?.parse::<u64>().ok()? * page;
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let field = |name: &str| {
        io.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0)
    };
    let (net_in, net_out) = net(pid);
    Some(Sample { cpu_ticks, rss, read: field("read_bytes:"), written: field("write_bytes:"), net_in, net_out })
}

fn net(pid: u32) -> (u64, u64) {
    net_dev(&std::fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap_or_default())
}

/// Bytes received and sent over every interface of a /proc/…/net/dev page
/// (a network namespace's, not one process's).
pub fn net_dev(dev: &str) -> (u64, u64) {
    dev.lines()
        .skip(2)
        .filter_map(|l| {
            let (_, counters) = l.split_once(':')?;
            let c: Vec<u64> = counters.split_whitespace().filter_map(|v| v.parse().ok()).collect();
            Some((*c.first()?, *c.get(8)?))
        })
        .fold((0, 0), |(i, o), (a, b)| (i + a, o + b))
}

pub struct Monitor {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Vec<Usage>>,
}

impl Monitor {
    /// Starts sampling `targets` (name, pid).
    pub fn start(targets: Vec<(String, u32)>) -> Monitor {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let tick = clock_ticks();
            let mut series: Vec<Vec<(Instant, Sample)>> = targets.iter().map(|_| Vec::new()).collect();
            loop {
                for ((_, pid), s) in targets.iter().zip(series.iter_mut()) {
                    if let Some(sample) = read_sample(*pid) {
                        s.push((Instant::now(), sample));
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(EVERY) => {}
                    _ = stopped.wait_for(|s| *s) => break,
                }
            }
            for ((_, pid), s) in targets.iter().zip(series.iter_mut()) {
                if let Some(sample) = read_sample(*pid) {
                    s.push((Instant::now(), sample));
                }
            }
            targets.into_iter().zip(series).map(|((name, pid), s)| usage(name, pid, &s, tick)).collect()
        });
        Monitor { stop, task }
    }

    pub async fn stop(self) -> Vec<Usage> {
        self.stop.send_replace(true);
        self.task.await.unwrap_or_default()
    }
}

fn usage(name: String, pid: u32, s: &[(Instant, Sample)], tick: f64) -> Usage {
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    let cpu: Vec<f64> = s
        .windows(2)
        .map(|w| {
            let secs = w[1].0.duration_since(w[0].0).as_secs_f64().max(1e-6);
            (w[1].1.cpu_ticks.saturating_sub(w[0].1.cpu_ticks)) as f64 / tick / secs * 100.0
        })
        .collect();
    let (first, last) = (s.first().map(|x| x.1).unwrap_or_default(), s.last().map(|x| x.1).unwrap_or_default());
    Usage {
        name,
        pid,
        cpu_max_pct: cpu.iter().copied().fold(0.0, f64::max),
        cpu_avg_pct: if cpu.is_empty() { 0.0 } else { cpu.iter().sum::<f64>() / cpu.len() as f64 },
        memory_max_mb: mb(s.iter().map(|x| x.1.rss).max().unwrap_or(0)),
        memory_avg_mb: if s.is_empty() { 0.0 } else { mb(s.iter().map(|x| x.1.rss).sum::<u64>() / s.len() as u64) },
        disk_read_mb: mb(last.read.saturating_sub(first.read)),
        disk_write_mb: mb(last.written.saturating_sub(first.written)),
        net_in_mb: mb(last.net_in.saturating_sub(first.net_in)),
        net_out_mb: mb(last.net_out.saturating_sub(first.net_out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn measures_a_busy_process() {
        let me = std::process::id();
        let monitor = Monitor::start(vec![("self".into(), me)]);
        // Burn CPU on a blocking thread and write a file for the samples to see.
        tokio::task::spawn_blocking(|| {
            let until = Instant::now() + Duration::from_millis(1200);
            let mut x = 0u64;
            while Instant::now() < until {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            std::hint::black_box(x);
        })
        .await
        .unwrap();
        let u = monitor.stop().await.remove(0);
        assert_eq!(u.pid, me);
        assert!(u.cpu_max_pct > 30.0, "{u:?}");
        assert!(u.memory_max_mb > 1.0, "{u:?}");
    }
}
