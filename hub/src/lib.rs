//! The Nabij hub: the neighbourhood centre's service. `main.rs` only parses arguments
//! and sets up logging; [`start`] and [`run`] are what it and the tests call.
//!
//! Layers, from the outside in: the edges (`mqtt`, `admin`, `cli`) turn bytes into typed
//! requests; `app` holds every use case once; `domain` holds the rules as pure code;
//! `store` keeps the records (only `store` knows redb). `broker`, `pki`, `photos`,
//! `secrets` and `files` are the infrastructure they stand on.

pub mod admin;
pub mod app;
pub mod backup;
pub mod broker;
pub mod check;
pub mod cli;
mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod files;
pub mod host_check;
pub mod ics;
pub mod mqtt;
pub mod photos;
pub mod pki;
pub mod secrets;
pub mod shutdown;
pub mod status;
pub mod store;
pub mod web;
pub mod zip;

use app::{Hub, Parts};
use config::HubConfig;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    /// The hub could not be set up over its database.
    #[error(transparent)]
    App(#[from] app::AppError),
    /// The web dashboard could not start.
    #[error(transparent)]
    Web(#[from] web::WebError),
    /// `--insecure-dev` over a hub that has tablets: their passwords would cross the
    /// network in clear.
    #[error(
        "--insecure-dev is refused: this hub has {tablets} enrolled tablet(s), whose passwords would travel unencrypted; start without --insecure-dev, or use a data folder of its own for development"
    )]
    InsecureWithTablets {
        /// How many tablets may connect.
        tablets: usize,
    },
    /// The database stopped taking changes while the hub ran.
    #[error(
        "the database stopped taking changes ({0}); the hub stopped: start it again (under systemd that happens by itself); it opens the database at its last commit, and tablets send again what was not acknowledged. If it stops again, the disk is failing: see the hub's log and replace the disk, then restore the last backup"
    )]
    StoreStopped(String),
}

/// How often `run` looks whether the store stopped taking changes.
const STORE_CHECK: Duration = Duration::from_secs(1);

/// How often delivery windows are checked (stalled ones resent, all topped up).
const DELIVERY_TICK: Duration = Duration::from_secs(5);

/// How often the programme's timed work runs (a week's diary prompt going out).
const PROGRAMME_TICK: Duration = Duration::from_secs(60);

/// How often the hub looks whether its server certificate is due to be renewed.
const CERTIFICATE_CHECK: Duration = Duration::from_secs(12 * 3600);

/// How often the retention sweep runs.
const SWEEP_EVERY: Duration = Duration::from_secs(6 * 3600);

/// Most messages in one batch: one transaction, one fsync.
const BATCH_MESSAGES: usize = 256;

/// About the most bytes in one batch of the light lane (whose messages are small:
/// `mqtt::LIGHT_BYTES`).
const BATCH_BYTES: usize = 4 << 20;

/// Batches applied but not yet answered: the handler waits when this many wait for the
/// disk (the back-pressure from a slow disk to the ingress, never to the broker). Room
/// for every batch of a [`GROUP_COMMIT`] at full speed.
const FINISHING: usize = 1024;

/// The receive path commits at most this often: the batches handled meanwhile share one
/// durable commit. A commit writes the dozen or so pages its tables' newest entries are
/// on (copy-on-write: never in place) however many messages they hold, so at 200
/// messages a second this turns a commit a message into one for fifty, and the bytes
/// written per message from about 100 KB to about 5 (docs/benchmarks.md).
/// Acknowledgements wait up to this much longer; copies to recipients do not wait for the
/// disk at all, and a message after a quiet moment, or a call for help, is committed at
/// once.
pub const GROUP_COMMIT: Duration = Duration::from_millis(250);

/// A started hub. Dropping it without [`RunningHub::shutdown`] leaves the broker to
/// `kill_on_drop`; call `shutdown` for a clean stop.
pub struct RunningHub {
    hub: Hub,
    ingress: Arc<mqtt::Ingress>,
    publisher: mqtt::Publisher,
    broker: Arc<broker::Broker>,
    handler: tokio::task::JoinHandle<()>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    socket: PathBuf,
    web: Option<std::net::SocketAddr>,
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

    /// Where the web dashboard listens (HTTPS), when it is on.
    pub fn web_addr(&self) -> Option<std::net::SocketAddr> {
        self.web
    }

    /// Messages dropped without an answer because the hub was behind: only what names
    /// no readable id, a pairing tablet's, or beyond thousands of refusals waiting.
    pub fn dropped(&self) -> u64 {
        self.ingress.dropped()
    }

