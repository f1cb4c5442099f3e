//! What the kiosk knows and where the senior is: pure data, no Slint. The live link
//! (messaging) fills it from protocol messages; the renderer fills it with sample data.

use crate::words::Language;
use nabij_protocol::{
    Contact, DeviceConfig, DiaryPrompt, MeetingReminder, PersonId, ReceiptState, UnixMillis,
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
    /// Who may read the diary answer.
    DiaryShare,
    /// Coming meetings.
    Agenda,
    /// A meeting reminder.
    Reminder,
    /// Help.
    Help,
    /// The idle clock.
    Idle,
    /// The coach's PIN.
    CoachPin,
    /// Coach settings.
    CoachSettings,
    /// Switched off by the coach.
    SwitchedOff,
}

impl Screen {
    /// Every screen, in the order a senior meets them.
    pub const ALL: [Screen; 17] = [
        Screen::Pairing,
        Screen::Home,
        Screen::Contacts,
        Screen::Conversation,
        Screen::Compose,
        Screen::Keyboard,
        Screen::Voice,
        Screen::Photo,
        Screen::Diary,
        Screen::DiaryShare,
        Screen::Agenda,
        Screen::Reminder,
        Screen::Help,
        Screen::Idle,
        Screen::CoachPin,
        Screen::CoachSettings,
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
            Screen::DiaryShare => "diary-share",
            Screen::Agenda => "agenda",
            Screen::Reminder => "reminder",
            Screen::Help => "help",
            Screen::Idle => "idle",
            Screen::CoachPin => "coach-pin",
            Screen::CoachSettings => "coach-settings",
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
        matches!(self, Screen::CoachPin | Screen::CoachSettings)
    }
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
    /// The hub refused it.
    Refused,
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
}

/// Everything the screens show.
#[derive(Debug, Clone, Default)]
pub struct KioskState {
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
    /// Approved contacts.
    pub contacts: Vec<Contact>,
    /// Which page of contacts is shown (six at a time).
    pub contacts_page: usize,
    /// The open conversation's partner.
    pub partner: Option<PersonId>,
    /// Messages per conversation partner, oldest first.
    pub conversations: Vec<(PersonId, Vec<ChatMessage>)>,
    /// The text being typed.
    pub draft: String,
    /// The voice recorder.
    pub recorder: RecorderState,
    /// Seconds recorded.
    pub recorded_seconds: u32,
    /// The photo shown full screen (index in the open conversation).
    pub photo: Option<usize>,
    /// This week's diary question.
    pub diary: Option<DiaryPrompt>,
    /// Tapped diary choices.
    pub diary_selected: Vec<String>,
    /// Coming meetings, soonest first.
    pub meetings: Vec<MeetingReminder>,
    /// The meeting a reminder is shown for.
    pub reminder: Option<MeetingReminder>,
    /// Whether the senior asked the coach to call.
    pub help_asked: bool,
    /// Digits of the coach PIN typed so far.
    pub pin_digits: usize,
    /// Why there is no sound, if there is none.
    pub audio_problem: Option<String>,
}

impl KioskState {
    /// The open conversation's messages.
    pub fn open_conversation(&self) -> &[ChatMessage] {
        let Some(partner) = &self.partner else {
            return &[];
        };
        self.conversations
            .iter()
            .find(|(p, _)| p == partner)
            .map(|(_, m)| m.as_slice())
            .unwrap_or(&[])
    }

    /// Messages not yet seen, over all conversations.
    pub fn unread(&self) -> usize {
        let me = self.config.as_ref().map(|c| &c.participant);
        self.conversations
            .iter()
            .flat_map(|(_, messages)| messages)
            .filter(|m| !m.seen && Some(&m.author) != me)
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
}
