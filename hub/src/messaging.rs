//! Chat between people: who may reach whom, storing each message before it is
//! acknowledged, fanning it out to the recipient's tablets, and turning their acks and
//! "seen" receipts into receipts for the sender (docs/protocol.md §5). Pure decisions over
//! the store; the caller flushes, publishes and acknowledges.

use crate::devices::DeviceRecord;
use crate::people::{self, Person, Role};
use crate::secrets::{self, RandomError};
use crate::store::{Store, StoreError};
use nabij_protocol::{
    Body, CoachCard, Contact, ContactRole, Contacts, DeviceConfig, DeviceId, Envelope, Language,
    MessageId, Party, PersonId, Photo, Receipt, ReceiptState, Recipient, RejectReason, Rejected,
    TextMessage, UnixMillis, VoiceNote,
};
use serde::{Deserialize, Serialize};

/// Why a message could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for ids.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// A coach's approval that two people may write to each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// One person.
    pub a: PersonId,
    /// The other.
    pub b: PersonId,
    /// When.
    pub approved_at: UnixMillis,
}

/// One copy of a message on its way to one tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The recipient's tablet.
    pub device: DeviceId,
    /// The id the hub gave this copy.
    pub hub_id: MessageId,
    /// How far it got.
    #[serde(default)]
    pub state: Option<ReceiptState>,
}

/// A chat message as the hub keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// The hub's own id for it.
    pub uid: String,
    /// The sender's tablet.
    pub from_device: DeviceId,
    /// The sender.
    pub from_person: PersonId,
    /// The id the sender gave it.
    pub sender_id: MessageId,
    /// The recipient.
    pub to: PersonId,
    /// When the hub stored it.
    pub received_at: UnixMillis,
    /// The message as delivered (author filled in), as JSON.
    pub body: serde_json::Value,
    /// The kind (`text`, `voice`, `photo`).
    pub kind: String,
    /// Its copies.
    pub deliveries: Vec<Delivery>,
}

/// What the hub remembers of a message id from a tablet, to answer a resend alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Seen {
    /// Stored under this uid.
    Accepted {
        /// The stored message's uid.
        uid: String,
    },
    /// Refused for good.
    Refused {
        /// Why.
        reason: RejectReason,
        /// Details.
        detail: String,
    },
    /// Handled (a receipt, an answer); nothing to send again but the ack.
    Handled,
}

/// A request or answer from a senior's tablet (`help_request`, `diary_answer`, `rsvp`),
/// kept for the coaches' list and the project's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The tablet.
    pub device: DeviceId,
    /// Its senior.
    pub participant: PersonId,
    /// When the hub got it.
    pub received_at: UnixMillis,
    /// The message, as JSON.
    pub envelope: serde_json::Value,
    /// For a help request: when a coach said they would call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<UnixMillis>,
}

impl Report {
    /// Whether this is a senior's call for help.
    pub fn is_help_request(&self) -> bool {
        self.envelope.get("kind").and_then(|k| k.as_str()) == Some("help_request")
    }
}

/// Keeps a report; true if it is new (a resend is kept once).
pub fn keep_report(
    store: &Store,
    sender: &DeviceRecord,
    envelope: &Envelope,
    now: UnixMillis,
) -> Result<bool, StoreError> {
    let key = seen_key(&sender.id, &envelope.id);
    if store.reports.get(&key)?.is_some() {
        return Ok(false);
    }
    store.reports.put(
        &key,
        &Report {
            device: sender.id.clone(),
            participant: sender.participant.clone(),
            received_at: now,
            envelope: serde_json::to_value(envelope).unwrap_or_default(),
            answered_at: None,
        },
    )?;
    Ok(true)
}

