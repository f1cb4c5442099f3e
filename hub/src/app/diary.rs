//! The diary: coaches plan one prompt a week per group from the library; it reaches the
//! group's tablets at the week's start; what seniors share comes back grouped by prompt,
//! ready for the discussion at the next encounter. Private answers are counted, not shown.

use super::people::{find_group_in, members_of};
use super::{AppError, Effects, Hub, hub_envelope, tables};
use crate::clock;
use crate::domain::calendar::Date;
use crate::domain::diary::DiaryWeek;
use crate::store::{StoreError, Tx, key, prefix};
use nabij_protocol::{
    Body, DiaryAnswer, DiaryPrompt, GroupId, PersonId, PromptId, Share, UnixMillis,
};
use serde::{Deserialize, Serialize};

/// One answer a senior shared with their group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedAnswer {
    /// Who.
    pub person: PersonId,
    /// Their name.
    pub name: String,
    /// When they answered.
    pub at: UnixMillis,
    /// The answer.
    pub answer: DiaryAnswer,
    /// The names of the people the answer names.
    pub named: Vec<String>,
}

/// A prompt's answers in a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptAnswers {
    /// The prompt.
    pub prompt: DiaryPrompt,
    /// The week it was the group's prompt.
    pub week: Date,
    /// Answers shared with the group (each senior's latest), by name.
    pub shared: Vec<SharedAnswer>,
    /// How many answered for themselves only.
    pub private: usize,
}

fn week_key(group: &GroupId, from: Date) -> Vec<u8> {
    key(&[group.as_str().as_bytes(), from.to_string().as_bytes()])
}

/// Notes a diary answer for its prompt's list (the report itself is kept with the rest).
pub(crate) fn note_answer(
    tx: &mut Tx,
    prompt: &PromptId,
    person: &PersonId,
    at: UnixMillis,
    report_key: &str,
) -> Result<(), AppError> {
    let k = key(&[
        prompt.as_str().as_bytes(),
        person.as_str().as_bytes(),
        &at.0.to_be_bytes(),
    ]);
    tx.put(tables::DIARY_ANSWERS, k, &report_key.to_owned())?;
    Ok(())
}

/// How many people `person` named in each of their answers to the group's prompts that
/// `asks_who` (a prompt that lets the senior name people: an answer to another one names
/// nobody, and is no figure of their network), with when they answered (for the network
/// figures; no answer's content leaves here).
pub(crate) fn people_named(
    tx: &Tx,
    group: &GroupId,
    person: &PersonId,
    asks_who: impl Fn(&PromptId) -> bool,
) -> Result<Vec<(UnixMillis, usize)>, AppError> {
    let mut out = Vec::new();
    let mut prompts: Vec<PromptId> = weeks_of(tx, group)?
        .into_iter()
        .map(|w| w.prompt)
        .filter(|p| asks_who(p))
        .collect();
    prompts.sort();
    prompts.dedup();
    for prompt in prompts {
        let p = prefix(&[prompt.as_str().as_bytes(), person.as_str().as_bytes()]);
        for (_, report_key) in tx.scan(tables::DIARY_ANSWERS, &p, None, usize::MAX)? {
            let Some(report) = tx.get(tables::REPORTS, &report_key)? else {
                continue;
            };
            let named = report
                .envelope
                .get("body")
                .and_then(|b| serde_json::from_value::<DiaryAnswer>(b.clone()).ok())
                .map(|a| a.people.len());
            if let Some(named) = named {
                out.push((report.received_at, named));
            }
        }
    }
    Ok(out)
}

fn weeks_of(tx: &Tx, group: &GroupId) -> Result<Vec<DiaryWeek>, AppError> {
    Ok(tx.with_prefix(tables::DIARY_WEEKS, &prefix(&[group.as_str().as_bytes()]))?)
}

impl Hub {
    /// The prompts coaches choose from.
    pub fn diary_prompts(&self) -> &[DiaryPrompt] {
        self.inner.library.all()
    }

    fn prompt(&self, id: &PromptId) -> Result<&DiaryPrompt, AppError> {
        self.inner
            .library
            .get(id)
            .ok_or_else(|| AppError::NoPrompt(id.to_string()))
    }

