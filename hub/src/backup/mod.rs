//! Backups of a running hub and restoring one. A backup is one tar file holding the hub's
//! whole state, consistent: the database as of one commit (copied from a read snapshot
//! while the hub goes on), the photos and voice notes its records name, the hub's
//! certificate authority and server certificate with their keys, and the broker's
//! secrets. The broker's password file is not in it: the hub writes it from the
//! database at every start. A restore unpacks it into a new data folder and checks that
//! the database opens with every media file it names.

mod tar;

use crate::store::{BackupSink, DiskStorage, Storage, StoreError};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Component, Path, PathBuf};
use tar::{TarReader, TarWriter};

/// The store's folder in a data folder.
pub const STORE_FOLDER: &str = "db";

/// The first file of every backup: what it is, for a person opening it.
const LABEL: &str = "nabij-backup.txt";

/// What else of a data folder a backup holds, besides the store: the files without which
/// paired tablets could not connect (they trust this CA, and log in through this broker).
const OTHER_FILES: [&str; 6] = [
    "pki/ca.pem",
    "pki/ca-key.pem",
    "pki/server.pem",
    "pki/server-key.pem",
    "pki/server-names.txt",
    "broker/secrets.json",
];

/// Why a backup or a restore failed; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database could not be copied or opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A restore into a folder that holds something.
    #[error(
        "{} is not empty: restore into a new folder (then point the hub's data_dir at it), so that nothing is overwritten",
        .0.display()
    )]
    NotEmpty(PathBuf),
    /// The file is not a backup, or is damaged.
    #[error("{}: not a whole nabij-hub backup ({reason}); use another backup", path.display())]
    NotABackup {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a backup or a restore holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// The store's files, into the archive under the store's folder.
struct IntoTar<'a, W: Write> {
    tar: &'a mut TarWriter<W>,
    summary: &'a mut Summary,
}

impl<W: Write> BackupSink for IntoTar<'_, W> {
    fn add(
        &mut self,
        path: &str,
        contents: &mut dyn std::io::Read,
        len: u64,
    ) -> std::io::Result<()> {
        self.tar
            .add(&format!("{STORE_FOLDER}/{path}"), 0o600, contents, len)?;
        self.summary.files += 1;
        self.summary.bytes += len;
        Ok(())
    }
}

