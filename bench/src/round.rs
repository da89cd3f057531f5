//! Runs one round against the network: proposals signed ahead (a counted
//! round) so that signing does not pace the load, sent on the rate
//! schedule or to keep a backlog, spread over the workers' Gateway
//! connections; each transaction's latency (send to commit status, or to
//! the answer of an evaluation) goes into an HDR histogram.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use tokio::sync::Semaphore;
use weft_proto::TxValidationCode;
use weft_sdk::{Call, Gateway, ProposalToSign};

use crate::rate::{count_for, due};
use crate::workload::{Kind, RateControl, Round};

/// In flight at most, whatever the rate: past this the network is not
/// keeping up and more would only measure the client's memory.
const MAX_IN_FLIGHT: usize = 20_000;

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub min_ms: f64,
    pub avg_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub label: String,
    pub kind: String,
    pub succeeded: u64,
    pub failed: u64,
    /// Transactions sent per second while sending.
    pub send_tps: f64,
    /// Successful transactions per second, first send to last answer.
    pub throughput_tps: f64,
    /// Of the successful ones.
    pub latency: Option<Latency>,
    /// Failures by cause.
    pub errors: BTreeMap<String, u64>,
    pub seconds: f64,
}

struct Tally {
    latencies: Histogram<u64>,
    failed: u64,
    errors: BTreeMap<String, u64>,
}

fn call(contract: &str, round: &Round, run: &str, i: u64) -> Call {
    let args = round.args_for(run, i);
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    Call::new(contract, &round.function, &args)
}

/// One transaction, from its proposal to its verdict.
async fn one(gateway: &Gateway, kind: Kind, proposal: &ProposalToSign) -> Result<(), String> {
    match kind {
        Kind::Evaluate => gateway.evaluate_proposal(proposal).await.map(|_| ()).map_err(|e| short(&e.to_string())),
        Kind::Submit => {
            let endorsed = gateway.endorse_proposal(proposal, &[]).await.map_err(|e| short(&e.to_string()))?;
            let submitted = gateway.submit_endorsed(&endorsed).await.map_err(|e| short(&e.to_string()))?;
            let status = gateway.commit_status(&submitted.tx_id).await.map_err(|e| short(&e.to_string()))?;
            if status.code != TxValidationCode::Valid {
                return Err(format!("committed as {:?}", status.code));
            }
            Ok(())
        }
    }
}

/// An error's first line, without the peer address, as a failure cause.
fn short(e: &str) -> String {
    let line = e.lines().next().unwrap_or(e);
    let cut: String = line.chars().take(160).collect();
    match cut.split_once(" failed on ") {
        Some((op, rest)) => format!("{op} failed: {}", rest.split_once(": ").map_or(rest, |(_, m)| m)),
        None => cut,
    }
}

/// Runs the round; `succeeded` counts successful transactions as they
/// finish, for whoever watches the round from outside (the soak's sampler).
pub async fn run(
    round: &Round,
    contract: &str,
    run_id: &str,
    gateways: &[Gateway],
    succeeded: Arc<AtomicU64>,
) -> Outcome {
    let total = round.txs.or_else(|| round.duration_secs.and_then(|d| count_for(&round.rate, d)));
    let deadline = round.duration_secs.map(Duration::from_secs_f64);
    // Counted rounds are signed ahead; timed ones as they go.
    let signed: Vec<ProposalToSign> = match round.txs {
        Some(n) => {
            let (g, r, c, id) = (gateways[0].clone(), round.clone(), contract.to_string(), run_id.to_string());
            tokio::task::spawn_blocking(move || (0..n).map(|i| g.proposal(&call(&c, &r, &id, i))).collect())
                .await
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    let signed = Arc::new(signed);
    let bar = match total {
        Some(n) if round.txs.is_some() => ProgressBar::new(n),
        _ => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(round.label.clone());
    let tally = Arc::new(Mutex::new(Tally {
        latencies: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds"),
        failed: 0,
        errors: BTreeMap::new(),
    }));
    let slots = match round.rate {
        RateControl::FixedBacklog { unfinished } => unfinished as usize,
        _ => MAX_IN_FLIGHT,
    };
    let slots = Arc::new(Semaphore::new(slots));
    let mut tasks = tokio::task::JoinSet::new();
    let start = Instant::now();
    let mut sent = 0u64;
    loop {
        if total.is_some_and(|n| sent >= n) && round.txs.is_some() {
            break;
        }
        if deadline.is_some_and(|d| start.elapsed() >= d) {
            break;
        }
        if let Some(at) = due(&round.rate, sent, total.unwrap_or(u64::MAX)) {
            tokio::time::sleep_until((start + Duration::from_secs_f64(at)).into()).await;
            if deadline.is_some_and(|d| start.elapsed() >= d) {
                break;
            }
        }
        let Ok(permit) = slots.clone().acquire_owned().await else { break };
        let gateway = gateways[(sent as usize) % gateways.len()].clone();
        let proposal = match signed.get(sent as usize) {
            Some(_) => None,
            None => Some(gateway.proposal(&call(contract, round, run_id, sent))),
        };
        let (signed, tally, bar, kind, i) = (signed.clone(), tally.clone(), bar.clone(), round.kind, sent as usize);
        let succeeded = succeeded.clone();
        tasks.spawn(async move {
            let sent_at = Instant::now();
            let proposal = proposal.as_ref().or_else(|| signed.get(i)).expect("signed ahead or now");
            let result = one(&gateway, kind, proposal).await;
            let micros = sent_at.elapsed().as_micros().max(1) as u64;
            let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
            match result {
                Ok(()) => {
                    let _ = t.latencies.record(micros);
                    succeeded.fetch_add(1, Ordering::Relaxed);
                }
                Err(cause) => {
                    t.failed += 1;
                    *t.errors.entry(cause).or_default() += 1;
                }
            }
            bar.inc(1);
            bar.set_message(format!("{} ok, {} failed", t.latencies.len(), t.failed));
            drop(permit);
        });
        sent += 1;
    }
    let send_secs = start.elapsed().as_secs_f64();
    while tasks.join_next().await.is_some() {}
    let seconds = start.elapsed().as_secs_f64();
    bar.finish();
    let t = tally.lock().unwrap_or_else(|p| p.into_inner());
    let ms = |us: u64| us as f64 / 1000.0;
    let h = &t.latencies;
    Outcome {
        label: round.label.clone(),
        kind: format!("{:?}", round.kind).to_lowercase(),
        succeeded: h.len(),
        failed: t.failed,
        send_tps: sent as f64 / send_secs.max(1e-9),
        throughput_tps: h.len() as f64 / seconds.max(1e-9),
        latency: (!h.is_empty()).then(|| Latency {
            min_ms: ms(h.min()),
            avg_ms: h.mean() / 1000.0,
            p50_ms: ms(h.value_at_quantile(0.50)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }),
        errors: t.errors.clone(),
        seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_causes_drop_the_peer_address() {
        assert_eq!(
            short("endorse failed on 127.0.0.1:7050: CreateAsset: the asset a exists (Aborted)"),
            "endorse failed: CreateAsset: the asset a exists (Aborted)"
        );
        assert_eq!(short("committed as MvccReadConflict\nmore"), "committed as MvccReadConflict");
    }
}
