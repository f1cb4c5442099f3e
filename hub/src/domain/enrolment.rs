//! Pairing fresh tablets: the rules of `enrol_hello` → `pairing_code` → (a coach enters the
//! code) → `enrol_granted`. See docs/security.md for the threat model.

use crate::domain::devices::{DeviceRecord, DeviceState};
use nabij_protocol::{
    DeviceId, EnrolGranted, EnrolHello, EnrolRefusal, EnrolmentId, PAIRING_ALPHABET, PairingCode,
    PersonId, Secret, UnixMillis,
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

impl Pairing {
    /// Whether a coach may still enter this pairing's code.
    pub fn is_waiting(&self, now: UnixMillis) -> bool {
        self.granted.is_none() && self.expires_at > now
    }
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

/// Answers an `enrol_hello`: the pairing to store (none when refused) and the reply.
/// `grant_unused` says whether the identity this pairing was granted (if any) is still
/// waiting for its tablet's first connection; `fresh_code` makes a code no other pairing
/// tablet shows.
pub fn answer_hello<E>(
    existing: Option<Pairing>,
    enrolment_id: &EnrolmentId,
    hello: &EnrolHello,
    grant_unused: bool,
    now: UnixMillis,
    code_lifetime_ms: u64,
    fresh_code: impl FnOnce() -> Result<String, E>,
) -> Result<(Option<Pairing>, HelloReply), E> {
    let mut pairing = existing.unwrap_or_else(|| Pairing {
        enrolment_id: enrolment_id.clone(),
        code: String::new(),
        expires_at: UnixMillis(0),
        profile: hello.profile.clone(),
        app_version: hello.app_version.clone(),
        hardware_id: hello.hardware_id.clone(),
        recent_hellos: Vec::new(),
        granted: None,
    });
    pairing
        .recent_hellos
        .retain(|t| now.0.saturating_sub(t.0) < MINUTE);
    if pairing.recent_hellos.len() >= HELLOS_PER_MINUTE {
        return Ok((None, HelloReply::Refused(EnrolRefusal::RateLimited)));
    }
    pairing.recent_hellos.push(now);
    pairing.profile = hello.profile.clone();
    pairing.app_version = hello.app_version.clone();
    pairing.hardware_id = hello.hardware_id.clone().or(pairing.hardware_id);

    if let Some(granted) = &pairing.granted {
        if grant_unused {
            let reply = HelloReply::Granted(EnrolGranted {
                device_id: granted.device_id.clone(),
                password: granted.password.clone(),
            });
            return Ok((Some(pairing), reply));
        }
        // The identity was used or withdrawn: this tablet pairs afresh.
        pairing.granted = None;
        pairing.expires_at = UnixMillis(0);
    }
    if pairing.expires_at <= now {
        pairing.code = fresh_code()?;
        pairing.expires_at = UnixMillis(now.0 + code_lifetime_ms);
    }
    let reply = HelloReply::Code(PairingCode {
        code: pairing.code.clone(),
        expires_at: pairing.expires_at,
    });
    Ok((Some(pairing), reply))
}

/// Whether a granted identity still waits for its tablet's first connection.
pub fn grant_unused(device: Option<&DeviceRecord>) -> bool {
    device.is_some_and(|d| !d.connected_once && d.state == DeviceState::Active)
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

    /// Whether codes are not checked now (too many wrong ones in the last minute).
    pub fn blocked(&mut self, now: UnixMillis) -> bool {
        while self
            .recent
            .front()
            .is_some_and(|t| now.0.saturating_sub(t.0) >= MINUTE)
        {
            self.recent.pop_front();
        }
        self.recent.len() >= self.limit
    }

    /// Counts a wrong code.
    pub fn record_wrong(&mut self, now: UnixMillis) {
        self.recent.push_back(now);
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFETIME: u64 = 15 * MINUTE;

    fn eid() -> EnrolmentId {
        EnrolmentId::parse(&format!("e-{}", "ab".repeat(16))).unwrap()
    }

    fn hello() -> EnrolHello {
        EnrolHello {
            profile: "pinetab2".into(),
            app_version: "0.1.0".into(),
            hardware_id: Some("hw-42".into()),
        }
    }

    fn ask(existing: Option<Pairing>, now: u64, code: &str) -> (Option<Pairing>, HelloReply) {
        answer_hello::<()>(
            existing,
            &eid(),
            &hello(),
            false,
            UnixMillis(now),
            LIFETIME,
            || Ok(code.to_owned()),
        )
        .unwrap()
    }

    #[test]
    fn a_code_stays_until_it_expires() {
        let (p, first) = ask(None, 0, "AAAAAA");
        let (p, again) = ask(p, MINUTE, "CCCCCC");
        assert_eq!(first, again);
        let (_, later) = ask(p, LIFETIME, "DDDDDD");
        assert_eq!(
            later,
            HelloReply::Code(PairingCode {
                code: "DDDDDD".into(),
                expires_at: UnixMillis(2 * LIFETIME)
            })
        );
    }

    #[test]
    fn too_many_hellos_are_refused_for_a_minute() {
        let mut p = None;
        for i in 0..HELLOS_PER_MINUTE as u64 {
            let (next, reply) = ask(p, i, "AAAAAA");
            assert!(matches!(reply, HelloReply::Code(_)));
            p = next;
        }
        let (refused, reply) = ask(p.clone(), 10, "AAAAAA");
        assert_eq!(reply, HelloReply::Refused(EnrolRefusal::RateLimited));
        assert!(refused.is_none(), "a refused hello changes nothing");
        let (_, reply) = ask(p, MINUTE + 1, "AAAAAA");
        assert!(matches!(reply, HelloReply::Code(_)));
    }

    #[test]
    fn a_lost_grant_is_sent_again_until_the_tablet_connects() {
        let (p, _) = ask(None, 0, "AAAAAA");
        let mut p = p.unwrap();
        let granted = Granted {
            device_id: DeviceId::parse("d-1").unwrap(),
            password: Secret("x".repeat(40)),
        };
        p.granted = Some(granted.clone());
        let (_, reply) = answer_hello::<()>(
            Some(p.clone()),
            &eid(),
            &hello(),
            true,
            UnixMillis(5),
            LIFETIME,
            || Ok("CCCCCC".into()),
        )
        .unwrap();
        assert_eq!(
            reply,
            HelloReply::Granted(EnrolGranted {
                device_id: granted.device_id,
                password: granted.password
            })
        );
        let (p, reply) = answer_hello::<()>(
            Some(p),
            &eid(),
            &hello(),
            false,
            UnixMillis(6),
            LIFETIME,
            || Ok("CCCCCC".into()),
        )
        .unwrap();
        assert!(matches!(reply, HelloReply::Code(c) if c.code == "CCCCCC"));
        assert!(p.unwrap().granted.is_none(), "a used identity is forgotten");
    }

    #[test]
    fn wrong_codes_are_limited_per_minute() {
        let mut limiter = WrongCodeLimiter::new(2);
        assert!(!limiter.blocked(UnixMillis(0)));
        limiter.record_wrong(UnixMillis(0));
        limiter.record_wrong(UnixMillis(1));
        assert!(limiter.blocked(UnixMillis(2)));
        assert!(!limiter.blocked(UnixMillis(MINUTE + 1)));
        assert_eq!(normalise_code(" k7p-x4c "), "K7PX4C");
        assert!(is_well_formed("K7PX4C") && !is_well_formed("0OOOOO"));
    }
}
