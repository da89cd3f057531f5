//! Drives the ordering engine: envelopes in from Broadcast, messages in
//! from other orderers, ticks at the engine's interval; actions out —
//! replies to Broadcast, writes to the consensus store (synced before the
//! next action), messages to other orderers, and ordered batches to the
//! committer thread, which builds, signs and commits each block in order.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;
use tokio::sync::{mpsc, oneshot};
use weft_consensus::{Action, Batch, BatchLimits, Consensus, Input, RejectReason, Status};
use weft_proto::Block;

use crate::run::byzantine::Lies;
use crate::run::chain::Chain;
use crate::run::consensus_store::ConsensusStore;
use crate::run::metrics::Metrics;
use crate::run::p2p::P2p;

enum Command {
    Submit(Vec<u8>, oneshot::Sender<Result<(), RejectReason>>),
    Drain(oneshot::Sender<()>),
    Status(oneshot::Sender<Status>),
    /// The test-only fault (`byzantine::PANIC_ORDERING_VAR`).
    Panic,
}

/// The Broadcast side's handle on the ordering task.
#[derive(Clone)]
pub struct Ordering {
    commands: mpsc::Sender<Command>,
    /// The test-only fault: the envelope count to panic at, and the count.
    fault: Option<Arc<(u64, std::sync::atomic::AtomicU64)>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Rejected(RejectReason),
    #[error("the ordering service has stopped (the node is shutting down, or ordering failed: see its health)")]
    Stopped,
}

/// What a multi-node engine needs besides the chain: the transport, the
/// messages it delivers, and the durable store.
pub struct Network {
    pub p2p: P2p,
    pub inbound: mpsc::Receiver<(String, Vec<u8>)>,
    pub store: ConsensusStore,
    /// The test-only Byzantine mode, when the environment asks for it.
    pub lies: Option<Lies>,
}

/// The driver's half of a [`Network`] (the inbound queue is polled apart).
struct Links {
    p2p: P2p,
    store: ConsensusStore,
    lies: Option<Lies>,
}

impl Ordering {
    /// Starts the driver with the actions the engine asked for when it was
    /// built; it runs until every handle is dropped.
    pub fn start(
        engine: Box<dyn Consensus + Send>,
        first: Vec<Action>,
        tick: Duration,
        chain: Arc<Chain>,
        network: Option<Network>,
        metrics: Arc<Metrics>,
    ) -> Ordering {
        let (tx, rx) = mpsc::channel(4096);
        let (links, inbound) = match network {
            Some(Network { p2p, inbound, store, lies }) => (Some(Links { p2p, store, lies }), Some(inbound)),
            None => (None, None),
        };
        let driver = Driver {
            engine,
            chain,
            network: links,
            metrics,
            waiting: HashMap::new(),
            leader: None,
            refused: 0,
            refused_here: 0,
            last_refusal_here: String::new(),
            refused_here_logged: 0,
            config_sequence: None,
            tick,
        };
        tokio::spawn(driver.run(first, tick, rx, inbound));
        Ordering { commands: tx, fault: None }
    }

    /// With the test-only fault: the ordering task panics at the `at`-th
    /// envelope submitted.
    pub fn panicking_at(self, at: Option<u64>) -> Ordering {
        Ordering { fault: at.map(|n| Arc::new((n, std::sync::atomic::AtomicU64::new(0)))), ..self }
    }

