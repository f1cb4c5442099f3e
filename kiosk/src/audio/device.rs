//! Sound through cpal (ALSA on Linux): the chime, voice-note recording and playback,
//! read-aloud. Streams live on the UI thread; the audio callbacks share only plain
//! buffers and counters.

use crate::audio::level::{heard_speech, meter, tail};
use crate::audio::{
    MAX_RECORDING_SECS, PlayProgress, Recorded, RecordingProgress, Sound, SoundError,
    chime_samples, resample,
};
use crate::platform::profile::Audio;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn fail(what: &str, e: impl std::fmt::Display) -> SoundError {
    SoundError(format!("{what}: {e}"))
}

/// Mono audio at a sample rate.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// Samples per second.
    pub rate: u32,
    /// Samples, -1.0 to 1.0.
    pub samples: Vec<f32>,
}

impl Recording {
    /// Length in seconds (rounded up, as shown to the senior).
    pub fn seconds(&self) -> u32 {
        if self.rate == 0 {
            0
        } else {
            (self.samples.len() as u64).div_ceil(u64::from(self.rate)) as u32
        }
    }
}

struct Capture {
    _stream: cpal::Stream,
    buffer: Arc<Mutex<Vec<f32>>>,
    rate: u32,
}

/// The meter shows the loudness of this last stretch of a recording, in seconds.
const METER_SECS: f32 = 0.1;

/// The sound that plays now. Dropping it stops the stream.
struct Playback {
    _stream: cpal::Stream,
    /// Frames the callback has handed to the device, counting the silence after the end.
    position: Arc<AtomicUsize>,
    /// Frames of sound.
    frames: usize,
    /// The output's rate.
    rate: u32,
}

/// What the speaker at `out_rate` is handed for mono `samples` at `rate`: converted to
/// its rate (so a note lasts as long on any speaker) and at `volume`.
fn speaker_frames(
    samples: &[f32],
    rate: u32,
    out_rate: u32,
    volume: f32,
) -> Result<Vec<f32>, SoundError> {
    Ok(resample(samples, rate, out_rate)
        .map_err(|e| SoundError(e.to_string()))?
        .into_iter()
        .map(|s| s * volume)
        .collect())
}

fn frames_to_duration(frames: usize, rate: u32) -> Duration {
    Duration::from_secs_f64(frames as f64 / f64::from(rate.max(1)))
}

/// A real sound device.
pub struct CpalSound {
    output: cpal::Device,
    input: Option<cpal::Device>,
    volume: Cell<f32>,
    playing: RefCell<Option<Playback>>,
    capture: RefCell<Option<Capture>>,
    recorded: RefCell<Recording>,
    /// Frames written to the output so far (for tests and the sound check).
    frames_played: Arc<AtomicUsize>,
}

fn find_device(host: &cpal::Host, name: &str, output: bool) -> Option<cpal::Device> {
    if name == "default" {
        return if output {
            host.default_output_device()
        } else {
            host.default_input_device()
        };
    }
    let id = format!("alsa:{name}").parse().ok()?;
    host.device_by_id(&id)
}

