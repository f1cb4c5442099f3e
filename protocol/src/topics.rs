//! The MQTT topic tree. Every topic starts with `nabij/v1/`; the version in the path
//! changes only with an incompatible change to the tree itself.

use crate::ids::{DeviceId, EnrolmentId};
use crate::limits::{MAX_ENROL_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES, MAX_STATUS_PAYLOAD_BYTES};
use std::fmt;

/// The root of every topic.
pub const ROOT: &str = "nabij/v1";

/// MQTT delivery guarantee for a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qos {
    /// At least once (MQTT QoS 1). Every Nabij topic uses it; exactly-once for users
    /// comes from message ids, not from MQTT QoS 2.
    AtLeastOnce,
}

/// One concrete topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `nabij/v1/dev/{device}/up`: what an enrolled tablet sends to the hub.
    DeviceUp(DeviceId),
    /// `nabij/v1/dev/{device}/down`: what the hub sends to one tablet.
    DeviceDown(DeviceId),
    /// `nabij/v1/dev/{device}/status`: the tablet's retained health and last will.
    DeviceStatus(DeviceId),
    /// `nabij/v1/enrol/{enrolment}/up`: a pairing tablet's requests.
    EnrolUp(EnrolmentId),
    /// `nabij/v1/enrol/{enrolment}/down`: the hub's answers to one pairing tablet.
    EnrolDown(EnrolmentId),
    /// `nabij/v1/hub/status`: the hub's retained presence and last will.
    HubStatus,
}

/// The shape of a topic without its id: what [`crate::Body`] kinds may travel on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicKind {
    /// `dev/{device}/up`
    DeviceUp,
    /// `dev/{device}/down`
    DeviceDown,
    /// `dev/{device}/status`
    DeviceStatus,
    /// `enrol/{enrolment}/up`
    EnrolUp,
    /// `enrol/{enrolment}/down`
    EnrolDown,
    /// `hub/status`
    HubStatus,
}

/// Which way a topic carries messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From a tablet to the hub.
    ToHub,
    /// From the hub to a tablet.
    ToDevice,
}

/// Why a topic string is not a Nabij topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicError(pub String);

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a Nabij topic: {}", self.0)
    }
}

impl std::error::Error for TopicError {}

