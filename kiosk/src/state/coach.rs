//! The coach's way in and their settings. The way in is on the Help screen (and on the
//! "not in use" screen of a tablet switched off), away from the Help button, and opens
//! only after three taps in a row: a senior's stray tap does nothing there. Then a PIN —
//! the hub's shared one, or this tablet's own that a coach set at the hub — with a
//! growing wait after wrong ones; then text size, volume, brightness, language and
//! keyboard, and erasing the tablet.

use super::{Effect, KeyboardLayout, KioskState, Screen, ScreenSettings};
use crate::words::Language;
use nabij_protocol::{CoachPin, UnixMillis};
use serde::{Deserialize, Serialize};

/// Wrong PINs in a row before the PIN pad makes the next one wait.
pub const FREE_PIN_TRIES: u32 = 3;

/// The first wait, after [`FREE_PIN_TRIES`] wrong PINs; each further wrong PIN doubles it.
const FIRST_WAIT_MS: u64 = 30_000;

/// The longest wait: an hour.
const LONGEST_WAIT_MS: u64 = 3_600_000;

/// This tablet's own coach PIN and the wrong tries, kept across restarts (a restart must
/// not give a guesser fresh tries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoachLock {
    /// The PIN a coach set at the hub for this tablet, hashed (docs/protocol.md §6.24).
    #[serde(default)]
    pub own: Option<CoachPin>,
    /// Wrong PINs typed in a row.
    #[serde(default)]
    pub wrong: u32,
    /// Until when (ms since 1970) the PIN pad takes no PIN.
    #[serde(default)]
    pub locked_until: u64,
}

impl CoachLock {
    /// How long the PIN pad waits after `wrong` wrong PINs in a row: nothing for the
    /// first [`FREE_PIN_TRIES`], then 30 s, doubling up to an hour.
    pub fn wait_after(wrong: u32) -> u64 {
        if wrong < FREE_PIN_TRIES {
            return 0;
        }
        let doublings = (wrong - FREE_PIN_TRIES).min(16);
        (FIRST_WAIT_MS << doublings).min(LONGEST_WAIT_MS)
    }

    /// Whether `pin` opens the settings: this tablet's own PIN when it has one, else
    /// `shared`. Compared in constant time (PBKDF2 through ring's `verify`; the shared
    /// PIN through `subtle`).
    fn opens(&self, pin: &str, shared: &str) -> bool {
        match &self.own {
            Some(own) => std::num::NonZeroU32::new(own.rounds).is_some_and(|rounds| {
                ring::pbkdf2::verify(
                    ring::pbkdf2::PBKDF2_HMAC_SHA256,
                    rounds,
                    &own.salt.0,
                    pin.as_bytes(),
                    &own.hash.0,
                )
                .is_ok()
            }),
            None => {
                use subtle::ConstantTimeEq;
                !shared.is_empty() && bool::from(pin.as_bytes().ct_eq(shared.as_bytes()))
            }
        }
    }
}

/// Length of the coach PIN.
pub const PIN_LENGTH: usize = 4;

