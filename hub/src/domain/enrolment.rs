//! Pairing fresh tablets: the rules of `enrol_hello` → `pairing_code` → (a coach enters the
//! code) → `enrol_granted`. See docs/security.md for the threat model.
//!
//! A tablet pairing is present only while it keeps saying hello (every
//! [`HEARTBEAT_MS`]): the broker lets each pairing connection write only its own
//! enrolment topic, so a pairing is one connection, and one that goes quiet is forgotten
//! after [`PRESENCE_TIMEOUT_MS`]. Waiting pairings live in memory (they hold no secret and
//! need no disk); when [`MAX_PAIRINGS`] are present, the one heard from least recently
//! makes room, so a real tablet, which says hello every half minute, keeps its code
//! unless someone opens that many pairing connections every half minute. A grant is kept
//! on disk without its password: a tablet that asks again gets a fresh one.

use crate::domain::devices::{DeviceRecord, DeviceState};
use nabij_protocol::{
    DeviceId, EnrolHello, EnrolRefusal, EnrolmentId, PAIRING_ALPHABET, PairingCode, PersonId,
    UnixMillis,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Most `enrol_hello` a pairing tablet may send per minute (two are its heartbeat).
pub const HELLOS_PER_MINUTE: usize = 6;

/// How often a pairing tablet says hello while it shows a code (docs/protocol.md §6.20).
pub const HEARTBEAT_MS: u64 = 30_000;

/// A pairing not heard from for this long is forgotten: its tablet went away (three
/// heartbeats, so one lost message does not end it).
pub const PRESENCE_TIMEOUT_MS: u64 = 3 * HEARTBEAT_MS;

/// Most tablets pairing at once, a bound on memory: beyond it, the pairing heard from
/// least recently is forgotten to make room (never is a new one refused).
pub const MAX_PAIRINGS: usize = 10_000;

/// How long a grant waits for its tablet's first connection before it is forgotten.
pub const GRANT_LIFETIME_MS: u64 = 60 * MINUTE;

/// After a grant went out, a hello within this long gets no answer: it was said before
/// the tablet had the grant (its heartbeat), and a fresh password would overtake the one
/// it is about to use. A tablet that really lost the grant asks again after 30 s without
/// an answer, past this.
pub const GRANT_QUIET_MS: u64 = 20_000;

const MINUTE: u64 = 60_000;

/// A tablet that is pairing (in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub hardware_id: Option<String>,
    /// When it sent its recent `enrol_hello`s (the last minute), for rate limiting.
    pub recent_hellos: Vec<UnixMillis>,
    /// When it last said hello: it is present while this is recent.
    pub last_heard: UnixMillis,
}

impl Pairing {
    /// Whether a coach may still enter this pairing's code.
    pub fn is_waiting(&self, now: UnixMillis) -> bool {
        self.expires_at > now
    }
}

/// An identity given to a pairing tablet, kept until it first connects as itself (or
/// [`GRANT_LIFETIME_MS`] passed), so that a tablet that lost it can ask again. Never its
/// password: the hub keeps only the hash, in the device record, and a tablet that asks
/// again gets a fresh password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The pairing tablet's enrolment id.
    pub enrolment_id: EnrolmentId,
    /// The new device id.
    pub device_id: DeviceId,
    /// When a coach entered the code.
    pub granted_at: UnixMillis,
    /// When a password was last sent (the first grant, or a fresh one since).
    pub sent_at: UnixMillis,
}

impl Grant {
    /// Whether the grant is too old to be sent again.
    pub fn expired(&self, now: UnixMillis) -> bool {
        now.0.saturating_sub(self.granted_at.0) >= GRANT_LIFETIME_MS
    }

    /// Whether a hello now most likely crossed the grant on its way (see
    /// [`GRANT_QUIET_MS`]).
    pub fn just_sent(&self, now: UnixMillis) -> bool {
        now.0.saturating_sub(self.sent_at.0) < GRANT_QUIET_MS
    }
}

