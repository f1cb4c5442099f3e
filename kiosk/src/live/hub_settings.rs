//! The kiosk settings file (`nabij-hub kiosk-settings --host …` prints it): where the hub
//! is, the CA that proves it, and the shared enrolment password a fresh tablet pairs with.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why the settings cannot be used; each message names the file and the field.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("cannot read the kiosk settings {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not the expected TOML.
    #[error(
        "kiosk settings {path}: {message} (make a new file with `nabij-hub kiosk-settings --host …`)"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A value that cannot work.
    #[error("kiosk settings {path}: field `hub.{field}` {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// How this kiosk reaches its hub.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubSettings {
    /// Host name or address of the hub.
    pub host: String,
    /// The broker's TLS port for an enrolled tablet.
    pub port: u16,
    /// The broker's TLS port while the tablet is pairing.
    pub pairing_port: u16,
    /// The shared password of pairing tablets.
    pub enrolment_password: String,
    /// The hub's CA certificate, PEM.
    pub ca: String,
    /// The four digits that open the coach settings on this hub's tablets.
    #[serde(default)]
    pub coach_pin: Option<String>,
    /// The hub dashboard's HTTPS port: the pairing screen shows a QR code of the page
    /// that pairs this tablet, for a coach's phone.
    #[serde(default)]
    pub dashboard_port: Option<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    hub: HubSettings,
}

impl HubSettings {
    /// Reads and checks a settings file.
    pub fn load(path: &Path) -> Result<HubSettings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses settings text (`path` is for messages).
    pub fn parse(text: &str, path: &Path) -> Result<HubSettings, SettingsError> {
        let file: File = toml::from_str(text).map_err(|e| SettingsError::Parse {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })?;
        let settings = file.hub;
        let invalid = |field, reason| SettingsError::Invalid {
            path: path.to_owned(),
            field,
            reason,
        };
        if settings.host.trim().is_empty() {
            return Err(invalid("host", "is empty"));
        }
        // A host name or an address, nothing more: the pairing screen's QR code puts it
        // in a link, where a space, `/`, `@` or `#` would lead a coach's phone elsewhere.
        if settings
            .host
            .contains(|c: char| c.is_whitespace() || c.is_control() || "/?#@\\%".contains(c))
        {
            return Err(invalid(
                "host",
                "must be a host name or an address, without spaces or any of / ? # @ \\ %",
            ));
        }
        if settings.port == 0 {
            return Err(invalid("port", "must be 1 to 65535"));
        }
        if settings.pairing_port == 0 {
            return Err(invalid("pairing_port", "must be 1 to 65535"));
        }
        if settings.pairing_port == settings.port {
            return Err(invalid(
                "pairing_port",
                "must differ from port: pairing tablets have a listener of their own",
            ));
        }
        if settings.enrolment_password.len() < 16 {
            return Err(invalid(
                "enrolment_password",
                "is too short to be the hub's (16 characters at least)",
            ));
        }
        if let Some(pin) = &settings.coach_pin
            && (pin.len() != crate::state::PIN_LENGTH || !pin.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid("coach_pin", "must be four digits"));
        }
        if settings.dashboard_port == Some(0) {
            return Err(invalid("dashboard_port", "must be 1 to 65535"));
        }
        if !settings.ca.contains("-----BEGIN CERTIFICATE-----") {
            return Err(invalid("ca", "holds no PEM certificate"));
        }
        Ok(settings)
    }
}

impl HubSettings {
    /// The dashboard page that pairs a tablet showing `code`, when the dashboard's port
    /// is known: what the pairing screen's QR code holds.
    pub fn pairing_link(&self, code: &str) -> Option<String> {
        let port = self.dashboard_port?;
        let host = self.host.trim();
        // An IPv6 address is written in brackets in a URL.
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let code: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
        Some(format!("https://{host}:{port}/devices?code={code}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[hub]\nhost = \"hub.local\"\nport = 8883\npairing_port = 8884\nenrolment_password = \"0123456789abcdef0123\"\nca = \"\"\"\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n\"\"\"\n";

    #[test]
    fn good_settings_parse_and_bad_ones_name_the_field() {
        let path = Path::new("kiosk-settings.toml");
        let settings = HubSettings::parse(GOOD, path).unwrap();
        assert_eq!((settings.host.as_str(), settings.port), ("hub.local", 8883));
        let no_port = GOOD.replace("port = 8883\n", "");
        let e = HubSettings::parse(&no_port, path).unwrap_err().to_string();
        assert!(e.contains("port"), "{e}");
        let bad_ca = GOOD.replace("-----BEGIN CERTIFICATE-----", "");
        let e = HubSettings::parse(&bad_ca, path).unwrap_err().to_string();
        assert!(e.contains("hub.ca"), "{e}");
        let pin = GOOD.replace("[hub]\n", "[hub]\ncoach_pin = \"12a4\"\n");
        let e = HubSettings::parse(&pin, path).unwrap_err().to_string();
        assert!(e.contains("coach_pin"), "{e}");
        let pin = GOOD.replace("[hub]\n", "[hub]\ncoach_pin = \"1234\"\n");
        assert_eq!(
            HubSettings::parse(&pin, path).unwrap().coach_pin.as_deref(),
            Some("1234")
        );
        let extra = GOOD.replace("[hub]\n", "[hub]\ncolour = \"red\"\n");
        let e = HubSettings::parse(&extra, path).unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
        let same = GOOD.replace("pairing_port = 8884", "pairing_port = 8883");
        let e = HubSettings::parse(&same, path).unwrap_err().to_string();
        assert!(e.contains("pairing_port") && e.contains("differ"), "{e}");
        assert_eq!(HubSettings::parse(GOOD, path).unwrap().pairing_port, 8884);
        // Found by the kiosk_settings fuzz target: a host the pairing link cannot carry.
        for host in [
            "hu b.local",
            "evil.example/x#",
            "marie@hub.local",
            " hub.local",
        ] {
            let bad = GOOD.replace("\"hub.local\"", &format!("{host:?}"));
            let e = HubSettings::parse(&bad, path).unwrap_err().to_string();
            assert!(e.contains("hub.host"), "{host}: {e}");
        }
        let port0 = GOOD.replace("[hub]\n", "[hub]\ndashboard_port = 0\n");
        let e = HubSettings::parse(&port0, path).unwrap_err().to_string();
        assert!(e.contains("dashboard_port"), "{e}");
    }

    #[test]
    fn the_pairing_link_is_the_dashboards_pairing_page_with_the_code() {
        let path = Path::new("kiosk-settings.toml");
        let mut settings = HubSettings::parse(GOOD, path).unwrap();
        assert_eq!(
            settings.pairing_link("K7PX4C"),
            None,
            "no dashboard port, no link"
        );
        settings.dashboard_port = Some(8443);
        assert_eq!(
            settings.pairing_link("K7P-X4C").as_deref(),
            Some("https://hub.local:8443/devices?code=K7PX4C")
        );
        settings.host = "fd00::7".into();
        assert_eq!(
            settings.pairing_link("K7PX4C").as_deref(),
            Some("https://[fd00::7]:8443/devices?code=K7PX4C")
        );
    }
}
