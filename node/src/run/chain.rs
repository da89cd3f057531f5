//! The channel as the rest of the node sees it: one thread owns the
//! committer (RocksDB writes are synchronous and must be serialised); tasks
//! send it blocks and read the results, the height (a watch channel that
//! wakes streams and commit-status waiters) and a snapshot of the channel
//! rules taken after each block.

use std::collections::BTreeMap;
use std::sync::{mpsc, Arc, RwLock};
use std::time::Instant;

use tokio::sync::{oneshot, watch};
use weft_consensus::Batch;
use weft_contracts::CodeHash;
use weft_identity::SigningKeyPair;
use weft_ledger::ChannelReader;
use weft_proto::{Block, SerializedIdentity, SnapshotHeader};

use crate::block_signing::sign_block;
use crate::run::metrics::Metrics;
use crate::{ChannelRules, CommitError, Committed, Committer};

/// The channel rules and contract directory as of the last committed block.
pub struct View {
    pub rules: ChannelRules,
    pub directory: Arc<BTreeMap<String, CodeHash>>,
}

/// An orderer's block-signing identity.
pub struct BlockSigner {
    pub identity: SerializedIdentity,
    pub key: SigningKeyPair,
}

type Reply<T> = oneshot::Sender<Result<T, CommitError>>;

enum Command {
    /// Cut, sign and commit the next block from an ordered batch.
    Order(Batch, Reply<Committed>),
    /// Commit a block signed by an orderer.
    Block(Box<Block>, Reply<Committed>),
    Snapshot(std::path::PathBuf, Reply<SnapshotHeader>),
}

pub struct Chain {
    commands: mpsc::Sender<Command>,
    height: watch::Receiver<u64>,
    view: Arc<RwLock<Arc<View>>>,
    reader: ChannelReader,
    /// The block signer's certificate, if this node may order.
    signer_certificate: Option<Vec<u8>>,
}

impl Chain {
    /// Starts the committer thread. It stops when the last `Chain` handle
    /// is dropped, after finishing the block in hand.
    pub fn start(committer: Committer, signer: Option<BlockSigner>, metrics: Arc<Metrics>) -> Chain {
        let (tx, rx) = mpsc::channel::<Command>();
        let reader = committer.ledger().reader();
        let (height_tx, height) = watch::channel(committer.ledger().height());
        let view = Arc::new(RwLock::new(Arc::new(view_of(&committer))));
        metrics.record_height(committer.ledger().channel_id().as_str(), committer.ledger().height());
        let shared = view.clone();
        let signer_certificate = signer.as_ref().map(|s| s.identity.certificate_der.clone());
        std::thread::Builder::new()
            .name("committer".into())
            .spawn(move || committer_loop(committer, signer, rx, height_tx, shared, metrics))
            .expect("spawn committer thread");
        Chain { commands: tx, height, view, reader, signer_certificate }
    }

    /// Whether the configuration in force names this node an orderer, so
    /// that blocks it cuts and signs are valid for everyone.
    pub fn may_sign_blocks(&self) -> bool {
        self.signer_certificate.as_ref().is_some_and(|c| self.view().rules.orderers.contains(c))
    }

    pub fn reader(&self) -> &ChannelReader {
        &self.reader
    }

    pub fn height(&self) -> u64 {
        *self.height.borrow()
    }

    /// Wakes whenever the height changes.
    pub fn watch_height(&self) -> watch::Receiver<u64> {
        self.height.clone()
    }

    pub fn view(&self) -> Arc<View> {
        self.view.read().expect("view lock").clone()
    }

    pub async fn order(&self, batch: Batch) -> Result<Committed, CommitError> {
        self.call(|reply| Command::Order(batch, reply)).await
    }

    pub async fn commit(&self, block: Block) -> Result<Committed, CommitError> {
        self.call(|reply| Command::Block(Box::new(block), reply)).await
    }

    pub async fn snapshot(&self, path: std::path::PathBuf) -> Result<SnapshotHeader, CommitError> {
        self.call(|reply| Command::Snapshot(path, reply)).await
    }

    async fn call<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, CommitError> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(command(tx)).map_err(|_| CommitError::Stopped)?;
        rx.await.map_err(|_| CommitError::Stopped)?
    }
}

fn view_of(committer: &Committer) -> View {
    let rules = committer.rules().clone();
    let directory = Arc::new(rules.directory());
    View { rules, directory }
}

fn committer_loop(
    mut committer: Committer,
    signer: Option<BlockSigner>,
    commands: mpsc::Receiver<Command>,
    height: watch::Sender<u64>,
    view: Arc<RwLock<Arc<View>>>,
    metrics: Arc<Metrics>,
) {
    for command in commands {
        let started = Instant::now();
        let (result, reply) = match command {
            Command::Order(batch, reply) => {
                let result = match &signer {
                    None => Err(CommitError::NotOrderer),
                    // Raft and PBFT batches carry the clock of the node
                    // that cut them, so every orderer's copy of the block
                    // has the same timestamp; a PBFT block also carries its
                    // commit certificate, which that timestamp is part of.
                    Some(s) => committer.next_block(&batch, stamp(&batch)).and_then(|mut block| {
                        block.metadata.get_or_insert_with(Default::default).consensus_metadata = batch.proof.clone();
                        sign_block(&mut block, &s.identity, &s.key);
                        committer.commit_block(&block)
                    }),
                };
                (result, reply)
            }
            Command::Block(block, reply) => (committer.commit_block(&block), reply),
            Command::Snapshot(path, reply) => {
                let _ = reply.send(write_snapshot(&committer, &path));
                continue;
            }
        };
        if let Ok(committed) = &result {
            metrics.record_commit(committer.ledger().channel_id().as_str(), committed, started.elapsed());
            *view.write().expect("view lock") = Arc::new(view_of(&committer));
            height.send_replace(committer.ledger().height());
            tracing::info!(
                block = committed.summary.number,
                txs = committed.txs.len(),
                valid = committed.txs.iter().filter(|t| t.code == weft_proto::TxValidationCode::Valid).count(),
                ms = started.elapsed().as_millis() as u64,
                "committed block"
            );
        }
        let _ = reply.send(result);
    }
}

fn write_snapshot(committer: &Committer, path: &std::path::Path) -> Result<SnapshotHeader, CommitError> {
    let io =
        |source: std::io::Error| CommitError::Io { context: format!("writing snapshot {}", path.display()), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("partial");
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    let header = committer.ledger().export_snapshot(&mut out)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(header)
}

fn stamp(batch: &Batch) -> u64 {
    if batch.timestamp_ms == 0 && batch.proof.is_empty() {
        now_ms()
    } else {
        batch.timestamp_ms
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
