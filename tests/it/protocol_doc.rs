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
