//! Checking a payload exactly as the hub's receive path does, for people writing kiosks.

use nabij_protocol::{Body, Topic, decode};

/// Decodes `payload` as if it arrived on `topic`; returns a one-line summary of the
/// accepted message, or the reason the hub would refuse it.
pub fn check_message(topic: &str, payload: &[u8]) -> Result<String, String> {
    let topic = Topic::parse(topic).map_err(|e| e.to_string())?;
    let envelope = decode(&topic, payload).map_err(|e| e.to_string())?;
    let kind = envelope.body.kind();
    let note = match envelope.body {
        Body::Unknown { .. } => " (unknown kind: a hub of this version would log and ignore it)",
        _ => "",
    };
    Ok(format!(
        "ok: {kind} {id} from {from} on {topic}{note}",
        id = envelope.id,
        from = envelope.from
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_valid_message_and_explains_a_refusal() {
        let payload = br#"{"v":1,"id":"m-0000001","from":"d-1","ts":5,"kind":"check_in","body":{"mood":"good"}}"#;
        let report = check_message("nabij/v1/dev/d-1/up", payload).unwrap();
        assert!(
            report.starts_with("ok: check_in m-0000001 from d-1"),
            "{report}"
        );

        let refusal = check_message("nabij/v1/dev/d-2/up", payload).unwrap_err();
        assert!(refusal.contains("may not publish"), "{refusal}");
        let refusal = check_message("nabij/v1/nowhere", payload).unwrap_err();
        assert!(refusal.contains("not in the topic tree"), "{refusal}");
    }
}
