//! The follow-up list: every participant the rules say a coach should call, with the
//! reason and since when; marking one handled. The facts come from small indexes kept as
//! tablets report (`note_*`), so the list is quick to make.

use super::people::coach;
use super::schedule::sessions_of;
use super::{AppError, Effects, Hub, tables};
use crate::clock;
pub use crate::domain::followup::DealtWith;
use crate::domain::followup::{self, Concern, Facts, Reason, TabletFacts, Thresholds};
use crate::domain::people::Role;
use crate::store::{Tx, key, prefix};
use nabij_protocol::{Mood, PersonId, UnixMillis};
use serde::{Deserialize, Serialize};

/// How often "last sent" is written at most: the rules count days.
const LAST_SENT_RESOLUTION_MS: u64 = 3_600_000;

/// Check-ins read for the rules, newest first: more than any threshold needs.
const CHECK_INS_READ: usize = 31;

/// One line of the follow-up list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpRow {
    /// The participant.
    pub person: PersonId,
    /// Their name.
    pub name: String,
    /// Their group's name, if any.
    pub group: Option<String>,
    /// Their group, if any (a coach's own group comes first on the dashboard).
    #[serde(default)]
    pub group_id: Option<nabij_protocol::GroupId>,
    /// Their phone number, if a coach noted one.
    #[serde(default)]
    pub phone: Option<String>,
    /// What they wrote with their call for help (asked-for-call lines only), if anything.
    #[serde(default)]
    pub note: Option<String>,
    /// Why, and since when.
    pub concern: Concern,
    /// Who dealt with it and when, if a coach did since it began to hold.
    pub handled: Option<(String, UnixMillis)>,
}

fn check_in_key(person: &PersonId, at: UnixMillis) -> Vec<u8> {
    // Newest first in key order.
    key(&[person.as_str().as_bytes(), &(u64::MAX - at.0).to_be_bytes()])
}

/// Notes that a participant sent something (a message, an answer, a check-in).
pub(crate) fn note_sent(tx: &mut Tx, person: &PersonId, at: UnixMillis) -> Result<(), AppError> {
    let stale = tx
        .get(tables::LAST_SENT, person.as_str())?
        .is_none_or(|last| at.0 >= last.0 + LAST_SENT_RESOLUTION_MS);
    if stale {
        tx.put(tables::LAST_SENT, person.as_str(), &at)?;
    }
    Ok(())
}

/// Keeps a check-in's mood for the rules.
pub(crate) fn note_check_in(
    tx: &mut Tx,
    person: &PersonId,
    at: UnixMillis,
    mood: Mood,
) -> Result<(), AppError> {
    tx.put(tables::CHECK_INS, check_in_key(person, at), &mood)?;
    Ok(())
}

/// Notes a call for help (the oldest open one counts) and the words the senior sent with
/// it, if any (the newest words count).
pub(crate) fn note_call(
    tx: &mut Tx,
    person: &PersonId,
    at: UnixMillis,
    note: Option<&str>,
) -> Result<(), AppError> {
    if !tx.contains(tables::OPEN_CALLS, person.as_str())? {
        tx.put(tables::OPEN_CALLS, person.as_str(), &at)?;
    }
    if let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) {
        tx.put(tables::CALL_NOTES, person.as_str(), &note.to_owned())?;
    }
    Ok(())
}

/// A coach answered the person's calls.
pub(crate) fn calls_answered(tx: &mut Tx, person: &PersonId) {
    tx.remove(tables::OPEN_CALLS, person.as_str());
    tx.remove(tables::CALL_NOTES, person.as_str());
}

fn handled_key(person: &PersonId, reason: Reason) -> Vec<u8> {
    key(&[person.as_str().as_bytes(), reason.name().as_bytes()])
}

impl Hub {
    fn thresholds(&self) -> Thresholds {
        let config = self.config();
        Thresholds {
            silent_days: config.health.silent_after_days,
            quiet_days: config.followup.quiet_days,
            sad_days: config.followup.sad_days,
        }
    }

