//! Realistic sample data for rendering screens without a hub: a participant, her coach,
//! contacts, a conversation, this week's diary question and the coming meetings, all as
//! protocol values so that the screens show what the protocol can carry.

use crate::state::{
    ChatMessage, Content, Delivery, KioskState, MeetingChange, RecorderState, Screen,
};
use crate::words::Language;
use nabij_protocol::{
    ChoiceId, CoachCard, Contact, ContactRole, DeviceConfig, DiaryPrompt, Localized,
    MeetingReminder, MessageId, PersonId, PromptId, Questionnaire, ReceiptState, SessionId,
    SessionSeries, SurveyId, SurveyItem, UnixMillis,
};

/// Tuesday 24 November 2026, 10:15 in Brussels: the sample "now".
pub const NOW: UnixMillis = UnixMillis(1_795_511_700_000);

/// The coach PIN of the sample data.
pub const SAMPLE_PIN: &str = "2580";

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;

// The ids here are literals, valid by construction (the tests render every screen).
fn person(id: &str) -> PersonId {
    PersonId::parse(id).expect("a valid literal person id")
}

/// The diary question's other forms, for the screens' tests: moods drawn as faces; and the
/// most buttons a diary question has (four choices, "Read aloud" and "Next").
pub fn diary_variants() -> Vec<DiaryPrompt> {
    let faces = DiaryPrompt {
        prompt_id: PromptId::parse("q-this-week").expect("a valid literal prompt id"),
        question: localized(
            "Hoe was uw week?",
            "Comment s'est passée votre semaine ?",
            "How was your week?",
        ),
        choices: [
            ("good", localized("Goed", "Bien", "Good")),
            ("okay", localized("Gaat wel", "Ça va", "All right")),
            ("not-good", localized("Niet goed", "Pas bien", "Not good")),
        ]
        .into_iter()
        .map(|(id, label)| nabij_protocol::Choice {
            id: choice(id),
            label,
        })
        .collect(),
        faces: true,
        people: false,
        allow_text: false,
        allow_voice: true,
        audio: None,
        answer_before: None,
    };
    let mut widest = state(Screen::Diary, Language::Nl)
        .diary
        .expect("the sample has a diary question");
    widest.audio = Some(nabij_protocol::Audio {
        codec: nabij_protocol::AudioCodec::OggOpus,
        duration_ms: 4_000,
        data: nabij_protocol::base64::Base64Bytes(vec![0; 16]),
    });
    vec![faces, widest]
}

fn choice(id: &str) -> ChoiceId {
    ChoiceId::parse(id).expect("a valid literal choice id")
}

fn localized(nl: &str, fr: &str, en: &str) -> Localized {
    Localized {
        nl: nl.into(),
        fr: Some(fr.into()),
        en: Some(en.into()),
    }
}

fn contact(id: &str, name: &str, role: ContactRole) -> Contact {
    Contact {
        person: person(id),
        name: name.into(),
        role,
        photo: None,
    }
}

/// A small photo: a soft sky-and-sea gradient, made here so that no image file is needed.
fn sample_photo() -> Content {
    let (width, height) = (160u32, 120u32);
    let mut rgba = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let sea = y > height / 2;
            let shade = (x * 60 / width) as u8;
            let (r, g, b) = if sea {
                (20, 90 + shade, 150 + shade)
            } else {
                (150 + shade, 190 + shade / 2, 235)
            };
            rgba.extend_from_slice(&[r, g, b, 255]);
        }
    }
    Content::Photo {
        width,
        height,
        rgba,
    }
}

