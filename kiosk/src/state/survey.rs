//! Questionnaires for the evaluation: one question at a time, one tap an answer (the next
//! question follows), Back to the question before, "Next" past a question answered
//! before; after the last, the answers go together when the senior says so.

use super::{ChoiceId, Effect, KioskState, Screen, Thanks};

impl KioskState {
    fn survey_questions(&self) -> Option<usize> {
        self.surveys.first().map(|s| s.items.len())
    }

    /// Makes the answers fit the first questionnaire (a new one starts empty).
    fn survey_answers_fit(&mut self) {
        let Some(questions) = self.survey_questions() else {
            return;
        };
        if self.survey_answers.len() != questions {
            self.survey_answers = vec![None; questions];
            self.survey_step = 0;
        }
    }

    fn show_survey_step(&mut self) -> Vec<Effect> {
        let questions = self.survey_questions().unwrap_or(0);
        self.navigate(if self.survey_step >= questions {
            Screen::SurveyDone
        } else {
            Screen::Survey
        })
    }

    /// Opens the first waiting questionnaire where the senior left it.
    pub fn open_survey(&mut self) -> Vec<Effect> {
        if self.surveys.is_empty() {
            return Vec::new();
        }
        self.survey_answers_fit();
        self.show_survey_step()
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
        let step = step.id.clone();
        self.survey_answers_fit();
        if let Some(answer) = self.survey_answers.get_mut(self.survey_step) {
            *answer = Some(step);
            self.survey_step += 1;
        }
        self.show_survey_step()
    }

    /// Whether the question shown was answered before ("Next" may skip it).
    pub fn survey_step_answered(&self) -> bool {
        self.survey_answers
            .get(self.survey_step)
            .is_some_and(Option::is_some)
    }

    /// "Next": past a question answered before, keeping its answer.
    pub fn survey_next(&mut self) -> Vec<Effect> {
        if !self.survey_step_answered() {
            return Vec::new();
        }
        self.survey_step += 1;
        self.show_survey_step()
    }

    /// "Back": the question before (from the first, Home; the questionnaire waits).
    pub fn survey_back(&mut self) -> Vec<Effect> {
        if self.survey_step == 0 {
            return self.navigate(Screen::Home);
        }
        self.survey_step -= 1;
        self.show_survey_step()
    }

    /// Back to the first question, with the answers given so far marked.
    pub fn survey_again(&mut self) -> Vec<Effect> {
        self.survey_step = 0;
        self.open_survey()
    }

    /// Sends the answers of the first questionnaire, all together, then "thank you". With
    /// a question left unanswered, that question is asked instead.
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
        self.thanks = Thanks::Survey;
        let mut effects = self.navigate(Screen::Thanks);
        effects.push(Effect::SendSurvey {
            survey: survey.survey_id,
            answers,
        });
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::state;

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
        assert!(
            s.survey_next().is_empty() && s.survey_step == 1,
            "not answered yet"
        );
        s.survey_back();
        assert_eq!(s.survey_step, 0, "Back: the question before");
        assert!(s.survey_step_answered());
        s.survey_next();
        assert_eq!(s.survey_step, 1, "Next: past an answered one");
        s.answer_survey("nine-plus");
        assert_eq!(s.screen, Some(Screen::SurveyDone));
        s.survey_back();
        assert_eq!((s.screen, s.survey_step), (Some(Screen::Survey), 1));
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
                survey: nabij_protocol::SurveyId::parse("v-lsns6-start").unwrap(),
                answers: vec![
                    (id("family-contact"), id("two")),
                    (id("friends-help"), id("nine-plus")),
                ],
            }]
        );
        assert_eq!((s.screen, s.thanks), (Some(Screen::Thanks), Thanks::Survey));
        assert!(s.surveys.is_empty() && s.survey_answers.is_empty());
        assert_eq!(s.surveys_answered, ["v-lsns6-start"]);
        assert!(s.send_survey().is_empty(), "nothing twice");
        s.navigate(Screen::Survey);
        s.survey_step = 0;
        s.survey_back();
        assert_eq!(s.screen, Some(Screen::Home), "Back from the first question");
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
}
