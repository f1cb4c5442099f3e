//! What docs/protocol.md promises a kiosk, held against the real hub and broker point by
//! point (issue 22, item 9): every refusal is answered when the id can be read, the
//! packet limit is the broker's, a passed-on message keeps the time it was written, and
//! a photo is checked before anyone gets it.

use nabij_protocol::limits::{MAX_PACKET_BYTES, MAX_PAYLOAD_BYTES};
use nabij_protocol::{
    Body, Envelope, MessageId, Party, Recipient, RejectReason, Rejected, TextMessage, Topic,
    UnixMillis,
};
use tests::hub::TestHub;
use tests::sim_kiosk::{Device, message_id};

async fn tablet(hub: &TestHub, name: &str) -> Device {
    if hub.hub().find_participant(name).is_err() {
        hub.hub().add_participant(name, None, None).await.unwrap();
    }
    tests::sim_kiosk::enrolled(hub, name).await
}

/// Two contacts with tablets, past their new contact lists.
async fn jan_and_anna(hub: &TestHub) -> (Device, Device) {
    let mut jan = tablet(hub, "Jan Claes").await;
    let mut anna = tablet(hub, "Anna Peeters").await;
    hub.hub()
        .approve_contacts(&hub.person("Jan Claes"), &hub.person("Anna Peeters"))
        .await
        .unwrap();
    for device in [&mut jan, &mut anna] {
        device
            .receive_until(|e| matches!(e.body, Body::Contacts(_)))
            .await;
    }
    (jan, anna)
}

/// Publishes any bytes on the tablet's `up` topic.
async fn publish_raw(device: &Device, payload: Vec<u8>) {
    let topic = Topic::DeviceUp(device.credentials.device_id.clone()).to_string();
    device.client.publish(&topic, payload, false).await;
}

/// The hub's answer about `id`: its `ack` as `None`, or its `rejected`.
async fn answer_about(device: &mut Device, id: &MessageId) -> Option<Rejected> {
    let answer = device
        .receive_until(|e| match &e.body {
            Body::Ack(a) => a.ids.contains(id),
            Body::Rejected(r) => &r.id == id,
            _ => false,
        })
        .await;
    match answer.body {
        Body::Rejected(r) => Some(r),
        _ => None,
    }
}

/// `{"v":1,"id":…,"from":…,` then `rest`, as raw bytes.
fn payload(device: &Device, id: &MessageId, rest: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        r#"{{"v":1,"id":"{id}","from":"{}","#,
        device.credentials.device_id
    )
    .into_bytes();
    bytes.extend_from_slice(rest);
    bytes
}

