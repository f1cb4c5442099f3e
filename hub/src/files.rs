//! Writing files so that a crash never leaves half a file, and secrets stay private.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// `exact`: give the file `mode` whatever the process's umask (the hub's is 077, see
/// [`private_umask`]); otherwise the umask takes away what it takes away.
fn write_atomic(path: &Path, contents: &[u8], mode: u32, exact: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        if exact {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        file.write_all(contents)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    // The rename is durable only once the directory itself is synced.
    std::fs::File::open(dir)?.sync_all()
}

/// Writes a file readable by its owner only (keys, passwords), atomically.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic(path, contents, 0o600, true)
}

/// Writes a file its owner and group may read (for an external broker's user, which
/// shares the group), atomically, whatever the umask.
pub fn write_group_readable(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic(path, contents, 0o640, true)
}

/// Writes a file others may read where the umask allows (certificates, configuration),
/// atomically. Under the hub's umask (077) it is its owner's only, like everything in
/// the data folder.
pub fn write_public(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic(path, contents, 0o644, false)
}

/// Sets the process's umask to 077, so that every file and folder the hub makes — the
/// store's own among them, which it opens itself — is its owner's only (0600, 0700).
/// Called once at the start of the `nabij-hub` process.
pub fn private_umask() {
    use nix::sys::stat::{Mode, umask};
    umask(Mode::from_bits_truncate(0o077));
}

/// Takes away group and other rights from `dir` and everything under it (not following
/// links): a data folder made by an older hub, or copied in by hand, becomes its
/// owner's only (folders 0700, files 0600 or 0700). Returns how many it changed.
pub fn make_private(dir: &Path) -> std::io::Result<usize> {
    use std::os::unix::fs::PermissionsExt;
    let mut changed = 0;
    let mut todo = vec![dir.to_owned()];
    while let Some(path) = todo.pop() {
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.permissions().mode() & 0o7777;
        let private = if meta.is_dir() { 0o700 } else { mode & 0o700 };
        if mode != private {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(private))?;
            changed += 1;
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                todo.push(entry?.path());
            }
        }
    }
    Ok(changed)
}

/// Makes a directory (and its parents) that only its owner may enter.
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    fn an_old_data_folder_becomes_its_owners_only() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let db = data.join("db");
        std::fs::create_dir_all(&db).unwrap();
        std::fs::write(db.join("conf"), b"x").unwrap();
        std::fs::write(data.join("run.sh"), b"x").unwrap();
        for (path, m) in [
            (&data, 0o755),
            (&db, 0o775),
            (&db.join("conf"), 0o644),
            (&data.join("run.sh"), 0o755),
        ] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
        }
        // A link out of the folder is not followed.
        let outside = root.path().join("outside");
        std::fs::write(&outside, b"x").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&outside, data.join("link")).unwrap();

        assert_eq!(make_private(&data).unwrap(), 4);
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&db), 0o700);
        assert_eq!(mode(&db.join("conf")), 0o600);
        assert_eq!(mode(&data.join("run.sh")), 0o700);
        assert_eq!(mode(&outside), 0o644);
        assert_eq!(make_private(&data).unwrap(), 0, "nothing left to change");
    }

    #[test]
    fn a_group_readable_file_keeps_its_group_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("passwd");
        // The umask is the process's: a test cannot set it without touching the others,
        // so the file is first made with no group right at all, as umask 077 would.
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_group_readable(&path, b"new").unwrap();
        assert_eq!(mode(&path), 0o640);
        write_private(&path, b"newer").unwrap();
        assert_eq!(mode(&path), 0o600);
    }
}
