//! [`Storage`] on disk: redb, every table of the hub's a key range of one redb table, its
//! photos and voice notes as files beside it (`media.rs`). The only code in the hub that
//! knows redb.
//!
//! - An *apply* puts its writes in *pending* (`pending.rs`), a map in memory that readers
//!   look at before the database: readers see the apply at once, all of it, and the apply
//!   never waits for the disk, so it may run on an async thread.
//! - A *sync* writes everything pending into redb in one write transaction and commits it
//!   durably (redb writes the changed pages, then its commit slot with their checksum, and
//!   fsyncs: a crash at any moment leaves the last commit or this one, never a mix). One
//!   sync covers every apply before it, and callers who wait at the same time share it
//!   (group commit); a key written again and again between two syncs is written once,
//!   and one written and removed again not at all. Media files a commit names are written
//!   and fsync'd, with their folder, before the commit.
//! - A sync that fails stops the store: nothing more is applied or called durable until
//!   the hub is started again (redb itself refuses everything after a failed write until it
//!   is opened again, and a retried fsync could report success for pages the kernel
//!   dropped). The hub then exits, and systemd starts it again.
//! - Nothing else writes: no log of our own, no thread of its own, no checkpoints. At
//!   open, redb repairs itself after an unclean stop (it walks the trees, checking their
//!   checksums); media files no record names are removed.

mod earlier;
mod media;
mod pending;
#[cfg(test)]
mod powercut;
#[cfg(test)]
mod tests;

pub use media::{DiskFolder, Folder, MEDIA_MIN_BASE64};

use super::{BackupSink, Entry, Storage, StoreError, Writes};
use bytes::Bytes;
use media::{Hash, Media};
use pending::{Found, Pending, Taken};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The database file in the store's folder.
pub const DATABASE_FILE: &str = "hub.redb";
/// The media files' folder in the store's folder.
pub const MEDIA_FOLDER: &str = "media";

/// Every table of the hub's is a range of one redb table, its keys led by the table's
/// name and a zero byte (no name holds one). One B-tree instead of forty: a commit that
/// touches a dozen tables rewrites their leaves and the few branches above them, not a
/// dozen trees' roots and the table of tables besides (half the pages, measured: see
/// docs/benchmarks.md), and the small tables share leaves.
const RECORDS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("records");

/// The store's own facts: the next id (`next_id`).
const META: &str = "__store_meta";
/// How many stored values name each media file, by its hash.
const MEDIA_REFS: &str = "__media_refs";
const NEXT_ID: &[u8] = b"next_id";

