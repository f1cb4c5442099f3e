//! The receive path: what tablets publish, handled a batch at a time. Every message is
//! checked (`nabij_protocol::decode`, the sender's budget, its enrolment) and handled in
//! one transaction with the rest of its batch; one commit makes them all durable, and
//! only then are they acknowledged and passed on. A message that fails is left out of the
//! commit (its tablet sends it again); it never takes its batch down with it.

use super::{AppError, Effects, Hub, tables};
use crate::clock;
use crate::domain::devices::DeviceRecord;
use crate::domain::enrolment::{self, Grant, GrantAnswer, HelloReply};
use crate::domain::messaging::{self, Delivery, Report, Seen, StoredMessage};
use crate::secrets;
use crate::store::{Applied, Tx};
use nabij_protocol::{
    Ack, Body, DecodeError, DeviceId, EnrolmentId, Envelope, MessageId, Party, ReceiptState,
    RejectReason, Rejected, Topic, UnixMillis, decode,
};

/// A batch this small is handled on the async thread that took it.
const SMALL_BATCH_MESSAGES: usize = 4;
const SMALL_BATCH_BYTES: usize = 16 << 10;

/// A message the broker delivered to the hub: its topic and bytes, unchecked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The topic it came on.
    pub topic: String,
    /// Its bytes.
    pub payload: Vec<u8>,
}

/// What is known of a tablet's message before its transaction: decoded, charged to its
/// tablet's budget and, for a photo, the photo checked. The heavy lane finds this out off
/// the async threads and without the write lock (decoding a photo takes long); the light
/// lane as part of its batch.
pub(crate) enum Prechecked {
    /// Not a valid envelope (the error names its id when a glance found one).
    Refused(DecodeError),
    /// Over its tablet's budget: send it again after so many milliseconds.
    OverBudget(Envelope, u64),
    /// A photo whose file is not what it says.
    BadPhoto(Envelope, String),
    /// Fine so far.
    Fine(Envelope),
}

/// A batch handled and applied (visible to readers), waiting for the disk before anyone
/// hears of it.
#[must_use = "nothing is acknowledged until `finish` runs"]
pub struct Handled {
    hub: Hub,
    applied: Applied,
    fx: Effects,
    messages: usize,
}

impl Handled {
    /// Whether the batch holds a call for help, whose commit should not wait for the
    /// receive path's pace.
    pub fn urgent(&self) -> bool {
        self.fx.urgent
    }

    /// Waits until the batch is on disk, then acknowledges and passes on what it made
    /// true.
    pub async fn finish(self) {
        if !self.fx.must_wait_for_disk() {
            // Acknowledgements alone: their commit becomes durable with a later one.
            return self.hub.finish_with(self.fx, false).await;
        }
        match self.applied.durable().await {
            Ok(()) => self.hub.finish(self.fx).await,
            Err(e) => {
                tracing::error!(error = %e, messages = self.messages, "could not store a batch of messages; their tablets will send them again")
            }
        }
    }
}

impl Hub {
    /// Handles a batch of messages from the broker: one transaction, one durable commit,
    /// then the answers. Never fails: every refusal is logged with its reason (and
    /// answered, where the protocol says so).
    pub async fn handle_batch(&self, batch: Vec<Inbound>) {
        if let Some(handled) = self.apply_batch(batch).await {
            handled.finish().await;
        }
    }

    /// The first half of [`Hub::handle_batch`]: handles the batch in one transaction and
    /// applies it, and passes on its chat copies at once (`Effects::early`); its
    /// [`Handled::finish`] waits for the disk and answers. The receive path handles the
    /// next batch meanwhile, so one fsync covers several batches.
    pub async fn apply_batch(&self, batch: Vec<Inbound>) -> Option<Handled> {
        let handled = self.apply_batch_only(batch).await?;
        self.send_early(&handled.fx).await;
        Some(handled)
    }

    async fn apply_batch_only(&self, batch: Vec<Inbound>) -> Option<Handled> {
        let write = self.inner.write.clone().lock_owned().await;
        let bytes: usize = batch.iter().map(|m| m.payload.len()).sum();
        if batch.len() <= SMALL_BATCH_MESSAGES
            && bytes <= SMALL_BATCH_BYTES
            && batch.iter().all(no_photo)
        {
            // A fraction of a millisecond: handed to another thread and back it would wait
            // for two thread switches, longer than it takes (the p99 at low rates).
            let _write = write;
            return self.handle_and_apply(batch.into_iter().map(|m| (m, None)).collect());
        }
        // Handling is plain CPU and disk reads, a few milliseconds for a full batch: it
        // runs off the async threads, so the MQTT driver and everything else keep going.
        let hub = self.clone();
        let handled = tokio::task::spawn_blocking(move || {
            let _write = write;
            hub.handle_and_apply(batch.into_iter().map(|m| (m, None)).collect())
        })
        .await;
        match handled {
            Ok(handled) => handled,
            Err(e) => {
                tracing::error!(error = %e, "the message handler failed; the batch's tablets will send it again");
                None
            }
        }
    }

