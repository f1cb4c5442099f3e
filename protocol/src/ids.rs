//! Typed identifiers. Each is a short ASCII string with a fixed prefix, checked when it is
//! parsed, so that the rest of the code never sees an id it cannot put in a topic or a key.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why a text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    /// Which kind of identifier was expected, e.g. "device id".
    pub what: &'static str,
    /// What rule the text broke.
    pub rule: String,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid {}: {}", self.what, self.rule)
    }
}

impl std::error::Error for IdError {}

/// The rule shared by the prefixed ids: `prefix` then 1..=`max_tail` characters from
/// `a-z 0-9 -`. Lower case only, so ids compare the same everywhere (topics, database keys).
fn check_prefixed(
    what: &'static str,
    prefix: &str,
    min_tail: usize,
    max_tail: usize,
    text: &str,
) -> Result<(), IdError> {
    let fail = |rule: String| Err(IdError { what, rule });
    let Some(tail) = text.strip_prefix(prefix) else {
        return fail(format!("{text:?} must start with {prefix:?}"));
    };
    if tail.len() < min_tail || tail.len() > max_tail {
        return fail(format!(
            "{text:?} must have {min_tail} to {max_tail} characters after {prefix:?}"
        ));
    }
    if !tail
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return fail(format!(
            "{text:?} may only use a-z, 0-9 and '-' after {prefix:?}"
        ));
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, |$text:ident| $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses and checks an identifier.
            pub fn parse($text: &str) -> Result<Self, IdError> {
                $check?;
                Ok(Self($text.to_owned()))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `pad`, not `write_str`, so that `{:<20}` lines up tables.
                f.pad(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    /// A tablet, as the hub knows it after enrolment: `d-` and 1–40 of `a-z 0-9 -`.
    /// It is also the device's MQTT username and client id.
    DeviceId, "device id", |text| check_prefixed("device id", "d-", 1, 40, text)
);
string_id!(
    /// A person who can send or receive messages (participant, coach, family member):
    /// `p-` and 1–40 of `a-z 0-9 -`.
    PersonId, "person id", |text| check_prefixed("person id", "p-", 1, 40, text)
);
string_id!(
    /// A group of participants that meets together: `g-` and 1–40 of `a-z 0-9 -`.
    GroupId, "group id", |text| check_prefixed("group id", "g-", 1, 40, text)
);
string_id!(
    /// One meeting in a group's schedule: `s-` and 1–40 of `a-z 0-9 -`.
    SessionId, "session id", |text| check_prefixed("session id", "s-", 1, 40, text)
);
string_id!(
    /// One diary prompt: `q-` and 1–40 of `a-z 0-9 -`.
    PromptId, "prompt id", |text| check_prefixed("prompt id", "q-", 1, 40, text)
);
string_id!(
    /// One questionnaire the hub asks (an instrument at a point of the programme): `v-` and
    /// 1–40 of `a-z 0-9 -`.
    SurveyId, "survey id", |text| check_prefixed("survey id", "v-", 1, 40, text)
);
string_id!(
    /// A fresh tablet's temporary identity while it pairs: `e-` and 32–64 of `a-z 0-9 -`.
    /// The kiosk makes it from at least 128 random bits (32 hex digits); it is the MQTT
    /// client id of the pairing connection, and nobody else can guess it.
    EnrolmentId, "enrolment id", |text| check_prefixed("enrolment id", "e-", 32, 64, text)
);
string_id!(
    /// A message, unique for its sender: 8–64 of `A-Z a-z 0-9 - _` (a UUID or ULID fits).
    MessageId, "message id", |text| check_message_id(text)
);
string_id!(
    /// One answer choice of a diary prompt: 1–32 of `a-z 0-9 - _`.
    ChoiceId, "choice id", |text| check_choice_id(text)
);

impl MessageId {
    /// A UUID of `version` (4: random; 8: made by a rule of the sender's own) from 16
    /// bytes, the version and variant bits set here; always a valid message id.
    pub fn from_uuid_bytes(mut bytes: [u8; 16], version: u8) -> MessageId {
        bytes[6] = (bytes[6] & 0x0f) | (version << 4);
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        MessageId(format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        ))
    }
}

fn check_message_id(text: &str) -> Result<(), IdError> {
    let ok_len = (8..=64).contains(&text.len());
    let ok_chars = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(IdError {
            what: "message id",
            rule: format!("{text:?} must be 8 to 64 characters of A-Z, a-z, 0-9, '-' and '_'"),
        })
    }
}

