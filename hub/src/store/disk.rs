//! [`Storage`] on disk: sled, one tree per table, behind a write-ahead log of the hub's
//! own. The only code in the hub that knows sled.
//!
//! sled's own `flush` writes its log and then asks the kernel for `sync_file_range`,
//! which survives a crashed process but not a power cut, it never syncs the separate
//! files it keeps large values in (`blobs/`), and it is slow in its tail (milliseconds
//! to tens of milliseconds, even on tmpfs: see docs/benchmarks.md). So:
//! - an *apply* is one sled transaction over the tables it touches (atomic; readers see
//!   it at once), which also records its generation in sled, and then the same writes
//!   appended to the write-ahead log (`wal/`) as one checksummed frame;
//! - a *sync* is one `fdatasync` of the write-ahead log: every frame written before it
//!   is durable, and callers that wait at the same time share it;
//! - a *checkpoint*, once the log has grown past [`CHECKPOINT_BYTES`], starts a new log
//!   file, makes sled itself durable (its flush, a real `fdatasync` of its log, an
//!   `fsync` of every new blob file and their folder) and deletes the older log files;
//! - at *open*, the frames newer than the generation sled has are applied to sled again,
//!   in order, up to the first torn or damaged one (a frame cut short by a crash was
//!   never acknowledged), and a checkpoint makes the result durable.

use super::{Entry, Storage, StoreError, Writes};

/// One table's writes of a commit: keys, and new values (`None`: removed).
type TableWrites<'a> = Vec<(&'a [u8], Option<&'a [u8]>)>;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// The write-ahead log grows to this before a checkpoint makes sled durable and starts
/// a new one (a restart replays at most about this much).
pub const CHECKPOINT_BYTES: u64 = 8 << 20;

/// The sled tree holding the generation of the last apply sled has.
const META_TREE: &str = "__store_meta";
const GENERATION_KEY: &[u8] = b"generation";

/// The write-ahead log file being appended to.
struct Wal {
    file: File,
    /// Its number (files are named `{number:020}.wal`).
    number: u64,
    /// Bytes written to it.
    bytes: u64,
    /// The generation of the last frame written.
    generation: u64,
}

/// The hub's database on disk.
pub struct DiskStorage {
    db: sled::Db,
    trees: RwLock<HashMap<&'static str, sled::Tree>>,
    meta: sled::Tree,
    /// sled's log file, opened once so that a checkpoint can fsync it.
    log: File,
    blobs: PathBuf,
    /// The newest blob file already fsync'd (blob files are named by a growing number).
    newest_synced_blob: Mutex<u64>,
    /// Files fsync'd so far, for tests and the log.
    synced_files: AtomicU64,
    wal_dir: PathBuf,
    /// Appends take it in generation order.
    wal: Mutex<Wal>,
    /// A second handle on the current log file, to sync it without holding up appends;
    /// changed only by a checkpoint, which holds `synced`.
    wal_for_sync: Mutex<File>,
    /// The generation of the last apply.
    applied: AtomicU64,
    /// Held by the one thread syncing; holds the last generation known to be on disk.
    synced: Mutex<u64>,
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn wal_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:020}.wal"))
}

/// The log files in `dir`, by number.
fn wal_files(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(number) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".wal"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        files.push((number, entry.path()));
    }
    files.sort();
    Ok(files)
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

/// One frame: length and CRC-32 of the rest, the generation, then each write as table,
/// key and value (or none).
fn encode_frame(generation: u64, writes: &Writes) -> Vec<u8> {
    let mut body = generation.to_le_bytes().to_vec();
    for ((table, key), value) in writes {
        body.push(u8::try_from(table.len()).unwrap_or(u8::MAX));
        body.extend_from_slice(table.as_bytes());
        put_u32(&mut body, key.len());
        body.extend_from_slice(key);
        match value {
            Some(value) => {
                body.push(1);
                put_u32(&mut body, value.len());
                body.extend_from_slice(value);
            }
            None => body.push(0),
        }
    }
    let mut frame = Vec::with_capacity(body.len() + 8);
    put_u32(&mut frame, body.len());
    frame.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    frame.extend_from_slice(&body);
    frame
}

