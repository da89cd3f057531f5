//! Signed requests: `request` is an encoded message naming its sender's
//! identity, `signature` the sender's Ed25519 signature over those bytes.

use prost::Message;

use crate::ClientIdentity;

/// Encodes `message` and signs the bytes.
pub fn sign_request<M: Message>(client: &ClientIdentity, message: &M) -> (Vec<u8>, Vec<u8>) {
    let request = message.encode_to_vec();
    let signature = client.key.sign(&request).to_bytes().to_vec();
    (request, signature)
}
