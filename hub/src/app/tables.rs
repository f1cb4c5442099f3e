//! The hub's tables, their keys, and the indexes that keep every per-message lookup
//! independent of how many tablets, people and messages the hub holds. The only code that
//! writes a record together with its index entries.

use crate::domain::accounts::{Account, AuditEntry};
use crate::domain::attendance::{Attendance, RsvpRecord};
use crate::domain::devices::DeviceRecord;
use crate::domain::enrolment::Grant;
use crate::domain::loans::Loan;
use crate::domain::messaging::{Approval, InboxMark, Report, Seen, StoredMessage};
use crate::domain::people::{Group, Person};
use crate::domain::schedule::Session;
use crate::store::{RawTable, StoreError, Table, Tx, key, prefix};
use nabij_protocol::{DeviceId, Envelope, MessageId, PersonId, UnixMillis};
use serde::{Deserialize, Serialize};

/// Enrolled tablets, by device id.
pub const DEVICES: Table<DeviceRecord> = Table::new("devices");
/// Index: a person's tablets, by person id and device id.
pub const DEVICES_OF_PERSON: Table<()> = Table::new("person_devices");
/// Identities given to pairing tablets that have not connected as themselves yet, by
/// enrolment id (no password: see `domain::enrolment::Grant`). Tablets still waiting for
/// a code are kept in memory only (`domain::enrolment::Pairings`).
pub const GRANTS: Table<Grant> = Table::new("grants");
/// Where hubs before issue 22 kept pairing tablets, with the password of a grant until
/// its tablet connected: emptied at start (see [`forget_old_pairings`]).
const OLD_PAIRINGS: RawTable = RawTable("pairings");
/// Participants, coaches and family members, by person id.
pub const PEOPLE: Table<Person> = Table::new("people");
/// Groups, by group id.
pub const GROUPS: Table<Group> = Table::new("groups");
/// The loan register, by zero-padded loan number.
pub const LOANS: Table<Loan> = Table::new("loans");
/// Envelopes waiting for a tablet's `ack`, by device id and sequence number: one scan
/// gives a tablet's queue in the order it was written. Values are the payload bytes.
pub const OUTBOX: RawTable = RawTable("outbox");
/// Index: where each queued message id sits in its tablet's queue.
pub const OUTBOX_IDS: Table<Queued> = Table::new("outbox_ids");
/// Approved contacts, by the two person ids (`a|b`, in order).
pub const CONTACTS: Table<Approval> = Table::new("contacts");
/// Index: a person's contacts, by person id and the other's id.
pub const CONTACTS_OF: Table<()> = Table::new("contact_index");
/// Chat messages, by the hub's uid.
pub const MESSAGES: Table<StoredMessage> = Table::new("messages");
/// The content of chat messages (the envelope as delivered, JSON), by the hub's uid,
/// until the retention period has passed.
pub const MESSAGE_BODIES: RawTable = RawTable("message_bodies");
/// Index: chat messages by when the hub got them, for the retention sweep.
pub const MESSAGE_TIMES: Table<()> = Table::new("message_times");
/// Which stored message each delivered copy is, by the copy's id.
pub const DELIVERIES: Table<String> = Table::new("deliveries");
/// What the hub did with each message id a tablet sent, by `device|id`.
pub const SEEN: Table<Seen> = Table::new("seen");
/// Requests and answers from tablets (help, diary, RSVP, check-in), by `device|id`.
pub const REPORTS: Table<Report> = Table::new("reports");
/// Groups' meetings, by session id.
pub const SESSIONS: Table<Session> = Table::new("sessions");
/// Index: a group's meetings, by group id and session id.
pub const SESSIONS_OF_GROUP: Table<()> = Table::new("group_sessions");
/// Transport pick-up times, by session id and person id.
pub const PICKUPS: Table<UnixMillis> = Table::new("pickups");
/// Group memberships over time, by person id and start (for the history).
pub const MEMBERSHIPS: Table<crate::domain::people::Membership> = Table::new("memberships");
/// Attendance marks, by session id and person id.
pub const ATTENDANCE: Table<Attendance> = Table::new("attendance");
/// Seniors' latest answers to "are you coming?", by session id and person id.
pub const RSVPS: Table<RsvpRecord> = Table::new("rsvps");
/// When each participant last sent anything, by person id (for the follow-up list).
pub const LAST_SENT: Table<UnixMillis> = Table::new("last_sent");
/// Check-in moods, by person id and inverted time (newest first).
pub const CHECK_INS: Table<nabij_protocol::Mood> = Table::new("check_ins");
/// Each participant's oldest call for help no coach answered, by person id.
pub const OPEN_CALLS: Table<UnixMillis> = Table::new("open_calls");
/// Reasons to call a coach dealt with, by person id and reason.
pub const HANDLED: Table<crate::domain::followup::DealtWith> = Table::new("handled");
/// Groups' diary prompts, by group id and the week's first day.
pub const DIARY_WEEKS: Table<crate::domain::diary::DiaryWeek> = Table::new("diary_weeks");
/// Index: diary answers, by prompt id, person id and time; values are report keys.
pub const DIARY_ANSWERS: Table<String> = Table::new("diary_answers");
/// Questionnaires asked and their scored answers, by person id and survey id.
pub const SURVEYS: Table<crate::domain::surveys::Asked> = Table::new("surveys");
/// How much each tablet has stored at the hub, by device id.
pub const USAGE: Table<Usage> = Table::new("usage");
/// Settings the hub compares from one run to the next, by name.
pub const SETTINGS: Table<nabij_protocol::ReminderTimes> = Table::new("settings");
/// The key of the reminder times hub.toml gave on the last run.
pub const REMINDER_DEFAULTS: &str = "reminder_defaults";
/// Dashboard accounts, by account name.
pub const ACCOUNTS: Table<Account> = Table::new("accounts");
/// The audit log, by sequence number (big-endian, so in the order written).
pub const AUDIT: Table<AuditEntry> = Table::new("audit");
/// Index: who wrote to whom in which month, by `from|YYYY-MM|to` (Belgian months); kept
/// when the messages' content is forgotten, for the network figures.
pub const WROTE_TO: Table<()> = Table::new("wrote_to");
/// Index: chat messages to a coach (who reads them on the dashboard), by coach id, time
/// and uid; the value is the coach's read mark.
pub const COACH_INBOX: Table<InboxMark> = Table::new("coach_inbox");
/// The words a participant sent with their newest open call for help, by person id (for
/// the follow-up list); gone when a coach answers.
pub const CALL_NOTES: Table<String> = Table::new("call_notes");
/// The layout version of the tables, under `schema`.
pub const META: Table<u32> = Table::new("meta");

