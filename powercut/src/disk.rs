//! [`SimDisk`]: a redb `StorageBackend` in memory that keeps what was written since the
//! last sync apart from what is durable.

use crate::{Landing, Power, Rng, lock};
use redb::{BackendError, StorageBackend};
use std::sync::{Arc, Mutex};

/// A disk writes whole sectors; a write cut short by the power is torn at one.
const SECTOR: usize = 512;

/// A change not yet synced.
#[derive(Debug, Clone)]
enum Change {
    Write { offset: usize, bytes: Vec<u8> },
    SetLen(usize),
}

#[derive(Debug, Default)]
struct DiskState {
    /// What survives any cut.
    durable: Vec<u8>,
    /// What reads see: `durable` with every change since the last sync.
    live: Vec<u8>,
    /// The changes since the last sync, in order.
    unsynced: Vec<Change>,
    /// Bytes written, ever.
    written: u64,
    /// Syncs, ever.
    syncs: u64,
    /// Every sync fails (an injected I/O error).
    fail_syncs: bool,
    /// Every write fails (an injected I/O error).
    fail_writes: bool,
}

fn apply(image: &mut Vec<u8>, change: &Change) {
    match change {
        Change::Write { offset, bytes } => {
            let end = offset + bytes.len();
            if image.len() < end {
                image.resize(end, 0);
            }
            image[*offset..end].copy_from_slice(bytes);
        }
        Change::SetLen(len) => image.resize(*len, 0),
    }
}

/// A disk for redb, in memory, on a machine whose power a test controls. Cheap to clone;
/// clones are the same disk.
#[derive(Clone, Default)]
pub struct SimDisk {
    power: Power,
    state: Arc<Mutex<DiskState>>,
}

impl std::fmt::Debug for SimDisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the bytes: a database is megabytes.
        let state = lock(&self.state);
        f.debug_struct("SimDisk")
            .field("len", &state.live.len())
            .field("unsynced", &state.unsynced.len())
            .finish()
    }
}

impl SimDisk {
    /// An empty disk on `power`.
    pub fn new(power: Power) -> SimDisk {
        SimDisk {
            power,
            state: Arc::default(),
        }
    }

