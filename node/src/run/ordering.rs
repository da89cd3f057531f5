//! Drives the ordering engine: envelopes in from Broadcast, ticks at the
//! engine's interval, ordered batches out to the committer thread, which
//! builds, signs and commits each block in sequence. Solo today; Raft and
//! PBFT plug in behind the same `Consensus` trait.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use weft_consensus::{Action, Consensus, Input, RejectReason, Status};

use crate::run::chain::Chain;

enum Command {
    Submit(Vec<u8>, oneshot::Sender<Result<(), RejectReason>>),
    Drain(oneshot::Sender<()>),
    Status(oneshot::Sender<Status>),
}

/// The Broadcast side's handle on the ordering task.
#[derive(Clone)]
pub struct Ordering {
    commands: mpsc::Sender<Command>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Rejected(RejectReason),
    #[error("the ordering service is shutting down")]
    Stopped,
}

impl Ordering {
    /// Starts the driver; it runs until every handle is dropped.
    pub fn start(engine: Box<dyn Consensus + Send>, tick: Duration, chain: Arc<Chain>) -> Ordering {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(drive(engine, tick, chain, rx));
        Ordering { commands: tx }
    }

    /// Resolves once the engine accepted (or refused) the envelope; the
    /// client learns the commit outcome from CommitStatus.
    pub async fn submit(&self, envelope: Vec<u8>) -> Result<(), SubmitError> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::Submit(envelope, tx)).await.map_err(|_| SubmitError::Stopped)?;
        rx.await.map_err(|_| SubmitError::Stopped)?.map_err(SubmitError::Rejected)
    }

    pub async fn drain(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Drain(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    pub async fn status(&self) -> Option<Status> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::Status(tx)).await.ok()?;
        rx.await.ok()
    }
}

async fn drive(
    mut engine: Box<dyn Consensus + Send>,
    tick: Duration,
    chain: Arc<Chain>,
    mut commands: mpsc::Receiver<Command>,
) {
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut waiting: HashMap<u64, oneshot::Sender<Result<(), RejectReason>>> = HashMap::new();
    let mut next_request = 0u64;
    loop {
        let actions = tokio::select! {
            command = commands.recv() => match command {
                None => break,
                Some(Command::Submit(envelope, reply)) => {
                    let request = next_request;
                    next_request += 1;
                    waiting.insert(request, reply);
                    engine.step(Input::Submit { request, envelope })
                }
                Some(Command::Drain(reply)) => {
                    let actions = engine.drain();
                    execute(actions, &mut waiting, &chain).await;
                    let _ = reply.send(());
                    continue;
                }
                Some(Command::Status(reply)) => {
                    let _ = reply.send(engine.status());
                    continue;
                }
            },
            _ = ticker.tick() => engine.tick(),
        };
        execute(actions, &mut waiting, &chain).await;
    }
    tracing::info!("ordering stopped");
}

async fn execute(
    actions: Vec<Action>,
    waiting: &mut HashMap<u64, oneshot::Sender<Result<(), RejectReason>>>,
    chain: &Chain,
) {
    for action in actions {
        match action {
            Action::Accepted { request } => {
                if let Some(reply) = waiting.remove(&request) {
                    let _ = reply.send(Ok(()));
                }
            }
            Action::Rejected { request, reason } => {
                if let Some(reply) = waiting.remove(&request) {
                    let _ = reply.send(Err(reason));
                }
            }
            Action::Ordered(batch) => {
                let seq = batch.seq;
                // Blocks are committed in order, one at a time: the next
                // batch waits for this one's block to be durable.
                if let Err(e) = chain.order(batch).await {
                    tracing::error!(seq, error = %e, "could not commit an ordered batch; the orderer stops ordering");
                    return;
                }
            }
            Action::Send { to, .. } => tracing::warn!(to, "solo ordering has no peers to send to"),
            Action::Persist(_) | Action::CatchUp { .. } => {
                tracing::warn!("solo ordering keeps no consensus state; ignoring a raft-only action")
            }
        }
    }
}
