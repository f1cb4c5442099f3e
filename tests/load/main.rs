//! The hub under a burst: after an outage every tablet of a neighbourhood resends at once.
//! That must never stop the hub reading the broker, delay an uninvolved senior's call for
//! help, or lose a message. (Throughput and latency figures live in `cargo xtask bench`.)
//!
//! A test binary of its own, unlike the rest of `it/`: it holds the hub to a deadline
//! (an ack within a second), so it must not share the two CI cores with other tests, and
//! cargo runs test binaries one after another. Its tests take turns too (`ALONE`).

// Test helpers may unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use nabij_protocol::{
    Ack, Body, Envelope, HelpRequest, MessageId, Party, Recipient, RejectReason, TextMessage, Topic,
};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tests::hub::TestHub;
use tests::sim_kiosk::{Device, enrolled};

const TABLETS: usize = 50;
const EACH: usize = 20;
const PHOTOS: usize = 80;

/// The tests here hold the hub to deadlines: they run one at a time, never side by side.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_from_fifty_tablets_delays_no_one_and_loses_nothing() {
    let _alone = ALONE.lock().await;
    let hub = TestHub::start().await;
    let names: Vec<String> = (0..TABLETS).map(|n| format!("Senior {n:02}")).collect();
    for name in names.iter().map(String::as_str).chain(["Calm Tablet"]) {
        hub.hub().add_participant(name, None, None).await.unwrap();
    }
    // Partners: 0 and 1, 2 and 3, …
    for pair in names.chunks(2) {
        hub.hub()
            .approve_contacts(&hub.person(&pair[0]), &hub.person(&pair[1]))
            .await
            .unwrap();
    }
    let mut tablets: Vec<Device> = Vec::new();
    for name in &names {
        tablets.push(enrolled(&hub, name).await);
    }
    let mut calm = enrolled(&hub, "Calm Tablet").await;
    let coach = hub
        .hub()
        .add_coach("Marie Dewulf", "059 12 34 56", None)
        .await
        .unwrap();

    // The burst: every tablet publishes its whole outbox at once, as the protocol says a
    // kiosk does when the hub comes back.
    let mut sent: Vec<Vec<MessageId>> = Vec::new();
    for (n, tablet) in tablets.iter().enumerate() {
        let partner = hub.person(&names[n ^ 1]);
        let mut ids = Vec::new();
        for k in 0..EACH {
            let text = Body::Text(TextMessage {
                to: Recipient::Person(partner.clone()),
                author: None,
                text: format!("Bericht {k} van {}", names[n]),
            });
            ids.push(tablet.send(text).await);
        }
        sent.push(ids);
    }
    // Meanwhile, a senior who has nothing to do with it asks for help.
    let asked_at = Instant::now();
    let help = calm
        .send(Body::HelpRequest(HelpRequest { note: None }))
        .await;
    calm.receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&help)))
        .await;
    let waited = asked_at.elapsed();
    assert!(
        waited < Duration::from_secs(1),
        "the call for help was acknowledged after {waited:?}, behind the burst"
    );
    // And a coach's command is not stuck behind the burst either.
    let answered = tokio::time::timeout(
        Duration::from_secs(5),
        hub.hub().answer_help(&hub.person("Calm Tablet"), &coach.id),
    )
    .await
    .expect("the coach's command finishes during the burst")
    .unwrap();
    assert_eq!(answered, 1);

    // Nothing is lost: every tablet gets an ack for each of its messages and its
    // partner's twenty messages, once each.
    for (n, tablet) in tablets.iter_mut().enumerate() {
        let mut acked: HashSet<MessageId> = HashSet::new();
        let mut texts = HashSet::new();
        while acked.len() < EACH || texts.len() < EACH {
            let envelope = tablet.receive().await;
            match &envelope.body {
                Body::Ack(Ack { ids }) => acked.extend(ids.iter().cloned()),
                Body::Text(t) => {
                    texts.insert(t.text.clone());
                }
                _ => {}
            }
            if envelope.body.needs_ack() {
                tablet
                    .send(Body::Ack(Ack {
                        ids: vec![envelope.id.clone()],
                    }))
                    .await;
            }
        }
        assert!(
            sent[n].iter().all(|id| acked.contains(id)),
            "{} got an ack for each of its messages",
            names[n]
        );
    }
    assert_eq!(
        hub.hub().counts().unwrap().messages,
        TABLETS * EACH,
        "each stored once"
    );
    assert_eq!(
        hub.running.as_ref().unwrap().dropped(),
        0,
        "nothing had to be dropped"
    );
}

