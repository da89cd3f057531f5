//! Alarm rules over what the monitor observed of a chain's nodes: pure, so
//! that every rule's edge is tested without a node.

/// Thresholds (the server's `--alarm-*` options).
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// A node asked to run that has not answered for this long is down.
    pub node_down_ms: i64,
    /// A node this many blocks behind the highest one lags.
    pub lag_blocks: u64,
    /// A node whose certificate ends within this many days is warned of.
    pub cert_warn_days: i64,
    /// A peer down this long is replaced by a standby (0: never).
    pub replace_after_ms: i64,
    /// A node whose disk is this full (its directory against its
    /// allocation, or the host's filesystem) is warned of.
    pub disk_pct: f64,
    /// More than this share of the chain's transactions in the last minute
    /// invalid (percent) raises tx-failure-rate …
    pub tx_failure_pct: f64,
    /// … once the minute holds at least this many transactions.
    pub tx_failure_min: u64,
    /// More leader changes (raft terms, PBFT views) than this in a minute.
    pub leader_changes_per_min: u64,
    /// A chain user's transactions in a minute above this …
    pub user_tx_per_min: u64,
    /// … and this many times its usual rate per minute (over the last
    /// hour) is abnormal.
    pub user_tx_factor: f64,
}

impl Thresholds {
    pub const DEFAULT: Thresholds = Thresholds {
        node_down_ms: 30_000,
        lag_blocks: 10,
        cert_warn_days: 30,
        replace_after_ms: 120_000,
        disk_pct: 90.0,
        tx_failure_pct: 10.0,
        tx_failure_min: 20,
        leader_changes_per_min: 3,
        user_tx_per_min: 1200,
        user_tx_factor: 10.0,
    };
}

/// What a chain did over the last minute, from its nodes' counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub transactions: u64,
    pub invalid: u64,
    pub leader_changes: u64,
}

/// One node as the monitor saw it just now.
#[derive(Debug, Clone)]
pub struct Observation {
    pub node: String,
    /// Its operator wants it running (not stopped through the API).
    pub wanted: bool,
    /// Its process exists.
    pub process: bool,
    /// Its Admin service answered.
    pub up: bool,
    pub height: Option<u64>,
    /// Since when it has not answered while wanted (ms), if so.
    pub silent_since_ms: Option<i64>,
    /// When its certificate ends (ms), if it could be read.
    pub cert_not_after_ms: Option<i64>,
    /// It orders (its replacement would change consensus membership).
    pub orderer: bool,
    /// It keeps a ledger (a standby can take a snapshot from it).
    pub peer: bool,
    /// How full its disk is (percent), if known.
    pub disk_pct: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// The process is gone though the node was not stopped: it crashed or
    /// was killed. The monitor restarts it.
    NodeCrashed,
    /// Not answering for longer than the threshold.
    NodeDown,
    /// Answering, but too far behind the highest node of its chain.
    HeightLag,
    /// Its certificate ends within the warning window (or has ended).
    CertificateExpiring,
    /// Its disk is nearly full.
    DiskFull,
    /// Chain-wide: too many invalid transactions in the last minute.
    TxFailureRate,
    /// Chain-wide: leadership keeps moving (unstable network or orderers).
    LeaderChanges,
    /// One chain user sends far more transactions than it usually does.
    AbnormalTxRate,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NodeCrashed => "node-crashed",
            Rule::NodeDown => "node-down",
            Rule::HeightLag => "height-lag",
            Rule::CertificateExpiring => "certificate-expiring",
            Rule::DiskFull => "disk-full",
            Rule::TxFailureRate => "tx-failure-rate",
            Rule::LeaderChanges => "leader-changes",
            Rule::AbnormalTxRate => "abnormal-tx-rate",
        }
    }
}

