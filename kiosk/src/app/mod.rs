//! The running app: wires the UI's callbacks to state transitions (`callbacks`), redraws,
//! runs the effects (`effects`: sound, read-aloud, settings; `wifi`: home Wi-Fi), and keeps the clock, the
//! idle timer and the sound's progress. With `adapters`, the only code that touches
//! Slint.

mod callbacks;
mod effects;
mod wifi;

use crate::live::{self, Live, LiveConfig, LiveEvent};
use crate::state::{Effect, KioskState};
use crate::ui::App;
use crate::{adapters, audio::Sound};
use nabij_protocol::UnixMillis;
use slint::ComponentHandle;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// After this long without a tap, the calm clock comes up.
pub const IDLE_AFTER: Duration = Duration::from_secs(3 * 60);

/// The app's shared parts. Cheap to clone; lives on the UI thread.
#[derive(Clone)]
pub struct Kiosk {
    app: slint::Weak<App>,
    state: Rc<RefCell<KioskState>>,
    sound: Rc<dyn Sound>,
    idle: Rc<slint::Timer>,
    /// Stops a recording at the protocol's two minutes, if the senior has not.
    recording_limit: Rc<slint::Timer>,
    clock: Rc<slint::Timer>,
    now: Rc<dyn Fn() -> UnixMillis>,
    backlight: Rc<RefCell<Option<std::path::PathBuf>>>,
    live: Rc<RefCell<Option<Live>>>,
    /// Where the screen settings are saved (the live kiosk's data folder).
    data_dir: Rc<RefCell<Option<std::path::PathBuf>>>,
    /// What the last redraw showed (the conversation's page, the agenda's pages).
    shown: Rc<RefCell<adapters::Shown>>,
    /// Polls the microphone's level while recording, and how far a sound has played.
    sound_progress: Rc<slint::Timer>,
    /// Speech made off the UI thread comes back here (see `effects`).
    speech: Rc<effects::SpeechDesk>,
    /// The hub's address and CA, for the Wi-Fi screen's hub check (a live kiosk's).
    hub: Rc<RefCell<Option<crate::live::hub_settings::HubSettings>>>,
}

thread_local! {
    /// The kiosk that the live link's events go to, and their queue. Slint runs its
    /// event loop on this (the UI) thread; the link's thread queues and wakes it.
    static LIVE_INBOX: RefCell<Option<(Kiosk, std::sync::mpsc::Receiver<LiveEvent>)>> =
        const { RefCell::new(None) };
}

fn drain_live_inbox() {
    LIVE_INBOX.with(|slot| {
        if let Some((kiosk, events)) = &*slot.borrow() {
            while let Ok(event) = events.try_recv() {
                kiosk.update(|s| live::apply(s, event));
            }
        }
    });
}

impl Kiosk {
    /// Connects `app` to `state`. `now` is the wall clock (tests pass a fixed one).
    pub fn attach(
        app: &App,
        state: KioskState,
        sound: Rc<dyn Sound>,
        now: Rc<dyn Fn() -> UnixMillis>,
    ) -> Kiosk {
        let kiosk = Kiosk {
            app: app.as_weak(),
            state: Rc::new(RefCell::new(state)),
            sound,
            idle: Rc::new(slint::Timer::default()),
            recording_limit: Rc::new(slint::Timer::default()),
            clock: Rc::new(slint::Timer::default()),
            now,
            backlight: Rc::new(RefCell::new(None)),
            live: Rc::new(RefCell::new(None)),
            data_dir: Rc::new(RefCell::new(None)),
            shown: Rc::new(RefCell::new(adapters::Shown::default())),
            sound_progress: Rc::new(slint::Timer::default()),
            speech: Rc::new(effects::SpeechDesk::new(std::sync::Arc::new(
                crate::audio::speech::synthesize,
            ))),
            hub: Rc::new(RefCell::new(None)),
        };
        kiosk.wire(app);
        if let Some(problem) = kiosk.sound.problem() {
            kiosk.state.borrow_mut().audio_problem = Some(problem);
        }
        // "Read aloud" shows only where the tablet can speak.
        kiosk.state.borrow_mut().can_read_aloud =
            kiosk.sound.problem().is_none() && crate::audio::speech::available();
        kiosk.redraw();
        kiosk.touched();
        kiosk.schedule_clock();
        kiosk
    }

    /// Lets the coach's brightness setting drive this sysfs backlight.
    pub fn with_backlight(self, dir: Option<std::path::PathBuf>) -> Self {
        *self.backlight.borrow_mut() = dir;
        self
    }

