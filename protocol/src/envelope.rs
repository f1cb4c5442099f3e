//! The envelope every payload travels in, the table of message kinds, and [`decode`]:
//! the one function both hub and kiosk use to turn untrusted bytes into typed values.

use crate::ids::{MessageId, Party};
use crate::messages::*;
use crate::time::UnixMillis;
use crate::topics::{Topic, TopicKind};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// The protocol version this crate speaks, sent as `v` in every envelope. It changes only
/// with an incompatible change; additions (new kinds, new optional fields) keep it.
pub const PROTOCOL_VERSION: u32 = 1;

/// One message on the wire: `{"v", "id", "from", "ts", "kind", "body"}`, in that order.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Protocol version ([`PROTOCOL_VERSION`]).
    pub v: u32,
    /// Unique for the sender; receivers drop a second message with the same id.
    pub id: MessageId,
    /// Who sent it; must match the topic it arrived on.
    pub from: Party,
    /// When the sender created it (not when it was last retried).
    pub ts: UnixMillis,
    /// The kind and its fields.
    pub body: Body,
}

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident($ty:ty) = $name:literal on [$($topic:ident),+] ),* $(,)?) => {
        /// Every message kind. `kind` on the wire is the quoted name; the body is the type.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Body {
            $( $(#[$doc])* $variant($ty), )*
            /// A kind this build does not know, kept as it came (a newer peer sent it).
            /// Receivers log it and never act on it.
            Unknown {
                /// The `kind` field as received.
                kind: String,
                /// The `body` field as received.
                body: serde_json::Value,
            },
        }

        impl Body {
            /// Every kind this build knows, as written on the wire.
            pub const KNOWN_KINDS: &'static [&'static str] = &[$($name),*];

            /// The `kind` field for this body.
            pub fn kind(&self) -> &str {
                match self {
                    $( Body::$variant(_) => $name, )*
                    Body::Unknown { kind, .. } => kind,
                }
            }

            /// The topics this kind may travel on. Unknown kinds are allowed anywhere
            /// (and ignored) so that a newer peer does not break an older one.
            pub fn allowed_on(&self, topic: TopicKind) -> bool {
                match self {
                    $( Body::$variant(_) => matches!(topic, $(TopicKind::$topic)|+), )*
                    Body::Unknown { .. } => true,
                }
            }

            fn from_parts(kind: &str, body: serde_json::Value) -> Result<Body, serde_json::Error> {
                match kind {
                    $( $name => serde_json::from_value(body).map(Body::$variant), )*
                    _ => Ok(Body::Unknown { kind: kind.to_owned(), body }),
                }
            }

            /// Checks the field rules serde cannot express.
            pub fn validate(&self) -> Result<(), Invalid> {
                match self {
                    $( Body::$variant(b) => b.validate(), )*
                    Body::Unknown { .. } => Ok(()),
                }
            }

            fn serialize_into<S: SerializeStruct>(&self, out: &mut S) -> Result<(), S::Error> {
                match self {
                    $( Body::$variant(b) => out.serialize_field("body", b), )*
                    Body::Unknown { body, .. } => out.serialize_field("body", body),
                }
            }
        }
    };
}

