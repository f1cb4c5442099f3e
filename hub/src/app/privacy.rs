//! A participant's rights over their data: an export of everything the hub keeps about
//! them (JSON and media, for a zip), and erasure. Erasure removes them and everything
//! that is theirs alone; the messages they sent to others stay with those others, shown
//! as from "a former participant"; the loan register keeps its tablets' history under
//! that same name.

use super::{AppError, Effects, Hub, tables};
use crate::clock;
use crate::domain::attendance::{Attendance, RsvpRecord};
use crate::domain::loans::Loan;
use crate::domain::messaging::{Report, StoredMessage};
use crate::domain::people::{self, Membership, Person};
use crate::store::{Table, Tx, key, prefix};
use crate::zip::{ZipEntry, ZipError, archive};
use nabij_protocol::{DeviceId, Mood, PersonId, UnixMillis};
use serde::Serialize;
use serde_json::Value;

/// Everything the hub keeps about one participant.
#[derive(Debug, Serialize)]
pub struct ParticipantData {
    /// What this file is.
    pub about: &'static str,
    /// When it was made.
    pub exported_at: UnixMillis,
    /// Their record (the photo is `media/photo.*`).
    pub person: Person,
    /// Their group's name.
    pub group: Option<String>,
    /// Their groups over time.
    pub memberships: Vec<Membership>,
    /// Who they may write to.
    pub contacts: Vec<NamedPerson>,
    /// Tablets lent to them, with their state.
    pub tablets: Vec<TabletData>,
    /// The loan register's lines about them.
    pub loans: Vec<Loan>,
    /// Chat messages they sent (content while the hub still keeps it).
    pub messages_sent: Vec<MessageData>,
    /// Chat messages sent to them.
    pub messages_received: Vec<MessageData>,
    /// Calls for help, diary answers, answers to "are you coming?", check-ins, as their
    /// tablet sent them.
    pub requests_and_answers: Vec<Value>,
    /// Their meetings: answer, attendance and pick-up time.
    pub meetings: Vec<MeetingData>,
    /// How they said they felt, newest first.
    pub check_ins: Vec<CheckInData>,
    /// Questionnaires asked and their scored answers.
    pub questionnaires: Vec<super::Asked>,
}

/// Someone by id and name.
#[derive(Debug, Serialize)]
pub struct NamedPerson {
    /// Their id.
    pub id: PersonId,
    /// Their name.
    pub name: String,
}

/// A tablet that was lent to them.
#[derive(Debug, Serialize)]
pub struct TabletData {
    /// Its device id.
    pub device: DeviceId,
    /// Its model.
    pub profile: String,
    /// Its state, in a word.
    pub state: &'static str,
    /// When it was paired.
    pub enrolled_at: UnixMillis,
    /// When the hub last heard from it.
    pub last_seen: Option<UnixMillis>,
}

/// One chat message.
#[derive(Debug, Serialize)]
pub struct MessageData {
    /// The hub's id for it.
    pub id: String,
    /// When the hub got it.
    pub at: UnixMillis,
    /// From whom (a name).
    pub from: String,
    /// To whom (a name).
    pub to: String,
    /// `text`, `voice` or `photo`.
    pub kind: String,
    /// The message, media replaced by their file names; absent once the retention
    /// period has passed.
    pub content: Option<Value>,
}

/// One meeting of theirs.
#[derive(Debug, Serialize)]
pub struct MeetingData {
    /// The meeting.
    pub session: String,
    /// Its start.
    pub starts_at: UnixMillis,
    /// Their answer to "are you coming?".
    pub answer: Option<RsvpRecord>,
    /// The coach's mark.
    pub attendance: Option<Attendance>,
    /// When transport picks them up.
    pub pickup: Option<UnixMillis>,
}

/// One check-in.
#[derive(Debug, Serialize)]
pub struct CheckInData {
    /// When.
    pub at: UnixMillis,
    /// How they felt.
    pub mood: Mood,
}

/// A participant's data ready to be zipped: `data.json` and the media it names.
pub struct ParticipantExport {
    /// Their id (for the file name).
    pub person: PersonId,
    /// The JSON part.
    pub data: ParticipantData,
    /// Photos and voice recordings, as `media/…` files.
    pub media: Vec<ZipEntry>,
}

impl ParticipantExport {
    /// `nabij-export-p-jan-claes-2026-11-30.zip`.
    pub fn file_name(&self) -> String {
        let (y, m, d) = clock::civil_date(self.data.exported_at);
        format!("nabij-export-{}-{y}-{m:02}-{d:02}.zip", self.person)
    }

