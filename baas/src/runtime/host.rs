//! The host's own resources as the local runtime reads them: CPU jiffies,
//! memory, load and network bytes from /proc (parsing is pure over the
//! files' text), the filesystem holding the chains from statvfs.

/// Busy and total CPU jiffies over all cores (/proc/stat's first line).
pub fn cpu_jiffies(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    let total: u64 = v.iter().sum();
    // idle and iowait are not busy
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// (total, available) memory in bytes from /proc/meminfo.
pub fn memory(meminfo: &str) -> Option<(u64, u64)> {
    let field = |name: &str| -> Option<u64> {
        let line = meminfo.lines().find(|l| l.starts_with(name))?;
        Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
    };
    Some((field("MemTotal:")?, field("MemAvailable:")?))
}

/// The 1-minute load average (/proc/loadavg).
pub fn load1(loadavg: &str) -> Option<f64> {
    loadavg.split_whitespace().next()?.parse().ok()
}

/// (used, total) bytes of the filesystem holding `path`, as df counts.
pub fn filesystem(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills the zeroed struct it is given and reads only
    // the NUL-terminated path.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    let frsize = s.f_frsize as u64;
    let used = s.f_blocks.saturating_sub(s.f_bfree) as u64 * frsize;
    Some((used, used + s.f_bavail as u64 * frsize))
}

/// How full the filesystem holding `path` is (percent).
pub fn used_pct(path: &std::path::Path) -> Option<f64> {
    let (used, total) = filesystem(path)?;
    (total > 0).then(|| used as f64 * 100.0 / total as f64)
}

/// One reading of the host.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reading {
    pub cpu: Option<(u64, u64)>,
    pub memory: Option<(u64, u64)>,
    pub disk: Option<(u64, u64)>,
    pub net: (u64, u64),
    pub load1: Option<f64>,
}

pub fn read(data_dir: &std::path::Path) -> Reading {
    let file = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    Reading {
        cpu: cpu_jiffies(&file("/proc/stat")),
        memory: memory(&file("/proc/meminfo")),
        disk: filesystem(data_dir),
        net: weft_bench::monitor::net_dev(&file("/proc/net/dev")),
        load1: load1(&file("/proc/loadavg")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_read() {
        let stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n";
        assert_eq!(cpu_jiffies(stat), Some((150, 1000)));
        let meminfo = "MemTotal:       2048 kB\nMemFree:        100 kB\nMemAvailable:   1024 kB\n";
        assert_eq!(memory(meminfo), Some((2048 * 1024, 1024 * 1024)));
        let dev = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n\
            lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n eth0: 30 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n";
        assert_eq!(weft_bench::monitor::net_dev(dev), (130, 107));
        assert_eq!(load1("1.99 2.02 1.65 3/95 15606"), Some(1.99));
        assert!(used_pct(std::path::Path::new("/")).is_some_and(|p| (0.0..=100.0).contains(&p)));
    }
}
