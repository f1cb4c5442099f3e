//! The kiosk's own live link (`nabij_kiosk::live`) against the real hub and broker, driven
//! through the same state transitions the screens use: a fresh tablet pairs, shows its
//! contacts and messages, sends with delivery words, keeps its history across a restart,
//! and follows the coach's wipe (back to pairing) and switch-off.

use nabij_kiosk::live::hub_settings::HubSettings;
use nabij_kiosk::live::update::UpdateClock;
use nabij_kiosk::live::{Live, LiveConfig, LiveEvent, apply};
use nabij_kiosk::state::{Content, Delivery, Effect, KioskState, Screen};
use nabij_protocol::{Body, PersonId, ReceiptState, Recipient, TextMessage, UnixMillis};
use std::path::{Path, PathBuf};
use tests::hub::TestHub;
use tests::mqtt_client::PATIENCE;
use tests::sim_kiosk::Device;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// A kiosk as the app runs it, without the screens: the live link and the state.
struct LiveKiosk {
    live: Option<Live>,
    state: KioskState,
    events: UnboundedReceiver<LiveEvent>,
}

const PHOTO_BOX: (u32, u32) = (320, 240);

impl LiveKiosk {
    fn start(hub: &TestHub, dir: &Path) -> LiveKiosk {
        LiveKiosk::start_with(settings_of(hub), dir)
    }

    fn start_with(settings: HubSettings, dir: &Path) -> LiveKiosk {
        LiveKiosk::start_updating(settings, dir, &dir.join("no-updater"))
    }

    /// A kiosk whose installer keeps its slots in `updater_root`.
    fn start_updating(settings: HubSettings, dir: &Path, updater_root: &Path) -> LiveKiosk {
        LiveKiosk::start_timed(settings, dir, updater_root, Default::default())
    }

    /// A kiosk whose update work goes by `clock`.
    fn start_timed(
        settings: HubSettings,
        dir: &Path,
        updater_root: &Path,
        update_clock: UpdateClock,
    ) -> LiveKiosk {
        let (tx, events) = unbounded_channel();
        let live = Live::start(
            LiveConfig {
                hub: settings,
                data_dir: dir.to_owned(),
                profile: "desktop".into(),
                photo_box: PHOTO_BOX,
                battery: None,
                updater_root: Some(updater_root.to_owned()),
                update_clock,
            },
            move |event| {
                let _ = tx.send(event);
            },
        );
        LiveKiosk {
            live: Some(live),
            state: KioskState::default(),
            events,
        }
    }

    fn live(&self) -> &Live {
        self.live.as_ref().unwrap()
    }

    /// Applies what the link says until `condition` holds.
    async fn until(&mut self, what: &str, condition: impl Fn(&KioskState) -> bool) {
        while !condition(&self.state) {
            let event = tokio::time::timeout(PATIENCE, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("never happened: {what}; state: {:?}", self.state))
                .expect("the live link runs");
            let effects = apply(&mut self.state, event);
            let live = self.live.as_ref().unwrap();
            live.dispatch(&mut self.state, effects);
        }
    }

    /// What the senior does, as the screens do it.
    fn act(&mut self, change: impl FnOnce(&mut KioskState) -> Vec<Effect>) {
        let effects = change(&mut self.state);
        let live = self.live.as_ref().unwrap();
        live.dispatch(&mut self.state, effects);
    }

    /// Stops, as at power-off (the live link closes its storage before this returns).
    fn stop(&mut self) {
        self.live = None;
    }
}

/// The kiosk settings file the coach copies from this hub, as the kiosk reads it.
fn settings_of(hub: &TestHub) -> HubSettings {
    let mut from_hub = hub.hub().kiosk_settings("127.0.0.1").unwrap();
    // The test hub's dashboard listens on any free port, which its settings leave out;
    // a real hub names its fixed one (8443).
    assert_eq!(from_hub.dashboard_port, None);
    from_hub.dashboard_port = Some(hub.web_addr().port());
    let text = nabij_hub::admin::kiosk_settings_file(&from_hub);
    let settings = HubSettings::parse(&text, Path::new("kiosk-settings.toml")).unwrap();
    assert!(
        settings.coach_pin.is_some(),
        "the hub's kiosk settings carry the coach PIN"
    );
    settings
}

fn person(id: &str) -> PersonId {
    PersonId::parse(id).unwrap()
}

fn conversation<'a>(state: &'a KioskState, with: &str) -> &'a [nabij_kiosk::state::ChatMessage] {
    state
        .conversations
        .iter()
        .find(|(p, _)| p.as_str() == with)
        .map(|(_, m)| m.as_slice())
        .unwrap_or(&[])
}

fn last_text(state: &KioskState, with: &str) -> Option<String> {
    conversation(state, with)
        .iter()
        .rev()
        .find_map(|m| match &m.content {
            Content::Text(t) => Some(t.clone()),
            _ => None,
        })
}

fn my_delivery(state: &KioskState, with: &str, text: &str) -> Option<Delivery> {
    conversation(state, with)
        .iter()
        .find(|m| m.content == Content::Text(text.into()))
        .and_then(|m| m.delivery)
}

