//! The MQTT broker as the hub sees it: the managed Mosquitto (default) or an external
//! one, the credential and ACL files, and the secrets the hub and pairing tablets log in
//! with. Whatever the mode, `apply_credentials` makes the broker accept exactly the
//! tablets the store allows.

mod files;
mod managed;

pub use files::{Door, ENROL_USER, HUB_USER, MAX_PACKET_BYTES, TLS12_CIPHERS, TLS13_CIPHERS};

use crate::config::{BrokerMode, HubConfig};
use crate::files::{private_dir, write_group_readable, write_private, write_public};
use crate::pki::PkiPaths;
use crate::secrets::{self, RandomError};
use managed::ManagedBroker;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why the broker could not be set up or updated.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// A broker file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The broker's secrets file is damaged.
    #[error(
        "{path} is damaged ({source}); delete it to make new broker passwords (tablets must then be paired again)"
    )]
    Secrets {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: serde_json::Error,
    },
    /// The managed broker failed.
    #[error(transparent)]
    Managed(#[from] managed::ManagedError),
    /// The external broker's reload command failed.
    #[error("the broker reload command `{command}` failed: {reason}")]
    Reload {
        /// The command.
        command: String,
        /// Its exit status or error.
        reason: String,
    },
    /// No randomness.
    #[error(transparent)]
    Random(#[from] RandomError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BrokerError + '_ {
    move |source| BrokerError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The passwords the hub and pairing tablets log in with, made on first start.
#[derive(Clone, Serialize, Deserialize)]
pub struct BrokerSecrets {
    /// The hub's MQTT client id: secret, because whoever knows a client id can knock
    /// that client off the broker by connecting with the same id.
    pub hub_client_id: String,
    /// The hub's MQTT password.
    pub hub_password: String,
    /// The shared password of pairing tablets (part of the kiosk settings).
    pub enrol_password: String,
}

impl std::fmt::Debug for BrokerSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrokerSecrets(***)")
    }
}

impl BrokerSecrets {
    /// Reads the secrets file, or makes it.
    pub fn load_or_create(path: &Path) -> Result<Self, BrokerError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| BrokerError::Secrets {
                path: path.to_owned(),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secrets = BrokerSecrets {
                    hub_client_id: secrets::hub_client_id()?,
                    hub_password: secrets::device_password()?,
                    enrol_password: secrets::device_password()?,
                };
                let json = serde_json::to_vec_pretty(&secrets).unwrap_or_default();
                write_private(path, &json).map_err(io(path))?;
                Ok(secrets)
            }
            Err(e) => Err(io(path)(e)),
        }
    }
}

/// How the hub connects to the broker.
#[derive(Debug, Clone)]
pub struct HubConnection {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// The CA to verify the broker with; `None` for plain MQTT on loopback.
    pub ca: Option<PathBuf>,
}

enum Mode {
    Managed(ManagedBroker),
    External { reload_command: Option<String> },
}

/// The broker, set up and running (or, in external mode, configured).
pub struct Broker {
    mode: Mode,
    dir: PathBuf,
    /// Whether the password file is for the hub's user alone (managed: Mosquitto runs as
    /// that user) or also for its group (external: the broker's user shares the group).
    owner_only: bool,
    secrets: BrokerSecrets,
    connection: HubConnection,
}

/// One tablet the broker should accept: its username and password hash.
pub type Credential<'a> = (&'a str, &'a str);

fn run_as_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "root".to_owned())
}

