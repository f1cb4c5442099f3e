//! What "Read aloud" says on each screen that has it: the messages of the page shown,
//! the diary question (see `diary`), a reminder, a moved meeting, the Help screen. The
//! words are the screen's, in its language, made into sentences.

use super::{Content, KioskState, Piece, Screen};
use crate::words;
use nabij_protocol::UnixMillis;

impl KioskState {
    /// The name a conversation shows for a message's author.
    pub fn author_name(&self, author: &nabij_protocol::PersonId) -> String {
        if author.as_str() == nabij_protocol::FORMER_PARTICIPANT {
            return words::former_participant(self.language).to_owned();
        }
        self.contacts
            .iter()
            .find(|c| &c.person == author)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    }

    /// The words of the screen shown, to be said; `page` is the conversation's page on
    /// screen. `None` where the screen has no "Read aloud".
    pub fn said(&self, now: UnixMillis, page: &[Piece]) -> Option<String> {
        let lang = self.language;
        match self.screen? {
            Screen::Conversation => {
                let messages = self.open_conversation();
                let me = self.me();
                let said: Vec<String> = page
                    .iter()
                    .filter_map(|piece| {
                        let m = messages.get(piece.message)?;
                        let what = match &m.content {
                            Content::Text(text) => {
                                text.get(piece.start..piece.end).unwrap_or(text).to_owned()
                            }
                            Content::Photo { .. } => words::media_said(true, 0, lang),
                            Content::Voice { seconds, .. } => {
                                words::media_said(false, *seconds, lang)
                            }
                        };
                        let when = words::time_in_words(now, m.at, lang).replace(words::NBSP, " ");
                        Some(words::message_said(
                            &self.author_name(&m.author),
                            Some(&m.author) == me.as_ref(),
                            &when,
                            &what,
                            lang,
                        ))
                    })
                    .collect();
                Some(said.join(" "))
            }
            Screen::Reminder => {
                let m = self.reminder.as_ref()?;
                Some(words::reminder_said(
                    &words::session_title(m.series, m.number, lang),
                    &words::reminder_when(now, m.starts_at, lang),
                    &m.place,
                    &m.pickup_at
                        .map(|t| words::pickup(t, lang))
                        .unwrap_or_default(),
                    lang,
                ))
            }
            Screen::MeetingChanged => {
                let change = self.change.as_ref()?;
                let w = words::meeting_changed(
                    change.was,
                    change
                        .moved_to
                        .as_ref()
                        .map(|(t, place)| (*t, place.as_deref())),
                    lang,
                );
                Some(
                    format!("{} {} {} {}", w.headline, w.when, w.place, w.was)
                        .replace(words::NBSP, " "),
                )
            }
            Screen::Help => {
                let coach = self.config.as_ref().and_then(|c| c.coach.as_ref());
                let name =
                    coach.map_or_else(|| words::the_centre(lang).to_owned(), |c| c.name.clone());
                let phone = coach.map(|c| c.phone.as_str()).unwrap_or("");
                Some(words::help_said(&name, phone, lang))
            }
            Screen::Diary => self.question_said(),
            Screen::Survey => {
                let survey = self.surveys.first()?;
                let item = survey.items.get(self.survey_step)?;
                let mut said = words::localized(&item.question, lang);
                for step in &survey.scale {
                    said.push_str(". ");
                    said.push_str(&words::localized(&step.label, lang));
                }
                Some(said)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use crate::state::tests::state;

    #[test]
    fn read_aloud_says_the_page_shown_the_reminder_and_help() {
        let mut s = state();
        s.open_contact("p-anna-peeters");
        let messages = s.open_conversation().to_vec();
        let page = [
            Piece {
                message: 0,
                start: 0,
                end: 4,
                whole: false,
            },
            Piece {
                message: messages.len() - 1,
                start: 0,
                end: "Mooie foto!".len(),
                whole: true,
            },
        ];
        let said = s.said(sample::NOW, &page).unwrap();
        assert!(said.starts_with("Anna wrote "), "{said}");
        assert!(
            said.contains(": Dag "),
            "only the piece on the page: {said}"
        );
        assert!(said.contains("You wrote this morning"), "{said}");
        s.reminder = s.meetings.first().cloned();
        s.navigate(Screen::Reminder);
        let said = s.said(sample::NOW, &[]).unwrap();
        assert!(said.contains("Buurthuis De Schelp") && said.ends_with("Are you coming?"));
        s.navigate(Screen::Help);
        assert!(s.said(sample::NOW, &[]).unwrap().contains("Marie"));
        s.navigate(Screen::Survey);
        s.survey_step = 1;
        let said = s.said(sample::NOW, &[]).unwrap();
        assert!(
            said.starts_with("How many friends") && said.ends_with("Nine or more"),
            "{said}"
        );
        s.navigate(Screen::Home);
        assert_eq!(s.said(sample::NOW, &[]), None);
    }
}
