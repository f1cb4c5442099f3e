//! The screens' rules, through real taps: Home and Help from anywhere, the coach's way in,
//! the diary, a reminder, a questionnaire, the check-in, the idle clock, a press shown at
//! once, and the recording limit.

use crate::driver::Tablet;
use i_slint_backend_testing::ElementHandle;
use nabij_kiosk::sample;
use nabij_kiosk::state::{RecorderState, Screen, Thanks};
use nabij_kiosk::ui::{self, App};
use nabij_kiosk::words::Language;
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, LogicalPosition};

#[test]
fn home_and_back_are_one_tap_from_every_screen_a_senior_reaches() {
    for screen in Screen::ALL.into_iter().filter(|s| !s.is_state()) {
        let tablet = Tablet::start(screen, Language::Nl);
        tablet.tap("Begin");
        assert_eq!(tablet.page(), ui::Page::Home, "{screen:?}: Home");
        if screen.has_back() {
            let tablet = Tablet::start(screen, Language::Nl);
            let before = tablet.page();
            tablet.tap("Terug");
            assert_ne!(tablet.page(), before, "{screen:?}: Back leaves");
        }
    }
}

#[test]
fn a_quick_reply_goes_out_in_one_tap() {
    let tablet = Tablet::start(Screen::Conversation, Language::Nl);
    tablet.tap("Antwoorden");
    tablet.tap("Tot gauw");
    assert_eq!(tablet.page(), ui::Page::Conversation);
    let last = tablet
        .kiosk
        .state()
        .open_conversation()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(
        last.content,
        nabij_kiosk::state::Content::Text("Tot gauw".into())
    );
}

#[test]
fn help_says_only_what_is_true_and_the_coachs_way_in_needs_three_taps_and_the_pin() {
    let tablet = Tablet::start(Screen::Agenda, Language::En);
    tablet.tap("Help");
    assert_eq!(tablet.page(), ui::Page::Help);
    let help_buttons = i_slint_backend_testing::ElementQuery::from_root(&tablet.app)
        .match_accessible_role(i_slint_backend_testing::AccessibleRole::Button)
        .find_all()
        .into_iter()
        .filter(|e| e.accessible_id().is_some_and(|id| id == "help"))
        .count();
    assert_eq!(help_buttons, 0, "no Help button on Help itself");
    tablet.tap("Ask Marie to call me");
    assert!(tablet.kiosk.state().help.is_some());
    assert!(
        tablet.visible("Your question is on its way to Marie. The tablet sends it by itself."),
        "waiting in the outbox: not yet 'will call'"
    );
    tablet.kiosk.update(|s| {
        s.help_sent(nabij_protocol::MessageId::parse("help-0001").unwrap());
        s.acked(&[nabij_protocol::MessageId::parse("help-0001").unwrap()]);
        Vec::new()
    });
    assert!(tablet.visible("Marie has your question and will call you as soon as possible."));

    // One stray tap on "For the coach" opens nothing; three in a row do.
    tablet.tap("For the coach");
    assert_eq!(tablet.page(), ui::Page::Help);
    assert!(tablet.visible("Tap 2 more times"));
    tablet.tap("For the coach");
    tablet.tap("For the coach");
    assert_eq!(tablet.page(), ui::Page::CoachPin);
    for digit in ["1", "1", "1", "1"] {
        tablet.tap(digit);
    }
    assert_eq!(
        tablet.page(),
        ui::Page::CoachPin,
        "a wrong PIN opens nothing"
    );
    tablet.tap("2");
    tablet.tap("9");
    tablet.tap("Erase one digit");
    for digit in sample::SAMPLE_PIN.chars().skip(1) {
        tablet.tap(&digit.to_string());
    }
    assert_eq!(tablet.page(), ui::Page::CoachSettings);
    tablet.tap("Text size +");
    assert_eq!(tablet.kiosk.state().text_scale_percent, 125);
    assert!(tablet.visible("125%"));
    tablet.tap("Language and keyboard");
    tablet.tap("Keyboard a z e r t y");
    assert_eq!(
        tablet.kiosk.state().keyboard.layout,
        nabij_kiosk::state::KeyboardLayout::Azerty
    );
    tablet.tap("Français");
    assert!(
        tablet.visible("Accueil"),
        "the screen speaks French at once"
    );
    tablet.tap("Accueil");
    assert_eq!(tablet.page(), ui::Page::Home);
}

