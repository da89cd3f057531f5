//! Jobs: the slow operations on a chain (create, delete), run in the
//! background as named steps whose state and detail are kept in the
//! database, so a client polling `GET /api/jobs/{job}` sees progress and,
//! on failure, which step failed and why.

use crate::db::Db;
use crate::problem::Problem;
use crate::secrets::new_id;
use crate::store;

/// A failed step of a job: its index and why.
pub type StepError = (usize, String);

/// Puts a failure down to a job's step.
pub trait AtStep<T> {
    fn at_step(self, step: usize) -> Result<T, StepError>;
}

impl<T, E: std::fmt::Display> AtStep<T> for Result<T, E> {
    fn at_step(self, step: usize) -> Result<T, StepError> {
        self.map_err(|e| (step, e.to_string()))
    }
}

/// Runs job bodies in the background and lets the server wait for them
/// when it stops (a job cut off by a stop is undone at the next start).
#[derive(Clone, Default)]
pub struct JobRunner(std::sync::Arc<std::sync::Mutex<tokio::task::JoinSet<()>>>);

impl JobRunner {
    pub fn spawn(&self, body: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        while set.try_join_next().is_some() {} // forget finished ones
        set.spawn(body);
    }

    /// Waits up to `grace` for running jobs; returns how many were left.
    pub async fn wait(&self, grace: std::time::Duration) -> usize {
        let mut set = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        let deadline = tokio::time::Instant::now() + grace;
        while !set.is_empty() {
            if tokio::time::timeout_at(deadline, set.join_next()).await.is_err() {
                let left = set.len();
                set.abort_all();
                return left;
            }
        }
        0
    }
}

/// A job being run: marks its steps as they go.
#[derive(Clone)]
pub struct Job {
    db: Db,
    pub id: String,
}

impl Job {
    /// Records a new running job on `chain` with `steps`, all pending.
    pub async fn start(db: &Db, chain: &str, kind: &str, steps: &[&str]) -> Result<Job, Problem> {
        let id = new_id();
        store::jobs::insert(db, &id, chain, kind, steps).await?;
        Ok(Job { db: db.clone(), id })
    }

    async fn set(&self, step: usize, status: &str, detail: &str) -> Result<(), sqlx::Error> {
        store::jobs::set_step(&self.db, &self.id, step, status, detail).await
    }

    /// The job as the API shows it.
    pub async fn view(&self) -> Result<JobView, Problem> {
        load(&self.db, &self.id).await?.ok_or_else(|| Problem::internal(format!("job {} vanished", self.id)))
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Step `step` is under way; `detail` says how far.
    pub async fn running(&self, step: usize, detail: &str) {
        self.log(self.set(step, "running", detail).await);
    }

    pub async fn done(&self, step: usize, detail: &str) {
        self.log(self.set(step, "done", detail).await);
    }

    /// A step that turned out not to be needed (e.g. a rollback).
    pub async fn skipped(&self, step: usize, detail: &str) {
        self.log(self.set(step, "skipped", detail).await);
    }

    pub async fn failed(&self, step: usize, detail: &str) {
        self.log(self.set(step, "failed", detail).await);
    }

    /// Ends the job; pending steps of a failed job are marked skipped.
    pub async fn finish(&self, outcome: Result<(), String>) {
        let (status, error) = match &outcome {
            Ok(()) => ("succeeded", String::new()),
            Err(e) => ("failed", e.clone()),
        };
        self.log(store::jobs::finish(&self.db, &self.id, status, &error).await);
        if outcome.is_err() {
            self.log(store::jobs::skip_pending(&self.db, &self.id).await);
        }
    }

    fn log(&self, r: Result<(), sqlx::Error>) {
        if let Err(e) = r {
            tracing::error!(job = %self.id, "recording job progress: {e}");
        }
    }
}

pub use store::jobs::{ids_of_chain, load, JobView, Step};

/// Jobs left running by a server that stopped: marked failed, returned so
/// the caller can undo what they half did.
pub async fn interrupted(db: &Db) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let running = store::jobs::running(db).await?;
    for (id, _, _) in &running {
        store::jobs::fail_running_steps(db, id).await?;
        let job = Job { db: db.clone(), id: id.clone() };
        job.finish(Err("interrupted: the server stopped while this job ran; what it made was rolled back".into()))
            .await;
    }
    Ok(running)
}
