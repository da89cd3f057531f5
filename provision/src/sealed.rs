//! Org private keys (CA, admin, client) as files: plain PKCS#8 PEM where
//! the directory is the user's own (`weft network init`, like Fabric's MSP
//! folders), or sealed where a service keeps them for others (the BaaS
//! seals with its master key). A sealed file is a PEM block tagged
//! `WEFT SEALED PRIVATE KEY` whose bytes only the [`KeySeal`] that made it
//! opens, and only at the place it was written for: a sealed CA key copied
//! over an admin key does not open.

use std::path::Path;
use std::sync::Arc;

use weft_identity::SigningKeyPair;

use crate::files::{read_to_string, write_secret};
use crate::ProvisionError;

const SEALED_TAG: &str = "WEFT SEALED PRIVATE KEY";
const PLAIN_TAG: &str = "PRIVATE KEY";

/// Seals and opens key bytes; `place` (the key's path in the network
/// directory) is bound in, so a sealed key opens only where it was put.
pub trait KeySeal: std::fmt::Debug + Send + Sync {
    fn seal(&self, plaintext: &[u8], place: &str) -> Vec<u8>;
    fn open(&self, sealed: &[u8], place: &str) -> Result<Vec<u8>, String>;
}

/// How org keys are kept: `None` writes and reads plain PEM.
pub type Sealing = Option<Arc<dyn KeySeal>>;

fn place(rel: &Path) -> String {
    rel.to_string_lossy().replace('\\', "/")
}

/// Writes `key` at `base/rel`, owner-only from creation, sealed when
/// `seal` is given.
pub fn write_key(
    base: &Path,
    rel: &Path,
    key: &SigningKeyPair,
    seal: Option<&dyn KeySeal>,
) -> Result<(), ProvisionError> {
    let plain = key.to_pkcs8_pem();
    let text = match seal {
        None => plain,
        Some(seal) => pem::encode(&pem::Pem::new(SEALED_TAG, seal.seal(plain.as_bytes(), &place(rel)))),
    };
    write_secret(&base.join(rel), text.as_bytes())
}

/// A key file as found: plain PEM, or the bytes of a sealed block.
enum KeyFile {
    Plain(String),
    Sealed(Vec<u8>),
}

fn load(path: &Path) -> Result<KeyFile, ProvisionError> {
    parse(read_to_string(path)?, path)
}

fn parse(text: String, path: &Path) -> Result<KeyFile, ProvisionError> {
    let bad = |message: String| ProvisionError::Parse { path: path.to_path_buf(), message };
    let parsed = pem::parse(&text).map_err(|e| bad(format!("not a PEM private key: {e}")))?;
    match parsed.tag() {
        PLAIN_TAG => Ok(KeyFile::Plain(text)),
        SEALED_TAG => Ok(KeyFile::Sealed(parsed.into_contents())),
        other => Err(bad(format!("expected a PRIVATE KEY or {SEALED_TAG}, found {other}"))),
    }
}

/// The key at `base/rel`, plain or sealed (then opened with `seal`).
pub fn read_key(base: &Path, rel: &Path, seal: Option<&dyn KeySeal>) -> Result<SigningKeyPair, ProvisionError> {
    key_from_text(read_to_string(&base.join(rel))?, rel, seal)
}

/// The key whose file, at `rel` in a network directory, holds `text`:
/// plain or sealed (then opened with `seal`).
pub fn key_from_text(text: String, rel: &Path, seal: Option<&dyn KeySeal>) -> Result<SigningKeyPair, ProvisionError> {
    let path = rel.to_path_buf();
    let bad = |message: String| ProvisionError::Parse { path: path.clone(), message };
    let plain = match parse(text, &path)? {
        KeyFile::Plain(text) => text,
        KeyFile::Sealed(bytes) => {
            let seal = seal.ok_or_else(|| {
                bad("the key is sealed by the BaaS that keeps this chain (its master key); use it through that BaaS".into())
            })?;
            let bytes = seal.open(&bytes, &place(rel)).map_err(bad)?;
            String::from_utf8(bytes).map_err(|_| bad("the sealed key opened to something that is not PEM".into()))?
        }
    };
    SigningKeyPair::from_pkcs8_pem(&plain).map_err(|e| bad(e.to_string()))
}

