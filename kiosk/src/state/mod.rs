//! What the kiosk knows and where the senior is: pure data, no Slint. The live link
//! (messaging) fills it from protocol messages; the renderer fills it with sample data.

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
    /// Switched off by the coach.
    SwitchedOff,
}

impl Screen {
    /// Every screen, in the order a senior meets them.
    pub const ALL: [Screen; 22] = [
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
        Screen::Agenda,
        Screen::Reminder,
        Screen::CheckIn,
        Screen::MeetingChanged,
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
            Screen::DiaryPeople => "diary-people",
            Screen::DiaryShare => "diary-share",
            Screen::Survey => "survey",
            Screen::SurveyDone => "survey-done",
            Screen::Agenda => "agenda",
            Screen::Reminder => "reminder",
            Screen::CheckIn => "check-in",
            Screen::MeetingChanged => "meeting-changed",
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
    /// People the diary answer names (tapped among the contacts).
    pub diary_people: Vec<PersonId>,
    /// Which page of contacts the diary's people screen shows.
    pub diary_people_page: usize,
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
    /// Coming meetings, soonest first.
    pub meetings: Vec<MeetingReminder>,
    /// The meeting a reminder is shown for.
    pub reminder: Option<MeetingReminder>,
    /// Whether the senior asked the coach to call.
    pub help_asked: Option<UnixMillis>,
    /// The day (in Belgium) the check-in was last asked or answered.
    pub check_in_day: Option<(i32, u8, u8)>,
    /// What changed in the agenda, in words (a meeting moved or was cancelled).
    pub notice: Option<String>,
    /// Digits of the coach PIN typed so far.
    pub pin_digits: usize,
    /// The digits themselves (never shown).
    pub pin: String,
    /// The coach PIN that opens the settings.
    pub coach_pin: String,
    /// Why there is no sound, if there is none.
    pub audio_problem: Option<String>,
    /// What keeps the tablet from its hub, for the coach (bad settings, broken storage).
    pub link_problem: Option<String>,
    /// The screen settings saved on this tablet, put back once its history is replayed
    /// (the last word of a coach at the tablet or of the hub, whichever came last).
    pub saved_settings: Option<ScreenSettings>,
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

    /// Whether the open conversation can be answered (not one with a former participant).
    pub fn can_reply(&self) -> bool {
        self.partner
            .as_ref()
            .is_none_or(|p| p.as_str() != nabij_protocol::FORMER_PARTICIPANT)
    }

    /// Messages not yet seen, over the conversations the senior can open (those with
    /// someone on their list).
    pub fn unread(&self) -> usize {
        let me = self.config.as_ref().map(|c| &c.participant);
        let partners = self.chat_partners();
        self.conversations
            .iter()
            .filter(|(partner, _)| partners.iter().any(|c| &c.person == partner))
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

/// The check-in is asked from this hour (Belgian time) on.
pub const CHECK_IN_FROM_HOUR: u8 = 10;

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
}

/// Contacts shown at once (with "More people" taking the sixth place when needed).
pub const CONTACTS_PER_PAGE: usize = 6;

/// People offered at once for a diary answer, beside "Next" (with "More people" taking
/// the fifth place when needed).
pub const DIARY_PEOPLE_PER_PAGE: usize = 5;

/// Messages of a conversation shown at once (the newest).
pub const MESSAGES_SHOWN: usize = 3;

/// How long "your coach will call you soon" stays after asking; then Help can be asked
/// again (a tablet runs for days, and a senior may need help twice).
pub const HELP_AWAITED: std::time::Duration = std::time::Duration::from_secs(2 * 3_600);

/// Length of the coach PIN.
pub const PIN_LENGTH: usize = 4;

/// Longest draft, in characters (the protocol's text limit).
pub const MAX_DRAFT_CHARS: usize = nabij_protocol::limits::MAX_TEXT_CHARS;

fn step(value: u8, delta: i32, min: u8, max: u8) -> u8 {
    let next = i32::from(value) + delta * 10;
    next.clamp(i32::from(min), i32::from(max)) as u8
}

impl KioskState {
    fn me(&self) -> Option<PersonId> {
        self.config.as_ref().map(|c| c.participant.clone())
    }

    fn add_mine(&mut self, to: &PersonId, content: Content, now: UnixMillis) {
        let Some(me) = self.me() else { return };
        let message = ChatMessage {
            id: None,
            author: me,
            at: now,
            content,
            delivery: Some(Delivery::Waiting),
            seen: true,
        };
        match self.conversations.iter_mut().find(|(p, _)| p == to) {
            Some((_, messages)) => messages.push(message),
            None => self.conversations.push((to.clone(), vec![message])),
        }
    }

    /// Goes to a screen. What the senior typed or recorded is kept.
    pub fn navigate(&mut self, screen: Screen) -> Vec<Effect> {
        if screen != Screen::CoachPin {
            self.pin.clear();
            self.pin_digits = 0;
        }
        if screen == Screen::Contacts {
            self.contacts_page = 0;
        }
        self.screen = Some(screen);
        Vec::new()
    }

    /// Opens the conversation with a contact and marks its messages seen.
    pub fn open_contact(&mut self, person: &str) -> Vec<Effect> {
        let Some(contact) = self
            .chat_partners()
            .into_iter()
            .find(|c| c.person.as_str() == person)
        else {
            return Vec::new();
        };
        let id = contact.person;
        let mut seen_now = Vec::new();
        if let Some((_, messages)) = self.conversations.iter_mut().find(|(p, _)| *p == id) {
            for m in messages.iter_mut().filter(|m| !m.seen) {
                m.seen = true;
                seen_now.extend(m.id.clone());
            }
        }
        self.partner = Some(id);
        self.screen = Some(Screen::Conversation);
        if seen_now.is_empty() {
            Vec::new()
        } else {
            vec![Effect::SendSeen { ids: seen_now }]
        }
    }

    /// Gives my newest message to `to` that has no id yet the id the link sent it under.
    pub fn assign_id(&mut self, to: &PersonId, id: MessageId) {
        let me = self.me();
        if let Some((_, messages)) = self.conversations.iter_mut().find(|(p, _)| p == to)
            && let Some(message) = messages
                .iter_mut()
                .rev()
                .find(|m| m.id.is_none() && Some(&m.author) == me.as_ref())
        {
            message.id = Some(id);
        }
    }

    /// Shows the next six contacts (round to the first after the last).
    pub fn next_contacts(&mut self) {
        let per_page = CONTACTS_PER_PAGE - 1;
        let pages = self.chat_partners().len().div_ceil(per_page).max(1);
        self.contacts_page = (self.contacts_page + 1) % pages;
    }

    /// Sends a ready-made phrase to the open conversation.
    pub fn quick_reply(&mut self, text: &str, now: UnixMillis) -> Vec<Effect> {
        let Some(to) = self.partner.clone() else {
            return Vec::new();
        };
        self.add_mine(&to, Content::Text(text.to_owned()), now);
        self.screen = Some(Screen::Conversation);
        vec![Effect::SendText {
            to,
            text: text.to_owned(),
        }]
    }

    /// A key of the on-screen keyboard.
    pub fn key(&mut self, text: &str) {
        if self.draft.chars().count() < MAX_DRAFT_CHARS {
            self.draft.push_str(text);
        }
    }

    /// Erases the last character.
    pub fn backspace(&mut self) {
        self.draft.pop();
    }

    /// Starts typing or recording for the diary answer.
    pub fn answer_diary_with(&mut self, screen: Screen) -> Vec<Effect> {
        self.input_for = InputFor::Diary;
        self.navigate(screen)
    }

    /// Sends what was typed (nothing happens for an empty draft); for the diary, keeps it
    /// as the answer's words and returns to the diary.
    pub fn send_draft(&mut self, now: UnixMillis) -> Vec<Effect> {
        let text = self.draft.trim().to_owned();
        if text.is_empty() {
            return Vec::new();
        }
        if self.input_for == InputFor::Diary {
            // The words join the diary answer; the senior chooses who may read it next.
            self.draft.clear();
            self.diary_text = Some(text);
            self.input_for = InputFor::Conversation;
            self.screen = Some(Screen::DiaryShare);
            return Vec::new();
        }
        let Some(to) = self.partner.clone() else {
            return Vec::new();
        };
        self.draft.clear();
        self.add_mine(&to, Content::Text(text.clone()), now);
        self.screen = Some(Screen::Conversation);
        vec![Effect::SendText { to, text }]
    }

    /// The one record button: start, stop, or start again.
    pub fn record_toggle(&mut self) -> Vec<Effect> {
        match self.recorder {
            RecorderState::Ready | RecorderState::Recorded => {
                self.recorder = RecorderState::Recording;
                self.recorded_seconds = 0;
                vec![Effect::StartRecording]
            }
            RecorderState::Recording => {
                self.recorder = RecorderState::Recorded;
                vec![Effect::StopRecording]
            }
            RecorderState::Playing => Vec::new(),
        }
    }

    /// Listens to the recording.
    pub fn play_recording(&mut self) -> Vec<Effect> {
        if self.recorder != RecorderState::Recorded {
            return Vec::new();
        }
        self.recorder = RecorderState::Playing;
        vec![Effect::PlayRecording]
    }

    /// Playback ended.
    pub fn playback_finished(&mut self) {
        if self.recorder == RecorderState::Playing {
            self.recorder = RecorderState::Recorded;
        }
    }

    /// Sends the recording to the open conversation, or keeps it for the diary answer.
    pub fn send_recording(&mut self, now: UnixMillis) -> Vec<Effect> {
        if !matches!(
            self.recorder,
            RecorderState::Recorded | RecorderState::Playing
        ) {
            return Vec::new();
        }
        if self.input_for == InputFor::Diary {
            self.diary_voice_seconds = Some(self.recorded_seconds);
            self.recorder = RecorderState::Ready;
            self.input_for = InputFor::Conversation;
            self.screen = Some(Screen::DiaryShare);
            return Vec::new();
        }
        let Some(to) = self.partner.clone() else {
            return Vec::new();
        };
        self.add_mine(
            &to,
            Content::Voice {
                seconds: self.recorded_seconds,
                audio: None,
            },
            now,
        );
        self.recorder = RecorderState::Ready;
        self.screen = Some(Screen::Conversation);
        vec![Effect::SendVoice { to, audio: None }]
    }

    /// Taps a diary choice on or off.
    pub fn toggle_choice(&mut self, id: &str) {
        if let Some(i) = self.diary_selected.iter().position(|s| s == id) {
            self.diary_selected.remove(i);
        } else if self
            .diary
            .as_ref()
            .is_some_and(|d| d.choices.iter().any(|c| c.id.as_str() == id))
        {
            self.diary_selected.push(id.to_owned());
        }
    }

    /// Whether the diary question lets the senior name people, and they have any.
    fn diary_names_people(&self) -> bool {
        self.diary.as_ref().is_some_and(|d| d.people) && !self.contacts.is_empty()
    }

    /// "Next" under the diary's choices: the senior's people, when the question asks for
    /// them; else (and from the people) who may read the answer.
    pub fn diary_next(&mut self) -> Vec<Effect> {
        if self.screen == Some(Screen::Diary) && self.diary_names_people() {
            self.diary_people_page = 0;
            self.navigate(Screen::DiaryPeople)
        } else {
            self.navigate(Screen::DiaryShare)
        }
    }

    /// "Back" from "who may read it": the step before.
    pub fn diary_back(&mut self) -> Vec<Effect> {
        if self.diary_names_people() {
            self.navigate(Screen::DiaryPeople)
        } else {
            self.navigate(Screen::Diary)
        }
    }

    /// Taps one of the senior's contacts on or off for the diary answer.
    pub fn toggle_diary_person(&mut self, id: &str) {
        if let Some(i) = self.diary_people.iter().position(|p| p.as_str() == id) {
            self.diary_people.remove(i);
        } else if let Some(contact) = self.contacts.iter().find(|c| c.person.as_str() == id)
            && self.diary_people.len() < nabij_protocol::limits::MAX_PEOPLE_NAMED
        {
            self.diary_people.push(contact.person.clone());
        }
    }

    /// The contacts the diary's people screen shows now, and whether there are more.
    pub fn diary_people_shown(&self) -> (&[Contact], bool) {
        let all = &self.contacts;
        if all.len() <= DIARY_PEOPLE_PER_PAGE {
            return (all, false);
        }
        let per_page = DIARY_PEOPLE_PER_PAGE - 1;
        let start = (self.diary_people_page * per_page).min(all.len());
        let end = (start + per_page).min(all.len());
        (&all[start..end], true)
    }

    /// "More people" on the diary's people screen (round to the first after the last).
    pub fn next_diary_people(&mut self) {
        let per_page = DIARY_PEOPLE_PER_PAGE - 1;
        let pages = self.contacts.len().div_ceil(per_page).max(1);
        self.diary_people_page = (self.diary_people_page + 1) % pages;
    }

    /// Sends the diary answer and goes home.
    pub fn send_diary(&mut self, share_with_group: bool) -> Vec<Effect> {
        let Some(prompt) = self.diary.take() else {
            return Vec::new();
        };
        self.answered.push(prompt.prompt_id.to_string());
        let choices = std::mem::take(&mut self.diary_selected);
        let people = std::mem::take(&mut self.diary_people);
        let text = self.diary_text.take();
        let with_voice = self.diary_voice_seconds.take().is_some();
        self.screen = Some(Screen::Home);
        vec![Effect::SendDiary {
            prompt: prompt.prompt_id,
            choices,
            people,
            text,
            with_voice,
            voice: None,
            share_with_group,
        }]
    }

    /// Opens the first waiting questionnaire where the senior left it.
    pub fn open_survey(&mut self) -> Vec<Effect> {
        let Some(survey) = self.surveys.first() else {
            return Vec::new();
        };
        let questions = survey.items.len();
        if self.survey_answers.len() != questions {
            self.survey_answers = vec![None; questions];
            self.survey_step = 0;
        }
        self.screen = Some(if self.survey_step >= questions {
            Screen::SurveyDone
        } else {
            Screen::Survey
        });
        Vec::new()
    }

    /// A step of the scale tapped: it answers the question shown, and the next comes
    /// (after the last: "send my answers?").
    pub fn answer_survey(&mut self, choice: &str) -> Vec<Effect> {
        let Some(survey) = self.surveys.first() else {
            return Vec::new();
        };
        let Some(step) = survey.scale.iter().find(|c| c.id.as_str() == choice) else {
            return Vec::new();
        };
        let questions = survey.items.len();
        if self.survey_answers.len() != questions {
            self.survey_answers = vec![None; questions];
            self.survey_step = 0;
        }
        if let Some(answer) = self.survey_answers.get_mut(self.survey_step) {
            *answer = Some(step.id.clone());
            self.survey_step += 1;
        }
        self.screen = Some(if self.survey_step >= questions {
            Screen::SurveyDone
        } else {
            Screen::Survey
        });
        Vec::new()
    }

    /// Back to the first question, with the answers given so far marked.
    pub fn survey_again(&mut self) -> Vec<Effect> {
        self.survey_step = 0;
        self.open_survey()
    }

    /// Sends the answers of the first questionnaire, all together, and goes home. With a
    /// question left unanswered, that question is asked instead.
    pub fn send_survey(&mut self) -> Vec<Effect> {
        let Some(survey) = self.surveys.first() else {
            return Vec::new();
        };
        let answers: Option<Vec<(ChoiceId, ChoiceId)>> = survey
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                self.survey_answers
                    .get(i)
                    .cloned()
                    .flatten()
                    .map(|c| (item.id.clone(), c))
            })
            .collect();
        let Some(answers) = answers else {
            self.survey_step = self
                .survey_answers
                .iter()
                .position(Option::is_none)
                .unwrap_or(0);
            return self.open_survey();
        };
        let survey = self.surveys.remove(0);
        self.surveys_answered.push(survey.survey_id.to_string());
        self.survey_step = 0;
        self.survey_answers.clear();
        self.screen = Some(Screen::Home);
        vec![Effect::SendSurvey {
            survey: survey.survey_id,
            answers,
        }]
    }