    /// The zip file: `data.json`, a `README.txt` that says what is in it, and `media/`.
    pub fn to_zip(&self) -> Result<Vec<u8>, ZipError> {
        let json = serde_json::to_vec_pretty(&self.data).unwrap_or_default();
        let mut entries = vec![
            ZipEntry {
                name: "README.txt".into(),
                bytes: README.as_bytes().to_vec(),
            },
            ZipEntry {
                name: "data.json".into(),
                bytes: json,
            },
        ];
        entries.extend(self.media.iter().map(|m| ZipEntry {
            name: m.name.clone(),
            bytes: m.bytes.clone(),
        }));
        archive(&entries, self.data.exported_at)
    }
}

const README: &str = "Nabij: everything the neighbourhood hub keeps about one participant.\n\
\n\
data.json  their details, contacts, tablets, messages, diary answers, meetings,\n\
           check-ins and questionnaires; times are Unix milliseconds (UTC).\n\
media/     the photos and voice recordings data.json names (\"file\").\n\
\n\
Message content the hub no longer keeps (after the retention period) is absent.\n";

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// The name they had.
    pub name: String,
    /// Messages they sent that others keep, now from "a former participant".
    pub messages_kept: usize,
    /// Messages to them whose content went.
    pub messages_forgotten: usize,
    /// Records removed in all.
    pub records_removed: usize,
}

/// Replaces every embedded file (an object with base64 `data` and a `mime` or `codec`)
/// by `file: media/…`, collecting the files.
fn take_media(value: &mut Value, stem: &str, media: &mut Vec<ZipEntry>) {
    match value {
        Value::Object(map) => {
            let ext = match (map.get("mime").and_then(Value::as_str), map.get("codec")) {
                (Some("image/jpeg"), _) => Some("jpg"),
                (Some("image/png"), _) => Some("png"),
                (_, Some(_)) => Some("ogg"),
                _ => None,
            };
            if let (Some(ext), Some(Value::String(data))) = (ext, map.get("data"))
                && let Ok(bytes) = nabij_protocol::base64::decode(data)
            {
                let name = format!("media/{stem}-{}.{ext}", media.len() + 1);
                media.push(ZipEntry {
                    name: name.clone(),
                    bytes,
                });
                map.remove("data");
                map.insert("file".into(), Value::String(name));
            }
            for inner in map.values_mut() {
                take_media(inner, stem, media);
            }
        }
        Value::Array(items) => {
            for item in items {
                take_media(item, stem, media);
            }
        }
        _ => {}
    }
}

/// The keys of `table` whose part number `part` (0-based, parts split by `key`'s zero
/// byte) is `id`.
fn keys_with_part<V: serde::de::DeserializeOwned>(
    tx: &Tx,
    table: Table<V>,
    part: usize,
    id: &str,
) -> Result<Vec<Vec<u8>>, AppError> {
    Ok(tx
        .entries(table)?
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.split(|b| *b == 0).nth(part) == Some(id.as_bytes()))
        .collect())
}

/// A stored message's content as JSON, media taken out; `None` once forgotten.
fn content_of(
    tx: &Tx,
    message: &StoredMessage,
    media: &mut Vec<ZipEntry>,
) -> Result<Option<Value>, AppError> {
    let Some(bytes) = tx.get_raw(tables::MESSAGE_BODIES, message.uid.as_bytes())? else {
        return Ok(None);
    };
    // The stored content is the envelope's JSON; its `body` is the message.
    let Ok(mut envelope) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(None);
    };
    let mut body = envelope
        .get_mut("body")
        .map(Value::take)
        .unwrap_or(Value::Null);
    take_media(&mut body, &message.uid, media);
    Ok(Some(body))
}

/// Where the id `id` stands whole in `text` (`p-jan` is not in `p-jan-2`), by byte
/// offset.
fn id_occurrences<'a>(text: &'a str, id: &'a str) -> impl Iterator<Item = usize> + 'a {
    let id_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    text.match_indices(id).map(|(at, _)| at).filter(move |&at| {
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        before.is_none_or(|c| !id_char(c)) && after.is_none_or(|c| !id_char(c))
    })
}

/// Whether `text` names the id `id` whole (what [`replace_id`] would replace).
fn mentions_id(text: &str, id: &str) -> bool {
    id_occurrences(text, id).next().is_some()
}

/// `text` with every whole occurrence of the id `id` replaced by `with`; `None` when
/// there is none.
fn replace_id(text: &str, id: &str, with: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let (mut copied_to, mut found) = (0, false);
    for at in id_occurrences(text, id) {
        out.push_str(&text[copied_to..at]);
        out.push_str(with);
        copied_to = at + id.len();
        found = true;
    }
    out.push_str(&text[copied_to..]);
    found.then_some(out)
}

/// Replaces every JSON string that is exactly `id` by `with`; true if there was one.
fn replace_id_in_json(value: &mut Value, id: &PersonId, with: &PersonId) -> bool {
    match value {
        Value::String(text) if text == id.as_str() => {
            *text = with.to_string();
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |found, item| {
            replace_id_in_json(item, id, with) | found
        }),
        Value::Object(map) => map.values_mut().fold(false, |found, item| {
            replace_id_in_json(item, id, with) | found
        }),
        _ => false,
    }
}

