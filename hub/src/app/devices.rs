//! Tablets: pairing one with a participant, listing them, switching one off, wiping one,
//! taking one back, and the loan register.

use super::people::participant;
use super::{
    AppError, DeviceRow, Effects, EnrolSummary, Hub, KioskSettings, hub_envelope, lock, tables,
};
use crate::clock;
use crate::domain::devices::{DeviceRecord, DeviceState};
use crate::domain::enrolment::{self, CodeError, Grant};
use crate::domain::loans::{Condition, Loan};
use crate::secrets;
use crate::store::Tx;
use nabij_protocol::{
    Body, DeviceId, Empty, EnrolGranted, GroupId, PersonId, Secret, Topic, UnixMillis,
};

fn device(tx: &Tx, id: &DeviceId) -> Result<DeviceRecord, AppError> {
    tx.get(tables::DEVICES, id.as_str())?
        .ok_or_else(|| AppError::NoDevice(id.to_string()))
}

/// Opens a loan.
fn open_loan(
    tx: &mut Tx,
    tablet: &str,
    device: &DeviceId,
    participant: &PersonId,
    now: UnixMillis,
) -> Result<(), AppError> {
    let loan = Loan {
        number: tx.next_id()?,
        tablet: tablet.to_owned(),
        device: device.clone(),
        participant: participant.clone(),
        lent_at: now,
        returned_at: None,
        condition: None,
        note: None,
    };
    tx.put(tables::LOANS, tables::loan_key(loan.number), &loan)?;
    Ok(())
}

/// Closes the open loan of a device, if there is one.
pub(crate) fn close_loan(
    tx: &mut Tx,
    device: &DeviceId,
    now: UnixMillis,
    note: &str,
) -> Result<(), AppError> {
    for mut loan in tx.all(tables::LOANS)? {
        if &loan.device == device && loan.is_open() {
            loan.close(now, None, Some(note.to_owned()));
            tx.put(tables::LOANS, tables::loan_key(loan.number), &loan)?;
        }
    }
    Ok(())
}