    /// Plays a voice note of the open conversation (`index` among those shown).
    pub fn play_voice(&self, index: usize) -> Vec<Effect> {
        let messages = self.open_conversation();
        let shown = messages.len().saturating_sub(MESSAGES_SHOWN);
        match messages.get(shown + index).map(|m| &m.content) {
            Some(Content::Voice {
                audio: Some(audio), ..
            }) => vec![Effect::PlayClip(audio.clone())],
            _ => Vec::new(),
        }
    }

    /// Reads this week's diary question aloud, when it comes with a recording.
    pub fn read_question_aloud(&self) -> Vec<Effect> {
        match self.diary.as_ref().and_then(|d| d.audio.clone()) {
            Some(audio) => vec![Effect::PlayClip(std::sync::Arc::new(audio))],
            None => Vec::new(),
        }
    }

    /// Whether to ask "How are you today?" now: the coach turned the check-in on, it is
    /// 10:00 or later, it was not asked today, and the senior is not in the middle of
    /// something (Home or the idle clock).
    pub fn check_in_due(&self, now: UnixMillis) -> bool {
        let local = crate::words::local(now);
        self.config.as_ref().is_some_and(|c| c.check_in)
            && local.hour >= CHECK_IN_FROM_HOUR
            && self.check_in_day != Some((local.year, local.month, local.day))
            && matches!(self.screen, Some(Screen::Home | Screen::Idle))
    }

