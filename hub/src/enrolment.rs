//! Pairing fresh tablets: the hub side of `enrol_hello` → `pairing_code` → (a coach enters
//! the code) → `enrol_granted`. Pure decisions over the store; the caller does the MQTT
//! and broker work. See docs/security.md for the threat model.

use crate::devices::{DeviceRecord, DeviceState};
use crate::people::{self, PeopleError};
use crate::secrets::{self, RandomError};
use crate::store::{Store, StoreError};
use nabij_protocol::{
    DeviceId, EnrolGranted, EnrolHello, EnrolRefusal, EnrolmentId, GroupId, PAIRING_ALPHABET,
    PairingCode, PersonId, Secret, UnixMillis,
};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Most `enrol_hello` a pairing tablet may send per minute.
pub const HELLOS_PER_MINUTE: usize = 6;

/// Most tablets pairing at once. More means someone is flooding the enrolment topic.
pub const MAX_PAIRINGS: usize = 500;

const MINUTE: u64 = 60_000;

/// A tablet that is pairing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pairing {
    /// Its enrolment id (MQTT client id of the pairing connection).
    pub enrolment_id: EnrolmentId,
    /// The code it shows.
    pub code: String,
    /// When the code stops working.
    pub expires_at: UnixMillis,
    /// Its firmware profile.
    pub profile: String,
    /// Its kiosk version.
    pub app_version: String,
    /// Its hardware id, if it sent one.
    #[serde(default)]
    pub hardware_id: Option<String>,
    /// When it sent its recent `enrol_hello`s (the last minute), for rate limiting.
    #[serde(default)]
    pub recent_hellos: Vec<UnixMillis>,
    /// Set once a coach entered the code: the identity to send (again, if the tablet asks
    /// again before it ever connected). Deleted when the tablet first connects as itself.
    #[serde(default)]
    pub granted: Option<Granted>,
}

/// An identity given to a pairing tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Granted {
    /// The new device id.
    pub device_id: DeviceId,
    /// Its password, kept only until the tablet first connects.
    pub password: Secret,
}

/// The hub's answer to an `enrol_hello`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloReply {
    /// Show this code.
    Code(PairingCode),
    /// A coach already paired you: here is your identity (again).
    Granted(EnrolGranted),
    /// Not now.
    Refused(EnrolRefusal),
}