/// The alarms that hold now: (node, rule, detail).
pub fn firing(observed: &[Observation], now_ms: i64, t: Thresholds) -> Vec<(String, Rule, String)> {
    let top = observed.iter().filter(|o| o.up).filter_map(|o| o.height).max();
    let mut out = Vec::new();
    for o in observed.iter().filter(|o| o.wanted) {
        if !o.process {
            out.push((o.node.clone(), Rule::NodeCrashed, "its process exited without being stopped".to_string()));
        }
        if let Some(since) = o.silent_since_ms.filter(|since| now_ms - since >= t.node_down_ms) {
            let secs = (now_ms - since) / 1000;
            out.push((o.node.clone(), Rule::NodeDown, format!("not answering for {secs} s")));
        }
        if let (true, Some(h), Some(top)) = (o.up, o.height, top) {
            if top - h > t.lag_blocks {
                out.push((
                    o.node.clone(),
                    Rule::HeightLag,
                    format!("at height {h}, {} blocks behind the chain's {top}", top - h),
                ));
            }
        }
        if let Some(end) = o.cert_not_after_ms.filter(|end| end - now_ms <= t.cert_warn_days * 86_400_000) {
            let days = (end - now_ms).div_euclid(86_400_000);
            let detail = if end <= now_ms {
                "its certificate has expired: issue a new one from its org's CA".to_string()
            } else {
                format!("its certificate ends in {days} days: issue a new one from its org's CA")
            };
            out.push((o.node.clone(), Rule::CertificateExpiring, detail));
        }
        if let Some(pct) = o.disk_pct.filter(|p| *p >= t.disk_pct) {
            out.push((o.node.clone(), Rule::DiskFull, format!("its disk is {pct:.0} % full: free space or move it")));
        }
    }
    out
}

/// Chain-wide alarms over the last minute's activity; their node is "".
pub fn chain_firing(a: Activity, t: Thresholds) -> Vec<(String, Rule, String)> {
    let mut out = Vec::new();
    if a.transactions >= t.tx_failure_min.max(1) {
        let pct = a.invalid as f64 * 100.0 / a.transactions as f64;
        if pct > t.tx_failure_pct {
            out.push((
                String::new(),
                Rule::TxFailureRate,
                format!(
                    "{} of {} transactions in the last minute were invalid ({pct:.0} %): see their validation codes in the block explorer",
                    a.invalid, a.transactions
                ),
            ));
        }
    }
    if a.leader_changes > t.leader_changes_per_min {
        out.push((
            String::new(),
            Rule::LeaderChanges,
            format!("{} leader changes in the last minute: check the orderers' logs and network", a.leader_changes),
        ));
    }
    out
}

/// The nodes to replace with a standby: peers (not orderers) wanted up but
/// silent for `replace_after_ms`, while another peer still answers to take
/// the snapshot from.
pub fn to_replace(observed: &[Observation], now_ms: i64, t: Thresholds) -> Vec<String> {
    if t.replace_after_ms <= 0 || !observed.iter().any(|o| o.up && o.peer) {
        return Vec::new();
    }
    observed
        .iter()
        .filter(|o| o.wanted && !o.orderer)
        .filter(|o| o.silent_since_ms.is_some_and(|since| now_ms - since >= t.replace_after_ms))
        .map(|o| o.node.clone())
        .collect()
}

