//! Attendance: the sheet a coach fills in at a meeting (pre-filled from the seniors'
//! RSVPs, so only the exceptions need a word), and the rates the project reports.

use super::people::{find_group_in, members_of};
use super::schedule::sessions_of;
use super::{AppError, Hub, tables};
use crate::clock;
use crate::domain::attendance::{self, Attendance, Mark, RsvpRecord, Tally};
use crate::domain::schedule::{Session, SessionState};
use crate::store::{Tx, key};
use nabij_protocol::{GroupId, PersonId, RsvpAnswer, SessionId, UnixMillis};
use serde::{Deserialize, Serialize};

/// How long before a meeting starts a coach may take its attendance.
const EARLY_MS: u64 = 3_600_000;

/// One line of an attendance sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetRow {
    /// The participant.
    pub person: PersonId,
    /// Their name.
    pub name: String,
    /// What they answered, if they did.
    pub rsvp: Option<RsvpAnswer>,
    /// The mark taken, once a coach took it.
    pub mark: Option<Mark>,
    /// What the sheet suggests (from the answer).
    pub suggested: Mark,
}

/// A meeting's attendance sheet: every member of its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sheet {
    /// The meeting.
    pub session: Session,
    /// One line per member, by name.
    pub rows: Vec<SheetRow>,
}

/// One participant's attendance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateRow {
    /// The participant.
    pub person: PersonId,
    /// Their name.
    pub name: String,
    /// Their marks.
    pub tally: Tally,
}

/// A group's attendance over its meetings so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    /// The group's name.
    pub group: String,
    /// Meetings with attendance taken.
    pub meetings: usize,
    /// Per participant, by name.
    pub rows: Vec<RateRow>,
    /// All marks together.
    pub total: Tally,
    /// Per meeting with attendance taken, in order: everyone marked then (members who
    /// left the group since too).
    pub per_session: Vec<(Session, Tally)>,
}

fn mark_key(session: &SessionId, person: &PersonId) -> Vec<u8> {
    key(&[session.as_str().as_bytes(), person.as_str().as_bytes()])
}

/// Keeps a senior's answer to "are you coming?", unless a later one is kept already.
pub(crate) fn keep_rsvp(
    tx: &mut Tx,
    session: &SessionId,
    person: &PersonId,
    answer: RsvpAnswer,
    sent_at: UnixMillis,
) -> Result<(), AppError> {
    let k = mark_key(session, person);
    let newer = tx
        .get(tables::RSVPS, &k)?
        .is_none_or(|kept| kept.sent_at <= sent_at);
    if newer {
        tx.put(tables::RSVPS, k, &RsvpRecord { answer, sent_at })?;
    }
    Ok(())
}

fn session(tx: &Tx, id: &SessionId) -> Result<Session, AppError> {
    tx.get(tables::SESSIONS, id.as_str())?
        .ok_or_else(|| AppError::NoSession(id.to_string()))
}

