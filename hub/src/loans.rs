//! The loan register: which tablet is lent to whom, from when to when, and in what state
//! it came back.

use crate::store::{Store, StoreError};
use nabij_protocol::{DeviceId, PersonId, UnixMillis};
use serde::{Deserialize, Serialize};

/// The state a tablet came back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Works and is complete: it can be lent again.
    Good,
    /// Works, but has damage (a cracked corner, a worn charger).
    Damaged,
    /// Does not work.
    Broken,
    /// Not returned: lost or stolen.
    Lost,
}

/// One loan of one tablet to one participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loan {
    /// The loan's number.
    pub number: u64,
    /// The physical tablet: its hardware id, or the device id when it sent none.
    pub tablet: String,
    /// The device identity it had during this loan.
    pub device: DeviceId,
    /// Who has it.
    pub participant: PersonId,
    /// Since when.
    pub lent_at: UnixMillis,
    /// When it came back (or the loan was closed).
    #[serde(default)]
    pub returned_at: Option<UnixMillis>,
    /// In what state.
    #[serde(default)]
    pub condition: Option<Condition>,
    /// A coach's note.
    #[serde(default)]
    pub note: Option<String>,
}

fn key(number: u64) -> String {
    format!("{number:020}")
}

/// Opens a loan.
pub fn open(
    store: &Store,
    tablet: &str,
    device: &DeviceId,
    participant: &PersonId,
    now: UnixMillis,
) -> Result<Loan, StoreError> {
    let loan = Loan {
        number: store.next_id()?,
        tablet: tablet.to_owned(),
        device: device.clone(),
        participant: participant.clone(),
        lent_at: now,
        returned_at: None,
        condition: None,
        note: None,
    };
    store.loans.put(&key(loan.number), &loan)?;
    Ok(loan)
}

/// Closes the open loan of a device, if there is one; returns it.
pub fn close(
    store: &Store,
    device: &DeviceId,
    now: UnixMillis,
    condition: Option<Condition>,
    note: Option<String>,
) -> Result<Option<Loan>, StoreError> {
    let open = store
        .loans
        .all()?
        .into_iter()
        .find(|l| &l.device == device && l.returned_at.is_none());
    let Some(mut loan) = open else {
        return Ok(None);
    };
    loan.returned_at = Some(now);
    loan.condition = condition;
    loan.note = note;
    store.loans.put(&key(loan.number), &loan)?;
    Ok(Some(loan))
}

/// Records the condition of a device's latest loan (open or closed) and closes it.
pub fn record_return(
    store: &Store,
    device: &DeviceId,
    now: UnixMillis,
    condition: Condition,
    note: Option<String>,
) -> Result<Option<Loan>, StoreError> {
    let latest = store
        .loans
        .all()?
        .into_iter()
        .filter(|l| &l.device == device)
        .max_by_key(|l| l.lent_at);
    let Some(mut loan) = latest else {
        return Ok(None);
    };
    loan.returned_at.get_or_insert(now);
    loan.condition = Some(condition);
    if note.is_some() {
        loan.note = note;
    }
    store.loans.put(&key(loan.number), &loan)?;
    Ok(Some(loan))
}
