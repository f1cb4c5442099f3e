//! [`Storage`] on disk: sled, one tree per table, behind a write-ahead log of the hub's
//! own. The only code in the hub that knows sled.
//!
//! sled's own `flush` writes its log and then asks the kernel for `sync_file_range`,
//! which survives a crashed process but not a power cut, it never syncs the separate
//! files it keeps large values in (`blobs/`), and both its writes (about 15 µs a record
//! in a transaction) and its flush (milliseconds to tens of milliseconds in its tail,
//! even on tmpfs: see docs/benchmarks.md) are slow. So sled is kept off the commit path:
//! - an *apply* appends the writes to the write-ahead log (`wal/`) as one checksummed
//!   frame and puts them in *pending*, a small map in memory that readers look at before
//!   sled (so readers see the apply at once, all of it);
//! - a *sync* is one `fdatasync` of the write-ahead log: every frame written before it
//!   is durable, and callers that wait at the same time share it. A failed sync stops
//!   the store (a second one could report success for pages the kernel dropped): it
//!   takes nothing more until the hub restarts and replays the log. Each log file is
//!   written full of zeros and fsync'd before it is used ([`WAL_PREALLOCATED`]), so that
//!   a frame overwrites blocks the file already has: the sync then has only data to
//!   write, not the file's new size (on ext4 that is a journal commit, which also holds
//!   up every append made while it runs);
//! - the *mover*, a thread of its own, takes frames once they are durable (and a little
//!   older, so that what was written and removed again in the meantime never reaches
//!   sled), writes the newest value of each key into sled, then their generation, and
//!   only then drops them from pending; writers wait for it when pending holds more than
//!   [`PENDING_BYTES`];
//! - a *checkpoint*, run by the mover once the log has grown past [`CHECKPOINT_BYTES`],
//!   starts a new log file (made before, and applies go on into it while the old one
//!   gets its last sync; syncs wait for that), moves every frame of the old ones into sled, makes sled
//!   durable (its flush, a real `fdatasync` of its log, an `fsync` of every new blob file
//!   and their folder) and deletes the older log files;
//! - at *open*, every frame of the log files left is applied to sled again, in order, up
//!   to the first torn or damaged one (a frame cut short by a crash was never
//!   acknowledged), and a checkpoint makes the result durable. Applying a frame twice
//!   changes nothing, so sled may hold any part of them (sled writes one tree at a time,
//!   and what it wrote since its last flush may survive a crash in part): only frames
//!   that are durable in the log ever reach sled, and the log holds every frame since the
//!   last checkpoint.

use super::{Entry, Storage, StoreError, Writes};
use bytes::Bytes;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::Instant;

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// The write-ahead log grows to this before a checkpoint makes sled durable and starts
/// a new one (a restart replays at most about this much).
pub const CHECKPOINT_BYTES: u64 = 8 << 20;

/// Each log file starts as this many zero bytes, made durable before its first frame:
/// room for [`CHECKPOINT_BYTES`] and what is applied while a checkpoint gets going.
/// Frames beyond it make the file grow, as any file does (slower syncs, nothing worse).
pub const WAL_PREALLOCATED: u64 = CHECKPOINT_BYTES + (2 << 20);

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

/// Writes waiting in pending may take this much memory before writers wait for the
/// mover (a full batch of photos is 16 MiB).
pub const PENDING_BYTES: usize = 64 << 20;

/// The mover waits until durable frames are this old, or pending holds this much, before
/// it moves them: much of what the hub writes is short-lived (a message's place in a
/// tablet's queue, gone at its ack a moment later), and a key written and removed
/// again before a move never reaches sled at all (about 15 µs a write saved).
const MOVE_AFTER: std::time::Duration = std::time::Duration::from_millis(200);
const MOVE_BYTES: usize = 4 << 20;

/// One table's keys in pending: the newest value (`None`: removed) and the generation
/// that wrote it.
type PendingValues = BTreeMap<Vec<u8>, (u64, Option<Bytes>)>;

/// Applied writes that sled does not have yet.
#[derive(Default)]
struct Pending {
    /// Per table, the newest value of each key not yet in sled (`None`: removed), with
    /// the generation of the apply that wrote it.
    values: HashMap<&'static str, PendingValues>,
    /// The frames not yet in sled, in generation order.
    frames: VecDeque<Frame>,
    /// Their bytes in all.
    bytes: usize,
    /// The newest generation durable in the log: frames up to it may go into sled.
    durable: u64,
    /// The store is being dropped: the mover moves what it may and ends.
    stopping: bool,
    /// Why the store stopped (moving frames into sled failed, or a sync of the log did);
    /// no write is taken, and nothing more is made durable, after that.
    failed: Option<String>,
}