    /// Handles one message of the heavy lane (a photo, or anything large): decoded,
    /// charged and (a photo) checked on a blocking thread *before* it waits for the write
    /// lock, so other tablets' batches go on meanwhile; then handled and applied alone.
    /// Its answers wait for [`Handled::finish`], as a batch's do.
    pub async fn apply_heavy(&self, inbound: Inbound) -> Option<Handled> {
        let hub = self.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let pre = hub.precheck_inbound(&inbound);
            (inbound, pre)
        })
        .await;
        let (inbound, pre) = match checked {
            Ok(checked) => checked,
            Err(e) => {
                tracing::error!(error = %e, "checking a message failed; its tablet will send it again");
                return None;
            }
        };
        let write = self.inner.write.clone().lock_owned().await;
        let hub = self.clone();
        let handled = tokio::task::spawn_blocking(move || {
            let _write = write;
            hub.handle_and_apply(vec![(inbound, pre)])
        })
        .await;
        let handled = match handled {
            Ok(handled) => handled?,
            Err(e) => {
                tracing::error!(error = %e, "the message handler failed; its tablet will send the message again");
                return None;
            }
        };
        self.send_early(&handled.fx).await;
        Some(handled)
    }

    /// Answers tablets' messages the hub could not take now (its queue for them was
    /// full): `rejected` / `rate_limited` with a time to wait. Nothing is stored, so
    /// nothing waits for the disk.
    pub async fn refuse_for_now(
        &self,
        refusals: impl IntoIterator<Item = (DeviceId, MessageId, u64)>,
    ) {
        let mut fx = Effects::default();
        for (device, id, wait_ms) in refusals {
            let refused = Self::reject(
                &mut fx,
                &device,
                id,
                RejectReason::RateLimited,
                "the hub is busy; send this again later".into(),
                Some(wait_ms),
            );
            if let Err(e) = refused {
                tracing::error!(error = %e, "could not answer a message the hub could not take; its tablet sends it again");
            }
        }
        self.finish_with(fx, false).await;
    }

    /// What can be found out about a tablet's message before its transaction.
    fn precheck_inbound(&self, inbound: &Inbound) -> Option<Prechecked> {
        match Topic::parse(&inbound.topic) {
            Ok(topic @ Topic::DeviceUp(_)) => Some(self.precheck(&topic, &inbound.payload)),
            _ => None,
        }
    }

    /// Decodes a tablet's message, charges it to its tablet's budget and, when it is a
    /// photo within the budget, checks the photo (which decodes every pixel: slow).
    fn precheck(&self, topic: &Topic, payload: &[u8]) -> Prechecked {
        let envelope = match decode(topic, payload) {
            Ok(envelope) => envelope,
            Err(e) => return Prechecked::Refused(e),
        };
        let Topic::DeviceUp(device) = topic else {
            return Prechecked::Fine(envelope);
        };
        let is_ack = matches!(envelope.body, Body::Ack(_));
        if let Err(wait_ms) = self.charge(device, payload.len() as u64, is_ack) {
            return Prechecked::OverBudget(envelope, wait_ms);
        }
        if let Body::Photo(photo) = &envelope.body
            && let Err(e) = crate::photos::check_received(photo)
        {
            return Prechecked::BadPhoto(envelope, e.to_string());
        }
        Prechecked::Fine(envelope)
    }

    fn handle_and_apply(&self, batch: Vec<(Inbound, Option<Prechecked>)>) -> Option<Handled> {
        let mut fx = Effects::default();
        let applied = {
            let mut tx = self.tx();
            let now = clock::now();
            for (inbound, pre) in batch.iter().map(|(m, p)| (m, p.as_ref())) {
                let mut item = Effects::default();
                match self.receive(&mut tx, &mut item, inbound, pre, now) {
                    Ok(()) => {
                        tx.keep_item();
                        fx.extend(item);
                    }
                    Err(e) => {
                        tx.drop_item();
                        tracing::error!(topic = %inbound.topic, error = %e, "could not handle a message; its tablet will send it again");
                    }
                }
            }
            // What the batch's acknowledgements and "seen"s tell their senders, gathered.
            if let Err(e) = self.queue_receipts(&mut tx, &mut fx) {
                tracing::error!(error = %e, "could not queue receipts; the batch is not stored, its tablets will send it again");
                return None;
            }
            match tx.apply() {
                Ok(applied) => applied,
                Err(e) => {
                    tracing::error!(error = %e, messages = batch.len(), "could not store a batch of messages; their tablets will send them again");
                    return None;
                }
            }
        };
        Some(Handled {
            hub: self.clone(),
            applied,
            fx,
            messages: batch.len(),
        })
    }

    fn receive(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        inbound: &Inbound,
        pre: Option<&Prechecked>,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let topic = match Topic::parse(&inbound.topic) {
            Ok(topic) => topic,
            Err(e) => {
                tracing::warn!(error = %e, "message on a topic outside the protocol ignored");
                return Ok(());
            }
        };
        match &topic {
            Topic::EnrolUp(enrolment) => {
                self.on_enrol_message(tx, fx, &topic, enrolment, &inbound.payload, now)
            }
            Topic::DeviceStatus(id) => self.on_status(tx, fx, &topic, id, &inbound.payload, now),
            Topic::DeviceUp(id) => {
                let checked;
                let pre = match pre {
                    Some(pre) => pre,
                    None => {
                        checked = self.precheck(&topic, &inbound.payload);
                        &checked
                    }
                };
                self.on_device_message(tx, fx, id, pre, inbound.payload.len(), now)
            }
            // The hub's own topics come back only if something is misconfigured.
            Topic::DeviceDown(_) | Topic::EnrolDown(_) | Topic::HubStatus => Ok(()),
        }
    }

    fn on_enrol_message(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        topic: &Topic,
        enrolment_id: &EnrolmentId,
        payload: &[u8],
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let envelope = match decode(topic, payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(%enrolment_id, reason = %e, "pairing message refused");
                return Ok(());
            }
        };
        let Body::EnrolHello(hello) = envelope.body else {
            tracing::warn!(%enrolment_id, kind = envelope.body.kind(), "pairing message of an unexpected kind ignored");
            return Ok(());
        };
        if let Some(grant) = tx.get(tables::GRANTS, enrolment_id.as_str())? {
            let device = tx.get(tables::DEVICES, grant.device_id.as_str())?;
            match enrolment::answer_granted(&grant, device.as_ref(), now) {
                GrantAnswer::Quiet => {
                    tracing::info!(%enrolment_id, "hello from a tablet just granted its identity; no answer (it has it)");
                    return Ok(());
                }
                GrantAnswer::Again => {
                    if let Some(device) = device {
                        return self.grant_again(tx, fx, grant, device, now);
                    }
                }
                GrantAnswer::Forget => {}
            }
            // The identity was used, withdrawn or is too old: this tablet pairs afresh.
            tx.remove(tables::GRANTS, enrolment_id.as_str());
        }
        let lifetime = self.config().enrolment.code_lifetime_secs * 1000;
        let reply = super::lock(&self.inner.pairings).hello(
            enrolment_id,
            &hello,
            now,
            lifetime,
            secrets::pairing_code,
        )?;
        let body = match reply {
            HelloReply::Code(code) => Body::PairingCode(code),
            HelloReply::Refused(reason) => {
                tracing::warn!(%enrolment_id, "pairing tablet sends enrol_hello too often");
                Body::EnrolRefused(nabij_protocol::EnrolRefused { reason })
            }
        };
        fx.reply(Topic::EnrolDown(enrolment_id.clone()), body)?;
        Ok(())
    }

    /// A tablet that was granted an identity asks again (it lost the grant before it
    /// stored it): it gets the same device id with a fresh password, whose hash replaces
    /// the old one, since the hub never keeps a password to send twice.
    fn grant_again(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        mut grant: Grant,
        mut device: DeviceRecord,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let password = secrets::device_password()?;
        device.password_hash = secrets::mosquitto_hash(&password)?;
        tables::put_device(tx, &device)?;
        grant.sent_at = now;
        tx.put(tables::GRANTS, grant.enrolment_id.as_str(), &grant)?;
        // The broker learns the new hash before the tablet gets the password (`finish`
        // syncs credentials before it sends replies).
        fx.credentials = true;
        fx.reply(
            Topic::EnrolDown(grant.enrolment_id.clone()),
            Body::EnrolGranted(nabij_protocol::EnrolGranted {
                device_id: device.id.clone(),
                password: nabij_protocol::Secret(password),
            }),
        )?;
        tracing::info!(enrolment_id = %grant.enrolment_id, device = %device.id, "identity sent again with a fresh password");
        Ok(())
    }

    fn on_status(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        topic: &Topic,
        id: &DeviceId,
        payload: &[u8],
        now: UnixMillis,
    ) -> Result<(), AppError> {
        if payload.is_empty() {
            return Ok(()); // a cleared retained status
        }
        let envelope = match decode(topic, payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(device = %id, reason = %e, "status refused");
                return Ok(());
            }
        };
        let Body::Status(status) = envelope.body else {
            return Ok(());
        };
        let Some(mut device) = tx.get(tables::DEVICES, id.as_str())? else {
            return Ok(());
        };
        let Some(change) = device.apply_status(&status, now) else {
            return Ok(());
        };
        tables::put_device(tx, &device)?;
        if !change.online {
            fx.presence.push((id.clone(), false));
            return Ok(());
        }
        if change.first_time {
            // The grant was kept for a tablet that lost its `enrol_granted`; this one used
            // it, so it goes. Its settings and contacts go into its queue.
            tables::forget_grant_of(tx, id)?;
            self.push_config(tx, fx, &device.participant)?;
            self.push_contacts(tx, fx, &device.participant)?;
            self.push_agenda(tx, fx, &device.participant)?;
            self.push_open_prompt(tx, fx, &device.participant)?;
            self.push_open_surveys(tx, fx, &device.participant)?;
            tracing::info!(device = %id, "tablet connected as itself for the first time");
        }
        // A tablet that (re)connected gets its queue from the oldest message. A repeated
        // `online` (battery news) changes nothing, unless the hub itself restarted.
        if !change.was_online || !self.is_connected(id) {
            fx.presence.push((id.clone(), true));
        }
        Ok(())
    }

    pub(crate) fn reject(
        fx: &mut Effects,
        device: &DeviceId,
        id: MessageId,
        reason: RejectReason,
        detail: String,
        retry_after_ms: Option<u64>,
    ) -> Result<(), AppError> {
        fx.reply(
            Topic::DeviceDown(device.clone()),
            Body::Rejected(Rejected {
                id,
                reason,
                detail: Some(detail_for_a_tablet(&detail)),
                retry_after_ms,
            }),
        )?;
        Ok(())
    }

    fn on_device_message(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        id: &DeviceId,
        pre: &Prechecked,
        size: usize,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let envelope = match pre {
            Prechecked::Fine(envelope) => envelope,
            Prechecked::Refused(e) => {
                tracing::warn!(device = %id, reason = %e, "message refused");
                if let Some(message) = e.id.clone() {
                    Self::reject(fx, id, message, e.reject_reason(), e.to_string(), None)?;
                }
                return Ok(());
            }
            Prechecked::OverBudget(envelope, wait_ms) => {
                tracing::warn!(device = %id, kind = envelope.body.kind(), wait_ms, "tablet over its budget; asked to send again later");
                return Self::reject(
                    fx,
                    id,
                    envelope.id.clone(),
                    RejectReason::RateLimited,
                    "this tablet sent too much in a short time".into(),
                    Some(*wait_ms),
                );
            }
            Prechecked::BadPhoto(envelope, why) => {
                tracing::warn!(device = %id, message = %envelope.id, reason = %why, "photo refused");
                return Self::reject(
                    fx,
                    id,
                    envelope.id.clone(),
                    RejectReason::Malformed,
                    why.clone(),
                    None,
                );
            }
        };
        let Some(mut device) = tx
            .get(tables::DEVICES, id.as_str())?
            .filter(|d| d.state.may_connect())
        else {
            tracing::warn!(device = %id, "message from a tablet that is not enrolled refused");
            return Self::reject(
                fx,
                id,
                envelope.id.clone(),
                RejectReason::NotEnrolled,
                "this tablet is not enrolled".into(),
                None,
            );
        };
        if device.touch(now) {
            tables::put_device(tx, &device)?;
        }
        match &envelope.body {
            Body::Ack(Ack { ids }) => self.on_ack(tx, fx, &device, ids, now),
            body if messaging::is_chat(body) => self.on_chat(tx, fx, &device, envelope, size, now),
            Body::Receipt(receipt) => {
                let key = tables::pair_key(id.as_str(), envelope.id.as_str());
                if !tx.contains(tables::SEEN, &key)? && receipt.state == ReceiptState::Seen {
                    // Seen implies delivered: a lost ack must not leave the sender at "sent".
                    self.receipts_for_senders(tx, fx, &receipt.ids, ReceiptState::Delivered, id)?;
                    self.receipts_for_senders(tx, fx, &receipt.ids, ReceiptState::Seen, id)?;
                }
                tx.put(tables::SEEN, &key, &Seen::Handled)?;
                fx.ack(id, &envelope.id);
                Ok(())
            }
            body if messaging::is_report(body) => self.on_report(tx, fx, &device, envelope, now),
            Body::QuestionnaireAnswer(answer) => {
                super::surveys::on_answer(tx, fx, &device, envelope, answer, now)
            }
            Body::Unknown { kind, .. } => {
                tracing::warn!(device = %id, %kind, "message of an unknown kind refused");
                Self::reject(
                    fx,
                    id,
                    envelope.id.clone(),
                    RejectReason::UnknownKind,
                    format!("this hub does not know {kind:?}"),
                    None,
                )
            }
            other => {
                // Not acknowledged on purpose: the tablet keeps it in its outbox, and a hub
                // that handles this kind will take it then. Nothing is lost.
                tracing::info!(device = %id, kind = other.kind(), "message kind not handled by this hub version; left with the tablet");
                Ok(())
            }
        }
    }

    /// A senior's request or answer: kept once (a resend is acknowledged again).
    fn on_report(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        device: &DeviceRecord,
        envelope: &Envelope,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let key = tables::pair_key(device.id.as_str(), envelope.id.as_str());
        if !tx.contains(tables::REPORTS, &key)? {
            let cleaned = match &envelope.body {
                Body::DiaryAnswer(answer) if !answer.people.is_empty() => {
                    Some(named_contacts_only(tx, device, envelope, answer)?)
                }
                _ => None,
            };
            let envelope = cleaned.as_ref().unwrap_or(envelope);
            // When the senior tapped, as their tablet says (it may have been offline), but
            // never later than now.
            let tapped = envelope.ts.min(now);
            let person = &device.participant;
            match &envelope.body {
                Body::Rsvp(rsvp) => super::attendance::keep_rsvp(
                    tx,
                    &rsvp.session_id,
                    person,
                    rsvp.answer,
                    envelope.ts,
                )?,
                Body::CheckIn(check_in) => {
                    super::followup::note_check_in(tx, person, tapped, check_in.mood)?;
                }
                Body::HelpRequest(help) => {
                    super::followup::note_call(tx, person, tapped, help.note.as_deref())?;
                    fx.urgent = true;
                }
                Body::DiaryAnswer(answer) => {
                    super::diary::note_answer(tx, &answer.prompt_id, person, tapped, &key)?;
                }
                _ => {}
            }
            super::followup::note_sent(tx, person, tapped)?;
            let report = Report {
                device: device.id.clone(),
                participant: device.participant.clone(),
                received_at: now,
                envelope: serde_json::to_value(envelope).unwrap_or_default(),
                answered_at: None,
            };
            tx.put(tables::REPORTS, &key, &report)?;
            match &envelope.body {
                Body::HelpRequest(_) => tracing::warn!(
                    participant = %device.participant,
                    device = %device.id,
                    "HELP: the senior asks their coach to call"
                ),
                other => {
                    tracing::info!(participant = %device.participant, kind = other.kind(), "answer kept")
                }
            }
        }
        fx.ack(&device.id, &envelope.id);
        Ok(())
    }

    /// A chat message: checked against the contact rule and the sender's quota, stored,
    /// queued for each of the recipient's tablets, acknowledged.
    fn on_chat(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        sender: &DeviceRecord,
        envelope: &Envelope,
        size: usize,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let key = tables::pair_key(sender.id.as_str(), envelope.id.as_str());
        match tx.get(tables::SEEN, &key)? {
            Some(Seen::Refused { reason, detail }) => {
                tracing::info!(from = %sender.participant, device = %sender.id, id = %envelope.id, %detail, "chat message sent again after its refusal; refused again");
                return Self::reject(fx, &sender.id, envelope.id.clone(), reason, detail, None);
            }
            // A resend of a stored message: acknowledged again, delivered nothing twice.
            Some(_) => {
                fx.ack(&sender.id, &envelope.id);
                return Ok(());
            }
            None => {}
        }
        let stored = tx
            .get(tables::USAGE, sender.id.as_str())?
            .unwrap_or_default()
            .stored_bytes;
        let quota = u64::from(self.config().limits.stored_mb) << 20;
        let over_quota = stored.saturating_add(size as u64) > quota;
        let mut contact_error = None;
        let checked = messaging::check_chat(
            &envelope.body,
            |to| match tables::are_contacts(tx, &sender.participant, to) {
                Ok(yes) => yes,
                Err(e) => {
                    contact_error = Some(e);
                    false
                }
            },
            over_quota,
        );
        if let Some(e) = contact_error {
            return Err(e.into());
        }
        let to = match checked {
            Ok(Some(to)) => to,
            Ok(None) => return Ok(()),
            Err(refusal) => {
                let detail = match refusal {
                    messaging::ChatRefusal::ToGroup => {
                        format!("{} may not write to a whole group", sender.participant)
                    }
                    messaging::ChatRefusal::NotAContact => {
                        "the recipient is not on the contact list of the sender".to_owned()
                    }
                    messaging::ChatRefusal::OverQuota => format!(
                        "this tablet keeps {} MiB of messages at the hub, its limit",
                        stored >> 20
                    ),
                };
                let to = messaging::recipient_of(&envelope.body)
                    .map_or_else(String::new, ToString::to_string);
                tracing::warn!(from = %sender.participant, device = %sender.id, id = %envelope.id, %to, reason = ?refusal, "chat message refused");
                let reason = refusal.reason();
                tx.put(
                    tables::SEEN,
                    &key,
                    &Seen::Refused {
                        reason: reason.clone(),
                        detail: detail.clone(),
                    },
                )?;
                return Self::reject(fx, &sender.id, envelope.id.clone(), reason, detail, None);
            }
        };
        let Some(body) = messaging::delivered_body(&envelope.body, &sender.participant, &to) else {
            return Ok(());
        };
        super::followup::note_sent(tx, &sender.participant, now)?;
        let uid = format!("m-{}", secrets::message_id()?);
        // Copies say when the senior wrote the message (it may have waited offline for
        // days), not when the hub passed it on (docs/protocol.md §3).
        let written = UnixMillis::written_at(envelope.ts, now);
        let mut deliveries = Vec::new();
        for tablet in tables::tablets_of(tx, &to)? {
            let copy = Envelope {
                ts: written,
                ..Envelope::new(
                    messaging::copy_id(&sender.id, &envelope.id, envelope.ts, &tablet.id),
                    Party::Hub,
                    body.clone(),
                )
            };
            tx.put(tables::DELIVERIES, copy.id.as_str(), &uid)?;
            deliveries.push(Delivery {
                device: tablet.id.clone(),
                hub_id: copy.id.clone(),
                state: None,
            });
            self.queue_early(tx, fx, &tablet.id, &copy)?;
        }
        let message = StoredMessage {
            uid: uid.clone(),
            from_device: sender.id.clone(),
            from_person: sender.participant.clone(),
            sender_id: envelope.id.clone(),
            to,
            received_at: now,
            kind: body.kind().to_owned(),
            size: size as u64,
            deliveries,
        };
        let content = Envelope {
            ts: written,
            ..Envelope::new(envelope.id.clone(), Party::Hub, body)
        }
        .to_bytes();
        tables::put_new_message(tx, &message, content)?;
        tables::put_in_coach_inbox(tx, &message)?;
        tables::add_usage(tx, &sender.id, size as i64)?;
        tx.put(tables::SEEN, &key, &Seen::Accepted { uid })?;
        fx.ack(&sender.id, &envelope.id);
        Ok(())
    }

    /// A tablet acknowledged messages the hub sent it: they leave its queue, their senders
    /// hear "delivered", and a confirmed wipe ends the tablet's identity.
    fn on_ack(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        device: &DeviceRecord,
        ids: &[MessageId],
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let removed = tables::ack_outbox(tx, &device.id, ids)?;
        if removed.is_empty() {
            return Ok(());
        }
        let removed_ids: Vec<MessageId> = removed.iter().map(|(id, _)| id.clone()).collect();
        fx.acked
            .entry(device.id.clone())
            .or_default()
            .extend(removed.iter().map(|(_, seq)| *seq));
        self.receipts_for_senders(tx, fx, &removed_ids, ReceiptState::Delivered, &device.id)?;
        let wiped = device
            .wipe_message
            .as_ref()
            .is_some_and(|w| removed_ids.contains(w));
        if wiped {
            let mut device = tx
                .get(tables::DEVICES, device.id.as_str())?
                .unwrap_or_else(|| device.clone());
            device.state = crate::domain::devices::DeviceState::Wiped;
            device.wipe_message = None;
            device.online = false;
            tables::put_device(tx, &device)?;
            tables::clear_outbox(tx, &device.id)?;
            super::devices::close_loan(tx, &device.id, now, "wiped")?;
            fx.credentials = true;
            fx.presence.push((device.id.clone(), false));
            fx.clear_status.push(device.id.clone());
            tracing::info!(device = %device.id, "tablet wiped itself; its credential goes");
        }
        Ok(())
    }
}