/// The layout this build writes. 1: tables without indexes; 2: the indexes above;
/// 3: the follow-up list's facts; 4: who wrote to whom per month; 5: coaches' inboxes and
/// the words with open calls for help.
pub const SCHEMA: u32 = 5;

/// Where a queued message sits in its tablet's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    /// Its sequence number (the queue key's second part).
    pub seq: u64,
    /// When it was queued.
    pub queued_at: UnixMillis,
    /// Its payload size.
    pub size: u64,
    /// Whether the retention period applies (chat copies and receipts); settings,
    /// contact lists and a wipe wait for their tablet however long it takes.
    pub expires: bool,
}

/// What one tablet has stored at the hub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Bytes of its chat messages the hub keeps.
    pub stored_bytes: u64,
}

/// The key of `a|b`-style records: two ids joined by `|`, which no id contains.
pub fn pair_key(a: &str, b: &str) -> String {
    format!("{a}|{b}")
}

/// The key of a person's approval with someone: both ids in order.
pub fn contact_key(a: &PersonId, b: &PersonId) -> String {
    if a <= b {
        pair_key(a.as_str(), b.as_str())
    } else {
        pair_key(b.as_str(), a.as_str())
    }
}

/// Loans are keyed by number, zero-padded so that key order is number order.
pub fn loan_key(number: u64) -> String {
    format!("{number:020}")
}

// ----- devices -----

/// Stores a device record (and the index from its participant to it).
pub fn put_device(tx: &mut Tx, device: &DeviceRecord) -> Result<(), StoreError> {
    tx.put(DEVICES, device.id.as_str(), device)?;
    tx.put(
        DEVICES_OF_PERSON,
        key(&[
            device.participant.as_str().as_bytes(),
            device.id.as_str().as_bytes(),
        ]),
        &(),
    )
}

