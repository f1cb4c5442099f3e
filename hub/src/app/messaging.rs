//! Messages coaches send, contact lists and settings pushed to tablets, calls for help,
//! and the receipts a sender gets as its message travels.

use super::people::{coach, coach_of, find_group_in, members_of, participant, person};
use super::{AppError, Effects, HelpRow, Hub, SentSummary, hub_envelope, tables};
use crate::clock;
use crate::domain::messaging::{self, receipt_advances};
use crate::domain::people::Person;
use crate::store::Tx;
use nabij_protocol::{
    Body, Contacts, DeviceId, GroupId, MessageId, PersonId, Photo, Receipt, ReceiptState,
    Recipient, TextMessage,
};
use serde::{Deserialize, Serialize};

/// What a coach sends from the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CoachMessage {
    /// Words.
    Text {
        /// The text.
        text: String,
    },
    /// A photo (JPEG or PNG file contents) with an optional caption.
    Photo {
        /// The file's bytes.
        image: nabij_protocol::base64::Base64Bytes,
        /// A line under the photo.
        caption: Option<String>,
    },
}

/// Who a coach writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// One person (an approved contact of the coach).
    Person(PersonId),
    /// Everyone in a group (each an approved contact of the coach).
    Group(GroupId),
}

impl CoachMessage {
    /// The protocol body, checked against the protocol's limits.
    fn into_body(self, to: Recipient, author: PersonId) -> Result<Body, AppError> {
        let body = match self {
            CoachMessage::Text { text } => Body::Text(TextMessage {
                to,
                author: Some(author),
                text,
            }),
            CoachMessage::Photo { image, caption } => {
                let photo = crate::photos::inspect(&image.0)?;
                Body::Photo(Photo {
                    to,
                    author: Some(author),
                    mime: photo.mime,
                    width: photo.width,
                    height: photo.height,
                    caption,
                    data: image,
                })
            }
        };
        body.validate()
            .map_err(|e| AppError::BadMessage(format!("{}: {}", e.field, e.reason)))?;
        Ok(body)
    }
}

/// Everyone `person` may write to, as the `contacts` message carries them.
pub(crate) fn contacts_of(tx: &Tx, person: &PersonId) -> Result<Contacts, AppError> {
    let mut contacts = Vec::new();
    for other in tables::contact_ids(tx, person)? {
        if let Some(Person {
            id,
            name,
            role,
            photo,
            ..
        }) = tx.get(tables::PEOPLE, other.as_str())?
        {
            contacts.push(nabij_protocol::Contact {
                person: id,
                name,
                role: role.as_contact(),
                photo,
            });
        }
    }
    contacts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Contacts {
        contacts,
        former: Vec::new(),
    })
}

impl Hub {
    /// Queues the current contact list for every tablet of `person`.
    pub(crate) fn push_contacts(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person: &PersonId,
    ) -> Result<(), AppError> {
        self.push_contacts_after_erasure(tx, fx, person, &[])
    }

    /// As [`Hub::push_contacts`], telling the tablets that `erased` were erased: they
    /// file those people's earlier messages under "a former participant".
    pub(crate) fn push_contacts_after_erasure(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person: &PersonId,
        erased: &[PersonId],
    ) -> Result<(), AppError> {
        let mut contacts = contacts_of(tx, person)?;
        contacts.former = erased.to_vec();
        for device in tables::tablets_of(tx, person)? {
            let envelope = hub_envelope(Body::Contacts(contacts.clone()))?;
            self.queue(tx, fx, &device.id, &envelope)?;
        }
        Ok(())
    }

    /// Queues the current `config` for every tablet of `person`.
    pub(crate) fn push_config(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        person: &PersonId,
    ) -> Result<(), AppError> {
        let Some(participant) = tx.get(tables::PEOPLE, person.as_str())? else {
            return Ok(());
        };
        let coach = coach_of(tx, &participant)?;
        let reminders = self.reminders_of(&participant);
        let config = messaging::config_for(&participant, coach.as_ref(), reminders);
        for device in tables::tablets_of(tx, person)? {
            let envelope = hub_envelope(Body::Config(config.clone()))?;
            self.queue(tx, fx, &device.id, &envelope)?;
        }
        Ok(())
    }

