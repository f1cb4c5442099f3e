//! `docs/protocol.md` is the contract: every JSON example in it must be accepted by the
//! protocol crate on its topic and re-serialise to exactly the same text, and the hub's
//! own `check-message` must accept it.

use nabij_protocol::{Body, Topic, decode};
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use tests::{binary, doc_examples, protocol_doc_examples};

#[test]
fn every_doc_example_parses_and_reserialises_identically() {
    let examples = protocol_doc_examples();
    assert!(examples.len() > 20, "the protocol doc lost its examples");
    for example in &examples {
        let topic =
            Topic::parse(&example.topic).unwrap_or_else(|e| panic!("line {}: {e}", example.line));
        let envelope = decode(&topic, example.json.as_bytes())
            .unwrap_or_else(|e| panic!("line {}: {e}", example.line));
        let again = serde_json::to_string_pretty(&envelope).expect("serialise");
        assert_eq!(
            again, example.json,
            "line {}: re-serialised text differs",
            example.line
        );
    }
}

#[test]
fn the_doc_shows_every_known_kind() {
    let shown: BTreeSet<String> = protocol_doc_examples()
        .iter()
        .filter_map(|e| {
            let topic = Topic::parse(&e.topic).ok()?;
            let envelope = decode(&topic, e.json.as_bytes()).ok()?;
            (!matches!(envelope.body, Body::Unknown { .. }))
                .then(|| envelope.body.kind().to_owned())
        })
        .collect();
    let missing: Vec<_> = Body::KNOWN_KINDS
        .iter()
        .filter(|k| !shown.contains(**k))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/protocol.md has no example for: {missing:?}"
    );
}

#[test]
fn a_json_block_without_its_topic_is_an_error() {
    let markdown = "Some text.\n\n```json\n{}\n```\n";
    let error = doc_examples(markdown).unwrap_err();
    assert!(error.contains("line 3"), "{error}");
}

#[test]
fn the_hub_binary_accepts_every_doc_example() {
    let hub = binary("nabij-hub");
    for example in protocol_doc_examples() {
        let mut child = Command::new(&hub)
            .args(["check-message", &example.topic, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nabij-hub");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(example.json.as_bytes())
            .expect("write");
        let output = child.wait_with_output().expect("wait for nabij-hub");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.starts_with("ok: "),
            "line {}: nabij-hub said {stdout}{}",
            example.line,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_hub_binary_refuses_a_forged_sender_with_a_reason() {
    let mut child = Command::new(binary("nabij-hub"))
        .args(["check-message", "nabij/v1/dev/d-victim/up", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start nabij-hub");
    let forged = br#"{"v":1,"id":"0b6f3c1e-9a4d","from":"d-attacker","ts":1,"kind":"check_in","body":{"mood":"good"}}"#;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(forged)
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("\"d-attacker\" may not publish on nabij/v1/dev/d-victim/up"),
        "{stderr}"
    );
}

fn protocol_doc() -> String {
    std::fs::read_to_string(tests::workspace_root().join("docs/protocol.md"))
        .expect("docs/protocol.md")
}

/// A number as the document writes it: groups of three digits with spaces.
fn spaced(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

#[test]
fn the_doc_states_the_brokers_packet_limit_as_one_a_kiosk_must_respect() {
    let doc = protocol_doc();
    let limit = spaced(nabij_protocol::limits::MAX_PACKET_BYTES);
    assert_eq!(limit, "1 576 960");
    let rule = format!("A kiosk MUST NOT send an MQTT packet larger than **{limit} bytes**");
    assert!(doc.contains(&rule), "§1 lacks: {rule}");
    assert!(doc.contains(&format!(
        "`max_packet_size {}`",
        nabij_protocol::limits::MAX_PACKET_BYTES
    )));
    assert!(
        doc.contains(&format!(
            "| an MQTT packet, either way ([§1](#1-transport)) | {limit} bytes"
        )),
        "§8 lacks the packet limit"
    );
}

#[test]
fn the_docs_kiosk_settings_example_is_read_by_the_kiosk_as_documented() {
    let doc = protocol_doc();
    let start = doc.find("```toml\n").expect("§9 has an example") + "```toml\n".len();
    let end = start + doc[start..].find("\n```").expect("closed");
    let settings = nabij_kiosk::live::hub_settings::HubSettings::parse(
        &doc[start..end],
        std::path::Path::new("kiosk-settings.toml"),
    )
    .unwrap();
    assert_eq!(
        (
            settings.host.as_str(),
            settings.port,
            settings.pairing_port,
            settings.coach_pin.as_deref(),
            settings.dashboard_port
        ),
        ("hub.local", 8883, 8884, Some("4821"), Some(8443))
    );
    assert_eq!(
        settings.pairing_link("K7PX4C").as_deref(),
        Some("https://hub.local:8443/devices?code=K7PX4C"),
        "the QR code's address, as §9 spells it"
    );
    // Every key the kiosk reads is in the table, and the table has no other.
    let table: Vec<&str> = doc[doc.find("## 9. The kiosk settings file").unwrap()..]
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .collect();
    assert_eq!(
        table,
        [
            "host",
            "port",
            "pairing_port",
            "enrolment_password",
            "ca",
            "coach_pin",
            "dashboard_port"
        ]
    );
}

#[test]
fn the_doc_says_which_name_a_kiosk_checks_in_the_hubs_certificate() {
    let doc = protocol_doc();
    for needed in [
        "it carries the settings' `host` in its subject alternative names",
        "an\n     `iPAddress` entry equal to it; otherwise a `dNSName` entry equal to it",
        "The certificate's common name is not looked at",
        "`nabij-hub kiosk-settings --host` writes only a `host` the certificate carries",
    ] {
        assert!(doc.contains(needed), "§1 lacks: {needed}");
    }
}
