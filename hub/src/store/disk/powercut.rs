//! A thousand power cuts. A busy workload shaped like the hub's (messages stored with their
//! "seen" mark, their place in a time index and a copy in a tablet's queue, some with a
//! photo; queue entries acknowledged; contents forgotten), its applies and syncs
//! interleaved, runs on a simulated disk and media folder until the power goes at a random
//! operation (in the middle of a commit's page writes, between a media file and its
//! folder's sync, at the fsync…). What a restart finds (everything synced, and of the rest
//! none, all or a random part in a random order) is opened again, and:
//! - the store opens, and no media file a record names is missing;
//! - every message whose commit returned is there, exactly as written, once in the index;
//! - every transaction is whole or absent (its seen mark, record and index entry together);
//! - every removal whose commit returned stays removed;
//! - no id a record uses is handed out again.
//!
//! Then the tablets send again what was not acknowledged (the store's dedupe keeps each
//! once) and the workload goes on towards the next cut. Seeded: the seed is printed, and
//! `NABIJ_POWERCUT_SEED` runs the same cuts again; `NABIJ_POWERCUTS` sets how many.

use super::*;
use nabij_powercut::{Power, Rng, SimDisk, SimFolder};
use std::collections::BTreeMap;

/// Cuts a run makes unless `NABIJ_POWERCUTS` says otherwise.
const CUTS: u64 = 1_000;

/// What the workload knows about a message.
#[derive(Debug, Clone)]
struct Sent {
    json: Vec<u8>,
    /// Its commit returned: it must be there.
    acked: bool,
    /// Its queue copy's removal returned: it must stay gone.
    queue_acked: bool,
    /// Its content's removal returned: it must stay gone.
    forgotten: bool,
    /// The retention sweep is removing all of it: gone or whole, either may be found.
    swept: bool,
}

fn id_key(id: u64) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}

fn one(table: &'static str, key: Vec<u8>, value: Option<Vec<u8>>) -> Writes {
    let mut writes = Writes::new();
    writes.insert((table, key), value);
    writes
}

struct Workload {
    rng: Rng,
    /// Photos some messages carry (shared ones make shared files).
    photos: Vec<Vec<u8>>,
    sent: BTreeMap<u64, Sent>,
    /// Messages applied and not yet covered by a sync that returned.
    in_flight: Vec<u64>,
    next_message: u64,
    /// Bytes handed to the disk and the folder, and commits that returned.
    commits: u64,
}

impl Workload {
    fn new(seed: u64) -> Workload {
        let mut rng = Rng::new(seed);
        let photos = (0..4).map(|n| rng.bytes(13_000 + n * 3_000)).collect();
        Workload {
            rng,
            photos,
            sent: BTreeMap::new(),
            in_flight: Vec::new(),
            next_message: 1,
            commits: 0,
        }
    }

