//! The body of every message kind. Field rules (lengths, ranges) are checked by
//! [`Validate`]; serde checks types and ids. New optional fields must be `#[serde(default)]`
//! so that older receivers and senders keep understanding each other.

use crate::base64::Base64Bytes;
use crate::ids::{
    ChoiceId, DeviceId, MessageId, PersonId, PromptId, Recipient, SessionId, SurveyId,
};
use crate::limits::*;
use crate::time::UnixMillis;
use serde::{Deserialize, Serialize};

/// A field that breaks a rule of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field's path inside the body, e.g. `text` or `choices[2].label.nl`.
    pub field: String,
    /// The rule it broke, in plain words.
    pub reason: String,
}

/// Checks the rules serde cannot express (lengths, ranges, counts).
pub trait Validate {
    /// Returns the first broken rule, if any.
    fn validate(&self) -> Result<(), Invalid>;
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Result<(), Invalid> {
    Err(Invalid {
        field: field.into(),
        reason: reason.into(),
    })
}

fn check_text(field: &str, text: &str, max_chars: usize, allow_empty: bool) -> Result<(), Invalid> {
    if !allow_empty && text.trim().is_empty() {
        return invalid(field, "must not be empty");
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return invalid(
            field,
            format!("has {chars} characters; at most {max_chars} are allowed"),
        );
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return invalid(
            field,
            "must not contain control characters other than a line break",
        );
    }
    Ok(())
}

/// A name that is one line by its nature (a tablet model, a version): no control
/// characters at all, not even a line break. Coaches read these in one-line listings
/// (`nabij-hub device list`), where a line break would make a row of its own.
fn check_line(field: &str, text: &str, max_chars: usize) -> Result<(), Invalid> {
    check_text(field, text, max_chars, false)?;
    if text.contains('\n') {
        return invalid(field, "must be one line: no line break");
    }
    Ok(())
}

fn check_count(field: &str, count: usize, max: usize) -> Result<(), Invalid> {
    if count > max {
        return invalid(
            field,
            format!("has {count} entries; at most {max} are allowed"),
        );
    }
    Ok(())
}

fn check_percent(field: &str, value: Option<u8>, min: u8, max: u8) -> Result<(), Invalid> {
    match value {
        Some(v) if !(min..=max).contains(&v) => {
            invalid(field, format!("is {v}; it must be between {min} and {max}"))
        }
        _ => Ok(()),
    }
}

/// Text in the project's languages. Dutch is required; French and English are optional
/// and a kiosk falls back to Dutch when its language is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    /// Dutch (Flemish).
    pub nl: String,
    /// French.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fr: Option<String>,
    /// English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Localized {
    fn check(&self, field: &str, max_chars: usize) -> Result<(), Invalid> {
        check_text(&format!("{field}.nl"), &self.nl, max_chars, false)?;
        for (lang, text) in [("fr", &self.fr), ("en", &self.en)] {
            if let Some(text) = text {
                check_text(&format!("{field}.{lang}"), text, max_chars, false)?;
            }
        }
        Ok(())
    }
}

/// A recorded sound: Ogg Opus (RFC 7845), mono.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audio {
    /// Container and codec; only `ogg_opus` exists today.
    pub codec: AudioCodec,
    /// Length in milliseconds, 1..=120000.
    pub duration_ms: u32,
    /// The encoded file, base64.
    pub data: Base64Bytes,
}

impl Audio {
    fn check(&self, field: &str) -> Result<(), Invalid> {
        if self.duration_ms == 0 || self.duration_ms > MAX_VOICE_MILLIS {
            return invalid(
                format!("{field}.duration_ms"),
                format!(
                    "is {}; it must be 1 to {MAX_VOICE_MILLIS}",
                    self.duration_ms
                ),
            );
        }
        if self.data.is_empty() || self.data.len() > MAX_VOICE_BYTES {
            return invalid(
                format!("{field}.data"),
                format!(
                    "is {} bytes; it must be 1 to {MAX_VOICE_BYTES}",
                    self.data.len()
                ),
            );
        }
        Ok(())
    }
}

/// How a sound is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioCodec {
    /// Opus in an Ogg container (`audio/ogg; codecs=opus`).
    OggOpus,
}

