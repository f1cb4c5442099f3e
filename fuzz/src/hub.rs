//! `hub_inbound`: what tablets publish, through the hub's receive path.
//!
//! Input: message lines (see [`crate::input`]), handled as one batch by a hub over
//! memory with the fixture below (a group, its coach, Anna and Ben with tablets and each
//! other as contacts, a programme, a questionnaire), then the same batch again, as a
//! tablet that missed the acknowledgements sends it. Each input starts from the same
//! fixture, so a crash reproduces from its input alone.

use crate::input::{ANNA, BEN, STRANGER};
use nabij_hub::app::{BoxFuture, Gatekeeper, Hub, Inbound, Outlet, OutletClosed, Parts, tables};
use nabij_hub::config::HubConfig;
use nabij_hub::domain::calendar::Date;
use nabij_hub::domain::devices::{DeviceRecord, DeviceState};
use nabij_hub::domain::schedule::{Plan, TimeOfDay};
use nabij_hub::domain::surveys::{Instrument, Round};
use nabij_hub::store::{MemoryStorage, Storage, Tx};
use nabij_protocol::{Body, DeviceId, Direction, Party, PersonId, Topic, UnixMillis};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

/// The broker, as the hub sees it: what it publishes is kept, every tablet may log in.
#[derive(Default)]
pub(crate) struct Broker {
    published: Mutex<Vec<(Topic, Vec<u8>)>>,
}