    /// Messages the hub could not take now and answered `rate_limited` (their tablets
    /// send them again after the wait it gave).
    pub fn refused(&self) -> u64 {
        self.ingress.refused()
    }

    /// Stops everything: finishes the batch in hand, says offline, disconnects, stops
    /// the broker.
    pub async fn shutdown(self) {
        for task in &self.tasks {
            task.abort();
        }
        self.ingress.close();
        if tokio::time::timeout(Duration::from_secs(5), self.handler)
            .await
            .is_err()
        {
            tracing::warn!("the message handler did not finish within 5 seconds");
        }
        self.publisher.disconnect().await;
        self.broker.stop().await;
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
    // A data folder from an older hub (0755 folders, 0644 files) becomes private too.
    match files::make_private(&config.data_dir) {
        Ok(0) => {}
        Ok(changed) => {
            tracing::info!(
                changed,
                "files and folders in the data folder made private (owner only)"
            )
        }
        Err(source) => {
            return Err(StartError::Io {
                path: config.data_dir.clone(),
                source,
            });
        }
    }
    if let Some(port) = config.insecure_dev_port {
        tracing::warn!(
            port,
            "--insecure-dev: tablets on this machine may connect WITHOUT encryption on 127.0.0.1:{port}. Never use this with real participants."
        );
    }
    let cache_bytes = u64::from(config.store.cache_mb) << 20;
    let storage: Arc<dyn store::Storage> = Arc::new(store::DiskStorage::open(
        &config.data_dir.join(backup::STORE_FOLDER),
        cache_bytes,
    )?);
    let server_names = pki::server_names(&config.broker.hostnames);
    let pki = pki::ensure(&config.data_dir.join("pki"), &server_names)?;
    let credentials = Hub::allowed_credentials(&store::Tx::new(storage.clone()))?;
    if config.insecure_dev_port.is_some() && !credentials.is_empty() {
        return Err(StartError::InsecureWithTablets {
            tablets: credentials.len(),
        });
    }
    let borrowed: Vec<(&str, &str)> = credentials
        .iter()
        .map(|(u, h)| (u.as_str(), h.as_str()))
        .collect();
    let broker = Arc::new(broker::Broker::start(&config, &pki, &borrowed).await?);
    let secrets = broker.secrets().clone();
    let ingress = Arc::new(mqtt::Ingress::new(mqtt::Limits::default()));
    let publisher = match mqtt::connect(
        broker.connection(),
        &secrets.hub_client_id,
        &secrets.hub_password,
        ingress.clone(),
    )
    .await
    {
        Ok(publisher) => publisher,
        Err(e) => {
            broker.stop().await;
            return Err(e.into());
        }
    };
    let socket = admin::socket_path(&config.data_dir);
    let web_config = config.web.clone();
    let hub = match Hub::new(Parts {
        config,
        storage,
        outlet: Arc::new(publisher.clone()),
        gate: broker.clone(),
        enrol_password: secrets.enrol_password.clone(),
        ca_cert: pki.ca_cert.clone(),
    }) {
        Ok(hub) => hub,
        Err(e) => {
            publisher.disconnect().await;
            broker.stop().await;
            return Err(e.into());
        }
    };

    match hub.apply_reminder_defaults().await {
        Ok(0) => {}
        Ok(told) => {
            tracing::info!(
                participants = told,
                "the reminder times in hub.toml changed; tablets told"
            )
        }
        Err(e) => tracing::warn!(error = %e, "could not tell the tablets the new reminder times"),
    }

    // The receive path: two lanes take from the ingress (the light one small messages in
    // batches, the heavy one a photo or a large message at a time, checked before it
    // waits for the write lock), and the finisher waits for each applied batch to be on
    // disk and then answers. While the disk syncs one batch the next is handled, and one
    // commit covers all that were applied (at most one every GROUP_COMMIT).
    let (finishing, mut to_finish) = tokio::sync::mpsc::channel::<app::Handled>(FINISHING);
    let finisher = tokio::spawn(async move {
        let mut last: Option<tokio::time::Instant> = None;
        while let Some(first) = to_finish.recv().await {
            let mut group = vec![first];
            if let Some(last) = last {
                // The pace, cut short by a call for help (taken into this commit).
                let pace = tokio::time::sleep_until(last + GROUP_COMMIT);
                tokio::pin!(pace);
                while !group.iter().any(app::Handled::urgent) {
                    tokio::select! {
                        () = &mut pace => break,
                        more = to_finish.recv() => match more {
                            Some(more) => group.push(more),
                            None => break,
                        },
                    }
                }
            }
            while let Ok(more) = to_finish.try_recv() {
                group.push(more);
            }
            last = Some(tokio::time::Instant::now());
            // The first's commit covers them all; the others find it done.
            for handled in group {
                handled.finish().await;
            }
        }
    });
    let light = {
        let (hub, ingress, finishing) = (hub.clone(), ingress.clone(), finishing.clone());
        tokio::spawn(async move {
            while let Some(batch) = ingress.next_batch(BATCH_MESSAGES, BATCH_BYTES).await {
                if batch.reconnected {
                    hub.broker_reconnected();
                }
                if !batch.refusals.is_empty() {
                    let refusals = batch.refusals.into_iter();
                    hub.refuse_for_now(refusals.map(|r| (r.device, r.id, r.retry_after_ms)))
                        .await;
                }
                if batch.messages.is_empty() {
                    continue;
                }
                let handled = hub.apply_batch(batch.messages).await;
                ingress.done(&batch.senders);
                if let Some(handled) = handled
                    && finishing.send(handled).await.is_err()
                {
                    return;
                }
            }
        })
    };
    let heavy = {
        let (hub, ingress) = (hub.clone(), ingress.clone());
        tokio::spawn(async move {
            while let Some(heavy) = ingress.next_heavy().await {
                let handled = hub.apply_heavy(heavy.message).await;
                ingress.done(&[heavy.sender]);
                if let Some(handled) = handled
                    && finishing.send(handled).await.is_err()
                {
                    return;
                }
            }
        })
    };
    let handler = tokio::spawn(async move {
        // Both lanes end once the ingress is closed and empty; their ends of the channel
        // go with them, and the finisher ends once it has answered all.
        let _ = tokio::join!(light, heavy);
        let _ = finisher.await;
    });
    let delivery = {
        let hub = hub.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(DELIVERY_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                hub.delivery_tick().await;
            }
        })
    };
    let programme = {
        let hub = hub.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PROGRAMME_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = hub.send_due_prompts().await {
                    tracing::error!(error = %e, "could not send this week's diary prompts; trying again in a minute");
                }
                if let Err(e) = hub.forget_stale_pairings().await {
                    tracing::error!(error = %e, "could not forget unused pairing grants; trying again in a minute");
                }
            }
        })
    };
    let sweeper = {
        let hub = hub.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = hub.sweep_expired().await {
                    tracing::error!(error = %e, "the retention sweep failed; it runs again later");
                }
            }
        })
    };
    let admin = match admin::listen(hub.clone(), &socket) {
        Ok(task) => task,
        Err(source) => {
            for task in [&handler, &delivery, &programme, &sweeper] {
                task.abort();
            }
            publisher.disconnect().await;
            broker.stop().await;
            return Err(StartError::Io {
                path: socket,
                source,
            });
        }
    };
    let mut tasks = vec![delivery, programme, sweeper, admin];
    let dashboard_tls = if web_config.enabled {
        match web::DashboardTls::load(&pki) {
            Ok(tls) => Some(tls),
            Err(e) => {
                for task in [&handler].into_iter().chain(tasks.iter()) {
                    task.abort();
                }
                publisher.disconnect().await;
                broker.stop().await;
                return Err(e.into());
            }
        }
    } else {
        None
    };
    tasks.push(tokio::spawn(renew_certificates(
        pki.clone(),
        server_names,
        broker.clone(),
        dashboard_tls.clone(),
    )));
    let web = if let Some(tls) = dashboard_tls {
        let addr = std::net::SocketAddr::new(web_config.listen, web_config.port);
        let started = web::serve(web::router(hub.clone()), addr, tls).await;
        match started {
            Ok((addr, task)) => {
                tasks.push(task);
                tracing::info!(%addr, "dashboard at https://<this hub>:{}/", addr.port());
                if hub.accounts().is_ok_and(|a| a.is_empty()) {
                    tracing::warn!(
                        "no dashboard accounts yet: make the first with `nabij-hub user add --name NAME --role admin`"
                    );
                }
                Some(addr)
            }
            Err(e) => {
                for task in [&handler].into_iter().chain(tasks.iter()) {
                    task.abort();
                }
                publisher.disconnect().await;
                broker.stop().await;
                return Err(e.into());
            }
        }
    } else {
        None
    };
    tracing::info!(socket = %socket.display(), "hub ready");
    Ok(RunningHub {
        hub,
        ingress,
        publisher,
        broker,
        handler,
        tasks,
        socket,
        web,
    })
}

