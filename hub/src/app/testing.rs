//! A hub over memory, with the MQTT edge and the broker replaced by recorders: for tests
//! of the use cases without a broker or a disk.

use super::{BoxFuture, Gatekeeper, Hub, Inbound, Outlet, OutletClosed, Parts, tables};
use crate::config::HubConfig;
use crate::domain::devices::DeviceRecord;
use crate::store::{MemoryStorage, Storage, Tx};
use nabij_protocol::{
    Body, DeviceId, DeviceStatus, Envelope, MessageId, Party, PersonId, Presence, Topic,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Everything the hub published and allowed.
#[derive(Default)]
pub struct Recorder {
    published: Mutex<Vec<(Topic, Vec<u8>)>>,
    allowed: Mutex<Vec<Vec<DeviceId>>>,
    /// The broker stopped passing messages on (`settled` never resolves).
    broker_lost: std::sync::atomic::AtomicBool,
}

impl Recorder {
    /// The envelopes published on `topic` so far (and forgets them).
    pub fn take(&self, topic: &Topic) -> Vec<Envelope> {
        let mut published = self.published.lock().unwrap();
        let (mine, rest): (Vec<_>, Vec<_>) = published.drain(..).partition(|(t, _)| t == topic);
        *published = rest;
        mine.into_iter()
            .filter_map(|(t, p)| nabij_protocol::decode(&t, &p).ok())
            .collect()
    }

    /// From now on the broker passes nothing on: `settled` never resolves, as when the
    /// MQTT edge cannot even hand the broker its message.
    pub fn lose_broker(&self) {
        self.broker_lost.store(true, Ordering::SeqCst);
    }

    /// The last list of tablets the broker was told to let in.
    pub fn allowed(&self) -> Option<Vec<DeviceId>> {
        self.allowed.lock().unwrap().last().cloned()
    }
}

impl Outlet for Recorder {
    fn publish(&self, topic: Topic, payload: Vec<u8>) -> BoxFuture<'_, Result<(), OutletClosed>> {
        self.published.lock().unwrap().push((topic, payload));
        Box::pin(async { Ok(()) })
    }

    fn settled(&self) -> BoxFuture<'_, Result<(), OutletClosed>> {
        let lost = self.broker_lost.load(Ordering::SeqCst);
        Box::pin(async move {
            if lost {
                std::future::pending::<()>().await;
            }
            Ok(())
        })
    }
}

impl Gatekeeper for Recorder {
    fn allow(&self, tablets: Vec<(DeviceId, String)>) -> BoxFuture<'_, Result<(), String>> {
        self.allowed
            .lock()
            .unwrap()
            .push(tablets.into_iter().map(|(d, _)| d).collect());
        Box::pin(async { Ok(()) })
    }
}

/// A hub with default settings over memory, and what it publishes.
pub fn hub() -> (Hub, Arc<Recorder>) {
    hub_with(HubConfig::default())
}

/// A hub with these settings over memory, and what it publishes.
pub fn hub_with(config: HubConfig) -> (Hub, Arc<Recorder>) {
    hub_over(config, Arc::new(MemoryStorage::default()))
}

/// Storage over memory that counts what is read (records looked up and rows scanned) and
/// how often it was asked to sync, and keeps every value ever written (to look for what
/// must never be stored).
#[derive(Default)]
pub struct Counting {
    inner: MemoryStorage,
    reads: AtomicU64,
    syncs: AtomicU64,
    written: Mutex<Vec<u8>>,
}

impl Counting {
    /// Whether any value ever written held `needle`.
    pub fn ever_wrote(&self, needle: &[u8]) -> bool {
        let written = self.written.lock().unwrap();
        !needle.is_empty() && written.windows(needle.len()).any(|w| w == needle)
    }

    /// Records looked up plus rows returned by scans, so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Calls of `sync_up_to` so far.
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }
}

impl Storage for Counting {
    fn get(
        &self,
        table: &'static str,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, crate::store::StoreError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.get(table, key)
    }

    fn scan(
        &self,
        table: &'static str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<crate::store::Entry>, crate::store::StoreError> {
        let rows = self.inner.scan(table, prefix, after, limit)?;
        self.reads
            .fetch_add(1 + rows.len() as u64, Ordering::Relaxed);
        Ok(rows)
    }

    fn apply(&self, writes: crate::store::Writes) -> Result<u64, crate::store::StoreError> {
        {
            let mut written = self.written.lock().unwrap();
            for value in writes.values().flatten() {
                written.extend_from_slice(value);
            }
        }
        self.inner.apply(writes)
    }

    fn sync_up_to(&self, generation: u64) -> Result<(), crate::store::StoreError> {
        self.syncs.fetch_add(1, Ordering::Relaxed);
        self.inner.sync_up_to(generation)
    }

    fn next_id(&self) -> Result<u64, crate::store::StoreError> {
        self.inner.next_id()
    }
}

