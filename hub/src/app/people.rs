//! People and groups: adding them, finding them by id or name, and the settings their
//! tablets show.

use super::{AppError, Effects, Hub, tables};
use crate::clock;
use crate::domain::people::{self, Group, Membership, Person, Role};
use crate::store::{StoreError, Table, Tx};
use nabij_protocol::{GroupId, Language, PersonId, ReminderTimes};

/// The first id of the form `{prefix}{slug}`, `{prefix}{slug}-2`, … not in `table`.
fn free_id<V: serde::de::DeserializeOwned>(
    tx: &Tx,
    table: Table<V>,
    prefix: &str,
    name: &str,
) -> Result<String, StoreError> {
    for candidate in people::id_candidates(prefix, name) {
        if !tx.contains(table, &candidate)? {
            return Ok(candidate);
        }
    }
    unreachable!("id_candidates never ends")
}

/// Finds one person among those `wanted` accepts, by id or by exact name (ignoring
/// case); a name two of them share is refused rather than guessed.
fn find_one(
    tx: &Tx,
    key: &str,
    wanted: impl Fn(&Person) -> bool,
) -> Result<Option<Person>, AppError> {
    if let Some(person) = tx.get(tables::PEOPLE, key.trim())?.filter(&wanted) {
        return Ok(Some(person));
    }
    let name = key.trim().to_lowercase();
    let matches: Vec<Person> = tx
        .all(tables::PEOPLE)?
        .into_iter()
        .filter(|p| wanted(p) && p.name.to_lowercase() == name)
        .collect();
    match matches.len() {
        0 => Ok(None),
        1 => Ok(matches.into_iter().next()),
        _ => Err(AppError::Ambiguous {
            name: key.to_owned(),
            candidates: matches.into_iter().map(|p| p.id).collect(),
        }),
    }
}

pub(crate) fn find_group_in(tx: &Tx, key: &str) -> Result<Group, AppError> {
    if let Some(group) = tx.get(tables::GROUPS, key.trim())? {
        return Ok(group);
    }
    tx.all(tables::GROUPS)?
        .into_iter()
        .find(|g| g.name.eq_ignore_ascii_case(key.trim()))
        .ok_or_else(|| AppError::NoGroup(key.to_owned()))
}

pub(crate) fn person(tx: &Tx, id: &PersonId) -> Result<Person, AppError> {
    tx.get(tables::PEOPLE, id.as_str())?
        .ok_or_else(|| AppError::NoPerson(id.to_string()))
}

pub(crate) fn participant(tx: &Tx, id: &PersonId) -> Result<Person, AppError> {
    person(tx, id)
        .ok()
        .filter(|p| p.role == Role::Participant)
        .ok_or_else(|| AppError::NoParticipant(id.to_string()))
}

pub(crate) fn coach(tx: &Tx, id: &PersonId) -> Result<Person, AppError> {
    let coach = person(tx, id)?;
    if coach.role != Role::Coach {
        return Err(AppError::NotACoach(coach.name));
    }
    Ok(coach)
}

fn group(tx: &Tx, id: &GroupId) -> Result<Group, AppError> {
    tx.get(tables::GROUPS, id.as_str())?
        .ok_or_else(|| AppError::NoGroup(id.to_string()))
}

/// The coach a participant's Help screen shows: their group's coach, else the first coach
/// the hub knows (by id), else none.
pub(crate) fn coach_of(tx: &Tx, participant: &Person) -> Result<Option<Person>, StoreError> {
    if let Some(group) = &participant.group
        && let Some(coach_id) = tx
            .get(tables::GROUPS, group.as_str())?
            .and_then(|g| g.coach)
        && let Some(coach) = tx.get(tables::PEOPLE, coach_id.as_str())?
    {
        return Ok(Some(coach));
    }
    Ok(tx
        .all(tables::PEOPLE)?
        .into_iter()
        .filter(|p| p.role == Role::Coach)
        .min_by(|a, b| a.id.cmp(&b.id)))
}

/// The participants of a group.
pub(crate) fn members_of(tx: &Tx, group: &GroupId) -> Result<Vec<Person>, StoreError> {
    Ok(tx
        .all(tables::PEOPLE)?
        .into_iter()
        .filter(|p| p.role == Role::Participant && p.group.as_ref() == Some(group))
        .collect())
}

