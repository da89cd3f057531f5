//! A block as people read it (`describe`, pure): transactions with
//! creator, contract call, read/write sets, events and validation code.
//! Byte values show as text when they are UTF-8, else as 0x-prefixed hex;
//! values over 4 KiB as their first 64 bytes, length and SHA-256. The
//! explorer (`api::explorer`) and the monitor's per-user counts read
//! blocks through it.

use serde::Serialize;
use utoipa::ToSchema;
use weft_proto::{payload, Block, Envelope, HeaderType, Message, Payload, Proposal, ProposalResult, TxValidationCode};

/// Longer values (a contract's code in its deployment) show as their first
/// PREVIEW bytes, their length and SHA-256.
const MAX_VALUE: usize = 4096;

const PREVIEW: usize = 64;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadView {
    pub namespace: String,
    pub key: String,
    /// block:tx of the version read; absent when the key did not exist.
    pub version: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WriteView {
    pub namespace: String,
    pub key: String,
    pub value: String,
    pub is_delete: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TxView {
    pub block: u64,
    /// Position in its block.
    pub index: usize,
    pub tx_id: String,
    /// endorser | config | malformed
    pub kind: String,
    /// When its creator made it (the creator's clock).
    pub timestamp_ms: u64,
    pub creator_org: String,
    /// The common name of the creator's certificate.
    pub creator: String,
    pub contract: String,
    pub contract_version: String,
    pub function: String,
    pub args: Vec<String>,
    /// VALID, MVCC_READ_CONFLICT, … as the committing peer decided.
    pub validation_code: String,
    pub response_status: i32,
    pub response_message: String,
    pub reads: Vec<ReadView>,
    pub writes: Vec<WriteView>,
    /// Contract events by name.
    pub events: Vec<String>,
    /// Why the envelope could not be decoded (kind malformed).
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BlockView {
    pub number: u64,
    pub hash: String,
    pub previous_hash: String,
    pub data_hash: String,
    /// When the orderer cut it.
    pub timestamp_ms: u64,
    pub transactions: Vec<TxView>,
}

pub fn text(bytes: &[u8]) -> String {
    if bytes.len() > MAX_VALUE {
        use sha2::Digest;
        let digest = hex::encode(sha2::Sha256::digest(bytes));
        return format!("{}… ({} bytes, sha256 {digest})", text(&bytes[..PREVIEW]), bytes.len());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => format!("0x{}", hex::encode(bytes)),
    }
}

fn code_name(code: Option<&i32>) -> String {
    match code.and_then(|c| TxValidationCode::try_from(*c).ok()) {
        Some(c) => c.as_str_name().trim_start_matches("TX_VALIDATION_CODE_").to_string(),
        None => "NOT_VALIDATED".to_string(),
    }
}

/// A block as people read it.
pub fn describe(block: &Block) -> BlockView {
    let header = block.header.clone().unwrap_or_default();
    let meta = block.metadata.clone().unwrap_or_default();
    let envelopes = block.data.as_ref().map(|d| d.envelopes.as_slice()).unwrap_or_default();
    let transactions = envelopes
        .iter()
        .enumerate()
        .map(|(i, env)| {
            let mut tx = TxView {
                block: header.number,
                index: i,
                tx_id: String::new(),
                kind: "malformed".into(),
                timestamp_ms: 0,
                creator_org: String::new(),
                creator: String::new(),
                contract: String::new(),
                contract_version: String::new(),
                function: String::new(),
                args: Vec::new(),
                validation_code: code_name(meta.validation_codes.get(i)),
                response_status: 0,
                response_message: String::new(),
                reads: Vec::new(),
                writes: Vec::new(),
                events: Vec::new(),
                problem: None,
            };
            if let Err(e) = fill(&mut tx, env) {
                tx.problem = Some(e);
            }
            tx
        })
        .collect();
    BlockView {
        number: header.number,
        hash: hex::encode(weft_proto::block_hash(&header)),
        previous_hash: hex::encode(&header.previous_hash),
        data_hash: hex::encode(&header.data_hash),
        timestamp_ms: meta.timestamp_unix_ms,
        transactions,
    }
}

fn fill(tx: &mut TxView, env: &[u8]) -> Result<(), String> {
    let env = Envelope::decode(env).map_err(|e| format!("envelope: {e}"))?;
    let payload = Payload::decode(env.payload.as_slice()).map_err(|e| format!("payload: {e}"))?;
    let h = payload.header.ok_or("payload has no channel header")?;
    tx.tx_id = hex::encode(&h.tx_id);
    tx.timestamp_ms = h.timestamp_unix_ms;
    if let Some(c) = &h.creator {
        tx.creator_org = c.org_id.clone();
        tx.creator = weft_identity::ParsedCertificate::parse(&c.certificate_der)
            .map(|p| p.common_name)
            .unwrap_or_else(|_| "(unreadable certificate)".into());
    }
    match (HeaderType::try_from(h.r#type), payload.body) {
        (Ok(HeaderType::Config), Some(payload::Body::ConfigUpdate(_))) => tx.kind = "config".into(),
        (Ok(HeaderType::EndorserTransaction), Some(payload::Body::Transaction(t))) => {
            tx.kind = "endorser".into();
            let p = Proposal::decode(t.proposal_bytes.as_slice()).map_err(|e| format!("proposal: {e}"))?;
            tx.function = p.function;
            tx.args = p.args.iter().map(|a| text(a)).collect();
            let r = ProposalResult::decode(t.result_bytes.as_slice()).map_err(|e| format!("result: {e}"))?;
            tx.contract = r.contract;
            tx.contract_version = r.contract_version;
            if let Some(resp) = r.response {
                tx.response_status = resp.status;
                tx.response_message = resp.message;
            }
            tx.events = r.events.iter().map(|e| e.name.clone()).collect();
            for ns in r.rwset.unwrap_or_default().ns_rwsets {
                for read in ns.reads {
                    let version = read.version.map(|v| format!("{}:{}", v.block_num, v.tx_num));
                    tx.reads.push(ReadView { namespace: ns.namespace.clone(), key: read.key, version });
                }
                for w in ns.writes {
                    tx.writes.push(WriteView {
                        namespace: ns.namespace.clone(),
                        key: w.key,
                        value: text(&w.value),
                        is_delete: w.is_delete,
                    });
                }
            }
        }
        (t, _) => return Err(format!("header type {t:?} does not match the payload body")),
    }
    Ok(())
}