/// Issue 22, in Dutch: a coach holding a tablet taken back (switched off) reaches its
/// coach settings from the "not in use" screen and erases it after a question; wrong
/// PINs make the pad wait, and Home stays one tap away.
#[test]
fn a_coach_erases_a_switched_off_tablet_and_wrong_pins_make_the_pad_wait() {
    let mut state = sample::state(Screen::Home, Language::Nl);
    state.switched_off();
    state.pin.clear();
    let tablet = Tablet::with_state(state, "pinetab2");
    assert_eq!(tablet.page(), ui::Page::SwitchedOff);
    for _ in 0..nabij_kiosk::state::COACH_TAPS {
        tablet.tap_tr("For the coach");
    }
    assert_eq!(tablet.page(), ui::Page::CoachPin);
    for _ in 0..nabij_kiosk::state::FREE_PIN_TRIES {
        for digit in ["1", "1", "1", "1"] {
            tablet.tap(digit);
        }
    }
    let until = nabij_kiosk::words::clock(nabij_protocol::UnixMillis(sample::NOW.0 + 30_000));
    assert!(
        tablet.visible(&tablet.tr("Too many wrong codes. Try again after {}.", &[&until])),
        "the pad says until when it waits"
    );
    for digit in sample::SAMPLE_PIN.chars() {
        tablet.tap(&digit.to_string());
    }
    assert_eq!(
        tablet.page(),
        ui::Page::CoachPin,
        "meanwhile even the right PIN waits"
    );
    tablet.tap_tr("Home");
    assert_eq!(
        tablet.page(),
        ui::Page::SwitchedOff,
        "Home is the switched-off tablet's own screen"
    );
    // Half a minute later (the test's clock stands still: the wait is over).
    tablet.kiosk.update(|s| {
        s.coach_lock.locked_until = 0;
        Vec::new()
    });
    for _ in 0..nabij_kiosk::state::COACH_TAPS {
        tablet.tap_tr("For the coach");
    }
    for digit in sample::SAMPLE_PIN.chars() {
        tablet.tap(&digit.to_string());
    }
    assert_eq!(tablet.page(), ui::Page::CoachSettings);
    tablet.tap_tr("Language and keyboard");
    tablet.tap_tr("This tablet");
    tablet.tap_tr("Erase this tablet");
    assert_eq!(tablet.page(), ui::Page::CoachErase);
    assert!(tablet.visible(&tablet.tr("Erase everything on this tablet?", &[])));
    tablet.tap_tr("Back");
    assert_eq!(
        tablet.page(),
        ui::Page::CoachSettings,
        "Back erases nothing"
    );
    tablet.tap_tr("Erase this tablet");
    tablet.tap_tr("Yes, erase this tablet");
    assert_eq!(tablet.page(), ui::Page::Pairing);
    let state = tablet.kiosk.state();
    assert!(state.conversations.is_empty() && state.contacts.is_empty() && !state.switched_off);
}