/// What to do about a hello from a tablet that was granted an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantAnswer {
    /// Send the identity again, with a fresh password.
    Again,
    /// Say nothing: the grant just went out (see [`GRANT_QUIET_MS`]).
    Quiet,
    /// The grant is used, withdrawn or too old: forget it, and pair afresh.
    Forget,
}

/// What a hello from a granted tablet gets, given its device record.
pub fn answer_granted(
    grant: &Grant,
    device: Option<&DeviceRecord>,
    now: UnixMillis,
) -> GrantAnswer {
    if !grant_unused(device) || grant.expired(now) {
        GrantAnswer::Forget
    } else if grant.just_sent(now) {
        GrantAnswer::Quiet
    } else {
        GrantAnswer::Again
    }
}

/// The hub's answer to an `enrol_hello` from a tablet without a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloReply {
    /// Show this code.
    Code(PairingCode),
    /// Not now.
    Refused(EnrolRefusal),
}

/// Why a coach's code was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// No tablet shows this code.
    #[error("no tablet is showing the code {0}: check the code on the tablet's screen")]
    Unknown(String),
    /// The code is too old.
    #[error("the code {0} has expired: the tablet shows a new one within a minute")]
    Expired(String),
    /// Too many wrong codes were entered.
    #[error("too many wrong codes were entered; wait a minute and try again")]
    TooManyWrong,
}

/// The tablets pairing now, by enrolment id, with an index by code and one by when each
/// was last heard from (so that forgetting the quiet ones costs nothing per hello).
#[derive(Debug, Default)]
pub struct Pairings {
    by_id: HashMap<EnrolmentId, Pairing>,
    by_code: HashMap<String, EnrolmentId>,
    by_heard: BTreeSet<(UnixMillis, EnrolmentId)>,
}

impl Pairings {
    /// How many tablets are pairing.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Answers an `enrol_hello`: the code to show (the same until it expires), or a
    /// refusal when the tablet says hello too often. `fresh_code` makes a random code;
    /// one another pairing tablet shows is drawn again.
    pub fn hello<E>(
        &mut self,
        enrolment_id: &EnrolmentId,
        hello: &EnrolHello,
        now: UnixMillis,
        code_lifetime_ms: u64,
        mut fresh_code: impl FnMut() -> Result<String, E>,
    ) -> Result<HelloReply, E> {
        self.forget_quiet(now);
        let mut pairing = match self.remove(enrolment_id) {
            Some(pairing) => pairing,
            None => {
                if self.by_id.len() >= MAX_PAIRINGS
                    && let Some((_, oldest)) = self.by_heard.first().cloned()
                {
                    self.remove(&oldest);
                }
                Pairing {
                    enrolment_id: enrolment_id.clone(),
                    code: String::new(),
                    expires_at: UnixMillis(0),
                    profile: hello.profile.clone(),
                    app_version: hello.app_version.clone(),
                    hardware_id: hello.hardware_id.clone(),
                    recent_hellos: Vec::new(),
                    last_heard: now,
                }
            }
        };
        pairing
            .recent_hellos
            .retain(|t| now.0.saturating_sub(t.0) < MINUTE);
        if pairing.recent_hellos.len() >= HELLOS_PER_MINUTE {
            // Too chatty: refused, but still present (it is connected).
            self.insert(pairing);
            return Ok(HelloReply::Refused(EnrolRefusal::RateLimited));
        }
        pairing.recent_hellos.push(now);
        pairing.last_heard = now;
        pairing.profile = hello.profile.clone();
        pairing.app_version = hello.app_version.clone();
        pairing.hardware_id = hello.hardware_id.clone().or(pairing.hardware_id);
        if pairing.expires_at <= now {
            pairing.code = loop {
                let code = fresh_code()?;
                if !self.by_code.contains_key(&code) {
                    break code;
                }
            };
            pairing.expires_at = UnixMillis(now.0 + code_lifetime_ms);
        }
        let reply = HelloReply::Code(PairingCode {
            code: pairing.code.clone(),
            expires_at: pairing.expires_at,
        });
        self.insert(pairing);
        Ok(reply)
    }

