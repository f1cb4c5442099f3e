//! Serving the dashboard over HTTPS: the hub's own certificate (the one tablets trust,
//! signed by the hub's CA), HTTP/1.1, time limits so that a slow or silent client
//! cannot hold a connection, and a cap on connections at once.

use crate::pki::PkiPaths;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Most connections at once; more wait to be accepted.
const MOST_CONNECTIONS: usize = 256;
/// A TLS handshake must be done within this.
const HANDSHAKE_WITHIN: Duration = Duration::from_secs(10);
/// A request's headers must arrive within this.
const HEADERS_WITHIN: Duration = Duration::from_secs(10);

/// Why the dashboard could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The certificate or key could not be read.
    #[error("the dashboard's certificate {path}: {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// The address could not be listened on.
    #[error(
        "the dashboard cannot listen on {addr}: {source} (is another program using the port? change [web] port in hub.toml)"
    )]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The dashboard's TLS settings as they are now: a renewed certificate replaces them
/// while the dashboard serves, for every connection after.
#[derive(Clone)]
pub struct DashboardTls(Arc<std::sync::RwLock<Arc<rustls::ServerConfig>>>);

impl DashboardTls {
    /// Reads the hub's certificate and key.
    pub fn load(pki: &PkiPaths) -> Result<DashboardTls, WebError> {
        Ok(DashboardTls(Arc::new(std::sync::RwLock::new(tls_config(
            pki,
        )?))))
    }

    /// Reads them again (the certificate was renewed).
    pub fn reload(&self, pki: &PkiPaths) -> Result<(), WebError> {
        let fresh = tls_config(pki)?;
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    fn current(&self) -> Arc<rustls::ServerConfig> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The TLS settings for the dashboard: the hub's server certificate, then its CA. The
/// default rustls suites are all AEAD (AES-GCM, ChaCha20-Poly1305), TLS 1.2 and 1.3.
pub fn tls_config(pki: &PkiPaths) -> Result<Arc<rustls::ServerConfig>, WebError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let fail = |path: &std::path::Path, reason: String| WebError::Certificate {
        path: path.display().to_string(),
        reason,
    };
    let mut chain = Vec::new();
    for path in [&pki.server_cert, &pki.ca_cert] {
        let pem = std::fs::read(path).map_err(|e| fail(path, e.to_string()))?;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            chain.push(cert.map_err(|e| fail(path, e.to_string()))?);
        }
    }
    let key_pem =
        std::fs::read(&pki.server_key).map_err(|e| fail(&pki.server_key, e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| fail(&pki.server_key, e.to_string()))?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| fail(&pki.server_cert, e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Listens on `addr` and serves `router` over TLS until the task is aborted. Returns
/// the address actually bound (port 0 picks a free one) and the task.
pub async fn serve(
    router: Router,
    addr: SocketAddr,
    tls: DashboardTls,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), WebError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Listen { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| WebError::Listen { addr, source })?;
    let slots = Arc::new(tokio::sync::Semaphore::new(MOST_CONNECTIONS));
    let task = tokio::spawn(async move {
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, go on.
                    tracing::warn!(error = %e, "the dashboard could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
            // Every request knows the address it came from (log-ins are paused per
            // address: `domain::accounts::LogInGuard`).
            let router = tower::ServiceExt::map_request(
                router.clone(),
                move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    request
                },
            );
            tokio::spawn(async move {
                let _slot = slot;
                let tls =
                    match tokio::time::timeout(HANDSHAKE_WITHIN, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "dashboard TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                let served = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADERS_WITHIN)
                    .serve_connection(TokioIo::new(tls), TowerToHyperService::new(router))
                    .await;
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "dashboard connection ended with an error");
                }
            });
        }
    });
    Ok((bound, task))
}
