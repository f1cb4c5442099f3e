//! What the hub's messages do to what the kiosk shows: settings, contacts, messages and
//! their delivery words, the diary question, meetings, and the coach's wipe and switch-off.
//! Pure transitions over `KioskState`, like those in `state.rs`; the live link feeds them
//! (and replays the tablet's history through them at start).

use crate::state::{
    ChatMessage, Content, Delivery, Effect, KioskState, LinkProblem, MeetingChange, NotSent, Screen,
};
use crate::words::Language;
use nabij_protocol::{
    Body, Envelope, MessageId, Party, PersonId, Receipt, ReceiptState, Recipient,
    ScheduleChangeKind,
};

/// Whether an envelope is news or a replay of the tablet's own history at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Just arrived: a new message chimes.
    Fresh,
    /// Read back from the tablet's storage: shown quietly, as it was.
    Replayed,
}

/// Largest side of a face kept for contact buttons and the Help screen, in pixels.
pub const FACE_PX: u32 = 256;

/// How a received photo is shown: its thumbnail, made (and cached) by the caller.
pub type PhotoShown = Option<Content>;

fn language_of(lang: nabij_protocol::Language) -> Language {
    match lang {
        nabij_protocol::Language::Nl => Language::Nl,
        nabij_protocol::Language::Fr => Language::Fr,
        nabij_protocol::Language::En => Language::En,
    }
}

/// A voice note as a conversation shows it: its length, and the recording to play.
fn voice(audio: &nabij_protocol::Audio) -> Content {
    Content::Voice {
        seconds: audio.duration_ms.div_ceil(1000),
        audio: Some(std::sync::Arc::new(audio.clone())),
    }
}

/// A meeting's order: soonest first.
fn sort_meetings(state: &mut KioskState) {
    state.meetings.sort_by_key(|m| m.starts_at);
}

impl KioskState {
    fn conversation_mut(&mut self, partner: &PersonId) -> &mut Vec<ChatMessage> {
        let index = match self.conversations.iter().position(|(p, _)| p == partner) {
            Some(index) => index,
            None => {
                self.conversations.push((partner.clone(), Vec::new()));
                self.conversations.len() - 1
            }
        };
        &mut self.conversations[index].1
    }

    fn my_message_mut(&mut self, id: &MessageId) -> Option<&mut ChatMessage> {
        self.conversations
            .iter_mut()
            .flat_map(|(_, messages)| messages.iter_mut())
            .find(|m| m.id.as_ref() == Some(id) && m.delivery.is_some())
    }