impl CpalSound {
    /// Opens the profile's devices. No output device is an error (the app then runs
    /// without sound); no input device only disables recording.
    pub fn open(audio: &Audio) -> Result<CpalSound, SoundError> {
        let host = cpal::default_host();
        let output = find_device(&host, &audio.playback, true).ok_or_else(|| {
            SoundError(format!(
                "no speaker: there is no sound output device {:?}",
                audio.playback
            ))
        })?;
        Ok(CpalSound {
            output,
            input: find_device(&host, &audio.capture, false),
            volume: Cell::new(0.8),
            playing: RefCell::new(None),
            capture: RefCell::new(None),
            recorded: RefCell::new(Recording::default()),
            frames_played: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Frames written to the output device since it was opened.
    pub fn frames_played(&self) -> usize {
        self.frames_played.load(Ordering::SeqCst)
    }

    /// Frames captured by the running (or last) recording.
    pub fn frames_recorded(&self) -> usize {
        match self.capture.borrow().as_ref() {
            Some(c) => c.buffer.lock().map(|b| b.len()).unwrap_or(0),
            None => self.recorded.borrow().samples.len(),
        }
    }

    /// The sample rate of the running recording.
    pub fn recording_rate(&self) -> Option<u32> {
        self.capture.borrow().as_ref().map(|c| c.rate)
    }

    /// The last recording.
    pub fn recording(&self) -> Recording {
        self.recorded.borrow().clone()
    }

    /// Plays mono samples recorded at `rate`; returns the frames queued and how long they
    /// last.
    pub fn play(&self, samples: &[f32], rate: u32) -> Result<(usize, Duration), SoundError> {
        let config = self
            .output
            .default_output_config()
            .map_err(|e| fail("the speaker does not work", e))?;
        let out_rate = config.sample_rate();
        let channels = usize::from(config.channels());
        let data = Arc::new(speaker_frames(samples, rate, out_rate, self.volume.get())?);
        let duration = frames_to_duration(data.len(), out_rate);
        let position = Arc::new(AtomicUsize::new(0));
        let played = self.frames_played.clone();
        let err = |e: cpal::Error| eprintln!("nabij-kiosk: sound output: {e}");
        macro_rules! build {
            ($t:ty) => {{
                let (data, position) = (data.clone(), position.clone());
                self.output.build_output_stream(
                    config.clone().into(),
                    move |out: &mut [$t], _: &cpal::OutputCallbackInfo| {
                        for frame in out.chunks_mut(channels) {
                            let i = position.fetch_add(1, Ordering::Relaxed);
                            let value = data.get(i).copied().unwrap_or(0.0);
                            if i < data.len() {
                                played.fetch_add(1, Ordering::Relaxed);
                            }
                            for sample in frame.iter_mut() {
                                *sample = <$t as cpal::FromSample<f32>>::from_sample_(value);
                            }
                        }
                    },
                    err,
                    None,
                )
            }};
        }
        let stream = match config.sample_format() {
            cpal::SampleFormat::F32 => build!(f32),
            cpal::SampleFormat::I16 => build!(i16),
            cpal::SampleFormat::I32 => build!(i32),
            cpal::SampleFormat::U8 => build!(u8),
            other => {
                return Err(SoundError(format!(
                    "the output device uses {other}, which the kiosk cannot play"
                )));
            }
        }
        .map_err(|e| fail("the speaker cannot be opened", e))?;
        stream
            .play()
            .map_err(|e| fail("the speaker cannot be started", e))?;
        // Replacing the stream stops whatever played before.
        *self.playing.borrow_mut() = Some(Playback {
            _stream: stream,
            position,
            frames: data.len(),
            rate: out_rate,
        });
        Ok((data.len(), duration))
    }
}

impl Sound for CpalSound {
    fn problem(&self) -> Option<String> {
        None
    }

    fn chime(&self) -> Result<(), SoundError> {
        self.play(&chime_samples(48_000), 48_000).map(|_| ())
    }

    fn recording_progress(&self) -> Option<RecordingProgress> {
        let capture = self.capture.borrow();
        let capture = capture.as_ref()?;
        // Held for a few microseconds: the audio callback waits that long at most.
        let buffer = capture.buffer.lock().ok()?;
        Some(RecordingProgress {
            seconds: buffer.len() as f32 / capture.rate.max(1) as f32,
            level: meter(tail(&buffer, capture.rate, METER_SECS)),
        })
    }

    fn start_recording(&self) -> Result<(), SoundError> {
        let input = self
            .input
            .as_ref()
            .ok_or_else(|| SoundError("no microphone found".into()))?;
        let config = input
            .default_input_config()
            .map_err(|e| fail("the microphone does not work", e))?;
        let rate = config.sample_rate();
        let channels = usize::from(config.channels());
        let limit = (rate * MAX_RECORDING_SECS) as usize;
        let buffer = Arc::new(Mutex::new(Vec::with_capacity(rate as usize * 10)));
        let err = |e: cpal::Error| eprintln!("nabij-kiosk: sound input: {e}");
        macro_rules! build {
            ($t:ty) => {{
                let buffer = buffer.clone();
                input.build_input_stream(
                    config.clone().into(),
                    move |data: &[$t], _: &cpal::InputCallbackInfo| {
                        let Ok(mut buffer) = buffer.lock() else {
                            return;
                        };
                        for frame in data.chunks(channels) {
                            if buffer.len() >= limit {
                                return; // the protocol's limit: the rest is not kept
                            }
                            let sum: f32 = frame
                                .iter()
                                .map(|s| <f32 as cpal::FromSample<$t>>::from_sample_(*s))
                                .sum();
                            buffer.push(sum / channels as f32);
                        }
                    },
                    err,
                    None,
                )
            }};
        }
        let stream = match config.sample_format() {
            cpal::SampleFormat::F32 => build!(f32),
            cpal::SampleFormat::I16 => build!(i16),
            cpal::SampleFormat::I32 => build!(i32),
            cpal::SampleFormat::U8 => build!(u8),
            other => {
                return Err(SoundError(format!(
                    "the microphone uses {other}, which the kiosk cannot record"
                )));
            }
        }
        .map_err(|e| fail("the microphone cannot be opened", e))?;
        stream
            .play()
            .map_err(|e| fail("the microphone cannot be started", e))?;
        *self.capture.borrow_mut() = Some(Capture {
            _stream: stream,
            buffer,
            rate,
        });
        Ok(())
    }

    fn stop_recording(&self) -> Result<Recorded, SoundError> {
        let capture = self
            .capture
            .borrow_mut()
            .take()
            .ok_or_else(|| SoundError("nothing is being recorded".into()))?;
        let samples = capture.buffer.lock().map(|b| b.clone()).unwrap_or_default();
        let recording = Recording {
            rate: capture.rate,
            samples,
        };
        let recorded = Recorded {
            seconds: recording.seconds(),
            silent: !heard_speech(&recording.samples, recording.rate),
        };
        *self.recorded.borrow_mut() = recording;
        Ok(recorded)
    }

    fn play_recording(&self) -> Result<Duration, SoundError> {
        let recording = self.recorded.borrow().clone();
        if recording.samples.is_empty() {
            return Err(SoundError("there is no recording to play".into()));
        }
        self.play(&recording.samples, recording.rate)
            .map(|(_, lasts)| lasts)
    }

    fn set_volume(&self, percent: u8) -> Result<(), SoundError> {
        self.volume.set(f32::from(percent.min(100)) / 100.0);
        Ok(())
    }

    fn last_recording(&self) -> (u32, Vec<f32>) {
        let recording = self.recorded.borrow();
        (recording.rate, recording.samples.clone())
    }

    fn play_samples(&self, samples: &[f32], rate: u32) -> Result<Duration, SoundError> {
        self.play(samples, rate).map(|(_, lasts)| lasts)
    }

    fn stop_playing(&self) {
        // Dropping the stream stops its callback: no frame is handed over after this.
        drop(self.playing.borrow_mut().take());
    }

    fn playing_progress(&self) -> Option<PlayProgress> {
        let playing = self.playing.borrow();
        let playback = playing.as_ref()?;
        let played = playback.position.load(Ordering::SeqCst);
        (played < playback.frames).then(|| PlayProgress {
            played: frames_to_duration(played, playback.rate),
            total: frames_to_duration(playback.frames, playback.rate),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voice_note_lasts_as_long_on_any_speaker_at_the_volume_set() {
        let note = vec![0.5f32; 2 * 16_000];
        for out_rate in [44_100, 48_000] {
            let frames = speaker_frames(&note, 16_000, out_rate, 0.8).unwrap();
            assert_eq!(frames.len(), 2 * out_rate as usize);
            assert_eq!(
                frames_to_duration(frames.len(), out_rate),
                Duration::from_secs(2)
            );
            let middle = frames[frames.len() / 2];
            assert!((middle - 0.4).abs() < 1e-3, "{middle}");
        }
        let speech = vec![0.1f32; 22_050 * 3];
        let frames = speaker_frames(&speech, 22_050, 44_100, 1.0).unwrap();
        assert_eq!(
            frames_to_duration(frames.len(), 44_100),
            Duration::from_secs(3)
        );
        assert!(speaker_frames(&note, 0, 48_000, 1.0).is_err());
    }
}