    fn facts(&self, tx: &Tx, person: &crate::domain::people::Person) -> Result<Facts, AppError> {
        let mut facts = Facts::default();
        if let Some(group) = &person.group {
            for session in sessions_of(tx, group)? {
                let k = key(&[
                    session.id.as_str().as_bytes(),
                    person.id.as_str().as_bytes(),
                ]);
                if let Some(a) = tx.get(tables::ATTENDANCE, k)? {
                    facts.marks.push((session.starts_at, a.mark));
                }
            }
        }
        facts.tablet = tables::tablets_of(tx, &person.id)?
            .into_iter()
            .map(|d| TabletFacts {
                enrolled_at: d.enrolled_at,
                last_seen: d.last_seen,
                online: d.online,
            })
            .max_by_key(|t| (t.online, t.last_seen.unwrap_or(t.enrolled_at)));
        facts.last_sent = tx.get(tables::LAST_SENT, person.id.as_str())?;
        let p = prefix(&[person.id.as_str().as_bytes()]);
        for (k, mood) in tx.scan(tables::CHECK_INS, &p, None, CHECK_INS_READ)? {
            if let Some(inverted) = k.get(p.len()..).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                facts
                    .check_ins
                    .push((UnixMillis(u64::MAX - u64::from_be_bytes(inverted)), mood));
            }
        }
        facts.open_call = tx.get(tables::OPEN_CALLS, person.id.as_str())?;
        Ok(facts)
    }

    /// Who a coach should call, and why, most urgent first: those not dealt with since
    /// the reason began to hold, or (`all`) everyone the rules name.
    pub fn follow_up(&self, all: bool) -> Result<Vec<FollowUpRow>, AppError> {
        let tx = self.tx();
        let now = clock::now();
        let thresholds = self.thresholds();
        let mut rows = Vec::new();
        for person in tx.all(tables::PEOPLE)? {
            if person.role != Role::Participant {
                continue;
            }
            let facts = self.facts(&tx, &person)?;
            for concern in followup::concerns(&facts, now, &thresholds) {
                let handled = tx
                    .get(tables::HANDLED, handled_key(&person.id, concern.reason))?
                    .filter(|h| h.at >= concern.since);
                if handled.is_some() && !all {
                    continue;
                }
                let handled = match handled {
                    Some(h) => {
                        let by = tx
                            .get(tables::PEOPLE, h.by.as_str())?
                            .map_or_else(|| h.by.to_string(), |p| p.name);
                        Some((by, h.at))
                    }
                    None => None,
                };
                let group = match &person.group {
                    Some(g) => tx.get(tables::GROUPS, g.as_str())?.map(|g| g.name),
                    None => None,
                };
                let note = if concern.reason == Reason::AskedForCall {
                    tx.get(tables::CALL_NOTES, person.id.as_str())?
                } else {
                    None
                };
                rows.push(FollowUpRow {
                    person: person.id.clone(),
                    name: person.name.clone(),
                    group,
                    group_id: person.group.clone(),
                    phone: person.phone.clone(),
                    note,
                    concern,
                    handled,
                });
            }
        }
        rows.sort_by(|a, b| {
            (a.concern.reason, a.concern.since, &a.name).cmp(&(
                b.concern.reason,
                b.concern.since,
                &b.name,
            ))
        });
        Ok(rows)
    }

    /// A coach dealt with a reason to call someone: it leaves the list until it holds
    /// anew (a new absence, a new silence, a new sad day). A call for help dealt with is
    /// answered as `calls answer` answers it: the senior's tablet says the coach will call.
    pub async fn mark_handled(
        &self,
        person: &PersonId,
        reason: Reason,
        coach_id: &PersonId,
    ) -> Result<(), AppError> {
        let mut fx = Effects::default();
        {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let participant = super::people::participant(&tx, person)?;
            let coach = coach(&tx, coach_id)?;
            if reason == Reason::AskedForCall {
                // Dealt with: a new call puts them on the list again.
                self.answer_help_in(&mut tx, &mut fx, &participant, &coach)?;
            }
            tx.put(
                tables::HANDLED,
                handled_key(person, reason),
                &DealtWith {
                    by: coach_id.clone(),
                    at: clock::now(),
                },
            )?;
            tx.commit().await?;
        }
        self.finish(fx).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{hub, status, tablet, take_everything, up};
    use nabij_protocol::{Body, CheckIn, HelpRequest, Topic};

    #[tokio::test]
    async fn a_call_dealt_with_tells_the_tablet_the_coach_will_call_and_its_words_go() {
        let (hub, out) = hub();
        let (jan, device) = tablet(&hub, "Jan").await;
        let coach = hub
            .add_coach("Marie", "059 12 34 56", None)
            .await
            .unwrap()
            .id;
        hub.handle_batch(vec![status(&device, true)]).await;
        take_everything(&hub, &out, &device).await;
        let (help, _) = up(
            &device,
            Body::HelpRequest(HelpRequest {
                note: Some("Mijn tablet doet raar".into()),
            }),
        );
        hub.handle_batch(vec![help]).await;
        take_everything(&hub, &out, &device).await;
        let rows = hub.follow_up(false).unwrap();
        assert_eq!(rows[0].note.as_deref(), Some("Mijn tablet doet raar"));

        hub.mark_handled(&jan, Reason::AskedForCall, &coach)
            .await
            .unwrap();
        let reply = out
            .take(&Topic::DeviceDown(device.clone()))
            .into_iter()
            .find_map(|e| match e.body {
                Body::HelpReply(r) => Some(r),
                _ => None,
            })
            .expect("the tablet hears who will call");
        assert_eq!(reply.coach_name, "Marie");
        assert!(hub.help_requests(true).unwrap().is_empty(), "answered");
        assert!(hub.follow_up(false).unwrap().is_empty());
        assert!(
            hub.tx()
                .get(tables::CALL_NOTES, jan.as_str())
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn calls_and_sad_days_put_someone_on_the_list_until_a_coach_deals_with_it() {
        let (hub, _out) = hub();
        let (jan, device) = tablet(&hub, "Jan").await;
        let coach = hub
            .add_coach("Marie", "059 12 34 56", None)
            .await
            .unwrap()
            .id;
        hub.handle_batch(vec![status(&device, true)]).await;
        assert!(
            hub.follow_up(false).unwrap().is_empty(),
            "a new, connected tablet"
        );

        let (help, _) = up(&device, Body::HelpRequest(HelpRequest { note: None }));
        hub.handle_batch(vec![help]).await;
        let rows = hub.follow_up(false).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].concern.reason, &rows[0].name),
            (Reason::AskedForCall, &"Jan".to_owned())
        );
        hub.answer_help(&jan, &coach).await.unwrap();
        assert!(
            hub.follow_up(false).unwrap().is_empty(),
            "answered: off the list"
        );

        // Three days "not good" running, as the hub received them.
        let now = clock::now();
        let mut tx = hub.tx();
        for days in 0..3u64 {
            note_check_in(
                &mut tx,
                &jan,
                UnixMillis(now.0 - days * 86_400_000),
                Mood::NotGood,
            )
            .unwrap();
        }
        tx.commit().await.unwrap();
        let rows = hub.follow_up(false).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.concern.reason).collect::<Vec<_>>(),
            [Reason::SadCheckIns]
        );
        hub.mark_handled(&jan, Reason::SadCheckIns, &coach)
            .await
            .unwrap();
        assert!(hub.follow_up(false).unwrap().is_empty());
        let all = hub.follow_up(true).unwrap();
        assert_eq!(
            all[0].handled.as_ref().map(|(by, _)| by.as_str()),
            Some("Marie")
        );
        // A new sad day (the next one) brings it back.
        let (sad, _) = up(
            &device,
            Body::CheckIn(CheckIn {
                mood: Mood::NotGood,
            }),
        );
        let mut tx = hub.tx();
        note_check_in(&mut tx, &jan, UnixMillis(now.0 + 86_400_000), Mood::NotGood).unwrap();
        tx.commit().await.unwrap();
        hub.handle_batch(vec![sad]).await;
        let rows = hub.follow_up(false).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.concern.reason).collect::<Vec<_>>(),
            [Reason::SadCheckIns]
        );
        assert!(matches!(
            hub.mark_handled(&jan, Reason::SadCheckIns, &jan).await,
            Err(AppError::NotACoach(_))
        ));
    }
}