/// A simulated tablet for Anna.
async fn anna(hub: &TestHub) -> Device {
    tests::sim_kiosk::enrolled(hub, "Anna Peeters").await
}

async fn people(hub: &TestHub) {
    hub.group_with("Oostende Oost", &["Jan Claes", "Anna Peeters"])
        .await;
    hub.hub()
        .add_coach(
            "Marie Dewulf",
            "059 12 34 56",
            Some(&hub.group("Oostende Oost")),
        )
        .await
        .unwrap();
    hub.hub()
        .approve_contacts(&hub.person("Jan Claes"), &hub.person("Anna Peeters"))
        .await
        .unwrap();
}

/// Shows the pairing code, and the coach enrols it for Jan.
async fn pair_jan(hub: &TestHub, kiosk: &mut LiveKiosk) {
    kiosk
        .until("a pairing code on screen", |s| {
            s.screen == Some(Screen::Pairing) && s.pairing_code.is_some()
        })
        .await;
    let code = kiosk.state.pairing_code.clone().unwrap();
    // The QR code beside it holds the dashboard's page that pairs this very code.
    assert_eq!(
        kiosk.state.pairing_link,
        Some(format!(
            "https://127.0.0.1:{}/devices?code={code}",
            hub.web_addr().port()
        ))
    );
    hub.hub()
        .enrol(&code, &hub.person("Jan Claes"), None, "command line")
        .await
        .unwrap();
    kiosk
        .until("Jan's settings, coach and contacts", |s| {
            s.screen == Some(Screen::Home)
                && s.config.as_ref().is_some_and(|c| {
                    c.participant_name == "Jan Claes"
                        && c.coach.as_ref().is_some_and(|m| m.name == "Marie Dewulf")
                })
                && s.contacts.len() == 2
        })
        .await;
}

/// Oostende Oost's 10 + 10 meetings, from Monday 16 March 2099 at 14:00.
async fn plan_programme(hub: &TestHub) -> Vec<nabij_hub::domain::schedule::Session> {
    use nabij_hub::domain::calendar::Date;
    use nabij_hub::domain::schedule::{Plan, TimeOfDay};
    let plan = Plan {
        first: Date::parse("2099-03-16").unwrap(),
        time: TimeOfDay {
            hour: 14,
            minute: 0,
        },
        minutes: 180,
        place: "Buurthuis De Schelp".into(),
        address: None,
    };
    hub.hub()
        .plan_schedule(&hub.group("Oostende Oost"), plan)
        .await
        .unwrap()
}

