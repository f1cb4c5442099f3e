//! Driving the app as a senior would: real taps (pointer press and release at the
//! centre of a button found by its accessible label), screen by screen.

use i_slint_backend_testing::ElementHandle;
use nabij_kiosk::app::Kiosk;
use nabij_kiosk::audio::NoSound;
use nabij_kiosk::sample;
use nabij_kiosk::state::{Content, Delivery, Screen};
use nabij_kiosk::ui::{self, App};
use nabij_kiosk::words::Language;
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, LogicalPosition};
use std::rc::Rc;

fn start(screen: Screen) -> (App, Kiosk) {
    nabij_kiosk::platform::headless::init();
    let app = App::new().unwrap();
    nabij_kiosk::platform::render::select_language(Language::En).unwrap();
    let profile = nabij_kiosk::platform::profile::shipped()
        .unwrap()
        .into_iter()
        .find(|p| p.name == "pinetab2")
        .unwrap();
    let kiosk = Kiosk::attach(
        &app,
        sample::state(screen, Language::En),
        Rc::new(NoSound::new("no sound card in the test")),
        Rc::new(|| sample::NOW),
    );
    nabij_kiosk::platform::headless::fit(&app, &profile).unwrap();
    (app, kiosk)
}

/// Taps the visible button labelled `label` with a real press and release.
fn tap(app: &App, label: &str) {
    let button = ElementHandle::find_by_accessible_label(app, label)
        .find(|e| e.computed_opacity() > 0.0)
        .unwrap_or_else(|| panic!("no visible button {label:?} on {:?}", page(app)));
    let (p, s) = (button.absolute_position(), button.size());
    let position = LogicalPosition::new(p.x + s.width / 2.0, p.y + s.height / 2.0);
    let window = app.window();
    window.dispatch_event(WindowEvent::PointerPressed {
        position,
        button: PointerEventButton::Left,
    });
    window.dispatch_event(WindowEvent::PointerReleased {
        position,
        button: PointerEventButton::Left,
    });
}

fn page(app: &App) -> ui::Page {
    app.global::<ui::Api>().get_page()
}

fn visible(app: &App, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(app, label).any(|e| e.computed_opacity() > 0.0)
}

#[test]
fn a_senior_writes_a_message_with_the_keyboard_and_goes_home() {
    let (app, kiosk) = start(Screen::Home);
    assert!(visible(&app, "2 new"), "home shows the unread count");
    tap(&app, "Messages");
    assert_eq!(page(&app), ui::Page::Contacts);
    tap(&app, "Anna");
    assert_eq!(page(&app), ui::Page::Conversation);
    assert_eq!(kiosk.state().unread(), 0);
    tap(&app, "Write");
    tap(&app, "Type");
    assert_eq!(page(&app), ui::Page::Keyboard);
    for key in ["H", "I", "Space", "A", "N", "N", "E", "Erase", "A"] {
        tap(&app, key);
    }
    assert_eq!(app.global::<ui::Api>().get_draft(), "HI ANNA");
    tap(&app, "Send");
    assert_eq!(page(&app), ui::Page::Conversation);
    let last = kiosk.state().open_conversation().last().cloned().unwrap();
    assert_eq!(
        (last.content, last.delivery),
        (Content::Text("HI ANNA".into()), Some(Delivery::Waiting))
    );
    assert!(visible(&app, "HI ANNA"));
    tap(&app, "Home");
    assert_eq!(page(&app), ui::Page::Home);
}

#[test]
fn a_quick_reply_goes_out_in_one_tap() {
    let (app, kiosk) = start(Screen::Conversation);
    tap(&app, "Write");
    tap(&app, "See you soon");
    assert_eq!(page(&app), ui::Page::Conversation);
    let last = kiosk.state().open_conversation().last().cloned().unwrap();
    assert_eq!(last.content, Content::Text("See you soon".into()));
}

