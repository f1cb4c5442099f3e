//! The programme's measured outcomes: two short, published questionnaires asked at the
//! start, after the tenth encounter and at the end, scored by the hub.
//!
//! - **De Jong Gierveld 6-item loneliness scale**: J. de Jong Gierveld & T. van Tilburg
//!   (2006), "A 6-item scale for overall, emotional, and social loneliness", *Research on
//!   Aging* 28(5), 582–598; Dutch original: J. de Jong Gierveld & T. van Tilburg (2008),
//!   "De ingekorte schaal voor algemene, emotionele en sociale eenzaamheid", *Tijdschrift
//!   voor Gerontologie en Geriatrie* 39(1), 4–15. Three emotional items count "yes" and
//!   "more or less"; three social items count "no" and "more or less". 0–6, higher is
//!   lonelier.
//! - **Lubben Social Network Scale, LSNS-6**: J. Lubben et al. (2006), "Performance of an
//!   abbreviated version of the Lubben Social Network Scale among three European community-
//!   dwelling older adult populations", *The Gerontologist* 46(4), 503–513. Three questions
//!   about relatives, three about friends (neighbours included), each 0–5; 0–30, below 12
//!   is at risk of social isolation.

use nabij_protocol::{
    Choice, ChoiceId, ItemAnswer, Localized, Questionnaire, SurveyId, SurveyItem, UnixMillis,
};
use serde::{Deserialize, Serialize};

/// A questionnaire the hub knows how to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Instrument {
    /// De Jong Gierveld, 6 items.
    Dejong6,
    /// Lubben Social Network Scale, 6 items.
    Lsns6,
}

/// When in the programme it is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Round {
    /// Before the first encounter.
    Start,
    /// After the tenth weekly encounter.
    AfterEncounters,
    /// At the end of the loan.
    End,
}

impl Round {
    /// Every round, in programme order.
    pub const ALL: [Round; 3] = [Round::Start, Round::AfterEncounters, Round::End];

    /// Its name on the command line and in survey ids.
    pub fn name(self) -> &'static str {
        match self {
            Round::Start => "start",
            Round::AfterEncounters => "after-encounters",
            Round::End => "end",
        }
    }

    /// Reads a name.
    pub fn parse(text: &str) -> Option<Round> {
        Round::ALL.into_iter().find(|r| r.name() == text.trim())
    }
}

fn l(nl: &str, fr: &str, en: &str) -> Localized {
    Localized {
        nl: nl.into(),
        fr: Some(fr.into()),
        en: Some(en.into()),
    }
}

fn id(text: &str) -> ChoiceId {
    ChoiceId::parse(text).expect("the instruments' ids are valid")
}

/// How an item counts: for each step of the scale, its points.
type Points = &'static [(&'static str, u8)];

const DEJONG_EMOTIONAL: Points = &[("yes", 1), ("more-or-less", 1), ("no", 0)];
const DEJONG_SOCIAL: Points = &[("yes", 0), ("more-or-less", 1), ("no", 1)];
const LSNS: Points = &[
    ("none", 0),
    ("one", 1),
    ("two", 2),
    ("three-four", 3),
    ("five-eight", 4),
    ("nine-plus", 5),
];

