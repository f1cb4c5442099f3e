//! Messaging end to end with the kiosk's own link and outbox code (no UI): real hub,
//! real broker, TLS. Offline queues, crashes mid-drain, a hub killed with SIGKILL and a
//! broker restart: nothing lost, nothing doubled.

use nabij_kiosk::link::{KioskStore, Link, LinkConfig, LinkEvent};
use nabij_protocol::{
    Audio, AudioCodec, Body, ImageMime, MessageId, Photo, ReceiptState, Recipient, TextMessage,
    VoiceNote,
};
use std::collections::HashSet;
use std::path::Path;
use tests::hub::{KioskSettings, TestHub};
use tests::mqtt_client::PATIENCE;
use tests::serve::{Ports, ServedHub};
use tests::sim_kiosk::{Credentials, Pairing};
use tokio::sync::mpsc::UnboundedReceiver;

async fn pair(settings: &KioskSettings, enrol: impl AsyncFnOnce(String)) -> Credentials {
    let mut pairing = Pairing::connect(settings).await;
    let code = pairing.code(None).await;
    enrol(code).await;
    let credentials = pairing.granted().await;
    pairing.client.disconnect().await;
    credentials
}

fn link(
    settings: &KioskSettings,
    port: u16,
    credentials: &Credentials,
    dir: &Path,
) -> (Link, UnboundedReceiver<LinkEvent>) {
    Link::start(
        LinkConfig {
            host: settings.host.clone(),
            port,
            ca_pem: Some(std::fs::read(&settings.ca).expect("the hub's CA file")),
            device: credentials.device_id.clone(),
            password: credentials.password.clone(),
            profile: "desktop".into(),
            battery: None,
            data_dir: dir.to_owned(),
        },
        KioskStore::open(dir).expect("the kiosk's storage opens"),
    )
    .expect("the link starts")
}

fn text(to: &str, words: &str) -> Body {
    Body::Text(TextMessage {
        to: Recipient::parse(to).unwrap(),
        author: None,
        text: words.into(),
    })
}

/// Waits for events until `done` says enough; fails the test after PATIENCE of silence.
async fn until(
    events: &mut UnboundedReceiver<LinkEvent>,
    mut done: impl FnMut(&LinkEvent) -> bool,
) {
    loop {
        let event = tokio::time::timeout(PATIENCE, events.recv())
            .await
            .expect("no event in time")
            .expect("link stopped");
        if done(&event) {
            return;
        }
    }
}

async fn two_tablets(hub: &TestHub) -> (Credentials, Credentials) {
    for name in ["Jan Claes", "Anna Peeters"] {
        hub.hub().add_participant(name, None, None).await.unwrap();
    }
    let settings = hub.kiosk_settings();
    let jan = pair(&settings, async |code| {
        hub.hub()
            .enrol(&code, &hub.person("Jan Claes"), None, "command line")
            .await
            .unwrap();
    })
    .await;
    let anna = pair(&settings, async |code| {
        hub.hub()
            .enrol(&code, &hub.person("Anna Peeters"), None, "command line")
            .await
            .unwrap();
    })
    .await;
    hub.hub()
        .approve_contacts(&hub.person("Jan Claes"), &hub.person("Anna Peeters"))
        .await
        .unwrap();
    (jan, anna)
}

