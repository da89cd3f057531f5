//! `weft identity enroll|list|revoke`: identities issued by an org's CA
//! (whose key `weft network init` left in the network directory), and
//! revocation by a channel configuration update carrying the org's new CRL.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Subcommand;
use weft_identity::{CertificateAuthority, ParsedCertificate, Revocation, Role, SigningKeyPair, Validity};
use weft_provision::read_cert_pem;

use crate::output::Output;
use crate::profile::{Loaded, Profile};

#[derive(Subcommand)]
pub enum IdentityCommand {
    /// Issue a new identity from the org's CA (--org) and write its
    /// certificate and key to --out.
    ///
    /// Example: weft identity enroll alice --org Org1 --out ./alice
    Enroll {
        name: String,
        /// client, admin or peer.
        #[arg(long, default_value = "client")]
        role: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 365)]
        days: i64,
        #[command(flatten)]
        profile: Profile,
    },
    /// Identities issued with `enroll` and those revoked, per org.
    List {
        #[command(flatten)]
        profile: Profile,
    },
    /// Revoke a certificate of the org: updates the org's CRL in the channel
    /// configuration (signed by the admins of every org).
    Revoke {
        /// The certificate (PEM) to revoke.
        certificate: PathBuf,
        #[command(flatten)]
        profile: Profile,
    },
}

fn registry(loaded: &Loaded) -> PathBuf {
    loaded.dir.join(&loaded.org.ca_certificate).with_file_name("issued.jsonl")
}

fn revoked_file(loaded: &Loaded) -> PathBuf {
    loaded.dir.join(&loaded.org.ca_certificate).with_file_name("revoked.jsonl")
}

fn read_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn append(path: &Path, value: serde_json::Value) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(f, "{value}")?;
    Ok(())
}

fn ca(loaded: &Loaded) -> Result<CertificateAuthority> {
    let key_path = loaded.dir.join(&loaded.org.ca_key);
    let pem = std::fs::read_to_string(&key_path).with_context(|| {
        format!("reading the CA key {} (kept offline? enroll on the host that has it)", key_path.display())
    })?;
    let key = SigningKeyPair::from_pkcs8_pem(&pem)?;
    Ok(CertificateAuthority::from_parts(
        &loaded.org.id,
        key,
        read_cert_pem(&loaded.dir.join(&loaded.org.ca_certificate))?,
    )?)
}

pub async fn run(cmd: IdentityCommand, output: Output) -> Result<()> {
    match cmd {
        IdentityCommand::Enroll { name, role, out, days, profile } => {
            let loaded = profile.load()?;
            let role: Role = role.parse().map_err(|e| anyhow!("--role: {e}"))?;
            let (key, cert) = ca(&loaded)?.issue_new(&name, role, Validity::days_from_now(days))?;
            std::fs::create_dir_all(&out)?;
            let cert_pem = pem::encode(&pem::Pem::new("CERTIFICATE", cert.clone()));
            std::fs::write(out.join("cert.pem"), cert_pem)?;
            write_private(&out.join("key.pem"), key.to_pkcs8_pem().as_bytes())?;
            let parsed = ParsedCertificate::parse(&cert)?;
            append(
                &registry(&loaded),
                serde_json::json!({"name": name, "role": role.to_string(), "serial": hex::encode(&parsed.serial),
                                   "not_after": parsed.not_after, "cert": out.join("cert.pem")}),
            )?;
            match output {
                Output::Json => println!(
                    "{}",
                    serde_json::json!({"name": name, "org": loaded.org.id, "role": role.to_string(),
                                       "certificate": out.join("cert.pem"), "key": out.join("key.pem"),
                                       "serial": hex::encode(&parsed.serial)})
                ),
                Output::Text => println!(
                    "enrolled {name} ({role} of {}): {} and {}\nuse it with: --org {} --cert {} --key {}",
                    loaded.org.id,
                    out.join("cert.pem").display(),
                    out.join("key.pem").display(),
                    loaded.org.id,
                    out.join("cert.pem").display(),
                    out.join("key.pem").display()
                ),
            }
            Ok(())
        }
        IdentityCommand::List { profile } => {
            let loaded = profile.load()?;
            let issued = read_lines(&registry(&loaded));
            let revoked = read_lines(&revoked_file(&loaded));
            let is_revoked = |serial: &str| revoked.iter().any(|r| r["serial"] == serial);
            match output {
                Output::Json => {
                    println!("{}", serde_json::json!({"org": loaded.org.id, "issued": issued, "revoked": revoked}))
                }
                Output::Text => {
                    println!("org {} (admin and client from `network init` not listed)", loaded.org.id);
                    if issued.is_empty() {
                        println!(
                            "no identities enrolled; add one with `weft identity enroll NAME --org {}`",
                            loaded.org.id
                        );
                    }
                    for i in &issued {
                        let serial = i["serial"].as_str().unwrap_or("");
                        println!(
                            "{:<20} {:<8} serial {}{}",
                            i["name"].as_str().unwrap_or(""),
                            i["role"].as_str().unwrap_or(""),
                            serial,
                            if is_revoked(serial) { "  REVOKED" } else { "" }
                        );
                    }
                }
            }
            Ok(())
        }
        IdentityCommand::Revoke { certificate, profile } => revoke(&certificate, profile, output).await,
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().create(true).write(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    Ok(())
}

async fn revoke(certificate: &Path, profile: Profile, output: Output) -> Result<()> {
    let mut admin_profile = profile.clone();
    admin_profile.as_ = crate::profile::As::Admin;
    let (gateway, loaded) = admin_profile.gateway()?;
    let der = read_cert_pem(certificate)?;
    let parsed = ParsedCertificate::parse(&der)?;
    let serial = hex::encode(&parsed.serial);
    let mut revoked = read_lines(&revoked_file(&loaded));
    if revoked.iter().any(|r| r["serial"] == serial) {
        bail!("certificate {serial} of {} is already revoked", loaded.org.id);
    }
    let now = time::OffsetDateTime::now_utc();
    revoked.push(serde_json::json!({"serial": serial, "revoked_at": now.unix_timestamp(), "cn": parsed.common_name}));
    let list: Vec<Revocation> = revoked
        .iter()
        .filter_map(|r| {
            Some(Revocation {
                serial: hex::decode(r["serial"].as_str()?).ok()?,
                revoked_at: time::OffsetDateTime::from_unix_timestamp(r["revoked_at"].as_i64()?).ok()?,
            })
        })
        .collect();
    let crl = ca(&loaded)?.crl(&list, list.len() as u64, now, now + time::Duration::days(365))?;

    let mut config = crate::config_update::current(&gateway, &loaded).await?;
    let org = config
        .orgs
        .iter_mut()
        .find(|o| o.org_id == loaded.org.id)
        .ok_or_else(|| anyhow!("org {} is not in the channel configuration", loaded.org.id))?;
    org.crls = vec![crl];
    config.sequence += 1;

    let block = crate::config_update::submit(&gateway, &loaded, &config).await?;
    std::fs::write(revoked_file(&loaded), revoked.iter().map(|r| format!("{r}\n")).collect::<String>())?;
    match output {
        Output::Json => {
            println!("{}", serde_json::json!({"revoked": serial, "config_sequence": config.sequence, "block": block}))
        }
        Output::Text => println!(
            "revoked {} (serial {serial}) of {}: configuration sequence {} in block {}",
            parsed.common_name, loaded.org.id, config.sequence, block
        ),
    }
    Ok(())
}