/// One item: its id, the part of the score it counts in, how, and its words.
struct ItemDef {
    id: &'static str,
    part: &'static str,
    points: Points,
    question: [&'static str; 3],
}

const DEJONG_ITEMS: [ItemDef; 6] = [
    ItemDef {
        id: "e1",
        part: "emotional",
        points: DEJONG_EMOTIONAL,
        question: [
            "Ik ervaar een leegte om me heen.",
            "J'éprouve un sentiment de vide autour de moi.",
            "I experience a general sense of emptiness.",
        ],
    },
    ItemDef {
        id: "e2",
        part: "emotional",
        points: DEJONG_EMOTIONAL,
        question: [
            "Ik mis mensen om me heen.",
            "Les gens autour de moi me manquent.",
            "I miss having people around.",
        ],
    },
    ItemDef {
        id: "e3",
        part: "emotional",
        points: DEJONG_EMOTIONAL,
        question: [
            "Ik voel me vaak in de steek gelaten.",
            "Je me sens souvent abandonné(e).",
            "I often feel rejected.",
        ],
    },
    ItemDef {
        id: "s1",
        part: "social",
        points: DEJONG_SOCIAL,
        question: [
            "Er zijn genoeg mensen op wie ik in geval van narigheid kan terugvallen.",
            "Il y a suffisamment de personnes sur qui je peux compter en cas de problème.",
            "There are plenty of people I can rely on when I have problems.",
        ],
    },
    ItemDef {
        id: "s2",
        part: "social",
        points: DEJONG_SOCIAL,
        question: [
            "Er zijn veel mensen die ik volledig kan vertrouwen.",
            "Il y a beaucoup de personnes en qui j'ai entièrement confiance.",
            "There are many people I can trust completely.",
        ],
    },
    ItemDef {
        id: "s3",
        part: "social",
        points: DEJONG_SOCIAL,
        question: [
            "Er zijn voldoende mensen met wie ik me nauw verbonden voel.",
            "Il y a suffisamment de personnes dont je me sens proche.",
            "There are enough people I feel close to.",
        ],
    },
];

const LSNS_ITEMS: [ItemDef; 6] = [
    ItemDef {
        id: "family-contact",
        part: "family",
        points: LSNS,
        question: [
            "Hoeveel familieleden ziet of spreekt u minstens één keer per maand?",
            "Combien de membres de votre famille voyez-vous ou avez-vous au téléphone au moins une fois par mois ?",
            "How many relatives do you see or hear from at least once a month?",
        ],
    },
    ItemDef {
        id: "family-private",
        part: "family",
        points: LSNS,
        question: [
            "Met hoeveel familieleden kunt u over persoonlijke zaken praten?",
            "Avec combien de membres de votre famille pouvez-vous parler de choses personnelles ?",
            "How many relatives do you feel at ease with that you can talk about private matters?",
        ],
    },
    ItemDef {
        id: "family-help",
        part: "family",
        points: LSNS,
        question: [
            "Hoeveel familieleden staan u zo na dat u hen om hulp zou kunnen vragen?",
            "De combien de membres de votre famille vous sentez-vous assez proche pour leur demander de l'aide ?",
            "How many relatives do you feel close to such that you could call on them for help?",
        ],
    },
    ItemDef {
        id: "friends-contact",
        part: "friends",
        points: LSNS,
        question: [
            "Hoeveel vrienden (ook buren) ziet of spreekt u minstens één keer per maand?",
            "Combien d'amis (voisins compris) voyez-vous ou avez-vous au téléphone au moins une fois par mois ?",
            "How many of your friends (neighbours too) do you see or hear from at least once a month?",
        ],
    },
    ItemDef {
        id: "friends-private",
        part: "friends",
        points: LSNS,
        question: [
            "Met hoeveel vrienden kunt u over persoonlijke zaken praten?",
            "Avec combien d'amis pouvez-vous parler de choses personnelles ?",
            "How many friends do you feel at ease with that you can talk about private matters?",
        ],
    },
    ItemDef {
        id: "friends-help",
        part: "friends",
        points: LSNS,
        question: [
            "Hoeveel vrienden staan u zo na dat u hen om hulp zou kunnen vragen?",
            "De combien d'amis vous sentez-vous assez proche pour leur demander de l'aide ?",
            "How many friends do you feel close to such that you could call on them for help?",
        ],
    },
];

/// A questionnaire's score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// The total.
    pub total: u8,
    /// The highest total possible.
    pub max: u8,
    /// The parts (emotional and social; family and friends), with their points.
    pub parts: Vec<(String, u8)>,
    /// Below the instrument's cut-off for risk, where it has one (LSNS-6: below 12).
    pub at_risk: Option<bool>,
}

/// Why answers cannot be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    /// An answer to a question the questionnaire does not ask, or a step it does not have.
    #[error("{0} is not a question and answer of this questionnaire")]
    Unknown(String),
    /// A question answered twice.
    #[error("question {0} is answered twice")]
    Twice(String),
    /// A question left out.
    #[error("question {0} has no answer")]
    Missing(String),
}

impl Instrument {
    /// Every instrument.
    pub const ALL: [Instrument; 2] = [Instrument::Dejong6, Instrument::Lsns6];