kinds! {
    /// A chat text.
    Text(TextMessage) = "text" on [DeviceUp, DeviceDown],
    /// A voice note.
    Voice(VoiceNote) = "voice" on [DeviceUp, DeviceDown],
    /// A photo.
    Photo(Photo) = "photo" on [DeviceUp, DeviceDown],
    /// "Stored; stop resending these ids."
    Ack(Ack) = "ack" on [DeviceUp, DeviceDown],
    /// Delivered / seen, for the sender of chat messages.
    Receipt(Receipt) = "receipt" on [DeviceUp, DeviceDown],
    /// The hub refused a message for good.
    Rejected(Rejected) = "rejected" on [DeviceDown],
    /// A diary question.
    DiaryPrompt(DiaryPrompt) = "diary_prompt" on [DeviceDown],
    /// A diary answer.
    DiaryAnswer(DiaryAnswer) = "diary_answer" on [DeviceUp],
    /// A coming meeting.
    MeetingReminder(MeetingReminder) = "meeting_reminder" on [DeviceDown],
    /// Coming or not.
    Rsvp(Rsvp) = "rsvp" on [DeviceUp],
    /// A meeting moved or was cancelled.
    ScheduleChange(ScheduleChange) = "schedule_change" on [DeviceDown],
    /// "Please call me."
    HelpRequest(HelpRequest) = "help_request" on [DeviceUp],
    /// "Your coach will call you."
    HelpReply(HelpReply) = "help_reply" on [DeviceDown],
    /// The daily "how are you?".
    CheckIn(CheckIn) = "check_in" on [DeviceUp],
    /// A questionnaire to answer, one question a screen.
    Questionnaire(Questionnaire) = "questionnaire" on [DeviceDown],
    /// The answers to a questionnaire.
    QuestionnaireAnswer(QuestionnaireAnswer) = "questionnaire_answer" on [DeviceUp],
    /// A tablet's health (retained, and its last will).
    Status(DeviceStatus) = "status" on [DeviceStatus],
    /// Settings and identity.
    Config(DeviceConfig) = "config" on [DeviceDown],
    /// The approved contact list.
    Contacts(Contacts) = "contacts" on [DeviceDown],
    /// Erase all local data and return to pairing.
    Wipe(Empty) = "wipe" on [DeviceDown],
    /// The tablet was switched off by its coach; its credential no longer works.
    Revoked(Empty) = "revoked" on [DeviceDown],
    /// The PIN of this tablet's coach settings, as a salted hash.
    CoachPin(CoachPin) = "coach_pin" on [DeviceDown],
    /// A fresh tablet asks to be paired.
    EnrolHello(EnrolHello) = "enrol_hello" on [EnrolUp],
    /// The code to show.
    PairingCode(PairingCode) = "pairing_code" on [EnrolDown],
    /// The tablet's new identity.
    EnrolGranted(EnrolGranted) = "enrol_granted" on [EnrolDown],
    /// Pairing refused (for now).
    EnrolRefused(EnrolRefused) = "enrol_refused" on [EnrolDown],
    /// The hub's presence.
    HubStatus(HubStatus) = "hub_status" on [HubStatus],
}

impl Body {
    /// Whether the sender keeps this message in its durable outbox, resending it until
    /// the receiver answers `ack` (or the hub answers `rejected`). Acks and rejections
    /// are answers themselves: a lost one is repaired by the resend it would have stopped.
    pub fn needs_ack(&self) -> bool {
        !matches!(
            self,
            Body::Ack(_)
                | Body::Rejected(_)
                | Body::Revoked(_)
                | Body::Status(_)
                | Body::HubStatus(_)
                | Body::EnrolHello(_)
                | Body::PairingCode(_)
                | Body::EnrolGranted(_)
                | Body::EnrolRefused(_)
                | Body::Unknown { .. }
        )
    }
}

impl Envelope {
    /// A new envelope of this protocol version, stamped now.
    pub fn new(id: MessageId, from: Party, body: Body) -> Self {
        Envelope {
            v: PROTOCOL_VERSION,
            id,
            from,
            ts: UnixMillis::now(),
            body,
        }
    }

    /// The JSON payload to publish.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing our own typed values into a Vec cannot fail: every map key is a string.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl Serialize for Envelope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Envelope", 6)?;
        out.serialize_field("v", &self.v)?;
        out.serialize_field("id", &self.id)?;
        out.serialize_field("from", &self.from)?;
        out.serialize_field("ts", &self.ts)?;
        out.serialize_field("kind", self.body.kind())?;
        self.body.serialize_into(&mut out)?;
        out.end()
    }
}

/// The envelope's fields before the body is typed.
#[derive(Deserialize)]
struct RawEnvelope {
    v: u32,
    id: MessageId,
    from: Party,
    ts: UnixMillis,
    kind: String,
    #[serde(default = "empty_object")]
    body: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// Why a payload was refused. `id` is set whenever a [`glance`](crate::glance) finds a
/// valid message id in it (also in a payload that is too large or not JSON at all), so
/// that the receiver can answer with `rejected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The refused message's id, when it could be read.
    pub id: Option<MessageId>,
    /// What was wrong.
    pub problem: Problem,
}

/// What was wrong with a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Larger than the topic allows.
    TooLarge {
        /// The payload's size in bytes.
        size: usize,
        /// The topic's limit in bytes.
        limit: usize,
    },
    /// Not JSON, or not an envelope, or a body field of the wrong type.
    Malformed(String),
    /// A `v` other than [`PROTOCOL_VERSION`].
    UnsupportedVersion(u32),
    /// A field that breaks a rule.
    Invalid {
        /// The message kind.
        kind: String,
        /// The broken rule.
        invalid: Invalid,
    },
    /// A known kind on a topic it may not travel on.
    WrongTopic {
        /// The message kind.
        kind: String,
        /// The topic it arrived on.
        topic: String,
    },
    /// `from` does not match the topic it arrived on.
    ForgedSender {
        /// The `from` field.
        from: String,
        /// The topic it arrived on.
        topic: String,
    },
}

