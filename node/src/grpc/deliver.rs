//! Block streams: Deliver (full blocks), and the Gateway's BlockEvents and
//! ChaincodeEvents, all read from the ledger from a start block and then
//! followed as the height grows. Reading from the ledger (not from an
//! in-memory broadcast) means a slow client never misses a block.

use std::pin::Pin;
use std::sync::Arc;

use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use weft_identity::Role;
use weft_proto::deliver_server::Deliver;
use weft_proto::{
    block_hash, payload, Block, BlockEventsResponse, ChaincodeEvent, ChaincodeEventsResponse, DeliverRequest,
    DeliverResponse, Envelope, Payload, ProposalResult, SignedDeliverRequest, SignedSnapshotTransferRequest,
    SnapshotChunk, SnapshotTransferRequest, TxSummary, TxValidationCode,
};

use super::auth::{signed_for_channel, verify_channel_request};
use crate::run::served::ServedChannel;
use crate::run::NodeCore;

/// Checks a signed deliver request.
pub fn deliver_request(
    core: &NodeCore,
    signed: &SignedDeliverRequest,
) -> Result<(DeliverRequest, Arc<ServedChannel>), Status> {
    let (request, channel) = verify_channel_request::<DeliverRequest>(
        core,
        &signed.request,
        &signed.signature,
        |r| r.identity.as_ref(),
        |r| &r.channel_id,
    )?;
    if let (Some(start), Some(stop)) = (request.start_block, request.stop_block) {
        if stop < start {
            return Err(Status::invalid_argument(format!("stop_block {stop} is before start_block {start}")));
        }
    }
    Ok((request, channel))
}

/// Streams `map(block)` for blocks start..=stop (following the chain when
/// there is no stop), skipping blocks for which `map` returns None.
fn follow<T: Send + 'static>(
    core: &Arc<NodeCore>,
    channel: &ServedChannel,
    start: Option<u64>,
    stop: Option<u64>,
    map: impl Fn(Block) -> Option<T> + Send + 'static,
) -> impl Stream<Item = Result<T, Status>> + Send + 'static {
    let (tx, rx) = mpsc::channel(16);
    let chain = channel.chain.clone();
    let mut shutdown = core.shutdown.subscribe();
    let left = channel.stopped();
    tokio::spawn(async move {
        tokio::pin!(left);
        let mut height = chain.watch_height();
        let mut next = start.unwrap_or_else(|| chain.height());
        loop {
            while next < *height.borrow_and_update() {
                if stop.is_some_and(|s| next > s) {
                    return;
                }
                let block = match chain.reader().block(next) {
                    Ok(Some(b)) => b,
                    Ok(None) => {
                        let _ = tx
                            .send(Err(Status::out_of_range(format!(
                                "block {next} is not in this ledger (pruned or snapshot-based)"
                            ))))
                            .await;
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(Status::internal(format!("reading block {next}: {e}")))).await;
                        return;
                    }
                };
                next += 1;
                if let Some(item) = map(block) {
                    if tx.send(Ok(item)).await.is_err() {
                        return;
                    }
                }
            }
            if stop.is_some_and(|s| next > s) {
                return;
            }
            tokio::select! {
                changed = height.changed() => if changed.is_err() { return },
                _ = shutdown.changed() => {
                    let _ = tx.send(Err(Status::unavailable("the node is shutting down; reconnect to another node"))).await;
                    return;
                }
                _ = &mut left => {
                    let _ = tx.send(Err(Status::unavailable("this node left the channel; reconnect to another node"))).await;
                    return;
                }
                _ = tx.closed() => return,
            }
        }
    });
    ReceiverStream::new(rx)
}

pub fn block_events(
    core: &Arc<NodeCore>,
    channel: &ServedChannel,
    start: Option<u64>,
    stop: Option<u64>,
) -> impl Stream<Item = Result<BlockEventsResponse, Status>> + Send + 'static {
    follow(core, channel, start, stop, |block| {
        let header = block.header.clone().unwrap_or_default();
        let codes = block.metadata.as_ref().map(|m| m.validation_codes.clone()).unwrap_or_default();
        let envelopes = block.data.map(|d| d.envelopes).unwrap_or_default();
        let transactions = envelopes
            .iter()
            .zip(codes.iter().chain(std::iter::repeat(&(TxValidationCode::NotValidated as i32))))
            .map(|(e, code)| TxSummary { tx_id: tx_id_of(e), code: *code })
            .collect();
        Some(BlockEventsResponse { number: header.number, hash: block_hash(&header).to_vec(), transactions })
    })
}

