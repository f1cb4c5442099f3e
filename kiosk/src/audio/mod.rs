//! Sound behind a small interface, so that the app and its tests run without a sound
//! card. `NoSound` is what a tablet without audio gets: the app keeps working and the
//! coach settings screen says why there is no sound.

pub mod check;
pub mod device;
mod resample;
pub mod voice;

pub use resample::{ResampleError, resample};

/// Why a sound could not be made.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SoundError(pub String);

/// The kiosk's sounds.
pub trait Sound {
    /// Why there is no sound at all, if there is none (shown to the coach).
    fn problem(&self) -> Option<String>;
    /// The chime for a reminder or a new message.
    fn chime(&self) -> Result<(), SoundError>;
    /// Starts recording a voice note.
    fn start_recording(&self) -> Result<(), SoundError>;
    /// Stops recording; returns its length in seconds.
    fn stop_recording(&self) -> Result<u32, SoundError>;
    /// Starts playing the recording back; returns how long it lasts.
    fn play_recording(&self) -> Result<std::time::Duration, SoundError>;
    /// Sets the volume, 0–100.
    fn set_volume(&self, percent: u8) -> Result<(), SoundError>;
    /// The last recording: its sample rate and mono samples (empty if there is none).
    fn last_recording(&self) -> (u32, Vec<f32>);
    /// Plays mono samples at `rate` (a received voice note); returns how long they last.
    fn play_samples(&self, samples: &[f32], rate: u32) -> Result<std::time::Duration, SoundError>;
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
    fn stop_recording(&self) -> Result<u32, SoundError> {
        self.fail()
    }
    fn play_recording(&self) -> Result<std::time::Duration, SoundError> {
        self.fail()
    }
    fn set_volume(&self, _percent: u8) -> Result<(), SoundError> {
        Ok(())
    }
    fn last_recording(&self) -> (u32, Vec<f32>) {
        (0, Vec::new())
    }
    fn play_samples(&self, _: &[f32], _: u32) -> Result<std::time::Duration, SoundError> {
        self.fail()
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
                && none.play_recording().is_err()
        );
        assert!(none.set_volume(50).is_ok());
    }
}