/// Whether a glance shows a message is no photo (or is not a tablet's message at all): a
/// photo is checked pixel by pixel, never on an async thread.
fn no_photo(inbound: &Inbound) -> bool {
    !inbound.topic.ends_with("/up")
        || nabij_protocol::glance(&inbound.payload)
            .kind
            .is_some_and(|kind| kind != "photo")
}

/// A diary answer names only the senior's contacts: anyone else (a contact removed since
/// the tablet offered them) is left out.
fn named_contacts_only(
    tx: &Tx,
    device: &DeviceRecord,
    envelope: &Envelope,
    answer: &nabij_protocol::DiaryAnswer,
) -> Result<Envelope, AppError> {
    let mut kept = Vec::new();
    for person in &answer.people {
        if tables::are_contacts(tx, &device.participant, person)? && !kept.contains(person) {
            kept.push(person.clone());
        } else {
            tracing::info!(participant = %device.participant, named = %person, "a diary answer named someone who is not a contact (or twice); left out");
        }
    }
    Ok(Envelope {
        body: Body::DiaryAnswer(nabij_protocol::DiaryAnswer {
            people: kept,
            ..answer.clone()
        }),
        ..envelope.clone()
    })
}

/// A refusal's words as the protocol lets a tablet receive them: the decoder's message
/// quotes what it refused (an unknown value, control characters and all, at any length),
/// and a `rejected` the tablet refused in turn would leave its message in its outbox, sent
/// again for ever. Control characters become U+FFFD; a long text is cut.
fn detail_for_a_tablet(detail: &str) -> String {
    let max = nabij_protocol::limits::MAX_TEXT_CHARS;
    let mut clean: String = detail
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .take(max)
        .collect();
    if detail.chars().nth(max).is_some() {
        clean.pop();
        clean.push('…');
    }
    clean
}