/// A JPEG of about `target` bytes that must be decoded whole to be checked: noise, so
/// it does not compress.
fn noisy_jpeg(target: usize) -> (Vec<u8>, u32, u32) {
    let mut side = 600u32;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    loop {
        let img = image::RgbImage::from_fn(side, side, |_, _| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let [a, b, c, ..] = seed.to_le_bytes();
            image::Rgb([a, b, c])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .unwrap();
        if out.len() <= target && out.len() > target * 9 / 10 {
            return (out, side, side);
        }
        let scale = (target as f64 * 0.95 / out.len() as f64).sqrt();
        side = ((side as f64) * scale) as u32;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eighty_photos_from_one_tablet_are_all_answered_and_delay_no_one() {
    // Issue 22, finding 7: one tablet sends 80 photos of 1 MiB at once, far past its
    // burst budget and the hub's queue for it. Every one is answered (stored and
    // acknowledged, or `rate_limited` with a time to wait), and another tablet's call for
    // help is acknowledged within a second throughout, in a debug build too.
    let _alone = ALONE.lock().await;
    let hub = TestHub::start().await;
    for name in ["Flood Tablet", "Partner", "Calm Tablet"] {
        hub.hub().add_participant(name, None, None).await.unwrap();
    }
    hub.hub()
        .approve_contacts(&hub.person("Flood Tablet"), &hub.person("Partner"))
        .await
        .unwrap();
    let mut flood = enrolled(&hub, "Flood Tablet").await;
    let mut calm = enrolled(&hub, "Calm Tablet").await;
    let (jpeg, width, height) = noisy_jpeg(1_040_000);
    let photo = Body::Photo(nabij_protocol::Photo {
        to: Recipient::Person(hub.person("Partner")),
        author: None,
        mime: nabij_protocol::ImageMime::Jpeg,
        width,
        height,
        caption: None,
        data: nabij_protocol::base64::Base64Bytes(jpeg),
    });
    // Made before the flood starts (a debug build takes a while to encode 80 of them):
    // the flood is the hub's to take, not the test's to make.
    let template = Envelope::new(
        MessageId::parse("photo-00000000").unwrap(),
        Party::Device(flood.credentials.device_id.clone()),
        photo,
    )
    .to_bytes();
    let at = template
        .windows(14)
        .position(|w| w == b"photo-00000000")
        .unwrap();
    let photos: Vec<(MessageId, Vec<u8>)> = (0..PHOTOS)
        .map(|n| {
            let id = format!("photo-{n:08}");
            let mut payload = template.clone();
            payload[at..at + 14].copy_from_slice(id.as_bytes());
            (MessageId::parse(&id).unwrap(), payload)
        })
        .collect();
    let mut waiting: HashSet<MessageId> = photos.iter().map(|(id, _)| id.clone()).collect();

    // The flood, and its tablet collecting the hub's answers, each in a task of its own.
    let topic = Topic::DeviceUp(flood.credentials.device_id.clone()).to_string();
    let publisher = flood.client.publisher();
    tokio::spawn(async move {
        for (_, payload) in photos {
            publisher.publish(&topic, payload).await;
        }
    });
    let answers = tokio::spawn(async move {
        let (mut acked, mut deferred) = (0, 0);
        while !waiting.is_empty() {
            let envelope = flood.receive().await;
            match envelope.body {
                Body::Ack(Ack { ids }) => {
                    acked += ids.iter().filter(|id| waiting.remove(*id)).count();
                }
                Body::Rejected(r) => {
                    assert_eq!(r.reason, RejectReason::RateLimited, "{r:?}");
                    let wait = r.retry_after_ms.expect("says how long to wait");
                    assert!((1_000..=60_000).contains(&wait), "{wait} ms");
                    deferred += usize::from(waiting.remove(&r.id));
                }
                _ => {}
            }
        }
        (acked, deferred)
    });

    // Meanwhile the calm tablet asks for help again and again, until every photo has its
    // answer.
    let mut waited = Vec::new();
    while !answers.is_finished() || waited.len() < 5 {
        let asked_at = Instant::now();
        let help = calm
            .send(Body::HelpRequest(HelpRequest { note: None }))
            .await;
        calm.receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&help)))
            .await;
        waited.push(asked_at.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (acked, deferred) = answers.await.unwrap();
    assert_eq!(acked + deferred, PHOTOS, "every photo answered once");
    assert_eq!(
        hub.hub().counts().unwrap().messages,
        acked,
        "what was acknowledged is stored"
    );
    let running = hub.running.as_ref().unwrap();
    assert_eq!(running.dropped(), 0, "nothing dropped in silence");
    let worst = waited.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{} calls for help during the flood, the slowest acknowledged after {worst:?}; {acked} photos stored, {deferred} to send again",
        waited.len()
    );
    assert!(
        worst < Duration::from_secs(1),
        "a call for help waited {worst:?} behind the photos (all waits: {waited:?}; {acked} photos stored, {deferred} to send again)"
    );
}
