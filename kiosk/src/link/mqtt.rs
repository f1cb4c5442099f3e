//! The one task that owns the tablet's MQTT connection (rumqttc stops here). It applies
//! `LinkCore`'s rules: never blocks on a publish (what cannot go now stays in the outbox
//! and goes with the next resend), reconnects with back-off, resends every minute.

use super::core::{LinkCore, LinkEvent, Publish};
use super::poller::Failure;
use super::store::{KioskStore, StoreError};
use nabij_protocol::{Body, DeviceId, MessageId, Presence, Topic};
use rumqttc::{
    AsyncClient, Event, LastWill, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};
use std::collections::HashSet;
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
    pub ca_pem: Option<Vec<u8>>,
    /// This tablet's device id.
    pub device: DeviceId,
    /// Its password.
    pub password: String,
    /// The firmware profile's name, for the status.
    pub profile: String,
    /// The battery's sysfs folder (from the profile), for the status.
    pub battery: Option<std::path::PathBuf>,
    /// Where the kiosk keeps its data: its free space goes in the status.
    pub data_dir: std::path::PathBuf,
}

/// Why the link could not start or send.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The CA certificate could not be used.
    #[error(transparent)]
    Ca(#[from] super::tls::TlsError),
    /// The link stopped.
    #[error("the link to the hub has stopped")]
    Stopped,
}

enum Command {
    Send(
        MessageId,
        Box<Body>,
        oneshot::Sender<Result<MessageId, LinkError>>,
    ),
    /// Something was put in the outbox directly: publish it.
    Pump,
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

/// A new message id: the time in milliseconds (48 bits), then 80 random bits (a counter
/// if the system's random source ever failed, which keeps ids unique on this tablet). In
/// time order, so that the hub keeps a tablet's messages side by side on disk.
pub fn new_message_id() -> MessageId {
    use ring::rand::SecureRandom;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let millis = nabij_protocol::UnixMillis::now().0;
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    if ring::rand::SystemRandom::new().fill(&mut b[6..]).is_err() {
        b[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    }
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    // 2 + 32 characters of [a-z0-9-]: always a valid message id.
    MessageId::parse(&format!("k-{hex}")).expect("a valid message id")
}

impl Link {
    /// Starts the connection over the tablet's opened storage (inside a tokio runtime).
    pub fn start(
        config: LinkConfig,
        store: KioskStore,
    ) -> Result<(Link, mpsc::UnboundedReceiver<LinkEvent>), LinkError> {
        let mut core = LinkCore::new(config.device.clone(), store, Box::new(new_message_id));
        let version = env!("CARGO_PKG_VERSION");
        let will = core.status(
            Presence::Offline,
            version,
            &config.profile,
            crate::live::health::Health::default(),
        );
        let mut options =
            MqttOptions::new(config.device.as_str(), config.host.clone(), config.port);
        options.set_credentials(config.device.as_str(), config.password.clone());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(false);
        let max = nabij_protocol::limits::MAX_PACKET_BYTES;
        options.set_max_packet_size(max, max);
        options.set_last_will(LastWill::new(
            will.topic.to_string(),
            will.payload,
            QoS::AtLeastOnce,
            true,
        ));
        if let Some(ca) = &config.ca_pem {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                Arc::new(super::tls::client_config(ca)?),
            )));
        }
        let (client, mut eventloop) = AsyncClient::new(options, 1_000);
        super::poller::no_delay(&mut eventloop);
        let (commands, command_rx) = mpsc::channel(64);
        let (events_tx, events) = mpsc::unbounded_channel();
        let task = tokio::spawn(drive(
            core, client, eventloop, command_rx, events_tx, config,
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
        self.send_as(new_message_id(), body).await
    }

    /// Says that the caller put something in the outbox itself (through a clone of the
    /// store): it goes out now if connected, else with the next connection.
    pub fn nudge(&self) {
        let _ = self.commands.try_send(Command::Pump);
    }

    /// Sends a message under an id the caller made (to follow it on screen).
    pub async fn send_as(&self, id: MessageId, body: Body) -> Result<MessageId, LinkError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Send(id, Box::new(body), reply))
            .await
            .map_err(|_| LinkError::Stopped)?;
        answer.await.map_err(|_| LinkError::Stopped)?
    }
}

/// Most outbox messages on the wire at once. A drain of hundreds goes in steps as the
/// hub acknowledges, instead of flooding the MQTT client.
const WINDOW: usize = 20;

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

/// Publishes outbox messages not yet on the wire in this connection, up to the window.
/// The outbox is read on a blocking thread: nothing on this runtime waits for the disk.
/// (`outbox` is [`LinkCore::outbox_reader`].)
async fn pump(
    outbox: impl FnOnce() -> Result<Vec<(MessageId, Publish)>, StoreError> + Send + 'static,
    client: &AsyncClient,
    on_wire: &mut HashSet<MessageId>,
) {
    let Ok(Ok(outbox)) = tokio::task::spawn_blocking(outbox).await else {
        // Unreadable now: the next pump (each minute at least) tries again.
        return;
    };
    let waiting: HashSet<&MessageId> = outbox.iter().map(|(id, _)| id).collect();
    on_wire.retain(|id| waiting.contains(id));
    let room = WINDOW.saturating_sub(on_wire.len());
    let next: Vec<(MessageId, Publish)> = outbox
        .into_iter()
        .filter(|(id, _)| !on_wire.contains(id))
        .take(room)
        .collect();
    for (id, item) in next {
        on_wire.insert(id);
        publish(client, vec![item]);
    }
}