#[cfg(test)]
mod tests {
    use crate::app::testing::{
        Counting, Recorder, acked_ids, hub, hub_over, hub_with, message_id, status, tablet,
        take_everything, text, up,
    };
    use crate::app::{Hub, Inbound, tables};
    use crate::config::HubConfig;
    use crate::domain::delivery::WINDOW_MESSAGES;
    use nabij_protocol::{
        Ack, Body, DeviceId, Envelope, MessageId, Party, PersonId, RejectReason, Topic,
    };
    use std::sync::Arc;

    fn down(device: &DeviceId) -> Topic {
        Topic::DeviceDown(device.clone())
    }

    #[tokio::test]
    async fn a_refusal_that_quotes_control_characters_or_a_long_text_still_reaches_the_tablet() {
        // Found by the hub_inbound fuzz target: the decoder's message quoted an unknown
        // answer as sent, and the tablet refused the `rejected` that carried it (its
        // `detail` broke the protocol's rule for texts), so it would send again for ever.
        let (hub, out) = hub();
        let (_, device) = tablet(&hub, "Jan").await;
        let long = "x".repeat(3_000);
        for (id, answer) in [("bad-answer-0001", "ye\u{1}s"), ("bad-answer-0002", &long)] {
            let payload = format!(
                r#"{{"v":1,"id":"{id}","from":"{device}","ts":1,"kind":"rsvp","body":{{"session_id":"s-oostende-oost-w03","answer":{}}}}}"#,
                serde_json::to_string(answer).unwrap()
            );
            hub.handle_batch(vec![Inbound {
                topic: Topic::DeviceUp(device.clone()).to_string(),
                payload: payload.into_bytes(),
            }])
            .await;
            // `take` keeps only what decodes as the tablet decodes it.
            let rejected: Vec<_> = out
                .take(&down(&device))
                .into_iter()
                .filter_map(|e| match e.body {
                    Body::Rejected(r) => Some(r),
                    _ => None,
                })
                .collect();
            assert_eq!(rejected.len(), 1, "{id}: the tablet hears of the refusal");
            assert_eq!(rejected[0].id.as_str(), id);
            assert_eq!(rejected[0].reason, RejectReason::Malformed);
        }
    }

