//! The paths a message can take, set up with the same client: **raw**, one client
//! publishing to a topic another subscribes to (the ceiling: Mosquitto over TLS alone);
//! **hub**, a tablet's chat message to a contact, which the hub checks, stores
//! (fsync'd), acknowledges and passes on, and which the recipient acknowledges, as a
//! kiosk does (the acknowledgements answered with `delivered` receipts to the sender,
//! which the sender acknowledges too); and the **bare relay** between them, a client on
//! the hub's own link that publishes again whatever it reads and does nothing else: the
//! ceiling for anything that passes messages on through the broker, as the hub does.

use crate::client::{self, Connection, Endpoint};
use anyhow::{Context, Result, bail};
use nabij_hub::app::Hub;
use nabij_protocol::base64::Base64Bytes;
use nabij_protocol::{
    Ack, Body, DeviceId, DeviceStatus, EnrolHello, EnrolmentId, Envelope, ImageMime, MessageId,
    Party, PersonId, Photo, Presence, Recipient, TextMessage, Topic, decode,
};
use rumqttc::AsyncClient;
use std::time::Duration;
use tokio::sync::mpsc;

/// Every payload is this many bytes, on every path.
pub const PAYLOAD_BYTES: usize = 256;

/// A message that arrived: which run, which message, when it was sent (ns since the
/// bench's clock started).
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    /// The run it belongs to.
    pub run: u32,
    /// Its number in the run.
    pub seq: u64,
    /// When it was sent.
    pub sent_ns: u64,
}

/// How a sender writes.
#[derive(Clone)]
enum Addressing {
    Raw { topic: String },
    Hub { from: DeviceId, to: PersonId },
}

/// The sending side of a pair. Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    client: AsyncClient,
    addressing: Addressing,
}

/// One sender and its receiver on one path.
pub struct Pair {
    /// Publishes the pair's messages.
    pub sender: Sender,
    /// What the receiver got.
    pub arrivals: mpsc::UnboundedReceiver<Arrival>,
    /// Kept alive with the pair: connections and their helper tasks.
    _keep: Vec<Connection>,
    _tasks: Vec<AbortOnDrop>,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// "run seq sent_ns " then padding.
fn marker(run: u32, seq: u64, sent_ns: u64) -> String {
    format!("{run} {seq} {sent_ns} ")
}

fn parse_marker(text: &str) -> Option<Arrival> {
    let mut parts = text.split(' ');
    Some(Arrival {
        run: parts.next()?.parse().ok()?,
        seq: parts.next()?.parse().ok()?,
        sent_ns: parts.next()?.parse().ok()?,
    })
}

fn message_id() -> Result<MessageId> {
    nabij_hub::secrets::message_id().context("no random source")
}

impl Sender {
    /// The sender's next publication: (topic, payload of [`PAYLOAD_BYTES`]).
    fn message(&self, run: u32, seq: u64, sent_ns: u64) -> Result<(String, Vec<u8>)> {
        let mark = marker(run, seq, sent_ns);
        match &self.addressing {
            Addressing::Raw { topic } => {
                let mut payload = mark.into_bytes();
                payload.resize(PAYLOAD_BYTES, b'.');
                Ok((topic.clone(), payload))
            }
            Addressing::Hub { from, to } => {
                let envelope = |text: String| -> Result<Envelope> {
                    Ok(Envelope::new(
                        message_id()?,
                        Party::Device(from.clone()),
                        Body::Text(TextMessage {
                            to: Recipient::Person(to.clone()),
                            author: None,
                            text,
                        }),
                    ))
                };
                let bare = envelope(mark.clone())?.to_bytes().len();
                let pad = PAYLOAD_BYTES.saturating_sub(bare);
                let payload = envelope(format!("{mark}{}", ".".repeat(pad)))?.to_bytes();
                Ok((Topic::DeviceUp(from.clone()).to_string(), payload))
            }
        }
    }

    /// Publishes message `seq` of `run`, stamped with `sent_ns`.
    pub async fn send(&self, run: u32, seq: u64, sent_ns: u64) -> Result<()> {
        let (topic, payload) = self.message(run, seq, sent_ns)?;
        client::publish(&self.client, &topic, payload, false).await
    }

