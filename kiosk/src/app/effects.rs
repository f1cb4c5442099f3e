//! Running what the transitions ask for outside the state: sounds, recording, reading
//! aloud, the volume, brightness and saved settings. Speech is made on a thread of its
//! own (the engine takes tens of milliseconds, more on a tablet) and handed back to the
//! UI thread, where it plays unless the senior stopped it or asked for something else
//! meanwhile.

use super::Kiosk;
use crate::audio::speech::{Speech, SpeechError};
use crate::state::{Effect, RecorderState};
use crate::words::Language;
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

/// Makes speech from words (the real engine, or a stand-in in tests).
pub type Synthesize = dyn Fn(&str, Language) -> Result<Speech, SpeechError> + Send + Sync;

/// How often the recording's level and a sound's progress are looked at.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Where speech made off the UI thread comes back, each with the turn it was asked in:
/// only the latest turn may still play.
pub(crate) struct SpeechDesk {
    synthesize: RefCell<Arc<Synthesize>>,
    turn: Cell<u64>,
    done: Sender<(u64, Result<Speech, SpeechError>)>,
    results: RefCell<Receiver<(u64, Result<Speech, SpeechError>)>>,
}

impl SpeechDesk {
    pub(crate) fn new(synthesize: Arc<Synthesize>) -> SpeechDesk {
        let (done, results) = channel();
        SpeechDesk {
            synthesize: RefCell::new(synthesize),
            turn: Cell::new(0),
            done,
            results: RefCell::new(results),
        }
    }
}

thread_local! {
    /// The kiosk that speech made on other threads goes back to (Slint's event loop runs
    /// on this, the UI, thread).
    static SPEECH_HOME: RefCell<Option<Kiosk>> = const { RefCell::new(None) };
}

fn drain_speech() {
    let kiosk = SPEECH_HOME.with(|home| home.borrow().clone());
    if let Some(kiosk) = kiosk {
        kiosk.take_speech(None);
    }
}

impl Kiosk {
    /// Makes speech with `synthesize` instead of the tablet's engine (tests).
    pub fn with_speech(self, synthesize: Arc<Synthesize>) -> Self {
        *self.speech.synthesize.borrow_mut() = synthesize;
        self
    }

    /// Waits up to `timeout` for speech asked for and plays it (for tests, whose platform
    /// has no event loop to hand it back by itself). Returns whether any came.
    pub fn wait_for_speech(&self, timeout: Duration) -> bool {
        self.take_speech(Some(timeout))
    }

    /// Plays the speech that came back, if it is still wanted.
    fn take_speech(&self, wait: Option<Duration>) -> bool {
        let result = {
            let results = self.speech.results.borrow();
            match wait {
                Some(timeout) => results.recv_timeout(timeout).ok(),
                None => results.try_recv().ok(),
            }
        };
        let Some((turn, made)) = result else {
            return false;
        };
        let wanted = turn == self.speech.turn.get() && self.state.borrow().reading_aloud();
        if !wanted {
            return true;
        }
        let played = made.map_err(|e| e.to_string()).and_then(|speech| {
            self.sound
                .play_samples(&speech.samples, speech.rate)
                .map_err(|e| e.to_string())
        });
        match played {
            Ok(_) => self.follow_sound(),
            Err(problem) => self.update(|s| {
                s.sound_finished();
                s.audio_problem = Some(problem);
                Vec::new()
            }),
        }
        true
    }

    fn read_aloud(&self, text: &str, language: Language) {
        let turn = self.speech.turn.get() + 1;
        self.speech.turn.set(turn);
        SPEECH_HOME.with(|home| *home.borrow_mut() = Some(self.clone()));
        let synthesize = self.speech.synthesize.borrow().clone();
        let done = self.speech.done.clone();
        let text = text.to_owned();
        let spawned = std::thread::Builder::new()
            .name("nabij-speech".into())
            .spawn(move || {
                let made = synthesize(&text, language);
                if done.send((turn, made)).is_ok() {
                    // Fails when there is no event loop (tests collect it themselves).
                    let _ = slint::invoke_from_event_loop(drain_speech);
                }
            });
        if let Err(e) = spawned {
            let problem = format!("the tablet cannot start reading aloud: {e}");
            let mut state = self.state.borrow_mut();
            state.sound_finished();
            state.audio_problem = Some(problem);
        }
    }

    /// Looks at the recording's level and at how far a sound has played, every tenth of a
    /// second while either goes on; says when a sound has ended.
    fn follow_sound(&self) {
        if self.sound_progress.running() {
            return;
        }
        let kiosk = self.clone();
        self.sound_progress
            .start(slint::TimerMode::Repeated, PROGRESS_EVERY, move || {
                if !kiosk.look_at_sound() {
                    kiosk.sound_progress.stop();
                }
            });
    }

