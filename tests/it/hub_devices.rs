//! The hub with its real managed Mosquitto: pairing, per-device credentials and ACLs,
//! revocation, wipe, loans and health, driven by simulated kiosks over TLS.

use nabij_hub::domain::devices::{DeviceRecord, DeviceState};
use nabij_hub::domain::loans::Condition;
use nabij_protocol::{Ack, Body, CheckIn, Empty, Envelope, Mood, Party, RejectReason, Topic};
use rumqttc::SubscribeReasonCode;
use std::time::{Duration, Instant};
use tests::hub::TestHub;
use tests::mqtt_client::{Client, Login, Refused};
use tests::sim_kiosk::{Credentials, Device, Pairing, eventually, message_id};

/// Adds a participant and pairs a new tablet for them, as a coach would.
async fn enrol(hub: &TestHub, name: &str, hardware_id: Option<&str>) -> Credentials {
    if hub.hub().find_participant(name).is_err() {
        hub.hub()
            .add_participant(name, None, None)
            .await
            .expect("participant added");
    }
    let mut pairing = Pairing::connect(&hub.kiosk_settings()).await;
    let code = pairing.code(hardware_id).await;
    let shown = format!("{}-{}", &code[..3], &code[3..]);
    hub.hub()
        .enrol(&shown, &hub.person(name), None, "command line")
        .await
        .expect("enrolment works");
    let credentials = pairing.granted().await;
    pairing.client.disconnect().await;
    credentials
}

async fn connected(hub: &TestHub, name: &str) -> Device {
    let credentials = enrol(hub, name, None).await;
    let mut device = Device::connect(&hub.kiosk_settings(), &credentials)
        .await
        .expect("the new credential works");
    device.barrier().await;
    device
}

fn state_of(hub: &TestHub, device: &Credentials) -> DeviceRecord {
    hub.hub().device(&device.device_id).expect("device known")
}

#[tokio::test]
async fn a_paired_tablet_connects_as_itself_and_reports_its_health() {
    let hub = TestHub::start().await;
    let device = connected(&hub, "Jan Claes").await;
    let record = state_of(&hub, &device.credentials);
    assert_eq!(record.state, DeviceState::Active);
    assert!(record.online && record.connected_once);
    assert_eq!(
        (record.battery_pct, record.profile.as_str()),
        (Some(80), "desktop")
    );
    assert!(
        hub.hub().counts().unwrap().pairings == 0,
        "the stored password is forgotten once used"
    );

    let rows = hub.hub().devices(false).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].participant_name, "Jan Claes");
}

#[tokio::test]
async fn the_last_will_marks_a_vanished_tablet_offline_and_silence_is_flagged() {
    let mut hub = TestHub::start().await;
    hub.stop().await;
    hub.config.health.silent_after_days = 0;
    hub.running = Some(nabij_hub::start(hub.config.clone()).await.unwrap());
    let device = connected(&hub, "Jan Claes").await;
    let id = device.credentials.device_id.clone();
    assert!(
        hub.hub().devices(true).unwrap().is_empty(),
        "an online tablet is never silent"
    );
    drop(device); // the connection drops without DISCONNECT: the broker sends the will
    eventually("the will marks it offline", || {
        !state_of_id(&hub, &id).online
    })
    .await;
    let silent = hub.hub().devices(true).unwrap();
    assert_eq!(silent.len(), 1);
    assert!(silent[0].silent);
}

fn state_of_id(hub: &TestHub, id: &nabij_protocol::DeviceId) -> DeviceRecord {
    hub.hub().device(id).expect("device known")
}

