//! What the kiosk knows and where the senior is: pure data, no Slint. The live link
//! (messaging) fills it from protocol messages; the renderer fills it with sample data.
//!
//! A file per part of the tablet: `conversation` (messages, paging through the history,
//! playing and opening what came), `keyboard` (the on-screen keys), `recorder` (voice
//! notes), `diary`, `survey`, `agenda` (meetings, reminders, the daily check-in), `help`
//! (asking the coach to call), `coach` (the coach's PIN and settings), `back` (where Back
//! leads from each screen). Every transition is a method that returns `Effect`s.

mod agenda;
mod back;
mod coach;
mod conversation;
mod diary;
mod help;
pub mod keyboard;
mod recorder;
mod said;
mod survey;
pub mod wifi;

pub use agenda::CHECK_IN_FROM_HOUR;
pub use coach::{COACH_TAPS, CoachLock, FREE_PIN_TRIES, PIN_LENGTH, TEXT_SIZES};
pub use conversation::{Anchor, ConversationView, Piece, page_ending_at};
pub use help::{HELP_AWAITED, HelpStage, HelpState};
pub use keyboard::{KeyAction, Keyboard, KeyboardLayout, KeyboardPage};
pub use recorder::RecorderProblem;
pub use wifi::{Password, WifiState};

use crate::words::Language;
use nabij_protocol::{
    ChoiceId, Contact, DeviceConfig, DiaryPrompt, MeetingReminder, MessageId, PersonId,
    Questionnaire, ReceiptState, SurveyId, UnixMillis,
};

/// The screens, as the UI names them (`Page` in ui/api.slint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    /// The pairing code.
    Pairing,
    /// Home.
    Home,
    /// The people the senior may write to.
    Contacts,
    /// One conversation.
    Conversation,
    /// Quick replies.
    Compose,
    /// The keyboard.
    Keyboard,
    /// Recording a voice note.
    Voice,
    /// A photo, full screen.
    Photo,
    /// The diary question.
    Diary,
    /// Which of the senior's people the diary answer names.
    DiaryPeople,
    /// Who may read the diary answer.
    DiaryShare,
    /// A questionnaire's question, one at a time.
    Survey,
    /// After a questionnaire's last question: send, or go through again.
    SurveyDone,
    /// "Thank you": an answer was sent.
    Thanks,
    /// Coming meetings.
    Agenda,
    /// A meeting reminder.
    Reminder,
    /// "How are you today?", once a day.
    CheckIn,
    /// A meeting moved or was cancelled: said in words.
    MeetingChanged,
    /// Help.
    Help,
    /// The idle clock.
    Idle,
    /// The coach's PIN.
    CoachPin,
    /// Coach settings.
    CoachSettings,
    /// "Erase this tablet?": the coach's last word before the tablet forgets everything.
    CoachErase,
    /// Home Wi-Fi: the networks the tablet sees.
    CoachWifi,
    /// The chosen network's password, on the keyboard.
    CoachWifiPassword,
    /// Joining, and then what to tell the senior.
    CoachWifiJoin,
    /// Switched off by the coach.
    SwitchedOff,
}

impl Screen {
    /// Every screen, in the order a senior meets them.
    pub const ALL: [Screen; 27] = [
        Screen::Pairing,
        Screen::Home,
        Screen::Contacts,
        Screen::Conversation,
        Screen::Compose,
        Screen::Keyboard,
        Screen::Voice,
        Screen::Photo,
        Screen::Diary,
        Screen::DiaryPeople,
        Screen::DiaryShare,
        Screen::Survey,
        Screen::SurveyDone,
        Screen::Thanks,
        Screen::Agenda,
        Screen::Reminder,
        Screen::CheckIn,
        Screen::MeetingChanged,
        Screen::Help,
        Screen::Idle,
        Screen::CoachPin,
        Screen::CoachSettings,
        Screen::CoachErase,
        Screen::CoachWifi,
        Screen::CoachWifiPassword,
        Screen::CoachWifiJoin,
        Screen::SwitchedOff,
    ];

