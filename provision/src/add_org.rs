//! A new org for a running network: its CA, admin and client identities
//! under `orgs/<id>/`, the channel configuration entry naming its CA, and
//! each existing node's config told to trust the new CA (they read their TLS
//! roots at start, so they must restart to accept the org's nodes and
//! clients over TLS). The caller commits the configuration update and adds
//! the org to the manifest once it is VALID.

use std::path::{Path, PathBuf};

use weft_identity::Validity;
use weft_proto::OrgConfig;

use crate::init::{home_ca, write_org};
use crate::{KeySeal, Manifest, ManifestOrg, ProvisionError, NODE_CONFIG_FILE};

#[derive(Debug, Clone)]
pub struct PreparedOrg {
    pub manifest: ManifestOrg,
    pub channel_org: OrgConfig,
    /// `orgs/<id>` under the network directory.
    pub dir: PathBuf,
}

/// Writes the new org `id`'s files under `dir`.
pub fn prepare_org(
    dir: &Path,
    manifest: &Manifest,
    id: &str,
    cert_validity_days: i64,
    seal: Option<&dyn KeySeal>,
) -> Result<PreparedOrg, ProvisionError> {
    let bad = |message: String| ProvisionError::Template { path: "add-org".into(), message };
    let valid =
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(bad(format!("org id {id:?} may contain only letters, digits, '-' and '_'")));
    }
    if manifest.orgs.iter().any(|o| o.id.eq_ignore_ascii_case(id)) || dir.join("orgs").join(id).exists() {
        return Err(bad(format!("the network has an org {id:?} already (ids are compared case-insensitively)")));
    }
    let (_, m, material) = write_org(dir, id, Validity::days_from_now(cert_validity_days), seal)?;
    Ok(PreparedOrg {
        channel_org: OrgConfig { org_id: id.to_string(), root_certs: vec![material.ca_cert], crls: vec![] },
        dir: dir.join("orgs").join(id),
        manifest: m,
    })
}

/// Adds `org`'s CA (`ca_pem`) to the TLS roots of the node whose home is
/// `home`: a copy in its home, named in its node.toml (a no-op if it is
/// there). Takes effect when the node restarts.
pub fn trust_org(home: &Path, org: &str, ca_pem: &str) -> Result<(), ProvisionError> {
    // Edited as TOML, not through NodeConfig::load, which would write back
    // absolute paths and this process's WEFT_* overrides.
    let path = home.join(NODE_CONFIG_FILE);
    let parse_err = |message: String| ProvisionError::Parse { path: path.clone(), message };
    let text = std::fs::read_to_string(&path).map_err(crate::files::io("reading", &path))?;
    let mut value: toml::Value = toml::from_str(&text).map_err(|e| parse_err(e.to_string()))?;
    let rel = home_ca(org);
    crate::files::write(&home.join(&rel), ca_pem.as_bytes())?;
    let ca = rel.display().to_string();
    let roots = value
        .get_mut("ca_certificates")
        .and_then(toml::Value::as_array_mut)
        .ok_or_else(|| parse_err("no ca_certificates list".into()))?;
    if !roots.iter().any(|r| r.as_str() == Some(ca.as_str())) {
        roots.push(toml::Value::String(ca));
        let text = toml::to_string_pretty(&value).map_err(|e| parse_err(e.to_string()))?;
        crate::files::write(
            &path,
            format!("# weft-node configuration, written by `weft network init`.\n{text}").as_bytes(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{init, node_home, InitOptions, NodeConfig, Template};

    #[test]
    fn a_new_org_gets_its_ca_and_nodes_learn_to_trust_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("net");
        let template =
            Template::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/templates/raft-3.toml")).unwrap();
        let manifest = init(&template, &dir, &InitOptions { base_port: None, ..InitOptions::default() }).unwrap();
        for taken in ["Org1", "org2"] {
            assert!(prepare_org(&dir, &manifest, taken, 365, None).unwrap_err().to_string().contains("already"));
        }
        assert!(prepare_org(&dir, &manifest, "Org 4", 365, None).unwrap_err().to_string().contains("letters"));
        let org = prepare_org(&dir, &manifest, "Org4", 365, None).unwrap();
        assert!(dir.join(&org.manifest.ca_key).exists() && dir.join(&org.manifest.admin_certificate).exists());
        assert_eq!(org.channel_org.org_id, "Org4");
        let node = &manifest.nodes[0];
        let home = dir.join(node_home(&node.id));
        let ca = std::fs::read_to_string(dir.join(&org.manifest.ca_certificate)).unwrap();
        trust_org(&home, "Org4", &ca).unwrap();
        trust_org(&home, "Org4", &ca).unwrap();
        let config = NodeConfig::load(&dir.join(&node.config)).unwrap();
        let count = config.ca_certificates.iter().filter(|p| p.ends_with("tls/Org4/ca.pem")).count();
        assert_eq!(count, 1, "{:?}", config.ca_certificates);
        assert!(config.ca_certificates.iter().all(|p| p.starts_with(&home)), "only files in its home");
    }
}