/// A chat text from one person to another (or, from the hub, to a group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextMessage {
    /// Who it is for. A kiosk may only write to a person on its contact list.
    pub to: Recipient,
    /// Who wrote it. Absent on what a kiosk sends (the hub knows the device's owner);
    /// always set by the hub on what it delivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<PersonId>,
    /// The text, 1..=2000 characters.
    pub text: String,
}

impl Validate for TextMessage {
    fn validate(&self) -> Result<(), Invalid> {
        check_text("text", &self.text, MAX_TEXT_CHARS, false)
    }
}

/// A voice note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceNote {
    /// Who it is for.
    pub to: Recipient,
    /// Who recorded it; set by the hub, as for [`TextMessage::author`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<PersonId>,
    /// The recording.
    pub audio: Audio,
}

impl Validate for VoiceNote {
    fn validate(&self) -> Result<(), Invalid> {
        self.audio.check("audio")
    }
}

/// A photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// Who it is for.
    pub to: Recipient,
    /// Who sent it; set by the hub, as for [`TextMessage::author`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<PersonId>,
    /// The image format.
    pub mime: ImageMime,
    /// Width in pixels, 1..=8192.
    pub width: u32,
    /// Height in pixels, 1..=8192.
    pub height: u32,
    /// A line of text shown under the photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The encoded image, base64, at most 1 MiB decoded.
    pub data: Base64Bytes,
}

impl Validate for Photo {
    fn validate(&self) -> Result<(), Invalid> {
        for (field, side) in [("width", self.width), ("height", self.height)] {
            if side == 0 || side > MAX_PHOTO_SIDE_PX {
                return invalid(
                    field,
                    format!("is {side}; it must be 1 to {MAX_PHOTO_SIDE_PX}"),
                );
            }
        }
        if let Some(caption) = &self.caption {
            check_text("caption", caption, MAX_NAME_CHARS * 2, true)?;
        }
        if self.data.is_empty() || self.data.len() > MAX_PHOTO_BYTES {
            return invalid(
                "data",
                format!(
                    "is {} bytes; it must be 1 to {MAX_PHOTO_BYTES}",
                    self.data.len()
                ),
            );
        }
        Ok(())
    }
}

/// An image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageMime {
    /// JPEG.
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// PNG.
    #[serde(rename = "image/png")]
    Png,
}

/// "These messages are stored by me; stop sending them." Sent in both directions; never
/// itself acknowledged or kept in an outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The acknowledged message ids, 1..=256.
    pub ids: Vec<MessageId>,
}

impl Validate for Ack {
    fn validate(&self) -> Result<(), Invalid> {
        if self.ids.is_empty() {
            return invalid("ids", "must name at least one message");
        }
        check_count("ids", self.ids.len(), MAX_IDS_PER_MESSAGE)
    }
}

/// What became of a chat message, told to its sender ("Delivered", "Seen").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The chat messages concerned, 1..=256.
    pub ids: Vec<MessageId>,
    /// How far they got.
    pub state: ReceiptState,
    /// Who received or saw them; set by the hub on what it delivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<PersonId>,
}

impl Validate for Receipt {
    fn validate(&self) -> Result<(), Invalid> {
        Ack {
            ids: self.ids.clone(),
        }
        .validate()
    }
}

/// How far a chat message got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptState {
    /// Stored on the recipient's tablet.
    Delivered,
    /// Opened by the recipient.
    Seen,
}

/// The hub refused a message. For every reason but [`RejectReason::RateLimited`] the
/// refusal is final: the sender removes the message from its outbox and shows the reason.
/// `rate_limited` is "not now": the sender keeps it and sends it again after
/// `retry_after_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// The refused message.
    pub id: MessageId,
    /// Why, as a code the kiosk turns into plain words.
    pub reason: RejectReason,
    /// Details for logs and coaches; never shown to a senior.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// With `rate_limited`: milliseconds to wait before sending it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl Rejected {
    /// Whether the sender gives the message up (every reason but `rate_limited`).
    pub fn is_final(&self) -> bool {
        self.reason != RejectReason::RateLimited
    }
}

impl Validate for Rejected {
    fn validate(&self) -> Result<(), Invalid> {
        match &self.detail {
            Some(detail) => check_text("detail", detail, MAX_TEXT_CHARS, true),
            None => Ok(()),
        }
    }
}