    /// The name used on the command line (`--screen home`).
    pub fn name(self) -> &'static str {
        match self {
            Screen::Pairing => "pairing",
            Screen::Home => "home",
            Screen::Contacts => "contacts",
            Screen::Conversation => "conversation",
            Screen::Compose => "compose",
            Screen::Keyboard => "keyboard",
            Screen::Voice => "voice",
            Screen::Photo => "photo",
            Screen::Diary => "diary",
            Screen::DiaryPeople => "diary-people",
            Screen::DiaryShare => "diary-share",
            Screen::Survey => "survey",
            Screen::SurveyDone => "survey-done",
            Screen::Thanks => "thanks",
            Screen::Agenda => "agenda",
            Screen::Reminder => "reminder",
            Screen::CheckIn => "check-in",
            Screen::MeetingChanged => "meeting-changed",
            Screen::Help => "help",
            Screen::Idle => "idle",
            Screen::CoachPin => "coach-pin",
            Screen::CoachSettings => "coach-settings",
            Screen::CoachErase => "coach-erase",
            Screen::CoachWifi => "coach-wifi",
            Screen::CoachWifiPassword => "coach-wifi-password",
            Screen::CoachWifiJoin => "coach-wifi-join",
            Screen::SwitchedOff => "switched-off",
        }
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Option<Screen> {
        Screen::ALL.into_iter().find(|s| s.name() == name)
    }

    /// States rather than places: no top bar (nothing to go home to yet, or the whole
    /// screen is one tap target).
    pub fn is_state(self) -> bool {
        matches!(self, Screen::Pairing | Screen::Idle | Screen::SwitchedOff)
    }

    /// Screens for coaches, not seniors (more choices allowed, behind a PIN).
    pub fn is_for_coach(self) -> bool {
        matches!(
            self,
            Screen::CoachPin
                | Screen::CoachSettings
                | Screen::CoachErase
                | Screen::CoachWifi
                | Screen::CoachWifiPassword
                | Screen::CoachWifiJoin
        )
    }
}

/// The settings a coach can change on the tablet (and the hub can send), kept across
/// restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScreenSettings {
    /// Screen language.
    pub language: Language,
    /// Text size, 100–150 %.
    pub text_scale_percent: u8,
    /// Volume, 0–100 %.
    pub volume_percent: u8,
    /// Brightness, 10–100 %.
    pub brightness_percent: u8,
    /// The keyboard's order of letters (settings saved before it existed: alphabetical).
    #[serde(default)]
    pub keyboard_layout: KeyboardLayout,
}

/// What the kiosk shows for one of my messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In the outbox, not yet acknowledged by the hub.
    Waiting,
    /// The hub has it.
    Sent,
    /// A receipt said so.
    Receipt(ReceiptState),
    /// It will not go, and why.
    Refused(NotSent),
}

/// Why one of my messages was not sent, as the senior is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSent {
    /// The person is not on the senior's contact list (any more).
    NotAContact,
    /// Too long or too large.
    TooLarge,
    /// Anything else.
    Other,
}

impl NotSent {
    /// The senior's words for the hub's reason.
    pub fn from_reason(reason: &nabij_protocol::RejectReason) -> NotSent {
        match reason {
            nabij_protocol::RejectReason::NotAContact => NotSent::NotAContact,
            nabij_protocol::RejectReason::TooLarge => NotSent::TooLarge,
            _ => NotSent::Other,
        }
    }
}

/// What a message carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// Text.
    Text(String),
    /// A voice note of so many seconds.
    Voice {
        /// Its length.
        seconds: u32,
        /// The recording, when this tablet has it (received notes, and mine from the
        /// history).
        audio: Option<std::sync::Arc<nabij_protocol::Audio>>,
    },
    /// A photo (RGBA pixels of its thumbnail).
    Photo {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// RGBA bytes.
        rgba: Vec<u8>,
    },
}

/// One message in a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    /// Its id: for my messages the one the hub acknowledges; for received ones the id of
    /// the hub's copy (what a "seen" receipt names). `None` until the link gives it one.
    pub id: Option<MessageId>,
    /// Who wrote it (the senior's own person id for their own messages).
    pub author: PersonId,
    /// When.
    pub at: UnixMillis,
    /// What.
    pub content: Content,
    /// For my own messages: how far it got.
    pub delivery: Option<Delivery>,
    /// For received messages: whether the senior has seen it.
    pub seen: bool,
}

/// The voice recorder's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecorderState {
    /// Ready to record.
    #[default]
    Ready,
    /// Recording.
    Recording,
    /// A recording waits to be listened to or sent.
    Recorded,
    /// Playing the recording back.
    Playing,
    /// "Throw this recording away?": asked before recording again.
    ConfirmDiscard,
}