#[tokio::test]
async fn each_tablet_reaches_only_its_own_topics() {
    let hub = TestHub::start().await;
    let settings = hub.kiosk_settings();
    let mut a = connected(&hub, "Anna Peeters").await;
    let mut b = connected(&hub, "Bert Janssens").await;
    let (a_id, b_id) = (
        a.credentials.device_id.clone(),
        b.credentials.device_id.clone(),
    );

    // Mosquitto checks read rights when it delivers, not when it subscribes: these
    // subscriptions are accepted but must never deliver anything that is not A's.
    for filter in [
        Topic::DeviceDown(b_id.clone()).to_string(),
        Topic::DeviceUp(b_id.clone()).to_string(),
        Topic::DeviceStatus(b_id.clone()).to_string(),
        "#".to_owned(),
        "nabij/v1/dev/+/down".to_owned(),
        "nabij/v1/enrol/+/down".to_owned(),
    ] {
        a.client.subscribe(&filter).await;
    }
    b.barrier().await; // the hub writes to B's down topic, and B's status is retained
    let own_barrier = a
        .send(Body::Unknown {
            kind: "barrier".into(),
            body: serde_json::json!({}),
        })
        .await;
    loop {
        let (topic, payload) = a.client.next_message().await;
        let own = [
            Topic::DeviceDown(a_id.clone()).to_string(),
            Topic::HubStatus.to_string(),
        ];
        assert!(own.contains(&topic), "A received a message on {topic}");
        if String::from_utf8_lossy(&payload).contains(own_barrier.as_str()) {
            break;
        }
    }

    // A spy with the hub's own rights sees what really reaches the broker's subscribers.
    let secrets = hub.secrets();
    let mut spy = Client::connect_to(
        "127.0.0.1",
        hub.config.broker.local_port,
        None,
        Login {
            client_id: "test-spy",
            username: "nabij-hub",
            password: secrets["hub_password"].as_str().unwrap(),
            clean_session: true,
            will: None,
        },
    )
    .await
    .expect("spy logs in");
    assert_ne!(
        spy.subscribe("nabij/v1/dev/+/up").await,
        SubscribeReasonCode::Failure
    );

    // A forges a message as B, on B's topic: the broker drops it. A's next, allowed
    // message is the first thing anyone sees.
    let forged = Envelope::new(
        message_id(),
        Party::Device(b_id.clone()),
        Body::CheckIn(CheckIn {
            mood: Mood::NotGood,
        }),
    );
    a.client
        .publish(
            &Topic::DeviceUp(b_id.clone()).to_string(),
            forged.to_bytes(),
            false,
        )
        .await;
    let fake_wipe = Envelope::new(message_id(), Party::Hub, Body::Wipe(Empty {}));
    a.client
        .publish(
            &Topic::DeviceDown(b_id.clone()).to_string(),
            fake_wipe.to_bytes(),
            false,
        )
        .await;
    a.client
        .publish(&Topic::HubStatus.to_string(), fake_wipe.to_bytes(), true)
        .await;
    let sentinel = a.send(Body::CheckIn(CheckIn { mood: Mood::Good })).await;
    let (topic, payload) = spy.next_message().await;
    assert_eq!(
        topic,
        Topic::DeviceUp(a_id.clone()).to_string(),
        "the forged message never arrived"
    );
    assert!(String::from_utf8_lossy(&payload).contains(sentinel.as_str()));

    // B never received the fake wipe: its next message is its own barrier's answer.
    b.barrier().await;

    // The shared pairing login cannot read another pairing tablet's answers.
    let mut other = Pairing::connect(&settings).await;
    let mut pairing = Pairing::connect(&settings).await;
    pairing.client.subscribe("nabij/v1/enrol/+/down").await;
    pairing.client.subscribe("#").await;
    let _ = other.code(None).await; // the hub answers the other tablet
    let _ = pairing.code(None).await; // answer() fails on anything but its own topic

    // A's password does not open B's account.
    let stolen = Credentials {
        device_id: b_id.clone(),
        password: a.credentials.password.clone(),
    };
    assert!(matches!(
        Device::login(&settings, &stolen).await,
        Err(Refused::NotAuthorized(_))
    ));
}

#[tokio::test]
async fn revoking_cuts_a_tablet_off_within_a_second() {
    let hub = TestHub::start().await;
    let mut device = connected(&hub, "Jan Claes").await;
    let started = Instant::now();
    hub.hub()
        .revoke(&device.credentials.device_id)
        .await
        .expect("revoke");
    // The tablet may first get the `revoked` notice; then the connection goes.
    let mut notified = false;
    loop {
        match device.client.next().await {
            tests::mqtt_client::Seen::Message { payload, .. } => {
                notified |= String::from_utf8_lossy(&payload).contains("\"kind\":\"revoked\"");
            }
            tests::mqtt_client::Seen::SubAck(_) => {}
            tests::mqtt_client::Seen::Closed(_) => break,
        }
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(1),
        "cut off after {elapsed:?}"
    );
    assert!(notified, "the tablet was told why");
    let again = Device::login(&hub.kiosk_settings(), &device.credentials).await;
    assert!(
        matches!(again, Err(Refused::NotAuthorized(_))),
        "{:?}",
        again.err()
    );
    assert_eq!(
        state_of(&hub, &device.credentials).state,
        DeviceState::Revoked
    );
}

