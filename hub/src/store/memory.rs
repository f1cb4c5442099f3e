//! [`Storage`] in memory, for tests of the layers above that need no disk.

use super::{Entry, Storage, StoreError, Writes};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

type Data = BTreeMap<(&'static str, Vec<u8>), Vec<u8>>;

/// A database that lives as long as the value.
#[derive(Default)]
pub struct MemoryStorage {
    data: Mutex<Data>,
    ids: AtomicU64,
    generations: AtomicU64,
    /// Set by [`MemoryStorage::stop_taking_changes`].
    stopped: Mutex<Option<String>>,
}

impl MemoryStorage {
    fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A store holding what this one holds now (a fixture made once, a copy for each
    /// run).
    pub fn copy(&self) -> MemoryStorage {
        MemoryStorage {
            data: Mutex::new(self.data().clone()),
            ids: AtomicU64::new(self.ids.load(Ordering::Relaxed)),
            generations: AtomicU64::new(self.generations.load(Ordering::Relaxed)),
            stopped: Mutex::new(self.stopped()),
        }
    }

    /// From now on takes no change and says `why`, as the disk store does after a commit
    /// failed to reach the disk.
    pub fn stop_taking_changes(&self, why: &str) {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.to_owned());
    }

    fn refuse_if_stopped(&self) -> Result<(), StoreError> {
        self.stopped()
            .map_or(Ok(()), |why| Err(StoreError::Stopped(why)))
    }
}

impl Storage for MemoryStorage {
    fn get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.data().get(&(table, key.to_vec())).cloned())
    }

    fn scan(
        &self,
        table: &'static str,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        Ok(self
            .data()
            .range((table, prefix.to_vec())..)
            .take_while(|((t, k), _)| *t == table && k.starts_with(prefix))
            .filter(|((_, k), _)| after.is_none_or(|a| k.as_slice() > a))
            .take(limit)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn apply(&self, writes: Writes) -> Result<u64, StoreError> {
        self.refuse_if_stopped()?;
        let mut data = self.data();
        for ((table, key), value) in writes {
            match value {
                Some(value) => {
                    data.insert((table, key), value);
                }
                None => {
                    data.remove(&(table, key));
                }
            }
        }
        Ok(self.generations.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn sync_up_to(&self, _generation: u64) -> Result<(), StoreError> {
        self.refuse_if_stopped()
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        Ok(self.ids.fetch_add(1, Ordering::Relaxed))
    }

    fn stopped(&self) -> Option<String> {
        self.stopped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