/// A hub over this storage (a second hub over the first one's: a restart).
pub fn hub_over(config: HubConfig, storage: Arc<dyn Storage>) -> (Hub, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let hub = Hub::new(Parts {
        config,
        storage,
        outlet: recorder.clone(),
        gate: recorder.clone(),
        enrol_password: "enrol-password".into(),
        ca_cert: "/nonexistent/ca.pem".into(),
    })
    .expect("a new hub over memory");
    (hub, recorder)
}

impl Hub {
    /// The storage under this hub (to start a second hub over it).
    pub fn storage(&self) -> Arc<dyn Storage> {
        self.inner.parts.storage.clone()
    }
}

/// A participant called `name` with an enrolled tablet `d-{name}` that has connected
/// before (its first-connection messages are not in the way).
pub async fn tablet(hub: &Hub, name: &str) -> (PersonId, DeviceId) {
    let person = hub
        .add_participant(name, None, None)
        .await
        .expect("added")
        .id;
    let mut device: DeviceRecord =
        crate::domain::devices::sample(&format!("d-{}", name.to_lowercase()), person.as_str());
    device.connected_once = true;
    device.enrolled_at = crate::clock::now();
    let mut tx = Tx::new(hub.storage());
    tables::put_device(&mut tx, &device).expect("stored");
    tx.commit().await.expect("committed");
    (person, device.id)
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A new message id.
pub fn message_id() -> MessageId {
    MessageId::parse(&format!("test-{:08}", NEXT.fetch_add(1, Ordering::Relaxed)))
        .expect("a valid id")
}

/// A message from a tablet on its `up` topic; returns it and its id.
pub fn up(device: &DeviceId, body: Body) -> (Inbound, MessageId) {
    let envelope = Envelope::new(message_id(), Party::Device(device.clone()), body);
    let inbound = Inbound {
        topic: Topic::DeviceUp(device.clone()).to_string(),
        payload: envelope.to_bytes(),
    };
    (inbound, envelope.id)
}

/// A fresh tablet says hello on its pairing topic; returns the code the hub gave it
/// to show.
pub async fn pairing_code(hub: &Hub, out: &Recorder, enrolment: &str) -> String {
    let id = nabij_protocol::EnrolmentId::parse(enrolment).expect("an enrolment id");
    let envelope = Envelope::new(
        message_id(),
        Party::Enrolling(id.clone()),
        Body::EnrolHello(nabij_protocol::EnrolHello {
            profile: "pinetab2".into(),
            app_version: "0.1.0".into(),
            hardware_id: None,
        }),
    );
    hub.handle_batch(vec![Inbound {
        topic: Topic::EnrolUp(id.clone()).to_string(),
        payload: envelope.to_bytes(),
    }])
    .await;
    out.take(&Topic::EnrolDown(id))
        .into_iter()
        .find_map(|e| match e.body {
            Body::PairingCode(code) => Some(code.code),
            _ => None,
        })
        .expect("a pairing code")
}

/// A tablet's retained status.
pub fn status(device: &DeviceId, online: bool) -> Inbound {
    let body = Body::Status(DeviceStatus {
        state: if online {
            Presence::Online
        } else {
            Presence::Offline
        },
        app_version: None,
        profile: None,
        battery_pct: None,
        charging: None,
        free_storage_mb: None,
    });
    let envelope = Envelope::new(message_id(), Party::Device(device.clone()), body);
    Inbound {
        topic: Topic::DeviceStatus(device.clone()).to_string(),
        payload: envelope.to_bytes(),
    }
}

/// A text to a person.
pub fn text(to: &PersonId, words: &str) -> Body {
    Body::Text(nabij_protocol::TextMessage {
        to: nabij_protocol::Recipient::Person(to.clone()),
        author: None,
        text: words.into(),
    })
}

/// The ids a tablet's acks named, from the recorded envelopes.
pub fn acked_ids(envelopes: &[Envelope]) -> Vec<MessageId> {
    envelopes
        .iter()
        .filter_map(|e| match &e.body {
            Body::Ack(a) => Some(a.ids.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// A tablet takes everything the hub published to it so far and acknowledges it in one
/// ack, as a kiosk does; returns how many messages that was.
pub async fn take_everything(hub: &Hub, out: &Recorder, device: &DeviceId) -> usize {
    let ids: Vec<MessageId> = out
        .take(&Topic::DeviceDown(device.clone()))
        .into_iter()
        .map(|e| e.id)
        .collect();
    let taken = ids.len();
    hub.handle_batch(vec![up(device, Body::Ack(nabij_protocol::Ack { ids })).0])
        .await;
    taken
}

/// Log lines written on the test's thread, kept in memory.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Whether some line holds every one of `needles`.
    pub fn has_line_with(&self, needles: &[&str]) -> bool {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .any(|line| needles.iter().all(|n| line.contains(n)))
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures what this thread logs (a `#[tokio::test]` runs on one thread) until the
/// guard is dropped, so that a test can check a refusal was logged with its reason.
pub fn capture_logs() -> (Logs, tracing::subscriber::DefaultGuard) {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}
