//! Jobs: the slow operations on a chain (create, delete), run in the
//! background as named steps whose state and detail are kept in the
//! database, so a client polling `GET /api/jobs/{job}` sees progress and,
//! on failure, which step failed and why.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use crate::db::{now, Db};
use crate::problem::Problem;
use crate::secrets::new_id;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Step {
    pub name: String,
    /// pending | running | done | failed | skipped
    pub status: String,
    pub detail: String,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub chain_id: String,
    /// create | delete
    pub kind: String,
    /// running | succeeded | failed
    pub status: String,
    /// Why it failed, and what was rolled back.
    pub error: String,
    /// Steps finished, in percent.
    pub progress: u8,
    pub steps: Vec<Step>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
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
        let mut tx = db.begin().await?;
        sqlx::query("INSERT INTO jobs (id, chain_id, kind, status, created_at) VALUES ($1, $2, $3, 'running', $4)")
            .bind(&id)
            .bind(chain)
            .bind(kind)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        for (i, name) in steps.iter().enumerate() {
            sqlx::query("INSERT INTO job_steps (job_id, idx, name, status) VALUES ($1, $2, $3, 'pending')")
                .bind(&id)
                .bind(i as i64)
                .bind(*name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Job { db: db.clone(), id })
    }

    async fn set(&self, step: usize, status: &str, detail: &str) -> Result<(), sqlx::Error> {
        let (start, finish) = match status {
            "running" => (Some(now()), None),
            _ => (None, Some(now())),
        };
        sqlx::query(
            "UPDATE job_steps SET status = $1, detail = $2, started_at = COALESCE(started_at, $3), \
             finished_at = $4 WHERE job_id = $5 AND idx = $6",
        )
        .bind(status)
        .bind(detail)
        .bind(start.or(finish))
        .bind(finish)
        .bind(&self.id)
        .bind(step as i64)
        .execute(&self.db)
        .await?;
        Ok(())
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
        let r = sqlx::query("UPDATE jobs SET status = $1, error = $2, finished_at = $3 WHERE id = $4")
            .bind(status)
            .bind(&error)
            .bind(now())
            .bind(&self.id)
            .execute(&self.db)
            .await;
        self.log(r.map(|_| ()));
        if outcome.is_err() {
            let r = sqlx::query("UPDATE job_steps SET status = 'skipped' WHERE job_id = $1 AND status = 'pending'")
                .bind(&self.id)
                .execute(&self.db)
                .await;
            self.log(r.map(|_| ()));
        }
    }

    fn log(&self, r: Result<(), sqlx::Error>) {
        if let Err(e) = r {
            tracing::error!(job = %self.id, "recording job progress: {e}");
        }
    }
}

fn step_of(row: &AnyRow) -> Result<Step, Problem> {
    Ok(Step {
        name: row.try_get("name")?,
        status: row.try_get("status")?,
        detail: row.try_get("detail")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

pub async fn load(db: &Db, id: &str) -> Result<Option<JobView>, Problem> {
    let Some(row) =
        sqlx::query("SELECT id, chain_id, kind, status, error, created_at, finished_at FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?
    else {
        return Ok(None);
    };
    let steps = sqlx::query(
        "SELECT name, status, detail, started_at, finished_at FROM job_steps WHERE job_id = $1 ORDER BY idx",
    )
    .bind(id)
    .fetch_all(db)
    .await?
    .iter()
    .map(step_of)
    .collect::<Result<Vec<_>, _>>()?;
    let status: String = row.try_get("status")?;
    // A succeeded job's skipped steps (a rollback not needed) count as done.
    let done = steps.iter().filter(|s| s.status == "done" || (s.status == "skipped" && status == "succeeded")).count();
    Ok(Some(JobView {
        id: row.try_get("id")?,
        chain_id: row.try_get("chain_id")?,
        kind: row.try_get("kind")?,
        status,
        error: row.try_get("error")?,
        progress: (done * 100).checked_div(steps.len()).unwrap_or(100) as u8,
        steps,
        created_at: row.try_get("created_at")?,
        finished_at: row.try_get("finished_at")?,
    }))
}

/// Jobs left running by a server that stopped: marked failed, returned so
/// the caller can undo what they half did.
pub async fn interrupted(db: &Db) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, chain_id, kind FROM jobs WHERE status = 'running'").fetch_all(db).await?;
    let mut out = Vec::new();
    for row in rows {
        let (id, chain, kind): (String, String, String) =
            (row.try_get("id")?, row.try_get("chain_id")?, row.try_get("kind")?);
        let job = Job { db: db.clone(), id: id.clone() };
        sqlx::query(
            "UPDATE job_steps SET status = 'failed', detail = 'interrupted' WHERE job_id = $1 AND status = 'running'",
        )
        .bind(&id)
        .execute(db)
        .await?;
        job.finish(Err("interrupted: the server stopped while this job ran; what it made was rolled back".into()))
            .await;
        out.push((id, chain, kind));
    }
    Ok(out)
}
/// `chain`'s jobs, oldest first.
pub async fn ids_of_chain(db: &Db, chain: &str) -> Result<Vec<String>, Problem> {
    let rows = sqlx::query("SELECT id FROM jobs WHERE chain_id = $1 ORDER BY created_at, id")
        .bind(chain)
        .fetch_all(db)
        .await?;
    Ok(rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?)
}