#[tokio::test]
async fn a_wiped_tablet_pairs_again_and_is_lent_to_the_next_participant() {
    let hub = TestHub::start().await;
    let settings = hub.kiosk_settings();
    let credentials = enrol(&hub, "Jan Claes", Some("hw-tablet-17")).await;
    let mut device = Device::connect(&settings, &credentials).await.unwrap();
    device.barrier().await;

    // Wiped over the network (the tablet is still with the senior), then taken back.
    hub.hub().wipe(&credentials.device_id).await.unwrap();
    let wipe = device.receive().await;
    assert!(matches!(wipe.body, Body::Wipe(_)), "got {:?}", wipe.body);
    device
        .send(Body::Ack(Ack {
            ids: vec![wipe.id.clone()],
        }))
        .await;
    device.client.closed().await; // its credential is gone once the wipe is confirmed
    assert_eq!(state_of(&hub, &credentials).state, DeviceState::Wiped);
    assert!(matches!(
        Device::login(&settings, &credentials).await,
        Err(Refused::NotAuthorized(_))
    ));
    hub.hub()
        .return_device(
            &credentials.device_id,
            Condition::Good,
            Some("charger missing".into()),
        )
        .await
        .unwrap();

    let next = enrol(&hub, "Mia Vermeulen", Some("hw-tablet-17")).await;
    assert_ne!(
        next.device_id, credentials.device_id,
        "a new loan gets a new identity"
    );
    let mut device = Device::connect(&settings, &next)
        .await
        .expect("the re-lent tablet connects");
    device.barrier().await;

    let loans = hub.hub().loans().unwrap();
    assert_eq!(loans.len(), 2);
    assert!(loans.iter().all(|l| l.tablet == "hw-tablet-17"));
    let first = loans
        .iter()
        .find(|l| l.device == credentials.device_id)
        .unwrap();
    assert!(first.returned_at.is_some());
    assert_eq!(
        (first.condition, first.note.as_deref()),
        (Some(Condition::Good), Some("charger missing"))
    );
    let second = loans.iter().find(|l| l.device == next.device_id).unwrap();
    assert_eq!(
        (second.participant.as_str(), second.returned_at),
        ("p-mia-vermeulen", None)
    );
}