/// A person's tablets that get what is meant for them: active ones, not those told to
/// wipe themselves, switched off or taken back (one lookup per tablet of theirs).
pub fn tablets_of(tx: &Tx, person: &PersonId) -> Result<Vec<DeviceRecord>, StoreError> {
    let mut out = Vec::new();
    let p = prefix(&[person.as_str().as_bytes()]);
    for (k, ()) in tx.scan(DEVICES_OF_PERSON, &p, None, usize::MAX)? {
        let device = String::from_utf8_lossy(&k[p.len()..]).into_owned();
        if let Some(d) = tx.get(DEVICES, &device)?
            && d.state.receives_messages()
        {
            out.push(d);
        }
    }
    Ok(out)
}

/// Removes what older hubs kept of pairing tablets (a grant's password among it), so
/// that no password stays in the database; returns how many records went. A tablet
/// that was pairing then asks again and gets a new code (or, if it had been granted an
/// identity it never used, a new one from its coach).
pub fn forget_old_pairings(tx: &mut Tx) -> Result<usize, StoreError> {
    let old = tx.scan_raw(OLD_PAIRINGS, b"", None, usize::MAX)?;
    for (k, _) in &old {
        tx.remove_raw(OLD_PAIRINGS, k);
    }
    Ok(old.len())
}

/// Forgets the grant of this device (its tablet connected as itself, so nobody needs it
/// again).
pub fn forget_grant_of(tx: &mut Tx, device: &DeviceId) -> Result<(), StoreError> {
    for (k, grant) in tx.entries(GRANTS)? {
        if &grant.device_id == device {
            tx.remove(GRANTS, k);
        }
    }
    Ok(())
}

// ----- a tablet's queue -----

fn outbox_key(device: &DeviceId, seq: u64) -> Vec<u8> {
    key(&[device.as_str().as_bytes(), &seq.to_be_bytes()])
}

fn queued_key(device: &DeviceId, id: &MessageId) -> Vec<u8> {
    key(&[device.as_str().as_bytes(), id.as_str().as_bytes()])
}

/// Queues an envelope for a tablet; returns its sequence number.
pub fn push_outbox(
    tx: &mut Tx,
    device: &DeviceId,
    envelope: &Envelope,
    now: UnixMillis,
) -> Result<u64, StoreError> {
    let seq = tx.next_id()?;
    let bytes = envelope.to_bytes();
    let expires = matches!(
        envelope.body,
        nabij_protocol::Body::Text(_)
            | nabij_protocol::Body::Voice(_)
            | nabij_protocol::Body::Photo(_)
            | nabij_protocol::Body::Receipt(_)
    );
    tx.put(
        OUTBOX_IDS,
        queued_key(device, &envelope.id),
        &Queued {
            seq,
            queued_at: now,
            size: bytes.len() as u64,
            expires,
        },
    )?;
    tx.put_raw(OUTBOX, outbox_key(device, seq), bytes);
    Ok(seq)
}

/// Removes acknowledged ids from a tablet's queue; returns those that were there, with
/// their sequence numbers.
pub fn ack_outbox(
    tx: &mut Tx,
    device: &DeviceId,
    ids: &[MessageId],
) -> Result<Vec<(MessageId, u64)>, StoreError> {
    let mut removed = Vec::new();
    for id in ids {
        let k = queued_key(device, id);
        if let Some(queued) = tx.get(OUTBOX_IDS, &k)? {
            tx.remove(OUTBOX_IDS, &k);
            tx.remove_raw(OUTBOX, &outbox_key(device, queued.seq));
            removed.push((id.clone(), queued.seq));
        }
    }
    Ok(removed)
}

/// Drops a tablet's whole queue (it was revoked or is being wiped).
pub fn clear_outbox(tx: &mut Tx, device: &DeviceId) -> Result<(), StoreError> {
    let p = prefix(&[device.as_str().as_bytes()]);
    for (k, queued) in tx.scan(OUTBOX_IDS, &p, None, usize::MAX)? {
        tx.remove(OUTBOX_IDS, &k);
        tx.remove_raw(OUTBOX, &outbox_key(device, queued.seq));
    }
    Ok(())
}

/// Removes a queue entry found by scanning [`OUTBOX_IDS`]: its index key and record.
pub fn remove_queued(tx: &mut Tx, index_key: &[u8], queued: &Queued) {
    if let Some(split) = index_key.iter().position(|b| *b == 0) {
        tx.remove(OUTBOX_IDS, index_key);
        tx.remove_raw(
            OUTBOX,
            &key(&[&index_key[..split], &queued.seq.to_be_bytes()]),
        );
    }
}

