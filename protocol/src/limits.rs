//! Size limits. A receiver checks the payload size before it parses anything, then the
//! limits per field after parsing; a message over a limit is refused, never truncated.

/// Largest MQTT payload on any Nabij topic, in bytes (1.5 MiB). The broker is configured
/// with the same limit, so larger payloads never reach the hub or a kiosk.
pub const MAX_PAYLOAD_BYTES: usize = 1_572_864;

/// Largest MQTT packet a client may send or the broker passes on, in bytes: the largest
/// payload plus 4 KiB for the fixed header, topic and packet id. The broker
/// (`max_packet_size`) closes the connection of a client that sends a larger packet, so a
/// kiosk MUST stay under it; a payload between a topic's limit and this one reaches the
/// hub, which answers `rejected` / `too_large`.
pub const MAX_PACKET_BYTES: usize = MAX_PAYLOAD_BYTES + 4_096;

/// Largest payload on a status topic, in bytes: status is small and retained.
pub const MAX_STATUS_PAYLOAD_BYTES: usize = 4_096;

/// Largest payload on an enrolment topic, in bytes: a pairing tablet is not trusted yet.
pub const MAX_ENROL_PAYLOAD_BYTES: usize = 4_096;

/// Longest chat text, diary text or note, in Unicode scalar values.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// Longest name (of a person, place or device model), in Unicode scalar values.
pub const MAX_NAME_CHARS: usize = 80;

/// Longest voice note, in milliseconds (two minutes).
pub const MAX_VOICE_MILLIS: u32 = 120_000;

/// Largest voice note, in bytes after base64 decoding (Ogg Opus, about 24 kbit/s for 2 min).
pub const MAX_VOICE_BYTES: usize = 393_216;

/// Largest photo, in bytes after base64 decoding.
pub const MAX_PHOTO_BYTES: usize = 1_048_576;

/// Largest photo side, in pixels.
pub const MAX_PHOTO_SIDE_PX: u32 = 8_192;

/// Largest contact photo (a thumbnail), in bytes after base64 decoding.
pub const MAX_THUMBNAIL_BYTES: usize = 32_768;

/// Most ids in one `ack` or `receipt`.
pub const MAX_IDS_PER_MESSAGE: usize = 256;

/// Most contacts on one tablet.
pub const MAX_CONTACTS: usize = 200;

/// Most steps of a questionnaire's scale (the only buttons on its screen besides Home and
/// Help).
pub const MAX_CHOICES: usize = 6;
/// Most answer choices of a diary prompt: with "Next" and "Read aloud" its screen holds
/// six buttons, the most a senior's screen has.
pub const MAX_DIARY_CHOICES: usize = 4;
/// Most people named in one diary answer.
pub const MAX_PEOPLE_NAMED: usize = 20;
/// Most questions in one questionnaire.
pub const MAX_SURVEY_ITEMS: usize = 12;
