//! The disk store's own promises: what readers see, what one sync covers, what reaches
//! the disk, media files, a failed commit, a kill mid-commit.

use super::*;
use crate::store::{RawTable, Table, Tx, key};
use nabij_powercut::{Power, SimDisk, SimFolder};
use std::io::BufRead as _;
use std::sync::Arc;

impl Folder for SimFolder {
    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        SimFolder::write(self, name, bytes)
    }

    fn sync(&self, names: &[String]) -> std::io::Result<()> {
        for name in names {
            self.sync_file(name)?;
        }
        self.sync_folder()
    }

    fn read(&self, name: &str) -> std::io::Result<Vec<u8>> {
        SimFolder::read(self, name)
    }

    fn remove(&self, name: &str) -> std::io::Result<()> {
        match SimFolder::remove(self, name) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn names(&self) -> std::io::Result<Vec<String>> {
        SimFolder::names(self)
    }
}

const NAMES: Table<String> = Table::new("names");
const PAIRS: RawTable = RawTable("pairs");

/// A store over a simulated disk and folder, with them.
fn simulated() -> (DiskStorage, SimDisk, SimFolder) {
    let power = Power::on();
    let (disk, folder) = (SimDisk::new(power.clone()), SimFolder::new(power));
    let store = DiskStorage::open_with(disk.clone(), folder.clone(), DiskOptions::default())
        .expect("a new store opens");
    (store, disk, folder)
}

fn write(key: &[u8], value: Option<&[u8]>) -> Writes {
    let mut writes = Writes::new();
    writes.insert(("pairs", key.to_vec()), value.map(<[u8]>::to_vec));
    writes
}

/// A message's JSON with a photo of `bytes` in it, as the hub stores one.
fn photo_json(id: &str, bytes: &[u8]) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","kind":"photo","body":{{"mime":"image/jpeg","data":"{}"}}}}"#,
        nabij_protocol::base64::encode(bytes)
    )
    .into_bytes()
}

#[test]
fn applied_writes_are_seen_at_once_and_one_sync_covers_all_before_it() {
    let (store, disk, _) = simulated();
    let store = Arc::new(store);
    let apply = |name: &str| {
        let mut tx = Tx::new(store.clone());
        tx.put(NAMES, name, &name.to_owned()).unwrap();
        tx.apply().unwrap()
    };
    let (first, second) = (apply("a"), apply("b"));
    assert_eq!(
        Tx::new(store.clone()).all(NAMES).unwrap(),
        ["a", "b"],
        "readers see applied writes before they are durable"
    );
    let before = disk.syncs();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(second.durable()).unwrap();
    let one = disk.syncs() - before;
    assert!(one >= 1);
    runtime.block_on(first.durable()).unwrap();
    assert_eq!(
        disk.syncs() - before,
        one,
        "the second's commit covered the first"
    );
    assert_eq!(store.pending_bytes(), 0);
}

#[test]
fn a_key_written_and_removed_between_two_syncs_never_reaches_the_disk() {
    let (store, disk, _) = simulated();
    store.commit(write(b"base", Some(b"1"))).unwrap();
    let quiet = disk.written();
    // A queued message and its ack, a thousand times, then one sync.
    for n in 0..1000u32 {
        store
            .apply(write(&n.to_be_bytes(), Some(&[7; 2_000])))
            .unwrap();
        store.apply(write(&n.to_be_bytes(), None)).unwrap();
    }
    store.commit(write(b"base", Some(b"2"))).unwrap();
    let written = disk.written() - quiet;
    assert!(
        written < 64 << 10,
        "2 MB written and removed again cost {written} bytes on disk"
    );
    assert_eq!(store.get("pairs", b"base").unwrap(), Some(b"2".to_vec()));
    assert_eq!(store.scan("pairs", b"", None, 10).unwrap().len(), 1);
}