/// A table's key as stored: the table's name, a zero byte, the key.
fn stored_key(table: &str, key: &[u8]) -> Vec<u8> {
    let mut stored = Vec::with_capacity(table.len() + 1 + key.len());
    stored.extend_from_slice(table.as_bytes());
    stored.push(0);
    stored.extend_from_slice(key);
    stored
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(e: $error) -> Self {
                StoreError::Backend(redb::Error::from(e).to_string())
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere leaves the data as it was between two whole steps.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn u64_of(bytes: &[u8]) -> u64 {
    bytes.try_into().map_or(0, u64::from_le_bytes)
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct DiskOptions {
    /// Bytes of the database redb keeps in memory.
    pub cache_bytes: usize,
    /// Photos and voice notes as files (`true`, the hub's way) or inside the database
    /// (only for the bench's comparison).
    pub media_files: bool,
}

impl Default for DiskOptions {
    fn default() -> Self {
        DiskOptions {
            cache_bytes: 64 << 20,
            media_files: true,
        }
    }
}

/// The hub's database on disk.
pub struct DiskStorage {
    db: redb::Database,
    media: Media,
    /// Applied writes the database does not have yet.
    pending: Mutex<Pending>,
    /// Held by the one thread syncing; holds the last generation durable.
    synced: Mutex<u64>,
    /// The next id to hand out; every commit records it, so none repeats after a crash.
    ids: AtomicU64,
    /// Why the store stopped taking changes, once it did.
    stopped: Mutex<Option<String>>,
    /// Media files records name that were not there at open.
    missing_media: usize,
}

impl DiskStorage {
    /// Opens (or creates) the store in folder `dir`, keeping at most `cache_bytes` of the
    /// database in memory.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<DiskStorage, StoreError> {
        DiskStorage::open_with_options(
            dir,
            DiskOptions {
                cache_bytes: usize::try_from(cache_bytes).unwrap_or(usize::MAX),
                ..DiskOptions::default()
            },
        )
    }

    /// Opens (or creates) the store in folder `dir`.
    pub fn open_with_options(dir: &Path, options: DiskOptions) -> Result<DiskStorage, StoreError> {
        earlier::refuse_sled(dir)?;
        std::fs::create_dir_all(dir)?;
        let folder = DiskFolder::open(&dir.join(MEDIA_FOLDER))?;
        let path = dir.join(DATABASE_FILE);
        let mut builder = redb::Database::builder();
        builder
            .set_cache_size(options.cache_bytes)
            .set_repair_callback(|session| {
                if session.progress() == 0.0 {
                    tracing::warn!("the database was not closed cleanly; checking it");
                }
            });
        // A hub stopped a moment ago in this process may still be letting go of it;
        // another running hub never does.
        let mut attempts = 0;
        let db = loop {
            match builder.create(&path) {
                Ok(db) => break db,
                Err(redb::DatabaseError::DatabaseAlreadyOpen) if attempts < 40 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                    return Err(StoreError::Backend(format!(
                        "the database {} is in use by another nabij-hub: stop that one first",
                        path.display()
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        };
        DiskStorage::over(db, Box::new(folder), &options)
    }

    /// Opens a store over any redb backend and media folder (the power-cut tests' disk,
    /// a disk that fails).
    pub fn open_with(
        backend: impl redb::StorageBackend,
        folder: impl Folder,
        options: DiskOptions,
    ) -> Result<DiskStorage, StoreError> {
        let db = redb::Database::builder()
            .set_cache_size(options.cache_bytes)
            .create_with_backend(backend)?;
        DiskStorage::over(db, Box::new(folder), &options)
    }

    fn over(
        db: redb::Database,
        folder: Box<dyn Folder>,
        options: &DiskOptions,
    ) -> Result<DiskStorage, StoreError> {
        let min = if options.media_files {
            MEDIA_MIN_BASE64
        } else {
            usize::MAX
        };
        let media = Media::new(folder, min);
        let (next_id, named) = {
            let txn = db.begin_read()?;
            match txn.open_table(RECORDS) {
                Ok(records) => {
                    let next_id = records
                        .get(stored_key(META, NEXT_ID).as_slice())?
                        .map_or(0, |v| u64_of(v.value()));
                    let prefix = stored_key(MEDIA_REFS, b"");
                    let mut named = BTreeSet::new();
                    for entry in records.range(prefix.as_slice()..)? {
                        let (key, _) = entry?;
                        let Some(hash) = key.value().strip_prefix(prefix.as_slice()) else {
                            break;
                        };
                        if let Ok(hash) = <Hash>::try_from(hash) {
                            named.insert(hash);
                        }
                    }
                    (next_id, named)
                }
                Err(redb::TableError::TableDoesNotExist(_)) => (0, BTreeSet::new()),
                Err(e) => return Err(e.into()),
            }
        };
        let missing = media.tidy(&named)?;
        if !missing.is_empty() {
            tracing::error!(
                files = missing.len(),
                "media files that records name are missing; those photos and voice notes cannot be read"
            );
        }
        Ok(DiskStorage {
            db,
            media,
            pending: Mutex::new(Pending::default()),
            synced: Mutex::new(0),
            ids: AtomicU64::new(next_id),
            stopped: Mutex::new(None),
            missing_media: missing.len(),
        })
    }

    /// Media files records name that were not there at open (0 unless something went
    /// very wrong).
    pub fn missing_media(&self) -> usize {
        self.missing_media
    }

    /// Bytes of applied writes waiting for the next sync.
    pub fn pending_bytes(&self) -> usize {
        lock(&self.pending).bytes()
    }

    fn refuse_if_stopped(&self) -> Result<(), StoreError> {
        match lock(&self.stopped).as_ref() {
            Some(why) => Err(StoreError::Stopped(why.clone())),
            None => Ok(()),
        }
    }

    fn get_stored(&self, name: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let _reading = self.media.reading();
        let txn = self.db.begin_read()?;
        let records = match txn.open_table(RECORDS) {
            Ok(records) => records,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match records.get(stored_key(name, key).as_slice())? {
            Some(stored) => Ok(Some(self.media.restore(stored.value())?)),
            None => Ok(None),
        }
    }

    fn scan_stored(
        &self,
        name: &'static str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let _reading = self.media.reading();
        let txn = self.db.begin_read()?;
        let records = match txn.open_table(RECORDS) {
            Ok(records) => records,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        let within = stored_key(name, prefix);
        let from = match after {
            Some(after) if after >= prefix => Bound::Excluded(stored_key(name, after)),
            _ => Bound::Included(within.clone()),
        };
        let skip = name.len() + 1;
        for entry in records.range((from.as_ref().map(Vec::as_slice), Bound::Unbounded))? {
            let (key, stored) = entry?;
            let key = key.value();
            if !key.starts_with(&within) {
                break;
            }
            out.push((key[skip..].to_vec(), self.media.restore(stored.value())?));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    /// Writes `taken` into the database in one durable commit, with the media files it
    /// names first; returns the media files no value names any more.
    fn write(&self, taken: Vec<Taken>, next_id: u64) -> Result<Vec<Hash>, StoreError> {
        let txn = self.db.begin_write()?;
        let mut files = Vec::new();
        let mut released = Vec::new();
        {
            let mut records = txn.open_table(RECORDS)?;
            let mut written: HashSet<Hash> = HashSet::new();
            let mut counted: BTreeMap<Hash, i64> = BTreeMap::new();
            let refs_key = |hash: &Hash| stored_key(MEDIA_REFS, hash);
            // In key order: neighbours go into the same leaf one after the other.
            let mut writes: Vec<(Vec<u8>, Option<Bytes>)> = taken
                .into_iter()
                .map(|(name, key, value)| (stored_key(name, &key), value))
                .collect();
            writes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            for (key, value) in writes {
                let old = match value {
                    Some(value) => {
                        let encoded = media::encode(&value, self.media.min);
                        for (hash, bytes) in &encoded.media {
                            *counted.entry(*hash).or_default() += 1;
                            let on_disk = records.get(refs_key(hash).as_slice())?.is_some();
                            if !on_disk && written.insert(*hash) {
                                files.push(self.media.write(hash, bytes)?);
                            }
                        }
                        records
                            .insert(key.as_slice(), encoded.stored.as_slice())?
                            .map(|old| media::hashes(old.value()))
                    }
                    None => records
                        .remove(key.as_slice())?
                        .map(|old| media::hashes(old.value())),
                };
                for hash in old.into_iter().flatten() {
                    *counted.entry(hash).or_default() -= 1;
                }
            }
            for (hash, change) in counted {
                if change == 0 {
                    continue;
                }
                let key = refs_key(&hash);
                let before = records
                    .get(key.as_slice())?
                    .map_or(0, |v| u64_of(v.value()));
                let now = before as i64 + change;
                if now > 0 {
                    records.insert(key.as_slice(), (now as u64).to_le_bytes().as_slice())?;
                } else {
                    records.remove(key.as_slice())?;
                    released.push(hash);
                }
            }
            records.insert(
                stored_key(META, NEXT_ID).as_slice(),
                next_id.to_le_bytes().as_slice(),
            )?;
        }
        // The files a commit names are durable before it is.
        self.media.sync(&files)?;
        txn.commit()?;
        Ok(released)
    }

    /// Whether a committed value names the media file `hash`.
    fn still_named(&self, hash: &Hash) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        match txn.open_table(RECORDS) {
            Ok(records) => Ok(records
                .get(stored_key(MEDIA_REFS, hash).as_slice())?
                .is_some()),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

impl Drop for DiskStorage {
    fn drop(&mut self) {
        // A clean stop keeps what was applied: nothing was told about it yet, but the
        // tablets need not send it again.
        if lock(&self.stopped).is_none()
            && let Err(e) = self.sync_up_to(u64::MAX)
        {
            tracing::warn!(error = %e, "the last changes could not be stored at the stop; tablets send them again");
        }
    }
}

impl Storage for DiskStorage {
    fn get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Found::Here(value) = lock(&self.pending).get(table, key) {
            return Ok(value);
        }
        self.get_stored(table, key)
    }

    fn scan(
        &self,
        table: &'static str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        // Pending first: a sync that ends meanwhile puts the same values in the database.
        let mine = lock(&self.pending).range(table, prefix, after);
        // Each removal in pending can hide one stored entry: ask for that many more.
        let removals = mine.iter().filter(|(_, v)| v.is_none()).count();
        let stored = self.scan_stored(table, prefix, after, limit.saturating_add(removals))?;
        Ok(pending::merge(stored, mine, limit))
    }

    fn apply(&self, writes: Writes) -> Result<u64, StoreError> {
        self.refuse_if_stopped()?;
        Ok(lock(&self.pending).apply(writes))
    }

    fn sync_up_to(&self, generation: u64) -> Result<(), StoreError> {
        self.refuse_if_stopped()?;
        let target = match generation {
            u64::MAX => lock(&self.pending).applied(),
            generation => generation,
        };
        let mut synced = lock(&self.synced);
        if *synced >= target {
            // A sync that ran while this one waited covered it.
            return Ok(());
        }
        // One that failed while this one waited stopped the store.
        self.refuse_if_stopped()?;
        let (taken, up_to) = lock(&self.pending).take_all();
        // Read after the taking: every id the taken writes use was handed out before.
        let next_id = self.ids.load(Ordering::SeqCst);
        let released = if taken.is_empty() {
            Vec::new()
        } else {
            match self.write(taken, next_id) {
                Ok(released) => released,
                Err(e) => {
                    let why = format!("writing to the database failed: {e}");
                    *lock(&self.stopped) = Some(why.clone());
                    return Err(StoreError::Stopped(why));
                }
            }
        };
        *synced = up_to;
        lock(&self.pending).written_up_to(up_to);
        if !released.is_empty() {
            self.media.doom(released);
        }
        // No commit runs while this holds `synced`, so a file doomed here stays unnamed
        // while it is deleted. A file left over is removed at the next open.
        if let Err(e) = self.media.delete_doomed(|hash| self.still_named(hash)) {
            tracing::warn!(error = %e, "media files no record names could not be deleted yet");
        }
        Ok(())
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        Ok(self.ids.fetch_add(1, Ordering::SeqCst))
    }

    fn stopped(&self) -> Option<String> {
        lock(&self.stopped).clone()
    }

    fn back_up(&self, scratch: &Path, into: &mut dyn BackupSink) -> Result<(), StoreError> {
        self.refuse_if_stopped()?;
        // No media file is deleted while this lives: the copy's values name them.
        let _reading = self.media.reading();
        let snapshot = self.db.begin_read()?;
        let scratch = Scratch(scratch.join(format!("backup-{}.redb", std::process::id())));
        let copy = redb::Database::builder().create(&scratch.0)?;
        let mut named: BTreeSet<Hash> = BTreeSet::new();
        {
            let mut txn = copy.begin_write()?;
            // One commit at the end makes the copy whole; none before it need be durable.
            txn.set_durability(redb::Durability::None)
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            for handle in snapshot.list_tables()? {
                let name = handle.name().to_owned();
                let from: TableDefinition<&[u8], &[u8]> = TableDefinition::new(&name);
                let source = snapshot.open_table(from)?;
                let mut target = txn.open_table(from)?;
                for entry in source.iter()? {
                    let (key, value) = entry?;
                    if let Some(hash) = key
                        .value()
                        .strip_prefix(stored_key(MEDIA_REFS, b"").as_slice())
                        && let Ok(hash) = <Hash>::try_from(hash)
                    {
                        named.insert(hash);
                    }
                    target.insert(key.value(), value.value())?;
                }
            }
            txn.commit()?;
            let mut last = copy.begin_write()?;
            last.set_durability(redb::Durability::Immediate)
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            last.commit()?;
        }
        drop(copy);
        let mut file = std::fs::File::open(&scratch.0)?;
        let len = file.metadata()?.len();
        into.add(DATABASE_FILE, &mut file, len)?;
        for hash in named {
            let name = media::file_name(&hash);
            let bytes = self
                .media
                .folder()
                .read(&name)
                .map_err(|e| StoreError::Corrupt {
                    table: "media",
                    key: name.clone(),
                    reason: format!("the file cannot be read for the backup: {e}"),
                })?;
            into.add(
                &format!("{MEDIA_FOLDER}/{name}"),
                &mut bytes.as_slice(),
                bytes.len() as u64,
            )?;
        }
        Ok(())
    }
}

/// A temporary file, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
