//! Conversations: opening one, writing and sending, and reading its whole history a page
//! at a time. A page is as many whole messages as fit the screen, newest at the bottom; a
//! message too long for one page is cut between words into pieces. Which pieces fit is
//! measured by the caller (the UI knows the screen and the text size); the rules of
//! paging are here, as plain code.

use super::{ChatMessage, Content, Delivery, Effect, KioskState, Playing, Screen, Sounding};
use nabij_protocol::{MessageId, PersonId, UnixMillis};

/// A place in a conversation: before byte `offset` of message `message`'s text (a whole
/// message ends at the start of the next one, offset 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Anchor {
    /// The message.
    pub message: usize,
    /// Bytes of its text before this place (0 for photos and voice notes).
    pub offset: usize,
}

/// Where the open conversation is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConversationView {
    /// Where the page shown ends; `None`: at the newest message, following new ones.
    pub end: Option<Anchor>,
}

/// A message, or the part of a long text, shown on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// The message.
    pub message: usize,
    /// The bytes of its text shown (`0..0` for photos and voice notes).
    pub start: usize,
    /// End of those bytes.
    pub end: usize,
    /// Whether this is the whole message.
    pub whole: bool,
}

impl Piece {
    /// Where the piece starts.
    pub fn from(&self) -> Anchor {
        Anchor {
            message: self.message,
            offset: self.start,
        }
    }
}

/// The byte length a message counts for in anchors: its text's, or 0.
fn text_len(message: &ChatMessage) -> usize {
    match &message.content {
        Content::Text(text) => text.len(),
        _ => 0,
    }
}

fn is_media(message: &ChatMessage) -> bool {
    !matches!(message.content, Content::Text(_))
}

/// Where each word of `text[..upto]` starts (after white space), from the first.
fn word_starts(text: &str, upto: usize) -> Vec<usize> {
    let mut starts = vec![0];
    let mut after_space = false;
    for (i, c) in text[..upto].char_indices() {
        if c.is_whitespace() {
            after_space = true;
        } else if after_space {
            starts.push(i);
            after_space = false;
        }
    }
    starts
}