/// Why the hub refused a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The recipient is not on the sender's approved contact list.
    NotAContact,
    /// Over a size limit.
    TooLarge,
    /// Not valid JSON, a missing field, or a field that breaks a rule.
    Malformed,
    /// A kind this hub does not know (sent by a newer kiosk).
    UnknownKind,
    /// A kind that may not be sent on this topic.
    WrongTopic,
    /// A `v` this hub does not speak.
    UnsupportedVersion,
    /// The `from` field does not match the topic.
    ForgedSender,
    /// The device is not lent to anyone, or is switched off.
    NotEnrolled,
    /// Not now: the tablet sent too much in a short time. Not final: the sender keeps the
    /// message and sends it again after `retry_after_ms`.
    RateLimited,
    /// The tablet keeps as much at the hub as it may (its stored quota); final.
    QuotaExceeded,
    /// A reason from a newer hub.
    #[serde(other)]
    Other,
}

/// This week's question about the senior's network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiaryPrompt {
    /// Which prompt.
    pub prompt_id: PromptId,
    /// The question.
    pub question: Localized,
    /// Answers to tap, at most 4.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// The choices are moods, drawn as faces: the first smiling, the second level, the
    /// third frowning (then there are exactly three).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub faces: bool,
    /// May the senior name people from their contacts (say, who they talked to)?
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub people: bool,
    /// May the senior answer in their own words?
    #[serde(default)]
    pub allow_text: bool,
    /// May the senior answer with a voice note?
    #[serde(default)]
    pub allow_voice: bool,
    /// The question read aloud, if someone recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Audio>,
    /// When the prompt stops accepting answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_before: Option<UnixMillis>,
}

/// One answer to tap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The answer's id, sent back in [`DiaryAnswer::choices`].
    pub id: ChoiceId,
    /// What the button says.
    pub label: Localized,
}

impl Validate for DiaryPrompt {
    fn validate(&self) -> Result<(), Invalid> {
        self.question.check("question", MAX_TEXT_CHARS)?;
        check_count("choices", self.choices.len(), MAX_DIARY_CHOICES)?;
        if self.faces && self.choices.len() != 3 {
            return invalid(
                "faces",
                format!(
                    "drawn faces need exactly 3 choices; there are {}",
                    self.choices.len()
                ),
            );
        }
        for (i, choice) in self.choices.iter().enumerate() {
            choice
                .label
                .check(&format!("choices[{i}].label"), MAX_NAME_CHARS)?;
        }
        if self.choices.is_empty() && !self.people && !self.allow_text && !self.allow_voice {
            return invalid(
                "choices",
                "a prompt needs choices, people, text or voice to answer with",
            );
        }
        match &self.audio {
            Some(audio) => audio.check("audio"),
            None => Ok(()),
        }
    }
}

/// The senior's answer to a diary prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiaryAnswer {
    /// Which prompt is answered.
    pub prompt_id: PromptId,
    /// The tapped choices.
    #[serde(default)]
    pub choices: Vec<ChoiceId>,
    /// The people the senior named, from their contacts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<PersonId>,
    /// An answer in the senior's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A spoken answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<Audio>,
    /// Who may read it.
    pub share: Share,
}

impl Validate for DiaryAnswer {
    fn validate(&self) -> Result<(), Invalid> {
        check_count("choices", self.choices.len(), MAX_DIARY_CHOICES)?;
        check_count("people", self.people.len(), MAX_PEOPLE_NAMED)?;
        if let Some(text) = &self.text {
            check_text("text", text, MAX_TEXT_CHARS, false)?;
        }
        if let Some(voice) = &self.voice {
            voice.check("voice")?;
        }
        if self.choices.is_empty()
            && self.people.is_empty()
            && self.text.is_none()
            && self.voice.is_none()
        {
            return invalid(
                "choices",
                "an answer needs a choice, a person, a text or a voice note",
            );
        }
        Ok(())
    }
}

/// Who may read a diary answer. Staff only ever see figures, unless the senior shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Share {
    /// Only the senior; the hub counts it but keeps its content unread.
    OnlyMe,
    /// The senior's group and coach, for the discussion at the next encounter.
    MyGroup,
}

/// Which part of the programme a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionSeries {
    /// One of the 10 weekly encounters.
    Weekly,
    /// One of the 10 monthly ICT support meetings.
    Monthly,
}

