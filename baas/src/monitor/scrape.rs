//! The counters the monitor reads from a node's Prometheus page
//! (`http://<metrics address>/metrics`): committed transactions by
//! validation code, leader changes and the transaction-latency histogram's
//! sum and count. They feed the chain-wide alarm rules, the transaction
//! meter and the node samples behind the throughput and latency charts.

use std::time::Duration;

/// Cumulative since the node's process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub valid: u64,
    pub invalid: u64,
    pub leader_changes: u64,
    /// weft_ledger_transaction_latency_seconds: sum (µs) and count.
    pub latency_sum_us: u64,
    pub latency_count: u64,
}

impl Counters {
    /// Growth since `before`; a counter that went down belongs to a
    /// restarted process and counts from zero.
    pub fn since(self, before: Counters) -> Counters {
        let grown = |now: u64, then: u64| if now >= then { now - then } else { now };
        Counters {
            valid: grown(self.valid, before.valid),
            invalid: grown(self.invalid, before.invalid),
            leader_changes: grown(self.leader_changes, before.leader_changes),
            latency_sum_us: grown(self.latency_sum_us, before.latency_sum_us),
            latency_count: grown(self.latency_count, before.latency_count),
        }
    }

    /// Field by field the larger: every peer commits the same blocks, so
    /// the chain did what its busiest-seen peer saw.
    pub fn max(self, other: Counters) -> Counters {
        Counters {
            valid: self.valid.max(other.valid),
            invalid: self.invalid.max(other.invalid),
            leader_changes: self.leader_changes.max(other.leader_changes),
            latency_sum_us: self.latency_sum_us.max(other.latency_sum_us),
            latency_count: self.latency_count.max(other.latency_count),
        }
    }
}

/// Reads the counters from a Prometheus text page.
pub fn parse(page: &str) -> Counters {
    let mut c = Counters::default();
    for line in page.lines().filter(|l| !l.starts_with('#')) {
        let Some((name, value)) = line.rsplit_once(' ') else { continue };
        let Ok(value) = value.trim().parse::<f64>() else { continue };
        if name == "weft_ledger_transaction_latency_seconds_sum" {
            c.latency_sum_us = (value * 1e6) as u64;
            continue;
        }
        let value = value as u64;
        if name == "weft_ledger_transaction_latency_seconds_count" {
            c.latency_count = value;
        } else if let Some(labels) = name.strip_prefix("weft_ledger_transactions_committed_total") {
            if labels.contains("code=\"VALID\"") {
                c.valid += value;
            } else {
                c.invalid += value;
            }
        } else if name == "weft_consensus_leader_changes_total" {
            c.leader_changes = value;
        }
    }
    c
}

/// The node's counters, or None if its metrics page does not answer.
pub async fn fetch(http: &reqwest::Client, address: &str) -> Option<Counters> {
    let page = http
        .get(format!("http://{address}/metrics"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?
        .error_for_status()
        .ok()?
        .text()
        .await
        .ok()?;
    Some(parse(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_by_code_and_survive_a_restart() {
        let page = "# HELP weft_ledger_transactions_committed Transactions committed, by validation code.\n\
            # TYPE weft_ledger_transactions_committed counter\n\
            weft_ledger_transactions_committed_total{code=\"VALID\"} 40\n\
            weft_ledger_transactions_committed_total{code=\"MVCC_READ_CONFLICT\"} 3\n\
            weft_ledger_transactions_committed_total{code=\"ENDORSEMENT_POLICY_FAILURE\"} 2\n\
            weft_consensus_leader_changes_total 7\n\
            weft_ledger_transaction_latency_seconds_sum 1.25\n\
            weft_ledger_transaction_latency_seconds_count 40\n\
            weft_ledger_transaction_latency_seconds_bucket{le=\"0.5\"} 38\n\
            weft_ledger_height 12\n";
        let now = parse(page);
        let want = Counters { valid: 40, invalid: 5, leader_changes: 7, latency_sum_us: 1_250_000, latency_count: 40 };
        assert_eq!(now, want);
        let before =
            Counters { valid: 30, invalid: 5, leader_changes: 9, latency_sum_us: 1_000_000, latency_count: 30 };
        assert_eq!(
            now.since(before),
            Counters { valid: 10, invalid: 0, leader_changes: 7, latency_sum_us: 250_000, latency_count: 10 },
            "restarted: from zero"
        );
    }
}
