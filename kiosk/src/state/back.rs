//! Where "Back" leads. Back is one word in one place (bottom left) on every screen a
//! senior reaches from another one; screens reached from Home have Home instead.

use super::{Effect, InputFor, KioskState, RecorderState, Screen};

impl Screen {
    /// Whether the screen has Back (bottom left).
    pub fn has_back(self) -> bool {
        matches!(
            self,
            Screen::Conversation
                | Screen::Compose
                | Screen::Keyboard
                | Screen::Voice
                | Screen::Photo
                | Screen::DiaryPeople
                | Screen::DiaryShare
                | Screen::Survey
                | Screen::SurveyDone
                | Screen::CoachPin
                | Screen::CoachSettings
                | Screen::CoachErase
                | Screen::CoachWifi
                | Screen::CoachWifiPassword
                | Screen::CoachWifiJoin
        )
    }
}

impl KioskState {
    /// "Back": the screen before this one. A recording under way is stopped first (it is
    /// kept, as everything typed is).
    pub fn back(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.recorder == RecorderState::Recording {
            effects.extend(self.record_toggle());
        }
        if self.recorder == RecorderState::ConfirmDiscard {
            self.recorder = RecorderState::Recorded;
        }
        let for_diary = self.input_for == InputFor::Diary;
        let to = match self.screen {
            Some(Screen::Conversation) => Screen::Contacts,
            Some(Screen::Compose | Screen::Photo) => Screen::Conversation,
            Some(Screen::Keyboard | Screen::Voice) if for_diary => {
                self.input_for = InputFor::Conversation;
                Screen::DiaryShare
            }
            Some(Screen::Keyboard) => Screen::Compose,
            Some(Screen::Voice) => Screen::Conversation,
            Some(Screen::DiaryPeople) => Screen::Diary,
            Some(Screen::DiaryShare) => {
                effects.extend(self.diary_back());
                return effects;
            }
            Some(Screen::Survey | Screen::SurveyDone) => {
                effects.extend(self.survey_back());
                return effects;
            }
            Some(Screen::CoachErase | Screen::CoachWifi) => Screen::CoachSettings,
            Some(Screen::CoachWifiPassword | Screen::CoachWifiJoin) => Screen::CoachWifi,
            // A switched-off tablet's coach came from its "not in use" screen.
            Some(Screen::CoachPin | Screen::CoachSettings) if self.switched_off => {
                Screen::SwitchedOff
            }
            Some(Screen::CoachPin | Screen::CoachSettings) => Screen::Help,
            _ => Screen::Home,
        };
        effects.extend(self.navigate(to));
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::state;

    #[test]
    fn back_goes_one_step_up_and_keeps_what_was_made() {
        let mut s = state();
        s.open_contact("p-anna-peeters");
        s.navigate(Screen::Compose);
        s.navigate(Screen::Keyboard);
        s.type_text("Dag");
        s.back();
        assert_eq!((s.screen, s.draft.as_str()), (Some(Screen::Compose), "Dag"));
        s.back();
        assert_eq!(s.screen, Some(Screen::Conversation));
        s.back();
        assert_eq!(s.screen, Some(Screen::Contacts));

        s.open_contact("p-anna-peeters");
        s.navigate(Screen::Voice);
        s.recorder = RecorderState::Ready;
        s.record_toggle();
        assert_eq!(
            s.back(),
            [Effect::StopRecording],
            "the recording stops and stays"
        );
        assert_eq!(
            (s.screen, s.recorder),
            (Some(Screen::Conversation), RecorderState::Recorded)
        );

        s.answer_diary_with(Screen::Voice);
        s.back();
        assert_eq!(
            s.screen,
            Some(Screen::DiaryShare),
            "back to the diary it was for"
        );
        assert_eq!(s.input_for, InputFor::Conversation);

        s.navigate(Screen::CoachSettings);
        s.back();
        assert_eq!(s.screen, Some(Screen::Help));
        assert!(Screen::ALL.iter().filter(|s| s.has_back()).count() >= 10);
        assert!(!Screen::Home.has_back() && !Screen::Contacts.has_back());
    }
}
