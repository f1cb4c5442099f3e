//! Participants, coaches, family members and the groups they meet in.

use crate::store::{Store, StoreError};
use nabij_protocol::{GroupId, PersonId};
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
    pub language: Option<nabij_protocol::Language>,
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
}

/// Why a person or group could not be added or found.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A name that cannot be used.
    #[error("{0}")]
    BadName(String),
    /// Nobody matches.
    #[error("there is no participant {0:?}; add one with `nabij-hub participant add --name …`")]
    NoParticipant(String),
    /// More than one person matches a name.
    #[error("{name:?} could be {candidates}; use the participant's id instead")]
    Ambiguous {
        /// The name given.
        name: String,
        /// The matching ids.
        candidates: String,
    },
    /// No such group.
    #[error("there is no group {0:?}; add one with `nabij-hub group add --name …`")]
    NoGroup(String),
}

fn check_name(name: &str) -> Result<String, PeopleError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > nabij_protocol::limits::MAX_NAME_CHARS {
        return Err(PeopleError::BadName(format!(
            "a name must have 1 to {} characters",
            nabij_protocol::limits::MAX_NAME_CHARS
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(PeopleError::BadName(
            "a name must not contain control characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// `"Jan Claes-Peeters"` → `"jan-claes-peeters"`: the readable part of an id.
fn slug(name: &str) -> String {
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

/// The first free id of the form `{prefix}{slug}`, `{prefix}{slug}-2`, …
fn free_id(
    prefix: &str,
    name: &str,
    taken: impl Fn(&str) -> Result<bool, StoreError>,
) -> Result<String, StoreError> {
    let base = format!("{prefix}{}", slug(name));
    let mut candidate = base.clone();
    let mut n = 2;
    while taken(&candidate)? {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

/// Adds a group.
pub fn add_group(store: &Store, name: &str) -> Result<Group, PeopleError> {
    let name = check_name(name)?;
    let id = free_id("g-", &name, |id| Ok(store.groups.get(id)?.is_some()))?;
    let group = Group {
        id: GroupId::parse(&id).map_err(|e| PeopleError::BadName(e.to_string()))?,
        name,
        coach: None,
    };
    store.groups.put(group.id.as_str(), &group)?;
    Ok(group)
}

/// Finds a group by id or exact name (ignoring case).
pub fn find_group(store: &Store, key: &str) -> Result<Group, PeopleError> {
    if let Some(group) = store.groups.get(key)? {
        return Ok(group);
    }
    store
        .groups
        .all()?
        .into_iter()
        .find(|g| g.name.eq_ignore_ascii_case(key.trim()))
        .ok_or_else(|| PeopleError::NoGroup(key.to_owned()))
}

/// Adds a person.
pub fn add_person(
    store: &Store,
    name: &str,
    role: Role,
    group: Option<&str>,
) -> Result<Person, PeopleError> {
    let name = check_name(name)?;
    let group = group
        .map(|g| find_group(store, g))
        .transpose()?
        .map(|g| g.id);
    let id = free_id("p-", &name, |id| Ok(store.people.get(id)?.is_some()))?;
    let person = Person {
        id: PersonId::parse(&id).map_err(|e| PeopleError::BadName(e.to_string()))?,
        name,
        role,
        group,
        phone: None,
        photo: None,
        language: None,
    };
    store.people.put(person.id.as_str(), &person)?;
    Ok(person)
}

/// A phone number as written ("059 12 34 56", "+32 59 12 34 56"): digits and the usual
/// separators, with at least six digits.
pub fn check_phone(phone: &str) -> Result<String, PeopleError> {
    let phone = phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = |c: char| c.is_ascii_digit() || " +-/.()".contains(c);
    if phone.chars().count() > 32 || digits < 6 || !phone.chars().all(allowed) {
        return Err(PeopleError::BadName(format!(
            "{phone:?} is not a phone number: use digits, spaces and + - / . ( ), at most 32 characters"
        )));
    }
    Ok(phone.to_owned())
}

/// Adds a coach with the phone number seniors see; with `group`, the coach becomes that
/// group's coach (the one its tablets' Help screen calls).
pub fn add_coach(
    store: &Store,
    name: &str,
    phone: &str,
    group: Option<&str>,
) -> Result<Person, PeopleError> {
    let phone = check_phone(phone)?;
    let group = group.map(|g| find_group(store, g)).transpose()?;
    let mut coach = add_person(store, name, Role::Coach, None)?;
    coach.phone = Some(phone);
    coach.group = group.as_ref().map(|g| g.id.clone());
    store.people.put(coach.id.as_str(), &coach)?;
    if let Some(mut group) = group {
        group.coach = Some(coach.id.clone());
        store.groups.put(group.id.as_str(), &group)?;
    }
    Ok(coach)
}

/// The coach a participant's Help screen shows: their group's coach, else the first coach
/// the hub knows (by id), else none.
pub fn coach_of(store: &Store, participant: &Person) -> Result<Option<Person>, StoreError> {
    if let Some(group) = &participant.group
        && let Some(coach) = store
            .groups
            .get(group.as_str())?
            .and_then(|g| g.coach)
            .map(|id| store.people.get(id.as_str()))
            .transpose()?
            .flatten()
    {
        return Ok(Some(coach));
    }
    Ok(store
        .people
        .all()?
        .into_iter()
        .filter(|p| p.role == Role::Coach)
        .min_by(|a, b| a.id.cmp(&b.id)))
}

/// The participants of a group.
pub fn members_of(store: &Store, group: &GroupId) -> Result<Vec<Person>, StoreError> {
    Ok(store
        .people
        .all()?
        .into_iter()
        .filter(|p| p.role == Role::Participant && p.group.as_ref() == Some(group))
        .collect())
}

/// Finds one person among those `wanted` accepts, by id or by exact name (ignoring
/// case); a name two of them share is refused rather than guessed.
fn find_one(
    store: &Store,
    key: &str,
    wanted: impl Fn(&Person) -> bool,
) -> Result<Person, PeopleError> {
    if let Some(person) = store.people.get(key)?.filter(|p| wanted(p)) {
        return Ok(person);
    }
    let name = key.trim().to_lowercase();
    let matches: Vec<Person> = store
        .people
        .all()?
        .into_iter()
        .filter(|p| wanted(p) && p.name.to_lowercase() == name)
        .collect();
    match matches.as_slice() {
        [] => Err(PeopleError::NoParticipant(key.to_owned())),
        [one] => Ok(one.clone()),
        _ => Err(PeopleError::Ambiguous {
            name: key.to_owned(),
            candidates: matches
                .iter()
                .map(|p| p.id.to_string())
                .collect::<Vec<_>>()
                .join(" or "),
        }),
    }
}

/// Finds anyone (participant, coach, family member) by id or exact name.
pub fn find_person(store: &Store, key: &str) -> Result<Person, PeopleError> {
    find_one(store, key, |_| true)
}

/// Finds a participant by id or exact name.
pub fn find_participant(store: &Store, key: &str) -> Result<Person, PeopleError> {
    find_one(store, key, |p| p.role == Role::Participant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_names_and_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let group = add_group(&store, "Oostende Oost 1").unwrap();
        assert_eq!(group.id.as_str(), "g-oostende-oost-1");
        let a = add_person(
            &store,
            "Jeanne Dûbois",
            Role::Participant,
            Some("oostende oost 1"),
        )
        .unwrap();
        assert_eq!(a.id.as_str(), "p-jeanne-dubois");
        assert_eq!(a.group, Some(group.id));
        let b = add_person(&store, "Jeanne Dubois", Role::Participant, None).unwrap();
        assert_eq!(b.id.as_str(), "p-jeanne-dubois-2");
    }

    #[test]
    fn participants_are_found_by_id_or_unique_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let jan = add_person(&store, "Jan Claes", Role::Participant, None).unwrap();
        assert_eq!(find_participant(&store, "jan claes").unwrap().id, jan.id);
        assert_eq!(find_participant(&store, "p-jan-claes").unwrap().id, jan.id);
        assert!(matches!(
            find_participant(&store, "Mia"),
            Err(PeopleError::NoParticipant(_))
        ));
        add_person(&store, "Jan Claes", Role::Participant, None).unwrap();
        assert!(matches!(
            find_participant(&store, "Jan Claes"),
            Err(PeopleError::Ambiguous { .. })
        ));
        assert!(add_person(&store, " ", Role::Participant, None).is_err());
        assert!(matches!(
            add_person(&store, "X", Role::Participant, Some("nope")),
            Err(PeopleError::NoGroup(_))
        ));
    }
}