impl Broker {
    /// Everything published since the last call.
    pub(crate) fn take(&self) -> Vec<(Topic, Vec<u8>)> {
        std::mem::take(&mut *self.published.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Outlet for Broker {
    fn publish(&self, topic: Topic, payload: Vec<u8>) -> BoxFuture<'_, Result<(), OutletClosed>> {
        self.published
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((topic, payload));
        Box::pin(async { Ok(()) })
    }

    fn settled(&self) -> BoxFuture<'_, Result<(), OutletClosed>> {
        Box::pin(async { Ok(()) })
    }
}

impl Gatekeeper for Broker {
    fn allow(&self, _: Vec<(DeviceId, String)>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// A hub over `store`, publishing into `broker`.
pub(crate) fn hub_over(store: Arc<dyn Storage>, broker: Arc<Broker>) -> Hub {
    Hub::new(Parts {
        config: HubConfig::default(),
        storage: store,
        outlet: broker.clone(),
        gate: broker,
        enrol_password: "enrolment password of the fuzz fixture".into(),
        ca_cert: "/nonexistent/ca.pem".into(),
    })
    .expect("a hub over memory")
}

/// The people of the fixture.
pub(crate) struct Cast {
    /// Anna's coach.
    pub coach: PersonId,
    /// Anna, whose tablet is `d-anna`.
    pub anna: PersonId,
}

/// Fills an empty hub with the fixture: Oostende Oost, its coach Marie, Anna and Ben
/// (contacts of each other) with connected tablets, ten weekly meetings from 2030 on and
/// a questionnaire.
pub(crate) async fn fill(hub: &Hub, store: Arc<dyn Storage>) -> Cast {
    let group = hub
        .add_group("Oostende Oost", None)
        .await
        .expect("a group")
        .id;
    let coach = hub
        .add_coach("Marie Dewulf", "059 12 34 56", Some(&group))
        .await
        .expect("a coach")
        .id;
    let anna = hub
        .add_participant("Anna Peeters", Some(&group), None)
        .await
        .expect("Anna")
        .id;
    let ben = hub
        .add_participant("Ben Janssens", Some(&group), None)
        .await
        .expect("Ben")
        .id;
    hub.approve_contacts(&anna, &ben).await.expect("contacts");
    let mut tx = Tx::new(store);
    for (device, person) in [(ANNA, &anna), (BEN, &ben)] {
        let record = DeviceRecord {
            id: DeviceId::parse(device).expect("a device id"),
            tablet: format!("hw-{device}"),
            participant: person.clone(),
            profile: "pinetab2".into(),
            app_version: "0.1.0".into(),
            state: DeviceState::Active,
            enrolled_at: UnixMillis(1_700_000_000_000),
            password_hash: "$7$".into(),
            connected_once: true,
            last_seen: None,
            online: false,
            battery_pct: None,
            charging: None,
            free_storage_mb: None,
            wipe_message: None,
            coach_pin_set_at: None,
        };
        tables::put_device(&mut tx, &record).expect("a device stored");
    }
    tx.commit().await.expect("committed");
    hub.plan_schedule(
        &group,
        Plan {
            first: Date::new(2030, 1, 8).expect("a date"),
            time: TimeOfDay {
                hour: 14,
                minute: 0,
            },
            minutes: 180,
            place: "Buurthuis De Schelp".into(),
            address: None,
        },
    )
    .await
    .expect("a programme");
    hub.send_survey(&group, Instrument::Dejong6, Round::Start)
        .await
        .expect("a questionnaire");
    Cast { coach, anna }
}

/// The fixture, made once per process: its store, and a runtime to run the hub on.
struct Fixture {
    store: MemoryStorage,
    runtime: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let store = Arc::new(MemoryStorage::default());
        let hub = hub_over(store.clone(), Arc::new(Broker::default()));
        runtime.block_on(fill(&hub, store.clone()));
        Fixture {
            store: store.copy(),
            runtime,
        }
    })
}

/// What the hub answered one batch with, read back as a tablet reads it.
#[derive(Default)]
struct Answers {
    /// Ids acknowledged to each tablet.
    acked: BTreeMap<String, BTreeSet<String>>,
    /// Ids rejected to each tablet.
    rejected: BTreeMap<String, BTreeSet<String>>,
}

/// Checks that everything the hub published is something a tablet would accept, and
/// gathers the answers.
fn read(published: Vec<(Topic, Vec<u8>)>) -> Answers {
    let mut answers = Answers::default();
    for (topic, payload) in published {
        assert_eq!(
            topic.direction(),
            Direction::ToDevice,
            "the hub published on a tablet's topic {topic}"
        );
        if payload.is_empty() && topic.retained() {
            continue; // a retained message cleared
        }
        let envelope = nabij_protocol::decode(&topic, &payload).unwrap_or_else(|e| {
            panic!(
                "the hub published what a tablet refuses on {topic}: {e}\n{}",
                String::from_utf8_lossy(&payload)
            )
        });
        assert_eq!(envelope.from, Party::Hub);
        let Topic::DeviceDown(device) = &topic else {
            continue;
        };
        let device = device.as_str().to_owned();
        match &envelope.body {
            Body::Ack(ack) => answers
                .acked
                .entry(device)
                .or_default()
                .extend(ack.ids.iter().map(|id| id.as_str().to_owned())),
            Body::Rejected(rejected) => {
                answers
                    .rejected
                    .entry(device)
                    .or_default()
                    .insert(rejected.id.as_str().to_owned());
            }
            _ => {}
        }
    }
    answers
}

/// The ids of the messages in `batch` that decode as sent by an enrolled tablet on its
/// `up` topic and wait for an answer, per tablet.
fn waiting_for_an_answer(batch: &[Inbound]) -> BTreeMap<String, BTreeSet<String>> {
    let mut waiting: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for message in batch {
        let Ok(topic) = Topic::parse(&message.topic) else {
            continue;
        };
        let Topic::DeviceUp(device) = &topic else {
            continue;
        };
        if device.as_str() == STRANGER {
            continue;
        }
        if let Ok(envelope) = nabij_protocol::decode(&topic, &message.payload)
            && envelope.body.needs_ack()
        {
            waiting
                .entry(device.as_str().to_owned())
                .or_default()
                .insert(envelope.id.as_str().to_owned());
        }
    }
    waiting
}

/// Runs one input.
pub fn inbound(data: &[u8]) {
    let fixture = fixture();
    let batch: Vec<Inbound> = crate::input::messages(data)
        .into_iter()
        .map(|(topic, payload)| Inbound { topic, payload })
        .collect();
    let broker = Arc::new(Broker::default());
    let hub = hub_over(Arc::new(fixture.store.copy()), broker.clone());
    fixture.runtime.block_on(hub.handle_batch(batch.clone()));
    let first = read(broker.take());
    let waiting = waiting_for_an_answer(&batch);
    for (device, ids) in &waiting {
        for id in ids {
            let answered = first.acked.get(device).is_some_and(|a| a.contains(id))
                || first.rejected.get(device).is_some_and(|r| r.contains(id));
            assert!(
                answered,
                "{device}'s message {id} was neither acknowledged nor rejected"
            );
        }
    }
    for (device, ids) in &first.acked {
        let sent = waiting.get(device);
        for id in ids {
            assert!(
                sent.is_some_and(|s| s.contains(id)),
                "{device} was sent an ack of {id}, which it did not send"
            );
        }
    }
    // A tablet that missed the answers sends the batch again: each message is answered
    // again.
    fixture.runtime.block_on(hub.handle_batch(batch.clone()));
    let again = read(broker.take());
    for (device, ids) in &waiting {
        for id in ids {
            let answered = again.acked.get(device).is_some_and(|a| a.contains(id))
                || again.rejected.get(device).is_some_and(|r| r.contains(id));
            assert!(
                answered,
                "{device}'s message {id}, sent again, was neither acknowledged nor rejected"
            );
        }
    }
}