/// Runs `work` on the link's rules on a blocking thread and gives them back: the rules
/// read and write the tablet's storage (a durable commit waits for the disk), which must
/// not hold up the connection's tasks on this runtime. `None` if that thread failed
/// (the rules are lost with it, and the link stops: the live link starts it again).
async fn on_disk<T: Send + 'static>(
    mut core: LinkCore,
    work: impl FnOnce(&mut LinkCore) -> T + Send + 'static,
) -> Option<(LinkCore, T)> {
    tokio::task::spawn_blocking(move || {
        let done = work(&mut core);
        (core, done)
    })
    .await
    .ok()
}

/// How often a connected tablet refreshes its status (battery, free storage).
const STATUS_EVERY: Duration = Duration::from_secs(15 * 60);

fn online_status(core: &mut LinkCore, config: &LinkConfig) -> Publish {
    let health = crate::live::health::read(config.battery.as_deref(), &config.data_dir);
    core.status(
        Presence::Online,
        env!("CARGO_PKG_VERSION"),
        &config.profile,
        health,
    )
}

async fn drive(
    mut core: LinkCore,
    client: AsyncClient,
    eventloop: rumqttc::EventLoop,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<LinkEvent>,
    config: LinkConfig,
) {
    // Sends still go into the outbox while it waits: the back-off holds up no one.
    let (_poller, mut net) = super::poller::spawn(
        eventloop,
        Duration::from_millis(200),
        Duration::from_secs(10),
    );
    let mut connected = false;
    let mut on_wire: HashSet<MessageId> = HashSet::new();
    // The hub said "not now" (rate_limited): what it deferred goes again at this time
    // (or with the minute's resend, whichever comes first).
    let mut retry_at: Option<tokio::time::Instant> = None;
    let mut resend = tokio::time::interval(Duration::from_secs(60));
    let mut health = tokio::time::interval(STATUS_EVERY);
    health.tick().await; // the first status goes when connected
    loop {
        tokio::select! {
            Some(polled) = net.recv() => match polled {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_subscribe_many([
                        rumqttc::SubscribeFilter::new(core.down_topic().to_string(), QoS::AtLeastOnce),
                        rumqttc::SubscribeFilter::new(Topic::HubStatus.to_string(), QoS::AtLeastOnce),
                    ]);
                    let _ = events.send(LinkEvent::Online(true));
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    connected = true;
                    on_wire.clear();
                    publish(&client, vec![online_status(&mut core, &config)]);
                    pump(core.outbox_reader(), &client, &mut on_wire).await;
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let Some((back, handled)) =
                        on_disk(core, move |core| core.on_message(&p.topic, &p.payload)).await
                    else {
                        return;
                    };
                    core = back;
                    match handled {
                    Ok((out, said)) => {
                        publish(&client, out);
                        for event in said {
                            match event {
                                LinkEvent::HubOnline => {
                                    on_wire.clear();
                                    let _ = events.send(event);
                                }
                                LinkEvent::Deferred { retry_after_ms, .. } => {
                                    let wait = Duration::from_millis(retry_after_ms.min(60_000));
                                    retry_at = Some(tokio::time::Instant::now() + wait);
                                }
                                event => {
                                    let _ = events.send(event);
                                }
                            }
                        }
                        if connected {
                            pump(core.outbox_reader(), &client, &mut on_wire).await;
                        }
                    }
                    Err(e) => {
                        let _ = events.send(LinkEvent::StorageFailed(e.to_string()));
                    }
                    }
                }
                Ok(_) => {}
                Err(refused) => {
                    connected = false;
                    let _ = events.send(LinkEvent::Online(false));
                    if refused == Failure::LoginRefused {
                        let _ = events.send(LinkEvent::LoginRefused);
                    }
                }
            },
            command = commands.recv() => match command {
                Some(Command::Send(id, body, reply)) => {
                    let Some((back, result)) =
                        on_disk(core, move |core| core.send_as(id, *body).map(|(id, _)| id)).await
                    else {
                        let _ = reply.send(Err(LinkError::Stopped));
                        return;
                    };
                    core = back;
                    let _ = reply.send(result.map_err(LinkError::from));
                    if connected {
                        pump(core.outbox_reader(), &client, &mut on_wire).await;
                    }
                }
                Some(Command::Pump) => {
                    if connected {
                        pump(core.outbox_reader(), &client, &mut on_wire).await;
                    }
                }
                None => return,
            },
            _ = health.tick() => {
                // The retained status keeps the coaches' battery and storage column fresh.
                if connected {
                    publish(&client, vec![online_status(&mut core, &config)]);
                }
            }
            _ = async { match retry_at { Some(at) => tokio::time::sleep_until(at).await, None => std::future::pending().await } } => {
                // What the hub deferred goes again; the window makes room for it.
                retry_at = None;
                if connected {
                    on_wire.clear();
                    pump(core.outbox_reader(), &client, &mut on_wire).await;
                }
            }
            _ = resend.tick() => {
                // Each minute, whatever is still unacknowledged goes again.
                if connected {
                    on_wire.clear();
                    pump(core.outbox_reader(), &client, &mut on_wire).await;
                }
            }
        }
    }
}
