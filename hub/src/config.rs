//! The hub's settings: `hub.toml` (every key optional, with the defaults below), then
//! command-line flags on top. A bad file is refused with the key that is wrong.

use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has a wrong key or value.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// How the hub reaches its MQTT broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerMode {
    /// The hub writes Mosquitto's configuration, certificates, credentials and ACLs into its
    /// data directory and runs `mosquitto` as a supervised child process (the default).
    Managed,
    /// A Mosquitto the operator runs (see `deploy/mosquitto/`). The hub writes the password
    /// and ACL files into `credentials_dir` and runs `reload_command` after each change.
    External,
}

/// `[broker]` in hub.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerConfig {
    /// `managed` (default) or `external`.
    pub mode: BrokerMode,
    /// Address the TLS listener for tablets binds to (managed mode).
    pub listen: IpAddr,
    /// TLS port for tablets.
    pub tls_port: u16,
    /// TLS port for tablets that are pairing (the shared enrolment login). It is a
    /// listener of its own so that on `tls_port` every client id is bound to its login.
    pub pairing_port: u16,
    /// Plain-MQTT port on 127.0.0.1 for the hub's own connection (managed mode).
    pub local_port: u16,
    /// Extra host names and addresses tablets use to reach the hub; they go into the
    /// server certificate next to `localhost` and 127.0.0.1.
    pub hostnames: Vec<String>,
    /// The mosquitto program (managed mode).
    pub mosquitto: PathBuf,
    /// External mode: the broker's host as the hub reaches it.
    pub host: String,
    /// External mode: the port the hub connects to (plain MQTT on a trusted link, or TLS
    /// when `ca_file` is set).
    pub port: u16,
    /// External mode: the CA certificate (PEM) the hub verifies the broker with.
    pub ca_file: Option<PathBuf>,
    /// External mode: where the hub writes `passwd` and `acl` for the broker to read.
    pub credentials_dir: Option<PathBuf>,
    /// External mode: the command that makes the broker re-read them, e.g.
    /// `systemctl reload mosquitto`.
    pub reload_command: Option<String>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            mode: BrokerMode::Managed,
            listen: IpAddr::from([0, 0, 0, 0]),
            tls_port: 8883,
            pairing_port: 8884,
            local_port: 1884,
            hostnames: Vec::new(),
            mosquitto: PathBuf::from("mosquitto"),
            host: "127.0.0.1".to_owned(),
            port: 1884,
            ca_file: None,
            credentials_dir: None,
            reload_command: None,
        }
    }
}

/// `[enrolment]` in hub.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnrolmentConfig {
    /// How long a pairing code works, in seconds.
    pub code_lifetime_secs: u64,
    /// Wrong codes a coach may enter per minute before the hub stops checking for a minute.
    pub wrong_codes_per_minute: u32,
}

impl Default for EnrolmentConfig {
    fn default() -> Self {
        EnrolmentConfig {
            code_lifetime_secs: 15 * 60,
            wrong_codes_per_minute: 10,
        }
    }
}

/// `[health]` in hub.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthConfig {
    /// A tablet not heard from for this many days is flagged as silent.
    pub silent_after_days: u32,
    /// Where the nightly backups are written (`nabij-hub-backup.timer`): `nabij-hub
    /// status` and the dashboard's Status page report the newest and its age.
    pub backup_folder: PathBuf,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            silent_after_days: 7,
            backup_folder: PathBuf::from("/var/backups/nabij-hub"),
        }
    }
}

/// `[followup]` in hub.toml: when someone lands on the coaches' follow-up list (a tablet
/// silent for `health.silent_after_days` does too).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FollowUpConfig {
    /// Days without a message, answer or check-in.
    pub quiet_days: u32,
    /// Days running the check-in said "not good".
    pub sad_days: u32,
}

impl Default for FollowUpConfig {
    fn default() -> Self {
        FollowUpConfig {
            quiet_days: 14,
            sad_days: 3,
        }
    }
}

/// `[store]` in hub.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// How much of the database the hub keeps in memory, in MiB.
    pub cache_mb: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { cache_mb: 64 }
    }
}

