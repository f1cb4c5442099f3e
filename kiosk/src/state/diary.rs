//! This week's diary question: tap the answers that fit, name the people it was about,
//! choose who may read it, then send it (and hear "thank you"). Words and a voice
//! recording can join the answer.

use super::{Contact, DIARY_PEOPLE_PER_PAGE, Effect, InputFor, KioskState, Screen, Thanks};
use crate::words;

impl KioskState {
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
        let start = (self.diary_people_page * DIARY_PEOPLE_PER_PAGE).min(all.len());
        let end = (start + DIARY_PEOPLE_PER_PAGE).min(all.len());
        (&all[start..end], all.len() > DIARY_PEOPLE_PER_PAGE)
    }

    /// "More people" on the diary's people screen (round to the first after the last).
    pub fn next_diary_people(&mut self) {
        let pages = self.contacts.len().div_ceil(DIARY_PEOPLE_PER_PAGE).max(1);
        self.diary_people_page = (self.diary_people_page + 1) % pages;
    }

    /// Starts typing or recording for the diary answer.
    pub fn answer_diary_with(&mut self, screen: Screen) -> Vec<Effect> {
        self.input_for = InputFor::Diary;
        self.navigate(screen)
    }

    /// "Only me" or "My group too": chosen, not yet sent (a second tap on the other
    /// changes it; "Send" sends).
    pub fn choose_share(&mut self, with_group: bool) {
        self.diary_share = Some(with_group);
    }

    /// Sends the diary answer, once the senior chose who may read it; then "thank you".
    pub fn send_diary(&mut self) -> Vec<Effect> {
        let Some(share_with_group) = self.diary_share else {
            return Vec::new();
        };
        let Some(prompt) = self.diary.take() else {
            return Vec::new();
        };
        self.answered.push(prompt.prompt_id.to_string());
        let choices = std::mem::take(&mut self.diary_selected);
        let people = std::mem::take(&mut self.diary_people);
        let text = self.diary_text.take();
        let with_voice = self.diary_voice_seconds.take().is_some();
        self.diary_share = None;
        self.thanks = Thanks::Diary;
        let mut effects = self.navigate(Screen::Thanks);
        effects.push(Effect::SendDiary {
            prompt: prompt.prompt_id,
            choices,
            people,
            text,
            with_voice,
            voice: None,
            share_with_group,
        });
        effects
    }

    /// "Read aloud" on the diary question: the hub's recording when it sent one, else the
    /// tablet's own voice.
    pub fn read_question_aloud(&mut self) -> Vec<Effect> {
        let Some(prompt) = &self.diary else {
            return Vec::new();
        };
        if let Some(audio) = prompt.audio.clone() {
            return vec![Effect::PlayClip(std::sync::Arc::new(audio))];
        }
        match self.question_said() {
            Some(said) => self.read_aloud(said),
            None => Vec::new(),
        }
    }

    /// The diary question and its answers, as "Read aloud" says them.
    pub(super) fn question_said(&self) -> Option<String> {
        let prompt = self.diary.as_ref()?;
        let lang = self.language;
        let mut said = words::localized(&prompt.question, lang);
        for choice in &prompt.choices {
            said.push_str(". ");
            said.push_str(&words::localized(&choice.label, lang));
        }
        Some(said)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use crate::state::tests::state;
    use nabij_protocol::PersonId;

    #[test]
    fn the_diary_answer_goes_when_the_senior_chose_who_reads_it_then_thanks() {
        let mut s = state();
        s.toggle_choice("family");
        s.toggle_choice("not-a-choice");
        s.open_contact("p-anna-peeters");
        s.answer_diary_with(Screen::Keyboard);
        s.type_text("OK");
        s.send_draft(sample::NOW);
        assert_eq!(
            (s.screen, s.diary_text.as_deref()),
            (Some(Screen::DiaryShare), Some("OK")),
            "typed words join the answer"
        );
        let last = s.open_conversation().last().map(|m| m.content.clone());
        assert_ne!(
            last,
            Some(crate::state::Content::Text("OK".into())),
            "the diary words are not sent to Anna"
        );
        assert!(s.send_diary().is_empty(), "nothing goes before the choice");
        s.choose_share(false);
        s.choose_share(true);
        let sent = s.send_diary();
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
        assert_eq!((s.screen, s.thanks), (Some(Screen::Thanks), Thanks::Diary));
        assert!(s.diary.is_none() && s.diary_share.is_none());
    }

    #[test]
    fn the_question_is_read_aloud_by_the_tablet_when_the_hub_sent_no_recording() {
        let mut s = state();
        let effects = s.read_question_aloud();
        let [Effect::ReadAloud { text, .. }] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        assert!(
            text.starts_with("Who did you talk to this week?. Family"),
            "{text}"
        );
        let mut s = state();
        s.diary = sample::diary_variants().pop();
        assert!(matches!(
            s.read_question_aloud().as_slice(),
            [Effect::PlayClip(_)]
        ));
    }

    #[test]
    fn a_diary_question_about_people_offers_the_seniors_contacts_page_by_page() {
        let mut s = state();
        s.diary_people.clear();
        s.navigate(Screen::Diary);
        s.diary_next();
        assert_eq!(s.screen, Some(Screen::DiaryPeople));
        // Seven contacts: three a page beside "More people" and "Next".
        let (shown, more) = s.diary_people_shown();
        assert_eq!((shown.len(), more), (3, true));
        let first_page: Vec<String> = shown.iter().map(|c| c.name.clone()).collect();
        s.toggle_diary_person("p-anna-peeters");
        s.toggle_diary_person("p-stranger");
        s.next_diary_people();
        let (shown, _) = s.diary_people_shown();
        assert!(shown.iter().all(|c| !first_page.contains(&c.name)));
        let on_page_two = shown[0].person.to_string();
        s.toggle_diary_person(&on_page_two);
        s.next_diary_people();
        assert_eq!(s.diary_people_page, 2);
        assert_eq!(s.diary_people_shown().0.len(), 1, "the last of seven");
        s.next_diary_people();
        assert_eq!(s.diary_people_page, 0, "round to the first page");
        s.diary_next();
        assert_eq!(s.screen, Some(Screen::DiaryShare));
        s.diary_back();
        assert_eq!(s.screen, Some(Screen::DiaryPeople), "back one step");
        s.toggle_diary_person("p-anna-peeters");
        s.choose_share(true);
        let sent = s.send_diary();
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