    /// Its name on the command line and in survey ids.
    pub fn name(self) -> &'static str {
        match self {
            Instrument::Dejong6 => "dejong6",
            Instrument::Lsns6 => "lsns6",
        }
    }

    /// Reads a name.
    pub fn parse(text: &str) -> Option<Instrument> {
        Instrument::ALL
            .into_iter()
            .find(|i| i.name() == text.trim())
    }

    /// What it measures and how to read its score, for reports.
    pub fn about(self) -> &'static str {
        match self {
            Instrument::Dejong6 => {
                "loneliness (De Jong Gierveld, 6 questions): 0–6, higher is lonelier"
            }
            Instrument::Lsns6 => {
                "social network (Lubben LSNS-6): 0–30, below 12 is at risk of social isolation"
            }
        }
    }

    fn items(self) -> &'static [ItemDef] {
        match self {
            Instrument::Dejong6 => &DEJONG_ITEMS,
            Instrument::Lsns6 => &LSNS_ITEMS,
        }
    }

    /// The survey id of this instrument in a round: `v-dejong6-start`.
    pub fn survey_id(self, round: Round) -> SurveyId {
        SurveyId::parse(&format!("v-{}-{}", self.name(), round.name())).expect("a valid survey id")
    }

    /// The instrument and round a survey id names.
    pub fn from_survey_id(id: &SurveyId) -> Option<(Instrument, Round)> {
        let rest = id.as_str().strip_prefix("v-")?;
        let (name, round) = rest.split_once('-')?;
        Some((Instrument::parse(name)?, Round::parse(round)?))
    }

    /// The questionnaire as tablets get it.
    pub fn questionnaire(self, round: Round) -> Questionnaire {
        let scale = match self {
            Instrument::Dejong6 => vec![
                ("yes", l("Ja", "Oui", "Yes")),
                (
                    "more-or-less",
                    l("Min of meer", "Plus ou moins", "More or less"),
                ),
                ("no", l("Nee", "Non", "No")),
            ],
            Instrument::Lsns6 => vec![
                ("none", l("Niemand", "Personne", "None")),
                ("one", l("Eén", "Un", "One")),
                ("two", l("Twee", "Deux", "Two")),
                (
                    "three-four",
                    l("Drie of vier", "Trois ou quatre", "Three or four"),
                ),
                (
                    "five-eight",
                    l("Vijf tot acht", "Cinq à huit", "Five to eight"),
                ),
                (
                    "nine-plus",
                    l("Negen of meer", "Neuf ou plus", "Nine or more"),
                ),
            ],
        };
        let title = match self {
            Instrument::Dejong6 => l(
                "Hoe voelt u zich?",
                "Comment vous sentez-vous ?",
                "How do you feel?",
            ),
            Instrument::Lsns6 => l(
                "Uw familie en vrienden",
                "Votre famille et vos amis",
                "Your family and friends",
            ),
        };
        Questionnaire {
            survey_id: self.survey_id(round),
            title,
            items: self
                .items()
                .iter()
                .map(|item| SurveyItem {
                    id: id(item.id),
                    question: l(item.question[0], item.question[1], item.question[2]),
                })
                .collect(),
            scale: scale
                .into_iter()
                .map(|(step, label)| Choice {
                    id: id(step),
                    label,
                })
                .collect(),
        }
    }

    /// The highest total possible.
    pub fn max(self) -> u8 {
        self.items()
            .iter()
            .map(|i| i.points.iter().map(|p| p.1).max().unwrap_or(0))
            .sum()
    }

    /// Scores a full set of answers.
    pub fn score(self, answers: &[ItemAnswer]) -> Result<Score, ScoreError> {
        let mut parts: Vec<(String, u8)> = Vec::new();
        let mut total = 0;
        for item in self.items() {
            let given: Vec<&ItemAnswer> = answers
                .iter()
                .filter(|a| a.item.as_str() == item.id)
                .collect();
            let answer = match given.as_slice() {
                [] => return Err(ScoreError::Missing(item.id.into())),
                [one] => one,
                _ => return Err(ScoreError::Twice(item.id.into())),
            };
            let points = item
                .points
                .iter()
                .find(|(step, _)| *step == answer.choice.as_str())
                .map(|(_, p)| *p)
                .ok_or_else(|| ScoreError::Unknown(format!("{} = {}", item.id, answer.choice)))?;
            total += points;
            match parts.iter_mut().find(|(name, _)| name == item.part) {
                Some((_, sum)) => *sum += points,
                None => parts.push((item.part.to_owned(), points)),
            }
        }
        if let Some(stray) = answers
            .iter()
            .find(|a| !self.items().iter().any(|i| i.id == a.item.as_str()))
        {
            return Err(ScoreError::Unknown(stray.item.to_string()));
        }
        let max = self.max();
        let at_risk = match self {
            Instrument::Dejong6 => None,
            Instrument::Lsns6 => Some(total < 12),
        };
        Ok(Score {
            total,
            max,
            parts,
            at_risk,
        })
    }
}