    fn json(&mut self, id: u64) -> Vec<u8> {
        if self.rng.below(6) == 0 {
            let photo = &self.photos[self.rng.below(self.photos.len() as u64) as usize];
            format!(
                r#"{{"id":"m-{id}","kind":"photo","data":"{}"}}"#,
                nabij_protocol::base64::encode(photo)
            )
            .into_bytes()
        } else {
            let words = "Dag Anna, tot donderdag! ".repeat(1 + self.rng.below(8) as usize);
            format!(r#"{{"id":"m-{id}","kind":"text","text":"{words}"}}"#).into_bytes()
        }
    }

    /// A tablet's message arrives: stored with its seen mark, index entry and queue copy,
    /// unless it was seen before (then nothing is written again).
    fn receive(
        &self,
        store: &DiskStorage,
        id: u64,
        json: &[u8],
    ) -> Result<Option<u64>, StoreError> {
        if store.get("seen", &id_key(id))?.is_some() {
            return Ok(None);
        }
        let seq = store.next_id()?;
        let copy = store.next_id()?;
        let mut writes = Writes::new();
        writes.insert(("seen", id_key(id)), Some(b"1".to_vec()));
        writes.insert(("messages", id_key(id)), Some(json.to_vec()));
        let mut time = seq.to_be_bytes().to_vec();
        time.extend_from_slice(&id.to_be_bytes());
        writes.insert(("times", time), Some(Vec::new()));
        writes.insert(("queue", copy.to_be_bytes().to_vec()), Some(json.to_vec()));
        writes.insert(("queue_ids", id_key(id)), Some(copy.to_be_bytes().to_vec()));
        Ok(Some(store.apply(writes)?))
    }

    /// One step of the workload; an error means the power went.
    fn step(&mut self, store: &DiskStorage) -> Result<(), StoreError> {
        match self.rng.below(11) {
            // New messages, a few applied before one sync covers them.
            0..=5 => {
                let mut last = None;
                for _ in 0..=self.rng.below(4) {
                    let id = self.next_message;
                    self.next_message += 1;
                    let json = self.json(id);
                    self.sent.insert(
                        id,
                        Sent {
                            json: json.clone(),
                            acked: false,
                            queue_acked: false,
                            forgotten: false,
                            swept: false,
                        },
                    );
                    self.in_flight.push(id);
                    last = self.receive(store, id, &json)?.or(last);
                }
                if self.rng.below(4) != 0 {
                    store.sync_up_to(last.unwrap_or(u64::MAX))?;
                    self.commits += 1;
                    for id in self.in_flight.drain(..) {
                        if let Some(sent) = self.sent.get_mut(&id) {
                            sent.acked = true;
                        }
                    }
                }
            }
            // A tablet acknowledges a queue copy.
            6..=7 => {
                let Some(id) = self.pick(|s| s.acked && !s.queue_acked) else {
                    return Ok(());
                };
                let Some(copy) = store.get("queue_ids", &id_key(id))? else {
                    return Ok(());
                };
                let mut writes = one("queue", copy, None);
                writes.insert(("queue_ids", id_key(id)), None);
                let generation = store.apply(writes)?;
                store.sync_up_to(generation)?;
                self.commits += 1;
                if let Some(sent) = self.sent.get_mut(&id) {
                    sent.queue_acked = true;
                }
            }
            // The retention sweep forgets a message's content (and its file, if last).
            8 => {
                let Some(id) = self.pick(|s| s.acked && s.queue_acked && !s.forgotten) else {
                    return Ok(());
                };
                let generation = store.apply(one("messages", id_key(id), None))?;
                store.sync_up_to(generation)?;
                self.commits += 1;
                if let Some(sent) = self.sent.get_mut(&id) {
                    sent.forgotten = true;
                }
            }
            // Long after, the oldest messages go altogether (marks, index, anything left),
            // and the model forgets them too: the database stays the size of a busy week.
            _ => {
                if self.sent.len() < 120 {
                    return Ok(());
                }
                let oldest = store.scan("times", b"", None, 20)?;
                let mut writes = Writes::new();
                let mut ids = Vec::new();
                for (time, _) in oldest {
                    let id = u64::from_be_bytes(time[8..].try_into().unwrap_or_default());
                    if let Some(copy) = store.get("queue_ids", &id_key(id))? {
                        writes.insert(("queue", copy), None);
                    }
                    for table in ["seen", "messages", "queue_ids"] {
                        writes.insert((table, id_key(id)), None);
                    }
                    writes.insert(("times", time), None);
                    if let Some(sent) = self.sent.get_mut(&id) {
                        sent.swept = true;
                    }
                    ids.push(id);
                }
                let generation = store.apply(writes)?;
                store.sync_up_to(generation)?;
                self.commits += 1;
                for id in ids {
                    self.sent.remove(&id);
                }
            }
        }
        Ok(())
    }

    fn pick(&mut self, want: impl Fn(&Sent) -> bool) -> Option<u64> {
        let ids: Vec<u64> = self
            .sent
            .iter()
            .filter(|(_, s)| want(s))
            .map(|(id, _)| *id)
            .collect();
        (!ids.is_empty()).then(|| ids[self.rng.below(ids.len() as u64) as usize])
    }

    /// After a restart: checks what the store must hold, then sends again what was not
    /// acknowledged, as tablets do.
    fn check_and_resend(&mut self, store: &DiskStorage, cut: u64) -> Result<(), String> {
        let fail = |what: String| Err(format!("cut {cut}: {what}"));
        if store.missing_media() > 0 {
            return fail(format!("{} media files are missing", store.missing_media()));
        }
        let scan = |table| {
            store
                .scan(table, b"", None, usize::MAX)
                .map_err(|e| format!("cut {cut}: {e}"))
        };
        // Whole tables at once: a read each would be a thousand snapshots a cut.
        let tables: BTreeMap<&str, BTreeMap<Vec<u8>, Vec<u8>>> =
            ["seen", "messages", "queue", "queue_ids"]
                .into_iter()
                .map(|t| Ok((t, scan(t)?.into_iter().collect())))
                .collect::<Result<_, String>>()?;
        let read = |table: &str, key: &[u8]| -> Result<Option<Vec<u8>>, String> {
            Ok(tables.get(table).and_then(|t| t.get(key)).cloned())
        };
        let mut in_index: BTreeMap<u64, usize> = BTreeMap::new();
        let mut highest = None;
        for (key, _) in scan("times")? {
            let seq = u64::from_be_bytes(key[..8].try_into().unwrap_or_default());
            let id = u64::from_be_bytes(key[8..].try_into().unwrap_or_default());
            *in_index.entry(id).or_default() += 1;
            highest = highest.max(Some(seq));
        }
        for (key, _) in scan("queue")? {
            highest = highest.max(Some(u64::from_be_bytes(key.try_into().unwrap_or_default())));
        }
        for (id, sent) in &self.sent {
            let seen = read("seen", &id_key(*id))?.is_some();
            let record = read("messages", &id_key(*id))?;
            let indexed = in_index.get(id).copied().unwrap_or(0);
            if seen != (indexed == 1) || indexed > 1 {
                return fail(format!(
                    "message {id}: seen {seen}, in the index {indexed} times: half a transaction"
                ));
            }
            if sent.swept {
                // Gone or whole: the sweep's commit may or may not have landed.
                if record.as_ref().is_some_and(|json| json != &sent.json) {
                    return fail(format!("message {id} came back different"));
                }
                continue;
            }
            if sent.acked && !seen {
                return fail(format!("message {id} was acknowledged and is gone"));
            }
            match &record {
                Some(json) if json != &sent.json => {
                    return fail(format!("message {id} came back different"));
                }
                Some(_) if sent.forgotten => {
                    return fail(format!("message {id}'s content was forgotten and is back"));
                }
                // Only a removal of the content in flight (which picks messages whose
                // copy was acknowledged) may have taken it.
                None if seen && !sent.forgotten && !(sent.acked && sent.queue_acked) => {
                    return fail(format!("message {id} is seen but its record is gone"));
                }
                _ => {}
            }
            let copy = read("queue_ids", &id_key(*id))?;
            if sent.queue_acked && copy.is_some() {
                return fail(format!(
                    "message {id}'s queue copy was acknowledged and is back"
                ));
            }
            match copy {
                Some(copy) if read("queue", &copy)?.as_deref() != Some(sent.json.as_slice()) => {
                    return fail(format!("message {id}'s queue copy is not whole"));
                }
                // No acknowledgement picks a message not known to be stored.
                None if seen && !sent.acked => {
                    return fail(format!(
                        "message {id}'s queue copy is gone with the rest there"
                    ));
                }
                _ => {}
            }
        }
        let next = store.next_id().map_err(|e| e.to_string())?;
        if highest.is_some_and(|h| next <= h) {
            return fail(format!(
                "id {next} handed out again (used up to {highest:?})"
            ));
        }
        // The tablets send again what they were not told was stored.
        let again: Vec<u64> = self.in_flight.drain(..).collect();
        let mut last = None;
        for id in &again {
            if let Some(sent) = self.sent.get(id) {
                let json = sent.json.clone();
                last = self
                    .receive(store, *id, &json)
                    .map_err(|e| format!("cut {cut}: resending: {e}"))?
                    .or(last);
            }
        }
        store
            .sync_up_to(last.unwrap_or(u64::MAX))
            .map_err(|e| format!("cut {cut}: resending: {e}"))?;
        for id in again {
            if let Some(sent) = self.sent.get_mut(&id) {
                sent.acked = true;
            }
        }
        Ok(())
    }
}

#[test]
fn a_thousand_power_cuts_lose_nothing_acknowledged_and_double_nothing() {
    let seed = std::env::var("NABIJ_POWERCUT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let cuts = std::env::var("NABIJ_POWERCUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CUTS);
    // Shown when the test fails (the harness prints a failing test's output).
    eprintln!("power cuts: seed {seed} (again: NABIJ_POWERCUT_SEED={seed})");
    let mut workload = Workload::new(seed);
    let mut crash = Rng::new(seed ^ 0x5eed);
    let power = Power::on();
    let (mut disk, mut folder) = (SimDisk::new(power.clone()), SimFolder::new(power.clone()));
    let mut power = power;
    let mut written = 0u64;
    let mut commits = 0u64;
    for cut in 1..=cuts {
        let store = DiskStorage::open_with(disk.clone(), folder.clone(), DiskOptions::default())
            .unwrap_or_else(|e| panic!("seed {seed}, cut {cut}: the store does not open: {e}"));
        if let Err(why) = workload.check_and_resend(&store, cut) {
            panic!("seed {seed}: {why}");
        }
        let (disk_before, folder_before, commits_before) =
            (disk.written(), folder.written(), workload.commits);
        power.cut_after(1 + crash.below(400));
        while !power.is_off() {
            if workload.step(&store).is_err() {
                assert!(
                    power.is_off(),
                    "seed {seed}, cut {cut}: the store failed with the power on"
                );
            }
        }
        written += disk.written() - disk_before + folder.written() - folder_before;
        commits += workload.commits - commits_before;
        drop(store);
        let image = disk.crash_image(&mut crash);
        let files = folder.crash_files(&mut crash);
        power = Power::on();
        disk = SimDisk::with_image(power.clone(), image);
        folder = SimFolder::with_files(power.clone(), files);
    }
    let store = DiskStorage::open_with(disk, folder, DiskOptions::default())
        .unwrap_or_else(|e| panic!("seed {seed}: the store does not open after the last cut: {e}"));
    if let Err(why) = workload.check_and_resend(&store, cuts + 1) {
        panic!("seed {seed}: {why}");
    }
    eprintln!(
        "{cuts} cuts, {commits} commits acknowledged between them, {} KB handed to the disk per commit",
        written / commits.max(1) / 1000
    );
}

/// One commit of a message with a photo, the power cut at each of its operations in turn
/// (a media file's write, its sync, the folder's, each page of the commit, its fsync),
/// and what a restart finds taken every way: nothing unsynced landed, all of it did, the
/// disk's or the folder's alone, or random parts. The message is there whole, with its photo, or not at all.
#[test]
fn a_cut_at_any_operation_of_a_commit_with_a_photo_leaves_all_of_it_or_none() {
    let photo = Rng::new(11).bytes(50_000);
    let json = format!(
        r#"{{"id":"m-1","kind":"photo","data":"{}"}}"#,
        nabij_protocol::base64::encode(&photo)
    )
    .into_bytes();
    let commit = |store: &DiskStorage| {
        let mut writes = one("messages", b"m-1".to_vec(), Some(json.clone()));
        writes.insert(("seen", b"m-1".to_vec()), Some(b"1".to_vec()));
        store.commit(writes)
    };
    // How many operations the commit takes, on a store that holds a little already.
    let base = |power: &Power| {
        let (disk, folder) = (SimDisk::new(power.clone()), SimFolder::new(power.clone()));
        let store = DiskStorage::open_with(disk.clone(), folder.clone(), DiskOptions::default())
            .expect("opens");
        store
            .commit(one("seen", b"m-0".to_vec(), Some(b"1".to_vec())))
            .expect("commits");
        (store, disk, folder)
    };
    let power = Power::on();
    let (store, _, _) = base(&power);
    let before = power.ops();
    commit(&store).expect("commits");
    let ops = power.ops() - before;
    assert!(ops >= 4, "a media file, its syncs and the commit: {ops}");
    let mut rng = Rng::new(12);
    for at in 1..=ops {
        for landing in 0..8 {
            let power = Power::on();
            let (store, disk, folder) = base(&power);
            power.cut_after(at);
            let acknowledged = commit(&store).is_ok();
            drop(store);
            let (image, files) = match landing {
                0 => (disk.durable_image(), folder.durable_files()),
                1 => (disk.live_image(), folder.live_files()),
                2 => (disk.live_image(), folder.durable_files()),
                3 => (disk.durable_image(), folder.live_files()),
                _ => (disk.crash_image(&mut rng), folder.crash_files(&mut rng)),
            };
            let power = Power::on();
            let store = DiskStorage::open_with(
                SimDisk::with_image(power.clone(), image),
                SimFolder::with_files(power, files),
                DiskOptions::default(),
            )
            .unwrap_or_else(|e| panic!("cut at operation {at}: does not open: {e}"));
            assert_eq!(
                store.missing_media(),
                0,
                "cut at operation {at}: a file is missing"
            );
            let seen = store.get("seen", b"m-1").expect("reads").is_some();
            let message = store.get("messages", b"m-1").expect("reads");
            assert_eq!(
                seen,
                message.is_some(),
                "cut at operation {at}: half a commit"
            );
            if acknowledged || seen {
                assert_eq!(
                    message.as_deref(),
                    Some(json.as_slice()),
                    "cut at operation {at}"
                );
            }
        }
    }
}