/// Renews the server certificate before it ends, for as long as the hub runs, and has
/// the broker and the dashboard load the new one. Tablets trust the CA, so they connect
/// on as before.
async fn renew_certificates(
    pki: pki::PkiPaths,
    names: Vec<String>,
    broker: Arc<broker::Broker>,
    dashboard: Option<web::DashboardTls>,
) {
    let mut tick = tokio::time::interval(CERTIFICATE_CHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is now: `start` has just made sure of the certificate.
    tick.tick().await;
    loop {
        tick.tick().await;
        let renewed = {
            let (pki, names) = (pki.clone(), names.clone());
            tokio::task::spawn_blocking(move || pki::renew_if_due(&pki, &names)).await
        };
        match renewed {
            Ok(Ok(false)) => {}
            Ok(Ok(true)) => {
                if let Err(e) = broker.reload_certificates().await {
                    tracing::error!(error = %e, "the broker could not load the renewed certificate; it keeps the old one until it restarts");
                }
                if let Some(dashboard) = &dashboard
                    && let Err(e) = dashboard.reload(&pki)
                {
                    tracing::error!(error = %e, "the dashboard could not load the renewed certificate; it keeps the old one until the hub restarts");
                }
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "could not renew the server certificate; trying again in 12 hours");
            }
            Err(e) => tracing::error!(error = %e, "the certificate check stopped unexpectedly"),
        }
    }
}

