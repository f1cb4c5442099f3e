//! Voice notes as they travel: Ogg Opus (RFC 7845), mono, speech at 16 kHz and about
//! 16 kbit/s, so the protocol's two minutes fit well under its byte limit. Recording past
//! the limit is cut, never sent whole; a received note that breaks the rules is refused.

use crate::audio::{ResampleError, resample};
use crate::state::Effect;
use nabij_protocol::base64::Base64Bytes;
use nabij_protocol::limits::{MAX_VOICE_BYTES, MAX_VOICE_MILLIS};
use nabij_protocol::{Audio, AudioCodec};

/// The rate voice notes are encoded and decoded at.
pub const RATE: u32 = 16_000;

/// One Opus frame: 20 ms at 16 kHz.
const FRAME: usize = 320;

/// Ogg Opus counts positions at 48 kHz whatever the rate: three per sample here.
const GRANULE_PER_SAMPLE: u64 = 3;

/// The bit rate for speech.
const BITRATE: i32 = 16_000;

/// The Ogg stream's serial number ("Nabj"); one stream per file.
const SERIAL: u32 = 0x4E61_626A;

/// Why a voice note cannot be made or played.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    /// Nothing was recorded.
    #[error("nothing was recorded")]
    Empty,
    /// Encoded, it is over the protocol's byte limit.
    #[error("the voice note is {0} bytes; at most {MAX_VOICE_BYTES} can be sent")]
    TooLarge(usize),
    /// Longer than the protocol allows.
    #[error("the voice note lasts longer than {} seconds", MAX_VOICE_MILLIS / 1000)]
    TooLong,
    /// Not Ogg Opus as this tablet writes and reads it.
    #[error("the voice note cannot be read: {0}")]
    Malformed(String),
    /// The codec failed.
    #[error("the voice codec failed: {0}")]
    Codec(String),
    /// The recording could not be brought to the notes' rate.
    #[error(transparent)]
    Resample(#[from] ResampleError),
}

fn codec(e: opus::Error) -> VoiceError {
    VoiceError::Codec(e.to_string())
}

fn malformed(what: impl Into<String>) -> VoiceError {
    VoiceError::Malformed(what.into())
}

/// Most samples (at `RATE`) a voice note may hold.
fn max_samples() -> usize {
    (u64::from(MAX_VOICE_MILLIS) * u64::from(RATE) / 1000) as usize
}

fn opus_head(pre_skip: u16) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(1); // channels: mono
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&RATE.to_le_bytes()); // the rate it was recorded at
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // channel mapping family 0: mono or stereo
    head
}

fn opus_tags() -> Vec<u8> {
    let vendor = b"nabij-kiosk";
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor);
    tags.extend_from_slice(&0u32.to_le_bytes()); // no comments
    tags
}

/// Encodes mono samples recorded at `rate` into an Ogg Opus voice note, cut at the
/// protocol's two minutes.
pub fn encode(samples: &[f32], rate: u32) -> Result<Audio, VoiceError> {
    let mut pcm = resample(samples, rate, RATE)?;
    pcm.truncate(max_samples());
    if pcm.is_empty() {
        return Err(VoiceError::Empty);
    }
    let mut encoder =
        opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Voip).map_err(codec)?;
    encoder
        .set_bitrate(opus::Bitrate::Bits(BITRATE))
        .map_err(codec)?;
    let lookahead = u64::try_from(encoder.get_lookahead().map_err(codec)?).unwrap_or(0);
    let pre_skip = lookahead * GRANULE_PER_SAMPLE;
    let mut out = Vec::new();
    {
        let mut writer = ogg::PacketWriter::new(&mut out);
        let io = |e: std::io::Error| VoiceError::Codec(e.to_string());
        writer
            .write_packet(
                opus_head(u16::try_from(pre_skip).unwrap_or(u16::MAX)),
                SERIAL,
                ogg::PacketWriteEndInfo::EndPage,
                0,
            )
            .map_err(io)?;
        writer
            .write_packet(opus_tags(), SERIAL, ogg::PacketWriteEndInfo::EndPage, 0)
            .map_err(io)?;
        // The encoder's look-ahead delays the sound: feed that much silence at the end
        // so the last words are not lost, and tell players (pre-skip) to drop the start.
        let total = pcm.len() as u64;
        pcm.resize(pcm.len() + lookahead as usize, 0.0);
        let frames = pcm.len().div_ceil(FRAME);
        let mut packet = vec![0u8; 4_000];
        for (i, chunk) in pcm.chunks(FRAME).enumerate() {
            let mut frame = [0.0f32; FRAME];
            frame[..chunk.len()].copy_from_slice(chunk);
            let len = encoder.encode_float(&frame, &mut packet).map_err(codec)?;
            let last = i + 1 == frames;
            // The last page's position marks the true end, trimming the padding.
            let granule = if last {
                pre_skip + total * GRANULE_PER_SAMPLE
            } else {
                ((i as u64 + 1) * FRAME as u64) * GRANULE_PER_SAMPLE
            };
            let end = if last {
                ogg::PacketWriteEndInfo::EndStream
            } else {
                ogg::PacketWriteEndInfo::NormalPacket
            };
            writer
                .write_packet(packet[..len].to_vec(), SERIAL, end, granule)
                .map_err(io)?;
        }
    }
    if out.len() > MAX_VOICE_BYTES {
        return Err(VoiceError::TooLarge(out.len()));
    }
    let total = samples_for(samples.len(), rate).min(max_samples());
    let duration_ms = u32::try_from((total as u64 * 1000 / u64::from(RATE)).max(1))
        .unwrap_or(MAX_VOICE_MILLIS)
        .min(MAX_VOICE_MILLIS);
    Ok(Audio {
        codec: AudioCodec::OggOpus,
        duration_ms,
        data: Base64Bytes(out),
    })
}

