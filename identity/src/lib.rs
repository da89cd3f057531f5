//! weft-identity: who is who on a Weft channel.
//!
//! Owns Ed25519 keys and signatures (single and batch), per-org certificate
//! authorities issuing X.509 certificates with the holder's role in the OU,
//! CRLs, MSPs that validate certificates against an org's roots at a given
//! time, and signature policies (`AND`, `OR`, `OutOf`, `MAJORITY`, `ANY`,
//! `ALL`).
//!
//! Does no I/O and reads no clock for validation: callers pass the time, so
//! every peer reaches the same verdict on the same block.

mod batch;
mod ca;
mod certificate;
mod client;
mod error;
mod keys;
mod msp;
pub mod policy;
mod role;

pub use batch::{verify_batch, SignatureCheck};
pub use ca::{CertificateAuthority, Revocation, Validity};
pub use certificate::{IdentityId, ParsedCertificate};
pub use client::{sign_request, ClientIdentity};
pub use error::IdentityError;
pub use keys::{PublicKey, Signature, SigningKeyPair};
pub use msp::{Identity, Membership, Msp};
pub use policy::{Policy, Signer};
pub use role::Role;

#[cfg(test)]
mod tests;