/// How far back an erasure looks again for messages that came in while it searched,
/// beyond the moment it began: a clock set back by less than this misses nothing.
const CLOCK_MARGIN_MS: u64 = 3_600_000;

/// What an erasure found in the big tables before it took the write lock.
struct ErasureSearch {
    /// When the search began.
    began: UnixMillis,
    /// Messages they sent or were sent, by uid.
    messages: Vec<String>,
    /// Reports that are theirs or name them, by key.
    reports: Vec<Vec<u8>>,
    /// Every diary answer's report key then (only diary answers name people).
    diary_reports: std::collections::HashSet<String>,
    /// Audit lines that name them, by key.
    audit: Vec<Vec<u8>>,
    /// The last audit line read.
    audit_read_to: Option<Vec<u8>>,
}

/// Whether a report's message names `who` anywhere (a diary answer's people), as
/// [`replace_id_in_json`] finds them.
fn names(value: &Value, who: &PersonId) -> bool {
    match value {
        Value::String(s) => s == who.as_str(),
        Value::Array(items) => items.iter().any(|v| names(v, who)),
        Value::Object(map) => map.values().any(|v| names(v, who)),
        _ => false,
    }
}

/// Rewrites the author inside a kept message's content (the envelope's JSON).
fn rewrite_author(tx: &mut Tx, uid: &str, author: &PersonId) -> Result<(), AppError> {
    let Some(bytes) = tx.get_raw(tables::MESSAGE_BODIES, uid.as_bytes())? else {
        return Ok(());
    };
    let Ok(mut envelope) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(());
    };
    if let Some(body) = envelope.get_mut("body").and_then(Value::as_object_mut) {
        body.insert("author".into(), Value::String(author.to_string()));
    }
    let rewritten = serde_json::to_vec(&envelope).unwrap_or(bytes);
    tx.put_raw(tables::MESSAGE_BODIES, uid.as_bytes().to_vec(), rewritten);
    Ok(())
}

impl Hub {
    /// Everything the hub keeps about a participant. Reading their whole history takes a
    /// while (most of a second on a year of data), so it runs off the async threads.
    pub async fn export_participant(&self, who: &PersonId) -> Result<ParticipantExport, AppError> {
        let (hub, who) = (self.clone(), who.clone());
        super::off_async_threads(move || hub.gather_export(&who)).await
    }

    fn gather_export(&self, who: &PersonId) -> Result<ParticipantExport, AppError> {
        let tx = self.tx();
        let mut person = super::people::participant(&tx, who)?;
        let mut media = Vec::new();
        if let Some(photo) = person.photo.take() {
            let ext = match crate::photos::inspect(&photo.0).map(|p| p.mime) {
                Ok(nabij_protocol::ImageMime::Png) => "png",
                _ => "jpg",
            };
            media.push(ZipEntry {
                name: format!("media/photo.{ext}"),
                bytes: photo.0,
            });
        }
        let everyone = tx.all(tables::PEOPLE)?;
        let name = |id: &PersonId| people::shown_name(id, everyone.iter().find(|p| &p.id == id));
        let group = match &person.group {
            Some(g) => tx.get(tables::GROUPS, g.as_str())?.map(|g| g.name),
            None => None,
        };
        let mine = prefix(&[who.as_str().as_bytes()]);
        let memberships = tx.with_prefix(tables::MEMBERSHIPS, &mine)?;
        let contacts = tables::contact_ids(&tx, who)?
            .into_iter()
            .map(|id| NamedPerson {
                name: name(&id),
                id,
            })
            .collect();
        let tablets = tx
            .all(tables::DEVICES)?
            .into_iter()
            .filter(|d| &d.participant == who)
            .map(|d| TabletData {
                state: d.state.word(),
                device: d.id,
                profile: d.profile,
                enrolled_at: d.enrolled_at,
                last_seen: d.last_seen,
            })
            .collect();
        let loans = tx
            .all(tables::LOANS)?
            .into_iter()
            .filter(|l| &l.participant == who)
            .collect();
        let (mut messages_sent, mut messages_received) = (Vec::new(), Vec::new());
        for message in tx.all(tables::MESSAGES)? {
            let sent = &message.from_person == who;
            if !sent && &message.to != who {
                continue;
            }
            let data = MessageData {
                content: content_of(&tx, &message, &mut media)?,
                id: message.uid.clone(),
                at: message.received_at,
                from: name(&message.from_person),
                to: name(&message.to),
                kind: message.kind.clone(),
            };
            if sent {
                messages_sent.push(data);
            } else {
                messages_received.push(data);
            }
        }
        messages_sent.sort_by_key(|m| m.at);
        messages_received.sort_by_key(|m| m.at);
        let mut reports: Vec<Report> = tx
            .all(tables::REPORTS)?
            .into_iter()
            .filter(|r| &r.participant == who)
            .collect();
        reports.sort_by_key(|r| r.received_at);
        let requests_and_answers = reports
            .into_iter()
            .enumerate()
            .map(|(n, r)| {
                let mut envelope = r.envelope;
                take_media(&mut envelope, &format!("answer-{}", n + 1), &mut media);
                serde_json::json!({
                    "received_at": r.received_at,
                    "answered_at": r.answered_at,
                    "message": envelope,
                })
            })
            .collect();
        let mut meetings = Vec::new();
        for session in tx.all(tables::SESSIONS)? {
            let k = key(&[session.id.as_str().as_bytes(), who.as_str().as_bytes()]);
            let answer = tx.get(tables::RSVPS, &k)?;
            let attendance = tx.get(tables::ATTENDANCE, &k)?;
            let pickup = tx.get(tables::PICKUPS, &k)?;
            if answer.is_some() || attendance.is_some() || pickup.is_some() {
                meetings.push(MeetingData {
                    session: session.id.to_string(),
                    starts_at: session.starts_at,
                    answer,
                    attendance,
                    pickup,
                });
            }
        }
        meetings.sort_by_key(|m| m.starts_at);
        let check_ins = tx
            .scan(tables::CHECK_INS, &mine, None, usize::MAX)?
            .into_iter()
            .filter_map(|(k, mood)| {
                let inverted: [u8; 8] = k.get(mine.len()..)?.try_into().ok()?;
                Some(CheckInData {
                    at: UnixMillis(u64::MAX - u64::from_be_bytes(inverted)),
                    mood,
                })
            })
            .collect();
        let questionnaires = tx.with_prefix(tables::SURVEYS, &mine)?;
        Ok(ParticipantExport {
            person: who.clone(),
            data: ParticipantData {
                about: "Everything the Nabij hub keeps about this participant (see README.txt).",
                exported_at: clock::now(),
                person,
                group,
                memberships,
                contacts,
                tablets,
                loans,
                messages_sent,
                messages_received,
                requests_and_answers,
                meetings,
                check_ins,
                questionnaires,
            },
            media,
        })
    }