impl Pending {
    /// When the oldest frame the mover may take was applied.
    fn oldest_durable(&self) -> Option<Instant> {
        self.frames
            .front()
            .filter(|frame| frame.generation <= self.durable)
            .map(|frame| frame.applied_at)
    }
}

/// Applied writes on their way into sled.
struct Frame {
    generation: u64,
    /// Its size in the log.
    bytes: usize,
    applied_at: Instant,
    /// (table, key, value): each value shared with pending's map, so held once.
    writes: Vec<(&'static str, Vec<u8>, Option<Bytes>)>,
}

/// The hub's database on disk.
pub struct DiskStorage {
    shared: Arc<Shared>,
    mover: Option<std::thread::JoinHandle<()>>,
}

/// What the store's users and its mover share.
struct Shared {
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
    pending: Mutex<Pending>,
    /// Wakes the mover (frames became durable, the store stops) and writers waiting for
    /// room in pending (frames went into sled).
    pending_changed: Condvar,
    /// Most bytes in pending before writers wait.
    pending_limit: usize,
    /// Held while frames go into sled, so they go in order.
    moving: Mutex<()>,
    /// Held by a checkpoint.
    checkpointing: Mutex<()>,
    /// Makes the next write into sled fail (tests).
    #[cfg(test)]
    fail_next_write: std::sync::atomic::AtomicBool,
    /// Makes the next sync of the write-ahead log fail (tests).
    #[cfg(test)]
    fail_next_sync: std::sync::atomic::AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere leaves the data as it was between two whole steps.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn wal_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:020}.wal"))
}

/// Makes log file `number`: [`WAL_PREALLOCATED`] zero bytes, durable with its folder
/// entry, so that frames written into it later change neither its size nor its blocks.
/// A file left by a crash during this holds zeros, which end a log at replay.
fn new_wal_file(dir: &Path, number: u64) -> std::io::Result<File> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(wal_path(dir, number))?;
    let zeros = vec![0u8; 1 << 20];
    let mut left = WAL_PREALLOCATED;
    while left > 0 {
        let n = left.min(zeros.len() as u64);
        file.write_all(&zeros[..n as usize])?;
        left -= n;
    }
    // Not fdatasync: the file's size and blocks are what must be durable here.
    file.sync_all()?;
    sync_dir(dir)?;
    Ok(file)
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
type LoggedFrame = (u64, Vec<(Vec<u8>, Vec<u8>, Option<Vec<u8>>)>);

/// Reads the frames of one log file, up to the first torn or damaged one.
fn decode_frames(bytes: &[u8]) -> Vec<LoggedFrame> {
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
        if len == 0 {
            // The zeros the file was made with: no frame was written here.
            break;
        }
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
        Self::open_with(dir, cache_bytes, PENDING_BYTES)
    }

    fn open_with(
        dir: &Path,
        cache_bytes: u64,
        pending_limit: usize,
    ) -> Result<DiskStorage, StoreError> {
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
        // Replay: every frame left, in order (sled may hold any part of them already).
        let mut replayed = 0usize;
        let mut previous: Option<u64> = None;
        'files: for (_, path) in &existing {
            let bytes = std::fs::read(path)?;
            for (frame_generation, writes) in decode_frames(&bytes) {
                if previous.is_some_and(|p| frame_generation != p + 1) {
                    // A gap: what follows cannot be applied in order.
                    tracing::error!(
                        expected = previous.map(|p| p + 1),
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
                generation = generation.max(frame_generation);
                meta.insert(GENERATION_KEY, &generation.to_be_bytes())?;
                previous = Some(frame_generation);
                replayed += 1;
            }
        }
        let number = existing.last().map_or(1, |(n, _)| n + 1);
        let file = new_wal_file(&wal_dir, number)?;
        let for_sync = file.try_clone()?;
        let shared = Arc::new(Shared {
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
            pending: Mutex::new(Pending {
                durable: generation,
                ..Pending::default()
            }),
            pending_changed: Condvar::new(),
            pending_limit,
            moving: Mutex::new(()),
            checkpointing: Mutex::new(()),
            #[cfg(test)]
            fail_next_write: std::sync::atomic::AtomicBool::new(false),
            #[cfg(test)]
            fail_next_sync: std::sync::atomic::AtomicBool::new(false),
        });
        if replayed > 0 {
            tracing::info!(
                frames = replayed,
                "write-ahead log applied after an unclean stop"
            );
        }
        // Whatever an earlier run left (replayed or not) becomes durable in sled itself,
        // with the folder entries of its files; then the old log files can go.
        shared.make_sled_durable()?;
        sync_dir(dir)?;
        for (_, path) in existing {
            std::fs::remove_file(path)?;
        }
        sync_dir(&shared.wal_dir)?;
        let mover = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("nabij-store-mover".into())
                .spawn(move || shared.run_mover())?
        };
        Ok(DiskStorage {
            shared,
            mover: Some(mover),
        })
    }

    /// How many files have been fsync'd (the write-ahead log counts once per sync).
    pub fn synced_files(&self) -> u64 {
        self.shared.synced_files.load(Ordering::Relaxed)
    }

    /// A checkpoint now, whatever the log's size (for tests).
    #[cfg(test)]
    fn checkpoint_now(&self) -> Result<(), StoreError> {
        self.shared.checkpoint(true)
    }

    /// Waits until the mover has put every durable frame into sled (for tests).
    #[cfg(test)]
    fn settle(&self) {
        let mut pending = lock(&self.shared.pending);
        while pending.oldest_durable().is_some() && pending.failed.is_none() {
            pending = self
                .shared
                .pending_changed
                .wait(pending)
                .unwrap_or_else(|p| p.into_inner());
        }
        drop(pending);
        // The mover takes frames from the queue before it writes them.
        drop(lock(&self.shared.moving));
    }

    /// What sled itself holds under `key`, pending writes aside (for tests).
    #[cfg(test)]
    fn in_sled(&self, table: &'static str, key: &[u8]) -> Option<Vec<u8>> {
        self.shared
            .tree(table)
            .unwrap()
            .get(key)
            .unwrap()
            .map(|v| v.to_vec())
    }
}