/// How many samples at `RATE` `len` samples at `rate` make.
fn samples_for(len: usize, rate: u32) -> usize {
    if rate == 0 {
        return 0;
    }
    (len as u64 * u64::from(RATE) / u64::from(rate)) as usize
}

/// Decodes a voice note into mono samples at [`RATE`].
pub fn decode(audio: &Audio) -> Result<Vec<f32>, VoiceError> {
    if audio.data.0.len() > MAX_VOICE_BYTES {
        return Err(VoiceError::TooLarge(audio.data.0.len()));
    }
    let mut reader = ogg::PacketReader::new(std::io::Cursor::new(&audio.data.0));
    let mut next = || {
        reader
            .read_packet()
            .map_err(|e| malformed(format!("not an Ogg stream ({e})")))
    };
    let head = next()?.ok_or_else(|| malformed("it is empty"))?;
    let head = head.data;
    if head.len() < 19 || &head[..8] != b"OpusHead" || head[8] != 1 {
        return Err(malformed("it is not Ogg Opus"));
    }
    let channels = match head[9] {
        1 => opus::Channels::Mono,
        2 => opus::Channels::Stereo,
        n => return Err(malformed(format!("it has {n} channels"))),
    };
    let width = if channels == opus::Channels::Mono {
        1
    } else {
        2
    };
    let pre_skip = u64::from(u16::from_le_bytes([head[10], head[11]])) / GRANULE_PER_SAMPLE;
    let tags = next()?.ok_or_else(|| malformed("it has no OpusTags"))?;
    if tags.data.len() < 8 || &tags.data[..8] != b"OpusTags" {
        return Err(malformed("it has no OpusTags"));
    }
    let mut decoder = opus::Decoder::new(RATE, channels).map_err(codec)?;
    // The longest Opus packet is 120 ms.
    let mut buffer = vec![0.0f32; (RATE as usize / 1000) * 120 * width];
    let mut pcm = Vec::new();
    let mut end = None;
    while let Some(packet) = next()? {
        let n = decoder
            .decode_float(&packet.data, &mut buffer, false)
            .map_err(codec)?;
        for frame in buffer[..n * width].chunks(width) {
            pcm.push(frame.iter().sum::<f32>() / width as f32);
        }
        if packet.last_in_page() {
            end = Some(packet.absgp_page());
        }
        if pcm.len() > max_samples() + pre_skip as usize + RATE as usize {
            return Err(VoiceError::TooLong);
        }
    }
    // The last position says where the sound ends; the pre-skip where it starts.
    if let Some(end) = end {
        let end = (end / GRANULE_PER_SAMPLE) as usize;
        pcm.truncate(end.min(pcm.len()));
    }
    let skip = (pre_skip as usize).min(pcm.len());
    pcm.drain(..skip);
    Ok(pcm)
}