    /// Erases a participant. Their tablets must be taken back or wiped first (a tablet
    /// still lent out would lose its senior mid-use). Their contacts' tablets get the
    /// shorter contact list at once.
    ///
    /// The big tables (a year of messages, reports, the audit log) are read before the
    /// write lock is taken, so that the receive path does not wait for that; what arrived
    /// meanwhile is found again under the lock ([`ErasureSearch`]).
    pub async fn erase_participant(&self, who: &PersonId) -> Result<Erased, AppError> {
        let (hub, id) = (self.clone(), who.clone());
        let search = super::off_async_threads(move || hub.search_for_erasure(&id)).await?;
        self.erase_found(who, search).await
    }

    /// What an erasure must change in the big tables, read without the write lock.
    fn search_for_erasure(&self, who: &PersonId) -> Result<ErasureSearch, AppError> {
        let tx = self.tx();
        let person = super::people::participant(&tx, who)?;
        if !tables::tablets_of(&tx, who)?.is_empty() {
            return Err(AppError::StillLent(person.name));
        }
        let began = clock::now();
        // Before the reports: an answer that comes in between is then looked at twice,
        // never missed.
        let diary_reports = tx
            .entries(tables::DIARY_ANSWERS)?
            .into_iter()
            .map(|(_, report)| report)
            .collect();
        let messages = tx
            .all(tables::MESSAGES)?
            .into_iter()
            .filter(|m| &m.from_person == who || &m.to == who)
            .map(|m| m.uid)
            .collect();
        let mut reports = Vec::new();
        for (k, report) in tx.entries(tables::REPORTS)? {
            if &report.participant == who || names(&report.envelope, who) {
                reports.push(k);
            }
        }
        let mut audit = Vec::new();
        let mut audit_read_to = None;
        for (k, entry) in tx.entries(tables::AUDIT)? {
            if mentions_id(&entry.what, who.as_str()) {
                audit.push(k.clone());
            }
            audit_read_to = Some(k);
        }
        Ok(ErasureSearch {
            began,
            messages,
            reports,
            diary_reports,
            audit,
            audit_read_to,
        })
    }