fn data_dir(root: &tempfile::TempDir) -> PathBuf {
    root.path().join("kiosk")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_kiosk_pairs_talks_keeps_its_history_and_is_wiped_back_to_pairing() {
    let hub = TestHub::start().await;
    people(&hub).await;
    let mut anna = anna(&hub).await;
    let root = tempfile::tempdir().unwrap();
    let dir = data_dir(&root);
    let mut jan = LiveKiosk::start(&hub, &dir);
    pair_jan(&hub, &mut jan).await;
    assert!(dir.join("identity.json").exists(), "the credential is kept");
    // Its retained status tells the coaches its model, version and free storage.
    tests::sim_kiosk::eventually("Jan's tablet reports its health", || {
        hub.hub().devices(false).is_ok_and(|rows| {
            rows.iter().any(|r| {
                r.participant_name == "Jan Claes"
                    && r.device.online
                    && r.device.profile == "desktop"
                    && r.device.free_storage_mb.is_some_and(|mb| mb > 0)
            })
        })
    })
    .await;

    // The coach makes Jan's tablet speak French.
    hub.hub()
        .set_language(&hub.person("Jan Claes"), nabij_protocol::Language::Fr)
        .await
        .unwrap();
    jan.until("the tablet speaks French", |s| {
        s.language == nabij_kiosk::words::Language::Fr
    })
    .await;

    // Photos of Anna and of the coach reach the contact buttons and the Help screen.
    hub.hub()
        .set_photo(&hub.person("Anna Peeters"), &tests::jpeg(400, 300))
        .await
        .unwrap();
    hub.hub()
        .set_photo(&hub.person("Marie Dewulf"), &tests::jpeg(300, 400))
        .await
        .unwrap();
    jan.until("the faces of Anna and Marie", |s| {
        let marie = s
            .config
            .as_ref()
            .and_then(|c| c.coach.as_ref())
            .map(|c| c.person.clone());
        s.face(&person("p-anna-peeters")).is_some() && marie.is_some_and(|m| s.face(&m).is_some())
    })
    .await;
    assert!(matches!(
        jan.state.face(&person("p-anna-peeters")),
        Some(Content::Photo {
            width: 192,
            height: 192,
            ..
        })
    ));

    // Anna writes; Jan's Messages tile counts it; opening the conversation says "seen".
    anna.send(Body::Text(TextMessage {
        to: Recipient::parse("p-jan-claes").unwrap(),
        author: None,
        text: "Dag Jan!".into(),
    }))
    .await;
    jan.until("Anna's message", |s| {
        last_text(s, "p-anna-peeters").as_deref() == Some("Dag Jan!")
    })
    .await;
    assert_eq!(jan.state.unread(), 1);
    jan.act(|s| s.open_contact("p-anna-peeters"));
    assert_eq!(jan.state.unread(), 0);
    let seen = anna
        .receive_until(|e| matches!(&e.body, Body::Receipt(r) if r.state == ReceiptState::Seen))
        .await;
    assert!(matches!(seen.body, Body::Receipt(_)));

    // Jan answers with a quick reply: waiting, then sent, then delivered and seen.
    jan.act(|s| s.quick_reply("Tot dinsdag!", UnixMillis::now()));
    assert_eq!(
        my_delivery(&jan.state, "p-anna-peeters", "Tot dinsdag!"),
        Some(Delivery::Waiting),
        "in the outbox before anything else"
    );
    let got = anna
        .receive_until(|e| matches!(e.body, Body::Text(_)))
        .await;
    anna.send(Body::Receipt(nabij_protocol::Receipt {
        ids: vec![got.id.clone()],
        state: ReceiptState::Seen,
        by: None,
    }))
    .await;
    jan.until("Anna has seen Jan's answer", |s| {
        my_delivery(s, "p-anna-peeters", "Tot dinsdag!")
            == Some(Delivery::Receipt(ReceiptState::Seen))
    })
    .await;

    // Voice notes both ways, encoded as Ogg Opus on the tablet.
    let spoken: Vec<f32> = (0..32_000).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect();
    let note = nabij_kiosk::audio::voice::encode(&spoken, 16_000).unwrap();
    jan.act(|s| {
        s.recorded_seconds = 2;
        s.recorder = nabij_kiosk::state::RecorderState::Recorded;
        let mut effects = s.send_recording(UnixMillis::now());
        for effect in &mut effects {
            if let Effect::SendVoice { audio, .. } = effect {
                *audio = Some(Box::new(note.clone()));
            }
        }
        effects
    });
    let got = anna
        .receive_until(|e| matches!(e.body, Body::Voice(_)))
        .await;
    let Body::Voice(voice) = got.body else {
        unreachable!()
    };
    assert_eq!(voice.audio.duration_ms, 2_000);
    assert_eq!(
        nabij_kiosk::audio::voice::decode(&voice.audio)
            .unwrap()
            .len(),
        32_000,
        "Anna hears all of it"
    );
    anna.send(Body::Voice(nabij_protocol::VoiceNote {
        to: Recipient::parse("p-jan-claes").unwrap(),
        author: None,
        audio: note.clone(),
    }))
    .await;
    jan.until("Anna's voice note", |s| {
        conversation(s, "p-anna-peeters").iter().any(|m| {
            m.author.as_str() == "p-anna-peeters"
                && matches!(m.content, Content::Voice { audio: Some(_), .. })
        })
    })
    .await;
    let index = conversation(&jan.state, "p-anna-peeters").len() - 1;
    jan.state.partner = Some(nabij_protocol::PersonId::parse("p-anna-peeters").unwrap());
    let play = jan.state.play_voice(index);
    let [Effect::PlayClip(clip)] = play.as_slice() else {
        panic!("tapping the voice note plays it: {play:?}")
    };
    assert_eq!(
        nabij_kiosk::audio::voice::decode(clip).unwrap().len(),
        32_000
    );

    // The coach writes to the whole group and sends Jan a photo.
    hub.hub()
        .send_from_coach(
            &hub.person("Marie Dewulf"),
            &hub.audience("Oostende Oost"),
            nabij_hub::app::CoachMessage::Text {
                text: "De bus vertrekt om 13:30".into(),
            },
        )
        .await
        .unwrap();
    hub.hub()
        .send_from_coach(
            &hub.person("Marie Dewulf"),
            &hub.audience("Jan Claes"),
            nabij_hub::app::CoachMessage::Photo {
                image: nabij_protocol::base64::Base64Bytes(tests::jpeg(1280, 960)),
                caption: None,
            },
        )
        .await
        .unwrap();
    let marie = hub.hub().people().unwrap();
    let marie = marie.iter().find(|p| p.name == "Marie Dewulf").unwrap();
    let marie_id = marie.id.to_string();
    jan.until("the coach's group message and photo", |s| {
        let messages = conversation(s, &marie_id);
        messages
            .iter()
            .any(|m| m.content == Content::Text("De bus vertrekt om 13:30".into()))
            && messages
                .iter()
                .any(|m| matches!(m.content, Content::Photo { .. }))
    })
    .await;
    let photo = conversation(&jan.state, &marie_id)
        .iter()
        .find_map(|m| match &m.content {
            Content::Photo { width, height, .. } => Some((*width, *height)),
            _ => None,
        });
    assert_eq!(photo, Some((320, 240)), "scaled to the screen, shape kept");

    // Power off and on: the history, the delivery words and what was seen come back.
    jan.stop();
    let mut jan = LiveKiosk::start(&hub, &dir);
    jan.until("the history read back", |s| {
        s.config.is_some() && conversation(s, &marie_id).len() == 2
    })
    .await;
    assert_eq!(
        last_text(&jan.state, "p-anna-peeters").as_deref(),
        Some("Tot dinsdag!")
    );
    assert_eq!(
        my_delivery(&jan.state, "p-anna-peeters", "Tot dinsdag!"),
        Some(Delivery::Receipt(ReceiptState::Seen))
    );
    assert_eq!(
        jan.state.unread_from(&person("p-anna-peeters")),
        0,
        "what Jan saw stays seen"
    );
    assert_eq!(jan.state.screen, Some(Screen::Home));

    // The coach wipes the tablet: everything goes and a new pairing code shows.
    let device = nabij_kiosk::live::identity::load(&dir)
        .unwrap()
        .unwrap()
        .device_id;
    hub.hub().wipe(&device).await.unwrap();
    jan.until("the pairing screen again, with a new code", |s| {
        s.screen == Some(Screen::Pairing) && s.pairing_code.is_some()
    })
    .await;
    assert!(jan.state.conversations.is_empty() && jan.state.config.is_none());
    assert!(
        nabij_kiosk::live::identity::load(&dir).unwrap().is_none(),
        "the credential is forgotten"
    );
    let _ = jan.live();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switched_off_tablet_says_so() {
    let hub = TestHub::start().await;
    people(&hub).await;
    let root = tempfile::tempdir().unwrap();
    let dir = data_dir(&root);
    let mut jan = LiveKiosk::start(&hub, &dir);
    pair_jan(&hub, &mut jan).await;
    let device = nabij_kiosk::live::identity::load(&dir)
        .unwrap()
        .unwrap()
        .device_id;
    hub.hub().revoke(&device).await.unwrap();
    jan.until("the switched-off screen", |s| {
        s.screen == Some(Screen::SwitchedOff)
    })
    .await;
    // After a restart the refused log-in says the same.
    jan.stop();
    let mut jan = LiveKiosk::start(&hub, &dir);
    jan.until("switched off after a restart too", |s| {
        s.screen == Some(Screen::SwitchedOff)
    })
    .await;
}

/// Issue 22: a tablet taken back keeps nothing working for its senior: it is switched
/// off at once, and the coach who holds it erases it from its coach settings (its own
/// PIN, set at the hub), after which it pairs again as a fresh tablet for the next senior.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tablet_taken_back_is_erased_by_its_coach_and_pairs_again_for_the_next_senior() {
    let hub = TestHub::start().await;
    people(&hub).await;
    hub.hub()
        .add_participant("Mia Vermeulen", None, None)
        .await
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let dir = data_dir(&root);
    let mut jan = LiveKiosk::start(&hub, &dir);
    pair_jan(&hub, &mut jan).await;
    let device = nabij_kiosk::live::identity::load(&dir)
        .unwrap()
        .unwrap()
        .device_id;
    hub.hub().set_coach_pin(&device, "4821").await.unwrap();
    jan.until("the tablet's own coach PIN", |s| s.coach_lock.own.is_some())
        .await;

    hub.hub()
        .return_device(&device, nabij_hub::domain::loans::Condition::Good, None)
        .await
        .unwrap();
    jan.until("the switched-off screen", |s| {
        s.screen == Some(Screen::SwitchedOff)
    })
    .await;
    let first_code = jan.state.pairing_code.clone();

    // The coach: three taps on "For the coach", the tablet's PIN, "Erase this tablet", yes.
    let now = UnixMillis::now();
    for _ in 0..nabij_kiosk::state::COACH_TAPS {
        jan.act(|s| s.coach_tap(now));
    }
    assert_eq!(jan.state.screen, Some(Screen::CoachPin));
    for digit in ["4", "8", "2", "1"] {
        jan.act(|s| s.pin_digit(digit, now));
    }
    assert_eq!(jan.state.screen, Some(Screen::CoachSettings));
    jan.act(|s| s.ask_erase());
    jan.act(|s| s.erase_tablet());
    jan.until("a new pairing code", |s| {
        s.screen == Some(Screen::Pairing)
            && s.pairing_code.is_some()
            && s.pairing_code != first_code
    })
    .await;
    assert!(
        nabij_kiosk::live::identity::load(&dir).unwrap().is_none(),
        "the credential is forgotten"
    );
    assert!(jan.state.conversations.is_empty() && jan.state.config.is_none());
    assert_eq!(
        jan.state.coach_lock,
        nabij_kiosk::state::CoachLock::default()
    );

    // Lent again, to Mia.
    let code = jan.state.pairing_code.clone().unwrap();
    hub.hub()
        .enrol(&code, &hub.person("Mia Vermeulen"), None, "command line")
        .await
        .unwrap();
    jan.until("Mia's settings", |s| {
        s.config
            .as_ref()
            .is_some_and(|c| c.participant_name == "Mia Vermeulen")
    })
    .await;
    assert!(
        conversation(&jan.state, "p-anna-peeters").is_empty(),
        "nothing of Jan's came back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switched_off_tablet_shows_a_code_and_is_lent_again_with_what_it_held_erased() {
    // docs/protocol.md §6.19: the way back from `revoked` is pairing again.
    let hub = TestHub::start().await;
    people(&hub).await;
    hub.hub()
        .add_participant("Piet Wouters", Some(&hub.group("Oostende Oost")), None)
        .await
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let dir = data_dir(&root);
    let mut jan = LiveKiosk::start(&hub, &dir);
    pair_jan(&hub, &mut jan).await;
    let anna = anna(&hub).await;
    anna.send(Body::Text(TextMessage {
        to: Recipient::Person(person("p-jan-claes")),
        author: None,
        text: "Dag Jan".into(),
    }))
    .await;
    jan.until("Anna's message", |s| {
        last_text(s, "p-anna-peeters").as_deref() == Some("Dag Jan")
    })
    .await;
    let old = nabij_kiosk::live::identity::load(&dir).unwrap().unwrap();
    hub.hub().revoke(&old.device_id).await.unwrap();
    jan.until("a code on the switched-off screen", |s| {
        s.screen == Some(Screen::SwitchedOff) && s.pairing_code.is_some()
    })
    .await;
    assert!(
        conversation(&jan.state, "p-anna-peeters").len() == 1,
        "it keeps what it holds while it waits"
    );
    // The coach, tablet in hand, lends it to Piet with the code it shows.
    let code = jan.state.pairing_code.clone().unwrap();
    hub.hub()
        .enrol(&code, &hub.person("Piet Wouters"), None, "command line")
        .await
        .unwrap();
    jan.until("Piet's home screen", |s| {
        s.screen == Some(Screen::Home)
            && s.config
                .as_ref()
                .is_some_and(|c| c.participant_name == "Piet Wouters")
    })
    .await;
    assert!(
        jan.state.conversations.iter().all(|(_, m)| m.is_empty()),
        "Jan's messages are gone"
    );
    let new = nabij_kiosk::live::identity::load(&dir).unwrap().unwrap();
    assert_ne!(new.device_id, old.device_id, "a new device id");
    assert_eq!(
        hub.hub().device(&old.device_id).unwrap().state,
        nabij_hub::domain::devices::DeviceState::Revoked,
        "the old one stays switched off"
    );
    // Nothing of Jan's comes back after a restart either.
    jan.stop();
    let mut piet = LiveKiosk::start(&hub, &dir);
    piet.until("Piet's home screen after a restart", |s| {
        s.screen == Some(Screen::Home)
            && s.config
                .as_ref()
                .is_some_and(|c| c.participant_name == "Piet Wouters")
    })
    .await;
    assert!(conversation(&piet.state, "p-anna-peeters").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_that_cannot_reach_its_hub_says_where_it_tries() {
    let hub = TestHub::start().await;
    let text =
        nabij_hub::admin::kiosk_settings_file(&hub.hub().kiosk_settings("127.0.0.1").unwrap());
    let mut settings = HubSettings::parse(&text, Path::new("kiosk-settings.toml")).unwrap();
    settings.pairing_port = tests::hub::free_port(); // nothing listens there
    let root = tempfile::tempdir().unwrap();
    let mut kiosk = LiveKiosk::start_with(settings.clone(), &data_dir(&root));
    let expected = nabij_kiosk::state::LinkProblem::Unreachable {
        address: format!("127.0.0.1:{}", settings.pairing_port),
    };
    kiosk
        .until("the pairing screen names the hub it cannot reach", |s| {
            s.link_problem.as_ref() == Some(&expected)
        })
        .await;
    assert!(
        nabij_kiosk::words::link_problem(&expected, nabij_kiosk::words::Language::Nl)
            .contains(&format!("127.0.0.1:{}", settings.pairing_port)),
        "said in the coach's words, with the address"
    );
    assert_eq!(kiosk.state.pairing_code, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_programme_reaches_the_kiosk_agenda_and_a_moved_meeting_is_said_in_words() {
    use nabij_hub::domain::calendar::Date;
    use nabij_hub::domain::schedule::TimeOfDay;
    let hub = TestHub::start().await;
    people(&hub).await;
    let root = tempfile::tempdir().unwrap();
    let mut jan = LiveKiosk::start(&hub, &data_dir(&root));
    pair_jan(&hub, &mut jan).await;

    let sessions = plan_programme(&hub).await;
    jan.until("twenty meetings in the agenda", |s| s.meetings.len() == 20)
        .await;
    let first = &sessions[0];
    let to = nabij_hub::app::Move {
        starts_at: nabij_hub::domain::schedule::at(
            Date::parse("2099-03-18").unwrap(),
            TimeOfDay {
                hour: 10,
                minute: 0,
            },
        ),
        place: None,
    };
    hub.hub().move_session(&first.id, to).await.unwrap();
    let said = |s: &nabij_kiosk::state::KioskState| {
        s.change.as_ref().map(|c| {
            let w = nabij_kiosk::words::meeting_changed(
                c.was,
                c.moved_to.as_ref().map(|(t, p)| (*t, p.as_deref())),
                nabij_kiosk::words::Language::Nl,
            );
            format!("{} {} {} {}", w.headline, w.when, w.place, w.was).replace('\u{a0}', " ")
        })
    };
    jan.until("the change said in words, the new day first", |s| {
        s.screen == Some(Screen::MeetingChanged)
            && said(s).is_some_and(|n| {
                n == "De bijeenkomst is verplaatst naar: Woensdag 18 maart om 10:00 Zelfde plaats. Eerst was het maandag 16 maart."
            })
    })
    .await;
    hub.hub().cancel_session(&sessions[1].id).await.unwrap();
    jan.until("a cancelled meeting leaves the agenda", |s| {
        s.meetings.len() == 19
            && said(s).is_some_and(|n| n.starts_with("De bijeenkomst gaat niet door:"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_questionnaire_is_answered_on_the_kiosk_scored_by_the_hub_and_not_asked_again_after_a_restart()
 {
    use nabij_hub::domain::surveys::{Instrument, Round};
    let hub = TestHub::start().await;
    people(&hub).await;
    hub.hub()
        .update_participant(
            &hub.person("Jan Claes"),
            nabij_hub::app::DetailChanges {
                consent_research: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut jan = LiveKiosk::start(&hub, &data_dir(&root));
    pair_jan(&hub, &mut jan).await;

    let group = hub.group("Oostende Oost");
    hub.hub()
        .send_survey(&group, Instrument::Dejong6, Round::Start)
        .await
        .unwrap();
    jan.until("the questionnaire waits on Home", |s| s.surveys.len() == 1)
        .await;
    // "No" to every question, one tap each, then "Send my answers".
    jan.act(|s| s.open_survey());
    for _ in 0..6 {
        jan.act(|s| s.answer_survey("no"));
    }
    assert_eq!(jan.state.screen, Some(Screen::SurveyDone));
    jan.act(|s| s.send_survey());
    let report = tokio::time::timeout(PATIENCE, async {
        loop {
            let report = hub.hub().survey_report(&group).unwrap();
            if report.rows.iter().any(|r| r.asked.answered.is_some()) {
                break report;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the hub keeps the answers");
    let score = &report.rows[0].asked.answered.as_ref().unwrap().score;
    assert_eq!(
        (score.total, score.parts.clone()),
        (3, vec![("emotional".into(), 0), ("social".into(), 3)])
    );

    // After a restart the tablet's history says it was answered.
    jan.stop();
    let mut again = LiveKiosk::start(&hub, &data_dir(&root));
    again
        .until("Jan's tablet back, with its history", |s| {
            s.config.is_some() && s.surveys_answered.len() == 1
        })
        .await;
    assert!(again.state.surveys.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rsvp_and_a_diary_answer_naming_people_made_offline_reach_the_hub_once_it_is_back() {
    use nabij_hub::domain::calendar::Date;
    use nabij_protocol::{PromptId, RsvpAnswer};
    let hub = TestHub::start().await;
    people(&hub).await;
    let root = tempfile::tempdir().unwrap();
    let mut jan = LiveKiosk::start(&hub, &data_dir(&root));
    pair_jan(&hub, &mut jan).await;

    let group = hub.group("Oostende Oost");
    let sessions = plan_programme(&hub).await;
    // This week's prompt (its week began yesterday), which lets the senior name people.
    let yesterday = Date::new(1970, 1, 1)
        .unwrap()
        .plus_days((UnixMillis::now().0 / 86_400_000) as i64 - 1);
    let prompt = PromptId::parse("q-talked-to").unwrap();
    hub.hub()
        .plan_diary(&group, &prompt, yesterday)
        .await
        .unwrap();
    jan.until("the agenda and the diary question", |s| {
        s.meetings.len() == 20 && s.diary.as_ref().is_some_and(|d| d.people)
    })
    .await;

    // The flat's Wi-Fi is down: the tablet starts again and cannot reach its hub.
    jan.stop();
    let mut nowhere = settings_of(&hub);
    nowhere.port = tests::hub::free_port();
    let mut offline = LiveKiosk::start_with(nowhere, &data_dir(&root));
    offline
        .until(
            "the agenda and question from its history, and the hub not reached",
            |s| s.meetings.len() == 20 && s.diary.is_some() && s.link_problem.is_some(),
        )
        .await;
    let first = offline.state.meetings[0].clone();
    offline.act(|s| s.remind(first));
    offline.act(|s| s.rsvp(false));
    offline.act(|s| s.navigate(Screen::Diary));
    offline.act(|s| {
        s.toggle_choice("neighbours");
        s.diary_next()
    });
    assert_eq!(offline.state.screen, Some(Screen::DiaryPeople));
    offline.act(|s| {
        s.toggle_diary_person("p-anna-peeters");
        s.diary_next()
    });
    assert_eq!(offline.state.screen, Some(Screen::DiaryShare));
    offline.act(|s| {
        s.choose_share(true);
        s.send_diary()
    });
    assert_eq!(offline.state.screen, Some(Screen::Thanks));
    let jan_row = |hub: &TestHub| {
        hub.hub()
            .attendance_sheet(&sessions[0].id)
            .unwrap()
            .rows
            .into_iter()
            .find(|r| r.name == "Jan Claes")
            .unwrap()
    };
    assert_eq!(jan_row(&hub).rsvp, None, "nothing reached the hub yet");
    offline.stop();

    // Back home with Wi-Fi: both go out from the tablet's outbox.
    let _back = LiveKiosk::start(&hub, &data_dir(&root));
    let answers = tokio::time::timeout(PATIENCE, async {
        loop {
            let answers = hub.hub().diary_answers(&group, Some(&prompt)).unwrap();
            if jan_row(&hub).rsvp.is_some() && answers.iter().any(|a| !a.shared.is_empty()) {
                break answers;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the RSVP and the diary answer reach the hub");
    assert_eq!(jan_row(&hub).rsvp, Some(RsvpAnswer::NotComing));
    let shared = &answers[0].shared[0];
    assert_eq!(shared.name, "Jan Claes");
    assert_eq!(shared.named, ["Anna Peeters"]);
    assert_eq!(
        shared
            .answer
            .choices
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        ["neighbours"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_participants_messages_stay_on_the_tablet_as_from_a_former_participant() {
    let hub = TestHub::start().await;
    people(&hub).await;
    let anna = anna(&hub).await;
    let root = tempfile::tempdir().unwrap();
    let mut jan = LiveKiosk::start(&hub, &data_dir(&root));
    pair_jan(&hub, &mut jan).await;
    anna.send(Body::Text(TextMessage {
        to: Recipient::Person(hub.person("Jan Claes")),
        author: None,
        text: "Tot donderdag!".into(),
    }))
    .await;
    jan.until("Anna's message", |s| {
        conversation(s, "p-anna-peeters").len() == 1
    })
    .await;

    hub.hub().revoke(&anna.credentials.device_id).await.unwrap();
    hub.hub()
        .erase_participant(&hub.person("Anna Peeters"))
        .await
        .unwrap();
    let former = nabij_protocol::FORMER_PARTICIPANT;
    let filed = |s: &KioskState| {
        conversation(s, "p-anna-peeters").is_empty()
            && conversation(s, former).len() == 1
            && s.contacts
                .iter()
                .all(|c| c.person.as_str() != "p-anna-peeters")
            && s.chat_partners()
                .iter()
                .any(|c| c.person.as_str() == former)
    };
    jan.until("Anna's words filed under a former participant", filed)
        .await;
    jan.act(|s| s.open_contact(former));
    assert!(!jan.state.can_reply(), "no answer can reach her");

    // The tablet's own history, read back after a restart, files them the same way.
    jan.stop();
    let mut again = LiveKiosk::start(&hub, &data_dir(&root));
    again
        .until("the history read back, filed alike", |s| {
            s.config.is_some() && filed(s)
        })
        .await;
}

/// Issue 24 with the kiosk's own live link: a signed release offered by the hub is
/// fetched part by part over the tablet's link and checked; after the installer's switch
/// the new version reports itself, and confirms itself once the hub is reached and its
/// home screen drawn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_fetches_a_signed_update_over_its_link_and_confirms_the_new_version() {
    use nabij_protocol::UpdateState;
    use nabij_update::inbox::Inbox;
    use nabij_update::slots::{Checked, RealFs, Slots};
    use nabij_update::{Bundle, Manifest, PrivateKey, Version};

    let hub = TestHub::start().await;
    people(&hub).await;
    let (release_key, _) = PrivateKey::generate().unwrap();
    hub.hub()
        .trust_update_key(&release_key.public().to_string())
        .await
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let dir = data_dir(&root);
    let updater = root.path().join("updater");
    let slots = Slots::new(RealFs::new(&updater));
    slots
        .adopt(b"the package's kiosk 0.1.0", Version::new(0, 1, 0), 0, 300)
        .unwrap();
    let settings = settings_of(&hub);
    assert!(
        settings.update_key.is_some(),
        "the settings carry the release key"
    );
    let mut jan = LiveKiosk::start_updating(settings.clone(), &dir, &updater);
    pair_jan(&hub, &mut jan).await;
    let jans = hub
        .hub()
        .devices(false)
        .unwrap()
        .into_iter()
        .find(|r| r.participant_name == "Jan Claes")
        .unwrap()
        .device
        .id;

    // Three parts of 512 KiB at most.
    let payload: Vec<u8> = (0..1_300_000u32).map(|i| (i % 253) as u8).collect();
    let manifest = Manifest::describe(
        &payload,
        Version::new(0, 2, 0),
        Version::new(0, 1, 0),
        nabij_update::manifest::this_arch(),
    );
    let bundle = Bundle::sign(&manifest, payload.clone(), &release_key).unwrap();
    hub.hub()
        .publish_update(
            bundle.to_bytes(),
            nabij_hub::app::Rollout::Some(vec![jans.clone()]),
        )
        .await
        .unwrap();
    let state = |hub: &TestHub| {
        hub.hub()
            .device_update(&jans)
            .unwrap()
            .and_then(|u| u.state)
    };
    tests::sim_kiosk::eventually("the tablet fetched and checked the update", || {
        state(&hub) == Some(UpdateState::Ready)
    })
    .await;
    let inbox = Inbox::new(dir.join("update"));
    assert_eq!(std::fs::read(inbox.partial()).unwrap(), payload);
    assert!(
        !inbox.requested(),
        "not handed over while it is not a quiet time"
    );
    jan.stop();

    // The installer puts it in the other slot for a trial; the kiosk starts from it.
    slots
        .install(
            &bundle,
            &release_key.public(),
            nabij_update::manifest::this_arch(),
            1,
            300,
        )
        .unwrap();
    let mut jan = LiveKiosk::start_updating(settings, &dir, &updater);
    jan.live().drew(true, false);
    jan.until("the home screen", |s| s.screen == Some(Screen::Home))
        .await;
    tests::sim_kiosk::eventually("the new version confirmed itself", || {
        state(&hub) == Some(UpdateState::Installed)
            && hub.hub().device(&jans).unwrap().app_version == "0.2.0"
    })
    .await;
    assert_eq!(inbox.confirmed(), Some(Version::new(0, 2, 0)));
    assert_eq!(
        inbox.progress(),
        Some((
            Version::new(0, 2, 0),
            nabij_update::slots::Progress::ReachedHub
        )),
        "the version on trial recorded how far it got"
    );
    assert_eq!(
        slots
            .check(2, 300, inbox.confirmed(), &inbox.notes())
            .unwrap(),
        Checked::Kept(Version::new(0, 2, 0))
    );
}

/// Issue 24, the quiet time through the kiosk's own live link: a downloaded update is not
/// handed to the installer while something records or plays, nor within ten minutes of
/// the start or of the last tap; once quiet it is, and the hub hears `installing`. The
/// link's update clock is the test's: time moves on without waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downloaded_update_is_handed_over_only_once_nothing_plays_and_nobody_touched_it_for_ten_minutes()
 {
    use nabij_protocol::UpdateState;
    use nabij_update::inbox::Inbox;
    use nabij_update::slots::{RealFs, Slots};
    use nabij_update::{Bundle, Manifest, PrivateKey, Version};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let hub = TestHub::start().await;
    people(&hub).await;
    let (release_key, _) = PrivateKey::generate().unwrap();
    hub.hub()
        .trust_update_key(&release_key.public().to_string())
        .await
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let dir = data_dir(&root);
    let updater = root.path().join("updater");
    Slots::new(RealFs::new(&updater))
        .adopt(b"the package's kiosk 0.1.0", Version::new(0, 1, 0), 0, 300)
        .unwrap();

    // A Wednesday afternoon in Brussels (not the night hours, when quiet comes sooner).
    let afternoon = nabij_protocol::time::from_brussels(2027, 1, 13, 14, 0).0;
    let time = Arc::new(AtomicU64::new(afternoon));
    let reads = Arc::new(AtomicU64::new(0));
    let clock = {
        let (time, reads) = (time.clone(), reads.clone());
        UpdateClock::new(
            move || {
                reads.fetch_add(1, Ordering::SeqCst);
                UnixMillis(time.load(Ordering::SeqCst))
            },
            std::time::Duration::from_millis(20),
        )
    };
    let at_minute = |m: u64| time.store(afternoon + m * 60_000, Ordering::SeqCst);
    // The update work reads the clock at each look: after this many more reads it has
    // looked again, with the time as set.
    let looked_again = || async {
        let before = reads.load(Ordering::SeqCst);
        tests::sim_kiosk::eventually("the update work looked again", || {
            reads.load(Ordering::SeqCst) >= before + 5
        })
        .await;
    };

    let mut jan = LiveKiosk::start_timed(settings_of(&hub), &dir, &updater, clock);
    pair_jan(&hub, &mut jan).await;
    jan.live().drew(true, false);
    let jans = hub
        .hub()
        .devices(false)
        .unwrap()
        .into_iter()
        .find(|r| r.participant_name == "Jan Claes")
        .unwrap()
        .device
        .id;
    let payload: Vec<u8> = (0..70_000u32).map(|i| (i % 249) as u8).collect();
    let manifest = Manifest::describe(
        &payload,
        Version::new(0, 2, 0),
        Version::new(0, 1, 0),
        nabij_update::manifest::this_arch(),
    );
    let bundle = Bundle::sign(&manifest, payload, &release_key).unwrap();
    hub.hub()
        .publish_update(
            bundle.to_bytes(),
            nabij_hub::app::Rollout::Some(vec![jans.clone()]),
        )
        .await
        .unwrap();
    let state = |hub: &TestHub| {
        hub.hub()
            .device_update(&jans)
            .unwrap()
            .and_then(|u| u.state)
    };
    tests::sim_kiosk::eventually("the tablet fetched and checked the update", || {
        state(&hub) == Some(UpdateState::Ready)
    })
    .await;
    let inbox = Inbox::new(dir.join("update"));

    // Five minutes after the start, untouched: not yet.
    at_minute(5);
    looked_again().await;
    assert!(!inbox.requested(), "5 minutes after the start");
    // Half an hour on, but a voice note plays (or one is recorded).
    jan.live().drew(true, true);
    at_minute(30);
    looked_again().await;
    assert!(!inbox.requested(), "while something plays");
    // It stopped playing, but the senior tapped five minutes ago.
    at_minute(25);
    jan.live().touched();
    jan.live().drew(true, false);
    at_minute(30);
    looked_again().await;
    assert!(!inbox.requested(), "5 minutes after a tap");
    assert_eq!(state(&hub), Some(UpdateState::Ready));
    // Ten minutes after the last tap, silent: handed over, and the hub hears so.
    at_minute(35);
    tests::sim_kiosk::eventually("the update handed over at a quiet time", || {
        inbox.requested()
    })
    .await;
    assert_eq!(
        Bundle::parse(&inbox.request().unwrap().unwrap()).unwrap(),
        bundle
    );
    tests::sim_kiosk::eventually("the hub heard it is being installed", || {
        state(&hub) == Some(UpdateState::Installing)
    })
    .await;
}