/// A meeting that is coming up; the kiosk shows it in the agenda and as a reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingReminder {
    /// Which session.
    pub session_id: SessionId,
    /// Weekly encounter or monthly support meeting.
    pub series: SessionSeries,
    /// Its number in the series, 1..=10.
    pub number: u8,
    /// Start.
    pub starts_at: UnixMillis,
    /// End.
    pub ends_at: UnixMillis,
    /// The place's name, e.g. "Buurthuis De Schelp".
    pub place: String,
    /// The street address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// When transport picks the senior up, if it is arranged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_at: Option<UnixMillis>,
}

impl Validate for MeetingReminder {
    fn validate(&self) -> Result<(), Invalid> {
        if !(1..=10).contains(&self.number) {
            return invalid("number", format!("is {}; it must be 1 to 10", self.number));
        }
        if self.ends_at <= self.starts_at {
            return invalid("ends_at", "must be after starts_at");
        }
        check_text("place", &self.place, MAX_NAME_CHARS, false)?;
        if let Some(address) = &self.address {
            check_text("address", address, MAX_NAME_CHARS * 2, false)?;
        }
        Ok(())
    }
}

/// The senior's answer to a meeting reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rsvp {
    /// Which session.
    pub session_id: SessionId,
    /// Coming or not.
    pub answer: RsvpAnswer,
}

impl Validate for Rsvp {
    fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

/// "I'm coming" or "I can't come".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RsvpAnswer {
    /// I'm coming.
    Coming,
    /// I can't come.
    NotComing,
}

/// A session moved or was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleChange {
    /// Which session.
    pub session_id: SessionId,
    /// What changed.
    pub change: ScheduleChangeKind,
    /// The new start, when moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<UnixMillis>,
    /// The new end, when moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<UnixMillis>,
    /// The new place, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// The new pick-up time, when transport is arranged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_at: Option<UnixMillis>,
}

impl Validate for ScheduleChange {
    fn validate(&self) -> Result<(), Invalid> {
        if self.change == ScheduleChangeKind::Moved
            && (self.starts_at.is_none() || self.ends_at.is_none())
        {
            return invalid("starts_at", "a moved session needs starts_at and ends_at");
        }
        if let (Some(start), Some(end)) = (self.starts_at, self.ends_at)
            && end <= start
        {
            return invalid("ends_at", "must be after starts_at");
        }
        match &self.place {
            Some(place) => check_text("place", place, MAX_NAME_CHARS, false),
            None => Ok(()),
        }
    }
}

/// What happened to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleChangeKind {
    /// New time or place.
    Moved,
    /// It will not take place.
    Cancelled,
}

/// The senior tapped Help: "please call me".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpRequest {
    /// Optional words from the senior.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Validate for HelpRequest {
    fn validate(&self) -> Result<(), Invalid> {
        match &self.note {
            Some(note) => check_text("note", note, MAX_TEXT_CHARS, true),
            None => Ok(()),
        }
    }
}

/// A coach took up a help request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpReply {
    /// The coach who will call.
    pub coach: PersonId,
    /// The coach's name as the senior knows it.
    pub coach_name: String,
}

impl Validate for HelpReply {
    fn validate(&self) -> Result<(), Invalid> {
        check_text("coach_name", &self.coach_name, MAX_NAME_CHARS, false)
    }
}

/// The daily "how are you today?" answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    /// How the senior feels.
    pub mood: Mood,
}

impl Validate for CheckIn {
    fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

/// The three check-in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mood {
    /// Good.
    Good,
    /// So-so.
    Okay,
    /// Not good: the coaches' follow-up list shows it.
    NotGood,
}

/// A tablet's health, retained on its status topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStatus {
    /// Online or offline (the MQTT last will says offline).
    pub state: Presence,
    /// The kiosk app's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// The firmware profile's name (the tablet model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Battery charge, 0..=100, when the tablet has a battery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_pct: Option<u8>,
    /// Whether it is charging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charging: Option<bool>,
    /// Free storage in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_storage_mb: Option<u64>,
}

impl Validate for DeviceStatus {
    fn validate(&self) -> Result<(), Invalid> {
        check_percent("battery_pct", self.battery_pct, 0, 100)?;
        for (field, text) in [
            ("app_version", &self.app_version),
            ("profile", &self.profile),
        ] {
            if let Some(text) = text {
                check_line(field, text, MAX_NAME_CHARS)?;
            }
        }
        Ok(())
    }
}

