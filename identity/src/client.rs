//! A client's identity as it signs and connects: its serialized identity
//! (org and certificate) and its key. Shared by applications (weft-sdk),
//! nodes calling other nodes, and the BaaS.

use prost::Message;
use weft_proto::SerializedIdentity;

use crate::SigningKeyPair;

/// An identity with its key: its certificate and key.
pub struct ClientIdentity {
    pub identity: SerializedIdentity,
    pub key: SigningKeyPair,
}

impl ClientIdentity {
    /// Its certificate and key as PEM, for mutual TLS.
    pub fn tls_pems(&self) -> (String, String) {
        let cert = pem_block("CERTIFICATE", &self.identity.certificate_der);
        (cert, self.key.to_pkcs8_pem())
    }
}

/// Encodes `message` and signs the bytes: a signed request is the encoded
/// message (naming its sender's identity) and the sender's Ed25519
/// signature over those bytes.
pub fn sign_request<M: Message>(client: &ClientIdentity, message: &M) -> (Vec<u8>, Vec<u8>) {
    let request = message.encode_to_vec();
    let signature = client.key.sign(&request).to_bytes().to_vec();
    (request, signature)
}

fn pem_block(tag: &str, der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(tag, der.to_vec()))
}
