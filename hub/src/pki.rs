//! The hub's own certificate authority and the broker's server certificate.
//!
//! On first start the hub makes a CA (ECDSA P-256) and a server certificate signed by it.
//! Tablets trust that CA alone (it is part of the kiosk settings). The server certificate
//! is made again when the host names change or it nears its end; the CA stays, so tablets
//! keep trusting the hub.

use crate::files::{write_private, write_public};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use std::path::{Path, PathBuf};

/// Why the certificates could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// rcgen refused (a bad host name, or a damaged key file).
    #[error("cannot make the hub's certificates: {0}")]
    Certificate(#[from] rcgen::Error),
}

/// Where the PEM files are.
#[derive(Debug, Clone)]
pub struct PkiPaths {
    /// The CA certificate tablets trust.
    pub ca_cert: PathBuf,
    /// The CA's private key (mode 0600).
    pub ca_key: PathBuf,
    /// The broker's certificate.
    pub server_cert: PathBuf,
    /// The broker's private key (mode 0600).
    pub server_key: PathBuf,
    /// The host names the server certificate was made for, one per line.
    server_names: PathBuf,
}

impl PkiPaths {
    /// The files below `dir`.
    pub fn new(dir: &Path) -> Self {
        PkiPaths {
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca-key.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server-key.pem"),
            server_names: dir.join("server-names.txt"),
        }
    }
}

const CA_NAME: &str = "Nabij hub CA";

fn read(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|source| PkiError::Io {
        path: path.to_owned(),
        source,
    })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.to_owned(),
        source,
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, "Nabij");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let (year, month, day) = crate::clock::civil_date(crate::clock::now());
    params.not_before = rcgen::date_time_ymd(year - 1, month, day.min(28));
    params.not_after = rcgen::date_time_ymd(year + 20, month, day.min(28));
    params
}

/// Makes the CA and the server certificate when missing, and the server certificate
/// again when `names` changed. Returns the paths of the PEM files.
pub fn ensure(dir: &Path, names: &[String]) -> Result<PkiPaths, PkiError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let paths = PkiPaths::new(dir);
    if !paths.ca_cert.exists() || !paths.ca_key.exists() {
        let key = KeyPair::generate()?;
        let cert = ca_params().self_signed(&key)?;
        write_private(&paths.ca_key, key.serialize_pem().as_bytes()).map_err(io(&paths.ca_key))?;
        write_public(&paths.ca_cert, cert.pem().as_bytes()).map_err(io(&paths.ca_cert))?;
        tracing::info!(path = %paths.ca_cert.display(), "made the hub's certificate authority");
    }
    let wanted = names.join("\n");
    let current = std::fs::read_to_string(&paths.server_names).unwrap_or_default();
    if current != wanted || !paths.server_cert.exists() || !paths.server_key.exists() {
        issue_server_cert(&paths, names)?;
        write_public(&paths.server_names, wanted.as_bytes()).map_err(io(&paths.server_names))?;
        tracing::info!(names = %names.join(", "), "made the broker's server certificate");
    }
    Ok(paths)
}

fn issue_server_cert(paths: &PkiPaths, names: &[String]) -> Result<(), PkiError> {
    let ca_key = KeyPair::from_pem(&read(&paths.ca_key)?)?;
    // The issuer is rebuilt from the CA's name and key; the signature and key identifier
    // come from the key, so certificates chain to the CA certificate on disk.
    let issuer = Issuer::new(ca_params(), ca_key);
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(
        DnType::CommonName,
        names.first().map(String::as_str).unwrap_or("localhost"),
    );
    params.distinguished_name = name;
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => Ok(SanType::DnsName(n.as_str().try_into()?)),
        })
        .collect::<Result<_, rcgen::Error>>()?;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let (year, month, day) = crate::clock::civil_date(crate::clock::now());
    params.not_before = rcgen::date_time_ymd(year - 1, month, day.min(28));
    params.not_after = rcgen::date_time_ymd(year + 2, month, day.min(28));
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &issuer)?;
    write_private(&paths.server_key, key.serialize_pem().as_bytes())
        .map_err(io(&paths.server_key))?;
    write_public(&paths.server_cert, cert.pem().as_bytes()).map_err(io(&paths.server_cert))?;
    Ok(())
}

/// The names the server certificate covers: the configured ones, then `localhost`,
/// 127.0.0.1 and this machine's host name.
pub fn server_names(configured: &[String]) -> Vec<String> {
    let mut names: Vec<String> = configured.to_vec();
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    for extra in ["localhost", "127.0.0.1", host.trim()] {
        if !extra.is_empty() && !names.iter().any(|n| n == extra) {
            names.push(extra.to_owned());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_the_files_once_and_reissues_only_the_server_cert_for_new_names() {
        let dir = tempfile::tempdir().unwrap();
        let paths = ensure(dir.path(), &["localhost".into()]).unwrap();
        let ca = std::fs::read_to_string(&paths.ca_cert).unwrap();
        let server = std::fs::read_to_string(&paths.server_cert).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));

        ensure(dir.path(), &["localhost".into()]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&paths.server_cert).unwrap(),
            server,
            "nothing changed"
        );

        ensure(dir.path(), &["localhost".into(), "hub.local".into()]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&paths.ca_cert).unwrap(),
            ca,
            "the CA stays"
        );
        assert_ne!(std::fs::read_to_string(&paths.server_cert).unwrap(), server);

        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&paths.ca_key)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "private keys are readable by the owner only"
        );
    }
}
