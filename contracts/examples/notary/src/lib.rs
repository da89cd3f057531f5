//! `notary`: "contract certificate on blockchain". A client notarizes the
//! SHA-256 of a document (the document itself never reaches the ledger) and
//! gets a certificate number stamped with the transaction's time; anyone can
//! later verify a document by its hash.
//!
//! The certificate number is derived from the tx id rather than taken from a
//! counter: a shared counter key would make every two notarizations in one
//! block conflict (MVCC), while tx ids are unique per channel already.

use serde::{Deserialize, Serialize};
use weft_contract_sdk::{contract, Context, ContractError, Result};

contract! {
    "Notarize" => notarize(document_hash: String, metadata: String),
    "Verify" => verify(document_hash: String),
    "GetCertificate" => get_certificate(number: String),
}

/// Longest metadata accepted, in bytes.
pub const MAX_METADATA_BYTES: usize = 4096;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Certificate {
    pub number: String,
    pub document_hash: String,
    pub metadata: String,
    pub tx_id: String,
    /// The transaction's timestamp, ms since the Unix epoch (UTC).
    pub timestamp_ms: u64,
    /// The org of the client that notarized.
    pub notarized_by: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Verification {
    pub notarized: bool,
    pub certificate: Option<Certificate>,
}

fn doc_key(hash: &str) -> String {
    format!("doc~{hash}")
}

fn cert_key(number: &str) -> String {
    format!("cert~{number}")
}

/// Lowercase hex SHA-256, or an error saying what a hash looks like.
fn normalise_hash(hash: &str) -> Result<String> {
    let h = hash.trim().to_ascii_lowercase();
    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ContractError::new(format!(
            "document_hash must be a SHA-256 as 64 hex characters (e.g. the output of `sha256sum`), got {hash:?}"
        )));
    }
    Ok(h)
}

/// `NTR-XXXX-XXXX-XXXX-XXXX` from the first 8 bytes of the tx id.
fn certificate_number(tx_id: &[u8; 32]) -> String {
    let hex: String = tx_id[..8].iter().map(|b| format!("{b:02X}")).collect();
    format!("NTR-{}-{}-{}-{}", &hex[0..4], &hex[4..8], &hex[8..12], &hex[12..16])
}

pub fn notarize(ctx: &mut dyn Context, document_hash: String, metadata: String) -> Result<Certificate> {
    let hash = normalise_hash(&document_hash)?;
    if metadata.len() > MAX_METADATA_BYTES {
        return Err(ContractError::new(format!(
            "metadata is {} bytes; at most {MAX_METADATA_BYTES} are kept on the ledger",
            metadata.len()
        )));
    }
    if let Some(existing) = ctx.get_json::<Certificate>(&doc_key(&hash))? {
        return Err(ContractError::new(format!(
            "this document was already notarized: certificate {} at {} ms (tx {})",
            existing.number, existing.timestamp_ms, existing.tx_id
        )));
    }
    let tx_id = ctx.tx_id();
    let cert = Certificate {
        number: certificate_number(&tx_id),
        document_hash: hash,
        metadata,
        tx_id: ctx.tx_id_hex(),
        timestamp_ms: ctx.tx_timestamp_ms(),
        notarized_by: ctx.creator().org_id,
    };
    ctx.put_json(&doc_key(&cert.document_hash), &cert)?;
    ctx.put(&cert_key(&cert.number), cert.document_hash.as_bytes());
    ctx.set_event("Notarized", &serde_json::to_vec(&cert)?);
    Ok(cert)
}

pub fn verify(ctx: &mut dyn Context, document_hash: String) -> Result<Verification> {
    let hash = normalise_hash(&document_hash)?;
    let certificate: Option<Certificate> = ctx.get_json(&doc_key(&hash))?;
    Ok(Verification { notarized: certificate.is_some(), certificate })
}

pub fn get_certificate(ctx: &mut dyn Context, number: String) -> Result<Certificate> {
    let hash = ctx
        .get(&cert_key(number.trim()))
        .ok_or_else(|| ContractError::new(format!("no certificate numbered {number:?}")))?;
    let hash = String::from_utf8(hash).map_err(|_| ContractError::new("corrupt certificate index entry"))?;
    ctx.get_json(&doc_key(&hash))?.ok_or_else(|| ContractError::new(format!("certificate {number} has no document")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_contract_sdk::MockContext;

    const HASH: &str = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

    #[test]
    fn notarize_then_verify() {
        let mut ctx = MockContext::new("notary");
        ctx.set_timestamp_ms(1_764_000_000_000);
        let cert = notarize(&mut ctx, HASH.into(), "contract #42".into()).unwrap();
        assert_eq!(cert.document_hash, HASH.to_ascii_lowercase());
        assert_eq!(cert.timestamp_ms, 1_764_000_000_000);
        assert!(cert.number.starts_with("NTR-") && cert.number.len() == 23, "{}", cert.number);
        assert_eq!(ctx.events()[0].0, "Notarized");
        ctx.commit();
        let v = verify(&mut ctx, HASH.to_ascii_lowercase()).unwrap();
        assert!(v.notarized);
        assert_eq!(v.certificate.as_ref(), Some(&cert));
        assert_eq!(get_certificate(&mut ctx, cert.number.clone()).unwrap(), cert);
    }

    #[test]
    fn unknown_documents_are_not_notarized() {
        let mut ctx = MockContext::new("notary");
        assert_eq!(verify(&mut ctx, HASH.into()).unwrap(), Verification { notarized: false, certificate: None });
    }

    #[test]
    fn a_document_is_notarized_once() {
        let mut ctx = MockContext::new("notary");
        let first = notarize(&mut ctx, HASH.into(), String::new()).unwrap();
        ctx.commit();
        let err = notarize(&mut ctx, HASH.into(), String::new()).unwrap_err();
        assert!(err.message().contains(&first.number), "{err}");
    }

    #[test]
    fn bad_hashes_and_metadata_are_refused() {
        let mut ctx = MockContext::new("notary");
        assert!(notarize(&mut ctx, "abc".into(), String::new()).unwrap_err().message().contains("64 hex"));
        let big = "x".repeat(MAX_METADATA_BYTES + 1);
        assert!(notarize(&mut ctx, HASH.into(), big).unwrap_err().message().contains("at most 4096"));
    }
}
