//! How loud a recording is: the level the recording screen shows while the senior
//! speaks, and whether anything like speech was heard at all. Pure functions over
//! samples, so the thresholds are tested without a microphone.

/// The quietest level the meter shows, in dBFS: a tablet's microphone in a quiet room
/// sits around or below it, so an empty bar means "nothing heard".
pub const METER_FLOOR_DB: f32 = -60.0;

/// A 50 ms stretch this loud (RMS, dBFS) or louder counts as a voice. Speech half a
/// metre from a tablet's microphone measures about -35 to -20 dBFS; a quiet room's hiss
/// -55 dBFS and below; a muted microphone gives zeros.
pub const SPEECH_DB: f32 = -45.0;

/// How long the voice must be heard, in all, for a recording not to be silent: longer
/// than the knock of a finger on the glass when the senior taps "record" or "stop".
pub const SPEECH_SECS: f32 = 0.25;

/// The stretch the silence check measures at a time.
const WINDOW_SECS: f32 = 0.05;

/// What `rms_dbfs` says for digital silence (the log of zero would be minus infinity).
const SILENCE_DB: f32 = -120.0;

/// The loudness of `samples` in dBFS (0 for a full-scale square wave, about -3 for a
/// full-scale sine), with any DC offset taken out first: some microphones sit off zero,
/// and an offset is no sound. Empty or all-zero input gives -120.
pub fn rms_dbfs(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return SILENCE_DB;
    }
    let n = samples.len() as f64;
    let mean = samples.iter().map(|&s| f64::from(s)).sum::<f64>() / n;
    let power = samples
        .iter()
        .map(|&s| {
            let d = f64::from(s) - mean;
            d * d
        })
        .sum::<f64>()
        / n;
    if power <= 1e-12 {
        return SILENCE_DB;
    }
    ((10.0 * power.log10()) as f32).max(SILENCE_DB)
}

/// The meter's fill, 0.0 to 1.0: dBFS from [`METER_FLOOR_DB`] to 0 spread evenly, so
/// normal speech fills about half to two thirds of the bar and room noise leaves it empty.
pub fn meter(samples: &[f32]) -> f32 {
    let db = rms_dbfs(samples);
    ((db - METER_FLOOR_DB) / -METER_FLOOR_DB).clamp(0.0, 1.0)
}

/// Whether a recording at `rate` holds a voice: at least [`SPEECH_SECS`] of 50 ms
/// stretches at or above [`SPEECH_DB`]. Zeros, a muted microphone, room hiss and a
/// recording of no length are silent.
pub fn heard_speech(samples: &[f32], rate: u32) -> bool {
    let window = ((rate as f32 * WINDOW_SECS) as usize).max(1);
    let needed = (SPEECH_SECS / WINDOW_SECS).ceil() as usize;
    samples
        .chunks(window)
        // A short last piece is measured over a whole window's length, so a click at
        // the very end weighs no more than anywhere else.
        .filter(|chunk| {
            let db = rms_dbfs(chunk) + 10.0 * (chunk.len() as f32 / window as f32).log10();
            db >= SPEECH_DB
        })
        .take(needed)
        .count()
        >= needed
}

/// The last `seconds` of `samples` at `rate` (all of them if there are fewer).
pub fn tail(samples: &[f32], rate: u32, seconds: f32) -> &[f32] {
    let n = ((rate as f32 * seconds) as usize).min(samples.len());
    &samples[samples.len() - n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    fn sine(amplitude: f32, freq: f32, seconds: f32) -> Vec<f32> {
        (0..(RATE as f32 * seconds) as usize)
            .map(|i| amplitude * (2.0 * std::f32::consts::PI * freq * i as f32 / RATE as f32).sin())
            .collect()
    }

    /// Reproducible white noise, evenly spread in -amplitude..amplitude.
    fn noise(amplitude: f32, seconds: f32) -> Vec<f32> {
        let mut x: u32 = 0x1234_5678;
        (0..(RATE as f32 * seconds) as usize)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                amplitude * ((x as f32 / u32::MAX as f32) * 2.0 - 1.0)
            })
            .collect()
    }

    #[test]
    fn loudness_is_measured_in_dbfs_without_the_offset() {
        let full = sine(1.0, 440.0, 1.0);
        assert!((rms_dbfs(&full) + 3.01).abs() < 0.05, "{}", rms_dbfs(&full));
        let tenth = sine(0.1, 440.0, 1.0);
        assert!((rms_dbfs(&tenth) + 23.01).abs() < 0.05);
        let offset: Vec<f32> = tenth.iter().map(|s| s + 0.3).collect();
        assert!((rms_dbfs(&offset) - rms_dbfs(&tenth)).abs() < 0.01);
        assert_eq!(rms_dbfs(&[0.0; 480]), -120.0);
        assert_eq!(rms_dbfs(&[0.25; 480]), -120.0, "a constant is no sound");
        assert_eq!(rms_dbfs(&[]), -120.0);
    }

    #[test]
    fn the_meter_shows_speech_clearly_and_noise_barely() {
        assert_eq!(meter(&[0.0; 4_800]), 0.0);
        let speech = meter(&sine(0.1, 300.0, 0.1)); // -23 dBFS
        assert!((0.55..0.70).contains(&speech), "{speech}");
        let soft = meter(&sine(0.03, 300.0, 0.1)); // about -33 dBFS
        assert!((0.35..0.50).contains(&soft), "{soft}");
        let hiss = meter(&noise(0.002, 0.1)); // about -59 dBFS
        assert!(hiss < 0.05, "{hiss}");
        assert!(
            meter(&sine(1.0, 300.0, 0.1)) > 0.9,
            "shouting nearly fills it"
        );
        assert_eq!(meter(&[1.0, -1.0, 1.0, -1.0]), 1.0, "full scale fills it");
    }

    #[test]
    fn a_voice_is_heard_and_zeros_hiss_and_taps_are_silent() {
        assert!(heard_speech(&sine(0.1, 300.0, 1.0), RATE), "normal speech");
        assert!(
            heard_speech(&sine(0.01, 300.0, 1.0), RATE),
            "softly, -43 dBFS"
        );
        assert!(!heard_speech(&vec![0.0; RATE as usize * 3], RATE), "zeros");
        assert!(
            !heard_speech(&noise(0.004, 3.0), RATE),
            "hiss, about -53 dBFS"
        );
        assert!(!heard_speech(&[], RATE), "nothing recorded");
        // A finger knocking on the glass twice: loud, but 0.1 s in all.
        let mut taps = vec![0.0; RATE as usize * 3];
        for start in [1_000, 100_000] {
            for (i, s) in sine(0.8, 900.0, 0.05).into_iter().enumerate() {
                taps[start + i] = s;
            }
        }
        assert!(!heard_speech(&taps, RATE), "two taps are not a voice");
        // A short word in a long silence is heard.
        let mut word = vec![0.0; RATE as usize * 3];
        word.extend(sine(0.1, 300.0, 0.4));
        word.extend(vec![0.0; RATE as usize]);
        assert!(heard_speech(&word, RATE));
    }

    #[test]
    fn the_tail_is_the_last_stretch() {
        let samples: Vec<f32> = (0..1_000).map(|i| i as f32).collect();
        assert_eq!(tail(&samples, 1_000, 0.1), &samples[900..]);
        assert_eq!(tail(&samples, 1_000, 5.0).len(), 1_000);
        assert!(tail(&[], 1_000, 0.1).is_empty());
    }
}
