//! Read-aloud through the real engine (espeak-ng) and the real cpal/ALSA code, with ALSA
//! pointed at files as in `sound.rs`: what reaches the "speaker" is counted in frames.
//! Stopping is tested against a speaker that is held up partway, as a real one plays in
//! real time: its file is a FIFO that this test reads, and stops reading, itself.

use super::sound::{asoundrc_with, child_dir, open_default, peak, run_in_child, wait_for};
use nabij_kiosk::audio::Sound;
use nabij_kiosk::audio::level::{heard_speech, rms_dbfs};
use nabij_kiosk::audio::speech::{Speech, synthesize};
use nabij_kiosk::words::Language;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const DUTCH: &str = "Goedemiddag Jan, de bijeenkomst is dinsdag om twee uur.";

/// The speaker in these tests: 48 kHz, mono, 16-bit.
const OUT_RATE: usize = 48_000;

fn samples(raw: &[u8]) -> Vec<f32> {
    raw.chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0)
        .collect()
}

/// The number after `label` in what a child printed (the test harness may have put its
/// own words before it on the line).
fn number_after(printed: &str, label: &str) -> usize {
    let at = printed
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in:\n{printed}"));
    printed[at + label.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn said(text: &str, lang: Language) -> Speech {
    let started = Instant::now();
    let speech = synthesize(text, lang).unwrap();
    println!(
        "{lang:?}: synthesized in {:?}: {:.2} s at {} Hz",
        started.elapsed(),
        speech.duration().as_secs_f32(),
        speech.rate
    );
    speech
}

/// Plausible speech: as long as a calm reading of `words` words (about 145 a minute,
/// with pauses), audible, not clipped, and a voice by the silence check.
fn plausible(speech: &Speech, words: usize) {
    let seconds = speech.duration().as_secs_f32();
    let calm = words as f32 * 60.0 / 145.0;
    assert!(
        (calm * 0.6..calm * 1.8).contains(&seconds),
        "{seconds} s for {words} words"
    );
    assert_eq!(speech.rate, 22_050, "espeak-ng's rate");
    let peak = speech.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((0.1..1.0).contains(&peak), "peak {peak}");
    assert!(heard_speech(&speech.samples, speech.rate));
}

#[test]
fn french_and_english_are_read_aloud_too() {
    let dutch = said(DUTCH, Language::Nl);
    plausible(&dutch, 10);
    let french = said(
        "Bonjour Marie, la réunion a lieu mardi à quatorze heures.",
        Language::Fr,
    );
    plausible(&french, 10);
    let english = said(
        "Good afternoon John, the meeting is on Tuesday at two o'clock.",
        Language::En,
    );
    plausible(&english, 11);
    assert_ne!(dutch.samples, french.samples);
    // Words that look like options or commands are only read: the text goes in on
    // standard input, never through a shell or the command line.
    let odd = said("--help -v fr; $(reboot) `ls` | cat > /tmp/x", Language::Nl);
    assert!(heard_speech(&odd.samples, odd.rate));
}

#[test]
#[ignore = "runs in a child process: see run_in_child"]
fn child_reads_a_dutch_sentence() {
    if child_dir().is_none() {
        return;
    }
    let speech = said(DUTCH, Language::Nl);
    let sound = open_default();
    sound.set_volume(80).unwrap();
    assert_eq!(sound.playing_progress(), None, "nothing plays yet");
    let lasts = sound.play_samples(&speech.samples, speech.rate).unwrap();
    let frames = (lasts.as_secs_f64() * OUT_RATE as f64).round() as usize;
    wait_for("the whole sentence", || sound.frames_played() >= frames);
    assert_eq!(sound.frames_played(), frames);
    assert_eq!(sound.playing_progress(), None, "played to its end");
    println!("played {frames} frames");
}

#[test]
fn a_dutch_sentence_is_read_aloud_through_the_speaker() {
    let dir = tempfile::tempdir().unwrap();
    asoundrc_with(
        dir.path(),
        &dir.path().join("out.raw"),
        "/dev/zero".as_ref(),
    );
    let printed = run_in_child("read_aloud::child_reads_a_dutch_sentence", dir.path());
    let frames = number_after(&printed, "played ");
    println!("{printed}");
    assert!(
        (2 * OUT_RATE..8 * OUT_RATE).contains(&frames),
        "{frames} frames: two to eight seconds for ten words"
    );
    let raw = std::fs::read(dir.path().join("out.raw")).unwrap();
    assert!(raw.len() >= frames * 2, "{} bytes written", raw.len());
    let heard = samples(&raw[..frames * 2]);
    assert!(heard_speech(&heard, OUT_RATE as u32), "a voice came out");
    let loudness = rms_dbfs(&heard);
    assert!(loudness > -35.0, "clearly audible: {loudness:.1} dBFS");
    let peak = peak(&raw);
    assert!(
        (8_000..32_767).contains(&peak),
        "at 80% volume, not clipped: {peak}"
    );
}

#[test]
#[ignore = "runs in a child process: see run_in_child"]
fn child_stops_reading() {
    let Some(dir) = child_dir() else {
        return;
    };
    // Half a second of the speaker's frames get through before it is held up.
    const HOLD_AT: usize = OUT_RATE / 2 * 2;
    let (heard, release) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let speaker = {
        let (heard, release) = (heard.clone(), release.clone());
        let fifo = dir.join("out.fifo");
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4_800];
            // Opening waits for ALSA to open the other end; probing the device may open
            // and close it before the stream does, so an early end opens it again.
            let mut file = std::fs::File::open(&fifo).unwrap();
            loop {
                if heard.load(Ordering::SeqCst) >= HOLD_AT && !release.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                match file.read(&mut buffer).unwrap() {
                    0 if release.load(Ordering::SeqCst) => break,
                    0 => file = std::fs::File::open(&fifo).unwrap(),
                    n => {
                        heard.fetch_add(n, Ordering::SeqCst);
                    }
                }
            }
        })
    };
    let speech = said(DUTCH, Language::Nl);
    let sound = open_default();
    let lasts = sound.play_samples(&speech.samples, speech.rate).unwrap();
    let whole = (lasts.as_secs_f64() * OUT_RATE as f64).round() as usize;
    wait_for("half a second of speech", || {
        heard.load(Ordering::SeqCst) >= HOLD_AT
    });
    // The speaker is held up partway: the progress says so.
    let progress = sound.playing_progress().expect("it is still playing");
    assert_eq!(progress.total, lasts);
    assert!(
        progress.played >= Duration::from_millis(500) && progress.played < progress.total,
        "{progress:?}"
    );
    release.store(true, Ordering::SeqCst);
    sound.stop_playing();
    assert_eq!(sound.playing_progress(), None, "stopped");
    sound.stop_playing(); // twice is harmless
    speaker.join().unwrap();
    println!(
        "stopped after {} frames of {whole}",
        heard.load(Ordering::SeqCst) / 2
    );
}