/// What the keyboard and the recorder are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputFor {
    /// A message in the open conversation.
    #[default]
    Conversation,
    /// The answer to this week's diary question.
    Diary,
}

/// What is playing now, so that its screen can show how far it got.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Playing {
    /// What plays.
    pub what: Sounding,
    /// How far, 0.0 to 1.0.
    pub fraction: f32,
}

/// Something the tablet can say or play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sounding {
    /// A voice note of the open conversation (its place in the conversation).
    VoiceNote(usize),
    /// The senior's own recording, before it is sent.
    Recording,
    /// Words read aloud.
    ReadAloud,
}

/// A meeting that moved or was cancelled, told in words on its own screen (made in the
/// screen's language when it is shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingChange {
    /// When it was to be.
    pub was: UnixMillis,
    /// Where it moved: the new start, and the new place when the place changed. `None`:
    /// cancelled.
    pub moved_to: Option<(UnixMillis, Option<String>)>,
}

/// What a "thank you" screen thanks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Thanks {
    /// The diary answer went.
    #[default]
    Diary,
    /// The questionnaire's answers went.
    Survey,
}

/// Why the tablet cannot reach its hub or keep its data, for the coach (in the screen's
/// language; `detail` is the technical reason, for the coach to pass on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkProblem {
    /// The hub does not answer at this address.
    Unreachable {
        /// host:port.
        address: String,
    },
    /// The hub refuses the enrolment password of the kiosk settings.
    EnrolmentRefused,
    /// The tablet cannot keep its messages.
    Storage(String),
    /// The kiosk settings cannot be used.
    Settings(String),
    /// Anything else.
    Other(String),
}