/// A coach answers a participant's calls for help: each open one is marked answered and
/// their tablets hear "{coach} will call you".
pub fn answer_help(
    store: &Store,
    participant: &PersonId,
    coach: &Person,
    now: UnixMillis,
) -> Result<(usize, Vec<(DeviceId, Envelope)>), MessagingError> {
    let mut answered = 0;
    for (key, mut report) in store.reports.entries()? {
        if &report.participant == participant
            && report.is_help_request()
            && report.answered_at.is_none()
        {
            report.answered_at = Some(now);
            store.reports.put(&key, &report)?;
            answered += 1;
        }
    }
    let mut out = Vec::new();
    let reply = Body::HelpReply(nabij_protocol::HelpReply {
        coach: coach.id.clone(),
        coach_name: coach.name.clone(),
    });
    for device in tablets_of(store, participant)? {
        queue(store, &device.id, hub_envelope(reply.clone())?, &mut out)?;
    }
    Ok((answered, out))
}

/// What to do after a message from a tablet.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Acknowledge it to the sender (after the flush) and publish these to tablets.
    Accepted {
        /// Envelopes for tablets, already queued in their outboxes.
        deliver: Vec<(DeviceId, Envelope)>,
    },
    /// Answer with this rejection.
    Refused(Rejected),
}

fn pair_key(a: &PersonId, b: &PersonId) -> String {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    format!("{x}|{y}")
}

fn seen_key(device: &DeviceId, id: &MessageId) -> String {
    format!("{device}|{id}")
}

/// Approves two people as contacts (both ways).
pub fn approve(
    store: &Store,
    a: &PersonId,
    b: &PersonId,
    now: UnixMillis,
) -> Result<(), StoreError> {
    if a == b {
        return Ok(());
    }
    store.contacts.put(
        &pair_key(a, b),
        &Approval {
            a: a.clone(),
            b: b.clone(),
            approved_at: now,
        },
    )
}

/// Whether a coach approved these two.
pub fn are_contacts(store: &Store, a: &PersonId, b: &PersonId) -> Result<bool, StoreError> {
    Ok(store.contacts.get(&pair_key(a, b))?.is_some())
}

/// Everyone `person` may write to, as the `contacts` message carries them.
pub fn contacts_of(store: &Store, person: &PersonId) -> Result<Contacts, StoreError> {
    let mut contacts = Vec::new();
    for approval in store.contacts.all()? {
        let other = if &approval.a == person {
            &approval.b
        } else if &approval.b == person {
            &approval.a
        } else {
            continue;
        };
        if let Some(Person {
            id,
            name,
            role,
            photo,
            ..
        }) = store.people.get(other.as_str())?
        {
            let role = match role {
                Role::Participant => ContactRole::GroupMember,
                Role::Coach => ContactRole::Coach,
                Role::Family => ContactRole::Family,
            };
            contacts.push(Contact {
                person: id,
                name,
                role,
                photo,
            });
        }
    }
    contacts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Contacts { contacts })
}

fn hub_envelope(body: Body) -> Result<Envelope, RandomError> {
    Ok(Envelope::new(secrets::message_id()?, Party::Hub, body))
}

/// Queues an envelope for a tablet (durable once the store is flushed).
fn queue(
    store: &Store,
    device: &DeviceId,
    envelope: Envelope,
    out: &mut Vec<(DeviceId, Envelope)>,
) -> Result<(), StoreError> {
    crate::outbox::push(store, device, &envelope)?;
    out.push((device.clone(), envelope));
    Ok(())
}

/// Queues the current contact list for every tablet of `person`.
pub fn push_contacts(
    store: &Store,
    person: &PersonId,
) -> Result<Vec<(DeviceId, Envelope)>, MessagingError> {
    let mut out = Vec::new();
    let contacts = contacts_of(store, person)?;
    for device in tablets_of(store, person)? {
        queue(
            store,
            &device.id,
            hub_envelope(Body::Contacts(contacts.clone()))?,
            &mut out,
        )?;
    }
    Ok(out)
}

/// The settings and identity a participant's tablets show (`config`): their name, the
/// coach Help calls (see `people::coach_of`), and the project's default sizes.
pub fn config_for(store: &Store, participant: &Person) -> Result<DeviceConfig, StoreError> {
    let coach = people::coach_of(store, participant)?.map(|coach| CoachCard {
        person: coach.id,
        name: coach.name,
        phone: coach.phone.unwrap_or_default(),
        photo: coach.photo,
    });
    Ok(DeviceConfig {
        participant: participant.id.clone(),
        participant_name: participant.name.clone(),
        language: participant.language.unwrap_or(Language::Nl),
        text_scale_pct: 100,
        volume_pct: 80,
        brightness_pct: 80,
        // A coach without a phone number cannot be called; Help then asks the centre.
        coach: coach.filter(|c| !c.phone.is_empty()),
    })
}

