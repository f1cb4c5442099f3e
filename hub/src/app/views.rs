//! What the use cases answer with: typed views for the edges to show.

use crate::domain::devices::DeviceRecord;
use crate::domain::people::Person;
use nabij_protocol::{DeviceId, PersonId, UnixMillis};
use serde::{Deserialize, Serialize};

/// One tablet, as coaches list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRow {
    /// The device.
    pub device: DeviceRecord,
    /// Its participant's name.
    pub participant_name: String,
    /// Whether it has been silent too long.
    pub silent: bool,
}

/// What a successful enrolment made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolSummary {
    /// The new device.
    pub device: DeviceId,
    /// Who it is lent to.
    pub participant: Person,
}

/// One call for help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpRow {
    /// Who asked.
    pub participant: PersonId,
    /// Their name.
    pub participant_name: String,
    /// From which tablet.
    pub device: DeviceId,
    /// When.
    pub asked_at: UnixMillis,
    /// When a coach answered, if one did.
    pub answered_at: Option<UnixMillis>,
}

/// How far a coach's message went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentSummary {
    /// People it is for.
    pub people: usize,
    /// Tablets it was queued for.
    pub tablets: usize,
}

/// How much the hub holds, for operators and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Tablets ever enrolled (also wiped and revoked ones).
    pub devices: usize,
    /// Tablets pairing now.
    pub pairings: usize,
    /// People.
    pub people: usize,
    /// Chat messages stored.
    pub messages: usize,
}

/// What a kiosk needs to reach this hub.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskSettings {
    /// The host name tablets use.
    pub host: String,
    /// The broker's TLS port for enrolled tablets.
    pub port: u16,
    /// The broker's TLS port for pairing tablets.
    pub pairing_port: u16,
    /// The shared password of pairing tablets.
    pub enrolment_password: String,
    /// The PIN that opens the coach settings on the tablets.
    pub coach_pin: String,
    /// The hub's CA certificate (PEM).
    pub ca_pem: String,
    /// The dashboard's HTTPS port, when the hub serves it on a fixed one: the pairing
    /// screen shows a QR code of its pairing page.
    pub dashboard_port: Option<u16>,
}

impl std::fmt::Debug for KioskSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}
