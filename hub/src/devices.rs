//! Enrolled tablets: their credential, state and health.

use crate::store::{Store, StoreError};
use nabij_protocol::{DeviceId, DeviceStatus, MessageId, PersonId, Presence, UnixMillis};
use serde::{Deserialize, Serialize};

/// Where a tablet is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// In use; its credential works.
    Active,
    /// Told to wipe itself; its credential works until it confirms.
    WipePending,
    /// Wiped; its credential is gone. The tablet is pairing again as a new device.
    Wiped,
    /// Switched off by a coach; its credential is gone.
    Revoked,
}

impl DeviceState {
    /// Whether the broker should accept the device's credential.
    pub fn may_connect(self) -> bool {
        matches!(self, DeviceState::Active | DeviceState::WipePending)
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
}

impl DeviceRecord {
    /// Whether the tablet has not been heard from for `days` days (or never, if it was
    /// enrolled that long ago).
    pub fn is_silent(&self, now: UnixMillis, days: u32) -> bool {
        let since = self.last_seen.unwrap_or(self.enrolled_at);
        self.state == DeviceState::Active
            && !self.online
            && now.0.saturating_sub(since.0) >= u64::from(days) * 86_400_000
    }
}

/// What a status message changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// The device is not one the hub accepts status from (unknown, revoked, wiped).
    Ignored,
    /// Nothing that needs action.
    Updated,
    /// It came online: send what is waiting for it.
    CameOnline {
        /// True the first time it ever connected as itself.
        first_time: bool,
    },
}

/// Records a tablet's status.
pub fn apply_status(
    store: &Store,
    id: &DeviceId,
    status: &DeviceStatus,
    now: UnixMillis,
) -> Result<StatusChange, StoreError> {
    let Some(mut device) = store.devices.get(id.as_str())? else {
        return Ok(StatusChange::Ignored);
    };
    if !device.state.may_connect() {
        return Ok(StatusChange::Ignored);
    }
    let was_online = device.online;
    let first_time = !device.connected_once && status.state == Presence::Online;
    device.online = status.state == Presence::Online;
    device.last_seen = Some(now);
    if device.online {
        device.connected_once = true;
        if let Some(v) = &status.app_version {
            device.app_version = v.clone();
        }
        if let Some(p) = &status.profile {
            device.profile = p.clone();
        }
        device.battery_pct = status.battery_pct.or(device.battery_pct);
        device.charging = status.charging.or(device.charging);
        device.free_storage_mb = status.free_storage_mb.or(device.free_storage_mb);
    }
    store.devices.put(id.as_str(), &device)?;
    Ok(if device.online && !was_online {
        StatusChange::CameOnline { first_time }
    } else {
        StatusChange::Updated
    })
}

/// Notes that a tablet was heard from (any message on its `up` topic).
pub fn touch(store: &Store, id: &DeviceId, now: UnixMillis) -> Result<(), StoreError> {
    if let Some(mut device) = store.devices.get(id.as_str())? {
        device.last_seen = Some(now);
        store.devices.put(id.as_str(), &device)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(enrolled_at: u64) -> DeviceRecord {
        DeviceRecord {
            id: DeviceId::parse("d-1").unwrap(),
            tablet: "hw-1".into(),
            participant: PersonId::parse("p-jan").unwrap(),
            profile: "pinetab2".into(),
            app_version: "0.1.0".into(),
            state: DeviceState::Active,
            enrolled_at: UnixMillis(enrolled_at),
            password_hash: "$7$".into(),
            connected_once: false,
            last_seen: None,
            online: false,
            battery_pct: None,
            charging: None,
            free_storage_mb: None,
            wipe_message: None,
        }
    }

    #[test]
    fn silence_counts_from_the_last_message_or_enrolment() {
        let day = 86_400_000;
        let mut d = device(0);
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
    fn status_updates_health_and_reports_coming_online() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let d = device(0);
        store.devices.put("d-1", &d).unwrap();
        let online = DeviceStatus {
            state: Presence::Online,
            app_version: Some("0.2.0".into()),
            profile: None,
            battery_pct: Some(55),
            charging: Some(true),
            free_storage_mb: None,
        };
        let change = apply_status(&store, &d.id, &online, UnixMillis(10)).unwrap();
        assert_eq!(change, StatusChange::CameOnline { first_time: true });
        assert_eq!(
            apply_status(&store, &d.id, &online, UnixMillis(11)).unwrap(),
            StatusChange::Updated
        );
        let stored = store.devices.get("d-1").unwrap().unwrap();
        assert_eq!(
            (
                stored.battery_pct,
                stored.app_version.as_str(),
                stored.last_seen
            ),
            (Some(55), "0.2.0", Some(UnixMillis(11)))
        );

        let offline = DeviceStatus {
            state: Presence::Offline,
            ..online.clone()
        };
        apply_status(&store, &d.id, &offline, UnixMillis(12)).unwrap();
        let change = apply_status(&store, &d.id, &online, UnixMillis(13)).unwrap();
        assert_eq!(change, StatusChange::CameOnline { first_time: false });

        let stranger = DeviceId::parse("d-2").unwrap();
        assert_eq!(
            apply_status(&store, &stranger, &online, UnixMillis(14)).unwrap(),
            StatusChange::Ignored
        );
    }
}
