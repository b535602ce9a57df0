//! HTTPS served by the daemon itself (`--tls-cert`, `--tls-key`): rustls with
//! the ring provider, TLS 1.2 and 1.3, HTTP/1.1.
//!
//! Steps of a connection: [`TlsListener`] accepts TCP connections on a task
//! of its own and runs each TLS handshake on a task of its own, within
//! [`HANDSHAKE_TIMEOUT`] and at most [`MAX_HANDSHAKES`] at a time, so a slow
//! or silent client never holds up the others; finished handshakes are handed
//! to axum's server through a bounded queue.
//!
//! With a client CA (`--client-ca`, see [`crate::auth`]) the handshake asks
//! for a client certificate and checks it against that CA
//! (`WebPkiClientVerifier`); a client without one still connects (reads need
//! none), and a verified certificate reaches the handlers as a
//! [`ClientCertificate`] request extension (see [`with_client_certificate`]).

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::server::TlsStream;

use crate::error::StartError;

/// Longest a TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in flight, at most.
pub const MAX_HANDSHAKES: usize = 256;

/// A verified TLS client certificate (the leaf), as a request extension.
#[derive(Clone)]
pub struct ClientCertificate(Arc<CertificateDer<'static>>);

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ClientCertificate").field(&self.dns_names()).finish()
    }
}

impl ClientCertificate {
    /// The DNS names of its subject alternative names.
    pub fn dns_names(&self) -> Vec<String> {
        webpki::EndEntityCert::try_from(&*self.0)
            .map(|cert| cert.valid_dns_names().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// `service` with the client certificate of `stream` (if it sent one, and so
/// passed the client verifier) in every request's extensions.
pub fn with_client_certificate<S>(
    service: S,
    stream: &TlsStream<TcpStream>,
) -> axum::middleware::AddExtension<S, Option<ClientCertificate>> {
    let leaf = stream.get_ref().1.peer_certificates().and_then(<[_]>::first);
    let certificate = leaf.map(|c| ClientCertificate(Arc::new(c.clone().into_owned())));
    tower::Layer::layer(&axum::Extension(certificate), service)
}

fn pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, StartError> {
    let fail = |reason: String| StartError::Tls { path: path.to_owned(), reason };
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no certificate in the file".into()));
    }
    Ok(certs)
}

/// The server configuration of a PEM certificate chain and its private key;
/// with `client_ca`, client certificates of that CA are asked for (and
/// optional).
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<ServerConfig>, StartError> {
    let fail = |path: &Path, reason: String| StartError::Tls { path: path.to_owned(), reason };
    let chain = pem_certificates(cert)?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| fail(key, e.to_string()))?;
    let provider = Arc::new(ring::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(cert, e.to_string()))?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for c in pem_certificates(ca)? {
                roots.add(c).map_err(|e| fail(ca, e.to_string()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| fail(ca, e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, key_der)
        .map_err(|e| fail(key, format!("the key does not go with the certificate: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A TCP listener that yields TLS streams (an axum [`Listener`]).
///
/// [`Listener`]: axum::serve::Listener
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Serves TLS with `config` on `tcp`.
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor = tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(Self { ready, local, acceptor })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

/// Accepts connections and runs their handshakes until the listener is
/// dropped.
async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let permits = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { return };
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait, then go on.
                tracing::warn!(error = %e, "accepting a TLS connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (acceptor, ready) = (acceptor.clone(), ready.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    drop(permit);
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop ended (the process is stopping): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}
