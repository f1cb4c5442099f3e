//! The programme's questionnaires: a coach asks a group one of them for a round (start,
//! after the encounters, end); each member who agreed to count in the evaluation gets it
//! on their tablets; the answers come back, are scored and kept; project staff read the
//! scores per member and the group's means, with the change since the start.
//!
//! Only figures of seniors who agreed (`consent.research`) are asked, kept and shown.

use super::people::{find_group_in, members_of};
use super::{AppError, Effects, Hub, hub_envelope, tables};
use crate::clock;
use crate::domain::devices::DeviceRecord;
use crate::domain::messaging::Seen;
pub use crate::domain::surveys::{Answered, Asked};
use crate::domain::surveys::{Instrument, Round, Score};
use crate::store::{Tx, key, prefix};
use nabij_protocol::{
    Body, Envelope, GroupId, PersonId, QuestionnaireAnswer, RejectReason, UnixMillis,
};
use serde::{Deserialize, Serialize};

/// What asking a group did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveySent {
    /// Asked now, by name.
    pub asked: Vec<String>,
    /// Of those, without a tablet yet: theirs gets it when it first connects.
    pub no_tablet: Vec<String>,
    /// Not asked: they answered this round already.
    pub answered_already: Vec<String>,
    /// Not asked: they did not agree to count in the evaluation.
    pub no_consent: Vec<String>,
}

/// One member's questionnaire in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyRow {
    /// Who.
    pub person: PersonId,
    /// Their name.
    pub name: String,
    /// What was asked, and the answers.
    pub asked: Asked,
}

/// A round of one questionnaire in a group, all together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveySummary {
    /// Which questionnaire.
    pub instrument: Instrument,
    /// Which round.
    pub round: Round,
    /// How many were asked.
    pub asked: usize,
    /// How many answered.
    pub answered: usize,
    /// The mean total of those who answered.
    pub mean: Option<f64>,
    /// The highest total possible.
    pub max: u8,
    /// How many of them are at risk, where the questionnaire has a cut-off.
    pub at_risk: Option<usize>,
    /// For later rounds: the mean change since the start among those who answered both,
    /// and how many those are.
    pub change_since_start: Option<(f64, usize)>,
}

/// A group's questionnaires: per member, and per questionnaire and round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyReport {
    /// The group's name.
    pub group: String,
    /// Per member (who agreed to count), by name, then questionnaire and round.
    pub rows: Vec<SurveyRow>,
    /// Per questionnaire and round asked.
    pub summaries: Vec<SurveySummary>,
}

fn asked_key(person: &PersonId, instrument: Instrument, round: Round) -> Vec<u8> {
    key(&[
        person.as_str().as_bytes(),
        instrument.survey_id(round).as_str().as_bytes(),
    ])
}

fn asked_of(tx: &Tx, person: &PersonId) -> Result<Vec<Asked>, AppError> {
    Ok(tx.with_prefix(tables::SURVEYS, &prefix(&[person.as_str().as_bytes()]))?)
}

fn questionnaire_envelope(asked: &Asked) -> Result<Envelope, AppError> {
    Ok(hub_envelope(Body::Questionnaire(
        asked.instrument.questionnaire(asked.round),
    ))?)
}

/// Keeps a questionnaire's answers from a tablet, scored. Answers to a questionnaire
/// that was not asked, or that do not fit it, are refused for good (`malformed`); a
/// resend is acknowledged again.
pub(crate) fn on_answer(
    tx: &mut Tx,
    fx: &mut Effects,
    device: &DeviceRecord,
    envelope: &Envelope,
    answer: &QuestionnaireAnswer,
    now: UnixMillis,
) -> Result<(), AppError> {
    let seen_key = tables::pair_key(device.id.as_str(), envelope.id.as_str());
    if tx.contains(tables::SEEN, &seen_key)? {
        fx.ack(&device.id, &envelope.id);
        return Ok(());
    }
    let person = &device.participant;
    let refuse = |fx: &mut Effects, detail: String| {
        tracing::warn!(device = %device.id, %detail, "questionnaire answers refused");
        Hub::reject(
            fx,
            &device.id,
            envelope.id.clone(),
            RejectReason::Malformed,
            detail,
            None,
        )
    };
    let Some((instrument, round)) = Instrument::from_survey_id(&answer.survey_id) else {
        return refuse(
            fx,
            format!("this hub has no questionnaire {}", answer.survey_id),
        );
    };
    let k = asked_key(person, instrument, round);
    let Some(mut asked) = tx.get(tables::SURVEYS, &k)? else {
        return refuse(
            fx,
            format!("questionnaire {} was not asked", answer.survey_id),
        );
    };
    let score = match instrument.score(&answer.answers) {
        Ok(score) => score,
        Err(e) => return refuse(fx, e.to_string()),
    };
    let at = envelope.ts.min(now);
    // Consent may have been withdrawn since the questions went out: then nothing is kept.
    let consents = tx
        .get(tables::PEOPLE, person.as_str())?
        .is_some_and(|p| p.consent.research);
    if consents {
        asked.answered = Some(Answered {
            at,
            answers: answer.answers.clone(),
            score,
        });
        tx.put(tables::SURVEYS, &k, &asked)?;
        tracing::info!(participant = %person, survey = %answer.survey_id, "questionnaire answered");
    } else {
        tracing::info!(participant = %person, survey = %answer.survey_id, "questionnaire answers not kept: no consent to count in the evaluation");
    }
    super::followup::note_sent(tx, person, at)?;
    tx.put(tables::SEEN, &seen_key, &Seen::Handled)?;
    fx.ack(&device.id, &envelope.id);
    Ok(())
}

