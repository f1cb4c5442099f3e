//! What a senior does with the tablet, done through the real screens by taps alone, in
//! each language: read back to the first message of a long conversation, write a message
//! with the keyboard, record and send a voice note, play one received, open a photo and
//! come back, and hear a message read aloud.

use crate::driver::Tablet;
use nabij_kiosk::sample;
use nabij_kiosk::state::{ChatMessage, Content, Delivery, RecorderState, Screen};
use nabij_kiosk::ui;
use nabij_kiosk::words::Language;
use nabij_protocol::{MessageId, PersonId, UnixMillis};
use std::time::Duration;

const HOUR: u64 = 3_600_000;

fn anna() -> PersonId {
    PersonId::parse("p-anna-peeters").unwrap()
}

/// A conversation with Anna of `count` messages, one every five hours, some long.
fn long_conversation(count: usize, lang: Language) -> nabij_kiosk::state::KioskState {
    let mut state = sample::state(Screen::Contacts, lang);
    let jan = PersonId::parse("p-jan-claes").unwrap();
    let messages = (0..count)
        .map(|i| {
            let mine = i % 3 == 2;
            let text = if i % 7 == 4 {
                format!(
                    "Bericht {i}: gisteren ben ik naar de markt geweest, het was druk en \
                     ik heb veel mensen gezien die ik lang niet had gesproken."
                )
            } else {
                format!("Bericht {i}")
            };
            ChatMessage {
                id: Some(MessageId::parse(&format!("long-msg-{i:04}")).unwrap()),
                author: if mine { jan.clone() } else { anna() },
                at: UnixMillis(sample::NOW.0 - (count - i) as u64 * 5 * HOUR),
                content: Content::Text(text),
                delivery: mine.then_some(Delivery::Sent),
                seen: true,
            }
        })
        .collect();
    state.conversations = vec![(anna(), messages)];
    state
}

#[test]
fn a_senior_reads_back_to_the_first_of_sixty_messages_and_returns_to_the_newest() {
    for lang in Language::ALL {
        for profile in ["rpi-touch-7", "pinetab2"] {
            let tablet = Tablet::with_state(long_conversation(60, lang), profile);
            tablet.tap("Anna");
            assert_eq!(tablet.page(), ui::Page::Conversation);
            assert!(
                tablet.visible("Bericht 59"),
                "{lang:?} {profile}: newest first"
            );
            let earlier = tablet.tr("Earlier messages", &[]);
            let mut pages = 1;
            while tablet.visible(&earlier) {
                tablet.tap(&earlier);
                pages += 1;
                assert!(pages <= 80, "{lang:?} {profile}: paging never ends");
            }
            assert!(
                tablet.visible("Bericht 0"),
                "{lang:?} {profile}: the first message, after {pages} pages"
            );
            // Every message was on some page: read them all going back.
            assert!(
                pages >= 10,
                "{lang:?} {profile}: {pages} pages for 60 messages"
            );
            tablet.tap_tr("Newest");
            assert!(tablet.visible("Bericht 59"));
            assert!(!tablet.visible(&tablet.tr("Newest", &[])), "at the newest");
        }
    }
}

#[test]
fn a_senior_writes_a_message_with_capitals_digits_and_accents_and_sends_it() {
    for lang in Language::ALL {
        let tablet = Tablet::start(Screen::Conversation, lang);
        tablet.tap_tr("Answer");
        assert_eq!(tablet.page(), ui::Page::Compose);
        tablet.tap(&tablet.tr("Type it myself", &[]));
        assert_eq!(tablet.page(), ui::Page::Keyboard);
        let message = "Dag Anna, tot dinsdag om 14u! Café?";
        tablet.type_on_keyboard(message);
        assert_eq!(tablet.kiosk.state().draft, message, "{lang:?}");
        tablet.tap_tr("Send");
        assert_eq!(tablet.page(), ui::Page::Conversation);
        let last = tablet
            .kiosk
            .state()
            .open_conversation()
            .last()
            .cloned()
            .unwrap();
        assert_eq!(
            (last.content, last.delivery),
            (Content::Text(message.into()), Some(Delivery::Waiting))
        );
        assert!(tablet.visible(message), "{lang:?}: shown at once");
        assert!(
            tablet.visible(&format!(
                "{} · {} · {}",
                tablet.tr("Me", &[]),
                nabij_kiosk::words::clock(sample::NOW),
                tablet.tr("Not sent yet", &[])
            )),
            "{lang:?}: not sent yet, in words"
        );
    }
}