impl Hub {
    /// A coach entered the pairing code a tablet shows, for a participant (and puts them
    /// in `group`): the tablet gets its identity, the broker its credential, the loan
    /// register a new loan. `who` is who typed the code (an account's name, or the
    /// command line): each has their own count of wrong codes.
    pub async fn enrol(
        &self,
        code: &str,
        participant_id: &PersonId,
        group: Option<&GroupId>,
        who: &str,
    ) -> Result<EnrolSummary, AppError> {
        let (enrolment_id, granted, person) = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let now = clock::now();
            // Check the participant and group before anything is made, so a typo changes nothing.
            let mut person = participant(&tx, participant_id)?;
            if let Some(group) = group {
                let group = super::people::find_group_in(&tx, group.as_str())?.id;
                if person.group.as_ref() != Some(&group) {
                    super::people::join(&mut tx, &person.id, &group, now)?;
                    person.group = Some(group);
                }
            }
            let pairing = self.pairing_for_code(code, who, now)?;
            let device_id = secrets::device_id()?;
            let password = secrets::device_password()?;
            let record = enrolment::new_device(
                &pairing,
                device_id.clone(),
                person.id.clone(),
                secrets::mosquitto_hash(&password)?,
                now,
            );
            // A tablet lent before and not returned through `device return` (say, it was
            // re-paired after a reset): its earlier loan ends here.
            for old in tx.all(tables::DEVICES)? {
                if old.tablet == record.tablet && old.id != device_id {
                    close_loan(&mut tx, &old.id, now, "re-enrolled")?;
                }
            }
            tables::put_device(&mut tx, &record)?;
            open_loan(&mut tx, &record.tablet, &device_id, &person.id, now)?;
            // Kept without the password: a tablet that asks again gets a fresh one.
            let grant = Grant {
                enrolment_id: pairing.enrolment_id.clone(),
                device_id: device_id.clone(),
                granted_at: now,
                sent_at: now,
            };
            tx.put(tables::GRANTS, grant.enrolment_id.as_str(), &grant)?;
            tx.put(tables::PEOPLE, person.id.as_str(), &person)?;
            tx.commit().await?;
            // Still under the write lock, which every hello also takes: no hello comes
            // between the grant and the pairing's end.
            lock(&self.inner.pairings).remove(&pairing.enrolment_id);
            let granted = EnrolGranted {
                device_id,
                password: Secret(password),
            };
            (pairing.enrolment_id, granted, person)
        };
        // The broker must know the credential before the tablet gets it.
        self.sync_credentials().await?;
        let device = granted.device_id.clone();
        let reply = hub_envelope(Body::EnrolGranted(granted))?;
        self.publish(Topic::EnrolDown(enrolment_id), &reply).await?;
        tracing::info!(%device, participant = %person.id, "tablet enrolled");
        Ok(EnrolSummary {
            device,
            participant: person,
        })
    }

    /// The waiting pairing that shows `code`, counting `who`'s wrong codes against
    /// guessing.
    fn pairing_for_code(
        &self,
        code: &str,
        who: &str,
        now: UnixMillis,
    ) -> Result<enrolment::Pairing, AppError> {
        let mut limiter = lock(&self.inner.limiter);
        if limiter.blocked(who, now) {
            tracing::warn!(%who, "pairing code not checked: too many wrong codes in a minute");
            return Err(CodeError::TooManyWrong.into());
        }
        let code = enrolment::normalise_code(code);
        let mut pairings = lock(&self.inner.pairings);
        // A pairing whose tablet went quiet is not there to take its identity.
        pairings.forget_quiet(now);
        let found = if enrolment::is_well_formed(&code) {
            pairings.with_code(&code).cloned()
        } else {
            None
        };
        let Some(pairing) = found else {
            limiter.record_wrong(who, now);
            tracing::warn!(%code, %who, "a coach entered a code no tablet shows");
            return Err(CodeError::Unknown(code).into());
        };
        if !pairing.is_waiting(now) {
            return Err(CodeError::Expired(code).into());
        }
        Ok(pairing)
    }

    /// Forgets what pairing no longer needs: tablets gone quiet (memory) and grants
    /// whose tablet never connected within `GRANT_LIFETIME_MS` (disk). Run every minute.
    pub async fn forget_stale_pairings(&self) -> Result<(), AppError> {
        let _write = self.inner.write.lock().await;
        let now = clock::now();
        let quiet = lock(&self.inner.pairings).forget_quiet(now);
        let mut tx = self.tx();
        let mut expired = 0;
        for (k, grant) in tx.entries(tables::GRANTS)? {
            if grant.expired(now) {
                tx.remove(tables::GRANTS, k);
                expired += 1;
            }
        }
        if expired > 0 {
            tx.commit().await?;
        }
        if quiet + expired > 0 {
            tracing::info!(
                quiet,
                expired,
                "pairing tablets gone quiet and unused grants forgotten"
            );
        }
        Ok(())
    }

    /// How many tablets are pairing now (present and waiting for a coach).
    pub fn pairing_now(&self) -> usize {
        let mut pairings = lock(&self.inner.pairings);
        pairings.forget_quiet(clock::now());
        pairings.len()
    }

    /// One tablet.
    pub fn device(&self, id: &DeviceId) -> Result<DeviceRecord, AppError> {
        device(&self.tx(), id)
    }

    /// How much the hub holds.
    pub fn counts(&self) -> Result<super::Counts, AppError> {
        let tx = self.tx();
        Ok(super::Counts {
            devices: tx.count(tables::DEVICES)?,
            pairings: self.pairing_now() + tx.count(tables::GRANTS)?,
            people: tx.count(tables::PEOPLE)?,
            messages: tx.count(tables::MESSAGES)?,
        })
    }

    /// After how many days without a word a tablet counts as silent.
    pub fn silent_after_days(&self) -> u32 {
        self.config().health.silent_after_days
    }

    /// Every tablet (or only the silent ones), newest first.
    pub fn devices(&self, silent_only: bool) -> Result<Vec<DeviceRow>, AppError> {
        let tx = self.tx();
        let now = clock::now();
        let days = self.silent_after_days();
        let mut rows = Vec::new();
        for device in tx.all(tables::DEVICES)? {
            let silent = device.is_silent(now, days);
            if silent_only && !silent {
                continue;
            }
            let participant_name = crate::domain::people::shown_name(
                &device.participant,
                tx.get(tables::PEOPLE, device.participant.as_str())?
                    .as_ref(),
            );
            rows.push(DeviceRow {
                device,
                participant_name,
                silent,
            });
        }
        rows.sort_by_key(|row| std::cmp::Reverse(row.device.enrolled_at));
        Ok(rows)
    }

    /// Switches a tablet off: it hears why, then its credential goes and its connection
    /// is cut at once.
    pub async fn revoke(&self, id: &DeviceId) -> Result<DeviceRecord, AppError> {
        let device = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let mut device = device(&tx, id)?;
            if device.state == DeviceState::Revoked {
                return Ok(device);
            }
            device.state = DeviceState::Revoked;
            device.online = false;
            device.wipe_message = None;
            tables::put_device(&mut tx, &device)?;
            tables::clear_outbox(&mut tx, id)?;
            tx.commit().await?;
            device
        };
        lock(&self.inner.windows).remove(id);
        // Tell the tablet first, best effort: it also learns it from the refused log-in.
        let notice = hub_envelope(Body::Revoked(Empty {}))?;
        self.publish(Topic::DeviceDown(id.clone()), &notice).await?;
        if let Err(e) = self.inner.parts.outlet.settled().await {
            tracing::warn!(error = %e, "could not confirm the revoked notice was passed on; cutting off anyway");
        }
        let mut fx = Effects {
            credentials: true,
            ..Effects::default()
        };
        fx.clear_status.push(id.clone());
        self.finish_or_fail(fx, true).await?;
        tracing::info!(device = %id, "tablet revoked");
        Ok(device)
    }

    /// Tells a tablet to erase itself and return to pairing; its credential goes once it
    /// confirms. What was still queued for it goes first: it would be erased anyway.
    pub async fn wipe(&self, id: &DeviceId) -> Result<DeviceRecord, AppError> {
        let mut fx = Effects::default();
        let device = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let mut device = device(&tx, id)?;
            match device.state {
                DeviceState::Active => {}
                DeviceState::WipePending => return Ok(device),
                state => {
                    return Err(AppError::WrongState {
                        device: id.clone(),
                        state,
                    });
                }
            }
            let wipe = hub_envelope(Body::Wipe(Empty {}))?;
            device.state = DeviceState::WipePending;
            device.wipe_message = Some(wipe.id.clone());
            tables::put_device(&mut tx, &device)?;
            tables::clear_outbox(&mut tx, id)?;
            self.queue(&mut tx, &mut fx, id, &wipe)?;
            tx.commit().await?;
            device
        };
        // The window may hold messages that are no longer queued: start it afresh.
        if self.is_connected(id) {
            fx.presence.push((id.clone(), true));
        }
        self.finish(fx).await;
        tracing::info!(device = %id, "wipe requested");
        Ok(device)
    }

    /// A tablet came back: record its condition, close the loan, and switch it off at
    /// once, whatever its condition: its credential goes and its connection is cut, so
    /// nothing more for its senior reaches it. The coach holding it erases it from its
    /// coach settings ("Erase this tablet"), and it pairs again as a fresh tablet. (A
    /// wipe over the network would keep the credential working until the tablet
    /// answers, which a tablet in a drawer never does.)
    pub async fn return_device(
        &self,
        id: &DeviceId,
        condition: Condition,
        note: Option<String>,
    ) -> Result<Option<Loan>, AppError> {
        let (loan, state) = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let device = device(&tx, id)?;
            let latest = tx
                .all(tables::LOANS)?
                .into_iter()
                .filter(|l| &l.device == id)
                .max_by_key(|l| l.lent_at);
            let loan = match latest {
                Some(mut loan) => {
                    loan.record_return(clock::now(), condition, note);
                    tx.put(tables::LOANS, tables::loan_key(loan.number), &loan)?;
                    Some(loan)
                }
                None => None,
            };
            tx.commit().await?;
            (loan, device.state)
        };
        if state.may_connect() {
            self.revoke(id).await?;
        }
        Ok(loan)
    }

    /// A coach sets the PIN that opens this tablet's coach settings (four digits, not
    /// one too easy to guess, not the hub's shared one). The tablet gets it as a salted
    /// hash in its queue (docs/protocol.md §6.24); the hub keeps only when it was set.
    /// Only a tablet in use takes one.
    pub async fn set_coach_pin(
        &self,
        id: &DeviceId,
        typed: &str,
    ) -> Result<DeviceRecord, AppError> {
        let shared = secrets::coach_pin(&self.inner.parts.enrol_password);
        let pin = crate::domain::devices::coach_pin(typed, &shared)?;
        let hashed = secrets::coach_pin_hash(&pin)?;
        let mut fx = Effects::default();
        let device = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let mut device = device(&tx, id)?;
            if !device.state.receives_messages() {
                return Err(AppError::WrongState {
                    device: id.clone(),
                    state: device.state,
                });
            }
            device.coach_pin_set_at = Some(clock::now());
            tables::put_device(&mut tx, &device)?;
            let envelope = hub_envelope(Body::CoachPin(hashed))?;
            self.queue(&mut tx, &mut fx, id, &envelope)?;
            tx.commit().await?;
            device
        };
        self.finish(fx).await;
        tracing::info!(device = %id, "coach PIN set");
        Ok(device)
    }

    /// A random coach PIN for a tablet (for a coach who lets the hub choose one).
    pub fn random_coach_pin(&self) -> Result<String, AppError> {
        Ok(secrets::random_coach_pin(&secrets::coach_pin(
            &self.inner.parts.enrol_password,
        ))?)
    }

    /// The loan register, oldest first.
    pub fn loans(&self) -> Result<Vec<Loan>, AppError> {
        Ok(self.tx().all(tables::LOANS)?)
    }

    /// The broker's server certificate (PEM) and the host names it was made for: what
    /// `kiosk-settings --host` checks a host name against.
    pub fn server_certificate(&self) -> Result<(Vec<u8>, Vec<String>), AppError> {
        let parts = &self.inner.parts;
        let dir = parts.ca_cert.parent().unwrap_or(std::path::Path::new("."));
        let path = crate::pki::PkiPaths::new(dir).server_cert;
        let pem = std::fs::read(&path).map_err(|e| {
            AppError::Store(crate::store::StoreError::Io(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", path.display()),
            )))
        })?;
        Ok((
            pem,
            crate::pki::server_names(&parts.config.broker.hostnames),
        ))
    }

    /// What a kiosk needs to reach this hub (`host` as tablets reach it).
    pub fn kiosk_settings(&self, host: &str) -> Result<KioskSettings, AppError> {
        let parts = &self.inner.parts;
        let ca_pem = std::fs::read_to_string(&parts.ca_cert).map_err(|e| {
            AppError::Store(crate::store::StoreError::Io(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", parts.ca_cert.display()),
            )))
        })?;
        Ok(KioskSettings {
            host: host.to_owned(),
            port: parts.config.broker.tls_port,
            pairing_port: parts.config.broker.pairing_port,
            enrolment_password: parts.enrol_password.clone(),
            coach_pin: secrets::coach_pin(&parts.enrol_password),
            ca_pem,
            // Port 0 (any free port) is only for tests: no address to print.
            dashboard_port: Some(parts.config.web.port)
                .filter(|port| parts.config.web.enabled && *port != 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{Recorder, hub, status, tablet, take_everything, text, up};
    use crate::app::{Audience, CoachMessage};
    use std::sync::Arc;

    /// Jan with his connected tablet (its first messages taken), his coach Marie and his
    /// contact Anna with hers.
    async fn jan_marie_and_anna() -> (Hub, Arc<Recorder>, PersonId, DeviceId, PersonId, DeviceId) {
        let (hub, out) = hub();
        let (jan, jans) = tablet(&hub, "Jan").await;
        let (anna, annas) = tablet(&hub, "Anna").await;
        let marie = hub.add_coach("Marie", "059 12 34 56", None).await.unwrap();
        hub.approve_contacts(&marie.id, &jan).await.unwrap();
        hub.approve_contacts(&anna, &jan).await.unwrap();
        hub.handle_batch(vec![status(&jans, true), status(&annas, true)])
            .await;
        take_everything(&hub, &out, &jans).await;
        take_everything(&hub, &out, &annas).await;
        (hub, out, jan, jans, marie.id, annas)
    }

    fn words(to: &str) -> CoachMessage {
        CoachMessage::Text {
            text: format!("Dag {to}"),
        }
    }

    #[tokio::test]
    async fn a_tablet_taken_back_in_good_condition_is_cut_off_at_once_and_gets_nothing_more() {
        let (hub, out, jan, jans, marie, annas) = jan_marie_and_anna().await;
        hub.return_device(&jans, Condition::Good, None)
            .await
            .unwrap();
        assert_eq!(
            out.allowed(),
            Some(vec![annas.clone()]),
            "its credential went at once, not when it answers a wipe"
        );
        assert_eq!(hub.device(&jans).unwrap().state, DeviceState::Revoked);
        let revoked = out.take(&Topic::DeviceDown(jans.clone()));
        assert!(
            revoked.iter().any(|e| matches!(e.body, Body::Revoked(_))),
            "it was told why"
        );
        let sent = hub
            .send_from_coach(&marie, &Audience::Person(jan.clone()), words("Jan"))
            .await
            .unwrap();
        assert_eq!(sent.tablets, 0);
        hub.handle_batch(vec![up(&annas, text(&jan, "Dag Jan")).0])
            .await;
        assert_eq!(hub.queued_for(&jans).unwrap(), 0);
        assert!(out.take(&Topic::DeviceDown(jans)).is_empty());
    }

    /// What a pairing tablet was told on its topic since last asked.
    fn told(out: &Recorder, enrolment: &nabij_protocol::EnrolmentId) -> Vec<Body> {
        out.take(&Topic::EnrolDown(enrolment.clone()))
            .into_iter()
            .map(|e| e.body)
            .collect()
    }

    fn hello(enrolment: &nabij_protocol::EnrolmentId) -> crate::app::Inbound {
        let envelope = nabij_protocol::Envelope::new(
            crate::app::testing::message_id(),
            nabij_protocol::Party::Enrolling(enrolment.clone()),
            Body::EnrolHello(nabij_protocol::EnrolHello {
                profile: "pinetab2".into(),
                app_version: "0.1.0".into(),
                hardware_id: None,
            }),
        );
        crate::app::Inbound {
            topic: Topic::EnrolUp(enrolment.clone()).to_string(),
            payload: envelope.to_bytes(),
        }
    }

    #[tokio::test]
    async fn a_lost_grant_comes_again_with_a_fresh_password_and_no_password_is_ever_stored() {
        use crate::domain::enrolment::{GRANT_LIFETIME_MS, GRANT_QUIET_MS};
        let storage = Arc::new(crate::app::testing::Counting::default());
        let (hub, out) =
            crate::app::testing::hub_over(crate::config::HubConfig::default(), storage.clone());
        let jan = hub.add_participant("Jan", None, None).await.unwrap().id;
        let e = nabij_protocol::EnrolmentId::parse(&format!("e-{}", "ab".repeat(16))).unwrap();
        let t0 = clock::now();
        // Every step below runs on this thread (small batches), at the time it pretends.
        let at = clock::pretend(t0);
        let code = crate::app::testing::pairing_code(&hub, &out, e.as_str()).await;
        hub.enrol(&code, &jan, None, "marie").await.unwrap();
        let Some(Body::EnrolGranted(first)) = told(&out, &e).pop() else {
            panic!("no grant");
        };
        // A hello that crossed the grant on its way gets no answer.
        at.set(UnixMillis(t0.0 + 1_000));
        hub.handle_batch(vec![hello(&e)]).await;
        assert!(told(&out, &e).is_empty());
        // The tablet lost it and asks again: the same device, a new password, which the
        // broker learns (the old one stops working).
        let hash_before = hub.device(&first.device_id).unwrap().password_hash;
        at.set(UnixMillis(t0.0 + GRANT_QUIET_MS));
        hub.handle_batch(vec![hello(&e)]).await;
        let Some(Body::EnrolGranted(again)) = told(&out, &e).pop() else {
            panic!("no grant again");
        };
        assert_eq!(again.device_id, first.device_id);
        assert_ne!(again.password, first.password);
        assert_ne!(
            hub.device(&first.device_id).unwrap().password_hash,
            hash_before
        );
        assert_eq!(out.allowed(), Some(vec![first.device_id.clone()]));
        for password in [&first.password, &again.password] {
            assert!(
                !storage.ever_wrote(password.0.as_bytes()),
                "a password was written to the database"
            );
        }
        // An hour on, the grant is forgotten: the tablet pairs afresh.
        at.set(UnixMillis(t0.0 + GRANT_LIFETIME_MS));
        hub.forget_stale_pairings().await.unwrap();
        assert_eq!(hub.counts().unwrap().pairings, 0);
        hub.handle_batch(vec![hello(&e)]).await;
        assert!(matches!(told(&out, &e).pop(), Some(Body::PairingCode(_))));
    }

    #[tokio::test]
    async fn a_coachs_pin_goes_to_the_tablet_hashed_and_only_to_a_tablet_in_use() {
        let (hub, out, _jan, jans, _marie, annas) = jan_marie_and_anna().await;
        assert!(matches!(
            hub.set_coach_pin(&jans, "1111").await,
            Err(AppError::Pin(crate::domain::devices::PinError::TooEasy))
        ));
        hub.set_coach_pin(&jans, "4821").await.unwrap();
        let sent = out.take(&Topic::DeviceDown(jans.clone()));
        let [envelope] = &sent[..] else {
            panic!("one message: {sent:?}");
        };
        let Body::CoachPin(pin) = &envelope.body else {
            panic!("a coach_pin: {envelope:?}");
        };
        assert!(
            ring::pbkdf2::verify(
                ring::pbkdf2::PBKDF2_HMAC_SHA256,
                std::num::NonZeroU32::new(pin.rounds).unwrap(),
                &pin.salt.0,
                b"4821",
                &pin.hash.0,
            )
            .is_ok()
        );
        assert!(hub.device(&jans).unwrap().coach_pin_set_at.is_some());
        hub.revoke(&annas).await.unwrap();
        assert!(matches!(
            hub.set_coach_pin(&annas, "4821").await,
            Err(AppError::WrongState { .. })
        ));
    }

    #[tokio::test]
    async fn a_tablet_told_to_wipe_itself_gets_its_wipe_and_nothing_else() {
        let (hub, out, jan, jans, marie, annas) = jan_marie_and_anna().await;
        hub.wipe(&jans).await.unwrap();
        assert_eq!(hub.device(&jans).unwrap().state, DeviceState::WipePending);
        // Meanwhile a coach and a contact write to Jan, and his language changes.
        let sent = hub
            .send_from_coach(&marie, &Audience::Person(jan.clone()), words("Jan"))
            .await
            .unwrap();
        assert_eq!(sent.tablets, 0, "nothing new goes to a tablet being wiped");
        hub.handle_batch(vec![up(&annas, text(&jan, "Dag Jan")).0])
            .await;
        hub.set_language(&jan, nabij_protocol::Language::Fr)
            .await
            .unwrap();
        let sent = out.take(&Topic::DeviceDown(jans.clone()));
        let kinds: Vec<&str> = sent.iter().map(|e| e.body.kind()).collect();
        assert_eq!(kinds, ["wipe"]);
        assert_eq!(hub.queued_for(&jans).unwrap(), 1, "only the wipe waits");
    }
}