    /// A disk holding `image`, all of it durable (what a restart after a cut finds).
    pub fn with_image(power: Power, image: Vec<u8>) -> SimDisk {
        let state = DiskState {
            live: image.clone(),
            durable: image,
            ..DiskState::default()
        };
        SimDisk {
            power,
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Bytes written to it so far (what the disk was made to write).
    pub fn written(&self) -> u64 {
        lock(&self.state).written
    }

    /// Syncs so far.
    pub fn syncs(&self) -> u64 {
        lock(&self.state).syncs
    }

    /// From now on every sync fails (or works again), as a dying SD card's do.
    pub fn fail_syncs(&self, fail: bool) {
        lock(&self.state).fail_syncs = fail;
    }

    /// From now on every write fails (or works again).
    pub fn fail_writes(&self, fail: bool) {
        lock(&self.state).fail_writes = fail;
    }

    /// What a restart finds if none of the writes since the last sync landed.
    pub fn durable_image(&self) -> Vec<u8> {
        lock(&self.state).durable.clone()
    }

    /// What a restart finds if all of them landed, in order.
    pub fn live_image(&self) -> Vec<u8> {
        lock(&self.state).live.clone()
    }

    /// What a restart finds after the power went: everything durable, and of the writes
    /// since the last sync none, all, or some sectors of them in a random order.
    pub fn crash_image(&self, rng: &mut Rng) -> Vec<u8> {
        let state = lock(&self.state);
        let mut pieces = Vec::new();
        for change in &state.unsynced {
            match change {
                Change::Write { offset, bytes } => {
                    for (i, sector) in bytes.chunks(SECTOR).enumerate() {
                        pieces.push(Change::Write {
                            offset: offset + i * SECTOR,
                            bytes: sector.to_vec(),
                        });
                    }
                }
                Change::SetLen(len) => pieces.push(Change::SetLen(*len)),
            }
        }
        Landing::pick(rng).apply(rng, &mut pieces);
        let mut image = state.durable.clone();
        for piece in &pieces {
            apply(&mut image, piece);
        }
        image
    }
}

fn offset_of(offset: u64) -> Result<usize, BackendError> {
    usize::try_from(offset).map_err(|_| BackendError::Io(std::io::Error::other("offset too large")))
}

impl StorageBackend for SimDisk {
    fn len(&self) -> Result<u64, BackendError> {
        self.power.check()?;
        Ok(lock(&self.state).live.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), BackendError> {
        self.power.check()?;
        let offset = offset_of(offset)?;
        let state = lock(&self.state);
        let Some(bytes) = state.live.get(offset..offset + out.len()) else {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        };
        out.copy_from_slice(bytes);
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), BackendError> {
        self.power.tick()?;
        let change = Change::SetLen(offset_of(len)?);
        let mut state = lock(&self.state);
        apply(&mut state.live, &change);
        state.unsynced.push(change);
        Ok(())
    }

    fn sync_data(&self) -> Result<(), BackendError> {
        self.power.tick()?;
        let mut state = lock(&self.state);
        if state.fail_syncs {
            return Err(std::io::Error::other("injected: the disk failed to sync").into());
        }
        let changes = std::mem::take(&mut state.unsynced);
        for change in &changes {
            apply(&mut state.durable, change);
        }
        state.syncs += 1;
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), BackendError> {
        self.power.tick()?;
        let mut state = lock(&self.state);
        if state.fail_writes {
            return Err(std::io::Error::other("injected: the disk failed to write").into());
        }
        let change = Change::Write {
            offset: offset_of(offset)?,
            bytes: data.to_vec(),
        };
        apply(&mut state.live, &change);
        state.unsynced.push(change);
        state.written += data.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synced_writes_survive_and_a_cut_keeps_any_part_of_the_rest() {
        let disk = SimDisk::new(Power::on());
        disk.write(0, &[1; 1024]).unwrap();
        disk.sync_data().unwrap();
        disk.write(0, &[2; 1024]).unwrap();
        assert_eq!(disk.written(), 2048);
        let mut seen = std::collections::BTreeSet::new();
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let image = disk.crash_image(&mut rng);
            assert_eq!(image.len(), 1024);
            // Each sector is old or new, never anything else.
            for sector in image.chunks(SECTOR) {
                assert!(
                    sector
                        .iter()
                        .all(|b| *b == sector[0] && (*b == 1 || *b == 2))
                );
            }
            seen.insert((image[0], image[SECTOR]));
        }
        assert_eq!(seen.len(), 4, "old, new and both torn ways: {seen:?}");
    }

    #[test]
    fn once_the_power_is_off_nothing_more_is_written_or_read() {
        let power = Power::on();
        let disk = SimDisk::new(power.clone());
        disk.write(0, &[1; 8]).unwrap();
        power.cut_after(1);
        assert!(disk.write(0, &[2; 8]).is_err());
        let mut out = [0; 8];
        assert!(disk.read(0, &mut out).is_err());
        assert_eq!(disk.crash_image(&mut Rng::new(0)).len() % 8, 0);
    }

    #[test]
    fn redb_commits_on_it_and_an_injected_sync_failure_is_an_error() {
        use redb::{ReadableDatabase, ReadableTable, TableDefinition};
        const T: TableDefinition<u64, u64> = TableDefinition::new("t");
        let disk = SimDisk::new(Power::on());
        let db = redb::Database::builder()
            .create_with_backend(disk.clone())
            .unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(T).unwrap().insert(1, 10).unwrap();
        txn.commit().unwrap();
        assert!(disk.syncs() > 0);
        disk.fail_syncs(true);
        let txn = db.begin_write().unwrap();
        txn.open_table(T).unwrap().insert(2, 20).unwrap();
        assert!(txn.commit().is_err());
        drop(db);
        let reopened = redb::Database::builder()
            .create_with_backend(SimDisk::with_image(
                Power::on(),
                disk.crash_image(&mut Rng::new(1)),
            ))
            .unwrap();
        let read = reopened.begin_read().unwrap();
        let table = read.open_table(T).unwrap();
        assert_eq!(table.get(1).unwrap().map(|v| v.value()), Some(10));
    }
}