    /// Approves two people as contacts and sends both their new lists.
    pub async fn approve_contacts(
        &self,
        a: &PersonId,
        b: &PersonId,
    ) -> Result<(Person, Person), AppError> {
        self.change_contact(a, b, true).await
    }

    /// Takes back two people's approval: neither can write to the other any more, and
    /// both get their new lists (the tablets drop the conversation's button).
    pub async fn remove_contact(
        &self,
        a: &PersonId,
        b: &PersonId,
    ) -> Result<(Person, Person), AppError> {
        self.change_contact(a, b, false).await
    }

    /// Approves (or takes back) two people's contact, and sends both their new lists.
    async fn change_contact(
        &self,
        a: &PersonId,
        b: &PersonId,
        approve: bool,
    ) -> Result<(Person, Person), AppError> {
        let mut fx = Effects::default();
        let pair = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let (pa, pb) = (person(&tx, a)?, person(&tx, b)?);
            if approve {
                tables::approve(&mut tx, a, b, clock::now())?;
            } else if tables::are_contacts(&tx, a, b)? {
                tables::unapprove(&mut tx, a, b);
            } else {
                return Err(AppError::NotContacts(pa.name, pb.name));
            }
            self.push_contacts(&mut tx, &mut fx, a)?;
            self.push_contacts(&mut tx, &mut fx, b)?;
            tx.commit().await?;
            (pa, pb)
        };
        self.finish(fx).await;
        Ok(pair)
    }

    /// The people `who` may write to, by name.
    pub fn contacts_of(&self, who: &PersonId) -> Result<Vec<Person>, AppError> {
        let tx = self.tx();
        let mut out = Vec::new();
        for id in tables::contact_ids(&tx, who)? {
            if let Some(p) = tx.get(tables::PEOPLE, id.as_str())? {
                out.push(p);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// A coach's message to one person or a whole group: a copy for every tablet of
    /// every recipient, queued until each tablet acknowledges it. A senior can open a
    /// conversation only with a contact, so every recipient must be one of the coach's.
    pub async fn send_from_coach(
        &self,
        from: &PersonId,
        to: &Audience,
        message: CoachMessage,
    ) -> Result<SentSummary, AppError> {
        let mut fx = Effects::default();
        let summary = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let coach = coach(&tx, from)?;
            let (recipient, members) = match to {
                Audience::Group(group) => {
                    let group = find_group_in(&tx, group.as_str())?;
                    (
                        Recipient::Group(group.id.clone()),
                        members_of(&tx, &group.id)?,
                    )
                }
                Audience::Person(id) => (Recipient::Person(id.clone()), vec![person(&tx, id)?]),
            };
            let mut strangers = Vec::new();
            for member in &members {
                if !tables::are_contacts(&tx, &coach.id, &member.id)? {
                    strangers.push(member.name.clone());
                }
            }
            if !strangers.is_empty() {
                // Every refusal is logged with its reason (names stay out: ids say who).
                tracing::warn!(coach = %coach.id, to = %recipient, strangers = strangers.len(), "coach message refused: not every recipient is the coach's contact");
                return Err(AppError::NotAContact {
                    coach: coach.name,
                    people: strangers.join(", "),
                });
            }
            let body = message.into_body(recipient, coach.id.clone())?;
            let mut tablets = 0;
            for member in &members {
                for tablet in tables::tablets_of(&tx, &member.id)? {
                    let envelope = hub_envelope(body.clone())?;
                    self.queue(&mut tx, &mut fx, &tablet.id, &envelope)?;
                    tablets += 1;
                }
            }
            tx.commit().await?;
            tracing::info!(coach = %coach.id, people = members.len(), tablets, kind = body.kind(), "coach message queued");
            SentSummary {
                people: members.len(),
                tablets,
            }
        };
        self.finish(fx).await;
        Ok(summary)
    }

    /// Calls for help, newest first: all, or only those no coach has answered yet.
    pub fn help_requests(&self, open_only: bool) -> Result<Vec<HelpRow>, AppError> {
        let tx = self.tx();
        let mut rows = Vec::new();
        for report in tx.all(tables::REPORTS)? {
            if !report.is_help_request() || (open_only && report.answered_at.is_some()) {
                continue;
            }
            let name = tx
                .get(tables::PEOPLE, report.participant.as_str())?
                .map(|p| p.name)
                .unwrap_or_else(|| report.participant.to_string());
            rows.push(HelpRow {
                participant: report.participant,
                participant_name: name,
                device: report.device,
                asked_at: report.received_at,
                answered_at: report.answered_at,
            });
        }
        rows.sort_by_key(|row| std::cmp::Reverse(row.asked_at));
        Ok(rows)
    }

    /// A coach will call a participant who asked for help: their open calls are marked
    /// answered and their tablets say "{coach} will call you". Returns how many calls it
    /// answered.
    pub async fn answer_help(
        &self,
        participant_id: &PersonId,
        coach_id: &PersonId,
    ) -> Result<usize, AppError> {
        let mut fx = Effects::default();
        let answered = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let participant = participant(&tx, participant_id)?;
            let coach = coach(&tx, coach_id)?;
            let answered = self.answer_help_in(&mut tx, &mut fx, &participant, &coach)?;
            tx.commit().await?;
            answered
        };
        self.finish(fx).await;
        Ok(answered)
    }

    /// [`Hub::answer_help`] inside a transaction (the follow-up list's "dealt with" for a
    /// call does the same).
    pub(crate) fn answer_help_in(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        participant: &Person,
        coach: &Person,
    ) -> Result<usize, AppError> {
        let now = clock::now();
        let mut answered = 0;
        for (key, mut report) in tx.entries(tables::REPORTS)? {
            if report.participant == participant.id
                && report.is_help_request()
                && report.answered_at.is_none()
            {
                report.answered_at = Some(now);
                tx.put(tables::REPORTS, key, &report)?;
                answered += 1;
            }
        }
        super::followup::calls_answered(tx, &participant.id);
        let reply = Body::HelpReply(nabij_protocol::HelpReply {
            coach: coach.id.clone(),
            coach_name: coach.name.clone(),
        });
        for device in tables::tablets_of(tx, &participant.id)? {
            let envelope = hub_envelope(reply.clone())?;
            self.queue(tx, fx, &device.id, &envelope)?;
        }
        Ok(answered)
    }

    /// Notes for the senders of these delivered copies how far their message got, once
    /// per step: `delivered` when the recipient's tablet acknowledged it, `seen` when the
    /// senior opened it. [`Hub::queue_receipts`] sends them.
    pub(crate) fn receipts_for_senders(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        hub_ids: &[MessageId],
        state: ReceiptState,
        by_device: &DeviceId,
    ) -> Result<(), AppError> {
        for hub_id in hub_ids {
            let Some(uid) = tx.get(tables::DELIVERIES, hub_id.as_str())? else {
                continue;
            };
            let Some(mut message) = tx.get(tables::MESSAGES, &uid)? else {
                continue;
            };
            let Some(delivery) = message
                .deliveries
                .iter_mut()
                .find(|d| &d.hub_id == hub_id && &d.device == by_device)
            else {
                continue;
            };
            if !receipt_advances(delivery.state, state) {
                continue;
            }
            delivery.state = Some(state);
            tx.put(tables::MESSAGES, &uid, &message)?;
            let seen = state == ReceiptState::Seen;
            fx.receipts
                .entry((message.from_device.clone(), seen, message.to.clone()))
                .or_default()
                .push(message.sender_id.clone());
        }
        Ok(())
    }

    /// Queues the receipts gathered in `fx`: one per sender's tablet, step and recipient
    /// (at most 256 ids each), `delivered` before `seen`.
    pub(crate) fn queue_receipts(&self, tx: &mut Tx, fx: &mut Effects) -> Result<(), AppError> {
        for ((device, seen, by), ids) in std::mem::take(&mut fx.receipts) {
            // A tablet told to wipe itself, switched off or taken back gets nothing more
            // (see `DeviceState::receives_messages`).
            let receives = tx
                .get(tables::DEVICES, device.as_str())?
                .is_some_and(|d| d.state.receives_messages());
            if !receives {
                continue;
            }
            let state = if seen {
                ReceiptState::Seen
            } else {
                ReceiptState::Delivered
            };
            for chunk in ids.chunks(nabij_protocol::limits::MAX_IDS_PER_MESSAGE) {
                let receipt = hub_envelope(Body::Receipt(Receipt {
                    ids: chunk.to_vec(),
                    state,
                    by: Some(by.clone()),
                }))?;
                self.queue_receipt(tx, fx, &device, &receipt)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::hub;

    #[tokio::test]
    async fn a_coach_writes_only_to_contacts_and_a_group_message_reaches_every_member() {
        let (hub, _out) = hub();
        let oost = hub.add_group("Oost", None).await.unwrap();
        let jan = hub
            .add_participant("Jan", Some(&oost.id), None)
            .await
            .unwrap();
        let marie = hub.add_coach("Marie", "059 12 34 56", None).await.unwrap();
        let text = || CoachMessage::Text {
            text: "De bus vertrekt om 13:30".into(),
        };
        let refused = hub
            .send_from_coach(&marie.id, &Audience::Group(oost.id.clone()), text())
            .await;
        assert!(
            matches!(refused, Err(AppError::NotAContact { .. })),
            "{refused:?}"
        );
        hub.approve_contacts(&marie.id, &jan.id).await.unwrap();
        let sent = hub
            .send_from_coach(&marie.id, &Audience::Group(oost.id.clone()), text())
            .await
            .unwrap();
        assert_eq!((sent.people, sent.tablets), (1, 0), "Jan has no tablet yet");
        let not_coach = hub
            .send_from_coach(&jan.id, &Audience::Person(marie.id.clone()), text())
            .await;
        assert!(matches!(not_coach, Err(AppError::NotACoach(_))));
    }

    #[tokio::test]
    async fn a_message_to_a_whole_group_that_is_refused_is_logged_with_its_reason() {
        let (logs, _guard) = crate::app::testing::capture_logs();
        let (hub, _out) = hub();
        let oost = hub.add_group("Oost", None).await.unwrap();
        let (jan, jans) = crate::app::testing::tablet(&hub, "Jan").await;
        hub.move_participant(&jan, Some(&oost.id)).await.unwrap();
        let marie = hub.add_coach("Marie", "059 12 34 56", None).await.unwrap();
        let words = CoachMessage::Text {
            text: "De bus vertrekt om 13:30".into(),
        };
        let refused = hub
            .send_from_coach(&marie.id, &Audience::Group(oost.id.clone()), words)
            .await;
        assert!(refused.is_err());
        assert!(logs.has_line_with(&[
            "coach message refused",
            oost.id.as_str(),
            marie.id.as_str()
        ]));
        // A tablet may not write to a whole group either.
        let to_group = Body::Text(nabij_protocol::TextMessage {
            to: Recipient::Group(oost.id.clone()),
            author: None,
            text: "Aan iedereen".into(),
        });
        let (message, id) = crate::app::testing::up(&jans, to_group);
        hub.handle_batch(vec![message]).await;
        assert!(logs.has_line_with(&[
            "chat message refused",
            oost.id.as_str(),
            id.as_str(),
            "ToGroup"
        ]));
    }
}