/// Up to `limit` queued payloads after sequence number `after`, oldest first.
pub fn outbox_after(
    tx: &Tx,
    device: &DeviceId,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let p = prefix(&[device.as_str().as_bytes()]);
    let after = after.map(|seq| outbox_key(device, seq));
    Ok(tx
        .scan_raw(OUTBOX, &p, after.as_deref(), limit)?
        .into_iter()
        .filter_map(|(k, v)| {
            let seq: [u8; 8] = k.get(p.len()..)?.try_into().ok()?;
            Some((u64::from_be_bytes(seq), v))
        })
        .collect())
}

/// How many messages wait for a tablet.
pub fn outbox_len(tx: &Tx, device: &DeviceId) -> Result<usize, StoreError> {
    let p = prefix(&[device.as_str().as_bytes()]);
    Ok(tx.scan(OUTBOX_IDS, &p, None, usize::MAX)?.len())
}

// ----- contacts -----

/// Approves two people as contacts (both ways).
pub fn approve(tx: &mut Tx, a: &PersonId, b: &PersonId, now: UnixMillis) -> Result<(), StoreError> {
    if a == b {
        return Ok(());
    }
    tx.put(
        CONTACTS,
        contact_key(a, b),
        &Approval {
            a: a.clone(),
            b: b.clone(),
            approved_at: now,
        },
    )?;
    tx.put(
        CONTACTS_OF,
        key(&[a.as_str().as_bytes(), b.as_str().as_bytes()]),
        &(),
    )?;
    tx.put(
        CONTACTS_OF,
        key(&[b.as_str().as_bytes(), a.as_str().as_bytes()]),
        &(),
    )
}

/// Takes back an approval (both ways); the messages they wrote stay.
pub fn unapprove(tx: &mut Tx, a: &PersonId, b: &PersonId) {
    tx.remove(CONTACTS, contact_key(a, b));
    tx.remove(
        CONTACTS_OF,
        key(&[a.as_str().as_bytes(), b.as_str().as_bytes()]),
    );
    tx.remove(
        CONTACTS_OF,
        key(&[b.as_str().as_bytes(), a.as_str().as_bytes()]),
    );
}

/// Whether a coach approved these two.
pub fn are_contacts(tx: &Tx, a: &PersonId, b: &PersonId) -> Result<bool, StoreError> {
    tx.contains(CONTACTS, contact_key(a, b))
}

/// The ids of everyone `person` may write to.
pub fn contact_ids(tx: &Tx, person: &PersonId) -> Result<Vec<PersonId>, StoreError> {
    let p = prefix(&[person.as_str().as_bytes()]);
    Ok(tx
        .scan(CONTACTS_OF, &p, None, usize::MAX)?
        .into_iter()
        .filter_map(|(k, ())| PersonId::parse(&String::from_utf8_lossy(&k[p.len()..])).ok())
        .collect())
}

// ----- messages -----

fn message_time_key(message: &StoredMessage) -> Vec<u8> {
    key(&[&message.received_at.0.to_be_bytes(), message.uid.as_bytes()])
}

/// Stores a new chat message, its content and its place in the index by time.
pub fn put_new_message(
    tx: &mut Tx,
    message: &StoredMessage,
    content: Vec<u8>,
) -> Result<(), StoreError> {
    tx.put(MESSAGES, &message.uid, message)?;
    tx.put_raw(MESSAGE_BODIES, message.uid.as_bytes().to_vec(), content);
    tx.put(WROTE_TO, wrote_to_key(message), &())?;
    tx.put(MESSAGE_TIMES, message_time_key(message), &())
}

/// The key of a message in its coach's inbox: coach, time, uid (a coach's messages in
/// the order they came).
pub fn inbox_key(message: &StoredMessage) -> Vec<u8> {
    key(&[
        message.to.as_str().as_bytes(),
        &message.received_at.0.to_be_bytes(),
        message.uid.as_bytes(),
    ])
}

/// Puts a new message in its recipient's inbox when the recipient is a coach (a coach
/// reads on the dashboard; a participant's tablet gets a copy instead).
pub fn put_in_coach_inbox(tx: &mut Tx, message: &StoredMessage) -> Result<(), StoreError> {
    let to_a_coach = tx
        .get(PEOPLE, message.to.as_str())?
        .is_some_and(|p| p.role == crate::domain::people::Role::Coach);
    if to_a_coach {
        tx.put(COACH_INBOX, inbox_key(message), &InboxMark::default())?;
    }
    Ok(())
}

