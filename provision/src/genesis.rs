//! The genesis block: block 0, one CONFIG transaction carrying the channel's
//! first configuration, signed by every org's admin.

use prost::Message;
use weft_identity::SigningKeyPair;
use weft_proto::{
    new_block, payload, Block, ChannelConfig, ChannelHeader, ConfigUpdateEnvelope, Envelope, HeaderType, Payload,
    SerializedIdentity, SignatureWithIdentity, TxId,
};

/// An org admin who signs the genesis configuration.
pub struct GenesisSigner<'a> {
    pub identity: SerializedIdentity,
    pub key: &'a SigningKeyPair,
}

/// Block 0 of `config.channel_id`. The first signer is the transaction's
/// creator; every signer signs the configuration bytes.
pub fn genesis_block(config: &ChannelConfig, signers: &[GenesisSigner<'_>], timestamp_unix_ms: u64) -> Block {
    new_block(0, &[], vec![config_envelope(config, signers, timestamp_unix_ms)])
}

/// A CONFIG transaction proposing `config` (the whole new configuration,
/// `sequence` one above the current), signed by `signers`; the first is the
/// creator. Used for the genesis block and for configuration updates.
pub fn config_envelope(config: &ChannelConfig, signers: &[GenesisSigner<'_>], timestamp_unix_ms: u64) -> Vec<u8> {
    let creator = signers.first().expect("a configuration transaction needs at least one admin signature");
    let config_bytes = config.encode_to_vec();
    let signatures = signers
        .iter()
        .map(|s| SignatureWithIdentity {
            signer: Some(s.identity.clone()),
            signature: s.key.sign(&config_bytes).to_bytes().to_vec(),
        })
        .collect();
    let nonce: [u8; 24] = rand::random();
    let tx_id = TxId::derive(&nonce, &creator.identity.certificate_der).0.to_vec();
    let payload = Payload {
        header: Some(ChannelHeader {
            r#type: HeaderType::Config as i32,
            channel_id: config.channel_id.clone(),
            tx_id,
            timestamp_unix_ms,
            creator: Some(creator.identity.clone()),
            nonce: nonce.to_vec(),
        }),
        body: Some(payload::Body::ConfigUpdate(ConfigUpdateEnvelope { config_bytes, signatures })),
    }
    .encode_to_vec();
    let signature = creator.key.sign(&payload).to_bytes().to_vec();
    Envelope { payload, signature }.encode_to_vec()
}

/// Why a block is not the configuration block it was taken for.
#[derive(Debug, thiserror::Error)]
pub enum ConfigBlockError {
    #[error("block has no {0}")]
    Missing(&'static str),
    #[error("block {0} is not a genesis block")]
    NotGenesis(u64),
    #[error("a configuration block carries exactly 1 transaction, block {number} carries {count}")]
    TransactionCount { number: u64, count: usize },
    #[error("{part}: {source}")]
    Decode { part: &'static str, source: prost::DecodeError },
    #[error("block {0}'s transaction is not a configuration transaction")]
    NotConfig(u64),
}

/// The channel configuration a genesis block carries.
pub fn read_genesis_config(block: &Block) -> Result<ChannelConfig, ConfigBlockError> {
    let header = block.header.as_ref().ok_or(ConfigBlockError::Missing("header"))?;
    if header.number != 0 {
        return Err(ConfigBlockError::NotGenesis(header.number));
    }
    read_config_block(block)
}

/// The channel configuration a configuration block carries: the genesis
/// block, or a later block holding only a CONFIG transaction (what an
/// update commits in). Only the block's shape is checked here; whether its
/// update was VALID is for the chain that holds it.
pub fn read_config_block(block: &Block) -> Result<ChannelConfig, ConfigBlockError> {
    let number = block.header.as_ref().ok_or(ConfigBlockError::Missing("header"))?.number;
    let data = block.data.as_ref().ok_or(ConfigBlockError::Missing("data"))?;
    let [env] = data.envelopes.as_slice() else {
        return Err(ConfigBlockError::TransactionCount { number, count: data.envelopes.len() });
    };
    let decode = |part| move |source| ConfigBlockError::Decode { part, source };
    let env = Envelope::decode(env.as_slice()).map_err(decode("envelope"))?;
    let payload = Payload::decode(env.payload.as_slice()).map_err(decode("payload"))?;
    match payload.body {
        Some(payload::Body::ConfigUpdate(update)) => {
            ChannelConfig::decode(update.config_bytes.as_slice()).map_err(decode("channel config"))
        }
        _ => Err(ConfigBlockError::NotConfig(number)),
    }
}
