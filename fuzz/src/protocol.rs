//! `protocol_decode`: the one function both sides use on untrusted bytes.
//!
//! Input: the first line is the topic (a short name from [`crate::input`] or a full
//! name), the rest is the payload, as it came from the broker.

use crate::input;
use nabij_protocol::{Body, Problem, Topic};

/// Decodes the payload on the topic and checks what came out.
pub fn decode(data: &[u8]) {
    let (word, payload) = input::first_line(data);
    let name = input::topic_name(&String::from_utf8_lossy(word));
    let Ok(topic) = Topic::parse(&name) else {
        return;
    };
    // A topic has one spelling: the hub subscribes and publishes by `to_string`.
    assert_eq!(
        topic.to_string(),
        name,
        "a topic reads back as it was written"
    );
    let limit = topic.max_payload_bytes();
    match nabij_protocol::decode(&topic, payload) {
        Ok(envelope) => {
            assert!(payload.len() <= limit);
            assert!(envelope.body.allowed_on(topic.kind()));
            assert!(envelope.body.validate().is_ok());
            let bytes = envelope.to_bytes();
            // Whitespace goes and numbers are written whole, so the encoding can grow
            // past the topic's limit only when the input added a missing `body` or wrote
            // an unknown kind's numbers short ("1e5"); such an envelope is not sent again.
            if bytes.len() > limit {
                return;
            }
            let again = nabij_protocol::decode(&topic, &bytes).unwrap_or_else(|e| {
                panic!(
                    "the envelope as encoded is refused: {e}\n{}",
                    String::from_utf8_lossy(&bytes)
                )
            });
            if let Body::Unknown { kind, .. } = &envelope.body {
                // serde_json reads a float to within one unit in the last place (exact
                // reading is a feature this workspace does not turn on), so an unknown
                // kind's body, kept as received and never acted on, may change there.
                assert_eq!(again.body.kind(), kind);
                assert_eq!(
                    (&again.id, &again.from, again.ts),
                    (&envelope.id, &envelope.from, envelope.ts)
                );
                return;
            }
            assert_eq!(again, envelope, "decode → encode → decode changed it");
            assert_eq!(again.to_bytes(), bytes, "the encoding is not stable");
        }
        Err(e) => {
            // Every refusal can be put into words and answered.
            let _ = (e.to_string(), e.reject_reason());
            let too_large = matches!(e.problem, Problem::TooLarge { .. });
            assert_eq!(too_large, payload.len() > limit, "{e}");
            if too_large {
                assert!(e.id.is_none(), "nothing is read from an oversized payload");
            }
        }
    }
}
