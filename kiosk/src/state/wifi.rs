//! Home Wi-Fi, for the coach (behind the coach PIN, from the settings' "This tablet"
//! part): the networks the tablet sees, a few at a time, strongest first; the password on
//! the kiosk's own keyboard (no capital unless asked for: a password has no sentences);
//! joining, and then what a coach reads to the senior over the phone. The work itself
//! (NetworkManager, the hub) is an effect the app runs on a thread of its own.

use super::{Effect, KeyAction, Keyboard, KeyboardPage, KioskState, Screen};
use crate::wifi::{Joined, Network};

/// Networks on one page of the list.
pub const NETWORKS_PER_PAGE: usize = 4;

/// A WPA password's length: 8 to 63 characters.
pub const PASSWORD_MIN: usize = 8;
/// See [`PASSWORD_MIN`].
pub const PASSWORD_MAX: usize = 63;

/// A Wi-Fi password as typed: never in `Debug` output or logs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The password typed.
    pub fn new(text: &str) -> Password {
        Password(text.to_owned())
    }
    /// Its characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Password(… {} characters)", self.0.chars().count())
    }
}

/// Where the Wi-Fi screens are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WifiState {
    /// The networks found, strongest first.
    pub networks: Vec<Network>,
    /// Which page of them is shown.
    pub page: usize,
    /// A scan is under way.
    pub looking: bool,
    /// Why the list could not be made (for whoever helps), if it could not.
    pub problem: Option<String>,
    /// The network tapped.
    pub chosen: Option<Network>,
    /// Its password, as typed.
    pub password: Password,
    /// The keyboard's page and capital for the password.
    pub keyboard: Keyboard,
    /// "Connect" was tapped with a password too short for Wi-Fi.
    pub too_short: bool,
    /// How joining (or checking the hub again) ended; `None` while it goes on.
    pub outcome: Option<Result<Joined, String>>,
    /// A join or a hub check is under way: a second one is not started meanwhile (two
    /// at once would race in NetworkManager, and the screen could tell only one).
    pub busy: bool,
}

impl WifiState {
    /// The networks on the page shown.
    pub fn shown(&self) -> &[Network] {
        let start = (self.page * NETWORKS_PER_PAGE).min(self.networks.len());
        let end = (start + NETWORKS_PER_PAGE).min(self.networks.len());
        &self.networks[start..end]
    }

    /// Whether there are more networks than one page.
    pub fn has_more(&self) -> bool {
        self.networks.len() > NETWORKS_PER_PAGE
    }
}

impl KioskState {
    /// "Wi-Fi at home" on the coach settings, or "Look again": a fresh list.
    pub fn wifi_look(&mut self) -> Vec<Effect> {
        if !matches!(
            self.screen,
            Some(Screen::CoachSettings | Screen::CoachWifi | Screen::CoachWifiJoin)
        ) {
            return Vec::new();
        }
        let mut effects = self.navigate(Screen::CoachWifi);
        self.wifi.looking = true;
        self.wifi.problem = None;
        effects.push(Effect::WifiScan);
        effects
    }

    /// The list came (or why it did not).
    pub fn wifi_found(&mut self, found: Result<Vec<Network>, String>) {
        self.wifi.looking = false;
        self.wifi.page = 0;
        match found {
            Ok(networks) => {
                self.wifi.networks = networks;
                self.wifi.problem = None;
            }
            Err(problem) => {
                self.wifi.networks.clear();
                self.wifi.problem = Some(problem);
            }
        }
    }

    /// The next page of networks (round).
    pub fn wifi_more(&mut self) {
        let pages = self.wifi.networks.len().div_ceil(NETWORKS_PER_PAGE).max(1);
        self.wifi.page = (self.wifi.page + 1) % pages;
    }

    /// A network tapped (by its place on the page shown): its password, or straight to
    /// joining when it has none.
    /// While a join is under way, a tap on a network shows that join instead.
    pub fn wifi_choose(&mut self, index: usize) -> Vec<Effect> {
        let Some(network) = self.wifi.shown().get(index).cloned() else {
            return Vec::new();
        };
        if self.wifi.busy {
            return self.navigate(Screen::CoachWifiJoin);
        }
        let same = self.wifi.chosen.as_ref() == Some(&network);
        if !same {
            self.wifi.password = Password::default();
        }
        self.wifi.chosen = Some(network.clone());
        self.wifi.too_short = false;
        self.wifi.keyboard = Keyboard {
            layout: self.keyboard.layout,
            page: KeyboardPage::Letters,
            shift: Some(false),
        };
        if network.secured {
            self.navigate(Screen::CoachWifiPassword)
        } else {
            self.wifi_join()
        }
    }