/// Why a coach's enrolment failed.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// No tablet shows this code.
    #[error("no tablet is showing the code {0}: check the code on the tablet's screen")]
    UnknownCode(String),
    /// The code is too old.
    #[error("the code {0} has expired: the tablet shows a new one within a minute")]
    Expired(String),
    /// Too many wrong codes were entered.
    #[error("too many wrong codes were entered; wait a minute and try again")]
    TooManyWrongCodes,
    /// The participant could not be found.
    #[error(transparent)]
    People(#[from] PeopleError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Writes a code as the tablet shows it, without the hyphen and in capitals: `k7p-x4c`
/// → `K7PX4C`. Letters outside the alphabet stay, so that the lookup fails plainly.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Answers an `enrol_hello`.
pub fn on_hello(
    store: &Store,
    enrolment_id: &EnrolmentId,
    hello: &EnrolHello,
    now: UnixMillis,
    code_lifetime_ms: u64,
) -> Result<HelloReply, EnrolError> {
    let existing = store.pairings.get(enrolment_id.as_str())?;
    if existing.is_none() && store.pairings.len() >= MAX_PAIRINGS {
        purge_expired(store, now)?;
        if store.pairings.len() >= MAX_PAIRINGS {
            tracing::warn!(%enrolment_id, "too many tablets pairing at once; refusing");
            return Ok(HelloReply::Refused(EnrolRefusal::RateLimited));
        }
    }
    let mut pairing = match existing {
        Some(p) => p,
        None => Pairing {
            enrolment_id: enrolment_id.clone(),
            code: String::new(),
            expires_at: UnixMillis(0),
            profile: hello.profile.clone(),
            app_version: hello.app_version.clone(),
            hardware_id: hello.hardware_id.clone(),
            recent_hellos: Vec::new(),
            granted: None,
        },
    };
    pairing
        .recent_hellos
        .retain(|t| now.0.saturating_sub(t.0) < MINUTE);
    if pairing.recent_hellos.len() >= HELLOS_PER_MINUTE {
        tracing::warn!(%enrolment_id, "pairing tablet sends enrol_hello too often");
        return Ok(HelloReply::Refused(EnrolRefusal::RateLimited));
    }
    pairing.recent_hellos.push(now);
    pairing.profile = hello.profile.clone();
    pairing.app_version = hello.app_version.clone();
    pairing.hardware_id = hello.hardware_id.clone().or(pairing.hardware_id);

    if let Some(granted) = &pairing.granted {
        let never_connected = store
            .devices
            .get(granted.device_id.as_str())?
            .is_some_and(|d| !d.connected_once && d.state == DeviceState::Active);
        if never_connected {
            let reply = EnrolGranted {
                device_id: granted.device_id.clone(),
                password: granted.password.clone(),
            };
            store.pairings.put(enrolment_id.as_str(), &pairing)?;
            return Ok(HelloReply::Granted(reply));
        }
        // The identity was used or withdrawn: this tablet pairs afresh.
        pairing.granted = None;
        pairing.expires_at = UnixMillis(0);
    }
    if pairing.expires_at <= now {
        pairing.code = unused_code(store)?;
        pairing.expires_at = UnixMillis(now.0 + code_lifetime_ms);
    }
    store.pairings.put(enrolment_id.as_str(), &pairing)?;
    Ok(HelloReply::Code(PairingCode {
        code: pairing.code.clone(),
        expires_at: pairing.expires_at,
    }))
}

/// A code no other pairing tablet shows right now.
fn unused_code(store: &Store) -> Result<String, EnrolError> {
    let taken: Vec<String> = store.pairings.all()?.into_iter().map(|p| p.code).collect();
    loop {
        let code = secrets::pairing_code()?;
        if !taken.contains(&code) {
            return Ok(code);
        }
    }
}

fn purge_expired(store: &Store, now: UnixMillis) -> Result<(), StoreError> {
    for pairing in store.pairings.all()? {
        if pairing.granted.is_none() && pairing.expires_at <= now {
            store.pairings.remove(pairing.enrolment_id.as_str())?;
        }
    }
    Ok(())
}

/// Counts wrong codes over the last minute, so that codes cannot be guessed.
#[derive(Debug)]
pub struct WrongCodeLimiter {
    limit: usize,
    recent: VecDeque<UnixMillis>,
}

impl WrongCodeLimiter {
    /// Allows `per_minute` wrong codes in any minute.
    pub fn new(per_minute: u32) -> Self {
        WrongCodeLimiter {
            limit: per_minute as usize,
            recent: VecDeque::new(),
        }
    }

    fn forget_old(&mut self, now: UnixMillis) {
        while self
            .recent
            .front()
            .is_some_and(|t| now.0.saturating_sub(t.0) >= MINUTE)
        {
            self.recent.pop_front();
        }
    }

    fn blocked(&mut self, now: UnixMillis) -> bool {
        self.forget_old(now);
        self.recent.len() >= self.limit
    }

    fn record_wrong(&mut self, now: UnixMillis) {
        self.recent.push_back(now);
    }
}

/// What a successful enrolment made.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// The pairing tablet to send `enrol_granted` to.
    pub enrolment_id: EnrolmentId,
    /// The identity to send.
    pub granted: EnrolGranted,
    /// The new device record.
    pub device: DeviceRecord,
    /// Who it is lent to.
    pub participant: PersonId,
    /// Their group, if any.
    pub group: Option<GroupId>,
}

