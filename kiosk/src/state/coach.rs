//! The coach's way in and their settings. The way in is on the Help screen, away from the
//! Help button, and opens only after three taps in a row: a senior's stray tap does
//! nothing there. Then a PIN, then text size, volume, brightness, language and keyboard.

use super::{Effect, KeyboardLayout, KioskState, Screen, ScreenSettings};
use crate::words::Language;
use nabij_protocol::UnixMillis;

/// Length of the coach PIN.
pub const PIN_LENGTH: usize = 4;

/// Taps on "For the coach" that open the PIN pad.
pub const COACH_TAPS: u8 = 3;

/// The taps must come within this long of the first.
pub const COACH_TAPS_WITHIN_MS: u64 = 4_000;

/// The text sizes a coach can choose.
pub const TEXT_SIZES: [u8; 3] = [100, 125, 150];

fn step(value: u8, delta: i32, min: u8, max: u8) -> u8 {
    let next = i32::from(value) + delta * 10;
    next.clamp(i32::from(min), i32::from(max)) as u8
}

impl KioskState {
    /// A tap on "For the coach": the third in a row opens the PIN pad.
    pub fn coach_tap(&mut self, now: UnixMillis) -> Vec<Effect> {
        let (count, first) = self.coach_taps;
        let in_a_row = count > 0 && now.0.saturating_sub(first) <= COACH_TAPS_WITHIN_MS;
        self.coach_taps = if in_a_row {
            (count + 1, first)
        } else {
            (1, now.0)
        };
        if self.coach_taps.0 >= COACH_TAPS {
            self.coach_taps = (0, 0);
            return self.navigate(Screen::CoachPin);
        }
        Vec::new()
    }

    /// Taps still needed to open the PIN pad (shown on the button).
    pub fn coach_taps_left(&self, now: UnixMillis) -> u8 {
        let (count, first) = self.coach_taps;
        if count > 0 && now.0.saturating_sub(first) <= COACH_TAPS_WITHIN_MS {
            COACH_TAPS - count
        } else {
            COACH_TAPS
        }
    }

    /// A digit of the coach PIN; the right PIN opens the settings, a wrong one starts over.
    pub fn pin_digit(&mut self, digit: &str) -> Vec<Effect> {
        if digit.len() != 1 || !digit.bytes().all(|b| b.is_ascii_digit()) {
            return Vec::new();
        }
        self.pin.push_str(digit);
        if self.pin.len() == PIN_LENGTH {
            let right = self.pin == self.coach_pin;
            self.pin.clear();
            if right {
                return self.navigate(Screen::CoachSettings);
            }
        }
        Vec::new()
    }

    /// The other part of the coach settings.
    pub fn coach_more(&mut self) {
        self.coach_page = 1 - self.coach_page.min(1);
    }

    /// Erases the last digit of the PIN.
    pub fn pin_erase(&mut self) {
        self.pin.pop();
    }

    /// A coach setting one step up or down: text size between its three sizes, volume and
    /// brightness by 10 points.
    pub fn change_setting(&mut self, setting: &str, delta: i32) -> Vec<Effect> {
        match setting {
            "text" => {
                let at = TEXT_SIZES
                    .iter()
                    .position(|s| *s >= self.text_scale_percent)
                    .unwrap_or(TEXT_SIZES.len() - 1);
                let next = (at as i32 + delta.signum()).clamp(0, TEXT_SIZES.len() as i32 - 1);
                self.text_scale_percent = TEXT_SIZES[next as usize];
                vec![Effect::SaveSettings]
            }
            "volume" => {
                self.volume_percent = step(self.volume_percent, delta, 0, 100);
                vec![Effect::SetVolume(self.volume_percent), Effect::SaveSettings]
            }
            "brightness" => {
                self.brightness_percent = step(self.brightness_percent, delta, 10, 100);
                vec![
                    Effect::SetBrightness(self.brightness_percent),
                    Effect::SaveSettings,
                ]
            }
            _ => Vec::new(),
        }
    }