/// The page of `messages` that ends at `end`: as many pieces as `fits` accepts, going back
/// from `end`, with at most `media` photos and voice notes (each is a button, and a screen
/// has few). A text too long for the page alone is cut between words; a single word that
/// does not fit is shown anyway, so that paging always moves.
pub fn page_ending_at(
    messages: &[ChatMessage],
    end: Anchor,
    media: usize,
    fits: &mut dyn FnMut(&[Piece]) -> bool,
) -> Vec<Piece> {
    let mut page: Vec<Piece> = Vec::new();
    let mut cursor = end;
    let mut media_left = media;
    loop {
        let (message, upto) = if cursor.offset > 0 {
            (cursor.message, cursor.offset)
        } else if cursor.message > 0 && cursor.message <= messages.len() {
            let i = cursor.message - 1;
            (i, text_len(&messages[i]))
        } else {
            break;
        };
        let Some(m) = messages.get(message) else {
            break;
        };
        let media_piece = is_media(m);
        if media_piece && media_left == 0 && !page.is_empty() {
            break;
        }
        let piece = Piece {
            message,
            start: 0,
            end: upto,
            whole: upto == text_len(m),
        };
        let mut trial = Vec::with_capacity(page.len() + 1);
        trial.push(piece);
        trial.extend_from_slice(&page);
        if fits(&trial) {
            page = trial;
            media_left = media_left.saturating_sub(usize::from(media_piece));
            cursor = piece.from();
            continue;
        }
        if !page.is_empty() {
            break;
        }
        // Alone it does not fit: the longest run of its last words that does.
        let Content::Text(text) = &m.content else {
            // A photo or voice note has a fixed size: show it.
            page.push(piece);
            break;
        };
        let starts = word_starts(text, upto);
        let (mut lo, mut hi) = (0, starts.len().saturating_sub(1));
        // The largest suffix that fits: the smallest start index that fits.
        while lo < hi {
            let mid = (lo + hi) / 2;
            let trial = [Piece {
                start: starts[mid],
                whole: false,
                ..piece
            }];
            if fits(&trial) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        page.push(Piece {
            start: starts.get(lo).copied().unwrap_or(0),
            whole: false,
            ..piece
        });
        break;
    }
    page
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

    /// Whether the open conversation can be answered (not one with a former participant).
    pub fn can_reply(&self) -> bool {
        self.partner
            .as_ref()
            .is_none_or(|p| p.as_str() != nabij_protocol::FORMER_PARTICIPANT)
    }

    /// The end of the newest page of the open conversation.
    pub fn newest_anchor(&self) -> Anchor {
        Anchor {
            message: self.open_conversation().len(),
            offset: 0,
        }
    }

    /// Where the page shown ends.
    pub fn page_end(&self) -> Anchor {
        self.view.end.unwrap_or_else(|| self.newest_anchor())
    }

    /// "Earlier messages": the page before the one that starts at `start`.
    pub fn earlier_messages(&mut self, start: Anchor) {
        if start
            > (Anchor {
                message: 0,
                offset: 0,
            })
            && start < self.newest_anchor()
        {
            self.view.end = Some(start);
        }
    }

    /// "Newest": back to the newest messages, which new ones then join.
    pub fn newest_messages(&mut self) {
        self.view.end = None;
    }

    /// Opens the conversation with a contact at its newest messages and marks them seen.
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
        self.view = Default::default();
        let mut effects = self.navigate(Screen::Conversation);
        if !seen_now.is_empty() {
            effects.push(Effect::SendSeen { ids: seen_now });
        }
        effects
    }

    pub(super) fn add_mine(&mut self, to: &PersonId, content: Content, now: UnixMillis) {
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
        // What the senior just sent is shown at once.
        if self.partner.as_ref() == Some(to) {
            self.view = Default::default();
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
        let per_page = super::CONTACTS_PER_PAGE - 1;
        let pages = self.chat_partners().len().div_ceil(per_page).max(1);
        self.contacts_page = (self.contacts_page + 1) % pages;
    }

    /// Sends a ready-made phrase to the open conversation.
    pub fn quick_reply(&mut self, text: &str, now: UnixMillis) -> Vec<Effect> {
        let Some(to) = self.partner.clone() else {
            return Vec::new();
        };
        self.add_mine(&to, Content::Text(text.to_owned()), now);
        let mut effects = self.navigate(Screen::Conversation);
        effects.push(Effect::SendText {
            to,
            text: text.to_owned(),
        });
        effects
    }

    /// Sends what was typed (nothing happens for an empty draft); for the diary, keeps it
    /// as the answer's words and returns to the diary.
    pub fn send_draft(&mut self, now: UnixMillis) -> Vec<Effect> {
        let text = self.draft.trim().to_owned();
        if text.is_empty() {
            return Vec::new();
        }
        if self.input_for == super::InputFor::Diary {
            // The words join the diary answer; the senior chooses who may read it next.
            self.draft.clear();
            self.keyboard.reset();
            self.diary_text = Some(text);
            self.input_for = super::InputFor::Conversation;
            return self.navigate(Screen::DiaryShare);
        }
        let Some(to) = self.partner.clone() else {
            return Vec::new();
        };
        self.draft.clear();
        self.keyboard.reset();
        self.add_mine(&to, Content::Text(text.clone()), now);
        let mut effects = self.navigate(Screen::Conversation);
        effects.push(Effect::SendText { to, text });
        effects
    }

    /// Plays a voice note of the open conversation (its place in it); a second tap on the
    /// one playing stops it.
    pub fn play_voice(&mut self, message: usize) -> Vec<Effect> {
        let playing_this = self
            .playing
            .is_some_and(|p| p.what == Sounding::VoiceNote(message));
        if playing_this {
            self.playing = None;
            return vec![Effect::StopSound];
        }
        match self.open_conversation().get(message).map(|m| &m.content) {
            Some(Content::Voice {
                audio: Some(audio), ..
            }) => {
                let audio = audio.clone();
                self.playing = Some(Playing {
                    what: Sounding::VoiceNote(message),
                    fraction: 0.0,
                });
                vec![Effect::PlayClip(audio)]
            }
            _ => Vec::new(),
        }
    }

    /// Opens a photo of the open conversation (its place in it) full screen.
    pub fn open_photo(&mut self, message: usize) -> Vec<Effect> {
        match self.open_conversation().get(message).map(|m| &m.content) {
            Some(Content::Photo { .. }) => {
                self.photo = Some(message);
                self.navigate(Screen::Photo)
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::state;

    fn text(words: &str) -> ChatMessage {
        ChatMessage {
            id: None,
            author: PersonId::parse("p-anna-peeters").unwrap(),
            at: UnixMillis(0),
            content: Content::Text(words.into()),
            delivery: None,
            seen: true,
        }
    }

    fn voice() -> ChatMessage {
        ChatMessage {
            content: Content::Voice {
                seconds: 3,
                audio: None,
            },
            ..text("")
        }
    }

    /// A page "fits" when its pieces hold at most `room` bytes (a media piece counts 10).
    fn room(messages: &[ChatMessage], room: usize) -> impl FnMut(&[Piece]) -> bool {
        let sizes: Vec<bool> = messages.iter().map(is_media).collect();
        move |page: &[Piece]| {
            page.iter()
                .map(|p| {
                    if sizes[p.message] {
                        10
                    } else {
                        p.end - p.start
                    }
                })
                .sum::<usize>()
                <= room
        }
    }

    fn end(messages: &[ChatMessage]) -> Anchor {
        Anchor {
            message: messages.len(),
            offset: 0,
        }
    }

    #[test]
    fn a_page_holds_the_newest_whole_messages_that_fit_and_paging_back_reaches_the_first() {
        let messages: Vec<ChatMessage> =
            (0..60).map(|i| text(&format!("bericht {i:02}"))).collect();
        let mut fits = room(&messages, 30);
        let page = page_ending_at(&messages, end(&messages), 2, &mut fits);
        assert_eq!(
            page.iter().map(|p| p.message).collect::<Vec<_>>(),
            [57, 58, 59],
            "newest at the bottom"
        );
        assert!(page.iter().all(|p| p.whole));
        // Paging back from each page's start reaches the first message, each shown once.
        let mut seen = Vec::new();
        let mut at = end(&messages);
        loop {
            let page = page_ending_at(&messages, at, 2, &mut fits);
            assert!(!page.is_empty());
            seen.splice(0..0, page.iter().map(|p| p.message));
            at = page[0].from();
            if at.message == 0 && at.offset == 0 {
                break;
            }
        }
        assert_eq!(seen, (0..60).collect::<Vec<_>>());
    }

    #[test]
    fn a_text_too_long_for_a_page_is_cut_between_words_and_read_in_pieces() {
        let long = "een twee drie vier vijf zes zeven acht negen tien";
        let messages = vec![text("hallo"), text(long)];
        let mut fits = room(&messages, 20);
        let last = page_ending_at(&messages, end(&messages), 2, &mut fits);
        assert_eq!(last.len(), 1);
        let shown = &long[last[0].start..last[0].end];
        assert_eq!(shown, "acht negen tien", "the last words that fit");
        assert!(!last[0].whole);
        let before = page_ending_at(&messages, last[0].from(), 2, &mut fits);
        let shown = &long[before[0].start..before[0].end];
        assert_eq!(shown, "vier vijf zes zeven ", "then the words before them");
        let first = page_ending_at(&messages, before[0].from(), 2, &mut fits);
        assert_eq!(
            first
                .iter()
                .map(|p| (p.message, p.start, p.end))
                .collect::<Vec<_>>(),
            [(0, 0, 5), (1, 0, "een twee drie ".len())],
            "the text's start joins the message before it"
        );
    }

    #[test]
    fn a_page_has_few_photos_and_voice_notes_and_a_word_too_long_still_shows() {
        let messages = vec![voice(), voice(), voice(), text("ja")];
        let mut fits = room(&messages, 100);
        let page = page_ending_at(&messages, end(&messages), 1, &mut fits);
        assert_eq!(
            page.iter().map(|p| p.message).collect::<Vec<_>>(),
            [2, 3],
            "one voice note a page"
        );
        let messages = vec![text("Onuitspreekbaarheid")];
        let mut fits = room(&messages, 3);
        let page = page_ending_at(&messages, end(&messages), 1, &mut fits);
        assert_eq!(page.len(), 1, "shown anyway, so that paging moves");
    }

    #[test]
    fn the_view_stays_where_the_senior_reads_while_new_messages_come() {
        let mut s = state();
        s.open_contact("p-anna-peeters");
        assert_eq!(s.view.end, None, "a conversation opens at its newest");
        s.earlier_messages(Anchor {
            message: 2,
            offset: 0,
        });
        assert_eq!(s.page_end().message, 2);
        let newest_before = s.newest_anchor();
        s.conversations[0].1.push(text("nieuw"));
        assert_eq!(s.page_end().message, 2, "steady while reading back");
        assert!(s.newest_anchor() > newest_before);
        s.newest_messages();
        assert_eq!(s.page_end(), s.newest_anchor());
        s.earlier_messages(Anchor {
            message: 0,
            offset: 0,
        });
        assert_eq!(s.view.end, None, "nothing before the first message");
        s.earlier_messages(Anchor {
            message: 1,
            offset: 0,
        });
        s.quick_reply("Tot dan", UnixMillis(1));
        assert_eq!(s.view.end, None, "what the senior sends is shown");
    }

    #[test]
    fn typing_keeps_the_draft_until_it_is_sent() {
        let mut s = state();
        s.open_contact("p-anna-peeters");
        for k in ["H", "i", " "] {
            s.type_text(k);
        }
        s.navigate(Screen::Home);
        s.navigate(Screen::Keyboard);
        assert_eq!(s.draft, "Hi ", "leaving the keyboard keeps what was typed");
        s.erase();
        let effects = s.send_draft(crate::sample::NOW);
        assert_eq!(
            effects,
            [Effect::SendText {
                to: PersonId::parse("p-anna-peeters").unwrap(),
                text: "Hi".into()
            }]
        );
        assert!(s.draft.is_empty());
        let last = s.open_conversation().last().unwrap();
        assert_eq!(
            (last.content.clone(), last.delivery),
            (Content::Text("Hi".into()), Some(Delivery::Waiting))
        );
        assert!(
            s.send_draft(crate::sample::NOW).is_empty(),
            "an empty draft is not sent"
        );
        let long = "a".repeat(crate::state::MAX_DRAFT_CHARS + 5);
        s.type_text(&long);
        assert_eq!(
            s.draft.chars().count(),
            crate::state::MAX_DRAFT_CHARS,
            "never longer than can be sent"
        );
    }

    #[test]
    fn opening_a_conversation_marks_it_seen_and_media_open_by_their_place() {
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
        assert!(s.open_photo(0).is_empty(), "a text is not a photo");
        assert_eq!(s.screen, Some(Screen::Conversation));
        s.open_photo(6);
        assert_eq!((s.screen, s.photo), (Some(Screen::Photo), Some(6)));
    }
}