    /// Two contacts with tablets: Jan and Anna, both connected, their new contact lists
    /// received and acknowledged.
    async fn pair(hub: &Hub, out: &Recorder) -> ((PersonId, DeviceId), (PersonId, DeviceId)) {
        let jan = tablet(hub, "Jan").await;
        let anna = tablet(hub, "Anna").await;
        hub.approve_contacts(&jan.0, &anna.0).await.unwrap();
        hub.handle_batch(vec![status(&jan.1, true), status(&anna.1, true)])
            .await;
        for device in [&jan.1, &anna.1] {
            let taken = take_everything(hub, out, device).await;
            assert_eq!(taken, 1, "the new contact list");
        }
        assert_eq!(hub.queued_for(&anna.1).unwrap(), 0);
        (jan, anna)
    }

    fn texts(envelopes: &[Envelope]) -> Vec<&Envelope> {
        envelopes
            .iter()
            .filter(|e| matches!(e.body, Body::Text(_)))
            .collect()
    }

    #[tokio::test]
    async fn a_batch_is_stored_then_each_tablet_gets_one_ack_and_its_copies() {
        let (hub, out) = hub();
        let ((_, jan), (anna_id, anna)) = pair(&hub, &out).await;
        out.take(&down(&anna));
        let sent: Vec<_> = (0..3)
            .map(|n| up(&jan, text(&anna_id, &format!("{n}"))))
            .collect();
        let ids: Vec<_> = sent.iter().map(|(_, id)| id.clone()).collect();
        hub.handle_batch(sent.into_iter().map(|(m, _)| m).collect())
            .await;

        let to_jan = out.take(&down(&jan));
        let acks: Vec<_> = to_jan
            .iter()
            .filter(|e| matches!(e.body, Body::Ack(_)))
            .collect();
        assert_eq!(acks.len(), 1, "one ack for the batch");
        assert_eq!(acked_ids(&to_jan), ids);
        assert_eq!(texts(&out.take(&down(&anna))).len(), 3);
        assert_eq!(hub.counts().unwrap().messages, 3);
    }

