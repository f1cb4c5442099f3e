//! Read-aloud ("Voorlezen"): a text spoken in Dutch, French or English by a local
//! engine, never over the network. The engine is espeak-ng, run as a child process with
//! the text on its standard input (no shell, so no character in a message can become a
//! command) and its WAV on standard output, which a small, strict reader here turns into
//! mono samples for [`Sound::play_samples`](crate::audio::Sound::play_samples).
//!
//! Why plain espeak-ng: Debian 12's main archive has no better local engine with all
//! three languages. The MBROLA voices (`mbrola-nl2`, `mbrola-fr1`, which espeak-ng can
//! drive) sound more natural, but they are not in main (the voices' licence allows
//! non-commercial, non-military use only) and the tablets install from main; festival's
//! Debian voices have neither Dutch nor French, flite speaks English only, and pico is
//! non-free and has no Dutch.
//!
//! Synthesis blocks (a ten-word sentence, 4.5 s of speech, took 20-30 ms on the
//! development machine; allow ten times that on a tablet): run [`synthesize`] off the UI
//! thread and hand the [`Speech`] back to it.

use crate::words::Language;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The engine's program, looked up on `PATH`.
pub const ENGINE: &str = "espeak-ng";

/// The longest text read aloud, in characters: the protocol's longest message, so any
/// message fits, while a runaway text cannot keep the engine busy for long.
pub const MAX_TEXT_CHARS: usize = nabij_protocol::limits::MAX_TEXT_CHARS;

/// The most WAV bytes taken from the engine: 2,000 characters at a calm pace last about
/// two and a half minutes, 7 MB at espeak-ng's 22,050 Hz; anything beyond is not speech
/// for us.
const MAX_WAV_BYTES: usize = 16 * 1024 * 1024;

/// The most bytes of the engine's complaints kept for the error message.
const MAX_STDERR_BYTES: u64 = 2_048;

/// Words per minute: calmer than espeak-ng's 175, for people who hear less well.
const WORDS_PER_MINUTE: &str = "145";

/// A short pause between words (in units of 10 ms at the normal speed), for the same
/// reason.
const WORD_GAP: &str = "2";

/// Mono speech at a sample rate, ready for `Sound::play_samples`.
#[derive(Debug, Clone, PartialEq)]
pub struct Speech {
    /// Samples per second.
    pub rate: u32,
    /// Samples, -1.0 to 1.0.
    pub samples: Vec<f32>,
}

impl Speech {
    /// How long it lasts.
    pub fn duration(&self) -> Duration {
        if self.rate == 0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.rate))
    }
}

/// Why a text cannot be read aloud. Each says it in plain words, for the coach's screen
/// and the log; the senior's screen says it in their own language.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// The engine is not installed on this tablet.
    #[error("read-aloud is not installed on this tablet: the program {0} is missing")]
    NotInstalled(String),
    /// The text has nothing to say.
    #[error("there is nothing to read aloud")]
    Empty,
    /// The text is longer than [`MAX_TEXT_CHARS`].
    #[error("the text is too long to read aloud: {0} characters, at most {MAX_TEXT_CHARS}")]
    TooLong(usize),
    /// The engine could not be started or stopped with an error.
    #[error("read-aloud did not work: {0}")]
    Engine(String),
    /// The engine's sound is not the WAV this reader accepts.
    #[error("read-aloud gave sound the tablet cannot play: {0}")]
    BadWav(String),
}

fn bad(what: impl Into<String>) -> SpeechError {
    SpeechError::BadWav(what.into())
}

/// The espeak-ng voice for a language: Belgian French (it says "septante" and
/// "nonante"), British English; espeak-ng has one Dutch voice.
pub fn voice(lang: Language) -> &'static str {
    match lang {
        Language::Nl => "nl",
        Language::Fr => "fr-be",
        Language::En => "en-gb",
    }
}