/// Online or offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Connected.
    Online,
    /// Disconnected (said by the last will, or on a clean disconnect).
    Offline,
}

/// Settings and identity for the tablet; each `config` replaces the previous one whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceConfig {
    /// The senior's id.
    pub participant: PersonId,
    /// The name the greeting uses.
    pub participant_name: String,
    /// Screen language.
    pub language: Language,
    /// Text size, 100..=150 percent.
    pub text_scale_pct: u8,
    /// Sound volume, 0..=100 percent.
    pub volume_pct: u8,
    /// Screen brightness, 10..=100 percent.
    pub brightness_pct: u8,
    /// The coach the Help screen calls; absent while the hub knows no coach for this
    /// senior (the Help screen then still asks the centre to call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coach: Option<CoachCard>,
    /// Ask "How are you today?" once a day (the check-in), when the coach turned it on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_in: bool,
    /// When meeting reminders come up; absent: [`ReminderTimes::DEFAULT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<ReminderTimes>,
}

/// When a tablet shows a meeting's reminders, in Belgian time. A field left out turns
/// that reminder off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderTimes {
    /// The day before the meeting, from this minute of the day (0–1439; 1080 is 18:00).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_before_at_min: Option<u16>,
    /// This many minutes before the meeting starts (5–720).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_min: Option<u16>,
}

impl ReminderTimes {
    /// The evening before from 18:00, and two hours before.
    pub const DEFAULT: ReminderTimes = ReminderTimes {
        day_before_at_min: Some(18 * 60),
        before_min: Some(120),
    };
    /// The shortest time before a meeting a reminder may come.
    pub const MIN_BEFORE: u16 = 5;
    /// The longest time before a meeting a reminder may come (the day before is its own).
    pub const MAX_BEFORE: u16 = 12 * 60;
}

impl Validate for ReminderTimes {
    fn validate(&self) -> Result<(), Invalid> {
        if let Some(at) = self.day_before_at_min
            && at >= 24 * 60
        {
            return invalid(
                "reminders.day_before_at_min",
                format!("is {at}; a minute of the day is 0–1439"),
            );
        }
        match self.before_min {
            Some(before) if !(Self::MIN_BEFORE..=Self::MAX_BEFORE).contains(&before) => invalid(
                "reminders.before_min",
                format!(
                    "is {before}; it must be between {} and {}",
                    Self::MIN_BEFORE,
                    Self::MAX_BEFORE
                ),
            ),
            _ => Ok(()),
        }
    }
}

impl Validate for DeviceConfig {
    fn validate(&self) -> Result<(), Invalid> {
        check_text(
            "participant_name",
            &self.participant_name,
            MAX_NAME_CHARS,
            false,
        )?;
        check_percent("text_scale_pct", Some(self.text_scale_pct), 100, 150)?;
        check_percent("volume_pct", Some(self.volume_pct), 0, 100)?;
        check_percent("brightness_pct", Some(self.brightness_pct), 10, 100)?;
        if let Some(reminders) = &self.reminders {
            reminders.validate()?;
        }
        let Some(coach) = &self.coach else {
            return Ok(());
        };
        check_text("coach.name", &coach.name, MAX_NAME_CHARS, false)?;
        check_text("coach.phone", &coach.phone, 32, false)?;
        match &coach.photo {
            Some(photo) if photo.len() > MAX_THUMBNAIL_BYTES => invalid(
                "coach.photo",
                format!(
                    "is {} bytes; at most {MAX_THUMBNAIL_BYTES} are allowed",
                    photo.len()
                ),
            ),
            _ => Ok(()),
        }
    }
}

/// A screen language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Dutch (Flemish), the default.
    #[default]
    Nl,
    /// French.
    Fr,
    /// English.
    En,
}

/// The coach shown on the Help screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoachCard {
    /// The coach's id.
    pub person: PersonId,
    /// The coach's name.
    pub name: String,
    /// The phone number to show, as written.
    pub phone: String,
    /// A small JPEG photo, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<Base64Bytes>,
}