impl Topic {
    /// Parses a topic name as received from the broker.
    pub fn parse(name: &str) -> Result<Topic, TopicError> {
        let rest = name
            .strip_prefix(ROOT)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| TopicError(format!("{name:?} does not start with {ROOT}/")))?;
        let parts: Vec<&str> = rest.split('/').collect();
        let bad_id = |e: crate::ids::IdError| TopicError(format!("{name:?}: {e}"));
        match parts.as_slice() {
            ["dev", id, leaf] => {
                let id = DeviceId::parse(id).map_err(bad_id)?;
                match *leaf {
                    "up" => Ok(Topic::DeviceUp(id)),
                    "down" => Ok(Topic::DeviceDown(id)),
                    "status" => Ok(Topic::DeviceStatus(id)),
                    _ => Err(TopicError(format!(
                        "{name:?}: unknown device topic {leaf:?}"
                    ))),
                }
            }
            ["enrol", id, leaf] => {
                let id = EnrolmentId::parse(id).map_err(bad_id)?;
                match *leaf {
                    "up" => Ok(Topic::EnrolUp(id)),
                    "down" => Ok(Topic::EnrolDown(id)),
                    _ => Err(TopicError(format!(
                        "{name:?}: unknown enrolment topic {leaf:?}"
                    ))),
                }
            }
            ["hub", "status"] => Ok(Topic::HubStatus),
            _ => Err(TopicError(format!("{name:?} is not in the topic tree"))),
        }
    }

    /// The topic's shape, without its id.
    pub fn kind(&self) -> TopicKind {
        match self {
            Topic::DeviceUp(_) => TopicKind::DeviceUp,
            Topic::DeviceDown(_) => TopicKind::DeviceDown,
            Topic::DeviceStatus(_) => TopicKind::DeviceStatus,
            Topic::EnrolUp(_) => TopicKind::EnrolUp,
            Topic::EnrolDown(_) => TopicKind::EnrolDown,
            Topic::HubStatus => TopicKind::HubStatus,
        }
    }

    /// Whether the broker keeps the last message for new subscribers.
    pub fn retained(&self) -> bool {
        matches!(self, Topic::DeviceStatus(_) | Topic::HubStatus)
    }

    /// The QoS to publish and subscribe with.
    pub fn qos(&self) -> Qos {
        Qos::AtLeastOnce
    }

    /// Which way the topic carries messages.
    pub fn direction(&self) -> Direction {
        match self {
            Topic::DeviceUp(_) | Topic::DeviceStatus(_) | Topic::EnrolUp(_) => Direction::ToHub,
            Topic::DeviceDown(_) | Topic::EnrolDown(_) | Topic::HubStatus => Direction::ToDevice,
        }
    }

    /// The largest payload a receiver accepts on this topic, in bytes.
    pub fn max_payload_bytes(&self) -> usize {
        match self {
            Topic::DeviceUp(_) | Topic::DeviceDown(_) => MAX_PAYLOAD_BYTES,
            Topic::DeviceStatus(_) | Topic::HubStatus => MAX_STATUS_PAYLOAD_BYTES,
            Topic::EnrolUp(_) | Topic::EnrolDown(_) => MAX_ENROL_PAYLOAD_BYTES,
        }
    }

    /// The hub's subscriptions: every device's `up` and `status`, and every `enrol/+/up`.
    pub fn hub_subscriptions() -> [String; 3] {
        [
            format!("{ROOT}/dev/+/up"),
            format!("{ROOT}/dev/+/status"),
            format!("{ROOT}/enrol/+/up"),
        ]
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::DeviceUp(id) => write!(f, "{ROOT}/dev/{id}/up"),
            Topic::DeviceDown(id) => write!(f, "{ROOT}/dev/{id}/down"),
            Topic::DeviceStatus(id) => write!(f, "{ROOT}/dev/{id}/status"),
            Topic::EnrolUp(id) => write!(f, "{ROOT}/enrol/{id}/up"),
            Topic::EnrolDown(id) => write!(f, "{ROOT}/enrol/{id}/down"),
            Topic::HubStatus => write!(f, "{ROOT}/hub/status"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip_through_text() {
        let device = DeviceId::parse("d-7f3a").unwrap();
        let enrol = EnrolmentId::parse(&format!("e-{}", "ab".repeat(16))).unwrap();
        for topic in [
            Topic::DeviceUp(device.clone()),
            Topic::DeviceDown(device.clone()),
            Topic::DeviceStatus(device),
            Topic::EnrolUp(enrol.clone()),
            Topic::EnrolDown(enrol),
            Topic::HubStatus,
        ] {
            assert_eq!(Topic::parse(&topic.to_string()), Ok(topic));
        }
    }

    #[test]
    fn foreign_and_wildcard_topics_are_refused() {
        for bad in [
            "nabij/v1/dev/+/up",
            "nabij/v1/dev/#",
            "nabij/v2/dev/d-1/up",
            "nabij/v1/dev/d-1/up/extra",
            "nabij/v1/dev/d-1/secrets",
            "other/v1/hub/status",
            "nabij/v1/enrol/e-short/up",
        ] {
            assert!(Topic::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_status_topics_are_retained() {
        let device = DeviceId::parse("d-1").unwrap();
        assert!(Topic::DeviceStatus(device.clone()).retained());
        assert!(Topic::HubStatus.retained());
        assert!(!Topic::DeviceUp(device.clone()).retained());
        assert!(!Topic::DeviceDown(device).retained());
    }
}