/// Collects Anna's received texts until `n` distinct ones arrived; returns how many
/// arrived in all (duplicates included).
async fn receive_texts(
    events: &mut UnboundedReceiver<LinkEvent>,
    n: usize,
) -> (HashSet<String>, usize) {
    let (mut distinct, mut total) = (HashSet::new(), 0);
    until(events, |e| {
        if let LinkEvent::Received(envelope) = e
            && let Body::Text(t) = &envelope.body
        {
            total += 1;
            distinct.insert(t.text.clone());
        }
        distinct.len() == n
    })
    .await;
    (distinct, total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_voice_and_photo_go_round_with_receipts() {
    let hub = TestHub::start().await;
    let (jan, anna) = two_tablets(&hub).await;
    let settings = hub.kiosk_settings();
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (jan_link, mut jan_events) = link(&settings, settings.port, &jan, dirs.0.path());
    let (_anna_link, mut anna_events) = link(&settings, settings.port, &anna, dirs.1.path());

    let voice = Body::Voice(VoiceNote {
        to: Recipient::parse("p-anna-peeters").unwrap(),
        author: None,
        audio: Audio {
            codec: AudioCodec::OggOpus,
            duration_ms: 1_500,
            data: nabij_protocol::base64::Base64Bytes(b"OggS voice".to_vec()),
        },
    });
    let photo = Body::Photo(Photo {
        to: Recipient::parse("p-anna-peeters").unwrap(),
        author: None,
        mime: ImageMime::Jpeg,
        width: 4,
        height: 3,
        caption: Some("De zee".into()),
        // A real JPEG: the hub decodes every photo a tablet sends before it passes it on.
        data: nabij_protocol::base64::Base64Bytes(tests::jpeg(4, 3)),
    });
    let mut sent: Vec<MessageId> = Vec::new();
    for body in [text("p-anna-peeters", "Dag Anna"), voice, photo] {
        sent.push(jan_link.send(body).await.unwrap());
    }
    let mut kinds = Vec::new();
    until(&mut anna_events, |e| {
        if let LinkEvent::Received(envelope) = e
            && matches!(
                envelope.body,
                Body::Text(_) | Body::Voice(_) | Body::Photo(_)
            )
        {
            kinds.push(envelope.body.kind().to_owned());
        }
        kinds.len() == 3
    })
    .await;
    assert_eq!(kinds, ["text", "voice", "photo"], "in the order sent");

    let (mut acked, mut delivered) = (HashSet::new(), HashSet::new());
    until(&mut jan_events, |e| {
        match e {
            LinkEvent::Acked(ids) => acked.extend(ids.iter().cloned()),
            LinkEvent::Receipt(r) if r.state == ReceiptState::Delivered => {
                delivered.extend(r.ids.iter().cloned())
            }
            _ => {}
        }
        acked.len() == 3 && delivered.len() == 3
    })
    .await;
    assert_eq!(acked, sent.iter().cloned().collect::<HashSet<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_offline_with_hundreds_queued_and_killed_mid_drain_delivers_each_once() {
    let hub = TestHub::start().await;
    let (jan, anna) = two_tablets(&hub).await;
    let settings = hub.kiosk_settings();
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    const N: usize = 300;
    // No internet: a port where nothing listens. Everything waits in the outbox.
    let (offline, _events) = link(&settings, tests::hub::free_port(), &jan, dirs.0.path());
    for i in 0..N {
        offline
            .send(text("p-anna-peeters", &format!("bericht {i}")))
            .await
            .unwrap();
    }
    offline.kill().await; // like pulling the plug
    let (_anna_link, mut anna_events) = link(&settings, settings.port, &anna, dirs.1.path());
    {
        let (online, mut events) = link(&settings, settings.port, &jan, dirs.0.path());
        let mut acked = 0;
        until(&mut events, |e| {
            if let LinkEvent::Acked(ids) = e {
                acked += ids.len();
            }
            acked >= N / 3
        })
        .await;
        online.kill().await; // killed mid-drain
    }
    let (_again, mut events) = link(&settings, settings.port, &jan, dirs.0.path());
    let (distinct, total) = receive_texts(&mut anna_events, N).await;
    assert_eq!((distinct.len(), total), (N, N), "every message shown once");
    assert_eq!(hub.hub().counts().unwrap().messages, N, "stored once each");
    // And the outbox empties: the restarted link's acks bring it to zero.
    let _ = &mut events;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_killed_with_sigkill_mid_stream_loses_nothing_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let ports = Ports::free();
    let mut hub = ServedHub::start(&data, ports).await;
    for name in ["Jan Claes", "Anna Peeters"] {
        assert!(hub.cli(&["participant", "add", "--name", name]).await.0);
    }
    let secrets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("broker/secrets.json")).unwrap()).unwrap();
    let settings = KioskSettings {
        host: "127.0.0.1".into(),
        port: ports.tls,
        pairing_port: ports.pairing,
        ca: data.join("pki/ca.pem"),
        enrol_password: secrets["enrol_password"].as_str().unwrap().to_owned(),
    };
    let jan = pair(&settings, async |code| {
        assert!(
            hub.cli(&["device", "enrol", &code, "--participant", "Jan Claes"])
                .await
                .0
        )
    })
    .await;
    let anna = pair(&settings, async |code| {
        assert!(
            hub.cli(&["device", "enrol", &code, "--participant", "Anna Peeters"])
                .await
                .0
        )
    })
    .await;
    assert!(
        hub.cli(&["contact", "approve", "Jan Claes", "Anna Peeters"])
            .await
            .0
    );

    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (jan_link, mut jan_events) = link(&settings, ports.tls, &jan, dirs.0.path());
    let (_anna_link, mut anna_events) = link(&settings, ports.tls, &anna, dirs.1.path());
    const N: usize = 100;
    let mut sent = HashSet::new();
    for i in 0..N {
        sent.insert(
            jan_link
                .send(text("p-anna-peeters", &format!("bericht {i}")))
                .await
                .unwrap(),
        );
    }
    let mut acked = HashSet::new();
    until(&mut jan_events, |e| {
        if let LinkEvent::Acked(ids) = e {
            acked.extend(ids.iter().cloned());
        }
        acked.len() >= N / 5
    })
    .await;
    hub.kill9(); // mid-stream: some stored and acked, some stored and not acked, some not yet read
    let _ = hub.wait().await;
    let mut restarted = ServedHub::start(&data, ports).await;

    let (distinct, total) = receive_texts(&mut anna_events, N).await;
    assert_eq!(
        (distinct.len(), total),
        (N, N),
        "every message reached Anna once"
    );
    until(&mut jan_events, |e| {
        if let LinkEvent::Acked(ids) = e {
            acked.extend(ids.iter().cloned());
        }
        acked.len() == N
    })
    .await;
    assert_eq!(
        acked, sent,
        "Jan's outbox emptied: the hub acknowledged every message"
    );
    let broker = std::fs::read_to_string(data.join("broker/mosquitto.pid")).unwrap();
    restarted.terminate();
    let _ = restarted.wait().await;
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", broker.trim())).unwrap_or_default();
    assert_ne!(
        comm.trim(),
        "mosquitto",
        "the hub stopped its broker on the way out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restarted_mid_stream_loses_nothing() {
    let hub = TestHub::start().await;
    let (jan, anna) = two_tablets(&hub).await;
    let settings = hub.kiosk_settings();
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (jan_link, _jan_events) = link(&settings, settings.port, &jan, dirs.0.path());
    let (_anna_link, mut anna_events) = link(&settings, settings.port, &anna, dirs.1.path());
    const N: usize = 60;
    for i in 0..N / 2 {
        jan_link
            .send(text("p-anna-peeters", &format!("bericht {i}")))
            .await
            .unwrap();
    }
    let pid = std::fs::read_to_string(hub.config.data_dir.join("broker/mosquitto.pid")).unwrap();
    std::process::Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap();
    for i in N / 2..N {
        jan_link
            .send(text("p-anna-peeters", &format!("bericht {i}")))
            .await
            .unwrap();
    }
    let (distinct, total) = receive_texts(&mut anna_events, N).await;
    assert_eq!((distinct.len(), total), (N, N));
}
