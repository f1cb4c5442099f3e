//! The hub's storage: named tables of records, read and changed in transactions. A commit
//! is atomic (after a crash either all of a transaction is there or none of it) and
//! durable (written and fsync'd before `commit` returns), so the hub can acknowledge what
//! it committed. This module knows no devices, people or messages: the app layer names its
//! tables with [`Table`]. Only `disk/` knows redb.
//!
//! A commit has two halves. [`Tx::apply`] makes the writes visible to every reader at
//! once, atomically; [`Applied::durable`] waits until they are on disk. Between the two
//! the caller may go on (the receive path handles its next batch while the disk syncs),
//! as long as it tells no one about the writes before `durable` returns. One durable
//! commit covers everything applied before it (group commit), so callers that wait
//! together share it.

mod disk;
mod memory;

pub use disk::{DATABASE_FILE, DiskFolder, DiskOptions, DiskStorage, Folder, MEDIA_MIN_BASE64};
pub use memory::MemoryStorage;

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

/// The database failed, or holds a record this build cannot read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage engine failed (disk full, permissions, corruption).
    #[error("the hub's database failed: {0}")]
    Backend(String),
    /// The store stopped taking changes earlier (a commit failed to reach the disk); only
    /// a restart brings it back.
    #[error("the database stopped taking changes ({0}); restart the hub")]
    Stopped(String),
    /// The folder holds a database an earlier, sled-based hub made.
    #[error(
        "{} holds a database made by an earlier nabij-hub (sled: {found}), which this version cannot read; nothing in it was changed. \
         There is no migration (no hub ran that version with participants): move the folder aside, \
         e.g. `mv {} {}.sled`, and start the hub again to begin with an empty database \
         (the certificates and broker secrets beside it stay)",
        dir.display(), dir.display(), dir.display()
    )]
    EarlierVersion {
        /// The folder.
        dir: std::path::PathBuf,
        /// What sled left in it.
        found: String,
    },
    /// Writing to disk failed.
    #[error("the hub's database could not be written to disk: {0}")]
    Io(#[from] std::io::Error),
    /// A stored record could not be read back.
    #[error("a record in the hub's database ({table}/{key}) cannot be read: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The key, as text.
        key: String,
        /// Why.
        reason: String,
    },
    /// A record could not be written as JSON (a map with keys that are not text).
    #[error("a record for the table {table} cannot be written: {reason}")]
    Encode {
        /// The table.
        table: &'static str,
        /// Why.
        reason: String,
    },
}

/// A named table of `V` records, stored as JSON. A constant the app layer declares once.
pub struct Table<V> {
    name: &'static str,
    _records: PhantomData<fn() -> V>,
}

impl<V> Table<V> {
    /// The table called `name`.
    pub const fn new(name: &'static str) -> Self {
        Table {
            name,
            _records: PhantomData,
        }
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<V> Clone for Table<V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for Table<V> {}

/// A table whose values are bytes kept as they are (for payloads that are already JSON).
#[derive(Debug, Clone, Copy)]
pub struct RawTable(pub &'static str);

/// A key made of parts separated by a zero byte. Ids never contain one, so the key of one
/// part is a prefix of exactly its own entries (`d-a` never matches `d-ab`).
pub fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        out.extend_from_slice(part);
    }
    out
}

/// The prefix that selects every key whose first parts are `parts`.
pub fn prefix(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = key(parts);
    out.push(0);
    out
}

/// A key and its stored bytes.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Changes waiting to be committed: `Some` stores a value, `None` removes the key.
pub type Writes = BTreeMap<(&'static str, Vec<u8>), Option<Vec<u8>>>;

/// Where a backup of the store goes, file by file.
pub trait BackupSink {
    /// Adds a file: its path inside the store's folder (`/`-separated), its contents and
    /// their length.
    fn add(
        &mut self,
        path: &str,
        contents: &mut dyn std::io::Read,
        len: u64,
    ) -> std::io::Result<()>;
}

/// A storage engine. Reads see what was applied; [`Storage::apply`] applies a whole
/// [`Writes`] atomically, [`Storage::sync_up_to`] makes it durable.
pub trait Storage: Send + Sync + 'static {
    /// The value under `key`.
    fn get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// At most `limit` entries whose key starts with `prefix` and comes after `after`,
    /// in key order.
    fn scan(
        &self,
        table: &'static str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError>;
    /// Applies every write or none; readers see them at once. Returns the apply's
    /// generation, for [`Storage::sync_up_to`].
    fn apply(&self, writes: Writes) -> Result<u64, StoreError>;
    /// Returns once everything applied up to `generation` (`u64::MAX`: everything
    /// applied so far) is on disk. Concurrent callers share one sync.
    fn sync_up_to(&self, generation: u64) -> Result<(), StoreError>;
    /// Applies and syncs.
    fn commit(&self, writes: Writes) -> Result<(), StoreError> {
        let generation = self.apply(writes)?;
        self.sync_up_to(generation)
    }
    /// A number never handed out before.
    fn next_id(&self) -> Result<u64, StoreError>;
    /// Why the store stopped taking changes, if it did; only a restart brings it back.
    fn stopped(&self) -> Option<String> {
        None
    }
    /// Writes a consistent copy of everything durable into `into` (the files of a store
    /// folder), while the store goes on; `scratch` is a folder for temporary files.
    fn back_up(
        &self,
        scratch: &std::path::Path,
        into: &mut dyn BackupSink,
    ) -> Result<(), StoreError> {
        let _ = (scratch, into);
        Err(StoreError::Backend(
            "this store keeps nothing on disk to back up".into(),
        ))
    }
}

fn decode<V: DeserializeOwned>(
    table: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<V, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        table,
        key: String::from_utf8_lossy(key).replace('\0', "/"),
        reason: e.to_string(),
    })
}

