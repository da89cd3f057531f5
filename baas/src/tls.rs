//! HTTPS for weft-baas: a certificate and key the operator gives (PEM), or
//! one the server makes on its first start (ECDSA P-256, for this host's
//! names and addresses, in `<data-dir>/tls/`), served with rustls. Plain
//! HTTP only when asked for, and only on a loopback address: bearer tokens
//! and passwords never cross a network in the clear.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

/// How the server speaks to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// Plain HTTP: only on a loopback address (development, tests, a TLS
    /// proxy on the same host).
    Plain,
    /// HTTPS with this certificate chain and private key (PEM files).
    Files { cert: PathBuf, key: PathBuf },
    /// HTTPS with a certificate the server made for itself on first start.
    SelfMade,
}

/// Marks requests that came over TLS (for HSTS).
#[derive(Debug, Clone, Copy)]
pub struct Secure;

/// Where a self-made certificate and its key are kept.
pub fn self_made_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// The rustls configuration for `tls`, or None for plain HTTP (refused
/// unless `listen` is a loopback address).
pub fn server_config(
    tls: &Tls,
    data_dir: &Path,
    listen: SocketAddr,
) -> anyhow::Result<Option<Arc<rustls::ServerConfig>>> {
    let (cert, key) = match tls {
        Tls::Plain => {
            anyhow::ensure!(
                listen.ip().is_loopback(),
                "plain HTTP is served only on a loopback address, not {listen}: drop --plain-http (the server then \
                 makes its own certificate) or give --tls-cert and --tls-key"
            );
            return Ok(None);
        }
        Tls::Files { cert, key } => (cert.clone(), key.clone()),
        Tls::SelfMade => {
            let (cert, key) = self_made_paths(data_dir);
            if !cert.exists() || !key.exists() {
                make_certificate(&cert, &key, listen)?;
                tracing::info!(certificate = %cert.display(), "made a TLS certificate for this server; clients must trust it (or give --tls-cert/--tls-key)");
            }
            (cert, key)
        }
    };
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(&cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading the TLS certificate {}", cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no PEM certificate", cert.display());
    let private =
        PrivateKeyDer::from_pem_file(&key).with_context(|| format!("reading the TLS key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .with_context(|| format!("{} and {} do not make a certificate and its key", cert.display(), key.display()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}

/// A self-signed ECDSA P-256 certificate (what every browser and TLS
/// library accepts) for localhost, the loopback addresses, the listen
/// address and this host's name; the key written 0600 from its creation.
fn make_certificate(cert: &Path, key: &Path, listen: SocketAddr) -> anyhow::Result<()> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    if !listen.ip().is_unspecified() && !listen.ip().is_loopback() {
        names.push(listen.ip().to_string());
    }
    if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
        let host = host.trim();
        if !host.is_empty() {
            names.push(host.to_string());
        }
    }
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).context("making a TLS key")?;
    let mut params = rcgen::CertificateParams::new(names).context("the TLS certificate's names")?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "weft-baas");
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(825);
    let made = params.self_signed(&pair).context("signing the TLS certificate")?;
    let dir = cert.parent().expect("a file in the tls directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    weft_provision::write_secret(key, pair.serialize_pem().as_bytes())?;
    std::fs::File::create(cert)
        .and_then(|mut f| f.write_all(made.pem().as_bytes()))
        .with_context(|| format!("writing {}", cert.display()))?;
    Ok(())
}

/// How long a client has to finish its TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// A listener that hands axum connections whose TLS handshake is done.
/// Handshakes run in their own tasks, so a slow or silent client holds up
/// nobody else.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let (tx, ready) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = tcp.accept() => a,
                    // The server stopped (the listener was dropped).
                    _ = tx.closed() => return,
                };
                let Ok((stream, peer)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { ready, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept task only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