    /// Resolves once the engine accepted (or refused) the envelope — for
    /// raft, once it is in a committed entry; the client learns the commit
    /// outcome from CommitStatus.
    pub async fn submit(&self, envelope: Vec<u8>) -> Result<(), SubmitError> {
        if let Some(fault) = &self.fault {
            if fault.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1 == fault.0 {
                let _ = self.commands.send(Command::Panic).await;
            }
        }
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

    /// The driver task has ended — an error it logged, or a panic (the
    /// task's end drops its receiver either way): this node orders no
    /// more, and must not call itself healthy.
    pub fn stopped(&self) -> bool {
        self.commands.is_closed()
    }
}

/// Says in the log how many messages were refused since it last said so
/// (`said`), with the latest reason; called once a tick, so a flood of
/// refusals is never a flood of log lines.
fn say_refused(total: u64, said: &mut u64, last: &str, what: &str) {
    if total > *said {
        tracing::warn!(refused = total - *said, total, %last, "{what}");
        *said = total;
    }
}

struct Driver {
    engine: Box<dyn Consensus + Send>,
    chain: Arc<Chain>,
    network: Option<Links>,
    metrics: Arc<Metrics>,
    waiting: HashMap<u64, oneshot::Sender<Result<(), RejectReason>>>,
    leader: Option<String>,
    /// Messages from other orderers the engine refused, as last logged.
    refused: u64,
    /// Messages refused before the engine (`message_refused`), the last
    /// reason, and how many of them were logged.
    refused_here: u64,
    last_refusal_here: String,
    refused_here_logged: u64,
    /// The channel configuration the engine and transport were last told of.
    config_sequence: Option<u64>,
    /// The engine's tick, which batch timeouts are counted in.
    tick: Duration,
}

/// Why the driver stopped ordering.
#[derive(Debug, thiserror::Error)]
enum Fatal {
    #[error("could not commit ordered batch {seq}: {error}")]
    Commit { seq: u64, error: String },
    #[error("could not persist consensus state: {0:#}")]
    Persist(anyhow::Error),
}

impl Driver {
    async fn run(
        mut self,
        first: Vec<Action>,
        tick: Duration,
        mut commands: mpsc::Receiver<Command>,
        mut inbound: Option<mpsc::Receiver<(String, Vec<u8>)>>,
    ) {
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut next_request = 0u64;
        let mut first = first;
        first.extend(self.follow_config());
        if let Err(e) = self.execute(first).await {
            tracing::error!(error = %e, "the orderer stops ordering");
            return;
        }
        loop {
            let actions = tokio::select! {
                command = commands.recv() => match command {
                    None => break,
                    Some(Command::Submit(envelope, reply)) => {
                        let request = next_request;
                        next_request += 1;
                        self.waiting.insert(request, reply);
                        self.engine.step(Input::Submit { request, envelope })
                    }
                    Some(Command::Drain(reply)) => {
                        let actions = self.engine.drain();
                        let result = self.execute(actions).await;
                        let _ = reply.send(());
                        if let Err(e) = result {
                            tracing::error!(error = %e, "the orderer stops ordering");
                            break;
                        }
                        continue;
                    }
                    Some(Command::Status(reply)) => {
                        let _ = reply.send(self.status());
                        continue;
                    }
                    Some(Command::Panic) => panic!("test-only fault ({}): the ordering task panics", crate::run::byzantine::PANIC_ORDERING_VAR),
                },
                Some((from, payload)) = recv(&mut inbound) => match self.message_refused(&from, &payload) {
                    Some(why) => {
                        // Logged once a tick at most (`observe`): a flood of
                        // them must not become a flood of log lines.
                        self.refused_here += 1;
                        self.last_refusal_here = why;
                        continue;
                    }
                    None => self.engine.step(Input::Message { from, payload }),
                },
                _ = ticker.tick() => {
                    self.engine.set_time(crate::run::chain::now_ms());
                    let actions = self.engine.tick();
                    self.observe();
                    actions
                }
            };
            if let Err(e) = self.execute(actions).await {
                tracing::error!(error = %e, "the orderer stops ordering");
                break;
            }
        }
        tracing::info!("ordering stopped");
    }

    /// Why `from`'s consensus message may not reach the engine: the
    /// transport admits every node of the channel (peers fetch blocks over
    /// it), but only orderers speak consensus; and a forwarded envelope
    /// (raft) gets the checks a client's Broadcast gets, since the follower
    /// that forwarded it is not trusted to have made them.
    fn message_refused(&self, from: &str, payload: &[u8]) -> Option<String> {
        let view = self.chain.view();
        let orderer = view.rules.config.nodes.iter().any(|n| n.node_id == from && crate::channel_rules::is_orderer(n));
        if !orderer {
            return Some(format!("{from} is not an orderer of the channel; only orderers speak consensus"));
        }
        let raw = weft_consensus::raft::forwarded_envelope(payload)?;
        let envelope = match weft_proto::Envelope::decode(raw) {
            Ok(e) => e,
            Err(e) => return Some(format!("the envelope does not decode: {e}")),
        };
        crate::grpc::broadcast::check_envelope(&self.chain, &envelope)
            .err()
            .map(|s| format!("{from} forwarded an envelope that fails Broadcast's checks: {}", s.message()))
    }

    /// Leader changes and the engine's counters, for logs and metrics.
    fn observe(&mut self) {
        let s = self.engine.status();
        if s.leader != self.leader {
            tracing::info!(leader = ?s.leader, term = s.term, role = s.role, "ordering leader changed");
            if self.leader.is_some() || s.leader.is_some() {
                self.metrics.consensus_leader_changes.inc();
            }
            self.leader = s.leader.clone();
        }
        // A Byzantine or broken orderer (or one on another version), or a
        // node that is no orderer at all.
        say_refused(s.refused, &mut self.refused, &s.last_refusal, "refused messages from other orderers");
        say_refused(
            self.refused_here,
            &mut self.refused_here_logged,
            &self.last_refusal_here,
            "refused consensus messages before the engine",
        );
        self.metrics.record_consensus(&self.status());
    }

    /// The engine's status, with the messages refused before it counted
    /// in (the reason: the engine's latest, else the driver's).
    fn status(&self) -> weft_consensus::Status {
        let s = self.engine.status();
        let last_refusal = if self.refused_here > 0 && s.last_refusal.is_empty() {
            self.last_refusal_here.clone()
        } else {
            s.last_refusal.clone()
        };
        weft_consensus::Status { refused: s.refused + self.refused_here, last_refusal, ..s }
    }