/// `[limits]` in hub.toml: what one tablet may make the hub do.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Messages a tablet may send at once (say, after a week offline).
    pub burst_messages: u32,
    /// Messages a minute a tablet may send after its burst.
    pub messages_per_minute: u32,
    /// MiB a tablet may send at once.
    pub burst_mb: u32,
    /// MiB a minute a tablet may send after its burst.
    pub mb_per_minute: u32,
    /// MiB of a tablet's own chat messages the hub keeps at most.
    pub stored_mb: u32,
    /// Days the hub keeps the content of chat messages.
    pub retention_days: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            // A week's outbox after an outage goes at once; a tablet gone wild is slowed.
            burst_messages: 500,
            messages_per_minute: 120,
            burst_mb: 64,
            mb_per_minute: 16,
            stored_mb: 1024,
            retention_days: 90,
        }
    }
}

/// `[web]` in hub.toml: the coaches' and staff's dashboard (HTTPS, the hub's certificate).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Serve the dashboard at all.
    pub enabled: bool,
    /// The address to listen on.
    pub listen: IpAddr,
    /// The HTTPS port (0: any free port, for tests).
    pub port: u16,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            enabled: true,
            listen: IpAddr::from([0, 0, 0, 0]),
            port: 8443,
        }
    }
}

/// Everything the hub needs to run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubConfig {
    /// Where the hub keeps its database, certificates and broker files.
    pub data_dir: PathBuf,
    /// Also open a plain (unencrypted) MQTT listener for tablets, on this port. For
    /// development only; the hub warns loudly when it is set.
    pub insecure_dev_port: Option<u16>,
    /// The broker.
    pub broker: BrokerConfig,
    /// Pairing tablets.
    pub enrolment: EnrolmentConfig,
    /// Device health.
    pub health: HealthConfig,
    /// The coaches' follow-up list.
    pub followup: FollowUpConfig,
    /// The database.
    pub store: StoreConfig,
    /// What one tablet may make the hub do.
    pub limits: LimitsConfig,
    /// When tablets show meeting reminders, unless a coach set a senior's own.
    pub reminders: crate::domain::reminders::ReminderDefaults,
    /// The web dashboard.
    pub web: WebConfig,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            data_dir: PathBuf::from("nabij-hub-data"),
            insecure_dev_port: None,
            broker: BrokerConfig::default(),
            enrolment: EnrolmentConfig::default(),
            health: HealthConfig::default(),
            followup: FollowUpConfig::default(),
            store: StoreConfig::default(),
            limits: LimitsConfig::default(),
            reminders: Default::default(),
            web: WebConfig::default(),
        }
    }
}

