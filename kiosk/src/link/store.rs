//! What the kiosk keeps on its own storage, in redb: the outbox (everything it sends, until
//! the hub acknowledges it), the ids it has received (so nothing is shown twice), the
//! recent conversation history, and photo thumbnails. Each change that counts is one
//! durable commit (written and fsync'd before it returns), so a dead battery loses
//! nothing the senior saw as written: a message is in the outbox before the screen shows
//! it, and a message from the hub is kept before the hub hears it arrived.
//!
//! After a failed write redb takes nothing more until it is opened again: the store does
//! that by itself at the next call, so a caller that tries again (the live link does)
//! finds it working once the storage does. The only code in the kiosk that knows redb.

use nabij_protocol::{Envelope, MessageId};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// What the tablet sends, by a number that grows: the oldest first.
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// Ids received, with their time.
const SEEN: TableDefinition<&str, u64> = TableDefinition::new("seen");
/// What was sent and received, by time and id.
const HISTORY: TableDefinition<&[u8], &[u8]> = TableDefinition::new("history");
/// Photos made small for the screen, by message id: width, height, RGBA.
const THUMBNAILS: TableDefinition<&str, &[u8]> = TableDefinition::new("thumbnails");
/// The next outbox number.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const NEXT_OUTBOX: &str = "next_outbox";
/// When [`KioskStore::check`] last wrote.
const CHECKED: &str = "checked";

/// The database file in the store's folder.
const DATABASE_FILE: &str = "kiosk.redb";

/// The kiosk's storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage could not be read or written (disk full, a failing card, permissions);
    /// the next call opens it again.
    #[error("the tablet's storage failed: {0}")]
    Failed(String),
    /// The folder holds an earlier kiosk's storage (sled), which this version cannot read.
    #[error(
        "{0} holds the storage of an earlier version of the kiosk; wipe the tablet (or remove the folder) to start afresh"
    )]
    EarlierVersion(PathBuf),
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(e: $error) -> Self {
                StoreError::Failed(redb::Error::from(e).to_string())
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

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Failed(e.to_string())
    }
}

/// Where the database is.
enum Source {
    File(PathBuf),
    /// Any redb backend (the tests' simulated disk); each call gives the same disk.
    Backend(Box<dyn Fn() -> Box<dyn redb::StorageBackend> + Send + Sync>),
}

impl Source {
    fn open(&self) -> Result<Database, StoreError> {
        Ok(match self {
            Source::File(path) => {
                // A link stopped a moment ago may still be letting go of it (its last
                // write finishing on a blocking thread).
                let mut attempts = 0;
                loop {
                    match Database::builder().create(path) {
                        Err(redb::DatabaseError::DatabaseAlreadyOpen) if attempts < 40 => {
                            attempts += 1;
                            std::thread::sleep(std::time::Duration::from_millis(50));
                        }
                        opened => break opened?,
                    }
                }
            }
            Source::Backend(backend) => {
                Database::builder().create_with_backend(AnyBackend(backend()))?
            }
        })
    }
}

/// A boxed backend is one too.
#[derive(Debug)]
struct AnyBackend(Box<dyn redb::StorageBackend>);

impl redb::StorageBackend for AnyBackend {
    fn len(&self) -> Result<u64, redb::BackendError> {
        self.0.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), redb::BackendError> {
        self.0.read(offset, out)
    }
    fn set_len(&self, len: u64) -> Result<(), redb::BackendError> {
        self.0.set_len(len)
    }
    fn sync_data(&self) -> Result<(), redb::BackendError> {
        self.0.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), redb::BackendError> {
        self.0.write(offset, data)
    }
    fn close(&self) -> Result<(), redb::BackendError> {
        self.0.close()
    }
}

struct Inner {
    source: Source,
    /// `None` after a failure: the next call opens it again.
    db: Mutex<Option<Database>>,
}

/// The kiosk's durable storage. Cheap to clone.
#[derive(Clone)]
pub struct KioskStore {
    inner: Arc<Inner>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere leaves the database between two whole transactions.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn table_missing(e: &redb::TableError) -> bool {
    matches!(e, redb::TableError::TableDoesNotExist(_))
}

impl KioskStore {
    /// Opens (or creates) the storage in folder `dir`.
    pub fn open(dir: &Path) -> Result<KioskStore, StoreError> {
        // sled left these; this version keeps one redb file beside them.
        if ["conf", "db", "blobs"].iter().any(|f| dir.join(f).exists()) {
            return Err(StoreError::EarlierVersion(dir.to_owned()));
        }
        std::fs::create_dir_all(dir)?;
        KioskStore::over(Source::File(dir.join(DATABASE_FILE)))
    }

    /// Opens a storage over any redb backend (`backend` gives the same disk each time).
    pub fn open_with<B>(
        backend: impl Fn() -> B + Send + Sync + 'static,
    ) -> Result<KioskStore, StoreError>
    where
        B: redb::StorageBackend,
    {
        KioskStore::over(Source::Backend(Box::new(move || {
            Box::new(backend()) as Box<dyn redb::StorageBackend>
        })))
    }