/// Everything the screens show.
#[derive(Debug, Clone, Default)]
pub struct KioskState {
    /// What the keyboard and recorder are for.
    pub input_for: InputFor,
    /// Words typed for the diary answer.
    pub diary_text: Option<String>,
    /// Seconds of voice recorded for the diary answer.
    pub diary_voice_seconds: Option<u32>,
    /// Reminders already shown: (session, hours before) so each appears once.
    pub reminded: Vec<(String, u8)>,
    /// Where the senior is.
    pub screen: Option<Screen>,
    /// Screen language.
    pub language: Language,
    /// Text size in percent (100–150).
    pub text_scale_percent: u8,
    /// Volume in percent.
    pub volume_percent: u8,
    /// Brightness in percent.
    pub brightness_percent: u8,
    /// Identity and settings from the hub.
    pub config: Option<DeviceConfig>,
    /// The pairing code while pairing.
    pub pairing_code: Option<String>,
    /// The dashboard page that pairs this tablet (shown as a QR code), while pairing.
    pub pairing_link: Option<String>,
    /// Approved contacts.
    pub contacts: Vec<Contact>,
    /// Faces of contacts and of the coach, decoded once (width, height, RGBA).
    pub faces: Vec<(PersonId, Content)>,
    /// Which page of contacts is shown (six at a time).
    pub contacts_page: usize,
    /// The open conversation's partner.
    pub partner: Option<PersonId>,
    /// Where the open conversation is read: the newest, or an earlier page.
    pub view: ConversationView,
    /// Messages per conversation partner, oldest first.
    pub conversations: Vec<(PersonId, Vec<ChatMessage>)>,
    /// The text being typed.
    pub draft: String,
    /// The keyboard's page, capitals and order of letters.
    pub keyboard: Keyboard,
    /// The voice recorder.
    pub recorder: RecorderState,
    /// Seconds recorded (while recording: so far).
    pub recorded_seconds: u32,
    /// The microphone's level while recording, 0.0 to 1.0.
    pub recording_level: f32,
    /// Why the last recording cannot be sent (nothing heard, no microphone).
    pub recorder_problem: Option<RecorderProblem>,
    /// What plays now, and how far.
    pub playing: Option<Playing>,
    /// Whether the tablet can read aloud (it has sound and its speech engine).
    pub can_read_aloud: bool,
    /// The photo shown full screen (index in the open conversation).
    pub photo: Option<usize>,
    /// This week's diary question.
    pub diary: Option<DiaryPrompt>,
    /// Tapped diary choices.
    pub diary_selected: Vec<String>,
    /// People the diary answer names (tapped among the contacts).
    pub diary_people: Vec<PersonId>,
    /// Which page of contacts the diary's people screen shows.
    pub diary_people_page: usize,
    /// Who may read the diary answer, once chosen: `true` the group too.
    pub diary_share: Option<bool>,
    /// Diary questions already answered (prompt ids), so a resent one is not asked again.
    pub answered: Vec<String>,
    /// Questionnaires waiting for answers, in the order they came; the first is asked.
    pub surveys: Vec<Questionnaire>,
    /// Which question of the first questionnaire is asked (its number of questions: all
    /// are answered).
    pub survey_step: usize,
    /// The steps tapped so far, one place per question of the first questionnaire.
    pub survey_answers: Vec<Option<ChoiceId>>,
    /// Questionnaires answered (survey ids), so a resent one is not asked again.
    pub surveys_answered: Vec<String>,
    /// What the "thank you" screen thanks for.
    pub thanks: Thanks,
    /// Coming meetings, soonest first.
    pub meetings: Vec<MeetingReminder>,
    /// Which page of the agenda is shown.
    pub agenda_page: usize,
    /// The meeting a reminder is shown for.
    pub reminder: Option<MeetingReminder>,
    /// The senior's call for help, while it is awaited.
    pub help: Option<HelpState>,
    /// The day (in Belgium) the check-in was last asked or answered.
    pub check_in_day: Option<(i32, u8, u8)>,
    /// What changed in the agenda (a meeting moved or was cancelled).
    pub change: Option<MeetingChange>,
    /// Taps on "For the coach" so far, and when the first was (three in a row open the
    /// PIN pad: a stray tap does nothing).
    pub coach_taps: (u8, u64),
    /// Which part of the coach settings is shown (0, 1 or 2).
    pub coach_page: u8,
    /// The digits of the coach PIN typed so far (never shown).
    pub pin: String,
    /// The coach PIN of the kiosk settings, the same on every tablet of the hub: it opens
    /// the settings until a coach gives this tablet its own (`coach_lock.own`).
    pub coach_pin: String,
    /// This tablet's own coach PIN (hashed) and the wrong PINs typed, kept across
    /// restarts.
    pub coach_lock: CoachLock,
    /// The coach switched this tablet off (or took it back): Home is the "not in use"
    /// screen, and the coach settings are reached from there.
    pub switched_off: bool,
    /// Why there is no sound, if there is none.
    pub audio_problem: Option<String>,
    /// What keeps the tablet from its hub, for the coach (bad settings, broken storage).
    pub link_problem: Option<LinkProblem>,
    /// The tablet's storage failed and the live link tries it again: what the senior
    /// sends waits in memory, and the screen says "One moment, please" instead of "Not
    /// sent yet" until it is stored.
    pub storage_retrying: bool,
    /// The screen settings saved on this tablet, put back once its history is replayed
    /// (the last word of a coach at the tablet or of the hub, whichever came last).
    pub saved_settings: Option<ScreenSettings>,
    /// Home Wi-Fi, for the coach.
    pub wifi: WifiState,
}

impl KioskState {
    /// The senior's own person id.
    fn me(&self) -> Option<PersonId> {
        self.config.as_ref().map(|c| c.participant.clone())
    }

    /// The people on the Messages screen: the contacts, then "a former participant" when
    /// messages from people erased from the programme were kept (readable, no reply).
    pub fn chat_partners(&self) -> Vec<Contact> {
        let mut partners = self.contacts.clone();
        if self.has_former_conversation() {
            partners.push(Contact {
                person: PersonId::former_participant(),
                // The screen names them in its own language.
                name: String::new(),
                role: nabij_protocol::ContactRole::GroupMember,
                photo: None,
            });
        }
        partners
    }

    fn has_former_conversation(&self) -> bool {
        let former = PersonId::former_participant();
        self.conversations
            .iter()
            .any(|(p, messages)| *p == former && !messages.is_empty())
    }

    /// Messages not yet seen, over the conversations the senior can open (those with
    /// someone on their list).
    pub fn unread(&self) -> usize {
        let me = self.me();
        let partners = self.chat_partners();
        self.conversations
            .iter()
            .filter(|(partner, _)| partners.iter().any(|c| &c.person == partner))
            .flat_map(|(_, messages)| messages)
            .filter(|m| !m.seen && Some(&m.author) != me.as_ref())
            .count()
    }

