//! The UI's callbacks: each one restarts the idle timer, changes the state through one
//! of its transitions, runs the effects and redraws.

use super::Kiosk;
use crate::adapters;
use crate::state::Screen;
use crate::ui::{self, App};
use slint::ComponentHandle;

impl Kiosk {
    pub(super) fn wire(&self, app: &App) {
        let api = app.global::<ui::Api>();
        // Every callback: restart the idle timer, change the state, run the effects, redraw.
        macro_rules! on {
            ($setter:ident, |$s:ident, $k:ident $(, $arg:ident : $ty:ty)*| $body:expr) => {{
                let kiosk = self.clone();
                api.$setter(move |$($arg: $ty),*| {
                    kiosk.touched();
                    #[allow(unused_variables)]
                    let $k = &kiosk;
                    kiosk.update(|$s| $body);
                });
            }};
        }
        on!(on_navigate, |s, _k, page: ui::Page| s
            .navigate(adapters::screen_of(page)));
        on!(on_back, |s, _k| s.back());
        on!(on_open_contact, |s, _k, id: slint::SharedString| s
            .open_contact(&id));
        on!(on_next_contacts, |s, _k| {
            s.next_contacts();
            Vec::new()
        });
        on!(on_quick_reply, |s, k, text: slint::SharedString| s
            .quick_reply(&text, (k.now)()));
        on!(on_key, |s, _k, index: i32| {
            let index = usize::try_from(index).unwrap_or(usize::MAX);
            // One keyboard on screen: the Wi-Fi password's, or the message's.
            if s.screen == Some(Screen::CoachWifiPassword) {
                s.wifi_key(index);
            } else {
                s.press_key(index);
            }
            Vec::new()
        });
        on!(on_wifi_look, |s, _k| s.wifi_look());
        on!(on_wifi_more_networks, |s, _k| {
            s.wifi_more();
            Vec::new()
        });
        on!(on_wifi_choose, |s, _k, index: i32| s
            .wifi_choose(usize::try_from(index).unwrap_or(usize::MAX)));
        on!(on_wifi_join, |s, _k| s.wifi_join());
        on!(on_wifi_retry, |s, _k| s.wifi_retry());
        on!(on_wifi_check_again, |s, _k| s.wifi_check_again());
        on!(on_send_draft, |s, k| s.send_draft((k.now)()));
        on!(on_record_toggle, |s, _k| s.record_toggle());
        on!(on_confirm_discard, |s, _k, discard: bool| s
            .confirm_discard(discard));
        on!(on_play_recording, |s, _k| s.play_recording());
        on!(on_send_recording, |s, k| s.send_recording((k.now)()));
        on!(on_play_voice, |s, _k, index: i32| s
            .play_voice(usize::try_from(index).unwrap_or(usize::MAX)));
        on!(on_open_photo, |s, _k, index: i32| s
            .open_photo(usize::try_from(index).unwrap_or(usize::MAX)));
        on!(on_earlier_messages, |s, k| {
            let start = k.shown.borrow().page.first().map(crate::state::Piece::from);
            if let Some(start) = start {
                s.earlier_messages(start);
            }
            Vec::new()
        });
        on!(on_newest_messages, |s, _k| {
            s.newest_messages();
            Vec::new()
        });
        on!(on_read_aloud, |s, k| {
            if s.screen == Some(Screen::Diary) && !s.reading_aloud() {
                s.read_question_aloud()
            } else {
                let said = s.said((k.now)(), &k.shown.borrow().page);
                s.read_aloud(said.unwrap_or_default())
            }
        });
        on!(on_toggle_choice, |s, _k, id: slint::SharedString| {
            s.toggle_choice(&id);
            Vec::new()
        });
        on!(on_diary_next, |s, _k| s.diary_next());
        on!(on_toggle_diary_person, |s, _k, id: slint::SharedString| {
            s.toggle_diary_person(&id);
            Vec::new()
        });
        on!(on_next_diary_people, |s, _k| {
            s.next_diary_people();
            Vec::new()
        });
        on!(on_add_voice_answer, |s, _k| s
            .answer_diary_with(Screen::Voice));
        on!(on_add_text_answer, |s, _k| s
            .answer_diary_with(Screen::Keyboard));
        on!(on_choose_share, |s, _k, with_group: bool| {
            s.choose_share(with_group);
            Vec::new()
        });
        on!(on_send_diary, |s, _k| s.send_diary());
        on!(on_open_survey, |s, _k| s.open_survey());
        on!(on_answer_survey, |s, _k, id: slint::SharedString| s
            .answer_survey(&id));
        on!(on_survey_next, |s, _k| s.survey_next());
        on!(on_survey_again, |s, _k| s.survey_again());
        on!(on_send_survey, |s, _k| s.send_survey());
        on!(on_more_sessions_page, |s, k| {
            s.next_agenda_page(k.shown.borrow().agenda_pages);
            Vec::new()
        });
        on!(on_rsvp, |s, _k, coming: bool| s.rsvp(coming));
        on!(on_ask_help, |s, k| s.ask_help((k.now)()));
        on!(
            on_check_in,
            |s, k, mood: slint::SharedString| match mood.as_str() {
                "good" => s.check_in(nabij_protocol::Mood::Good, (k.now)()),
                "okay" => s.check_in(nabij_protocol::Mood::Okay, (k.now)()),
                "not-good" => s.check_in(nabij_protocol::Mood::NotGood, (k.now)()),
                _ => Vec::new(),
            }
        );
        on!(on_coach_tap, |s, k| s.coach_tap((k.now)()));
        on!(on_pin_digit, |s, k, digit: slint::SharedString| s
            .pin_digit(&digit, (k.now)()));
        on!(on_coach_erase, |s, _k| s.ask_erase());
        on!(on_erase_tablet, |s, _k| s.erase_tablet());
        on!(on_coach_more, |s, _k| {
            s.coach_more();
            Vec::new()
        });
        on!(on_pin_erase, |s, _k| {
            s.pin_erase();
            Vec::new()
        });
        on!(
            on_change_setting,
            |s, _k, setting: slint::SharedString, delta: i32| s.change_setting(&setting, delta)
        );
        on!(on_set_language, |s, _k, code: slint::SharedString| s
            .set_language(&code));
        on!(
            on_set_keyboard_layout,
            |s, _k, code: slint::SharedString| {
                match code.as_str() {
                    "azerty" => s.set_keyboard_layout(crate::state::KeyboardLayout::Azerty),
                    "alphabetical" => {
                        s.set_keyboard_layout(crate::state::KeyboardLayout::Alphabetical)
                    }
                    _ => Vec::new(),
                }
            }
        );
        on!(on_woke, |s, _k| {
            s.wake();
            Vec::new()
        });
        // A new size (the window opening, a turned screen): measure the pages again.
        let kiosk = self.clone();
        api.on_resized(move || kiosk.redraw());
    }
}