    /// Something the hub sent this tablet. `photo` is the thumbnail of a received photo.
    pub fn receive(
        &mut self,
        envelope: &Envelope,
        photo: PhotoShown,
        arrival: Arrival,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        match &envelope.body {
            Body::Config(config) => {
                // A setting the hub sends again unchanged does not undo what a coach set
                // on the tablet since; one the hub changes does.
                let before = self.config.as_ref();
                let changed = |field: fn(&nabij_protocol::DeviceConfig) -> u8| {
                    before.map(field) != Some(field(config))
                };
                let (text, volume, brightness) = (
                    changed(|c| c.text_scale_pct),
                    changed(|c| c.volume_pct),
                    changed(|c| c.brightness_pct),
                );
                if before.map(|c| c.language) != Some(config.language) {
                    self.language = language_of(config.language);
                }
                if text {
                    self.text_scale_percent = config.text_scale_pct;
                }
                if volume {
                    self.volume_percent = config.volume_pct;
                    effects.push(Effect::SetVolume(config.volume_pct));
                }
                if brightness {
                    self.brightness_percent = config.brightness_pct;
                    effects.push(Effect::SetBrightness(config.brightness_pct));
                }
                self.config = Some(config.clone());
                if let Some(coach) = &config.coach {
                    self.keep_face(&coach.person, coach.photo.as_ref());
                }
                if arrival == Arrival::Fresh {
                    effects.push(Effect::SaveSettings);
                }
                if self.screen == Some(Screen::Pairing) {
                    self.screen = Some(Screen::Home);
                }
            }
            Body::Contacts(list) => {
                self.contacts = list.contacts.clone();
                self.contacts_page = 0;
                for contact in &list.contacts {
                    self.keep_face(&contact.person, contact.photo.as_ref());
                }
                self.file_under_former(&list.former);
            }
            Body::Text(_) | Body::Voice(_) | Body::Photo(_) => {
                // A group message sits in the conversation with its author (the coach).
                let (author, content) = match &envelope.body {
                    Body::Text(t) => (&t.author, Content::Text(t.text.clone())),
                    Body::Voice(v) => (&v.author, voice(&v.audio)),
                    Body::Photo(p) => (
                        &p.author,
                        photo.unwrap_or(Content::Text(p.caption.clone().unwrap_or_default())),
                    ),
                    _ => return effects,
                };
                // The hub always names the author of what it delivers; a message without
                // one has nowhere to go.
                let Some(author) = author.clone() else {
                    return effects;
                };
                let open = self.screen == Some(Screen::Conversation)
                    && self.partner.as_ref() == Some(&author);
                let seen = open && arrival == Arrival::Fresh;
                self.conversation_mut(&author).push(ChatMessage {
                    id: Some(envelope.id.clone()),
                    author,
                    at: envelope.ts,
                    content,
                    delivery: None,
                    seen,
                });
                if arrival == Arrival::Fresh {
                    effects.push(Effect::Chime);
                    // Sound and words together: the calm clock gives way to Home, where
                    // the Messages tile says what came.
                    if self.screen == Some(Screen::Idle) {
                        self.screen = Some(Screen::Home);
                    }
                    if seen {
                        effects.push(Effect::SendSeen {
                            ids: vec![envelope.id.clone()],
                        });
                    }
                }
            }
            Body::Receipt(receipt) => self.apply_receipt(receipt),
            Body::Rejected(rejected) => {
                self.not_sent(&rejected.id, NotSent::from_reason(&rejected.reason));
                eprintln!(
                    "nabij-kiosk: the hub refused message {} ({:?}): {}",
                    rejected.id,
                    rejected.reason,
                    rejected.detail.as_deref().unwrap_or("no detail")
                );
            }
            Body::DiaryPrompt(prompt) if !self.answered.contains(&prompt.prompt_id.to_string()) => {
                self.diary = Some(prompt.clone());
                self.diary_selected.clear();
                self.diary_people.clear();
            }
            Body::Questionnaire(survey)
                if !self
                    .surveys_answered
                    .contains(&survey.survey_id.to_string())
                    && !self.surveys.iter().any(|s| s.survey_id == survey.survey_id) =>
            {
                self.surveys.push(survey.clone());
            }
            Body::MeetingReminder(meeting) => {
                self.meetings.retain(|m| m.session_id != meeting.session_id);
                self.meetings.push(meeting.clone());
                sort_meetings(self);
            }
            Body::ScheduleChange(change) => {
                // Said in words, with a chime, when it is news; the agenda follows.
                if let Some(before) = self
                    .meetings
                    .iter()
                    .find(|m| m.session_id == change.session_id)
                {
                    let moved_to = (change.change != ScheduleChangeKind::Cancelled)
                        .then(|| {
                            let place = change.place.clone().filter(|p| *p != before.place);
                            change.starts_at.map(|t| (t, place))
                        })
                        .flatten();
                    if arrival == Arrival::Fresh {
                        self.change = Some(MeetingChange {
                            was: before.starts_at,
                            moved_to,
                        });
                        effects.extend(self.navigate(Screen::MeetingChanged));
                        effects.push(Effect::Chime);
                    }
                }
                if change.change == ScheduleChangeKind::Cancelled {
                    self.meetings.retain(|m| m.session_id != change.session_id);
                } else if let Some(meeting) = self
                    .meetings
                    .iter_mut()
                    .find(|m| m.session_id == change.session_id)
                {
                    if let (Some(start), Some(end)) = (change.starts_at, change.ends_at) {
                        meeting.starts_at = start;
                        meeting.ends_at = end;
                    }
                    if let Some(place) = &change.place {
                        meeting.place = place.clone();
                    }
                    if change.pickup_at.is_some() {
                        meeting.pickup_at = change.pickup_at;
                    }
                    // A moved meeting is reminded of again at its new time.
                    let session = change.session_id.to_string();
                    self.reminded.retain(|(s, _)| *s != session);
                }
                sort_meetings(self);
            }
            // The coach answered: "will call you soon", counted from now.
            Body::HelpReply(_) => self.help_answered(envelope.ts),
            // This tablet's own coach PIN (a later one replaces it).
            Body::CoachPin(pin) => {
                effects.extend(self.own_coach_pin(pin, arrival == Arrival::Fresh))
            }
            _ => {}
        }
        effects
    }

