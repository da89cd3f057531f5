//! The end-of-run report: Caliper's summary table (one row per round) with
//! the latency percentiles Caliper lacks, a resource table per round, and
//! everything as JSON.

use serde::Serialize;

use crate::ceiling::Shape;
use crate::monitor::Usage;
use crate::round::Outcome;

#[derive(Debug, Clone, Serialize)]
pub struct RoundReport {
    pub outcome: Outcome,
    pub resources: Vec<Usage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub workload: String,
    pub description: String,
    pub network: String,
    pub run: String,
    pub build: &'static str,
    /// This machine's ceiling for the network's shape, measured before the
    /// rounds (None with --no-ceiling).
    pub ceiling: Option<Ceiling>,
    pub rounds: Vec<RoundReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ceiling {
    pub tx_per_sec: f64,
    /// The resource that sets it.
    pub resource: String,
    pub shape: Shape,
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|r| r[c].len()).chain([header[c].len()]).max().unwrap_or(0))
        .collect();
    let line = format!("+{}+", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));
    let row = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!(" {c:<w$} ")).collect();
        format!("|{}|", padded.join("|"))
    };
    let mut out = vec![line.clone(), row(header.to_vec()), line.clone()];
    out.extend(rows.iter().map(|r| row(r.iter().map(String::as_str).collect())));
    out.push(line);
    out.join("\n")
}

/// A table as both renderings (text, HTML) show it.
pub struct Table {
    pub header: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

const SUMMARY: &[&str] = &[
    "Name",
    "Succ",
    "Fail",
    "Send Rate (TPS)",
    "Max Latency (s)",
    "Min Latency (s)",
    "Avg Latency (s)",
    "p50 (s)",
    "p95 (s)",
    "p99 (s)",
    "Throughput (TPS)",
    "Of Ceiling",
];

const RESOURCES: &[&str] = &[
    "Name",
    "CPU% (max)",
    "CPU% (avg)",
    "Memory(max) [MB]",
    "Memory(avg) [MB]",
    "Traffic In [MB]",
    "Traffic Out [MB]",
    "Disc Write [MB]",
    "Disc Read [MB]",
];

impl Report {
    /// Caliper's summary: one row per round.
    pub fn summary(&self) -> Table {
        let secs = |ms: f64| format!("{:.3}", ms / 1000.0);
        let rows = self
            .rounds
            .iter()
            .map(|r| {
                let o = &r.outcome;
                let l = o.latency.as_ref();
                let lat = |f: fn(&crate::round::Latency) -> f64| l.map_or("-".into(), |l| secs(f(l)));
                vec![
                    o.label.clone(),
                    o.succeeded.to_string(),
                    o.failed.to_string(),
                    format!("{:.1}", o.send_tps),
                    lat(|l| l.max_ms),
                    lat(|l| l.min_ms),
                    lat(|l| l.avg_ms),
                    lat(|l| l.p50_ms),
                    lat(|l| l.p95_ms),
                    lat(|l| l.p99_ms),
                    format!("{:.1}", o.throughput_tps),
                    self.of_ceiling(o),
                ]
            })
            .collect();
        Table { header: SUMMARY, rows }
    }

    /// A submitted round's throughput as a share of the ceiling (evaluations
    /// are not ordered or committed, so the ceiling does not bound them).
    fn of_ceiling(&self, o: &Outcome) -> String {
        match &self.ceiling {
            Some(c) if o.kind == "submit" && c.tx_per_sec > 0.0 => {
                format!("{:.1} %", o.throughput_tps / c.tx_per_sec * 100.0)
            }
            _ => "-".into(),
        }
    }

    /// The ceiling in a sentence, for both renderings.
    pub fn ceiling_line(&self) -> Option<String> {
        self.ceiling.as_ref().map(|c| {
            format!(
                "Ceiling on this machine: {:.0} tx/s, set by {} ({} node(s) here, {} endorsement(s) per tx; \
                 weft-bench ceiling shows the arithmetic)",
                c.tx_per_sec, c.resource, c.shape.nodes, c.shape.endorsements
            )
        })
    }

    /// Caliper's resource table for one round.
    pub fn resources(round: &RoundReport) -> Table {
        let rows = round
            .resources
            .iter()
            .map(|u| {
                vec![
                    u.name.clone(),
                    format!("{:.1}", u.cpu_max_pct),
                    format!("{:.1}", u.cpu_avg_pct),
                    format!("{:.1}", u.memory_max_mb),
                    format!("{:.1}", u.memory_avg_mb),
                    format!("{:.2}", u.net_in_mb),
                    format!("{:.2}", u.net_out_mb),
                    format!("{:.2}", u.disk_write_mb),
                    format!("{:.2}", u.disk_read_mb),
                ]
            })
            .collect();
        Table { header: RESOURCES, rows }
    }

    pub fn text(&self) -> String {
        let summary = self.summary();
        let mut out = vec![
            format!("Summary of performance metrics: {} ({}; {} build)", self.workload, self.description, self.build),
            table(summary.header, &summary.rows),
        ];
        out.extend(self.ceiling_line());
        for r in &self.rounds {
            // The commonest causes; the JSON has them all.
            let mut causes: Vec<(&String, &u64)> = r.outcome.errors.iter().collect();
            causes.sort_by(|a, b| b.1.cmp(a.1));
            for (cause, n) in causes.iter().take(5) {
                out.push(format!("{}: {n} failed: {cause}", r.outcome.label));
            }
            if causes.len() > 5 {
                out.push(format!("{}: … and {} other causes (see --json)", r.outcome.label, causes.len() - 5));
            }
            let resources = Report::resources(r);
            out.push(format!("Resource utilization for round {}", r.outcome.label));
            out.push(table(resources.header, &resources.rows));
        }
        out.push("(traffic counts the host's network namespace: processes on one host's loopback share it)".into());
        out.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up() {
        let t = table(&["Name", "Succ"], &[vec!["create".into(), "1000".into()], vec!["x".into(), "7".into()]]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{t}");
        assert_eq!(lines[1], "| Name   | Succ |");
        assert_eq!(lines[3], "| create | 1000 |");
    }
}
