//! The voice recorder: tap to start, tap to stop, listen back, send. While it records the
//! screen counts the seconds and shows how loud it hears; a recording in which nothing
//! was heard cannot be sent, and throwing a recording away is asked first.

use super::{Content, Effect, InputFor, KioskState, Playing, RecorderState, Screen, Sounding};
use nabij_protocol::UnixMillis;

/// Why the recording cannot be sent, in the senior's words on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecorderProblem {
    /// The microphone heard nothing (too soft, too short, or muted).
    NothingHeard,
    /// The tablet has no microphone that works.
    NoMicrophone,
}

impl KioskState {
    /// The big record button: start, or stop. With a recording waiting, starting again
    /// first asks whether to throw it away.
    pub fn record_toggle(&mut self) -> Vec<Effect> {
        match self.recorder {
            RecorderState::Ready => self.start_recording(),
            RecorderState::Recording => {
                self.recorder = RecorderState::Recorded;
                vec![Effect::StopRecording]
            }
            RecorderState::Recorded => {
                self.recorder = RecorderState::ConfirmDiscard;
                Vec::new()
            }
            RecorderState::Playing | RecorderState::ConfirmDiscard => Vec::new(),
        }
    }

    fn start_recording(&mut self) -> Vec<Effect> {
        self.recorder = RecorderState::Recording;
        self.recorded_seconds = 0;
        self.recording_level = 0.0;
        self.recorder_problem = None;
        vec![Effect::StartRecording]
    }

    /// The answer to "throw this recording away?": yes records anew, no keeps it.
    pub fn confirm_discard(&mut self, discard: bool) -> Vec<Effect> {
        if self.recorder != RecorderState::ConfirmDiscard {
            return Vec::new();
        }
        if discard {
            self.start_recording()
        } else {
            self.recorder = RecorderState::Recorded;
            Vec::new()
        }
    }

    /// How the recording goes: seconds so far and the level heard now (0.0 to 1.0).
    pub fn recording_progress(&mut self, seconds: f32, level: f32) {
        if self.recorder == RecorderState::Recording {
            self.recorded_seconds = seconds.max(0.0) as u32;
            self.recording_level = level.clamp(0.0, 1.0);
        }
    }

    /// The recording stopped: how long it is and whether anything was heard.
    pub fn recording_stopped(&mut self, seconds: u32, silent: bool) {
        self.recorded_seconds = seconds;
        self.recording_level = 0.0;
        if silent || seconds == 0 {
            self.recorder = RecorderState::Ready;
            self.recorder_problem = Some(RecorderProblem::NothingHeard);
        }
    }

    /// The microphone could not record at all.
    pub fn recording_failed(&mut self) {
        self.recorder = RecorderState::Ready;
        self.recording_level = 0.0;
        self.recorder_problem = Some(RecorderProblem::NoMicrophone);
    }

    /// Listens to the recording (a second tap stops it).
    pub fn play_recording(&mut self) -> Vec<Effect> {
        match self.recorder {
            RecorderState::Recorded => {
                self.recorder = RecorderState::Playing;
                self.playing = Some(Playing {
                    what: Sounding::Recording,
                    fraction: 0.0,
                });
                vec![Effect::PlayRecording]
            }
            RecorderState::Playing => {
                self.sound_finished();
                vec![Effect::StopSound]
            }
            _ => Vec::new(),
        }
    }

    /// Playback of the recording ended.
    pub fn playback_finished(&mut self) {
        self.sound_finished();
    }

    /// Sends the recording to the open conversation, or keeps it for the diary answer.
    /// Nothing goes while nothing was heard.
    pub fn send_recording(&mut self, now: UnixMillis) -> Vec<Effect> {
        if !matches!(
            self.recorder,
            RecorderState::Recorded | RecorderState::Playing
        ) || self.recorder_problem.is_some()
            || self.recorded_seconds == 0
        {
            return Vec::new();
        }
        let mut effects = Vec::new();
        if self.playing.take().is_some() {
            effects.push(Effect::StopSound);
        }
        if self.input_for == InputFor::Diary {
            self.diary_voice_seconds = Some(self.recorded_seconds);
            self.recorder = RecorderState::Ready;
            self.input_for = InputFor::Conversation;
            effects.extend(self.navigate(Screen::DiaryShare));
            return effects;
        }
        let Some(to) = self.partner.clone() else {
            return effects;
        };
        self.add_mine(
            &to,
            Content::Voice {
                seconds: self.recorded_seconds,
                audio: None,
            },
            now,
        );
        self.recorder = RecorderState::Ready;
        effects.extend(self.navigate(Screen::Conversation));
        effects.push(Effect::SendVoice { to, audio: None });
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::state;

    #[test]
    fn the_recorder_is_tap_to_start_and_tap_to_stop_and_counts_while_it_records() {
        let mut s = state();
        s.open_contact("p-anna-peeters");
        s.navigate(Screen::Voice);
        s.recorder = RecorderState::Ready;
        assert_eq!(s.record_toggle(), [Effect::StartRecording]);
        s.recording_progress(4.6, 0.7);
        assert_eq!((s.recorded_seconds, s.recording_level), (4, 0.7));
        s.recording_progress(5.1, 1.5);
        assert_eq!((s.recorded_seconds, s.recording_level), (5, 1.0));
        assert_eq!(s.record_toggle(), [Effect::StopRecording]);
        s.recording_stopped(5, false);
        assert_eq!(s.play_recording(), [Effect::PlayRecording]);
        assert_eq!(
            s.play_recording(),
            [Effect::StopSound],
            "a second tap stops"
        );
        assert_eq!(s.recorder, RecorderState::Recorded);
        let sent = s.send_recording(crate::sample::NOW);
        assert!(matches!(sent.as_slice(), [Effect::SendVoice { .. }]));
        assert_eq!(
            (s.recorder, s.screen),
            (RecorderState::Ready, Some(Screen::Conversation))
        );
    }

    #[test]
    fn a_silent_or_failed_recording_cannot_be_sent_and_discarding_asks_first() {
        let mut s = state();
        s.open_contact("p-anna-peeters");
        s.recorder = RecorderState::Ready;
        s.record_toggle();
        s.record_toggle();
        s.recording_stopped(3, true);
        assert_eq!(
            (s.recorder, s.recorder_problem),
            (RecorderState::Ready, Some(RecorderProblem::NothingHeard))
        );
        assert!(s.send_recording(crate::sample::NOW).is_empty());
        s.record_toggle();
        assert_eq!(s.recorder_problem, None, "a new try clears the message");
        s.recording_failed();
        assert_eq!(s.recorder_problem, Some(RecorderProblem::NoMicrophone));
        assert!(s.send_recording(crate::sample::NOW).is_empty());

        s.record_toggle();
        s.record_toggle();
        s.recording_stopped(4, false);
        assert!(s.record_toggle().is_empty(), "asked first");
        assert_eq!(s.recorder, RecorderState::ConfirmDiscard);
        assert!(s.confirm_discard(false).is_empty());
        assert_eq!(
            (s.recorder, s.recorded_seconds),
            (RecorderState::Recorded, 4)
        );
        s.record_toggle();
        assert_eq!(s.confirm_discard(true), [Effect::StartRecording]);
        assert_eq!(s.recorded_seconds, 0);
    }
}
