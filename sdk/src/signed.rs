//! Signed requests: `request` is an encoded message naming its sender's
//! identity, `signature` the sender's Ed25519 signature over those bytes.

pub use weft_identity::sign_request;
