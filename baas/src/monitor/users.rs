//! Transactions per chain user, for the abnormal-rate rule: the monitor
//! reads each running chain's new blocks every round (over Deliver, with
//! an org admin's identity) and counts endorser transactions by creator —
//! whether they came through the REST gateway or straight to a node's
//! gRPC Gateway with downloaded credentials.

use std::collections::{HashMap, VecDeque};

use tokio_stream::StreamExt;
use weft_provision::network::NetworkDir;
use weft_sdk::Gateway;

use super::rules::{abnormal_user, Rule, Thresholds};

/// Blocks read per chain and round at most (the rest next round).
const BLOCKS_PER_ROUND: u64 = 500;
const MINUTE_MS: i64 = 60_000;
/// History kept per user, for its usual rate.
const HISTORY_MS: i64 = 3_600_000;
/// Less history than this beyond the last minute: no usual rate yet.
const MIN_HISTORY_MS: i64 = 10 * MINUTE_MS;

#[derive(Default)]
pub struct Tracker {
    /// chain → the next block to read.
    cursor: HashMap<String, u64>,
    /// (chain, user) → (when, transactions) per round.
    history: HashMap<(String, String), VecDeque<(i64, u64)>>,
    gateways: HashMap<String, Gateway>,
}

impl Tracker {
    /// Forgets every chain not in `running` (deleted or stopped chains):
    /// their cursors, histories and Gateway connections.
    pub fn keep_only(&mut self, running: &std::collections::BTreeSet<String>) {
        self.cursor.retain(|c, _| running.contains(c));
        self.history.retain(|(c, _), _| running.contains(c));
        self.gateways.retain(|c, _| running.contains(c));
    }

    /// Reads `chain`'s blocks up to `height` and returns the users whose
    /// rate is abnormal now. The first call only notes where the chain is.
    pub async fn watch(
        &mut self,
        net: &NetworkDir,
        chain: &str,
        height: u64,
        now_ms: i64,
        t: Thresholds,
    ) -> Result<Vec<(String, Rule, String)>, String> {
        let Some(&from) = self.cursor.get(chain) else {
            self.cursor.insert(chain.to_string(), height);
            return Ok(Vec::new());
        };
        let mut counts: HashMap<String, u64> = HashMap::new();
        if height > from {
            let to = height.min(from + BLOCKS_PER_ROUND) - 1;
            let g = match self.gateways.get(chain) {
                Some(g) => g.clone(),
                None => {
                    let org = net.manifest().orgs.first().map(|o| o.id.clone()).ok_or("the chain has no orgs")?;
                    let g = net.admin(&org).and_then(|admin| net.gateway(&org, admin)).map_err(|e| e.to_string())?;
                    self.gateways.insert(chain.to_string(), g.clone());
                    g
                }
            };
            let mut blocks = Box::pin(g.blocks(Some(from), Some(to)).await.map_err(|e| e.to_string())?);
            let mut next = from;
            while next <= to {
                let Some(b) = blocks.next().await else { break };
                let view = crate::blocks::describe(&b.map_err(|e| e.to_string())?);
                for tx in view.transactions.iter().filter(|t| t.kind == "endorser") {
                    *counts.entry(format!("{}@{}", tx.creator, tx.creator_org)).or_default() += 1;
                }
                next = view.number + 1;
            }
            self.cursor.insert(chain.to_string(), next);
        }
        for (user, n) in counts {
            self.history.entry((chain.to_string(), user)).or_default().push_back((now_ms, n));
        }
        let mut out = Vec::new();
        for ((c, user), rounds) in self.history.iter_mut().filter(|((c, _), _)| c == chain) {
            rounds.retain(|(at, _)| now_ms - at < HISTORY_MS);
            let minute: u64 = rounds.iter().filter(|(at, _)| now_ms - at < MINUTE_MS).map(|(_, n)| n).sum();
            let before: Vec<&(i64, u64)> = rounds.iter().filter(|(at, _)| now_ms - at >= MINUTE_MS).collect();
            let span = before.first().map_or(0, |(at, _)| now_ms - MINUTE_MS - at);
            let usual = (span >= MIN_HISTORY_MS)
                .then(|| before.iter().map(|(_, n)| *n).sum::<u64>() as f64 / (span as f64 / MINUTE_MS as f64));
            debug_assert_eq!(c, chain);
            out.extend(abnormal_user(user, minute, usual, t));
        }
        self.history.retain(|_, rounds| !rounds.is_empty());
        Ok(out)
    }
}
