//! A peer that is not an orderer pulls blocks from the orderers' Deliver
//! service, from its own height on, and commits them; on any failure it
//! reconnects with backoff, so a restarted or partitioned peer catches up.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_stream::StreamExt;
use weft_proto::deliver_client::DeliverClient;
use weft_proto::{DeliverRequest, NodeRole, SignedDeliverRequest};

use crate::run::chain::Chain;
use crate::run::remote::{nodes_with, Remote};

pub async fn run(chain: Arc<Chain>, remote: Arc<Remote>, me: String, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    let mut attempt = 0usize;
    loop {
        let orderers: Vec<String> = nodes_with(&chain.view().rules.config.nodes, NodeRole::Orderer, &me)
            .map(|n| n.grpc_address.clone())
            .collect();
        if orderers.is_empty() {
            tracing::error!("the channel configuration names no orderer to pull blocks from");
        } else {
            let address = &orderers[attempt % orderers.len()];
            attempt += 1;
            tokio::select! {
                result = pull(&chain, &remote, address) => match result {
                    Ok(()) => backoff = Duration::from_millis(100),
                    Err(e) => tracing::warn!(orderer = %address, error = %e, retry_ms = backoff.as_millis() as u64, "block pull interrupted"),
                },
                _ = shutdown.changed() => return,
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn pull(chain: &Chain, remote: &Remote, address: &str) -> Result<(), String> {
    let channel = remote.channel(address).map_err(|e| e.to_string())?;
    let mut client = DeliverClient::new(channel).max_decoding_message_size(weft_proto::MAX_MESSAGE_BYTES);
    let me = remote.identity();
    let (request, signature) = weft_identity::sign_request(
        me,
        &DeliverRequest {
            channel_id: chain.view().rules.channel_id.clone(),
            identity: Some(me.identity.clone()),
            start_block: Some(chain.height()),
            stop_block: None,
        },
    );
    let mut stream = client
        .blocks(SignedDeliverRequest { request, signature })
        .await
        .map_err(|s| s.message().to_string())?
        .into_inner();
    tracing::info!(orderer = %address, from = chain.height(), "pulling blocks");
    while let Some(item) = stream.next().await {
        let block = item.map_err(|s| s.message().to_string())?.block.ok_or("deliver sent no block")?;
        let number = block.header.as_ref().map(|h| h.number).unwrap_or(0);
        if number < chain.height() {
            continue;
        }
        chain.commit(block).await.map_err(|e| format!("block {number}: {e}"))?;
    }
    Err("the orderer closed the stream".into())
}
