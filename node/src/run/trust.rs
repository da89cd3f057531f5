//! The CAs the node trusts for TLS, both ways: node.toml's
//! `ca_certificates` and the root CAs of every org in the configuration in
//! force of each channel it serves. A configuration block that adds an org,
//! or a channel joined later, extends them at once, so the new org's nodes
//! and clients connect without this node restarting (as Fabric peers take
//! their TLS roots from the channel configurations). Who may do what on a
//! channel is still that channel's policies' business: the handshake only
//! asks "is this a certificate of some org I work with".

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use anyhow::Context;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::HandshakeSignatureValid;
use tokio_rustls::rustls::pki_types::{CertificateDer, UnixTime};
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use weft_proto::connect::TrustRoots;

/// What the handshakes use now; replaced whole when the roots change.
struct Current {
    verifier: Arc<dyn ClientCertVerifier>,
    /// The same roots for the node's own connections to other nodes.
    pems: TrustRoots,
    /// Raised on every change, so cached outbound connections made with
    /// older roots can be dropped.
    generation: u64,
    count: usize,
}

pub struct Trust {
    /// From node.toml: trusted whatever the channels say.
    configured: Vec<Vec<u8>>,
    /// Root CA certificates (DER) of each served channel's orgs.
    channels: Mutex<BTreeMap<String, Vec<Vec<u8>>>>,
    current: RwLock<Arc<Current>>,
    anonymous_clients: bool,
}

impl Trust {
    /// Trust for node.toml's CAs (PEM); with `anonymous_clients` a client
    /// without a certificate is let through the handshake too.
    pub fn new(configured_pems: &[String], anonymous_clients: bool) -> anyhow::Result<Trust> {
        use rustls::pki_types::pem::PemObject;
        let mut configured = Vec::new();
        for pem in configured_pems {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                configured.push(cert.context("a ca_certificates file holds a malformed PEM certificate")?.to_vec());
            }
        }
        let current = build(&configured, anonymous_clients, 0)?;
        Ok(Trust {
            configured,
            channels: Mutex::new(BTreeMap::new()),
            current: RwLock::new(Arc::new(current)),
            anonymous_clients,
        })
    }

    /// Trusts `roots` (DER) for `channel`, in place of what it had.
    pub fn set_channel(&self, channel: &str, roots: Vec<Vec<u8>>) {
        let mut channels = self.channels.lock().expect("trust lock");
        if channels.get(channel) == Some(&roots) {
            return;
        }
        channels.insert(channel.to_string(), roots);
        self.rebuild(&channels, channel);
    }

    /// Stops trusting what only `channel` named.
    pub fn remove_channel(&self, channel: &str) {
        let mut channels = self.channels.lock().expect("trust lock");
        if channels.remove(channel).is_some() {
            self.rebuild(&channels, channel);
        }
    }

    fn rebuild(&self, channels: &BTreeMap<String, Vec<Vec<u8>>>, because: &str) {
        let mut all = self.configured.clone();
        for der in channels.values().flatten() {
            if !all.contains(der) {
                all.push(der.clone());
            }
        }
        let generation = self.current().generation + 1;
        match build(&all, self.anonymous_clients, generation) {
            Ok(next) => {
                tracing::info!(
                    channel = because,
                    cas = next.count,
                    "TLS roots changed with the channel's configuration"
                );
                *self.current.write().expect("trust lock") = Arc::new(next);
            }
            // Keeps what worked: a channel's bad CA must not lock out the
            // others (its configuration was checked when it committed).
            Err(e) => tracing::warn!(channel = because, "TLS roots unchanged: {e:#}"),
        }
    }

    fn current(&self) -> Arc<Current> {
        self.current.read().expect("trust lock").clone()
    }

    /// The roots for a connection to another node, and their generation.
    pub fn client_roots(&self) -> (TrustRoots, u64) {
        let current = self.current();
        (current.pems.clone(), current.generation)
    }

    /// How many CAs are trusted now.
    pub fn count(&self) -> usize {
        self.current().count
    }

    /// A verifier for the TLS server that always asks the roots in force.
    pub fn client_verifier(self: &Arc<Self>) -> Arc<dyn ClientCertVerifier> {
        Arc::new(Verifier(self.clone()))
    }
}

fn build(ders: &[Vec<u8>], anonymous_clients: bool, generation: u64) -> anyhow::Result<Current> {
    let mut store = rustls::RootCertStore::empty();
    for der in ders {
        store.add(CertificateDer::from(der.clone())).context("a CA certificate is not usable as a TLS root")?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider);
    let builder = if anonymous_clients { builder.allow_unauthenticated() } else { builder };
    let verifier = builder.build().context("building the TLS client verifier")?;
    let pems: Vec<String> = ders.iter().map(|d| weft_provision::cert_pem(d)).collect();
    Ok(Current { verifier, pems: TrustRoots::from_pems(&pems), generation, count: ders.len() })
}

#[derive(Debug)]
struct Verifier(Arc<Trust>);

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust").field("cas", &self.count()).finish()
    }
}

impl ClientCertVerifier for Verifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.0.current().verifier.client_auth_mandatory()
    }

    /// No hints: they would have to outlive a change of roots, and every
    /// client Weft knows sends its one certificate regardless.
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.0.current().verifier.verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.current().verifier.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.current().verifier.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.current().verifier.supported_verify_schemes()
    }
}

/// The root CAs of a channel configuration's orgs.
pub fn channel_roots(config: &weft_proto::ChannelConfig) -> Vec<Vec<u8>> {
    config.orgs.iter().flat_map(|o| o.root_certs.iter().cloned()).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use weft_identity::{CertificateAuthority, Validity};

    use super::Trust;

    fn ca(org: &str) -> Vec<u8> {
        CertificateAuthority::create(org, Validity::days_from_now(30)).unwrap().certificate_der().to_vec()
    }

    #[test]
    fn channels_add_and_take_away_their_orgs_cas() {
        let (org1, org2, org3) = (ca("Org1"), ca("Org2"), ca("Org3"));
        let trust = Arc::new(Trust::new(&[weft_provision::cert_pem(&org1)], false).unwrap());
        assert_eq!((trust.count(), trust.client_roots().1), (1, 0));

        trust.set_channel("a", vec![org1.clone(), org2.clone()]);
        assert_eq!(trust.count(), 2, "node.toml's CA is not counted twice");
        let generation = trust.client_roots().1;
        trust.set_channel("a", vec![org1.clone(), org2.clone()]);
        assert_eq!(trust.client_roots().1, generation, "the same roots: nothing changes");
        trust.set_channel("b", vec![org2.clone(), org3.clone()]);
        assert_eq!(trust.count(), 3);
        assert!(trust.client_roots().0 .0.matches("BEGIN CERTIFICATE").count() == 3);

        trust.remove_channel("a");
        assert_eq!(trust.count(), 3, "Org2 is still in b");
        trust.remove_channel("b");
        assert_eq!(trust.count(), 1, "back to node.toml's");

        // A CA that is no certificate leaves the roots as they were.
        trust.set_channel("c", vec![org2, b"not a certificate".to_vec()]);
        assert_eq!(trust.count(), 1);
    }
}
