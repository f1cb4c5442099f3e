//! `nabij-kiosk sound-check`: a coach's check of a tablet's speaker and microphone.
//! It waits on frames, not on the clock, so it also works against ALSA's file and null
//! devices in tests.

use crate::audio::device::CpalSound;
use crate::audio::level::{meter, rms_dbfs};
use crate::audio::{Sound, chime_samples};
use crate::platform::profile::Profile;
use anyhow::{Context, bail};
use std::time::{Duration, Instant};

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > limit {
            bail!("{what} did not finish within {limit:?}: is the sound device working?");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// Plays the chime, records `seconds`, plays the recording back; prints what happened.
pub fn run(profile: &Profile, seconds: u32) -> anyhow::Result<()> {
    let sound = CpalSound::open(&profile.audio).context("no sound")?;
    let before = sound.frames_played();
    let (frames, lasts) = sound.play(&chime_samples(48_000), 48_000)?;
    wait_for("the chime", lasts * 10 + Duration::from_secs(2), || {
        sound.frames_played() - before >= frames
    })?;
    println!("chime: {} frames played", sound.frames_played() - before);

    sound.start_recording()?;
    let started = Instant::now();
    let limit = Duration::from_secs(u64::from(seconds) * 10 + 2);
    // Wait until `seconds` of audio came in, by the device's own rate.
    wait_for("the recording", limit, || {
        let rate = sound.recording_rate().unwrap_or(u32::MAX);
        sound.frames_recorded() >= (rate as usize).saturating_mul(seconds as usize)
            || started.elapsed() > limit
    })?;
    let recorded = sound.stop_recording()?;
    let recording = sound.recording();
    let peak = recording.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    let db = rms_dbfs(&recording.samples);
    println!(
        "recorded: {} frames at {} Hz ({} s), peak level {peak:.2}, loudness {db:.0} dBFS (meter {:.2}), {}",
        recording.samples.len(),
        recording.rate,
        recorded.seconds,
        meter(&recording.samples),
        if recorded.silent {
            "silent: no voice was heard, is the microphone on and uncovered?"
        } else {
            "sound heard"
        }
    );

    let before = sound.frames_played();
    let (frames, lasts) = sound.play(&recording.samples, recording.rate)?;
    wait_for("the playback", lasts * 10 + Duration::from_secs(2), || {
        sound.frames_played() - before >= frames
    })?;
    println!("played back: {} frames", sound.frames_played() - before);
    Ok(())
}
