//! The hub's operations, shared by the MQTT receive path, the command line (through the
//! admin socket) and, later, the dashboard. `Hub` is a cheap handle over shared state.

use crate::broker::Broker;
use crate::clock;
use crate::config::HubConfig;
use crate::devices::{self, DeviceRecord, DeviceState, StatusChange};
use crate::enrolment::{self, EnrolError, HelloReply, WrongCodeLimiter};
use crate::loans::{self, Condition, Loan};
use crate::messaging;
use crate::mqtt::{Inbound, Publisher};
use crate::outbox;
use crate::people::{self, Group, PeopleError, Person, Role};
use crate::pki::PkiPaths;
use crate::secrets::{self, RandomError};
use crate::store::{Store, StoreError};
use nabij_protocol::{
    Ack, Body, DeviceId, Empty, Envelope, Party, RejectReason, Rejected, Topic, decode,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Why a hub operation failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The broker could not be updated.
    #[error(transparent)]
    Broker(#[from] crate::broker::BrokerError),
    /// Pairing failed.
    #[error(transparent)]
    Enrol(#[from] EnrolError),
    /// Messaging failed.
    #[error(transparent)]
    Messaging(#[from] messaging::MessagingError),
    /// A person or group problem.
    #[error(transparent)]
    People(#[from] PeopleError),
    /// No such device.
    #[error("there is no tablet {0}; `nabij-hub device list` shows them all")]
    NoDevice(String),
    /// The device is in the wrong state for this.
    #[error("tablet {id} is {state}; {hint}")]
    WrongState {
        /// The device.
        id: String,
        /// Its state in words.
        state: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// No randomness.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Only coaches send from the hub.
    #[error("{0} is not a coach; add coaches with `nabij-hub coach add --name … --phone …`")]
    NotACoach(String),
    /// A coach may write to a person only once they are contacts.
    #[error(
        "{coach} is not a contact of {person}; approve them first with `nabij-hub contact approve`"
    )]
    NotAContact {
        /// The coach's name.
        coach: String,
        /// The recipient's name.
        person: String,
    },
    /// The message breaks a protocol rule.
    #[error("this message cannot be sent: {0}")]
    BadMessage(String),
    /// The photo cannot be sent.
    #[error(transparent)]
    Photo(#[from] crate::photos::PhotoError),
    /// The MQTT connection is closed.
    #[error(transparent)]
    Mqtt(#[from] crate::mqtt::MqttError),
}

/// What a coach sends from the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CoachMessage {
    /// Words.
    Text {
        /// The text.
        text: String,
    },
    /// A photo (JPEG or PNG file contents) with an optional caption.
    Photo {
        /// The file's bytes.
        image: nabij_protocol::base64::Base64Bytes,
        /// A line under the photo.
        caption: Option<String>,
    },
}

impl CoachMessage {
    /// The protocol body, checked against the protocol's limits.
    fn into_body(
        self,
        to: nabij_protocol::Recipient,
        author: nabij_protocol::PersonId,
    ) -> Result<Body, HubError> {
        use nabij_protocol::{Photo, TextMessage};
        let body = match self {
            CoachMessage::Text { text } => Body::Text(TextMessage {
                to,
                author: Some(author),
                text,
            }),
            CoachMessage::Photo { image, caption } => {
                let photo = crate::photos::inspect(&image.0)?;
                Body::Photo(Photo {
                    to,
                    author: Some(author),
                    mime: photo.mime,
                    width: photo.width,
                    height: photo.height,
                    caption,
                    data: image,
                })
            }
        };
        body.validate()
            .map_err(|e| HubError::BadMessage(format!("{}: {}", e.field, e.reason)))?;
        Ok(body)
    }
}

/// One call for help, for the coaches' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpRow {
    /// Who asked.
    pub participant: nabij_protocol::PersonId,
    /// Their name.
    pub participant_name: String,
    /// From which tablet.
    pub device: DeviceId,
    /// When.
    pub asked_at: nabij_protocol::UnixMillis,
    /// When a coach answered, if one did.
    pub answered_at: Option<nabij_protocol::UnixMillis>,
}

/// How far a coach's message went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentSummary {
    /// People it is for.
    pub people: usize,
    /// Tablets it was queued for.
    pub tablets: usize,
}

/// One line of `device list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRow {
    /// The device.
    pub device: DeviceRecord,
    /// Its participant's name.
    pub participant_name: String,
    /// Whether it has been silent too long.
    pub silent: bool,
}

/// What a successful enrolment tells the coach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolSummary {
    /// The new device.
    pub device: DeviceId,
    /// Who it is lent to.
    pub participant: Person,
}

