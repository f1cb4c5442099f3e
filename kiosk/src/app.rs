//! The running app: wires the UI's callbacks to state transitions, redraws, runs the
//! effects (sound), and keeps the clock and the idle timer. With `adapters`, the only
//! code that touches Slint.

use crate::live::{self, Live, LiveConfig, LiveEvent};
use crate::state::{Effect, KioskState, Screen};
use crate::ui::{self, App};
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
        };
        kiosk.wire(app);
        if let Some(problem) = kiosk.sound.problem() {
            kiosk.state.borrow_mut().audio_problem = Some(problem);
        }
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
            adapters::apply(&app, &self.state.borrow(), (self.now)());
        }
    }

    fn run(&self, effects: Vec<Effect>) {
        for effect in effects {
            let result = match &effect {
                Effect::Chime => self.sound.chime(),
                Effect::StartRecording => self.sound.start_recording().map(|()| {
                    let kiosk = self.clone();
                    self.recording_limit.start(
                        slint::TimerMode::SingleShot,
                        std::time::Duration::from_secs(u64::from(crate::audio::MAX_RECORDING_SECS)),
                        move || {
                            kiosk.update(|s| {
                                if s.recorder == crate::state::RecorderState::Recording {
                                    s.record_toggle()
                                } else {
                                    Vec::new()
                                }
                            })
                        },
                    );
                }),
                Effect::StopRecording => self.sound.stop_recording().map(|recorded| {
                    self.recording_limit.stop();
                    self.state.borrow_mut().recorded_seconds = recorded.seconds;
                }),
                Effect::PlayRecording => self.sound.play_recording().map(|lasts| {
                    let done = self.clone();
                    slint::Timer::single_shot(lasts, move || {
                        done.update(|s| {
                            s.playback_finished();
                            Vec::new()
                        })
                    });
                }),
                Effect::PlayClip(audio) => match crate::audio::voice::decode(audio) {
                    Ok(samples) => self
                        .sound
                        .play_samples(&samples, crate::audio::voice::RATE)
                        .map(|_| ()),
                    Err(e) => {
                        eprintln!("nabij-kiosk: {e}");
                        Ok(())
                    }
                },
                Effect::SetVolume(percent) => self.sound.set_volume(*percent),
                Effect::SaveSettings => {
                    if let Some(dir) = self.data_dir.borrow().as_ref() {
                        let settings = self.state.borrow().screen_settings();
                        if let Err(e) = crate::live::settings_file::save(dir, &settings) {
                            self.state.borrow_mut().link_problem = Some(e.to_string());
                        }
                    }
                    Ok(())
                }
                Effect::SetBrightness(percent) => {
                    if let Some(dir) = self.backlight.borrow().as_ref()
                        && let Err(e) = crate::platform::backlight::set(dir, *percent)
                    {
                        eprintln!(
                            "nabij-kiosk: cannot set the brightness in {}: {e}",
                            dir.display()
                        );
                    }
                    Ok(())
                }
                // Without a hub (sample data) nothing can be sent: the message stays
                // "waiting for internet" on screen, which is what it is.
                other => {
                    eprintln!("nabij-kiosk: not done here: {other:?}");
                    Ok(())
                }
            };
            if let Err(problem) = result {
                self.state.borrow_mut().audio_problem = Some(problem.to_string());
            }
        }
    }

    /// Any tap: restart the idle timer.
    fn touched(&self) {
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

    fn wire(&self, app: &App) {
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
        on!(on_open_contact, |s, _k, id: slint::SharedString| s
            .open_contact(&id));
        on!(on_next_contacts, |s, _k| {
            s.next_contacts();
            Vec::new()
        });
        on!(on_quick_reply, |s, k, text: slint::SharedString| s
            .quick_reply(&text, (k.now)()));
        on!(on_key, |s, _k, text: slint::SharedString| {
            s.key(&text);
            Vec::new()
        });
        on!(on_backspace, |s, _k| {
            s.backspace();
            Vec::new()
        });
        on!(on_send_draft, |s, k| s.send_draft((k.now)()));
        on!(on_record_toggle, |s, _k| s.record_toggle());
        on!(on_play_recording, |s, _k| s.play_recording());
        on!(on_send_recording, |s, k| s.send_recording((k.now)()));
        on!(on_play_voice, |s, _k, index: i32| s
            .play_voice(usize::try_from(index).unwrap_or(0)));
        on!(on_open_photo, |s, _k, index: i32| {
            let shown = s
                .open_conversation()
                .len()
                .saturating_sub(crate::state::MESSAGES_SHOWN);
            s.photo = Some(shown + usize::try_from(index).unwrap_or(0));
            s.navigate(Screen::Photo)
        });
        on!(on_read_question_aloud, |s, _k| s.read_question_aloud());
        on!(on_toggle_choice, |s, _k, id: slint::SharedString| {
            s.toggle_choice(&id);
            Vec::new()
        });
        on!(on_diary_next, |s, _k| s.diary_next());
        on!(on_diary_back, |s, _k| s.diary_back());
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
        on!(on_send_diary, |s, _k, share: bool| s.send_diary(share));
        on!(on_open_survey, |s, _k| s.open_survey());
        on!(on_answer_survey, |s, _k, id: slint::SharedString| s
            .answer_survey(&id));
        on!(on_survey_again, |s, _k| s.survey_again());
        on!(on_send_survey, |s, _k| s.send_survey());
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
        on!(on_pin_digit, |s, _k, digit: slint::SharedString| {
            s.pin_digit(&digit);
            Vec::new()
        });
        on!(
            on_change_setting,
            |s, _k, setting: slint::SharedString, delta: i32| s.change_setting(&setting, delta)
        );
        on!(on_set_language, |s, _k, code: slint::SharedString| s
            .set_language(&code));
        on!(on_woke, |s, _k| {
            s.wake();
            Vec::new()
        });
    }
}