impl Hub {
    /// Asks a group's members a questionnaire for a round: each who agreed to count in
    /// the evaluation and has not answered this round yet gets it on their tablets.
    pub async fn send_survey(
        &self,
        group: &GroupId,
        instrument: Instrument,
        round: Round,
    ) -> Result<SurveySent, AppError> {
        let mut fx = Effects::default();
        let sent = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let group = find_group_in(&tx, group.as_str())?;
            let now = clock::now();
            let mut sent = SurveySent::default();
            for member in members_of(&tx, &group.id)? {
                if !member.consent.research {
                    sent.no_consent.push(member.name);
                    continue;
                }
                let k = asked_key(&member.id, instrument, round);
                let mut asked = tx.get(tables::SURVEYS, &k)?.unwrap_or(Asked {
                    instrument,
                    round,
                    asked_at: now,
                    answered: None,
                });
                if asked.answered.is_some() {
                    sent.answered_already.push(member.name);
                    continue;
                }
                asked.asked_at = now;
                tx.put(tables::SURVEYS, &k, &asked)?;
                let tablets = tables::tablets_of(&tx, &member.id)?;
                if tablets.is_empty() {
                    sent.no_tablet.push(member.name.clone());
                }
                for tablet in tablets {
                    let envelope = questionnaire_envelope(&asked)?;
                    self.queue(&mut tx, &mut fx, &tablet.id, &envelope)?;
                }
                sent.asked.push(member.name);
            }
            tx.commit().await?;
            sent
        };
        self.finish(fx).await;
        Ok(sent)
    }

    /// Queues the questionnaires someone was asked and has not answered, for their
    /// tablets (a tablet that connects for the first time).
    pub(crate) fn push_open_surveys(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person: &PersonId,
    ) -> Result<(), AppError> {
        for asked in asked_of(tx, person)? {
            if asked.answered.is_some() {
                continue;
            }
            for tablet in tables::tablets_of(tx, person)? {
                let envelope = questionnaire_envelope(&asked)?;
                self.queue(tx, fx, &tablet.id, &envelope)?;
            }
        }
        Ok(())
    }

    /// A group's questionnaires: each member's (who agreed to count) and, per
    /// questionnaire and round, how many answered, the mean, and the change since the
    /// start.
    pub fn survey_report(&self, group: &GroupId) -> Result<SurveyReport, AppError> {
        let tx = self.tx();
        let group = find_group_in(&tx, group.as_str())?;
        let mut rows = Vec::new();
        for member in members_of(&tx, &group.id)? {
            if !member.consent.research {
                continue;
            }
            for asked in asked_of(&tx, &member.id)? {
                rows.push(SurveyRow {
                    person: member.id.clone(),
                    name: member.name.clone(),
                    asked,
                });
            }
        }
        rows.sort_by(|a, b| {
            (&a.name, a.asked.instrument, a.asked.round).cmp(&(
                &b.name,
                b.asked.instrument,
                b.asked.round,
            ))
        });
        Ok(SurveyReport {
            group: group.name,
            summaries: summarise(&rows),
            rows,
        })
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The group's figures per questionnaire and round, from its members' rows.
fn summarise(rows: &[SurveyRow]) -> Vec<SurveySummary> {
    let total = |row: &SurveyRow| row.asked.answered.as_ref().map(|a| a.score.total);
    let mut summaries = Vec::new();
    for instrument in Instrument::ALL {
        for round in Round::ALL {
            let these: Vec<&SurveyRow> = rows
                .iter()
                .filter(|r| r.asked.instrument == instrument && r.asked.round == round)
                .collect();
            if these.is_empty() {
                continue;
            }
            let scores: Vec<&Score> = these
                .iter()
                .filter_map(|r| r.asked.answered.as_ref().map(|a| &a.score))
                .collect();
            let changes = (round != Round::Start).then(|| {
                these
                    .iter()
                    .filter_map(|later| {
                        let start = rows.iter().find(|r| {
                            r.person == later.person
                                && r.asked.instrument == instrument
                                && r.asked.round == Round::Start
                        })?;
                        Some(f64::from(total(later)?) - f64::from(total(start)?))
                    })
                    .collect::<Vec<f64>>()
            });
            summaries.push(SurveySummary {
                instrument,
                round,
                asked: these.len(),
                answered: scores.len(),
                mean: mean(scores.iter().map(|s| f64::from(s.total))),
                max: instrument.max(),
                at_risk: scores
                    .iter()
                    .map(|s| s.at_risk)
                    .try_fold(0usize, |n, risk| risk.map(|r| n + usize::from(r)))
                    .filter(|_| !scores.is_empty()),
                change_since_start: changes
                    .and_then(|c| mean(c.iter().copied()).map(|m| (m, c.len()))),
            });
        }
    }
    summaries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{hub, status, tablet, up};
    use nabij_protocol::{ChoiceId, ItemAnswer, Topic};

    fn answers(instrument: Instrument, choice: &str) -> Vec<ItemAnswer> {
        instrument
            .questionnaire(Round::Start)
            .items
            .into_iter()
            .map(|item| ItemAnswer {
                item: item.id,
                choice: ChoiceId::parse(choice).unwrap(),
            })
            .collect()
    }

    fn answer(instrument: Instrument, round: Round, choice: &str) -> Body {
        Body::QuestionnaireAnswer(QuestionnaireAnswer {
            survey_id: instrument.survey_id(round),
            answers: answers(instrument, choice),
        })
    }

    async fn agree(hub: &Hub, person: &PersonId, group: &GroupId) {
        let mut tx = hub.tx();
        let mut p = tx.get(tables::PEOPLE, person.as_str()).unwrap().unwrap();
        p.consent.research = true;
        p.group = Some(group.clone());
        tx.put(tables::PEOPLE, person.as_str(), &p).unwrap();
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn a_group_is_asked_its_answers_are_scored_and_the_report_shows_the_change() {
        let (hub, out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let (jan, jan_tablet) = tablet(&hub, "Jan").await;
        let (mia, mia_tablet) = tablet(&hub, "Mia").await;
        agree(&hub, &jan, &group).await;
        agree(&hub, &mia, &group).await;
        hub.add_participant("Piet", Some(&group), None)
            .await
            .unwrap();
        hub.handle_batch(vec![status(&jan_tablet, true), status(&mia_tablet, true)])
            .await;
        out.take(&Topic::DeviceDown(jan_tablet.clone()));

        let sent = hub
            .send_survey(&group, Instrument::Lsns6, Round::Start)
            .await
            .unwrap();
        assert_eq!(sent.asked, ["Jan", "Mia"]);
        assert_eq!(sent.no_consent, ["Piet"], "Piet did not agree to count");
        let got: Vec<_> = out
            .take(&Topic::DeviceDown(jan_tablet.clone()))
            .into_iter()
            .filter_map(|e| match e.body {
                Body::Questionnaire(q) => Some(q),
                _ => None,
            })
            .collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].survey_id.as_str(), "v-lsns6-start");

        // Jan: 2 of every kind of contact (12, not at risk); Mia: one (6, at risk).
        hub.handle_batch(vec![
            up(&jan_tablet, answer(Instrument::Lsns6, Round::Start, "two")).0,
            up(&mia_tablet, answer(Instrument::Lsns6, Round::Start, "one")).0,
        ])
        .await;
        let again = hub
            .send_survey(&group, Instrument::Lsns6, Round::Start)
            .await
            .unwrap();
        assert_eq!(again.answered_already, ["Jan", "Mia"]);
        assert!(again.asked.is_empty());

        // After the encounters Mia's network grew; Jan has not answered yet.
        hub.send_survey(&group, Instrument::Lsns6, Round::AfterEncounters)
            .await
            .unwrap();
        hub.handle_batch(vec![
            up(
                &mia_tablet,
                answer(Instrument::Lsns6, Round::AfterEncounters, "three-four"),
            )
            .0,
        ])
        .await;

        let report = hub.survey_report(&group).unwrap();
        let jan_start = report
            .rows
            .iter()
            .find(|r| r.name == "Jan" && r.asked.round == Round::Start)
            .unwrap();
        let score = &jan_start.asked.answered.as_ref().unwrap().score;
        assert_eq!((score.total, score.at_risk), (12, Some(false)));
        assert!(report.rows.iter().all(|r| r.name != "Piet"));
        let start = &report.summaries[0];
        assert_eq!(
            (start.round, start.asked, start.answered, start.mean),
            (Round::Start, 2, 2, Some(9.0))
        );
        assert_eq!(start.at_risk, Some(1));
        let after = &report.summaries[1];
        assert_eq!(
            (after.asked, after.answered, after.mean, after.max),
            (2, 1, Some(18.0), 30)
        );
        assert_eq!(
            after.change_since_start,
            Some((12.0, 1)),
            "Mia went from 6 to 18"
        );
    }

    #[tokio::test]
    async fn answers_that_were_not_asked_or_do_not_fit_are_refused_and_resends_are_acked() {
        let (hub, out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let (jan, jan_tablet) = tablet(&hub, "Jan").await;
        agree(&hub, &jan, &group).await;
        let down = Topic::DeviceDown(jan_tablet.clone());
        let rejected = |out: &crate::app::testing::Recorder| {
            out.take(&down)
                .into_iter()
                .filter_map(|e| match e.body {
                    Body::Rejected(r) => Some(r),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };

        // Not asked yet.
        hub.handle_batch(vec![
            up(&jan_tablet, answer(Instrument::Dejong6, Round::Start, "no")).0,
        ])
        .await;
        let r = rejected(&out);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].reason, RejectReason::Malformed);
        assert!(r[0].detail.as_deref().unwrap().contains("was not asked"));

        hub.send_survey(&group, Instrument::Dejong6, Round::Start)
            .await
            .unwrap();
        // A step the scale does not have.
        hub.handle_batch(vec![
            up(
                &jan_tablet,
                answer(Instrument::Dejong6, Round::Start, "two"),
            )
            .0,
        ])
        .await;
        assert_eq!(rejected(&out).len(), 1);
        assert!(
            hub.survey_report(&group).unwrap().rows[0]
                .asked
                .answered
                .is_none()
        );

        // A good answer, then the same message again: kept once, acknowledged twice.
        let (good, id) = up(&jan_tablet, answer(Instrument::Dejong6, Round::Start, "no"));
        hub.handle_batch(vec![good.clone()]).await;
        hub.handle_batch(vec![good]).await;
        let acks: Vec<_> = out
            .take(&down)
            .into_iter()
            .filter_map(|e| match e.body {
                Body::Ack(a) if a.ids.contains(&id) => Some(a),
                _ => None,
            })
            .collect();
        assert_eq!(acks.len(), 2);
        let report = hub.survey_report(&group).unwrap();
        let score = &report.rows[0].asked.answered.as_ref().unwrap().score;
        // "No" to every item: emotional 0, social 3.
        assert_eq!(score.total, 3);
        assert_eq!(report.summaries[0].at_risk, None);
    }

    #[tokio::test]
    async fn a_tablet_that_first_connects_later_gets_the_open_questionnaire() {
        let (hub, out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let jan = hub.add_participant("Jan", None, None).await.unwrap().id;
        agree(&hub, &jan, &group).await;
        let sent = hub
            .send_survey(&group, Instrument::Dejong6, Round::End)
            .await
            .unwrap();
        assert_eq!(sent.no_tablet, ["Jan"]);

        // His tablet is enrolled afterwards and connects for the first time.
        let device = crate::domain::devices::sample("d-jan", jan.as_str());
        let mut tx = hub.tx();
        tables::put_device(&mut tx, &device).unwrap();
        tx.commit().await.unwrap();
        hub.handle_batch(vec![status(&device.id, true)]).await;
        let surveys: Vec<String> = out
            .take(&Topic::DeviceDown(device.id.clone()))
            .into_iter()
            .filter_map(|e| match e.body {
                Body::Questionnaire(q) => Some(q.survey_id.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(surveys, ["v-dejong6-end"]);
    }
}