/// A drawn face (a head and shoulders on a soft background), standing in for a photo.
fn sample_face(hair: [u8; 3], background: [u8; 3]) -> Content {
    let side = 96u32;
    let mut rgba = Vec::with_capacity((side * side * 4) as usize);
    let c = side as f32 / 2.0;
    for y in 0..side {
        for x in 0..side {
            let (fx, fy) = (x as f32 - c, y as f32);
            let head =
                (fx * fx) / (20.0 * 20.0) + ((fy - 40.0) * (fy - 40.0)) / (24.0 * 24.0) <= 1.0;
            let hair_part = head && fy < 30.0;
            let shoulders = fy > 70.0 && fx.abs() < 40.0 - (96.0 - fy) * 0.4;
            let [r, g, b] = if hair_part {
                hair
            } else if head {
                [226, 184, 150]
            } else if shoulders {
                [60, 80, 120]
            } else {
                background
            };
            rgba.extend_from_slice(&[r, g, b, 255]);
        }
    }
    Content::Photo {
        width: side,
        height: side,
        rgba,
    }
}

/// The coach's PIN pad waiting after three wrong PINs (until half a minute from
/// [`NOW`]), in `language`.
pub fn with_pin_locked(language: Language) -> KioskState {
    let mut state = state(Screen::CoachPin, language);
    state.pin.clear();
    state.coach_lock.wrong = crate::state::FREE_PIN_TRIES;
    state.coach_lock.locked_until = NOW.0 + 30_000;
    state
}

/// The sample after Anna was erased from the programme: her messages filed under "a
/// former participant", on `screen` (the Messages screen or that conversation).
pub fn with_former_participant(screen: Screen, language: Language) -> KioskState {
    let mut state = state(screen, language);
    let anna = state.contacts[0].person.clone();
    // Fewer people, so that the former participant is on the first page.
    let others = state.contacts[1..5].to_vec();
    let notice = nabij_protocol::Envelope::new(
        nabij_protocol::MessageId::parse("hub-msg-erased").expect("a valid id"),
        nabij_protocol::Party::Hub,
        nabij_protocol::Body::Contacts(nabij_protocol::Contacts {
            contacts: others,
            former: vec![anna],
        }),
    );
    state.receive(&notice, None, crate::live::received::Arrival::Replayed);
    state.screen = Some(screen);
    state
}

/// The Wi-Fi networks a tablet sees in the sample: a home modem, the neighbours', a
/// library's open one, strongest first (five: more than one page).
pub fn wifi_networks() -> Vec<crate::wifi::Network> {
    let n = |ssid: &str, strength, secured| crate::wifi::Network {
        ssid: ssid.into(),
        strength,
        secured,
    };
    vec![
        n("Telenet-Thuis", 82, true),
        n("Proximus-5G-7A21", 64, true),
        n("Bibliotheek", 48, false),
        n("Buren", 31, true),
        n("Orange-2A4F", 12, true),
    ]
}

/// The Wi-Fi screen after joining the home network ended with `outcome`, in `language`.
pub fn with_wifi_outcome(
    outcome: Result<crate::wifi::Joined, String>,
    language: Language,
) -> KioskState {
    let mut state = state(Screen::CoachWifiJoin, language);
    state.wifi.outcome = Some(outcome);
    state
}

/// Every way joining a Wi-Fi network can end, each with the name `nabij-kiosk render`
/// knows its screen by.
pub fn wifi_outcomes() -> Vec<(&'static str, Result<crate::wifi::Joined, String>)> {
    use crate::wifi::Joined;
    vec![
        ("coach-wifi-joined", Ok(Joined::HubReachable)),
        ("coach-wifi-wrong-password", Ok(Joined::WrongPassword)),
        ("coach-wifi-no-internet", Ok(Joined::NoInternet)),
        ("coach-wifi-sign-in-page", Ok(Joined::SignInPage)),
        (
            "coach-wifi-hub-unreachable",
            Ok(Joined::HubUnreachable(
                "the hub at hub.local:8883 did not answer (connection refused)".into(),
            )),
        ),
        ("coach-wifi-not-found", Ok(Joined::NotFound)),
        (
            "coach-wifi-failed",
            Ok(Joined::Failed("NetworkManager gave reason 36".into())),
        ),
        (
            "coach-wifi-no-networkmanager",
            Err(
                "the tablet cannot reach NetworkManager (no such name); check that NetworkManager runs"
                    .into(),
            ),
        ),
    ]
}