    /// Connects the kiosk to its hub: pairing first if it has no identity, then its own
    /// link. Must be called on the UI thread, with Slint's event loop about to run.
    pub fn go_live(&self, config: LiveConfig) {
        *self.data_dir.borrow_mut() = Some(config.data_dir.clone());
        *self.hub.borrow_mut() = Some(config.hub.clone());
        let (queue, events) = std::sync::mpsc::channel();
        LIVE_INBOX.with(|slot| *slot.borrow_mut() = Some((self.clone(), events)));
        let live = Live::start(config, move |event| {
            if queue.send(event).is_ok() {
                // Fails only once the event loop has ended, when nothing needs showing.
                let _ = slint::invoke_from_event_loop(drain_live_inbox);
            }
        });
        *self.live.borrow_mut() = Some(live);
    }

    /// The current state (for tests and the link).
    pub fn state(&self) -> std::cell::Ref<'_, KioskState> {
        self.state.borrow()
    }

    /// Changes the state from outside (the link, a reminder) and redraws.
    pub fn update(&self, change: impl FnOnce(&mut KioskState) -> Vec<Effect>) {
        let language = self.state.borrow().language;
        let effects = change(&mut self.state.borrow_mut());
        let effects = self.with_recording(effects);
        let effects = match &*self.live.borrow() {
            // What goes to the hub is in the outbox before the screen shows it.
            Some(live) => live.dispatch(&mut self.state.borrow_mut(), effects),
            None => effects,
        };
        self.run(effects);
        let now_language = self.state.borrow().language;
        if now_language != language
            && let Err(e) = crate::platform::render::select_language(now_language)
        {
            eprintln!("nabij-kiosk: {e}");
        }
        self.redraw();
    }

    /// Puts the microphone's last recording, encoded, into the effects that send it.
    fn with_recording(&self, effects: Vec<Effect>) -> Vec<Effect> {
        if !effects.iter().any(crate::audio::voice::wants_recording) {
            return effects;
        }
        let (rate, samples) = self.sound.last_recording();
        crate::audio::voice::attach_recording(effects, &samples, rate)
    }

    fn redraw(&self) {
        if let Some(app) = self.app.upgrade() {
            let shown = adapters::apply(&app, &self.state.borrow(), (self.now)());
            *self.shown.borrow_mut() = shown;
            // A new version confirms itself once its home screen is drawn; an update
            // waits while something records or plays.
            if let Some(live) = &*self.live.borrow() {
                let state = self.state.borrow();
                let busy = state.recorder == crate::state::RecorderState::Recording
                    || self.sound.playing_progress().is_some();
                live.drew(state.screen == Some(crate::state::Screen::Home), busy);
            }
        }
    }

    /// What the last redraw showed.
    pub fn shown(&self) -> std::cell::Ref<'_, adapters::Shown> {
        self.shown.borrow()
    }

    /// Any tap: restart the idle timer.
    fn touched(&self) {
        if let Some(live) = &*self.live.borrow() {
            live.touched();
        }
        let kiosk = self.clone();
        self.idle
            .start(slint::TimerMode::SingleShot, IDLE_AFTER, move || {
                kiosk.update(|s| {
                    s.go_idle();
                    Vec::new()
                });
            });
    }

    /// Redraws the clock at the start of each minute, and only then: an idle kiosk
    /// wakes once a minute.
    fn schedule_clock(&self) {
        let now = (self.now)();
        let into_minute = Duration::from_millis(now.0 % 60_000);
        let wait = Duration::from_secs(60)
            .saturating_sub(into_minute)
            .max(Duration::from_millis(10));
        let kiosk = self.clone();
        self.clock
            .start(slint::TimerMode::SingleShot, wait, move || {
                let now = (kiosk.now)();
                // A meeting reminder comes up by itself, with its chime.
                kiosk.update(|s| {
                    s.forget_ended_meetings(now);
                    match s.due_reminder(now) {
                        Some(meeting) => s.remind(meeting),
                        // The daily "How are you today?" comes by itself, too.
                        None if s.check_in_due(now) => s.ask_check_in(now),
                        None => Vec::new(),
                    }
                });
                kiosk.schedule_clock();
            });
    }

    /// How long until a running recording is stopped at the protocol's limit (for tests).
    pub fn recording_limit(&self) -> Option<Duration> {
        self.recording_limit
            .running()
            .then(|| self.recording_limit.interval())
    }

    /// The delay until the next clock redraw (for tests of the idle wake-ups).
    pub fn clock_interval(&self) -> Option<Duration> {
        self.clock.running().then(|| self.clock.interval())
    }
}
