//! Which topics a tablet publishes and subscribes to, for set-up and debugging.

use nabij_protocol::{DeviceId, Direction, Topic};

/// One line per topic: what the tablet does with it, the topic, QoS and retain flag.
pub fn describe(device: &DeviceId) -> Vec<String> {
    [
        Topic::DeviceUp(device.clone()),
        Topic::DeviceStatus(device.clone()),
        Topic::DeviceDown(device.clone()),
        Topic::HubStatus,
    ]
    .iter()
    .map(|topic| {
        let action = match topic.direction() {
            Direction::ToHub => "publish  ",
            Direction::ToDevice => "subscribe",
        };
        let retain = if topic.retained() {
            "retained"
        } else {
            "not retained"
        };
        format!("{action} {topic}  (QoS 1, {retain})")
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tablet_publishes_its_own_topics_and_subscribes_to_its_own_inbox() {
        let lines = describe(&DeviceId::parse("d-7f3a").unwrap());
        assert_eq!(
            lines,
            [
                "publish   nabij/v1/dev/d-7f3a/up  (QoS 1, not retained)",
                "publish   nabij/v1/dev/d-7f3a/status  (QoS 1, retained)",
                "subscribe nabij/v1/dev/d-7f3a/down  (QoS 1, not retained)",
                "subscribe nabij/v1/hub/status  (QoS 1, retained)",
            ]
        );
    }
}
