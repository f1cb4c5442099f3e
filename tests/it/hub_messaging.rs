//! Messaging through the real hub and broker, with simulated kiosks speaking the
//! protocol: storage before ack, delivery, receipts, dedupe, and the contact rule.

use nabij_protocol::{Body, Envelope, ReceiptState, Recipient, RejectReason, TextMessage};
use tests::hub::TestHub;
use tests::sim_kiosk::Device;

async fn tablet(hub: &TestHub, name: &str) -> Device {
    if hub.hub().find_participant(name).is_err() {
        hub.hub().add_participant(name, None, None).await.unwrap();
    }
    tests::sim_kiosk::enrolled(hub, name).await
}

fn text(to: &str, words: &str) -> Body {
    Body::Text(TextMessage {
        to: Recipient::parse(to).unwrap(),
        author: None,
        text: words.into(),
    })
}

/// Receives until a message matches; acknowledges everything the hub wants acked, as a
/// kiosk does. Returns the match.
#[tokio::test]
async fn a_text_is_stored_acknowledged_delivered_and_seen() {
    let hub = TestHub::start().await;
    let mut jan = tablet(&hub, "Jan Claes").await;
    let mut anna = tablet(&hub, "Anna Peeters").await;
    hub.hub()
        .approve_contacts(&hub.person("Jan Claes"), &hub.person("Anna Peeters"))
        .await
        .unwrap();
    let contacts = jan
        .receive_until(|e| matches!(e.body, Body::Contacts(_)))
        .await;
    let Body::Contacts(list) = contacts.body else {
        unreachable!()
    };
    assert_eq!(
        list.contacts
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Anna Peeters"]
    );

    let sent = jan
        .send(text("p-anna-peeters", "Dag Anna, tot dinsdag!"))
        .await;
    let ack = jan
        .receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&sent)))
        .await;
    assert!(matches!(ack.body, Body::Ack(_)));
    // Stored before the ack: the hub's database has it.
    assert_eq!(hub.hub().counts().unwrap().messages, 1);

    let got = anna
        .receive_until(|e| matches!(e.body, Body::Text(_)))
        .await;
    let Body::Text(t) = &got.body else {
        unreachable!()
    };
    assert_eq!(
        (t.text.as_str(), t.author.as_ref().map(|a| a.as_str())),
        ("Dag Anna, tot dinsdag!", Some("p-jan-claes"))
    );
    assert_ne!(got.id, sent, "the hub gives the delivered copy its own id");

    let delivered = jan
        .receive_until(|e| matches!(e.body, Body::Receipt(_)))
        .await;
    let Body::Receipt(r) = delivered.body else {
        unreachable!()
    };
    assert_eq!(
        (r.ids, r.state, r.by.map(|p| p.to_string())),
        (
            vec![sent.clone()],
            ReceiptState::Delivered,
            Some("p-anna-peeters".into())
        )
    );

    let seen = anna
        .send(Body::Receipt(nabij_protocol::Receipt {
            ids: vec![got.id.clone()],
            state: ReceiptState::Seen,
            by: None,
        }))
        .await;
    anna.receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&seen)))
        .await;
    let seen_receipt = jan
        .receive_until(|e| matches!(e.body, Body::Receipt(_)))
        .await;
    let Body::Receipt(r) = seen_receipt.body else {
        unreachable!()
    };
    assert_eq!((r.ids, r.state), (vec![sent], ReceiptState::Seen));
}

#[tokio::test]
async fn a_resent_message_is_acknowledged_again_but_delivered_once() {
    let hub = TestHub::start().await;
    let mut jan = tablet(&hub, "Jan Claes").await;
    let mut anna = tablet(&hub, "Anna Peeters").await;
    hub.hub()
        .approve_contacts(&hub.person("Jan Claes"), &hub.person("Anna Peeters"))
        .await
        .unwrap();
    let envelope = Envelope::new(
        tests::sim_kiosk::message_id(),
        nabij_protocol::Party::Device(jan.credentials.device_id.clone()),
        text("p-anna-peeters", "Hallo"),
    );
    let topic = nabij_protocol::Topic::DeviceUp(jan.credentials.device_id.clone()).to_string();
    // Sent, acknowledged; then sent twice more (the ack "was lost"): acknowledged again.
    // Resends that reach the hub together may share one ack.
    for resends in [1, 2] {
        for _ in 0..resends {
            jan.client.publish(&topic, envelope.to_bytes(), false).await;
        }
        jan.receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&envelope.id)))
            .await;
    }
    anna.receive_until(|e| matches!(e.body, Body::Text(_)))
        .await;
    anna.barrier().await; // nothing else arrived before the barrier's answer
    assert_eq!(hub.hub().counts().unwrap().messages, 1);
}

#[tokio::test]
async fn a_stranger_cannot_make_a_message_appear() {
    let hub = TestHub::start().await;
    let mut jan = tablet(&hub, "Jan Claes").await;
    let mut mia = tablet(&hub, "Mia Vermeulen").await;
    let sent = jan
        .send(text("p-mia-vermeulen", "Ik ben een vreemde"))
        .await;
    let refused = jan
        .receive_until(|e| matches!(e.body, Body::Rejected(_)))
        .await;
    let Body::Rejected(r) = refused.body else {
        unreachable!()
    };
    assert_eq!((r.id, r.reason), (sent, RejectReason::NotAContact));
    let to_group = jan.send(text("g-oostende", "Aan iedereen")).await;
    let refused = jan
        .receive_until(|e| matches!(e.body, Body::Rejected(_)))
        .await;
    assert!(
        matches!(refused.body, Body::Rejected(ref r) if r.id == to_group && r.reason == RejectReason::NotAContact)
    );
    mia.barrier().await; // Mia received nothing
    assert!((hub.hub().counts().unwrap().messages == 0));
}

