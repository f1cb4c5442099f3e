//! [`SimFolder`]: a folder of files in memory that keeps file contents not yet synced
//! (fsync of the file) and names not yet synced (fsync of the folder) apart from what is
//! durable.

use crate::{Landing, Power, Rng, lock};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
struct SimFile {
    /// What a restart finds when nothing since the last full sync landed (`None`: no
    /// file by this name).
    durable: Option<Vec<u8>>,
    /// What reads see now (`None`: removed, or never there).
    live: Option<Vec<u8>>,
    /// The live contents were synced since they were written.
    data_synced: bool,
    /// The folder was synced since the name last came or went.
    name_synced: bool,
}

impl SimFile {
    fn settle(&mut self) {
        if self.name_synced && (self.data_synced || self.live.is_none()) {
            self.durable = self.live.clone();
        }
    }
}

#[derive(Debug, Default)]
struct FolderState {
    files: BTreeMap<String, SimFile>,
    written: u64,
}

/// A folder of files on a machine whose power a test controls. Writing a file puts its
/// whole contents under its name at once (as writing a temporary file and renaming it
/// does); a restart finds a name only if the folder was synced, and the contents whole
/// only if the file was. Cheap to clone; clones are the same folder.
#[derive(Debug, Clone, Default)]
pub struct SimFolder {
    power: Power,
    state: Arc<Mutex<FolderState>>,
}

impl SimFolder {
    /// An empty folder on `power`.
    pub fn new(power: Power) -> SimFolder {
        SimFolder {
            power,
            state: Arc::default(),
        }
    }

    /// A folder holding `files`, all durable (what a restart after a cut finds).
    pub fn with_files(power: Power, files: BTreeMap<String, Vec<u8>>) -> SimFolder {
        let files = files
            .into_iter()
            .map(|(name, bytes)| {
                let file = SimFile {
                    durable: Some(bytes.clone()),
                    live: Some(bytes),
                    data_synced: true,
                    name_synced: true,
                };
                (name, file)
            })
            .collect();
        SimFolder {
            power,
            state: Arc::new(Mutex::new(FolderState { files, written: 0 })),
        }
    }