#[test]
fn reads_merge_pending_over_the_database_in_key_order() {
    let (store, _, _) = simulated();
    let keyed = |n: u8| key(&[b"d-a", &[n]]);
    let mut writes = Writes::new();
    for n in 1..=5u8 {
        writes.insert(("pairs", keyed(n)), Some(vec![n]));
    }
    store.commit(writes).unwrap();
    let mut writes = Writes::new();
    writes.insert(("pairs", keyed(1)), None);
    writes.insert(("pairs", keyed(2)), None);
    writes.insert(("pairs", keyed(3)), Some(vec![33]));
    writes.insert(("pairs", keyed(6)), Some(vec![6]));
    let generation = store.apply(writes).unwrap();
    let values = |rows: Vec<Entry>| -> Vec<u8> { rows.into_iter().map(|(_, v)| v[0]).collect() };
    let p = crate::store::prefix(&[b"d-a"]);
    let check = |store: &DiskStorage| {
        assert_eq!(store.get("pairs", &keyed(1)).unwrap(), None);
        assert_eq!(store.get("pairs", &keyed(3)).unwrap(), Some(vec![33]));
        assert_eq!(values(store.scan("pairs", &p, None, 2).unwrap()), [33, 4]);
        assert_eq!(
            values(store.scan("pairs", &p, None, usize::MAX).unwrap()),
            [33, 4, 5, 6]
        );
        assert_eq!(
            values(store.scan("pairs", &p, Some(&keyed(4)), 10).unwrap()),
            [5, 6]
        );
        assert!(
            store
                .scan("pairs", &p, Some(b"zzz"), 10)
                .unwrap()
                .is_empty()
        );
    };
    check(&store);
    store.sync_up_to(generation).unwrap();
    assert_eq!(store.pending_bytes(), 0, "all of it is in the database now");
    check(&store);
}