/// Whether the engine is on this tablet (the screens show "Read aloud" only then).
pub fn available() -> bool {
    Command::new(ENGINE)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Speaks `text` in `lang` with espeak-ng; blocks until the sound is made.
pub fn synthesize(text: &str, lang: Language) -> Result<Speech, SpeechError> {
    synthesize_with(OsStr::new(ENGINE), text, lang)
}

/// [`synthesize`] with another espeak-ng program (a path, or a name on `PATH`).
pub fn synthesize_with(program: &OsStr, text: &str, lang: Language) -> Result<Speech, SpeechError> {
    let text = text.trim();
    if !text.chars().any(char::is_alphanumeric) {
        return Err(SpeechError::Empty);
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(SpeechError::TooLong(chars));
    }
    let mut child = Command::new(program)
        // --stdin: the whole text at once (without it espeak-ng reads line by line);
        // -b 1: it is UTF-8.
        .args(["--stdout", "--stdin", "-b", "1", "-v", voice(lang)])
        .args(["-s", WORDS_PER_MINUTE, "-g", WORD_GAP])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                SpeechError::NotInstalled(program.to_string_lossy().into_owned())
            }
            _ => SpeechError::Engine(format!("{} cannot be started ({e})", program.display())),
        })?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(SpeechError::Engine("its pipes could not be opened".into()));
    };
    // The text goes in on another thread while this one reads the sound: a long text
    // could otherwise fill one pipe while the engine waits on the other. The same thread
    // drains the complaints, keeping the first few.
    let input = text.as_bytes().to_vec();
    let feeder = std::thread::spawn(move || {
        // A failed write shows as the engine's own failure below.
        let _ = stdin.write_all(&input);
        drop(stdin);
        let mut complaints = String::new();
        let mut stderr = stderr;
        let _ = (&mut stderr)
            .take(MAX_STDERR_BYTES)
            .read_to_string(&mut complaints);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        complaints
    });
    let mut wav = Vec::new();
    let read = stdout.take(MAX_WAV_BYTES as u64 + 1).read_to_end(&mut wav);
    if read.is_err() || wav.len() > MAX_WAV_BYTES {
        // Stop it rather than wait for a sound nobody will play.
        let _ = child.kill();
    }
    let status = child
        .wait()
        .map_err(|e| SpeechError::Engine(format!("it could not be waited for ({e})")))?;
    let complaints = feeder.join().unwrap_or_default();
    read.map_err(|e| SpeechError::Engine(format!("its sound could not be read ({e})")))?;
    if wav.len() > MAX_WAV_BYTES {
        return Err(bad(format!("more than {MAX_WAV_BYTES} bytes")));
    }
    if !status.success() {
        let why = complaints.lines().next().unwrap_or("").trim();
        return Err(SpeechError::Engine(if why.is_empty() {
            format!("{} stopped ({status})", program.display())
        } else {
            format!("{} stopped ({status}): {why}", program.display())
        }));
    }
    parse_wav(&wav)
}

