//! Tablets: pairing one with a participant, listing them, switching one off, wiping one,
//! taking one back, and the loan register.

use super::people::participant;
use super::{
    AppError, DeviceRow, Effects, EnrolSummary, Hub, KioskSettings, hub_envelope, lock, tables,
};
use crate::clock;
use crate::domain::devices::{DeviceRecord, DeviceState};
use crate::domain::enrolment::{self, CodeError, Granted};
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
    /// register a new loan.
    pub async fn enrol(
        &self,
        code: &str,
        participant_id: &PersonId,
        group: Option<&GroupId>,
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
            let mut pairing = self.pairing_for_code(&tx, code, now)?;
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
            pairing.granted = Some(Granted {
                device_id: device_id.clone(),
                password: Secret(password.clone()),
            });
            tx.put(tables::PAIRINGS, pairing.enrolment_id.as_str(), &pairing)?;
            tx.put(tables::PEOPLE, person.id.as_str(), &person)?;
            tx.commit().await?;
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

    /// The waiting pairing that shows `code`, counting wrong codes against guessing.
    fn pairing_for_code(
        &self,
        tx: &Tx,
        code: &str,
        now: UnixMillis,
    ) -> Result<enrolment::Pairing, AppError> {
        let mut limiter = lock(&self.inner.limiter);
        if limiter.blocked(now) {
            return Err(CodeError::TooManyWrong.into());
        }
        let code = enrolment::normalise_code(code);
        let found = if enrolment::is_well_formed(&code) {
            tx.all(tables::PAIRINGS)?
                .into_iter()
                .find(|p| p.code == code && p.granted.is_none())
        } else {
            None
        };
        let Some(pairing) = found else {
            limiter.record_wrong(now);
            tracing::warn!(%code, "a coach entered a code no tablet shows");
            return Err(CodeError::Unknown(code).into());
        };
        if !pairing.is_waiting(now) {
            return Err(CodeError::Expired(code).into());
        }
        Ok(pairing)
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
            pairings: tx.count(tables::PAIRINGS)?,
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

    /// A tablet came back: record its condition, close the loan, and wipe it (or, if it
    /// is broken or lost and will never answer, switch it off).
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
        if state == DeviceState::Active {
            if condition.can_wipe() {
                self.wipe(id).await?;
            } else {
                self.revoke(id).await?;
            }
        }
        Ok(loan)
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
            enrolment_password: parts.enrol_password.clone(),
            coach_pin: secrets::coach_pin(&parts.enrol_password),
            ca_pem,
            // Port 0 (any free port) is only for tests: no address to print.
            dashboard_port: Some(parts.config.web.port)
                .filter(|port| parts.config.web.enabled && *port != 0),
        })
    }
}