    #[tokio::test]
    async fn a_copy_goes_out_once_applied_and_the_ack_only_once_stored() {
        // The recipient may have the copy before the hub's commit is durable; the sender
        // hears "stored" only after it, and the copy does not go a second time.
        let (hub, out) = hub();
        let ((_, jan), (anna_id, anna)) = pair(&hub, &out).await;
        out.take(&down(&anna));
        let (first, first_id) = up(&jan, text(&anna_id, "one"));
        let one = hub.apply_batch(vec![first]).await.expect("applied");
        let copies = out.take(&down(&anna));
        assert_eq!(texts(&copies).len(), 1, "the copy went at once");
        assert!(out.take(&down(&jan)).is_empty(), "no ack before the commit");
        one.finish().await;
        assert_eq!(acked_ids(&out.take(&down(&jan))), [first_id]);
        assert!(texts(&out.take(&down(&anna))).is_empty(), "sent once");
    }

    #[tokio::test]
    async fn acknowledgements_alone_do_not_wait_for_the_disk_and_receipts_keep_their_turn() {
        // Anna's ack, lost in a crash, would bring her copy again (same id) and her ack
        // again: it need not be durable before Jan hears "delivered". That receipt still
        // goes in the finisher's turn, after the answers of earlier batches.
        let storage = Arc::new(Counting::default());
        let (hub, out) = hub_over(HubConfig::default(), storage.clone());
        let ((_, jan), (anna_id, anna)) = pair(&hub, &out).await;
        let before = storage.syncs();
        hub.handle_batch(vec![up(&jan, text(&anna_id, "one")).0])
            .await;
        assert_eq!(
            storage.syncs(),
            before + 1,
            "a message waits for its commit"
        );
        out.take(&down(&jan));
        let ids = texts(&out.take(&down(&anna)))
            .iter()
            .map(|e| e.id.clone())
            .collect();
        let acked = hub
            .apply_batch(vec![up(&anna, Body::Ack(Ack { ids })).0])
            .await
            .expect("applied");
        assert!(out.take(&down(&jan)).is_empty(), "not before its turn");
        acked.finish().await;
        assert_eq!(storage.syncs(), before + 1, "the ack did not wait for one");
        let receipts = out.take(&down(&jan));
        assert!(
            receipts.iter().any(|e| matches!(e.body, Body::Receipt(_))),
            "the receipt in its turn: {receipts:?}"
        );
        hub.delivery_tick().await;
        assert_eq!(storage.syncs(), before + 2, "the tick makes it durable");
    }

    #[tokio::test]
    async fn a_call_for_help_is_urgent_and_a_chat_message_is_not() {
        let (hub, out) = hub();
        let ((_, jan), (anna_id, _)) = pair(&hub, &out).await;
        let chat = hub
            .apply_batch(vec![up(&jan, text(&anna_id, "tot straks")).0])
            .await
            .expect("applied");
        assert!(!chat.urgent(), "a chat message waits for the pace");
        chat.finish().await;
        let help = hub
            .apply_batch(vec![
                up(
                    &jan,
                    Body::HelpRequest(nabij_protocol::HelpRequest { note: None }),
                )
                .0,
            ])
            .await
            .expect("applied");
        assert!(help.urgent(), "a call for help is committed at once");
        help.finish().await;
    }

    #[tokio::test]
    async fn the_same_message_makes_the_same_copy_after_a_crash_lost_it() {
        // A hub that passed a copy on and crashed before storing the message makes the
        // copy again when the sender sends it again: under the same id, so the recipient's
        // tablet keeps it once. Two hubs with the same people stand for before and after.
        let copy_of = async |id: &MessageId| {
            let (hub, out) = hub();
            let ((_, jan), (anna_id, anna)) = pair(&hub, &out).await;
            out.take(&down(&anna));
            // Sent again from the tablet's outbox: the same bytes, its time too.
            let mut envelope = Envelope::new(
                id.clone(),
                Party::Device(jan.clone()),
                text(&anna_id, "tot straks"),
            );
            envelope.ts = nabij_protocol::UnixMillis(1_795_000_000_000);
            let inbound = Inbound {
                topic: Topic::DeviceUp(jan).to_string(),
                payload: envelope.to_bytes(),
            };
            hub.handle_batch(vec![inbound]).await;
            texts(&out.take(&down(&anna)))[0].id.clone()
        };
        let id = message_id();
        let before = copy_of(&id).await;
        assert_eq!(copy_of(&id).await, before);
        assert_ne!(
            copy_of(&message_id()).await,
            before,
            "another message, another id"
        );
    }

