//! Keys the BaaS keeps — chain users', webhook secrets, backups' key
//! material, and every org's CA, admin and client keys in the chains'
//! directories ([`ChainSeal`]) — sealed at rest under a master key
//! (XChaCha20-Poly1305, a random 192-bit nonce per key). The master key is
//! 32 random bytes in a file of its own (`<data-dir>/master.key` by default,
//! mode 0600), made on first start: keep it apart from database backups,
//! since together they open every kept key.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use weft_provision::KeySeal;

const NONCE_BYTES: usize = 24;

pub struct MasterKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> MasterKey {
        MasterKey { cipher: XChaCha20Poly1305::new(Key::from_slice(bytes)) }
    }

    /// Reads the key file, or makes one if there is none.
    pub fn load_or_create(path: &Path) -> anyhow::Result<MasterKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| anyhow!("{} is not a master key (64 hex digits)", path.display()))?;
                Ok(MasterKey::from_bytes(&bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use std::io::Write;
                use std::os::unix::fs::OpenOptionsExt;
                let bytes: [u8; 32] = rand::random();
                let mut f = std::fs::OpenOptions::new()
                    .create_new(true)
                    .write(true)
                    .mode(0o600)
                    .open(path)
                    .with_context(|| format!("creating the master key {}", path.display()))?;
                writeln!(f, "{}", hex::encode(bytes))?;
                tracing::warn!(path = %path.display(), "created a master key for chain users' keys; back it up apart from the database");
                Ok(MasterKey::from_bytes(&bytes))
            }
            Err(e) => Err(anyhow!("reading the master key {}: {e}", path.display())),
        }
    }

    /// `plaintext` sealed: hex of nonce || ciphertext (with its tag).
    /// `context` (e.g. the chain user's id) is bound in, so a sealed key
    /// copied to another row does not open.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        hex::encode(self.seal_bytes(plaintext, context))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, String> {
        let bytes = hex::decode(sealed).map_err(|_| "the sealed key is not hex".to_string())?;
        self.open_bytes(&bytes, context)
    }

    /// [`MasterKey::seal`] as raw bytes: nonce || ciphertext.
    pub fn seal_bytes(&self, plaintext: &[u8], context: &str) -> Vec<u8> {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                chacha20poly1305::aead::Payload { msg: plaintext, aad: context.as_bytes() },
            )
            .expect("XChaCha20-Poly1305 encryption does not fail for in-memory input");
        let mut out = nonce.to_vec();
        out.extend(ciphertext);
        out
    }

    pub fn open_bytes(&self, bytes: &[u8], context: &str) -> Result<Vec<u8>, String> {
        if bytes.len() < NONCE_BYTES + 16 {
            return Err("the sealed key is too short".into());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                chacha20poly1305::aead::Payload { msg: ciphertext, aad: context.as_bytes() },
            )
            .map_err(|_| "the sealed key does not open with this master key (wrong key file, or tampered)".into())
    }
}

/// The master key as one chain's key seal: org keys are bound to the
/// chain and their place in its directory, so a key moved to another
/// chain or role does not open.
#[derive(Debug, Clone)]
pub struct ChainSeal {
    master: Arc<MasterKey>,
    chain: String,
}

impl ChainSeal {
    pub fn new(master: Arc<MasterKey>, chain: &str) -> ChainSeal {
        ChainSeal { master, chain: chain.to_string() }
    }

    fn context(&self, place: &str) -> String {
        format!("chain/{}/{place}", self.chain)
    }
}

impl KeySeal for ChainSeal {
    fn seal(&self, plaintext: &[u8], place: &str) -> Vec<u8> {
        self.master.seal_bytes(plaintext, &self.context(place))
    }

    fn open(&self, sealed: &[u8], place: &str) -> Result<Vec<u8>, String> {
        self.master.open_bytes(sealed, &self.context(place))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key_and_context() {
        let key = MasterKey::from_bytes(&[7; 32]);
        let sealed = key.seal(b"secret pkcs8", "user-1");
        assert!(!sealed.contains(&hex::encode(b"secret pkcs8")));
        assert_eq!(key.open(&sealed, "user-1").unwrap(), b"secret pkcs8");
        assert!(key.open(&sealed, "user-2").is_err(), "bound to its row");
        assert!(MasterKey::from_bytes(&[8; 32]).open(&sealed, "user-1").is_err());
        let mut tampered = hex::decode(&sealed).unwrap();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(&hex::encode(tampered), "user-1").is_err());
        assert_ne!(key.seal(b"x", "c"), key.seal(b"x", "c"), "a fresh nonce each time");
    }

    #[test]
    fn the_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let sealed = MasterKey::load_or_create(&path).unwrap().seal(b"k", "c");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(MasterKey::load_or_create(&path).unwrap().open(&sealed, "c").unwrap(), b"k");
        std::fs::write(&path, "not hex").unwrap();
        assert!(MasterKey::load_or_create(&path).err().unwrap().to_string().contains("64 hex digits"));
    }

    #[test]
    fn a_chain_seal_opens_only_its_own_chain_and_place() {
        let master = Arc::new(MasterKey::from_bytes(&[9; 32]));
        let a = ChainSeal::new(master.clone(), "chain-a");
        let sealed = a.seal(b"ca key", "orgs/Org1/ca/key.pem");
        assert_eq!(a.open(&sealed, "orgs/Org1/ca/key.pem").unwrap(), b"ca key");
        assert!(a.open(&sealed, "orgs/Org1/admin/key.pem").is_err(), "another place");
        assert!(ChainSeal::new(master, "chain-b").open(&sealed, "orgs/Org1/ca/key.pem").is_err(), "another chain");
    }
}
