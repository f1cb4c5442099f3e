//! Sample-rate conversion between the devices (44.1 or 48 kHz), voice notes (16 kHz)
//! and read-aloud speech (22.05 kHz).
//!
//! Why a filtered resampler: straight linear interpolation from 48 to 16 kHz is plain
//! decimation, which folds everything above 8 kHz back into the voice (a 10 kHz hiss came
//! out at 6 kHz at its full level, measured), and going up it leaves mirror images of the
//! voice above 8 kHz (a 7 kHz tone's image at 9 kHz only 9 dB down); both make speech
//! harder to follow for people who hear poorly. rubato's `Fft` resampler (a fixed ratio,
//! the whole clip at once) takes that 10 kHz tone and that image more than 140 dB down
//! and keeps a 1 kHz tone's level to within 0.01 dB. It adds 13 small crates and no
//! second version of any. Two minutes of 48 kHz take it about 55 ms in a release build
//! on the development machine (linear: 13 ms), off the audio thread.
//!
//! Why not record at 48 kHz and let Opus band-limit (it does: a 10 kHz tone fed at
//! 48 kHz came out 47 dB down): the voice notes would still need resampling on 44.1 kHz
//! devices (Opus takes 8, 12, 16, 24 or 48 kHz only), and so would every 16 kHz note and
//! every 22.05 kHz sentence played on any device; at the notes' 16 kbit/s Opus codes at
//! most 8 kHz of audio either way, so a 48 kHz input gains nothing. One resampler for
//! every path keeps the wire format exactly as it was.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

/// Why a sound could not be converted to another rate.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the sound cannot be converted from {from} Hz to {to} Hz: {why}")]
pub struct ResampleError {
    from: u32,
    to: u32,
    why: String,
}

/// The chunk the FFT resampler works in, in frames: about 20 ms, small enough that its
/// anti-aliasing filter is sharp and a short sound needs little padding.
const CHUNK: usize = 1_024;

