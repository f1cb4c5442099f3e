//! The on-screen keyboard: lower case with a capital at the start of a sentence, a key
//! for one capital, a page of digits and punctuation, a page of the accented letters Dutch
//! and French need, and two orders of letters (alphabetical, the default, and the Belgian
//! AZERTY a coach can choose for someone who typed on one). The keys come in four rows:
//! ten, ten, and eight keys of one column each (the characters, then one capital and a
//! full stop), then the bottom row's keys with words (other pages, space, erase), as wide
//! as their words, after "Back". "Send" (two columns wide, the last two rows high) and
//! "Back" are not keys: the UI places them.

use super::{KioskState, MAX_DRAFT_CHARS};
use crate::words::{self, Language};

/// The order of the letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyboardLayout {
    /// a b c d …: nothing to know beforehand.
    #[default]
    Alphabetical,
    /// a z e r t y: the Belgian typewriter and computer keyboard.
    Azerty,
}

/// Which keys are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyboardPage {
    /// The letters.
    #[default]
    Letters,
    /// Digits and punctuation.
    Digits,
    /// Accented letters.
    Accents,
}

/// What a key does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAction {
    /// Types these characters (a letter follows the capitals setting).
    Type(String),
    /// A space.
    Space,
    /// Erases the last character.
    Erase,
    /// The next letter a capital (or not).
    Shift,
    /// Shows another page of keys.
    Page(KeyboardPage),
}

/// One key: what it shows and does, and where it sits on the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// What the key shows.
    pub label: String,
    /// What a screen reader (and a test) calls it.
    pub name: String,
    /// What it does.
    pub action: KeyAction,
    /// Its row, 0 to 3.
    pub row: u8,
    /// Whether it is switched on (the capital key, while the next letter is a capital).
    pub on: bool,
}

/// Keys in each of the four rows (the last row's after "Back").
pub const ROW_LENGTHS: [usize; 4] = [10, 10, 8, 4];

/// The keyboard's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Keyboard {
    /// The order of the letters (a coach's setting).
    pub layout: KeyboardLayout,
    /// The page shown.
    pub page: KeyboardPage,
    /// The senior's own choice of capital or not for the next letter, over the sentence
    /// rule.
    pub shift: Option<bool>,
}

/// Whether the next letter starts a sentence: at the start, or after ". ", "? ", "! ".
pub fn sentence_starts(draft: &str) -> bool {
    let trimmed = draft.trim_end();
    trimmed.is_empty() || (trimmed.len() < draft.len() && trimmed.ends_with(['.', '?', '!']))
}

fn letters(layout: KeyboardLayout) -> [&'static str; 3] {
    match layout {
        KeyboardLayout::Alphabetical => ["abcdefghij", "klmnopqrst", "uvwxyz"],
        KeyboardLayout::Azerty => ["azertyuiop", "qsdfghjklm", "wxcvbn"],
    }
}

impl Keyboard {
    /// Back to the letters, with the sentence rule for capitals (after a message went).
    pub fn reset(&mut self) {
        self.page = KeyboardPage::Letters;
        self.shift = None;
    }

    /// Whether the next letter is a capital.
    pub fn capitals(&self, draft: &str) -> bool {
        self.shift.unwrap_or_else(|| sentence_starts(draft))
    }

    /// The keys of the page shown, for this draft, in the screen's language.
    pub fn keys(&self, draft: &str, lang: Language) -> Vec<Key> {
        let capitals = self.capitals(draft);
        let case = |c: char| -> String {
            if capitals {
                c.to_uppercase().collect()
            } else {
                c.to_string()
            }
        };
        let mut keys = Vec::new();
        let typing = |keys: &mut Vec<Key>, row: u8, chars: &str, cased: bool| {
            for c in chars.chars() {
                let shown = if cased { case(c) } else { c.to_string() };
                keys.push(Key {
                    label: shown.clone(),
                    name: shown.clone(),
                    action: KeyAction::Type(shown),
                    row,
                    on: false,
                });
            }
        };
        let rows: [(&str, bool); 3] = match self.page {
            KeyboardPage::Letters => {
                let [a, b, c] = letters(self.layout);
                [(a, true), (b, true), (c, true)]
            }
            KeyboardPage::Digits => [
                ("1234567890", false),
                (",.?!:'-€@+", false),
                ("()/;&%", false),
            ],
            KeyboardPage::Accents => [("éèëêïàçôùû", true), ("âîüöäñœæ«»", true), ("áíóúòì", true)],
        };
        for (row, (chars, cased)) in rows.into_iter().enumerate() {
            typing(&mut keys, row as u8, chars, cased);
        }
        let special = |label: String, name: String, action, row| Key {
            label,
            name,
            action,
            row,
            on: false,
        };
        // The third row, after its six characters: one capital (on the digits, a quote),
        // and a full stop.
        if self.page != KeyboardPage::Digits {
            let (label, name) = words::shift_key(lang);
            keys.push(Key {
                on: capitals,
                ..special(label.into(), name.into(), KeyAction::Shift, 2)
            });
        } else {
            keys.push(special(
                "\"".into(),
                "\"".into(),
                KeyAction::Type("\"".into()),
                2,
            ));
        }
        keys.push(special(
            ".".into(),
            ".".into(),
            KeyAction::Type(".".into()),
            2,
        ));
        // The bottom row, after Back: the other two pages, space, erase.
        let pages = match self.page {
            KeyboardPage::Letters => [KeyboardPage::Digits, KeyboardPage::Accents],
            KeyboardPage::Digits => [KeyboardPage::Letters, KeyboardPage::Accents],
            KeyboardPage::Accents => [KeyboardPage::Digits, KeyboardPage::Letters],
        };
        for page in pages {
            let (label, name) = words::page_key(page, lang);
            keys.push(special(label.into(), name.into(), KeyAction::Page(page), 3));
        }
        let (label, name) = words::space_key(lang);
        keys.push(special(label.into(), name.into(), KeyAction::Space, 3));
        let (label, name) = words::erase_key(lang);
        keys.push(special(label.into(), name.into(), KeyAction::Erase, 3));
        keys
    }
}

