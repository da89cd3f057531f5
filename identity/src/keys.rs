//! Ed25519 key pairs, public keys and signatures.

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, Verifier};

use crate::IdentityError;

pub const PUBLIC_KEY_LEN: usize = 32;
pub const SIGNATURE_LEN: usize = 64;

/// A private signing key with its public half.
#[derive(Clone)]
pub struct SigningKeyPair {
    key: ed25519_dalek::SigningKey,
    // rcgen's PublicKeyData hands out a borrowed slice, so keep the bytes.
    public: [u8; PUBLIC_KEY_LEN],
}

impl SigningKeyPair {
    pub fn generate() -> Self {
        Self::from_key(ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng))
    }

    /// A key from a 32-byte seed; the same seed always gives the same key.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self::from_key(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The 32-byte seed, for handing the same key to another library
    /// (the node's libp2p identity is its certificate key).
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    fn from_key(key: ed25519_dalek::SigningKey) -> Self {
        let public = key.verifying_key().to_bytes();
        Self { key, public }
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, IdentityError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(Self::from_key)
            .map_err(|e| IdentityError::MalformedKey(format!("not an Ed25519 PKCS#8 PEM key: {e}")))
    }

    pub fn to_pkcs8_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(Default::default())
            .expect("encoding a valid Ed25519 key as PKCS#8 cannot fail")
            .to_string()
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature(self.key.sign(msg))
    }
}

impl std::fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKeyPair(public {})", hex::encode(self.public))
    }
}

impl rcgen::PublicKeyData for SigningKeyPair {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ED25519
    }
}

impl rcgen::SigningKey for SigningKeyPair {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub(crate) ed25519_dalek::VerifyingKey);

impl PublicKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let arr: [u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| {
            IdentityError::MalformedKey(format!("Ed25519 public key must be 32 bytes, got {}", bytes.len()))
        })?;
        ed25519_dalek::VerifyingKey::from_bytes(&arr)
            .map(PublicKey)
            .map_err(|e| IdentityError::MalformedKey(format!("not a point on the curve: {e}")))
    }

    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_bytes()
    }

    pub fn verify(&self, msg: &[u8], signature: &Signature) -> Result<(), IdentityError> {
        self.0.verify(msg, &signature.0).map_err(|_| IdentityError::BadSignature)
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.to_bytes()))
    }
}

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Signature(pub(crate) ed25519_dalek::Signature);

impl Signature {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        ed25519_dalek::Signature::from_slice(bytes).map(Signature).map_err(|_| IdentityError::BadSignature)
    }

    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0.to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = SigningKeyPair::generate();
        let sig = key.sign(b"hello");
        assert!(key.public_key().verify(b"hello", &sig).is_ok());
        assert_eq!(key.public_key().verify(b"hellO", &sig), Err(IdentityError::BadSignature));
        let other = SigningKeyPair::generate();
        assert_eq!(other.public_key().verify(b"hello", &sig), Err(IdentityError::BadSignature));
    }

    #[test]
    fn pem_roundtrip_keeps_the_key() {
        let key = SigningKeyPair::from_seed([7; 32]);
        let back = SigningKeyPair::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert!(SigningKeyPair::from_pkcs8_pem("not a key").is_err());
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert!(PublicKey::from_bytes(&[1; 31]).is_err());
        assert!(Signature::from_bytes(&[0; 63]).is_err());
    }
}