impl Drop for DiskStorage {
    fn drop(&mut self) {
        lock(&self.shared.pending).stopping = true;
        self.shared.pending_changed.notify_all();
        if let Some(mover) = self.mover.take()
            && mover.join().is_err()
        {
            tracing::error!(
                "the store's mover failed; the write-ahead log is applied at the next start"
            );
        }
    }
}

impl Shared {
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

    /// The mover's loop: durable frames into sled, and a checkpoint when the log is big.
    fn run_mover(&self) {
        loop {
            let up_to = {
                let mut pending = lock(&self.pending);
                loop {
                    let oldest = pending.oldest_durable();
                    if pending.stopping {
                        if oldest.is_none() {
                            return; // nothing left it may move
                        }
                        break;
                    }
                    let wait = match oldest {
                        Some(_) if pending.bytes >= MOVE_BYTES.min(self.pending_limit) => break,
                        Some(since) => match MOVE_AFTER.checked_sub(since.elapsed()) {
                            Some(left) if !left.is_zero() => left,
                            _ => break,
                        },
                        None => MOVE_AFTER,
                    };
                    pending = self
                        .pending_changed
                        .wait_timeout(pending, wait)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
                pending.durable
            };
            if let Err(e) = self.move_into_sled(up_to) {
                tracing::error!(error = %e, "could not write applied changes into the database; the hub takes no more until it restarts (the write-ahead log keeps them)");
                return;
            }
            // The commits are durable already; a failed checkpoint keeps the old log
            // files (a restart replays them) and is tried again after the next move.
            if let Err(e) = self.checkpoint(false) {
                tracing::error!(error = %e, "checkpoint failed; the write-ahead log is kept");
            }
        }
    }

    /// Writes the frames up to `generation` (all durable) into sled, in order, then
    /// drops them from pending.
    fn move_into_sled(&self, generation: u64) -> Result<(), StoreError> {
        let _moving = lock(&self.moving);
        let frames: Vec<Frame> = {
            let mut pending = lock(&self.pending);
            let mut frames = Vec::new();
            while pending
                .frames
                .front()
                .is_some_and(|frame| frame.generation <= generation)
            {
                frames.extend(pending.frames.pop_front());
            }
            frames
        };
        let Some(last) = frames.last().map(|frame| frame.generation) else {
            return Ok(());
        };
        if let Err(e) = self.write_into_sled(&frames, last) {
            // These frames are out of the queue but not in sled: from now on nothing may
            // checkpoint (it would delete the log that still holds them) or write.
            lock(&self.pending).failed = Some(e.to_string());
            self.pending_changed.notify_all();
            return Err(e);
        }
        // sled has them: readers may find them there now.
        let mut pending = lock(&self.pending);
        for frame in &frames {
            pending.bytes = pending.bytes.saturating_sub(frame.bytes);
            for (table, key, _) in &frame.writes {
                let Some(values) = pending.values.get_mut(table) else {
                    continue;
                };
                if values.get(key).is_some_and(|(g, _)| *g <= last) {
                    values.remove(key);
                }
                if values.is_empty() {
                    pending.values.remove(table);
                }
            }
        }
        drop(pending);
        self.pending_changed.notify_all();
        Ok(())
    }

    /// The newest value of each key the frames wrote, into sled, then `last` as sled's
    /// generation.
    fn write_into_sled(&self, frames: &[Frame], last: u64) -> Result<(), StoreError> {
        #[cfg(test)]
        if self.fail_next_write.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Backend("a write failed (test)".into()));
        }
        // The newest write of each key. Plain inserts, not sled's batches: a sled batch
        // (or transaction) writes out its log buffer twice, two system calls each, and
        // the write-ahead log already makes the frame whole after a crash.
        let mut newest: BTreeMap<(&'static str, &[u8]), Option<&[u8]>> = BTreeMap::new();
        for frame in frames {
            for (table, key, value) in &frame.writes {
                newest.insert((table, key.as_slice()), value.as_deref());
            }
        }
        let mut tree: Option<(&'static str, sled::Tree)> = None;
        for ((table, key), value) in newest {
            let current = match &tree {
                Some((name, current)) if *name == table => current,
                _ => &tree.insert((table, self.tree(table)?)).1,
            };
            match value {
                Some(value) => current.insert(key, value)?,
                None => current.remove(key)?,
            };
        }
        self.meta.insert(GENERATION_KEY, &last.to_be_bytes())?;
        Ok(())
    }

    /// Waits until pending has room for another apply; the mover moves only durable
    /// frames, so a writer that never syncs gets one here.
    fn wait_for_room(&self) -> Result<(), StoreError> {
        let mut synced_once = false;
        let mut pending = lock(&self.pending);
        loop {
            if let Some(reason) = &pending.failed {
                return Err(StoreError::Stopped(reason.clone()));
            }
            if pending.bytes <= self.pending_limit {
                return Ok(());
            }
            if synced_once {
                pending = self
                    .pending_changed
                    .wait(pending)
                    .unwrap_or_else(|p| p.into_inner());
            } else {
                drop(pending);
                self.sync_up_to(self.applied.load(Ordering::SeqCst))?;
                synced_once = true;
                pending = lock(&self.pending);
            }
        }
    }

    /// sled's flush, then a real fdatasync of its log and an fsync of its new blob files.
    fn make_sled_durable(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        self.log.sync_data()?;
        self.synced_files.fetch_add(1, Ordering::Relaxed);
        self.sync_new_blobs()
    }

    /// When the log has grown past [`CHECKPOINT_BYTES`] (or `always`): starts a new log
    /// file, moves every frame of the old ones into sled, makes sled durable, and
    /// deletes the older log files.
    fn checkpoint(&self, always: bool) -> Result<(), StoreError> {
        // Most calls find the log small: no need to hold up a sync to see that.
        if !always && lock(&self.wal).bytes < CHECKPOINT_BYTES {
            return Ok(());
        }
        let _one = lock(&self.checkpointing);
        if let Some(reason) = &lock(&self.pending).failed {
            return Err(StoreError::Backend(format!(
                "no checkpoint after the database stopped taking changes ({reason})"
            )));
        }
        // The next log file is written full of zeros before the log is held up: applies
        // go on into the current one meanwhile (only a checkpoint changes the number).
        let number = {
            let wal = lock(&self.wal);
            if !always && wal.bytes < CHECKPOINT_BYTES {
                // Another checkpoint came first.
                return Ok(());
            }
            wal.number + 1
        };
        let file = new_wal_file(&self.wal_dir, number)?;
        let for_sync = file.try_clone()?;
        let (older, last) = {
            // No sync is made meanwhile: none may call the new file's frames durable
            // before the old file's are.
            let mut synced = lock(&self.synced);
            let (old_file, older, last) = {
                let mut wal = lock(&self.wal);
                let old_file = std::mem::replace(&mut wal.file, file);
                let older = std::mem::replace(&mut wal.number, number);
                wal.bytes = 0;
                (old_file, older, wal.generation)
            };
            // Applies go on into the new file while the old one syncs.
            *lock(&self.wal_for_sync) = for_sync;
            self.sync_log(&old_file)?;
            *synced = (*synced).max(last);
            let mut pending = lock(&self.pending);
            pending.durable = pending.durable.max(last);
            (older, last)
        };
        // Every frame of the older files into sled, sled durable: they are no longer
        // needed.
        self.move_into_sled(last)?;
        self.make_sled_durable()?;
        for (number, path) in wal_files(&self.wal_dir)? {
            if number <= older {
                std::fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    fn sync_new_blobs(&self) -> Result<(), StoreError> {
        let entries = match std::fs::read_dir(&self.blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let mut newest = lock(&self.newest_synced_blob);
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
        // Pending first, then sled: the mover writes sled before it drops from pending.
        let pending = lock(&self.shared.pending)
            .values
            .get(table)
            .and_then(|values| values.get(key))
            .map(|(_, value)| value.as_deref().map(<[u8]>::to_vec));
        match pending {
            Some(value) => Ok(value),
            None => Ok(self.shared.tree(table)?.get(key)?.map(|v| v.to_vec())),
        }
    }

    fn scan(
        &self,
        table: &'static str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let start = match after {
            // The smallest key greater than `after`.
            Some(after) if after >= prefix => {
                let mut next = after.to_vec();
                next.push(0);
                next
            }
            _ => prefix.to_vec(),
        };
        // Pending first, then sled (see `get`).
        let mine: Vec<(Vec<u8>, Option<Vec<u8>>)> = lock(&self.shared.pending)
            .values
            .get(table)
            .map(|values| {
                values
                    .range(start.clone()..)
                    .take_while(|(k, _)| k.starts_with(prefix))
                    .map(|(k, (_, v))| (k.clone(), v.as_deref().map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default();
        // Each pending removal can hide at most one entry of sled's: ask for that many
        // more.
        let removals = mine.iter().filter(|(_, v)| v.is_none()).count();
        let wanted = limit.saturating_add(removals);
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for entry in self.shared.tree(table)?.range(start..) {
            if merged.len() >= wanted {
                break;
            }
            let (k, v) = entry?;
            if !k.starts_with(prefix) {
                break;
            }
            merged.insert(k.to_vec(), v.to_vec());
        }
        for (k, v) in mine {
            match v {
                Some(bytes) => {
                    merged.insert(k, bytes);
                }
                None => {
                    merged.remove(&k);
                }
            }
        }
        Ok(merged.into_iter().take(limit).collect())
    }

    fn apply(&self, writes: Writes) -> Result<u64, StoreError> {
        let shared = &self.shared;
        if writes.is_empty() {
            return Ok(shared.applied.load(Ordering::SeqCst));
        }
        shared.wait_for_room()?;
        // In generation order: frames are written, and go into sled, in the order of
        // their generations.
        let mut wal = lock(&shared.wal);
        let generation = wal.generation + 1;
        let frame = encode_frame(generation, &writes);
        // At the end of the last whole frame. A frame written in part (a full disk, past
        // the zeros) fails its checksum at replay; the next apply writes over it.
        if let Err(e) = wal.file.write_all_at(&frame, wal.bytes) {
            return Err(e.into());
        }
        wal.bytes += frame.len() as u64;
        wal.generation = generation;
        {
            // Visible to readers from here on, all at once.
            let writes: Vec<_> = writes
                .into_iter()
                .map(|((table, key), value)| (table, key, value.map(Bytes::from)))
                .collect();
            let mut pending = lock(&shared.pending);
            for (table, key, value) in &writes {
                pending
                    .values
                    .entry(table)
                    .or_default()
                    .insert(key.clone(), (generation, value.clone()));
            }
            pending.bytes += frame.len();
            pending.frames.push_back(Frame {
                generation,
                bytes: frame.len(),
                applied_at: Instant::now(),
                writes,
            });
        }
        shared.applied.store(generation, Ordering::SeqCst);
        Ok(generation)
    }

    fn sync_up_to(&self, generation: u64) -> Result<(), StoreError> {
        self.shared.sync_up_to(generation)
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        Ok(self.shared.db.generate_id()?)
    }

    fn stopped(&self) -> Option<String> {
        lock(&self.shared.pending).failed.clone()
    }
}

impl Shared {
    /// One `fdatasync` of a log file. If it fails, the store takes nothing more: the
    /// kernel may have dropped the pages it could not write, and a second sync would then
    /// report success for frames that are not on disk. A restart applies what the log
    /// really holds.
    fn sync_log(&self, file: &File) -> Result<(), StoreError> {
        if let Some(reason) = &lock(&self.pending).failed {
            return Err(StoreError::Stopped(reason.clone()));
        }
        #[cfg(test)]
        let result = if self.fail_next_sync.swap(false, Ordering::SeqCst) {
            Err(std::io::Error::other("a sync failed (test)"))
        } else {
            file.sync_data()
        };
        #[cfg(not(test))]
        let result = file.sync_data();
        if let Err(e) = result {
            tracing::error!(error = %e, "syncing the write-ahead log failed; the hub stores nothing more until it restarts");
            lock(&self.pending).failed = Some(format!("syncing the write-ahead log failed: {e}"));
            self.pending_changed.notify_all();
            return Err(e.into());
        }
        Ok(())
    }

    fn sync_up_to(&self, generation: u64) -> Result<(), StoreError> {
        let mut synced = lock(&self.synced);
        // Read before the sync: every frame up to it is in the file being synced (a
        // checkpoint, the only thing that changes files, waits for `synced`).
        let target = self.applied.load(Ordering::SeqCst);
        if *synced >= generation.min(target) {
            // Someone synced while this caller waited for the lock, or nothing was
            // applied since: nothing left to do.
            return Ok(());
        }
        self.sync_log(&lock(&self.wal_for_sync))?;
        self.synced_files.fetch_add(1, Ordering::Relaxed);
        *synced = target;
        // The mover may take them now.
        let mut pending = lock(&self.pending);
        pending.durable = pending.durable.max(target);
        drop(pending);
        self.pending_changed.notify_all();
        Ok(())
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

        // A photo-sized value goes (once the mover has it) to one of sled's blob files,
        // which sled itself never fsyncs; until a checkpoint, the write-ahead log holds it.
        let mut tx = Tx::new(disk.clone());
        tx.put_raw(PAIRS, b"photo".to_vec(), vec![7; 1 << 20]);
        tx.commit_blocking().unwrap();
        assert_eq!(disk.synced_files(), before + 2, "still one file a commit");
        disk.settle();
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
        let new = std::fs::read(&logs[0].1).unwrap();
        assert_eq!(new.len() as u64, WAL_PREALLOCATED);
        assert!(
            decode_frames(&new).is_empty(),
            "the new log holds no frame yet"
        );
    }

    #[test]
    fn commits_go_on_while_checkpoints_switch_log_files_and_all_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let keys = 300u32;
        {
            let disk = Arc::new(DiskStorage::open(dir.path(), 8 << 20).unwrap());
            let writer = {
                let disk = disk.clone();
                std::thread::spawn(move || {
                    for n in 0..keys {
                        let key = n.to_be_bytes();
                        disk.commit(write(&key, Some(&[7; 4096]))).unwrap();
                    }
                })
            };
            while !writer.is_finished() {
                disk.checkpoint_now().unwrap();
            }
            writer.join().unwrap();
            assert!(
                wal_files(&dir.path().join("wal")).unwrap().len() <= 2,
                "older log files are gone"
            );
        }
        let disk = DiskStorage::open(dir.path(), 8 << 20).unwrap();
        for n in 0..keys {
            let value = disk.get("pairs", &n.to_be_bytes()).unwrap();
            assert_eq!(value.as_deref(), Some(&[7u8; 4096][..]), "key {n}");
        }
    }

    #[test]
    fn frames_are_written_over_the_zeros_the_log_was_made_with() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskStorage::open(dir.path(), 1 << 20).unwrap();
        let (_, log) = wal_files(&dir.path().join("wal")).unwrap().pop().unwrap();
        let size = || std::fs::metadata(&log).unwrap().len();
        assert_eq!(
            size(),
            WAL_PREALLOCATED,
            "made full size before its first frame"
        );
        for n in 0..3u8 {
            let mut writes = Writes::new();
            writes.insert(("pairs", vec![n]), Some(vec![n; 100]));
            disk.commit(writes).unwrap();
        }
        assert_eq!(size(), WAL_PREALLOCATED, "written in place, not appended");
        let frames = decode_frames(&std::fs::read(&log).unwrap());
        assert_eq!(frames.len(), 3, "the frames, then the zeros end the log");
        assert_eq!(
            frames[2].1,
            vec![(b"pairs".to_vec(), vec![2], Some(vec![2; 100]))]
        );
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
            disk.commit(writes.clone()).unwrap();
            disk.apply(writes).unwrap()
        };
        let disk = DiskStorage::open(dir.path(), 1 << 20).unwrap();
        let mut writes = Writes::new();
        writes.insert(("pairs", b"b".to_vec()), Some(b"2".to_vec()));
        assert_eq!(disk.apply(writes).unwrap(), first + 1);
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

    fn write(key: &[u8], value: Option<&[u8]>) -> Writes {
        let mut writes = Writes::new();
        writes.insert(("pairs", key.to_vec()), value.map(<[u8]>::to_vec));
        writes
    }

    #[test]
    fn a_pending_value_is_held_once_by_the_queue_and_the_read_map() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskStorage::open(dir.path(), 1 << 20).unwrap();
        let photo = vec![9u8; 1 << 20];
        disk.apply(write(b"photo", Some(&photo))).unwrap();
        let pending = lock(&disk.shared.pending);
        let (_, in_map) = &pending.values["pairs"][b"photo".as_slice()];
        let (_, _, in_queue) = &pending.frames[0].writes[0];
        let (in_map, in_queue) = (in_map.as_ref().unwrap(), in_queue.as_ref().unwrap());
        assert_eq!(in_map.len(), photo.len());
        assert_eq!(
            in_map.as_ptr(),
            in_queue.as_ptr(),
            "one buffer, not two copies"
        );
        drop(pending);
        assert_eq!(disk.get("pairs", b"photo").unwrap(), Some(photo));
    }

    #[test]
    fn readers_see_applied_writes_at_once_and_sled_gets_them_only_once_durable() {
        let dir = tempfile::tempdir().unwrap();
        let disk = Arc::new(DiskStorage::open(dir.path(), 8 << 20).unwrap());
        let keyed = |n: u8| key(&[b"d-a", &[n]]);
        let mut writes = Writes::new();
        for n in 1..=5u8 {
            writes.insert(("pairs", keyed(n)), Some(vec![n]));
        }
        disk.commit(writes).unwrap();
        disk.settle();
        assert_eq!(disk.in_sled("pairs", &keyed(1)), Some(vec![1]));

        // Applied, not synced: readers see it, sled does not have it.
        let mut writes = Writes::new();
        writes.insert(("pairs", keyed(1)), None);
        writes.insert(("pairs", keyed(2)), None);
        writes.insert(("pairs", keyed(3)), Some(vec![33]));
        writes.insert(("pairs", keyed(6)), Some(vec![6]));
        let generation = disk.apply(writes).unwrap();
        let values =
            |rows: Vec<Entry>| -> Vec<u8> { rows.into_iter().map(|(_, v)| v[0]).collect() };
        let p = crate::store::prefix(&[b"d-a"]);
        let check = |disk: &DiskStorage| {
            assert_eq!(disk.get("pairs", &keyed(1)).unwrap(), None);
            assert_eq!(disk.get("pairs", &keyed(3)).unwrap(), Some(vec![33]));
            assert_eq!(values(disk.scan("pairs", &p, None, 2).unwrap()), [33, 4]);
            assert_eq!(
                values(disk.scan("pairs", &p, None, usize::MAX).unwrap()),
                [33, 4, 5, 6]
            );
            let after = keyed(4);
            assert_eq!(
                values(disk.scan("pairs", &p, Some(&after), 10).unwrap()),
                [5, 6]
            );
        };
        check(&disk);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(disk.in_sled("pairs", &keyed(6)), None, "not durable yet");
        assert_eq!(disk.in_sled("pairs", &keyed(1)), Some(vec![1]));

        disk.sync_up_to(generation).unwrap();
        disk.settle();
        assert_eq!(disk.in_sled("pairs", &keyed(6)), Some(vec![6]));
        assert_eq!(disk.in_sled("pairs", &keyed(1)), None);
        assert!(
            lock(&disk.shared.pending).values.is_empty(),
            "pending is empty"
        );
        check(&disk);
    }

    #[test]
    fn a_writer_that_never_syncs_is_held_to_the_pending_limit() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskStorage::open_with(dir.path(), 8 << 20, 10_000).unwrap();
        let before = disk.synced_files();
        for n in 0..100u32 {
            disk.apply(write(&n.to_be_bytes(), Some(&[7; 1_000])))
                .unwrap();
            assert!(
                lock(&disk.shared.pending).bytes <= 10_000 + 1_100,
                "pending stays near its limit"
            );
        }
        assert!(disk.synced_files() > before, "the writer was made to sync");
        let all = disk.scan("pairs", b"", None, usize::MAX).unwrap();
        assert_eq!(all.len(), 100);
    }

    #[test]
    fn readers_under_the_write_lock_see_whole_states_while_the_mover_works() {
        // The app orders writers with a lock and reads under it too; the mover runs on
        // its own. Each apply puts key n and removes key n - 10: ten keys, always.
        let dir = tempfile::tempdir().unwrap();
        let disk = Arc::new(DiskStorage::open(dir.path(), 8 << 20).unwrap());
        let write_lock = Arc::new(Mutex::new(0u32));
        for n in 0..10u32 {
            disk.commit(write(&n.to_be_bytes(), Some(b"x"))).unwrap();
        }
        *lock(&write_lock) = 10;
        let writer = {
            let (disk, write_lock) = (disk.clone(), write_lock.clone());
            std::thread::spawn(move || {
                for n in 10..1_500u32 {
                    let mut next = lock(&write_lock);
                    let mut writes = write(&n.to_be_bytes(), Some(b"x"));
                    writes.insert(("pairs", (n - 10).to_be_bytes().to_vec()), None);
                    let generation = disk.apply(writes).unwrap();
                    *next = n + 1;
                    drop(next);
                    disk.sync_up_to(generation).unwrap();
                }
            })
        };
        let mut reads = 0;
        while !writer.is_finished() || reads == 0 {
            let next = lock(&write_lock);
            let keys: Vec<u32> = disk
                .scan("pairs", b"", None, usize::MAX)
                .unwrap()
                .into_iter()
                .map(|(k, _)| u32::from_be_bytes(k.try_into().unwrap()))
                .collect();
            let expected: Vec<u32> = (*next - 10..*next).collect();
            assert_eq!(keys, expected);
            assert!(
                disk.get("pairs", &(*next - 1).to_be_bytes())
                    .unwrap()
                    .is_some()
            );
            if let Some(gone) = next.checked_sub(11) {
                assert!(disk.get("pairs", &gone.to_be_bytes()).unwrap().is_none());
            }
            reads += 1;
        }
        writer.join().unwrap();
    }

    #[test]
    fn after_a_failed_write_into_sled_nothing_is_taken_and_nothing_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        {
            let disk = DiskStorage::open(dir.path(), 8 << 20).unwrap();
            disk.commit(write(b"kept", Some(b"1"))).unwrap();
            disk.settle();
            disk.shared.fail_next_write.store(true, Ordering::SeqCst);
            disk.commit(write(b"stuck", Some(b"2"))).unwrap();
            disk.settle();
            assert_eq!(disk.in_sled("pairs", b"stuck"), None);
            assert_eq!(
                disk.get("pairs", b"stuck").unwrap(),
                Some(b"2".to_vec()),
                "still read from pending"
            );
            let refused = disk.apply(write(b"more", Some(b"3"))).unwrap_err();
            assert!(refused.to_string().contains("restart the hub"), "{refused}");
            assert!(
                disk.checkpoint_now().is_err(),
                "the log that holds it stays"
            );
        }
        let disk = DiskStorage::open(dir.path(), 8 << 20).unwrap();
        assert_eq!(disk.get("pairs", b"kept").unwrap(), Some(b"1".to_vec()));
        assert_eq!(
            disk.get("pairs", b"stuck").unwrap(),
            Some(b"2".to_vec()),
            "applied again from the log at open"
        );
    }

    #[test]
    fn after_a_failed_sync_nothing_more_is_called_durable() {
        let dir = tempfile::tempdir().unwrap();
        {
            let disk = DiskStorage::open(dir.path(), 8 << 20).unwrap();
            disk.commit(write(b"kept", Some(b"1"))).unwrap();
            disk.shared.fail_next_sync.store(true, Ordering::SeqCst);
            assert!(disk.commit(write(b"unsure", Some(b"2"))).is_err());
            // Asked again, the same frame is not called durable by a sync that may have
            // found its pages dropped.
            let again = disk.sync_up_to(u64::MAX).unwrap_err();
            assert!(again.to_string().contains("restart the hub"), "{again}");
            let refused = disk.apply(write(b"more", Some(b"3"))).unwrap_err();
            assert!(refused.to_string().contains("restart the hub"), "{refused}");
            let why = disk.stopped().expect("the store says it stopped");
            assert!(why.contains("syncing the write-ahead log failed"), "{why}");
        }
        let disk = DiskStorage::open(dir.path(), 8 << 20).unwrap();
        assert_eq!(disk.stopped(), None);
        assert_eq!(disk.get("pairs", b"kept").unwrap(), Some(b"1".to_vec()));
        assert_eq!(disk.get("pairs", b"more").unwrap(), None);
        disk.commit(write(b"after", Some(b"4"))).unwrap();
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
