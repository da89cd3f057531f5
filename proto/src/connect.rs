//! TLS connections to Weft nodes. Node certificates are issued by the org
//! CAs of the channel, so clients trust exactly those roots (never the web
//! PKI), and present their own certificate for mutual TLS: the Admin
//! service serves only the node org's admins, known by that certificate.
//! Here (not in weft-sdk) so that nodes, which call each other, and
//! applications connect the same way without the node linking the SDK.

use std::time::Duration;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("bad node address {address:?}: {message}; expected host:port")]
    Address { address: String, message: String },
    #[error("TLS set-up for {address}: {message}")]
    Tls { address: String, message: String },
}

/// PEM of the CA certificates a client trusts (usually every org's CA).
#[derive(Debug, Clone)]
pub struct TrustRoots(pub String);

impl TrustRoots {
    pub fn from_pems<S: AsRef<str>>(pems: &[S]) -> TrustRoots {
        TrustRoots(pems.iter().map(|p| p.as_ref().trim_end().to_string() + "\n").collect())
    }
}

/// A lazily connecting channel to `address` (`host:port`) over mutual TLS
/// as the client whose certificate and key (PEM) are `client`. The server
/// name checked is `host`, which node certificates carry as a subject
/// alternative name.
pub fn channel(address: &str, roots: &TrustRoots, client: (&str, &str)) -> Result<Channel, ConnectError> {
    let bad = |message: String| ConnectError::Address { address: address.into(), message };
    let host = address.rsplit_once(':').map(|(h, _)| h).ok_or_else(|| bad("no port".into()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&roots.0))
        .domain_name(host)
        .identity(Identity::from_pem(client.0, client.1));
    let endpoint = Endpoint::from_shared(format!("https://{address}"))
        .map_err(|e| bad(e.to_string()))?
        .tls_config(tls)
        .map_err(|e| ConnectError::Tls { address: address.into(), message: e.to_string() })?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true);
    Ok(endpoint.connect_lazy())
}