struct Inner {
    config: HubConfig,
    store: Store,
    broker: tokio::sync::Mutex<Option<Broker>>,
    publisher: Publisher,
    limiter: std::sync::Mutex<WrongCodeLimiter>,
    /// Serialises operations that read, change and write several records, so that two
    /// coaches (or a coach and a tablet) never interleave halfway.
    write: tokio::sync::Mutex<()>,
    pki: PkiPaths,
    enrol_password: String,
}

/// The running hub's operations. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Hub {
    /// Wraps the started parts.
    pub(crate) fn new(
        config: HubConfig,
        store: Store,
        broker: Broker,
        publisher: Publisher,
        pki: PkiPaths,
    ) -> Hub {
        let limiter = WrongCodeLimiter::new(config.enrolment.wrong_codes_per_minute);
        let enrol_password = broker.secrets().enrol_password.clone();
        Hub {
            inner: Arc::new(Inner {
                config,
                store,
                broker: tokio::sync::Mutex::new(Some(broker)),
                publisher,
                limiter: std::sync::Mutex::new(limiter),
                write: tokio::sync::Mutex::new(()),
                pki,
                enrol_password,
            }),
        }
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Stops the managed broker (used once, at shutdown).
    pub(crate) async fn stop_broker(&self) {
        if let Some(broker) = self.inner.broker.lock().await.take() {
            broker.stop().await;
        }
    }

    /// Publishes the hub's offline status and disconnects.
    pub(crate) async fn disconnect(&self) {
        if let Some(offline) = crate::mqtt::offline_status() {
            self.inner.publisher.disconnect(&offline).await;
        }
    }

    /// Makes the broker accept exactly the tablets that may connect now.
    async fn sync_credentials(&self) -> Result<(), HubError> {
        let devices = self.inner.store.devices.all()?;
        let allowed: Vec<(&str, &str)> = devices
            .iter()
            .filter(|d| d.state.may_connect())
            .map(|d| (d.id.as_str(), d.password_hash.as_str()))
            .collect();
        if let Some(broker) = self.inner.broker.lock().await.as_ref() {
            broker.apply_credentials(&allowed).await?;
        }
        Ok(())
    }

    /// The credentials of every tablet that may connect (for starting the broker).
    pub(crate) fn allowed_credentials(store: &Store) -> Result<Vec<(String, String)>, StoreError> {
        Ok(store
            .devices
            .all()?
            .into_iter()
            .filter(|d| d.state.may_connect())
            .map(|d| (d.id.to_string(), d.password_hash))
            .collect())
    }

    fn envelope(body: Body) -> Result<Envelope, HubError> {
        Ok(Envelope::new(secrets::message_id()?, Party::Hub, body))
    }

    fn device(&self, id: &str) -> Result<DeviceRecord, HubError> {
        self.inner
            .store
            .devices
            .get(id)?
            .ok_or_else(|| HubError::NoDevice(id.to_owned()))
    }

    // ----- coach operations -----

    /// A coach entered a pairing code for a participant.
    pub async fn enrol(
        &self,
        code: &str,
        participant: &str,
        group: Option<&str>,
    ) -> Result<EnrolSummary, HubError> {
        let _write = self.inner.write.lock().await;
        let now = clock::now();
        // Check the group before anything is made, so a typo changes nothing.
        let group = group
            .map(|g| people::find_group(&self.inner.store, g))
            .transpose()?;
        let enrolled = {
            let mut limiter = self.inner.limiter.lock().unwrap_or_else(|p| p.into_inner());
            enrolment::enrol(&self.inner.store, &mut limiter, code, participant, now)?
        };
        self.inner.store.flush().await?;
        // The broker must know the credential before the tablet gets it.
        self.sync_credentials().await?;
        let reply = Self::envelope(Body::EnrolGranted(enrolled.granted.clone()))?;
        self.inner
            .publisher
            .publish(&Topic::EnrolDown(enrolled.enrolment_id.clone()), &reply)
            .await?;
        let person = self.inner.store.people.get(enrolled.participant.as_str())?;
        let mut participant =
            person.ok_or_else(|| HubError::NoDevice(enrolled.participant.to_string()))?;
        if let Some(group) = group {
            participant.group = Some(group.id);
            self.inner
                .store
                .people
                .put(participant.id.as_str(), &participant)?;
            self.inner.store.flush().await?;
        }
        tracing::info!(device = %enrolled.device.id, participant = %participant.id, "tablet enrolled");
        Ok(EnrolSummary {
            device: enrolled.granted.device_id,
            participant,
        })
    }

    /// After how many days without a word a tablet counts as silent.
    pub fn silent_after_days(&self) -> u32 {
        self.inner.config.health.silent_after_days
    }

    /// Every tablet (or only the silent ones), newest first.
    pub fn devices(&self, silent_only: bool) -> Result<Vec<DeviceRow>, HubError> {
        let now = clock::now();
        let days = self.inner.config.health.silent_after_days;
        let mut rows = Vec::new();
        for device in self.inner.store.devices.all()? {
            let silent = device.is_silent(now, days);
            if silent_only && !silent {
                continue;
            }
            let participant_name = self
                .inner
                .store
                .people
                .get(device.participant.as_str())?
                .map(|p| p.name)
                .unwrap_or_else(|| device.participant.to_string());
            rows.push(DeviceRow {
                device,
                participant_name,
                silent,
            });
        }
        rows.sort_by_key(|row| std::cmp::Reverse(row.device.enrolled_at));
        Ok(rows)
    }

    /// Switches a tablet off: its credential goes and its connection is cut at once.
    pub async fn revoke(&self, id: &str) -> Result<DeviceRecord, HubError> {
        let _write = self.inner.write.lock().await;
        let mut device = self.device(id)?;
        if device.state == DeviceState::Revoked {
            return Ok(device);
        }
        device.state = DeviceState::Revoked;
        device.online = false;
        device.wipe_message = None;
        self.inner.store.devices.put(id, &device)?;
        outbox::clear(&self.inner.store, &device.id)?;
        self.inner.store.flush().await?;
        // Tell the tablet first, best effort: it also learns it from the refused log-in.
        let notice = Self::envelope(Body::Revoked(Empty {}))?;
        self.inner
            .publisher
            .publish(&Topic::DeviceDown(device.id.clone()), &notice)
            .await?;
        if let Err(e) = self.inner.publisher.settled().await {
            tracing::warn!(error = %e, "could not confirm the revoked notice was passed on; cutting off anyway");
        }
        self.sync_credentials().await?;
        self.inner
            .publisher
            .publish_raw(&Topic::DeviceStatus(device.id.clone()), Vec::new())
            .await?;
        tracing::info!(device = %device.id, "tablet revoked");
        Ok(device)
    }

    /// Tells a tablet to erase itself and return to pairing; its credential goes once
    /// it confirms.
    pub async fn wipe(&self, id: &str) -> Result<DeviceRecord, HubError> {
        let _write = self.inner.write.lock().await;
        let mut device = self.device(id)?;
        match device.state {
            DeviceState::Active => {}
            DeviceState::WipePending => return Ok(device),
            state => {
                return Err(HubError::WrongState {
                    id: id.to_owned(),
                    state: format!("{state:?}").to_lowercase(),
                    hint: "it cannot connect any more, so it cannot be wiped remotely: reset it by hand",
                });
            }
        }
        let wipe = Self::envelope(Body::Wipe(Empty {}))?;
        device.state = DeviceState::WipePending;
        device.wipe_message = Some(wipe.id.clone());
        self.inner.store.devices.put(id, &device)?;
        outbox::push(&self.inner.store, &device.id, &wipe)?;
        self.inner.store.flush().await?;
        if device.online {
            self.inner
                .publisher
                .publish(&Topic::DeviceDown(device.id.clone()), &wipe)
                .await?;
        }
        tracing::info!(device = %device.id, "wipe requested");
        Ok(device)
    }

    /// A tablet came back: record its condition, close the loan, and wipe it (or, if it
    /// is lost or broken and will never answer, switch it off).
    pub async fn return_device(
        &self,
        id: &str,
        condition: Condition,
        note: Option<String>,
    ) -> Result<Option<Loan>, HubError> {
        let loan = {
            let _write = self.inner.write.lock().await;
            let device = self.device(id)?;
            let loan =
                loans::record_return(&self.inner.store, &device.id, clock::now(), condition, note)?;
            self.inner.store.flush().await?;
            loan
        };
        let device = self.device(id)?;
        if device.state == DeviceState::Active {
            match condition {
                Condition::Good | Condition::Damaged => {
                    self.wipe(id).await?;
                }
                Condition::Broken | Condition::Lost => {
                    self.revoke(id).await?;
                }
            }
        }
        Ok(loan)
    }

    /// Adds a participant. In a group with a coach, the coach is on their contact list
    /// from the start.
    pub async fn add_participant(
        &self,
        name: &str,
        group: Option<&str>,
    ) -> Result<Person, HubError> {
        let _write = self.inner.write.lock().await;
        let person = people::add_person(&self.inner.store, name, Role::Participant, group)?;
        if let Some(coach) = people::coach_of(&self.inner.store, &person)?
            .filter(|c| c.group.is_some() && c.group == person.group)
        {
            messaging::approve(&self.inner.store, &person.id, &coach.id, clock::now())?;
        }
        self.inner.store.flush().await?;
        Ok(person)
    }

    /// Adds a coach. With a group, they become its coach: on every member's contact list
    /// and on their tablets' Help screen (sent to the tablets now).
    pub async fn add_coach(
        &self,
        name: &str,
        phone: &str,
        group: Option<&str>,
    ) -> Result<Person, HubError> {
        let (coach, queued) = {
            let _write = self.inner.write.lock().await;
            let store = &self.inner.store;
            let coach = people::add_coach(store, name, phone, group)?;
            let mut queued = Vec::new();
            if let Some(group) = &coach.group {
                for member in people::members_of(store, group)? {
                    messaging::approve(store, &member.id, &coach.id, clock::now())?;
                    queued.extend(messaging::push_contacts(store, &member.id)?);
                    queued.extend(messaging::push_config(store, &member.id)?);
                }
            }
            store.flush().await?;
            (coach, queued)
        };
        self.publish_queued(queued).await?;
        Ok(coach)
    }

    /// Calls for help, newest first: all, or only those no coach has answered yet.
    pub fn help_requests(&self, open_only: bool) -> Result<Vec<HelpRow>, HubError> {
        let store = &self.inner.store;
        let mut rows = Vec::new();
        for report in store.reports.all()? {
            if !report.is_help_request() || (open_only && report.answered_at.is_some()) {
                continue;
            }
            let name = store
                .people
                .get(report.participant.as_str())?
                .map(|p| p.name)
                .unwrap_or_else(|| report.participant.to_string());
            rows.push(HelpRow {
                participant: report.participant,
                participant_name: name,
                device: report.device,
                asked_at: report.received_at,
                answered_at: report.answered_at,
            });
        }
        rows.sort_by_key(|row| std::cmp::Reverse(row.asked_at));
        Ok(rows)
    }

    /// A coach will call a participant who asked for help: their calls are marked answered
    /// and their tablet says "{coach} will call you soon". Returns how many calls it answered.
    pub async fn answer_help(&self, participant: &str, coach: &str) -> Result<usize, HubError> {
        let (answered, queued) = {
            let _write = self.inner.write.lock().await;
            let store = &self.inner.store;
            let participant = people::find_participant(store, participant)?;
            let coach = people::find_person(store, coach)?;
            if coach.role != Role::Coach {
                return Err(HubError::NotACoach(coach.name));
            }
            let done = messaging::answer_help(store, &participant.id, &coach, clock::now())?;
            store.flush().await?;
            done
        };
        self.publish_queued(queued).await?;
        Ok(answered)
    }

    /// Sets the language a participant's tablet speaks, and sends it to their tablets.
    pub async fn set_language(
        &self,
        who: &str,
        language: nabij_protocol::Language,
    ) -> Result<Person, HubError> {
        let (person, queued) = {
            let _write = self.inner.write.lock().await;
            let store = &self.inner.store;
            let mut person = people::find_participant(store, who)?;
            person.language = Some(language);
            store.people.put(person.id.as_str(), &person)?;
            let queued = messaging::push_config(store, &person.id)?;
            store.flush().await?;
            (person, queued)
        };
        self.publish_queued(queued).await?;
        Ok(person)
    }

    /// Sets a person's photo (any JPEG or PNG; made into a small square) and sends it to
    /// the tablets that show it: their contacts' (contact buttons) and, for a coach, those
    /// whose Help screen shows them.
    pub async fn set_photo(&self, who: &str, image: &[u8]) -> Result<Person, HubError> {
        let face = crate::photos::face(image)?;
        let (person, queued) = {
            let _write = self.inner.write.lock().await;
            let store = &self.inner.store;
            let mut person = people::find_person(store, who)?;
            person.photo = Some(nabij_protocol::base64::Base64Bytes(face));
            store.people.put(person.id.as_str(), &person)?;
            let mut queued = Vec::new();
            for other in store.people.all()? {
                if other.role != Role::Participant {
                    continue;
                }
                if messaging::are_contacts(store, &other.id, &person.id)? {
                    queued.extend(messaging::push_contacts(store, &other.id)?);
                }
                if people::coach_of(store, &other)?.is_some_and(|c| c.id == person.id) {
                    queued.extend(messaging::push_config(store, &other.id)?);
                }
            }
            store.flush().await?;
            (person, queued)
        };
        self.publish_queued(queued).await?;
        Ok(person)
    }

    /// A coach's message to one person (an approved contact of the coach) or to a whole
    /// group: stored in each tablet's outbox, flushed, then published.
    pub async fn send_from_coach(
        &self,
        coach: &str,
        to: &str,
        message: CoachMessage,
    ) -> Result<SentSummary, HubError> {
        let (summary, queued) = {
            let _write = self.inner.write.lock().await;
            let store = &self.inner.store;
            let coach = people::find_person(store, coach)?;
            if coach.role != Role::Coach {
                return Err(HubError::NotACoach(coach.name));
            }
            let (recipient, members) = match people::find_group(store, to) {
                Ok(group) => {
                    let members = people::members_of(store, &group.id)?;
                    // A senior can only open a conversation with a contact: a message from
                    // someone else would sit unread for good.
                    let mut strangers = Vec::new();
                    for member in &members {
                        if !messaging::are_contacts(store, &coach.id, &member.id)? {
                            strangers.push(member.name.clone());
                        }
                    }
                    if !strangers.is_empty() {
                        return Err(HubError::NotAContact {
                            coach: coach.name,
                            person: strangers.join(", "),
                        });
                    }
                    (nabij_protocol::Recipient::Group(group.id), members)
                }
                Err(PeopleError::NoGroup(_)) => {
                    let person = people::find_person(store, to)?;
                    if !messaging::are_contacts(store, &coach.id, &person.id)? {
                        return Err(HubError::NotAContact {
                            coach: coach.name,
                            person: person.name,
                        });
                    }
                    (
                        nabij_protocol::Recipient::Person(person.id.clone()),
                        vec![person],
                    )
                }
                Err(e) => return Err(e.into()),
            };
            let body = message.into_body(recipient, coach.id.clone())?;
            let ids: Vec<_> = members.iter().map(|m| m.id.clone()).collect();
            let queued = messaging::from_coach(store, &body, &ids)?;
            store.flush().await?;
            tracing::info!(coach = %coach.id, to, tablets = queued.len(), kind = body.kind(), "coach message queued");
            let summary = SentSummary {
                people: members.len(),
                tablets: queued.len(),
            };
            (summary, queued)
        };
        self.publish_queued(queued).await?;
        Ok(summary)
    }

    /// Adds a group.
    pub fn add_group(&self, name: &str) -> Result<Group, HubError> {
        Ok(people::add_group(&self.inner.store, name)?)
    }

    /// Every person.
    pub fn people(&self) -> Result<Vec<Person>, HubError> {
        Ok(self.inner.store.people.all()?)
    }

    /// Every group.
    pub fn groups(&self) -> Result<Vec<Group>, HubError> {
        Ok(self.inner.store.groups.all()?)
    }

    /// The loan register, oldest first.
    pub fn loans(&self) -> Result<Vec<Loan>, HubError> {
        Ok(self.inner.store.loans.all()?)
    }

    /// The settings a kiosk needs to reach this hub (`host` as tablets reach it).
    pub fn kiosk_settings(&self, host: &str) -> Result<String, HubError> {
        let ca = std::fs::read_to_string(&self.inner.pki.ca_cert).map_err(|source| {
            crate::broker::BrokerError::Io {
                path: self.inner.pki.ca_cert.clone(),
                source,
            }
        })?;
        let port = self.inner.config.broker.tls_port;
        Ok(format!(
            "# Kiosk settings for this hub. Keep them private: they let a tablet ask to be paired.\n\
             [hub]\nhost = \"{host}\"\nport = {port}\nenrolment_password = \"{password}\"\n\
             # The PIN that opens the coach settings on every tablet of this hub.\n\
             coach_pin = \"{pin}\"\nca = \"\"\"\n{ca}\"\"\"\n",
            password = self.inner.enrol_password,
            pin = secrets::coach_pin(&self.inner.enrol_password),
        ))
    }

    // ----- the MQTT receive path -----

    /// Handles one message from the broker. Never fails: every refusal is logged with its
    /// reason (and answered, where the protocol says so).
    pub async fn handle(&self, inbound: Inbound) {
        let topic = match Topic::parse(&inbound.topic) {
            Ok(topic) => topic,
            Err(e) => {
                tracing::warn!(error = %e, "message on a topic outside the protocol ignored");
                return;
            }
        };
        let result = match &topic {
            Topic::EnrolUp(_) => self.on_enrol_message(&topic, &inbound.payload).await,
            Topic::DeviceStatus(id) => self.on_status(&topic, id, &inbound.payload).await,
            Topic::DeviceUp(id) => self.on_device_message(&topic, id, &inbound.payload).await,
            // The hub's own topics come back only if something is misconfigured.
            Topic::DeviceDown(_) | Topic::EnrolDown(_) | Topic::HubStatus => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!(topic = %inbound.topic, error = %e, "could not handle a message");
        }
    }

    async fn on_enrol_message(&self, topic: &Topic, payload: &[u8]) -> Result<(), HubError> {
        let Topic::EnrolUp(enrolment_id) = topic else {
            return Ok(());
        };
        let envelope = match decode(topic, payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(%enrolment_id, reason = %e, "pairing message refused");
                return Ok(());
            }
        };
        let Body::EnrolHello(hello) = envelope.body else {
            tracing::warn!(%enrolment_id, kind = envelope.body.kind(), "pairing message of an unexpected kind ignored");
            return Ok(());
        };
        let reply = {
            let _write = self.inner.write.lock().await;
            let lifetime = self.inner.config.enrolment.code_lifetime_secs * 1000;
            let reply = enrolment::on_hello(
                &self.inner.store,
                enrolment_id,
                &hello,
                clock::now(),
                lifetime,
            )?;
            self.inner.store.flush().await?;
            reply
        };
        let body = match reply {
            HelloReply::Code(code) => Body::PairingCode(code),
            HelloReply::Granted(granted) => Body::EnrolGranted(granted),
            HelloReply::Refused(reason) => {
                Body::EnrolRefused(nabij_protocol::EnrolRefused { reason })
            }
        };
        let answer = Self::envelope(body)?;
        self.inner
            .publisher
            .publish(&Topic::EnrolDown(enrolment_id.clone()), &answer)
            .await?;
        Ok(())
    }

    async fn on_status(
        &self,
        topic: &Topic,
        id: &DeviceId,
        payload: &[u8],
    ) -> Result<(), HubError> {
        if payload.is_empty() {
            return Ok(()); // a cleared retained status
        }
        let envelope = match decode(topic, payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(device = %id, reason = %e, "status refused");
                return Ok(());
            }
        };
        let Body::Status(status) = envelope.body else {
            return Ok(());
        };
        let change = {
            let _write = self.inner.write.lock().await;
            devices::apply_status(&self.inner.store, id, &status, clock::now())?
        };
        if let StatusChange::CameOnline { first_time } = change {
            if first_time {
                self.forget_pairing_of(id).await?;
                // Its settings and contact list go into its outbox, which is sent just below.
                let _write = self.inner.write.lock().await;
                if let Some(device) = self.inner.store.devices.get(id.as_str())? {
                    messaging::push_config(&self.inner.store, &device.participant)?;
                    messaging::push_contacts(&self.inner.store, &device.participant)?;
                    self.inner.store.flush().await?;
                }
                drop(_write);
                tracing::info!(device = %id, "tablet connected as itself for the first time");
            }
            self.resend_pending(id).await?;
        }
        Ok(())
    }

    /// The pairing record kept the tablet's password for a resend; once the tablet has
    /// connected with it, it is no longer needed, so it goes.
    async fn forget_pairing_of(&self, id: &DeviceId) -> Result<(), HubError> {
        let _write = self.inner.write.lock().await;
        for pairing in self.inner.store.pairings.all()? {
            if pairing.granted.as_ref().is_some_and(|g| &g.device_id == id) {
                self.inner
                    .store
                    .pairings
                    .remove(pairing.enrolment_id.as_str())?;
            }
        }
        Ok(())
    }

    /// Publishes everything a tablet has not acknowledged yet, oldest first.
    pub async fn resend_pending(&self, id: &DeviceId) -> Result<(), HubError> {
        let topic = Topic::DeviceDown(id.clone());
        for (_, payload) in outbox::pending(&self.inner.store, id)? {
            self.inner.publisher.publish_raw(&topic, payload).await?;
        }
        Ok(())
    }

    /// Resends pending messages to every tablet that is online (the periodic resend of
    /// docs/protocol.md §5).
    pub async fn resend_to_online_devices(&self) -> Result<(), HubError> {
        for device in self.inner.store.devices.all()? {
            if device.online && device.state.may_connect() {
                self.resend_pending(&device.id).await?;
            }
        }
        Ok(())
    }

    async fn reject(
        &self,
        device: &DeviceId,
        id: nabij_protocol::MessageId,
        reason: RejectReason,
        detail: String,
    ) -> Result<(), HubError> {
        let answer = Self::envelope(Body::Rejected(Rejected {
            id,
            reason,
            detail: Some(detail),
        }))?;
        self.inner
            .publisher
            .publish(&Topic::DeviceDown(device.clone()), &answer)
            .await?;
        Ok(())
    }

    async fn on_device_message(
        &self,
        topic: &Topic,
        id: &DeviceId,
        payload: &[u8],
    ) -> Result<(), HubError> {
        let device = self.inner.store.devices.get(id.as_str())?;
        let envelope = match decode(topic, payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(device = %id, reason = %e, "message refused");
                if let Some(message) = e.id.clone() {
                    self.reject(id, message, e.reject_reason(), e.to_string())
                        .await?;
                }
                return Ok(());
            }
        };
        if !device.as_ref().is_some_and(|d| d.state.may_connect()) {
            tracing::warn!(device = %id, "message from a tablet that is not enrolled refused");
            return self
                .reject(
                    id,
                    envelope.id,
                    RejectReason::NotEnrolled,
                    "this tablet is not enrolled".into(),
                )
                .await;
        }
        {
            let _write = self.inner.write.lock().await;
            devices::touch(&self.inner.store, id, clock::now())?;
        }
        let Some(device) = device else { return Ok(()) };
        match &envelope.body {
            Body::Ack(Ack { ids }) => self.on_ack(id, ids).await,
            Body::Text(_) | Body::Voice(_) | Body::Photo(_) => {
                self.on_chat(&device, &envelope).await
            }
            Body::Receipt(receipt) => self.on_receipt(&device, &envelope, receipt).await,
            Body::HelpRequest(_) | Body::DiaryAnswer(_) | Body::Rsvp(_) => {
                self.on_report(&device, &envelope).await
            }
            Body::Unknown { kind, .. } => {
                tracing::warn!(device = %id, %kind, "message of an unknown kind refused");
                self.reject(
                    id,
                    envelope.id.clone(),
                    RejectReason::UnknownKind,
                    format!("this hub does not know {kind:?}"),
                )
                .await
            }
            other => {
                // Not acknowledged on purpose: the tablet keeps it in its outbox, and a hub
                // that handles this kind will take it then. Nothing is lost.
                tracing::info!(device = %id, kind = other.kind(), "message kind not handled by this hub version; left with the tablet");
                Ok(())
            }
        }
    }

    /// A senior's request or answer: kept (flushed), then acknowledged. A call for help
    /// is logged loudly: until the dashboard lists it, the log is where coaches see it.
    async fn on_report(&self, device: &DeviceRecord, envelope: &Envelope) -> Result<(), HubError> {
        let fresh = {
            let _write = self.inner.write.lock().await;
            let fresh = messaging::keep_report(&self.inner.store, device, envelope, clock::now())?;
            self.inner.store.flush().await?;
            fresh
        };
        if fresh {
            match &envelope.body {
                Body::HelpRequest(_) => tracing::warn!(
                    participant = %device.participant,
                    device = %device.id,
                    "HELP: the senior asks their coach to call"
                ),
                other => tracing::info!(
                    participant = %device.participant,
                    kind = other.kind(),
                    "answer kept"
                ),
            }
        }
        self.ack(&device.id, &envelope.id).await
    }

    /// Publishes queued envelopes now to the tablets that are online; the others get
    /// them from their outbox when they come back.
    async fn publish_queued(&self, items: Vec<(DeviceId, Envelope)>) -> Result<(), HubError> {
        for (device, envelope) in items {
            let online = self
                .inner
                .store
                .devices
                .get(device.as_str())?
                .is_some_and(|d| d.online);
            if online {
                self.inner
                    .publisher
                    .publish(&Topic::DeviceDown(device), &envelope)
                    .await?;
            }
        }
        Ok(())
    }

    async fn ack(&self, device: &DeviceId, id: &nabij_protocol::MessageId) -> Result<(), HubError> {
        let ack = Self::envelope(Body::Ack(Ack {
            ids: vec![id.clone()],
        }))?;
        self.inner
            .publisher
            .publish(&Topic::DeviceDown(device.clone()), &ack)
            .await?;
        Ok(())
    }

    /// A chat message: stored and flushed, then acknowledged, then passed on.
    async fn on_chat(&self, sender: &DeviceRecord, envelope: &Envelope) -> Result<(), HubError> {
        let outcome = {
            let _write = self.inner.write.lock().await;
            let outcome =
                messaging::accept_chat(&self.inner.store, sender, envelope, clock::now())?;
            self.inner.store.flush().await?;
            outcome
        };
        match outcome {
            messaging::Outcome::Accepted { deliver } => {
                self.ack(&sender.id, &envelope.id).await?;
                self.publish_queued(deliver).await
            }
            messaging::Outcome::Refused(rejected) => {
                let answer = Self::envelope(Body::Rejected(rejected))?;
                self.inner
                    .publisher
                    .publish(&Topic::DeviceDown(sender.id.clone()), &answer)
                    .await?;
                Ok(())
            }
        }
    }

    /// A "seen" receipt from a recipient's tablet.
    async fn on_receipt(
        &self,
        device: &DeviceRecord,
        envelope: &Envelope,
        receipt: &nabij_protocol::Receipt,
    ) -> Result<(), HubError> {
        let receipts = {
            let _write = self.inner.write.lock().await;
            let receipts = messaging::on_seen(&self.inner.store, &device.id, envelope, receipt)?;
            self.inner.store.flush().await?;
            receipts
        };
        self.ack(&device.id, &envelope.id).await?;
        self.publish_queued(receipts).await
    }

    /// Approves two people as contacts and sends both their new lists.
    pub async fn approve_contacts(&self, a: &str, b: &str) -> Result<(Person, Person), HubError> {
        let queued = {
            let _write = self.inner.write.lock().await;
            let (pa, pb) = (
                people::find_person(&self.inner.store, a)?,
                people::find_person(&self.inner.store, b)?,
            );
            messaging::approve(&self.inner.store, &pa.id, &pb.id, clock::now())?;
            let mut queued = messaging::push_contacts(&self.inner.store, &pa.id)?;
            queued.extend(messaging::push_contacts(&self.inner.store, &pb.id)?);
            self.inner.store.flush().await?;
            (queued, pa, pb)
        };
        let (queued, pa, pb) = queued;
        self.publish_queued(queued).await?;
        Ok((pa, pb))
    }

    async fn on_ack(
        &self,
        id: &DeviceId,
        ids: &[nabij_protocol::MessageId],
    ) -> Result<(), HubError> {
        let _write = self.inner.write.lock().await;
        let removed = outbox::acknowledge(&self.inner.store, id, ids)?;
        let receipts = messaging::on_delivered(&self.inner.store, id, &removed)?;
        if !receipts.is_empty() {
            self.inner.store.flush().await?;
            self.publish_queued(receipts).await?;
        }
        let Some(mut device) = self.inner.store.devices.get(id.as_str())? else {
            return Ok(());
        };
        let wiped = device
            .wipe_message
            .as_ref()
            .is_some_and(|w| removed.contains(w));
        if wiped {
            device.state = DeviceState::Wiped;
            device.wipe_message = None;
            device.online = false;
            self.inner.store.devices.put(id.as_str(), &device)?;
            outbox::clear(&self.inner.store, id)?;
            loans::close(
                &self.inner.store,
                id,
                clock::now(),
                None,
                Some("wiped".to_owned()),
            )?;
        }
        self.inner.store.flush().await?;
        if wiped {
            self.sync_credentials().await?;
            self.inner
                .publisher
                .publish_raw(&Topic::DeviceStatus(id.clone()), Vec::new())
                .await?;
            tracing::info!(device = %id, "tablet wiped itself; its credential is gone");
        }
        Ok(())
    }
}