/// A questionnaire: questions asked one at a time, each answered by tapping one step of
/// the same scale (say, "yes / more or less / no"). The hub scores the answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Questionnaire {
    /// Which questionnaire; the answer names it.
    pub survey_id: SurveyId,
    /// Its name, as the senior sees it.
    pub title: Localized,
    /// The questions, in the order they are asked: 1–12.
    pub items: Vec<SurveyItem>,
    /// The answers to tap, the same for every question: 2–6.
    pub scale: Vec<Choice>,
}

/// One question of a questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyItem {
    /// Its id within the questionnaire.
    pub id: ChoiceId,
    /// The question.
    pub question: Localized,
}

impl Validate for Questionnaire {
    fn validate(&self) -> Result<(), Invalid> {
        self.title.check("title", MAX_NAME_CHARS)?;
        if self.items.is_empty() {
            return invalid("items", "a questionnaire asks at least one question");
        }
        check_count("items", self.items.len(), MAX_SURVEY_ITEMS)?;
        for (i, item) in self.items.iter().enumerate() {
            item.question
                .check(&format!("items[{i}].question"), MAX_TEXT_CHARS)?;
        }
        if self.scale.len() < 2 {
            return invalid("scale", "has fewer than 2 answers");
        }
        check_count("scale", self.scale.len(), MAX_CHOICES)?;
        for (i, step) in self.scale.iter().enumerate() {
            step.label
                .check(&format!("scale[{i}].label"), MAX_NAME_CHARS)?;
        }
        Ok(())
    }
}

/// A senior's answers to a questionnaire, one per question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionnaireAnswer {
    /// Which questionnaire.
    pub survey_id: SurveyId,
    /// The answers: 1–12, each naming a question and the tapped step of the scale.
    pub answers: Vec<ItemAnswer>,
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemAnswer {
    /// The question.
    pub item: ChoiceId,
    /// The tapped step of the scale.
    pub choice: ChoiceId,
}

impl Validate for QuestionnaireAnswer {
    fn validate(&self) -> Result<(), Invalid> {
        if self.answers.is_empty() {
            return invalid("answers", "has no answer");
        }
        check_count("answers", self.answers.len(), MAX_SURVEY_ITEMS)
    }
}

/// Everyone the senior may write to and receive from; each `contacts` replaces the
/// previous list whole. Only a coach can change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contacts {
    /// The approved contacts, at most 200.
    pub contacts: Vec<Contact>,
    /// People who were erased from the programme, whose earlier messages this tablet may
    /// hold: the kiosk shows those as from "a former participant" ([`FORMER_PARTICIPANT`])
    /// and offers no reply. At most 200; usually absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former: Vec<PersonId>,
}

/// The person id that stands for every erased participant: what a kiosk files their
/// earlier messages under. No name makes this id (names never start with a dash).
pub const FORMER_PARTICIPANT: &str = "p--former-participant";

impl PersonId {
    /// [`FORMER_PARTICIPANT`] as an id.
    pub fn former_participant() -> PersonId {
        PersonId::parse(FORMER_PARTICIPANT).expect("FORMER_PARTICIPANT is a valid person id")
    }
}

/// One approved contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The person.
    pub person: PersonId,
    /// Their name as the senior knows it.
    pub name: String,
    /// How the senior knows them.
    pub role: ContactRole,
    /// A small JPEG photo, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<Base64Bytes>,
}

/// How the senior knows a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// A member of the senior's group.
    GroupMember,
    /// An ICT coach.
    Coach,
    /// A family member or friend a coach added.
    Family,
}

impl Validate for Contacts {
    fn validate(&self) -> Result<(), Invalid> {
        check_count("contacts", self.contacts.len(), MAX_CONTACTS)?;
        check_count("former", self.former.len(), MAX_CONTACTS)?;
        for (i, contact) in self.contacts.iter().enumerate() {
            check_text(
                &format!("contacts[{i}].name"),
                &contact.name,
                MAX_NAME_CHARS,
                false,
            )?;
            if let Some(photo) = &contact.photo
                && photo.len() > MAX_THUMBNAIL_BYTES
            {
                return invalid(
                    format!("contacts[{i}].photo"),
                    format!(
                        "is {} bytes; at most {MAX_THUMBNAIL_BYTES} are allowed",
                        photo.len()
                    ),
                );
            }
        }
        Ok(())
    }
}

/// A message with no fields: `wipe` and `revoked`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