/// The parts of the coach settings: text, sound and light; language and keyboard; this
/// tablet (erasing it).
pub const COACH_PAGES: u8 = 3;

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

    /// A digit of the coach PIN; the right PIN opens the settings, a wrong one starts
    /// over, and after [`FREE_PIN_TRIES`] wrong ones the pad takes no digit for a while
    /// (growing with each further wrong PIN). Home and Help stay where they are.
    pub fn pin_digit(&mut self, digit: &str, now: UnixMillis) -> Vec<Effect> {
        if digit.len() != 1 || !digit.bytes().all(|b| b.is_ascii_digit()) {
            return Vec::new();
        }
        if self.pin_locked_until(now).is_some() {
            return Vec::new();
        }
        self.pin.push_str(digit);
        if self.pin.len() < PIN_LENGTH {
            return Vec::new();
        }
        let right = self.coach_lock.opens(&self.pin, &self.coach_pin);
        self.pin.clear();
        if right {
            let had_wrong = self.coach_lock.wrong > 0;
            self.coach_lock.wrong = 0;
            self.coach_lock.locked_until = 0;
            let mut effects = self.navigate(Screen::CoachSettings);
            if had_wrong {
                effects.push(Effect::SaveCoachLock);
            }
            return effects;
        }
        self.coach_lock.wrong = self.coach_lock.wrong.saturating_add(1);
        let wait = CoachLock::wait_after(self.coach_lock.wrong);
        if wait > 0 {
            self.coach_lock.locked_until = now.0.saturating_add(wait);
        }
        vec![Effect::SaveCoachLock]
    }

    /// Until when the PIN pad takes no PIN, while it waits after wrong ones.
    pub fn pin_locked_until(&self, now: UnixMillis) -> Option<UnixMillis> {
        (self.coach_lock.locked_until > now.0).then_some(UnixMillis(self.coach_lock.locked_until))
    }

    /// A coach set this tablet's own PIN at the hub. `fresh`: just now (the wrong tries
    /// start over), rather than read back from the history at start.
    pub fn own_coach_pin(&mut self, pin: &CoachPin, fresh: bool) -> Vec<Effect> {
        self.coach_lock.own = Some(pin.clone());
        if fresh {
            self.coach_lock.wrong = 0;
            self.coach_lock.locked_until = 0;
        }
        vec![Effect::SaveCoachLock]
    }

    /// "Erase this tablet" on the coach settings: asks first.
    pub fn ask_erase(&mut self) -> Vec<Effect> {
        self.navigate(Screen::CoachErase)
    }

    /// "Yes, erase it": everything on the tablet goes and it shows a new pairing code
    /// (as after the hub's `wipe`).
    pub fn erase_tablet(&mut self) -> Vec<Effect> {
        if self.screen != Some(Screen::CoachErase) {
            return Vec::new();
        }
        let mut effects = self.navigate(Screen::Pairing);
        self.wiped();
        effects.push(Effect::EraseTablet);
        effects
    }

    /// The next part of the coach settings (of [`COACH_PAGES`], round).
    pub fn coach_more(&mut self) {
        self.coach_page = (self.coach_page + 1) % COACH_PAGES;
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
            s.pin_digit(d, sample::NOW);
        }
        assert_eq!((s.screen, s.pin.len()), (Some(Screen::CoachPin), 0));
        for d in ["2", "5", "9"] {
            s.pin_digit(d, sample::NOW);
        }
        s.pin_erase();
        for d in ["8", "0"] {
            s.pin_digit(d, sample::NOW);
        }
        assert_eq!((s.screen, s.coach_page), (Some(Screen::CoachSettings), 0));
        s.coach_more();
        assert_eq!(s.coach_page, 1);
        s.coach_more();
        assert_eq!(s.coach_page, 2);
        s.coach_more();
        assert_eq!(s.coach_page, 0);
    }

    /// Types a whole PIN (from an empty pad: the sample state shows two digits typed).
    fn type_pin(s: &mut KioskState, pin: &str, at: u64) -> Vec<Effect> {
        s.pin.clear();
        let mut effects = Vec::new();
        for d in pin.chars() {
            effects.extend(s.pin_digit(&d.to_string(), UnixMillis(at)));
        }
        effects
    }

    /// The PIN 4821 as the hub sends it (docs/protocol.md §6.24's example).
    fn own_4821() -> CoachPin {
        CoachPin {
            salt: nabij_protocol::base64::Base64Bytes(
                nabij_protocol::base64::decode("jR86a+DCR1mh47XX+QIcTg==").unwrap(),
            ),
            rounds: 20_000,
            hash: nabij_protocol::base64::Base64Bytes(
                nabij_protocol::base64::decode("HLTLgPULDxvS1BdrtBR7h/aZY8rvtBof+QMqjm8b2w0=")
                    .unwrap(),
            ),
        }
    }

    #[test]
    fn wrong_pins_make_the_pad_wait_longer_each_time_and_home_and_help_stay() {
        let mut s = state();
        let t0 = sample::NOW.0;
        s.navigate(Screen::CoachPin);
        for n in 0..FREE_PIN_TRIES {
            assert_eq!(type_pin(&mut s, "1111", t0), [Effect::SaveCoachLock]);
            let locked = s.pin_locked_until(UnixMillis(t0));
            assert_eq!(locked.is_some(), n + 1 == FREE_PIN_TRIES, "after {n}");
        }
        // Locked for 30 s: even the right PIN is not taken, digits are not even kept.
        assert!(type_pin(&mut s, "2580", t0 + 29_000).is_empty());
        assert_eq!((s.screen, s.pin.len()), (Some(Screen::CoachPin), 0));
        // The senior is never stuck: Home and Help go where they always go.
        s.navigate(Screen::Home);
        assert_eq!(s.screen, Some(Screen::Home));
        s.navigate(Screen::Help);
        s.navigate(Screen::CoachPin);
        // Another wrong PIN after the wait: the next wait is twice as long.
        type_pin(&mut s, "9999", t0 + 30_000);
        assert_eq!(
            s.pin_locked_until(UnixMillis(t0 + 30_000)),
            Some(UnixMillis(t0 + 90_000))
        );
        assert_eq!(CoachLock::wait_after(20), 3_600_000, "an hour at most");
        // The right PIN after the wait opens the settings, and the count starts over.
        assert_eq!(
            type_pin(&mut s, "2580", t0 + 90_000),
            [Effect::SaveCoachLock]
        );
        assert_eq!(s.screen, Some(Screen::CoachSettings));
        assert_eq!(s.coach_lock, CoachLock::default());
    }

    #[test]
    fn a_tablets_own_pin_from_the_hub_replaces_the_shared_one() {
        let mut s = state();
        s.own_coach_pin(&own_4821(), true);
        s.navigate(Screen::CoachPin);
        type_pin(&mut s, "2580", sample::NOW.0);
        assert_eq!(
            (s.screen, s.coach_lock.wrong),
            (Some(Screen::CoachPin), 1),
            "the shared PIN no longer opens it"
        );
        type_pin(&mut s, "4821", sample::NOW.0);
        assert_eq!(s.screen, Some(Screen::CoachSettings));
        // A wipe forgets it: the next senior's tablet opens with the shared PIN again.
        s.wiped();
        assert_eq!(s.coach_lock, CoachLock::default());
        assert_eq!(s.coach_pin, "2580");
    }

    #[test]
    fn a_coach_erases_a_switched_off_tablet_after_saying_yes() {
        let mut s = state();
        s.switched_off();
        assert_eq!(s.screen, Some(Screen::SwitchedOff));
        for i in 0..COACH_TAPS {
            s.coach_tap(UnixMillis(sample::NOW.0 + u64::from(i) * 100));
        }
        assert_eq!(s.screen, Some(Screen::CoachPin));
        // Home leads back to "not in use", not to the senior's things.
        s.navigate(Screen::Home);
        assert_eq!(s.screen, Some(Screen::SwitchedOff));
        s.navigate(Screen::CoachPin);
        s.back();
        assert_eq!(s.screen, Some(Screen::SwitchedOff), "Back too");
        s.navigate(Screen::CoachPin);
        type_pin(&mut s, "2580", sample::NOW.0);
        assert_eq!(s.screen, Some(Screen::CoachSettings));
        assert!(s.erase_tablet().is_empty(), "not without asking");
        s.ask_erase();
        assert_eq!(s.screen, Some(Screen::CoachErase));
        s.back();
        assert_eq!(s.screen, Some(Screen::CoachSettings), "No: nothing happens");
        s.ask_erase();
        let effects = s.erase_tablet();
        assert!(effects.contains(&Effect::EraseTablet));
        assert_eq!(s.screen, Some(Screen::Pairing));
        assert!(s.contacts.is_empty() && s.conversations.is_empty() && !s.switched_off);
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
