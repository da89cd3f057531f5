//! Node homes made by versions whose node.toml named files outside the
//! home (`../../genesis.block`, `../../orgs/<Org>/ca/cert.pem`): copied in,
//! so every home is whole on its own (see [`crate::node_home`]).

use std::path::{Component, Path, PathBuf};

use crate::files::{io, write};
use crate::init::{home_ca, HOME_GENESIS, NODE_CONFIG_FILE};
use crate::ProvisionError;

/// Copies into `home` every file its node.toml names outside it, and
/// names the copies instead; whether anything changed.
pub fn make_home_whole(home: &Path) -> Result<bool, ProvisionError> {
    let path = home.join(NODE_CONFIG_FILE);
    let parse_err = |message: String| ProvisionError::Parse { path: path.clone(), message };
    let text = std::fs::read_to_string(&path).map_err(io("reading", &path))?;
    let mut value: toml::Value = toml::from_str(&text).map_err(|e| parse_err(e.to_string()))?;
    let table = value.as_table_mut().ok_or_else(|| parse_err("not a TOML table".into()))?;
    let mut changed = false;
    if let Some(genesis) = table.get("genesis_block").and_then(toml::Value::as_str).filter(|p| outside(p)) {
        copy_in(&home.join(genesis), &home.join(HOME_GENESIS))?;
        table.insert("genesis_block".into(), HOME_GENESIS.into());
        changed = true;
    }
    if let Some(roots) = table.get_mut("ca_certificates").and_then(toml::Value::as_array_mut) {
        for root in roots.iter_mut() {
            let Some(named) = root.as_str().filter(|p| outside(p)) else { continue };
            // `../../orgs/<Org>/ca/cert.pem`: the org is the name after `orgs`.
            let org = Path::new(named)
                .components()
                .skip_while(|c| c.as_os_str() != "orgs")
                .nth(1)
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .ok_or_else(|| parse_err(format!("ca_certificates names {named}, not under orgs/<Org>/")))?;
            let rel = home_ca(&org);
            copy_in(&home.join(named), &home.join(&rel))?;
            *root = rel.display().to_string().into();
            changed = true;
        }
    }
    if changed {
        let text = toml::to_string_pretty(&value).map_err(|e| parse_err(e.to_string()))?;
        write(&path, format!("# weft-node configuration, written by `weft network init`.\n{text}").as_bytes())?;
    }
    Ok(changed)
}

/// Whether a path named in node.toml leaves the home.
fn outside(named: &str) -> bool {
    let path = PathBuf::from(named);
    path.is_absolute() || path.components().any(|c| matches!(c, Component::ParentDir))
}

fn copy_in(from: &Path, to: &Path) -> Result<(), ProvisionError> {
    let bytes = std::fs::read(from).map_err(io("reading", from))?;
    write(to, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{init, node_home, InitOptions, NodeConfig, Template};

    #[test]
    fn an_old_home_that_names_files_outside_it_is_made_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("net");
        let template =
            Template::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/templates/raft-3.toml")).unwrap();
        let manifest = init(&template, &dir, &InitOptions { base_port: None, ..InitOptions::default() }).unwrap();
        let home = dir.join(node_home(&manifest.nodes[0].id));
        assert!(!make_home_whole(&home).unwrap(), "a new home is whole already");

        // As versions before homes were whole wrote it.
        let config = home.join(NODE_CONFIG_FILE);
        let text = std::fs::read_to_string(&config).unwrap();
        let mut old = text.replace("genesis_block = \"genesis.block\"", "genesis_block = \"../../genesis.block\"");
        for org in &manifest.orgs {
            old = old.replace(&format!("\"tls/{}/ca.pem\"", org.id), &format!("\"../../orgs/{}/ca/cert.pem\"", org.id));
        }
        assert_ne!(old, text);
        std::fs::write(&config, old).unwrap();
        std::fs::remove_dir_all(home.join("tls")).unwrap();
        std::fs::remove_file(home.join(HOME_GENESIS)).unwrap();

        assert!(make_home_whole(&home).unwrap());
        let loaded = NodeConfig::load(&config).unwrap();
        assert_eq!(loaded.ca_certificates.len(), manifest.orgs.len());
        for named in loaded.ca_certificates.iter().chain(loaded.genesis_block.iter()) {
            assert!(named.starts_with(&home) && named.exists(), "{}", named.display());
        }
        assert_eq!(std::fs::read(home.join(HOME_GENESIS)).unwrap(), std::fs::read(dir.join("genesis.block")).unwrap());
        assert!(!make_home_whole(&home).unwrap(), "once is enough");
    }
}
