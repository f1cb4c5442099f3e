//! Participants, coaches, family members and the groups they meet in.

use nabij_protocol::{ContactRole, GroupId, Language, PersonId};
use serde::{Deserialize, Serialize};

/// What a person is to the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A senior with a tablet on loan.
    Participant,
    /// An ICT coach.
    Coach,
    /// A family member or friend a coach added.
    Family,
}

impl Role {
    /// How a senior's contact list shows someone with this role.
    pub fn as_contact(self) -> ContactRole {
        match self {
            Role::Participant => ContactRole::GroupMember,
            Role::Coach => ContactRole::Coach,
            Role::Family => ContactRole::Family,
        }
    }
}

/// A person the hub knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Their id.
    pub id: PersonId,
    /// Their name as others know them.
    pub name: String,
    /// What they are to the project.
    pub role: Role,
    /// The group they meet in, if any.
    #[serde(default)]
    pub group: Option<GroupId>,
    /// A phone number to show seniors (coaches: on the tablet's Help screen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A small square JPEG of their face, for tablets (see `photos::face`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<nabij_protocol::base64::Base64Bytes>,
    /// The language their tablet speaks (Dutch when not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Whether their tablet asks "How are you today?" once a day.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_in: bool,
    /// Their street address (for transport and home visits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Whether they need transport to the meetings.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transport: bool,
    /// What they agreed to.
    #[serde(default)]
    pub consent: Consent,
    /// Their own meeting reminder times, when a coach set them (else the hub's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<nabij_protocol::ReminderTimes>,
}

/// What a participant agreed to, and when it last changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Photos of them may be shared with their group.
    #[serde(default)]
    pub photos: bool,
    /// Their figures (never their words) may count in the project's evaluation.
    #[serde(default)]
    pub research: bool,
    /// Their phone number may be printed on the keepsakes of the people they are in
    /// touch with, at the end of the loan.
    #[serde(default)]
    pub phone_on_keepsakes: bool,
    /// When a coach last recorded a change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<nabij_protocol::UnixMillis>,
}

/// A time a participant belonged to a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The group.
    pub group: GroupId,
    /// From when.
    pub from: nabij_protocol::UnixMillis,
    /// Until when (open while they are in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<nabij_protocol::UnixMillis>,
}

/// The id an erased participant's traces carry: messages they sent to others, the loan
/// register, past tablets (the protocol's, so tablets file their messages alike).
pub const FORMER_PARTICIPANT: &str = nabij_protocol::FORMER_PARTICIPANT;

/// How a former participant is shown wherever a name would be.
pub const FORMER_PARTICIPANT_WORDS: &str = "a former participant";

/// The name to show for `id`: the person's when they are known, "a former participant"
/// for an erased one, else the id itself.
pub fn shown_name(id: &PersonId, known: Option<&Person>) -> String {
    match known {
        Some(person) => person.name.clone(),
        None if id.as_str() == FORMER_PARTICIPANT => FORMER_PARTICIPANT_WORDS.to_owned(),
        None => id.to_string(),
    }
}

/// Whether `typed` is `person`'s full name (case and spacing aside): the confirmation
/// an erasure asks for.
pub fn confirms_name(person: &Person, typed: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    !typed.trim().is_empty() && words(typed) == words(&person.name)
}

/// An address as written, checked: 1 to 160 characters, one line.
pub fn check_address(address: &str) -> Result<String, NameError> {
    let address = address.trim();
    if address.is_empty() || address.chars().count() > 160 || address.chars().any(char::is_control)
    {
        return Err(NameError::Address);
    }
    Ok(address.to_owned())
}

/// A group of participants that meets together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Its id.
    pub id: GroupId,
    /// Its name, e.g. "Oostende Oost 1".
    pub name: String,
    /// The coach its seniors call from the Help screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coach: Option<PersonId>,
    /// The neighbourhood it meets in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neighbourhood: Option<String>,
}

/// A name or phone number that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty or too long.
    #[error("a name must have 1 to {max} characters")]
    Length {
        /// The longest allowed.
        max: usize,
    },
    /// Has control characters.
    #[error("a name must not contain control characters")]
    Control,
    /// Not an address.
    #[error("an address has 1 to 160 characters, on one line")]
    Address,
    /// Not a phone number.
    #[error(
        "{0:?} is not a phone number: use digits, spaces and + - / . ( ), at most 32 characters"
    )]
    Phone(String),
}

/// A name as people type it, trimmed and checked against the protocol's limits.
pub fn check_name(name: &str) -> Result<String, NameError> {
    let name = name.trim();
    let max = nabij_protocol::limits::MAX_NAME_CHARS;
    if name.is_empty() || name.chars().count() > max {
        return Err(NameError::Length { max });
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    Ok(name.to_owned())
}

/// A phone number as written ("059 12 34 56", "+32 59 12 34 56"): digits and the usual
/// separators, with at least six digits.
pub fn check_phone(phone: &str) -> Result<String, NameError> {
    let phone = phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = |c: char| c.is_ascii_digit() || " +-/.()".contains(c);
    if phone.chars().count() > 32 || digits < 6 || !phone.chars().all(allowed) {
        return Err(NameError::Phone(phone.to_owned()));
    }
    Ok(phone.to_owned())
}

/// `"Jan Claes-Peeters"` → `"jan-claes-peeters"`: the readable part of an id.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_owned();
    out.truncate(30);
    if out.is_empty() {
        "x".to_owned()
    } else {
        out.trim_end_matches('-').to_owned()
    }
}

/// Candidate ids for a name: `{prefix}{slug}`, then `-2`, `-3`, … The caller takes the
/// first one not in use.
pub fn id_candidates(prefix: &str, name: &str) -> impl Iterator<Item = String> {
    let base = format!("{prefix}{}", slug(name));
    (1..).map(move |n| {
        if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_made_from_names() {
        assert_eq!(slug("Jeanne Dûbois"), "jeanne-dubois");
        assert_eq!(slug("  Oostende Oost 1 "), "oostende-oost-1");
        assert_eq!(slug("***"), "x");
        let ids: Vec<String> = id_candidates("p-", "Jan Claes").take(3).collect();
        assert_eq!(ids, ["p-jan-claes", "p-jan-claes-2", "p-jan-claes-3"]);
    }

    #[test]
    fn names_and_phones_are_checked() {
        assert_eq!(check_name("  Jan ").unwrap(), "Jan");
        assert!(matches!(check_name(" "), Err(NameError::Length { .. })));
        assert_eq!(check_name("a\u{7}b"), Err(NameError::Control));
        assert_eq!(check_phone(" 059 12 34 56 ").unwrap(), "059 12 34 56");
        assert!(check_phone("12345").is_err());
        assert!(check_phone("059 12 34 56; rm").is_err());
    }
}
