//! The hub's own certificate authority and the broker's server certificate.
//!
//! On first start the hub makes a CA (ECDSA P-256) and a server certificate signed by it.
//! Tablets trust that CA alone (it is part of the kiosk settings). The server certificate
//! lives [`SERVER_CERT_DAYS`] and is made again when the host names change or when it
//! would end within [`RENEW_WITHIN_DAYS`] (a running hub looks twice a day); the CA
//! stays, so tablets keep trusting the hub.

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
    /// A certificate file that cannot be read as one.
    #[error(
        "{path} is not a readable certificate ({reason}); the hub makes a new one when it starts without it"
    )]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
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

/// How long a server certificate is valid from the day it is made. Short, because the
/// hub renews it by itself; tablets trust the CA, not this certificate.
pub const SERVER_CERT_DAYS: u64 = 180;

/// The server certificate is made again when it would end within this many days: a hub
/// switched off for a few weeks still finds it valid.
pub const RENEW_WITHIN_DAYS: u64 = 30;

const DAY_MS: u64 = 86_400_000;

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
    renew_if_due(&paths, names)?;
    Ok(paths)
}

/// Makes the server certificate again when `names` changed or when it would not be
/// valid [`RENEW_WITHIN_DAYS`] from now, as a tablet checks it. Returns whether it did:
/// then the broker and the dashboard must load the new one.
pub fn renew_if_due(paths: &PkiPaths, names: &[String]) -> Result<bool, PkiError> {
    let wanted = names.join("\n");
    let current = std::fs::read_to_string(&paths.server_names).unwrap_or_default();
    let soon = crate::clock::now().0 + RENEW_WITHIN_DAYS * DAY_MS;
    let due = current != wanted
        || !paths.server_key.exists()
        || !valid_at(paths, names, nabij_protocol::UnixMillis(soon));
    if due {
        issue_server_cert(paths, names)?;
        write_public(&paths.server_names, wanted.as_bytes()).map_err(io(&paths.server_names))?;
        tracing::info!(names = %names.join(", "), "made the server certificate for the broker and the dashboard");
    }
    Ok(due)
}

/// Whether the server certificate on disk chains to the CA on disk and is valid at `at`
/// for the first of `names`: the check a tablet's TLS makes. Anything unreadable is
/// not valid.
pub fn valid_at(paths: &PkiPaths, names: &[String], at: nabij_protocol::UnixMillis) -> bool {
    use rustls::client::danger::ServerCertVerifier;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
    let (Ok(ca), Ok(server)) = (
        CertificateDer::from_pem_file(&paths.ca_cert),
        CertificateDer::from_pem_file(&paths.server_cert),
    ) else {
        return false;
    };
    let mut roots = rustls::RootCertStore::empty();
    if roots.add(ca).is_err() {
        return false;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let Ok(verifier) =
        rustls::client::WebPkiServerVerifier::builder_with_provider(roots.into(), provider).build()
    else {
        return false;
    };
    let name = names.first().map_or("localhost", String::as_str);
    let Ok(name) = ServerName::try_from(name.to_owned()) else {
        return false;
    };
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_millis(at.0));
    verifier
        .verify_server_cert(&server, &[], &name, &[], at)
        .is_ok()
}

/// When the server certificate on disk ends (its `notAfter`), for `nabij-hub status`.
pub fn server_cert_ends(paths: &PkiPaths) -> Result<nabij_protocol::UnixMillis, PkiError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let der =
        CertificateDer::from_pem_file(&paths.server_cert).map_err(|e| PkiError::Unreadable {
            path: paths.server_cert.clone(),
            reason: e.to_string(),
        })?;
    not_after(&der).ok_or_else(|| PkiError::Unreadable {
        path: paths.server_cert.clone(),
        reason: "no validity period in it".into(),
    })
}

