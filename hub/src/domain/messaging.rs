//! Chat between people: who may reach whom, what the hub keeps of each message, and how
//! receipts move (docs/protocol.md §5).

use crate::domain::people::Person;
use nabij_protocol::{
    Body, CoachCard, DeviceConfig, DeviceId, Language, MessageId, PersonId, Photo, ReceiptState,
    Recipient, RejectReason, TextMessage, UnixMillis, VoiceNote,
};
use serde::{Deserialize, Serialize};

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

/// A chat message as the hub keeps it: who, to whom, when, how far it got. Its content
/// is kept apart (a photo is not rewritten with each receipt) until the retention period
/// has passed; this record stays, for the project's figures.
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
    /// The kind (`text`, `voice`, `photo`).
    pub kind: String,
    /// The payload's size in bytes, as counted against the sender's stored quota.
    #[serde(default)]
    pub size: u64,
    /// Its copies.
    pub deliveries: Vec<Delivery>,
}

/// A coach's mark on a message a senior wrote to them. A coach has no tablet: they read
/// it on the dashboard, and the mark says whether (and when) they opened it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMark {
    /// When the coach first opened the conversation it is in; `None`: not yet.
    #[serde(default)]
    pub read_at: Option<UnixMillis>,
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

/// A request or answer from a senior's tablet (`help_request`, `diary_answer`, `rsvp`,
/// `check_in`), kept for the coaches' list and the project's figures.
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

/// Whether a body is something a senior asks or answers that the hub keeps as a report.
pub fn is_report(body: &Body) -> bool {
    matches!(
        body,
        Body::HelpRequest(_) | Body::DiaryAnswer(_) | Body::Rsvp(_) | Body::CheckIn(_)
    )
}

/// Whether a body is a chat message (the kinds the contact rule and receipts apply to).
pub fn is_chat(body: &Body) -> bool {
    matches!(body, Body::Text(_) | Body::Voice(_) | Body::Photo(_))
}

/// Why a chat message from a tablet is refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatRefusal {
    /// Only the hub writes to groups.
    ToGroup,
    /// The recipient is not an approved contact.
    NotAContact,
    /// The sender has stored more than its quota at the hub.
    OverQuota,
}

impl ChatRefusal {
    /// The protocol's reason.
    pub fn reason(&self) -> RejectReason {
        match self {
            ChatRefusal::ToGroup | ChatRefusal::NotAContact => RejectReason::NotAContact,
            ChatRefusal::OverQuota => RejectReason::QuotaExceeded,
        }
    }
}

/// Where a chat message goes, as its sender wrote it (`None` for other kinds).
pub fn recipient_of(body: &Body) -> Option<&Recipient> {
    match body {
        Body::Text(TextMessage { to, .. })
        | Body::Voice(VoiceNote { to, .. })
        | Body::Photo(Photo { to, .. }) => Some(to),
        _ => None,
    }
}

/// Who a chat message from a tablet is for, or why it may not go: a tablet writes to
/// one person, who must be an approved contact, within its stored quota.
pub fn check_chat(
    body: &Body,
    is_contact: impl FnOnce(&PersonId) -> bool,
    over_quota: bool,
) -> Result<Option<PersonId>, ChatRefusal> {
    let Some(to) = recipient_of(body) else {
        return Ok(None);
    };
    let Recipient::Person(to) = to else {
        return Err(ChatRefusal::ToGroup);
    };
    if !is_contact(to) {
        return Err(ChatRefusal::NotAContact);
    }
    if over_quota {
        return Err(ChatRefusal::OverQuota);
    }
    Ok(Some(to.clone()))
}

/// The id of the copy of a chat message that goes to one of its recipient's tablets:
/// made from the sender's tablet, its message id and the recipient's tablet, so that the
/// copy the hub makes again when a message comes again (after a hub crash lost it before
/// it was stored, having passed it on already) has the same id, and the recipient's
/// tablet, which keeps each id once, does not show it twice. A UUID of version 8 (made by
/// the hub's own rule): the time the sender's tablet gave the message, in milliseconds
/// (48 bits, so that copies are kept in time order, side by side on disk), then a SHA-256
/// of the three.
pub fn copy_id(
    sender: &DeviceId,
    sender_id: &MessageId,
    sent_at: UnixMillis,
    recipient: &DeviceId,
) -> MessageId {
    let mut input = Vec::new();
    for part in [
        "nabij-copy".as_bytes(),
        sender.as_str().as_bytes(),
        sender_id.as_str().as_bytes(),
        recipient.as_str().as_bytes(),
    ] {
        input.extend_from_slice(part);
        input.push(0); // no id holds a zero byte: the parts cannot run into each other
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, &input);
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&sent_at.0.to_be_bytes()[2..]);
    bytes[6..].copy_from_slice(&digest.as_ref()[..10]);
    MessageId::from_uuid_bytes(bytes, 8)
}