/// The uids in a coach's inbox, with their marks, oldest first.
pub fn coach_inbox(tx: &Tx, coach: &PersonId) -> Result<Vec<(String, InboxMark)>, StoreError> {
    let p = prefix(&[coach.as_str().as_bytes()]);
    Ok(tx
        .scan(COACH_INBOX, &p, None, usize::MAX)?
        .into_iter()
        .filter_map(|(k, mark)| {
            // After the prefix: eight bytes of time, the separator, the uid.
            let uid = std::str::from_utf8(k.get(p.len() + 9..)?).ok()?;
            Some((uid.to_owned(), mark))
        })
        .collect())
}

/// `from|month|to`: who wrote to whom in which month (for the network figures).
fn wrote_to_key(message: &StoredMessage) -> Vec<u8> {
    let month = crate::domain::network::month_of(message.received_at);
    key(&[
        message.from_person.as_str().as_bytes(),
        month.as_bytes(),
        message.to.as_str().as_bytes(),
    ])
}

/// The people `from` wrote to in `month` (`2026-11`).
pub fn wrote_to_in(tx: &Tx, from: &PersonId, month: &str) -> Result<Vec<PersonId>, StoreError> {
    let p = prefix(&[from.as_str().as_bytes(), month.as_bytes()]);
    Ok(tx
        .scan(WROTE_TO, &p, None, usize::MAX)?
        .into_iter()
        .filter_map(|(k, ())| {
            let to = std::str::from_utf8(k.get(p.len()..)?).ok()?;
            PersonId::parse(to).ok()
        })
        .collect())
}

/// Forgets a message's content; true if it was still there.
pub fn forget_content(tx: &mut Tx, uid: &str) -> Result<bool, StoreError> {
    let there = tx.get_raw(MESSAGE_BODIES, uid.as_bytes())?.is_some();
    tx.remove_raw(MESSAGE_BODIES, uid.as_bytes());
    Ok(there)
}

/// The uids of up to `limit` chat messages received before `before`, oldest first.
pub fn messages_before(
    tx: &Tx,
    before: UnixMillis,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for (k, ()) in tx.scan(MESSAGE_TIMES, b"", None, limit)? {
        let Some(time) = k.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
            continue;
        };
        if u64::from_be_bytes(time) >= before.0 {
            break;
        }
        out.push(String::from_utf8_lossy(&k[9..]).into_owned());
    }
    Ok(out)
}

/// The uids of the chat messages received at or after `since`, oldest first.
pub fn messages_since(tx: &Tx, since: UnixMillis) -> Result<Vec<String>, StoreError> {
    // Keys are time, separator, uid: the bare time before `since` sorts before them all.
    let after = since.0.saturating_sub(1).to_be_bytes();
    Ok(tx
        .scan(MESSAGE_TIMES, b"", Some(&after), usize::MAX)?
        .into_iter()
        .filter_map(|(k, ())| Some(String::from_utf8_lossy(k.get(9..)?).into_owned()))
        .collect())
}

/// Removes a message from the time index (its content has expired).
pub fn forget_message_time(tx: &mut Tx, message: &StoredMessage) {
    tx.remove(MESSAGE_TIMES, message_time_key(message));
}

/// Changes a tablet's stored bytes.
pub fn add_usage(tx: &mut Tx, device: &DeviceId, bytes: i64) -> Result<Usage, StoreError> {
    let mut usage = tx.get(USAGE, device.as_str())?.unwrap_or_default();
    usage.stored_bytes = usage.stored_bytes.saturating_add_signed(bytes);
    tx.put(USAGE, device.as_str(), &usage)?;
    Ok(usage)
}

// ----- layout -----

#[derive(Deserialize)]
struct IdAndKind {
    id: MessageId,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    ts: u64,
}