    /// The erasure itself, under the write lock: what `search` found, and what came in
    /// after it began.
    async fn erase_found(&self, who: &PersonId, search: ErasureSearch) -> Result<Erased, AppError> {
        let mut fx = Effects::default();
        let erased = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let person = super::people::participant(&tx, who)?;
            if !tables::tablets_of(&tx, who)?.is_empty() {
                return Err(AppError::StillLent(person.name));
            }
            let former = PersonId::former_participant();
            let mut removed = 0usize;
            let mine = prefix(&[who.as_str().as_bytes()]);
            for other in tables::contact_ids(&tx, who)? {
                tables::unapprove(&mut tx, who, &other);
                removed += 1;
                self.push_contacts_after_erasure(
                    &mut tx,
                    &mut fx,
                    &other,
                    std::slice::from_ref(who),
                )?;
            }
            let (mut kept, mut forgotten) = (0, 0);
            // Messages the hub got since the search began (an hour's margin for a clock
            // set back): the time index has every new one.
            let since = UnixMillis(search.began.0.saturating_sub(CLOCK_MARGIN_MS));
            let mut uids = search.messages;
            uids.extend(tables::messages_since(&tx, since)?);
            uids.sort_unstable();
            uids.dedup();
            for uid in uids {
                let Some(mut message) = tx.get(tables::MESSAGES, &uid)? else {
                    continue;
                };
                if &message.from_person == who {
                    message.from_person = former.clone();
                    rewrite_author(&mut tx, &message.uid, &former)?;
                    tx.put(tables::MESSAGES, &message.uid, &message)?;
                    kept += 1;
                } else if &message.to == who {
                    if tables::forget_content(&mut tx, &message.uid)? {
                        tables::add_usage(&mut tx, &message.from_device, -(message.size as i64))?;
                    }
                    tables::forget_message_time(&mut tx, &message);
                    message.to = former.clone();
                    tx.put(tables::MESSAGES, &message.uid, &message)?;
                    forgotten += 1;
                }
            }
            // Who wrote to whom stays in the figures, without them.
            for (k, ()) in tx.entries(tables::WROTE_TO)? {
                let parts: Vec<&[u8]> = k.split(|b| *b == 0).collect();
                if parts.len() != 3 {
                    continue;
                }
                if parts[0] == who.as_str().as_bytes() || parts[2] == who.as_str().as_bytes() {
                    tx.remove(tables::WROTE_TO, &k);
                    let swap = |part: &[u8]| {
                        if part == who.as_str().as_bytes() {
                            former.as_str().as_bytes().to_vec()
                        } else {
                            part.to_vec()
                        }
                    };
                    let (from, to) = (swap(parts[0]), swap(parts[2]));
                    tx.put(tables::WROTE_TO, key(&[&from, parts[1], &to]), &())?;
                }
            }
            // Only diary answers name people: those indexed since the search are new.
            let mut report_keys = search.reports;
            for (_, report) in tx.entries(tables::DIARY_ANSWERS)? {
                if !search.diary_reports.contains(&report) {
                    report_keys.push(report.into_bytes());
                }
            }
            report_keys.sort_unstable();
            report_keys.dedup();
            for k in report_keys {
                let Some(mut report) = tx.get(tables::REPORTS, &k)? else {
                    continue;
                };
                if &report.participant == who {
                    tx.remove(tables::REPORTS, &k);
                    removed += 1;
                } else if replace_id_in_json(&mut report.envelope, who, &former) {
                    // Someone else's diary answer named them.
                    tx.put(tables::REPORTS, &k, &report)?;
                }
            }
            for k in keys_with_part(&tx, tables::DIARY_ANSWERS, 1, who.as_str())? {
                tx.remove(tables::DIARY_ANSWERS, &k);
            }
            for k in keys_with_part(&tx, tables::ATTENDANCE, 1, who.as_str())? {
                tx.remove(tables::ATTENDANCE, &k);
                removed += 1;
            }
            for k in keys_with_part(&tx, tables::RSVPS, 1, who.as_str())? {
                tx.remove(tables::RSVPS, &k);
                removed += 1;
            }
            for k in keys_with_part(&tx, tables::PICKUPS, 1, who.as_str())? {
                tx.remove(tables::PICKUPS, &k);
            }
            for (k, ()) in tx.scan(tables::DEVICES_OF_PERSON, &mine, None, usize::MAX)? {
                tx.remove(tables::DEVICES_OF_PERSON, &k);
            }
            macro_rules! remove_mine {
                ($($table:expr),*) => {$(
                    for (k, _) in tx.scan($table, &mine, None, usize::MAX)? {
                        tx.remove($table, &k);
                        removed += 1;
                    }
                )*};
            }
            remove_mine!(
                tables::CHECK_INS,
                tables::HANDLED,
                tables::SURVEYS,
                tables::MEMBERSHIPS
            );
            tx.remove(tables::LAST_SENT, who.as_str());
            tx.remove(tables::OPEN_CALLS, who.as_str());
            tx.remove(tables::CALL_NOTES, who.as_str());
            for mut device in tx.all(tables::DEVICES)? {
                if &device.participant != who {
                    continue;
                }
                tables::clear_outbox(&mut tx, &device.id)?;
                tx.remove(tables::USAGE, device.id.as_str());
                let seen = format!("{}|", device.id);
                for (k, _) in tx.scan(tables::SEEN, seen.as_bytes(), None, usize::MAX)? {
                    tx.remove(tables::SEEN, &k);
                }
                // Not through `put_device`: no index entry for the former participant.
                device.participant = former.clone();
                tx.put(tables::DEVICES, device.id.as_str(), &device)?;
            }
            for mut loan in tx.all(tables::LOANS)? {
                if &loan.participant == who {
                    loan.participant = former.clone();
                    tx.put(tables::LOANS, tables::loan_key(loan.number), &loan)?;
                }
            }
            // The audit log keeps what was done, not to whom: the lines found, and those
            // written since.
            let mut audit: Vec<(Vec<u8>, crate::domain::accounts::AuditEntry)> = Vec::new();
            for k in search.audit {
                if let Some(entry) = tx.get(tables::AUDIT, &k)? {
                    audit.push((k, entry));
                }
            }
            audit.extend(tx.scan(
                tables::AUDIT,
                b"",
                search.audit_read_to.as_deref(),
                usize::MAX,
            )?);
            for (k, mut entry) in audit {
                if let Some(what) = replace_id(&entry.what, who.as_str(), former.as_str()) {
                    entry.what = what;
                    tx.put(tables::AUDIT, &k, &entry)?;
                }
            }
            tx.remove(tables::PEOPLE, who.as_str());
            removed += 1;
            tx.commit().await?;
            tracing::info!(
                messages_kept = kept,
                messages_forgotten = forgotten,
                records = removed,
                "a participant was erased"
            );
            Erased {
                name: person.name,
                messages_kept: kept,
                messages_forgotten: forgotten,
                records_removed: removed,
            }
        };
        self.finish(fx).await;
        Ok(erased)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{hub, status, tablet, take_everything, text, up};
    use crate::store::RawTable;
    use nabij_protocol::{
        Ack, Audio, AudioCodec, Body, CheckIn, HelpRequest, Recipient, Topic, VoiceNote,
    };

