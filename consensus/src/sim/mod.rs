//! A deterministic simulator for ordering engines: a seeded RNG, virtual
//! time, an in-memory network that delays, drops, duplicates, reorders and
//! partitions, and nodes that crash (losing everything not persisted) and
//! restart from what they persisted. Every run checks:
//!
//! * `no_fork` — no two nodes ever hold different blocks at one height;
//! * `no_lost_ack` — every envelope acknowledged to a client is in the
//!   chain at the end;
//! * `liveness_after_heal` — once faults stop, every node reaches the same
//!   height and every envelope submitted after the heal is ordered.
//!
//! The same seed gives the same run, so a failure is replayed by its seed.

pub mod byzantine;
mod network;
mod node;

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Action, BatchLimits, Consensus, Input, NodeId, Pbft, PbftConfig, Raft, RaftConfig, Solo};
pub use byzantine::Byzantine;
use network::Network;
use node::SimNode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Raft,
    Pbft,
    /// A solo orderer on every node: correct for one node without crashes,
    /// and the simulator's proof that its checks can fail (solo forks with
    /// several nodes and loses acknowledged envelopes when it crashes).
    Solo,
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Engine, String> {
        match s {
            "raft" => Ok(Engine::Raft),
            "pbft" => Ok(Engine::Pbft),
            "solo" => Ok(Engine::Solo),
            other => Err(format!("unknown engine {other:?}; the simulator knows: raft, pbft, solo")),
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Raft => "raft",
            Engine::Pbft => "pbft",
            Engine::Solo => "solo",
        })
    }
}

/// What can go wrong during the fault phase.
#[derive(Debug, Clone)]
pub struct Faults {
    pub drop: f64,
    pub duplicate: f64,
    /// Each message takes 1..=max_delay_ms; different delays reorder.
    pub max_delay_ms: u64,
    /// Mean time between crashes and between partitions (0 = never).
    pub crash_every_ms: u64,
    pub partition_every_ms: u64,
    /// Chance, per persist, that a node dies right after it (before the
    /// messages and batches that followed).
    pub crash_after_persist: f64,
    /// Add one orderer and then remove one of the founders, each by a
    /// configuration change, during the fault phase.
    pub membership: bool,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            drop: 0.05,
            duplicate: 0.02,
            max_delay_ms: 30,
            crash_every_ms: 1500,
            partition_every_ms: 2000,
            crash_after_persist: 0.002,
            membership: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub engine: Engine,
    pub nodes: usize,
    pub seed: u64,
    pub tick_ms: u64,
    pub fault_ms: u64,
    pub heal_ms: u64,
    pub submit_every_ms: u64,
    pub faults: Faults,
    /// orderer0 misbehaves this way (PBFT); None: every orderer is honest.
    pub byzantine: Option<Byzantine>,
}

impl SimConfig {
    pub fn new(engine: Engine, nodes: usize, seed: u64) -> SimConfig {
        SimConfig {
            engine,
            nodes,
            seed,
            tick_ms: 10,
            fault_ms: 6_000,
            heal_ms: 6_000,
            submit_every_ms: 15,
            faults: Faults::default(),
            byzantine: None,
        }
    }