    /// Something this tablet sent, read back from its storage at start. `waiting`: still in
    /// the outbox (the hub has not acknowledged it).
    pub fn replay_mine(&mut self, envelope: &Envelope, waiting: bool) {
        let Some(me) = self.config.as_ref().map(|c| c.participant.clone()) else {
            return;
        };
        let delivery = Some(if waiting {
            Delivery::Waiting
        } else {
            Delivery::Sent
        });
        let (to, content) = match &envelope.body {
            Body::Text(t) => (&t.to, Content::Text(t.text.clone())),
            Body::Voice(v) => (&v.to, voice(&v.audio)),
            Body::Receipt(r) if r.state == ReceiptState::Seen => {
                for (_, messages) in &mut self.conversations {
                    for m in messages.iter_mut() {
                        if m.id.as_ref().is_some_and(|id| r.ids.contains(id)) {
                            m.seen = true;
                        }
                    }
                }
                return;
            }
            Body::CheckIn(_) => {
                // Answered that day: not asked again after a restart.
                let day = crate::words::local(envelope.ts);
                let day = (day.year, day.month, day.day);
                if self.check_in_day.is_none_or(|d| d < day) {
                    self.check_in_day = Some(day);
                }
                return;
            }
            Body::DiaryAnswer(answer) => {
                self.answered.push(answer.prompt_id.to_string());
                if self
                    .diary
                    .as_ref()
                    .is_some_and(|d| d.prompt_id == answer.prompt_id)
                {
                    self.diary = None;
                }
                return;
            }
            Body::QuestionnaireAnswer(answer) => {
                self.surveys_answered.push(answer.survey_id.to_string());
                if let Some(i) = self
                    .surveys
                    .iter()
                    .position(|s| s.survey_id == answer.survey_id)
                {
                    self.surveys.remove(i);
                    if i == 0 {
                        self.survey_step = 0;
                        self.survey_answers.clear();
                    }
                }
                return;
            }
            _ => return,
        };
        let Recipient::Person(to) = to else { return };
        self.conversation_mut(to).push(ChatMessage {
            id: Some(envelope.id.clone()),
            author: me,
            at: envelope.ts,
            content,
            delivery,
            seen: true,
        });
    }

    /// Decodes and keeps a person's face (a small JPEG), or forgets it when there is none.
    fn keep_face(
        &mut self,
        person: &PersonId,
        photo: Option<&nabij_protocol::base64::Base64Bytes>,
    ) {
        self.faces.retain(|(p, _)| p != person);
        let Some(photo) = photo else { return };
        match crate::live::photos::fit(&photo.0, FACE_PX, FACE_PX) {
            Ok(face) => self.faces.push((person.clone(), face)),
            Err(e) => eprintln!("nabij-kiosk: the photo of {person} is not shown: {e}"),
        }
    }

    /// A person's face, if the hub sent one.
    pub fn face(&self, person: &PersonId) -> Option<&Content> {
        self.faces.iter().find(|(p, _)| p == person).map(|(_, f)| f)
    }