impl DecodeError {
    /// The `rejected` reason a hub answers this problem with.
    pub fn reject_reason(&self) -> RejectReason {
        match &self.problem {
            Problem::TooLarge { .. } => RejectReason::TooLarge,
            Problem::Malformed(_) | Problem::Invalid { .. } => RejectReason::Malformed,
            Problem::UnsupportedVersion(_) => RejectReason::UnsupportedVersion,
            Problem::WrongTopic { .. } => RejectReason::WrongTopic,
            Problem::ForgedSender { .. } => RejectReason::ForgedSender,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = &self.id {
            write!(f, "message {id}: ")?;
        }
        match &self.problem {
            Problem::TooLarge { size, limit } => {
                write!(
                    f,
                    "payload is {size} bytes; this topic allows at most {limit}"
                )
            }
            Problem::Malformed(why) => write!(f, "not a valid Nabij envelope: {why}"),
            Problem::UnsupportedVersion(v) => {
                write!(
                    f,
                    "protocol version {v} is not supported (this side speaks {PROTOCOL_VERSION})"
                )
            }
            Problem::Invalid { kind, invalid } => {
                write!(f, "{kind}: field `{}` {}", invalid.field, invalid.reason)
            }
            Problem::WrongTopic { kind, topic } => {
                write!(f, "kind {kind:?} may not be sent on {topic}")
            }
            Problem::ForgedSender { from, topic } => {
                write!(f, "sender {from:?} may not publish on {topic}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Turns a payload received on `topic` into a checked envelope: size first (before any
/// parsing), then JSON, version, field rules, whether the kind belongs on this topic, and
/// whether `from` matches the topic. Unknown kinds decode to [`Body::Unknown`].
///
/// A payload over the topic's limit is only glanced at for its id, never parsed: the
/// broker's packet limit ([`crate::limits::MAX_PACKET_BYTES`]) bounds that glance.
pub fn decode(topic: &Topic, payload: &[u8]) -> Result<Envelope, DecodeError> {
    let limit = topic.max_payload_bytes();
    if payload.len() > limit {
        return Err(DecodeError {
            id: crate::glance(payload).message_id(),
            problem: Problem::TooLarge {
                size: payload.len(),
                limit,
            },
        });
    }
    let raw: RawEnvelope = serde_json::from_slice(payload).map_err(|e| DecodeError {
        // Not an envelope, maybe not JSON at all (cut short, a wrong byte in a text): the
        // id is still read if it stands before the mistake, so the sender hears why.
        id: crate::glance(payload).message_id(),
        problem: Problem::Malformed(e.to_string()),
    })?;
    let id = Some(raw.id.clone());
    let fail = |problem| {
        Err(DecodeError {
            id: id.clone(),
            problem,
        })
    };
    if raw.v != PROTOCOL_VERSION {
        return fail(Problem::UnsupportedVersion(raw.v));
    }
    let body = match Body::from_parts(&raw.kind, raw.body) {
        Ok(body) => body,
        Err(e) => return fail(Problem::Malformed(format!("{}: {e}", raw.kind))),
    };
    if let Err(invalid) = body.validate() {
        return fail(Problem::Invalid {
            kind: raw.kind,
            invalid,
        });
    }
    if !body.allowed_on(topic.kind()) {
        return fail(Problem::WrongTopic {
            kind: raw.kind,
            topic: topic.to_string(),
        });
    }
    let sender_ok = match (topic, &raw.from) {
        (Topic::DeviceUp(d) | Topic::DeviceStatus(d), Party::Device(from)) => d == from,
        (Topic::EnrolUp(e), Party::Enrolling(from)) => e == from,
        (Topic::DeviceDown(_) | Topic::EnrolDown(_) | Topic::HubStatus, Party::Hub) => true,
        _ => false,
    };
    if !sender_ok {
        return fail(Problem::ForgedSender {
            from: raw.from.to_string(),
            topic: topic.to_string(),
        });
    }
    Ok(Envelope {
        v: raw.v,
        id: raw.id,
        from: raw.from,
        ts: raw.ts,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceId;

    fn up() -> Topic {
        Topic::DeviceUp(DeviceId::parse("d-7f3a").unwrap())
    }

    fn text_payload(from: &str, kind: &str, body: &str) -> Vec<u8> {
        format!(
            r#"{{"v":1,"id":"0b6f3c1e-9a4d","from":"{from}","ts":1,"kind":"{kind}","body":{body}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_valid_text_decodes() {
        let payload = text_payload("d-7f3a", "text", r#"{"to":"p-anna","text":"Dag Anna"}"#);
        let envelope = decode(&up(), &payload).unwrap();
        assert!(matches!(envelope.body, Body::Text(ref t) if t.text == "Dag Anna"));
    }

    #[test]
    fn unknown_kinds_and_fields_are_kept_not_fatal() {
        let payload = text_payload("d-7f3a", "sticker", r#"{"emoji":"🌷"}"#);
        let envelope = decode(&up(), &payload).unwrap();
        assert_eq!(envelope.body.kind(), "sticker");
        assert!(matches!(envelope.body, Body::Unknown { .. }));
        assert!(
            !envelope.body.needs_ack(),
            "nobody waits for an ack of an unknown kind"
        );

        let payload = text_payload(
            "d-7f3a",
            "text",
            r#"{"to":"p-anna","text":"Dag","font":"big"}"#,
        );
        assert!(
            decode(&up(), &payload).is_ok(),
            "an unknown field is ignored"
        );
    }

    fn problem(payload: &[u8]) -> Problem {
        decode(&up(), payload).unwrap_err().problem
    }

    #[test]
    fn each_bad_payload_gets_its_own_reason() {
        assert!(matches!(problem(b"not json"), Problem::Malformed(_)));
        assert!(matches!(
            problem(&vec![b' '; crate::limits::MAX_PAYLOAD_BYTES + 1]),
            Problem::TooLarge { .. }
        ));
        let v2 = String::from_utf8(text_payload("d-7f3a", "text", "{}"))
            .unwrap()
            .replace("\"v\":1", "\"v\":2");
        assert_eq!(problem(v2.as_bytes()), Problem::UnsupportedVersion(2));
        let forged = text_payload("d-other", "text", r#"{"to":"p-anna","text":"Dag"}"#);
        assert!(matches!(problem(&forged), Problem::ForgedSender { .. }));
        let hub_kind = text_payload("d-7f3a", "wipe", "{}");
        assert!(matches!(problem(&hub_kind), Problem::WrongTopic { .. }));
        let empty = text_payload("d-7f3a", "text", r#"{"to":"p-anna","text":""}"#);
        assert!(matches!(problem(&empty), Problem::Invalid { .. }));
        let wrong_type = text_payload("d-7f3a", "text", r#"{"to":"p-anna","text":5}"#);
        assert!(matches!(problem(&wrong_type), Problem::Malformed(_)));
    }

    #[test]
    fn a_payload_too_large_or_not_json_still_names_its_id() {
        let big = text_payload(
            "d-7f3a",
            "text",
            &format!(r#"{{"to":"p-anna","text":"{}"}}"#, "x".repeat(1_600_000)),
        );
        let err = decode(&up(), &big).unwrap_err();
        assert!(matches!(err.problem, Problem::TooLarge { .. }));
        assert_eq!(err.id.as_ref().unwrap().as_str(), "0b6f3c1e-9a4d");
        assert_eq!(err.reject_reason(), RejectReason::TooLarge);
        for broken in [
            b"{\"v\":1,\"id\":\"0b6f3c1e-9a4d\",\"kind\":\"text\",\"body\":{\"text\":\"\xff\"}}"
                .to_vec(),
            br#"{"v":1,"id":"0b6f3c1e-9a4d","from":"d-7f3a","ts":1,"kind":"te"#.to_vec(),
        ] {
            let err = decode(&up(), &broken).unwrap_err();
            assert!(matches!(err.problem, Problem::Malformed(_)));
            assert_eq!(err.id.as_ref().unwrap().as_str(), "0b6f3c1e-9a4d");
        }
    }

    #[test]
    fn a_broken_body_still_names_its_id_for_the_rejection() {
        let payload = text_payload("d-7f3a", "text", r#"{"to":"nobody"}"#);
        let err = decode(&up(), &payload).unwrap_err();
        assert_eq!(err.id.as_ref().unwrap().as_str(), "0b6f3c1e-9a4d");
        assert_eq!(err.reject_reason(), RejectReason::Malformed);
    }

    #[test]
    fn an_envelope_serialises_in_wire_order() {
        let payload = text_payload("d-7f3a", "text", r#"{"to":"p-anna","text":"Dag"}"#);
        let envelope = decode(&up(), &payload).unwrap();
        assert_eq!(envelope.to_bytes(), payload);
    }
}
