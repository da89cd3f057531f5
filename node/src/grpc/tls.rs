//! The gRPC server's TLS: the node's certificate, client certificates
//! checked against the roots in force (`run::trust`), handshakes in their
//! own tasks so a slow or silent client holds up nobody else.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;

use crate::run::NodeCore;

const HANDSHAKE: Duration = Duration::from_secs(10);

/// The rustls server configuration: HTTP/2 only, as gRPC is.
pub fn server_config(core: &NodeCore) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_slice_iter(core.tls.certificate.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("the node certificate is not PEM")?;
    let key = PrivateKeyDer::from_pem_slice(core.tls.key.as_bytes()).context("the node key is not PEM")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_client_cert_verifier(core.trust.client_verifier())
        .with_single_cert(chain, key)
        .context("the node certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Connections whose handshake is done, for tonic's `serve_with_incoming`
/// (which reads the client certificate from each `TlsStream`).
pub fn incoming(
    tcp: TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> ReceiverStream<Result<TlsStream<TcpStream>, std::io::Error>> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = tcp.accept() => a,
                // The server stopped (the stream was dropped).
                _ = tx.closed() => return,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, most likely: try again shortly.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => {
                        let _ = tx.send(Ok(tls)).await;
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake refused"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}
