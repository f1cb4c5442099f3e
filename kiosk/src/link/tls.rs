//! The TLS client settings for reaching the hub: trust exactly the hub's own CA.

/// The hub's CA certificate could not be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "the hub's CA certificate cannot be used ({0}); copy the kiosk settings again with `nabij-hub kiosk-settings`"
)]
pub struct TlsError(String);

/// A rustls client that trusts only the certificates in `ca_pem`.
pub fn client_config(ca_pem: &[u8]) -> Result<rustls::ClientConfig, TlsError> {
    use rustls_pki_types::pem::PemObject;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(ca_pem) {
        roots
            .add(cert.map_err(|e| TlsError(e.to_string()))?)
            .map_err(|e| TlsError(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(TlsError("it holds no certificate".into()));
    }
    Ok(rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth())
}