#[test]
fn help_is_one_tap_and_the_coach_settings_need_the_pin() {
    let (app, kiosk) = start(Screen::Agenda);
    tap(&app, "Help");
    assert_eq!(page(&app), ui::Page::Help);
    tap(&app, "Ask Marie to call me");
    assert!(kiosk.state().help_asked.is_some());
    assert!(visible(&app, "Marie will call you soon."));
    tap(&app, "For the coach");
    for digit in ["1", "1", "1", "1"] {
        tap(&app, digit);
    }
    assert_eq!(page(&app), ui::Page::CoachPin, "a wrong PIN opens nothing");
    for digit in sample::SAMPLE_PIN.chars() {
        tap(&app, &digit.to_string());
    }
    assert_eq!(page(&app), ui::Page::CoachSettings);
    tap(&app, "Text size +");
    assert_eq!(kiosk.state().text_scale_percent, 110);
    assert!(visible(&app, "110%"));
    assert!(
        visible(
            &app,
            "Sound does not work on this tablet: no sound card in the test"
        ),
        "the coach sees why there is no sound"
    );
    tap(&app, "Français");
    assert!(visible(&app, "Accueil"), "the screen speaks French at once");
    tap(&app, "Accueil");
    assert_eq!(page(&app), ui::Page::Home);
}

#[test]
fn the_diary_and_a_reminder_are_answered_by_tapping() {
    let (app, kiosk) = start(Screen::Home);
    tap(&app, "Diary");
    tap(&app, "Family");
    assert!(
        visible(&app, "✓ Family"),
        "a tapped answer shows it is chosen"
    );
    tap(&app, "Next");
    assert_eq!(
        page(&app),
        ui::Page::DiaryPeople,
        "who it was: the senior's people"
    );
    tap(&app, "Marie");
    assert!(visible(&app, "✓ Marie"));
    tap(&app, "More people");
    tap(&app, "Next");
    tap(&app, "My group too");
    assert_eq!(page(&app), ui::Page::Home);
    assert!(kiosk.state().diary.is_none());
    assert!(
        kiosk.state().diary_people.is_empty(),
        "sent with the answer"
    );

    let meeting = kiosk.state().meetings[0].clone();
    kiosk.update(|s| s.remind(meeting));
    assert_eq!(
        page(&app),
        ui::Page::Reminder,
        "the reminder appears by itself"
    );
    tap(&app, "I'm coming");
    assert_eq!(page(&app), ui::Page::Home);
    assert!(kiosk.state().reminder.is_none());
}

#[test]
fn a_questionnaire_is_answered_one_tap_a_question_and_sent_when_the_senior_says_so() {
    let (app, kiosk) = start(Screen::Home);
    kiosk.update(|s| {
        s.diary = None;
        s.survey_answers.clear();
        Vec::new()
    });
    tap(&app, "Questions");
    assert_eq!(page(&app), ui::Page::Survey);
    assert!(visible(&app, "Question 1 of 2"));
    tap(&app, "Three or four");
    assert!(visible(&app, "Question 2 of 2"));
    tap(&app, "None");
    assert_eq!(page(&app), ui::Page::SurveyDone);
    tap(&app, "Go through them again");
    assert!(
        visible(&app, "✓ Three or four"),
        "the answer given is marked"
    );
    tap(&app, "One");
    assert!(visible(&app, "✓ None"));
    tap(&app, "Two");
    assert_eq!(
        kiosk
            .state()
            .survey_answers
            .iter()
            .map(|a| a.as_ref().map(|c| c.to_string()))
            .collect::<Vec<_>>(),
        [Some("one".into()), Some("two".into())],
        "a second pass changes the answers"
    );
    tap(&app, "Send my answers");
    assert_eq!(page(&app), ui::Page::Home);
    assert!(kiosk.state().surveys.is_empty());
    assert!(!visible(&app, "Questions"), "the tile goes with it");
}