/// Whether `user`'s `minute` (transactions in the last minute) is abnormal
/// against its usual per-minute rate (`usual`, None until there is enough
/// history): above the floor, and above `user_tx_factor` times the usual
/// rate (the floor alone while there is no history).
pub fn abnormal_user(user: &str, minute: u64, usual: Option<f64>, t: Thresholds) -> Option<(String, Rule, String)> {
    if minute <= t.user_tx_per_min {
        return None;
    }
    let detail = match usual {
        Some(u) if (minute as f64) <= t.user_tx_factor * u.max(1.0) => return None,
        Some(u) => format!(
            "{minute} transactions in the last minute, {:.0}× its usual {u:.1} a minute",
            minute as f64 / u.max(1.0)
        ),
        None => format!("{minute} transactions in the last minute (over {} with no history yet)", t.user_tx_per_min),
    };
    Some((
        user.to_string(),
        Rule::AbnormalTxRate,
        format!("{detail}: check what is sending as {user}, revoke it if it is not yours"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds { replace_after_ms: 60_000, ..Thresholds::DEFAULT };
    const DAY: i64 = 86_400_000;

    fn node(name: &str, process: bool, up: bool, height: u64, silent_since_ms: Option<i64>) -> Observation {
        Observation {
            node: name.into(),
            wanted: true,
            process,
            up,
            height: Some(height),
            silent_since_ms,
            cert_not_after_ms: Some(400 * DAY),
            orderer: false,
            peer: true,
            disk_pct: Some(10.0),
        }
    }

    fn rules(observed: &[Observation], now: i64) -> Vec<(String, Rule)> {
        firing(observed, now, T).into_iter().map(|(n, r, _)| (n, r)).collect()
    }

    #[test]
    fn each_rule_fires_past_its_threshold_and_not_before() {
        let healthy = [node("a", true, true, 50, None), node("b", true, true, 45, None)];
        assert!(rules(&healthy, 100_000).is_empty());
        let crashed = [node("a", false, false, 0, Some(99_000)), node("b", true, true, 45, None)];
        assert_eq!(rules(&crashed, 100_000), [("a".into(), Rule::NodeCrashed)]);
        // Silent 29.999 s: not yet down; 30 s: down.
        let silent = [node("a", true, false, 0, Some(70_001)), node("b", true, true, 45, None)];
        assert!(rules(&silent, 100_000).is_empty());
        assert_eq!(rules(&silent, 100_001), [("a".into(), Rule::NodeDown)]);
        // 11 blocks behind the highest answering node: lagging; 10: not.
        let lag = [node("a", true, true, 56, None), node("b", true, true, 45, None), node("c", true, true, 46, None)];
        assert_eq!(rules(&lag, 0), [("b".into(), Rule::HeightLag)]);
        // A certificate ending in 31 days: fine; in 30: warned of.
        let cert = |end| [Observation { cert_not_after_ms: Some(end), ..node("a", true, true, 50, None) }];
        assert!(rules(&cert(31 * DAY), 0).is_empty());
        assert_eq!(rules(&cert(30 * DAY), 0), [("a".into(), Rule::CertificateExpiring)]);
        // A disk 89.9 % full: fine; 90 %: warned of.
        let disk = |pct| [Observation { disk_pct: Some(pct), ..node("a", true, true, 50, None) }];
        assert!(rules(&disk(89.9), 0).is_empty());
        assert_eq!(rules(&disk(90.0), 0), [("a".into(), Rule::DiskFull)]);
        // A node stopped through the API raises nothing.
        let stopped = [Observation { wanted: false, ..node("a", false, false, 0, Some(0)) }];
        assert!(rules(&stopped, 100_000).is_empty());
    }

    #[test]
    fn only_a_peer_down_past_the_threshold_is_replaced() {
        let down = |since| node("a", false, false, 0, Some(since));
        let peers = [down(0), node("b", true, true, 45, None)];
        assert!(to_replace(&peers, 59_999, T).is_empty());
        assert_eq!(to_replace(&peers, 60_000, T), ["a"]);
        let beside_an_orderer = [down(0), Observation { orderer: true, ..node("b", true, true, 45, None) }];
        assert_eq!(to_replace(&beside_an_orderer, 60_000, T), ["a"], "b is a peer too");
        let orderer = [Observation { orderer: true, ..down(0) }, node("b", true, true, 45, None)];
        assert!(to_replace(&orderer, 600_000, T).is_empty(), "orderers change consensus membership");
        let alone = [down(0), Observation { peer: false, orderer: true, ..node("b", true, true, 45, None) }];
        assert!(to_replace(&alone, 600_000, T).is_empty(), "no peer left to take a snapshot from");
        let stopped = [Observation { wanted: false, ..down(0) }, node("b", true, true, 45, None)];
        assert!(to_replace(&stopped, 600_000, T).is_empty());
        let never = Thresholds { replace_after_ms: 0, ..T };
        assert!(to_replace(&peers, 600_000, never).is_empty());
    }

    #[test]
    fn chain_rules_need_enough_transactions_and_count_a_minute() {
        let rules = |a| chain_firing(a, T).into_iter().map(|(_, r, _)| r).collect::<Vec<_>>();
        assert!(rules(Activity { transactions: 19, invalid: 19, leader_changes: 0 }).is_empty(), "too few to judge");
        assert!(
            rules(Activity { transactions: 100, invalid: 10, leader_changes: 3 }).is_empty(),
            "10 % and 3: at the limits"
        );
        assert_eq!(rules(Activity { transactions: 100, invalid: 11, leader_changes: 0 }), [Rule::TxFailureRate]);
        assert_eq!(rules(Activity { transactions: 0, invalid: 0, leader_changes: 4 }), [Rule::LeaderChanges]);
    }

    #[test]
    fn a_user_is_abnormal_above_the_floor_and_its_usual_rate() {
        let t = Thresholds { user_tx_per_min: 100, user_tx_factor: 10.0, ..T };
        assert!(abnormal_user("u", 100, None, t).is_none(), "at the floor");
        assert!(abnormal_user("u", 101, None, t).is_some(), "over the floor with no history");
        assert!(abnormal_user("u", 500, Some(50.0), t).is_none(), "10× its usual 50: not more");
        let (user, rule, detail) = abnormal_user("u", 501, Some(50.0), t).unwrap();
        assert_eq!((user.as_str(), rule), ("u", Rule::AbnormalTxRate));
        assert!(detail.contains("501 transactions"), "{detail}");
        assert!(abnormal_user("u", 150, Some(0.0), t).is_some(), "a quiet user counts as one a minute");
    }
}