    async fn execute(&mut self, actions: Vec<Action>) -> Result<(), Fatal> {
        let mut todo: VecDeque<Action> = actions.into();
        while let Some(action) = todo.pop_front() {
            match action {
                Action::Accepted { request } => {
                    if let Some(reply) = self.waiting.remove(&request) {
                        let _ = reply.send(Ok(()));
                    }
                }
                Action::Rejected { request, reason } => {
                    if let Some(reply) = self.waiting.remove(&request) {
                        let _ = reply.send(Err(reason));
                    }
                }
                Action::Ordered(batch) => {
                    let seq = batch.seq;
                    if seq < self.chain.height() {
                        // Already fetched from another orderer while this
                        // one was behind (PBFT executes it after the fetch).
                        tracing::debug!(seq, "ordered batch already committed from a fetched block");
                    } else if !self.chain.may_sign_blocks() {
                        // An orderer that joined later replays batches from
                        // before the configuration naming it; its signature
                        // on those would not verify, so it takes the blocks
                        // the orderers of the time signed.
                        todo.extend(self.catch_up(seq + 1).await);
                    } else {
                        // Blocks are committed in order, one at a time: the
                        // next batch waits for this one's block to be durable.
                        self.chain.order(batch).await.map_err(|e| Fatal::Commit { seq, error: e.to_string() })?;
                    }
                    todo.extend(self.engine.committed(self.chain.height()));
                    todo.extend(self.follow_config());
                }
                Action::Send { to, payload } => match &mut self.network {
                    Some(Links { p2p, lies: Some(lies), .. }) => {
                        for p in lies.send(&to, payload) {
                            p2p.send(to.clone(), p);
                        }
                    }
                    Some(n) => n.p2p.send(to, payload),
                    None => tracing::warn!(to, "this engine has no transport; message dropped"),
                },
                Action::Persist(ops) => {
                    let Some(n) = &self.network else { continue };
                    n.store.write(ops).map_err(Fatal::Persist)?;
                }
                Action::CatchUp { next_seq } => {
                    todo.extend(self.catch_up(next_seq).await);
                    todo.extend(self.engine.committed(self.chain.height()));
                    todo.extend(self.follow_config());
                }
            }
        }
        Ok(())
    }

    /// Once a configuration block is committed, the engine learns the
    /// orderers it names (raft changes membership one node at a time) and
    /// the transport admits exactly its nodes.
    fn follow_config(&mut self) -> Vec<Action> {
        let view = self.chain.view();
        let rules = &view.rules;
        if self.config_sequence == Some(rules.config_sequence) {
            return Vec::new();
        }
        self.config_sequence = Some(rules.config_sequence);
        let orderers = crate::channel_rules::orderer_ids(&rules.config);
        tracing::info!(sequence = rules.config_sequence, ?orderers, "ordering follows the channel configuration");
        if let Some(n) = &self.network {
            n.p2p.set_nodes(rules.config.nodes.clone());
        }
        let batch = rules.config.batch.unwrap_or_default();
        self.engine.set_batch_limits(BatchLimits::from_config(&batch, self.tick.as_millis() as u64));
        self.engine.reconfigure(orderers)
    }

    /// Fetches blocks the engine no longer holds from other nodes, retrying
    /// until they come (the engine's batches after them wait); the engine
    /// hears of each block committed, and its answer is returned.
    async fn catch_up(&mut self, next_seq: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(n) = &self.network else { return out };
        let mut backoff = Duration::from_millis(200);
        while self.chain.height() < next_seq {
            let from = self.chain.height();
            tracing::info!(from, to = next_seq, "catching up: fetching blocks from other nodes");
            match n.p2p.fetch_blocks(from, next_seq).await {
                // A node that has none of them yet: ask again after a wait,
                // not at once and for ever.
                Ok(blocks) if blocks.is_empty() => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Ok(blocks) => {
                    for b in blocks {
                        let number = b.header.as_ref().map_or(0, |h| h.number);
                        if number != self.chain.height() {
                            continue;
                        }
                        let batch = batch_of(&b);
                        if let Err(e) = self.chain.commit(b).await {
                            tracing::warn!(number, error = %e, "a fetched block did not commit; asking again");
                            break;
                        }
                        out.extend(self.engine.fetched(&batch));
                    }
                    backoff = Duration::from_millis(200);
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "catch-up failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        out
    }
}

/// A fetched block as the engine would have ordered it.
fn batch_of(block: &Block) -> Batch {
    let metadata = block.metadata.clone().unwrap_or_default();
    Batch {
        seq: block.header.as_ref().map_or(0, |h| h.number),
        envelopes: block.data.as_ref().map(|d| d.envelopes.clone()).unwrap_or_default(),
        timestamp_ms: metadata.timestamp_unix_ms,
        proof: metadata.consensus_metadata,
    }
}

async fn recv(inbound: &mut Option<mpsc::Receiver<(String, Vec<u8>)>>) -> Option<(String, Vec<u8>)> {
    match inbound {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