    #[tokio::test]
    async fn a_sender_gets_one_receipt_for_everything_a_batch_delivered() {
        let (hub, out) = hub();
        let ((_, jan), (anna_id, anna)) = pair(&hub, &out).await;
        let (batch, ids): (Vec<_>, Vec<_>) = (0..3)
            .map(|n| up(&jan, text(&anna_id, &format!("{n}"))))
            .unzip();
        hub.handle_batch(batch).await;
        out.take(&down(&jan));
        let copies: Vec<_> = texts(&out.take(&down(&anna)))
            .iter()
            .map(|e| e.id.clone())
            .collect();
        hub.handle_batch(vec![up(&anna, Body::Ack(Ack { ids: copies })).0])
            .await;
        let receipts: Vec<_> = out
            .take(&down(&jan))
            .into_iter()
            .filter_map(|e| match e.body {
                Body::Receipt(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(receipts.len(), 1, "one receipt for the three");
        assert_eq!(receipts[0].ids, ids);
        assert_eq!(receipts[0].state, nabij_protocol::ReceiptState::Delivered);
        assert_eq!(receipts[0].by, Some(anna_id));
    }

    #[tokio::test]
    async fn the_work_for_a_message_does_not_grow_with_the_number_of_tablets() {
        // Reads while handling one chat message and its delivery, with `others` more
        // tablets enrolled: the same, whatever `others` is.
        async fn reads_for_one_message(others: usize) -> u64 {
            let storage = std::sync::Arc::new(crate::app::testing::Counting::default());
            let (hub, out) = hub_over(HubConfig::default(), storage.clone());
            for n in 0..others {
                let (_, device) = tablet(&hub, &format!("Other{n}")).await;
                hub.handle_batch(vec![status(&device, true)]).await;
            }
            let ((_, jan), (anna_id, anna)) = pair(&hub, &out).await;
            let before = storage.reads();
            hub.handle_batch(vec![up(&jan, text(&anna_id, "Dag")).0])
                .await;
            let copy = texts(&out.take(&down(&anna)))[0].id.clone();
            hub.handle_batch(vec![up(&anna, Body::Ack(Ack { ids: vec![copy] })).0])
                .await;
            storage.reads() - before
        }
        let few = reads_for_one_message(3).await;
        let many = reads_for_one_message(60).await;
        assert!(few > 0);
        assert_eq!(
            few, many,
            "reads per message with 3 and with 60 other tablets"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_tablet_over_its_budget_is_asked_to_wait_and_others_go_on() {
        let mut config = HubConfig::default();
        config.limits.burst_messages = 2;
        config.limits.messages_per_minute = 60;
        let (hub, out) = hub_with(config);
        let ((jan_id, jan), (anna_id, anna)) = pair(&hub, &out).await;
        let (batch, ids): (Vec<_>, Vec<_>) = (0..3)
            .map(|n| up(&jan, text(&anna_id, &format!("{n}"))))
            .unzip();
        let (from_anna, anna_msg) = up(&anna, text(&jan_id, "Dag"));
        hub.handle_batch(batch.into_iter().chain([from_anna.clone()]).collect())
            .await;

        let to_jan = out.take(&down(&jan));
        assert_eq!(acked_ids(&to_jan), ids[..2]);
        let deferred: Vec<_> = to_jan
            .iter()
            .filter_map(|e| match &e.body {
                Body::Rejected(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(deferred.len(), 1);
        assert_eq!(
            (&deferred[0].id, &deferred[0].reason, deferred[0].is_final()),
            (&ids[2], &RejectReason::RateLimited, false)
        );
        let wait = deferred[0].retry_after_ms.expect("says how long to wait");
        assert!(
            (900..=1_000).contains(&wait),
            "one message a second: {wait} ms"
        );
        assert_eq!(
            acked_ids(&out.take(&down(&anna))),
            [anna_msg],
            "Anna is not held up"
        );

        // A second later there is room again.
        tokio::time::advance(std::time::Duration::from_millis(wait)).await;
        let (again, id) = up(&jan, text(&anna_id, "nog eens"));
        hub.handle_batch(vec![again]).await;
        assert_eq!(acked_ids(&out.take(&down(&jan))), [id]);
    }

    #[tokio::test]
    async fn a_tablet_over_its_stored_quota_is_refused_for_good() {
        let mut config = HubConfig::default();
        config.limits.stored_mb = 2;
        config.limits.burst_mb = 64;
        let (hub, out) = hub_with(config);
        let ((_, jan), (anna_id, _)) = pair(&hub, &out).await;
        // Voice notes of the largest size: three fit in 2 MiB, the fourth does not.
        let note = || {
            Body::Voice(nabij_protocol::VoiceNote {
                to: nabij_protocol::Recipient::Person(anna_id.clone()),
                author: None,
                audio: nabij_protocol::Audio {
                    codec: nabij_protocol::AudioCodec::OggOpus,
                    duration_ms: 120_000,
                    data: nabij_protocol::base64::Base64Bytes(vec![0xff; 393_216]),
                },
            })
        };
        let sent: Vec<_> = (0..4).map(|_| up(&jan, note())).collect();
        hub.handle_batch(sent.iter().map(|(m, _)| m.clone()).collect())
            .await;
        let to_jan = out.take(&down(&jan));
        assert_eq!(
            acked_ids(&to_jan),
            sent[..3]
                .iter()
                .map(|(_, id)| id.clone())
                .collect::<Vec<_>>()
        );
        let refused = to_jan.iter().find_map(|e| match &e.body {
            Body::Rejected(r) => Some(r.clone()),
            _ => None,
        });
        let refused = refused.expect("the fourth is refused");
        assert_eq!(
            (&refused.id, &refused.reason),
            (&sent[3].1, &RejectReason::QuotaExceeded)
        );
        assert!(refused.is_final());
        // A resend gets the same answer (it was remembered), and nothing is stored twice.
        hub.handle_batch(vec![sent[3].0.clone()]).await;
        assert!(out.take(&down(&jan)).iter().any(
            |e| matches!(&e.body, Body::Rejected(r) if r.reason == RejectReason::QuotaExceeded)
        ));
        assert_eq!(hub.counts().unwrap().messages, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_backlog_goes_out_a_window_at_a_time_and_again_when_nothing_moves() {
        let (hub, out) = hub();
        let ((_, jan), (anna_id, anna)) = pair(&hub, &out).await;
        hub.handle_batch(vec![status(&anna, false)]).await;
        out.take(&down(&anna));
        let batch: Vec<_> = (0..30)
            .map(|n| up(&jan, text(&anna_id, &format!("{n}"))).0)
            .collect();
        hub.handle_batch(batch).await;
        assert!(texts(&out.take(&down(&anna))).is_empty(), "Anna is offline");

        hub.handle_batch(vec![status(&anna, true)]).await;
        let first = out.take(&down(&anna));
        assert_eq!(texts(&first).len(), WINDOW_MESSAGES);
        let ack = |envelopes: &[Envelope], n: usize| {
            let ids = texts(envelopes)
                .iter()
                .take(n)
                .map(|e| e.id.clone())
                .collect();
            up(&anna, Body::Ack(Ack { ids })).0
        };
        hub.handle_batch(vec![ack(&first, 5)]).await;
        let more = out.take(&down(&anna));
        assert_eq!(texts(&more).len(), 5, "five acknowledged, five more go");

        // No ack for a minute: the window starts again from the oldest unacknowledged.
        hub.delivery_tick().await;
        assert!(texts(&out.take(&down(&anna))).is_empty(), "not yet");
        tokio::time::advance(std::time::Duration::from_secs(61)).await;
        hub.delivery_tick().await;
        let again = out.take(&down(&anna));
        assert_eq!(texts(&again).len(), WINDOW_MESSAGES);
        assert_eq!(texts(&again)[0].id, texts(&first)[5].id);
        assert_eq!(hub.queued_for(&anna).unwrap(), 25);
    }

    #[tokio::test]
    async fn after_a_restart_a_tablet_still_marked_online_gets_its_queue_at_once() {
        let (hub, first) = hub();
        let ((_, jan), (anna_id, anna)) = pair(&hub, &first).await;
        hub.handle_batch(vec![up(&jan, text(&anna_id, "Dag")).0])
            .await;
        // The hub stops without hearing Anna go; a new hub starts over the same store
        // and the broker replays her retained `online`.
        let (restarted, out) = hub_over(HubConfig::default(), hub.storage());
        assert!(
            restarted.device(&anna).unwrap().online,
            "still marked online"
        );
        restarted.handle_batch(vec![status(&anna, true)]).await;
        assert_eq!(texts(&out.take(&down(&anna))).len(), 1);
        // The same after the hub's broker connection came back.
        restarted.broker_reconnected();
        restarted.handle_batch(vec![status(&anna, true)]).await;
        assert_eq!(texts(&out.take(&down(&anna))).len(), 1);
        // But a repeated `online` (battery news) sends nothing again.
        restarted.handle_batch(vec![status(&anna, true)]).await;
        assert!(texts(&out.take(&down(&anna))).is_empty());
    }

    #[tokio::test]
    async fn a_confirmed_wipe_takes_the_tablet_off_the_broker() {
        let (hub, out) = hub();
        let ((_, jan), (_, anna)) = pair(&hub, &out).await;
        hub.wipe(&anna).await.unwrap();
        let wipe = out
            .take(&down(&anna))
            .into_iter()
            .find(|e| matches!(e.body, Body::Wipe(_)))
            .expect("the wipe went out at once");
        hub.handle_batch(vec![up(&anna, Body::Ack(Ack { ids: vec![wipe.id] })).0])
            .await;
        let allowed = out.allowed().expect("the broker was told");
        assert_eq!(allowed, [jan]);
        assert_eq!(
            hub.device(&anna).unwrap().state,
            crate::domain::devices::DeviceState::Wiped
        );
        assert_eq!(
            out.take(&Topic::DeviceStatus(anna.clone())).len(),
            0,
            "its retained status is cleared (an empty payload, not an envelope)"
        );
    }

    #[tokio::test]
    async fn a_first_connection_gets_settings_and_contacts_and_its_pairing_is_forgotten() {
        let (hub, out) = hub();
        let (_, anna) = tablet(&hub, "Anna").await;
        let mut tx = hub.tx();
        let mut record = tx.get(tables::DEVICES, anna.as_str()).unwrap().unwrap();
        record.connected_once = false;
        tables::put_device(&mut tx, &record).unwrap();
        tx.commit().await.unwrap();
        hub.handle_batch(vec![status(&anna, true)]).await;
        let kinds: Vec<String> = out
            .take(&down(&anna))
            .iter()
            .map(|e| e.body.kind().to_owned())
            .collect();
        assert_eq!(kinds, ["config", "contacts"]);
    }

    #[tokio::test]
    async fn retention_forgets_old_content_but_keeps_who_wrote_to_whom() {
        let (hub, out) = hub();
        let ((_, jan), (anna_id, anna)) = pair(&hub, &out).await;
        hub.handle_batch(vec![status(&anna, false)]).await;
        hub.handle_batch(vec![up(&jan, text(&anna_id, "Dag")).0])
            .await;
        hub.set_language(&anna_id, nabij_protocol::Language::Fr)
            .await
            .unwrap();
        assert_eq!(hub.queued_for(&anna).unwrap(), 2);
        let tx = hub.tx();
        assert!(
            tx.get(tables::USAGE, jan.as_str())
                .unwrap()
                .unwrap()
                .stored_bytes
                > 0
        );

        let future = nabij_protocol::UnixMillis(crate::clock::now().0 + 1);
        let swept = hub.sweep_before(future).await.unwrap();
        assert_eq!((swept.messages, swept.queued), (1, 1));
        let tx = hub.tx();
        let messages = tx.all(tables::MESSAGES).unwrap();
        assert_eq!(messages[0].from_device, jan, "who wrote stays");
        let content = tx
            .get_raw(tables::MESSAGE_BODIES, messages[0].uid.as_bytes())
            .unwrap();
        assert!(content.is_none(), "the words are gone");
        assert_eq!(
            tx.get(tables::USAGE, jan.as_str())
                .unwrap()
                .unwrap()
                .stored_bytes,
            0
        );
        assert_eq!(
            hub.queued_for(&anna).unwrap(),
            1,
            "the settings still wait for Anna"
        );
        hub.handle_batch(vec![status(&anna, true)]).await;
        let kinds: Vec<String> = out
            .take(&down(&anna))
            .iter()
            .map(|e| e.body.kind().to_owned())
            .collect();
        assert_eq!(kinds, ["config"]);
        assert_eq!(
            hub.sweep_before(future).await.unwrap(),
            Default::default(),
            "once"
        );
    }
}
