//! Small JSON files on the tablet's storage (its identity, its screen settings): mode 0600,
//! written whole (temporary file, sync, rename), so a power cut leaves either the old file
//! or the new one, never half of one.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file of the tablet that cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("the tablet's file {path} cannot be used: {reason}")]
pub struct FileError {
    path: PathBuf,
    reason: String,
}

fn fail(path: &Path, reason: impl ToString) -> FileError {
    FileError {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

/// Reads a JSON file; `None` when there is none.
pub fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, FileError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| fail(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(path, e)),
    }
}

/// Writes a JSON file whole, readable by its owner only.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), FileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail(path, e))?;
    let tmp = path.with_extension("tmp");
    let bytes = serde_json::to_vec(value).map_err(|e| fail(path, e))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| fail(path, e))?;
    file.write_all(&bytes).map_err(|e| fail(path, e))?;
    file.sync_all().map_err(|e| fail(path, e))?;
    std::fs::rename(&tmp, path).map_err(|e| fail(path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes a file; one that is not there is fine.
pub fn remove(path: &Path) -> Result<(), FileError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(fail(path, e)),
    }
}