#[test]
fn the_diary_is_answered_by_taps_sent_when_the_senior_chose_who_reads_it_and_thanks() {
    let tablet = Tablet::start(Screen::Home, Language::En);
    tablet.tap("Diary");
    tablet.tap("Family");
    assert!(
        tablet.visible("✓ Family"),
        "a tapped answer shows it is chosen"
    );
    tablet.tap("Next");
    assert_eq!(tablet.page(), ui::Page::DiaryPeople, "who it was");
    tablet.tap("Marie");
    assert!(tablet.visible("✓ Marie"));
    tablet.tap("More people");
    tablet.tap("Next");
    assert_eq!(tablet.page(), ui::Page::DiaryShare);
    assert!(
        !tablet.visible("Send my answer"),
        "nothing goes before the choice"
    );
    tablet.tap("My group too");
    assert!(tablet.visible("✓ My group too"));
    tablet.tap("Send my answer");
    assert_eq!(tablet.page(), ui::Page::Thanks);
    assert_eq!(tablet.kiosk.state().thanks, Thanks::Diary);
    assert!(tablet.visible("Thank you for your answer. The tablet sends it by itself."));
    assert!(tablet.kiosk.state().diary.is_none());
    tablet.tap("Back to the start");
    assert_eq!(tablet.page(), ui::Page::Home);
}

#[test]
fn a_reminder_asks_are_you_coming_and_a_small_screen_shows_it_in_two_turns() {
    let tablet = Tablet::start(Screen::Home, Language::Nl);
    let meeting = tablet.kiosk.state().meetings[0].clone();
    tablet.kiosk.update(|s| s.remind(meeting.clone()));
    assert_eq!(tablet.page(), ui::Page::Reminder, "it comes by itself");
    assert!(tablet.visible("Komt u?"));
    assert!(tablet.visible("De bus komt om\u{a0}13:30"));
    tablet.tap("Ja, ik kom");
    assert_eq!(tablet.page(), ui::Page::Home);
    assert!(tablet.kiosk.state().reminder.is_none());

    // The 7" display at the largest text size: the meeting first, then the answers.
    let mut state = sample::state(Screen::Reminder, Language::Nl);
    state.text_scale_percent = 150;
    let tablet = Tablet::with_state(state, "rpi-touch-7");
    assert!(!tablet.visible("Ja, ik kom"));
    tablet.tap("Verder");
    tablet.tap("Terug");
    assert!(
        tablet.visible("De bus komt om\u{a0}13:30"),
        "back to the meeting"
    );
    tablet.tap("Verder");
    tablet.tap("Nee, ik kan niet komen");
    assert_eq!(tablet.page(), ui::Page::Home);
}

#[test]
fn a_questionnaire_is_answered_one_tap_a_question_with_back_and_next() {
    let tablet = Tablet::start(Screen::Home, Language::En);
    tablet.kiosk.update(|s| {
        s.diary = None;
        s.survey_answers.clear();
        Vec::new()
    });
    tablet.tap("Questions");
    assert_eq!(tablet.page(), ui::Page::Survey);
    assert!(tablet.visible("Question 1 of 2"));
    tablet.tap("Three or four");
    assert!(tablet.visible("Question 2 of 2"));
    tablet.tap("Back");
    assert!(
        tablet.visible("✓ Three or four"),
        "the answer given is marked"
    );
    tablet.tap("Next");
    tablet.tap("None");
    assert_eq!(tablet.page(), ui::Page::SurveyDone);
    tablet.tap("Look at them again");
    tablet.tap("One");
    tablet.tap("Two");
    tablet.tap("Send my answers");
    assert_eq!(tablet.page(), ui::Page::Thanks);
    assert!(tablet.kiosk.state().surveys.is_empty());
    tablet.tap("Back to the start");
    assert!(!tablet.visible("Questions"), "the tile goes with it");
}

#[test]
fn the_daily_check_in_is_answered_with_one_tap_or_asks_the_coach_to_call() {
    let tablet = Tablet::start(Screen::Home, Language::En);
    tablet.kiosk.update(|s| s.ask_check_in(sample::NOW));
    assert_eq!(tablet.page(), ui::Page::CheckIn, "it appears by itself");
    assert!(tablet.visible("How are you today?"));
    tablet.tap("Not good");
    assert_eq!(tablet.page(), ui::Page::Home);
    assert!(!tablet.kiosk.state().check_in_due(sample::NOW));
    tablet.kiosk.update(|s| s.ask_check_in(sample::NOW));
    tablet.tap("Please call me");
    assert_eq!(tablet.page(), ui::Page::Help);
    assert!(tablet.kiosk.state().help_awaited(sample::NOW));
}

