//! Driving the kiosk as a senior would: the real app on the headless platform, real taps
//! (pointer press and release at the centre of a button found by its accessible label,
//! in the screen's language, from the same catalogue the build bundles), and a sound
//! device that stands in for the tablet's microphone and speaker.

use i_slint_backend_testing::ElementHandle;
use nabij_kiosk::app::Kiosk;
use nabij_kiosk::audio::{PlayProgress, Recorded, RecordingProgress, Sound, SoundError};
use nabij_kiosk::platform::profile::Profile;
use nabij_kiosk::sample;
use nabij_kiosk::state::{KioskState, Screen};
use nabij_kiosk::ui::{self, App};
use nabij_kiosk::words::Language;
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, LogicalPosition};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

/// A microphone and speaker the test controls: what the microphone hears is set by the
/// test; what is played is kept.
#[derive(Default)]
pub struct FakeSound {
    /// Seconds the microphone has recorded so far.
    pub seconds: Cell<f32>,
    /// The level it hears now.
    pub level: Cell<f32>,
    /// Whether the recording turns out silent.
    pub silent: Cell<bool>,
    /// No microphone at all.
    pub no_microphone: Cell<bool>,
    recording: Cell<bool>,
    /// What was played: (samples, rate).
    pub played: RefCell<Vec<(usize, u32)>>,
    /// How far what plays is (None: nothing plays).
    pub playing: Cell<Option<(Duration, Duration)>>,
    /// How many times playing was stopped.
    pub stopped: Cell<usize>,
}

impl Sound for FakeSound {
    fn problem(&self) -> Option<String> {
        None
    }
    fn chime(&self) -> Result<(), SoundError> {
        Ok(())
    }
    fn start_recording(&self) -> Result<(), SoundError> {
        if self.no_microphone.get() {
            return Err(SoundError("no microphone found".into()));
        }
        self.recording.set(true);
        Ok(())
    }
    fn recording_progress(&self) -> Option<RecordingProgress> {
        self.recording.get().then(|| RecordingProgress {
            seconds: self.seconds.get(),
            level: self.level.get(),
        })
    }
    fn stop_recording(&self) -> Result<Recorded, SoundError> {
        self.recording.set(false);
        Ok(Recorded {
            seconds: self.seconds.get() as u32,
            silent: self.silent.get(),
        })
    }
    fn play_recording(&self) -> Result<Duration, SoundError> {
        let lasts = Duration::from_secs_f32(self.seconds.get());
        self.playing.set(Some((Duration::ZERO, lasts)));
        Ok(lasts)
    }
    fn stop_playing(&self) {
        self.playing.set(None);
        self.stopped.set(self.stopped.get() + 1);
    }
    fn playing_progress(&self) -> Option<PlayProgress> {
        self.playing
            .get()
            .map(|(played, total)| PlayProgress { played, total })
    }
    fn set_volume(&self, _: u8) -> Result<(), SoundError> {
        Ok(())
    }
    fn last_recording(&self) -> (u32, Vec<f32>) {
        // A tone as long as what was recorded, so that it encodes as a voice note.
        let rate = 16_000;
        let n = (self.seconds.get() * rate as f32) as usize;
        let tone = (0..n)
            .map(|i| 0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin())
            .collect();
        (rate, tone)
    }
    fn play_samples(&self, samples: &[f32], rate: u32) -> Result<Duration, SoundError> {
        self.played.borrow_mut().push((samples.len(), rate));
        let lasts = Duration::from_secs_f64(samples.len() as f64 / f64::from(rate.max(1)));
        self.playing.set(Some((Duration::ZERO, lasts)));
        Ok(lasts)
    }
}

/// The app on a tablet, with the test's sound device.
pub struct Tablet {
    pub app: App,
    pub kiosk: Kiosk,
    pub sound: Rc<FakeSound>,
    pub language: Language,
    catalogue: BTreeMap<String, String>,
}

fn profile(name: &str) -> Profile {
    nabij_kiosk::platform::profile::shipped()
        .unwrap()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap()
}

impl Tablet {
    /// The sample state on `screen`, in `language`, on the PineTab2.
    pub fn start(screen: Screen, language: Language) -> Tablet {
        Tablet::with_state(sample::state(screen, language), "pinetab2")
    }