#[tokio::test]
async fn a_coach_reaches_the_whole_group_and_becomes_its_help_contact() {
    use nabij_hub::app::CoachMessage;
    let hub = TestHub::start().await;
    hub.group_with("Oostende Oost", &["Jan Claes", "Anna Peeters"])
        .await;
    hub.hub()
        .add_participant("Paul Wouters", None, None)
        .await
        .unwrap();
    let mut jan = tablet(&hub, "Jan Claes").await;
    let mut anna = tablet(&hub, "Anna Peeters").await;
    let mut paul = tablet(&hub, "Paul Wouters").await;

    let coach = hub
        .hub()
        .add_coach(
            "Marie Dewulf",
            "059 12 34 56",
            Some(&hub.group("Oostende Oost")),
        )
        .await
        .unwrap();
    for tablet in [&mut jan, &mut anna] {
        let (mut card, mut listed) = (None, false);
        tablet
            .receive_until(|e| {
                match &e.body {
                    Body::Config(c) => card = c.coach.clone(),
                    Body::Contacts(c) => listed = c.contacts.iter().any(|c| c.person == coach.id),
                    _ => {}
                }
                card.is_some() && listed
            })
            .await;
        let card = card.unwrap();
        assert_eq!(
            (card.person, card.phone.as_str()),
            (coach.id.clone(), "059 12 34 56"),
            "the group's coach is on each member's Help screen and contact list"
        );
    }

    let sent = hub
        .hub()
        .send_from_coach(
            &hub.person("Marie Dewulf"),
            &hub.audience("Oostende Oost"),
            CoachMessage::Text {
                text: "De bus vertrekt morgen om 13:30".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!((sent.people, sent.tablets), (2, 2));
    for tablet in [&mut jan, &mut anna] {
        let got = tablet
            .receive_until(|e| matches!(e.body, Body::Text(_)))
            .await;
        let Body::Text(t) = got.body else {
            unreachable!()
        };
        assert_eq!(t.text, "De bus vertrekt morgen om 13:30");
        assert_eq!(t.author, Some(coach.id.clone()));
        assert_eq!(t.to, Recipient::parse("g-oostende-oost").unwrap());
    }

    // A photo to one member; the hub measured it.
    let photo = tests::jpeg(120, 80);
    hub.hub()
        .send_from_coach(
            &hub.person("Marie Dewulf"),
            &hub.audience("Anna Peeters"),
            CoachMessage::Photo {
                image: nabij_protocol::base64::Base64Bytes(photo.clone()),
                caption: Some("Onze uitstap".into()),
            },
        )
        .await
        .unwrap();
    let got = anna
        .receive_until(|e| matches!(e.body, Body::Photo(_)))
        .await;
    let Body::Photo(p) = got.body else {
        unreachable!()
    };
    assert_eq!((p.width, p.height, p.data.0), (120, 80, photo));

    // Paul is in no group and not Marie's contact: refused, nothing arrives.
    let refused = hub
        .hub()
        .send_from_coach(
            &hub.person("Marie Dewulf"),
            &hub.audience("Paul Wouters"),
            CoachMessage::Text {
                text: "Hallo".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, nabij_hub::app::AppError::NotAContact { .. }),
        "{refused}"
    );
    // Nor to a group whose members do not have Marie on their list (they could not open
    // the conversation).
    hub.group_with("Brugge Noord", &["Els Claes"]).await;
    let refused = hub
        .hub()
        .send_from_coach(
            &hub.person("Marie Dewulf"),
            &hub.audience("Brugge Noord"),
            CoachMessage::Text {
                text: "Hallo".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("Marie Dewulf is not a contact of Els Claes"),
        "{refused}"
    );
    // Only coaches send from the hub; a broken photo is refused with its reason.
    let not_coach = hub
        .hub()
        .send_from_coach(
            &hub.person("Jan Claes"),
            &hub.audience("Oostende Oost"),
            CoachMessage::Text {
                text: "Hallo".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(not_coach.to_string().contains("not a coach"), "{not_coach}");
    let broken = hub
        .hub()
        .send_from_coach(
            &hub.person("Marie Dewulf"),
            &hub.audience("Oostende Oost"),
            CoachMessage::Photo {
                image: nabij_protocol::base64::Base64Bytes(b"not a photo".to_vec()),
                caption: None,
            },
        )
        .await
        .unwrap_err();
    assert!(broken.to_string().contains("not a JPEG or PNG"), "{broken}");
    // Paul's tablet got nothing from Marie: everything the hub sent it before it answered
    // a later message of Paul's is in `before`.
    let before = paul.barrier().await;
    assert!(
        !before.iter().any(|e| matches!(e.body, Body::Text(_))),
        "a refused message reaches no tablet: {before:?}"
    );
}