/// Seals the plain key at `base/rel` in place (replacing the file, never
/// widening its mode); `Ok(true)` if it was plain. For directories made
/// before keys were sealed.
pub fn seal_in_place(base: &Path, rel: &Path, seal: &dyn KeySeal) -> Result<bool, ProvisionError> {
    match load(&base.join(rel))? {
        KeyFile::Sealed(_) => Ok(false),
        KeyFile::Plain(text) => {
            write_key(base, rel, &SigningKeyPair::from_pkcs8_pem(&text)?, Some(seal))?;
            Ok(true)
        }
    }
}

/// Whether the file at `path` holds a sealed key.
pub fn is_sealed(path: &Path) -> bool {
    matches!(load(path), Ok(KeyFile::Sealed(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seal for tests: XOR with a byte, the place appended and checked.
    #[derive(Debug)]
    struct TestSeal(u8);

    impl KeySeal for TestSeal {
        fn seal(&self, plaintext: &[u8], place: &str) -> Vec<u8> {
            let mut out: Vec<u8> = plaintext.iter().map(|b| b ^ self.0).collect();
            out.extend(place.as_bytes());
            out
        }
        fn open(&self, sealed: &[u8], place: &str) -> Result<Vec<u8>, String> {
            let body = sealed.strip_suffix(place.as_bytes()).ok_or("sealed for another place")?;
            Ok(body.iter().map(|b| b ^ self.0).collect())
        }
    }

    #[test]
    fn sealed_keys_open_only_with_their_seal_at_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKeyPair::generate();
        let (ca, admin) = (Path::new("orgs/A/ca/key.pem"), Path::new("orgs/A/admin/key.pem"));
        write_key(dir.path(), ca, &key, Some(&TestSeal(7))).unwrap();
        let text = std::fs::read_to_string(dir.path().join(ca)).unwrap();
        assert!(text.contains("BEGIN WEFT SEALED PRIVATE KEY") && !text.contains("BEGIN PRIVATE KEY"));
        assert!(is_sealed(&dir.path().join(ca)));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.path().join(ca)).unwrap().permissions().mode() & 0o777, 0o600);
        let read = read_key(dir.path(), ca, Some(&TestSeal(7))).unwrap();
        assert_eq!(read.seed(), key.seed());

        let unsealed = read_key(dir.path(), ca, None).unwrap_err().to_string();
        assert!(unsealed.contains("sealed by the BaaS"), "{unsealed}");
        std::fs::create_dir_all(dir.path().join("orgs/A/admin")).unwrap();
        std::fs::copy(dir.path().join(ca), dir.path().join(admin)).unwrap();
        assert!(read_key(dir.path(), admin, Some(&TestSeal(7))).is_err(), "moved to another place");
    }

    #[test]
    fn plain_keys_are_sealed_in_place_once() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKeyPair::generate();
        let rel = Path::new("orgs/A/client/key.pem");
        write_key(dir.path(), rel, &key, None).unwrap();
        assert!(!is_sealed(&dir.path().join(rel)));
        assert_eq!(read_key(dir.path(), rel, None).unwrap().seed(), key.seed());
        assert!(seal_in_place(dir.path(), rel, &TestSeal(3)).unwrap());
        assert!(!seal_in_place(dir.path(), rel, &TestSeal(3)).unwrap(), "already sealed");
        assert!(is_sealed(&dir.path().join(rel)));
        assert_eq!(read_key(dir.path(), rel, Some(&TestSeal(3))).unwrap().seed(), key.seed());
    }
}