    /// Publishes photo `seq` of `run` as a tablet sends one (the JPEG of `size` pixels
    /// base64 in the message, the marker in its caption); hub pairs only.
    pub async fn send_photo(
        &self,
        run: u32,
        seq: u64,
        sent_ns: u64,
        image: &[u8],
        (width, height): (u32, u32),
    ) -> Result<()> {
        let Addressing::Hub { from, to } = &self.addressing else {
            bail!("photos go through the hub only");
        };
        let envelope = Envelope::new(
            message_id()?,
            Party::Device(from.clone()),
            Body::Photo(Photo {
                to: Recipient::Person(to.clone()),
                author: None,
                mime: ImageMime::Jpeg,
                width,
                height,
                caption: Some(marker(run, seq, sent_ns)),
                data: Base64Bytes(image.to_vec()),
            }),
        );
        let topic = Topic::DeviceUp(from.clone()).to_string();
        client::publish(&self.client, &topic, envelope.to_bytes(), false).await
    }
}

/// A raw pair: two clients logged in as the hub's own MQTT user (the only user the broker
/// lets write outside the tablet topics), over TLS on the pairing listener (the tablets'
/// listener makes every client id its login, so two clients of one login would knock
/// each other off there).
pub async fn raw_pair(endpoint: &Endpoint, user: &str, password: &str, n: usize) -> Result<Pair> {
    let topic = format!("{}/bench/raw-{n}", nabij_protocol::ROOT);
    raw_pair_on(
        endpoint,
        user,
        password,
        &format!("raw-{n}"),
        &topic,
        &topic,
    )
    .await
}

/// Two clients named `bench-{name}-rx` and `-tx`: the receiver reads `receive`, the
/// sender writes to `send`.
async fn raw_pair_on(
    endpoint: &Endpoint,
    user: &str,
    password: &str,
    name: &str,
    receive: &str,
    send: &str,
) -> Result<Pair> {
    let mut receiver = client::connect(
        endpoint,
        &format!("bench-{name}-rx"),
        user,
        password,
        true,
        &[receive.to_owned()],
    )
    .await?;
    let sender = client::connect(
        endpoint,
        &format!("bench-{name}-tx"),
        user,
        password,
        true,
        &[],
    )
    .await?;
    let (tx, arrivals) = mpsc::unbounded_channel();
    let mut inbox = std::mem::replace(&mut receiver.inbox, mpsc::unbounded_channel().1);
    let reader = tokio::spawn(async move {
        while let Some((_, payload)) = inbox.recv().await {
            if let Some(arrival) = std::str::from_utf8(&payload).ok().and_then(parse_marker)
                && tx.send(arrival).is_err()
            {
                return;
            }
        }
    });
    Ok(Pair {
        sender: Sender {
            client: sender.client.clone(),
            addressing: Addressing::Raw {
                topic: send.to_owned(),
            },
        },
        arrivals,
        _keep: vec![sender, receiver],
        _tasks: vec![AbortOnDrop(reader)],
    })
}

/// A bare-relay pair: a sender and a receiver as on the raw path, and between them a
/// client on `relay_endpoint` (the broker's loopback listener, as the hub's link) that
/// publishes every message it reads again, to the receiver's topic, and does nothing
/// else. The relay runs on `relay_runtime` (the hub's, so that its CPU is counted as the
/// hub's).
pub async fn relay_pair(
    endpoint: &Endpoint,
    relay_endpoint: &Endpoint,
    relay_runtime: &tokio::runtime::Handle,
    user: &str,
    password: &str,
    n: usize,
) -> Result<Pair> {
    let inbound = format!("{}/bench/relay-{n}/in", nabij_protocol::ROOT);
    let outbound = format!("{}/bench/relay-{n}/out", nabij_protocol::ROOT);
    let receive = outbound.clone();
    let relay = {
        let (endpoint, user, password) =
            (relay_endpoint.clone(), user.to_owned(), password.to_owned());
        let filters = [inbound.clone()];
        relay_runtime
            .spawn(async move {
                client::connect(
                    &endpoint,
                    &format!("bench-relay-{n}"),
                    &user,
                    &password,
                    true,
                    &filters,
                )
                .await
            })
            .await??
    };
    let forward = relay_runtime.spawn(async move {
        let mut relay = relay;
        while let Some((_, payload)) = relay.inbox.recv().await {
            if client::publish(&relay.client, &outbound, payload, false)
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let mut pair = raw_pair_on(
        endpoint,
        user,
        password,
        &format!("relay-{n}"),
        &receive,
        &inbound,
    )
    .await?;
    pair._tasks.push(AbortOnDrop(forward));
    Ok(pair)
}

/// The broker's two listeners for tablets, as a kiosk reaches them.
#[derive(Clone)]
pub struct Doors {
    /// Enrolled tablets (client id = login).
    pub tablets: Endpoint,
    /// Pairing tablets.
    pub pairing: Endpoint,
}

/// An enrolled tablet, connected as itself.
struct Tablet {
    device: DeviceId,
    person: PersonId,
    connection: Connection,
}

/// The hub's next answer to a pairing tablet.
async fn answer(pairing: &mut Connection, enrolment: &EnrolmentId) -> Result<Body> {
    loop {
        let (topic, payload) = tokio::time::timeout(Duration::from_secs(15), pairing.inbox.recv())
            .await
            .context("the hub did not answer the pairing tablet within 15 s")?
            .context("the pairing connection closed")?;
        let topic = Topic::parse(&topic)?;
        if topic == Topic::EnrolDown(enrolment.clone()) {
            return Ok(decode(&topic, &payload)?.body);
        }
    }
}

/// Pairs a new tablet for a new participant, as a coach and a kiosk would.
async fn tablet(hub: &Hub, doors: &Doors, enrol_password: &str, name: &str) -> Result<Tablet> {
    let person = hub.add_participant(name, None, None).await?.id;
    let enrolment = EnrolmentId::parse(&format!("e-{}", message_id()?.as_str().replace('-', "")))
        .context("an enrolment id")?;
    let down = Topic::EnrolDown(enrolment.clone()).to_string();
    let mut pairing = client::connect(
        &doors.pairing,
        enrolment.as_str(),
        "enrol",
        enrol_password,
        true,
        std::slice::from_ref(&down),
    )
    .await?;
    let hello = Envelope::new(
        message_id()?,
        Party::Enrolling(enrolment.clone()),
        Body::EnrolHello(EnrolHello {
            profile: "bench".into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            hardware_id: None,
        }),
    );
    let up = Topic::EnrolUp(enrolment.clone()).to_string();
    client::publish(&pairing.client, &up, hello.to_bytes(), false).await?;
    let Body::PairingCode(code) = answer(&mut pairing, &enrolment).await? else {
        bail!("expected a pairing code");
    };
    hub.enrol(&code.code, &person, None, "command line").await?;
    let Body::EnrolGranted(granted) = answer(&mut pairing, &enrolment).await? else {
        bail!("expected enrol_granted");
    };
    drop(pairing);
    let device = granted.device_id;
    let down = Topic::DeviceDown(device.clone()).to_string();
    let connection = client::connect(
        &doors.tablets,
        device.as_str(),
        device.as_str(),
        &granted.password.0,
        false,
        &[down],
    )
    .await?;
    let online = Envelope::new(
        message_id()?,
        Party::Device(device.clone()),
        Body::Status(DeviceStatus {
            state: Presence::Online,
            app_version: Some(env!("CARGO_PKG_VERSION").into()),
            profile: Some("bench".into()),
            battery_pct: None,
            charging: None,
            free_storage_mb: None,
        }),
    );
    client::publish(
        &connection.client,
        &Topic::DeviceStatus(device.clone()).to_string(),
        online.to_bytes(),
        true,
    )
    .await?;
    Ok(Tablet {
        device,
        person,
        connection,
    })
}

/// Reads a tablet's `down` topic as a kiosk does: everything that needs an ack is
/// acknowledged, texts and photos are reported as arrivals. Messages that arrived together share
/// one ack (the protocol allows up to 256 ids in one).
fn kiosk_reader(
    tablet: &mut Tablet,
    arrivals: Option<mpsc::UnboundedSender<Arrival>>,
) -> AbortOnDrop {
    let mut inbox = std::mem::replace(&mut tablet.connection.inbox, mpsc::unbounded_channel().1);
    let client = tablet.connection.client.clone();
    let device = tablet.device.clone();
    AbortOnDrop(tokio::spawn(async move {
        let up = Topic::DeviceUp(device.clone()).to_string();
        while let Some(first) = inbox.recv().await {
            let mut ids = Vec::new();
            let mut next = Some(first);
            while let Some((topic, payload)) = next.take() {
                if let Ok(topic) = Topic::parse(&topic)
                    && let Ok(envelope) = decode(&topic, &payload)
                {
                    if envelope.body.needs_ack() {
                        ids.push(envelope.id.clone());
                    }
                    let mark = match &envelope.body {
                        Body::Text(text) => Some(text.text.as_str()),
                        Body::Photo(photo) => photo.caption.as_deref(),
                        _ => None,
                    };
                    if let (Some(mark), Some(arrivals)) = (mark, &arrivals)
                        && let Some(arrival) = parse_marker(mark)
                        && arrivals.send(arrival).is_err()
                    {
                        return;
                    }
                }
                if ids.len() < nabij_protocol::limits::MAX_IDS_PER_MESSAGE {
                    next = inbox.try_recv().ok();
                }
            }
            if ids.is_empty() {
                continue;
            }
            let Ok(id) = message_id() else { return };
            let ack = Envelope::new(id, Party::Device(device.clone()), Body::Ack(Ack { ids }));
            if client::publish(&client, &up, ack.to_bytes(), false)
                .await
                .is_err()
            {
                return;
            }
        }
    }))
}

/// A hub pair: two new participants, approved contacts, each with a paired tablet.
pub async fn hub_pair(hub: &Hub, doors: &Doors, enrol_password: &str, n: usize) -> Result<Pair> {
    let mut sender = tablet(hub, doors, enrol_password, &format!("Bench Sender {n}")).await?;
    let mut receiver = tablet(hub, doors, enrol_password, &format!("Bench Receiver {n}")).await?;
    hub.approve_contacts(&sender.person, &receiver.person)
        .await?;
    let (tx, arrivals) = mpsc::unbounded_channel();
    let tasks = vec![
        kiosk_reader(&mut sender, None),
        kiosk_reader(&mut receiver, Some(tx)),
    ];
    Ok(Pair {
        sender: Sender {
            client: sender.connection.client.clone(),
            addressing: Addressing::Hub {
                from: sender.device.clone(),
                to: receiver.person.clone(),
            },
        },
        arrivals,
        _keep: vec![sender.connection, receiver.connection],
        _tasks: tasks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        let text = format!("{}....", marker(3, 17, 123_456));
        let a = parse_marker(&text).unwrap();
        assert_eq!((a.run, a.seq, a.sent_ns), (3, 17, 123_456));
        assert!(parse_marker("hello").is_none());
    }
}