impl Validate for Empty {
    fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

/// A fresh tablet asks to be paired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolHello {
    /// The firmware profile's name (the tablet model).
    pub profile: String,
    /// The kiosk app's version.
    pub app_version: String,
    /// A stable id of the hardware that survives a wipe (e.g. a hash of the board's serial
    /// number), so that the loan register can follow one tablet across loans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_id: Option<String>,
}

impl Validate for EnrolHello {
    fn validate(&self) -> Result<(), Invalid> {
        check_line("profile", &self.profile, MAX_NAME_CHARS)?;
        check_line("app_version", &self.app_version, MAX_NAME_CHARS)?;
        if let Some(id) = &self.hardware_id {
            let ok = (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return invalid(
                    "hardware_id",
                    "must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'",
                );
            }
        }
        Ok(())
    }
}

/// The code the tablet shows so that a coach can pair it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingCode {
    /// 6 characters from `ACDEFHJKMNPRTUVWXY3479` (no look-alikes), shown as `ABC-DEF`.
    pub code: String,
    /// When it stops working; the kiosk then sends a new `enrol_hello`.
    pub expires_at: UnixMillis,
}

/// The alphabet of pairing codes: no letters or digits that look alike (0/O, 1/I/L, 2/Z,
/// 5/S, 6/G, 8/B).
pub const PAIRING_ALPHABET: &str = "ACDEFHJKMNPRTUVWXY3479";

/// Length of a pairing code, without its separator.
pub const PAIRING_CODE_LEN: usize = 6;

impl Validate for PairingCode {
    fn validate(&self) -> Result<(), Invalid> {
        let ok = self.code.len() == PAIRING_CODE_LEN
            && self.code.chars().all(|c| PAIRING_ALPHABET.contains(c));
        if ok {
            Ok(())
        } else {
            invalid(
                "code",
                format!("must be {PAIRING_CODE_LEN} characters from {PAIRING_ALPHABET}"),
            )
        }
    }
}

/// The tablet's own identity, sent once, only to the pairing tablet's own topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolGranted {
    /// The new device id: MQTT username and client id from now on.
    pub device_id: DeviceId,
    /// The MQTT password, 32..=128 characters. Keep it secret.
    pub password: Secret,
}

impl Validate for EnrolGranted {
    fn validate(&self) -> Result<(), Invalid> {
        let len = self.password.0.len();
        if !(32..=128).contains(&len) || !self.password.0.bytes().all(|b| b.is_ascii_graphic()) {
            return invalid("password", "must be 32 to 128 printable ASCII characters");
        }
        Ok(())
    }
}

/// How many digits a coach PIN has.
pub const COACH_PIN_DIGITS: usize = 4;

/// The PIN that opens this tablet's coach settings, set by a coach at the hub, as a
/// salted hash: `hash` is PBKDF2-HMAC-SHA256 (RFC 8018) of the PIN's digits as ASCII,
/// with `salt`, `rounds` iterations and 32 bytes of output. The PIN itself is never sent
/// nor kept, by the hub or the tablet (docs/protocol.md §6.24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoachPin {
    /// 16–64 random bytes, new for every PIN.
    pub salt: Base64Bytes,
    /// PBKDF2 iterations, 1 000–1 000 000.
    pub rounds: u32,
    /// The derived key, 32 bytes.
    pub hash: Base64Bytes,
}

impl CoachPin {
    /// Fewest PBKDF2 iterations a coach PIN may name.
    pub const MIN_ROUNDS: u32 = 1_000;
    /// Most PBKDF2 iterations a coach PIN may name (a tablet checks it in well under a
    /// second).
    pub const MAX_ROUNDS: u32 = 1_000_000;
    /// The derived key's length in bytes.
    pub const HASH_BYTES: usize = 32;
}

impl Validate for CoachPin {
    fn validate(&self) -> Result<(), Invalid> {
        if !(16..=64).contains(&self.salt.0.len()) {
            return invalid("salt", "must be 16 to 64 bytes");
        }
        if !(Self::MIN_ROUNDS..=Self::MAX_ROUNDS).contains(&self.rounds) {
            return invalid("rounds", "must be between 1000 and 1000000");
        }
        if self.hash.0.len() != Self::HASH_BYTES {
            return invalid("hash", "must be 32 bytes");
        }
        Ok(())
    }
}

