//! Writing and reading the files a network is made of. Private keys are
//! written owner-only.

use std::fs;
use std::path::{Path, PathBuf};

use crate::ProvisionError;

pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ProvisionError {
    let path = path.to_path_buf();
    move |source| ProvisionError::Io { action, path, source }
}

pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), ProvisionError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io("creating", dir))?;
    }
    fs::write(path, bytes).map_err(io("writing", path))
}

/// Writes a private key readable by its owner only from the moment it
/// exists: created 0600 (an older file is replaced, not reused with its
/// mode), never written first and restricted after, which left a window
/// in which any local user could read it.
pub fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), ProvisionError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io("creating", dir))?;
    }
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io("replacing", path)(e)),
        _ => {}
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(io("writing", path))
}

pub(crate) fn read_to_string(path: &Path) -> Result<String, ProvisionError> {
    fs::read_to_string(path).map_err(io("reading", path))
}

/// A DER certificate as PEM.
pub fn cert_pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
}

/// The DER of the first certificate in a PEM file.
pub fn read_cert_pem(path: &Path) -> Result<Vec<u8>, ProvisionError> {
    cert_from_pem(&read_to_string(path)?, path)
}

/// The DER of the first certificate in `text`, a PEM file's content
/// (`path` names it in errors).
pub fn cert_from_pem(text: &str, path: &Path) -> Result<Vec<u8>, ProvisionError> {
    let parsed = pem::parse(text).map_err(|e| ProvisionError::Parse { path: path.into(), message: e.to_string() })?;
    if parsed.tag() != "CERTIFICATE" {
        return Err(ProvisionError::Parse {
            path: path.into(),
            message: format!("expected a CERTIFICATE, found {}", parsed.tag()),
        });
    }
    Ok(parsed.contents().to_vec())
}

/// A directory's files in memory, by path relative to it: how a network
/// directory, or a node's home, travels to where it is kept.
pub type Tree = std::collections::BTreeMap<PathBuf, Vec<u8>>;

/// Every file under `dir` for which `keep` (given the relative path) holds.
pub fn read_tree(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<Tree, ProvisionError> {
    fn walk(base: &Path, dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Tree) -> Result<(), ProvisionError> {
        for entry in fs::read_dir(dir).map_err(io("reading", dir))? {
            let path = entry.map_err(io("reading", dir))?.path();
            let rel = path.strip_prefix(base).expect("under base").to_path_buf();
            if !keep(&rel) {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, keep, out)?;
            } else {
                out.insert(rel, fs::read(&path).map_err(io("reading", &path))?);
            }
        }
        Ok(())
    }
    let mut out = Tree::new();
    walk(dir, dir, keep, &mut out)?;
    Ok(out)
}

/// Writes `tree` under `dir`; private keys (`key.pem`) owner-only. Refuses
/// a path that would leave `dir`.
pub fn write_tree(dir: &Path, tree: &Tree) -> Result<(), ProvisionError> {
    for (rel, bytes) in tree {
        if rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(ProvisionError::Parse {
                path: rel.clone(),
                message: format!("names a place outside {}", dir.display()),
            });
        }
        let path = dir.join(rel);
        if rel.file_name().is_some_and(|n| n == "key.pem") {
            write_secret(&path, bytes)?;
        } else {
            write(&path, bytes)?;
        }
    }
    Ok(())
}

/// `path` relative to `base` when it is relative.
pub(crate) fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn secrets_are_owner_only_from_creation_even_over_an_open_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/key.pem");
        write_secret(&path, b"one").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_secret(&path, b"two").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "not reused with its mode");
        assert_eq!(fs::read(&path).unwrap(), b"two");
    }
}