    /// The pairing whose tablet shows `code` (normalised), present or not.
    pub fn with_code(&self, code: &str) -> Option<&Pairing> {
        self.by_code.get(code).and_then(|id| self.by_id.get(id))
    }

    /// Forgets a pairing (its tablet was granted an identity, or went away).
    pub fn remove(&mut self, enrolment_id: &EnrolmentId) -> Option<Pairing> {
        let pairing = self.by_id.remove(enrolment_id)?;
        if self.by_code.get(&pairing.code) == Some(enrolment_id) {
            self.by_code.remove(&pairing.code);
        }
        self.by_heard
            .remove(&(pairing.last_heard, enrolment_id.clone()));
        Some(pairing)
    }

    /// Forgets the pairings whose tablets have not said hello for
    /// [`PRESENCE_TIMEOUT_MS`]; returns how many.
    pub fn forget_quiet(&mut self, now: UnixMillis) -> usize {
        let mut forgotten = 0;
        while let Some((heard, id)) = self.by_heard.first().cloned() {
            if now.0.saturating_sub(heard.0) < PRESENCE_TIMEOUT_MS {
                break;
            }
            self.remove(&id);
            forgotten += 1;
        }
        forgotten
    }

    fn insert(&mut self, pairing: Pairing) {
        let id = pairing.enrolment_id.clone();
        if !pairing.code.is_empty() {
            self.by_code.insert(pairing.code.clone(), id.clone());
        }
        self.by_heard.insert((pairing.last_heard, id.clone()));
        self.by_id.insert(id, pairing);
    }
}

/// Writes a code as the tablet shows it, without the hyphen and in capitals: `k7p-x4c`
/// → `K7PX4C`. Letters outside the alphabet stay, so that the lookup fails plainly.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Whether a (normalised) code could be one the hub handed out.
pub fn is_well_formed(code: &str) -> bool {
    !code.is_empty() && code.chars().all(|c| PAIRING_ALPHABET.contains(c))
}

/// Whether a granted identity still waits for its tablet's first connection.
pub fn grant_unused(device: Option<&DeviceRecord>) -> bool {
    device.is_some_and(|d| !d.connected_once && d.state == DeviceState::Active)
}

/// Counts wrong codes over the last minute per person who types them (a dashboard
/// account, or the hub's command line), so that codes cannot be guessed and one coach's
/// typos never stop another coach pairing.
#[derive(Debug)]
pub struct WrongCodeLimiter {
    limit: usize,
    recent: HashMap<String, VecDeque<UnixMillis>>,
}

impl WrongCodeLimiter {
    /// Allows `per_minute` wrong codes in any minute to each person.
    pub fn new(per_minute: u32) -> Self {
        WrongCodeLimiter {
            limit: per_minute as usize,
            recent: HashMap::new(),
        }
    }

    /// Whether `who`'s codes are not checked now (too many wrong ones of theirs in the
    /// last minute).
    pub fn blocked(&mut self, who: &str, now: UnixMillis) -> bool {
        let Some(recent) = self.recent.get_mut(who) else {
            return false;
        };
        while recent
            .front()
            .is_some_and(|t| now.0.saturating_sub(t.0) >= MINUTE)
        {
            recent.pop_front();
        }
        if recent.is_empty() {
            // Nobody's old typos are kept.
            self.recent.remove(who);
            return false;
        }
        recent.len() >= self.limit
    }

    /// Counts a wrong code of `who`'s.
    pub fn record_wrong(&mut self, who: &str, now: UnixMillis) {
        self.recent
            .entry(who.to_owned())
            .or_default()
            .push_back(now);
    }
}

