//! PBFT messages on the wire: signing and checking them, batch digests, and
//! decoding from untrusted bytes (never panics).

use std::collections::BTreeMap;
use std::sync::Mutex;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use prost::Message as _;
use sha2::{Digest, Sha256};
use weft_proto::{pbft_message::Kind, PbftBatch, PbftMessage, PbftSigned};

use super::bounded::BoundedSet;
use crate::NodeId;

/// Signatures cover this prefix and the body, so a PBFT signature can never
/// be passed off as a signature over anything else the key signs.
const DOMAIN: &[u8] = b"weft-pbft/1";

/// Signatures remembered as checked. Every message arrives many times
/// (retransmission, and inside every view change and new view that cites
/// it); checking each Ed25519 signature once is most of PBFT's CPU saved.
const REMEMBERED: usize = 200_000;

/// The orderers' public keys, by node id, and the signatures already
/// checked against them.
pub struct Keys {
    keys: BTreeMap<NodeId, VerifyingKey>,
    checked: Mutex<BoundedSet>,
}

impl FromIterator<(NodeId, VerifyingKey)> for Keys {
    fn from_iter<I: IntoIterator<Item = (NodeId, VerifyingKey)>>(iter: I) -> Keys {
        Keys { keys: iter.into_iter().collect(), checked: Mutex::new(BoundedSet::new(REMEMBERED)) }
    }
}

impl Keys {
    fn verify(&self, signed: &PbftSigned) -> Result<(), MessageError> {
        let key = self.keys.get(&signed.signer).ok_or_else(|| MessageError::UnknownSigner(signed.signer.clone()))?;
        let id: [u8; 32] = Sha256::new()
            .chain_update(signed.signer.as_bytes())
            .chain_update([0])
            .chain_update(&signed.signature)
            .chain_update(&signed.body)
            .finalize()
            .into();
        let mut checked = self.checked.lock().unwrap_or_else(|p| p.into_inner());
        if checked.contains(&id) {
            return Ok(());
        }
        let bad = || MessageError::BadSignature { signer: signed.signer.clone() };
        let signature = Signature::from_slice(&signed.signature).map_err(|_| bad())?;
        key.verify(&[DOMAIN, &signed.body].concat(), &signature).map_err(|_| bad())?;
        checked.insert(id);
        Ok(())
    }
}

pub fn digest(batch: &PbftBatch) -> Vec<u8> {
    Sha256::digest(batch.encode_to_vec()).to_vec()
}

pub fn sign(key: &SigningKey, signer: &str, message: &PbftMessage) -> PbftSigned {
    let body = message.encode_to_vec();
    let signature = key.sign(&[DOMAIN, &body].concat()).to_bytes().to_vec();
    PbftSigned { body, signer: signer.to_string(), signature }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("malformed PBFT message: {0}")]
    Malformed(String),
    #[error("PBFT message from {0}, which is not an orderer of the channel")]
    UnknownSigner(String),
    #[error("PBFT message claims to be from {signer} but its signature does not verify")]
    BadSignature { signer: String },
    #[error("PBFT message without content")]
    Empty,
}

/// Checks `signed`'s signature against its signer's key and decodes it.
pub fn open(signed: &PbftSigned, keys: &Keys) -> Result<(PbftMessage, Kind), MessageError> {
    keys.verify(signed)?;
    let message = PbftMessage::decode(signed.body.as_slice()).map_err(|e| MessageError::Malformed(e.to_string()))?;
    let kind = message.kind.clone().ok_or(MessageError::Empty)?;
    Ok((message, kind))
}

/// Decodes a payload from the transport. Messages are self-authenticating:
/// any orderer may pass on another's signed message (a pre-prepare resent
/// to a replica that missed it), so who carried it does not matter; a
/// replayed message is handled like a duplicate.
pub fn receive(payload: &[u8], keys: &Keys) -> Result<(PbftSigned, PbftMessage, Kind), MessageError> {
    let signed = PbftSigned::decode(payload).map_err(|e| MessageError::Malformed(e.to_string()))?;
    let (message, kind) = open(&signed, keys)?;
    Ok((signed, message, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_proto::PbftStatus;

    fn key(i: u8) -> SigningKey {
        SigningKey::from_bytes(&[i; 32])
    }

    #[test]
    fn signed_messages_open_only_with_the_right_key_and_sender() {
        let keys: Keys = [("a".to_string(), key(1).verifying_key()), ("b".to_string(), key(2).verifying_key())]
            .into_iter()
            .collect();
        let m = PbftMessage { executed: 3, kind: Some(Kind::Status(PbftStatus { view: 2 })) };
        let signed = sign(&key(1), "a", &m);
        let (back, kind) = open(&signed, &keys).unwrap();
        assert!(open(&signed, &keys).is_ok(), "a second time, from the cache");
        assert_eq!((back.executed, kind), (3, Kind::Status(PbftStatus { view: 2 })));
        // Claimed by b, signed by a: refused.
        let forged = PbftSigned { signer: "b".into(), ..signed.clone() };
        assert_eq!(open(&forged, &keys).unwrap_err(), MessageError::BadSignature { signer: "b".into() });
        // A changed body: refused.
        let mut tampered = signed.clone();
        tampered.body[1] ^= 1;
        assert!(matches!(open(&tampered, &keys), Err(MessageError::BadSignature { .. })));
        // Passed on by anyone, it is still a's.
        let (relayed, _, _) = receive(&signed.encode_to_vec(), &keys).unwrap();
        assert_eq!(relayed.signer, "a");
        assert!(matches!(receive(b"\xff\xff", &keys), Err(MessageError::Malformed(_))));
        let stranger = sign(&key(9), "z", &m);
        assert_eq!(open(&stranger, &keys).unwrap_err(), MessageError::UnknownSigner("z".into()));
    }
}
