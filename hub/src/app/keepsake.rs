//! The keepsake a senior takes home at the end of the loan: the people they were in
//! touch with (a phone number only where that person agreed to it), the meetings they
//! came to, and their own diary answers — the ones they choose to keep. Nothing from
//! anyone else's answers.

use super::people::participant;
use super::{AppError, Hub, tables};
use crate::domain::attendance::Mark;
use crate::domain::people::{Person, Role};
use crate::domain::schedule::Session;
use crate::store::{Tx, key, prefix};
use nabij_protocol::{DiaryAnswer, DiaryPrompt, PersonId, UnixMillis};
use serde::Serialize;

/// Someone the senior was in touch with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptContact {
    /// Their name.
    pub name: String,
    /// Their phone number, only if they agreed to it being on keepsakes (a coach's
    /// number, which every tablet shows on Help, always).
    pub phone: Option<String>,
    /// Whether this is their coach.
    pub coach: bool,
}

/// One of the senior's own diary answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeptAnswer {
    /// Which answer (for choosing it on the page).
    pub key: String,
    /// The question.
    pub prompt: DiaryPrompt,
    /// When they answered.
    pub at: UnixMillis,
    /// The answer.
    pub answer: DiaryAnswer,
    /// The names of the people it names.
    pub named: Vec<String>,
}

/// What a keepsake can hold for one senior.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keepsake {
    /// The senior.
    pub person: Person,
    /// Their group's name, if any.
    pub group: Option<String>,
    /// The people they could write to, by name.
    pub contacts: Vec<KeptContact>,
    /// The meetings they came to, in order.
    pub attended: Vec<Session>,
    /// Their own diary answers, oldest first.
    pub answers: Vec<KeptAnswer>,
}

/// Whether `person` came to `session`.
fn came(tx: &Tx, session: &Session, person: &PersonId) -> Result<bool, AppError> {
    let k = key(&[session.id.as_str().as_bytes(), person.as_str().as_bytes()]);
    Ok(tx
        .get(tables::ATTENDANCE, k)?
        .is_some_and(|a| a.mark == Mark::Present))
}