/// The probe of issue 22: a tablet taken back in good condition kept its credential
/// while a wipe waited for it, and a coach's next message reached it.
#[tokio::test]
async fn a_tablet_taken_back_is_cut_off_at_once_and_a_coachs_message_never_reaches_it() {
    let hub = TestHub::start().await;
    let settings = hub.kiosk_settings();
    let mut device = connected(&hub, "Jan Claes").await;
    let jan = hub.person("Jan Claes");
    let marie = hub
        .hub()
        .add_coach("Marie", "059 12 34 56", None)
        .await
        .unwrap();
    hub.hub().approve_contacts(&marie.id, &jan).await.unwrap();
    device.barrier().await;
    let started = Instant::now();
    hub.hub()
        .return_device(&device.credentials.device_id, Condition::Good, None)
        .await
        .unwrap();
    loop {
        match device.client.next().await {
            tests::mqtt_client::Seen::Message { payload, .. } => {
                let text = String::from_utf8_lossy(&payload).into_owned();
                assert!(!text.contains("\"kind\":\"text\""), "got {text}");
            }
            tests::mqtt_client::Seen::SubAck(_) => {}
            tests::mqtt_client::Seen::Closed(_) => break,
        }
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(1),
        "cut off after {elapsed:?}"
    );
    let sent = hub
        .hub()
        .send_from_coach(
            &marie.id,
            &nabij_hub::app::Audience::Person(jan),
            nabij_hub::app::CoachMessage::Text {
                text: "Dag Jan, de bus komt om 13:30".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(sent.tablets, 0, "nothing is queued for the returned tablet");
    assert!(matches!(
        Device::login(&settings, &device.credentials).await,
        Err(Refused::NotAuthorized(_))
    ));
    assert_eq!(
        state_of(&hub, &device.credentials).state,
        DeviceState::Revoked
    );
}

/// Issue 22: a granted pairing kept the tablet's password in the database until the
/// tablet first connected. Now no password is ever written: a tablet that lost its grant
/// gets a fresh one (see the hub's unit test
/// `a_lost_grant_comes_again_with_a_fresh_password_and_no_password_is_ever_stored`).
#[tokio::test]
async fn no_tablet_password_is_in_the_database_files() {
    let hub = TestHub::start().await;
    hub.hub()
        .add_participant("Jan Claes", None, None)
        .await
        .unwrap();
    let mut pairing = Pairing::connect(&hub.kiosk_settings()).await;
    let code = pairing.code(None).await;
    hub.hub()
        .enrol(&code, &hub.person("Jan Claes"), None, "command line")
        .await
        .unwrap();
    let granted = pairing.granted().await;
    // Before the tablet ever connects, while its grant waits for it: every file of the
    // database (its log and its tables) is searched for the password.
    let password = granted.password.as_bytes();
    let mut files = 0;
    let mut todo = vec![hub.config.data_dir.join("db")];
    while let Some(path) = todo.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                todo.push(entry.unwrap().path());
            }
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        files += 1;
        assert!(
            !bytes.windows(password.len()).any(|w| w == password),
            "the password is in {}",
            path.display()
        );
    }
    assert!(files > 0, "the database was searched");
    Device::connect(&hub.kiosk_settings(), &granted)
        .await
        .expect("the identity works");
}

/// Issue 22: anyone holding the enrolment password (it is on every tablet) could fill
/// the hub's 500 pairings in under a second, and again every 15 minutes, so that no real
/// tablet could pair. Pairings now live while their tablet says hello, and a new one is
/// never refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_fake_pairings_does_not_keep_a_real_tablet_from_pairing() {
    let hub = TestHub::start().await;
    hub.hub()
        .add_participant("Jan Claes", None, None)
        .await
        .unwrap();
    let settings = hub.kiosk_settings();
    // 600 fake tablets, each with a connection of its own (the broker lets a pairing
    // connection write only its own topic), 25 at a time; each gets a code and leaves.
    let mut flood = tokio::task::JoinSet::new();
    let mut codes = 0;
    for n in 0..600 {
        let settings = settings.clone();
        flood.spawn(async move {
            let mut fake = Pairing::connect(&settings).await;
            fake.hello(None).await;
            let answer = fake.answer().await;
            fake.client.disconnect().await;
            answer
        });
        if n >= 25
            && let Some(done) = flood.join_next().await
        {
            let answer = done.unwrap();
            assert!(
                matches!(answer, Body::PairingCode(_)),
                "refused: {answer:?}"
            );
            codes += 1;
        }
    }
    while let Some(done) = flood.join_next().await {
        let answer = done.unwrap();
        assert!(
            matches!(answer, Body::PairingCode(_)),
            "refused: {answer:?}"
        );
        codes += 1;
    }
    assert_eq!(codes, 600);
    // The real tablet still pairs.
    let mut real = Pairing::connect(&settings).await;
    let code = real.code(None).await;
    hub.hub()
        .enrol(&code, &hub.person("Jan Claes"), None, "command line")
        .await
        .expect("the real tablet's code pairs");
    let granted = real.granted().await;
    Device::connect(&settings, &granted)
        .await
        .expect("the real tablet connects as itself");
}

