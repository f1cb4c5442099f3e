//! The network figures of a group: how many different people each member wrote to per
//! month, and the ties between members, from the `WROTE_TO` index and the approved
//! contacts. Counts only: no message is read.

use super::people::{find_group_in, members_of};
use super::{AppError, Hub, tables};
use crate::clock;
use crate::domain::network::{Growth, diary_named, growth, last_months, month_of};
use nabij_protocol::{GroupId, PersonId};
use serde::{Deserialize, Serialize};

/// A group's network over the last months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkReport {
    /// The group.
    pub group_id: GroupId,
    /// The group's name.
    pub group: String,
    /// Its members (participants), by name.
    pub members: Vec<(PersonId, String)>,
    /// Per month: different people written to, the mean, new ties.
    pub growth: Growth,
    /// The ties between two members now (indexes into `members`), and whether either
    /// wrote to the other in these months.
    pub ties: Vec<(usize, usize, bool)>,
}

impl Hub {
    /// A group's network over the last `months` months (this one included).
    pub fn network_growth(
        &self,
        group: &GroupId,
        months: usize,
    ) -> Result<NetworkReport, AppError> {
        let tx = self.tx();
        let group = find_group_in(&tx, group.as_str())?;
        let mut members: Vec<(PersonId, String)> = members_of(&tx, &group.id)?
            .into_iter()
            .filter(|p| p.role == crate::domain::people::Role::Participant)
            .map(|p| (p.id, p.name))
            .collect();
        members.sort_by(|a, b| a.1.cmp(&b.1));
        let months = last_months(clock::now(), months);
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
        // The diary's figure counts only members who agreed to count in the evaluation.
        let mut answers = Vec::new();
        for (member, _) in &members {
            let agreed = tx
                .get(tables::PEOPLE, member.as_str())?
                .is_some_and(|p| p.consent.research);
            if agreed {
                let named = super::diary::people_named(&tx, &group.id, member)?;
                answers.push(named.into_iter().map(|(at, n)| (month_of(at), n)).collect());
            }
        }
        let mut growth = growth(months, contacts, &tie_months);
        growth.diary_named = diary_named(&growth.months, &answers);
        Ok(NetworkReport {
            group_id: group.id,
            group: group.name,
            members,
            growth,
            ties,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::app::testing::{hub, status, tablet, text, up};

    #[tokio::test]
    async fn a_group_counts_different_people_written_to_and_ties_between_members() {
        let (hub, _out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        let (jan, jan_tablet) = tablet(&hub, "Jan").await;
        let (anna, _) = tablet(&hub, "Anna").await;
        let (mia, _) = tablet(&hub, "Mia").await;
        for who in [&jan, &anna, &mia] {
            hub.move_participant(who, Some(&group)).await.unwrap();
        }
        hub.approve_contacts(&jan, &anna).await.unwrap();
        hub.approve_contacts(&jan, &mia).await.unwrap();
        hub.handle_batch(vec![status(&jan_tablet, true)]).await;
        hub.handle_batch(vec![
            up(&jan_tablet, text(&anna, "Dag Anna")).0,
            up(&jan_tablet, text(&anna, "Tot morgen")).0,
            up(&jan_tablet, text(&mia, "Dag Mia")).0,
        ])
        .await;
        let report = hub.network_growth(&group, 3).unwrap();
        let names: Vec<&str> = report.members.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["Anna", "Jan", "Mia"]);
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
        assert_eq!(report.growth.new_ties, [0, 0, 2]);
        assert_eq!(report.ties, [(0, 1, true), (1, 2, true)]);
        assert_eq!(report.growth.diary_named, [0.0, 0.0, 0.0]);

        // The diary: Jan (who agreed to count) names Anna and Mia; Anna, who did not
        // agree, names Jan: only Jan's answer counts.
        hub.update_participant(
            &jan,
            crate::app::DetailChanges {
                consent_research: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
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
        let anna_tablet = nabij_protocol::DeviceId::parse("d-anna").unwrap();
        hub.handle_batch(vec![
            status(&anna_tablet, true),
            up(&jan_tablet, answer(vec![anna.clone(), mia.clone()])).0,
            up(&anna_tablet, answer(vec![jan.clone()])).0,
        ])
        .await;
        let report = hub.network_growth(&group, 3).unwrap();
        assert_eq!(report.growth.diary_named, [0.0, 0.0, 2.0]);
    }
}
