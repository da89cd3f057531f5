//! Orderer signatures on blocks. The orderer that cuts a block signs its
//! hash, its timestamp and the consensus metadata; a committer accepts a
//! block from the network only with a valid signature from a node that the
//! channel configuration lists as an orderer.

use weft_consensus::pbft::CertificateCheck;
use weft_identity::{Membership, Signature, SigningKeyPair};
use weft_proto::{block_hash, Block, SerializedIdentity, SignatureWithIdentity};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlockSignatureError {
    #[error("block {0} has no header")]
    NoHeader(u64),
    #[error("block {0} carries no orderer signature")]
    Unsigned(u64),
    #[error("block {number}: signer {signer} is not an orderer of this channel")]
    NotAnOrderer { number: u64, signer: String },
    #[error("block {number}: orderer certificate of {signer} rejected: {reason}")]
    BadCertificate { number: u64, signer: String, reason: String },
    #[error("block {number}: orderer signature of {signer} does not verify")]
    BadSignature { number: u64, signer: String },
    #[error("block {number}: {reason} (a PBFT block needs the signed commits of 2f+1 orderers for exactly its contents; fetch it from another orderer)")]
    CommitCertificate { number: u64, reason: String },
}

/// Checks a PBFT block's commit certificate (its consensus metadata): 2f+1
/// orderers committed exactly this block's envelopes and timestamp at its
/// number.
pub fn verify_commit_certificate(block: &Block, check: &CertificateCheck) -> Result<(), BlockSignatureError> {
    let number = block.header.as_ref().map(|h| h.number).ok_or(BlockSignatureError::NoHeader(0))?;
    let metadata = block.metadata.clone().unwrap_or_default();
    let envelopes = block.data.as_ref().map(|d| d.envelopes.as_slice()).unwrap_or_default();
    check
        .check(&metadata.consensus_metadata, number, metadata.timestamp_unix_ms, envelopes)
        .map_err(|reason| BlockSignatureError::CommitCertificate { number, reason })
}

/// What an orderer signs for a block.
pub fn orderer_signature_message(block: &Block) -> Option<Vec<u8>> {
    let header = block.header.as_ref()?;
    let metadata = block.metadata.clone().unwrap_or_default();
    let mut message = block_hash(header).to_vec();
    message.extend_from_slice(&metadata.timestamp_unix_ms.to_be_bytes());
    message.extend_from_slice(&metadata.consensus_metadata);
    Some(message)
}

/// Adds `signer`'s orderer signature to `block`.
pub fn sign_block(block: &mut Block, signer: &SerializedIdentity, key: &SigningKeyPair) {
    let message = orderer_signature_message(block).expect("blocks we cut have a header");
    let signature = key.sign(&message).to_bytes().to_vec();
    block
        .metadata
        .get_or_insert_with(Default::default)
        .signatures
        .push(SignatureWithIdentity { signer: Some(signer.clone()), signature });
}

/// Checks that at least one signature on `block` is a valid signature of a
/// current orderer (`orderer_certs`: their DER certificates), judged at the
/// block's own timestamp.
pub fn verify_block(
    block: &Block,
    membership: &Membership,
    orderer_certs: &[Vec<u8>],
) -> Result<(), BlockSignatureError> {
    let number = block.header.as_ref().map(|h| h.number).unwrap_or(0);
    let message = orderer_signature_message(block).ok_or(BlockSignatureError::NoHeader(number))?;
    let metadata = block.metadata.clone().unwrap_or_default();
    let now = (metadata.timestamp_unix_ms / 1000) as i64;
    let mut first_error = BlockSignatureError::Unsigned(number);
    for s in &metadata.signatures {
        let Some(signer) = &s.signer else { continue };
        let who = signer.org_id.clone();
        let result = (|| {
            if !orderer_certs.contains(&signer.certificate_der) {
                return Err(BlockSignatureError::NotAnOrderer { number, signer: who.clone() });
            }
            let identity = membership.validate(signer, now).map_err(|e| BlockSignatureError::BadCertificate {
                number,
                signer: who.clone(),
                reason: e.to_string(),
            })?;
            let signature = Signature::from_bytes(&s.signature)
                .map_err(|_| BlockSignatureError::BadSignature { number, signer: who.clone() })?;
            identity
                .public_key
                .verify(&message, &signature)
                .map_err(|_| BlockSignatureError::BadSignature { number, signer: who.clone() })
        })();
        match result {
            Ok(()) => return Ok(()),
            Err(e) => first_error = e,
        }
    }
    Err(first_error)
}

#[cfg(test)]
mod tests {
    use prost::Message as _;
    use weft_consensus::pbft::{digest, sign, CertificateCheck};
    use weft_consensus::sim::sim_key;
    use weft_proto::pbft_message::Kind;
    use weft_proto::{PbftBatch, PbftCommitCertificate, PbftMessage, PbftVote};

    use super::*;

    const ORDERERS: [&str; 4] = ["o0", "o1", "o2", "o3"];

    fn check() -> CertificateCheck {
        CertificateCheck::new(ORDERERS.iter().map(|o| (o.to_string(), sim_key(o).verifying_key())).collect())
    }

    /// Block 1 with its commit certificate signed by `signers`.
    fn block(signers: &[&str]) -> Block {
        let envelopes = vec![b"tx-a".to_vec(), b"tx-b".to_vec()];
        let mut block = weft_ledger::new_block(1, &[7u8; 32], envelopes.clone());
        let batch = PbftBatch { seq: 1, timestamp_ms: 1_700_000_000_000, envelopes };
        let d = digest(&batch);
        let vote = PbftVote { view: 2, seq: 1, digest: d.clone() };
        let commits = signers
            .iter()
            .map(|s| sign(&sim_key(s), s, &PbftMessage { executed: 0, kind: Some(Kind::Commit(vote.clone())) }))
            .collect();
        let cert = PbftCommitCertificate { view: 2, seq: 1, digest: d, commits };
        let metadata = block.metadata.get_or_insert_with(Default::default);
        metadata.timestamp_unix_ms = batch.timestamp_ms;
        metadata.consensus_metadata = cert.encode_to_vec();
        block
    }

    fn refused(block: &Block) -> String {
        verify_commit_certificate(block, &check()).unwrap_err().to_string()
    }

    #[test]
    fn a_pbft_block_commits_only_with_2f_plus_1_commits_for_exactly_its_contents() {
        assert_eq!(verify_commit_certificate(&block(&["o0", "o1", "o3"]), &check()), Ok(()));
        assert!(refused(&block(&["o0", "o1"])).contains("2 commits in its certificate, 3 needed"));
        assert!(refused(&block(&["o0", "o1", "o1"])).contains("2 commits in its certificate"), "a signer counts once");
        assert!(refused(&block(&["o0", "o1", "o9"])).contains("o9, which is not an orderer"));

        let mut changed = block(&["o0", "o1", "o2"]);
        changed.data.as_mut().unwrap().envelopes[1] = b"tx-c".to_vec();
        assert!(refused(&changed).contains("for another batch"));
        let mut restamped = block(&["o0", "o1", "o2"]);
        restamped.metadata.as_mut().unwrap().timestamp_unix_ms += 1;
        assert!(refused(&restamped).contains("for another batch"), "the timestamp is part of what was agreed");
        let mut bare = block(&["o0", "o1", "o2"]);
        bare.metadata.as_mut().unwrap().consensus_metadata.clear();
        let why = refused(&bare);
        assert!(why.starts_with("block 1: ") && why.contains("fetch it from another orderer"), "{why}");
    }
}