/// The record of a tablet a coach just paired.
pub fn new_device(
    pairing: &Pairing,
    device_id: DeviceId,
    participant: PersonId,
    password_hash: String,
    now: UnixMillis,
) -> DeviceRecord {
    DeviceRecord {
        tablet: pairing
            .hardware_id
            .clone()
            .unwrap_or_else(|| device_id.to_string()),
        id: device_id,
        participant,
        profile: pairing.profile.clone(),
        app_version: pairing.app_version.clone(),
        state: DeviceState::Active,
        enrolled_at: now,
        password_hash,
        connected_once: false,
        last_seen: None,
        online: false,
        battery_pct: None,
        charging: None,
        free_storage_mb: None,
        wipe_message: None,
        coach_pin_set_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFETIME: u64 = 15 * MINUTE;

    fn eid(n: usize) -> EnrolmentId {
        EnrolmentId::parse(&format!("e-{n:032x}")).unwrap()
    }

    fn hello() -> EnrolHello {
        EnrolHello {
            profile: "pinetab2".into(),
            app_version: "0.1.0".into(),
            hardware_id: Some("hw-42".into()),
        }
    }

    fn ask(pairings: &mut Pairings, who: usize, now: u64, code: &str) -> HelloReply {
        pairings
            .hello::<()>(&eid(who), &hello(), UnixMillis(now), LIFETIME, || {
                Ok(code.to_owned())
            })
            .unwrap()
    }

    /// A code of its own for each tablet: `AAAAAA`, `AAAAAC`, … from a number.
    fn code_of(n: usize) -> String {
        let letters: Vec<char> = PAIRING_ALPHABET.chars().collect();
        (0..6)
            .map(|i| letters[(n / letters.len().pow(i)) % letters.len()])
            .collect()
    }

    #[test]
    fn a_code_stays_until_it_expires() {
        let mut p = Pairings::default();
        let first = ask(&mut p, 1, 0, "AAAAAA");
        let again = ask(&mut p, 1, MINUTE / 2, "CCCCCC");
        assert_eq!(first, again);
        // Said hello every half minute, the tablet keeps its code until it expires.
        let mut now = MINUTE / 2;
        while now + HEARTBEAT_MS < LIFETIME {
            now += HEARTBEAT_MS;
            assert_eq!(ask(&mut p, 1, now, "CCCCCC"), first);
        }
        let later = ask(&mut p, 1, LIFETIME, "DDDDDD");
        assert_eq!(
            later,
            HelloReply::Code(PairingCode {
                code: "DDDDDD".into(),
                expires_at: UnixMillis(2 * LIFETIME)
            })
        );
        assert!(p.with_code("AAAAAA").is_none() && p.with_code("DDDDDD").is_some());
    }

    #[test]
    fn no_two_tablets_show_the_same_code() {
        let mut p = Pairings::default();
        ask(&mut p, 1, 0, "AAAAAA");
        let mut draws = ["AAAAAA", "CCCCCC"].into_iter();
        let reply = p
            .hello::<()>(&eid(2), &hello(), UnixMillis(1), LIFETIME, || {
                Ok(draws.next().unwrap_or("DDDDDD").to_owned())
            })
            .unwrap();
        assert!(matches!(reply, HelloReply::Code(c) if c.code == "CCCCCC"));
    }

    #[test]
    fn too_many_hellos_are_refused_for_a_minute() {
        let mut p = Pairings::default();
        for i in 0..HELLOS_PER_MINUTE as u64 {
            assert!(matches!(ask(&mut p, 1, i, "AAAAAA"), HelloReply::Code(_)));
        }
        assert_eq!(
            ask(&mut p, 1, 10, "AAAAAA"),
            HelloReply::Refused(EnrolRefusal::RateLimited)
        );
        assert!(matches!(
            ask(&mut p, 1, MINUTE + 1, "AAAAAA"),
            HelloReply::Code(_)
        ));
    }

    #[test]
    fn a_pairing_whose_tablet_went_quiet_is_forgotten() {
        let mut p = Pairings::default();
        ask(&mut p, 1, 0, "AAAAAA");
        ask(&mut p, 2, HEARTBEAT_MS, "CCCCCC");
        assert_eq!(p.forget_quiet(UnixMillis(PRESENCE_TIMEOUT_MS - 1)), 0);
        assert_eq!(p.forget_quiet(UnixMillis(PRESENCE_TIMEOUT_MS)), 1);
        assert!(p.with_code("AAAAAA").is_none(), "its code is free again");
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn a_flood_of_pairings_never_refuses_a_real_tablet_nor_takes_its_code_in_half_a_minute() {
        let mut p = Pairings::default();
        // A real tablet says hello; then more fake pairings than the hub holds come, all
        // within one heartbeat, the real tablet's next hello among them.
        ask(&mut p, 0, 0, "AAAAAA");
        let mut now = 1;
        for n in 1..=MAX_PAIRINGS + 500 {
            if n == MAX_PAIRINGS / 2 {
                assert!(matches!(ask(&mut p, 0, now, "AAAAAA"), HelloReply::Code(_)));
            }
            let reply = ask(&mut p, n, now, &code_of(n));
            assert!(matches!(reply, HelloReply::Code(_)), "pairing {n} refused");
            now += HEARTBEAT_MS / (MAX_PAIRINGS as u64 + 500);
        }
        assert_eq!(p.len(), MAX_PAIRINGS, "memory stays bounded");
        assert!(
            p.with_code("AAAAAA").is_some(),
            "the real tablet, heard from within the heartbeat, is still pairing"
        );
        // A new real tablet is never refused either.
        assert!(matches!(
            ask(&mut p, MAX_PAIRINGS + 501, now, "CCCCCC"),
            HelloReply::Code(_)
        ));
    }

    #[test]
    fn a_grant_is_sent_again_with_a_fresh_password_until_used_or_too_old() {
        let mut device = crate::domain::devices::sample("d-1", "p-jan");
        let grant = Grant {
            enrolment_id: eid(1),
            device_id: device.id.clone(),
            granted_at: UnixMillis(0),
            sent_at: UnixMillis(0),
        };
        let at = |ms| UnixMillis(ms);
        assert_eq!(
            answer_granted(&grant, Some(&device), at(1_000)),
            GrantAnswer::Quiet,
            "a heartbeat that crossed the grant"
        );
        assert_eq!(
            answer_granted(&grant, Some(&device), at(GRANT_QUIET_MS)),
            GrantAnswer::Again
        );
        assert_eq!(
            answer_granted(&grant, Some(&device), at(GRANT_LIFETIME_MS)),
            GrantAnswer::Forget
        );
        device.connected_once = true;
        assert_eq!(
            answer_granted(&grant, Some(&device), at(GRANT_QUIET_MS)),
            GrantAnswer::Forget
        );
        assert_eq!(answer_granted(&grant, None, at(1)), GrantAnswer::Forget);
    }

    #[test]
    fn wrong_codes_are_limited_per_minute_and_per_person() {
        let mut limiter = WrongCodeLimiter::new(2);
        assert!(!limiter.blocked("marie", UnixMillis(0)));
        limiter.record_wrong("marie", UnixMillis(0));
        limiter.record_wrong("marie", UnixMillis(1));
        assert!(limiter.blocked("marie", UnixMillis(2)));
        assert!(
            !limiter.blocked("ahmed", UnixMillis(2)),
            "another coach still pairs"
        );
        assert!(!limiter.blocked("marie", UnixMillis(MINUTE + 1)));
        assert_eq!(normalise_code(" k7p-x4c "), "K7PX4C");
        assert!(is_well_formed("K7PX4C") && !is_well_formed("0OOOOO"));
    }
}