#[tokio::test]
async fn bad_pairing_messages_and_wrong_codes_are_refused_with_a_logged_reason() {
    let logs = tests::logs::capture();
    let hub = TestHub::start().await;
    let mut pairing = Pairing::connect(&hub.kiosk_settings()).await;
    let eid = pairing.enrolment_id.to_string();
    pairing.publish_raw(b"not json at all".to_vec()).await;
    pairing.publish_raw(vec![b'{'; 5_000]).await;
    let forged = Envelope::new(
        message_id(),
        Party::Enrolling(tests::sim_kiosk::enrolment_id()),
        Body::EnrolHello(nabij_protocol::EnrolHello {
            profile: "x".into(),
            app_version: "1".into(),
            hardware_id: None,
        }),
    );
    pairing.publish_raw(forged.to_bytes()).await;
    let wrong_kind = Envelope::new(
        message_id(),
        Party::Enrolling(pairing.enrolment_id.clone()),
        Body::Wipe(Empty {}),
    );
    pairing.publish_raw(wrong_kind.to_bytes()).await;
    // The hub is still there, and answers the next good hello.
    let code = pairing.code(None).await;
    for reason in [
        "not a valid Nabij envelope",
        "payload is 5000 bytes",
        "may not publish on",
        "may not be sent on",
    ] {
        assert!(
            logs.has_line_with(&["pairing message refused", &eid, reason]),
            "no log line for {reason:?}"
        );
    }

    hub.hub()
        .add_participant("Jan Claes", None, None)
        .await
        .unwrap();
    let wrong = if code == "AAAAAA" { "CCCCCC" } else { "AAAAAA" };
    let error = hub
        .hub()
        .enrol(wrong, &hub.person("Jan Claes"), None, "command line")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("no tablet is showing the code AAAAAA") || error.contains("CCCCCC"),
        "{error}"
    );
    assert!(logs.has_line_with(&["a coach entered a code no tablet shows", wrong]));
    let error = hub
        .hub()
        .enrol(
            &code,
            &"p-nobody-known".parse().unwrap(),
            None,
            "command line",
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("there is no participant"), "{error}");
    assert!(
        hub.hub().counts().unwrap().devices == 0,
        "nothing was made by failed attempts"
    );
}

#[tokio::test]
async fn a_tablet_message_of_an_unknown_kind_is_rejected_and_an_unhandled_one_stays_with_the_tablet()
 {
    let hub = TestHub::start().await;
    let mut device = connected(&hub, "Jan Claes").await;
    let id = device
        .send(Body::Unknown {
            kind: "sticker".into(),
            body: serde_json::json!({"emoji": "x"}),
        })
        .await;
    let answer = device.receive().await;
    match answer.body {
        Body::Rejected(r) => assert_eq!((r.id, r.reason), (id, RejectReason::UnknownKind)),
        other => panic!("expected rejected, got {other:?}"),
    }
    // A kind this hub version does not handle yet gets no ack (so the tablet keeps it),
    // and no rejection.
    device
        .send(Body::CheckIn(CheckIn { mood: Mood::Good }))
        .await;
    device.barrier().await;
}

#[tokio::test]
async fn the_broker_is_restarted_when_it_dies_and_tablets_get_back_in() {
    let hub = TestHub::start().await;
    let device = connected(&hub, "Jan Claes").await;
    let credentials = device.credentials.clone();
    let pid_file = hub.config.data_dir.join("broker/mosquitto.pid");
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    let killed_at = nabij_protocol::UnixMillis::now();
    std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap();
    let mut device = device;
    device.client.closed().await;
    // The supervisor starts it again; the tablet reconnects (with back-off) as itself.
    let deadline = Instant::now() + tests::mqtt_client::PATIENCE;
    let mut device = loop {
        match Device::connect(&hub.kiosk_settings(), &credentials).await {
            Ok(device) => break device,
            Err(Refused::NotAuthorized(why)) => panic!("the credential no longer works: {why}"),
            Err(Refused::Other(_)) => {
                assert!(Instant::now() < deadline, "mosquitto was not restarted");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    // The hub reconnects too, and says so on its retained status (what a kiosk watches
    // to know when to resend its outbox).
    device.client.subscribe(&Topic::HubStatus.to_string()).await;
    loop {
        let (topic, payload) = device.client.next_message().await;
        let envelope = nabij_protocol::decode(&Topic::parse(&topic).unwrap(), &payload).unwrap();
        if let Body::HubStatus(status) = &envelope.body
            && status.state == nabij_protocol::Presence::Online
            && envelope.ts >= killed_at
        {
            break;
        }
    }
    device.barrier().await;
    assert_ne!(std::fs::read_to_string(&pid_file).unwrap().trim(), pid);
}
