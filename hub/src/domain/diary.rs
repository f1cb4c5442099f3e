//! The diary: a library of prompts about the senior's network (nl, fr, en), one a week per
//! group, and the answers seniors chose to share with their group. An answer kept for
//! "only me" is counted, never shown.

use crate::domain::calendar::Date;
use crate::domain::schedule::{TimeOfDay, at};
use nabij_protocol::{
    Body, Choice, ChoiceId, DiaryPrompt, GroupId, Localized, PromptId, UnixMillis,
};
use serde::{Deserialize, Serialize};

/// The prompts that come with the hub.
pub const BUILT_IN: &str = include_str!("../../../assets/diary/prompts.toml");

/// When a week's prompt reaches the tablets (Belgian time), and answers close a week later.
pub const SENT_AT: TimeOfDay = TimeOfDay { hour: 9, minute: 0 };

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    prompt: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    nl: String,
    fr: Option<String>,
    en: Option<String>,
    #[serde(default)]
    allow_text: bool,
    #[serde(default)]
    allow_voice: bool,
    #[serde(default)]
    faces: bool,
    #[serde(default)]
    people: bool,
    #[serde(default)]
    choices: Vec<ChoiceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceEntry {
    id: String,
    nl: String,
    fr: Option<String>,
    en: Option<String>,
}

/// The prompts coaches choose from.
#[derive(Debug, Clone, PartialEq)]
pub struct Library {
    prompts: Vec<DiaryPrompt>,
}

impl Library {
    /// Reads a library (TOML, as `assets/diary/prompts.toml`); every prompt must pass the
    /// protocol's rules, and ids must differ.
    pub fn parse(text: &str) -> Result<Library, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string().replace('\n', " "))?;
        let mut prompts: Vec<DiaryPrompt> = Vec::new();
        for entry in file.prompt {
            let prompt_id = PromptId::parse(&entry.id).map_err(|e| format!("{}: {e}", entry.id))?;
            let mut choices = Vec::new();
            for c in entry.choices {
                choices.push(Choice {
                    id: ChoiceId::parse(&c.id)
                        .map_err(|e| format!("{}: {}: {e}", entry.id, c.id))?,
                    label: Localized {
                        nl: c.nl,
                        fr: c.fr,
                        en: c.en,
                    },
                });
            }
            let prompt = DiaryPrompt {
                prompt_id,
                question: Localized {
                    nl: entry.nl,
                    fr: entry.fr,
                    en: entry.en,
                },
                choices,
                faces: entry.faces,
                people: entry.people,
                allow_text: entry.allow_text,
                allow_voice: entry.allow_voice,
                audio: None,
                answer_before: None,
            };
            Body::DiaryPrompt(prompt.clone())
                .validate()
                .map_err(|e| format!("{}: {}: {}", entry.id, e.field, e.reason))?;
            if prompts.iter().any(|p| p.prompt_id == prompt.prompt_id) {
                return Err(format!("{} comes twice", entry.id));
            }
            prompts.push(prompt);
        }
        Ok(Library { prompts })
    }

    /// Every prompt, in the library's order.
    pub fn all(&self) -> &[DiaryPrompt] {
        &self.prompts
    }

    /// One prompt.
    pub fn get(&self, id: &PromptId) -> Option<&DiaryPrompt> {
        self.prompts.iter().find(|p| &p.prompt_id == id)
    }
}

/// A group's prompt for one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiaryWeek {
    /// The group.
    pub group: GroupId,
    /// The prompt.
    pub prompt: PromptId,
    /// The week's first day: the prompt reaches the tablets then, at [`SENT_AT`].
    pub from: Date,
    /// When the hub queued it for the tablets.
    #[serde(default)]
    pub sent_at: Option<UnixMillis>,
}

impl DiaryWeek {
    /// When the prompt goes out.
    pub fn opens(&self) -> UnixMillis {
        at(self.from, SENT_AT)
    }

    /// When answers close: a week later.
    pub fn closes(&self) -> UnixMillis {
        at(self.from.plus_days(7), SENT_AT)
    }

    /// Whether two weeks overlap (a group has one prompt a week).
    pub fn overlaps(&self, other_from: Date) -> bool {
        (self.from.days() - other_from.days()).abs() < 7
    }

