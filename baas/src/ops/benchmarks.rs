//! Benchmarks of a chain: `weft-bench`'s workloads run by the BaaS against
//! one of its chains as a job, the report (JSON and the self-contained HTML
//! page) kept in the database for the console and for comparing runs.
//! Tenant admins start them (they load the chain); the tenant's users read
//! the reports. One at a time per chain, and bounded in size, since the
//! load runs on the BaaS's own host.

use weft_bench::workload::Workload;

use crate::ops::jobs::Job;
use crate::AppState;

pub const STEPS: [&str; 3] = ["prepare", "rounds", "report"];

/// The job: weft-bench's run with its steps reported to the job, then the
/// reports stored.
pub async fn run(state: AppState, chain: String, id: String, workload: Workload, job: Job) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let progress = {
        let job = job.clone();
        let rounds = workload.rounds.len();
        tokio::spawn(async move {
            let mut round = 0;
            job.running(0, "opening the chain").await;
            while let Some(step) = rx.recv().await {
                if step.starts_with("round ") {
                    if round == 0 {
                        job.done(0, "contract deployed, ceiling measured").await;
                    }
                    round += 1;
                    job.running(1, &format!("{step} ({round} of {rounds})")).await;
                } else {
                    job.running(0, &step).await;
                }
            }
        })
    };
    let send = move |s: &str| {
        let _ = tx.send(s.to_string());
    };
    let outcome = match state.material.network(&chain).await {
        Ok(net) => state.driver.run_benchmark(&chain, net, &workload, &send).await,
        Err(e) => Err(anyhow::Error::new(e)),
    };
    drop(send); // closes the channel: the progress task ends
    let _ = progress.await;
    match outcome {
        Ok(report) => {
            let summary: Vec<String> = report
                .rounds
                .iter()
                .map(|r| format!("{} {:.1} tx/s", r.outcome.label, r.outcome.throughput_tps))
                .collect();
            job.done(1, &summary.join(", ")).await;
            job.running(2, "keeping the report").await;
            let stored = match serde_json::to_string(&report) {
                Ok(json) => {
                    crate::store::benchmarks::set_report(&state.db, &id, &json, &weft_bench::html::render(&report))
                        .await
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            match stored {
                Ok(()) => {
                    job.done(2, "GET …/benchmarks/{id} or …/report.html").await;
                    job.finish(Ok(())).await;
                }
                Err(e) => {
                    job.failed(2, &e).await;
                    job.finish(Err(format!("storing the report: {e}"))).await;
                }
            }
        }
        Err(e) => {
            let why = format!("{e:#}");
            tracing::warn!(%chain, benchmark = %id, "benchmark failed: {why}");
            let view = job.view().await.ok();
            let step = view.and_then(|v| v.steps.iter().position(|s| s.status == "running")).unwrap_or(0);
            job.failed(step, &why).await;
            job.finish(Err(why)).await;
        }
    }
}