impl Hub {
    /// What a keepsake can hold for the participant `who`.
    pub fn keepsake(&self, who: &PersonId) -> Result<Keepsake, AppError> {
        let tx = self.tx();
        let person = participant(&tx, who)?;
        let group = match &person.group {
            Some(id) => tx.get(tables::GROUPS, id.as_str())?.map(|g| g.name),
            None => None,
        };
        let mut contacts = Vec::new();
        for id in tables::contact_ids(&tx, who)? {
            if let Some(p) = tx.get(tables::PEOPLE, id.as_str())? {
                let coach = p.role == Role::Coach;
                let agreed = coach || p.consent.phone_on_keepsakes;
                contacts.push(KeptContact {
                    phone: p.phone.clone().filter(|_| agreed),
                    name: p.name,
                    coach,
                });
            }
        }
        contacts.sort_by(|a, b| b.coach.cmp(&a.coach).then_with(|| a.name.cmp(&b.name)));
        let mut attended = Vec::new();
        for session in tx.all(tables::SESSIONS)? {
            if came(&tx, &session, who)? {
                attended.push(session);
            }
        }
        attended.sort_by_key(|s| s.starts_at);
        let mut answers = Vec::new();
        for prompt in self.inner.library.all() {
            let p = prefix(&[
                prompt.prompt_id.as_str().as_bytes(),
                who.as_str().as_bytes(),
            ]);
            for (_, report_key) in tx.scan(tables::DIARY_ANSWERS, &p, None, usize::MAX)? {
                let Some(report) = tx.get(tables::REPORTS, &report_key)? else {
                    continue;
                };
                // Only what the senior answered themselves.
                if &report.participant != who {
                    continue;
                }
                let Some(answer) = report
                    .envelope
                    .get("body")
                    .and_then(|b| serde_json::from_value::<DiaryAnswer>(b.clone()).ok())
                else {
                    continue;
                };
                let mut named = Vec::new();
                for id in &answer.people {
                    if let Some(p) = tx.get(tables::PEOPLE, id.as_str())? {
                        named.push(p.name);
                    }
                }
                answers.push(KeptAnswer {
                    key: report_key,
                    prompt: prompt.clone(),
                    at: report.received_at,
                    answer,
                    named,
                });
            }
        }
        answers.sort_by_key(|a| a.at);
        Ok(Keepsake {
            person,
            group,
            contacts,
            attended,
            answers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::DetailChanges;
    use crate::app::testing::{hub, tablet, up};
    use crate::domain::calendar::Date;
    use crate::domain::schedule::{Plan, TimeOfDay};
    use nabij_protocol::{Body, ChoiceId, PromptId, Share};

    fn answer(text: &str, share: Share, people: Vec<PersonId>) -> Body {
        Body::DiaryAnswer(DiaryAnswer {
            prompt_id: PromptId::parse("q-talked-to").expect("a prompt"),
            choices: vec![ChoiceId::parse("neighbours").expect("a choice")],
            people,
            text: Some(text.into()),
            voice: None,
            share,
        })
    }

    #[tokio::test]
    async fn a_keepsake_holds_only_what_is_the_seniors_own_and_numbers_that_were_agreed() {
        let (hub, _) = hub();
        let group = hub
            .add_group("Oostende Oost", None)
            .await
            .expect("a group")
            .id;
        let (mia, mia_tablet) = tablet(&hub, "Mia").await;
        let (rik, rik_tablet) = tablet(&hub, "Rik").await;
        let (els, _) = tablet(&hub, "Els").await;
        for who in [&mia, &rik, &els] {
            hub.move_participant(who, Some(&group))
                .await
                .expect("moved");
        }
        let marie = hub
            .add_coach("Marie Dewulf", "059 12 34 56", Some(&group))
            .await
            .expect("a coach");
        hub.approve_contacts(&mia, &rik).await.expect("contacts");
        hub.approve_contacts(&mia, &els).await.expect("contacts");
        for (who, phone, agreed) in [(&rik, "059 11 11 11", true), (&els, "059 22 22 22", false)] {
            hub.update_participant(
                who,
                DetailChanges {
                    phone: Some(Some(phone.into())),
                    consent_keepsake: Some(agreed),
                    ..DetailChanges::default()
                },
            )
            .await
            .expect("details");
        }
        let plan = Plan {
            first: Date::parse("2026-01-06").expect("a date"),
            time: TimeOfDay {
                hour: 14,
                minute: 0,
            },
            minutes: 180,
            place: "De Schelp".into(),
            address: None,
        };
        let sessions = hub.plan_schedule(&group, plan).await.expect("planned");
        let marks = |mark| vec![(mia.clone(), mark)];
        hub.take_attendance(&sessions[0].id, marks(Mark::Present))
            .await
            .expect("taken");
        hub.take_attendance(&sessions[1].id, marks(Mark::Excused))
            .await
            .expect("taken");
        hub.handle_batch(vec![
            up(
                &mia_tablet,
                answer("Met Rik", Share::OnlyMe, vec![rik.clone()]),
            )
            .0,
            up(
                &rik_tablet,
                answer("Rik's geheim", Share::MyGroup, vec![mia.clone()]),
            )
            .0,
        ])
        .await;

        let keepsake = hub.keepsake(&mia).expect("a keepsake");
        assert_eq!(keepsake.group.as_deref(), Some("Oostende Oost"));
        let contacts: Vec<(&str, Option<&str>)> = keepsake
            .contacts
            .iter()
            .map(|c| (c.name.as_str(), c.phone.as_deref()))
            .collect();
        assert_eq!(
            contacts,
            [
                ("Marie Dewulf", Some("059 12 34 56")),
                ("Els", None),
                ("Rik", Some("059 11 11 11")),
            ]
        );
        let attended: Vec<&str> = keepsake.attended.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(attended, [sessions[0].id.as_str()], "present only");
        assert_eq!(keepsake.answers.len(), 1);
        assert_eq!(keepsake.answers[0].answer.text.as_deref(), Some("Met Rik"));
        assert_eq!(keepsake.answers[0].named, ["Rik"]);
        let _ = marie;
    }
}