fn new_person(tx: &Tx, name: &str, role: Role, group: Option<GroupId>) -> Result<Person, AppError> {
    let name = people::check_name(name)?;
    let id = free_id(tx, tables::PEOPLE, "p-", &name)?;
    Ok(Person {
        id: PersonId::parse(&id).map_err(|e| AppError::BadMessage(e.to_string()))?,
        name,
        role,
        group,
        phone: None,
        photo: None,
        language: None,
        check_in: false,
        address: None,
        transport: false,
        consent: Default::default(),
        reminders: None,
    })
}

impl Hub {
    /// Everyone.
    pub fn people(&self) -> Result<Vec<Person>, AppError> {
        Ok(self.tx().all(tables::PEOPLE)?)
    }

    /// Every group.
    pub fn groups(&self) -> Result<Vec<Group>, AppError> {
        Ok(self.tx().all(tables::GROUPS)?)
    }

    /// One person by id.
    pub fn person(&self, id: &PersonId) -> Result<Person, AppError> {
        person(&self.tx(), id)
    }

    /// Anyone (participant, coach, family member) by id or exact name.
    pub fn find_person(&self, key: &str) -> Result<Person, AppError> {
        find_one(&self.tx(), key, |_| true)?.ok_or_else(|| AppError::NoPerson(key.to_owned()))
    }

    /// A participant by id or exact name.
    pub fn find_participant(&self, key: &str) -> Result<Person, AppError> {
        find_one(&self.tx(), key, |p| p.role == Role::Participant)?
            .ok_or_else(|| AppError::NoParticipant(key.to_owned()))
    }

    /// A group by id or name (ignoring case).
    pub fn find_group(&self, key: &str) -> Result<Group, AppError> {
        find_group_in(&self.tx(), key)
    }

    /// Adds a group, meeting in a neighbourhood.
    pub async fn add_group(
        &self,
        name: &str,
        neighbourhood: Option<&str>,
    ) -> Result<Group, AppError> {
        let _write = self.inner.write.lock().await;
        let mut tx = self.tx();
        let name = people::check_name(name)?;
        let neighbourhood = neighbourhood.map(people::check_name).transpose()?;
        let id = free_id(&tx, tables::GROUPS, "g-", &name)?;
        let group = Group {
            id: GroupId::parse(&id).map_err(|e| AppError::BadMessage(e.to_string()))?,
            name,
            coach: None,
            neighbourhood,
        };
        tx.put(tables::GROUPS, group.id.as_str(), &group)?;
        tx.commit().await?;
        Ok(group)
    }

    /// Adds a participant. In a group with a coach, the coach is on their contact list
    /// from the start.
    pub async fn add_participant(
        &self,
        name: &str,
        group: Option<&GroupId>,
        language: Option<Language>,
    ) -> Result<Person, AppError> {
        let _write = self.inner.write.lock().await;
        let mut tx = self.tx();
        let group = group.map(|g| group_id_checked(&tx, g)).transpose()?;
        let mut person = new_person(&tx, name, Role::Participant, group)?;
        person.language = language;
        tx.put(tables::PEOPLE, person.id.as_str(), &person)?;
        if let Some(group) = &person.group {
            join(&mut tx, &person.id, group, clock::now())?;
        }
        if let Some(coach) =
            coach_of(&tx, &person)?.filter(|c| c.group.is_some() && c.group == person.group)
        {
            tables::approve(&mut tx, &person.id, &coach.id, clock::now())?;
        }
        tx.commit().await?;
        Ok(person)
    }