    /// Changes the screen language.
    pub fn set_language(&mut self, code: &str) -> Vec<Effect> {
        match Language::parse(code) {
            Some(lang) => {
                self.language = lang;
                vec![Effect::SaveSettings]
            }
            None => Vec::new(),
        }
    }

    /// Changes the keyboard's order of letters.
    pub fn set_keyboard_layout(&mut self, layout: KeyboardLayout) -> Vec<Effect> {
        self.keyboard.layout = layout;
        vec![Effect::SaveSettings]
    }

    /// The screen settings as they are now.
    pub fn screen_settings(&self) -> ScreenSettings {
        ScreenSettings {
            language: self.language,
            text_scale_percent: self.text_scale_percent,
            volume_percent: self.volume_percent,
            brightness_percent: self.brightness_percent,
            keyboard_layout: self.keyboard.layout,
        }
    }

    /// Puts saved screen settings back (within their ranges); returns the effects that
    /// make volume and brightness real.
    pub fn restore_screen_settings(&mut self, saved: &ScreenSettings) -> Vec<Effect> {
        self.language = saved.language;
        self.text_scale_percent = saved.text_scale_percent.clamp(100, 150);
        self.volume_percent = saved.volume_percent.min(100);
        self.brightness_percent = saved.brightness_percent.clamp(10, 100);
        self.keyboard.layout = saved.keyboard_layout;
        vec![
            Effect::SetVolume(self.volume_percent),
            Effect::SetBrightness(self.brightness_percent),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use crate::state::tests::state;

    #[test]
    fn three_taps_in_a_row_open_the_pin_and_a_stray_tap_does_nothing() {
        let mut s = state();
        s.navigate(Screen::Help);
        let at = |ms: u64| UnixMillis(sample::NOW.0 + ms);
        s.coach_tap(at(0));
        assert_eq!(
            (s.screen, s.coach_taps_left(at(100))),
            (Some(Screen::Help), 2)
        );
        // Too slow: counting starts over.
        s.coach_tap(at(10_000));
        s.coach_tap(at(11_000));
        assert_eq!(s.screen, Some(Screen::Help));
        s.coach_tap(at(12_000));
        assert_eq!(s.screen, Some(Screen::CoachPin));
        assert_eq!(s.coach_taps_left(at(12_500)), 3, "counted afresh next time");
    }

    #[test]
    fn the_coach_pin_opens_settings_a_wrong_one_starts_over_and_a_digit_can_be_erased() {
        let mut s = state();
        s.navigate(Screen::CoachPin);
        s.pin.clear();
        for d in ["1", "2", "3", "4"] {
            s.pin_digit(d);
        }
        assert_eq!((s.screen, s.pin.len()), (Some(Screen::CoachPin), 0));
        for d in ["2", "5", "9"] {
            s.pin_digit(d);
        }
        s.pin_erase();
        for d in ["8", "0"] {
            s.pin_digit(d);
        }
        assert_eq!((s.screen, s.coach_page), (Some(Screen::CoachSettings), 0));
        s.coach_more();
        assert_eq!(s.coach_page, 1);
        s.coach_more();
        assert_eq!(s.coach_page, 0);
    }

    #[test]
    fn settings_stay_within_their_ranges_and_are_kept() {
        let mut s = state();
        s.change_setting("text", 1);
        assert_eq!(s.text_scale_percent, 125);
        for _ in 0..10 {
            s.change_setting("text", 1);
        }
        assert_eq!(s.text_scale_percent, 150);
        s.text_scale_percent = 110; // as a hub may set it
        s.change_setting("text", -1);
        assert_eq!(s.text_scale_percent, 100);
        for _ in 0..20 {
            s.change_setting("brightness", -1);
        }
        assert_eq!(s.brightness_percent, 10, "never a black screen");
        assert_eq!(
            s.change_setting("volume", 1),
            [Effect::SetVolume(90), Effect::SaveSettings]
        );
        s.set_keyboard_layout(KeyboardLayout::Azerty);
        let saved = s.screen_settings();
        let mut fresh = state();
        fresh.restore_screen_settings(&saved);
        assert_eq!(fresh.keyboard.layout, KeyboardLayout::Azerty);
        assert_eq!(fresh.screen_settings(), saved);
    }
}
