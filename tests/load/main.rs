//! The hub under a burst: after an outage every tablet of a neighbourhood resends at once.
//! That must never stop the hub reading the broker, delay an uninvolved senior's call for
//! help, or lose a message. (Throughput and latency figures live in `cargo xtask bench`.)
//!
//! A test binary of its own, unlike the rest of `it/`: it holds the hub to a deadline
//! (an ack within a second), so it must not share the two CI cores with other tests, and
//! cargo runs test binaries one after another.

// Test helpers may unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use nabij_protocol::{Ack, Body, HelpRequest, MessageId, Recipient, TextMessage};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tests::hub::TestHub;
use tests::sim_kiosk::{Device, enrolled};

const TABLETS: usize = 50;
const EACH: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_from_fifty_tablets_delays_no_one_and_loses_nothing() {
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
