//! The hub's durable state in sled: one tree per kind of record, values as JSON.
//! sled types stop here; the rest of the hub sees typed records.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::path::Path;

/// The database failed, or holds a record this build cannot read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (disk full, permissions, corruption).
    #[error("the hub's database failed: {0}")]
    Sled(#[from] sled::Error),
    /// A stored record could not be read back.
    #[error("a record in the hub's database ({tree}/{key}) cannot be read: {source}")]
    Corrupt {
        /// The tree.
        tree: String,
        /// The key.
        key: String,
        /// The reason.
        source: serde_json::Error,
    },
}

/// A sled tree of `T` records keyed by text.
#[derive(Clone)]
pub struct Table<T> {
    tree: sled::Tree,
    _records: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> Table<T> {
    fn open(db: &sled::Db, name: &str) -> Result<Self, StoreError> {
        Ok(Table {
            tree: db.open_tree(name)?,
            _records: PhantomData,
        })
    }

    fn decode(&self, key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
        serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
            tree: String::from_utf8_lossy(&self.tree.name()).into_owned(),
            key: String::from_utf8_lossy(key).into_owned(),
            source,
        })
    }

    /// The record under `key`.
    pub fn get(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.tree.get(key)? {
            Some(bytes) => self.decode(key.as_bytes(), &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Stores `value` under `key`.
    pub fn put(&self, key: &str, value: &T) -> Result<(), StoreError> {
        // Serializing our own record types cannot fail: every map key is a string.
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        self.tree.insert(key, bytes)?;
        Ok(())
    }

    /// Removes the record under `key`.
    pub fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.tree.remove(key)?;
        Ok(())
    }

    /// Every record, in key order.
    pub fn all(&self) -> Result<Vec<T>, StoreError> {
        self.tree
            .iter()
            .map(|entry| {
                let (key, bytes) = entry?;
                self.decode(&key, &bytes)
            })
            .collect()
    }

    /// Every record with its key, in key order.
    pub fn entries(&self) -> Result<Vec<(String, T)>, StoreError> {
        self.tree
            .iter()
            .map(|entry| {
                let (key, bytes) = entry?;
                let value = self.decode(&key, &bytes)?;
                Ok((String::from_utf8_lossy(&key).into_owned(), value))
            })
            .collect()
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }
}

/// The hub's database. Cloning is cheap (sled handles are reference-counted).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// Enrolled tablets, by device id.
    pub devices: Table<crate::devices::DeviceRecord>,
    /// Tablets that are pairing, by enrolment id.
    pub pairings: Table<crate::enrolment::Pairing>,
    /// Participants, coaches and family members, by person id.
    pub people: Table<crate::people::Person>,
    /// Groups, by group id.
    pub groups: Table<crate::people::Group>,
    /// The loan register, by zero-padded loan number.
    pub loans: Table<crate::loans::Loan>,
    /// Messages waiting for a tablet's `ack`, by device id + sequence number.
    pub(crate) outbox: sled::Tree,
    /// Approved contacts, by the two person ids.
    pub contacts: Table<crate::messaging::Approval>,
    /// Chat messages, by the hub's uid.
    pub messages: Table<crate::messaging::StoredMessage>,
    /// Which stored message each delivered copy is, by the copy's id.
    pub deliveries: Table<String>,
    /// What the hub did with each message id a tablet sent, by device and id.
    pub seen: Table<crate::messaging::Seen>,
    /// Answers and requests from tablets (help, diary answers, RSVPs) for the coaches'
    /// and staff's views, by device and message id.
    pub reports: Table<crate::messaging::Report>,
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .flush_every_ms(Some(200))
            .open()?;
        Ok(Store {
            devices: Table::open(&db, "devices")?,
            pairings: Table::open(&db, "pairings")?,
            people: Table::open(&db, "people")?,
            groups: Table::open(&db, "groups")?,
            loans: Table::open(&db, "loans")?,
            outbox: db.open_tree("outbox")?,
            contacts: Table::open(&db, "contacts")?,
            messages: Table::open(&db, "messages")?,
            deliveries: Table::open(&db, "deliveries")?,
            seen: Table::open(&db, "seen")?,
            reports: Table::open(&db, "reports")?,
            db,
        })
    }

    /// A number never handed out before (for loan numbers and sequence keys).
    pub fn next_id(&self) -> Result<u64, StoreError> {
        Ok(self.db.generate_id()?)
    }

    /// Waits until everything written so far is on disk. Called before the hub tells
    /// anyone that something is done.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let group = crate::people::Group {
                id: "g-oost".parse().unwrap(),
                name: "Oost".into(),
                coach: None,
            };
            store.groups.put("g-oost", &group).unwrap();
            store.db.flush().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.groups.get("g-oost").unwrap().unwrap().name, "Oost");
        assert!(store.groups.get("g-west").unwrap().is_none());
    }

    #[test]
    fn a_damaged_record_is_reported_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .groups
            .tree
            .insert("g-bad", b"{not json".to_vec())
            .unwrap();
        let err = store.groups.get("g-bad").unwrap_err().to_string();
        assert!(err.contains("groups/g-bad"), "{err}");
    }
}