#[test]
fn the_daily_check_in_is_answered_with_one_tap_or_asks_the_coach_to_call() {
    let (app, kiosk) = start(Screen::Home);
    kiosk.update(|s| s.ask_check_in(sample::NOW));
    assert_eq!(page(&app), ui::Page::CheckIn, "it appears by itself");
    tap(&app, "Not good");
    assert_eq!(page(&app), ui::Page::Home);
    assert!(
        !kiosk.state().check_in_due(sample::NOW),
        "answered for today"
    );

    kiosk.update(|s| s.ask_check_in(sample::NOW));
    tap(&app, "Please call me");
    assert_eq!(page(&app), ui::Page::Help);
    assert!(
        kiosk.state().help_awaited(sample::NOW),
        "the coach is asked to call"
    );
}

#[test]
fn the_idle_clock_wakes_with_one_tap_and_the_app_wakes_at_most_once_a_minute() {
    let (app, kiosk) = start(Screen::Contacts);
    kiosk.update(|s| {
        s.go_idle();
        Vec::new()
    });
    assert_eq!(page(&app), ui::Page::Idle);
    tap(&app, "Tap to continue");
    assert_eq!(page(&app), ui::Page::Home);
    let next = kiosk.clock_interval().unwrap();
    assert!(
        next <= std::time::Duration::from_secs(60) && next >= std::time::Duration::from_secs(59),
        "{next:?}"
    );
}

#[test]
fn a_press_shows_at_once_before_the_finger_lifts() {
    let (app, _kiosk) = start(Screen::Home);
    let button = ElementHandle::find_by_accessible_label(&app, "Messages")
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
    let before = colour_at(&app);
    app.window().dispatch_event(WindowEvent::PointerPressed {
        position: probe,
        button: PointerEventButton::Left,
    });
    let pressed = colour_at(&app);
    assert_ne!(before, pressed, "the very next frame shows the press");
    app.window().dispatch_event(WindowEvent::PointerReleased {
        position: probe,
        button: PointerEventButton::Left,
    });
    assert_eq!(page(&app), ui::Page::Contacts);
}

/// A microphone that records silence: recording works, nothing is heard.
struct SilentMicrophone;

impl nabij_kiosk::audio::Sound for SilentMicrophone {
    fn problem(&self) -> Option<String> {
        None
    }
    fn chime(&self) -> Result<(), nabij_kiosk::audio::SoundError> {
        Ok(())
    }
    fn start_recording(&self) -> Result<(), nabij_kiosk::audio::SoundError> {
        Ok(())
    }
    fn stop_recording(
        &self,
    ) -> Result<nabij_kiosk::audio::Recorded, nabij_kiosk::audio::SoundError> {
        Ok(nabij_kiosk::audio::Recorded {
            seconds: 3,
            silent: true,
        })
    }
    fn play_recording(&self) -> Result<std::time::Duration, nabij_kiosk::audio::SoundError> {
        Ok(std::time::Duration::from_secs(3))
    }
    fn set_volume(&self, _: u8) -> Result<(), nabij_kiosk::audio::SoundError> {
        Ok(())
    }
    fn last_recording(&self) -> (u32, Vec<f32>) {
        (16_000, vec![0.0; 48_000])
    }
    fn play_samples(
        &self,
        _: &[f32],
        _: u32,
    ) -> Result<std::time::Duration, nabij_kiosk::audio::SoundError> {
        Ok(std::time::Duration::from_secs(3))
    }
}

#[test]
fn a_recording_is_stopped_at_two_minutes_if_the_senior_does_not() {
    nabij_kiosk::platform::headless::init();
    let app = App::new().unwrap();
    nabij_kiosk::platform::render::select_language(Language::En).unwrap();
    let mut state = sample::state(Screen::Voice, Language::En);
    state.recorder = nabij_kiosk::state::RecorderState::Ready;
    let kiosk = Kiosk::attach(
        &app,
        state,
        Rc::new(SilentMicrophone),
        Rc::new(|| sample::NOW),
    );
    tap(&app, "Start recording");
    assert_eq!(
        kiosk.recording_limit(),
        Some(std::time::Duration::from_secs(120)),
        "the limit runs while recording"
    );
    tap(&app, "Stop recording");
    assert_eq!(
        kiosk.recording_limit(),
        None,
        "stopped by hand: the limit is off"
    );
    assert_eq!(kiosk.state().recorded_seconds, 3);
}