#[tokio::test]
async fn an_oversized_message_is_answered_too_large_and_not_sent_for_ever() {
    let hub = TestHub::start().await;
    let (mut jan, _anna) = jan_and_anna(&hub).await;
    // Over the payload limit, within the broker's packet limit: it reaches the hub.
    let id = message_id();
    let text = "a".repeat(MAX_PAYLOAD_BYTES);
    let big = payload(
        &jan,
        &id,
        format!(r#""ts":1,"kind":"text","body":{{"to":"p-anna-peeters","text":"{text}"}}}}"#)
            .as_bytes(),
    );
    assert!(big.len() > MAX_PAYLOAD_BYTES && big.len() < MAX_PACKET_BYTES - 100);
    publish_raw(&jan, big).await;
    let refused = answer_about(&mut jan, &id).await.expect("refused");
    assert_eq!(refused.reason, RejectReason::TooLarge);
    assert!(refused.is_final(), "the kiosk stops sending it");
    assert_eq!(hub.hub().counts().unwrap().messages, 0);
}

#[tokio::test]
async fn a_packet_over_the_brokers_limit_closes_the_connection() {
    // The limit a kiosk MUST respect (docs/protocol.md §1) is the one the broker holds.
    let hub = TestHub::start().await;
    let mut jan = tablet(&hub, "Jan Claes").await;
    let id = message_id();
    let mut over = payload(&jan, &id, br#""ts":1,"kind":"text","body":{"text":""#);
    over.resize(MAX_PACKET_BYTES, b'a');
    publish_raw(&jan, over).await;
    let why = jan.client.closed().await;
    assert!(!why.is_empty());
}

#[tokio::test]
async fn a_malformed_message_whose_id_is_readable_is_rejected_malformed() {
    let hub = TestHub::start().await;
    let (mut jan, _anna) = jan_and_anna(&hub).await;
    let broken: [&[u8]; 4] = [
        // A byte that is not UTF-8 inside the text.
        b"\"ts\":1,\"kind\":\"text\",\"body\":{\"to\":\"p-anna-peeters\",\"text\":\"Dag \xff\"}}",
        // Cut short.
        br#""ts":1,"kind":"text","body":{"to":"p-anna-peeters","text":"Dag An"#,
        // Something after the object.
        br#""ts":1,"kind":"text","body":{"to":"p-anna-peeters","text":"Dag"}} and more"#,
        // A field of the wrong type (valid JSON).
        br#""ts":"yesterday","kind":"text","body":{"to":"p-anna-peeters","text":"Dag"}}"#,
    ];
    for rest in broken {
        let id = message_id();
        publish_raw(&jan, payload(&jan, &id, rest)).await;
        let refused = answer_about(&mut jan, &id).await;
        assert_eq!(
            refused.map(|r| r.reason),
            Some(RejectReason::Malformed),
            "{}",
            String::from_utf8_lossy(rest)
        );
    }
    assert_eq!(hub.hub().counts().unwrap().messages, 0);
}

#[tokio::test]
async fn a_message_written_offline_reaches_its_recipient_with_the_time_it_was_written() {
    let hub = TestHub::start().await;
    let (jan, mut anna) = jan_and_anna(&hub).await;
    let now = UnixMillis::now().0;
    let day = 24 * 3_600 * 1_000;
    let send = async |ts: u64, words: &str| {
        let envelope = Envelope {
            ts: UnixMillis(ts),
            ..Envelope::new(
                message_id(),
                Party::Device(jan.credentials.device_id.clone()),
                Body::Text(TextMessage {
                    to: Recipient::parse("p-anna-peeters").unwrap(),
                    author: None,
                    text: words.into(),
                }),
            )
        };
        publish_raw(&jan, envelope.to_bytes()).await;
    };
    // Written on Monday, offline until Wednesday.
    send(now - 2 * day, "Geschreven maandag").await;
    let got = anna
        .receive_until(|e| matches!(e.body, Body::Text(_)))
        .await;
    assert_eq!(got.ts, UnixMillis(now - 2 * day), "the time it was written");
    // A tablet whose clock is ahead, or was reset, gets the hub's time of receipt.
    for wrong in [now + day, 0] {
        let before = UnixMillis::now();
        send(wrong, "Een klok die niet klopt").await;
        let got = anna
            .receive_until(|e| matches!(e.body, Body::Text(_)))
            .await;
        assert!(
            got.ts >= before && got.ts <= UnixMillis::now(),
            "{wrong}: {:?}",
            got.ts
        );
    }
}

#[tokio::test]
async fn a_photo_that_is_not_what_it_says_is_rejected_and_reaches_no_one() {
    let hub = TestHub::start().await;
    let (mut jan, mut anna) = jan_and_anna(&hub).await;
    let jpeg = tests::jpeg(64, 48);
    let photo = |data: Vec<u8>, width: u32| {
        Body::Photo(nabij_protocol::Photo {
            to: Recipient::parse("p-anna-peeters").unwrap(),
            author: None,
            mime: nabij_protocol::ImageMime::Jpeg,
            width,
            height: 48,
            caption: None,
            data: nabij_protocol::base64::Base64Bytes(data),
        })
    };
    let cut = jan.send(photo(jpeg[..jpeg.len() - 40].to_vec(), 64)).await;
    let refused = answer_about(&mut jan, &cut).await.expect("refused");
    assert_eq!(refused.reason, RejectReason::Malformed);
    assert!(
        refused
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("damaged")),
        "{refused:?}"
    );
    let wrong_size = jan.send(photo(jpeg.clone(), 640)).await;
    let refused = answer_about(&mut jan, &wrong_size).await.expect("refused");
    assert_eq!(
        refused.detail.as_deref(),
        Some("the photo is a JPEG of 64×48 pixels, but its message says a JPEG of 640×48 pixels")
    );
    let good = jan.send(photo(jpeg, 64)).await;
    assert_eq!(answer_about(&mut jan, &good).await, None, "acknowledged");
    let got = anna
        .receive_until(|e| matches!(e.body, Body::Photo(_)))
        .await;
    let Body::Photo(got) = got.body else {
        unreachable!()
    };
    assert_eq!(got.width, 64, "only the good one arrives");
    assert_eq!(hub.hub().counts().unwrap().messages, 1);
}