    /// Queues a week's prompt for every member's tablets.
    fn send_week(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        week: &mut DiaryWeek,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let message = week.message(self.prompt(&week.prompt)?);
        for member in members_of(tx, &week.group)? {
            for tablet in tables::tablets_of(tx, &member.id)? {
                let envelope = hub_envelope(Body::DiaryPrompt(message.clone()))?;
                self.queue(tx, fx, &tablet.id, &envelope)?;
            }
        }
        week.sent_at = Some(now);
        tx.put(tables::DIARY_WEEKS, week_key(&week.group, week.from), week)?;
        Ok(())
    }

    /// Queues this week's prompt, if one is open, for one person's tablets (they joined
    /// the group, or their tablet connected for the first time).
    pub(crate) fn push_open_prompt(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person: &PersonId,
    ) -> Result<(), AppError> {
        let Some(group) = tx
            .get(tables::PEOPLE, person.as_str())?
            .and_then(|p| p.group)
        else {
            return Ok(());
        };
        let now = clock::now();
        for week in weeks_of(tx, &group)? {
            if week.sent_at.is_some() && week.opens() <= now && now < week.closes() {
                let message = week.message(self.prompt(&week.prompt)?);
                for tablet in tables::tablets_of(tx, person)? {
                    let envelope = hub_envelope(Body::DiaryPrompt(message.clone()))?;
                    self.queue(tx, fx, &tablet.id, &envelope)?;
                }
            }
        }
        Ok(())
    }