#[test]
fn after_a_reopen_everything_synced_is_there_and_no_id_comes_again() {
    let power = Power::on();
    let (disk, folder) = (SimDisk::new(power.clone()), SimFolder::new(power.clone()));
    let store =
        DiskStorage::open_with(disk.clone(), folder.clone(), DiskOptions::default()).unwrap();
    let ids: Vec<u64> = (0..5).map(|_| store.next_id().unwrap()).collect();
    store.commit(write(b"a", Some(b"1"))).unwrap();
    store.apply(write(b"not-synced", Some(b"2"))).unwrap();
    let last = store.next_id().unwrap();
    // Off without a clean stop: what was not synced is gone, the rest is there.
    power.cut_after(1);
    drop(store);
    let mut rng = nabij_powercut::Rng::new(5);
    let image = disk.crash_image(&mut rng);
    let power = Power::on();
    let store = DiskStorage::open_with(
        SimDisk::with_image(power.clone(), image),
        SimFolder::with_files(power, folder.crash_files(&mut rng)),
        DiskOptions::default(),
    )
    .unwrap();
    assert_eq!(store.get("pairs", b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(store.get("pairs", b"not-synced").unwrap(), None);
    let next = store.next_id().unwrap();
    assert!(
        next > *ids.iter().max().unwrap(),
        "ids used by what was committed do not come again: {next} after {ids:?}"
    );
    assert!(next <= last + 1);
}

#[test]
fn a_photo_is_a_file_named_once_however_many_values_name_it_and_goes_with_the_last() {
    let (store, disk, folder) = simulated();
    let photo: Vec<u8> = nabij_powercut::Rng::new(1).bytes(1 << 20);
    let quiet = disk.written();
    let mut writes = Writes::new();
    // The message as stored, and the copy in the recipient's queue: another envelope
    // around the same photo.
    writes.insert(
        ("message_bodies", b"m-1".to_vec()),
        Some(photo_json("m-1", &photo)),
    );
    writes.insert(
        ("outbox", b"d-b\x001".to_vec()),
        Some(photo_json("hub-1", &photo)),
    );
    store.commit(writes).unwrap();
    let names = folder.names().unwrap();
    assert_eq!(names.len(), 1, "one file for both");
    assert_eq!(folder.read(&names[0]).unwrap(), photo);
    let in_db = disk.written() - quiet;
    assert!(in_db < 64 << 10, "the database wrote {in_db} bytes for it");
    assert_eq!(
        store.get("outbox", b"d-b\x001").unwrap(),
        Some(photo_json("hub-1", &photo)),
        "read back byte for byte"
    );
    // The ack removes the queue's copy: the file stays for the message.
    store
        .commit({
            let mut w = Writes::new();
            w.insert(("outbox", b"d-b\x001".to_vec()), None);
            w
        })
        .unwrap();
    assert_eq!(folder.names().unwrap().len(), 1);
    // The retention sweep forgets the content: the file goes.
    store
        .commit({
            let mut w = Writes::new();
            w.insert(("message_bodies", b"m-1".to_vec()), None);
            w
        })
        .unwrap();
    assert!(folder.names().unwrap().is_empty());
}

#[test]
fn a_photo_kept_inside_the_database_takes_a_page_twice_its_size() {
    // The comparison the bench makes on a real disk, here in bytes handed to the disk.
    let power = Power::on();
    let disk = SimDisk::new(power.clone());
    let store = DiskStorage::open_with(
        disk.clone(),
        SimFolder::new(power),
        DiskOptions {
            media_files: false,
            ..DiskOptions::default()
        },
    )
    .unwrap();
    let photo = nabij_powercut::Rng::new(2).bytes(1 << 20);
    let quiet = disk.written();
    store
        .commit(write(b"m-1", Some(&photo_json("m-1", &photo))))
        .unwrap();
    let written = disk.written() - quiet;
    assert!(written >= 2 << 20, "a 2 MiB page: {written}");
    assert_eq!(
        store.get("pairs", b"m-1").unwrap(),
        Some(photo_json("m-1", &photo))
    );
}

#[test]
fn a_failed_commit_stops_the_store_and_a_reopen_has_everything_before_it() {
    let power = Power::on();
    let (disk, folder) = (SimDisk::new(power.clone()), SimFolder::new(power.clone()));
    let store =
        DiskStorage::open_with(disk.clone(), folder.clone(), DiskOptions::default()).unwrap();
    store.commit(write(b"kept", Some(b"1"))).unwrap();
    disk.fail_syncs(true);
    let err = store.commit(write(b"unsure", Some(b"2"))).unwrap_err();
    assert!(matches!(err, StoreError::Stopped(_)), "{err}");
    assert!(err.to_string().contains("restart the hub"), "{err}");
    // Asked again, nothing is called durable, and nothing more is taken.
    assert!(store.sync_up_to(u64::MAX).is_err());
    let refused = store.apply(write(b"more", Some(b"3"))).unwrap_err();
    assert!(refused.to_string().contains("restart the hub"), "{refused}");
    let why = store.stopped().expect("the store says it stopped");
    assert!(why.contains("injected"), "{why}");
    drop(store);
    disk.fail_syncs(false);
    let mut rng = nabij_powercut::Rng::new(3);
    let power = Power::on();
    let store = DiskStorage::open_with(
        SimDisk::with_image(power.clone(), disk.crash_image(&mut rng)),
        SimFolder::with_files(power, folder.crash_files(&mut rng)),
        DiskOptions::default(),
    )
    .unwrap();
    assert_eq!(store.stopped(), None);
    assert_eq!(store.get("pairs", b"kept").unwrap(), Some(b"1".to_vec()));
    assert_eq!(store.get("pairs", b"more").unwrap(), None);
    store.commit(write(b"after", Some(b"4"))).unwrap();
}

#[test]
fn a_media_file_that_cannot_be_written_stops_the_store_too() {
    let power = Power::on();
    let store = DiskStorage::open_with(
        SimDisk::new(power.clone()),
        SimFolder::new(power.clone()),
        DiskOptions::default(),
    )
    .unwrap();
    let photo = nabij_powercut::Rng::new(4).bytes(40_000);
    // The first thing the sync writes is the photo's file: it fails.
    power.cut_after(1);
    let err = store
        .commit(write(b"m", Some(&photo_json("m", &photo))))
        .unwrap_err();
    assert!(matches!(err, StoreError::Stopped(_)), "{err}");
    assert!(store.stopped().is_some());
}

#[test]
fn readers_under_the_write_lock_see_whole_states_while_syncs_run() {
    // The app orders writers with a lock and reads under it too; syncs run on their own.
    // Each apply puts key n and removes key n - 10: ten keys, always.
    let (store, _, _) = simulated();
    let store = Arc::new(store);
    let write_lock = Arc::new(Mutex::new(0u32));
    for n in 0..10u32 {
        store.commit(write(&n.to_be_bytes(), Some(b"x"))).unwrap();
    }
    *lock(&write_lock) = 10;
    let writer = {
        let (store, write_lock) = (store.clone(), write_lock.clone());
        std::thread::spawn(move || {
            for n in 10..1_500u32 {
                let mut next = lock(&write_lock);
                let mut writes = write(&n.to_be_bytes(), Some(b"x"));
                writes.insert(("pairs", (n - 10).to_be_bytes().to_vec()), None);
                let generation = store.apply(writes).unwrap();
                *next = n + 1;
                drop(next);
                store.sync_up_to(generation).unwrap();
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() || reads == 0 {
        let next = lock(&write_lock);
        let keys: Vec<u32> = store
            .scan("pairs", b"", None, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|(k, _)| u32::from_be_bytes(k.try_into().unwrap()))
            .collect();
        let expected: Vec<u32> = (*next - 10..*next).collect();
        assert_eq!(keys, expected);
        reads += 1;
    }
    writer.join().unwrap();
}

#[test]
fn a_folder_made_by_the_sled_version_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("conf"), "segment_size: 524288\n").unwrap();
    std::fs::write(dir.path().join("db"), [0u8; 64]).unwrap();
    let err = DiskStorage::open(dir.path(), 8 << 20)
        .err()
        .expect("refused");
    assert!(matches!(err, StoreError::EarlierVersion { .. }), "{err}");
    assert!(err.to_string().contains("start the hub again"), "{err}");
    assert!(
        !dir.path().join(DATABASE_FILE).exists(),
        "nothing was made there"
    );
}

#[test]
fn a_store_on_disk_keeps_its_records_and_photos_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let photo = nabij_powercut::Rng::new(6).bytes(100_000);
    {
        let store = DiskStorage::open(dir.path(), 8 << 20).unwrap();
        store
            .commit(write(b"m-1", Some(&photo_json("m-1", &photo))))
            .unwrap();
        // An orphan a crash could leave: a file no commit names.
        std::fs::write(dir.path().join(MEDIA_FOLDER).join("ab.tmp"), b"half").unwrap();
    }
    let store = DiskStorage::open(dir.path(), 8 << 20).unwrap();
    assert_eq!(store.missing_media(), 0);
    assert_eq!(
        store.get("pairs", b"m-1").unwrap(),
        Some(photo_json("m-1", &photo))
    );
    let files = std::fs::read_dir(dir.path().join(MEDIA_FOLDER))
        .unwrap()
        .count();
    assert_eq!(files, 1, "the orphan went at open");
}

/// Run as a child process by the test below: commits pairs of keys, one transaction
/// each, and prints the number of each pair once its commit returned.
#[test]
#[ignore = "a helper the kill test runs in a child process"]
fn child_commits_pairs_until_killed() {
    let Ok(dir) = std::env::var("NABIJ_STORE_CHILD_DIR") else {
        return;
    };
    let storage: Arc<dyn Storage> = Arc::new(DiskStorage::open(Path::new(&dir), 1 << 20).unwrap());
    for n in 0u32.. {
        let mut tx = Tx::new(storage.clone());
        // Big enough that some transactions span several pages, some a media file.
        tx.put_raw(PAIRS, key(&[b"a", &n.to_be_bytes()]), vec![1; 20_000]);
        let photo = photo_json(&format!("m-{n}"), &n.to_be_bytes().repeat(6_000));
        tx.put_raw(PAIRS, key(&[b"b", &n.to_be_bytes()]), photo);
        tx.commit_blocking().unwrap();
        println!("committed {n}");
    }
}

#[test]
fn killed_mid_commit_nothing_committed_is_lost_and_nothing_is_half_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::disk::tests::child_commits_pairs_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NABIJ_STORE_CHILD_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut last_committed = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            let n: u32 = n.parse().unwrap();
            last_committed = Some(n);
            if n >= 200 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL, mid-way through the next commits
    child.wait().unwrap();
    let last = last_committed.expect("the child committed something");

    let storage = DiskStorage::open(dir.path(), 1 << 20).unwrap();
    assert_eq!(storage.missing_media(), 0);
    let storage: Arc<dyn Storage> = Arc::new(storage);
    let tx = Tx::new(storage);
    let rows = |side: &[u8]| {
        tx.scan_raw(PAIRS, &crate::store::prefix(&[side]), None, usize::MAX)
            .unwrap()
    };
    let (a, b) = (rows(b"a"), rows(b"b"));
    assert_eq!(a.len(), b.len(), "every pair is whole");
    assert!(
        a.len() as u32 > last,
        "all {} acknowledged commits are there (found {})",
        last + 1,
        a.len()
    );
    for (n, (_, photo)) in b.iter().enumerate() {
        assert_eq!(
            photo,
            &photo_json(&format!("m-{n}"), &(n as u32).to_be_bytes().repeat(6_000))
        );
    }
}

/// A tool, not a check: what one chat message costs on disk through the hub's receive
/// path, by messages per durable commit, with the tablets' message ids in time order or
/// random (`cargo test -p nabij-hub --lib what_a_chat_message_costs -- --ignored
/// --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measuring tool"]
async fn what_a_chat_message_costs_on_disk() {
    use crate::app::testing::{self, Recorder};
    use crate::app::{Hub, Inbound};
    use nabij_protocol::{Body, Envelope, MessageId, Party, Topic};
    let power = Power::on();
    let disk = SimDisk::new(power.clone());
    let store = Arc::new(
        DiskStorage::open_with(disk.clone(), SimFolder::new(power), DiskOptions::default())
            .unwrap(),
    );
    let mut config = crate::config::HubConfig::default();
    config.limits.burst_messages = 1_000_000;
    config.limits.messages_per_minute = 1_000_000;
    config.limits.burst_mb = 100_000;
    config.limits.mb_per_minute = 100_000;
    let (hub, out) = testing::hub_over(config, store);
    let (jan, jan_tablet) = testing::tablet(&hub, "Jan").await;
    let (anna, anna_tablet) = testing::tablet(&hub, "Anna").await;
    hub.approve_contacts(&jan, &anna).await.unwrap();
    // Both tablets online: copies and receipts go out as soon as they are queued.
    hub.handle_batch(vec![
        testing::status(&jan_tablet, true),
        testing::status(&anna_tablet, true),
    ])
    .await;
    let random = std::env::var("NABIJ_RANDOM_IDS").is_ok();
    let mut rng = nabij_powercut::Rng::new(1);
    let mut next = 0u64;
    let mut message = |to: &nabij_protocol::PersonId| -> Inbound {
        next += 1;
        let id = if random {
            format!("k-{:016x}{:016x}", rng.next_u64(), rng.next_u64())
        } else {
            format!("k-{next:032x}")
        };
        let envelope = Envelope::new(
            MessageId::parse(&id).unwrap(),
            Party::Device(jan_tablet.clone()),
            testing::text(to, &"Dag Anna, tot donderdag! ".repeat(8)),
        );
        Inbound {
            topic: Topic::DeviceUp(jan_tablet.clone()).to_string(),
            payload: envelope.to_bytes(),
        }
    };
    async fn round(
        hub: &Hub,
        out: &Recorder,
        batch: Vec<Inbound>,
        a: &nabij_protocol::DeviceId,
        j: &nabij_protocol::DeviceId,
    ) {
        let handled = hub.apply_batch(batch).await;
        if let Some(h) = handled {
            h.finish().await;
        }
        testing::take_everything(hub, out, a).await;
        testing::take_everything(hub, out, j).await;
    }
    // A history first: as many messages as the bench's windows send before its paced runs.
    let history: usize = std::env::var("NABIJ_HISTORY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    for _ in 0..history / 200 {
        let batch: Vec<Inbound> = (0..200).map(|_| message(&anna)).collect();
        round(&hub, &out, batch, &anna_tablet, &jan_tablet).await;
    }
    hub.storage().sync_up_to(u64::MAX).unwrap();
    for per_commit in [1usize, 5, 20, 50] {
        let before = disk.written();
        let messages = 200;
        for _ in 0..messages / per_commit {
            // Each message its own batch, as at 200 a second; acks within the window.
            for _ in 0..per_commit {
                let handled = hub.apply_batch(vec![message(&anna)]).await;
                drop(handled);
                let ids: Vec<MessageId> = out
                    .take(&Topic::DeviceDown(anna_tablet.clone()))
                    .into_iter()
                    .map(|e| e.id)
                    .collect();
                if !ids.is_empty() {
                    let ack = Envelope::new(
                        testing::message_id(),
                        Party::Device(anna_tablet.clone()),
                        Body::Ack(nabij_protocol::Ack { ids }),
                    );
                    drop(
                        hub.apply_batch(vec![Inbound {
                            topic: Topic::DeviceUp(anna_tablet.clone()).to_string(),
                            payload: ack.to_bytes(),
                        }])
                        .await,
                    );
                }
            }
            hub.storage().sync_up_to(u64::MAX).unwrap();
            testing::take_everything(&hub, &out, &jan_tablet).await;
        }
        hub.storage().sync_up_to(u64::MAX).unwrap();
        let written = disk.written() - before;
        eprintln!(
            "{per_commit} messages a commit: {:.1} KB a message ({} ids)",
            written as f64 / messages as f64 / 1000.0,
            if random { "random" } else { "ordered" }
        );
    }
}