    /// A key of the password's keyboard, by its place in `Keyboard::keys`.
    pub fn wifi_key(&mut self, index: usize) {
        let keys = self
            .wifi
            .keyboard
            .keys(self.wifi.password.as_str(), self.language);
        let Some(key) = keys.get(index) else { return };
        let password = &mut self.wifi.password.0;
        let mut typed = |text: &str| {
            for c in text.chars() {
                if password.chars().count() < PASSWORD_MAX {
                    password.push(c);
                }
            }
        };
        match &key.action {
            KeyAction::Type(text) => {
                typed(text);
                // A capital is for one letter; then lower case again.
                if text.chars().any(char::is_alphabetic) {
                    self.wifi.keyboard.shift = Some(false);
                }
            }
            KeyAction::Space => typed(" "),
            KeyAction::Erase => {
                password.pop();
            }
            KeyAction::Shift => {
                self.wifi.keyboard.shift = Some(!self.wifi.keyboard.shift.unwrap_or(false));
            }
            KeyAction::Page(page) => self.wifi.keyboard.page = *page,
        }
        self.wifi.too_short = false;
    }

    /// "Connect": joins the network chosen (a Wi-Fi password has at least 8 characters:
    /// a shorter one is not tried, and the screen says why). Never a second join while
    /// one is under way: the screen shows that one.
    pub fn wifi_join(&mut self) -> Vec<Effect> {
        let Some(network) = self.wifi.chosen.clone() else {
            return Vec::new();
        };
        if self.wifi.busy {
            return self.navigate(Screen::CoachWifiJoin);
        }
        if network.secured && self.wifi.password.as_str().chars().count() < PASSWORD_MIN {
            self.wifi.too_short = true;
            return Vec::new();
        }
        let mut effects = self.navigate(Screen::CoachWifiJoin);
        self.wifi.outcome = None;
        self.wifi.busy = true;
        effects.push(Effect::WifiJoin {
            network,
            password: self.wifi.password.clone(),
        });
        effects
    }

    /// How joining, or checking the hub again, ended.
    pub fn wifi_joined(&mut self, outcome: Result<Joined, String>) {
        self.wifi.outcome = Some(outcome);
        self.wifi.busy = false;
    }

    /// "Try again" after a wrong password: the password screen, with what was typed (a
    /// typo is mended, not typed anew).
    pub fn wifi_retry(&mut self) -> Vec<Effect> {
        if !matches!(self.wifi.outcome, Some(Ok(Joined::WrongPassword))) {
            return Vec::new();
        }
        self.navigate(Screen::CoachWifiPassword)
    }