    /// How far my messages got ("Delivered", "Seen"); receipts only move forward.
    pub fn apply_receipt(&mut self, receipt: &Receipt) {
        for id in &receipt.ids {
            if let Some(message) = self.my_message_mut(id) {
                let newer = match message.delivery {
                    Some(Delivery::Receipt(ReceiptState::Seen)) => false,
                    Some(Delivery::Receipt(ReceiptState::Delivered)) => {
                        receipt.state == ReceiptState::Seen
                    }
                    _ => true,
                };
                if newer {
                    message.delivery = Some(Delivery::Receipt(receipt.state));
                }
            }
        }
    }

    /// Keeps the recording of one of my voice notes with it, to play it back.
    pub fn keep_audio(&mut self, id: &MessageId, recording: &nabij_protocol::Audio) {
        if let Some(message) = self.my_message_mut(id)
            && let Content::Voice { audio, .. } = &mut message.content
        {
            *audio = Some(std::sync::Arc::new(recording.clone()));
        }
    }

    /// One of mine will not be sent (the hub refused it, or it could not be stored).
    pub fn not_sent(&mut self, id: &MessageId, why: NotSent) {
        if let Some(message) = self.my_message_mut(id) {
            message.delivery = Some(Delivery::Refused(why));
        }
    }

    /// The tablet's storage failed: what the senior does waits for it (the screens say
    /// "One moment, please"), and the coach's screen says why.
    pub fn storage_trouble(&mut self, detail: String) {
        self.storage_retrying = true;
        self.link_problem = Some(LinkProblem::Storage(detail));
    }

    /// The storage works again: what waited is stored.
    pub fn storage_back(&mut self) {
        self.storage_retrying = false;
        if matches!(self.link_problem, Some(LinkProblem::Storage(_))) {
            self.link_problem = None;
        }
    }

    /// The hub acknowledged these of mine: "Sent".
    pub fn acked(&mut self, ids: &[MessageId]) {
        self.help_acked(ids);
        for id in ids {
            if let Some(message) = self.my_message_mut(id)
                && message.delivery == Some(Delivery::Waiting)
            {
                message.delivery = Some(Delivery::Sent);
            }
        }
    }

    /// The coach wiped this tablet: everything goes; the pairing screen comes back.
    pub fn wiped(&mut self) {
        let keep_language = self.language;
        let coach_pin = std::mem::take(&mut self.coach_pin);
        *self = KioskState {
            screen: Some(Screen::Pairing),
            language: keep_language,
            coach_pin,
            text_scale_percent: 100,
            volume_percent: 80,
            brightness_percent: 80,
            ..KioskState::default()
        };
    }

    /// Files the conversations with people erased from the programme under "a former
    /// participant" (one conversation for all of them, no reply), and forgets their faces.
    fn file_under_former(&mut self, erased: &[PersonId]) {
        let former = PersonId::former_participant();
        let mut moved = Vec::new();
        self.conversations.retain_mut(|(partner, messages)| {
            if erased.contains(partner) {
                moved.append(messages);
                false
            } else {
                true
            }
        });
        self.faces.retain(|(p, _)| !erased.contains(p));
        if self.partner.as_ref().is_some_and(|p| erased.contains(p)) {
            self.partner = Some(former.clone());
        }
        if moved.is_empty() {
            return;
        }
        for message in &mut moved {
            if erased.contains(&message.author) {
                message.author = former.clone();
            }
        }
        let conversation = self.conversation_mut(&former);
        conversation.append(&mut moved);
        conversation.sort_by_key(|m| m.at);
    }

    /// The coach switched this tablet off or took it back (or its log-in is refused):
    /// it says so until it is switched on again or a coach erases it.
    pub fn switched_off(&mut self) {
        self.switched_off = true;
        self.screen = Some(Screen::SwitchedOff);
        // A code from an earlier pairing no longer pairs anything; the one to pair again
        // with comes next (docs/protocol.md §6.19).
        self.pairing_code = None;
        self.pairing_link = None;
    }