/// Writes a backup of the hub whose data folder is `data_dir` and whose store is
/// `storage` to `out` (a new file, whole or not at all), while the hub goes on.
pub fn write(storage: &dyn Storage, data_dir: &Path, out: &Path) -> Result<Summary, BackupError> {
    let partial = out.with_extension("partial");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .map_err(io(&partial))?;
    let written = (|| {
        let mut tar = TarWriter::new(BufWriter::new(file));
        let mut summary = Summary::default();
        let label = format!(
            "A backup of a Nabij hub (nabij-hub {}), made {}.\n\
             Restore it with: nabij-hub restore THIS-FILE --data-dir NEW-FOLDER\n",
            env!("CARGO_PKG_VERSION"),
            nabij_protocol::UnixMillis::now().0,
        );
        tar.add(LABEL, 0o644, &mut label.as_bytes(), label.len() as u64)
            .map_err(io(&partial))?;
        storage.back_up(
            &data_dir.join(STORE_FOLDER),
            &mut IntoTar {
                tar: &mut tar,
                summary: &mut summary,
            },
        )?;
        for name in OTHER_FILES {
            let path = data_dir.join(name);
            let mut file = match std::fs::File::open(&path) {
                Ok(file) => file,
                // An external broker has no secrets file of the hub's.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&path)(e)),
            };
            let len = file.metadata().map_err(io(&path))?.len();
            let mode = if name.ends_with(".pem") && !name.contains("key") {
                0o644
            } else {
                0o600
            };
            tar.add(name, mode, &mut file, len).map_err(io(&path))?;
            summary.files += 1;
            summary.bytes += len;
        }
        let file = tar
            .finish()
            .map_err(io(&partial))?
            .into_inner()
            .map_err(|e| io(&partial)(e.into_error()))?;
        file.sync_all().map_err(io(&partial))?;
        Ok(summary)
    })();
    match written {
        Ok(summary) => {
            std::fs::rename(&partial, out).map_err(io(out))?;
            let folder = out.parent().filter(|p| !p.as_os_str().is_empty());
            std::fs::File::open(folder.unwrap_or(Path::new(".")))
                .and_then(|f| f.sync_all())
                .map_err(io(out))?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Whether an archive path may be written under a data folder: the files a backup holds,
/// nothing that leaves the folder.
fn allowed(path: &str) -> bool {
    let safe = Path::new(path)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let store_file = path
        .strip_prefix(&format!("{STORE_FOLDER}/"))
        .is_some_and(|rest| !rest.is_empty());
    safe && (path == LABEL || store_file || OTHER_FILES.contains(&path))
}

/// Unpacks the backup `file` into `data_dir` (which must be empty or not exist), makes it
/// durable, and checks that its database opens with every media file it names.
pub fn restore(file: &Path, data_dir: &Path) -> Result<Summary, BackupError> {
    if let Ok(mut entries) = std::fs::read_dir(data_dir)
        && entries.next().is_some()
    {
        return Err(BackupError::NotEmpty(data_dir.to_owned()));
    }
    let not_a_backup = |reason: String| BackupError::NotABackup {
        path: file.to_owned(),
        reason,
    };
    crate::files::private_dir(data_dir).map_err(io(data_dir))?;
    let input = std::fs::File::open(file).map_err(io(file))?;
    let mut reader = TarReader::new(std::io::BufReader::new(input));
    let mut summary = Summary::default();
    let mut labelled = false;
    let mut database = false;
    let database_path = format!("{STORE_FOLDER}/{}", crate::store::DATABASE_FILE);
    let mut folders = std::collections::BTreeSet::new();
    while let Some(entry) = reader
        .next_entry()
        .map_err(|e| not_a_backup(e.to_string()))?
    {
        if !allowed(&entry.path) {
            return Err(not_a_backup(format!("it holds {:?}", entry.path)));
        }
        labelled |= entry.path == LABEL;
        database |= entry.path == database_path;
        let path = data_dir.join(&entry.path);
        if let Some(parent) = path.parent() {
            crate::files::private_dir(parent).map_err(io(parent))?;
            folders.insert(parent.to_owned());
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(io(&path))?;
        reader
            .copy_to(&mut out)
            .map_err(|e| not_a_backup(e.to_string()))?;
        out.sync_all().map_err(io(&path))?;
        if entry.mode & 0o044 != 0 {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
                .map_err(io(&path))?;
        }
        summary.files += 1;
        summary.bytes += entry.len;
    }
    if !labelled || !database {
        return Err(not_a_backup("it has no label or no database".into()));
    }
    folders.insert(data_dir.to_owned());
    for folder in folders {
        std::fs::File::open(&folder)
            .and_then(|f| f.sync_all())
            .map_err(io(&folder))?;
    }
    let store = DiskStorage::open(&data_dir.join(STORE_FOLDER), 8 << 20)?;
    if store.missing_media() > 0 {
        return Err(not_a_backup(format!(
            "{} photos or voice notes its records name are missing",
            store.missing_media()
        )));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Storage, Writes};

    fn photo_json(bytes: &[u8]) -> Vec<u8> {
        format!(
            r#"{{"kind":"photo","data":"{}"}}"#,
            nabij_protocol::base64::encode(bytes)
        )
        .into_bytes()
    }

    #[test]
    fn a_backup_restores_into_a_new_folder_with_its_records_photos_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("hub");
        let store = DiskStorage::open(&data.join(STORE_FOLDER), 8 << 20).unwrap();
        let photo = vec![3u8; 30_000];
        let mut writes = Writes::new();
        writes.insert(("messages", b"m-1".to_vec()), Some(photo_json(&photo)));
        writes.insert(
            ("people", b"p-jan".to_vec()),
            Some(b"{\"name\":\"Jan\"}".to_vec()),
        );
        store.commit(writes).unwrap();
        // Applied, not durable: a backup holds what was committed.
        let mut later = Writes::new();
        later.insert(("people", b"p-anna".to_vec()), Some(b"{}".to_vec()));
        store.apply(later).unwrap();
        std::fs::create_dir_all(data.join("pki")).unwrap();
        std::fs::write(data.join("pki/ca.pem"), "CERT").unwrap();
        std::fs::write(data.join("pki/ca-key.pem"), "KEY").unwrap();
        std::fs::create_dir_all(data.join("broker")).unwrap();
        std::fs::write(data.join("broker/secrets.json"), "{}").unwrap();

        let out = dir.path().join("backup.tar");
        let made = write(&store, &data, &out).unwrap();
        assert!(made.files >= 5, "{made:?}");
        assert!(!out.with_extension("partial").exists());

        let restored = dir.path().join("restored");
        let summary = restore(&out, &restored).unwrap();
        assert_eq!(summary.files, made.files + 1, "the label too");
        assert_eq!(
            std::fs::read_to_string(restored.join("pki/ca-key.pem")).unwrap(),
            "KEY"
        );
        let back = DiskStorage::open(&restored.join(STORE_FOLDER), 8 << 20).unwrap();
        assert_eq!(
            back.get("messages", b"m-1").unwrap(),
            Some(photo_json(&photo))
        );
        assert!(back.get("people", b"p-jan").unwrap().is_some());
        assert_eq!(
            back.get("people", b"p-anna").unwrap(),
            None,
            "not committed then"
        );

        let err = restore(&out, &restored).unwrap_err();
        assert!(matches!(err, BackupError::NotEmpty(_)), "{err}");
    }

    #[test]
    fn a_file_that_is_not_a_backup_or_leaves_its_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bogus = dir.path().join("x.tar");
        std::fs::write(&bogus, b"not a tar at all").unwrap();
        let err = restore(&bogus, &dir.path().join("a")).unwrap_err();
        assert!(err.to_string().contains("use another backup"), "{err}");
        let mut tar = TarWriter::new(Vec::new());
        tar.add(LABEL, 0o644, &mut &b"x"[..], 1).unwrap();
        tar.add("db/../../evil", 0o600, &mut &b"x"[..], 1).unwrap();
        std::fs::write(&bogus, tar.finish().unwrap()).unwrap();
        let err = restore(&bogus, &dir.path().join("b")).unwrap_err();
        assert!(err.to_string().contains("evil"), "{err}");
        assert!(!dir.path().join("evil").exists());
        assert!(allowed("db/media/abc") && allowed("pki/ca.pem") && !allowed("pki/other"));
    }
}