    /// Adds a coach. With a group, they become its coach: on every member's contact list
    /// and on their tablets' Help screen (sent to the tablets now).
    pub async fn add_coach(
        &self,
        name: &str,
        phone: &str,
        group: Option<&GroupId>,
    ) -> Result<Person, AppError> {
        let mut fx = Effects::default();
        let coach = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let phone = people::check_phone(phone)?;
            let group = group.map(|g| self::group(&tx, g)).transpose()?;
            let mut coach =
                new_person(&tx, name, Role::Coach, group.as_ref().map(|g| g.id.clone()))?;
            coach.phone = Some(phone);
            tx.put(tables::PEOPLE, coach.id.as_str(), &coach)?;
            if let Some(mut group) = group {
                group.coach = Some(coach.id.clone());
                tx.put(tables::GROUPS, group.id.as_str(), &group)?;
                for member in members_of(&tx, &group.id)? {
                    tables::approve(&mut tx, &member.id, &coach.id, clock::now())?;
                    self.push_contacts(&mut tx, &mut fx, &member.id)?;
                    self.push_config(&mut tx, &mut fx, &member.id)?;
                }
            }
            tx.commit().await?;
            coach
        };
        self.finish(fx).await;
        Ok(coach)
    }

    /// Sets the language a participant's tablet speaks, and sends it to their tablets.
    pub async fn set_language(
        &self,
        who: &PersonId,
        language: Language,
    ) -> Result<Person, AppError> {
        let mut fx = Effects::default();
        let person = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let mut person = participant(&tx, who)?;
            person.language = Some(language);
            tx.put(tables::PEOPLE, person.id.as_str(), &person)?;
            self.push_config(&mut tx, &mut fx, &person.id)?;
            tx.commit().await?;
            person
        };
        self.finish(fx).await;
        Ok(person)
    }

    /// Turns a participant's daily check-in ("How are you today?") on or off, and tells
    /// their tablets.
    pub async fn set_check_in(&self, who: &PersonId, on: bool) -> Result<Person, AppError> {
        let mut fx = Effects::default();
        let person = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let mut person = participant(&tx, who)?;
            person.check_in = on;
            tx.put(tables::PEOPLE, person.id.as_str(), &person)?;
            self.push_config(&mut tx, &mut fx, &person.id)?;
            tx.commit().await?;
            person
        };
        self.finish(fx).await;
        Ok(person)
    }

    /// Sets a participant's own meeting reminder times (`None`: the hub's again), and
    /// tells their tablets.
    pub async fn set_reminders(
        &self,
        who: &PersonId,
        times: Option<ReminderTimes>,
    ) -> Result<Person, AppError> {
        let mut fx = Effects::default();
        let person = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let mut person = participant(&tx, who)?;
            person.reminders = times;
            tx.put(tables::PEOPLE, person.id.as_str(), &person)?;
            self.push_config(&mut tx, &mut fx, &person.id)?;
            tx.commit().await?;
            person
        };
        self.finish(fx).await;
        Ok(person)
    }

    /// The reminder times a participant's tablets use: their own, or the hub's.
    pub fn reminders_of(&self, person: &Person) -> ReminderTimes {
        person.reminders.unwrap_or(self.config().reminders.0)
    }

    /// At start: when hub.toml's reminder times changed since the last run, every tablet
    /// that uses them is told. Returns how many participants were.
    pub async fn apply_reminder_defaults(&self) -> Result<usize, AppError> {
        let defaults = self.config().reminders.0;
        let mut fx = Effects::default();
        let told = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            // Tablets whose settings never named reminder times use the protocol's default.
            let before = tx.get(tables::SETTINGS, tables::REMINDER_DEFAULTS)?;
            if before == Some(defaults) {
                return Ok(0);
            }
            let mut told = 0;
            if before.unwrap_or(ReminderTimes::DEFAULT) != defaults {
                for person in tx.all(tables::PEOPLE)? {
                    if person.role == Role::Participant && person.reminders.is_none() {
                        self.push_config(&mut tx, &mut fx, &person.id)?;
                        told += 1;
                    }
                }
            }
            tx.put(tables::SETTINGS, tables::REMINDER_DEFAULTS, &defaults)?;
            tx.commit().await?;
            told
        };
        self.finish(fx).await;
        Ok(told)
    }

    /// Sets a person's photo (any JPEG or PNG; made into a small square) and sends it to
    /// the tablets that show it: their contacts' (contact buttons) and, for a coach, those
    /// whose Help screen shows them.
    pub async fn set_photo(&self, who: &PersonId, image: &[u8]) -> Result<Person, AppError> {
        let face = crate::photos::face(image)?;
        let mut fx = Effects::default();
        let person = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let mut person = person(&tx, who)?;
            person.photo = Some(nabij_protocol::base64::Base64Bytes(face));
            tx.put(tables::PEOPLE, person.id.as_str(), &person)?;
            for other in tables::contact_ids(&tx, &person.id)? {
                self.push_contacts(&mut tx, &mut fx, &other)?;
            }
            if person.role == Role::Coach {
                for other in tx.all(tables::PEOPLE)? {
                    if other.role == Role::Participant
                        && coach_of(&tx, &other)?.is_some_and(|c| c.id == person.id)
                    {
                        self.push_config(&mut tx, &mut fx, &other.id)?;
                    }
                }
            }
            tx.commit().await?;
            person
        };
        self.finish(fx).await;
        Ok(person)
    }
}

