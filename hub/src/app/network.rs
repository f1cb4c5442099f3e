//! The network figures of a group: how many different people each member wrote to per
//! month, and the ties between members, from the `WROTE_TO` index and the approved
//! contacts. Counts only: no message is read. Only members who agreed to count in the
//! evaluation are counted, and only months from the group's first meeting on.

use super::people::{find_group_in, members_of};
use super::schedule::sessions_of;
use super::{AppError, Hub, tables};
use crate::clock;
use crate::domain::network::{
    Growth, diary_answered, diary_named, growth, last_months, month_of, months_from,
};
use crate::domain::schedule::SessionState;
use nabij_protocol::{GroupId, PersonId};
use serde::{Deserialize, Serialize};

/// A group's network over the last months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkReport {
    /// The group.
    pub group_id: GroupId,
    /// The group's name.
    pub group: String,
    /// Its members (participants) who agreed to count in the evaluation, by name: the
    /// only ones counted.
    pub members: Vec<(PersonId, String)>,
    /// How many of its members did not agree, and are not counted.
    pub not_counted: usize,
    /// The month of the group's first meeting (not cancelled), when it has one: no month
    /// before it is counted.
    pub started: Option<String>,
    /// Per month from the first meeting on: different people written to, the mean, new
    /// ties.
    pub growth: Growth,
    /// The ties between two members now (indexes into `members`), and whether either
    /// wrote to the other in these months.
    pub ties: Vec<(usize, usize, bool)>,
}