#[test]
fn the_idle_clock_says_what_came_wakes_with_one_tap_and_the_app_wakes_once_a_minute() {
    let tablet = Tablet::start(Screen::Contacts, Language::Nl);
    tablet.kiosk.update(|s| {
        s.go_idle();
        Vec::new()
    });
    assert_eq!(tablet.page(), ui::Page::Idle);
    assert!(tablet.visible("2 nieuwe berichten"));
    assert!(tablet.visible("Tik op het scherm om verder te gaan."));
    tablet.tap("Tik op het scherm om verder te gaan");
    assert_eq!(tablet.page(), ui::Page::Home);
    let next = tablet.kiosk.clock_interval().unwrap();
    assert!(
        next <= std::time::Duration::from_secs(60) && next >= std::time::Duration::from_secs(59),
        "{next:?}"
    );
}

#[test]
fn a_press_shows_at_once_before_the_finger_lifts() {
    let tablet = Tablet::start(Screen::Home, Language::En);
    let app: &App = &tablet.app;
    let button = ElementHandle::find_by_accessible_label(app, "Messages")
        .next()
        .unwrap();
    let (p, s) = (button.absolute_position(), button.size());
    // A point inside the button but off its words: 2 mm in from the left edge.
    let probe = LogicalPosition::new(p.x + 8.0, p.y + s.height / 2.0);
    let colour_at = |app: &App| {
        let picture = nabij_kiosk::platform::headless::snapshot(app).unwrap();
        let scale = app.window().scale_factor();
        *picture.get_pixel((probe.x * scale) as u32, (probe.y * scale) as u32)
    };
    let before = colour_at(app);
    app.window().dispatch_event(WindowEvent::PointerPressed {
        position: probe,
        button: PointerEventButton::Left,
    });
    let pressed = colour_at(app);
    assert_ne!(before, pressed, "the very next frame shows the press");
    app.window().dispatch_event(WindowEvent::PointerReleased {
        position: probe,
        button: PointerEventButton::Left,
    });
    assert_eq!(tablet.page(), ui::Page::Contacts);
}

#[test]
fn a_recording_is_stopped_at_two_minutes_if_the_senior_does_not() {
    let mut state = sample::state(Screen::Voice, Language::En);
    state.recorder = RecorderState::Ready;
    let tablet = Tablet::with_state(state, "pinetab2");
    tablet.tap("Record");
    assert_eq!(
        tablet.kiosk.recording_limit(),
        Some(std::time::Duration::from_secs(120)),
        "the limit runs while recording"
    );
    tablet.sound.seconds.set(3.0);
    tablet.tap("Stop recording");
    assert_eq!(
        tablet.kiosk.recording_limit(),
        None,
        "stopped by hand: the limit is off"
    );
    assert_eq!(tablet.kiosk.state().recorded_seconds, 3);
}

