//! Channel configuration updates, for anyone holding the org admins' keys
//! (the CLI, the BaaS): read the configuration in force from the chain and
//! submit a new one, waiting until it commits VALID. Building and signing
//! the CONFIG envelope is `weft_provision::config_envelope`.

use prost::Message;
use tokio_stream::StreamExt;
use weft_proto::{payload, ChannelConfig, Envelope, Payload, TxId, TxValidationCode};

use crate::{Gateway, GatewayError};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error("no configuration transaction found in blocks 0..{height}")]
    NotFound { height: u64 },
    #[error("malformed {what}: {message}")]
    Malformed { what: &'static str, message: String },
    #[error(
        "the configuration update (sequence {sequence}) was committed as {code:?}, not VALID; see the nodes' logs"
    )]
    NotValid { sequence: u64, code: TxValidationCode },
}

/// The configuration in force in a chain `height` blocks high: that of the
/// last VALID configuration transaction. Reads every block (the node has no
/// call for the configuration itself yet).
pub async fn current(gateway: &Gateway, height: u64) -> Result<ChannelConfig, ConfigError> {
    let mut blocks = Box::pin(gateway.blocks(Some(0), Some(height.saturating_sub(1))).await?);
    let mut config = None;
    while let Some(block) = blocks.next().await {
        let block = block?;
        let codes = block.metadata.clone().unwrap_or_default().validation_codes;
        for (i, env) in block.data.unwrap_or_default().envelopes.iter().enumerate() {
            if codes.get(i).copied().unwrap_or(0) != TxValidationCode::Valid as i32 {
                continue;
            }
            let Ok(env) = Envelope::decode(env.as_slice()) else { continue };
            let Ok(payload) = Payload::decode(env.payload.as_slice()) else { continue };
            if let Some(payload::Body::ConfigUpdate(u)) = payload.body {
                config =
                    Some(ChannelConfig::decode(u.config_bytes.as_slice()).map_err(|e| ConfigError::Malformed {
                        what: "channel configuration",
                        message: e.to_string(),
                    })?);
            }
        }
    }
    config.ok_or(ConfigError::NotFound { height })
}

/// Submits a signed CONFIG `envelope` carrying configuration `sequence` and
/// returns the block it committed in.
pub async fn submit(gateway: &Gateway, envelope: &[u8], sequence: u64) -> Result<u64, ConfigError> {
    let tx_id = tx_id_of(envelope)?;
    gateway.submit_envelope(&tx_id, envelope).await?;
    let status = gateway.commit_status(&tx_id).await?;
    if status.code != TxValidationCode::Valid {
        return Err(ConfigError::NotValid { sequence, code: status.code });
    }
    Ok(status.block)
}

fn tx_id_of(envelope: &[u8]) -> Result<TxId, ConfigError> {
    let malformed = |e: prost::DecodeError| ConfigError::Malformed { what: "envelope", message: e.to_string() };
    let payload =
        Payload::decode(Envelope::decode(envelope).map_err(malformed)?.payload.as_slice()).map_err(malformed)?;
    TxId::from_slice(&payload.header.unwrap_or_default().tx_id)
        .ok_or(ConfigError::Malformed { what: "envelope", message: "no tx id".into() })
}
