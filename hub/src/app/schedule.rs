//! A group's programme: planning its 10 + 10 meetings, moving, cancelling and adding one,
//! and telling every member's tablet at once (through their durable queues, so a tablet
//! that is off hears it when it is back).

use super::people::{find_group_in, members_of};
use super::{AppError, Effects, Hub, hub_envelope, tables};
use crate::clock;
use crate::domain::calendar::Date;
use crate::domain::schedule::{self, Plan, Session, SessionState, TimeOfDay};
use crate::store::{Tx, key, prefix};
use nabij_protocol::{
    Body, GroupId, MeetingReminder, PersonId, SessionId, SessionSeries, UnixMillis,
};

/// Where a moved meeting goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// Its new start (it keeps its length).
    pub starts_at: UnixMillis,
    /// Its new place and address, if it changes place.
    pub place: Option<(String, Option<String>)>,
}

/// A meeting a coach adds (say, to replace a cancelled one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    /// Weekly encounter or monthly support meeting: it takes the first number of the
    /// series that has no planned meeting.
    pub series: SessionSeries,
    /// Start.
    pub starts_at: UnixMillis,
    /// Length in minutes.
    pub minutes: u32,
    /// The place's name and address.
    pub place: (String, Option<String>),
}

/// What the group's tablets are told of a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tell {
    /// The meeting (planned, added, or for a newcomer).
    Reminder,
    /// It moved or was cancelled.
    Change,
}

fn pickup_key(session: &SessionId, person: &PersonId) -> Vec<u8> {
    key(&[session.as_str().as_bytes(), person.as_str().as_bytes()])
}

/// The message one person's tablets get about a meeting, with their pick-up time.
fn message_for(
    tx: &Tx,
    session: &Session,
    person: &PersonId,
    tell: Tell,
) -> Result<Body, AppError> {
    let pickup = tx.get(tables::PICKUPS, pickup_key(&session.id, person))?;
    Ok(match tell {
        Tell::Reminder => Body::MeetingReminder(MeetingReminder {
            pickup_at: pickup,
            ..session.reminder()
        }),
        Tell::Change => {
            let mut change = session.change();
            if session.state == SessionState::Planned {
                change.pickup_at = pickup;
            }
            Body::ScheduleChange(change)
        }
    })
}

fn session(tx: &Tx, id: &SessionId) -> Result<Session, AppError> {
    tx.get(tables::SESSIONS, id.as_str())?
        .ok_or_else(|| AppError::NoSession(id.to_string()))
}

/// A group's sessions, by start.
pub(crate) fn sessions_of(tx: &Tx, group: &GroupId) -> Result<Vec<Session>, AppError> {
    let p = prefix(&[group.as_str().as_bytes()]);
    let mut out = Vec::new();
    for (k, ()) in tx.scan(tables::SESSIONS_OF_GROUP, &p, None, usize::MAX)? {
        let id = String::from_utf8_lossy(&k[p.len()..]).into_owned();
        if let Some(s) = tx.get(tables::SESSIONS, &id)? {
            out.push(s);
        }
    }
    out.sort_by_key(|s| (s.starts_at, s.id.clone()));
    Ok(out)
}

fn put_session(tx: &mut Tx, session: &Session) -> Result<(), AppError> {
    tx.put(tables::SESSIONS, session.id.as_str(), session)?;
    tx.put(
        tables::SESSIONS_OF_GROUP,
        key(&[
            session.group.as_str().as_bytes(),
            session.id.as_str().as_bytes(),
        ]),
        &(),
    )?;
    Ok(())
}

impl Hub {
    /// Queues a body for every tablet of one person.
    fn tell_person(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person: &PersonId,
        body: &Body,
    ) -> Result<(), AppError> {
        for tablet in tables::tablets_of(tx, person)? {
            let envelope = hub_envelope(body.clone())?;
            self.queue(tx, fx, &tablet.id, &envelope)?;
        }
        Ok(())
    }