/// By person, then start; a sequence number tells apart two moves in the same moment.
fn membership_key(
    tx: &Tx,
    person: &PersonId,
    from: nabij_protocol::UnixMillis,
) -> Result<Vec<u8>, AppError> {
    Ok(crate::store::key(&[
        person.as_str().as_bytes(),
        &from.0.to_be_bytes(),
        &tx.next_id()?.to_be_bytes(),
    ]))
}

/// Closes a person's open membership, if any.
fn leave(tx: &mut Tx, person: &PersonId, now: nabij_protocol::UnixMillis) -> Result<(), AppError> {
    let p = crate::store::prefix(&[person.as_str().as_bytes()]);
    for (k, mut m) in tx.scan(tables::MEMBERSHIPS, &p, None, usize::MAX)? {
        if m.until.is_none() {
            m.until = Some(now);
            tx.put(tables::MEMBERSHIPS, k, &m)?;
        }
    }
    Ok(())
}

/// Opens a membership (closing the one before).
pub(crate) fn join(
    tx: &mut Tx,
    person: &PersonId,
    group: &GroupId,
    now: nabij_protocol::UnixMillis,
) -> Result<(), AppError> {
    leave(tx, person, now)?;
    let key = membership_key(tx, person, now)?;
    tx.put(
        tables::MEMBERSHIPS,
        key,
        &Membership {
            group: group.clone(),
            from: now,
            until: None,
        },
    )?;
    Ok(())
}

/// What a coach changes in a participant's details (`None`: unchanged; for phone and
/// address, `Some(None)` clears it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailChanges {
    /// Their phone number.
    pub phone: Option<Option<String>>,
    /// Their address.
    pub address: Option<Option<String>>,
    /// Whether they need transport.
    pub transport: Option<bool>,
    /// Consent to share photos of them in the group.
    pub consent_photos: Option<bool>,
    /// Consent to count their figures in the evaluation.
    pub consent_research: Option<bool>,
    /// Consent to print their phone number on their contacts' keepsakes.
    pub consent_keepsake: Option<bool>,
}

impl Hub {
    /// Changes a participant's details.
    pub async fn update_participant(
        &self,
        who: &PersonId,
        changes: DetailChanges,
    ) -> Result<Person, AppError> {
        let _write = self.inner.write.lock().await;
        let mut tx = self.tx();
        let mut person = participant(&tx, who)?;
        if let Some(phone) = changes.phone {
            person.phone = phone.as_deref().map(people::check_phone).transpose()?;
        }
        if let Some(address) = changes.address {
            person.address = address.as_deref().map(people::check_address).transpose()?;
        }
        if let Some(transport) = changes.transport {
            person.transport = transport;
        }
        let before = person.consent.clone();
        if let Some(photos) = changes.consent_photos {
            person.consent.photos = photos;
        }
        if let Some(research) = changes.consent_research {
            person.consent.research = research;
        }
        if let Some(keepsake) = changes.consent_keepsake {
            person.consent.phone_on_keepsakes = keepsake;
        }
        if person.consent != before {
            person.consent.changed_at = Some(clock::now());
        }
        tx.put(tables::PEOPLE, person.id.as_str(), &person)?;
        tx.commit().await?;
        Ok(person)
    }