    /// Unread messages from one person.
    pub fn unread_from(&self, person: &PersonId) -> usize {
        self.conversations
            .iter()
            .filter(|(p, _)| p == person)
            .flat_map(|(_, messages)| messages)
            .filter(|m| !m.seen && &m.author == person)
            .count()
    }

    /// Goes to a screen. What the senior typed or recorded is kept; what plays stops.
    pub fn navigate(&mut self, screen: Screen) -> Vec<Effect> {
        // A switched-off tablet has no home screen to show: the senior's things are not
        // theirs to use any more. Its "home" says so, and whom to call.
        let screen = if self.switched_off && screen == Screen::Home {
            Screen::SwitchedOff
        } else {
            screen
        };
        if screen != Screen::CoachPin {
            self.pin.clear();
        }
        if screen == Screen::Contacts {
            self.contacts_page = 0;
        }
        if screen == Screen::Agenda && self.screen != Some(Screen::Agenda) {
            self.agenda_page = 0;
        }
        // Back from "Erase this tablet?" and Wi-Fi comes to the part of the settings it
        // left.
        if screen == Screen::CoachSettings
            && !matches!(
                self.screen,
                Some(Screen::CoachSettings | Screen::CoachErase | Screen::CoachWifi)
            )
        {
            self.coach_page = 0;
        }
        let leaving = self.screen != Some(screen);
        self.screen = Some(screen);
        if leaving && self.playing.take().is_some() {
            return vec![Effect::StopSound];
        }
        Vec::new()
    }

    /// No touch for a while: the calm clock (not over pairing or "switched off", and never
    /// while the senior records).
    pub fn go_idle(&mut self) {
        if !matches!(
            self.screen,
            Some(Screen::Pairing | Screen::SwitchedOff | Screen::Idle)
        ) && self.recorder != RecorderState::Recording
        {
            self.screen = Some(Screen::Idle);
        }
    }

    /// A tap on the idle clock: back home.
    pub fn wake(&mut self) {
        if self.screen == Some(Screen::Idle) {
            self.screen = Some(if self.switched_off {
                Screen::SwitchedOff
            } else {
                Screen::Home
            });
        }
    }

    /// What plays ended (or was stopped).
    pub fn sound_finished(&mut self) {
        self.playing = None;
        if self.recorder == RecorderState::Playing {
            self.recorder = RecorderState::Recorded;
        }
    }

    /// How far what plays has got.
    pub fn sound_progress(&mut self, fraction: f32) {
        if let Some(playing) = self.playing.as_mut() {
            playing.fraction = fraction.clamp(0.0, 1.0);
        }
    }

    /// Whether words are being read aloud now.
    pub fn reading_aloud(&self) -> bool {
        matches!(
            self.playing,
            Some(Playing {
                what: Sounding::ReadAloud,
                ..
            })
        )
    }

    /// "Read aloud" on a screen: says `text` (made by the caller in the screen's
    /// language); a second tap while it speaks stops it.
    pub fn read_aloud(&mut self, text: String) -> Vec<Effect> {
        if self.reading_aloud() {
            self.playing = None;
            return vec![Effect::StopSound];
        }
        if text.trim().is_empty() {
            return Vec::new();
        }
        self.playing = Some(Playing {
            what: Sounding::ReadAloud,
            fraction: 0.0,
        });
        vec![Effect::ReadAloud {
            text,
            language: self.language,
        }]
    }
}