/// Whether an effect sends the last recording (and does not carry it yet).
pub fn wants_recording(effect: &Effect) -> bool {
    matches!(
        effect,
        Effect::SendVoice { audio: None, .. }
            | Effect::SendDiary {
                with_voice: true,
                voice: None,
                ..
            }
    )
}

/// Encodes a recording once and puts it into every effect that sends it. If it cannot
/// be encoded they stay without it, and the message shows "Not sent".
pub fn attach_recording(mut effects: Vec<Effect>, samples: &[f32], rate: u32) -> Vec<Effect> {
    let encoded = match encode(samples, rate) {
        Ok(audio) => Some(Box::new(audio)),
        Err(e) => {
            eprintln!("nabij-kiosk: the voice note cannot be sent: {e}");
            None
        }
    };
    for effect in effects.iter_mut().filter(|e| wants_recording(e)) {
        match effect {
            Effect::SendVoice { audio, .. } => audio.clone_from(&encoded),
            Effect::SendDiary { voice, .. } => voice.clone_from(&encoded),
            _ => {}
        }
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(seconds: f32, rate: u32) -> Vec<f32> {
        let n = (seconds * rate as f32) as usize;
        (0..n)
            .map(|i| 0.4 * (2.0 * std::f32::consts::PI * 300.0 * i as f32 / rate as f32).sin())
            .collect()
    }

    fn energy(samples: &[f32]) -> f32 {
        samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32
    }

    #[test]
    fn a_recording_survives_encoding_small_and_with_its_length() {
        let recorded = tone(3.0, 44_100);
        let audio = encode(&recorded, 44_100).unwrap();
        assert_eq!(audio.duration_ms, 3_000);
        assert!(
            audio.data.0.len() < 8_000,
            "about 16 kbit/s: {} bytes for 3 s",
            audio.data.0.len()
        );
        assert!(audio.data.0.starts_with(b"OggS"));
        let back = decode(&audio).unwrap();
        assert_eq!(back.len(), 3 * RATE as usize, "exactly as long as recorded");
        let (sent, got) = (
            energy(&resample(&recorded, 44_100, RATE).unwrap()),
            energy(&back),
        );
        assert!(
            (got / sent - 1.0).abs() < 0.3,
            "the voice is still there: {got} vs {sent}"
        );
    }

    #[test]
    fn recording_is_cut_at_two_minutes_and_garbage_is_refused() {
        let long = vec![0.0f32; (RATE as usize) * 130];
        let audio = encode(&long, RATE).unwrap();
        assert_eq!(audio.duration_ms, MAX_VOICE_MILLIS);
        assert!(audio.data.0.len() <= MAX_VOICE_BYTES);
        assert!(matches!(encode(&[], RATE), Err(VoiceError::Empty)));
        let garbage = Audio {
            codec: AudioCodec::OggOpus,
            duration_ms: 1_000,
            data: Base64Bytes(b"OggS not really".to_vec()),
        };
        assert!(decode(&garbage).is_err());
        let mut cut = encode(&tone(1.0, RATE), RATE).unwrap();
        cut.data.0.truncate(40);
        assert!(decode(&cut).is_err(), "a note cut short is refused");
    }

    #[test]
    fn the_last_recording_goes_with_the_voice_note_and_the_diary_answer() {
        let to = nabij_protocol::PersonId::parse("p-anna").unwrap();
        let effects = vec![
            Effect::SendVoice {
                to: to.clone(),
                audio: None,
            },
            Effect::SendDiary {
                prompt: nabij_protocol::PromptId::parse("q-week-01").unwrap(),
                choices: Vec::new(),
                people: Vec::new(),
                text: None,
                with_voice: true,
                voice: None,
                share_with_group: false,
            },
            Effect::Chime,
        ];
        let done = attach_recording(effects.clone(), &tone(1.5, 48_000), 48_000);
        assert!(
            matches!(&done[0], Effect::SendVoice { audio: Some(a), .. } if a.duration_ms == 1_500)
        );
        assert!(matches!(&done[1], Effect::SendDiary { voice: Some(_), .. }));
        assert_eq!(done[2], Effect::Chime);
        assert!(!done.iter().any(wants_recording));
        let nothing = attach_recording(effects, &[], 48_000);
        assert!(
            matches!(&nothing[0], Effect::SendVoice { audio: None, .. }),
            "no recording, nothing sent"
        );
    }
}
