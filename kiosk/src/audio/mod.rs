//! Sound behind a small interface, so that the app and its tests run without a sound
//! card. `NoSound` is what a tablet without audio gets: the app keeps working and the
//! coach settings screen says why there is no sound.

pub mod check;
pub mod device;
pub mod level;
mod resample;
pub mod speech;
pub mod voice;

pub use resample::{ResampleError, resample};
use std::time::Duration;

/// Why a sound could not be made.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SoundError(pub String);

/// How a running recording is going, for the recording screen: polled about every
/// 100 ms while the senior speaks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordingProgress {
    /// Seconds recorded so far (frames captured / the microphone's rate).
    pub seconds: f32,
    /// How loud the last 100 ms were, 0.0 to 1.0 ([`level::meter`]): normal speech shows
    /// about half to two thirds, a quiet room next to nothing.
    pub level: f32,
}

/// A finished recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// Its length in seconds, rounded up, as shown to the senior.
    pub seconds: u32,
    /// Nothing like a voice was heard ([`level::heard_speech`]): the microphone is off,
    /// muted or covered, or the recording has no length. The app can say so before the
    /// senior sends silence.
    pub silent: bool,
}

/// How far the sound that plays now has got, for a voice note's progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayProgress {
    /// Played so far (frames handed to the speaker).
    pub played: Duration,
    /// How long the whole sound lasts.
    pub total: Duration,
}

/// The kiosk's sounds.
pub trait Sound {
    /// Why there is no sound at all, if there is none (shown to the coach).
    fn problem(&self) -> Option<String>;
    /// The chime for a reminder or a new message.
    fn chime(&self) -> Result<(), SoundError>;
    /// Starts recording a voice note. No microphone is an error that says so.
    fn start_recording(&self) -> Result<(), SoundError>;
    /// The running recording's length and loudness; None when nothing is being recorded.
    /// A sound that cannot record never records.
    fn recording_progress(&self) -> Option<RecordingProgress> {
        None
    }
    /// Stops recording; returns its length and whether a voice was heard.
    fn stop_recording(&self) -> Result<Recorded, SoundError>;
    /// Starts playing the recording back; returns how long it lasts.
    fn play_recording(&self) -> Result<Duration, SoundError>;
    /// Sets the volume, 0–100.
    fn set_volume(&self, percent: u8) -> Result<(), SoundError>;
    /// The last recording: its sample rate and mono samples (empty if there is none).
    fn last_recording(&self) -> (u32, Vec<f32>);
    /// Plays mono samples at `rate` (a received voice note, read-aloud speech) at the
    /// volume set; returns how long they last. It stops whatever played before.
    fn play_samples(&self, samples: &[f32], rate: u32) -> Result<Duration, SoundError>;
    /// Stops whatever plays (read-aloud, a voice note, the recording, the chime) at once.
    /// Nothing playing is fine. A sound that cannot play has nothing to stop.
    fn stop_playing(&self) {}
    /// How far the sound that plays has got; None when nothing plays (never started,
    /// stopped, or played to its end). A sound that cannot play never plays.
    fn playing_progress(&self) -> Option<PlayProgress> {
        None
    }
}

/// No sound device: every sound fails with the same plain reason.
pub struct NoSound {
    reason: String,
}

impl NoSound {
    /// A kiosk without sound, and why.
    pub fn new(reason: impl Into<String>) -> Self {
        NoSound {
            reason: reason.into(),
        }
    }

    fn fail<T>(&self) -> Result<T, SoundError> {
        Err(SoundError(self.reason.clone()))
    }
}

impl Sound for NoSound {
    fn problem(&self) -> Option<String> {
        Some(self.reason.clone())
    }
    fn chime(&self) -> Result<(), SoundError> {
        self.fail()
    }
    fn start_recording(&self) -> Result<(), SoundError> {
        self.fail()
    }
    fn recording_progress(&self) -> Option<RecordingProgress> {
        None
    }
    fn stop_recording(&self) -> Result<Recorded, SoundError> {
        self.fail()
    }
    fn play_recording(&self) -> Result<Duration, SoundError> {
        self.fail()
    }
    fn set_volume(&self, _percent: u8) -> Result<(), SoundError> {
        Ok(())
    }
    fn last_recording(&self) -> (u32, Vec<f32>) {
        (0, Vec::new())
    }
    fn play_samples(&self, _: &[f32], _: u32) -> Result<Duration, SoundError> {
        self.fail()
    }
    fn stop_playing(&self) {}
    fn playing_progress(&self) -> Option<PlayProgress> {
        None
    }
}

/// Longest voice note, in seconds (the protocol's limit): recording stops there.
pub const MAX_RECORDING_SECS: u32 = nabij_protocol::limits::MAX_VOICE_MILLIS / 1000;

/// The chime: two soft, decaying tones (a "ding-dong"), mono samples at `rate`.
pub fn chime_samples(rate: u32) -> Vec<f32> {
    let mut out = Vec::new();
    for (freq, secs) in [(880.0f32, 0.35f32), (660.0, 0.55)] {
        let n = (rate as f32 * secs) as usize;
        for i in 0..n {
            let t = i as f32 / rate as f32;
            let envelope = (-4.0 * t / secs).exp() * (t * 200.0).min(1.0);
            out.push(0.5 * envelope * (2.0 * std::f32::consts::PI * freq * t).sin());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chime_is_audible_short_and_never_clips() {
        let chime = chime_samples(48_000);
        assert_eq!(chime.len(), 16_800 + 26_400);
        let peak = chime.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(peak > 0.3 && peak <= 0.5, "{peak}");
    }

    #[test]
    fn without_a_device_everything_fails_plainly_and_volume_is_harmless() {
        let none = NoSound::new("no sound card found");
        assert_eq!(none.problem().as_deref(), Some("no sound card found"));
        assert!(
            none.chime().is_err()
                && none.start_recording().is_err()
                && none.stop_recording().is_err()
                && none.play_recording().is_err()
                && none.play_samples(&[0.0; 10], 16_000).is_err()
        );
        assert!(none.set_volume(50).is_ok());
        none.stop_playing();
        assert_eq!(none.recording_progress(), None);
        assert_eq!(none.playing_progress(), None);
    }
}
