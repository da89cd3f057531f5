//! Changing a running chain's batch settings (how many transactions and
//! bytes a block holds, how long an orderer waits before cutting one) as a
//! job: a channel configuration update signed by every org's admin, then a
//! check that every node applied it. Orderers cut by the new limits from
//! the next block on; nothing restarts.

use std::time::{Duration, Instant};

use serde::Deserialize;
use utoipa::ToSchema;

use crate::ops::jobs::{AtStep, Job, StepError};
use crate::AppState;

pub const STEPS: [&str; 2] = ["configuration update", "applied on every node"];

/// How long the nodes get to apply the committed update.
const APPLY_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run(state: AppState, chain: String, settings: BatchSettings, job: Job) {
    match steps(&state, &chain, settings, &job).await {
        Ok(()) => job.finish(Ok(())).await,
        Err((step, why)) => {
            job.failed(step, &why).await;
            tracing::warn!(%chain, "batch settings change failed: {why}");
            job.finish(Err(format!("step {:?} failed: {why}", STEPS[step]))).await;
        }
    }
}

async fn steps(state: &AppState, chain: &str, settings: BatchSettings, job: &Job) -> Result<(), StepError> {
    job.running(0, "signing the update with every org's admin and submitting it").await;
    let net = state.material.network(chain).await.at_step(0)?;
    let acting = net.manifest().orgs.first().map(|o| o.id.clone()).ok_or((0, "the chain has no orgs".to_string()))?;
    let (sequence, block) = crate::ops::config_tx::update(&state.config_lock, &net, &acting, move |c| {
        settings.apply(c.batch.get_or_insert_with(Default::default))
    })
    .await
    .at_step(0)?;
    job.done(0, &format!("configuration sequence {sequence} in block {block}")).await;

    job.running(1, &format!("waiting for every node to reach configuration sequence {sequence}")).await;
    let deadline = Instant::now() + APPLY_TIMEOUT;
    loop {
        let mut behind = Vec::new();
        for node in &net.manifest().nodes {
            // A node its operator stopped catches up when started again.
            if crate::ops::upgrades::stopped_by_operator(state, chain, &node.id).await.at_step(1)? {
                continue;
            }
            match net.status(node).await {
                Ok(s) if s.config_sequence >= sequence => {}
                Ok(s) => behind.push(format!("{} at sequence {}", node.id, s.config_sequence)),
                Err(e) => behind.push(format!("{}: {e}", node.id)),
            }
        }
        if behind.is_empty() {
            job.done(1, &format!("every running node on sequence {sequence}")).await;
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err((1, format!("not applied after {} s: {}", APPLY_TIMEOUT.as_secs(), behind.join("; "))));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Fields left out keep their value.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchSettings {
    /// Transactions per block at most (1–10000).
    #[schema(minimum = 1, maximum = 10000)]
    pub max_message_count: Option<u32>,
    /// A block is cut before it grows past this many bytes (1 KiB–16 MiB).
    #[schema(minimum = 1024, maximum = 16777216)]
    pub preferred_max_bytes: Option<u32>,
    /// A transaction larger than this is refused (1 KiB–16 MiB, at least
    /// preferred_max_bytes).
    #[schema(minimum = 1024, maximum = 16777216)]
    pub absolute_max_bytes: Option<u32>,
    /// Milliseconds an orderer waits for more transactions before it cuts
    /// a block (10–60000).
    #[schema(minimum = 10, maximum = 60000)]
    pub batch_timeout_ms: Option<u64>,
}

pub const KIB: u32 = 1024;

const MAX_BYTES: u32 = 16 << 20;

impl BatchSettings {
    /// Every field out of range, named; or nothing to change.
    pub fn check(&self) -> Result<(), String> {
        let mut bad = Vec::new();
        if let Some(v) = self.max_message_count.filter(|v| !(1..=10_000).contains(v)) {
            bad.push(format!("max_message_count: {v} is not between 1 and 10000"));
        }
        for (name, v) in
            [("preferred_max_bytes", self.preferred_max_bytes), ("absolute_max_bytes", self.absolute_max_bytes)]
        {
            if let Some(v) = v.filter(|v| !(KIB..=MAX_BYTES).contains(v)) {
                bad.push(format!("{name}: {v} is not between {KIB} and {MAX_BYTES}"));
            }
        }
        if let Some(v) = self.batch_timeout_ms.filter(|v| !(10..=60_000).contains(v)) {
            bad.push(format!("batch_timeout_ms: {v} is not between 10 and 60000"));
        }
        if self.max_message_count.is_none()
            && self.preferred_max_bytes.is_none()
            && self.absolute_max_bytes.is_none()
            && self.batch_timeout_ms.is_none()
        {
            bad.push("nothing to change: give max_message_count, preferred_max_bytes, absolute_max_bytes or batch_timeout_ms".into());
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(bad.join("; "))
        }
    }

    /// Applies the settings to the configuration in force; refuses a
    /// preferred size above the absolute one as the result would be.
    pub fn apply(&self, batch: &mut weft_proto::BatchConfig) -> Result<(), String> {
        let b = weft_proto::BatchConfig {
            max_message_count: self.max_message_count.unwrap_or(batch.max_message_count),
            preferred_max_bytes: self.preferred_max_bytes.unwrap_or(batch.preferred_max_bytes),
            absolute_max_bytes: self.absolute_max_bytes.unwrap_or(batch.absolute_max_bytes),
            batch_timeout_ms: self.batch_timeout_ms.unwrap_or(batch.batch_timeout_ms),
        };
        // Zero means the default (2 MiB preferred, 10 MiB absolute).
        let preferred = if b.preferred_max_bytes == 0 { 2 << 20 } else { b.preferred_max_bytes };
        let absolute = if b.absolute_max_bytes == 0 { 10 << 20 } else { b.absolute_max_bytes };
        if preferred > absolute {
            return Err(format!("preferred_max_bytes {preferred} would exceed absolute_max_bytes {absolute}"));
        }
        *batch = b;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_applied_over_what_is_in_force() {
        assert!(BatchSettings::default().check().unwrap_err().contains("nothing to change"));
        let bad = BatchSettings { max_message_count: Some(0), batch_timeout_ms: Some(5), ..Default::default() };
        let why = bad.check().unwrap_err();
        assert!(why.contains("max_message_count: 0") && why.contains("batch_timeout_ms: 5"), "{why}");
        let ok = BatchSettings { max_message_count: Some(10), ..Default::default() };
        ok.check().unwrap();
        let mut batch = weft_proto::BatchConfig { batch_timeout_ms: 300, ..Default::default() };
        ok.apply(&mut batch).unwrap();
        assert_eq!((batch.max_message_count, batch.batch_timeout_ms), (10, 300), "the timeout in force is kept");
        let inverted = BatchSettings { preferred_max_bytes: Some(4 * KIB), absolute_max_bytes: Some(2 * KIB), ..ok };
        assert!(inverted.apply(&mut batch).unwrap_err().contains("would exceed"));
    }
}