/// The end of an X.509 certificate's validity, read from its DER with a walk of the few
/// fields before it: Certificate → tbsCertificate → [version], serialNumber, signature,
/// issuer, validity → notAfter. (x509-parser is in Cargo.lock only as an optional
/// dependency of rcgen, never built; it would bring a second `nom` and asn1-rs with its
/// derive macros for one date.) `None` for anything that is not such a certificate.
fn not_after(der: &[u8]) -> Option<nabij_protocol::UnixMillis> {
    /// One DER element: its tag, its contents, and what follows it.
    fn element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = bytes.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let (digits, rest) = rest.split_at(count);
            let len = digits
                .iter()
                .fold(0usize, |len, &d| (len << 8) | usize::from(d));
            (len, rest)
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }
    const SEQUENCE: u8 = 0x30;
    const VERSION: u8 = 0xa0;
    let (SEQUENCE, certificate, _) = element(der)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(certificate)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, after) = element(rest)?;
    if tag == VERSION {
        rest = after;
    }
    // serialNumber, signature, issuer.
    for _ in 0..3 {
        rest = element(rest)?.2;
    }
    let (SEQUENCE, validity, _) = element(rest)? else {
        return None;
    };
    let (_, _, after_not_before) = element(validity)?;
    let (tag, time, _) = element(after_not_before)?;
    let text = std::str::from_utf8(time).ok()?;
    // UTCTime: YYMMDDHHMMSSZ (years 1950-2049); GeneralizedTime: YYYYMMDDHHMMSSZ.
    let (year, rest) = match tag {
        0x17 => {
            let yy: i32 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    if rest.len() != 11 || !rest.ends_with('Z') {
        return None;
    }
    let field = |at: usize| -> Option<u8> { rest.get(at..at + 2)?.parse().ok() };
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = nabij_protocol::time::days_from_civil(year, month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    u64::try_from(seconds)
        .ok()
        .map(|s| nabij_protocol::UnixMillis(s * 1000))
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
    // From a year back (a tablet whose clock is behind still accepts it) to
    // SERVER_CERT_DAYS ahead.
    let now = crate::clock::now();
    let (year, month, day) = crate::clock::civil_date(now);
    params.not_before = rcgen::date_time_ymd(year - 1, month, day.min(28));
    let (year, month, day) = crate::clock::civil_date(nabij_protocol::UnixMillis(
        now.0 + SERVER_CERT_DAYS * DAY_MS,
    ));
    params.not_after = rcgen::date_time_ymd(year, month, day.min(28));
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

        assert!(!renew_if_due(&paths, &["localhost".into(), "hub.local".into()]).unwrap());

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

    #[test]
    fn the_server_certificate_is_renewed_before_it_ends_and_still_chains_to_the_same_ca() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["hub.local".to_owned(), "localhost".to_owned()];
        let start = crate::clock::now();
        let clock = crate::clock::pretend(start);
        let paths = ensure(dir.path(), &names).unwrap();
        let ca = std::fs::read_to_string(&paths.ca_cert).unwrap();
        let first = std::fs::read_to_string(&paths.server_cert).unwrap();
        let days = |n: u64| nabij_protocol::UnixMillis(start.0 + n * DAY_MS);
        assert!(valid_at(&paths, &names, days(SERVER_CERT_DAYS - 2)));
        assert!(!valid_at(&paths, &names, days(SERVER_CERT_DAYS + 2)));
        assert!(
            !valid_at(&paths, &["elsewhere.example".into()], start),
            "only for its own names"
        );

        // A hundred days on: nothing to do yet.
        clock.set(days(100));
        assert!(!renew_if_due(&paths, &names).unwrap());
        assert_eq!(std::fs::read_to_string(&paths.server_cert).unwrap(), first);

        // Within RENEW_WITHIN_DAYS of its end: a new one, from the same CA, which a
        // tablet that trusts that CA accepts long after the first one ended.
        let late = SERVER_CERT_DAYS - RENEW_WITHIN_DAYS + 5;
        clock.set(days(late));
        assert!(renew_if_due(&paths, &names).unwrap());
        assert_ne!(std::fs::read_to_string(&paths.server_cert).unwrap(), first);
        assert_eq!(std::fs::read_to_string(&paths.ca_cert).unwrap(), ca);
        assert!(valid_at(&paths, &names, days(SERVER_CERT_DAYS + 60)));
        assert!(!renew_if_due(&paths, &names).unwrap(), "once is enough");
    }

    #[test]
    fn the_server_certificates_end_is_read_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["hub.local".to_owned()];
        let start = crate::clock::now();
        let _clock = crate::clock::pretend(start);
        let paths = ensure(dir.path(), &names).unwrap();
        let ends = server_cert_ends(&paths).unwrap();
        // Made to end SERVER_CERT_DAYS from now, on that day (at midnight, day 28 at most).
        assert!(valid_at(
            &paths,
            &names,
            nabij_protocol::UnixMillis(ends.0 - 1)
        ));
        assert!(!valid_at(
            &paths,
            &names,
            nabij_protocol::UnixMillis(ends.0 + 1000)
        ));
        let days_left = (ends.0 - start.0) / DAY_MS;
        assert!(
            (SERVER_CERT_DAYS - 31..=SERVER_CERT_DAYS).contains(&days_left),
            "{days_left} days"
        );

        std::fs::write(&paths.server_cert, "not a certificate").unwrap();
        let error = server_cert_ends(&paths).unwrap_err().to_string();
        assert!(error.contains("server.pem"), "{error}");
    }

    #[test]
    fn dates_in_both_der_time_forms_and_damage_refused() {
        // A certificate shaped just enough: tbs with version, serial, signature, issuer,
        // validity (notBefore, notAfter).
        let cert = |time: &[u8]| -> Vec<u8> {
            let el = |tag: u8, body: &[u8]| -> Vec<u8> {
                let mut v = vec![tag, body.len() as u8];
                v.extend_from_slice(body);
                v
            };
            let validity = [el(0x17, b"260101000000Z"), time.to_vec()].concat();
            let tbs = [
                el(0xa0, &el(0x02, &[2])),
                el(0x02, &[1]),
                el(0x30, &[]),
                el(0x30, &[]),
                el(0x30, &validity),
            ]
            .concat();
            let tbs = el(0x30, &tbs);
            let mut outer = vec![0x30, 0x81, tbs.len() as u8];
            outer.extend_from_slice(&tbs);
            outer
        };
        let utc = |s: &[u8]| [vec![0x17, s.len() as u8], s.to_vec()].concat();
        let general = |s: &[u8]| [vec![0x18, s.len() as u8], s.to_vec()].concat();
        let at = |y, m, d, h: u64| {
            nabij_protocol::UnixMillis(nabij_protocol::time::midnight_utc(y, m, d) + h * 3_600_000)
        };
        assert_eq!(
            not_after(&cert(&utc(b"270630120000Z"))),
            Some(at(2027, 6, 30, 12))
        );
        assert_eq!(
            not_after(&cert(&utc(b"990101000000Z"))),
            Some(at(1999, 1, 1, 0))
        );
        assert_eq!(
            not_after(&cert(&general(b"20510228230000Z"))),
            Some(at(2051, 2, 28, 23))
        );
        assert_eq!(not_after(&cert(&utc(b"271330120000Z"))), None, "month 13");
        assert_eq!(not_after(&cert(&utc(b"2706301200+0100"))), None, "not UTC");
        let whole = cert(&utc(b"270630120000Z"));
        for cut in 0..whole.len() {
            assert_eq!(not_after(&whole[..cut]), None, "cut at {cut}");
        }
    }
}