    fn over(source: Source) -> Result<KioskStore, StoreError> {
        let db = source.open()?;
        Ok(KioskStore {
            inner: Arc::new(Inner {
                source,
                db: Mutex::new(Some(db)),
            }),
        })
    }

    /// Runs `work` on the database, opening it again first if an earlier call failed; a
    /// failure closes it, for the next call to open again.
    fn with<T>(
        &self,
        work: impl FnOnce(&Database) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut db = lock(&self.inner.db);
        if db.is_none() {
            *db = Some(self.inner.source.open()?);
        }
        let Some(open) = db.as_ref() else {
            return Err(StoreError::Failed("the storage is not open".into()));
        };
        let result = work(open);
        if result.is_err() {
            *db = None;
        }
        result
    }

    /// Puts an envelope in the outbox (and the history) and waits until it is on disk.
    /// Once only: pushed again (after a failed write that landed after all), nothing
    /// changes.
    pub fn push(&self, envelope: &Envelope) -> Result<(), StoreError> {
        let bytes = envelope.to_bytes();
        let key = history_key(envelope);
        self.with(|db| {
            let txn = db.begin_write()?;
            {
                let mut history = txn.open_table(HISTORY)?;
                if history.get(key.as_slice())?.is_some() {
                    drop(history);
                    txn.abort()?;
                    return Ok(());
                }
                history.insert(key.as_slice(), bytes.as_slice())?;
                let mut meta = txn.open_table(META)?;
                let next = meta.get(NEXT_OUTBOX)?.map_or(0, |v| v.value());
                meta.insert(NEXT_OUTBOX, next + 1)?;
                txn.open_table(OUTBOX)?.insert(next, bytes.as_slice())?;
            }
            txn.commit()?;
            Ok(())
        })
    }