    /// "Check again" when the tablet is on the network but the hub did not answer (the
    /// senior switched the modem on meanwhile).
    pub fn wifi_check_again(&mut self) -> Vec<Effect> {
        if self.screen != Some(Screen::CoachWifiJoin)
            || self.wifi.outcome.is_none()
            || self.wifi.busy
        {
            return Vec::new();
        }
        self.wifi.outcome = None;
        self.wifi.busy = true;
        vec![Effect::WifiCheckHub]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::state;

    fn n(ssid: &str, strength: u8, secured: bool) -> Network {
        Network {
            ssid: ssid.into(),
            strength,
            secured,
        }
    }

    fn press(s: &mut KioskState, name: &str) {
        let keys = s.wifi.keyboard.keys(s.wifi.password.as_str(), s.language);
        let index = keys
            .iter()
            .position(|k| k.name == name)
            .unwrap_or_else(|| panic!("no key {name}"));
        s.wifi_key(index);
    }

    #[test]
    fn a_coach_finds_the_network_types_its_password_and_joins() {
        let mut s = state();
        s.navigate(Screen::CoachSettings);
        assert_eq!(s.wifi_look(), [Effect::WifiScan]);
        assert_eq!((s.screen, s.wifi.looking), (Some(Screen::CoachWifi), true));
        let found: Vec<_> = (0..6)
            .map(|i| n(&format!("Net {i}"), 90 - i * 10, true))
            .collect();
        s.wifi_found(Ok(found));
        assert_eq!(s.wifi.shown().len(), NETWORKS_PER_PAGE);
        s.wifi_more();
        assert_eq!(s.wifi.shown()[0].ssid, "Net 4");
        s.wifi_more();
        assert_eq!(s.wifi.shown()[0].ssid, "Net 0", "round");
        s.wifi_choose(1);
        assert_eq!(s.screen, Some(Screen::CoachWifiPassword));
        // Lower case unless asked: no capital at the start as in a message.
        for name in ["z", "o"] {
            press(&mut s, name);
        }
        assert!(
            s.wifi_join().is_empty() && s.wifi.too_short,
            "two letters: not tried"
        );
        let shift = crate::words::shift_key(s.language).1;
        press(&mut s, shift);
        press(&mut s, "N");
        press(&mut s, "n");
        s.wifi_key(
            s.wifi
                .keyboard
                .keys("", s.language)
                .iter()
                .position(|k| k.action == KeyAction::Page(KeyboardPage::Digits))
                .expect("a digits key"),
        );
        for d in ["4", "2", "4", "2"] {
            press(&mut s, d);
        }
        assert_eq!(s.wifi.password.as_str(), "zoNn4242");
        assert!(
            !format!("{:?}", s.wifi).contains("zoNn4242"),
            "never in Debug"
        );
        let effects = s.wifi_join();
        assert_eq!(
            effects,
            [Effect::WifiJoin {
                network: n("Net 1", 80, true),
                password: Password::new("zoNn4242"),
            }]
        );
        assert_eq!(
            (s.screen, &s.wifi.outcome),
            (Some(Screen::CoachWifiJoin), &None)
        );
        s.wifi_joined(Ok(Joined::HubReachable));
        assert!(s.wifi_retry().is_empty(), "nothing to try again");
        s.back();
        assert_eq!(s.screen, Some(Screen::CoachWifi));
        s.back();
        assert_eq!(s.screen, Some(Screen::CoachSettings));
    }

    #[test]
    fn a_wrong_password_is_mended_not_typed_anew_and_no_internet_is_checked_again() {
        let mut s = state();
        s.navigate(Screen::CoachSettings);
        s.wifi_look();
        s.wifi_found(Ok(vec![n("Thuis", 80, true), n("Bib", 50, false)]));
        s.wifi_choose(0);
        s.wifi.password = Password::new("zonnebloem");
        s.wifi_join();
        s.wifi_joined(Ok(Joined::WrongPassword));
        s.wifi_retry();
        assert_eq!(s.screen, Some(Screen::CoachWifiPassword));
        assert_eq!(s.wifi.password.as_str(), "zonnebloem", "kept to mend");
        s.back();
        assert_eq!(s.screen, Some(Screen::CoachWifi));
        // An open network joins at once.
        let effects = s.wifi_choose(1);
        assert!(
            matches!(&effects[..], [Effect::WifiJoin { password, .. }] if password.as_str().is_empty())
        );
        s.wifi_joined(Ok(Joined::NoInternet));
        assert_eq!(s.wifi_check_again(), [Effect::WifiCheckHub]);
        assert_eq!(s.wifi.outcome, None, "checking");
        s.wifi_found(Err("no Wi-Fi".into()));
        assert_eq!(s.wifi.problem.as_deref(), Some("no Wi-Fi"));
    }

    #[test]
    fn a_second_join_never_starts_while_one_is_under_way() {
        let mut s = state();
        s.navigate(Screen::CoachSettings);
        s.wifi_look();
        s.wifi_found(Ok(vec![n("Thuis", 80, true), n("Bib", 50, false)]));
        s.wifi_choose(0);
        s.wifi.password = Password::new("zonnebloem");
        assert_eq!(s.wifi_join().len(), 1, "the first join starts");
        assert!(s.wifi.busy);
        let joins = |effects: Vec<Effect>| {
            effects
                .iter()
                .filter(|e| matches!(e, Effect::WifiJoin { .. }))
                .count()
        };
        // "Connect" tapped again (a tremor, an impatient coach): nothing new starts.
        assert_eq!(joins(s.wifi_join()), 0);
        // Back to the list, and another network or the same one again: the screen shows
        // the join under way, for the network it is for.
        s.back();
        assert_eq!(s.screen, Some(Screen::CoachWifi));
        for index in [1, 0] {
            assert_eq!(joins(s.wifi_choose(index)), 0);
            assert_eq!(s.screen, Some(Screen::CoachWifiJoin));
            assert_eq!(s.wifi.chosen, Some(n("Thuis", 80, true)));
            assert_eq!(s.wifi.outcome, None);
            s.back();
        }
        assert!(s.wifi_check_again().is_empty(), "nothing to check yet");
        // Once it ended, the coach may check again, once at a time, or join anew.
        s.navigate(Screen::CoachWifiJoin);
        s.wifi_joined(Ok(Joined::NoInternet));
        assert!(!s.wifi.busy);
        assert_eq!(s.wifi_check_again(), [Effect::WifiCheckHub]);
        s.wifi_joined(Ok(Joined::NoInternet));
        assert_eq!(s.wifi_check_again(), [Effect::WifiCheckHub]);
        assert!(s.wifi_check_again().is_empty(), "one check at a time");
        assert_eq!(joins(s.wifi_join()), 0, "nor a join during the check");
        s.wifi_joined(Ok(Joined::HubReachable));
        s.back();
        assert_eq!(joins(s.wifi_choose(1)), 1, "a new join once it ended");
    }

    #[test]
    fn the_wifi_screens_are_only_reached_from_the_coach_settings() {
        let mut s = state();
        s.navigate(Screen::Home);
        assert!(s.wifi_look().is_empty());
        assert_eq!(s.screen, Some(Screen::Home));
    }
}