/// Runs the hub until `shutdown` completes, then stops it cleanly. If its store stops
/// taking changes meanwhile, the hub stops too, with [`StartError::StoreStopped`]: a
/// hub that can store nothing acknowledges nothing, and a restart (systemd's, after the
/// error) opens the database at its last commit and brings it back.
pub async fn run(config: HubConfig, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
    let running = start(config).await?;
    let result = tokio::select! {
        () = shutdown => Ok(()),
        why = until_store_stops(running.hub(), STORE_CHECK) => {
            tracing::error!(reason = %why, "the database stopped taking changes; the hub stops so that it is started again");
            Err(StartError::StoreStopped(why))
        }
    };
    running.shutdown().await;
    result
}

/// Returns why, once `hub`'s store has stopped taking changes; looks every `every`.
async fn until_store_stops(hub: &Hub, every: Duration) -> String {
    loop {
        if let Some(why) = hub.store_stopped() {
            return why;
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStorage;

    #[tokio::test(start_paused = true)]
    async fn a_running_hub_notices_when_its_store_stops_taking_changes() {
        let storage = Arc::new(MemoryStorage::default());
        let (hub, _) = app::testing::hub_over(HubConfig::default(), storage.clone());
        let watch = tokio::spawn(async move { until_store_stops(&hub, STORE_CHECK).await });
        tokio::time::sleep(STORE_CHECK * 10).await;
        assert!(!watch.is_finished(), "the store has not stopped");
        storage.stop_taking_changes("writing to the database failed");
        let why = tokio::time::timeout(STORE_CHECK * 2, watch)
            .await
            .expect("noticed within a check or two")
            .unwrap();
        assert_eq!(why, "writing to the database failed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_disk_that_fails_to_sync_stops_the_store_and_so_the_hub() {
        use nabij_powercut::{Power, SimDisk, SimFolder};
        let power = Power::on();
        let disk = SimDisk::new(power.clone());
        let storage = Arc::new(
            store::DiskStorage::open_with(disk.clone(), SimFolder::new(power), Default::default())
                .unwrap(),
        );
        let (hub, _) = app::testing::hub_over(HubConfig::default(), storage);
        hub.add_participant("Jan Claes", None, None)
            .await
            .expect("stored while the disk works");
        disk.fail_syncs(true);
        let err = hub
            .add_participant("Anna Peeters", None, None)
            .await
            .expect_err("nothing is called stored once the disk fails");
        assert!(err.to_string().contains("restart the hub"), "{err}");
        let why = tokio::time::timeout(STORE_CHECK * 3, until_store_stops(&hub, STORE_CHECK))
            .await
            .expect("run() sees it within a check or two");
        assert!(why.contains("injected"), "{why}");
        // What `run` then returns (and `main` turns into a failing exit code for systemd).
        let stopped = StartError::StoreStopped(why).to_string();
        assert!(stopped.contains("start it again"), "{stopped}");
    }
}