    /// Moves a participant to another group (or, with `None`, out of any): the move is
    /// kept in their history; the new group's coach becomes their contact and their Help;
    /// their tablets get the new group's agenda and open diary prompt.
    pub async fn move_participant(
        &self,
        who: &PersonId,
        to: Option<&GroupId>,
    ) -> Result<Person, AppError> {
        let mut fx = Effects::default();
        let person = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let mut person = participant(&tx, who)?;
            let to = to.map(|g| group_id_checked(&tx, g)).transpose()?;
            if person.group == to {
                return Ok(person);
            }
            let now = clock::now();
            person.group = to.clone();
            tx.put(tables::PEOPLE, person.id.as_str(), &person)?;
            match &to {
                Some(group) => join(&mut tx, &person.id, group, now)?,
                None => leave(&mut tx, &person.id, now)?,
            }
            if let Some(coach) =
                coach_of(&tx, &person)?.filter(|c| c.group.is_some() && c.group == person.group)
            {
                tables::approve(&mut tx, &person.id, &coach.id, now)?;
            }
            self.push_contacts(&mut tx, &mut fx, &person.id)?;
            self.push_config(&mut tx, &mut fx, &person.id)?;
            self.push_agenda(&mut tx, &mut fx, &person.id)?;
            self.push_open_prompt(&mut tx, &mut fx, &person.id)?;
            tx.commit().await?;
            person
        };
        self.finish(fx).await;
        Ok(person)
    }

    /// The groups a participant was and is in, oldest first.
    pub fn memberships(&self, who: &PersonId) -> Result<Vec<Membership>, AppError> {
        let tx = self.tx();
        participant(&tx, who)?;
        Ok(tx.with_prefix(
            tables::MEMBERSHIPS,
            &crate::store::prefix(&[who.as_str().as_bytes()]),
        )?)
    }
}

fn group_id_checked(tx: &Tx, id: &GroupId) -> Result<GroupId, AppError> {
    Ok(group(tx, id)?.id)
}

#[cfg(test)]
mod tests {
    use crate::app::testing::hub;

    #[tokio::test]
    async fn ids_come_from_names_and_never_collide_and_names_find_people() {
        let (hub, _out) = hub();
        let group = hub.add_group("Oostende Oost 1", None).await.unwrap();
        assert_eq!(group.id.as_str(), "g-oostende-oost-1");
        let found = hub.find_group("oostende oost 1").unwrap();
        let a = hub
            .add_participant("Jeanne Dûbois", Some(&found.id), None)
            .await
            .unwrap();
        assert_eq!(
            (a.id.as_str(), a.group.as_ref()),
            ("p-jeanne-dubois", Some(&group.id))
        );
        let b = hub
            .add_participant("Jeanne Dûbois", None, None)
            .await
            .unwrap();
        assert_eq!(b.id.as_str(), "p-jeanne-dubois-2");
        assert_eq!(hub.find_participant("p-jeanne-dubois-2").unwrap().id, b.id);
        assert!(matches!(
            hub.find_participant("jeanne dûbois"),
            Err(crate::app::AppError::Ambiguous { .. })
        ));
        assert!(matches!(
            hub.find_participant("Mia"),
            Err(crate::app::AppError::NoParticipant(_))
        ));
        assert!(hub.add_participant(" ", None, None).await.is_err());
        assert!(matches!(
            hub.find_group("nope"),
            Err(crate::app::AppError::NoGroup(_))
        ));
    }

    #[tokio::test]
    async fn a_groups_coach_becomes_every_members_contact() {
        let (hub, _out) = hub();
        let group = hub.add_group("Oost", None).await.unwrap();
        let jan = hub
            .add_participant("Jan", Some(&group.id), None)
            .await
            .unwrap();
        let coach = hub
            .add_coach("Marie", "059 12 34 56", Some(&group.id))
            .await
            .unwrap();
        let anna = hub
            .add_participant("Anna", Some(&group.id), None)
            .await
            .unwrap();
        let tx = hub.tx();
        assert!(super::tables::are_contacts(&tx, &jan.id, &coach.id).unwrap());
        assert!(
            super::tables::are_contacts(&tx, &anna.id, &coach.id).unwrap(),
            "also who joins later"
        );
        assert!(!super::tables::are_contacts(&tx, &anna.id, &jan.id).unwrap());
        assert!(matches!(
            hub.add_coach("Piet", "12", None).await,
            Err(crate::app::AppError::Name(_))
        ));
    }
}

#[cfg(test)]
mod membership_tests {
    use super::*;
    use crate::app::testing::hub;