    /// One look at the sound: the recording's seconds and level, how far what plays has
    /// got, or that it ended. Returns whether there is still something to follow (tests
    /// call this rather than wait a tenth of a second).
    pub fn look_at_sound(&self) -> bool {
        let recording = self.sound.recording_progress();
        let playing = self.sound.playing_progress();
        let (is_recording, is_playing) = {
            let s = self.state.borrow();
            (s.recorder == RecorderState::Recording, s.playing.is_some())
        };
        if !is_recording && !is_playing {
            return false;
        }
        self.update(|s| {
            if let Some(r) = recording {
                s.recording_progress(r.seconds, r.level);
            }
            if is_playing {
                match playing {
                    Some(p) if !p.total.is_zero() => {
                        s.sound_progress(p.played.as_secs_f32() / p.total.as_secs_f32())
                    }
                    Some(_) => {}
                    None => s.sound_finished(),
                }
            }
            Vec::new()
        });
        true
    }

    pub(super) fn run(&self, effects: Vec<Effect>) {
        for effect in effects {
            let result = match &effect {
                // A chime never cuts off what the senior is listening to.
                Effect::Chime if self.state.borrow().playing.is_some() => Ok(()),
                Effect::Chime => self.sound.chime(),
                Effect::StartRecording => match self.sound.start_recording() {
                    Ok(()) => {
                        let kiosk = self.clone();
                        self.recording_limit.start(
                            slint::TimerMode::SingleShot,
                            Duration::from_secs(u64::from(crate::audio::MAX_RECORDING_SECS)),
                            move || {
                                kiosk.update(|s| {
                                    if s.recorder == RecorderState::Recording {
                                        s.record_toggle()
                                    } else {
                                        Vec::new()
                                    }
                                })
                            },
                        );
                        self.follow_sound();
                        Ok(())
                    }
                    Err(e) => {
                        // In words on the recorder; the reason for the coach.
                        self.state.borrow_mut().recording_failed();
                        Err(e)
                    }
                },
                Effect::StopRecording => self.sound.stop_recording().map(|recorded| {
                    self.recording_limit.stop();
                    self.state
                        .borrow_mut()
                        .recording_stopped(recorded.seconds, recorded.silent);
                }),
                Effect::PlayRecording => self.sound.play_recording().map(|_| self.follow_sound()),
                Effect::PlayClip(audio) => match crate::audio::voice::decode(audio) {
                    Ok(samples) => self
                        .sound
                        .play_samples(&samples, crate::audio::voice::RATE)
                        .map(|_| self.follow_sound()),
                    Err(e) => Err(crate::audio::SoundError(e.to_string())),
                },
                Effect::ReadAloud { text, language } => {
                    self.read_aloud(text, *language);
                    Ok(())
                }
                Effect::StopSound => {
                    // Speech still being made for the reading stopped will not play.
                    self.speech.turn.set(self.speech.turn.get() + 1);
                    self.sound.stop_playing();
                    Ok(())
                }
                Effect::SetVolume(percent) => self.sound.set_volume(*percent),
                Effect::SaveSettings => {
                    if let Some(dir) = self.data_dir.borrow().as_ref() {
                        let settings = self.state.borrow().screen_settings();
                        if let Err(e) = crate::live::settings_file::save(dir, &settings) {
                            self.state.borrow_mut().link_problem =
                                Some(crate::state::LinkProblem::Storage(e.to_string()));
                        }
                    }
                    Ok(())
                }
                Effect::SaveCoachLock => {
                    if let Some(dir) = self.data_dir.borrow().as_ref() {
                        let lock = self.state.borrow().coach_lock.clone();
                        if let Err(e) = crate::live::coach_file::save(dir, &lock) {
                            self.state.borrow_mut().link_problem =
                                Some(crate::state::LinkProblem::Storage(e.to_string()));
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
                Effect::WifiScan | Effect::WifiJoin { .. } | Effect::WifiCheckHub => {
                    self.wifi(effect.clone());
                    Ok(())
                }
                // Without a hub (sample data) nothing can be sent: the message stays
                // "not sent yet" on screen, which is what it is.
                other => {
                    eprintln!("nabij-kiosk: not done here: {other:?}");
                    Ok(())
                }
            };
            if let Err(problem) = result {
                let mut state = self.state.borrow_mut();
                // Nothing plays after all.
                if matches!(effect, Effect::PlayClip(_) | Effect::PlayRecording) {
                    state.sound_finished();
                }
                state.audio_problem = Some(problem.to_string());
            }
        }
    }
}