    /// Jan and Anna, contacts with tablets that acknowledged everything so far; Jan wrote
    /// "Dag Anna", Anna sent Jan a voice note, Jan called for help and checked in.
    async fn jan_and_anna() -> (
        Hub,
        std::sync::Arc<crate::app::testing::Recorder>,
        [(PersonId, DeviceId); 2],
    ) {
        let (hub, out) = hub();
        let jan = tablet(&hub, "Jan").await;
        let anna = tablet(&hub, "Anna").await;
        hub.approve_contacts(&jan.0, &anna.0).await.unwrap();
        hub.handle_batch(vec![status(&jan.1, true), status(&anna.1, true)])
            .await;
        let voice = Body::Voice(VoiceNote {
            to: Recipient::Person(jan.0.clone()),
            author: None,
            audio: Audio {
                codec: AudioCodec::OggOpus,
                duration_ms: 1500,
                data: nabij_protocol::base64::Base64Bytes(b"OggS voice of Anna".to_vec()),
            },
        });
        hub.handle_batch(vec![
            up(&jan.1, text(&anna.0, "Dag Anna")).0,
            up(&anna.1, voice).0,
            up(&jan.1, Body::HelpRequest(HelpRequest { note: None })).0,
            up(
                &jan.1,
                Body::CheckIn(CheckIn {
                    mood: nabij_protocol::Mood::Good,
                }),
            )
            .0,
        ])
        .await;
        // Both tablets take everything that waits for them.
        for device in [&jan.1, &anna.1] {
            take_everything(&hub, &out, device).await;
            assert_eq!(hub.queued_for(device).unwrap(), 0);
        }
        (hub, out, [jan, anna])
    }

