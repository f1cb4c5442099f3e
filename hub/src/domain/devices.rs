//! Enrolled tablets: their credential, state and health.

use nabij_protocol::{DeviceId, DeviceStatus, MessageId, PersonId, Presence, UnixMillis};
use serde::{Deserialize, Serialize};

/// Where a tablet is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// In use; its credential works.
    Active,
    /// Told to wipe itself; its credential works until it confirms, so that the wipe can
    /// reach it, but nothing else is sent to it.
    WipePending,
    /// Wiped; its credential is gone. The tablet is pairing again as a new device.
    Wiped,
    /// Switched off by a coach, or taken back; its credential is gone.
    Revoked,
}

impl DeviceState {
    /// Whether the broker should accept the device's credential.
    pub fn may_connect(self) -> bool {
        matches!(self, DeviceState::Active | DeviceState::WipePending)
    }

    /// Whether the hub puts anything for its participant in the tablet's queue: only an
    /// active tablet is still with its senior. One told to wipe itself gets its `wipe`
    /// and nothing more (it may be in a drawer, or with the next senior already).
    pub fn receives_messages(self) -> bool {
        self == DeviceState::Active
    }

    /// The state in one word, as coaches read it.
    pub fn word(self) -> &'static str {
        match self {
            DeviceState::Active => "active",
            DeviceState::WipePending => "wipe pending",
            DeviceState::Wiped => "wiped",
            DeviceState::Revoked => "revoked",
        }
    }
}

/// One enrolled tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Its device id (MQTT username and client id).
    pub id: DeviceId,
    /// The physical tablet: its hardware id, or the device id when it sent none.
    pub tablet: String,
    /// Who it is lent to.
    pub participant: PersonId,
    /// Its firmware profile (tablet model).
    pub profile: String,
    /// The kiosk version it last reported.
    pub app_version: String,
    /// Where it is in its life.
    pub state: DeviceState,
    /// When it was enrolled.
    pub enrolled_at: UnixMillis,
    /// Its password in Mosquitto's hash format (never the password itself).
    pub password_hash: String,
    /// Whether it ever connected with its own credential.
    #[serde(default)]
    pub connected_once: bool,
    /// Last time the hub heard from it.
    #[serde(default)]
    pub last_seen: Option<UnixMillis>,
    /// Whether it is connected now (from its retained status and last will).
    #[serde(default)]
    pub online: bool,
    /// Battery charge, when known.
    #[serde(default)]
    pub battery_pct: Option<u8>,
    /// Whether it is charging, when known.
    #[serde(default)]
    pub charging: Option<bool>,
    /// Free storage in MiB, when known.
    #[serde(default)]
    pub free_storage_mb: Option<u64>,
    /// The `wipe` message it has to acknowledge, while one is pending.
    #[serde(default)]
    pub wipe_message: Option<MessageId>,
    /// When a coach last set this tablet's own coach PIN (never the PIN, nor its hash:
    /// the tablet keeps that). `None`: the hub-wide PIN of the kiosk settings opens it.
    #[serde(default)]
    pub coach_pin_set_at: Option<UnixMillis>,
}

/// Why a coach PIN was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Not four digits.
    #[error("a coach PIN is four digits (0-9)")]
    NotFourDigits,
    /// One anyone would try first.
    #[error("this PIN is too easy to guess (the same digit, or digits in a row): choose another")]
    TooEasy,
    /// The PIN every tablet of the hub opens with already.
    #[error("this is the hub's shared PIN: choose one of this tablet's own")]
    SharedPin,
}

/// A coach PIN as a coach typed it, checked: four digits, not the same digit four times
/// nor a run like 1234 or 9876 (the first a stranger tries), and not `shared`, the PIN
/// every tablet of the hub opens with until it has its own.
pub fn coach_pin(typed: &str, shared: &str) -> Result<String, PinError> {
    let pin = typed.trim();
    let digits: Vec<i32> = pin
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| i32::from(b - b'0'))
        .collect();
    if pin.len() != nabij_protocol::COACH_PIN_DIGITS || digits.len() != pin.len() {
        return Err(PinError::NotFourDigits);
    }
    let steps: Vec<i32> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    let one_step = steps.iter().all(|s| *s == steps[0]) && steps[0].abs() <= 1;
    if one_step {
        return Err(PinError::TooEasy);
    }
    if pin == shared {
        return Err(PinError::SharedPin);
    }
    Ok(pin.to_owned())
}

/// How stale `last_seen` may get before a message from the tablet writes it again: a
/// write per message would cost more than the message, and coaches read days, not seconds.
pub const LAST_SEEN_RESOLUTION_MS: u64 = 60_000;

impl DeviceRecord {
    /// Whether the tablet has not been heard from for `days` days (or never, if it was
    /// enrolled that long ago).
    pub fn is_silent(&self, now: UnixMillis, days: u32) -> bool {
        let since = self.last_seen.unwrap_or(self.enrolled_at);
        self.state == DeviceState::Active
            && !self.online
            && now.0.saturating_sub(since.0) >= u64::from(days) * 86_400_000
    }