/// The names of the sample states that are not one screen's own (see [`named`]).
pub fn variant_names() -> Vec<&'static str> {
    let mut names = vec!["coach-wifi-looking", "coach-wifi-none"];
    names.extend(wifi_outcomes().into_iter().map(|(name, _)| name));
    names
}

/// A sample state by name, in `language`: a screen's own (`Screen::name`), or one of
/// [`variant_names`] (the Wi-Fi list while looking and with no network, and each way
/// joining ended), for `nabij-kiosk render`.
pub fn named(name: &str, language: Language) -> Option<KioskState> {
    if let Some(screen) = Screen::parse(name) {
        return Some(state(screen, language));
    }
    match name {
        "coach-wifi-looking" => {
            let mut state = state(Screen::CoachWifi, language);
            state.wifi.looking = true;
            Some(state)
        }
        "coach-wifi-none" => {
            let mut state = state(Screen::CoachWifi, language);
            state.wifi.networks.clear();
            Some(state)
        }
        _ => wifi_outcomes()
            .into_iter()
            .find(|(known, _)| *known == name)
            .map(|(_, outcome)| with_wifi_outcome(outcome, language)),
    }
}

/// The sample state, showing `screen`.
pub fn state(screen: Screen, language: Language) -> KioskState {
    let jan = person("p-jan-claes");
    let anna = person("p-anna-peeters");
    let config = DeviceConfig {
        check_in: true,
        reminders: None,
        participant: jan.clone(),
        participant_name: "Jan".into(),
        language: nabij_protocol::Language::Nl,
        text_scale_pct: 100,
        volume_pct: 80,
        brightness_pct: 70,
        coach: Some(CoachCard {
            person: person("p-coach-marie"),
            name: "Marie".into(),
            phone: "059 12 34 56".into(),
            photo: None,
        }),
    };
    let contacts = vec![
        contact("p-anna-peeters", "Anna", ContactRole::GroupMember),
        contact("p-coach-marie", "Marie", ContactRole::Coach),
        contact("p-els-claes", "Els", ContactRole::Family),
        contact("p-georges-dubois", "Georges", ContactRole::GroupMember),
        contact("p-rita-maes", "Rita", ContactRole::GroupMember),
        contact("p-paul-wouters", "Paul", ContactRole::GroupMember),
        contact("p-mia-vermeulen", "Mia", ContactRole::GroupMember),
    ];
    // Four days of messages with Anna: day names between them, a long message, a voice
    // note and a photo, and what Jan sent (read, and one still waiting).
    let message = |n: u8, author: &PersonId, ago: u64, content: Content, seen: bool| {
        let mine = *author == jan;
        ChatMessage {
            id: Some(MessageId::parse(&format!("sample-{n:02}")).expect("a valid literal id")),
            author: author.clone(),
            at: UnixMillis(NOW.0 - ago),
            content,
            delivery: mine.then_some(Delivery::Receipt(ReceiptState::Seen)),
            seen,
        }
    };
    let text = |t: &str| Content::Text(t.into());
    let mut conversation = vec![
        message(
            1,
            &anna,
            74 * HOUR,
            text("Dag Jan! Komt u dinsdag ook naar de bijeenkomst?"),
            true,
        ),
        message(2, &jan, 73 * HOUR, text("Ja, ik kom. Tot dan!"), true),
        message(
            3,
            &anna,
            52 * HOUR,
            text(
                "Ik heb gisteren met mijn dochter gebeld. Ze komt in december met de kleinkinderen. \
                 Ik ben er erg blij om, want ik heb ze sinds de zomer niet meer gezien.",
            ),
            true,
        ),
        message(
            4,
            &anna,
            20 * HOUR,
            text("Dag Jan, was het fijn gisteren?"),
            true,
        ),
        message(
            5,
            &jan,
            19 * HOUR,
            text("Ja, heel fijn! Tot dinsdag."),
            true,
        ),
        message(
            6,
            &anna,
            2 * HOUR,
            Content::Voice {
                seconds: 12,
                audio: None,
            },
            false,
        ),
        message(7, &anna, HOUR, sample_photo(), false),
        message(8, &jan, 5 * MINUTE, text("Mooie foto!"), true),
    ];
    if let Some(last) = conversation.last_mut() {
        last.delivery = Some(Delivery::Waiting);
    }
    let diary = DiaryPrompt {
        prompt_id: PromptId::parse("q-week-03").expect("a valid literal prompt id"),
        question: localized(
            "Met wie hebt u deze week gepraat?",
            "Avec qui avez-vous parlé cette semaine ?",
            "Who did you talk to this week?",
        ),
        choices: [
            ("family", localized("Familie", "Famille", "Family")),
            (
                "neighbour",
                localized("Een buur", "Un voisin", "A neighbour"),
            ),
            (
                "group",
                localized(
                    "Iemand van de groep",
                    "Quelqu'un du groupe",
                    "Someone from the group",
                ),
            ),
            ("nobody", localized("Niemand", "Aucune personne", "Nobody")),
        ]
        .into_iter()
        .map(|(id, label)| nabij_protocol::Choice {
            id: ChoiceId::parse(id).expect("a valid literal choice id"),
            label,
        })
        .collect(),
        faces: false,
        people: true,
        allow_text: false,
        allow_voice: true,
        audio: None,
        answer_before: None,
    };
    // A questionnaire with the widest scale there is (six steps), its first question
    // answered: on the question screen, going through it again.
    let survey = Questionnaire {
        survey_id: SurveyId::parse("v-lsns6-start").expect("a valid literal survey id"),
        title: localized(
            "Uw familie en vrienden",
            "Votre famille et vos amis",
            "Your family and friends",
        ),
        items: [
            (
                "family-contact",
                localized(
                    "Hoeveel familieleden ziet of spreekt u minstens één keer per maand?",
                    "Combien de membres de votre famille voyez-vous ou avez-vous au téléphone au moins une fois par mois ?",
                    "How many relatives do you see or hear from at least once a month?",
                ),
            ),
            (
                "friends-help",
                localized(
                    "Hoeveel vrienden staan u zo na dat u hen om hulp zou kunnen vragen?",
                    "De combien d'amis vous sentez-vous assez proche pour leur demander de l'aide ?",
                    "How many friends do you feel close to such that you could call on them for help?",
                ),
            ),
        ]
        .into_iter()
        .map(|(id, question)| SurveyItem {
            id: ChoiceId::parse(id).expect("a valid literal item id"),
            question,
        })
        .collect(),
        scale: [
            ("none", localized("Geen", "Aucun", "None")),
            ("one", localized("Eén", "Un", "One")),
            ("two", localized("Twee", "Deux", "Two")),
            (
                "three-four",
                localized("Drie of vier", "Trois ou quatre", "Three or four"),
            ),
            (
                "five-eight",
                localized("Vijf tot acht", "Cinq à huit", "Five to eight"),
            ),
            (
                "nine-plus",
                localized("Negen of meer", "Neuf ou plus", "Nine or more"),
            ),
        ]
        .into_iter()
        .map(|(id, label)| nabij_protocol::Choice {
            id: ChoiceId::parse(id).expect("a valid literal choice id"),
            label,
        })
        .collect(),
    };
    let survey_answers = if screen == Screen::SurveyDone {
        vec![Some(choice("two")), Some(choice("one"))]
    } else {
        vec![Some(choice("two")), None]
    };
    let survey_step = if screen == Screen::SurveyDone { 2 } else { 0 };
    let meeting = |n: u8, days: u64, pickup: bool| MeetingReminder {
        session_id: SessionId::parse(&format!("s-oost-w{n:02}")).expect("a valid session id"),
        series: SessionSeries::Weekly,
        number: n,
        starts_at: UnixMillis(NOW.0 + days * 24 * HOUR + 3 * HOUR + 45 * MINUTE),
        ends_at: UnixMillis(NOW.0 + days * 24 * HOUR + 6 * HOUR + 45 * MINUTE),
        place: "Buurthuis De Schelp".into(),
        address: Some("Schelpstraat 12, Oostende".into()),
        pickup_at: pickup.then_some(UnixMillis(
            NOW.0 + days * 24 * HOUR + 3 * HOUR + 15 * MINUTE,
        )),
    };
    let meetings = vec![
        meeting(4, 1, true),
        meeting(5, 8, true),
        meeting(6, 15, false),
    ];
    let recorder = if screen == Screen::Voice {
        RecorderState::Recorded
    } else {
        RecorderState::Ready
    };
    // The first meeting, moved two days on.
    let first = meetings[0].starts_at;
    KioskState {
        screen: Some(screen),
        language,
        text_scale_percent: 100,
        volume_percent: 80,
        brightness_percent: 70,
        config: Some(config),
        pairing_code: Some("K7PX4C".into()),
        pairing_link: Some("https://hub.local:8443/devices?code=K7PX4C".into()),
        contacts,
        contacts_page: 0,
        partner: Some(anna.clone()),
        conversations: vec![(anna, conversation)],
        draft: if screen == Screen::Keyboard {
            "Tot dinsdag om 14u, café".into()
        } else {
            String::new()
        },
        recorder,
        recorded_seconds: 9,
        photo: Some(6),
        diary: Some(diary),
        diary_selected: vec!["neighbour".into()],
        diary_people: vec![person("p-anna-peeters")],
        diary_people_page: 0,
        surveys: vec![survey],
        survey_step,
        survey_answers,
        surveys_answered: Vec::new(),
        reminder: meetings.first().cloned(),
        meetings,
        help: None,
        check_in_day: None,
        change: Some(MeetingChange {
            was: first,
            moved_to: Some((UnixMillis(first.0 + 2 * 86_400_000), None)),
        }),
        pin: "25".into(),
        coach_pin: SAMPLE_PIN.into(),
        audio_problem: None,
        input_for: Default::default(),
        diary_text: None,
        diary_voice_seconds: None,
        reminded: Vec::new(),
        answered: Vec::new(),
        link_problem: None,
        storage_retrying: false,
        saved_settings: None,
        faces: vec![
            (
                person("p-anna-peeters"),
                sample_face([120, 90, 60], [200, 215, 230]),
            ),
            (
                person("p-coach-marie"),
                sample_face([70, 50, 40], [225, 210, 190]),
            ),
        ],
        can_read_aloud: true,
        // The coach's Wi-Fi screens: the list; the home network chosen, its password
        // typed (joining, on the last screen, until an outcome is set).
        wifi: crate::state::WifiState {
            networks: wifi_networks(),
            chosen: wifi_networks().into_iter().next(),
            password: crate::state::Password::new("zonnebloem 42"),
            keyboard: crate::state::Keyboard {
                shift: Some(false),
                ..Default::default()
            },
            ..Default::default()
        },
        ..KioskState::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_state_render_knows_is_reachable_by_its_name() {
        for screen in Screen::ALL {
            let state = named(screen.name(), Language::Fr).expect("a screen's own sample");
            assert_eq!(state.screen, Some(screen));
            assert_eq!(state.language, Language::Fr);
        }
        let names = variant_names();
        for name in &names {
            assert!(
                Screen::parse(name).is_none(),
                "{name} is a screen's own name"
            );
            assert_eq!(
                names.iter().filter(|n| *n == name).count(),
                1,
                "{name} twice"
            );
        }
        for (name, outcome) in wifi_outcomes() {
            let state = named(name, Language::Nl).expect("an outcome by its name");
            assert_eq!(state.screen, Some(Screen::CoachWifiJoin), "{name}");
            assert_eq!(state.wifi.outcome, Some(outcome), "{name}");
        }
        let looking = named("coach-wifi-looking", Language::En).expect("looking");
        assert!(looking.wifi.looking);
        let none = named("coach-wifi-none", Language::En).expect("none");
        assert!(none.wifi.networks.is_empty() && !none.wifi.looking);
        assert!(named("coach-wifi-nonsense", Language::En).is_none());
    }
}