/// Whether a database has none of the records schema 1 kept.
fn holds_nothing(tx: &Tx) -> Result<bool, StoreError> {
    for table in [
        PEOPLE.name(),
        DEVICES.name(),
        CONTACTS.name(),
        MESSAGES.name(),
        OUTBOX.0,
    ] {
        if !tx.scan_raw(RawTable(table), b"", None, 1)?.is_empty() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Brings a database written by an older hub to [`SCHEMA`], in one transaction, a step
/// per version: builds the indexes from the records. Returns the version it found.
pub fn migrate(tx: &mut Tx) -> Result<u32, StoreError> {
    let found = match tx.get(META, "schema")? {
        Some(found) => found,
        // A database without the mark is new, or from before schema 2.
        None if holds_nothing(tx)? => SCHEMA,
        None => 1,
    };
    if found >= SCHEMA {
        tx.put(META, "schema", &found)?;
        return Ok(found);
    }
    if found < 2 {
        indexes_of_schema_2(tx)?;
    }
    if found < 3 {
        follow_up_facts(tx)?;
    }
    if found < 4 {
        for message in tx.all(MESSAGES)? {
            tx.put(WROTE_TO, wrote_to_key(&message), &())?;
        }
    }
    if found < 5 {
        inboxes_and_call_notes(tx)?;
    }
    tx.put(META, "schema", &SCHEMA)?;
    Ok(found)
}

/// Schema 5: what seniors wrote to their coaches, unread, and the words with calls for
/// help no coach has answered.
fn inboxes_and_call_notes(tx: &mut Tx) -> Result<(), StoreError> {
    for message in tx.all(MESSAGES)? {
        put_in_coach_inbox(tx, &message)?;
    }
    let mut newest: std::collections::BTreeMap<PersonId, (UnixMillis, String)> = Default::default();
    for report in tx.all(REPORTS)? {
        if !report.is_help_request() || report.answered_at.is_some() {
            continue;
        }
        let Some(note) = report
            .envelope
            .pointer("/body/note")
            .and_then(|n| n.as_str())
            .filter(|n| !n.trim().is_empty())
        else {
            continue;
        };
        let entry = newest
            .entry(report.participant.clone())
            .or_insert((report.received_at, note.to_owned()));
        if report.received_at >= entry.0 {
            *entry = (report.received_at, note.to_owned());
        }
    }
    for (person, (_, note)) in newest {
        tx.put(CALL_NOTES, person.as_str(), &note)?;
    }
    Ok(())
}

/// Schema 3: the follow-up list's facts, from the reports and messages kept so far.
fn follow_up_facts(tx: &mut Tx) -> Result<(), StoreError> {
    let mut last_sent: std::collections::BTreeMap<PersonId, UnixMillis> = Default::default();
    for message in tx.all(MESSAGES)? {
        let entry = last_sent
            .entry(message.from_person.clone())
            .or_insert(message.received_at);
        *entry = (*entry).max(message.received_at);
    }
    for report in tx.all(REPORTS)? {
        let entry = last_sent
            .entry(report.participant.clone())
            .or_insert(report.received_at);
        *entry = (*entry).max(report.received_at);
        let kind = report.envelope.get("kind").and_then(|k| k.as_str());
        match kind {
            Some("help_request") if report.answered_at.is_none() => {
                let open = tx.get(OPEN_CALLS, report.participant.as_str())?;
                if open.is_none_or(|t| report.received_at < t) {
                    tx.put(OPEN_CALLS, report.participant.as_str(), &report.received_at)?;
                }
            }
            Some("check_in") => {
                let mood = report
                    .envelope
                    .pointer("/body/mood")
                    .and_then(|m| serde_json::from_value::<nabij_protocol::Mood>(m.clone()).ok());
                if let Some(mood) = mood {
                    let at = report.received_at;
                    let k = key(&[
                        report.participant.as_str().as_bytes(),
                        &(u64::MAX - at.0).to_be_bytes(),
                    ]);
                    tx.put(CHECK_INS, k, &mood)?;
                }
            }
            _ => {}
        }
    }
    for (person, at) in last_sent {
        tx.put(LAST_SENT, person.as_str(), &at)?;
    }
    // Group history starts here for who is in a group now (since before records began).
    for person in tx.all(PEOPLE)? {
        if let Some(group) = person.group {
            let membership = crate::domain::people::Membership {
                group,
                from: UnixMillis(0),
                until: None,
            };
            tx.put(
                MEMBERSHIPS,
                key(&[person.id.as_str().as_bytes(), &0u64.to_be_bytes()]),
                &membership,
            )?;
        }
    }
    Ok(())
}

/// Schema 2: indexes over the records of schema 1, and chat content apart.
fn indexes_of_schema_2(tx: &mut Tx) -> Result<(), StoreError> {
    let devices = tx.all(DEVICES)?;
    for device in &devices {
        put_device(tx, device)?;
    }
    for (k, bytes) in tx.scan_raw(OUTBOX, b"", None, usize::MAX)? {
        let (Some(split), Ok(head)) = (
            k.iter().position(|b| *b == 0),
            serde_json::from_slice::<IdAndKind>(&bytes),
        ) else {
            continue;
        };
        let Ok(device) = DeviceId::parse(&String::from_utf8_lossy(&k[..split])) else {
            continue;
        };
        let Ok(seq) = <[u8; 8]>::try_from(&k[split + 1..]) else {
            continue;
        };
        tx.put(
            OUTBOX_IDS,
            queued_key(&device, &head.id),
            &Queued {
                seq: u64::from_be_bytes(seq),
                queued_at: UnixMillis(head.ts),
                size: bytes.len() as u64,
                expires: matches!(head.kind.as_str(), "text" | "voice" | "photo" | "receipt"),
            },
        )?;
    }
    for approval in tx.all(CONTACTS)? {
        approve(tx, &approval.a, &approval.b, approval.approved_at)?;
    }
    // Schema 1 kept each message's content inside its record: move it to its own table.
    for (uid, bytes) in tx.scan_raw(RawTable(MESSAGES.name()), b"", None, usize::MAX)? {
        let Ok(mut record) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        let content = record
            .as_object_mut()
            .and_then(|fields| fields.remove("body"))
            .filter(|body| !body.is_null())
            .map(|body| body.to_string().into_bytes());
        let Ok(mut message) = serde_json::from_value::<StoredMessage>(record) else {
            continue;
        };
        if let Some(content) = content {
            message.size = message.size.max(content.len() as u64);
            add_usage(tx, &message.from_device, message.size as i64)?;
            tx.put_raw(MESSAGE_BODIES, uid.clone(), content);
        }
        tx.put(MESSAGES, &uid, &message)?;
        tx.put(MESSAGE_TIMES, message_time_key(&message), &())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStorage, Storage};
    use nabij_protocol::{Body, Empty, Party};
    use std::sync::Arc;

    fn envelope(id: &str) -> Envelope {
        Envelope::new(
            MessageId::parse(id).unwrap(),
            Party::Hub,
            Body::Wipe(Empty {}),
        )
    }

    #[test]
    fn a_tablets_queue_keeps_order_and_forgets_what_was_acked() {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::default());
        let mut tx = Tx::new(storage);
        let a = DeviceId::parse("d-a").unwrap();
        let ab = DeviceId::parse("d-ab").unwrap();
        let now = UnixMillis(0);
        let first = push_outbox(&mut tx, &a, &envelope("first-0001"), now).unwrap();
        push_outbox(&mut tx, &ab, &envelope("other-0001"), now).unwrap();
        let second = push_outbox(&mut tx, &a, &envelope("second-001"), now).unwrap();
        let seqs: Vec<u64> = outbox_after(&tx, &a, None, 10)
            .unwrap()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(seqs, [first, second], "d-a's own queue, in order");
        assert_eq!(outbox_after(&tx, &a, Some(first), 10).unwrap().len(), 1);

        let removed = ack_outbox(
            &mut tx,
            &a,
            &[
                MessageId::parse("first-0001").unwrap(),
                MessageId::parse("nothere-01").unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(removed, [(MessageId::parse("first-0001").unwrap(), first)]);
        assert_eq!(outbox_len(&tx, &a).unwrap(), 1);
        clear_outbox(&mut tx, &a).unwrap();
        assert_eq!(outbox_len(&tx, &a).unwrap(), 0);
        assert_eq!(outbox_len(&tx, &ab).unwrap(), 1);
    }

    #[test]
    fn an_old_database_gets_its_indexes() {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::default());
        let mut tx = Tx::new(storage.clone());
        // As a hub of schema 1 wrote them: records without index entries.
        let device = crate::domain::devices::sample("d-1", "p-jan");
        tx.put(DEVICES, "d-1", &device).unwrap();
        let jan = PersonId::parse("p-jan").unwrap();
        let anna = PersonId::parse("p-anna").unwrap();
        tx.put(
            CONTACTS,
            contact_key(&jan, &anna),
            &Approval {
                a: jan.clone(),
                b: anna.clone(),
                approved_at: UnixMillis(1),
            },
        )
        .unwrap();
        tx.put_raw(
            OUTBOX,
            outbox_key(&device.id, 7),
            envelope("queued-001").to_bytes(),
        );
        // Schema 1 kept a message's content inside its record.
        let old_message = serde_json::json!({
            "uid": "m-1", "from_device": "d-1", "from_person": "p-jan",
            "sender_id": "sent-0001", "to": "p-anna", "received_at": 5,
            "kind": "text", "deliveries": [],
            "body": {"v": 1, "kind": "text", "body": {"text": "Dag Anna"}}
        });
        tx.put_raw(
            RawTable("messages"),
            b"m-1".to_vec(),
            old_message.to_string().into_bytes(),
        );
        // Jan also wrote to his coach, who reads on the dashboard.
        let marie = PersonId::parse("p-marie").unwrap();
        let coach: crate::domain::people::Person = serde_json::from_value(serde_json::json!({
            "id": "p-marie", "name": "Marie", "role": "coach"
        }))
        .unwrap();
        tx.put(PEOPLE, "p-marie", &coach).unwrap();
        let to_coach = serde_json::json!({
            "uid": "m-2", "from_device": "d-1", "from_person": "p-jan",
            "sender_id": "sent-0002", "to": "p-marie", "received_at": 6,
            "kind": "text", "deliveries": [],
            "body": {"v": 1, "kind": "text", "body": {"text": "Dag Marie"}}
        });
        tx.put_raw(
            RawTable("messages"),
            b"m-2".to_vec(),
            to_coach.to_string().into_bytes(),
        );
        for (id, kind, body, at) in [
            (
                "r-1",
                "help_request",
                serde_json::json!({"note": "bel me"}),
                7,
            ),
            (
                "r-2",
                "check_in",
                serde_json::json!({"mood": "not_good"}),
                9,
            ),
        ] {
            let report = crate::domain::messaging::Report {
                device: device.id.clone(),
                participant: jan.clone(),
                received_at: UnixMillis(at),
                envelope: serde_json::json!({"kind": kind, "body": body}),
                answered_at: None,
            };
            tx.put(REPORTS, pair_key("d-1", id), &report).unwrap();
        }
        tx.commit_blocking().unwrap();

        let mut tx = Tx::new(storage.clone());
        assert_eq!(migrate(&mut tx).unwrap(), 1);
        tx.commit_blocking().unwrap();
        let mut tx = Tx::new(storage);
        assert_eq!(tablets_of(&tx, &jan).unwrap().len(), 1);
        assert_eq!(contact_ids(&tx, &anna).unwrap(), std::slice::from_ref(&jan));
        let acked = ack_outbox(
            &mut tx,
            &device.id,
            &[MessageId::parse("queued-001").unwrap()],
        );
        assert_eq!(
            acked.unwrap().len(),
            1,
            "the queue entry is found by its id"
        );
        let content = tx.get_raw(MESSAGE_BODIES, b"m-1").unwrap().expect("moved");
        assert!(String::from_utf8_lossy(&content).contains("Dag Anna"));
        let message = tx.get(MESSAGES, "m-1").unwrap().unwrap();
        assert_eq!(message.size, content.len() as u64);
        let usage = tx.get(USAGE, "d-1").unwrap().unwrap();
        let to_coach = tx.get(MESSAGES, "m-2").unwrap().unwrap();
        assert_eq!(
            usage.stored_bytes,
            message.size + to_coach.size,
            "counted against its sender"
        );
        assert_eq!(messages_before(&tx, UnixMillis(6), 10).unwrap(), ["m-1"]);
        assert_eq!(tx.get(OPEN_CALLS, "p-jan").unwrap(), Some(UnixMillis(7)));
        assert_eq!(tx.get(LAST_SENT, "p-jan").unwrap(), Some(UnixMillis(9)));
        let moods = tx.scan(CHECK_INS, &prefix(&[b"p-jan"]), None, 10).unwrap();
        assert_eq!(moods.len(), 1);
        assert_eq!(
            wrote_to_in(&tx, &jan, "1970-01").unwrap(),
            [anna.clone(), marie.clone()],
            "schema 4: who wrote to whom, from the messages kept"
        );
        assert_eq!(
            coach_inbox(&tx, &marie).unwrap(),
            [("m-2".to_owned(), InboxMark::default())],
            "schema 5: what Jan wrote to his coach, unread"
        );
        assert_eq!(
            tx.get(CALL_NOTES, "p-jan").unwrap().as_deref(),
            Some("bel me"),
            "schema 5: the words with his open call"
        );
        assert_eq!(migrate(&mut tx).unwrap(), SCHEMA, "once is enough");
        let mut new = Tx::new(Arc::new(MemoryStorage::default()));
        assert_eq!(
            migrate(&mut new).unwrap(),
            SCHEMA,
            "a new database needs nothing"
        );
    }
}