#[test]
fn a_message_the_tablet_could_not_store_yet_says_one_moment_until_it_is_stored() {
    for lang in Language::ALL {
        let tablet = Tablet::start(Screen::Conversation, lang);
        tablet.tap_tr("Answer");
        tablet.tap(&tablet.tr("Type it myself", &[]));
        tablet.type_on_keyboard("Tot morgen");
        tablet.tap_tr("Send");
        let said = |words: &str| {
            format!(
                "{} · {} · {}",
                tablet.tr("Me", &[]),
                nabij_kiosk::words::clock(sample::NOW),
                tablet.tr(words, &[])
            )
        };
        // The storage failed (what the live link reports): the message waits in memory.
        tablet.kiosk.update(|s| {
            s.storage_trouble("the tablet's storage failed: injected".into());
            Vec::new()
        });
        assert!(
            tablet.visible(&said("One moment, please")),
            "{lang:?}: one moment, in words"
        );
        assert!(!tablet.visible(&said("Not sent yet")), "{lang:?}");
        // Stored at a retry: "not sent yet" (on the tablet, not yet at the hub) again.
        tablet.kiosk.update(|s| {
            s.storage_back();
            Vec::new()
        });
        assert!(tablet.visible(&said("Not sent yet")), "{lang:?}");
    }
}

#[test]
fn a_senior_records_a_five_second_note_sees_it_count_and_sends_it() {
    for lang in Language::ALL {
        let tablet = Tablet::start(Screen::Conversation, lang);
        tablet.kiosk.update(|s| {
            s.recorder = RecorderState::Ready;
            Vec::new()
        });
        tablet.tap_tr("Answer");
        tablet.tap(&tablet.tr("Record a voice message", &[]));
        assert_eq!(tablet.page(), ui::Page::Voice);
        tablet.tap_tr("Record");
        for second in 1..=5 {
            tablet.sound.seconds.set(second as f32 + 0.2);
            tablet.sound.level.set(0.6);
            assert!(tablet.kiosk.look_at_sound(), "it goes on while recording");
            let counted = tablet.tr("{} seconds", &[&second.to_string()]);
            assert!(tablet.visible(&counted), "{lang:?}: {counted}");
        }
        assert_eq!(tablet.kiosk.state().recording_level, 0.6, "the level moves");
        tablet.tap(&tablet.tr("Stop recording", &[]));
        assert_eq!(tablet.kiosk.state().recorder, RecorderState::Recorded);
        tablet.tap_tr("Send");
        assert_eq!(tablet.page(), ui::Page::Conversation);
        let last = tablet
            .kiosk
            .state()
            .open_conversation()
            .last()
            .cloned()
            .unwrap();
        assert!(
            matches!(last.content, Content::Voice { seconds: 5, .. }),
            "{:?}",
            last.content
        );
    }
}

#[test]
fn a_silent_recording_says_so_and_cannot_be_sent_and_starting_again_asks_first() {
    let tablet = Tablet::start(Screen::Voice, Language::Nl);
    tablet.kiosk.update(|s| {
        s.recorder = RecorderState::Ready;
        Vec::new()
    });
    tablet.tap_tr("Record");
    tablet.sound.seconds.set(4.0);
    tablet.sound.silent.set(true);
    tablet.tap(&tablet.tr("Stop recording", &[]));
    assert!(
        tablet.visible("Er was niets te horen. Spreek dichter bij de tablet en probeer opnieuw.")
    );
    assert!(!tablet.visible(&tablet.tr("Send", &[])), "nothing to send");
    tablet.sound.silent.set(false);
    tablet.tap_tr("Record");
    tablet.tap(&tablet.tr("Stop recording", &[]));
    tablet.tap_tr("Record again");
    assert!(
        tablet.visible(&tablet.tr("Throw this recording away and record a new one?", &[])),
        "asked first"
    );
    tablet.tap_tr("No, keep it");
    assert_eq!(tablet.kiosk.state().recorder, RecorderState::Recorded);
    assert!(tablet.visible(&tablet.tr("Send", &[])));

    let tablet = Tablet::start(Screen::Voice, Language::Fr);
    tablet.kiosk.update(|s| {
        s.recorder = RecorderState::Ready;
        Vec::new()
    });
    tablet.sound.no_microphone.set(true);
    tablet.tap_tr("Record");
    assert!(tablet.visible(
        "Le micro de cette tablette ne fonctionne pas. Demandez de l'aide à votre coach."
    ));
}