/// Queues the current `config` for every tablet of `person`.
pub fn push_config(
    store: &Store,
    person: &PersonId,
) -> Result<Vec<(DeviceId, Envelope)>, MessagingError> {
    let mut out = Vec::new();
    let Some(participant) = store.people.get(person.as_str())? else {
        return Ok(out);
    };
    let config = config_for(store, &participant)?;
    for device in tablets_of(store, person)? {
        queue(
            store,
            &device.id,
            hub_envelope(Body::Config(config.clone()))?,
            &mut out,
        )?;
    }
    Ok(out)
}

/// A coach's message to one person or a whole group: a copy for every tablet of every
/// recipient, author filled in, queued until each tablet acknowledges it.
pub fn from_coach(
    store: &Store,
    body: &Body,
    recipients: &[PersonId],
) -> Result<Vec<(DeviceId, Envelope)>, MessagingError> {
    let mut out = Vec::new();
    for person in recipients {
        for tablet in tablets_of(store, person)? {
            queue(store, &tablet.id, hub_envelope(body.clone())?, &mut out)?;
        }
    }
    Ok(out)
}

fn tablets_of(store: &Store, person: &PersonId) -> Result<Vec<DeviceRecord>, StoreError> {
    Ok(store
        .devices
        .all()?
        .into_iter()
        .filter(|d| &d.participant == person && d.state.may_connect())
        .collect())
}

/// The body as delivered: the same message with the author filled in.
fn delivered_body(body: &Body, author: &PersonId, to: &PersonId) -> Option<Body> {
    let to = Recipient::Person(to.clone());
    let author = Some(author.clone());
    Some(match body {
        Body::Text(t) => Body::Text(TextMessage {
            to,
            author,
            text: t.text.clone(),
        }),
        Body::Voice(v) => Body::Voice(VoiceNote {
            to,
            author,
            audio: v.audio.clone(),
        }),
        Body::Photo(p) => Body::Photo(Photo {
            to,
            author,
            ..p.clone()
        }),
        _ => return None,
    })
}

fn refuse(
    store: &Store,
    key: &str,
    id: &MessageId,
    reason: RejectReason,
    detail: String,
) -> Result<Outcome, StoreError> {
    store.seen.put(
        key,
        &Seen::Refused {
            reason: reason.clone(),
            detail: detail.clone(),
        },
    )?;
    Ok(Outcome::Refused(Rejected {
        id: id.clone(),
        reason,
        detail: Some(detail),
    }))
}