    #[tokio::test]
    async fn a_move_is_kept_in_the_history_and_brings_the_new_coach() {
        let (hub, _out) = hub();
        let oost = hub.add_group("Oost", Some("Oostende Oost")).await.unwrap();
        let west = hub.add_group("West", None).await.unwrap();
        assert_eq!(oost.neighbourhood.as_deref(), Some("Oostende Oost"));
        let marie = hub
            .add_coach("Marie", "059 12 34 56", Some(&west.id))
            .await
            .unwrap();
        let jan = hub
            .add_participant("Jan", Some(&oost.id), None)
            .await
            .unwrap();
        let moved = hub.move_participant(&jan.id, Some(&west.id)).await.unwrap();
        assert_eq!(moved.group, Some(west.id.clone()));
        let history = hub.memberships(&jan.id).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(
            (&history[0].group, history[0].until.is_some()),
            (&oost.id, true)
        );
        assert_eq!((&history[1].group, history[1].until), (&west.id, None));
        assert!(tables::are_contacts(&hub.tx(), &jan.id, &marie.id).unwrap());
        hub.move_participant(&jan.id, None).await.unwrap();
        assert!(
            hub.memberships(&jan.id)
                .unwrap()
                .iter()
                .all(|m| m.until.is_some())
        );

        let changes = DetailChanges {
            phone: Some(Some("059 11 22 33".into())),
            address: Some(Some("Schelpstraat 3, Oostende".into())),
            transport: Some(true),
            consent_photos: Some(true),
            consent_research: None,
            consent_keepsake: None,
        };
        let jan = hub.update_participant(&jan.id, changes).await.unwrap();
        assert!(jan.transport && jan.consent.photos && !jan.consent.research);
        assert!(jan.consent.changed_at.is_some());
        let bad = DetailChanges {
            phone: Some(Some("call me".into())),
            ..DetailChanges::default()
        };
        assert!(matches!(
            hub.update_participant(&jan.id, bad).await,
            Err(AppError::Name(_))
        ));
    }
}

#[cfg(test)]
mod reminder_tests {
    use crate::app::testing::{hub_over, status, tablet};
    use crate::config::HubConfig;
    use crate::store::{MemoryStorage, Storage};
    use nabij_protocol::{Body, DeviceConfig, ReminderTimes, Topic};
    use std::sync::Arc;

    fn configs(
        out: &crate::app::testing::Recorder,
        device: &nabij_protocol::DeviceId,
    ) -> Vec<DeviceConfig> {
        out.take(&Topic::DeviceDown(device.clone()))
            .into_iter()
            .filter_map(|e| match e.body {
                Body::Config(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn a_seniors_own_reminder_times_reach_their_tablet_and_the_hubs_follow_a_change() {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::default());
        let (hub, out) = hub_over(HubConfig::default(), storage.clone());
        assert_eq!(hub.apply_reminder_defaults().await.unwrap(), 0);
        let (jan, jan_tablet) = tablet(&hub, "Jan").await;
        let (mia, mia_tablet) = tablet(&hub, "Mia").await;
        hub.handle_batch(vec![status(&jan_tablet, true), status(&mia_tablet, true)])
            .await;
        configs(&out, &jan_tablet);
        configs(&out, &mia_tablet);

        let early = ReminderTimes {
            day_before_at_min: Some(17 * 60),
            before_min: Some(180),
        };
        let person = hub.set_reminders(&jan, Some(early)).await.unwrap();
        assert_eq!(hub.reminders_of(&person), early);
        let sent = configs(&out, &jan_tablet);
        assert_eq!(sent.last().and_then(|c| c.reminders), Some(early));

        // hub.toml changes between two runs: tablets on the hub's times are told, Jan's
        // own times stay.
        let mut config = HubConfig::default();
        config.reminders.0.before_min = Some(60);
        let (restarted, out) = hub_over(config, storage);
        assert_eq!(
            restarted.apply_reminder_defaults().await.unwrap(),
            1,
            "Mia: Jan has his own"
        );
        // The tablets get it from their queues when they connect to the new run.
        restarted
            .handle_batch(vec![status(&jan_tablet, true), status(&mia_tablet, true)])
            .await;
        let mia_now = configs(&out, &mia_tablet);
        assert_eq!(
            mia_now
                .last()
                .and_then(|c| c.reminders)
                .and_then(|r| r.before_min),
            Some(60)
        );
        // Jan's queue still holds what he had not acknowledged: his own times, only.
        let jan_now = configs(&out, &jan_tablet);
        assert!(
            !jan_now.is_empty() && jan_now.iter().all(|c| c.reminders == Some(early)),
            "Jan keeps his own"
        );
        assert_eq!(
            restarted.apply_reminder_defaults().await.unwrap(),
            0,
            "told once"
        );
        assert!(restarted.person(&mia).unwrap().reminders.is_none());
    }
}