    #[tokio::test]
    async fn the_export_holds_their_messages_answers_and_media_as_files() {
        let (hub, _, [(jan, _), (anna, _)]) = jan_and_anna().await;
        let export = hub.export_participant(&jan).await.unwrap();
        let data = &export.data;
        assert_eq!(data.person.name, "Jan");
        assert_eq!(data.contacts.len(), 1);
        assert_eq!(data.contacts[0].id, anna);
        assert_eq!(data.tablets.len(), 1);
        assert_eq!(data.messages_sent.len(), 1);
        let sent = &data.messages_sent[0];
        assert_eq!((sent.from.as_str(), sent.to.as_str()), ("Jan", "Anna"));
        assert_eq!(sent.content.as_ref().unwrap()["text"], "Dag Anna");
        let heard = &data.messages_received[0];
        assert_eq!(heard.kind, "voice");
        let file = heard.content.as_ref().unwrap()["audio"]["file"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            file.starts_with("media/") && file.ends_with(".ogg"),
            "{file}"
        );
        assert!(
            heard.content.as_ref().unwrap()["audio"]
                .get("data")
                .is_none()
        );
        let media = export.media.iter().find(|m| m.name == file).unwrap();
        assert_eq!(media.bytes, b"OggS voice of Anna");
        let kinds: Vec<&str> = data
            .requests_and_answers
            .iter()
            .map(|r| r["message"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["help_request", "check_in"]);
        assert_eq!(data.check_ins.len(), 1);
        let zip = export.to_zip().unwrap();
        let json = serde_json::to_vec_pretty(data).unwrap();
        assert!(
            zip.windows(json.len()).any(|w| w == json.as_slice()),
            "data.json is in the zip as it is"
        );
        assert!(matches!(
            hub.export_participant(&PersonId::parse("p-nobody").unwrap())
                .await,
            Err(AppError::NoParticipant(_))
        ));
    }

    /// Every table the hub keeps.
    const TABLES: [&str; 35] = [
        "devices",
        "person_devices",
        "grants",
        "people",
        "groups",
        "loans",
        "outbox",
        "outbox_ids",
        "contacts",
        "contact_index",
        "messages",
        "message_bodies",
        "message_times",
        "deliveries",
        "seen",
        "reports",
        "sessions",
        "group_sessions",
        "pickups",
        "memberships",
        "attendance",
        "rsvps",
        "last_sent",
        "check_ins",
        "open_calls",
        "handled",
        "diary_weeks",
        "diary_answers",
        "surveys",
        "usage",
        "settings",
        "accounts",
        "audit",
        "wrote_to",
        "meta",
    ];

    /// No record of any table names Jan, in its key or its value.
    fn assert_nothing_names_jan(hub: &Hub) {
        let tx = hub.tx();
        for table in TABLES {
            for (k, v) in tx.scan_raw(RawTable(table), b"", None, usize::MAX).unwrap() {
                let found = |bytes: &[u8]| bytes.windows(5).any(|w| w == b"p-jan");
                assert!(
                    !found(&k) && !found(&v),
                    "{table} still names Jan: {}",
                    String::from_utf8_lossy(&v)
                );
            }
        }
    }

    #[tokio::test]
    async fn what_comes_in_while_an_erasure_searches_is_erased_too() {
        let (hub, out, [(jan, jan_tablet), (anna, anna_tablet)]) = jan_and_anna().await;
        hub.revoke(&jan_tablet).await.unwrap();
        // The search runs without the write lock; meanwhile Anna writes to Jan, a diary
        // answer of hers names him, and a coach's change to him is logged.
        let search = hub.search_for_erasure(&jan).unwrap();
        assert_eq!(search.messages.len(), 2, "what they wrote each other");
        hub.handle_batch(vec![up(&anna_tablet, text(&jan, "Gaat het, Jan?")).0])
            .await;
        let mut tx = hub.tx();
        let report_key = "d-anna|late-diary";
        tx.put(
            tables::REPORTS,
            report_key,
            &diary_answer_naming(&anna_tablet, &anna, &[jan.as_str()]),
        )
        .unwrap();
        let prompt = nabij_protocol::PromptId::parse("q-talked-to").unwrap();
        super::super::diary::note_answer(&mut tx, &prompt, &anna, clock::now(), report_key)
            .unwrap();
        tx.commit().await.unwrap();
        hub.audit("marie", &format!("moved {jan} to another group"))
            .await
            .unwrap();
        let erased = hub.erase_found(&jan, search).await.unwrap();
        assert_eq!((erased.messages_kept, erased.messages_forgotten), (1, 2));
        // Anna's tablet takes its new contact list (which names Jan as former, once).
        take_everything(&hub, &out, &anna_tablet).await;
        assert_nothing_names_jan(&hub);
        let answer = hub.tx().get(tables::REPORTS, report_key).unwrap().unwrap();
        assert_eq!(
            answer.envelope["body"]["people"],
            serde_json::json!([nabij_protocol::FORMER_PARTICIPANT])
        );
    }

    #[tokio::test]
    async fn erasing_leaves_no_trace_of_them_and_others_keep_what_they_wrote() {
        let (hub, out, [(jan, jan_tablet), (anna, anna_tablet)]) = jan_and_anna().await;
        // Jan is in a group whose programme began last week: he answered "not coming"
        // and the coach marked him.
        let group = hub.add_group("De Schelp", None).await.unwrap().id;
        hub.move_participant(&jan, Some(&group)).await.unwrap();
        let today = nabij_protocol::time::brussels(clock::now());
        let first = crate::domain::calendar::Date::new(today.year, today.month, today.day)
            .unwrap()
            .plus_days(-7);
        let plan = crate::domain::schedule::Plan {
            first,
            time: crate::domain::schedule::TimeOfDay { hour: 0, minute: 0 },
            minutes: 60,
            place: "De Schelp".into(),
            address: None,
        };
        let past = hub.plan_schedule(&group, plan).await.unwrap()[0].id.clone();
        let rsvp = Body::Rsvp(nabij_protocol::Rsvp {
            session_id: past.clone(),
            answer: nabij_protocol::RsvpAnswer::NotComing,
        });
        hub.handle_batch(vec![up(&jan_tablet, rsvp).0]).await;
        hub.take_attendance(&past, vec![]).await.unwrap();
        let before = hub.export_participant(&jan).await.unwrap().data;
        assert_eq!(before.memberships.len(), 1);
        assert_eq!(before.meetings.len(), 1);
        assert!(before.meetings[0].answer.is_some() && before.meetings[0].attendance.is_some());
        assert!(matches!(
            hub.erase_participant(&jan).await,
            Err(AppError::StillLent(name)) if name == "Jan"
        ));
        hub.revoke(&jan_tablet).await.unwrap();
        // Anna's diary answer named Jan among the people she spoke to.
        let mut tx = hub.tx();
        tx.put(
            tables::REPORTS,
            "d-anna|test-diary",
            &diary_answer_naming(&anna_tablet, &anna, &[jan.as_str(), "p-coach-marie"]),
        )
        .unwrap();
        tx.commit().await.unwrap();
        hub.audit("marie", &format!("changed the details of {jan}"))
            .await
            .unwrap();
        let erased = hub.erase_participant(&jan).await.unwrap();
        assert_eq!(
            (
                erased.name.as_str(),
                erased.messages_kept,
                erased.messages_forgotten
            ),
            ("Jan", 1, 1)
        );
        // Anna's tablet is told at once that Jan is no longer a contact.
        let (contacts_id, contacts) = out
            .take(&Topic::DeviceDown(anna_tablet.clone()))
            .into_iter()
            .find_map(|e| match e.body {
                Body::Contacts(c) => Some((e.id, c)),
                _ => None,
            })
            .expect("a new contact list");
        assert!(contacts.contacts.is_empty());
        // Once, so the tablet files what Jan wrote under "a former participant".
        assert_eq!(contacts.former, std::slice::from_ref(&jan));
        // That message names Jan until Anna's tablet has it; then nothing does.
        let (ack, _) = up(
            &anna_tablet,
            Body::Ack(Ack {
                ids: vec![contacts_id],
            }),
        );
        hub.handle_batch(vec![ack]).await;
        assert_nothing_names_jan(&hub);
        let tx = hub.tx();
        // What Jan wrote to Anna stays hers, from a former participant; what Anna said to
        // Jan is gone.
        let anna_has = hub.export_participant(&anna).await.unwrap().data;
        assert_eq!(anna_has.messages_received.len(), 1);
        assert_eq!(anna_has.messages_received[0].from, "a former participant");
        assert_eq!(
            anna_has.messages_received[0].content.as_ref().unwrap()["text"],
            "Dag Anna"
        );
        assert_eq!(anna_has.messages_sent.len(), 1);
        assert!(anna_has.messages_sent[0].content.is_none());
        assert_eq!(anna_has.messages_sent[0].to, "a former participant");
        assert_eq!(
            tx.get(tables::USAGE, anna_tablet_id(&anna_has).as_str())
                .unwrap()
                .unwrap_or_default()
                .stored_bytes,
            0,
            "Anna's quota no longer counts a message the hub forgot"
        );
        // Anna's answer still counts two people named: one is a former participant.
        let named = hub
            .tx()
            .get(tables::REPORTS, "d-anna|test-diary")
            .unwrap()
            .unwrap();
        assert_eq!(
            named.envelope["body"]["people"],
            serde_json::json!([nabij_protocol::FORMER_PARTICIPANT, "p-coach-marie"])
        );
        // The loan register and the tablet list keep the tablet, without Jan's name.
        let loans = hub.loans().unwrap();
        assert!(loans.iter().all(|l| l.participant.as_str() != jan.as_str()));
        let rows = hub.devices(false).unwrap();
        let row = rows.iter().find(|r| r.device.id == jan_tablet).unwrap();
        assert_eq!(row.participant_name, "a former participant");
        assert!(matches!(
            hub.erase_participant(&jan).await,
            Err(AppError::NoParticipant(_))
        ));
    }

    /// A diary answer from `device` of `participant` to "who did you talk to", naming
    /// `people`.
    fn diary_answer_naming(device: &DeviceId, participant: &PersonId, people: &[&str]) -> Report {
        Report {
            device: device.clone(),
            participant: participant.clone(),
            received_at: clock::now(),
            envelope: serde_json::json!({
                "kind": "diary_answer",
                "body": {"prompt_id": "q-talked-to", "people": people}
            }),
            answered_at: None,
        }
    }

    #[test]
    fn only_whole_ids_are_replaced() {
        assert_eq!(
            replace_id("moved p-jan to g-a; p-jan-2 stays; (p-jan)", "p-jan", "p-x").as_deref(),
            Some("moved p-x to g-a; p-jan-2 stays; (p-x)")
        );
        assert_eq!(replace_id("xp-jan p-jans", "p-jan", "p-x"), None);
        assert_eq!(replace_id("p-jan", "p-jan", "p-x").as_deref(), Some("p-x"));
        assert!(mentions_id("erased (p-jan)", "p-jan"));
        assert!(!mentions_id("xp-jan p-jan-2 p-jans", "p-jan"));
    }

    fn anna_tablet_id(data: &ParticipantData) -> DeviceId {
        data.tablets[0].device.clone()
    }
}
