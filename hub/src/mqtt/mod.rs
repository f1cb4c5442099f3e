//! The hub's own MQTT connection: the edge where rumqttc stops. Incoming publications go
//! into the [`Ingress`] queues (the driver never waits on the hub's handlers, so nothing
//! the hub does can stop it reading the broker; a full queue answers `rate_limited`
//! rather than wait); outgoing ones come from the app through [`Publisher`], the app's
//! `Outlet`.

mod ingress;

pub use ingress::{Batch, Heavy, Ingress, LIGHT_BYTES, Limits, Pushed, Refusal};

use crate::app::{BoxFuture, Inbound, Outlet, OutletClosed};
use crate::broker::{HUB_USER, HubConnection, MAX_PACKET_BYTES};
use nabij_protocol::{Body, Envelope, HubStatus, Party, Presence, Topic};
use rumqttc::{
    AsyncClient, Event, LastWill, MqttOptions, NetworkOptions, Packet, QoS, TlsConfiguration,
    Transport,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// Publications waiting to be written to the broker. A full queue makes the publishing
/// use case wait (that is the back-pressure), never the reader.
const REQUEST_QUEUE: usize = 1_024;

/// QoS 1 publications in flight to the broker at once.
const IN_FLIGHT: u16 = 200;

/// Publishes for the hub. Cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    client: AsyncClient,
    echo: Arc<Echo>,
}

/// A private topic the hub publishes to and reads back, to learn when the broker has
/// handled everything it published before (one client's messages are handled in order).
struct Echo {
    topic: String,
    waiting: Mutex<HashMap<u64, oneshot::Sender<()>>>,
    next: AtomicU64,
}

impl Echo {
    fn answered(&self, payload: &[u8]) {
        let token = std::str::from_utf8(payload)
            .ok()
            .and_then(|t| t.parse::<u64>().ok());
        if let (Some(token), Ok(mut waiting)) = (token, self.waiting.lock())
            && let Some(waiter) = waiting.remove(&token)
        {
            let _ = waiter.send(());
        }
    }
}

/// The connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    /// The broker's CA file could not be used.
    #[error("cannot use the broker's CA certificate {path}: {reason}")]
    Ca {
        /// The file.
        path: String,
        /// The reason.
        reason: String,
    },
    /// The broker did not accept the hub in time.
    #[error("the hub could not log in to the broker within 10 seconds: {0}")]
    Timeout(String),
}

impl Publisher {
    async fn publish_bytes(&self, topic: &Topic, payload: Vec<u8>) -> Result<(), OutletClosed> {
        self.client
            .publish(
                topic.to_string(),
                QoS::AtLeastOnce,
                topic.retained(),
                payload,
            )
            .await
            .map_err(|_| OutletClosed)
    }

    /// Waits until the broker has handled (and passed on to connected subscribers)
    /// everything this hub published before. Used before cutting a tablet off, so that
    /// it still gets the message that says why.
    async fn echo(&self) -> Result<(), OutletClosed> {
        let token = self.echo.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut waiting) = self.echo.waiting.lock() {
            waiting.insert(token, tx);
        }
        self.client
            .publish(
                self.echo.topic.clone(),
                QoS::AtLeastOnce,
                false,
                token.to_string(),
            )
            .await
            .map_err(|_| OutletClosed)?;
        match tokio::time::timeout(Duration::from_secs(5), rx).await {
            Ok(Ok(())) => Ok(()),
            _ => {
                if let Ok(mut waiting) = self.echo.waiting.lock() {
                    waiting.remove(&token);
                }
                tracing::warn!("the broker did not echo within 5 seconds");
                Err(OutletClosed)
            }
        }
    }

    /// Disconnects cleanly (the broker then does not publish the last will, so the hub
    /// publishes its offline status first).
    pub async fn disconnect(&self) {
        if let Ok(offline) = hub_status(Presence::Offline) {
            let _ = self
                .publish_bytes(&Topic::HubStatus, offline.to_bytes())
                .await;
        }
        let _ = self.client.disconnect().await;
    }
}

impl Outlet for Publisher {
    fn publish(&self, topic: Topic, payload: Vec<u8>) -> BoxFuture<'_, Result<(), OutletClosed>> {
        Box::pin(async move { self.publish_bytes(&topic, payload).await })
    }

    fn settled(&self) -> BoxFuture<'_, Result<(), OutletClosed>> {
        Box::pin(self.echo())
    }
}