/// A questionnaire asked of someone, and their answers once they came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asked {
    /// Which questionnaire.
    pub instrument: Instrument,
    /// Which round.
    pub round: Round,
    /// When a coach asked it (the latest time, if asked again).
    pub asked_at: UnixMillis,
    /// The answers, once they came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<Answered>,
}

/// A senior's answers to a questionnaire, scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    /// When the senior tapped the last answer, as their tablet says.
    pub at: UnixMillis,
    /// The answers as sent.
    pub answers: Vec<ItemAnswer>,
    /// Their score.
    pub score: Score,
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabij_protocol::Body;

    fn answers(pairs: &[(&str, &str)]) -> Vec<ItemAnswer> {
        pairs
            .iter()
            .map(|(i, c)| ItemAnswer {
                item: id(i),
                choice: id(c),
            })
            .collect()
    }

    #[test]
    fn both_questionnaires_are_valid_messages_in_three_languages() {
        for instrument in Instrument::ALL {
            for round in Round::ALL {
                let q = instrument.questionnaire(round);
                Body::Questionnaire(q.clone()).validate().unwrap();
                assert_eq!(q.items.len(), 6);
                assert_eq!(
                    Instrument::from_survey_id(&q.survey_id),
                    Some((instrument, round))
                );
            }
        }
        assert_eq!(
            Instrument::Dejong6
                .survey_id(Round::AfterEncounters)
                .as_str(),
            "v-dejong6-after-encounters"
        );
        assert_eq!(
            Instrument::from_survey_id(&SurveyId::parse("v-other-start").unwrap()),
            None
        );
    }

    #[test]
    fn de_jong_gierveld_counts_emotional_yes_and_social_no_with_more_or_less_both_ways() {
        // Emptiness yes, misses people more or less, not rejected; plenty to rely on,
        // trusts many more or less, not enough close people.
        let a = answers(&[
            ("e1", "yes"),
            ("e2", "more-or-less"),
            ("e3", "no"),
            ("s1", "yes"),
            ("s2", "more-or-less"),
            ("s3", "no"),
        ]);
        let score = Instrument::Dejong6.score(&a).unwrap();
        assert_eq!((score.total, score.max, score.at_risk), (4, 6, None));
        assert_eq!(
            score.parts,
            [("emotional".to_owned(), 2), ("social".to_owned(), 2)]
        );
        let none = answers(&[
            ("e1", "no"),
            ("e2", "no"),
            ("e3", "no"),
            ("s1", "yes"),
            ("s2", "yes"),
            ("s3", "yes"),
        ]);
        assert_eq!(Instrument::Dejong6.score(&none).unwrap().total, 0);
    }

    #[test]
    fn lsns6_adds_up_and_below_twelve_is_at_risk() {
        let a = answers(&[
            ("family-contact", "two"),
            ("family-private", "one"),
            ("family-help", "two"),
            ("friends-contact", "three-four"),
            ("friends-private", "none"),
            ("friends-help", "one"),
        ]);
        let score = Instrument::Lsns6.score(&a).unwrap();
        assert_eq!((score.total, score.max, score.at_risk), (9, 30, Some(true)));
        assert_eq!(
            score.parts,
            [("family".to_owned(), 5), ("friends".to_owned(), 4)]
        );
        let rich = answers(&[
            ("family-contact", "nine-plus"),
            ("family-private", "two"),
            ("family-help", "two"),
            ("friends-contact", "one"),
            ("friends-private", "one"),
            ("friends-help", "one"),
        ]);
        assert_eq!(
            Instrument::Lsns6.score(&rich).unwrap().at_risk,
            Some(false),
            "12 is not at risk"
        );
    }

    #[test]
    fn answers_that_do_not_fit_are_refused() {
        let mut a = answers(&[
            ("e1", "yes"),
            ("e2", "yes"),
            ("e3", "yes"),
            ("s1", "yes"),
            ("s2", "yes"),
        ]);
        assert_eq!(
            Instrument::Dejong6.score(&a),
            Err(ScoreError::Missing("s3".into()))
        );
        a.extend(answers(&[("s3", "maybe")]));
        assert!(matches!(
            Instrument::Dejong6.score(&a),
            Err(ScoreError::Unknown(_))
        ));
        a.pop();
        a.extend(answers(&[("s3", "no"), ("s3", "yes")]));
        assert_eq!(
            Instrument::Dejong6.score(&a),
            Err(ScoreError::Twice("s3".into()))
        );
        a.truncate(6);
        a.extend(answers(&[("x9", "yes")]));
        assert!(matches!(
            Instrument::Dejong6.score(&a),
            Err(ScoreError::Unknown(_))
        ));
    }
}