    /// Asks the day's check-in, with a chime; once a day, answered or not.
    pub fn ask_check_in(&mut self, now: UnixMillis) -> Vec<Effect> {
        let local = crate::words::local(now);
        self.check_in_day = Some((local.year, local.month, local.day));
        self.screen = Some(Screen::CheckIn);
        vec![Effect::Chime]
    }

    /// The senior answered the check-in.
    pub fn check_in(&mut self, mood: nabij_protocol::Mood, now: UnixMillis) -> Vec<Effect> {
        let local = crate::words::local(now);
        self.check_in_day = Some((local.year, local.month, local.day));
        self.screen = Some(Screen::Home);
        vec![Effect::CheckIn(mood)]
    }

    /// Forgets the meetings that are over: the agenda and "next meeting" show only what
    /// is to come.
    pub fn forget_ended_meetings(&mut self, now: UnixMillis) {
        self.meetings.retain(|m| m.ends_at > now);
    }

    /// A meeting is near: show the reminder, with a chime.
    pub fn remind(&mut self, meeting: MeetingReminder) -> Vec<Effect> {
        self.reminder = Some(meeting);
        self.screen = Some(Screen::Reminder);
        vec![Effect::Chime]
    }

    /// The reminder due at `now`, if any: at the times the hub set (by default the
    /// evening before from 18:00, and two hours before a meeting), each once, never for a
    /// meeting that has begun.
    pub fn due_reminder(&mut self, now: UnixMillis) -> Option<MeetingReminder> {
        const HOUR: u64 = 3_600_000;
        let times = self
            .config
            .as_ref()
            .and_then(|c| c.reminders)
            .unwrap_or(nabij_protocol::ReminderTimes::DEFAULT);
        for meeting in &self.meetings {
            let start = meeting.starts_at.0;
            if now.0 >= start {
                continue;
            }
            let day_before = times.day_before_at_min.is_some_and(|from| {
                let day_before = crate::words::local(UnixMillis(start - 24 * HOUR));
                let local_now = crate::words::local(now);
                (local_now.year, local_now.month, local_now.day)
                    == (day_before.year, day_before.month, day_before.day)
                    && u16::from(local_now.hour) * 60 + u16::from(local_now.minute) >= from
            });
            let on_the_day = times
                .before_min
                .is_some_and(|before| start - now.0 <= u64::from(before) * 60_000);
            // Keys: 2 for the one on the day, 24 for the day before (as kept in `reminded`).
            for (due, key) in [(on_the_day, 2u8), (day_before, 24u8)] {
                let id = (meeting.session_id.to_string(), key);
                if due && !self.reminded.contains(&id) {
                    self.reminded.push(id);
                    if key == 2 {
                        // The day-before reminder would only repeat it now.
                        self.reminded.push((meeting.session_id.to_string(), 24));
                    }
                    return Some(meeting.clone());
                }
            }
        }
        None
    }