    /// The prompt as this week's tablets get it.
    pub fn message(&self, prompt: &DiaryPrompt) -> DiaryPrompt {
        DiaryPrompt {
            answer_before: Some(self.closes()),
            ..prompt.clone()
        }
    }
}

/// A shared answer in words for a coach: the choices (in Dutch, as the senior saw them),
/// the people named, the words in quotes, and how long a voice answer is.
pub fn answer_words(
    prompt: &DiaryPrompt,
    answer: &nabij_protocol::DiaryAnswer,
    named: &[String],
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let chosen: Vec<&str> = answer
        .choices
        .iter()
        .filter_map(|id| prompt.choices.iter().find(|c| &c.id == id))
        .map(|c| c.label.nl.as_str())
        .collect();
    if !chosen.is_empty() {
        parts.push(chosen.join(", "));
    }
    if !named.is_empty() {
        parts.push(named.join(", "));
    }
    if let Some(text) = &answer.text {
        parts.push(format!("\"{text}\""));
    }
    if let Some(voice) = &answer.voice {
        parts.push(format!(
            "a voice answer of {} s",
            voice.duration_ms.div_ceil(1000)
        ));
    }
    parts.join(" — ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_library_is_valid_and_speaks_three_languages() {
        let library = Library::parse(BUILT_IN).expect("the built-in prompts are valid");
        assert!(library.all().len() >= 10);
        for p in library.all() {
            assert!(
                p.question.fr.is_some() && p.question.en.is_some(),
                "{}",
                p.prompt_id
            );
            for c in &p.choices {
                assert!(
                    c.label.fr.is_some() && c.label.en.is_some(),
                    "{} {}",
                    p.prompt_id,
                    c.id
                );
            }
        }
        let talked_to = library
            .get(&PromptId::parse("q-talked-to").unwrap())
            .expect("the first prompt is there");
        assert_eq!(talked_to.choices.len(), 4);
        assert!(talked_to.people && !talked_to.faces);
        assert!(
            library
                .all()
                .iter()
                .any(|p| p.faces && p.choices.len() == 3),
            "one prompt is answered with faces"
        );
        let visitors = library
            .get(&PromptId::parse("q-visitors").unwrap())
            .expect("a prompt answered with a number");
        assert_eq!(
            visitors
                .choices
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>(),
            ["none", "one", "two", "three-or-more"]
        );
    }

    #[test]
    fn a_bad_library_is_refused_with_the_prompt_that_is_wrong() {
        let seven = (0..7)
            .map(|n| format!("{{ id = \"c{n}\", nl = \"x\" }}"))
            .collect::<Vec<_>>()
            .join(", ");
        let err = Library::parse(&format!(
            "[[prompt]]\nid = \"q-x\"\nnl = \"Vraag?\"\nchoices = [{seven}]\n"
        ))
        .unwrap_err();
        assert!(err.contains("q-x") && err.contains("choices"), "{err}");
        let err = Library::parse("[[prompt]]\nid = \"x\"\nnl = \"Vraag?\"\nallow_text = true\n")
            .unwrap_err();
        assert!(err.contains("x"), "{err}");
        let twice = "[[prompt]]\nid = \"q-a\"\nnl = \"A?\"\nallow_text = true\n";
        let err = Library::parse(&format!("{twice}{twice}")).unwrap_err();
        assert!(err.contains("twice"), "{err}");
        let none = "[[prompt]]\nid = \"q-a\"\nnl = \"A?\"\n";
        assert!(Library::parse(none).is_err(), "no way to answer");
    }

    #[test]
    fn a_week_opens_at_nine_and_closes_a_week_later() {
        let week = DiaryWeek {
            group: GroupId::parse("g-oost").unwrap(),
            prompt: PromptId::parse("q-talked-to").unwrap(),
            from: Date::parse("2027-01-11").unwrap(),
            sent_at: None,
        };
        let local = nabij_protocol::time::brussels(week.opens());
        assert_eq!((local.day, local.hour), (11, 9));
        assert_eq!(week.closes().0 - week.opens().0, 7 * 86_400_000);
        assert!(week.overlaps(Date::parse("2027-01-15").unwrap()));
        assert!(!week.overlaps(Date::parse("2027-01-18").unwrap()));
    }
}