    /// `state` (in its language) on the named profile's screen.
    pub fn with_state(state: KioskState, profile_name: &str) -> Tablet {
        nabij_kiosk::platform::headless::init();
        let app = App::new().unwrap();
        let language = state.language;
        nabij_kiosk::platform::render::select_language(language).unwrap();
        let sound = Rc::new(FakeSound::default());
        // Sized before the state is shown: the conversation's pages are measured on it.
        nabij_kiosk::platform::headless::fit(&app, &profile(profile_name)).unwrap();
        let kiosk = Kiosk::attach(&app, state, sound.clone(), Rc::new(|| sample::NOW));
        let catalogue = match language {
            Language::En => BTreeMap::new(),
            other => nabij_i18n::parse_po(
                &std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
                    format!(
                        "../assets/translations/{}/LC_MESSAGES/nabij-kiosk.po",
                        other.code()
                    ),
                ))
                .unwrap(),
            ),
        };
        Tablet {
            app,
            kiosk,
            sound,
            language,
            catalogue,
        }
    }

    /// A screen's words in the tablet's language (the English source, translated as the
    /// build translates it; `{}` filled in order).
    pub fn tr(&self, english: &str, args: &[&str]) -> String {
        let mut text = self
            .catalogue
            .get(english)
            .filter(|t| !t.is_empty())
            .cloned()
            .unwrap_or_else(|| english.to_owned());
        for arg in args {
            text = text.replacen("{}", arg, 1);
        }
        text
    }

    /// The page shown.
    pub fn page(&self) -> ui::Page {
        self.app.global::<ui::Api>().get_page()
    }

    /// Whether an element with this label (a button, or a text's words) shows.
    pub fn visible(&self, label: &str) -> bool {
        ElementHandle::find_by_accessible_label(&self.app, label)
            .any(|e| e.computed_opacity() > 0.0 && e.size().width > 0.0)
    }

    /// Taps the visible button labelled `label` with a real press and release.
    pub fn tap(&self, label: &str) {
        let button = ElementHandle::find_by_accessible_label(&self.app, label)
            .find(|e| e.computed_opacity() > 0.0 && e.size().width > 0.0)
            .unwrap_or_else(|| panic!("no visible button {label:?} on {:?}", self.page()));
        let (p, s) = (button.absolute_position(), button.size());
        let position = LogicalPosition::new(p.x + s.width / 2.0, p.y + s.height / 2.0);
        let window = self.app.window();
        window.dispatch_event(WindowEvent::PointerPressed {
            position,
            button: PointerEventButton::Left,
        });
        window.dispatch_event(WindowEvent::PointerReleased {
            position,
            button: PointerEventButton::Left,
        });
    }

    /// Taps the button whose English words are `english` (translated).
    pub fn tap_tr(&self, english: &str) {
        self.tap(&self.tr(english, &[]));
    }

    /// Types `text` on the on-screen keyboard, key by key: the page of digits or accents
    /// when the character is there, the capital key when the case shown is not the one
    /// wanted.
    pub fn type_on_keyboard(&self, text: &str) {
        use nabij_kiosk::state::keyboard::{KeyAction, Keyboard, KeyboardPage};
        let lang = self.language;
        for c in text.chars() {
            if c == ' ' {
                self.tap(nabij_kiosk::words::space_key(lang).1);
                continue;
            }
            let wanted = c.to_string();
            let lower = c.to_lowercase().to_string();
            let page_with = [
                KeyboardPage::Letters,
                KeyboardPage::Digits,
                KeyboardPage::Accents,
            ]
            .into_iter()
            .find(|page| {
                Keyboard {
                    page: *page,
                    ..Keyboard::default()
                }
                .keys("x", lang)
                .iter()
                .any(|k| k.action == KeyAction::Type(lower.clone()) || k.name == wanted)
            })
            .unwrap_or_else(|| panic!("no key types {c:?}"));
            if self.kiosk.state().keyboard.page != page_with {
                self.tap(nabij_kiosk::words::page_key(page_with, lang).1);
            }
            if !self.visible(&wanted) {
                // The keys show the other case: one capital, or back to lower case.
                self.tap(nabij_kiosk::words::shift_key(lang).1);
            }
            self.tap(&wanted);
        }
    }
}