    /// "I'm coming" / "I can't come".
    pub fn rsvp(&mut self, coming: bool) -> Vec<Effect> {
        let Some(meeting) = self.reminder.take() else {
            return Vec::new();
        };
        self.screen = Some(Screen::Home);
        vec![Effect::Rsvp {
            session: meeting.session_id,
            coming,
        }]
    }

    /// The senior asks the coach to call. Asking again while a call is awaited sends
    /// nothing more; after [`HELP_AWAITED`] the button comes back.
    pub fn ask_help(&mut self, now: UnixMillis) -> Vec<Effect> {
        if self.help_awaited(now) {
            return Vec::new();
        }
        self.help_asked = Some(now);
        vec![Effect::AskHelp]
    }

    /// Whether the senior asked for a call recently enough to be told "will call you soon".
    pub fn help_awaited(&self, now: UnixMillis) -> bool {
        self.help_asked
            .is_some_and(|at| now.0.saturating_sub(at.0) < HELP_AWAITED.as_millis() as u64)
    }

    /// A digit of the coach PIN; the right PIN opens the settings, a wrong one starts over.
    pub fn pin_digit(&mut self, digit: &str) {
        if digit.len() != 1 || !digit.bytes().all(|b| b.is_ascii_digit()) {
            return;
        }
        self.pin.push_str(digit);
        self.pin_digits = self.pin.len();
        if self.pin.len() == PIN_LENGTH {
            let right = self.pin == self.coach_pin;
            self.pin.clear();
            self.pin_digits = 0;
            if right {
                self.screen = Some(Screen::CoachSettings);
            }
        }
    }