/// Something the kiosk must do outside its state: sound, and (with messaging) sending.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Play the chime (new message, reminder).
    Chime,
    /// Start recording a voice note.
    StartRecording,
    /// Stop recording.
    StopRecording,
    /// Play back the recording.
    PlayRecording,
    /// Play a voice recording from the hub (a voice note, a diary question read aloud).
    PlayClip(std::sync::Arc<nabij_protocol::Audio>),
    /// Say these words with the tablet's own voice, in this language.
    ReadAloud {
        /// The words.
        text: String,
        /// Their language.
        language: Language,
    },
    /// Stop whatever plays (a voice note, words read aloud).
    StopSound,
    /// Send a text to a person.
    SendText {
        /// The recipient.
        to: PersonId,
        /// The text.
        text: String,
    },
    /// Send the recorded voice note to a person.
    SendVoice {
        /// The recipient.
        to: PersonId,
        /// The encoded recording (the app adds it from the microphone's last recording).
        audio: Option<Box<nabij_protocol::Audio>>,
    },
    /// Send the diary answer.
    SendDiary {
        /// The question it answers.
        prompt: nabij_protocol::PromptId,
        /// The tapped choices.
        choices: Vec<String>,
        /// The people named.
        people: Vec<PersonId>,
        /// Words typed, if any.
        text: Option<String>,
        /// Whether the recording is part of the answer.
        with_voice: bool,
        /// The encoded recording, when `with_voice` (added by the app).
        voice: Option<Box<nabij_protocol::Audio>>,
        /// Share with the group.
        share_with_group: bool,
    },
    /// Answer a meeting reminder.
    Rsvp {
        /// Which session.
        session: nabij_protocol::SessionId,
        /// Coming or not.
        coming: bool,
    },
    /// Ask the coach to call.
    AskHelp,
    /// Look for Wi-Fi networks (the app answers with `KioskState::wifi_found`).
    WifiScan,
    /// Join a Wi-Fi network and check the hub (answered with `KioskState::wifi_joined`).
    WifiJoin {
        /// The network.
        network: crate::wifi::Network,
        /// Its password (empty for an open network).
        password: Password,
    },
    /// Check the hub again on the network the tablet is on (answered with
    /// `KioskState::wifi_joined`).
    WifiCheckHub,
    /// Answer the day's check-in.
    CheckIn(nabij_protocol::Mood),
    /// Send a questionnaire's answers.
    SendSurvey {
        /// Which questionnaire.
        survey: SurveyId,
        /// Per question (its id), the tapped step.
        answers: Vec<(ChoiceId, ChoiceId)>,
    },
    /// Tell the senders these received messages were seen.
    SendSeen {
        /// The ids of the hub's copies.
        ids: Vec<MessageId>,
    },
    /// Set the sound volume (percent).
    SetVolume(u8),
    /// Set the screen brightness (percent).
    SetBrightness(u8),
    /// Keep the screen settings (language, sizes, volume, brightness) across restarts.
    SaveSettings,
    /// Keep this tablet's coach PIN and its wrong tries across restarts.
    SaveCoachLock,
    /// Erase everything on this tablet (messages, outbox, settings, its identity) and
    /// pair again: the coach's "Erase this tablet".
    EraseTablet,
}

/// Contacts shown at once (with "More people" taking the sixth place when needed).
pub const CONTACTS_PER_PAGE: usize = 6;

/// People offered at once for a diary answer, in one row beside Back, "More people" and
/// "Next".
pub const DIARY_PEOPLE_PER_PAGE: usize = 3;

/// Longest draft, in characters (the protocol's text limit).
pub const MAX_DRAFT_CHARS: usize = nabij_protocol::limits::MAX_TEXT_CHARS;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sample;

    /// The sample state on Home, in English.
    pub(crate) fn state() -> KioskState {
        let mut s = sample::state(Screen::Home, Language::En);
        s.coach_pin = "2580".into();
        s
    }

    #[test]
    fn leaving_a_screen_stops_what_plays_and_idle_never_interrupts_a_recording() {
        let mut s = state();
        s.navigate(Screen::Help);
        assert_eq!(
            s.read_aloud("Marie".into()),
            [Effect::ReadAloud {
                text: "Marie".into(),
                language: Language::En
            }]
        );
        assert!(s.reading_aloud());
        assert_eq!(s.navigate(Screen::Home), [Effect::StopSound]);
        assert!(s.playing.is_none());
        assert!(s.navigate(Screen::Help).is_empty(), "nothing to stop");

        s.read_aloud("Marie".into());
        assert_eq!(
            s.read_aloud("Marie".into()),
            [Effect::StopSound],
            "a second tap stops it"
        );

        s.recorder = RecorderState::Recording;
        s.go_idle();
        assert_eq!(s.screen, Some(Screen::Help));
        s.recorder = RecorderState::Ready;
        s.go_idle();
        assert_eq!(s.screen, Some(Screen::Idle));
        s.wake();
        assert_eq!(s.screen, Some(Screen::Home));
        s.screen = Some(Screen::Pairing);
        s.go_idle();
        assert_eq!(
            s.screen,
            Some(Screen::Pairing),
            "the pairing code stays visible"
        );
    }
}