    /// Writes a whole file under `name` (replacing one there), not yet synced.
    pub fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.power.tick()?;
        let mut state = lock(&self.state);
        state.written += bytes.len() as u64;
        let file = state.files.entry(name.to_owned()).or_default();
        file.live = Some(bytes.to_vec());
        file.data_synced = false;
        file.name_synced = false;
        Ok(())
    }

    /// Makes a file's contents durable (its name needs the folder synced too).
    pub fn sync_file(&self, name: &str) -> std::io::Result<()> {
        self.power.tick()?;
        let mut state = lock(&self.state);
        match state.files.get_mut(name) {
            Some(file) if file.live.is_some() => {
                file.data_synced = true;
                file.settle();
                Ok(())
            }
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    }

    /// Makes the names in the folder durable: those that came and those that went.
    pub fn sync_folder(&self) -> std::io::Result<()> {
        self.power.tick()?;
        let mut state = lock(&self.state);
        for file in state.files.values_mut() {
            file.name_synced = true;
            file.settle();
        }
        state
            .files
            .retain(|_, f| f.live.is_some() || f.durable.is_some());
        Ok(())
    }

    /// A file's contents.
    pub fn read(&self, name: &str) -> std::io::Result<Vec<u8>> {
        self.power.check()?;
        lock(&self.state)
            .files
            .get(name)
            .and_then(|f| f.live.clone())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }

    /// Removes a file (durably once the folder is synced).
    pub fn remove(&self, name: &str) -> std::io::Result<()> {
        self.power.tick()?;
        let mut state = lock(&self.state);
        match state.files.get_mut(name) {
            Some(file) if file.live.is_some() => {
                file.live = None;
                file.name_synced = false;
                Ok(())
            }
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    }

    /// The names of the files there now, in order.
    pub fn names(&self) -> std::io::Result<Vec<String>> {
        self.power.check()?;
        Ok(lock(&self.state)
            .files
            .iter()
            .filter(|(_, f)| f.live.is_some())
            .map(|(name, _)| name.clone())
            .collect())
    }

    /// Bytes written to its files so far.
    pub fn written(&self) -> u64 {
        lock(&self.state).written
    }

    /// What a restart finds if none of the changes since the last syncs landed.
    pub fn durable_files(&self) -> BTreeMap<String, Vec<u8>> {
        lock(&self.state)
            .files
            .iter()
            .filter_map(|(name, f)| Some((name.clone(), f.durable.clone()?)))
            .collect()
    }

    /// What a restart finds if all of them landed, whole.
    pub fn live_files(&self) -> BTreeMap<String, Vec<u8>> {
        lock(&self.state)
            .files
            .iter()
            .filter_map(|(name, f)| Some((name.clone(), f.live.clone()?)))
            .collect()
    }

    /// What a restart finds after the power went: each durable file, and of the changes
    /// since none, all, or some: a name that came may be there or not, one that went may
    /// be back, and contents not synced may be whole, empty or cut short.
    pub fn crash_files(&self, rng: &mut Rng) -> BTreeMap<String, Vec<u8>> {
        let state = lock(&self.state);
        let mut changed: Vec<(&String, &SimFile)> = Vec::new();
        let mut out = BTreeMap::new();
        for (name, file) in &state.files {
            if file.live == file.durable && file.name_synced && file.data_synced {
                if let Some(bytes) = &file.durable {
                    out.insert(name.clone(), bytes.clone());
                }
            } else {
                changed.push((name, file));
            }
        }
        let mut landed = changed.clone();
        Landing::pick(rng).apply(rng, &mut landed);
        for (name, file) in changed {
            let lands = landed.iter().any(|(n, _)| *n == name);
            // A synced name is there (or gone) whatever lands; so are synced contents.
            let present = if file.name_synced || lands {
                file.live.as_ref()
            } else {
                file.durable.as_ref()
            };
            let Some(bytes) = present else { continue };
            let contents =
                if Some(bytes) == file.durable.as_ref() || file.data_synced || rng.chance(0.5) {
                    bytes.clone()
                } else {
                    // Contents written but never synced under a name that is there: the file
                    // system may have kept none of them, or part.
                    let keep = rng.below(bytes.len() as u64 + 1) as usize;
                    bytes[..keep].to_vec()
                };
            out.insert(name.clone(), contents);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_synced_with_its_folder_survives_and_others_may_not() {
        let folder = SimFolder::new(Power::on());
        folder.write("kept", b"kept").unwrap();
        folder.sync_file("kept").unwrap();
        folder.sync_folder().unwrap();
        folder.write("loose", b"loose bytes").unwrap();
        folder.write("data-only", b"synced contents").unwrap();
        folder.sync_file("data-only").unwrap();
        let mut rng = Rng::new(9);
        let mut loose_outcomes = std::collections::BTreeSet::new();
        for _ in 0..300 {
            let files = folder.crash_files(&mut rng);
            assert_eq!(files.get("kept").map(Vec::as_slice), Some(&b"kept"[..]));
            if let Some(bytes) = files.get("data-only") {
                assert_eq!(bytes.as_slice(), b"synced contents");
            }
            loose_outcomes.insert(files.get("loose").map(Vec::len));
        }
        assert!(loose_outcomes.contains(&None));
        assert!(loose_outcomes.contains(&Some(11)));
        assert!(
            loose_outcomes
                .iter()
                .any(|o| matches!(o, Some(n) if *n < 11)),
            "{loose_outcomes:?}"
        );
    }

    #[test]
    fn a_removal_is_durable_only_once_the_folder_is_synced() {
        let folder = SimFolder::with_files(
            Power::on(),
            [("a".to_owned(), b"a".to_vec())].into_iter().collect(),
        );
        folder.remove("a").unwrap();
        assert!(folder.read("a").is_err());
        let mut rng = Rng::new(1);
        let back = (0..100).any(|_| folder.crash_files(&mut rng).contains_key("a"));
        assert!(back, "an unsynced removal can be undone by a cut");
        folder.sync_folder().unwrap();
        assert!(folder.crash_files(&mut rng).is_empty());
        assert!(folder.names().unwrap().is_empty());
    }
}
