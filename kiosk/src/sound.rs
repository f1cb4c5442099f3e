//! Sound behind a small interface, so that the app and its tests run without a sound
//! card. `NoSound` is what a tablet without audio gets: the app keeps working and the
//! coach settings screen says why there is no sound.

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
    /// Plays the recording back, then calls `done` on the UI thread.
    fn play_recording(&self, done: Box<dyn FnOnce()>) -> Result<(), SoundError>;
    /// Sets the volume, 0–100.
    fn set_volume(&self, percent: u8) -> Result<(), SoundError>;
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
    fn play_recording(&self, done: Box<dyn FnOnce()>) -> Result<(), SoundError> {
        done();
        self.fail()
    }
    fn set_volume(&self, _percent: u8) -> Result<(), SoundError> {
        Ok(())
    }
}