/// A chat message (`text`, `voice`, `photo`) from a tablet.
pub fn accept_chat(
    store: &Store,
    sender: &DeviceRecord,
    envelope: &Envelope,
    now: UnixMillis,
) -> Result<Outcome, MessagingError> {
    let key = seen_key(&sender.id, &envelope.id);
    match store.seen.get(&key)? {
        Some(Seen::Refused { reason, detail }) => {
            return Ok(Outcome::Refused(Rejected {
                id: envelope.id.clone(),
                reason,
                detail: Some(detail),
            }));
        }
        // A resend of a stored message: acknowledge again, deliver nothing twice.
        Some(_) => {
            return Ok(Outcome::Accepted {
                deliver: Vec::new(),
            });
        }
        None => {}
    }
    let to = match &envelope.body {
        Body::Text(TextMessage { to, .. })
        | Body::Voice(VoiceNote { to, .. })
        | Body::Photo(Photo { to, .. }) => to,
        _ => {
            return Ok(Outcome::Accepted {
                deliver: Vec::new(),
            });
        }
    };
    let Recipient::Person(to) = to else {
        let detail = format!("{} may not write to a whole group", sender.participant);
        return Ok(refuse(
            store,
            &key,
            &envelope.id,
            RejectReason::NotAContact,
            detail,
        )?);
    };
    if !are_contacts(store, &sender.participant, to)? {
        tracing::warn!(from = %sender.participant, %to, "message to someone who is not a contact refused");
        let detail = format!("{to} is not on the contact list of {}", sender.participant);
        return Ok(refuse(
            store,
            &key,
            &envelope.id,
            RejectReason::NotAContact,
            detail,
        )?);
    }
    let Some(body) = delivered_body(&envelope.body, &sender.participant, to) else {
        return Ok(Outcome::Accepted {
            deliver: Vec::new(),
        });
    };
    let uid = format!("m-{}", secrets::message_id()?);
    let mut deliver = Vec::new();
    let mut deliveries = Vec::new();
    for tablet in tablets_of(store, to)? {
        let copy = hub_envelope(body.clone())?;
        store.deliveries.put(copy.id.as_str(), &uid)?;
        deliveries.push(Delivery {
            device: tablet.id.clone(),
            hub_id: copy.id.clone(),
            state: None,
        });
        queue(store, &tablet.id, copy, &mut deliver)?;
    }
    let stored = StoredMessage {
        uid: uid.clone(),
        from_device: sender.id.clone(),
        from_person: sender.participant.clone(),
        sender_id: envelope.id.clone(),
        to: to.clone(),
        received_at: now,
        kind: body.kind().to_owned(),
        body: serde_json::to_value(Envelope::new(envelope.id.clone(), Party::Hub, body))
            .unwrap_or_default(),
        deliveries,
    };
    store.messages.put(&uid, &stored)?;
    store.seen.put(&key, &Seen::Accepted { uid })?;
    Ok(Outcome::Accepted { deliver })
}

fn receipt_for_sender(
    store: &Store,
    hub_ids: &[MessageId],
    state: ReceiptState,
    by_device: &DeviceId,
) -> Result<Vec<(DeviceId, Envelope)>, MessagingError> {
    let mut out = Vec::new();
    for hub_id in hub_ids {
        let Some(uid) = store.deliveries.get(hub_id.as_str())? else {
            continue;
        };
        let Some(mut message) = store.messages.get(&uid)? else {
            continue;
        };
        let Some(delivery) = message
            .deliveries
            .iter_mut()
            .find(|d| &d.hub_id == hub_id && &d.device == by_device)
        else {
            continue;
        };
        // Receipts only move forward: delivered, then seen; a repeat tells nothing new.
        let newer = matches!(
            (delivery.state, state),
            (None, _) | (Some(ReceiptState::Delivered), ReceiptState::Seen)
        );
        if !newer {
            continue;
        }
        delivery.state = Some(state);
        store.messages.put(&uid, &message)?;
        let receipt = Receipt {
            ids: vec![message.sender_id.clone()],
            state,
            by: Some(message.to.clone()),
        };
        queue(
            store,
            &message.from_device,
            hub_envelope(Body::Receipt(receipt))?,
            &mut out,
        )?;
    }
    Ok(out)
}

/// A tablet acknowledged copies the hub delivered: tell their senders "delivered".
pub fn on_delivered(
    store: &Store,
    device: &DeviceId,
    acked: &[MessageId],
) -> Result<Vec<(DeviceId, Envelope)>, MessagingError> {
    receipt_for_sender(store, acked, ReceiptState::Delivered, device)
}

/// A tablet says its senior saw messages: tell their senders "seen" (once per message id,
/// however often the tablet resends the receipt).
pub fn on_seen(
    store: &Store,
    device: &DeviceId,
    envelope: &Envelope,
    receipt: &Receipt,
) -> Result<Vec<(DeviceId, Envelope)>, MessagingError> {
    let key = seen_key(device, &envelope.id);
    if store.seen.get(&key)?.is_some() {
        return Ok(Vec::new());
    }
    let out = if receipt.state == ReceiptState::Seen {
        // Seen implies delivered: a lost ack must not leave the sender at "sent".
        let mut out = receipt_for_sender(store, &receipt.ids, ReceiptState::Delivered, device)?;
        out.extend(receipt_for_sender(
            store,
            &receipt.ids,
            ReceiptState::Seen,
            device,
        )?);
        out
    } else {
        Vec::new()
    };
    store.seen.put(&key, &Seen::Handled)?;
    Ok(out)
}