/// The "length unknown" sizes a WAV written to a pipe carries in its RIFF header and its
/// data chunk, since its writer cannot go back to fill them in: espeak-ng's, and the
/// common all-ones.
const STREAMING_RIFF: [u32; 2] = [0x7FFF_F024, u32::MAX];
const STREAMING_DATA: [u32; 2] = [0x7FFF_F000, u32::MAX];

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads a WAV file as espeak-ng writes it: RIFF/WAVE, one `fmt ` chunk (PCM, 16-bit,
/// mono or stereo, 8 to 96 kHz) before one `data` chunk, other chunks skipped. Sizes
/// must agree with the bytes there are, except the "length unknown" sizes of a WAV
/// written to a pipe, whose data then runs to the end. Stereo is mixed to mono. Anything
/// else, or more than 16 MiB, is refused with what is wrong.
pub fn parse_wav(bytes: &[u8]) -> Result<Speech, SpeechError> {
    if bytes.len() > MAX_WAV_BYTES {
        return Err(bad(format!("more than {MAX_WAV_BYTES} bytes")));
    }
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(bad("it is not a WAV file"));
    }
    let riff = u32_at(bytes, 4);
    let streaming = STREAMING_RIFF.contains(&riff);
    if !streaming && riff as usize != bytes.len() - 8 {
        return Err(bad(format!(
            "it says it holds {} bytes but has {}",
            riff as usize + 8,
            bytes.len()
        )));
    }
    // (channels, rate) once the format chunk is read.
    let mut format: Option<(u16, u32)> = None;
    let mut at = 12;
    loop {
        if at + 8 > bytes.len() {
            return Err(bad("it has no sound data"));
        }
        let id = &bytes[at..at + 4];
        let size = u32_at(bytes, at + 4);
        let body = at + 8;
        if id == b"data" {
            let Some((channels, rate)) = format else {
                return Err(bad("its sound data comes before its format"));
            };
            // In u64: on a 32-bit tablet a size near 4 GiB would overflow a usize.
            let promised = body as u64 + u64::from(size);
            let end = if promised <= bytes.len() as u64 {
                body + size as usize
            } else if streaming && STREAMING_DATA.contains(&size) {
                bytes.len()
            } else {
                return Err(bad(format!(
                    "it is cut short: {} bytes of sound promised, {} there",
                    size,
                    bytes.len() - body
                )));
            };
            let frame = usize::from(channels) * 2;
            let data = &bytes[body..end];
            if !data.len().is_multiple_of(frame) {
                return Err(bad("its sound data ends in the middle of a sample"));
            }
            let samples = data
                .chunks_exact(frame)
                .map(|f| {
                    let sum: f32 = f
                        .chunks_exact(2)
                        .map(|s| f32::from(i16::from_le_bytes([s[0], s[1]])) / 32_768.0)
                        .sum();
                    sum / f32::from(channels)
                })
                .collect();
            return Ok(Speech { rate, samples });
        }
        let next = body as u64 + u64::from(size) + u64::from(size & 1);
        if next > bytes.len() as u64 {
            return Err(bad("a chunk runs past the end"));
        }
        let next = next as usize;
        if id == b"fmt " {
            if format.is_some() {
                return Err(bad("it has two formats"));
            }
            if size < 16 {
                return Err(bad("its format is too short"));
            }
            let tag = u16_at(bytes, body);
            let channels = u16_at(bytes, body + 2);
            let rate = u32_at(bytes, body + 4);
            let byte_rate = u32_at(bytes, body + 8);
            let block_align = u16_at(bytes, body + 12);
            let bits = u16_at(bytes, body + 14);
            if tag != 1 {
                return Err(bad(format!("its samples are not plain PCM (format {tag})")));
            }
            if bits != 16 {
                return Err(bad(format!("its samples have {bits} bits, not 16")));
            }
            if !(1..=2).contains(&channels) {
                return Err(bad(format!("it has {channels} channels")));
            }
            if !(8_000..=96_000).contains(&rate) {
                return Err(bad(format!("its rate is {rate} Hz")));
            }
            if u32::from(block_align) != u32::from(channels) * 2
                || byte_rate != rate * u32::from(block_align)
            {
                return Err(bad("its format does not add up"));
            }
            format = Some((channels, rate));
        }
        at = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV file: `rate`, `channels`, 16-bit samples, with the sizes given (None: the
    /// true ones).
    fn wav(rate: u32, channels: u16, samples: &[i16], sizes: Option<(u32, u32)>) -> Vec<u8> {
        let data_len = (samples.len() * 2) as u32;
        let (riff, data) = sizes.unwrap_or((36 + data_len, data_len));
        let mut b = b"RIFF".to_vec();
        b.extend_from_slice(&riff.to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
        b.extend_from_slice(&(channels * 2).to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data.to_le_bytes());
        for s in samples {
            b.extend_from_slice(&s.to_le_bytes());
        }
        b
    }

    fn refused(bytes: &[u8], why: &str) {
        match parse_wav(bytes) {
            Err(SpeechError::BadWav(e)) => assert!(e.contains(why), "{e:?} should say {why:?}"),
            other => panic!("{other:?} should be refused for {why:?}"),
        }
    }

    #[test]
    fn a_plain_wav_is_read_as_mono_samples() {
        let speech = parse_wav(&wav(22_050, 1, &[0, 16_384, -32_768, 32_767], None)).unwrap();
        assert_eq!(speech.rate, 22_050);
        assert_eq!(speech.samples, [0.0, 0.5, -1.0, 32_767.0 / 32_768.0]);
        let stereo = parse_wav(&wav(48_000, 2, &[16_384, 0, -16_384, -16_384], None)).unwrap();
        assert_eq!(stereo.samples, [0.25, -0.5], "stereo is mixed to mono");
        assert_eq!(
            Speech {
                rate: 4,
                samples: vec![0.0; 6]
            }
            .duration(),
            Duration::from_millis(1_500)
        );
    }

    #[test]
    fn a_wav_written_to_a_pipe_runs_to_its_end() {
        // What `espeak-ng --stdout` writes: it cannot go back to fill in the sizes.
        let piped = wav(22_050, 1, &[1, 2, 3], Some((0x7FFF_F024, 0x7FFF_F000)));
        assert_eq!(parse_wav(&piped).unwrap().samples.len(), 3);
        let ones = wav(22_050, 1, &[1, 2], Some((u32::MAX, u32::MAX)));
        assert_eq!(parse_wav(&ones).unwrap().samples.len(), 2);
    }

    #[test]
    fn other_chunks_are_skipped_but_must_fit() {
        let plain = wav(16_000, 1, &[100, 200], None);
        let mut with_list = plain[..36].to_vec();
        with_list.extend_from_slice(b"LIST");
        with_list.extend_from_slice(&3u32.to_le_bytes());
        with_list.extend_from_slice(b"abc\0"); // three bytes and the pad byte
        with_list.extend_from_slice(&plain[36..]);
        let riff = (with_list.len() - 8) as u32;
        with_list[4..8].copy_from_slice(&riff.to_le_bytes());
        assert_eq!(parse_wav(&with_list).unwrap().samples.len(), 2);
        with_list[40..44].copy_from_slice(&1_000u32.to_le_bytes());
        refused(&with_list, "runs past the end");
    }

    #[test]
    fn anything_else_is_refused_with_what_is_wrong() {
        let good = wav(22_050, 1, &[1, 2, 3, 4], None);
        refused(b"", "not a WAV");
        refused(b"RIFX\0\0\0\0WAVE", "not a WAV");
        refused(
            &[b"RIFF".as_slice(), &[4, 0, 0, 0], b"AVI "].concat(),
            "not a WAV",
        );
        refused(&good[..good.len() - 2], "says it holds");
        let mut cut = good[..good.len() - 2].to_vec();
        let riff = (cut.len() - 8) as u32;
        cut[4..8].copy_from_slice(&riff.to_le_bytes());
        refused(&cut, "cut short");
        let mut odd = wav(22_050, 1, &[1, 2], None);
        odd.push(0);
        let riff = (odd.len() - 8) as u32;
        odd[4..8].copy_from_slice(&riff.to_le_bytes());
        let data = (odd.len() - 44) as u32;
        odd[40..44].copy_from_slice(&data.to_le_bytes());
        refused(&odd, "middle of a sample");
        let with = |at: usize, value: &[u8]| {
            let mut b = good.clone();
            b[at..at + value.len()].copy_from_slice(value);
            b
        };
        refused(&with(20, &3u16.to_le_bytes()), "not plain PCM");
        refused(&with(34, &8u16.to_le_bytes()), "8 bits");
        refused(&with(22, &0u16.to_le_bytes()), "0 channels");
        refused(&with(22, &6u16.to_le_bytes()), "6 channels");
        refused(&with(24, &4_000u32.to_le_bytes()), "4000 Hz");
        refused(&with(32, &4u16.to_le_bytes()), "does not add up");
        refused(&with(16, &8u32.to_le_bytes()), "too short");
        refused(&with(12, b"junk"), "before its format");
        let mut no_data = good[..36].to_vec();
        no_data[4..8].copy_from_slice(&28u32.to_le_bytes());
        refused(&no_data, "no sound data");
        refused(&vec![0u8; MAX_WAV_BYTES + 1], "more than");
    }

    #[test]
    fn each_language_has_its_voice_and_nothing_is_not_read() {
        assert_eq!(
            Language::ALL.map(voice),
            ["nl", "fr-be", "en-gb"],
            "Belgian French"
        );
        let missing = OsStr::new("/nonexistent/espeak-ng");
        assert!(matches!(
            synthesize_with(missing, "  \n ", Language::Nl),
            Err(SpeechError::Empty)
        ));
        assert!(matches!(
            synthesize_with(missing, "...!", Language::Nl),
            Err(SpeechError::Empty)
        ));
        let long = "a ".repeat(MAX_TEXT_CHARS);
        assert!(matches!(
            synthesize_with(missing, &long, Language::Nl),
            Err(SpeechError::TooLong(n)) if n == 2 * MAX_TEXT_CHARS - 1
        ));
    }

    #[test]
    fn a_missing_engine_is_said_in_plain_words() {
        let missing = OsStr::new("/nonexistent/espeak-ng");
        let e = synthesize_with(missing, "Goedemiddag", Language::Nl).unwrap_err();
        assert!(matches!(e, SpeechError::NotInstalled(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "read-aloud is not installed on this tablet: the program /nonexistent/espeak-ng is missing"
        );
    }

    #[test]
    fn an_engine_that_fails_says_why() {
        // `false` takes the same arguments and stops with an error, writing nothing.
        let e = synthesize_with(OsStr::new("false"), "Goedemiddag", Language::Nl).unwrap_err();
        assert!(matches!(e, SpeechError::Engine(_)), "{e:?}");
        // `cat` answers with the text itself: not a WAV.
        let e = synthesize_with(OsStr::new("cat"), "Goedemiddag", Language::Nl);
        assert!(matches!(
            e,
            Err(SpeechError::Engine(_) | SpeechError::BadWav(_))
        ));
    }
}