/// The sample conversation with a real voice note from Anna (two seconds of a tone).
fn with_a_voice_note(lang: Language) -> nabij_kiosk::state::KioskState {
    let mut state = sample::state(Screen::Contacts, lang);
    let tone: Vec<f32> = (0..32_000)
        .map(|i| 0.3 * (i as f32 * 330.0 * std::f32::consts::TAU / 16_000.0).sin())
        .collect();
    let audio = nabij_kiosk::audio::voice::encode(&tone, 16_000).unwrap();
    for (_, messages) in &mut state.conversations {
        for m in messages.iter_mut() {
            if let Content::Voice { audio: a, .. } = &mut m.content {
                *a = Some(std::sync::Arc::new(audio.clone()));
            }
        }
        // The voice note last, so that it is on the newest page.
        let voice = messages
            .iter()
            .position(|m| matches!(m.content, Content::Voice { .. }))
            .unwrap();
        let note = messages.remove(voice);
        messages.push(note);
    }
    state
}

#[test]
fn a_senior_plays_a_received_voice_note_and_sees_how_far_it_got() {
    for lang in Language::ALL {
        let tablet = Tablet::with_state(with_a_voice_note(lang), "pinetab2");
        tablet.tap("Anna");
        let listen = tablet.tr("Listen to the voice message", &[]);
        tablet.tap(&listen);
        let played = tablet.sound.played.borrow().clone();
        assert_eq!(played.len(), 1, "{lang:?}");
        let (samples, rate) = played[0];
        assert!(
            (31_000..=33_000).contains(&(samples * 16_000 / rate as usize)),
            "{lang:?}: two seconds of sound, {samples} at {rate} Hz"
        );
        assert!(
            tablet.visible(&tablet.tr("Stop", &[])),
            "{lang:?}: it can be stopped"
        );
        tablet
            .sound
            .playing
            .set(Some((Duration::from_secs(1), Duration::from_secs(2))));
        tablet.kiosk.look_at_sound();
        let fraction = tablet.kiosk.state().playing.map(|p| p.fraction);
        assert_eq!(fraction, Some(0.5), "{lang:?}: halfway");
        tablet.sound.playing.set(None);
        tablet.kiosk.look_at_sound();
        assert!(tablet.kiosk.state().playing.is_none(), "{lang:?}: over");
        assert!(!tablet.visible(&tablet.tr("Stop", &[])));
    }
}

#[test]
fn a_senior_opens_a_photo_and_comes_back_by_a_tap_on_it_or_on_back() {
    for lang in Language::ALL {
        let tablet = Tablet::start(Screen::Contacts, lang);
        tablet.tap("Anna");
        let larger = tablet.tr("Show the photo larger", &[]);
        let mut pages = 0;
        while !tablet.visible(&larger) && pages < 10 {
            tablet.tap_tr("Earlier messages");
            pages += 1;
        }
        tablet.tap(&larger);
        assert_eq!(tablet.page(), ui::Page::Photo, "{lang:?}");
        tablet.tap(&tablet.tr("Close the photo", &[]));
        assert_eq!(tablet.page(), ui::Page::Conversation);
        tablet.tap(&larger);
        tablet.tap_tr("Back");
        assert_eq!(tablet.page(), ui::Page::Conversation, "{lang:?}");
        assert!(tablet.visible(&larger), "{lang:?}: the same page as before");
    }
}

#[test]
fn a_senior_hears_a_message_read_aloud_by_the_tablet_and_stops_it() {
    if !nabij_kiosk::audio::speech::available() {
        panic!("espeak-ng is missing: `cargo xtask test` installs it");
    }
    for lang in Language::ALL {
        let tablet = Tablet::start(Screen::Contacts, lang);
        tablet.tap("Anna");
        tablet.tap_tr("Read aloud");
        assert!(tablet.kiosk.state().reading_aloud());
        assert!(
            tablet.kiosk.wait_for_speech(Duration::from_secs(20)),
            "{lang:?}: the tablet spoke"
        );
        let played = tablet.sound.played.borrow().clone();
        let (samples, rate) = played.last().copied().unwrap();
        assert!(
            samples as f64 / f64::from(rate) > 1.0,
            "{lang:?}: more than a second of speech ({samples} at {rate} Hz)"
        );
        assert!(tablet.visible(&tablet.tr("Stop reading", &[])), "{lang:?}");
        tablet.tap(&tablet.tr("Stop reading", &[]));
        assert!(tablet.sound.stopped.get() >= 1);
        assert!(!tablet.kiosk.state().reading_aloud());
    }
}
