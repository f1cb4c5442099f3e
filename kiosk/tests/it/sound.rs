//! Sound through the real cpal/ALSA code, with ALSA pointed at files instead of a sound
//! card: the speaker writes raw PCM to a file, the microphone reads a sine wave from one.
//! The check waits on frames, not on the clock.

use std::io::Write;

fn sine_raw(path: &std::path::Path, seconds: usize) {
    let mut bytes = Vec::with_capacity(48_000 * seconds * 2);
    for i in 0..48_000 * seconds {
        let s =
            (16_000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 48_000.0).sin()) as i16;
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

fn asoundrc(dir: &std::path::Path) {
    let out = dir.join("out.raw");
    let input = dir.join("in.raw");
    let mut f = std::fs::File::create(dir.join(".asoundrc")).unwrap();
    write!(
        f,
        r#"pcm.!default {{
    type asym
    playback.pcm {{ type plug slave {{ pcm {{ type file slave {{ pcm "null" }} file "{}" format "raw" }} format S16_LE rate 48000 channels 1 }} }}
    capture.pcm {{ type plug slave {{ pcm {{ type file slave {{ pcm "null" }} file "/dev/null" infile "{}" format "raw" }} format S16_LE rate 48000 channels 1 }} }}
}}
"#,
        out.display(),
        input.display()
    )
    .unwrap();
}

fn peak(samples: &[u8]) -> i16 {
    samples
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]).saturating_abs())
        .max()
        .unwrap_or(0)
}

#[test]
fn the_sound_check_plays_the_chime_records_and_plays_back() {
    let dir = tempfile::tempdir().unwrap();
    sine_raw(&dir.path().join("in.raw"), 3);
    asoundrc(dir.path());
    let profile =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware-profiles/desktop.toml");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_nabij-kiosk"))
        .args(["sound-check", "--record-seconds", "2", "--profile"])
        .arg(&profile)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let chime = nabij_kiosk::audio::chime_samples(48_000).len();
    assert!(
        stdout.contains(&format!("chime: {chime} frames played")),
        "{stdout}"
    );
    let recorded_line = stdout.lines().find(|l| l.starts_with("recorded:")).unwrap();
    let frames: usize = recorded_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(frames >= 96_000, "at least 2 s at 48 kHz: {recorded_line}");
    assert!(
        recorded_line.contains("peak level 0.4"),
        "the microphone heard the sine wave: {recorded_line}"
    );
    assert!(
        stdout.contains(&format!("played back: {frames} frames")),
        "{stdout}"
    );

    // The speaker's file starts with the chime at 80% volume, then the recording.
    let out = std::fs::read(dir.path().join("out.raw")).unwrap();
    assert!(
        out.len() >= (chime + frames) * 2,
        "{} bytes written",
        out.len()
    );
    let chime_peak = peak(&out[..chime * 2]);
    assert!(
        (12_000..13_200).contains(&chime_peak),
        "chime peak {chime_peak}"
    );
}

#[test]
fn without_a_sound_device_the_check_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".asoundrc"),
        "pcm.!default { type hw card 99 }\n",
    )
    .unwrap();
    let profile =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware-profiles/desktop.toml");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_nabij-kiosk"))
        .args(["sound-check", "--profile"])
        .arg(&profile)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the speaker"),
        "the coach learns what is wrong: {stderr}"
    );
}
