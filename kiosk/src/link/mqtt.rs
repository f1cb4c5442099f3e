//! The one task that owns the tablet's MQTT connection (rumqttc stops here). It applies
//! `LinkCore`'s rules: never blocks on a publish (what cannot go now stays in the outbox
//! and goes with the next resend), reconnects with back-off, resends every minute.

use super::core::{LinkCore, LinkEvent, Publish};
use super::store::{KioskStore, StoreError};
use nabij_protocol::{Body, DeviceId, MessageId, Presence, Topic};
use rumqttc::{
    AsyncClient, Event, LastWill, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How to reach the hub as this tablet.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// The hub's host.
    pub host: String,
    /// Its TLS port.
    pub port: u16,
    /// The hub's CA certificate (PEM); `None` only for a development hub without TLS.
    pub ca: Option<PathBuf>,
    /// This tablet's device id.
    pub device: DeviceId,
    /// Its password.
    pub password: String,
    /// Where the outbox and history live.
    pub store_dir: PathBuf,
    /// The firmware profile's name, for the status.
    pub profile: String,
}

/// Why the link could not start or send.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The CA file could not be used.
    #[error("cannot use the hub's certificate {0}")]
    Ca(String),
    /// The link stopped.
    #[error("the link to the hub has stopped")]
    Stopped,
}

enum Command {
    Send(Body, oneshot::Sender<Result<MessageId, LinkError>>),
}

/// A running link. Dropping it stops the task at once, like a power cut: what was
/// written stays written.
pub struct Link {
    commands: mpsc::Sender<Command>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A new message id: 128 random bits (the clock and a counter if the system's random
/// source ever failed, which keeps ids unique on this tablet).
fn random_id() -> MessageId {
    use ring::rand::SecureRandom;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut b = [0u8; 16];
    if ring::rand::SystemRandom::new().fill(&mut b).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        b[..8].copy_from_slice(&nanos.to_be_bytes());
        b[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    }
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    // 2 + 32 characters of [a-z0-9-]: always a valid message id.
    MessageId::parse(&format!("k-{hex}")).expect("a valid message id")
}

fn tls(ca: &std::path::Path) -> Result<rustls::ClientConfig, LinkError> {
    use rustls_pki_types::pem::PemObject;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fail = |e: String| LinkError::Ca(format!("{}: {e}", ca.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in
        rustls_pki_types::CertificateDer::pem_file_iter(ca).map_err(|e| fail(e.to_string()))?
    {
        roots
            .add(cert.map_err(|e| fail(e.to_string()))?)
            .map_err(|e| fail(e.to_string()))?;
    }
    Ok(rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl Link {
    /// Opens the storage and starts the connection (inside a tokio runtime).
    pub fn start(
        config: LinkConfig,
    ) -> Result<(Link, mpsc::UnboundedReceiver<LinkEvent>), LinkError> {
        let store = KioskStore::open(&config.store_dir)?;
        let mut core = LinkCore::new(config.device.clone(), store, Box::new(random_id));
        let version = env!("CARGO_PKG_VERSION");
        let will = core.status(Presence::Offline, version, &config.profile);
        let mut options =
            MqttOptions::new(config.device.as_str(), config.host.clone(), config.port);
        options.set_credentials(config.device.as_str(), config.password.clone());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(false);
        let max = nabij_protocol::limits::MAX_PAYLOAD_BYTES + 4_096;
        options.set_max_packet_size(max, max);
        options.set_last_will(LastWill::new(
            will.topic.to_string(),
            will.payload,
            QoS::AtLeastOnce,
            true,
        ));
        if let Some(ca) = &config.ca {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                Arc::new(tls(ca)?),
            )));
        }
        let (client, eventloop) = AsyncClient::new(options, 1_000);
        let (commands, command_rx) = mpsc::channel(64);
        let (events_tx, events) = mpsc::unbounded_channel();
        let task = tokio::spawn(drive(
            core,
            client,
            eventloop,
            command_rx,
            events_tx,
            config.profile,
        ));
        Ok((Link { commands, task }, events))
    }

    /// Stops the link at once, as a power cut would, and waits until its storage is
    /// closed (so that it can be opened again).
    pub async fn kill(mut self) {
        self.task.abort();
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        let _ = task.await;
    }

    /// Sends a message. It is on the tablet's storage when this returns; the hub's `ack`
    /// comes later as `LinkEvent::Acked`.
    pub async fn send(&self, body: Body) -> Result<MessageId, LinkError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Send(body, reply))
            .await
            .map_err(|_| LinkError::Stopped)?;
        answer.await.map_err(|_| LinkError::Stopped)?
    }
}

fn publish(client: &AsyncClient, items: Vec<Publish>) {
    for item in items {
        // Never wait here: a full queue only delays; the outbox keeps the message.
        let _ = client.try_publish(
            item.topic.to_string(),
            QoS::AtLeastOnce,
            item.topic.retained(),
            item.payload,
        );
    }
}

async fn drive(
    mut core: LinkCore,
    client: AsyncClient,
    mut eventloop: rumqttc::EventLoop,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<LinkEvent>,
    profile: String,
) {
    let mut backoff = Duration::from_millis(200);
    let mut resend = tokio::time::interval(Duration::from_secs(60));
    // While waiting to reconnect, the broker is left alone but sends still go into the
    // outbox at once: the back-off never holds up the senior.
    let mut pause: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    loop {
        tokio::select! {
            _ = async { if let Some(p) = pause.as_mut() { p.await } }, if pause.is_some() => {
                pause = None;
            }
            polled = eventloop.poll(), if pause.is_none() => match polled {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff = Duration::from_millis(200);
                    let down = core.down_topic().to_string();
                    let _ = client.try_subscribe_many([
                        rumqttc::SubscribeFilter::new(down, QoS::AtLeastOnce),
                        rumqttc::SubscribeFilter::new(Topic::HubStatus.to_string(), QoS::AtLeastOnce),
                    ]);
                    let _ = events.send(LinkEvent::Online(true));
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let online = core.status(Presence::Online, env!("CARGO_PKG_VERSION"), &profile);
                    publish(&client, vec![online]);
                    match core.resend() {
                        Ok(items) => publish(&client, items),
                        Err(e) => eprintln!("nabij-kiosk: {e}"),
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => match core.on_message(&p.topic, &p.payload) {
                    Ok((out, said)) => {
                        publish(&client, out);
                        for event in said {
                            let _ = events.send(event);
                        }
                    }
                    Err(e) => eprintln!("nabij-kiosk: {e}"),
                },
                Ok(_) => {}
                Err(_) => {
                    let _ = events.send(LinkEvent::Online(false));
                    pause = Some(Box::pin(tokio::time::sleep(backoff)));
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            },
            command = commands.recv() => match command {
                Some(Command::Send(body, reply)) => {
                    let result = core.send(body).map(|(id, item)| {
                        publish(&client, vec![item]);
                        id
                    });
                    let _ = reply.send(result.map_err(LinkError::from));
                }
                None => return,
            },
            _ = resend.tick() => {
                if let Ok(items) = core.resend() {
                    publish(&client, items);
                }
            }
        }
    }
}