/// A coach entered `code` for `participant`: make the device, its credential and its loan.
pub fn enrol(
    store: &Store,
    limiter: &mut WrongCodeLimiter,
    code: &str,
    participant: &str,
    now: UnixMillis,
) -> Result<Enrolled, EnrolError> {
    if limiter.blocked(now) {
        return Err(EnrolError::TooManyWrongCodes);
    }
    let code = normalise_code(code);
    let wrong = |limiter: &mut WrongCodeLimiter| {
        limiter.record_wrong(now);
        tracing::warn!(code = %code, "a coach entered a code no tablet shows");
        EnrolError::UnknownCode(code.clone())
    };
    if code.is_empty() || !code.chars().all(|c| PAIRING_ALPHABET.contains(c)) {
        return Err(wrong(limiter));
    }
    let found = store
        .pairings
        .all()?
        .into_iter()
        .find(|p| p.code == code && p.granted.is_none());
    let Some(mut pairing) = found else {
        return Err(wrong(limiter));
    };
    if pairing.expires_at <= now {
        return Err(EnrolError::Expired(code));
    }
    let person = people::find_participant(store, participant)?;

    let device_id = secrets::device_id()?;
    let password = secrets::device_password()?;
    let tablet = pairing
        .hardware_id
        .clone()
        .unwrap_or_else(|| device_id.to_string());
    let device = DeviceRecord {
        id: device_id.clone(),
        tablet: tablet.clone(),
        participant: person.id.clone(),
        profile: pairing.profile.clone(),
        app_version: pairing.app_version.clone(),
        state: DeviceState::Active,
        enrolled_at: now,
        password_hash: secrets::mosquitto_hash(&password)?,
        connected_once: false,
        last_seen: None,
        online: false,
        battery_pct: None,
        charging: None,
        free_storage_mb: None,
        wipe_message: None,
    };
    // A tablet lent before and not returned through `device return` (say, it was
    // re-paired after a reset): its earlier loan ends here.
    for old in store.devices.all()? {
        if old.tablet == tablet && old.id != device_id {
            crate::loans::close(store, &old.id, now, None, Some("re-enrolled".to_owned()))?;
        }
    }
    store.devices.put(device_id.as_str(), &device)?;
    crate::loans::open(store, &tablet, &device_id, &person.id, now)?;
    let granted = Granted {
        device_id: device_id.clone(),
        password: Secret(password),
    };
    pairing.granted = Some(granted.clone());
    store
        .pairings
        .put(pairing.enrolment_id.as_str(), &pairing)?;
    Ok(Enrolled {
        enrolment_id: pairing.enrolment_id,
        granted: EnrolGranted {
            device_id,
            password: granted.password,
        },
        device,
        participant: person.id,
        group: person.group,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::{Role, add_person};

    const LIFETIME: u64 = 15 * MINUTE;

    fn setup() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        add_person(&store, "Jan Claes", Role::Participant, None).unwrap();
        (dir, store)
    }

    fn eid(n: u8) -> EnrolmentId {
        EnrolmentId::parse(&format!("e-{}", format!("{n:02x}").repeat(16))).unwrap()
    }

    fn hello() -> EnrolHello {
        EnrolHello {
            profile: "pinetab2".into(),
            app_version: "0.1.0".into(),
            hardware_id: Some("hw-42".into()),
        }
    }

    fn code_of(reply: HelloReply) -> PairingCode {
        match reply {
            HelloReply::Code(code) => code,
            other => panic!("expected a code, got {other:?}"),
        }
    }

    #[test]
    fn a_hello_gets_a_code_that_stays_until_it_expires() {
        let (_dir, store) = setup();
        let first = code_of(on_hello(&store, &eid(1), &hello(), UnixMillis(0), LIFETIME).unwrap());
        let again =
            code_of(on_hello(&store, &eid(1), &hello(), UnixMillis(MINUTE), LIFETIME).unwrap());
        assert_eq!(first, again);
        let later =
            code_of(on_hello(&store, &eid(1), &hello(), UnixMillis(LIFETIME), LIFETIME).unwrap());
        assert_eq!(later.expires_at, UnixMillis(2 * LIFETIME));
    }

    #[test]
    fn too_many_hellos_are_refused() {
        let (_dir, store) = setup();
        for i in 0..HELLOS_PER_MINUTE as u64 {
            assert!(matches!(
                on_hello(&store, &eid(1), &hello(), UnixMillis(i), LIFETIME).unwrap(),
                HelloReply::Code(_)
            ));
        }
        let reply = on_hello(&store, &eid(1), &hello(), UnixMillis(10), LIFETIME).unwrap();
        assert_eq!(reply, HelloReply::Refused(EnrolRefusal::RateLimited));
        let reply = on_hello(&store, &eid(1), &hello(), UnixMillis(MINUTE + 1), LIFETIME).unwrap();
        assert!(
            matches!(reply, HelloReply::Code(_)),
            "a minute later it may ask again"
        );
    }

    #[test]
    fn enrolling_makes_a_device_a_loan_and_answers_a_repeated_hello_with_the_same_identity() {
        let (_dir, store) = setup();
        let mut limiter = WrongCodeLimiter::new(10);
        let code = code_of(on_hello(&store, &eid(1), &hello(), UnixMillis(0), LIFETIME).unwrap());
        let shown = format!("{}-{}", &code.code[..3], code.code[3..].to_lowercase());
        let enrolled = enrol(&store, &mut limiter, &shown, "jan claes", UnixMillis(5)).unwrap();
        assert_eq!(enrolled.enrolment_id, eid(1));
        let device = store
            .devices
            .get(enrolled.granted.device_id.as_str())
            .unwrap()
            .unwrap();
        assert_eq!(device.tablet, "hw-42");
        assert!(!device.password_hash.contains(&enrolled.granted.password.0));
        let loans = store.loans.all().unwrap();
        assert_eq!(
            (loans.len(), loans[0].participant.as_str()),
            (1, "p-jan-claes")
        );

        let reply = on_hello(&store, &eid(1), &hello(), UnixMillis(6), LIFETIME).unwrap();
        assert_eq!(
            reply,
            HelloReply::Granted(enrolled.granted.clone()),
            "lost enrol_granted is sent again"
        );
        let again = enrol(&store, &mut limiter, &code.code, "Jan Claes", UnixMillis(7));
        assert!(
            matches!(again, Err(EnrolError::UnknownCode(_))),
            "a code works once"
        );
    }

    #[test]
    fn wrong_and_expired_codes_are_refused_and_guessing_is_limited() {
        let (_dir, store) = setup();
        let mut limiter = WrongCodeLimiter::new(3);
        let code = code_of(on_hello(&store, &eid(1), &hello(), UnixMillis(0), LIFETIME).unwrap());
        let expired = enrol(
            &store,
            &mut limiter,
            &code.code,
            "Jan Claes",
            UnixMillis(LIFETIME),
        );
        assert!(matches!(expired, Err(EnrolError::Expired(_))));
        for guess in ["AAAAAA", "CCCCCC", "0OOOOO"] {
            assert!(matches!(
                enrol(&store, &mut limiter, guess, "Jan Claes", UnixMillis(1)),
                Err(EnrolError::UnknownCode(_))
            ));
        }
        let blocked = enrol(&store, &mut limiter, &code.code, "Jan Claes", UnixMillis(2));
        assert!(
            matches!(blocked, Err(EnrolError::TooManyWrongCodes)),
            "even the right code waits"
        );
        let unknown_person = enrol(
            &store,
            &mut limiter,
            &code.code,
            "Mia",
            UnixMillis(MINUTE + 2),
        );
        assert!(matches!(
            unknown_person,
            Err(EnrolError::People(PeopleError::NoParticipant(_)))
        ));
    }
}