impl HubConfig {
    /// Parses hub.toml text; `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<HubConfig, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let config: HubConfig = toml::from_str(text).map_err(|e| {
            // toml's message names the key and the line; keep it on one line.
            invalid(
                e.to_string()
                    .replace('\n', " ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })?;
        config.check().map_err(invalid)?;
        Ok(config)
    }

    /// Reads hub.toml; a missing file at the default path means "all defaults".
    pub fn load(path: &Path, must_exist: bool) -> Result<HubConfig, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => HubConfig::from_toml(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                Ok(HubConfig::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Rules that span several keys.
    fn check(&self) -> Result<(), String> {
        let b = &self.broker;
        if b.mode == BrokerMode::Managed && b.tls_port == b.local_port {
            return Err(format!(
                "broker.tls_port and broker.local_port are both {}; they must differ",
                b.tls_port
            ));
        }
        if b.mode == BrokerMode::External && b.credentials_dir.is_none() {
            return Err(
                "broker.credentials_dir is required when broker.mode = \"external\"".into(),
            );
        }
        if self.enrolment.code_lifetime_secs < 60 {
            return Err("enrolment.code_lifetime_secs must be at least 60".into());
        }
        if self.followup.quiet_days == 0 || self.followup.sad_days == 0 {
            return Err("followup.quiet_days and followup.sad_days must be at least 1".into());
        }
        if self.store.cache_mb < 8 {
            return Err("store.cache_mb must be at least 8".into());
        }
        let l = &self.limits;
        // A tablet must always be able to send one message of the largest size.
        let largest_mb = (nabij_protocol::limits::MAX_PAYLOAD_BYTES >> 20) as u32 + 1;
        if l.burst_mb < largest_mb || l.stored_mb < largest_mb {
            return Err(format!(
                "limits.burst_mb and limits.stored_mb must be at least {largest_mb} (one photo)"
            ));
        }
        if l.burst_messages == 0 || l.messages_per_minute == 0 || l.mb_per_minute == 0 {
            return Err(
                "limits.burst_messages, messages_per_minute and mb_per_minute must be above 0"
                    .into(),
            );
        }
        if l.retention_days < 7 {
            return Err("limits.retention_days must be at least 7".into());
        }
        let w = &self.web;
        if w.enabled && w.port != 0 && (w.port == b.tls_port || w.port == b.local_port) {
            return Err(format!(
                "web.port is {}, which the broker uses too; choose another",
                w.port
            ));
        }
        for name in &b.hostnames {
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(format!("broker.hostnames: {name:?} is not a host name"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HubConfig, String> {
        HubConfig::from_toml(text, Path::new("hub.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn an_empty_file_means_every_default() {
        let config = parse("").unwrap();
        assert_eq!(config.broker.mode, BrokerMode::Managed);
        assert_eq!(config.broker.tls_port, 8883);
        assert_eq!(config.health.silent_after_days, 7);
    }

    #[test]
    fn values_are_read() {
        let config = parse(
            "data_dir = \"/srv/nabij\"\n[broker]\ntls_port = 9883\nhostnames = [\"hub.local\"]\n",
        )
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/srv/nabij"));
        assert_eq!(config.broker.tls_port, 9883);
        assert_eq!(config.broker.hostnames, ["hub.local"]);
    }

    #[test]
    fn the_documented_example_is_valid_and_matches_the_defaults() {
        let example = include_str!("../../deploy/hub.toml.example");
        let config = parse(example).unwrap();
        let defaults = HubConfig::default();
        assert_eq!(config.data_dir, defaults.data_dir);
        assert_eq!(
            (config.broker.tls_port, config.broker.local_port),
            (8883, 1884)
        );
        assert_eq!(
            config.enrolment.code_lifetime_secs,
            defaults.enrolment.code_lifetime_secs
        );
        assert_eq!(
            config.health.silent_after_days,
            defaults.health.silent_after_days
        );
        assert_eq!(config.store.cache_mb, defaults.store.cache_mb);
        assert_eq!(config.reminders, defaults.reminders);
        assert_eq!(
            (config.followup.quiet_days, config.followup.sad_days),
            (defaults.followup.quiet_days, defaults.followup.sad_days)
        );
        let (l, d) = (&config.limits, &defaults.limits);
        assert_eq!(
            (
                l.burst_messages,
                l.messages_per_minute,
                l.burst_mb,
                l.mb_per_minute,
                l.stored_mb,
                l.retention_days
            ),
            (
                d.burst_messages,
                d.messages_per_minute,
                d.burst_mb,
                d.mb_per_minute,
                d.stored_mb,
                d.retention_days
            )
        );
    }

    #[test]
    fn errors_name_the_key() {
        let err = parse("[broker]\ntls_prot = 1\n").unwrap_err();
        assert!(err.contains("tls_prot"), "{err}");
        let err = parse("[broker]\ntls_port = \"high\"\n").unwrap_err();
        assert!(err.contains("tls_port"), "{err}");
        let err = parse("[broker]\nmode = \"cloud\"\n").unwrap_err();
        assert!(err.contains("mode") && err.contains("cloud"), "{err}");
        let err = parse("[broker]\nmode = \"external\"\n").unwrap_err();
        assert!(err.contains("broker.credentials_dir"), "{err}");
        let err = parse("[broker]\ntls_port = 1884\n").unwrap_err();
        assert!(err.contains("broker.local_port"), "{err}");
        let err = parse("[limits]\nburst_mb = 1\n").unwrap_err();
        assert!(err.contains("limits.burst_mb"), "{err}");
        let err = parse("[store]\ncache_mb = 0\n").unwrap_err();
        assert!(err.contains("store.cache_mb"), "{err}");
        let err = parse("[reminders]\nbefore = \"2 hours\"\n").unwrap_err();
        assert!(
            err.contains("reminders.before") && err.contains("like 2h"),
            "{err}"
        );
        let config = parse("[reminders]\nday_before_at = \"off\"\nbefore = \"3h\"\n").unwrap();
        assert_eq!(
            (
                config.reminders.0.day_before_at_min,
                config.reminders.0.before_min
            ),
            (None, Some(180))
        );
    }
}