impl Hub {
    /// A group's network over the last `months` months (this one included) that are not
    /// before its first meeting, counting only members who agreed to count.
    pub fn network_growth(
        &self,
        group: &GroupId,
        months: usize,
    ) -> Result<NetworkReport, AppError> {
        let tx = self.tx();
        let group = find_group_in(&tx, group.as_str())?;
        let (counting, not_counting): (Vec<_>, Vec<_>) = members_of(&tx, &group.id)?
            .into_iter()
            .filter(|p| p.role == crate::domain::people::Role::Participant)
            .partition(|p| p.consent.research);
        let mut members: Vec<(PersonId, String)> =
            counting.into_iter().map(|p| (p.id, p.name)).collect();
        members.sort_by(|a, b| a.1.cmp(&b.1));
        let started = sessions_of(&tx, &group.id)?
            .into_iter()
            .filter(|s| s.state == SessionState::Planned)
            .map(|s| s.starts_at)
            .min()
            .map(month_of);
        let months = match &started {
            Some(start) => months_from(last_months(clock::now(), months), start),
            None => Vec::new(),
        };
        let mut contacts = Vec::new();
        let mut wrote: std::collections::BTreeSet<(PersonId, PersonId)> = Default::default();
        for (member, _) in &members {
            let mut row = Vec::new();
            for month in &months {
                let to = tables::wrote_to_in(&tx, member, month)?;
                row.push(to.len() as u32);
                for other in to {
                    wrote.insert((member.clone(), other));
                }
            }
            contacts.push(row);
        }
        let mut ties = Vec::new();
        let mut tie_months = Vec::new();
        for (i, (a, _)) in members.iter().enumerate() {
            for other in tables::contact_ids(&tx, a)? {
                let Some(j) = members.iter().position(|(p, _)| p == &other) else {
                    continue;
                };
                if j <= i {
                    continue;
                }
                let Some(approval) = tx.get(tables::CONTACTS, tables::contact_key(a, &other))?
                else {
                    continue;
                };
                tie_months.push(month_of(approval.approved_at));
                let talked = wrote.contains(&(a.clone(), other.clone()))
                    || wrote.contains(&(other, a.clone()));
                ties.push((i, j, talked));
            }
        }
        let mut answers = Vec::new();
        for (member, _) in &members {
            let named = super::diary::people_named(&tx, &group.id, member, |prompt| {
                self.inner.library.get(prompt).is_some_and(|p| p.people)
            })?;
            answers.push(named.into_iter().map(|(at, n)| (month_of(at), n)).collect());
        }
        let mut growth = growth(months, contacts, &tie_months);
        growth.diary_named = diary_named(&growth.months, &answers);
        growth.diary_answered = diary_answered(&growth.months, &answers);
        Ok(NetworkReport {
            group_id: group.id,
            group: group.name,
            members,
            not_counted: not_counting.len(),
            started,
            growth,
            ties,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::app::Hub;
    use crate::app::testing::{hub, status, tablet, text, up};
    use crate::domain::network::month_of;
    use nabij_protocol::{GroupId, PersonId, UnixMillis};

    async fn agree(hub: &Hub, who: &PersonId) {
        hub.update_participant(
            who,
            crate::app::DetailChanges {
                consent_research: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }

    /// Plans the group's meetings from `days_ago` days ago; the first one's start.
    async fn programme_from(hub: &Hub, group: &GroupId, days_ago: i64) -> UnixMillis {
        let today = nabij_protocol::time::brussels(crate::clock::now());
        let first = crate::domain::calendar::Date::new(today.year, today.month, today.day)
            .unwrap()
            .plus_days(-days_ago);
        let plan = crate::domain::schedule::Plan {
            first,
            time: crate::domain::schedule::TimeOfDay { hour: 9, minute: 0 },
            minutes: 180,
            place: "Buurthuis".into(),
            address: None,
        };
        let sessions = hub.plan_schedule(group, plan).await.unwrap();
        sessions.iter().map(|s| s.starts_at).min().unwrap()
    }

    #[tokio::test]
    async fn a_group_counts_people_written_to_and_ties_of_members_who_agreed_only() {
        let (hub, _out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let (jan, jan_tablet) = tablet(&hub, "Jan").await;
        let (anna, _) = tablet(&hub, "Anna").await;
        let (mia, _) = tablet(&hub, "Mia").await;
        let (piet, piet_tablet) = tablet(&hub, "Piet").await;
        for who in [&jan, &anna, &mia, &piet] {
            hub.move_participant(who, Some(&group)).await.unwrap();
        }
        // Piet did not agree to count in the evaluation.
        for who in [&jan, &anna, &mia] {
            agree(&hub, who).await;
        }
        hub.approve_contacts(&jan, &anna).await.unwrap();
        hub.approve_contacts(&jan, &mia).await.unwrap();
        hub.approve_contacts(&jan, &piet).await.unwrap();

        let before = hub.network_growth(&group, 3).unwrap();
        assert_eq!(before.started, None, "no meetings yet");
        assert!(
            before.growth.months.is_empty(),
            "no months before the programme"
        );

        programme_from(&hub, &group, 70).await;
        hub.handle_batch(vec![status(&jan_tablet, true), status(&piet_tablet, true)])
            .await;
        hub.handle_batch(vec![
            up(&jan_tablet, text(&anna, "Dag Anna")).0,
            up(&jan_tablet, text(&anna, "Tot morgen")).0,
            up(&jan_tablet, text(&mia, "Dag Mia")).0,
            up(&piet_tablet, text(&jan, "Dag Jan")).0,
        ])
        .await;
        let report = hub.network_growth(&group, 3).unwrap();
        let names: Vec<&str> = report.members.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["Anna", "Jan", "Mia"], "Piet is not counted");
        assert_eq!(report.not_counted, 1);
        assert_eq!(report.growth.months.len(), 3);
        // This month: Jan wrote to two different people (three messages), the others none.
        assert_eq!(
            report
                .growth
                .contacts
                .iter()
                .map(|row| row[2])
                .collect::<Vec<_>>(),
            [0, 2, 0]
        );
        assert!((report.growth.mean[2] - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            report.growth.new_ties,
            [0, 0, 2],
            "Jan and Piet's tie is not"
        );
        assert_eq!(report.growth.ties_before, 0);
        assert_eq!(report.ties, [(0, 1, true), (1, 2, true)]);
        assert_eq!(report.growth.diary_named, [0.0, 0.0, 0.0]);
        assert_eq!(report.growth.diary_answered, [0, 0, 0]);

        // The diary: Jan (who agreed to count) names Anna and Mia; Piet, who did not
        // agree, names Jan: only Jan's answer counts.
        let today = nabij_protocol::UnixMillis::now().0 / 86_400_000;
        let yesterday = crate::domain::calendar::Date::new(1970, 1, 1)
            .unwrap()
            .plus_days(today as i64 - 1);
        let prompt = nabij_protocol::PromptId::parse("q-talked-to").unwrap();
        hub.plan_diary(&group, &prompt, yesterday).await.unwrap();
        let answer = |people: Vec<nabij_protocol::PersonId>| {
            nabij_protocol::Body::DiaryAnswer(nabij_protocol::DiaryAnswer {
                prompt_id: prompt.clone(),
                choices: Vec::new(),
                people,
                text: None,
                voice: None,
                share: nabij_protocol::Share::OnlyMe,
            })
        };
        hub.handle_batch(vec![
            up(&jan_tablet, answer(vec![anna.clone(), mia.clone()])).0,
            up(&piet_tablet, answer(vec![jan.clone()])).0,
        ])
        .await;
        let report = hub.network_growth(&group, 3).unwrap();
        assert_eq!(report.growth.diary_named, [0.0, 0.0, 2.0]);
        assert_eq!(report.growth.diary_answered, [0, 0, 1]);
    }

    #[tokio::test]
    async fn no_month_before_the_groups_first_meeting_is_counted() {
        let (hub, _out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let first = programme_from(&hub, &group, 10).await;
        let report = hub.network_growth(&group, 6).unwrap();
        assert_eq!(report.started, Some(month_of(first)));
        assert_eq!(report.growth.months.first(), Some(&month_of(first)));
        assert!(
            report.growth.months.len() <= 2,
            "{:?}",
            report.growth.months
        );
    }
}