    /// A pairing code to show (a new one replaces an expired one). A switched-off tablet
    /// stays on its own screen, which shows the code for the coach beneath its words for
    /// the senior.
    pub fn show_pairing_code(&mut self, code: &str, link: Option<String>) {
        self.pairing_code = Some(code.to_owned());
        self.pairing_link = link;
        if self.screen != Some(Screen::SwitchedOff) {
            self.screen = Some(Screen::Pairing);
        }
    }
}

/// Whether an envelope was written by this tablet (rather than by the hub).
pub fn is_mine(envelope: &Envelope) -> bool {
    matches!(envelope.from, Party::Device(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use nabij_protocol::{
        RejectReason, Rejected, ScheduleChange, SessionId, TextMessage, UnixMillis,
    };

    fn from_hub(id: &str, body: Body) -> Envelope {
        Envelope::new(MessageId::parse(id).unwrap(), Party::Hub, body)
    }

    #[test]
    fn messages_from_someone_erased_stay_as_from_a_former_participant_with_no_reply() {
        let mut s = sample::state(Screen::Contacts, Language::Nl);
        let anna: PersonId = "p-anna-peeters".parse().unwrap();
        let former: PersonId = nabij_protocol::FORMER_PARTICIPANT.parse().unwrap();
        let kept = s
            .conversations
            .iter()
            .find(|(p, _)| *p == anna)
            .unwrap()
            .1
            .len();
        assert!(kept > 0);
        assert!(s.faces.iter().any(|(p, _)| *p == anna));
        let others: Vec<nabij_protocol::Contact> = s
            .contacts
            .iter()
            .filter(|c| c.person != anna)
            .cloned()
            .collect();
        s.receive(
            &from_hub(
                "hub-msg-30",
                Body::Contacts(nabij_protocol::Contacts {
                    contacts: others.clone(),
                    former: vec![anna.clone()],
                }),
            ),
            None,
            Arrival::Fresh,
        );
        assert!(s.conversations.iter().all(|(p, _)| *p != anna));
        assert!(s.faces.iter().all(|(p, _)| *p != anna), "their face goes");
        let filed = &s
            .conversations
            .iter()
            .find(|(p, _)| *p == former)
            .unwrap()
            .1;
        assert_eq!(filed.len(), kept);
        assert!(filed.iter().all(|m| m.author != anna));
        // On the Messages screen after the contacts; never among the people a diary
        // answer can name.
        let partners = s.chat_partners();
        assert_eq!(partners.len(), others.len() + 1);
        assert_eq!(partners.last().unwrap().person, former);
        assert!(s.contacts.iter().all(|c| c.person != former));
        s.open_contact(nabij_protocol::FORMER_PARTICIPANT);
        assert_eq!(s.screen, Some(Screen::Conversation));
        assert_eq!(s.open_conversation().len(), kept);
        assert!(!s.can_reply());
        s.open_contact(others[0].person.as_str());
        assert!(s.can_reply());
    }

    #[test]
    fn receipts_only_move_forward_and_a_refusal_says_not_sent() {
        let mut s = sample::state(Screen::Home, Language::En);
        s.open_contact("p-anna-peeters");
        s.quick_reply("Hallo", sample::NOW);
        s.assign_id(
            &"p-anna-peeters".parse().unwrap(),
            MessageId::parse("kiosk-001").unwrap(),
        );
        let id = MessageId::parse("kiosk-001").unwrap();
        let last = |s: &KioskState| s.open_conversation().last().and_then(|m| m.delivery);
        s.acked(std::slice::from_ref(&id));
        assert_eq!(last(&s), Some(Delivery::Sent));
        for state in [ReceiptState::Seen, ReceiptState::Delivered] {
            s.apply_receipt(&Receipt {
                ids: vec![id.clone()],
                state,
                by: None,
            });
        }
        assert_eq!(last(&s), Some(Delivery::Receipt(ReceiptState::Seen)));
        s.quick_reply("Nog eens", sample::NOW);
        s.assign_id(
            &"p-anna-peeters".parse().unwrap(),
            MessageId::parse("kiosk-002").unwrap(),
        );
        let rejected = from_hub(
            "hub-rej-01",
            Body::Rejected(Rejected {
                id: MessageId::parse("kiosk-002").unwrap(),
                reason: RejectReason::NotAContact,
                detail: None,
                retry_after_ms: None,
            }),
        );
        s.receive(&rejected, None, Arrival::Replayed);
        assert_eq!(last(&s), Some(Delivery::Refused(NotSent::NotAContact)));
    }

    #[test]
    fn a_group_message_sits_with_its_author_and_chimes_only_when_fresh() {
        let mut s = sample::state(Screen::Home, Language::En);
        let text = |id: &str| {
            from_hub(
                id,
                Body::Text(TextMessage {
                    to: Recipient::parse("g-oost").unwrap(),
                    author: Some("p-coach-marie".parse().unwrap()),
                    text: "Bus om 13:30".into(),
                }),
            )
        };
        s.go_idle();
        assert_eq!(
            s.receive(&text("hub-msg-01"), None, Arrival::Fresh),
            [Effect::Chime]
        );
        assert_eq!(
            s.screen,
            Some(Screen::Home),
            "a new message wakes the tablet"
        );
        assert!(
            s.receive(&text("hub-msg-02"), None, Arrival::Replayed)
                .is_empty()
        );
        let marie: PersonId = "p-coach-marie".parse().unwrap();
        assert_eq!(s.unread_from(&marie), 2);
        let before = s.unread();
        let stranger = from_hub(
            "hub-msg-09",
            Body::Text(TextMessage {
                to: Recipient::parse("p-jan-claes").unwrap(),
                author: Some("p-nobody".parse().unwrap()),
                text: "?".into(),
            }),
        );
        s.receive(&stranger, None, Arrival::Fresh);
        assert_eq!(
            s.unread(),
            before,
            "a conversation the senior cannot open is not counted as waiting"
        );
        assert_eq!(
            s.open_contact("p-coach-marie"),
            [Effect::SendSeen {
                ids: vec![
                    MessageId::parse("hub-msg-01").unwrap(),
                    MessageId::parse("hub-msg-02").unwrap()
                ]
            }]
        );
        // While the conversation is open, a new message is seen at once.
        let effects = s.receive(&text("hub-msg-03"), None, Arrival::Fresh);
        assert!(effects.contains(&Effect::SendSeen {
            ids: vec![MessageId::parse("hub-msg-03").unwrap()]
        }));
    }

    #[test]
    fn schedule_changes_move_or_cancel_meetings_and_answered_questions_stay_answered() {
        let mut s = sample::state(Screen::Home, Language::En);
        let first = s.meetings[0].clone();
        let moved_to = UnixMillis(first.starts_at.0 + 86_400_000);
        let change = |kind, starts_at: Option<UnixMillis>| {
            from_hub(
                "hub-sc-01",
                Body::ScheduleChange(ScheduleChange {
                    session_id: first.session_id.clone(),
                    change: kind,
                    starts_at,
                    ends_at: starts_at.map(|t| UnixMillis(t.0 + 3_600_000)),
                    place: Some("Bibliotheek".into()),
                    pickup_at: None,
                }),
            )
        };
        s.receive(
            &change(ScheduleChangeKind::Moved, Some(moved_to)),
            None,
            Arrival::Fresh,
        );
        let m = s
            .meetings
            .iter()
            .find(|m| m.session_id == first.session_id)
            .unwrap();
        assert_eq!((m.starts_at, m.place.as_str()), (moved_to, "Bibliotheek"));
        assert_eq!(s.screen, Some(Screen::MeetingChanged), "said at once");
        let change_shown = s.change.clone().unwrap();
        assert_eq!(change_shown.was, first.starts_at);
        assert_eq!(
            change_shown.moved_to,
            Some((moved_to, Some("Bibliotheek".into()))),
            "the new time first, and the new place"
        );
        s.receive(
            &change(ScheduleChangeKind::Cancelled, None),
            None,
            Arrival::Fresh,
        );
        assert!(s.meetings.iter().all(|m| m.session_id != first.session_id));
        assert!(s.change.as_ref().is_some_and(|c| c.moved_to.is_none()));
        // Read back from the tablet's history at start, a change is not news.
        let mut replayed = sample::state(Screen::Home, Language::En);
        replayed.change = None;
        let effects = replayed.receive(
            &change(ScheduleChangeKind::Cancelled, None),
            None,
            Arrival::Replayed,
        );
        assert!(
            effects.is_empty()
                && replayed.change.is_none()
                && replayed.screen == Some(Screen::Home)
        );
        let _: SessionId = first.session_id;

        let prompt = s.diary.clone().unwrap();
        s.toggle_choice("family");
        s.choose_share(false);
        s.send_diary();
        s.receive(
            &from_hub("hub-dp-01", Body::DiaryPrompt(prompt)),
            None,
            Arrival::Fresh,
        );
        assert!(
            s.diary.is_none(),
            "a resent question already answered is not asked again"
        );
    }

    #[test]
    fn a_wipe_leaves_nothing_but_the_pairing_screen() {
        let mut s = sample::state(Screen::Conversation, Language::Fr);
        s.wiped();
        assert_eq!(s.screen, Some(Screen::Pairing));
        assert!(s.conversations.is_empty() && s.contacts.is_empty() && s.config.is_none());
        assert_eq!(
            s.language,
            Language::Fr,
            "the screen keeps speaking the same language"
        );
    }

    #[test]
    fn the_hub_sending_the_same_settings_again_keeps_what_a_coach_set_on_the_tablet() {
        let mut s = sample::state(Screen::Home, Language::Nl);
        let mut config = s.config.clone().unwrap();
        s.config = None;
        let send = |s: &mut KioskState, config: &nabij_protocol::DeviceConfig, id: &str| {
            s.receive(
                &from_hub(id, Body::Config(config.clone())),
                None,
                Arrival::Fresh,
            )
        };
        let first = send(&mut s, &config, "hub-cfg-01");
        assert!(first.contains(&Effect::SaveSettings));
        assert_eq!(s.text_scale_percent, config.text_scale_pct);
        s.change_setting("text", 2);
        s.set_language("fr");
        let bigger = s.text_scale_percent;
        send(&mut s, &config, "hub-cfg-02"); // e.g. after the coach's photo changed
        assert_eq!((s.text_scale_percent, s.language), (bigger, Language::Fr));
        config.text_scale_pct = 110;
        config.language = nabij_protocol::Language::En;
        send(&mut s, &config, "hub-cfg-03");
        assert_eq!(
            (s.text_scale_percent, s.language),
            (110, Language::En),
            "what the hub changes, changes"
        );
    }

    #[test]
    fn a_questionnaire_is_kept_once_and_an_answer_in_the_history_closes_it() {
        let mut s = sample::state(Screen::Home, Language::En);
        let survey = s.surveys[0].clone();
        s.surveys.clear();
        let sent = |s: &mut KioskState, id: &str| {
            s.receive(
                &from_hub(id, Body::Questionnaire(survey.clone())),
                None,
                Arrival::Fresh,
            )
        };
        sent(&mut s, "hub-q-01");
        sent(&mut s, "hub-q-02");
        assert_eq!(
            s.surveys.len(),
            1,
            "the same questionnaire twice is asked once"
        );

        // At start, the tablet's history says it was answered: it is not asked again.
        let answer = Envelope::new(
            MessageId::parse("mine-q-01").unwrap(),
            Party::Device(nabij_protocol::DeviceId::parse("d-sample").unwrap()),
            Body::QuestionnaireAnswer(nabij_protocol::QuestionnaireAnswer {
                survey_id: survey.survey_id.clone(),
                answers: vec![nabij_protocol::ItemAnswer {
                    item: survey.items[0].id.clone(),
                    choice: survey.scale[0].id.clone(),
                }],
            }),
        );
        s.replay_mine(&answer, true);
        assert!(s.surveys.is_empty());
        sent(&mut s, "hub-q-03");
        assert!(s.surveys.is_empty(), "answered stays answered");
    }
}