#[test]
fn a_coach_joins_the_home_wifi_by_taps_and_reads_what_to_tell_the_senior() {
    let mut state = sample::state(Screen::CoachSettings, Language::Nl);
    state.wifi = Default::default();
    let tablet = Tablet::with_state(state, "pinetab2");
    tablet.tap_tr("Language and keyboard");
    tablet.tap_tr("This tablet");
    tablet.tap_tr("Wi-Fi at home");
    assert_eq!(tablet.page(), ui::Page::CoachWifi);
    assert!(tablet.visible(&tablet.tr("Looking for Wi-Fi networks. One moment.", &[])));
    // What NetworkManager found (the app hands it over from its thread).
    tablet.kiosk.update(|s| {
        s.wifi_found(Ok(sample::wifi_networks()));
        Vec::new()
    });
    assert!(tablet.visible("Telenet-Thuis") && tablet.visible("sterk (82\u{a0}%)"));
    assert!(
        !tablet.visible("Orange-2A4F"),
        "the fifth is on the next page"
    );
    tablet.tap_tr("More networks");
    assert!(tablet.visible("Orange-2A4F"));
    tablet.tap_tr("More networks");
    tablet.tap("Telenet-Thuis");
    assert_eq!(tablet.page(), ui::Page::CoachWifiPassword);
    for key in ["z", "o", "n", "hoofdletter", "N", "e"] {
        tablet.tap(key);
    }
    tablet.tap("cijfers en tekens");
    for key in ["4", "2"] {
        tablet.tap(key);
    }
    assert_eq!(tablet.kiosk.state().wifi.password.as_str(), "zonNe42");
    assert!(
        tablet.visible("Telenet-Thuis:"),
        "typing hid the placeholder: the network's name stays above the password"
    );
    tablet.tap_tr("Connect");
    assert_eq!(
        tablet.page(),
        ui::Page::CoachWifiPassword,
        "7 characters: too short"
    );
    tablet.tap("!");
    tablet.tap_tr("Connect");
    assert_eq!(tablet.page(), ui::Page::CoachWifiJoin);
    assert!(tablet.visible(
        "De tablet maakt verbinding met Telenet-Thuis. Even geduld: dit duurt hoogstens een minuut."
    ));
    tablet.kiosk.update(|s| {
        s.wifi_joined(Ok(nabij_kiosk::wifi::Joined::WrongPassword));
        Vec::new()
    });
    tablet.tap_tr("Type the password again");
    assert_eq!(tablet.page(), ui::Page::CoachWifiPassword);
    assert_eq!(
        tablet.kiosk.state().wifi.password.as_str(),
        "zonNe42!",
        "kept to mend"
    );
    tablet.tap_tr("Connect");
    tablet.kiosk.update(|s| {
        s.wifi_joined(Ok(nabij_kiosk::wifi::Joined::NoInternet));
        Vec::new()
    });
    assert!(tablet.visible(
        "Verbonden met Telenet-Thuis, maar er is geen internet. Kijk of de modem aan staat en of zijn lampjes branden."
    ));
    tablet.tap_tr("Check again");
    tablet.kiosk.update(|s| {
        s.wifi_joined(Ok(nabij_kiosk::wifi::Joined::HubReachable));
        Vec::new()
    });
    assert!(
        tablet.visible("Verbonden met Telenet-Thuis. Het buurtcentrum is bereikbaar: alles werkt.")
    );
    tablet.tap_tr("Back");
    tablet.tap_tr("Back");
    assert_eq!(tablet.page(), ui::Page::CoachSettings);
    assert!(
        tablet.visible(&tablet.tr("Wi-Fi at home", &[])),
        "the part it left"
    );
}

#[test]
fn after_joining_the_second_button_is_what_the_words_ask_for() {
    use nabij_kiosk::wifi::Joined;
    for (name, outcome) in sample::wifi_outcomes() {
        let tablet = Tablet::with_state(
            sample::with_wifi_outcome(outcome.clone(), Language::Fr),
            "pinetab2",
        );
        let retry = tablet.visible(&tablet.tr("Type the password again", &[]));
        let check = tablet.visible(&tablet.tr("Check again", &[]));
        let look = tablet.visible(&tablet.tr("Look again", &[]));
        let expected = match outcome {
            Ok(Joined::WrongPassword) => (true, false, false),
            // The modem switched on meanwhile, the project's hub back: worth a check.
            Ok(Joined::NoInternet | Joined::HubUnreachable(_)) => (false, true, false),
            // "Then look again."
            Ok(Joined::NotFound) => (false, false, true),
            // All is well; or the words say what to do instead (choose the home network,
            // switch the tablet off and on): Back alone.
            _ => (false, false, false),
        };
        assert_eq!((retry, check, look), expected, "{name}");
        assert!(tablet.visible(&tablet.tr("Back", &[])), "{name}");
        if look {
            tablet.tap_tr("Look again");
            assert_eq!(tablet.page(), ui::Page::CoachWifi, "{name}");
            assert!(tablet.kiosk.state().wifi.looking, "{name}");
        }
    }
}