    /// Tells every member of a meeting's group about it (`Tell::Reminder`) or its change
    /// (`Tell::Change`), each with their own pick-up time when transport is arranged.
    fn tell_group(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        session: &Session,
        tell: Tell,
    ) -> Result<(), AppError> {
        for member in members_of(tx, &session.group)? {
            let body = message_for(tx, session, &member.id, tell)?;
            self.tell_person(tx, fx, &member.id, &body)?;
        }
        Ok(())
    }

    /// Queues a group's meetings still to come for one person's tablets (they joined the
    /// group, or their tablet connected for the first time).
    pub(crate) fn push_agenda(
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
        let tablets = tables::tablets_of(tx, person)?;
        for session in sessions_of(tx, &group)?
            .into_iter()
            .filter(|s| s.is_ahead(now))
        {
            let body = message_for(tx, &session, person, Tell::Reminder)?;
            for tablet in &tablets {
                let envelope = hub_envelope(body.clone())?;
                self.queue(tx, fx, &tablet.id, &envelope)?;
            }
        }
        Ok(())
    }

    /// Plans a group's programme: ten weekly encounters from `plan.first`, then ten
    /// monthly support meetings, around public holidays; every member's tablet gets them.
    pub async fn plan_schedule(
        &self,
        group: &GroupId,
        plan: Plan,
    ) -> Result<Vec<Session>, AppError> {
        let (place, address) = schedule::check_place(&plan.place, plan.address.as_deref())?;
        let plan = Plan {
            minutes: schedule::check_minutes(plan.minutes)?,
            place,
            address,
            ..plan
        };
        let mut fx = Effects::default();
        let sessions = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let group = find_group_in(&tx, group.as_str())?;
            if !sessions_of(&tx, &group.id)?.is_empty() {
                return Err(AppError::AlreadyPlanned(group.name));
            }
            let sessions = schedule::plan_sessions(&group.id, &plan);
            for session in &sessions {
                put_session(&mut tx, session)?;
                self.tell_group(&mut tx, &mut fx, session, Tell::Reminder)?;
            }
            tx.commit().await?;
            tracing::info!(group = %group.id, first = %plan.first, "programme planned");
            sessions
        };
        self.finish(fx).await;
        Ok(sessions)
    }

    /// A group's meetings, by start (cancelled ones too).
    pub fn schedule(&self, group: &GroupId) -> Result<Vec<Session>, AppError> {
        let tx = self.tx();
        let group = find_group_in(&tx, group.as_str())?;
        sessions_of(&tx, &group.id)
    }

    /// Moves a meeting; the group's tablets hear it at once.
    pub async fn move_session(&self, id: &SessionId, to: Move) -> Result<Session, AppError> {
        let place = to
            .place
            .map(|(p, a)| schedule::check_place(&p, a.as_deref()))
            .transpose()?;
        self.change_session(id, |session| {
            if session.state == SessionState::Cancelled {
                return Err(AppError::Cancelled(session.id.to_string()));
            }
            session.move_to(to.starts_at, place);
            Ok(())
        })
        .await
    }

    /// Cancels a meeting; the group's tablets take it out of their agenda at once.
    pub async fn cancel_session(&self, id: &SessionId) -> Result<Session, AppError> {
        self.change_session(id, |session| {
            if session.state == SessionState::Cancelled {
                return Err(AppError::Cancelled(session.id.to_string()));
            }
            session.cancel();
            Ok(())
        })
        .await
    }

    async fn change_session(
        &self,
        id: &SessionId,
        change: impl FnOnce(&mut Session) -> Result<(), AppError>,
    ) -> Result<Session, AppError> {
        let mut fx = Effects::default();
        let session = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let mut session = session(&tx, id)?;
            let was = session.starts_at;
            change(&mut session)?;
            put_session(&mut tx, &session)?;
            // Transport comes as much earlier for the new time as for the old.
            if session.state == SessionState::Planned && session.starts_at != was {
                let p = prefix(&[session.id.as_str().as_bytes()]);
                for (k, pickup) in tx.scan(tables::PICKUPS, &p, None, usize::MAX)? {
                    let before = was.0.saturating_sub(pickup.0);
                    tx.put(
                        tables::PICKUPS,
                        k,
                        &UnixMillis(session.starts_at.0.saturating_sub(before)),
                    )?;
                }
            }
            self.tell_group(&mut tx, &mut fx, &session, Tell::Change)?;
            tx.commit().await?;
            session
        };
        self.finish(fx).await;
        Ok(session)
    }

    /// Arranges (or, with `None`, cancels) transport for one participant to one meeting,
    /// picking them up at `at` (Belgian time) on the meeting's day: their tablet shows the
    /// pick-up time at once.
    pub async fn set_pickup(
        &self,
        id: &SessionId,
        person: &PersonId,
        at: Option<TimeOfDay>,
    ) -> Result<Session, AppError> {
        let mut fx = Effects::default();
        let session = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let session = session(&tx, id)?;
            if session.state == SessionState::Cancelled {
                return Err(AppError::Cancelled(session.id.to_string()));
            }
            let day = nabij_protocol::time::brussels(session.starts_at);
            let at = match (at, Date::new(day.year, day.month, day.day)) {
                (Some(time), Some(date)) => Some(schedule::at(date, time)),
                _ => None,
            };
            if !members_of(&tx, &session.group)?
                .iter()
                .any(|m| &m.id == person)
            {
                return Err(AppError::NotAMember(person.to_string()));
            }
            if let Some(at) = at
                && (at >= session.starts_at || session.starts_at.0 - at.0 > 3 * 3_600_000)
            {
                return Err(AppError::BadPickup(session.id.to_string()));
            }
            match at {
                Some(at) => tx.put(tables::PICKUPS, pickup_key(&session.id, person), &at)?,
                None => tx.remove(tables::PICKUPS, pickup_key(&session.id, person)),
            }
            let body = message_for(&tx, &session, person, Tell::Reminder)?;
            self.tell_person(&mut tx, &mut fx, person, &body)?;
            tx.commit().await?;
            session
        };
        self.finish(fx).await;
        Ok(session)
    }

    /// Adds a meeting to a group's programme, under the first number of its series
    /// without a planned meeting; the group's tablets get it at once.
    pub async fn add_session(&self, group: &GroupId, extra: Extra) -> Result<Session, AppError> {
        let minutes = schedule::check_minutes(extra.minutes)?;
        let (place, address) = schedule::check_place(&extra.place.0, extra.place.1.as_deref())?;
        let mut fx = Effects::default();
        let session = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let group = find_group_in(&tx, group.as_str())?;
            let existing = sessions_of(&tx, &group.id)?;
            let taken = |n: u8| {
                existing.iter().any(|s| {
                    s.series == extra.series && s.number == n && s.state == SessionState::Planned
                })
            };
            let Some(number) = (1..=schedule::PER_SERIES).find(|n| !taken(*n)) else {
                return Err(AppError::SeriesFull(extra.series));
            };
            let mut copy = 1;
            let id = loop {
                let id = schedule::session_id(&group.id, extra.series, number, copy);
                if !tx.contains(tables::SESSIONS, id.as_str())? {
                    break id;
                }
                copy += 1;
            };
            let session = Session {
                id,
                group: group.id.clone(),
                series: extra.series,
                number,
                starts_at: extra.starts_at,
                ends_at: UnixMillis(extra.starts_at.0 + u64::from(minutes) * 60_000),
                place,
                address,
                state: SessionState::Planned,
                revision: 0,
            };
            put_session(&mut tx, &session)?;
            self.tell_group(&mut tx, &mut fx, &session, Tell::Reminder)?;
            tx.commit().await?;
            session
        };
        self.finish(fx).await;
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{hub, status, tablet, up};
    use crate::domain::calendar::Date;
    use crate::domain::schedule::TimeOfDay;
    use nabij_protocol::{ScheduleChangeKind, Topic};

    fn plan(first: &str) -> Plan {
        Plan {
            first: Date::parse(first).unwrap(),
            time: TimeOfDay {
                hour: 14,
                minute: 0,
            },
            minutes: 180,
            place: "Buurthuis De Schelp".into(),
            address: None,
        }
    }

    #[tokio::test]
    async fn a_planned_programme_moves_cancels_and_adds_and_every_member_hears_it() {
        let (hub, out) = hub();
        let group = hub.add_group("Oostende Oost", None).await.unwrap().id;
        let (jan, device) = tablet(&hub, "Jan").await;
        let mut tx = hub.tx();
        let mut person = tx.get(tables::PEOPLE, jan.as_str()).unwrap().unwrap();
        person.group = Some(group.clone());
        tx.put(tables::PEOPLE, jan.as_str(), &person).unwrap();
        tx.commit().await.unwrap();
        hub.handle_batch(vec![status(&device, true)]).await;
        let down = Topic::DeviceDown(device.clone());
        out.take(&down);

        let sessions = hub.plan_schedule(&group, plan("2099-01-13")).await.unwrap();
        assert_eq!(sessions.len(), 20);
        assert_eq!(
            hub.queued_for(&device).unwrap(),
            20,
            "twenty reminders for Jan's tablet"
        );
        let sent = out.take(&down);
        assert!(
            sent.iter()
                .all(|e| matches!(e.body, Body::MeetingReminder(_)))
        );
        // Jan's tablet stores them (its window of twenty is full until then).
        let ids = sent.into_iter().map(|e| e.id).collect();
        hub.handle_batch(vec![up(&device, Body::Ack(nabij_protocol::Ack { ids })).0])
            .await;
        assert!(matches!(
            hub.plan_schedule(&group, plan("2099-02-03")).await,
            Err(AppError::AlreadyPlanned(_))
        ));

        let third = sessions[2].id.clone();
        let to = Move {
            starts_at: schedule::at(
                Date::parse("2099-01-29").unwrap(),
                TimeOfDay {
                    hour: 10,
                    minute: 0,
                },
            ),
            place: Some(("Zaal Noord".into(), None)),
        };
        let moved = hub.move_session(&third, to.clone()).await.unwrap();
        assert_eq!((moved.starts_at, moved.revision), (to.starts_at, 1));
        let cancelled = hub.cancel_session(&third).await.unwrap();
        assert_eq!(cancelled.state, SessionState::Cancelled);
        assert!(matches!(
            hub.cancel_session(&third).await,
            Err(AppError::Cancelled(_))
        ));
        assert!(matches!(
            hub.move_session(&third, to).await,
            Err(AppError::Cancelled(_))
        ));
        let kinds: Vec<_> = hub_changes(&out, &down);
        assert_eq!(
            kinds,
            [ScheduleChangeKind::Moved, ScheduleChangeKind::Cancelled]
        );

        let extra = Extra {
            series: SessionSeries::Weekly,
            starts_at: schedule::at(
                Date::parse("2099-03-31").unwrap(),
                TimeOfDay {
                    hour: 14,
                    minute: 0,
                },
            ),
            minutes: 120,
            place: ("Buurthuis De Schelp".into(), None),
        };
        let added = hub.add_session(&group, extra.clone()).await.unwrap();
        assert_eq!(
            (added.number, added.id.as_str()),
            (3, "s-oostende-oost-w03-2")
        );
        assert!(
            out.take(&down)
                .iter()
                .any(|e| matches!(&e.body, Body::MeetingReminder(m) if m.session_id == added.id))
        );
        assert!(matches!(
            hub.add_session(&group, extra).await,
            Err(AppError::SeriesFull(SessionSeries::Weekly))
        ));
        assert_eq!(hub.schedule(&group).unwrap().len(), 21);
        assert!(matches!(
            hub.cancel_session(&SessionId::parse("s-nope").unwrap())
                .await,
            Err(AppError::NoSession(_))
        ));
    }

    fn hub_changes(out: &crate::app::testing::Recorder, down: &Topic) -> Vec<ScheduleChangeKind> {
        out.take(down)
            .into_iter()
            .filter_map(|e| match e.body {
                Body::ScheduleChange(c) => Some(c.change),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn a_tablet_connecting_for_the_first_time_gets_the_meetings_still_to_come() {
        let (hub, out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap().id;
        hub.plan_schedule(&group, plan("2099-01-13")).await.unwrap();
        let anna = hub
            .add_participant("Anna", Some(&group), None)
            .await
            .unwrap();
        let (_, device) = tablet(&hub, "Other").await;
        // Anna's tablet: enrolled, never connected.
        let mut record = crate::domain::devices::sample("d-anna", anna.id.as_str());
        record.connected_once = false;
        let mut tx = hub.tx();
        tables::put_device(&mut tx, &record).unwrap();
        tx.commit().await.unwrap();
        hub.handle_batch(vec![status(&record.id, true), status(&device, true)])
            .await;
        let reminders = out
            .take(&Topic::DeviceDown(record.id.clone()))
            .into_iter()
            .filter(|e| matches!(e.body, Body::MeetingReminder(_)))
            .count();
        // The window sends twenty at a time: config and contacts went first.
        assert_eq!(reminders, 18);
        assert_eq!(hub.queued_for(&record.id).unwrap(), 22);
        assert!(
            out.take(&Topic::DeviceDown(device))
                .iter()
                .all(|e| !matches!(e.body, Body::MeetingReminder(_))),
            "not the other group's"
        );
    }
}

#[cfg(test)]
mod transport_tests {
    use super::*;
    use crate::app::testing::{hub, status, tablet, up};
    use nabij_protocol::Topic;

    #[tokio::test]
    async fn a_pick_up_time_reaches_only_that_senior_and_moves_with_the_meeting() {
        let (hub, out) = hub();
        let group = hub
            .add_group("Oost", Some("Oostende Oost"))
            .await
            .unwrap()
            .id;
        let mut devices = Vec::new();
        let mut people = Vec::new();
        for name in ["Jan", "Anna"] {
            let (person, device) = tablet(&hub, name).await;
            hub.move_participant(&person, Some(&group)).await.unwrap();
            hub.handle_batch(vec![status(&device, true)]).await;
            people.push(person);
            devices.push(device);
        }
        let plan = Plan {
            first: Date::parse("2099-01-13").unwrap(),
            time: TimeOfDay {
                hour: 14,
                minute: 0,
            },
            minutes: 180,
            place: "De Schelp".into(),
            address: None,
        };
        let sessions = hub.plan_schedule(&group, plan).await.unwrap();
        // The tablets store what they got (their windows are full until then).
        for device in &devices {
            let ids = out
                .take(&Topic::DeviceDown(device.clone()))
                .into_iter()
                .map(|e| e.id)
                .collect();
            hub.handle_batch(vec![up(device, Body::Ack(nabij_protocol::Ack { ids })).0])
                .await;
        }
        let first = sessions[0].id.clone();
        hub.set_pickup(
            &first,
            &people[0],
            Some(TimeOfDay {
                hour: 13,
                minute: 30,
            }),
        )
        .await
        .unwrap();
        let pickup_of = |envelopes: Vec<nabij_protocol::Envelope>| {
            envelopes.into_iter().find_map(|e| match e.body {
                Body::MeetingReminder(m) if m.session_id == first => Some(m.pickup_at),
                Body::ScheduleChange(c) if c.session_id == first => Some(c.pickup_at),
                _ => None,
            })
        };
        let jan_pickup = pickup_of(out.take(&Topic::DeviceDown(devices[0].clone()))).flatten();
        assert_eq!(
            jan_pickup.map(|p| sessions[0].starts_at.0 - p.0),
            Some(30 * 60_000)
        );
        assert_eq!(
            pickup_of(out.take(&Topic::DeviceDown(devices[1].clone()))),
            None,
            "Anna hears nothing"
        );

        let later = UnixMillis(sessions[0].starts_at.0 + 2 * 3_600_000);
        hub.move_session(
            &first,
            Move {
                starts_at: later,
                place: None,
            },
        )
        .await
        .unwrap();
        let moved = pickup_of(out.take(&Topic::DeviceDown(devices[0].clone()))).flatten();
        assert_eq!(
            moved,
            Some(UnixMillis(later.0 - 30 * 60_000)),
            "still half an hour before"
        );
        assert!(matches!(
            hub.set_pickup(&first, &people[0], Some(TimeOfDay { hour: 6, minute: 0 }))
                .await,
            Err(AppError::BadPickup(_))
        ));
    }
}