/// A decoded frame: its generation and writes (table name, key, value).
type Frame = (u64, Vec<(Vec<u8>, Vec<u8>, Option<Vec<u8>>)>);

/// Reads the frames of one log file, up to the first torn or damaged one.
fn decode_frames(bytes: &[u8]) -> Vec<Frame> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (bytes.get(..n)?, bytes.get(n..)?);
        *bytes = rest;
        Some(head)
    }
    fn u32_of(bytes: &mut &[u8]) -> Option<usize> {
        Some(u32::from_le_bytes(take(bytes, 4)?.try_into().ok()?) as usize)
    }
    let mut frames = Vec::new();
    let mut rest = bytes;
    while let Some(len) = u32_of(&mut rest) {
        let Some(crc) = take(&mut rest, 4) else { break };
        let Some(mut body) = take(&mut rest, len) else {
            break;
        };
        if crc32fast::hash(body).to_le_bytes() != crc {
            break;
        }
        let Some(generation) = take(&mut body, 8)
            .and_then(|g| g.try_into().ok())
            .map(u64::from_le_bytes)
        else {
            break;
        };
        let mut writes = Vec::new();
        let whole = (|| {
            while !body.is_empty() {
                let table_len = usize::from(*take(&mut body, 1)?.first()?);
                let table = take(&mut body, table_len)?.to_vec();
                let key_len = u32_of(&mut body)?;
                let key = take(&mut body, key_len)?.to_vec();
                let value = match take(&mut body, 1)?.first()? {
                    1 => {
                        let value_len = u32_of(&mut body)?;
                        Some(take(&mut body, value_len)?.to_vec())
                    }
                    _ => None,
                };
                writes.push((table, key, value));
            }
            Some(())
        })();
        if whole.is_none() {
            break;
        }
        frames.push((generation, writes));
    }
    frames
}

impl DiskStorage {
    /// Opens (or creates) the database in `dir`, keeping at most `cache_bytes` of it in
    /// memory, and applies what the write-ahead log holds beyond it.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<DiskStorage, StoreError> {
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            // sled is made durable by checkpoints; no timer needed.
            .flush_every_ms(None);
        // The database is locked while open. A hub stopped a moment ago in this process
        // lets go once sled's last writer thread has finished; another running hub never.
        let mut attempts = 0;
        let db = loop {
            match config.open() {
                Ok(db) => break db,
                Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                    attempts += 1;
                    if attempts == 40 {
                        return Err(StoreError::Backend(format!(
                            "the database in {} is in use by another nabij-hub: stop that one first",
                            dir.display()
                        )));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
        };
        let meta = db.open_tree(META_TREE)?;
        let log = File::open(dir.join("db"))?;
        let wal_dir = dir.join("wal");
        std::fs::create_dir_all(&wal_dir)?;
        let existing = wal_files(&wal_dir)?;
        let mut generation = meta
            .get(GENERATION_KEY)?
            .and_then(|g| <[u8; 8]>::try_from(g.as_ref()).ok())
            .map_or(0, u64::from_be_bytes);
        // Replay: the frames sled does not have yet, in order.
        let mut replayed = 0usize;
        'files: for (_, path) in &existing {
            let bytes = std::fs::read(path)?;
            for (frame_generation, writes) in decode_frames(&bytes) {
                if frame_generation <= generation {
                    continue;
                }
                if frame_generation != generation + 1 {
                    // A gap: what follows cannot be applied in order.
                    tracing::error!(
                        expected = generation + 1,
                        found = frame_generation,
                        "the write-ahead log has a gap; the rest of it is not applied"
                    );
                    break 'files;
                }
                let mut batch: HashMap<Vec<u8>, sled::Batch> = HashMap::new();
                for (table, key, value) in writes {
                    let entry = batch.entry(table).or_default();
                    match value {
                        Some(value) => entry.insert(key, value),
                        None => entry.remove(key),
                    }
                }
                for (table, writes) in batch {
                    db.open_tree(table)?.apply_batch(writes)?;
                }
                meta.insert(GENERATION_KEY, &frame_generation.to_be_bytes())?;
                generation = frame_generation;
                replayed += 1;
            }
        }
        let number = existing.last().map_or(1, |(n, _)| n + 1);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(wal_path(&wal_dir, number))?;
        let for_sync = file.try_clone()?;
        let storage = DiskStorage {
            db,
            trees: RwLock::new(HashMap::new()),
            meta,
            log,
            blobs: dir.join("blobs"),
            newest_synced_blob: Mutex::new(0),
            synced_files: AtomicU64::new(0),
            wal_dir,
            wal: Mutex::new(Wal {
                file,
                number,
                bytes: 0,
                generation,
            }),
            wal_for_sync: Mutex::new(for_sync),
            applied: AtomicU64::new(generation),
            synced: Mutex::new(generation),
        };
        if replayed > 0 {
            tracing::info!(
                frames = replayed,
                "write-ahead log applied after an unclean stop"
            );
        }
        // Whatever an earlier run left (replayed or not) becomes durable in sled itself,
        // with the folder entries of its files; then the old log files can go.
        storage.make_sled_durable()?;
        sync_dir(dir)?;
        for (_, path) in existing {
            std::fs::remove_file(path)?;
        }
        sync_dir(&storage.wal_dir)?;
        Ok(storage)
    }