/// The body as delivered: the same message with the author filled in.
pub fn delivered_body(body: &Body, author: &PersonId, to: &PersonId) -> Option<Body> {
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

/// Receipts only move forward: delivered, then seen; a repeat tells nothing new.
pub fn receipt_advances(current: Option<ReceiptState>, next: ReceiptState) -> bool {
    matches!(
        (current, next),
        (None, _) | (Some(ReceiptState::Delivered), ReceiptState::Seen)
    )
}

/// The settings and identity a participant's tablets show (`config`): their name, the
/// coach Help calls, when reminders come, and the project's default sizes.
pub fn config_for(
    participant: &Person,
    coach: Option<&Person>,
    reminders: nabij_protocol::ReminderTimes,
) -> DeviceConfig {
    let coach = coach.map(|coach| CoachCard {
        person: coach.id.clone(),
        name: coach.name.clone(),
        phone: coach.phone.clone().unwrap_or_default(),
        photo: coach.photo.clone(),
    });
    DeviceConfig {
        participant: participant.id.clone(),
        participant_name: participant.name.clone(),
        language: participant.language.unwrap_or(Language::Nl),
        text_scale_pct: 100,
        volume_pct: 80,
        brightness_pct: 80,
        // A coach without a phone number cannot be called; Help then asks the centre.
        coach: coach.filter(|c| !c.phone.is_empty()),
        check_in: participant.check_in,
        reminders: Some(reminders),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_id_is_the_same_for_the_same_message_and_tablet_and_only_then() {
        let d = |s: &str| DeviceId::parse(s).unwrap();
        let m = |s: &str| MessageId::parse(s).unwrap();
        let at = UnixMillis(1_795_000_000_000);
        let id = copy_id(&d("d-jan"), &m("msg-0001"), at, &d("d-anna"));
        assert_eq!(id, copy_id(&d("d-jan"), &m("msg-0001"), at, &d("d-anna")));
        assert_eq!(id.as_str().len(), 36);
        assert_eq!(&id.as_str()[14..15], "8", "a UUID of version 8");
        for other in [
            copy_id(&d("d-jan"), &m("msg-0002"), at, &d("d-anna")),
            copy_id(&d("d-jan"), &m("msg-0001"), at, &d("d-anna-2")),
            copy_id(&d("d-piet"), &m("msg-0001"), at, &d("d-anna")),
            // The parts cannot run into each other.
            copy_id(&d("d-ja"), &m("nmsg-0001"), at, &d("d-anna")),
        ] {
            assert_ne!(other, id);
        }
        // Later messages sort later: their copies are kept side by side.
        let later = copy_id(
            &d("d-jan"),
            &m("msg-0000"),
            UnixMillis(at.0 + 1),
            &d("d-anna"),
        );
        assert!(later.as_str() > id.as_str());
    }

    fn text(to: &str) -> Body {
        Body::Text(TextMessage {
            to: Recipient::parse(to).unwrap(),
            author: None,
            text: "Dag".into(),
        })
    }

    #[test]
    fn a_tablet_writes_only_to_one_approved_contact_within_its_quota() {
        let anna = PersonId::parse("p-anna").unwrap();
        assert_eq!(
            check_chat(&text("p-anna"), |p| p == &anna, false),
            Ok(Some(anna.clone()))
        );
        assert_eq!(
            check_chat(&text("p-mia"), |p| p == &anna, false),
            Err(ChatRefusal::NotAContact)
        );
        assert_eq!(
            check_chat(&text("g-oost"), |_| true, false),
            Err(ChatRefusal::ToGroup)
        );
        assert_eq!(
            check_chat(&text("p-anna"), |_| true, true),
            Err(ChatRefusal::OverQuota)
        );
        assert_eq!(ChatRefusal::OverQuota.reason(), RejectReason::QuotaExceeded);
    }

    #[test]
    fn receipts_only_move_forward() {
        use ReceiptState::{Delivered, Seen};
        assert!(receipt_advances(None, Delivered));
        assert!(receipt_advances(None, Seen));
        assert!(receipt_advances(Some(Delivered), Seen));
        assert!(!receipt_advances(Some(Delivered), Delivered));
        assert!(!receipt_advances(Some(Seen), Delivered));
        assert!(!receipt_advances(Some(Seen), Seen));
    }

    #[test]
    fn the_delivered_copy_names_its_author() {
        let jan = PersonId::parse("p-jan").unwrap();
        let anna = PersonId::parse("p-anna").unwrap();
        let Some(Body::Text(t)) = delivered_body(&text("p-anna"), &jan, &anna) else {
            panic!("a text stays a text");
        };
        assert_eq!(t.author, Some(jan));
        assert!(
            delivered_body(
                &Body::Ack(nabij_protocol::Ack { ids: vec![] }),
                &anna,
                &anna
            )
            .is_none()
        );
    }
}