fn check_choice_id(text: &str) -> Result<(), IdError> {
    let ok_len = (1..=32).contains(&text.len());
    let ok_chars = text
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(IdError {
            what: "choice id",
            rule: format!("{text:?} must be 1 to 32 characters of a-z, 0-9, '-' and '_'"),
        })
    }
}

/// Who sent an envelope: the hub, an enrolled device, or a tablet that is pairing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Party {
    /// The hub itself, written `"hub"`.
    Hub,
    /// An enrolled tablet.
    Device(DeviceId),
    /// A tablet that has no identity yet.
    Enrolling(EnrolmentId),
}

impl Party {
    /// Parses `"hub"`, a device id or an enrolment id.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        match text {
            "hub" => Ok(Party::Hub),
            _ if text.starts_with("d-") => DeviceId::parse(text).map(Party::Device),
            _ if text.starts_with("e-") => EnrolmentId::parse(text).map(Party::Enrolling),
            _ => Err(IdError {
                what: "sender",
                rule: format!(
                    "{text:?} must be \"hub\", a device id (d-…) or an enrolment id (e-…)"
                ),
            }),
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Party::Hub => f.pad("hub"),
            Party::Device(id) => id.fmt(f),
            Party::Enrolling(id) => id.fmt(f),
        }
    }
}

impl Serialize for Party {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Party {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Party::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Where a chat message goes: one person, or (from the hub only) a whole group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// One person (`p-…`).
    Person(PersonId),
    /// Every member of a group (`g-…`).
    Group(GroupId),
}

impl Recipient {
    /// Parses a person id or a group id.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if text.starts_with("g-") {
            GroupId::parse(text).map(Recipient::Group)
        } else {
            PersonId::parse(text)
                .map(Recipient::Person)
                .map_err(|_| IdError {
                    what: "recipient",
                    rule: format!("{text:?} must be a person id (p-…) or a group id (g-…)"),
                })
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Person(id) => id.fmt(f),
            Recipient::Group(id) => id.fmt(f),
        }
    }
}

impl Serialize for Recipient {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Recipient {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Recipient::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_ids_accept_only_their_own_form() {
        assert!(DeviceId::parse("d-7f3a9c2e").is_ok());
        assert!(DeviceId::parse("p-7f3a9c2e").is_err());
        assert!(DeviceId::parse("d-").is_err());
        assert!(DeviceId::parse("d-ABC").is_err());
        assert!(
            DeviceId::parse("d-a/b").is_err(),
            "a slash would escape the topic"
        );
        assert!(
            DeviceId::parse("d-+").is_err(),
            "an MQTT wildcard must never be an id"
        );
        assert!(DeviceId::parse(&format!("d-{}", "a".repeat(41))).is_err());
        assert!(PersonId::parse("p-anna-peeters").is_ok());
        assert!(
            EnrolmentId::parse("e-0123456789abcdef").is_err(),
            "too few random bits"
        );
        assert!(EnrolmentId::parse("e-0123456789abcdef0123456789abcdef").is_ok());
    }

    #[test]
    fn message_ids_fit_uuids_and_ulids() {
        assert!(MessageId::parse("0b6f3c1e-9a4d-4c55-8f0e-2d7b1a9c4e11").is_ok());
        assert!(MessageId::parse("01JDQ8Z6X3K9M2N4P5R7S8T9VW").is_ok());
        assert!(MessageId::parse("short").is_err());
        assert!(MessageId::parse("has space in it").is_err());
        let uuid = MessageId::from_uuid_bytes([0xff; 16], 4);
        assert_eq!(uuid.as_str(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert!(MessageId::parse(uuid.as_str()).is_ok());
    }

    #[test]
    fn party_and_recipient_parse_by_prefix() {
        assert_eq!(Party::parse("hub"), Ok(Party::Hub));
        assert!(matches!(Party::parse("d-1"), Ok(Party::Device(_))));
        assert!(Party::parse("x-1").is_err());
        assert!(matches!(
            Recipient::parse("g-ostend-1"),
            Ok(Recipient::Group(_))
        ));
        assert!(matches!(
            Recipient::parse("p-jan"),
            Ok(Recipient::Person(_))
        ));
        let err = Recipient::parse("jan").unwrap_err();
        assert!(err.to_string().contains("person id"), "{err}");
    }
}