fn sheet(tx: &Tx, session: Session) -> Result<Sheet, AppError> {
    let mut rows = Vec::new();
    for member in members_of(tx, &session.group)? {
        let k = mark_key(&session.id, &member.id);
        let rsvp = tx.get(tables::RSVPS, &k)?.map(|r| r.answer);
        let mark = tx.get(tables::ATTENDANCE, &k)?.map(|a| a.mark);
        rows.push(SheetRow {
            person: member.id,
            name: member.name,
            rsvp,
            mark,
            suggested: attendance::suggested(rsvp),
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Sheet { session, rows })
}

impl Hub {
    /// A meeting's attendance sheet: who answered what, the marks taken, the suggestions.
    pub fn attendance_sheet(&self, id: &SessionId) -> Result<Sheet, AppError> {
        let tx = self.tx();
        let session = session(&tx, id)?;
        sheet(&tx, session)
    }

    /// Takes a meeting's attendance: every member gets the mark in `marks` or else the
    /// sheet's suggestion ("I can't come" is excused, the rest present). Taken again, it
    /// replaces the earlier marks.
    pub async fn take_attendance(
        &self,
        id: &SessionId,
        marks: Vec<(PersonId, Mark)>,
    ) -> Result<Sheet, AppError> {
        let _write = self.inner.write.lock().await;
        let mut tx = self.tx();
        let session = session(&tx, id)?;
        let now = clock::now();
        if session.state == SessionState::Cancelled {
            return Err(AppError::Cancelled(session.id.to_string()));
        }
        if session.starts_at.0 > now.0 + EARLY_MS {
            return Err(AppError::NotYet(session.id.to_string()));
        }
        let before = sheet(&tx, session.clone())?;
        for (person, _) in &marks {
            if !before.rows.iter().any(|r| &r.person == person) {
                return Err(AppError::NotAMember(person.to_string()));
            }
        }
        for row in &before.rows {
            let mark = marks
                .iter()
                .find(|(p, _)| p == &row.person)
                .map_or(row.suggested, |(_, m)| *m);
            tx.put(
                tables::ATTENDANCE,
                mark_key(&session.id, &row.person),
                &Attendance {
                    session: session.id.clone(),
                    person: row.person.clone(),
                    mark,
                    taken_at: now,
                },
            )?;
        }
        let after = sheet(&tx, session)?;
        tx.commit().await?;
        Ok(after)
    }

    /// A group's attendance so far: per member and all together.
    pub fn attendance_rates(&self, group: &GroupId) -> Result<Rates, AppError> {
        self.rates(group, false)
    }

    /// A group's attendance as the evaluation counts it: only the marks of members who
    /// agreed to count (and of those who left the group since, if they had agreed).
    pub fn attendance_counted(&self, group: &GroupId) -> Result<Rates, AppError> {
        self.rates(group, true)
    }

    fn rates(&self, group: &GroupId, agreed_only: bool) -> Result<Rates, AppError> {
        let tx = self.tx();
        let group = find_group_in(&tx, group.as_str())?;
        let sessions = sessions_of(&tx, &group.id)?;
        let mut rows = Vec::new();
        let mut total = Tally::default();
        let mut held = std::collections::BTreeSet::new();
        for member in members_of(&tx, &group.id)? {
            if agreed_only && !member.consent.research {
                continue;
            }
            let mut tally = Tally::default();
            for s in &sessions {
                if let Some(a) = tx.get(tables::ATTENDANCE, mark_key(&s.id, &member.id))? {
                    tally.add(a.mark);
                    total.add(a.mark);
                    held.insert(s.id.clone());
                }
            }
            rows.push(RateRow {
                person: member.id,
                name: member.name,
                tally,
            });
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        let mut per_session = Vec::new();
        for s in sessions {
            let marks: Vec<Attendance> = tx.with_prefix(
                tables::ATTENDANCE,
                &crate::store::prefix(&[s.id.as_str().as_bytes()]),
            )?;
            if marks.is_empty() {
                continue;
            }
            let mut tally = Tally::default();
            for a in marks {
                let agreed = || -> Result<bool, AppError> {
                    Ok(tx
                        .get(tables::PEOPLE, a.person.as_str())?
                        .is_some_and(|p| p.consent.research))
                };
                if !agreed_only || agreed()? {
                    tally.add(a.mark);
                }
            }
            per_session.push((s, tally));
        }
        Ok(Rates {
            group: group.name,
            meetings: held.len(),
            rows,
            total,
            per_session,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{hub, status, tablet, up};
    use crate::domain::calendar::Date;
    use crate::domain::schedule::{Plan, TimeOfDay};
    use nabij_protocol::{Body, Rsvp};

    #[tokio::test]
    async fn a_sheet_comes_pre_filled_from_the_answers_and_a_coach_marks_only_the_exceptions() {
        let (hub, _out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let (jan, jan_tablet) = tablet(&hub, "Jan").await;
        let anna = hub
            .add_participant("Anna", Some(&group), None)
            .await
            .unwrap()
            .id;
        let mia = hub
            .add_participant("Mia", Some(&group), None)
            .await
            .unwrap()
            .id;
        let mut tx = hub.tx();
        let mut person = tx.get(tables::PEOPLE, jan.as_str()).unwrap().unwrap();
        person.group = Some(group.clone());
        tx.put(tables::PEOPLE, jan.as_str(), &person).unwrap();
        tx.commit().await.unwrap();
        // A programme that started last week: its first meeting can be marked now.
        let today = nabij_protocol::time::brussels(clock::now());
        let first = Date::new(today.year, today.month, today.day)
            .unwrap()
            .plus_days(-7);
        let plan = Plan {
            first,
            time: TimeOfDay { hour: 0, minute: 0 },
            minutes: 60,
            place: "De Schelp".into(),
            address: None,
        };
        let sessions = hub.plan_schedule(&group, plan).await.unwrap();
        let (past, later) = (sessions[0].id.clone(), sessions[5].id.clone());

        // Jan's tablet says he cannot come (then changes his mind, then not again).
        hub.handle_batch(vec![status(&jan_tablet, true)]).await;
        let rsvp = |answer| {
            Body::Rsvp(Rsvp {
                session_id: past.clone(),
                answer,
            })
        };
        let (no, _) = up(&jan_tablet, rsvp(RsvpAnswer::NotComing));
        hub.handle_batch(vec![no]).await;
        let sheet = hub.attendance_sheet(&past).unwrap();
        let jan_row = sheet.rows.iter().find(|r| r.person == jan).unwrap();
        assert_eq!(
            (jan_row.rsvp, jan_row.suggested, jan_row.mark),
            (Some(RsvpAnswer::NotComing), Mark::Excused, None)
        );

        let taken = hub
            .take_attendance(&past, vec![(mia.clone(), Mark::Absent)])
            .await
            .unwrap();
        let marks: Vec<(String, Option<Mark>)> = taken
            .rows
            .iter()
            .map(|r| (r.name.clone(), r.mark))
            .collect();
        assert_eq!(
            marks,
            [
                ("Anna".to_owned(), Some(Mark::Present)),
                ("Jan".to_owned(), Some(Mark::Excused)),
                ("Mia".to_owned(), Some(Mark::Absent))
            ]
        );
        let rates = hub.attendance_rates(&group).unwrap();
        assert_eq!(
            (rates.meetings, rates.total.marked(), rates.total.rate_pct()),
            (1, 3, Some(33))
        );
        assert_eq!(rates.per_session.len(), 1, "only the meeting taken");
        assert_eq!(rates.per_session[0].0.id, past);
        assert_eq!(
            (
                rates.per_session[0].1.present,
                rates.per_session[0].1.excused,
                rates.per_session[0].1.absent
            ),
            (1, 1, 1)
        );
        assert!(matches!(
            hub.take_attendance(&later, vec![]).await,
            Err(AppError::NotYet(_))
        ));
        let stranger = PersonId::parse("p-nobody").unwrap();
        assert!(matches!(
            hub.take_attendance(&past, vec![(stranger, Mark::Present)])
                .await,
            Err(AppError::NotAMember(_))
        ));
        let _ = anna;

        // Counted for the evaluation: only Anna, who agreed.
        hub.update_participant(
            &anna,
            crate::app::DetailChanges {
                consent_research: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let counted = hub.attendance_counted(&group).unwrap();
        let names: Vec<&str> = counted.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Anna"]);
        assert_eq!((counted.total.present, counted.total.marked()), (1, 1));
        assert_eq!(counted.per_session[0].1.marked(), 1);
    }
}
