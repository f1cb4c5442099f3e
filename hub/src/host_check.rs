//! Whether the broker's certificate carries a host name, checked exactly as a kiosk checks
//! it (rustls, trusting only the hub's CA: docs/protocol.md §1): `nabij-hub kiosk-settings
//! --host` writes no settings a tablet would then refuse to connect with.

use rustls::client::danger::ServerCertVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::Arc;

/// Why tablets could not reach the hub under a host name.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// Not a DNS name or an IP address.
    #[error(
        "{host:?} is not a host name or an IP address; give the name or address tablets use to reach the hub, e.g. --host hub.local"
    )]
    NotAHost {
        /// What was given.
        host: String,
    },
    /// The certificate does not carry the name.
    #[error(
        "the hub's certificate is not made for {host:?}, so tablets would refuse to connect to it there. It is made for: {names}. Use one of these, or add {host:?} to `hostnames` under [broker] in hub.toml and restart the hub (it makes a new certificate with it), then run this again"
    )]
    NotCarried {
        /// The name asked for.
        host: String,
        /// The names the certificate carries.
        names: String,
    },
    /// The certificate does not pass for another reason (expired, another CA).
    #[error(
        "the hub's certificate does not pass a tablet's check ({0}); restart the hub to make a new one"
    )]
    Refused(String),
    /// The certificate files cannot be read.
    #[error("the hub's certificates cannot be read: {0}")]
    Files(String),
}

/// Checks that a kiosk trusting `ca_pem` accepts `server_pem` (the broker's certificate)
/// for `host`, now. `names` (the ones the certificate was made for) go into the error.
pub fn check(
    ca_pem: &[u8],
    server_pem: &[u8],
    names: &[String],
    host: &str,
) -> Result<(), HostError> {
    let name = ServerName::try_from(host.trim().to_owned()).map_err(|_| HostError::NotAHost {
        host: host.to_owned(),
    })?;
    let files = |e: &dyn std::fmt::Display| HostError::Files(e.to_string());
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots
            .add(cert.map_err(|e| files(&e))?)
            .map_err(|e| files(&e))?;
    }
    let server = CertificateDer::from_pem_slice(server_pem).map_err(|e| files(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| files(&e))?;
    match verifier.verify_server_cert(&server, &[], &name, &[], UnixTime::now()) {
        Ok(_) => Ok(()),
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. },
        )) => Err(HostError::NotCarried {
            host: host.trim().to_owned(),
            names: names.join(", "),
        }),
        Err(e) => Err(HostError::Refused(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_or_address_the_certificate_carries_passes_and_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["hub.local".to_owned(), "192.168.1.20".to_owned()];
        let paths = crate::pki::ensure(dir.path(), &names).unwrap();
        let ca = std::fs::read(&paths.ca_cert).unwrap();
        let server = std::fs::read(&paths.server_cert).unwrap();
        for good in ["hub.local", "HUB.local", "192.168.1.20"] {
            assert!(check(&ca, &server, &names, good).is_ok(), "{good}");
        }
        let e = check(&ca, &server, &names, "hub.example").unwrap_err();
        assert!(matches!(e, HostError::NotCarried { .. }), "{e}");
        let words = e.to_string();
        assert!(
            words.contains("hub.local, 192.168.1.20") && words.contains("hostnames"),
            "{words}"
        );
        assert!(matches!(
            check(&ca, &server, &names, "192.168.1.21"),
            Err(HostError::NotCarried { .. })
        ));
        assert!(matches!(
            check(&ca, &server, &names, "hub\"\nport = 1"),
            Err(HostError::NotAHost { .. })
        ));
        let other = tempfile::tempdir().unwrap();
        let other = crate::pki::ensure(other.path(), &names).unwrap();
        let stranger = std::fs::read(&other.server_cert).unwrap();
        assert!(matches!(
            check(&ca, &stranger, &names, "hub.local"),
            Err(HostError::Refused(_))
        ));
    }
}