    /// The command that replays this run.
    pub fn replay_command(&self) -> String {
        let byzantine = self.byzantine.map(|b| format!(" --byzantine {b}")).unwrap_or_default();
        format!(
            "cargo run -p weft-consensus --example simulate -- --engine {} --nodes {} --seed {} --fault-ms {} \
             --heal-ms {}{byzantine}",
            self.engine, self.nodes, self.seed, self.fault_ms, self.heal_ms
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    Fork { seq: u64, node: NodeId },
    LostAck { envelope: String },
    NoLiveness { detail: String },
    CatchUpFailed { node: NodeId, seq: u64 },
    Panic { message: String },
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::Fork { seq, node } => write!(f, "no_fork: {node} holds a different block {seq}"),
            Violation::LostAck { envelope } => {
                write!(f, "no_lost_ack: {envelope} was acknowledged but is not in the chain")
            }
            Violation::NoLiveness { detail } => write!(f, "liveness_after_heal: {detail}"),
            Violation::CatchUpFailed { node, seq } => write!(f, "{node} needed block {seq} and no node had it"),
            Violation::Panic { message } => write!(f, "an engine panicked: {message}"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub blocks: u64,
    pub submitted: u64,
    pub acked: u64,
    pub crashes: u64,
    pub partitions: u64,
    pub messages: u64,
    pub membership_changes: u64,
    /// Each node's engine status at the end (None while crashed).
    pub statuses: Vec<(NodeId, Option<crate::Status>)>,
    pub violations: Vec<Violation>,
}

#[derive(Debug)]
enum Event {
    Tick(usize),
    Deliver { from: usize, to: usize, payload: Vec<u8> },
    Submit,
    Crash,
    Restart(usize),
    Partition,
    HealPartition,
    Heal,
    AddOrderer,
    RemoveOrderer,
}

pub struct Sim {
    cfg: SimConfig,
    rng: ChaCha8Rng,
    now: u64,
    events: BTreeMap<(u64, u64), Event>,
    next_event: u64,
    nodes: Vec<SimNode>,
    /// The orderers the channel configuration names now.
    members: Vec<NodeId>,
    net: Network,
    /// The first block seen at each height: what every other copy must equal.
    canonical: BTreeMap<u64, Vec<Vec<u8>>>,
    /// The same blocks as batches (timestamp and proof too), which a node
    /// that catches up is given, as the node's driver gives its engine.
    batches: BTreeMap<u64, crate::Batch>,
    requests: BTreeMap<u64, Vec<u8>>,
    next_request: u64,
    acked: BTreeSet<Vec<u8>>,
    after_heal: Vec<Vec<u8>>,
    healed: bool,
    report: Report,
    /// Indexes of the Byzantine orderer (and its twin).
    bad: Vec<usize>,
    /// Messages the Byzantine orderer has seen, for replaying.
    seen: Vec<Vec<u8>>,
}

/// A simulated orderer's signing key, the same across its restarts.
pub fn sim_key(id: &str) -> ed25519_dalek::SigningKey {
    use sha2::Digest as _;
    ed25519_dalek::SigningKey::from_bytes(&sha2::Sha256::digest(format!("weft-sim-key/{id}")).into())
}

fn names(n: usize) -> Vec<NodeId> {
    (0..n).map(|i| format!("orderer{i}")).collect()
}

impl Sim {
    pub fn new(cfg: SimConfig) -> Sim {
        let rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let net = Network::new(cfg.faults.clone());
        let founders = names(cfg.nodes);
        let mut nodes: Vec<SimNode> = founders.iter().map(|id| SimNode::new(id.clone())).collect();
        let mut bad = Vec::new();
        if let Some(b) = cfg.byzantine {
            bad.push(0);
            if b == Byzantine::Twins {
                nodes.push(SimNode::new(byzantine::BAD.to_string()));
                bad.push(nodes.len() - 1);
            }
        }
        Sim {
            members: founders,
            cfg,
            rng,
            now: 0,
            events: BTreeMap::new(),
            next_event: 0,
            nodes,
            net,
            canonical: BTreeMap::new(),
            batches: BTreeMap::new(),
            requests: BTreeMap::new(),
            next_request: 0,
            acked: BTreeSet::new(),
            after_heal: Vec::new(),
            healed: false,
            report: Report::default(),
            bad,
            seen: Vec::new(),
        }
    }

    fn at(&mut self, delay: u64, e: Event) {
        self.events.insert((self.now + delay, self.next_event), e);
        self.next_event += 1;
    }

    fn make_engine(&self, i: usize) -> (Box<dyn Consensus>, Vec<Action>) {
        let founders = names(self.cfg.nodes);
        let node = &self.nodes[i];
        let limits = BatchLimits {
            max_message_count: 10,
            preferred_max_bytes: 4096,
            absolute_max_bytes: 8192,
            timeout_ticks: 5,
        };
        match self.cfg.engine {
            Engine::Solo => (Box::new(Solo::new(node.id.clone(), limits, node.height())), Vec::new()),
            Engine::Raft => {
                let cfg = RaftConfig {
                    id: node.id.clone(),
                    limits,
                    election_tick: 10,
                    heartbeat_tick: 2,
                    snapshot_interval: 20,
                    retry_ticks: 40,
                    give_up_ticks: 1000,
                };
                let stored: Vec<(Vec<u8>, Vec<u8>)> = node.disk.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                let (raft, actions) = Raft::new(cfg, &founders, &stored, node.height())
                    .unwrap_or_else(|e| panic!("{} cannot restart from its own disk: {e}", node.id));
                (Box::new(raft), actions)
            }
            Engine::Pbft => {
                let cfg = PbftConfig {
                    id: node.id.clone(),
                    key: sim_key(&node.id),
                    orderers: founders.iter().map(|id| (id.clone(), sim_key(id).verifying_key())).collect(),
                    limits,
                    checkpoint_interval: 5,
                    watermark_window: 0,
                    request_timeout_ticks: 60,
                    view_change_ticks: 60,
                    resend_ticks: 10,
                };
                let stored: Vec<(Vec<u8>, Vec<u8>)> = node.disk.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                let (pbft, actions) = Pbft::new(cfg, &stored, node.height())
                    .unwrap_or_else(|e| panic!("{} cannot restart from its own disk: {e}", node.id));
                (Box::new(pbft), actions)
            }
        }
    }

    fn start(&mut self, i: usize) {
        let (mut engine, mut actions) = self.make_engine(i);
        // As the node's driver does: tell the engine the configuration's
        // orderers as of the committed chain.
        if self.members != names(self.cfg.nodes) {
            actions.extend(engine.reconfigure(self.members.clone()));
        }
        self.nodes[i].engine = Some(engine);
        self.execute(i, actions);
    }

    fn reconfigure(&mut self) {
        for i in 0..self.nodes.len() {
            if let Some(engine) = self.nodes[i].engine.as_mut() {
                let actions = engine.reconfigure(self.members.clone());
                self.execute(i, actions);
            }
        }
    }

    pub fn run(mut self) -> Report {
        for i in 0..self.nodes.len() {
            self.start(i);
            let phase = self.rng.gen_range(0..self.cfg.tick_ms);
            self.at(phase, Event::Tick(i));
        }
        self.at(self.cfg.submit_every_ms, Event::Submit);
        let f = self.cfg.faults.clone();
        if f.crash_every_ms > 0 {
            let d = self.rng.gen_range(1..2 * f.crash_every_ms);
            self.at(d, Event::Crash);
        }
        if f.partition_every_ms > 0 {
            let d = self.rng.gen_range(1..2 * f.partition_every_ms);
            self.at(d, Event::Partition);
        }
        // PBFT's orderers are fixed for now (membership changes: raft only).
        if f.membership && self.cfg.engine == Engine::Raft {
            let add = self.rng.gen_range(1..self.cfg.fault_ms / 2);
            self.at(add, Event::AddOrderer);
            let remove = self.rng.gen_range(self.cfg.fault_ms / 2..self.cfg.fault_ms);
            self.at(remove, Event::RemoveOrderer);
        }
        self.at(self.cfg.fault_ms, Event::Heal);
        let end = self.cfg.fault_ms + self.cfg.heal_ms;
        while let Some(((t, _), event)) = self.events.pop_first() {
            if t > end {
                break;
            }
            self.now = t;
            self.handle(event);
        }
        self.check_end();
        self.report.statuses =
            self.nodes.iter().map(|n| (n.id.clone(), n.engine.as_ref().map(|e| e.status()))).collect();
        self.report.blocks = self.canonical.len() as u64;
        self.report.acked = self.acked.len() as u64;
        self.report
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Tick(i) => {
                if let Some(engine) = self.nodes[i].engine.as_mut() {
                    engine.set_time(self.now);
                    let actions = engine.tick();
                    self.execute(i, actions);
                }
                self.at(self.cfg.tick_ms, Event::Tick(i));
            }
            Event::Deliver { from, to, payload } => {
                if self.bad.contains(&to) {
                    self.remember_seen(&payload);
                }
                let from_id = self.nodes[from].id.clone();
                if let Some(engine) = self.nodes[to].engine.as_mut() {
                    let actions = engine.step(Input::Message { from: from_id, payload });
                    self.execute(to, actions);
                }
            }
            Event::Submit => self.submit(),
            Event::Crash => {
                if !self.healed {
                    let i = self.rng.gen_range(0..self.nodes.len());
                    self.crash(i);
                    let d = self.rng.gen_range(1..2 * self.cfg.faults.crash_every_ms);
                    self.at(d, Event::Crash);
                }
            }
            Event::Restart(i) => {
                if self.nodes[i].engine.is_none() {
                    self.start(i);
                }
            }
            Event::Partition => {
                if !self.healed {
                    self.net.partition(&mut self.rng, self.nodes.len());
                    self.report.partitions += 1;
                    let d = self.rng.gen_range(100..self.cfg.faults.partition_every_ms.max(101));
                    self.at(d, Event::HealPartition);
                }
            }
            Event::HealPartition => {
                self.net.heal();
                if !self.healed {
                    let d = self.rng.gen_range(1..2 * self.cfg.faults.partition_every_ms);
                    self.at(d, Event::Partition);
                }
            }
            Event::AddOrderer => {
                let id = format!("orderer{}", self.nodes.len());
                self.nodes.push(SimNode::new(id.clone()));
                self.members.push(id);
                self.report.membership_changes += 1;
                let i = self.nodes.len() - 1;
                self.start(i);
                self.at(self.cfg.tick_ms, Event::Tick(i));
                self.reconfigure();
            }
            Event::RemoveOrderer => {
                let k = self.rng.gen_range(0..self.members.len());
                self.members.remove(k);
                self.report.membership_changes += 1;
                self.reconfigure();
            }
            Event::Heal => {
                self.healed = true;
                self.net.stabilise();
                for i in 0..self.nodes.len() {
                    if self.nodes[i].engine.is_none() {
                        self.start(i);
                    }
                }
            }
        }
    }

    fn crash(&mut self, i: usize) {
        if self.nodes[i].engine.take().is_some() {
            self.report.crashes += 1;
            self.nodes[i].crashed();
            let d = self.rng.gen_range(50..1500);
            self.at(d, Event::Restart(i));
        }
    }

    fn submit(&mut self) {
        // Clients stop halfway through the healed phase so the rest of it
        // can show every node converging.
        let stop = self.cfg.fault_ms + self.cfg.heal_ms / 2;
        if self.now >= stop {
            return;
        }
        self.at(self.cfg.submit_every_ms, Event::Submit);
        // Clients use the orderers the configuration lists.
        // The honest ones: a Byzantine orderer's clients are at its mercy.
        let honest: Vec<NodeId> =
            self.members.iter().filter(|m| self.bad.is_empty() || *m != byzantine::BAD).cloned().collect();
        let member = &honest[self.rng.gen_range(0..honest.len())];
        let i = self.nodes.iter().position(|n| &n.id == member).expect("members are nodes");
        if self.nodes[i].engine.is_none() {
            return; // the client's connection is refused
        }
        let request = self.next_request;
        self.next_request += 1;
        let envelope = format!("tx-{request}").into_bytes();
        self.requests.insert(request, envelope.clone());
        self.report.submitted += 1;
        if self.healed {
            self.after_heal.push(envelope.clone());
        }
        let actions = self.nodes[i].engine.as_mut().expect("alive").step(Input::Submit { request, envelope });
        self.execute(i, actions);
    }

    fn execute(&mut self, i: usize, actions: Vec<Action>) {
        for a in actions {
            if self.nodes[i].engine.is_none() {
                return; // crashed part-way: the rest never happened
            }
            match a {
                Action::Persist(ops) => {
                    self.nodes[i].persist(ops);
                    if !self.healed && self.rng.gen_bool(self.cfg.faults.crash_after_persist) {
                        self.crash(i);
                    }
                }
                Action::Send { to, payload } => {
                    // Twins share an id: both get what is sent to it.
                    let targets: Vec<usize> = (0..self.nodes.len()).filter(|j| self.nodes[*j].id == to).collect();
                    for j in targets {
                        // Replays stop with the clients: a replayed request
                        // is new work, and the end of the run must be quiet.
                        let quiet = self.now >= self.cfg.fault_ms + self.cfg.heal_ms / 2;
                        let payloads = match self.cfg.byzantine {
                            Some(Byzantine::Replay) if quiet => vec![payload.clone()],
                            Some(b) if self.bad.contains(&i) => {
                                self.remember_seen(&payload);
                                let key = sim_key(byzantine::BAD);
                                let others: Vec<String> = (1..4).map(|k| format!("orderer{k}")).collect();
                                let liar = byzantine::Liar { id: byzantine::BAD, key: &key, others: &others };
                                byzantine::tamper(b, &liar, &payload, j, &self.seen, &mut self.rng)
                            }
                            _ => vec![payload.clone()],
                        };
                        for payload in payloads {
                            self.report.messages += 1;
                            for delay in self.net.deliveries(&mut self.rng, i, j) {
                                self.at(delay, Event::Deliver { from: i, to: j, payload: payload.clone() });
                            }
                        }
                    }
                }
                Action::Accepted { request } => {
                    if self.bad.contains(&i) {
                        continue; // a Byzantine orderer's word is worth nothing
                    }
                    if let Some(e) = self.requests.get(&request) {
                        self.acked.insert(e.clone());
                    }
                }
                Action::Rejected { .. } => {}
                Action::Ordered(batch) if self.bad.contains(&i) => {
                    // Its ledger is its own business: kept, not checked.
                    let (mut own, mut ignored) = (BTreeMap::new(), Vec::new());
                    if self.nodes[i].ordered(batch, &mut own, &mut ignored) {
                        let height = self.nodes[i].height();
                        let more = self.nodes[i].engine.as_mut().expect("alive").committed(height);
                        self.execute(i, more);
                    }
                }
                Action::Ordered(batch) => {
                    match self.batches.get(&batch.seq) {
                        // Every copy of a block has the same timestamp (it is in the header).
                        Some(b) if b.timestamp_ms != batch.timestamp_ms => {
                            let node = self.nodes[i].id.clone();
                            self.report.violations.push(Violation::Fork { seq: batch.seq, node });
                        }
                        Some(_) => {}
                        None => {
                            self.batches.insert(batch.seq, batch.clone());
                        }
                    }
                    let appended = self.nodes[i].ordered(batch, &mut self.canonical, &mut self.report.violations);
                    if appended {
                        let height = self.nodes[i].height();
                        let more = self.nodes[i].engine.as_mut().expect("alive").committed(height);
                        self.execute(i, more);
                    }
                }
                Action::CatchUp { next_seq } => {
                    let fetched = self.nodes[i].catch_up(next_seq, &self.canonical, &mut self.report.violations);
                    let engine = self.nodes[i].engine.as_mut().expect("alive");
                    let batches = &self.batches;
                    let mut more: Vec<Action> =
                        fetched.iter().filter_map(|seq| batches.get(seq)).flat_map(|b| engine.fetched(b)).collect();
                    let height = self.nodes[i].height();
                    more.extend(self.nodes[i].engine.as_mut().expect("alive").committed(height));
                    self.execute(i, more);
                }
            }
        }
    }

    fn remember_seen(&mut self, payload: &[u8]) {
        if self.cfg.byzantine == Some(Byzantine::Replay) && self.seen.len() < 2000 {
            self.seen.push(payload.to_vec());
        }
    }

    fn check_end(&mut self) {
        let v = &mut self.report.violations;
        let chain: BTreeSet<&Vec<u8>> = self.canonical.values().flatten().collect();
        for e in &self.acked {
            if !chain.contains(e) {
                v.push(Violation::LostAck { envelope: String::from_utf8_lossy(e).into() });
            }
        }
        // A removed orderer stops where it was removed.
        let heights: Vec<(NodeId, u64)> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| self.members.contains(&n.id) && !self.bad.contains(i))
            .map(|(_, n)| (n.id.clone(), n.height()))
            .collect();
        let top = 1 + self.canonical.len() as u64;
        if let Some((id, h)) = heights.iter().find(|(_, h)| *h != top) {
            v.push(Violation::NoLiveness { detail: format!("{id} at height {h}, chain at {top} (all: {heights:?})") });
        }
        let missing = self.after_heal.iter().filter(|e| !chain.contains(e)).count();
        if missing > 0 {
            v.push(Violation::NoLiveness {
                detail: format!(
                    "{missing} of {} envelopes submitted after the heal were never ordered",
                    self.after_heal.len()
                ),
            });
        }
    }
}

/// Runs one seed. A panic inside an engine is this seed's failure
/// (`Violation::Panic`), not the end of a campaign.
pub fn run(cfg: SimConfig) -> Report {
    match std::panic::catch_unwind(|| Sim::new(cfg).run()) {
        Ok(report) => report,
        Err(p) => {
            let message = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Report { violations: vec![Violation::Panic { message }], ..Report::default() }
        }
    }
}