impl KioskState {
    /// Types characters into the draft (never past what can be sent).
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            if self.draft.chars().count() >= MAX_DRAFT_CHARS {
                break;
            }
            self.draft.push(c);
        }
    }

    /// Erases the last character.
    pub fn erase(&mut self) {
        self.draft.pop();
    }

    /// A key of the keyboard shown, by its place in `Keyboard::keys`.
    pub fn press_key(&mut self, index: usize) {
        let keys = self.keyboard.keys(&self.draft, self.language);
        let Some(key) = keys.get(index) else { return };
        match &key.action {
            KeyAction::Type(text) => {
                self.type_text(text);
                // A capital is for one letter; the sentence rule takes over again.
                if text.chars().any(char::is_alphabetic) {
                    self.keyboard.shift = None;
                }
            }
            KeyAction::Space => self.type_text(" "),
            KeyAction::Erase => self.erase(),
            KeyAction::Shift => {
                self.keyboard.shift = Some(!self.keyboard.capitals(&self.draft));
            }
            KeyAction::Page(page) => self.keyboard.page = *page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::state;

    fn press(s: &mut KioskState, name: &str) {
        let keys = s.keyboard.keys(&s.draft, s.language);
        let index = keys
            .iter()
            .position(|k| k.name == name)
            .unwrap_or_else(|| panic!("no key {name:?} on {:?}", s.keyboard.page));
        s.press_key(index);
    }

    #[test]
    fn a_sentence_starts_with_a_capital_and_the_rest_is_lower_case() {
        let mut s = state();
        s.draft.clear();
        press(&mut s, "D");
        press(&mut s, "a");
        press(&mut s, "g");
        assert_eq!(s.draft, "Dag");
        press(&mut s, "space");
        press(&mut s, "capital");
        press(&mut s, "A");
        press(&mut s, "n");
        assert_eq!(s.draft, "Dag An", "one capital, then lower case again");
        press(&mut s, "digits and signs");
        press(&mut s, "!");
        press(&mut s, "letters");
        press(&mut s, "space");
        press(&mut s, "O");
        assert_eq!(s.draft, "Dag An! O", "after ! a new sentence");
        press(&mut s, "erase one letter");
        press(&mut s, "capital");
        press(&mut s, "o");
        press(&mut s, "capital");
        press(&mut s, "capital");
        press(&mut s, "k");
        assert_eq!(s.draft, "Dag An! ok", "shift twice: lower case after all");
    }

    #[test]
    fn every_page_has_its_rows_full_and_the_letters_all_there() {
        for layout in [KeyboardLayout::Alphabetical, KeyboardLayout::Azerty] {
            for page in [
                KeyboardPage::Letters,
                KeyboardPage::Digits,
                KeyboardPage::Accents,
            ] {
                let keyboard = Keyboard {
                    layout,
                    page,
                    shift: None,
                };
                let keys = keyboard.keys("x", Language::Fr);
                for (row, length) in ROW_LENGTHS.iter().enumerate() {
                    assert_eq!(
                        keys.iter().filter(|k| usize::from(k.row) == row).count(),
                        *length,
                        "{layout:?} {page:?} row {row}"
                    );
                }
                assert!(keys.windows(2).all(|w| w[0].row <= w[1].row), "in order");
                if page == KeyboardPage::Letters {
                    let typed: String = keys
                        .iter()
                        .filter_map(|k| match &k.action {
                            KeyAction::Type(t) if t != "." => Some(t.clone()),
                            _ => None,
                        })
                        .collect();
                    let mut sorted: Vec<char> = typed.chars().collect();
                    sorted.sort_unstable();
                    assert_eq!(
                        sorted.into_iter().collect::<String>(),
                        "abcdefghijklmnopqrstuvwxyz"
                    );
                }
            }
        }
    }

    #[test]
    fn digits_punctuation_and_accents_are_there() {
        let names = |page| {
            Keyboard {
                page,
                ..Keyboard::default()
            }
            .keys("x", Language::Nl)
            .into_iter()
            .map(|k| k.name)
            .collect::<Vec<_>>()
        };
        let digits = names(KeyboardPage::Digits);
        for needed in "0123456789,.?!:'-€@".chars() {
            assert!(digits.contains(&needed.to_string()), "{needed}");
        }
        let accents = names(KeyboardPage::Accents);
        for needed in "éèëêïàçôùû".chars() {
            assert!(accents.contains(&needed.to_string()), "{needed}");
        }
        assert!(sentence_starts("") && sentence_starts("Ja. ") && !sentence_starts("Ja."));
        assert!(!sentence_starts("dag "));
    }
}