fn hub_status(state: Presence) -> Result<Envelope, crate::secrets::RandomError> {
    Ok(Envelope::new(
        crate::secrets::message_id()?,
        Party::Hub,
        Body::HubStatus(HubStatus {
            state,
            hub_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
    ))
}

fn tls_config(ca_path: &std::path::Path) -> Result<rustls::ClientConfig, MqttError> {
    let fail = |reason: String| MqttError::Ca {
        path: ca_path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(ca_path).map_err(|e| fail(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    use rustls_pki_types::pem::PemObject;
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots
            .add(cert.map_err(|e| fail(e.to_string()))?)
            .map_err(|e| fail(e.to_string()))?;
    }
    Ok(rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Connects to the broker, subscribes to the hub's topics and publishes its presence.
/// Returns once the subscriptions are granted; the connection then keeps itself up,
/// reconnecting with back-off, until [`Publisher::disconnect`]. What arrives goes into
/// `ingress`.
pub async fn connect(
    connection: &HubConnection,
    client_id: &str,
    password: &str,
    ingress: Arc<Ingress>,
) -> Result<Publisher, MqttError> {
    let mut options = MqttOptions::new(client_id, connection.host.clone(), connection.port);
    options.set_credentials(HUB_USER, password);
    options.set_keep_alive(Duration::from_secs(30));
    // A persistent session: what tablets send while the hub restarts waits in the broker.
    options.set_clean_session(false);
    options.set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES);
    options.set_inflight(IN_FLIGHT);
    let will = hub_status(Presence::Offline).map_err(|e| MqttError::Timeout(e.to_string()))?;
    options.set_last_will(LastWill::new(
        Topic::HubStatus.to_string(),
        will.to_bytes(),
        QoS::AtLeastOnce,
        true,
    ));
    if let Some(ca) = &connection.ca {
        let config = tls_config(ca)?;
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(config),
        )));
    }
    let (client, mut eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
    // Small messages answer small messages: without this, Nagle's algorithm and the
    // peer's delayed ACK hold each acknowledgement back by ~40 ms.
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    let (ready_tx, mut ready_rx) = watch::channel(Err::<(), String>("not connected yet".into()));
    let echo = Arc::new(Echo {
        topic: format!("{}/hub/echo/{client_id}", nabij_protocol::ROOT),
        waiting: Default::default(),
        next: Default::default(),
    });
    tokio::spawn(drive(
        client.clone(),
        eventloop,
        ingress,
        ready_tx,
        echo.clone(),
    ));
    let ready = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if ready_rx.borrow_and_update().is_ok() {
                return Ok(());
            }
            if ready_rx.changed().await.is_err() {
                return Err(ready_rx.borrow().clone().err().unwrap_or_default());
            }
        }
    })
    .await;
    match ready {
        Ok(Ok(())) => Ok(Publisher { client, echo }),
        Ok(Err(why)) => Err(MqttError::Timeout(why)),
        Err(_) => Err(MqttError::Timeout(
            ready_rx.borrow().clone().err().unwrap_or_default(),
        )),
    }
}

/// Reads the broker for as long as the hub runs. It never waits on anything but the
/// broker: publications go into the ingress queues with `push`, which does not block.
async fn drive(
    client: AsyncClient,
    mut eventloop: rumqttc::EventLoop,
    ingress: Arc<Ingress>,
    ready: watch::Sender<Result<(), String>>,
    echo: Arc<Echo>,
) {
    let mut backoff = Duration::from_millis(200);
    let mut pending_subscription = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = Duration::from_millis(200);
                tracing::info!("connected to the broker");
                // Before anything of this session is read: the broker now sends every
                // retained status again, and the hub starts the tablets' windows afresh.
                ingress.mark_reconnected();
                let mut filters: Vec<String> = Topic::hub_subscriptions().into();
                filters.push(echo.topic.clone());
                let _ = client.try_subscribe_many(
                    filters
                        .into_iter()
                        .map(|path| rumqttc::SubscribeFilter::new(path, QoS::AtLeastOnce)),
                );
                if let Ok(online) = hub_status(Presence::Online) {
                    let _ = client.try_publish(
                        Topic::HubStatus.to_string(),
                        QoS::AtLeastOnce,
                        true,
                        online.to_bytes(),
                    );
                }
                pending_subscription = true;
            }
            Ok(Event::Incoming(Packet::SubAck(_))) if pending_subscription => {
                pending_subscription = false;
                let _ = ready.send(Ok(()));
            }
            Ok(Event::Incoming(Packet::Publish(publish))) if publish.topic == echo.topic => {
                echo.answered(&publish.payload);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                // Queued, or refused with an answer, or (what cannot be answered) dropped
                // and logged: the ingress decides, without waiting.
                let _ = ingress.push(Inbound {
                    topic: publish.topic,
                    payload: publish.payload.to_vec(),
                });
            }
            Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => return,
            Ok(_) => {}
            Err(error) => {
                if ingress.is_closed() {
                    return;
                }
                tracing::warn!(%error, "lost the broker connection; retrying in {backoff:?}");
                let _ = ready.send(Err(error.to_string()));
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}
