//! Writing files so that a crash never leaves half a file, and secrets stay private.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
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
        file.write_all(contents)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    // The rename is durable only once the directory itself is synced.
    std::fs::File::open(dir)?.sync_all()
}

/// Writes a file readable by its owner only (keys, passwords), atomically.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic(path, contents, 0o600)
}

/// Writes a file its owner and group may read (for an external broker's user, which
/// shares the group), atomically.
pub fn write_group_readable(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic(path, contents, 0o640)
}

/// Writes a file others may read (certificates, configuration), atomically.
pub fn write_public(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic(path, contents, 0o644)
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
