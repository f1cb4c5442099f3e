//! Sound through the real cpal/ALSA code, with ALSA pointed at files instead of a sound
//! card: the speaker writes raw PCM to a file, the microphone reads a sine wave from one.
//! The check waits on frames, not on the clock.
//!
//! ALSA reads `~/.asoundrc` once per process, so code that opens the devices itself
//! runs in a child process: the test binary again, running one ignored test with `HOME`
//! set (`run_in_child`).

use nabij_kiosk::audio::Sound;
use nabij_kiosk::audio::device::CpalSound;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Set in a child process to the folder whose `.asoundrc` it uses.
const CHILD: &str = "NABIJ_SOUND_TEST_DIR";

/// Runs the ignored test `name` (its path in this binary, e.g. `sound::child_records`)
/// in a child copy of this test binary, with `HOME` at `dir`; fails if the child fails.
/// Returns what it printed.
pub(crate) fn run_in_child(name: &str, dir: &Path) -> String {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("HOME", dir)
        .env(CHILD, dir)
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{name} failed in its child:\n{printed}"
    );
    assert!(
        printed.contains("1 passed"),
        "{name} did not run in its child:\n{printed}"
    );
    printed
}

/// In a child started by `run_in_child`: its folder. Elsewhere None, and the ignored
/// test that asks returns at once (`cargo test -- --ignored` runs it without the folder).
pub(crate) fn child_dir() -> Option<PathBuf> {
    std::env::var_os(CHILD).map(PathBuf::from)
}

/// The profile's devices: ALSA's default, which the `.asoundrc` points at files.
pub(crate) fn open_default() -> CpalSound {
    CpalSound::open(&nabij_kiosk::platform::profile::Audio {
        playback: "default".into(),
        capture: "default".into(),
    })
    .unwrap()
}

/// Waits until `done`, which counts frames; the time limit only stops a test whose
/// device has stopped moving.
pub(crate) fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} never happened"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

pub(crate) fn sine_raw(path: &Path, seconds: usize) {
    let mut bytes = Vec::with_capacity(48_000 * seconds * 2);
    for i in 0..48_000 * seconds {
        let s =
            (16_000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 48_000.0).sin()) as i16;
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

fn asoundrc(dir: &Path) {
    asoundrc_with(dir, &dir.join("out.raw"), &dir.join("in.raw"));
}

/// An `.asoundrc` in `dir`: the speaker writes 48 kHz mono S16 to `out`, the
/// microphone reads the same from `input`.
pub(crate) fn asoundrc_with(dir: &Path, out: &Path, input: &Path) {
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

pub(crate) fn peak(samples: &[u8]) -> i16 {
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
    // A sine of amplitude 0.49: RMS -9 dBFS, the meter at 0.85.
    assert!(
        recorded_line.contains("loudness -9 dBFS (meter 0.85), sound heard"),
        "the coach sees the level it heard: {recorded_line}"
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

/// Records from the microphone the `.asoundrc` in the child's folder reads; says what the
/// progress and the result were.
fn record_a_second() -> (
    Vec<nabij_kiosk::audio::RecordingProgress>,
    nabij_kiosk::audio::Recorded,
) {
    let sound = open_default();
    assert_eq!(
        sound.recording_progress(),
        None,
        "nothing is being recorded yet"
    );
    sound.start_recording().unwrap();
    let mut seen = Vec::new();
    wait_for("a second of recording", || {
        let progress = sound.recording_progress().expect("it records");
        seen.push(progress);
        progress.seconds >= 1.0
    });
    let recorded = sound.stop_recording().unwrap();
    assert_eq!(sound.recording_progress(), None, "stopped");
    let recording = sound.recording();
    assert_eq!(recorded.seconds, recording.seconds());
    let last = seen.last().unwrap();
    assert!(
        recording.samples.len() as f32 / recording.rate as f32 >= last.seconds,
        "the progress counted frames that were kept"
    );
    assert!(seen.windows(2).all(|w| w[0].seconds <= w[1].seconds));
    (seen, recorded)
}

#[test]
#[ignore = "runs in a child process: see run_in_child"]
fn child_records_a_voice() {
    if child_dir().is_none() {
        return;
    }
    let (seen, recorded) = record_a_second();
    let level = seen.last().unwrap().level;
    // The sine of amplitude 0.49: -9 dBFS, 0.85 on the meter.
    assert!((0.83..0.87).contains(&level), "{level}");
    assert!(recorded.seconds >= 1 && !recorded.silent, "{recorded:?}");
}

#[test]
#[ignore = "runs in a child process: see run_in_child"]
fn child_records_silence() {
    if child_dir().is_none() {
        return;
    }
    let (seen, recorded) = record_a_second();
    assert!(seen.iter().all(|p| p.level == 0.0), "{seen:?}");
    assert!(recorded.seconds >= 1 && recorded.silent, "{recorded:?}");
}

#[test]
#[ignore = "runs in a child process: see run_in_child"]
fn child_has_no_microphone() {
    if child_dir().is_none() {
        return;
    }
    let sound = CpalSound::open(&nabij_kiosk::platform::profile::Audio {
        playback: "default".into(),
        capture: "no-such-microphone".into(),
    })
    .unwrap();
    let e = sound.start_recording().unwrap_err();
    assert!(e.to_string().contains("microphone"), "{e}");
    assert_eq!(sound.recording_progress(), None);
    assert!(
        sound.stop_recording().is_err(),
        "nothing was being recorded"
    );
}

#[test]
fn recording_shows_its_length_and_level_and_says_when_nothing_was_heard() {
    let voice = tempfile::tempdir().unwrap();
    sine_raw(&voice.path().join("in.raw"), 3);
    asoundrc(voice.path());
    run_in_child("sound::child_records_a_voice", voice.path());

    // A muted microphone: zeros.
    let muted = tempfile::tempdir().unwrap();
    std::fs::write(muted.path().join("in.raw"), vec![0u8; 48_000 * 2 * 3]).unwrap();
    asoundrc(muted.path());
    run_in_child("sound::child_records_silence", muted.path());

    run_in_child("sound::child_has_no_microphone", voice.path());
}