pub fn chaincode_events(
    core: &Arc<NodeCore>,
    channel: &ServedChannel,
    contract: String,
    start: Option<u64>,
) -> impl Stream<Item = Result<ChaincodeEventsResponse, Status>> + Send + 'static {
    follow(core, channel, start, None, move |block| {
        let number = block.header.as_ref().map(|h| h.number).unwrap_or(0);
        let codes = block.metadata.as_ref().map(|m| m.validation_codes.clone()).unwrap_or_default();
        let envelopes = block.data.map(|d| d.envelopes).unwrap_or_default();
        let mut events = Vec::new();
        for (envelope, code) in envelopes.iter().zip(&codes) {
            if *code != TxValidationCode::Valid as i32 {
                continue;
            }
            let Some((tx_id, result)) = result_of(envelope) else { continue };
            events.extend(result.events.into_iter().filter(|e| e.contract == contract).map(|e| ChaincodeEvent {
                tx_id: tx_id.clone(),
                contract: e.contract,
                name: e.name,
                payload: e.payload,
            }));
        }
        (!events.is_empty()).then_some(ChaincodeEventsResponse { block_number: number, events })
    })
}

fn tx_id_of(envelope: &[u8]) -> Vec<u8> {
    Envelope::decode(envelope)
        .ok()
        .and_then(|e| Payload::decode(e.payload.as_slice()).ok())
        .and_then(|p| p.header)
        .map(|h| h.tx_id)
        .unwrap_or_default()
}

fn result_of(envelope: &[u8]) -> Option<(Vec<u8>, ProposalResult)> {
    let payload = Payload::decode(Envelope::decode(envelope).ok()?.payload.as_slice()).ok()?;
    let tx_id = payload.header?.tx_id;
    match payload.body? {
        payload::Body::Transaction(tx) => Some((tx_id, ProposalResult::decode(tx.result_bytes.as_slice()).ok()?)),
        _ => None,
    }
}

pub struct DeliverService {
    pub core: Arc<NodeCore>,
}

type BlockStream = Pin<Box<dyn Stream<Item = Result<DeliverResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Deliver for DeliverService {
    type BlocksStream = BlockStream;
    type StateSnapshotStream = ChunkStream;

    async fn state_snapshot(
        &self,
        request: Request<SignedSnapshotTransferRequest>,
    ) -> Result<Response<ChunkStream>, Status> {
        let signed = request.into_inner();
        let (_, channel, who) = signed_for_channel::<SnapshotTransferRequest>(
            &self.core,
            &signed.request,
            &signed.signature,
            |r| r.identity.as_ref(),
            |r| &r.channel_id,
        )?;
        if !matches!(who.role, Role::Peer | Role::Orderer) {
            return Err(Status::permission_denied(format!(
                "state snapshots are for nodes joining the channel; {} is a {} certificate",
                who.common_name, who.role
            )));
        }
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let path = self.core.config.data_dir.join("snapshots").join(format!("transfer-{nanos}.snap"));
        let header = channel.chain.snapshot(path.clone()).await.map_err(|e| Status::internal(e.to_string()))?;
        tracing::info!(
            to = %who.common_name,
            height = header.height,
            entries = header.entry_count,
            txs = header.tx_count,
            "sending a state snapshot to a joining node"
        );
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            let sent = send_file(&path, &tx).await;
            let _ = tokio::fs::remove_file(&path).await;
            if let Err(e) = sent {
                let _ = tx.send(Err(Status::internal(format!("reading the snapshot: {e}")))).await;
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn blocks(&self, request: Request<SignedDeliverRequest>) -> Result<Response<BlockStream>, Status> {
        let (request, channel) = deliver_request(&self.core, request.get_ref())?;
        let stream = follow(&self.core, &channel, request.start_block, request.stop_block, |block| {
            Some(DeliverResponse { block: Some(block) })
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<SnapshotChunk, Status>> + Send>>;

/// Snapshot files go out in chunks well under the gRPC message limit.
const CHUNK_BYTES: usize = 1 << 20;

async fn send_file(path: &std::path::Path, tx: &mpsc::Sender<Result<SnapshotChunk, Status>>) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await?;
    loop {
        let mut data = vec![0u8; CHUNK_BYTES];
        let n = file.read(&mut data).await?;
        if n == 0 {
            return Ok(());
        }
        data.truncate(n);
        if tx.send(Ok(SnapshotChunk { data })).await.is_err() {
            return Ok(()); // the caller went away
        }
    }
}
