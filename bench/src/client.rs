//! One MQTT connection for the bench, the same for every path: TLS to the hub's broker,
//! verified against the hub's CA (or, for the bare relay, plain MQTT on the broker's
//! loopback listener, as the hub's own link), TCP_NODELAY, QoS 1. Incoming publications go to a
//! channel; the connection's own task only reads (publishing happens elsewhere), so a
//! slow consumer never stops it.

use anyhow::{Context, Result, bail};
use rumqttc::{
    AsyncClient, Event, MqttOptions, NetworkOptions, Packet, QoS, TlsConfiguration, Transport,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Publications the bench's clients sent and received, all connections together: the
/// traffic a run put through the broker, counted where every path shares the code.
static PUBLISHED: AtomicU64 = AtomicU64::new(0);
static RECEIVED: AtomicU64 = AtomicU64::new(0);

/// (sent, received) publications of every bench client so far.
pub fn publications() -> (u64, u64) {
    (
        PUBLISHED.load(Ordering::Relaxed),
        RECEIVED.load(Ordering::Relaxed),
    )
}

/// Where and how to log in.
#[derive(Clone)]
pub struct Endpoint {
    /// The broker's host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// TLS trusting the hub's CA; `None`: plain MQTT (the broker's loopback listener).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

/// A connected client and what it receives.
pub struct Connection {
    /// For publishing and subscribing.
    pub client: AsyncClient,
    /// (topic, payload) of every publication received.
    pub inbox: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The TLS settings that trust only the hub's CA (PEM file).
pub fn tls(ca: &std::path::Path) -> Result<Arc<rustls::ClientConfig>> {
    use rustls_pki_types::pem::PemObject;
    let pem = std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert?)?;
    }
    Ok(Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

/// Connects and subscribes to `filters`; returns once the broker granted them.
pub async fn connect(
    endpoint: &Endpoint,
    client_id: &str,
    username: &str,
    password: &str,
    clean_session: bool,
    filters: &[String],
) -> Result<Connection> {
    let mut options = MqttOptions::new(client_id, endpoint.host.clone(), endpoint.port);
    options.set_credentials(username, password);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_clean_session(clean_session);
    options.set_max_packet_size(2 << 20, 2 << 20);
    options.set_inflight(200);
    if let Some(tls) = &endpoint.tls {
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            tls.clone(),
        )));
    }
    let (client, mut eventloop) = AsyncClient::new(options, 4_096);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    for filter in filters {
        client.subscribe(filter.clone(), QoS::AtLeastOnce).await?;
    }
    let mut granted = 0;
    let started = tokio::time::Instant::now();
    while granted < filters.len() || granted == 0 && filters.is_empty() {
        if started.elapsed() > Duration::from_secs(15) {
            bail!("{client_id}: no SUBACK within 15 s");
        }
        match tokio::time::timeout(Duration::from_secs(15), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => granted += 1,
            Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) if filters.is_empty() => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => bail!("{client_id}: {e}"),
            Err(_) => bail!("{client_id}: the broker did not answer within 15 s"),
        }
    }
    let (tx, inbox) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    RECEIVED.fetch_add(1, Ordering::Relaxed);
                    if tx.send((p.topic, p.payload.to_vec())).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    });
    Ok(Connection {
        client,
        inbox,
        task,
    })
}

/// Publishes with QoS 1 (waits only for room in the client's queue).
pub async fn publish(
    client: &AsyncClient,
    topic: &str,
    payload: Vec<u8>,
    retain: bool,
) -> Result<()> {
    client
        .publish(topic, QoS::AtLeastOnce, retain, payload)
        .await
        .context("the connection's queue is closed")?;
    PUBLISHED.fetch_add(1, Ordering::Relaxed);
    Ok(())
}