    /// Notes that the tablet was heard from; true if the record changed enough to store.
    pub fn touch(&mut self, now: UnixMillis) -> bool {
        let stale = self
            .last_seen
            .is_none_or(|seen| now.0.saturating_sub(seen.0) >= LAST_SEEN_RESOLUTION_MS);
        if stale {
            self.last_seen = Some(now);
        }
        stale
    }

    /// Takes in a status the tablet published. `None` when the hub does not accept status
    /// from this tablet (revoked or wiped).
    pub fn apply_status(&mut self, status: &DeviceStatus, now: UnixMillis) -> Option<StatusChange> {
        if !self.state.may_connect() {
            return None;
        }
        let was_online = self.online;
        let online = status.state == Presence::Online;
        let first_time = online && !self.connected_once;
        self.online = online;
        self.last_seen = Some(now);
        if online {
            self.connected_once = true;
            if let Some(v) = &status.app_version {
                self.app_version = v.clone();
            }
            if let Some(p) = &status.profile {
                self.profile = p.clone();
            }
            self.battery_pct = status.battery_pct.or(self.battery_pct);
            self.charging = status.charging.or(self.charging);
            self.free_storage_mb = status.free_storage_mb.or(self.free_storage_mb);
        }
        Some(StatusChange {
            online,
            was_online,
            first_time,
        })
    }
}

/// What a status message changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    /// The tablet says it is connected.
    pub online: bool,
    /// The record said it was connected before.
    pub was_online: bool,
    /// The first time it ever connected as itself.
    pub first_time: bool,
}

#[cfg(test)]
pub(crate) fn sample(id: &str, participant: &str) -> DeviceRecord {
    DeviceRecord {
        id: DeviceId::parse(id).expect("test id"),
        tablet: format!("hw-{id}"),
        participant: PersonId::parse(participant).expect("test id"),
        profile: "pinetab2".into(),
        app_version: "0.1.0".into(),
        state: DeviceState::Active,
        enrolled_at: UnixMillis(0),
        password_hash: "$7$".into(),
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

    #[test]
    fn a_coach_pin_is_four_digits_not_easily_guessed_nor_the_shared_one() {
        assert_eq!(coach_pin(" 4821 ", "2580"), Ok("4821".into()));
        for typed in ["482", "48210", "48a1", "", "४८२१"] {
            assert_eq!(
                coach_pin(typed, "2580"),
                Err(PinError::NotFourDigits),
                "{typed}"
            );
        }
        for easy in ["0000", "7777", "1234", "6789", "9876", "3210"] {
            assert_eq!(coach_pin(easy, "2580"), Err(PinError::TooEasy), "{easy}");
        }
        assert_eq!(coach_pin("2580", "2580"), Err(PinError::SharedPin));
        assert_eq!(coach_pin("1357", "2580"), Ok("1357".into()), "steps of two");
    }

    #[test]
    fn silence_counts_from_the_last_message_or_enrolment() {
        let day = 86_400_000;
        let mut d = sample("d-1", "p-jan");
        assert!(!d.is_silent(UnixMillis(6 * day), 7));
        assert!(d.is_silent(UnixMillis(7 * day), 7));
        d.last_seen = Some(UnixMillis(5 * day));
        assert!(!d.is_silent(UnixMillis(7 * day), 7));
        d.online = true;
        assert!(
            !d.is_silent(UnixMillis(30 * day), 7),
            "a connected tablet is not silent"
        );
    }

    #[test]
    fn last_seen_is_written_at_most_once_a_minute() {
        let mut d = sample("d-1", "p-jan");
        assert!(d.touch(UnixMillis(1_000)));
        assert!(!d.touch(UnixMillis(30_000)));
        assert_eq!(d.last_seen, Some(UnixMillis(1_000)));
        assert!(d.touch(UnixMillis(61_000)));
        assert_eq!(d.last_seen, Some(UnixMillis(61_000)));
    }

    #[test]
    fn status_updates_health_and_tells_when_it_came_online() {
        let mut d = sample("d-1", "p-jan");
        let online = DeviceStatus {
            state: Presence::Online,
            app_version: Some("0.2.0".into()),
            profile: None,
            battery_pct: Some(55),
            charging: Some(true),
            free_storage_mb: None,
        };
        let change = d.apply_status(&online, UnixMillis(10)).unwrap();
        assert_eq!(
            change,
            StatusChange {
                online: true,
                was_online: false,
                first_time: true
            }
        );
        let again = d.apply_status(&online, UnixMillis(11)).unwrap();
        assert!(again.was_online && !again.first_time);
        assert_eq!(
            (d.battery_pct, d.app_version.as_str(), d.last_seen),
            (Some(55), "0.2.0", Some(UnixMillis(11)))
        );
        let offline = DeviceStatus {
            state: Presence::Offline,
            ..online.clone()
        };
        assert!(!d.apply_status(&offline, UnixMillis(12)).unwrap().online);
        let back = d.apply_status(&online, UnixMillis(13)).unwrap();
        assert!(back.online && !back.was_online && !back.first_time);

        d.state = DeviceState::Revoked;
        assert_eq!(d.apply_status(&online, UnixMillis(14)), None);
    }
}
