//! The Nabij hub: the neighbourhood centre's service. `main.rs` only parses arguments
//! and sets up logging; [`start`] and [`run`] are what it and the tests call.

pub mod admin;
pub mod broker;
pub mod check;
pub mod cli;
mod clock;
pub mod config;
pub mod devices;
pub mod enrolment;
mod files;
pub mod loans;
pub mod messaging;
pub mod mqtt;
mod outbox;
pub mod people;
pub mod photos;
pub mod pki;
pub mod secrets;
pub mod service;
pub mod store;

use config::HubConfig;
use service::Hub;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory or admin socket could not be made.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The certificates could not be made.
    #[error(transparent)]
    Pki(#[from] pki::PkiError),
    /// The broker could not be started.
    #[error(transparent)]
    Broker(#[from] broker::BrokerError),
    /// The hub could not connect to the broker.
    #[error(transparent)]
    Mqtt(#[from] mqtt::MqttError),
}

/// How often the hub resends what connected tablets have not acknowledged.
const RESEND_EVERY: Duration = Duration::from_secs(60);

/// A started hub. Dropping it without [`RunningHub::shutdown`] leaves the broker to
/// `kill_on_drop`; call `shutdown` for a clean stop.
pub struct RunningHub {
    hub: Hub,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    socket: PathBuf,
}

impl RunningHub {
    /// The hub's operations.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The admin socket the command line talks to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Stops everything: says offline, disconnects, stops the broker, flushes the store.
    pub async fn shutdown(self) {
        for task in &self.tasks {
            task.abort();
        }
        self.hub.disconnect().await;
        self.hub.stop_broker().await;
        if let Err(e) = self.hub.store().flush().await {
            tracing::error!(error = %e, "could not flush the database at shutdown");
        }
        let _ = std::fs::remove_file(&self.socket);
        tracing::info!("hub stopped");
    }
}

/// Starts the hub: database, certificates, broker, MQTT connection, admin socket.
/// Returns once tablets can connect and commands can be given.
pub async fn start(config: HubConfig) -> Result<RunningHub, StartError> {
    // One crypto provider for the whole process (ring), installed explicitly; a second
    // call finds it already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StartError::Io { path, source }
    };
    files::private_dir(&config.data_dir).map_err(io(&config.data_dir))?;
    if let Some(port) = config.insecure_dev_port {
        tracing::warn!(
            port,
            "--insecure-dev: tablets may connect WITHOUT encryption on port {port}. Never use this with real participants."
        );
    }
    let store = store::Store::open(&config.data_dir.join("db"))?;
    let pki = pki::ensure(
        &config.data_dir.join("pki"),
        &pki::server_names(&config.broker.hostnames),
    )?;
    let credentials = Hub::allowed_credentials(&store)?;
    let borrowed: Vec<(&str, &str)> = credentials
        .iter()
        .map(|(u, h)| (u.as_str(), h.as_str()))
        .collect();
    let broker = broker::Broker::start(&config, &pki, &borrowed).await?;
    let secrets = broker.secrets().clone();
    let connected = mqtt::connect(
        broker.connection(),
        &secrets.hub_client_id,
        &secrets.hub_password,
    )
    .await;
    let (publisher, mut inbound) = match connected {
        Ok(parts) => parts,
        Err(e) => {
            broker.stop().await;
            return Err(e.into());
        }
    };
    let socket = admin::socket_path(&config.data_dir);
    let hub = Hub::new(config, store, broker, publisher, pki);

    let handler = {
        let hub = hub.clone();
        tokio::spawn(async move {
            while let Some(message) = inbound.recv().await {
                hub.handle(message).await;
            }
        })
    };
    let resender = {
        let hub = hub.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RESEND_EVERY);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = hub.resend_to_online_devices().await {
                    tracing::error!(error = %e, "periodic resend failed");
                }
            }
        })
    };
    let admin = match admin::listen(hub.clone(), &socket) {
        Ok(task) => task,
        Err(source) => {
            handler.abort();
            resender.abort();
            hub.disconnect().await;
            hub.stop_broker().await;
            return Err(StartError::Io {
                path: socket,
                source,
            });
        }
    };
    tracing::info!(socket = %socket.display(), "hub ready");
    Ok(RunningHub {
        hub,
        tasks: vec![handler, resender, admin],
        socket,
    })
}

/// Runs the hub until `shutdown` completes, then stops it cleanly.
pub async fn run(config: HubConfig, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
    let running = start(config).await?;
    shutdown.await;
    running.shutdown().await;
    Ok(())
}