    fn tree(&self, name: &'static str) -> Result<sled::Tree, StoreError> {
        if let Some(tree) = self.trees.read().ok().and_then(|t| t.get(name).cloned()) {
            return Ok(tree);
        }
        let tree = self.db.open_tree(name)?;
        if let Ok(mut trees) = self.trees.write() {
            trees.insert(name, tree.clone());
        }
        Ok(tree)
    }

    /// How many files have been fsync'd (the write-ahead log counts once per sync).
    pub fn synced_files(&self) -> u64 {
        self.synced_files.load(Ordering::Relaxed)
    }

    /// sled's flush, then a real fdatasync of its log and an fsync of its new blob files.
    fn make_sled_durable(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        self.log.sync_data()?;
        self.synced_files.fetch_add(1, Ordering::Relaxed);
        self.sync_new_blobs()
    }

    /// Starts a new log file, makes sled durable, and deletes the older log files. The
    /// caller holds `synced`, so no sync looks at the log files meanwhile.
    fn checkpoint(&self) -> Result<(), StoreError> {
        let older = {
            let mut wal = self.wal.lock().unwrap_or_else(|p| p.into_inner());
            // Everything in the old file is durable in it before it stops being synced.
            wal.file.sync_data()?;
            let number = wal.number + 1;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(wal_path(&self.wal_dir, number))?;
            sync_dir(&self.wal_dir)?;
            *self.wal_for_sync.lock().unwrap_or_else(|p| p.into_inner()) = file.try_clone()?;
            let older = wal.number;
            wal.file = file;
            wal.number = number;
            wal.bytes = 0;
            older
        };
        // sled has every apply written to the older files: make it durable, then they
        // are no longer needed.
        self.make_sled_durable()?;
        for (number, path) in wal_files(&self.wal_dir)? {
            if number <= older {
                std::fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    /// A checkpoint now, whatever the log's size (for tests).
    #[cfg(test)]
    fn checkpoint_now(&self) -> Result<(), StoreError> {
        let _synced = self.synced.lock().unwrap_or_else(|p| p.into_inner());
        self.checkpoint()
    }
    fn sync_new_blobs(&self) -> Result<(), StoreError> {
        let entries = match std::fs::read_dir(&self.blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let mut newest = self
            .newest_synced_blob
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut synced_any = false;
        let mut highest = *newest;
        for entry in entries {
            let entry = entry?;
            let Some(number) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if number <= *newest {
                continue;
            }
            match File::open(entry.path()) {
                Ok(file) => file.sync_all()?,
                // sled may have dropped a blob it replaced since the listing.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            }
            self.synced_files.fetch_add(1, Ordering::Relaxed);
            synced_any = true;
            highest = highest.max(number);
        }
        if synced_any {
            sync_dir(&self.blobs)?;
            *newest = highest;
        }
        Ok(())
    }
}

impl Storage for DiskStorage {
    fn get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree(table)?.get(key)?.map(|v| v.to_vec()))
    }

    fn scan(
        &self,
        table: &'static str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let tree = self.tree(table)?;
        let start = match after {
            // The smallest key greater than `after`.
            Some(after) if after >= prefix => {
                let mut next = after.to_vec();
                next.push(0);
                next
            }
            _ => prefix.to_vec(),
        };
        let mut out = Vec::new();
        for entry in tree.range(start..) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = entry?;
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn apply(&self, writes: &Writes) -> Result<u64, StoreError> {
        if writes.is_empty() {
            return Ok(self.applied.load(Ordering::SeqCst));
        }
        // One sled tree per table; the writes are sorted by table, so group them.
        let mut trees: Vec<sled::Tree> = Vec::new();
        let mut groups: Vec<TableWrites<'_>> = Vec::new();
        let mut last: Option<&'static str> = None;
        for ((table, key), value) in writes {
            if last != Some(*table) {
                trees.push(self.tree(table)?);
                groups.push(Vec::new());
                last = Some(*table);
            }
            if let Some(group) = groups.last_mut() {
                group.push((key.as_slice(), value.as_deref()));
            }
        }
        trees.push(self.meta.clone());
        // In generation order: the frame is written in the order sled applied them.
        let mut wal = self.wal.lock().unwrap_or_else(|p| p.into_inner());
        let generation = wal.generation + 1;
        let generation_bytes = generation.to_be_bytes();
        use sled::Transactional;
        let applied: sled::transaction::TransactionResult<(), ()> =
            trees.as_slice().transaction(|views| {
                for (view, group) in views.iter().zip(&groups) {
                    for (key, value) in group {
                        match value {
                            Some(value) => {
                                view.insert(*key, *value)?;
                            }
                            None => {
                                view.remove(*key)?;
                            }
                        }
                    }
                }
                if let Some(meta) = views.last() {
                    meta.insert(GENERATION_KEY, &generation_bytes)?;
                }
                Ok(())
            });
        match applied {
            Ok(()) => {}
            Err(sled::transaction::TransactionError::Storage(e)) => return Err(e.into()),
            Err(sled::transaction::TransactionError::Abort(())) => {
                return Err(StoreError::Backend("a transaction was aborted".into()));
            }
        }
        let frame = encode_frame(generation, writes);
        if let Err(e) = wal.file.write_all(&frame) {
            // A frame written in part (a full disk) would end the log at replay, and with
            // it every later frame: cut it off, so the next apply writes where it began.
            let _ = wal.file.set_len(wal.bytes);
            return Err(e.into());
        }
        wal.bytes += frame.len() as u64;
        wal.generation = generation;
        self.applied.store(generation, Ordering::SeqCst);
        Ok(generation)
    }

    fn sync_up_to(&self, generation: u64) -> Result<(), StoreError> {
        let mut synced = self.synced.lock().unwrap_or_else(|p| p.into_inner());
        if *synced >= generation {
            // Someone synced while this caller waited for the lock: nothing left to do.
            return Ok(());
        }
        // Read before the sync: every frame up to it is in the file being synced (a
        // checkpoint, the only thing that changes files, waits for `synced`).
        let target = self.applied.load(Ordering::SeqCst);
        self.wal_for_sync
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .sync_data()?;
        self.synced_files.fetch_add(1, Ordering::Relaxed);
        *synced = target;
        let grown = self.wal.lock().map(|w| w.bytes).unwrap_or(0) >= CHECKPOINT_BYTES;
        // The commits are durable already; a failed checkpoint keeps the old log files
        // (a restart replays them) and is tried again after the next sync.
        if grown && let Err(e) = self.checkpoint() {
            tracing::error!(error = %e, "checkpoint failed; the write-ahead log is kept");
        }
        Ok(())
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        Ok(self.db.generate_id()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{RawTable, Table, Tx, key};
    use std::io::BufRead;
    use std::sync::Arc;

    const PAIRS: RawTable = RawTable("pairs");
    const NAMES: Table<String> = Table::new("names");

    #[test]
    fn records_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let storage: Arc<dyn Storage> =
                Arc::new(DiskStorage::open(dir.path(), 1 << 20).unwrap());
            let mut tx = Tx::new(storage);
            tx.put(NAMES, "g-oost", &"Oost".to_owned()).unwrap();
            tx.commit_blocking().unwrap();
        }
        let storage: Arc<dyn Storage> = Arc::new(DiskStorage::open(dir.path(), 1 << 20).unwrap());
        let tx = Tx::new(storage);
        assert_eq!(tx.get(NAMES, "g-oost").unwrap().as_deref(), Some("Oost"));
        assert!(tx.get(NAMES, "g-west").unwrap().is_none());
    }

    #[test]
    fn a_database_in_use_is_refused_with_a_clear_reason() {
        let dir = tempfile::tempdir().unwrap();
        let _open = DiskStorage::open(dir.path(), 1 << 20).unwrap();
        let Err(e) = DiskStorage::open(dir.path(), 1 << 20) else {
            panic!("opened twice");
        };
        assert!(e.to_string().contains("in use by another nabij-hub"), "{e}");
    }

    #[test]
    fn a_commit_fsyncs_the_write_ahead_log_and_a_checkpoint_makes_sled_and_its_blobs_durable() {
        let dir = tempfile::tempdir().unwrap();
        let disk = Arc::new(DiskStorage::open(dir.path(), 8 << 20).unwrap());
        let before = disk.synced_files();
        let mut tx = Tx::new(disk.clone());
        tx.put_raw(PAIRS, b"small".to_vec(), vec![1; 100]);
        tx.commit_blocking().unwrap();
        assert_eq!(disk.synced_files(), before + 1, "the write-ahead log, once");

        // A photo-sized value goes to one of sled's blob files, which sled itself never
        // fsyncs; until a checkpoint, the write-ahead log holds it.
        let mut tx = Tx::new(disk.clone());
        tx.put_raw(PAIRS, b"photo".to_vec(), vec![7; 1 << 20]);
        tx.commit_blocking().unwrap();
        assert_eq!(disk.synced_files(), before + 2, "still one file a commit");
        assert!(
            std::fs::read_dir(dir.path().join("blobs")).unwrap().count() > 0,
            "the large value is in a blob file"
        );
        disk.checkpoint_now().unwrap();
        assert!(
            disk.synced_files() >= before + 4,
            "sled's log and the new blob file were fsync'd ({} files)",
            disk.synced_files() - before
        );
        let logs = wal_files(&dir.path().join("wal")).unwrap();
        assert_eq!(logs.len(), 1, "only the new log is left: {logs:?}");
        assert_eq!(std::fs::metadata(&logs[0].1).unwrap().len(), 0);
    }

    #[test]
    fn a_torn_or_damaged_frame_ends_the_log() {
        let writes = |n: u8| {
            let mut w = Writes::new();
            w.insert(("pairs", vec![n]), Some(vec![n; 10]));
            w.insert(("names", vec![n]), None);
            w
        };
        let mut log = Vec::new();
        for n in 1..=3u8 {
            log.extend(encode_frame(u64::from(n), &writes(n)));
        }
        let frames = decode_frames(&log);
        assert_eq!(frames.len(), 3);
        assert_eq!(
            frames[1],
            (
                2,
                vec![
                    (b"names".to_vec(), vec![2], None),
                    (b"pairs".to_vec(), vec![2], Some(vec![2; 10]))
                ]
            )
        );
        // Cut in the middle of the third frame: a crash mid-write.
        let torn = &log[..log.len() - 5];
        assert_eq!(decode_frames(torn).len(), 2);
        // A flipped bit in the second: it and all after are not trusted.
        let mut damaged = log.clone();
        let second = encode_frame(1, &writes(1)).len() + 12;
        damaged[second] ^= 1;
        assert_eq!(decode_frames(&damaged).len(), 1);
    }

    #[test]
    fn the_generation_goes_on_from_where_it_was_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let first = {
            let disk = DiskStorage::open(dir.path(), 1 << 20).unwrap();
            let mut writes = Writes::new();
            writes.insert(("pairs", b"a".to_vec()), Some(b"1".to_vec()));
            disk.commit(&writes).unwrap();
            disk.apply(&writes).unwrap()
        };
        let disk = DiskStorage::open(dir.path(), 1 << 20).unwrap();
        let mut writes = Writes::new();
        writes.insert(("pairs", b"b".to_vec()), Some(b"2".to_vec()));
        assert_eq!(disk.apply(&writes).unwrap(), first + 1);
    }

    #[test]
    fn applied_writes_are_seen_at_once_and_one_sync_covers_all_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let disk = Arc::new(DiskStorage::open(dir.path(), 8 << 20).unwrap());
        let apply = |name: &str| {
            let mut tx = Tx::new(disk.clone());
            tx.put(NAMES, name, &name.to_owned()).unwrap();
            tx.apply().unwrap()
        };
        let (first, second) = (apply("a"), apply("b"));
        assert_eq!(
            Tx::new(disk.clone()).all(NAMES).unwrap(),
            ["a", "b"],
            "readers see applied writes before they are durable"
        );
        let before = disk.synced_files();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(second.durable()).unwrap();
        assert_eq!(disk.synced_files(), before + 1);
        runtime.block_on(first.durable()).unwrap();
        assert_eq!(
            disk.synced_files(),
            before + 1,
            "the second's sync covered the first"
        );
    }

    /// Run as a child process by the test below: commits pairs of keys, one transaction
    /// each, and prints the number of each pair once its commit returned.
    #[test]
    #[ignore = "a helper the kill test runs in a child process"]
    fn child_commits_pairs_until_killed() {
        let Ok(dir) = std::env::var("NABIJ_STORE_CHILD_DIR") else {
            return;
        };
        let storage: Arc<dyn Storage> =
            Arc::new(DiskStorage::open(Path::new(&dir), 1 << 20).unwrap());
        for n in 0u32.. {
            let mut tx = Tx::new(storage.clone());
            // Big enough that some transactions span several log buffers.
            tx.put_raw(PAIRS, key(&[b"a", &n.to_be_bytes()]), vec![1; 20_000]);
            tx.put_raw(PAIRS, key(&[b"b", &n.to_be_bytes()]), vec![2; 20_000]);
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
                // Past one checkpoint (8 MiB of log), so that the replay starts after it.
                if n >= 300 {
                    break;
                }
            }
        }
        child.kill().unwrap(); // SIGKILL, mid-way through the next commits
        child.wait().unwrap();
        let last = last_committed.expect("the child committed something");

        let storage: Arc<dyn Storage> = Arc::new(DiskStorage::open(dir.path(), 1 << 20).unwrap());
        let tx = Tx::new(storage);
        let count = |side: &[u8]| {
            tx.scan_raw(PAIRS, &crate::store::prefix(&[side]), None, usize::MAX)
                .unwrap()
                .len()
        };
        let (a, b) = (count(b"a"), count(b"b"));
        assert_eq!(a, b, "every pair is whole");
        assert!(
            a as u32 > last,
            "all {} acknowledged commits are there (found {a})",
            last + 1
        );
    }
}
