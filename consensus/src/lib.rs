//! weft-consensus: ordering engines as pure state machines.
//!
//! An engine takes inputs (envelopes to order, messages from other orderers,
//! ticks of a logical clock) and returns [`Action`]s for the node's driver to
//! carry out: send a message, or hand over an ordered [`Batch`]. The driver
//! turns batch `n` into block `n` (number, previous hash, data hash) with
//! `weft_ledger::new_block`, so every engine orders batches and none of them
//! hashes blocks or touches a disk, a socket or a clock. That is what lets a
//! seeded simulator run them under faults.
//!
//! Engines: [`Solo`] (one orderer, for development and single-org chains)
//! [`Raft`] (crash fault tolerant, raft-rs) and [`Pbft`] (Byzantine fault
//! tolerant, our own). [`sim`] runs any number of engines on a seeded, faulty network.

mod batch_cutter;
pub mod pbft;
pub mod raft;
pub mod sim;
mod solo;

pub use batch_cutter::{BatchCutter, BatchLimits, Cut};
pub use pbft::{Pbft, PbftConfig};
pub use raft::{Raft, RaftConfig};
pub use solo::Solo;

use thiserror::Error;

/// An orderer's id, as in the channel configuration's `NodeConfig.node_id`.
pub type NodeId = String;

/// Envelopes ordered at one position of the chain: block `seq` will carry
/// exactly these, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub seq: u64,
    pub envelopes: Vec<Vec<u8>>,
    /// When the batch was cut, by the clock of the node that cut it (raft:
    /// the leader's, carried in the entry so every orderer stamps its block
    /// alike); 0 lets the driver use its own clock (solo).
    pub timestamp_ms: u64,
    /// PBFT: the encoded `PbftCommitCertificate` (2f+1 signed commits) the
    /// block's metadata carries so that every peer can check the block on
    /// its own; empty for solo and raft.
    pub proof: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// An envelope a client submitted; `request` is the driver's handle for
    /// telling that client the outcome.
    Submit { request: u64, envelope: Vec<u8> },
    /// A message from another orderer (unused by solo).
    Message { from: NodeId, payload: Vec<u8> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The engine took `request` and will order it (or has).
    Accepted { request: u64 },
    /// The engine will not order `request`; tell the client why.
    Rejected { request: u64, reason: RejectReason },
    /// The next batch of the chain; the driver builds, persists and
    /// distributes block `batch.seq` from it.
    Ordered(Batch),
    /// Send `payload` to another orderer.
    Send { to: NodeId, payload: Vec<u8> },
    /// Make these writes durable, in order, before carrying out any later
    /// action (raft: entries and hard state before the messages that
    /// promise them). Keys are the engine's own; the driver stores them
    /// under the engine's prefix and hands them all back on restart.
    Persist(Vec<StoreOp>),
    /// Batches below `next_seq` were ordered while this node was away and
    /// are no longer in the engine's log: fetch those blocks from another
    /// node before committing the batches that follow.
    CatchUp { next_seq: u64 },
}

/// One durable write an engine asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOp {
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
    },
    /// Deletes keys in `[from, to)`.
    DeleteRange {
        from: Vec<u8>,
        to: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RejectReason {
    #[error("envelope is {size} bytes, over the channel's absolute_max_bytes of {limit}; send smaller transactions or raise the batch limit by a config update")]
    TooLarge { size: usize, limit: usize },
    #[error("this orderer is not the leader; send to {leader:?}")]
    NotLeader { leader: Option<NodeId> },
    #[error("the orderer is draining for shutdown or upgrade; retry on another orderer")]
    Draining,
    #[error("the envelope was not ordered within {ticks} ticks (no leader reachable?); check the orderers' status and resubmit")]
    Timeout { ticks: u64 },
    #[error("this orderer was removed from the channel's consenters; send to another orderer")]
    Removed,
}

/// Carries out writes on an in-memory disk (the simulator's, tests').
pub fn apply_ops(disk: &mut std::collections::BTreeMap<Vec<u8>, Vec<u8>>, ops: Vec<StoreOp>) {
    for op in ops {
        match op {
            StoreOp::Put { key, value } => {
                disk.insert(key, value);
            }
            StoreOp::DeleteRange { from, to } => disk.retain(|k, _| !(*k >= from && *k < to)),
        }
    }
}

/// What an engine reports for admin status and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub engine: &'static str,
    /// This node's role, e.g. "leader", "follower", "candidate".
    pub role: &'static str,
    pub leader: Option<NodeId>,
    /// Raft term (0 for solo).
    pub term: u64,
    /// Highest log position known committed, and the highest applied.
    pub commit_index: u64,
    pub applied_index: u64,
    /// Entries kept in the engine's log (compacted behind committed blocks).
    pub log_entries: u64,
    /// Batches this node proposed as leader, ever since it started.
    pub proposals: u64,
    /// Sequence number the next ordered batch will have.
    pub next_seq: u64,
    /// Envelopes waiting for the current batch to be cut.
    pub pending: usize,
    /// Messages from other orderers refused (bad signature, unknown
    /// signer, contradicting what they sent before: PBFT), and the last
    /// reason; a Byzantine or broken orderer shows here.
    pub refused: u64,
    pub last_refusal: String,
}

/// An ordering engine. Each method returns the actions the driver must take,
/// in order. Implementations are deterministic: the same inputs and ticks in
/// the same order give the same actions.
pub trait Consensus {
    fn step(&mut self, input: Input) -> Vec<Action>;

    /// One tick of the logical clock (the driver ticks at the channel's
    /// configured interval).
    fn tick(&mut self) -> Vec<Action>;

    /// The wall clock, given by the driver before each tick (engines never
    /// read a clock themselves); raft stamps the batches it cuts with it.
    fn set_time(&mut self, _now_ms: u64) {}

    /// Stop accepting envelopes and order what is pending; a raft leader
    /// hands leadership to the most up-to-date follower.
    fn drain(&mut self) -> Vec<Action>;

    /// The ledger now holds every block below `height`; engines may forget
    /// what they kept to rebuild those (raft compacts its log).
    fn committed(&mut self, _height: u64) -> Vec<Action> {
        Vec::new()
    }

    /// This block was fetched from another node after a `CatchUp` (this
    /// engine did not see it ordered), as a batch: its number, envelopes,
    /// timestamp and proof from the block's metadata. Engines that wait for
    /// envelopes learn they were ordered; PBFT also checkpoints from it.
    fn fetched(&mut self, _batch: &Batch) -> Vec<Action> {
        Vec::new()
    }

    /// The channel configuration's orderers changed (a config block was
    /// committed); engines with membership move towards `orderers`.
    fn reconfigure(&mut self, _orderers: Vec<NodeId>) -> Vec<Action> {
        Vec::new()
    }

    /// A committed configuration update changed the channel's batch
    /// limits; they apply from the next batch cut.
    fn set_batch_limits(&mut self, limits: BatchLimits);

    fn status(&self) -> Status;
}