#[test]
fn stopping_cuts_a_reading_short() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    asoundrc_with(dir.path(), &fifo, "/dev/zero".as_ref());
    let printed = run_in_child("read_aloud::child_stops_reading", dir.path());
    let (got, whole) = (
        number_after(&printed, "stopped after "),
        number_after(&printed, "frames of "),
    );
    let line = format!("{got} of {whole} frames reached the speaker");
    println!("{line}");
    assert!(
        got >= OUT_RATE / 2 && got < whole / 2,
        "clearly fewer frames than the whole: {line}"
    );
}

#[test]
#[ignore = "runs in a child process: see run_in_child"]
fn child_plays_a_voice_note() {
    if child_dir().is_none() {
        return;
    }
    let tone: Vec<f32> = (0..32_000)
        .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 16_000.0).sin())
        .collect();
    let note = nabij_kiosk::audio::voice::encode(&tone, 16_000).unwrap();
    let decoded = nabij_kiosk::audio::voice::decode(&note).unwrap();
    let sound = open_default();
    let lasts = sound
        .play_samples(&decoded, nabij_kiosk::audio::voice::RATE)
        .unwrap();
    assert_eq!(lasts, Duration::from_secs(2), "two seconds, as recorded");
    let total = sound.playing_progress().map(|p| p.total);
    assert!(
        total.is_none() || total == Some(lasts),
        "the progress bar's end is the note's end: {total:?}"
    );
    wait_for("the note", || sound.frames_played() >= 2 * OUT_RATE);
    assert_eq!(sound.frames_played(), 2 * OUT_RATE);
    println!("played {} frames", sound.frames_played());
}

#[test]
fn a_voice_note_keeps_its_length_on_a_48_khz_speaker() {
    let dir = tempfile::tempdir().unwrap();
    asoundrc_with(
        dir.path(),
        &dir.path().join("out.raw"),
        "/dev/zero".as_ref(),
    );
    let printed = run_in_child("read_aloud::child_plays_a_voice_note", dir.path());
    assert_eq!(number_after(&printed, "played "), 2 * OUT_RATE);
    let raw = std::fs::read(dir.path().join("out.raw")).unwrap();
    let played = samples(&raw[..2 * OUT_RATE * 2]);
    // The note's tone, at the default 80% volume, from start to end.
    for second in played.chunks(OUT_RATE) {
        // 0.3 × 0.8 / √2: -15.4 dBFS.
        let level = rms_dbfs(&second[OUT_RATE / 10..OUT_RATE * 9 / 10]);
        assert!((level + 15.4).abs() < 1.0, "{level:.1} dBFS");
    }
}