    /// A coach setting one step (10 points) up or down.
    pub fn change_setting(&mut self, setting: &str, delta: i32) -> Vec<Effect> {
        match setting {
            "text" => {
                self.text_scale_percent = step(self.text_scale_percent, delta, 100, 150);
                vec![Effect::SaveSettings]
            }
            "volume" => {
                self.volume_percent = step(self.volume_percent, delta, 0, 100);
                vec![Effect::SetVolume(self.volume_percent), Effect::SaveSettings]
            }
            "brightness" => {
                self.brightness_percent = step(self.brightness_percent, delta, 10, 100);
                vec![
                    Effect::SetBrightness(self.brightness_percent),
                    Effect::SaveSettings,
                ]
            }
            _ => Vec::new(),
        }
    }

    /// Changes the screen language.
    pub fn set_language(&mut self, code: &str) -> Vec<Effect> {
        match Language::parse(code) {
            Some(lang) => {
                self.language = lang;
                vec![Effect::SaveSettings]
            }
            None => Vec::new(),
        }
    }

    /// The screen settings as they are now.
    pub fn screen_settings(&self) -> ScreenSettings {
        ScreenSettings {
            language: self.language,
            text_scale_percent: self.text_scale_percent,
            volume_percent: self.volume_percent,
            brightness_percent: self.brightness_percent,
        }
    }

    /// Puts saved screen settings back (within their ranges); returns the effects that
    /// make volume and brightness real.
    pub fn restore_screen_settings(&mut self, saved: &ScreenSettings) -> Vec<Effect> {
        self.language = saved.language;
        self.text_scale_percent = saved.text_scale_percent.clamp(100, 150);
        self.volume_percent = saved.volume_percent.min(100);
        self.brightness_percent = saved.brightness_percent.clamp(10, 100);
        vec![
            Effect::SetVolume(self.volume_percent),
            Effect::SetBrightness(self.brightness_percent),
        ]
    }