/// A transaction: reads see the committed state with this transaction's own writes on
/// top; nothing is visible to anyone else until [`Tx::commit`].
///
/// A transaction may carry several *items* (the messages of one batch): writes go into
/// the current item, which [`Tx::keep_item`] adds to the transaction and
/// [`Tx::drop_item`] forgets, so one failed message never takes its batch down with it.
pub struct Tx {
    storage: Arc<dyn Storage>,
    kept: Writes,
    current: Writes,
}

impl Tx {
    /// A transaction over `storage`.
    pub fn new(storage: Arc<dyn Storage>) -> Tx {
        Tx {
            storage,
            kept: Writes::new(),
            current: Writes::new(),
        }
    }

    fn pending(&self, table: &'static str, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        let k = (table, key.to_vec());
        self.current.get(&k).or_else(|| self.kept.get(&k))
    }

    /// The bytes under `key` in a raw table.
    pub fn get_raw(&self, table: RawTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.pending(table.0, key) {
            Some(value) => Ok(value.clone()),
            None => self.storage.get(table.0, key),
        }
    }

    /// The record under `key`.
    pub fn get<V: DeserializeOwned>(
        &self,
        table: Table<V>,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<V>, StoreError> {
        let key = key.as_ref();
        match self.get_raw(RawTable(table.name), key)? {
            Some(bytes) => decode(table.name, key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Whether there is a record under `key`.
    pub fn contains<V>(&self, table: Table<V>, key: impl AsRef<[u8]>) -> Result<bool, StoreError> {
        Ok(self.get_raw(RawTable(table.name), key.as_ref())?.is_some())
    }

    /// Stores bytes under `key` in a raw table.
    pub fn put_raw(&mut self, table: RawTable, key: Vec<u8>, bytes: Vec<u8>) {
        self.current.insert((table.0, key), Some(bytes));
    }

    /// Stores a record under `key`.
    pub fn put<V: Serialize>(
        &mut self,
        table: Table<V>,
        key: impl AsRef<[u8]>,
        value: &V,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value).map_err(|e| StoreError::Encode {
            table: table.name,
            reason: e.to_string(),
        })?;
        self.put_raw(RawTable(table.name), key.as_ref().to_vec(), bytes);
        Ok(())
    }

    /// Removes the record under `key` (nothing happens if there is none).
    pub fn remove<V>(&mut self, table: Table<V>, key: impl AsRef<[u8]>) {
        self.remove_raw(RawTable(table.name), key.as_ref());
    }

    /// Removes the bytes under `key` in a raw table.
    pub fn remove_raw(&mut self, table: RawTable, key: &[u8]) {
        self.current.insert((table.0, key.to_vec()), None);
    }

    /// At most `limit` entries whose key starts with `prefix` and comes after `after`, in
    /// key order, with this transaction's writes applied.
    pub fn scan_raw(
        &self,
        table: RawTable,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        // This transaction's writes in the range, the current item's over the kept ones.
        let mut mine: BTreeMap<Vec<u8>, Option<&Vec<u8>>> = BTreeMap::new();
        for writes in [&self.kept, &self.current] {
            let from = (table.0, prefix.to_vec());
            for ((t, k), v) in writes.range(from..) {
                if *t != table.0 || !k.starts_with(prefix) {
                    break;
                }
                if after.is_some_and(|a| k.as_slice() <= a) {
                    continue;
                }
                mine.insert(k.clone(), v.as_ref());
            }
        }
        // Each of our removals can hide at most one stored entry: ask for that many more.
        let removals = mine.values().filter(|v| v.is_none()).count();
        let stored = self
            .storage
            .scan(table.0, prefix, after, limit.saturating_add(removals))?;
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = stored.into_iter().collect();
        for (k, v) in mine {
            match v {
                Some(bytes) => {
                    merged.insert(k, bytes.clone());
                }
                None => {
                    merged.remove(&k);
                }
            }
        }
        Ok(merged.into_iter().take(limit).collect())
    }

    /// At most `limit` records whose key starts with `prefix` and comes after `after`.
    pub fn scan<V: DeserializeOwned>(
        &self,
        table: Table<V>,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, V)>, StoreError> {
        self.scan_raw(RawTable(table.name), prefix, after, limit)?
            .into_iter()
            .map(|(k, bytes)| {
                let value = decode(table.name, &k, &bytes)?;
                Ok((k, value))
            })
            .collect()
    }

    /// Every record whose key starts with `prefix`, in key order.
    pub fn with_prefix<V: DeserializeOwned>(
        &self,
        table: Table<V>,
        prefix: &[u8],
    ) -> Result<Vec<V>, StoreError> {
        Ok(self
            .scan(table, prefix, None, usize::MAX)?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// Every record of a table, in key order.
    pub fn all<V: DeserializeOwned>(&self, table: Table<V>) -> Result<Vec<V>, StoreError> {
        self.with_prefix(table, b"")
    }

    /// Every record of a table with its key, in key order.
    pub fn entries<V: DeserializeOwned>(
        &self,
        table: Table<V>,
    ) -> Result<Vec<(Vec<u8>, V)>, StoreError> {
        self.scan(table, b"", None, usize::MAX)
    }

    /// How many records a table holds.
    pub fn count<V>(&self, table: Table<V>) -> Result<usize, StoreError> {
        Ok(self
            .scan_raw(RawTable(table.name), b"", None, usize::MAX)?
            .len())
    }

    /// A number never handed out before (sequence keys, loan numbers). Not undone if the
    /// transaction is dropped: numbers may skip, never repeat.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        self.storage.next_id()
    }

    /// The current item's writes join the transaction.
    pub fn keep_item(&mut self) {
        let current = std::mem::take(&mut self.current);
        self.kept.extend(current);
    }

    /// The current item's writes are forgotten.
    pub fn drop_item(&mut self) {
        self.current.clear();
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.current.is_empty()
    }

    /// Commits every write (the current item's too): atomically, and on disk before this
    /// returns. Runs the disk work off the async threads.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.apply()?.durable().await
    }

    /// The first half of a commit: every write (the current item's too) becomes visible
    /// to all readers, atomically, but is not yet on disk: tell no one about it before
    /// [`Applied::durable`] returns.
    pub fn apply(mut self) -> Result<Applied, StoreError> {
        self.keep_item();
        let generation = if self.kept.is_empty() {
            None
        } else {
            Some(self.storage.apply(std::mem::take(&mut self.kept))?)
        };
        Ok(Applied {
            storage: self.storage,
            generation,
        })
    }

    /// Commits on this thread (for code that is not async: start-up and tests).
    pub fn commit_blocking(mut self) -> Result<(), StoreError> {
        self.keep_item();
        if self.kept.is_empty() {
            return Ok(());
        }
        self.storage.commit(std::mem::take(&mut self.kept))
    }
}

/// Writes that readers see but that may not be on disk yet.
#[must_use = "applied writes are not durable until `durable` returns"]
pub struct Applied {
    storage: Arc<dyn Storage>,
    generation: Option<u64>,
}

impl Applied {
    /// Waits until the writes are on disk (sharing the sync with whoever else waits).
    /// Runs the disk work off the async threads.
    pub async fn durable(self) -> Result<(), StoreError> {
        let Some(generation) = self.generation else {
            return Ok(());
        };
        let storage = self.storage;
        match tokio::task::spawn_blocking(move || storage.sync_up_to(generation)).await {
            Ok(result) => result,
            Err(e) => Err(StoreError::Backend(format!("the sync task failed: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEOPLE: Table<String> = Table::new("people");
    const QUEUE: RawTable = RawTable("queue");

    fn both() -> Vec<(Arc<dyn Storage>, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().unwrap();
        let disk: Arc<dyn Storage> = Arc::new(DiskStorage::open(dir.path(), 8 << 20).unwrap());
        vec![
            (Arc::new(MemoryStorage::default()), None),
            (disk, Some(dir)),
        ]
    }

    #[test]
    fn a_transaction_sees_its_own_writes_and_others_see_them_only_after_commit() {
        for (storage, _dir) in both() {
            let mut tx = Tx::new(storage.clone());
            tx.put(PEOPLE, "p-jan", &"Jan".to_owned()).unwrap();
            assert_eq!(tx.get(PEOPLE, "p-jan").unwrap().as_deref(), Some("Jan"));
            assert!(
                Tx::new(storage.clone())
                    .get(PEOPLE, "p-jan")
                    .unwrap()
                    .is_none()
            );
            tx.commit_blocking().unwrap();
            let read = Tx::new(storage.clone());
            assert_eq!(read.get(PEOPLE, "p-jan").unwrap().as_deref(), Some("Jan"));
        }
    }

    #[test]
    fn a_dropped_item_leaves_nothing_and_a_kept_one_stays() {
        for (storage, _dir) in both() {
            let mut tx = Tx::new(storage.clone());
            tx.put(PEOPLE, "p-a", &"A".to_owned()).unwrap();
            tx.keep_item();
            tx.put(PEOPLE, "p-b", &"B".to_owned()).unwrap();
            tx.remove(PEOPLE, "p-a");
            tx.drop_item();
            assert_eq!(tx.all(PEOPLE).unwrap(), ["A"]);
            tx.commit_blocking().unwrap();
            assert_eq!(Tx::new(storage).all(PEOPLE).unwrap(), ["A"]);
        }
    }

    #[test]
    fn scans_merge_pending_writes_and_respect_prefix_after_and_limit() {
        for (storage, _dir) in both() {
            let mut tx = Tx::new(storage.clone());
            for n in 1..=5u8 {
                tx.put_raw(QUEUE, key(&[b"d-a", &[n]]), vec![n]);
            }
            tx.put_raw(QUEUE, key(&[b"d-ab", &[1]]), vec![99]);
            tx.commit_blocking().unwrap();

            let mut tx = Tx::new(storage.clone());
            tx.remove_raw(QUEUE, &key(&[b"d-a", &[1]]));
            tx.remove_raw(QUEUE, &key(&[b"d-a", &[2]]));
            tx.put_raw(QUEUE, key(&[b"d-a", &[6]]), vec![6]);
            let values =
                |rows: Vec<Entry>| -> Vec<u8> { rows.into_iter().map(|(_, v)| v[0]).collect() };
            let p = prefix(&[b"d-a"]);
            assert_eq!(values(tx.scan_raw(QUEUE, &p, None, 2).unwrap()), [3, 4]);
            assert_eq!(
                values(tx.scan_raw(QUEUE, &p, None, usize::MAX).unwrap()),
                [3, 4, 5, 6],
                "d-ab's entry is not d-a's"
            );
            let after = key(&[b"d-a", &[4]]);
            assert_eq!(
                values(tx.scan_raw(QUEUE, &p, Some(&after), 10).unwrap()),
                [5, 6]
            );
        }
    }

    #[test]
    fn a_damaged_record_is_reported_with_its_table_and_key() {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::default());
        let mut tx = Tx::new(storage.clone());
        tx.put_raw(RawTable("people"), b"p-x".to_vec(), b"{not json".to_vec());
        tx.commit_blocking().unwrap();
        let err = Tx::new(storage).get(PEOPLE, "p-x").unwrap_err().to_string();
        assert!(err.contains("people/p-x"), "{err}");
    }

    #[test]
    fn ids_are_never_handed_out_twice() {
        for (storage, _dir) in both() {
            let tx = Tx::new(storage);
            let a = tx.next_id().unwrap();
            let b = tx.next_id().unwrap();
            assert_ne!(a, b);
        }
    }
}
