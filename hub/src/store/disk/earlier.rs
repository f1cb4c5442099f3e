//! A database folder made by an earlier nabij-hub, which kept its records in sled behind
//! a write-ahead log of its own: this build cannot read it and says what to do. No hub ran
//! that version with real participants, so there is nothing to migrate.

use super::super::StoreError;
use std::path::Path;

/// What only sled (and the store's write-ahead log in front of it) left in its folder.
const SLED_FILES: [&str; 4] = ["conf", "db", "blobs", "wal"];

/// Refuses `dir` when an earlier, sled-based hub made it.
pub(super) fn refuse_sled(dir: &Path) -> Result<(), StoreError> {
    let found: Vec<&str> = SLED_FILES
        .into_iter()
        .filter(|name| dir.join(name).exists())
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    Err(StoreError::EarlierVersion {
        dir: dir.to_owned(),
        found: found.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sled_folder_is_refused_with_what_to_do_and_an_empty_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        refuse_sled(dir.path()).unwrap();
        std::fs::write(dir.path().join("conf"), "segment_size: 524288").unwrap();
        std::fs::create_dir(dir.path().join("wal")).unwrap();
        let err = refuse_sled(dir.path()).unwrap_err().to_string();
        assert!(err.contains("earlier nabij-hub"), "{err}");
        assert!(err.contains("conf, wal"), "{err}");
        assert!(err.contains("mv "), "says what to do: {err}");
    }
}