    /// Plans a group's prompt for the week from `from`: its tablets get it then (at once,
    /// if that time has come). A group has one prompt a week.
    pub async fn plan_diary(
        &self,
        group: &GroupId,
        prompt: &PromptId,
        from: Date,
    ) -> Result<DiaryWeek, AppError> {
        self.prompt(prompt)?;
        let mut fx = Effects::default();
        let week = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let group = find_group_in(&tx, group.as_str())?;
            if let Some(other) = weeks_of(&tx, &group.id)?
                .into_iter()
                .find(|w| w.overlaps(from))
            {
                return Err(AppError::WeekTaken(
                    other.from.to_string(),
                    other.prompt.to_string(),
                ));
            }
            let mut week = DiaryWeek {
                group: group.id.clone(),
                prompt: prompt.clone(),
                from,
                sent_at: None,
            };
            let now = clock::now();
            if week.opens() <= now {
                self.send_week(&mut tx, &mut fx, &mut week, now)?;
            } else {
                tx.put(tables::DIARY_WEEKS, week_key(&week.group, week.from), &week)?;
            }
            tx.commit().await?;
            week
        };
        self.finish(fx).await;
        Ok(week)
    }

    /// A group's planned prompts, by week.
    pub fn diary_weeks(&self, group: &GroupId) -> Result<Vec<DiaryWeek>, AppError> {
        let tx = self.tx();
        let group = find_group_in(&tx, group.as_str())?;
        weeks_of(&tx, &group.id)
    }

    /// Sends every planned prompt whose week has begun (run every minute).
    pub async fn send_due_prompts(&self) -> Result<usize, AppError> {
        let mut fx = Effects::default();
        let sent = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let now = clock::now();
            let mut sent = 0;
            for mut week in tx.all(tables::DIARY_WEEKS)? {
                if week.sent_at.is_none() && week.opens() <= now {
                    self.send_week(&mut tx, &mut fx, &mut week, now)?;
                    sent += 1;
                }
            }
            tx.commit().await?;
            sent
        };
        self.finish(fx).await;
        Ok(sent)
    }

    /// What a group's members shared, per prompt of theirs (or one prompt): each member's
    /// latest shared answer in full; answers kept private only counted.
    pub fn diary_answers(
        &self,
        group: &GroupId,
        only: Option<&PromptId>,
    ) -> Result<Vec<PromptAnswers>, AppError> {
        let tx = self.tx();
        let group = find_group_in(&tx, group.as_str())?;
        let members: std::collections::BTreeMap<PersonId, String> = members_of(&tx, &group.id)?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let mut out = Vec::new();
        for week in weeks_of(&tx, &group.id)? {
            if only.is_some_and(|p| p != &week.prompt) {
                continue;
            }
            let prompt = self.prompt(&week.prompt)?.clone();
            // Latest answer per member: keys sort by person, then time.
            let mut latest: std::collections::BTreeMap<PersonId, (UnixMillis, DiaryAnswer)> =
                Default::default();
            for (_, report_key) in tx.scan(
                tables::DIARY_ANSWERS,
                &prefix(&[week.prompt.as_str().as_bytes()]),
                None,
                usize::MAX,
            )? {
                let Some(report) = tx.get(tables::REPORTS, &report_key)? else {
                    continue;
                };
                if !members.contains_key(&report.participant) {
                    continue;
                }
                let Some(answer) = report
                    .envelope
                    .get("body")
                    .and_then(|b| serde_json::from_value::<DiaryAnswer>(b.clone()).ok())
                else {
                    continue;
                };
                latest.insert(report.participant.clone(), (report.received_at, answer));
            }
            let mut shared = Vec::new();
            let mut private = 0;
            for (person, (at, answer)) in latest {
                match answer.share {
                    Share::MyGroup => shared.push(SharedAnswer {
                        name: members.get(&person).cloned().unwrap_or_default(),
                        named: answer
                            .people
                            .iter()
                            .map(|p| {
                                Ok(tx
                                    .get(tables::PEOPLE, p.as_str())?
                                    .map_or_else(|| p.to_string(), |p| p.name))
                            })
                            .collect::<Result<_, StoreError>>()?,
                        person,
                        at,
                        answer,
                    }),
                    Share::OnlyMe => private += 1,
                }
            }
            shared.sort_by(|a, b| a.name.cmp(&b.name));
            out.push(PromptAnswers {
                prompt,
                week: week.from,
                shared,
                private,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{hub, status, tablet, up};
    use nabij_protocol::{ChoiceId, Topic};

    async fn member(
        hub: &Hub,
        name: &str,
        group: &GroupId,
    ) -> (PersonId, nabij_protocol::DeviceId) {
        let (person, device) = tablet(hub, name).await;
        let mut tx = hub.tx();
        let mut p = tx.get(tables::PEOPLE, person.as_str()).unwrap().unwrap();
        p.group = Some(group.clone());
        tx.put(tables::PEOPLE, person.as_str(), &p).unwrap();
        tx.commit().await.unwrap();
        hub.handle_batch(vec![status(&device, true)]).await;
        (person, device)
    }

    fn answer(prompt: &PromptId, share: Share, text: &str) -> Body {
        Body::DiaryAnswer(DiaryAnswer {
            prompt_id: prompt.clone(),
            choices: vec![ChoiceId::parse("family").unwrap()],
            people: Vec::new(),
            text: Some(text.into()),
            voice: None,
            share,
        })
    }

    #[tokio::test]
    async fn a_weeks_prompt_reaches_the_group_and_only_shared_answers_come_back() {
        let (hub, out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let (_, jan) = member(&hub, "Jan", &group).await;
        let (_, anna) = member(&hub, "Anna", &group).await;
        let (_, stranger) = tablet(&hub, "Stranger").await;
        out.take(&Topic::DeviceDown(jan.clone()));
        let prompt = PromptId::parse("q-talked-to").unwrap();
        let today = nabij_protocol::time::brussels(clock::now());
        let yesterday = Date::new(today.year, today.month, today.day)
            .unwrap()
            .plus_days(-1);

        let week = hub.plan_diary(&group, &prompt, yesterday).await.unwrap();
        assert!(week.sent_at.is_some(), "its week has begun: sent at once");
        let got = out.take(&Topic::DeviceDown(jan.clone()));
        let Some(Body::DiaryPrompt(sent)) = got
            .into_iter()
            .map(|e| e.body)
            .find(|b| matches!(b, Body::DiaryPrompt(_)))
        else {
            panic!("Jan's tablet gets the prompt");
        };
        assert_eq!(sent.answer_before, Some(week.closes()));
        assert!(
            out.take(&Topic::DeviceDown(stranger.clone())).is_empty(),
            "not another group's"
        );
        assert!(matches!(
            hub.plan_diary(
                &group,
                &PromptId::parse("q-visitors").unwrap(),
                yesterday.plus_days(3)
            )
            .await,
            Err(AppError::WeekTaken(..))
        ));
        assert!(matches!(
            hub.plan_diary(
                &group,
                &PromptId::parse("q-nope").unwrap(),
                yesterday.plus_days(7)
            )
            .await,
            Err(AppError::NoPrompt(_))
        ));

        // Jan shares (then changes his answer); Anna keeps hers; a stranger's does not count.
        for (device, share, text) in [
            (&jan, Share::MyGroup, "Met mijn dochter"),
            (&jan, Share::MyGroup, "Met mijn dochter en de buurvrouw"),
            (&anna, Share::OnlyMe, "Niemand, eigenlijk"),
            (&stranger, Share::MyGroup, "Iemand"),
        ] {
            hub.handle_batch(vec![up(device, answer(&prompt, share, text)).0])
                .await;
        }
        let answers = hub.diary_answers(&group, None).unwrap();
        assert_eq!(answers.len(), 1);
        let a = &answers[0];
        assert_eq!((a.week, a.private, a.shared.len()), (yesterday, 1, 1));
        assert_eq!(a.shared[0].name, "Jan");
        assert_eq!(
            a.shared[0].answer.text.as_deref(),
            Some("Met mijn dochter en de buurvrouw")
        );
        let json = serde_json::to_string(&answers).unwrap();
        assert!(
            !json.contains("Niemand, eigenlijk"),
            "a private answer never leaves the hub"
        );
    }

    #[tokio::test]
    async fn a_prompt_planned_ahead_goes_out_when_its_week_begins() {
        let (hub, out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let (_, jan) = member(&hub, "Jan", &group).await;
        out.take(&Topic::DeviceDown(jan.clone()));
        let next_year = nabij_protocol::time::brussels(clock::now()).year + 1;
        let from = Date::new(next_year, 1, 11).unwrap();
        let week = hub
            .plan_diary(&group, &PromptId::parse("q-visitors").unwrap(), from)
            .await
            .unwrap();
        assert!(week.sent_at.is_none());
        assert_eq!(hub.send_due_prompts().await.unwrap(), 0, "not yet");
        // Its week comes (the plan is moved back in time, as the clock cannot be).
        let mut tx = hub.tx();
        tx.remove(tables::DIARY_WEEKS, week_key(&group, from));
        let begun = DiaryWeek {
            from: Date::new(2020, 1, 6).unwrap(),
            ..week
        };
        tx.put(tables::DIARY_WEEKS, week_key(&group, begun.from), &begun)
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(hub.send_due_prompts().await.unwrap(), 1);
        assert_eq!(hub.send_due_prompts().await.unwrap(), 0, "once");
        assert!(
            out.take(&Topic::DeviceDown(jan))
                .iter()
                .any(|e| matches!(e.body, Body::DiaryPrompt(_)))
        );
    }

    #[tokio::test]
    async fn an_answer_names_only_the_seniors_contacts_and_the_coach_reads_their_names() {
        let (hub, _out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let (jan, jan_tablet) = member(&hub, "Jan", &group).await;
        let (anna, _) = member(&hub, "Anna", &group).await;
        let (stranger, _) = tablet(&hub, "Stranger").await;
        hub.approve_contacts(&jan, &anna).await.unwrap();
        let prompt = PromptId::parse("q-talked-to").unwrap();
        assert!(
            hub.prompt(&prompt).unwrap().people,
            "the library's asks for people"
        );
        let today = nabij_protocol::time::brussels(clock::now());
        let monday = Date::new(today.year, today.month, today.day)
            .unwrap()
            .plus_days(-1);
        hub.plan_diary(&group, &prompt, monday).await.unwrap();

        let named = Body::DiaryAnswer(DiaryAnswer {
            prompt_id: prompt.clone(),
            choices: Vec::new(),
            people: vec![anna.clone(), stranger.clone(), anna.clone()],
            text: None,
            voice: None,
            share: Share::MyGroup,
        });
        hub.handle_batch(vec![up(&jan_tablet, named).0]).await;
        let answers = hub.diary_answers(&group, None).unwrap();
        let shared = &answers[0].shared[0];
        assert_eq!(
            shared.answer.people,
            [anna],
            "the stranger and the repeat left out"
        );
        assert_eq!(shared.named, ["Anna"]);
    }
}