/// A secret that never shows in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The hub would not pair the tablet (yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRefused {
    /// Why.
    pub reason: EnrolRefusal,
}

impl Validate for EnrolRefused {
    fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

/// Why pairing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolRefusal {
    /// Too many pairing requests: wait a minute, then send `enrol_hello` again.
    RateLimited,
    /// The code expired: send `enrol_hello` again for a new one.
    Expired,
    /// A reason from a newer hub.
    #[serde(other)]
    Other,
}

/// The hub's presence, retained on `nabij/v1/hub/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubStatus {
    /// Online or offline (the hub's last will says offline).
    pub state: Presence,
    /// The hub's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub_version: Option<String>,
}

impl Validate for HubStatus {
    fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits_count_characters_not_bytes() {
        let to = Recipient::parse("p-anna").unwrap();
        let fits = TextMessage {
            to: to.clone(),
            author: None,
            text: "é".repeat(MAX_TEXT_CHARS),
        };
        assert_eq!(fits.validate(), Ok(()));
        let over = TextMessage {
            to,
            author: None,
            text: "a".repeat(MAX_TEXT_CHARS + 1),
        };
        assert_eq!(over.validate().unwrap_err().field, "text");
    }

    #[test]
    fn reminder_times_stay_within_a_day_and_twelve_hours_before() {
        let times = |day_before_at_min, before_min| ReminderTimes {
            day_before_at_min,
            before_min,
        };
        assert!(ReminderTimes::DEFAULT.validate().is_ok());
        assert!(times(None, None).validate().is_ok(), "both off");
        let late = times(Some(1440), None).validate().unwrap_err();
        assert_eq!(late.field, "reminders.day_before_at_min");
        for before in [4, 721] {
            let e = times(None, Some(before)).validate().unwrap_err();
            assert_eq!(e.field, "reminders.before_min");
            assert!(e.reason.contains("between 5 and 720"), "{e:?}");
        }
        let json = r#"{"participant":"p-jan","participant_name":"Jan","language":"nl","text_scale_pct":100,"volume_pct":80,"brightness_pct":80,"reminders":{"before_min":60}}"#;
        let config: DeviceConfig = serde_json::from_str(json).unwrap();
        assert_eq!(
            config.reminders,
            Some(times(None, Some(60))),
            "left out: off"
        );
    }

    #[test]
    fn blank_and_control_text_is_refused() {
        let to = Recipient::parse("p-anna").unwrap();
        let blank = TextMessage {
            to: to.clone(),
            author: None,
            text: "  ".into(),
        };
        assert!(blank.validate().is_err());
        let bell = TextMessage {
            to,
            author: None,
            text: "hi\u{7}".into(),
        };
        assert!(bell.validate().is_err());
    }

    #[test]
    fn a_tablet_model_and_version_are_one_line() {
        let hello = |profile: &str, app_version: &str| EnrolHello {
            profile: profile.into(),
            app_version: app_version.into(),
            hardware_id: None,
        };
        assert_eq!(hello("pinetab2", "0.1.0").validate(), Ok(()));
        let fake_row = hello("pinetab2\nd-0000 Mia  online", "0.1.0")
            .validate()
            .unwrap_err();
        assert_eq!(fake_row.field, "profile");
        assert_eq!(
            hello("pinetab2", "0.1.0\r").validate().unwrap_err().field,
            "app_version"
        );
        let status = DeviceStatus {
            state: Presence::Online,
            app_version: Some("0.1.0\n".into()),
            profile: None,
            battery_pct: None,
            charging: None,
            free_storage_mb: None,
        };
        assert_eq!(status.validate().unwrap_err().field, "app_version");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let granted = EnrolGranted {
            device_id: DeviceId::parse("d-1").unwrap(),
            password: Secret("hunter2-hunter2-hunter2-hunter2-x".into()),
        };
        assert!(!format!("{granted:?}").contains("hunter2"));
    }

    #[test]
    fn pairing_codes_use_only_unambiguous_characters() {
        let code = |c: &str| PairingCode {
            code: c.into(),
            expires_at: UnixMillis(0),
        };
        assert_eq!(code("K7PX4C").validate(), Ok(()));
        assert!(code("K0PX4C").validate().is_err(), "0 looks like O");
        assert!(code("K7PX4").validate().is_err());
    }
}