    /// The outbox, oldest first, as payloads with their ids.
    pub fn pending(&self) -> Result<Vec<(MessageId, Vec<u8>)>, StoreError> {
        self.with(|db| {
            let txn = db.begin_read()?;
            let outbox = match txn.open_table(OUTBOX) {
                Ok(outbox) => outbox,
                Err(e) if table_missing(&e) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            let mut out = Vec::new();
            for entry in outbox.iter()? {
                let (_, bytes) = entry?;
                if let Ok(head) = serde_json::from_slice::<IdOnly>(bytes.value()) {
                    out.push((head.id, bytes.value().to_vec()));
                }
            }
            Ok(out)
        })
    }

    /// Removes acknowledged (or refused) ids from the outbox; returns those removed.
    pub fn remove(&self, ids: &[MessageId]) -> Result<Vec<MessageId>, StoreError> {
        self.with(|db| {
            let txn = db.begin_write()?;
            let mut removed = Vec::new();
            {
                let mut outbox = txn.open_table(OUTBOX)?;
                let mut keys = Vec::new();
                for entry in outbox.iter()? {
                    let (key, bytes) = entry?;
                    if let Ok(head) = serde_json::from_slice::<IdOnly>(bytes.value())
                        && ids.contains(&head.id)
                    {
                        keys.push(key.value());
                        removed.push(head.id);
                    }
                }
                for key in keys {
                    outbox.remove(key)?;
                }
            }
            if removed.is_empty() {
                txn.abort()?;
            } else {
                txn.commit()?;
            }
            Ok(removed)
        })
    }

    /// Records a received message, on disk before this returns; false if it was received
    /// before (a duplicate).
    pub fn receive(&self, envelope: &Envelope) -> Result<bool, StoreError> {
        self.with(|db| {
            let txn = db.begin_write()?;
            let fresh = {
                let mut seen = txn.open_table(SEEN)?;
                let fresh = seen.insert(envelope.id.as_str(), envelope.ts.0)?.is_none();
                if fresh {
                    txn.open_table(HISTORY)?.insert(
                        history_key(envelope).as_slice(),
                        envelope.to_bytes().as_slice(),
                    )?;
                }
                fresh
            };
            if fresh {
                txn.commit()?;
            } else {
                txn.abort()?;
            }
            Ok(fresh)
        })
    }

    /// The conversation history of tablet `me`, oldest first: what it sent and what it
    /// received, checked again as it is read back.
    pub fn history(&self, me: &nabij_protocol::DeviceId) -> Result<Vec<Envelope>, StoreError> {
        self.with(|db| {
            let txn = db.begin_read()?;
            let history = match txn.open_table(HISTORY) {
                Ok(history) => history,
                Err(e) if table_missing(&e) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            let mut out = Vec::new();
            for entry in history.iter()? {
                let (_, bytes) = entry?;
                let bytes = bytes.value();
                let mine =
                    serde_json::from_slice::<IdFrom>(bytes).is_ok_and(|h| h.from == me.as_str());
                let topic = if mine {
                    nabij_protocol::Topic::DeviceUp(me.clone())
                } else {
                    nabij_protocol::Topic::DeviceDown(me.clone())
                };
                if let Ok(envelope) = nabij_protocol::decode(&topic, bytes) {
                    out.push(envelope);
                }
            }
            Ok(out)
        })
    }

    /// Forgets conversation messages (and their receipts and thumbnails) from before
    /// `cutoff`; settings, contacts and questions stay, as the latest of each still counts.
    /// Returns how many went.
    pub fn prune_history(&self, cutoff: nabij_protocol::UnixMillis) -> Result<usize, StoreError> {
        const CONVERSATION: [&str; 5] = ["text", "voice", "photo", "receipt", "rejected"];
        self.with(|db| {
            let txn = db.begin_write()?;
            let mut gone = Vec::new();
            {
                let mut history = txn.open_table(HISTORY)?;
                let end = cutoff.0.to_be_bytes();
                for entry in history.range(..end.as_slice())? {
                    let (key, bytes) = entry?;
                    if let Ok(head) = serde_json::from_slice::<IdKind>(bytes.value())
                        && CONVERSATION.contains(&head.kind.as_str())
                    {
                        gone.push((key.value().to_vec(), head.id));
                    }
                }
                let mut thumbnails = txn.open_table(THUMBNAILS)?;
                for (key, id) in &gone {
                    history.remove(key.as_slice())?;
                    thumbnails.remove(id.as_str())?;
                }
            }
            if gone.is_empty() {
                txn.abort()?;
            } else {
                txn.commit()?;
            }
            Ok(gone.len())
        })
    }

    /// A photo's thumbnail made before (width, height, RGBA), if any.
    pub fn thumbnail(&self, id: &MessageId) -> Result<Option<(u32, u32, Vec<u8>)>, StoreError> {
        let bytes = self.with(|db| {
            let txn = db.begin_read()?;
            let thumbnails = match txn.open_table(THUMBNAILS) {
                Ok(thumbnails) => thumbnails,
                Err(e) if table_missing(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            Ok(thumbnails.get(id.as_str())?.map(|v| v.value().to_vec()))
        })?;
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        let (Some(w), Some(h)) = (bytes.get(0..4), bytes.get(4..8)) else {
            return Ok(None);
        };
        let (w, h) = (
            u32::from_be_bytes([w[0], w[1], w[2], w[3]]),
            u32::from_be_bytes([h[0], h[1], h[2], h[3]]),
        );
        let rgba = bytes[8..].to_vec();
        // A damaged entry is made again rather than shown wrong.
        Ok((rgba.len() as u64 == u64::from(w) * u64::from(h) * 4).then_some((w, h, rgba)))
    }

    /// Keeps a photo's thumbnail, so it is decoded once, not at every start. A cache: it
    /// becomes durable with the next commit that counts, and a crash before that only
    /// means decoding the photo again.
    pub fn keep_thumbnail(
        &self,
        id: &MessageId,
        width: u32,
        height: u32,
        rgba: &[u8],
    ) -> Result<(), StoreError> {
        let mut bytes = Vec::with_capacity(8 + rgba.len());
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(rgba);
        self.with(|db| {
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::None)
                .map_err(|e| StoreError::Failed(e.to_string()))?;
            txn.open_table(THUMBNAILS)?
                .insert(id.as_str(), bytes.as_slice())?;
            txn.commit()?;
            Ok(())
        })
    }

    /// Commits a small write, to learn whether the storage works (again).
    pub fn check(&self) -> Result<(), StoreError> {
        self.with(|db| {
            let txn = db.begin_write()?;
            let at = nabij_protocol::UnixMillis::now().0;
            txn.open_table(META)?.insert(CHECKED, at)?;
            txn.commit()?;
            Ok(())
        })
    }

    /// Erases everything (the coach's `wipe`).
    pub fn wipe(&self) -> Result<(), StoreError> {
        self.with(|db| {
            let txn = db.begin_write()?;
            txn.delete_table(OUTBOX)?;
            txn.delete_table(SEEN)?;
            txn.delete_table(HISTORY)?;
            txn.delete_table(THUMBNAILS)?;
            txn.commit()?;
            Ok(())
        })
    }
}

fn history_key(envelope: &Envelope) -> Vec<u8> {
    let mut key = envelope.ts.0.to_be_bytes().to_vec();
    key.extend_from_slice(envelope.id.as_str().as_bytes());
    key
}

#[derive(serde::Deserialize)]
struct IdOnly {
    id: MessageId,
}

#[derive(serde::Deserialize)]
struct IdKind {
    id: MessageId,
    kind: String,
}

#[derive(serde::Deserialize)]
struct IdFrom {
    from: String,
}

#[cfg(test)]
mod tests;