    /// No touch for a while: the calm clock (not over pairing or "switched off").
    pub fn go_idle(&mut self) {
        if !matches!(
            self.screen,
            Some(Screen::Pairing | Screen::SwitchedOff | Screen::Idle)
        ) {
            self.screen = Some(Screen::Idle);
        }
    }

    /// A tap on the idle clock: back home.
    pub fn wake(&mut self) {
        if self.screen == Some(Screen::Idle) {
            self.screen = Some(Screen::Home);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    fn state() -> KioskState {
        let mut s = sample::state(Screen::Home, Language::En);
        s.coach_pin = "2580".into();
        s
    }

    #[test]
    fn opening_a_conversation_marks_it_seen() {
        let mut s = state();
        assert_eq!(s.unread(), 2);
        s.open_contact("p-anna-peeters");
        assert_eq!((s.screen, s.unread()), (Some(Screen::Conversation), 0));
        s.open_contact("p-stranger");
        assert_eq!(
            s.partner.as_ref().map(|p| p.as_str()),
            Some("p-anna-peeters"),
            "unknown ids change nothing"
        );
    }

    #[test]
    fn typing_keeps_the_draft_until_it_is_sent() {
        let mut s = state();
        s.open_contact("p-anna-peeters");
        for k in ["H", "I", " "] {
            s.key(k);
        }
        s.navigate(Screen::Home);
        s.navigate(Screen::Keyboard);
        assert_eq!(s.draft, "HI ", "leaving the keyboard keeps what was typed");
        s.backspace();
        let effects = s.send_draft(sample::NOW);
        assert_eq!(
            effects,
            [Effect::SendText {
                to: PersonId::parse("p-anna-peeters").unwrap(),
                text: "HI".into()
            }]
        );
        assert!(s.draft.is_empty());
        let last = s.open_conversation().last().unwrap();
        assert_eq!(
            (last.content.clone(), last.delivery),
            (Content::Text("HI".into()), Some(Delivery::Waiting))
        );
        assert!(
            s.send_draft(sample::NOW).is_empty(),
            "an empty draft is not sent"
        );
    }

    #[test]
    fn the_recorder_is_tap_to_start_and_tap_to_stop() {
        let mut s = state();
        s.open_contact("p-anna-peeters");
        s.recorder = RecorderState::Ready;
        assert_eq!(s.record_toggle(), [Effect::StartRecording]);
        assert_eq!(s.record_toggle(), [Effect::StopRecording]);
        assert_eq!(s.play_recording(), [Effect::PlayRecording]);
        s.playback_finished();
        assert_eq!(s.recorder, RecorderState::Recorded);
        let sent = s.send_recording(sample::NOW);
        assert!(matches!(sent.as_slice(), [Effect::SendVoice { .. }]));
        assert_eq!(s.recorder, RecorderState::Ready);
    }

    #[test]
    fn the_coach_pin_opens_settings_and_a_wrong_one_starts_over() {
        let mut s = state();
        s.navigate(Screen::CoachPin);
        for d in ["1", "2", "3", "4"] {
            s.pin_digit(d);
        }
        assert_eq!((s.screen, s.pin_digits), (Some(Screen::CoachPin), 0));
        for d in ["2", "5", "8", "0"] {
            s.pin_digit(d);
        }
        assert_eq!(s.screen, Some(Screen::CoachSettings));
    }

    #[test]
    fn reminders_come_the_evening_before_and_two_hours_before_once_each() {
        let mut s = state();
        let hour = 3_600_000;
        // The first sample meeting is tomorrow at 14:00 (Belgian time); now is 10:15.
        assert_eq!(s.due_reminder(sample::NOW), None);
        let evening = UnixMillis(sample::NOW.0 + 8 * hour); // 18:15 today
        assert!(s.due_reminder(evening).is_some());
        assert_eq!(s.due_reminder(evening), None, "once");
        let start = s.meetings[0].starts_at.0;
        assert!(
            s.due_reminder(UnixMillis(start - 2 * hour + 60_000))
                .is_some()
        );
        assert_eq!(s.due_reminder(UnixMillis(start - hour)), None);
        assert_eq!(
            s.due_reminder(UnixMillis(start + hour)),
            None,
            "never after it began"
        );
    }

    #[test]
    fn reminders_come_at_the_times_the_hub_set_and_not_when_turned_off() {
        let mut s = state();
        let (hour, minute) = (3_600_000, 60_000);
        // The first sample meeting is tomorrow at 14:00; now is 10:15. Jan's bus comes
        // early: the day before from 17:00, and three hours before.
        if let Some(c) = s.config.as_mut() {
            c.reminders = Some(nabij_protocol::ReminderTimes {
                day_before_at_min: Some(17 * 60),
                before_min: Some(180),
            });
        }
        let at = |h: u64, m: u64| UnixMillis(sample::NOW.0 + h * hour + m * minute);
        assert_eq!(s.due_reminder(at(6, 40)), None, "16:55: not yet");
        assert!(s.due_reminder(at(6, 45)).is_some(), "17:00 the day before");
        let start = s.meetings[0].starts_at.0;
        assert_eq!(s.due_reminder(UnixMillis(start - 3 * hour - minute)), None);
        assert!(s.due_reminder(UnixMillis(start - 3 * hour)).is_some());

        // Only the one on the day.
        let mut s = state();
        if let Some(c) = s.config.as_mut() {
            c.reminders = Some(nabij_protocol::ReminderTimes {
                day_before_at_min: None,
                before_min: Some(60),
            });
        }
        assert_eq!(s.due_reminder(at(10, 0)), None, "20:15 the day before: off");
        assert_eq!(s.due_reminder(UnixMillis(start - 2 * hour)), None);
        assert!(s.due_reminder(UnixMillis(start - hour)).is_some());
    }

    #[test]
    fn the_check_in_comes_once_a_day_from_ten_on_home_and_its_answer_is_sent() {
        let mut s = state();
        s.screen = Some(Screen::Home);
        let hour = 3_600_000;
        // sample::NOW is 10:15 in Brussels.
        let nine = UnixMillis(sample::NOW.0 - 75 * 60_000);
        assert!(!s.check_in_due(nine), "not before ten");
        assert!(s.check_in_due(sample::NOW));
        s.screen = Some(Screen::Keyboard);
        assert!(
            !s.check_in_due(sample::NOW),
            "not in the middle of a message"
        );
        s.screen = Some(Screen::Idle);
        assert_eq!(s.ask_check_in(sample::NOW), [Effect::Chime]);
        assert_eq!(s.screen, Some(Screen::CheckIn));
        s.navigate(Screen::Home); // left unanswered
        assert!(
            !s.check_in_due(UnixMillis(sample::NOW.0 + hour)),
            "once a day"
        );
        let tomorrow = UnixMillis(sample::NOW.0 + 24 * hour);
        assert!(s.check_in_due(tomorrow));
        assert_eq!(
            s.check_in(nabij_protocol::Mood::NotGood, tomorrow),
            [Effect::CheckIn(nabij_protocol::Mood::NotGood)]
        );
        assert_eq!(s.screen, Some(Screen::Home));
        assert!(!s.check_in_due(UnixMillis(tomorrow.0 + hour)));
        if let Some(c) = s.config.as_mut() {
            c.check_in = false;
        }
        assert!(
            !s.check_in_due(UnixMillis(tomorrow.0 + 24 * hour)),
            "only when the coach turned it on"
        );
    }

    #[test]
    fn a_meeting_that_is_over_leaves_the_agenda() {
        let mut s = state();
        let count = s.meetings.len();
        let first_end = s.meetings[0].ends_at;
        s.forget_ended_meetings(UnixMillis(first_end.0 - 1));
        assert_eq!(s.meetings.len(), count, "still going on: still shown");
        s.forget_ended_meetings(first_end);
        assert_eq!(s.meetings.len(), count - 1);
        assert!(s.meetings.iter().all(|m| m.ends_at > first_end));
    }

    #[test]
    fn settings_stay_within_their_ranges() {
        let mut s = state();
        for _ in 0..10 {
            s.change_setting("text", 1);
        }
        assert_eq!(s.text_scale_percent, 150);
        for _ in 0..20 {
            s.change_setting("brightness", -1);
        }
        assert_eq!(s.brightness_percent, 10, "never a black screen");
        assert_eq!(
            s.change_setting("volume", 1),
            [Effect::SetVolume(90), Effect::SaveSettings]
        );
    }

    #[test]
    fn diary_reminder_help_and_idle() {
        let mut s = state();
        s.toggle_choice("family");
        s.toggle_choice("not-a-choice");
        s.open_contact("p-anna-peeters");
        s.answer_diary_with(Screen::Keyboard);
        for k in ["O", "K"] {
            s.key(k);
        }
        s.send_draft(sample::NOW);
        assert_eq!(
            (s.screen, s.diary_text.as_deref()),
            (Some(Screen::DiaryShare), Some("OK")),
            "typed words join the answer"
        );
        let last = s.open_conversation().last().map(|m| m.content.clone());
        assert_ne!(
            last,
            Some(Content::Text("OK".into())),
            "the diary words are not sent to Anna"
        );
        let sent = s.send_diary(true);
        let expected = Effect::SendDiary {
            prompt: nabij_protocol::PromptId::parse("q-week-03").unwrap(),
            choices: vec!["neighbour".into(), "family".into()],
            people: vec![PersonId::parse("p-anna-peeters").unwrap()],
            text: Some("OK".into()),
            with_voice: false,
            voice: None,
            share_with_group: true,
        };
        assert_eq!(sent, [expected]);
        assert!(s.diary.is_none());

        let meeting = s.meetings[0].clone();
        assert_eq!(s.remind(meeting), [Effect::Chime]);
        assert_eq!(s.screen, Some(Screen::Reminder));
        assert!(matches!(
            s.rsvp(true).as_slice(),
            [Effect::Rsvp { coming: true, .. }]
        ));
        assert_eq!(s.ask_help(sample::NOW), [Effect::AskHelp]);
        assert!(s.ask_help(sample::NOW).is_empty(), "asked once is enough");
        let later = UnixMillis(sample::NOW.0 + HELP_AWAITED.as_millis() as u64);
        assert!(!s.help_awaited(later));
        assert_eq!(
            s.ask_help(later),
            [Effect::AskHelp],
            "and again the next day"
        );

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

    #[test]
    fn a_questionnaire_is_one_tap_a_question_and_goes_all_together_after_the_last() {
        let mut s = state();
        s.survey_answers.clear();
        s.survey_step = 0;
        assert!(s.open_survey().is_empty());
        assert_eq!((s.screen, s.survey_step), (Some(Screen::Survey), 0));
        assert!(
            s.answer_survey("eleven").is_empty(),
            "not a step of the scale"
        );
        assert_eq!(s.survey_step, 0);
        s.answer_survey("one");
        assert_eq!((s.screen, s.survey_step), (Some(Screen::Survey), 1));
        // Home in between: the questionnaire waits where it was left.
        s.navigate(Screen::Home);
        s.open_survey();
        assert_eq!((s.screen, s.survey_step), (Some(Screen::Survey), 1));
        s.answer_survey("nine-plus");
        assert_eq!(s.screen, Some(Screen::SurveyDone));
        // Going through again keeps the answers, and a tap changes one.
        s.survey_again();
        assert_eq!((s.screen, s.survey_step), (Some(Screen::Survey), 0));
        s.answer_survey("two");
        s.answer_survey("nine-plus");
        let sent = s.send_survey();
        let id = |t: &str| ChoiceId::parse(t).unwrap();
        assert_eq!(
            sent,
            [Effect::SendSurvey {
                survey: SurveyId::parse("v-lsns6-start").unwrap(),
                answers: vec![
                    (id("family-contact"), id("two")),
                    (id("friends-help"), id("nine-plus")),
                ],
            }]
        );
        assert_eq!(s.screen, Some(Screen::Home));
        assert!(s.surveys.is_empty() && s.survey_answers.is_empty());
        assert_eq!(s.surveys_answered, ["v-lsns6-start"]);
        assert!(s.send_survey().is_empty(), "nothing twice");
    }

    #[test]
    fn a_questionnaire_with_a_question_left_open_is_not_sent_half() {
        let mut s = state();
        s.survey_answers = vec![None, Some(ChoiceId::parse("one").unwrap())];
        s.survey_step = 2;
        assert!(s.send_survey().is_empty());
        assert_eq!(
            (s.screen, s.survey_step),
            (Some(Screen::Survey), 0),
            "the open question is asked"
        );
        assert_eq!(s.surveys.len(), 1);
    }

    #[test]
    fn a_diary_question_about_people_offers_the_seniors_contacts_page_by_page() {
        let mut s = state();
        s.diary_people.clear();
        s.navigate(Screen::Diary);
        s.diary_next();
        assert_eq!(s.screen, Some(Screen::DiaryPeople));
        // Seven contacts: four a page beside "More people" and "Next".
        let (shown, more) = s.diary_people_shown();
        assert_eq!((shown.len(), more), (4, true));
        let first_page: Vec<String> = shown.iter().map(|c| c.name.clone()).collect();
        s.toggle_diary_person("p-anna-peeters");
        s.toggle_diary_person("p-stranger");
        s.next_diary_people();
        let (shown, _) = s.diary_people_shown();
        assert!(shown.iter().all(|c| !first_page.contains(&c.name)));
        let on_page_two = shown[0].person.to_string();
        s.toggle_diary_person(&on_page_two);
        s.next_diary_people();
        assert_eq!(s.diary_people_page, 0, "round to the first page");
        s.diary_next();
        assert_eq!(s.screen, Some(Screen::DiaryShare));
        s.diary_back();
        assert_eq!(s.screen, Some(Screen::DiaryPeople), "back one step");
        s.toggle_diary_person("p-anna-peeters");
        let sent = s.send_diary(true);
        let [Effect::SendDiary { people, .. }] = sent.as_slice() else {
            panic!("{sent:?}")
        };
        assert_eq!(
            people.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            [on_page_two]
        );

        // A question that is not about people goes straight to "who may read it".
        let mut s = state();
        if let Some(d) = s.diary.as_mut() {
            d.people = false;
        }
        s.navigate(Screen::Diary);
        s.diary_next();
        assert_eq!(s.screen, Some(Screen::DiaryShare));
        s.diary_back();
        assert_eq!(s.screen, Some(Screen::Diary));
    }
}