/// Converts mono `samples` at `from` Hz to `to` Hz with an anti-aliasing filter. The
/// result lasts as long as the input (`len × to / from`, rounded up) and starts at the
/// same moment: the filter's delay is taken off.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, ResampleError> {
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let fail = |why: String| ResampleError { from, to, why };
    if from == 0 || to == 0 {
        return Err(fail("a rate of 0 Hz".into()));
    }
    let mut resampler = Fft::<f32>::new(from as usize, to as usize, CHUNK, 1, FixedSync::Input)
        .map_err(|e| fail(e.to_string()))?;
    let input =
        InterleavedSlice::new(samples, 1, samples.len()).map_err(|e| fail(e.to_string()))?;
    let mut output = resampler
        .process_all(&input, samples.len(), None)
        .map_err(|e| fail(e.to_string()))?
        .take_data();
    // rubato rounds `len × ratio` in floating point, so 2 s at 22,050 Hz came out one
    // frame longer than 2 s at 48 kHz; the length is counted in whole numbers here.
    let frames = (samples.len() as u64 * u64::from(to)).div_ceil(u64::from(from));
    output.resize(usize::try_from(frames).unwrap_or(usize::MAX), 0.0);
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amplitude: f32, rate: u32, seconds: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| {
                amplitude
                    * (2.0 * std::f64::consts::PI * f64::from(freq) * i as f64 / f64::from(rate))
                        .sin() as f32
            })
            .collect()
    }

    fn rms(samples: &[f32]) -> f64 {
        (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
    }

    /// The amplitude of `freq` in `samples` (one bin of a discrete Fourier transform).
    fn amplitude_at(samples: &[f32], rate: u32, freq: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
        let (re, im) = samples
            .iter()
            .enumerate()
            .fold((0.0, 0.0), |(re, im), (i, s)| {
                let (sin, cos) = (w * i as f64).sin_cos();
                (re + f64::from(*s) * cos, im - f64::from(*s) * sin)
            });
        2.0 * (re * re + im * im).sqrt() / samples.len() as f64
    }

    fn db(ratio: f64) -> f64 {
        20.0 * ratio.max(1e-12).log10()
    }

    /// The middle, away from where the filter starts and stops.
    fn middle(samples: &[f32]) -> &[f32] {
        &samples[samples.len() / 4..samples.len() * 3 / 4]
    }

    #[test]
    fn a_tone_above_the_new_limit_is_filtered_out_not_folded_down() {
        let high = sine(10_000.0, 0.5, 48_000, 1.0);
        let down = resample(&high, 48_000, 16_000).unwrap();
        assert_eq!(down.len(), 16_000);
        let left = db(rms(middle(&down)) / rms(&high));
        assert!(left <= -40.0, "10 kHz must be gone at 16 kHz: {left:.1} dB");
        let folded = db(amplitude_at(middle(&down), 16_000, 6_000.0) / 0.5);
        assert!(folded <= -40.0, "nothing folded to 6 kHz: {folded:.1} dB");
        // From a 44.1 kHz microphone too.
        let high = sine(10_000.0, 0.5, 44_100, 1.0);
        let down = resample(&high, 44_100, 16_000).unwrap();
        assert_eq!(down.len(), 16_000);
        assert!(db(rms(middle(&down)) / rms(&high)) <= -40.0);
    }

    #[test]
    fn a_voice_tone_keeps_its_level_and_length_both_ways() {
        for (from, to) in [
            (48_000, 16_000),
            (44_100, 16_000),
            (16_000, 48_000),
            (16_000, 44_100),
            (22_050, 48_000),
            (48_000, 44_100),
        ] {
            let tone = sine(1_000.0, 0.5, from, 2.0);
            let out = resample(&tone, from, to).unwrap();
            assert_eq!(out.len(), 2 * to as usize, "{from} -> {to}");
            let change = db(rms(middle(&out)) / rms(middle(&tone)));
            assert!(change.abs() < 0.1, "{from} -> {to}: {change:.2} dB");
            let at_1k = amplitude_at(middle(&out), to, 1_000.0);
            assert!((at_1k - 0.5).abs() < 0.01, "{from} -> {to}: {at_1k}");
            // It starts when the input starts: the filter's delay is taken off, to within
            // a quarter of a sample (a 1 kHz tone of 0.5 moves at most 0.5 × 2π × 1000
            // per second).
            let expected = sine(1_000.0, 0.5, to, 2.0);
            let off = middle(&out)
                .iter()
                .zip(middle(&expected))
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            let quarter_sample = 0.5 * 2.0 * std::f32::consts::PI * 1_000.0 * 0.25 / to as f32;
            assert!(off < quarter_sample, "{from} -> {to}: {off}");
        }
    }

    #[test]
    fn going_up_leaves_no_image_of_the_voice() {
        // A 7 kHz tone at 16 kHz played on a 48 kHz speaker: linear interpolation leaves
        // its mirror at 9 kHz, which a filter removes.
        let tone = sine(7_000.0, 0.5, 16_000, 1.0);
        let up = resample(&tone, 16_000, 48_000).unwrap();
        let image = db(amplitude_at(middle(&up), 48_000, 9_000.0) / 0.5);
        assert!(image <= -40.0, "{image:.1} dB");
    }

    #[test]
    fn the_same_rate_short_and_empty_sounds_pass_and_zero_is_refused() {
        assert_eq!(resample(&[0.5, 0.25], 16_000, 16_000).unwrap(), [0.5, 0.25]);
        assert!(resample(&[], 48_000, 16_000).unwrap().is_empty());
        assert_eq!(resample(&[0.1; 3], 48_000, 16_000).unwrap().len(), 1);
        assert_eq!(resample(&[0.1; 7], 16_000, 48_000).unwrap().len(), 21);
        let e = resample(&[0.1], 0, 16_000).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the sound cannot be converted from 0 Hz to 16000 Hz: a rate of 0 Hz"
        );
    }
}
