//! A small MQTT test client over rumqttc: connect (TLS with the hub's CA, or plain),
//! subscribe and see the SUBACK, publish, and wait for messages or disconnection, all
//! with timeouts instead of sleeps.

use crate::hub::KioskSettings;
use rumqttc::{
    AsyncClient, ConnectionError, Event, LastWill, MqttOptions, Packet, QoS, SubscribeReasonCode,
    TlsConfiguration, Transport,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a test waits for something that should happen, before it fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// What the connection saw.
#[derive(Debug)]
pub enum Seen {
    /// A message.
    Message {
        /// Its topic.
        topic: String,
        /// Its payload.
        payload: Vec<u8>,
        /// Whether the broker delivered it as retained.
        retain: bool,
    },
    /// The answer to a subscription.
    SubAck(Vec<SubscribeReasonCode>),
    /// The connection ended.
    Closed(String),
}

/// Why a connection was not accepted.
#[derive(Debug)]
pub enum Refused {
    /// The broker said no to the credentials.
    NotAuthorized(String),
    /// Anything else (TLS failure, network).
    Other(String),
}

/// A connected test client.
pub struct Client {
    client: AsyncClient,
    events: mpsc::UnboundedReceiver<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    /// Dropping a client closes its socket without DISCONNECT, as a tablet that loses
    /// power or network does: the broker then publishes its last will.
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Publishes on a [`Client`]'s connection (QoS 1, not retained).
#[derive(Clone)]
pub struct Publisher(AsyncClient);

impl Publisher {
    /// Publishes with QoS 1; waits only while the client's request queue is full.
    pub async fn publish(&self, topic: &str, payload: Vec<u8>) {
        self.0
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .expect("publish queued");
    }
}

/// How to log in.
pub struct Login<'a> {
    /// The client id.
    pub client_id: &'a str,
    /// The username.
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
    /// Start a clean session.
    pub clean_session: bool,
    /// The last will: topic and payload (QoS 1, retained).
    pub will: Option<(String, Vec<u8>)>,
}

/// The same TLS client settings a kiosk uses: trust only the hub's CA.
fn tls(ca: &std::path::Path) -> rustls::ClientConfig {
    let pem = std::fs::read(ca).expect("the hub's CA file");
    nabij_kiosk::link::tls_client_config(&pem).expect("a usable CA")
}

impl Client {
    /// Connects over TLS to the hub's tablet port, verifying the hub's CA.
    pub async fn connect(settings: &KioskSettings, login: Login<'_>) -> Result<Client, Refused> {
        // As a kiosk does: the enrolment login goes to the pairing listener.
        let port = if login.username == "enrol" {
            settings.pairing_port
        } else {
            settings.port
        };
        Self::connect_to(&settings.host, port, Some(&settings.ca), login).await
    }

    /// Connects to any broker port; `ca` None means plain MQTT.
    pub async fn connect_to(
        host: &str,
        port: u16,
        ca: Option<&std::path::Path>,
        login: Login<'_>,
    ) -> Result<Client, Refused> {
        let mut options = MqttOptions::new(login.client_id, host, port);
        options.set_credentials(login.username, login.password);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(login.clean_session);
        options.set_max_packet_size(2_000_000, 2_000_000);
        if let Some((topic, payload)) = login.will {
            options.set_last_will(LastWill::new(topic, payload, QoS::AtLeastOnce, true));
        }
        if let Some(ca) = ca {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                Arc::new(tls(ca)),
            )));
        }
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        // As every client of the hub: no Nagle delay on small answers.
        let mut network = rumqttc::NetworkOptions::new();
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        let first = tokio::time::timeout(PATIENCE, async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                    Ok(_) => continue,
                    Err(ConnectionError::ConnectionRefused(code)) => {
                        return Err(Refused::NotAuthorized(format!("{code:?}")));
                    }
                    Err(other) => return Err(Refused::Other(other.to_string())),
                }
            }
        })
        .await
        .map_err(|_| Refused::Other("no CONNACK in time".into()))?;
        first?;
        let (tx, events) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let seen = match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => Seen::Message {
                        topic: p.topic,
                        payload: p.payload.to_vec(),
                        retain: p.retain,
                    },
                    Ok(Event::Incoming(Packet::SubAck(ack))) => Seen::SubAck(ack.return_codes),
                    Ok(_) => continue,
                    Err(e) => {
                        let _ = tx.send(Seen::Closed(e.to_string()));
                        return;
                    }
                };
                if tx.send(seen).is_err() {
                    return;
                }
            }
        });
        Ok(Client {
            client,
            events,
            task,
        })
    }

    /// Subscribes and returns the broker's answer.
    pub async fn subscribe(&mut self, filter: &str) -> SubscribeReasonCode {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .expect("subscribe queued");
        loop {
            match self.next().await {
                Seen::SubAck(codes) => {
                    return codes
                        .first()
                        .copied()
                        .unwrap_or(SubscribeReasonCode::Failure);
                }
                Seen::Closed(why) => panic!("connection closed while subscribing: {why}"),
                Seen::Message { .. } => continue,
            }
        }
    }

    /// Publishes with QoS 1.
    pub async fn publish(&self, topic: &str, payload: Vec<u8>, retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .await
            .expect("publish queued");
    }

    /// A handle that publishes on this connection from another task (a flood sent while
    /// the test goes on with other clients).
    pub fn publisher(&self) -> Publisher {
        Publisher(self.client.clone())
    }

    /// The next thing the connection saw (fails the test after [`PATIENCE`]).
    pub async fn next(&mut self) -> Seen {
        tokio::time::timeout(PATIENCE, self.events.recv())
            .await
            .expect("nothing arrived in time")
            .unwrap_or(Seen::Closed("event channel ended".into()))
    }

    /// The next message, skipping SUBACKs; panics if the connection closes.
    pub async fn next_message(&mut self) -> (String, Vec<u8>) {
        loop {
            match self.next().await {
                Seen::Message { topic, payload, .. } => return (topic, payload),
                Seen::SubAck(_) => continue,
                Seen::Closed(why) => panic!("connection closed while waiting for a message: {why}"),
            }
        }
    }

    /// Waits until the broker closes the connection; returns why.
    pub async fn closed(&mut self) -> String {
        loop {
            if let Seen::Closed(why) = self.next().await {
                return why;
            }
        }
    }

    /// Disconnects cleanly (no last will), and waits until the broker has it.
    pub async fn disconnect(mut self) {
        let _ = self.client.disconnect().await;
        let _ = tokio::time::timeout(PATIENCE, async {
            while self.events.recv().await.is_some() {}
        })
        .await;
    }
}