impl Broker {
    /// Writes the broker's files for the tablets in `devices` and starts (or reloads)
    /// the broker.
    pub async fn start(
        config: &HubConfig,
        pki: &PkiPaths,
        devices: &[Credential<'_>],
    ) -> Result<Broker, BrokerError> {
        let broker_dir = config.data_dir.join("broker");
        private_dir(&broker_dir).map_err(io(&broker_dir))?;
        let secrets = BrokerSecrets::load_or_create(&broker_dir.join("secrets.json"))?;
        let b = &config.broker;
        match b.mode {
            BrokerMode::Managed => {
                let persistence = broker_dir.join("persistence");
                private_dir(&persistence).map_err(io(&persistence))?;
                let run_as = run_as_user();
                let plan = files::ListenerPlan {
                    local_port: b.local_port,
                    listen: b.listen,
                    tls_port: b.tls_port,
                    pairing_port: b.pairing_port,
                    insecure_port: config.insecure_dev_port,
                    ca: &pki.ca_cert,
                    cert: &pki.server_cert,
                    key: &pki.server_key,
                    dir: &broker_dir,
                    run_as: &run_as,
                };
                let conf = broker_dir.join("mosquitto.conf");
                write_public(&conf, files::mosquitto_conf(&plan).as_bytes()).map_err(io(&conf))?;
                let mut broker = Broker {
                    // Until Mosquitto runs there is nothing to reload.
                    mode: Mode::External {
                        reload_command: None,
                    },
                    dir: broker_dir.clone(),
                    owner_only: true,
                    secrets,
                    connection: HubConnection {
                        host: "127.0.0.1".into(),
                        port: b.local_port,
                        ca: None,
                    },
                };
                broker.write_files(devices)?;
                let managed = ManagedBroker::start(
                    &b.mosquitto,
                    &conf,
                    &broker_dir.join("mosquitto.pid"),
                    b.local_port,
                )
                .await?;
                broker.mode = Mode::Managed(managed);
                Ok(broker)
            }
            BrokerMode::External => {
                let dir = b
                    .credentials_dir
                    .clone()
                    .unwrap_or_else(|| broker_dir.clone());
                // The operator owns this folder's permissions: the broker's user must be
                // able to read it (see deploy/mosquitto/nabij.conf).
                std::fs::create_dir_all(&dir).map_err(io(&dir))?;
                let broker = Broker {
                    mode: Mode::External {
                        reload_command: b.reload_command.clone(),
                    },
                    dir,
                    owner_only: false,
                    secrets,
                    connection: HubConnection {
                        host: b.host.clone(),
                        port: b.port,
                        ca: b.ca_file.clone(),
                    },
                };
                broker.apply_credentials(devices).await?;
                Ok(broker)
            }
        }
    }

    fn write_files(&self, devices: &[Credential<'_>]) -> Result<(), BrokerError> {
        let hub_hash = secrets::mosquitto_hash(&self.secrets.hub_password)?;
        let enrol_hash = secrets::mosquitto_hash(&self.secrets.enrol_password)?;
        for door in Door::ALL {
            let mut entries: Vec<Credential<'_>> = Vec::new();
            if door.admits_hub() {
                entries.push((HUB_USER, &hub_hash));
            }
            if door.admits_pairing() {
                entries.push((ENROL_USER, &enrol_hash));
            }
            if door.admits_tablets() {
                entries.extend_from_slice(devices);
            }
            let passwd = self.dir.join(door.passwd());
            let text = files::passwd(entries);
            if self.owner_only {
                write_private(&passwd, text.as_bytes())
            } else {
                write_group_readable(&passwd, text.as_bytes())
            }
            .map_err(io(&passwd))?;
            let acl = self.dir.join(door.acl());
            // An external broker's user reads it through the group, whatever the umask.
            if self.owner_only {
                write_private(&acl, files::acl(door).as_bytes())
            } else {
                write_group_readable(&acl, files::acl(door).as_bytes())
            }
            .map_err(io(&acl))?;
        }
        Ok(())
    }

    /// Makes the broker accept exactly the hub, pairing tablets and `devices`; a tablet
    /// left out is disconnected at once.
    pub async fn apply_credentials(&self, devices: &[Credential<'_>]) -> Result<(), BrokerError> {
        self.write_files(devices)?;
        self.reload().await
    }

    /// Makes the broker load the server certificate again (it was renewed).
    pub async fn reload_certificates(&self) -> Result<(), BrokerError> {
        self.reload().await
    }

    /// Makes the broker re-read its files: Mosquitto reloads its password and ACL files
    /// and its certificates on SIGHUP.
    async fn reload(&self) -> Result<(), BrokerError> {
        match &self.mode {
            Mode::Managed(managed) => managed.reload(),
            Mode::External {
                reload_command: Some(command),
            } => {
                let status = tokio::process::Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .status()
                    .await;
                match status {
                    Ok(s) if s.success() => {}
                    Ok(s) => {
                        return Err(BrokerError::Reload {
                            command: command.clone(),
                            reason: s.to_string(),
                        });
                    }
                    Err(e) => {
                        return Err(BrokerError::Reload {
                            command: command.clone(),
                            reason: e.to_string(),
                        });
                    }
                }
            }
            Mode::External {
                reload_command: None,
            } => {
                tracing::warn!(
                    "broker.reload_command is not set: the external broker must re-read its files by itself"
                );
            }
        }
        Ok(())
    }

    /// The secrets.
    pub fn secrets(&self) -> &BrokerSecrets {
        &self.secrets
    }

    /// How the hub reaches the broker.
    pub fn connection(&self) -> &HubConnection {
        &self.connection
    }

    /// Stops a managed broker; an external one keeps running.
    pub async fn stop(&self) {
        if let Mode::Managed(managed) = &self.mode {
            managed.stop().await;
        }
    }
}

impl crate::app::Gatekeeper for Broker {
    fn allow(
        &self,
        tablets: Vec<(nabij_protocol::DeviceId, String)>,
    ) -> crate::app::BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let borrowed: Vec<Credential<'_>> = tablets
                .iter()
                .map(|(id, hash)| (id.as_str(), hash.as_str()))
                .collect();
            self.apply_credentials(&borrowed)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
